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
use std::io::Read;
use std::path::{Path, PathBuf};

const ROOT_KEYS: &[&str] = &["project", "defaults", "services", "secrets"];

/// The largest manifest file ecsdeploy reads, in bytes. A manifest of 2,000 services is well under
/// 1 MiB; a larger file is not a manifest someone wrote, and reading it whole (a symbolic link to
/// a disk image, a log) would only cost memory.
pub const FILE_SIZE_LIMIT: u64 = 4 * 1024 * 1024;

/// The result of reading a manifest directory: the files, the manifest when `services.toml` was
/// usable, and every problem found so far (parse errors and manifest-level checks).
#[derive(Debug)]
pub struct Loaded {
    pub sources: SourceMap,
    pub manifest: Option<Manifest>,
    pub problems: Problems,
}

/// Reads, parses and checks the manifest in `directory`; fails only when `services.toml` is
/// missing or a file cannot be read at all. Files that are not regular files, are larger than
/// [`FILE_SIZE_LIMIT`] or are not UTF-8 are problems of the manifest, located at the file.
pub fn load(directory: &Path) -> Result<Loaded, ManifestError> {
    let services = read_file(&directory.join("services.toml"), "services.toml")?;
    let mut environments = Vec::new();
    for path in environment_paths(directory)? {
        let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        let display = format!("environments/{}", path.file_name().unwrap_or_default().to_string_lossy());
        let content = read_file(&path, &display)?;
        environments.push((name, display, content));
    }
    Ok(check_contents(services, environments))
}

/// [`load`] for manifests held in memory (tests, `init`): `environments` are `(name, text)` pairs.
pub fn load_from_texts(services: &str, environments: &[(&str, &str)]) -> Loaded {
    let environments: Vec<_> = environments.iter().map(|(name, text)| (*name, text.as_bytes())).collect();
    load_from_bytes(services.as_bytes(), &environments)
}

/// [`load`] for file contents held in memory, which need not be UTF-8: `environments` are
/// `(name, bytes)` pairs.
pub fn load_from_bytes(services: &[u8], environments: &[(&str, &[u8])]) -> Loaded {
    let environments = environments
        .iter()
        .map(|(name, bytes)| {
            (name.to_string(), format!("environments/{name}.toml"), FileContent::Bytes(bytes.to_vec()))
        })
        .collect();
    check_contents(FileContent::Bytes(services.to_vec()), environments)
}

/// What reading one manifest file gave.
enum FileContent {
    /// Its bytes, at most [`FILE_SIZE_LIMIT`] of them.
    Bytes(Vec<u8>),
    /// Why it was not read, and what to do: reported as a problem at the file.
    Refused { message: String, help: String },
}

/// One file of the manifest in the source map, and whether its text can be parsed.
#[derive(Clone, Copy)]
struct ManifestFile {
    id: FileId,
    is_text: bool,
}

/// Adds every file to the source map (reporting those that are not usable text), then parses and
/// checks what can be.
fn check_contents(services: FileContent, environments: Vec<(String, String, FileContent)>) -> Loaded {
    let mut sources = SourceMap::default();
    let problems = Problems::default();
    let services_file = add_file(&mut sources, &problems, "services.toml", services);
    let environment_files: Vec<(String, ManifestFile)> = environments
        .into_iter()
        .map(|(name, display, content)| {
            let file = add_file(&mut sources, &problems, &display, content);
            (name, file)
        })
        .collect();
    let manifest = parse(&sources, services_file, &environment_files, &problems);
    if let Some(manifest) = &manifest {
        validate(manifest, &problems);
    }
    Loaded { sources, manifest, problems }
}

