//! The one poll loop every gate uses: observe, judge with the pure conditions, report progress,
//! sleep, until a verdict, the deadline, or an interrupt. Time comes from tokio, so tests run
//! it with paused time.

use super::gate::{Failure, GateSettings, GateState, Stage, Verdict, evaluate};
use super::observation::{Observation, ServiceEvent};
use crate::cloud::CloudError;
use serde::Serialize;
use std::future::Future;
use std::time::Duration;

/// How many failed observations in a row end the wait with the error.
pub const OBSERVE_ERRORS_TOLERATED: u32 = 3;

/// What a waiting rollout looks like, for the progress display.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub stage: Option<Stage>,
    pub running: i64,
    pub desired: i64,
    pub healthy_targets: usize,
    pub targets: usize,
    /// Events ECS reported since the previous poll, oldest first.
    pub new_events: Vec<ServiceEvent>,
    pub elapsed_seconds: f64,
}

impl Progress {
    /// Equal but for the time and events: nothing new to show.
    fn same_state(&self, other: &Progress) -> bool {
        (self.stage, self.running, self.desired, self.healthy_targets, self.targets)
            == (other.stage, other.running, other.desired, other.healthy_targets, other.targets)
    }
}

/// Polls `observe` every `interval` until the gate decides. An error from `observe` ends the
/// wait (the caller decides what it means); `interrupted` resolving ends it as interrupted.
pub async fn wait_for_rollout<Observe, Fut>(
    settings: &GateSettings,
    interval: Duration,
    mut observe: Observe,
    interrupted: impl Future<Output = ()>,
    report: &(dyn Fn(&Progress) + Sync),
) -> Result<Verdict, CloudError>
where
    Observe: FnMut() -> Fut,
    Fut: Future<Output = Result<Observation, CloudError>>,
{
    let started = tokio::time::Instant::now();
    let mut state = GateState::default();
    let mut seen_events: Option<Vec<String>> = None;
    let mut shown: Option<Progress> = None;
    tokio::pin!(interrupted);
    let mut errors_in_a_row = 0;
    loop {
        // The SDK already retried each call; a few failed looks in a row are still tolerated
        // (a rollout in flight should not be abandoned for one bad answer).
        let observation = match observe().await {
            Ok(observation) => {
                errors_in_a_row = 0;
                observation
            }
            Err(error) => {
                errors_in_a_row += 1;
                if errors_in_a_row >= OBSERVE_ERRORS_TOLERATED {
                    return Err(error);
                }
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = &mut interrupted => return Ok(Verdict::Failed(Failure::Interrupted)),
                }
                continue;
            }
        };
        let elapsed = started.elapsed();
        let verdict = evaluate(settings, &mut state, &observation, elapsed);
        let now = progress(&observation, &verdict, &mut seen_events, elapsed);
        // A line per change, not per poll; a failure is reported by the caller, not as "done".
        let changed = shown.as_ref().is_none_or(|shown| !shown.same_state(&now)) || !now.new_events.is_empty();
        if changed && !matches!(verdict, Verdict::Failed(_)) {
            report(&now);
            shown = Some(now);
        }
        if !matches!(verdict, Verdict::Waiting(_)) {
            return Ok(verdict);
        }
        tokio::select! {
            _ = next_poll(interval) => {}
            _ = &mut interrupted => return Ok(Verdict::Failed(Failure::Interrupted)),
        }
    }
}

/// Sleeps until the next poll. Every gate of the process polls on one grid of `interval` ticks
/// (counted from the first gate's first wait), so that rollouts running side by side look at
/// their services at the same moments and their looks share `DescribeServices` calls (see
/// `cloud::aws::service_looks`). The first wait of a gate that started between ticks is between
/// half an interval and one and a half; every later one is exactly `interval`.
fn next_poll(interval: Duration) -> tokio::time::Sleep {
    static GRID: std::sync::OnceLock<tokio::time::Instant> = std::sync::OnceLock::new();
    let now = tokio::time::Instant::now();
    let origin = *GRID.get_or_init(|| now);
    let Some(interval_nanos) = u64::try_from(interval.as_nanos()).ok().filter(|nanos| *nanos > 0) else {
        return tokio::time::sleep(interval);
    };
    let since = u64::try_from(now.saturating_duration_since(origin).as_nanos()).unwrap_or(u64::MAX);
    let mut wait = Duration::from_nanos(interval_nanos - since % interval_nanos);
    if wait < interval / 2 {
        wait += interval;
    }
    tokio::time::sleep(wait)
}

fn progress(
    observation: &Observation,
    verdict: &Verdict,
    seen: &mut Option<Vec<String>>,
    elapsed: Duration,
) -> Progress {
    let events = &observation.service.events;
    // The first poll shows only what happened since the deployment began: nothing before it.
    let new_events: Vec<ServiceEvent> = match seen {
        Some(seen) => events.iter().filter(|event| !seen.contains(&event.id)).rev().cloned().collect(),
        None => Vec::new(),
    };
    *seen = Some(events.iter().map(|event| event.id.clone()).collect());
    Progress {
        stage: match verdict {
            Verdict::Waiting(stage) => Some(*stage),
            _ => None,
        },
        running: observation.service.running_count,
        desired: observation.service.desired_count,
        healthy_targets: observation.targets.iter().filter(|target| target.state == "healthy").count(),
        targets: observation.targets.iter().filter(|target| target.state != "draining").count(),
        new_events,
        elapsed_seconds: elapsed.as_secs_f64(),
    }
}
