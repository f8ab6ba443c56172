//! `ecsdeploy up` and `ecsdeploy destroy`: plan, confirm, apply.
//!
//! On a terminal the plan is shown and the operator types `yes`; without a terminal `--yes` is
//! required, so that a script never changes an environment by accident.

use super::{CommandError, StopKind};
use crate::apply::{self, ApplyEvent};
use crate::cli::{ChangeArgs, GlobalOptions, UpArgs};
use crate::exit_status::ExitStatus;
use crate::http_check::HttpCheck;
use crate::output::{Printer, plan_view};
use crate::plan::Goal;
use crate::run::session::Cloud;
use crate::run::session::{Session, print_plan};
use std::io::{BufRead, IsTerminal};
use std::time::Instant;

/// `up`: converge the environment, then gate every rollout the run started.
pub async fn up(global: &GlobalOptions, args: &UpArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    crate::run::rollouts::check_gate_flags(&args.gate)?;
    let Some(git_ref) = &args.git_ref else {
        let env = args.env.as_deref().unwrap_or_default();
        return run_with_gate(global, env, &args.change, Goal::Converge, Some(args), printer).await;
    };
    let Some(checkout) = crate::run::git_ref::checkout(global, git_ref, args.commit.as_deref(), printer)? else {
        return Ok(ExitStatus::Success);
    };
    if let Some(env) = args.env.as_deref().filter(|env| *env != checkout.environment) {
        return Err(CommandError::usage(
            format!("{git_ref} deploys environment {}, not {env}", checkout.environment),
            vec!["leave out --env with --git-ref: the branch names the environment".into()],
        ));
    }
    let global = checkout.global(global);
    run_with_gate(&global, &checkout.environment, &args.change, Goal::Converge, Some(args), printer).await
}

/// `destroy` and `repositories`: no rollouts to follow.
pub async fn run(
    global: &GlobalOptions,
    env: &str,
    args: &ChangeArgs,
    goal: Goal,
    printer: &Printer,
) -> Result<ExitStatus, CommandError> {
    run_with_gate(global, env, args, goal, None, printer).await
}

async fn run_with_gate(
    global: &GlobalOptions,
    env: &str,
    args: &ChangeArgs,
    goal: Goal,
    up: Option<&UpArgs>,
    printer: &Printer,
) -> Result<ExitStatus, CommandError> {
    let mut session = Session::open_to_change(global, env, printer).await?;
    if let Some(up) = up.filter(|up| up.build) {
        can_confirm(args, goal, &session.environment, printer)?;
        let started = Instant::now();
        let images = super::build::build_and_push(&session, &[], up.allow_dirty, printer).await?;
        session.use_image_tags(&super::build::tags_of(&images));
        session.time("build and push", started);
    }
    change(&mut session, args, goal, up, printer).await
}

/// Plans toward `goal`, and under the deploy lock applies the plan and (for `up`) gates every
/// rollout it started and those stopped runs left unverified: the whole of `up`, `destroy`
/// and `repositories` after the session is open, on any [`Cloud`].
pub async fn change<C: Cloud, H: HttpCheck>(
    session: &mut Session<C, H>,
    args: &ChangeArgs,
    goal: Goal,
    up: Option<&UpArgs>,
    printer: &Printer,
) -> Result<ExitStatus, CommandError> {
    // The lock as it was before the plan's read: holding the lock later, the run reads the
    // environment again only if another run can have changed it since (see `replan_reason`).
    // Only a run that changes anything needs it, but it must be read before the environment.
    // `Session::open_to_change` read it beside the identity.
    let seen = match session.lock_seen.take() {
        Some(seen) => seen,
        None => session.cloud.lock_read(&session.history_scope()).await?,
    };
    // Rollouts a stopped run left unverified make `up` take the lock even without changes: the
    // lock tells whether their run is alive (then this run is refused, exit 5, never green). The
    // services' newest records are read beside the environment.
    let recent = async {
        match up {
            Some(_) => crate::run::unverified::recent(session).await.map(Some),
            None => Ok(None),
        }
    };
    let ((plan, actual), recent) = futures_util::try_join!(session.plan(goal), recent)?;
    let unverified = match recent {
        Some(recent) => crate::run::unverified::judge(session, &recent, &actual, None).await?,
        None => Vec::new(),
    };
    if !plan.has_changes() && unverified.is_empty() {
        finish(printer, session, args, &plan, None, &[]);
        return Ok(ExitStatus::Success);
    }
    let command = match goal {
        Goal::Converge => "up",
        Goal::Destroy => "destroy",
        Goal::Repositories => "repositories",
    };
    // A run that could not apply anyway (no --yes, no terminal) is told so before it waits for,
    // or is refused by, the lock.
    can_confirm(args, goal, &session.environment, printer)?;
    let lock = crate::run::lock::hold(session, command, &args.lock, printer).await?;
    session.run = Some(lock.run_ref());
    let result = match under_lock(session, goal, up.is_some(), plan, actual, seen.as_ref(), &lock, printer).await {
        Ok((plan, actual, unverified)) => {
            match crate::run::shared_lock::hold_for(session, goal, plan, actual, command, &args.lock, printer).await {
                Ok((extra, plan, actual)) => {
                    let mut extra = extra;
                    let work = Work { plan, actual, unverified };
                    let result = apply_and_gate(session, args, goal, up, work, &lock, &mut extra, printer).await;
                    crate::run::shared_lock::release_all(extra, printer).await;
                    result
                }
                Err(error) => Err(error),
            }
        }
        Err(error) => Err(error),
    };
    lock.release(printer).await;
    result
}