/// Adds one file's text to `sources`; a refused file, or one that is not UTF-8, is reported and
/// comes back as not text.
fn add_file(sources: &mut SourceMap, problems: &Problems, name: &str, content: FileContent) -> ManifestFile {
    match content {
        FileContent::Refused { message, help } => {
            let id = sources.add(name, String::new());
            problems.push(Problem::error(Span::new(id, 0..0), message).with_help(help));
            ManifestFile { id, is_text: false }
        }
        FileContent::Bytes(bytes) => match String::from_utf8(bytes) {
            Ok(text) => ManifestFile { id: sources.add(name, text), is_text: true },
            Err(error) => {
                let offset = error.utf8_error().valid_up_to();
                let byte = error.as_bytes().get(offset).copied().unwrap_or_default();
                // The text up to the bad byte is kept as it is, so positions there are the file's.
                let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
                let id = sources.add(name, text);
                let span = Span::new(id, offset..offset + char::REPLACEMENT_CHARACTER.len_utf8());
                problems.push(
                    Problem::error(span, format!("invalid UTF-8: byte 0x{byte:02x} here is not part of a character"))
                        .with_help("TOML files are UTF-8 text: save the file as UTF-8, or remove the byte"),
                );
                ManifestFile { id, is_text: false }
            }
        },
    }
}

/// Reads one manifest file: only a regular file (a symbolic link to one is fine), and at most
/// [`FILE_SIZE_LIMIT`] bytes of it. A named pipe or a device would never end (`/dev/zero`) or
/// block until someone writes to it.
fn read_file(path: &Path, name: &str) -> Result<FileContent, ManifestError> {
    let unreadable = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => ManifestError::NotFound { path: path.to_path_buf() },
        _ => ManifestError::Unreadable { path: path.to_path_buf(), source },
    };
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if let Some(refused) = refuse(name, &metadata) {
        return Ok(refused);
    }
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // The path may have been replaced since it was looked at: check what was opened, too.
    if let Some(refused) = refuse(name, &file.metadata().map_err(unreadable)?) {
        return Ok(refused);
    }
    let mut bytes = Vec::new();
    file.take(FILE_SIZE_LIMIT + 1).read_to_end(&mut bytes).map_err(unreadable)?;
    if bytes.len() as u64 > FILE_SIZE_LIMIT {
        return Ok(too_large(name, None));
    }
    Ok(FileContent::Bytes(bytes))
}

/// Why a file with this metadata is not read, if it is not.
fn refuse(name: &str, metadata: &std::fs::Metadata) -> Option<FileContent> {
    if !metadata.is_file() {
        return Some(FileContent::Refused {
            message: format!("{name} is {}, not a regular file", file_kind(metadata)),
            help: "ecsdeploy reads manifest files only from regular files (a symbolic link to one is fine): put the file itself here".to_string(),
        });
    }
    (metadata.len() > FILE_SIZE_LIMIT).then(|| too_large(name, Some(metadata.len())))
}

/// The refusal of a file over [`FILE_SIZE_LIMIT`], of `size` bytes when known (a file that grew
/// while it was read is only known to be larger).
fn too_large(name: &str, size: Option<u64>) -> FileContent {
    let size = size.map(|size| format!(" {size} bytes,")).unwrap_or_default();
    FileContent::Refused {
        message: format!(
            "{name} is{size} larger than the {} MiB ecsdeploy reads of a manifest file",
            FILE_SIZE_LIMIT >> 20
        ),
        help: "check that this is the manifest file you meant: a manifest of 2,000 services is under 1 MiB".to_string(),
    }
}

fn file_kind(metadata: &std::fs::Metadata) -> &'static str {
    let kind = metadata.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() { "a directory" } else { "not a file" }
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

/// Builds the typed manifest; `None` when `services.toml` cannot be parsed (not text, a TOML
/// syntax error) or is not a TOML table at all.
///
/// A file with a syntax error is not read further: its first syntax error is the one problem it
/// reports, as what the parser makes of the rest of it (and the checks of that) would mostly be
/// consequences of that error. The other files are still checked.
fn parse(
    sources: &SourceMap,
    services_file: ManifestFile,
    environment_files: &[(String, ManifestFile)],
    problems: &Problems,
) -> Option<Manifest> {
    let document = |file: ManifestFile| -> Option<Node> {
        let text = sources.file(file.id)?.text.clone();
        if file.is_text { parse_document(file.id, &text, problems) } else { None }
    };
    let Some(root) = document(services_file) else {
        // Still report what is wrong with the text of every environment file.
        for (_, file) in environment_files {
            document(*file);
        }
        return None;
    };
    let services_file = services_file.id;
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
        let Some(node) = document(*file) else { continue };
        if let Some(environment) = read_environment(name, file.id, &node, &project, &sources_of_services, problems) {
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
