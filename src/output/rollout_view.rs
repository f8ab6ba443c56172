//! Rollouts as they run: one progress line per poll and ECS's new events on stderr (or one JSON
//! object per line with `--output json`), and one result line per service.

use super::Printer;
use super::history_view::revision;
use crate::rollout::Stage;
use crate::rollout::runner::{RolloutEvent, ServiceOutcome};

/// Version of the JSON shape of the progress events on stderr.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

pub fn show_event(printer: &Printer, event: &RolloutEvent) {
    if printer.is_json() {
        // Each line is a document of its own: it carries its version like the stdout ones.
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(event) {
            let mut line = serde_json::Map::new();
            line.insert("schema_version".into(), EVENT_SCHEMA_VERSION.into());
            line.extend(fields);
            printer.json_line_stderr(&serde_json::Value::Object(line));
        }
        return;
    }
    match event {
        RolloutEvent::Progress { service, rollback, progress } => {
            for event in &progress.new_events {
                printer.info(&format!("{service}: {}", event.message));
            }
            let stage = match progress.stage {
                Some(Stage::Deploying) => "deploying",
                Some(Stage::Targets) => "waiting for healthy targets",
                Some(Stage::HttpCheck) => "HTTP check",
                None => "done",
            };
            let what = if *rollback { "rollback" } else { "rollout" };
            printer.info(&format!(
                "{service}: {what} {stage}: {}/{} running, {}/{} targets healthy ({:.0}s)",
                progress.running,
                progress.desired,
                progress.healthy_targets,
                progress.targets,
                progress.elapsed_seconds
            ));
        }
        RolloutEvent::Failed { service, failure } => printer.warning(&format!("{service}: rollout failed: {failure}")),
        RolloutEvent::RollingBack { service, to } => {
            printer.info(&format!("{service}: rolling back to {}", revision(to)))
        }
        RolloutEvent::Finished { service, outcome } => printer.data(&outcome_line(service, outcome)),
    }
}

pub fn outcome_line(service: &str, outcome: &ServiceOutcome) -> String {
    match outcome {
        ServiceOutcome::Passed { task_definition } => format!("{service}: healthy on {}", revision(task_definition)),
        ServiceOutcome::RolledBack { failure, to } => format!("{service}: ROLLED BACK to {} ({failure})", revision(to)),
        ServiceOutcome::RollbackFailed { failure, reason } => {
            format!(
                "{service}: FAILED AND NOT ROLLED BACK: {failure}; {reason}. A person is needed: see `ecsdeploy status` and `ecsdeploy history`, then `ecsdeploy rollback --to <id>` or fix and deploy again"
            )
        }
        ServiceOutcome::Failed { failure } => format!("{service}: FAILED, left as it is (--no-rollback): {failure}"),
    }
}

/// One service's result in the `up` and `rollback` documents.
#[derive(Debug, serde::Serialize)]
pub struct ServiceResult<'a> {
    pub service: &'a str,
    pub outcome: &'a ServiceOutcome,
}

/// Each service's result, in order.
pub fn results(outcomes: &[(String, ServiceOutcome)]) -> Vec<ServiceResult<'_>> {
    outcomes.iter().map(|(service, outcome)| ServiceResult { service, outcome }).collect()
}

/// `rollback --output json`.
#[derive(Debug, serde::Serialize)]
pub struct RollbackDocument<'a> {
    pub schema_version: u32,
    pub environment: &'a str,
    pub rollbacks: Vec<ServiceResult<'a>>,
    pub unchanged: &'a [String],
    pub ok: bool,
}
