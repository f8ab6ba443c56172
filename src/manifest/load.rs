//! Loading a manifest directory: `services.toml` plus every `environments/<env>.toml`.

use super::model::{CapacityProvider, Certificate, Dns, Environment, LoadBalancer, Lookup, Manifest, Network, Project};
use super::node::{merge, parse_document, Node, Value};
use super::problem::{Problem, Problems};
use super::reader::{closest, type_problem, TableReader};
use super::service_settings::{read_service, read_tags};
use super::source::{FileId, Located, SourceMap, Span};
use super::validate::validate;
use super::ManifestError;
use std::path::{Path, PathBuf};

const ROOT_KEYS: &[&str] = &["project", "defaults", "services"];
const PROJECT_KEYS: &[&str] =
    &["name", "region", "account_id", "cluster", "tags", "load_balancer", "network", "dns"];
const LOAD_BALANCER_KEYS: &[&str] = &["name", "certificate", "ssl_policy", "idle_timeout"];
const NETWORK_KEYS: &[&str] = &["vpc", "public_subnets", "private_subnets"];
const DNS_KEYS: &[&str] = &["zone", "zone_id"];
const ENVIRONMENT_KEYS: &[&str] =
    &["prefix", "path_prefix", "domain", "branch", "capacity", "secret_prefix", "tags", "services"];

/// The result of reading a manifest directory: the files, the manifest when `services.toml` was
/// usable, and every problem found so far (parse errors and manifest-level checks).
#[derive(Debug)]
pub struct Loaded {
    pub sources: SourceMap,
    pub manifest: Option<Manifest>,
    pub problems: Problems,
}

/// Reads, parses and checks the manifest in `directory`; fails only when a file cannot be read.
pub fn load(directory: &Path) -> Result<Loaded, ManifestError> {
    let mut sources = SourceMap::default();
    let services_text = read_file(&directory.join("services.toml"))?;
    let services_file = sources.add("services.toml", services_text);
    let mut environment_files = Vec::new();
    for path in environment_paths(directory)? {
        let text = read_file(&path)?;
        let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        let display = format!("environments/{}", path.file_name().unwrap_or_default().to_string_lossy());
        environment_files.push((name, sources.add(display, text)));
    }
    Ok(parse_and_check(sources, services_file, &environment_files))
}

/// [`load`] for manifests held in memory (tests, `init`): `environments` are `(name, text)` pairs.
pub fn load_from_texts(services: &str, environments: &[(&str, &str)]) -> Loaded {
    let mut sources = SourceMap::default();
    let services_file = sources.add("services.toml", services.to_string());
    let environment_files: Vec<_> = environments
        .iter()
        .map(|(name, text)| (name.to_string(), sources.add(format!("environments/{name}.toml"), text.to_string())))
        .collect();
    parse_and_check(sources, services_file, &environment_files)
}

fn parse_and_check(sources: SourceMap, services_file: FileId, environment_files: &[(String, FileId)]) -> Loaded {
    let problems = Problems::default();
    let manifest = parse(&sources, services_file, environment_files, &problems);
    if let Some(manifest) = &manifest {
        validate(manifest, &problems);
    }
    Loaded { sources, manifest, problems }
}

fn read_file(path: &Path) -> Result<String, ManifestError> {
    std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ManifestError::NotFound { path: path.to_path_buf() },
        _ => ManifestError::Unreadable { path: path.to_path_buf(), source },
    })
}

/// `environments/*.toml`, sorted by name so that every run reads them in the same order.
fn environment_paths(directory: &Path) -> Result<Vec<PathBuf>, ManifestError> {
    let environments = directory.join("environments");
    let entries = match std::fs::read_dir(&environments) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ManifestError::Unreadable { path: environments, source }),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Builds the typed manifest; `None` only when `services.toml` is unusable as a whole.
