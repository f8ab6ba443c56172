//! `ecsdeploy rollback`: put services back on their last good deploy (or a chosen one) from the
//! history, gated like `up`.
//!
//! "Last good" is the newest record that passed its gate and runs another task definition than
//! the service runs now, and whose task definition is still registered: never "revision N-1",
//! which may be the broken one or gone. A rollback that fails its own gate is not rolled back
//! again (there is no better place to go automatically): it exits 4 and says what to do.

use super::{CommandError, StopKind};
use crate::cli::{GlobalOptions, RollbackArgs};
use crate::exit_status::ExitStatus;
use crate::history::{self, DeployRecord, Outcome};
use crate::http_check::HttpCheck;
use crate::output::{Printer, history_view, rollout_view};
use crate::plan::address::{Address, ServicePart};
use crate::rollout::runner::{Rollout, RolloutEvent, ServiceOutcome};
use crate::rollout::{Failure, Verdict};
use crate::run::rollouts::{self, RunnerParts};
use crate::run::session::Cloud;
use crate::run::session::Session;
use futures_util::StreamExt;
use std::io::{BufRead, IsTerminal};

/// One service's way back.
#[derive(Debug, Clone)]
struct Step {
    rollout: Rollout,
    /// What the service runs now.
    current: String,
    record: DeployRecord,
}

pub async fn run(global: &GlobalOptions, args: &RollbackArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    rollouts::check_gate_flags(&args.gate)?;
    let mut session = Session::open(global, &args.env, printer).await?;
    // Everything a rollback decides depends on what runs now: decided and done under the lock.
    let lock = crate::run::lock::hold(&session, "rollback", &args.lock, printer).await?;
    session.run = Some(lock.run_ref());
    let result = roll_back(&session, args, &lock, printer).await;
    lock.release(printer).await;
    result
}

async fn roll_back<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    args: &RollbackArgs,
    lock: &crate::run::lock::HeldLock<C>,
    printer: &Printer,
) -> Result<ExitStatus, CommandError> {
    // Only the live state: a manifest that cannot be planned must not block the way back.
    let actual = session.cloud.read(&session.scope).await?;
    let parts = RunnerParts::new(session)?;
    let services = selected_services(session, &args.service)?;
    let mut steps = Vec::new();
    let mut unchanged = Vec::new();
    for service in &services {
        let ecs_service = actual.resources.get(&Address::service(service, ServicePart::EcsService));
        let current = ecs_service.and_then(|resource| resource.json["taskDefinition"].as_str()).map(str::to_string);
        let Some(current) = current else {
            if !args.service.is_empty() {
                return Err(CommandError::usage(
                    format!("{service} does not run in {}: nothing to roll back", args.env),
                    vec![format!("deploy it first: ecsdeploy up --env {}", args.env)],
                ));
            }
            continue;
        };
        let records = session.cloud.history_list(parts.history(), service).await?;
        let Some(record) = choose(session, &records, &current, args.to.as_deref()).await? else {
            if args.to.is_none() {
                unchanged.push(format!("{service}: no earlier good deploy than the one running ({current})"));
            }
            continue;
        };
        if record.task_definition == current {
            unchanged.push(format!("{service}: already runs {current} (deploy {})", record.id));
            continue;
        }
        let mut rollout = rollouts::rollback_rollout(session, &actual.values, service, &record, &args.gate)?;
        rollout.previous_task_definition = Some(current.clone());
        steps.push(Step { rollout, current, record });
    }
    if let Some(id) = &args.to
        && steps.is_empty()
        && unchanged.is_empty()
    {
        return Err(CommandError::usage(
            format!("no deploy {id} in the history of {}", services.join(", ")),
            vec![format!("list the deploys with: ecsdeploy history --env {}", args.env)],
        ));
    }
    for line in &unchanged {
        printer.info(line);
    }
    if steps.is_empty() {
        finish(printer, &args.env, &[], &unchanged);
        return Ok(ExitStatus::Success);
    }
    if !printer.is_json() {
        for step in &steps {
            printer.data(&plan_line(step));
        }
    }
    confirm(args, printer)?;
    lock.ensure_held()?;
    let report = |event: RolloutEvent| rollout_view::show_event(printer, &event);
    let runner = parts.runner(session, &report);
    let results: Vec<Result<(String, ServiceOutcome), CommandError>> = futures_util::stream::iter(&steps)
        .map(|step| {
            let runner = &runner;
            async move {
                let verdict = runner.redeploy(&step.rollout).await?;
                let outcome = match verdict {
                    Verdict::Passed => ServiceOutcome::Passed { task_definition: step.rollout.task_definition.clone() },
                    Verdict::Failed(failure) => ServiceOutcome::RollbackFailed {
                        failure,
                        reason: format!("the service was on {} before this rollback", step.current),
                    },
                    Verdict::Waiting(_) => ServiceOutcome::RollbackFailed {
                        failure: Failure::Interrupted,
                        reason: format!("the service was on {} before this rollback", step.current),
                    },
                };
                Ok((step.rollout.service.clone(), outcome))
            }
        })
        .buffer_unordered(args.parallelism.max(1))
        .collect()
        .await;
    let outcomes = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    for (service, outcome) in &outcomes {
        report(RolloutEvent::Finished { service: service.clone(), outcome: outcome.clone() });
    }
    finish(printer, &args.env, &outcomes, &unchanged);
    Ok(rollouts::exit_status(&outcomes))
}

