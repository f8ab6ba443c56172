//! `ecsdeploy history` as a table: one line per deploy, newest first.

use crate::history::{DeployRecord, Outcome, RecordKind};

pub fn text(records: &[DeployRecord]) -> String {
    if records.is_empty() {
        return "No deploys recorded yet.".into();
    }
    let rows: Vec<[String; 7]> = records
        .iter()
        .map(|record| {
            [
                record.id.clone(),
                record.service.clone(),
                kind(record.kind).into(),
                outcome(record.outcome).into(),
                revision(&record.task_definition).into(),
                record.git_commit.as_deref().map(short_commit).unwrap_or_else(|| "-".into()),
                format!("{} by {}", record.started_at, record.operator),
            ]
        })
        .collect();
    let header = ["ID", "SERVICE", "KIND", "OUTCOME", "REVISION", "COMMIT", "STARTED"].map(String::from);
    let mut widths = [0usize; 7];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row.iter().zip(widths).map(|(cell, width)| format!("{cell:width$}")).collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    for record in records.iter().filter(|record| record.reason.is_some()) {
        text.push_str(&format!(
            "\n{} ({}): {}",
            record.id,
            record.service,
            record.reason.as_deref().unwrap_or_default()
        ));
    }
    text.trim_end().to_string()
}

/// The first 12 characters of a commit, keeping the `-dirty` mark.
pub fn short_commit(commit: &str) -> String {
    let (hash, dirty) = commit.strip_suffix("-dirty").map_or((commit, ""), |hash| (hash, "-dirty"));
    format!("{}{dirty}", hash.get(..12).unwrap_or(hash))
}

/// `stage-auth:3` from a task definition ARN.
pub fn revision(task_definition: &str) -> &str {
    task_definition.rsplit('/').next().unwrap_or(task_definition)
}

pub fn kind(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Deploy => "deploy",
        RecordKind::Rollback => "rollback",
        RecordKind::Baseline => "baseline",
    }
}

pub fn outcome(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::InProgress => "in-progress",
        Outcome::Succeeded => "succeeded",
        Outcome::RolledBack => "rolled-back",
        Outcome::RollbackFailed => "rollback-failed",
        Outcome::Failed => "failed",
        Outcome::Abandoned => "abandoned",
    }
}

/// `history --output json`.
#[derive(Debug, serde::Serialize)]
pub struct HistoryDocument<'a> {
    pub schema_version: u32,
    pub environment: &'a str,
    pub table: &'a str,
    pub records: &'a [crate::history::DeployRecord],
}

impl<'a> HistoryDocument<'a> {
    pub fn new(environment: &'a str, table: &'a str, records: &'a [crate::history::DeployRecord]) -> Self {
        HistoryDocument { schema_version: crate::history::HISTORY_SCHEMA_VERSION, environment, table, records }
    }
}