fn parse(
    sources: &SourceMap,
    services_file: FileId,
    environment_files: &[(String, FileId)],
    problems: &Problems,
) -> Option<Manifest> {
    let services_text = sources.file(services_file)?.text.clone();
    let root = parse_document(services_file, &services_text, problems);
    let reader = TableReader::new(&root, "services.toml", problems)?;
    let project_reader = reader.table("project");
    let project = reader.required("project", project_reader, "add a [project] section with at least `name`");
    let project = project.and_then(|project| read_project(&project));
    let defaults = reader.entry("defaults").map(|entry| entry.node.clone());
    let services = service_nodes(&reader, problems);
    reader.finish(ROOT_KEYS);
    if environment_files.is_empty() {
        problems.push(
            Problem::error(Span::new(services_file, 0..0), "the manifest has no environments")
                .with_help("create environments/<name>.toml (for example environments/stage.toml) beside services.toml"),
        );
    }
    let project = project?;
    let mut environments = Vec::new();
    for (name, file) in environment_files {
        let text = sources.file(*file)?.text.clone();
        let node = parse_document(*file, &text, problems);
        let name = Located::new(name.clone(), Span::new(*file, 0..0));
        if let Some(environment) = read_environment(name, *file, &node, &project, defaults.as_ref(), &services, problems) {
            environments.push(environment);
        }
    }
    let service_names = services.into_iter().map(|(name, _)| name).collect();
    Some(Manifest { project, service_names, environments })
}

/// The `[services.<name>]` tables, in file order.
fn service_nodes(reader: &TableReader<'_>, problems: &Problems) -> Vec<(Located<String>, Node)> {
    let Some(services) = reader.table("services") else {
        reader.report(
            Problem::error(reader.span(), "the manifest defines no services")
                .with_help("add a [services.<name>] section for each service"),
        );
        return Vec::new();
    };
    services
        .remaining()
        .into_iter()
        .filter_map(|entry| {
            if !matches!(entry.node.value, Value::Table(_)) {
                problems.push(
                    type_problem(entry.node.span, &format!("services.{}", entry.key), "a table", &entry.node.value)
                        .with_help(format!("write the service as a section: [services.{}]", entry.key)),
                );
                return None;
            }
            Some((Located::new(entry.key.clone(), entry.key_span), entry.node.clone()))
        })
        .collect()
}

fn read_project(reader: &TableReader<'_>) -> Option<Project> {
    let name = reader.string("name");
    let name = reader.required("name", name, "name the project: name = \"acme\"");
    let region = reader.string("region");
    let account_id = reader.string("account_id");
    let cluster = reader.string("cluster");
    let tags = read_tags(reader, "tags");
    let load_balancer = reader.table("load_balancer");
    let load_balancer = read_load_balancer(load_balancer.as_ref(), name.as_ref(), reader.span());
    let network = reader.table("network");
    let network = reader.required("network", network, "add [project.network] with `vpc`, `public_subnets` and `private_subnets`");
    let network = network.and_then(|network| read_network(&network));
    let dns = reader.table("dns").and_then(|dns| read_dns(&dns));
    reader.finish(PROJECT_KEYS);
    let name = name?;
    Some(Project {
        cluster: cluster.unwrap_or_else(|| name.clone()),
        name,
        region,
        account_id,
        tags,
        load_balancer,
        network: network?,
        dns,
    })
}

fn read_load_balancer(reader: Option<&TableReader<'_>>, project: Option<&Located<String>>, span: Span) -> LoadBalancer {
    let default_name = project.cloned().unwrap_or_else(|| Located::new(String::new(), span));
    let Some(reader) = reader else {
        return LoadBalancer {
            name: default_name,
            certificate: None,
            ssl_policy: DEFAULT_SSL_POLICY.to_string(),
            idle_timeout_seconds: 60,
        };
    };
    let certificate = reader.entry("certificate").and_then(|entry| match &entry.node.value {
        Value::String(arn) => Some(Certificate::Arn(Located::new(arn.clone(), entry.node.span))),
        Value::Table(_) => {
            let table = TableReader::new(&entry.node, "`load_balancer.certificate`", reader.problems())?;
            let domain = table.string("domain");
            let domain = table.required("domain", domain, "name the certificate's domain: certificate = { domain = \"api.example.com\" }");
            table.finish(&["domain"]);
            domain.map(Certificate::Domain)
        }
        other => {
            reader.report(
                type_problem(entry.node.span, "certificate", "a string (an ACM ARN) or a table", other)
                    .with_help("write certificate = \"arn:aws:acm:...\" or certificate = { domain = \"api.example.com\" }"),
            );
            None
        }
    });
    let load_balancer = LoadBalancer {
        name: reader.string("name").unwrap_or(default_name),
        certificate,
        ssl_policy: reader.string("ssl_policy").map_or_else(|| DEFAULT_SSL_POLICY.to_string(), |p| p.value),
        idle_timeout_seconds: reader.integer("idle_timeout", 1..=4000, "seconds").map_or(60, |v| v.value),
    };
    reader.finish(LOAD_BALANCER_KEYS);
    load_balancer
}

/// TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for new listeners.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

fn read_network(reader: &TableReader<'_>) -> Option<Network> {
    let lookup = |key: &str, example: &str| {
        let value = reader.entry(key).and_then(|entry| read_lookup(reader, key, &entry.node));
        reader.required(key, value, &format!("set {key} = {example} or {key} = {{ tags = {{ Name = \"...\" }} }}"))
    };
    let vpc = lookup("vpc", "\"vpc-0123456789abcdef0\"");
    let public_subnets = lookup("public_subnets", "[\"subnet-...\", \"subnet-...\"]");
    let private_subnets = lookup("private_subnets", "[\"subnet-...\", \"subnet-...\"]");
    reader.finish(NETWORK_KEYS);
    Some(Network { vpc: vpc?, public_subnets: public_subnets?, private_subnets: private_subnets? })
}

/// `"vpc-1"`, `["subnet-1", "subnet-2"]` or `{ tags = { Tier = "private" } }`.
fn read_lookup(reader: &TableReader<'_>, key: &str, node: &Node) -> Option<Lookup> {
    match &node.value {
        Value::String(id) => Some(Lookup::Ids(vec![Located::new(id.clone(), node.span)])),
        Value::Array(_) => reader.string_list(key).map(|ids| {
            Lookup::Ids(ids.value.into_iter().map(|id| Located::new(id, ids.span)).collect())
        }),
        Value::Table(_) => {
            let table = TableReader::new(node, format!("`network.{key}`"), reader.problems())?;
            let tags = read_tags(&table, "tags");
            let span = table.span();
            table.finish(&["tags"]);
            if tags.is_empty() {
                reader.report(
                    Problem::error(span, format!("`network.{key}` names no tags to look up"))
                        .with_help(format!("write {key} = {{ tags = {{ Name = \"...\" }} }}")),
                );
                return None;
            }
            Some(Lookup::Tags { tags, span })
        }
        other => {
            reader.report(type_problem(node.span, &format!("network.{key}"), "an ID, a list of IDs or a table of tags", other));
            None
        }
    }
}

fn read_dns(reader: &TableReader<'_>) -> Option<Dns> {
    let zone = reader.string("zone");
    let zone = reader.required("zone", zone, "name the hosted zone: zone = \"example.com\"");
    let zone_id = reader.string("zone_id");
    reader.finish(DNS_KEYS);
    Some(Dns { zone: zone?, zone_id })
}

fn read_environment(
    name: Located<String>,
    file: FileId,
    node: &Node,
    project: &Project,
    defaults: Option<&Node>,
    services: &[(Located<String>, Node)],
    problems: &Problems,
) -> Option<Environment> {
    let reader = TableReader::new(node, format!("environment `{}`", name.value), problems)?;
    let text = |key: &str, default: String| {
        reader.string(key).unwrap_or_else(|| Located::new(default, Span::new(file, 0..0)))
    };
    let prefix = text("prefix", format!("{}-", name.value));
    let path_prefix = text("path_prefix", format!("/{}", name.value));
    let domain = reader.string("domain");
    let branch = text("branch", name.value.clone());
    let secret_prefix = text("secret_prefix", format!("{}/", name.value));
    let capacity = read_capacity(&reader);
    let tags = read_tags(&reader, "tags");
    let overrides = reader.table("services");
    let mut merged_services = Vec::new();
    for (service_name, service_node) in services {
        let base = match defaults {
            Some(defaults) => merge(defaults, service_node),
            None => service_node.clone(),
        };
        let merged = match overrides.as_ref().and_then(|o| o.entry(&service_name.value)) {
            Some(entry) => merge(&base, &entry.node),
            None => base,
        };
        if let Some(service) = read_service(service_name, &merged, &project.name.value, problems) {
            merged_services.push(service);
        }
    }
    if let Some(overrides) = overrides {
        report_unknown_services(&overrides, services, &name.value);
    }
    reader.finish(ENVIRONMENT_KEYS);
    Some(Environment {
        name,
        file,
        prefix,
        path_prefix,
        domain,
        branch,
        capacity,
        secret_prefix,
        tags,
        services: merged_services,
    })
}

