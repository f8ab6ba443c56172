//! Reading one `environments/<name>.toml`: naming and routing prefixes, domain, branch, capacity,
//! secret prefix, tags, and the per-service overrides merged into each service's settings.

use super::model::{CapacityProvider, Environment, Project, SecretRotation};
use super::node::{Node, Value, merge};
use super::problem::{Problem, Problems};
use super::reader::{TableReader, closest, type_problem};
use super::secret_settings::read_secret_settings;
use super::service_settings::{read_service, read_tags};
use super::source::{FileId, Located, Span};

const ENVIRONMENT_KEYS: &[&str] = &[
    "prefix",
    "path_prefix",
    "domain",
    "branch",
    "capacity",
    "secret_prefix",
    "block_findings_at",
    "security_group",
    "load_balancer",
    "secrets",
    "tags",
    "services",
];

/// ECR's finding severities, most severe first.
pub const SEVERITIES: [&str; 6] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"];

/// The parts of `services.toml` every environment builds on.
pub struct ServiceSources<'a> {
    pub defaults: Option<&'a Node>,
    /// `[services.<name>]` tables in file order.
    pub services: &'a [(Located<String>, Node)],
    /// `[secrets]` of `services.toml`: settings of the secrets themselves (rotation).
    pub secrets: Option<&'a Node>,
}

impl ServiceSources<'_> {
    /// `[defaults]` merged under the service's table; the result keeps the service's span so that
    /// problems about the service as a whole point at its own section.
    pub fn base(&self, service: &Node) -> Node {
        match self.defaults {
            Some(defaults) => Node { span: service.span, ..merge(defaults, service) },
            None => service.clone(),
        }
    }
}

pub fn read_environment(
    name: &str,
    file: FileId,
    node: &Node,
    project: &Project,
    sources: &ServiceSources<'_>,
    problems: &Problems,
) -> Option<Environment> {
    let reader = TableReader::new(node, format!("environment `{name}`"), problems)?;
    let file_start = Span::new(file, 0..0);
    let text = |key: &str, default: String| reader.string(key).unwrap_or_else(|| Located::new(default, file_start));
    let environment = Environment {
        name: Located::new(name.to_string(), file_start),
        file,
        prefix: text("prefix", format!("{name}-")),
        path_prefix: text("path_prefix", format!("/{name}")),
        domain: reader.string("domain"),
        branch: text("branch", name.to_string()),
        secret_prefix: text("secret_prefix", format!("{name}/")),
        capacity: read_capacity(&reader, file_start),
        block_findings_at: read_block_findings_at(&reader, name),
        own_security_group: read_security_group(&reader),
        load_balancer: reader.string("load_balancer"),
        secret_rotations: read_secret_rotations(&reader, sources),
        tags: read_tags(&reader, "tags"),
        services: read_services(&reader, name, project, sources),
    };
    reader.finish(ENVIRONMENT_KEYS);
    Some(environment)
}

/// `[secrets]` of `services.toml` with this environment's `[secrets]` merged over it.
fn read_secret_rotations(reader: &TableReader<'_>, sources: &ServiceSources<'_>) -> Vec<SecretRotation> {
    let merged = match (sources.secrets, reader.entry("secrets")) {
        (Some(base), Some(over)) => Node { span: over.node.span, ..merge(base, &over.node) },
        (Some(base), None) => base.clone(),
        (None, Some(over)) => over.node.clone(),
        (None, None) => return Vec::new(),
    };
    read_secret_settings(&merged, reader.problems())
}

/// Every service of `services.toml`, merged with this environment's override.
fn read_services(
    reader: &TableReader<'_>,
    environment: &str,
    project: &Project,
    sources: &ServiceSources<'_>,
) -> Vec<super::model::Service> {
    let overrides = reader.table("services");
    let services = sources
        .services
        .iter()
        .filter_map(|(service_name, service_node)| {
            let base = sources.base(service_node);
            let merged = match overrides.as_ref().and_then(|o| o.entry(&service_name.value)) {
                Some(entry) => Node { span: base.span, ..merge(&base, &entry.node) },
                None => base,
            };
            read_service(service_name, &merged, &project.name.value, reader.problems())
        })
        .collect();
    if let Some(overrides) = overrides {
        report_unknown_services(&overrides, sources.services, environment);
    }
    services
}

/// An override of a service that `services.toml` does not define is almost always a typo.
fn report_unknown_services(overrides: &TableReader<'_>, services: &[(Located<String>, Node)], environment: &str) {
    // A suggestion compares the name with every service: only the first unknown names get one,
    // so that thousands of them against thousands of services stay linear; and a long list of
    // services is counted, not printed under each.
    const SUGGESTED: usize = 20;
    const LISTED: usize = 20;
    let known: Vec<&str> = services.iter().map(|(name, _)| name.value.as_str()).collect();
    for (index, entry) in overrides.remaining().into_iter().enumerate() {
        let candidate = if index < SUGGESTED { closest(&entry.key, &known) } else { None };
        let help = match candidate {
            Some(candidate) => format!("did you mean `{candidate}`?"),
            None if known.len() <= LISTED => format!("services.toml defines: {}", known.join(", ")),
            None => format!("services.toml defines {} services; none is named `{}`", known.len(), entry.key),
        };
        overrides.report(
            Problem::error(
                entry.key_span,
                format!(
                    "environment `{environment}` overrides service `{}`, which services.toml does not define",
                    entry.key
                ),
            )
            .with_help(help),
        );
    }
}

