//! Loading a manifest directory: `services.toml` plus every `environments/<env>.toml`.

use super::ManifestError;
use super::environment_settings::{ServiceSources, read_environment};
use super::model::Manifest;
use super::node::{Node, Table, Value, parse_document};
use super::problem::{Problem, Problems};
use super::project_settings::read_project;
use super::reader::{TableReader, type_problem};
use super::service_settings::{SERVICE_KEYS, read_service};
use super::source::{FileId, Located, SourceMap, Span};
use super::validate::validate;
use std::path::{Path, PathBuf};

const ROOT_KEYS: &[&str] = &["project", "defaults", "services", "secrets"];
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

/// Builds the typed manifest; `None` only when `services.toml` is not a TOML table at all.
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
    let project_reader =
        reader.required("project", project_reader, "add a [project] section with at least `name` and `network`");
    let project = read_project(project_reader.as_ref(), Span::new(services_file, 0..0));
    let defaults = reader.entry("defaults").and_then(|entry| known_defaults(&entry.node, problems));
    let services = service_nodes(&reader, problems);
    let secrets = reader.entry("secrets").map(|entry| entry.node.clone());
    reader.finish(ROOT_KEYS);
    let sources_of_services =
        ServiceSources { defaults: defaults.as_ref(), services: &services, secrets: secrets.as_ref() };
    if environment_files.is_empty() {
        problems.push(
            Problem::error(Span::new(services_file, 0..0), "the manifest has no environments").with_help(
                "create environments/<name>.toml (for example environments/stage.toml) beside services.toml",
            ),
        );
        // Still read every service once, so that its own problems show up in this run.
        for (name, node) in &services {
            read_service(name, &sources_of_services.base(node), &project.name.value, problems);
        }
    }
    let mut environments = Vec::new();
    for (name, file) in environment_files {
        let text = sources.file(*file)?.text.clone();
        let node = parse_document(*file, &text, problems);
        if let Some(environment) = read_environment(name, *file, &node, &project, &sources_of_services, problems) {
            environments.push(environment);
        }
    }
    let service_names = services.into_iter().map(|(name, _)| name).collect();
    Some(Manifest { project, service_names, environments })
}

/// `[defaults]` with its unknown keys reported once (here) and removed, so that the services
/// inheriting them do not report them again.
fn known_defaults(node: &Node, problems: &Problems) -> Option<Node> {
    let reader = TableReader::new(node, "[defaults]", problems)?;
    for key in SERVICE_KEYS {
        reader.entry(key);
    }
    reader.finish(SERVICE_KEYS);
    let Value::Table(table) = &node.value else {
        return None;
    };
    let entries = table.entries.iter().filter(|entry| SERVICE_KEYS.contains(&entry.key.as_str())).cloned().collect();
    Some(Node { span: node.span, value: Value::Table(Table { entries }) })
}

/// The `[services.<name>]` tables, in file order.
fn service_nodes(reader: &TableReader<'_>, problems: &Problems) -> Vec<(Located<String>, Node)> {
    let Some(entry) = reader.entry("services") else {
        reader.report(
            Problem::error(reader.span(), "the manifest defines no services")
                .with_help("add a [services.<name>] section for each service"),
        );
        return Vec::new();
    };
    let Some(services) = TableReader::new(&entry.node, "`services`", problems) else {
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
