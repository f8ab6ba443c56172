//! The gate's pure conditions: given what was seen so far, is the rollout still going, passed,
//! or failed? No clock and no I/O: the elapsed time comes in as a value, which is what lets
//! the tests run every path with paused time.
//!
//! A rollout passes when, in this order:
//! 1. the deployment this run started (by ID) is COMPLETED with running == desired,
//! 2. every target in the service's target group that is not draining is healthy, and at least
//!    as many as the desired count,
//! 3. the service's own HTTP check answers an expected status `healthy_threshold` times in a row.
//!
//! It fails when the deployment is FAILED, when ECS rolled it back (another deployment became
//! PRIMARY with another task definition: ECS's circuit breaker, never a success), when targets
//! stay unhealthy past the grace period, when the HTTP check fails `unhealthy_threshold` times in
//! a row, or at the deadline.

use super::observation::{HttpResult, Observation};
use serde::Serialize;
use std::time::Duration;

/// What the gate waits for, from the manifest and flags.
#[derive(Debug, Clone, PartialEq)]
pub struct GateSettings {
    pub deployment_id: String,
    pub task_definition: String,
    /// What the service ran before: where ECS's circuit breaker rolls back to. Another
    /// deployment of any other revision taking over is someone else's (superseded).
    pub previous_task_definition: Option<String>,
    pub deadline: Duration,
    /// How long targets may be unhealthy once the deployment completed.
    pub grace_period: Duration,
    /// The HTTP check's URL, if there is one (reported when the check fails).
    pub http_url: Option<String>,
    /// HTTP statuses that count as healthy (`200-299`, `200,204`).
    pub matcher: String,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

/// Which stage a rollout is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Deploying,
    Targets,
    HttpCheck,
}

/// Why a rollout failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Failure {
    /// ECS marked the deployment FAILED.
    DeploymentFailed { reason: String },
    /// ECS rolled the deployment back to another task definition (its circuit breaker).
    RolledBackByEcs { task_definition: String },
    /// Targets stayed unhealthy past the grace period.
    TargetsUnhealthy { unhealthy: Vec<String> },
    /// The service's HTTP check kept failing.
    HttpCheckFailing { url: String, last: String },
    /// The deadline passed.
    Deadline { stage: Stage },
    /// The operator interrupted the wait.
    Interrupted,
    /// AWS errors kept ecsdeploy from following the rollout.
    Unobserved { error: String },
    /// Another deployment (another run, another tool) replaced this one: not ours to judge or
    /// to roll back.
    Superseded { deployment: String, task_definition: String },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::DeploymentFailed { reason } => write!(f, "the ECS deployment failed: {reason}"),
            Failure::RolledBackByEcs { task_definition } => {
                write!(f, "ECS rolled the deployment back (circuit breaker) to {task_definition}")
            }
            Failure::TargetsUnhealthy { unhealthy } => {
                write!(f, "targets stayed unhealthy past the grace period: {}", unhealthy.join(", "))
            }
            Failure::HttpCheckFailing { url, last } => {
                write!(f, "the service's HTTP check kept failing (GET {url}, last: {last})")
            }
            Failure::Deadline { stage } => write!(
                f,
                "the deadline passed while {}",
                match stage {
                    Stage::Deploying => "ECS was still deploying",
                    Stage::Targets => "waiting for healthy targets",
                    Stage::HttpCheck => "waiting for the HTTP check to pass",
                }
            ),
            Failure::Interrupted => f.write_str("interrupted"),
            Failure::Unobserved { error } => write!(f, "could not follow the rollout: {error}"),
            Failure::Superseded { deployment, task_definition } => write!(
                f,
                "another deployment ({deployment}, {task_definition}) replaced this one; not rolling back over it"
            ),
        }
    }
}

/// The gate's answer after one observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Waiting(Stage),
    Passed,
    Failed(Failure),
}

/// What the gate remembers between observations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateState {
    /// Whether the deployment was seen at all (DescribeServices may lag behind UpdateService).
    pub seen: bool,
    /// When the deployment was first seen completed (targets get the grace period from then).
    pub completed_at: Option<Duration>,
    pub http_successes: u32,
    pub http_failures: u32,
    /// When each target (`ip:port`) was first seen after the deployment completed.
    pub targets_first_seen: std::collections::BTreeMap<String, Duration>,
}

/// Judges one observation made `elapsed` after the rollout started.
pub fn evaluate(
    settings: &GateSettings,
    state: &mut GateState,
    observation: &Observation,
    elapsed: Duration,
) -> Verdict {
    let verdict = judge(settings, state, observation, elapsed);
    match verdict {
        Verdict::Waiting(stage) if elapsed >= settings.deadline => Verdict::Failed(Failure::Deadline { stage }),
        other => other,
    }
}

