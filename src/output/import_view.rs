//! `import` as text and JSON: the entry it writes (per file), the resources it tags, and the
//! plan that follows.

use crate::import::{Adoption, ImportedEntry};
use crate::plan::ResourceChange;
use serde_json::json;

/// Version of the JSON shape of `import --output json`.
pub const IMPORT_SCHEMA_VERSION: u32 = 1;

/// What an import found and would do.
pub struct Report<'a> {
    pub environment: &'a str,
    /// The ECS service's name.
    pub service: &'a str,
    pub entry: &'a ImportedEntry,
    /// `(file, text appended)`.
    pub files: Vec<(String, String)>,
    pub adoptions: &'a [Adoption],
    /// The plan that would follow, for the imported service's resources.
    pub differences: &'a [ResourceChange],
}

pub fn preview_text(report: &Report<'_>) -> String {
    let mut out = format!(
        "Importing ECS service {} into environment {} as service `{}`.\n",
        report.service, report.environment, report.entry.name
    );
    for (file, text) in &report.files {
        out.push_str(&format!("\n--- appended to {file} ---\n{text}"));
    }
    out.push_str("\nResources tagged as the environment's (existing tags stay):\n");
    for adoption in report.adoptions {
        out.push_str(&format!("  {} {}\n", adoption.kind.noun(), adoption.arn));
    }
    for policy in &report.entry.policies_left_alone {
        out.push_str(&format!("Scaling policy {policy} is not target tracking on CPU or requests: left as it is.\n"));
    }
    if report.differences.is_empty() {
        out.push_str("\nThe next plan for this service: no changes. The entry reproduces it.\n");
    } else {
        out.push_str("\nThe entry does not reproduce it exactly; the next `up` would make these changes:\n");
        out.push_str(&changes_text(report.differences));
    }
    out
}

pub fn adopted_line(adoption: &Adoption) -> String {
    format!("tagged {} {}", adoption.kind.noun(), adoption.arn)
}

/// Undoing a failed import did not fully work: what a person must clean up.
pub fn undo_failed_text(untagged: &[String], restore: Option<&crate::commands::CommandError>) -> String {
    let mut out = String::from("the import failed and could not be fully undone:");
    for error in untagged {
        out.push_str(&format!("\n  tags ecsdeploy added stay: {error}"));
    }
    if let Some(error) = restore {
        out.push_str(&format!("\n  the manifest files keep the entry: {error}"));
    }
    out.push_str(
        "\n  remove the ecsdeploy:* tags from those resources and the entry from the manifest before any `up`",
    );
    out
}

pub fn done_text(report: &Report<'_>, remaining: &[ResourceChange]) -> String {
    let files: Vec<&str> = report.files.iter().map(|(file, _)| file.as_str()).collect();
    let mut out = format!("\nImported {} as `{}`: wrote {}.\n", report.service, report.entry.name, files.join(" and "));
    if remaining.is_empty() {
        out.push_str(&format!(
            "`ecsdeploy plan --env {}`: no changes for `{}`.\n",
            report.environment, report.entry.name
        ));
    } else {
        out.push_str(&format!(
            "`ecsdeploy plan --env {}` shows {} change(s) for `{}`:\n",
            report.environment,
            remaining.len(),
            report.entry.name
        ));
        out.push_str(&changes_text(remaining));
    }
    out
}

fn changes_text(changes: &[ResourceChange]) -> String {
    let mut out = String::new();
    for change in changes {
        let reason = change.reason.as_deref().map(|reason| format!(" ({reason})")).unwrap_or_default();
        out.push_str(&format!("  {} {}{reason}\n", change.action.symbol(), change.address));
        for field in &change.fields {
            let show =
                |value: &Option<serde_json::Value>| value.as_ref().map_or("(none)".to_string(), |v| v.to_string());
            out.push_str(&format!("      {}: {} -> {}\n", field.path, show(&field.before), show(&field.after)));
        }
    }
    out
}

/// `{"schema_version", "environment", "ecs_service", "service", "files", "adopted",
/// "differences", "written", "remaining"}`.
pub fn json(report: &Report<'_>, written: bool, remaining: Option<&[ResourceChange]>) -> serde_json::Value {
    json!({
        "schema_version": IMPORT_SCHEMA_VERSION,
        "environment": report.environment,
        "ecs_service": report.service,
        "service": report.entry.name,
        "files": report.files.iter().map(|(file, text)| json!({"file": file, "appended": text})).collect::<Vec<_>>(),
        "adopted": report.adoptions.iter().map(|a| json!({"kind": a.kind.noun(), "arn": a.arn})).collect::<Vec<_>>(),
        "differences": report.differences,
        "written": written,
        "remaining": remaining,
    })
}
