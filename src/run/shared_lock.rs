//! Shared resources under a lock of their own.
//!
//! The deploy lock is per environment, but the cluster, the load balancer and its listeners, the
//! security groups and the repositories serve every environment. Two environments' first `up` on
//! a new account would both create them; `destroy` of one environment would delete them while
//! another deploys onto them (its plan saw no other environment yet). So a run whose plan
//! changes a shared resource also takes the project's `_shared` lock (waiting for it: changing
//! shared resources takes minutes, not hours) and plans again under it, so that it sees what the
//! previous holder made. A `destroy` that would delete them first takes every other known
//! environment's lock (without waiting, unless `--lock-wait`): an environment being deployed
//! turns it away, and under those locks the new plan sees every environment still there.
//! Environment locks are always taken before the shared one, so two runs never wait on each
//! other in a circle.

use super::CommandError;
use super::lock::{HeldLock, hold_in, lock_wait};
use super::session::Cloud;
use super::session::Session;
use crate::actual::ActualState;
use crate::cli::LockWaitArgs;
use crate::history::SHARED_RESOURCES;
use crate::http_check::HttpCheck;
use crate::output::Printer;
use crate::plan::{Action, Goal, Plan};
use std::collections::BTreeSet;
use std::time::Duration;

/// How long a run waits for another run that changes the shared resources (an ALB takes a few
/// minutes to become active), unless `--lock-wait` says otherwise.
pub const DEFAULT_SHARED_WAIT: Duration = Duration::from_secs(600);

/// Whether `plan` creates, changes or deletes a shared resource.
pub fn changes_shared(plan: &Plan) -> bool {
    plan.changes.iter().any(|change| change.action() != Action::NoOp && change.address.is_shared())
}

/// Whether `plan` deletes a shared resource (what only the last environment's `destroy` does).
pub fn deletes_shared(plan: &Plan) -> bool {
    plan.changes
        .iter()
        .any(|change| matches!(change.action(), Action::Delete | Action::Replace) && change.address.is_shared())
}

/// The locks beyond the environment's that `plan` needs, taken; with the plan made again under
/// them (and the state it was made from). No extra lock when the plan leaves shared resources
/// alone.
pub async fn hold_for<C: Cloud, H: HttpCheck>(
    session: &mut Session<C, H>,
    goal: Goal,
    plan: Plan,
    actual: ActualState,
    command: &str,
    wait: &LockWaitArgs,
    printer: &Printer,
) -> Result<(Vec<HeldLock<C>>, Plan, ActualState), CommandError> {
    if !changes_shared(&plan) {
        return Ok((Vec::new(), plan, actual));
    }
    let wait = lock_wait(wait)?;
    let scope = session.history_scope();
    let mut held = Vec::new();
    let mut environments = BTreeSet::new();
    if goal == Goal::Destroy && deletes_shared(&plan) {
        environments
            .extend(session.checked.manifest.environments.iter().map(|environment| environment.name.value.clone()));
        environments.extend(actual.other_environments.iter().cloned());
        environments.remove(&session.environment);
    }
    for environment in &environments {
        match hold_in(session, &scope.for_environment(environment), command, wait, printer).await {
            Ok(lock) => held.push(lock),
            Err(error) => {
                release_all(held, printer).await;
                return Err(error);
            }
        }
    }
    let shared_wait = Some(wait.unwrap_or(DEFAULT_SHARED_WAIT));
    match hold_in(session, &scope.for_environment(SHARED_RESOURCES), command, shared_wait, printer).await {
        Ok(lock) => held.push(lock),
        Err(error) => {
            release_all(held, printer).await;
            return Err(error);
        }
    }
    printer.info(&format!(
        "this run changes resources that every environment shares: planning again under their lock{}",
        if environments.is_empty() {
            String::new()
        } else {
            format!(" and the locks of {}", environments.iter().cloned().collect::<Vec<_>>().join(", "))
        }
    ));
    match session.plan(goal).await {
        Ok((plan, actual)) => Ok((held, plan, actual)),
        Err(error) => {
            release_all(held, printer).await;
            Err(error)
        }
    }
}

/// Releases `locks` (newest first).
pub async fn release_all<C: Cloud>(locks: Vec<HeldLock<C>>, printer: &Printer) {
    for lock in locks.into_iter().rev() {
        lock.release(printer).await;
    }
}
