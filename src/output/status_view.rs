//! `ecsdeploy status` as text: a block per service.

use super::history_view;
use crate::history::DeployRecord;
use serde::Serialize;

/// One service as `status` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceStatus {
    pub service: String,
    pub ecs_service: String,
    /// Whether the ECS service exists.
    pub deployed: bool,
    pub running: i64,
    pub desired: i64,
    pub task_definition: Option<String>,
    pub images: Vec<String>,
    /// The PRIMARY deployment's rollout state (`COMPLETED`, `IN_PROGRESS`, `FAILED`).
    pub rollout_state: Option<String>,
    pub deployments: usize,
    pub targets: TargetCounts,
    pub last_deploy: Option<DeployRecord>,
    /// When the last deploy is still in progress but no live run holds the lock it was written
    /// under: its run stopped, and nobody verified the rollout (the next `up` settles it).
    pub unverified: Option<String>,
    /// What the next `up` would change for this service (`task-definition update`, ...).
    pub drift: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TargetCounts {
    pub healthy: usize,
    pub total: usize,
    /// Each target that is not healthy: `10.0.10.7:8080 unhealthy (Target.FailedHealthChecks)`.
    pub not_healthy: Vec<String>,
}

pub fn text(
    environment: &str,
    services: &[ServiceStatus],
    shared_drift: &[String],
    plan_error: Option<&str>,
) -> String {
    let mut text = String::new();
    for status in services {
        text.push_str(&format!("{} ({})\n", status.service, status.ecs_service));
        if !status.deployed {
            text.push_str("  not deployed\n");
        } else {
            let revision = status.task_definition.as_deref().map(history_view::revision).unwrap_or("-");
            let rollout = status.rollout_state.as_deref().unwrap_or("-");
            let deployments =
                if status.deployments > 1 { format!(" ({} deployments)", status.deployments) } else { String::new() };
            text.push_str(&format!("  tasks        {} running / {} desired\n", status.running, status.desired));
            text.push_str(&format!("  revision     {revision}\n"));
            for image in &status.images {
                text.push_str(&format!("  image        {image}\n"));
            }
            text.push_str(&format!("  rollout      {rollout}{deployments}\n"));
            text.push_str(&format!("  targets      {} healthy of {}\n", status.targets.healthy, status.targets.total));
            for target in &status.targets.not_healthy {
                text.push_str(&format!("               {target}\n"));
            }
        }
        match &status.last_deploy {
            Some(record) => text.push_str(&format!(
                "  last deploy  {} {} {} of {} at {} by {}\n",
                record.id,
                history_view::kind(record.kind),
                history_view::outcome(record.outcome),
                history_view::revision(&record.task_definition),
                record.started_at,
                record.operator
            )),
            None => text.push_str("  last deploy  none recorded\n"),
        }
        if let Some(unverified) = &status.unverified {
            text.push_str(&format!("  UNVERIFIED   {unverified}\n"));
        }
        if status.drift.is_empty() {
            text.push_str("  drift        none\n");
        } else {
            text.push_str(&format!("  drift        {}\n", status.drift.join(", ")));
        }
        text.push('\n');
    }
    if let Some(error) = plan_error {
        text.push_str(&format!("drift unknown: {error}\n"));
    } else if !shared_drift.is_empty() {
        text.push_str(&format!("shared drift: {}\n", shared_drift.join(", ")));
    }
    let drifted = services.iter().any(|status| !status.drift.is_empty()) || !shared_drift.is_empty();
    if drifted {
        text.push_str(&format!("Run `ecsdeploy plan --env {environment}` for the details; `up` would converge it."));
    }
    text.trim_end().to_string()
}

/// Version of the JSON shape of `status --output json`.
pub const STATUS_SCHEMA_VERSION: u32 = 1;

/// `status --output json`.
#[derive(Debug, Serialize)]
pub struct StatusDocument<'a> {
    pub schema_version: u32,
    pub environment: &'a str,
    pub services: &'a [ServiceStatus],
    pub shared_drift: &'a [String],
    pub plan_error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<serde_json::Value>,
}