/// What a run does under the lock: the plan (and the state it was made from) and the rollouts
/// that stopped runs left unverified.
struct Work {
    plan: crate::plan::Plan,
    actual: crate::actual::ActualState,
    unverified: Vec<crate::run::unverified::Unverified>,
}

/// Plans again when another run may have changed the environment since the plan was read, and
/// finds, under the lock, the rollouts no live run will finish.
#[allow(clippy::too_many_arguments)]
async fn under_lock<C: Cloud, H: HttpCheck>(
    session: &mut Session<C, H>,
    goal: Goal,
    gates: bool,
    plan: crate::plan::Plan,
    actual: crate::actual::ActualState,
    seen: Option<&crate::deploy_lock::DeployLock>,
    lock: &crate::run::lock::HeldLock<C>,
    printer: &Printer,
) -> Result<(crate::plan::Plan, crate::actual::ActualState, Vec<crate::run::unverified::Unverified>), CommandError> {
    let (plan, actual) = match crate::run::lock::replan_reason(seen, &lock.previous) {
        Some(because) => {
            printer.info(&because.replace("{env}", &session.environment));
            session.plan(goal).await?
        }
        None => (plan, actual),
    };
    let unverified = if gates {
        let token = lock.run_ref().lock_token;
        crate::run::unverified::find(session, &actual, Some(&token)).await?
    } else {
        Vec::new()
    };
    Ok((plan, actual, unverified))
}

/// Shows the plan, checks, confirms, applies, and gates the rollouts (this run's, and those a
/// stopped run left unverified): all under the lock. The `extra` locks (shared resources, other
/// environments) are held through the apply and released before the gate.
#[allow(clippy::too_many_arguments)]
async fn apply_and_gate<C: Cloud, H: HttpCheck>(
    session: &mut Session<C, H>,
    args: &ChangeArgs,
    goal: Goal,
    up: Option<&UpArgs>,
    work: Work,
    lock: &crate::run::lock::HeldLock<C>,
    extra: &mut Vec<crate::run::lock::HeldLock<C>>,
    printer: &Printer,
) -> Result<ExitStatus, CommandError> {
    let Work { plan, actual, unverified } = work;
    if !plan.has_changes() && unverified.is_empty() {
        finish(printer, session, args, &plan, None, &[]);
        return Ok(ExitStatus::Success);
    }
    if !printer.is_json() && plan.has_changes() {
        printer.data(&plan_view::text(&plan));
    }
    for orphan in &unverified {
        printer.warning(
            &orphan.warning("was never verified (that run stopped before its gate finished): this run settles it"),
        );
    }
    if let Some(up) = up {
        crate::run::scan_gate::check(session, &plan, up.allow_vulnerable, printer).await?;
        crate::run::rollouts::check_history_reachable(session, &plan).await?;
    }
    confirm(args, goal, &session.environment, printer)?;
    lock.ensure_held()?;
    for held in extra.iter() {
        held.ensure_held()?;
    }
    let mut adopted = Vec::new();
    if let Some(up) = up {
        adopted = settle_unverified(session, &plan, &actual, &unverified, &up.gate).await?;
    }
    let started = Instant::now();
    let report = |event: ApplyEvent| {
        if !printer.is_json() {
            printer.info(&plan_view::event_text(&event));
        }
    };
    let outcome = if plan.has_changes() {
        apply::apply(&session.cloud, &plan, args.parallelism, &report).await
    } else {
        apply::ApplyOutcome::default()
    };
    session.time("apply", started);
    // The shared resources are in place (or gone): other environments' runs may go on.
    crate::run::shared_lock::release_all(std::mem::take(extra), printer).await;
    let applied = outcome.failed().is_empty();
    if !printer.is_json() && plan.has_changes() {
        printer.data(&plan_view::outcome_text(&plan, &outcome));
    }
    let mut rollouts = Vec::new();
    if let Some(up) = up {
        lock.ensure_held()?;
        let started = Instant::now();
        let mut to_gate: Vec<_> = adopted.iter().map(|(_, rollout)| rollout.clone()).collect();
        to_gate.extend(crate::run::rollouts::started_rollouts(session, &plan, &outcome, &up.gate)?);
        let policy = crate::run::rollouts::FailurePolicy {
            roll_back: !up.no_rollback,
            atomic: up.atomic,
            apply_failed: !applied,
        };
        rollouts = crate::run::rollouts::run_rollouts(session, &to_gate, policy, printer).await?;
        session.time("rollouts", started);
        // Only now: a run killed while gating them leaves them for the next run to find again.
        for (orphan, _) in &adopted {
            crate::run::unverified::abandon(
                session,
                orphan,
                "this run gated the deployment it left (see the newer record)",
            )
            .await?;
        }
    }
    finish(printer, session, args, &plan, Some(&outcome), &rollouts);
    let gated = crate::run::rollouts::exit_status(&rollouts);
    Ok(if !applied && gated == ExitStatus::Success { ExitStatus::Failure } else { gated })
}

