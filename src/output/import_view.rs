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

/// Plain variables whose names suggest a credential (their values are now in the manifest).
pub fn secret_looking_variables(entry: &ImportedEntry) -> Vec<String> {
    const HINTS: [&str; 6] = ["PASSWORD", "SECRET", "TOKEN", "API_KEY", "PRIVATE", "CREDENTIAL"];
    let header = format!("services.{}.env", entry.name);
    entry
        .service_sections
        .iter()
        .filter(|section| section.header == header)
        .flat_map(|section| section.keys())
        .filter(|name| HINTS.iter().any(|hint| name.to_ascii_uppercase().contains(hint)))
        .collect()
}

pub fn secret_variable_text(variable: &str, service: &str) -> String {
    format!(
        "environment variable {variable} looks like a credential, and its value is now in services.toml: \
         store it with `ecsdeploy secrets set` and move it to [services.{service}.secrets]"
    )
}

pub fn adopted_line(adoption: &Adoption) -> String {
    format!("tagged {} {}", adoption.kind.noun(), adoption.arn)
}

/// Undoing a failed import did not fully work: what a person must clean up.
pub fn undo_failed_text(untagged: &[String], restore: Option<&dyn std::fmt::Display>) -> String {
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
    out.push_str(&format!(
        "Commit these files and merge them before anyone deploys {} from another checkout: an `up` from a \
         manifest without `{}` deletes the service, as it would any service the manifest drops. If \
         Terraform, ecspresso or CloudFormation managed it, remove it from their state.\n",
        report.environment, report.entry.name
    ));
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
        out.push_str(&format!("  {} {}{reason}\n", change.action().symbol(), change.address));
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