fn judge(settings: &GateSettings, state: &mut GateState, observation: &Observation, elapsed: Duration) -> Verdict {
    let service = &observation.service;
    let ours = service.deployment(&settings.deployment_id);
    state.seen |= ours.is_some();
    if let Some(deployment) = ours
        && deployment.rollout_state == "FAILED"
    {
        return Verdict::Failed(Failure::DeploymentFailed { reason: deployment.rollout_state_reason.clone() });
    }
    let taken_over = service
        .primary()
        .filter(|primary| primary.id != settings.deployment_id && primary.task_definition != settings.task_definition);
    if let Some(primary) = taken_over {
        return taken_over_by(settings, &primary.id, &primary.task_definition);
    }
    let Some(deployment) = ours else {
        if !state.seen {
            // Not visible yet: wait (the deadline bounds it).
            return Verdict::Waiting(Stage::Deploying);
        }
        return taken_over_by(settings, "", &service.task_definition);
    };
    match deployment.rollout_state.as_str() {
        "FAILED" => {
            return Verdict::Failed(Failure::DeploymentFailed { reason: deployment.rollout_state_reason.clone() });
        }
        "COMPLETED" if deployment.running_count >= deployment.desired_count => {}
        _ => return Verdict::Waiting(Stage::Deploying),
    }
    let completed_at = *state.completed_at.get_or_insert(elapsed);
    let serving: Vec<_> = observation.targets.iter().filter(|target| target.state != "draining").collect();
    // Each target gets the grace period from when the gate first saw it (a task started later,
    // say by a scale-out, is not judged on the first one's clock).
    for target in &serving {
        state.targets_first_seen.entry(format!("{}:{}", target.id, target.port)).or_insert(elapsed);
    }
    let unhealthy: Vec<_> = serving.iter().filter(|target| target.state != "healthy").collect();
    let too_few = (serving.len() as i64) < deployment.desired_count;
    if !unhealthy.is_empty() || too_few {
        // Successes of the HTTP check count only in a row with healthy targets.
        state.http_successes = 0;
        state.http_failures = 0;
        let overdue = |since: Duration| elapsed.saturating_sub(since) > settings.grace_period;
        let overdue_targets: Vec<String> = unhealthy
            .iter()
            .filter(|target| {
                let key = format!("{}:{}", target.id, target.port);
                overdue(state.targets_first_seen.get(&key).copied().unwrap_or(completed_at))
            })
            .map(|target| format!("{}:{} {} ({})", target.id, target.port, target.state, target.reason))
            .collect();
        if !overdue_targets.is_empty() || (too_few && overdue(completed_at)) {
            return Verdict::Failed(Failure::TargetsUnhealthy { unhealthy: overdue_targets });
        }
        return Verdict::Waiting(Stage::Targets);
    }
    http_stage(settings, state, observation.http.as_ref())
}

/// Another deployment replaced ours: ECS's circuit breaker when it went back to what ran
/// before (never a success), someone else otherwise.
fn taken_over_by(settings: &GateSettings, deployment: &str, task_definition: &str) -> Verdict {
    if settings.previous_task_definition.as_deref() == Some(task_definition) {
        Verdict::Failed(Failure::RolledBackByEcs { task_definition: task_definition.to_string() })
    } else {
        Verdict::Failed(Failure::Superseded {
            deployment: deployment.to_string(),
            task_definition: task_definition.to_string(),
        })
    }
}

fn http_stage(settings: &GateSettings, state: &mut GateState, http: Option<&HttpResult>) -> Verdict {
    let Some(url) = &settings.http_url else {
        return Verdict::Passed;
    };
    match http {
        Some(HttpResult::Status(status)) if status_matches(&settings.matcher, *status) => {
            state.http_successes += 1;
            state.http_failures = 0;
        }
        Some(result) => {
            state.http_successes = 0;
            state.http_failures += 1;
            if state.http_failures >= settings.unhealthy_threshold {
                let last = match result {
                    HttpResult::Status(status) => format!("HTTP {status}"),
                    HttpResult::Unreachable(reason) => reason.clone(),
                };
                return Verdict::Failed(Failure::HttpCheckFailing { url: url.clone(), last });
            }
        }
        None => {}
    }
    if state.http_successes >= settings.healthy_threshold {
        Verdict::Passed
    } else {
        Verdict::Waiting(Stage::HttpCheck)
    }
}

/// Whether `status` is in an ALB-style matcher (`200`, `200,204`, `200-299`).
pub fn status_matches(matcher: &str, status: u16) -> bool {
    matcher.split(',').any(|part| match part.trim().split_once('-') {
        Some((low, high)) => {
            matches!((low.trim().parse::<u16>(), high.trim().parse::<u16>()), (Ok(low), Ok(high)) if (low..=high).contains(&status))
        }
        None => part.trim().parse::<u16>() == Ok(status),
    })
}