/// Decides about each unverified rollout: the ones this run will gate (with their records), the
/// others recorded as abandoned at once.
async fn settle_unverified<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    plan: &crate::plan::Plan,
    actual: &crate::actual::ActualState,
    unverified: &[crate::run::unverified::Unverified],
    gate: &crate::cli::GateArgs,
) -> Result<Vec<(crate::run::unverified::Unverified, crate::rollout::runner::Rollout)>, CommandError> {
    use crate::run::unverified::{Resolution, abandon, resolve};
    let mut adopted = Vec::new();
    for orphan in unverified {
        match resolve(session, plan, actual, orphan, gate).await? {
            Resolution::Adopt(rollout) => adopted.push((orphan.clone(), *rollout)),
            Resolution::Close(reason) => abandon(session, orphan, &reason).await?,
        }
    }
    Ok(adopted)
}

/// The JSON document (plan and steps) or, in text, the no-change line; `--stats` either way.
fn finish<C: Cloud, H: HttpCheck>(
    printer: &Printer,
    session: &Session<C, H>,
    args: &ChangeArgs,
    plan: &crate::plan::Plan,
    outcome: Option<&apply::ApplyOutcome>,
    rollouts: &[(String, crate::rollout::runner::ServiceOutcome)],
) {
    if printer.is_json() {
        let steps = outcome.map(|outcome| outcome.steps.as_slice()).unwrap_or_default();
        let ok = steps.iter().all(|step| step.error.is_none());
        printer.document(&plan_view::UpDocument {
            schema_version: crate::plan::PLAN_SCHEMA_VERSION,
            environment: &plan.environment,
            plan: plan_view::json(plan),
            applied: steps,
            rollouts: crate::output::rollout_view::results(rollouts),
            ok: ok && crate::run::rollouts::exit_status(rollouts) == ExitStatus::Success,
            stats: args.stats.then(|| session.stats_json()),
        });
    } else {
        if outcome.is_none() {
            print_plan(printer, plan, None);
        }
        if args.stats {
            printer.stderr(&session.stats_text());
        }
    }
}

/// `--yes`, or `yes` typed on a terminal; otherwise nothing changes.
fn confirm(args: &ChangeArgs, goal: Goal, environment: &str, printer: &Printer) -> Result<(), CommandError> {
    if args.yes {
        return Ok(());
    }
    can_confirm(args, goal, environment, printer)?;
    let verb = verb(goal);
    printer.stderr(&format!("\nDo you want to {verb} environment {environment}? Only 'yes' will be accepted: "));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(CommandError::stopped(StopKind::Confirmation, "cancelled: nothing was changed", Vec::new()))
    }
}

fn verb(goal: Goal) -> &'static str {
    match goal {
        Goal::Converge | Goal::Repositories => "apply these changes to",
        Goal::Destroy => "destroy",
    }
}

/// Whether the run will be able to confirm (`--yes`, or a terminal without JSON): checked
/// before anything is built or pushed, so that a script without `--yes` changes nothing.
fn can_confirm(args: &ChangeArgs, goal: Goal, environment: &str, printer: &Printer) -> Result<(), CommandError> {
    if args.yes {
        return Ok(());
    }
    if printer.is_json() {
        return Err(CommandError::stopped(
            StopKind::Confirmation,
            "--output json does not ask: the plan would not be shown before the question",
            vec!["pass --yes, or run `ecsdeploy plan --output json` first and then `up --yes`".into()],
        ));
    }
    let verb = verb(goal);
    if !std::io::stdin().is_terminal() {
        return Err(CommandError::stopped(
            StopKind::Confirmation,
            format!("refusing to {verb} environment {environment} without confirmation: not run from a terminal"),
            vec!["pass --yes to change the environment from a script or CI".into()],
        ));
    }
    Ok(())
}
