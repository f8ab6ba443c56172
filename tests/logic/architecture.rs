//! The house rules that keep the data flowing one way, checked on the source itself:
//! the pure core (`manifest`, `desired`) imports no AWS SDK and no async runtime; only `output/`
//! and `main.rs` print; no `unwrap`/`expect` outside tests.

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

/// The file's code before its `#[cfg(test)]` module, without comment lines.
fn production_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .take_while(|(_, line)| !line.trim_start().starts_with("#[cfg(test)]"))
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(index, line)| (index + 1, line.to_string()))
        .collect()
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