/// An override of a service that `services.toml` does not define is almost always a typo.
fn report_unknown_services(overrides: &TableReader<'_>, services: &[(Located<String>, Node)], environment: &str) {
    let known: Vec<&str> = services.iter().map(|(name, _)| name.value.as_str()).collect();
    for entry in overrides.remaining() {
        let help = match closest(&entry.key, &known) {
            Some(candidate) => format!("did you mean `{candidate}`?"),
            None => format!("services.toml defines: {}", known.join(", ")),
        };
        overrides.report(
            Problem::error(
                entry.key_span,
                format!("environment `{environment}` overrides service `{}`, which services.toml does not define", entry.key),
            )
            .with_help(help),
        );
    }
}

/// `capacity = "spot" | "on-demand"` or `[{ provider = "FARGATE_SPOT", weight = 3, base = 0 }, ...]`.
fn read_capacity(reader: &TableReader<'_>) -> Vec<CapacityProvider> {
    let simple = |provider: &str| vec![CapacityProvider { provider: provider.to_string(), weight: 1, base: 0 }];
    let Some(entry) = reader.entry("capacity") else {
        return simple("FARGATE");
    };
    let help = "write capacity = \"spot\", capacity = \"on-demand\", or a list of { provider = \"FARGATE_SPOT\", weight = 1, base = 0 }";
    match &entry.node.value {
        Value::String(text) => match text.as_str() {
            "spot" | "FARGATE_SPOT" => simple("FARGATE_SPOT"),
            "on-demand" | "FARGATE" => simple("FARGATE"),
            _ => {
                let help = match closest(text, &["spot", "on-demand"]) {
                    Some(candidate) => format!("did you mean \"{candidate}\"? {help}"),
                    None => help.to_string(),
                };
                reader.report(Problem::error(entry.node.span, format!("unknown capacity `{text}`")).with_help(help));
                simple("FARGATE")
            }
        },
        Value::Array(items) if items.is_empty() => {
            reader.report(Problem::error(entry.node.span, "`capacity` lists no provider").with_help(help));
            simple("FARGATE")
        }
        Value::Array(items) => {
            let providers: Vec<_> = items.iter().filter_map(|item| read_capacity_provider(reader, item)).collect();
            // Invalid entries are reported; fall back so that later checks do not pile on.
            if providers.is_empty() { simple("FARGATE") } else { providers }
        }
        other => {
            reader.report(type_problem(entry.node.span, "capacity", "a string or an array of tables", other).with_help(help));
            simple("FARGATE")
        }
    }
}

fn read_capacity_provider(reader: &TableReader<'_>, node: &Node) -> Option<CapacityProvider> {
    let table = TableReader::new(node, "`capacity`", reader.problems())?;
    let provider = table.string("provider");
    let provider = table.required("provider", provider, "provider = \"FARGATE\" or \"FARGATE_SPOT\"")?;
    let weight = table.integer("weight", 0..=1000, "").map_or(1, |v| v.value);
    let base = table.integer("base", 0..=100_000, "tasks").map_or(0, |v| v.value);
    table.finish(&["provider", "weight", "base"]);
    if !matches!(provider.value.as_str(), "FARGATE" | "FARGATE_SPOT") {
        table.report(
            Problem::error(provider.span, format!("unknown capacity provider `{}`", provider.value))
                .with_help("Fargate services use \"FARGATE\" or \"FARGATE_SPOT\""),
        );
        return None;
    }
    Some(CapacityProvider { provider: provider.value, weight, base })
}