/// The services named on the command line (each must be in the environment), or all of them.
pub fn selected_services<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    named: &[String],
) -> Result<Vec<String>, CommandError> {
    let known: Vec<String> = session.desired.services.iter().map(|service| service.name.clone()).collect();
    if named.is_empty() {
        return Ok(known);
    }
    for name in named {
        if !known.contains(name) {
            return Err(CommandError::usage(
                format!("no service `{name}` in environment {}", session.environment),
                vec![format!("services are: {}", known.join(", "))],
            ));
        }
    }
    Ok(named.to_vec())
}

/// The record to go back to: `--to ID` (which must have passed its gate and still be
/// registered), or the newest good deploy from before the running revision was deployed.
async fn choose<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    records: &[DeployRecord],
    current: &str,
    to: Option<&str>,
) -> Result<Option<DeployRecord>, CommandError> {
    if let Some(id) = to {
        let Some(record) = records.iter().find(|record| record.id == id) else { return Ok(None) };
        if record.outcome != Outcome::Succeeded {
            return Err(CommandError::stopped(
                StopKind::Refused,
                format!(
                    "deploy {id} of {} never passed its gate ({})",
                    record.service,
                    history_view::outcome(record.outcome)
                ),
                vec!["choose a deploy whose outcome is succeeded (see `ecsdeploy history`)".into()],
            ));
        }
        if !session.cloud.is_revision_active(&record.task_definition).await? {
            return Err(CommandError::stopped(
                StopKind::Refused,
                format!("deploy {id} ran {}, which is no longer registered", record.task_definition),
                vec!["choose another deploy (see `ecsdeploy history`)".into()],
            ));
        }
        return Ok(Some(record.clone()));
    }
    for record in history::rollback_candidates(records, current) {
        if session.cloud.is_revision_active(&record.task_definition).await? {
            return Ok(Some(record.clone()));
        }
    }
    Ok(None)
}

fn plan_line(step: &Step) -> String {
    let record = &step.record;
    let commit = record
        .git_commit
        .as_deref()
        .map(|commit| format!(", commit {}", history_view::short_commit(commit)))
        .unwrap_or_default();
    let kind = history_view::kind(record.kind);
    format!(
        "  ~ {}: {} -> {} ({kind} {} of {}{commit})",
        step.rollout.service,
        history_view::revision(&step.current),
        history_view::revision(&record.task_definition),
        record.id,
        record.started_at
    )
}

fn confirm(args: &RollbackArgs, printer: &Printer) -> Result<(), CommandError> {
    if args.yes {
        return Ok(());
    }
    if printer.is_json() || !std::io::stdin().is_terminal() {
        return Err(CommandError::stopped(
            StopKind::Confirmation,
            format!("refusing to roll back environment {} without confirmation", args.env),
            vec!["pass --yes to roll back from a script or CI".into()],
        ));
    }
    printer.stderr(&format!("\nRoll back these services in {}? Only 'yes' will be accepted: ", args.env));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(CommandError::stopped(StopKind::Confirmation, "cancelled: nothing was changed", Vec::new()))
    }
}

fn finish(printer: &Printer, environment: &str, outcomes: &[(String, ServiceOutcome)], unchanged: &[String]) {
    if printer.is_json() {
        printer.document(&rollout_view::RollbackDocument {
            schema_version: crate::plan::PLAN_SCHEMA_VERSION,
            environment,
            rollbacks: rollout_view::results(outcomes),
            unchanged,
            ok: rollouts::exit_status(outcomes) == ExitStatus::Success,
        });
    } else if outcomes.is_empty() {
        printer.data("Nothing to roll back.");
    }
}
