//! The house rules that keep the data flowing one way, checked on the source itself:
//! the pure core (`manifest`, `desired`) imports no AWS SDK and no async runtime; only `output/`
//! and `main.rs` print; no `unwrap`/`expect` outside tests; no import cycle between the crate's
//! top-level modules, and only the session (`run`) and the commands reach the AWS implementation.

use std::path::{Path, PathBuf};

fn rust_files(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The file's code without its `#[cfg(test)]` items (a test module, to its closing brace; the
/// code after it counts again) and without comment lines.
fn production_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = Vec::new();
    let mut skipping = false;
    let mut depth = 0i64;
    let mut opened = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if !skipping && trimmed.starts_with("#[cfg(test)]") {
            (skipping, depth, opened) = (true, 0, false);
            continue;
        }
        if skipping {
            let code = line.split("//").next().unwrap_or_default();
            depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
            opened |= code.contains('{');
            // A one-line item (`#[cfg(test)] mod test_support;`) ends at its semicolon.
            if (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')) {
                skipping = false;
            }
            continue;
        }
        if !trimmed.starts_with("//") {
            lines.push((index + 1, line.to_string()));
        }
    }
    lines
}

fn source() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn violations(files: &[PathBuf], forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        for (number, line) in production_lines(file) {
            for pattern in forbidden {
                if line.contains(pattern) {
                    found.push(format!("{}:{number}: {pattern}", file.display()));
                }
            }
        }
    }
    found
}

#[test]
fn the_pure_core_uses_no_aws_sdk_and_no_async_runtime() {
    let mut files = rust_files(&source().join("manifest"));
    files.extend(rust_files(&source().join("desired")));
    assert!(files.len() > 10);
    let found =
        violations(&files, &["aws_sdk", "aws_config", "aws_smithy", "tokio", "async fn", ".await", "crate::cloud"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn only_output_and_main_print() {
    let files: Vec<_> = rust_files(&source())
        .into_iter()
        .filter(|path| !path.starts_with(source().join("output")) && !path.ends_with("main.rs"))
        .collect();
    let found = violations(&files, &["println!", "eprintln!", "print!(", "eprint!(", "process::exit", "dbg!("]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn no_unwrap_or_expect_outside_tests() {
    // test_support.rs is compiled for tests only (`#[cfg(test)] mod test_support`).
    let files: Vec<_> = rust_files(&source()).into_iter().filter(|path| !path.ends_with("test_support.rs")).collect();
    let found = violations(&files, &[".unwrap()", ".expect("]);
    assert!(found.is_empty(), "{found:#?}");
}

/// The node of the module graph a file belongs to: its top-level module, except that the AWS
/// implementation (`cloud/aws`) is a node of its own above the domain modules whose traits it
/// implements.
fn node_of(file: &Path) -> String {
    let relative = file.strip_prefix(source()).unwrap();
    let parts: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    if parts.len() > 2 && parts[0] == "cloud" && parts[1] == "aws" {
        return "cloud/aws".into();
    }
    parts[0].trim_end_matches(".rs").to_string()
}

/// The module path of a file (`src/cloud/aws/ecs.rs` is `cloud::aws::ecs`, a `mod.rs` its folder).
fn module_path(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(source()).unwrap();
    let mut parts: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    if last != "mod.rs" && last != "lib.rs" && last != "main.rs" {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    parts
}

/// The top-level modules a line names: `crate::x`, `crate::{x, y::z}`, and `super::` chains that
/// climb out of the file's own top-level module.
fn named_modules(line: &str, file: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for (start, _) in line.match_indices("crate::") {
        let rest = &line[start + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group.split('}').next().unwrap_or_default().split(',').map(|name| name.trim()).collect(),
            None => vec![rest],
        };
        for name in names {
            let path: String = name.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            let mut segments = path.split("::").filter(|segment| !segment.is_empty());
            match (segments.next(), segments.next()) {
                (Some("cloud"), Some("aws")) => found.push("cloud/aws".to_string()),
                (Some(first), _) => found.push(first.to_string()),
                _ => {}
            }
        }
    }
    for (start, _) in line.match_indices("super::") {
        if line[..start].ends_with("super::") {
            continue;
        }
        let chain = &line[start..];
        let climbs =
            chain.matches("super::").count().min(chain.split("super::").take_while(|part| part.is_empty()).count());
        let own = module_path(file);
        if climbs >= own.len() {
            let target: String =
                chain.trim_start_matches("super::").chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            found.push(target);
        }
    }
    found
}

/// Every edge `from -> to` between nodes in production code, with one place that makes it.
fn module_edges() -> std::collections::BTreeMap<(String, String), String> {
    let top_level: std::collections::BTreeSet<String> = std::fs::read_dir(source())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().trim_end_matches(".rs").to_string())
        .chain(["cloud/aws".to_string()])
        .collect();
    let mut edges = std::collections::BTreeMap::new();
    for file in rust_files(&source()) {
        let from = node_of(&file);
        for (number, line) in production_lines(&file) {
            for to in named_modules(&line, &file) {
                if to != from && top_level.contains(&to) {
                    edges.entry((from.clone(), to)).or_insert_with(|| format!("{}:{number}", file.display()));
                }
            }
        }
    }
    edges
}

#[test]
fn the_top_level_modules_import_one_way() {
    let edges = module_edges();
    assert!(edges.len() > 40, "the graph was read: {edges:#?}");
    let nodes: std::collections::BTreeSet<&String> = edges.keys().flat_map(|(from, to)| [from, to]).collect();
    // A cycle shows as an edge whose target reaches its source.
    let reaches = |from: &str, to: &str| {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(node) = stack.pop() {
            if node == to {
                return true;
            }
            if seen.insert(node.clone()) {
                stack.extend(edges.keys().filter(|(edge_from, _)| *edge_from == node).map(|(_, next)| next.clone()));
            }
        }
        false
    };
    let cycles: Vec<String> = edges
        .iter()
        .filter(|((from, to), _)| reaches(to, from))
        .map(|((from, to), place)| format!("{from} -> {to} ({place})"))
        .collect();
    assert!(cycles.is_empty(), "import cycles between top-level modules ({} nodes): {cycles:#?}", nodes.len());
}

#[test]
fn only_the_session_and_the_commands_reach_the_aws_implementation() {
    let edges = module_edges();
    let found: Vec<String> = edges
        .iter()
        .filter(|((from, to), _)| to == "cloud/aws" && !["run", "commands", "main"].contains(&from.as_str()))
        .map(|((from, _), place)| format!("{from} ({place})"))
        .collect();
    assert!(found.is_empty(), "domain modules declare traits; cloud/aws implements them: {found:#?}");
    let aws_reaches_up: Vec<String> = edges
        .iter()
        .filter(|((from, to), _)| {
            from == "cloud/aws" && ["run", "commands", "output", "cli", "main"].contains(&to.as_str())
        })
        .map(|((_, to), place)| format!("{to} ({place})"))
        .collect();
    assert!(aws_reaches_up.is_empty(), "{aws_reaches_up:#?}");
}