const CAPACITY_HELP: &str = "write capacity = \"spot\", capacity = \"on-demand\", or a list of { provider = \"FARGATE_SPOT\", weight = 1, base = 0 }";

/// `capacity = "spot" | "on-demand"` or `[{ provider = "FARGATE_SPOT", weight = 3, base = 0 }, ...]`.
/// The severity at or above which image scan findings stop a deploy: `"off"`, or one of
/// [`SEVERITIES`]; by default CRITICAL in prod and off elsewhere.
fn read_block_findings_at(reader: &TableReader<'_>, name: &str) -> Option<String> {
    let default = (name == "prod").then(|| "CRITICAL".to_string());
    let Some(text) = reader.string("block_findings_at") else { return default };
    let value = text.value.to_ascii_uppercase();
    if value == "OFF" {
        return None;
    }
    if SEVERITIES.contains(&value.as_str()) {
        return Some(value);
    }
    reader.report(
        Problem::error(text.span, format!("unknown severity `{}`", text.value))
            .with_help("write one of \"CRITICAL\", \"HIGH\", \"MEDIUM\", \"LOW\", \"INFORMATIONAL\", or \"off\""),
    );
    default
}

const SECURITY_GROUP_HELP: &str = "write security_group = \"shared\" (the default: one services' group for every \
     environment) or \"own\" (a group of this environment's own, so its tasks share no group with another environment's)";

/// `security_group`: whether the environment's tasks get a security group of their own.
fn read_security_group(reader: &TableReader<'_>) -> bool {
    let Some(choice) = reader.string("security_group") else { return false };
    match choice.value.as_str() {
        "shared" => false,
        "own" => true,
        other => {
            let help = match closest(other, &["shared", "own"]) {
                Some(candidate) => format!("did you mean \"{candidate}\"? {SECURITY_GROUP_HELP}"),
                None => SECURITY_GROUP_HELP.to_string(),
            };
            reader.report(Problem::error(choice.span, format!("unknown security_group `{other}`")).with_help(help));
            false
        }
    }
}

fn read_capacity(reader: &TableReader<'_>, file_start: Span) -> Vec<CapacityProvider> {
    let simple = |provider: &str, span: Span| {
        vec![CapacityProvider { provider: provider.to_string(), weight: 1, base: 0, span }]
    };
    let Some(entry) = reader.entry("capacity") else {
        return simple("FARGATE", file_start);
    };
    let span = entry.node.span;
    match &entry.node.value {
        Value::String(text) => match text.as_str() {
            "spot" | "FARGATE_SPOT" => simple("FARGATE_SPOT", span),
            "on-demand" | "FARGATE" => simple("FARGATE", span),
            _ => {
                let help = match closest(text, &["spot", "on-demand"]) {
                    Some(candidate) => format!("did you mean \"{candidate}\"? {CAPACITY_HELP}"),
                    None => CAPACITY_HELP.to_string(),
                };
                reader.report(Problem::error(span, format!("unknown capacity `{text}`")).with_help(help));
                simple("FARGATE", span)
            }
        },
        Value::Array(items) if items.is_empty() => {
            reader.report(Problem::error(span, "`capacity` lists no provider").with_help(CAPACITY_HELP));
            simple("FARGATE", span)
        }
        Value::Array(items) => {
            let providers: Vec<_> = items.iter().filter_map(|item| read_capacity_provider(reader, item)).collect();
            // Invalid entries are reported; fall back so that later checks do not pile on.
            if providers.len() == items.len() { providers } else { simple("FARGATE", span) }
        }
        other => {
            reader.report(
                type_problem(span, "capacity", "a string or an array of tables", other).with_help(CAPACITY_HELP),
            );
            simple("FARGATE", span)
        }
    }
}

fn read_capacity_provider(reader: &TableReader<'_>, node: &Node) -> Option<CapacityProvider> {
    let table = TableReader::new(node, "`capacity`", reader.problems())?;
    let provider = table.string("provider");
    let provider = table.required("provider", provider, "provider = \"FARGATE\" or \"FARGATE_SPOT\"");
    let weight = table.integer("weight", 0..=1000, "").map_or(1, |weight| weight.value);
    let base = table.integer("base", 0..=100_000, "tasks").map_or(0, |base| base.value);
    table.finish(&["provider", "weight", "base"]);
    let provider = provider?;
    if !matches!(provider.value.as_str(), "FARGATE" | "FARGATE_SPOT") {
        table.report(
            Problem::error(provider.span, format!("unknown capacity provider `{}`", provider.value))
                .with_help("Fargate services use \"FARGATE\" or \"FARGATE_SPOT\""),
        );
        return None;
    }
    Some(CapacityProvider { provider: provider.value, weight, base, span: node.span })
}
