//! `ecsdeploy plan --env E`: what `up` would change. Reads only.

use super::CommandError;
use crate::cli::{GlobalOptions, PlanArgs};
use crate::exit_status::ExitStatus;
use crate::output::Printer;
use crate::plan::Goal;
use crate::run::session::{Session, print_plan};
use crate::run::unverified;

pub async fn run(global: &GlobalOptions, args: &PlanArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let session = Session::open(global, &args.env, printer).await?;
    // Rollouts left unverified are work for `up` too (it gates them), even without changes. The
    // services' newest records are read beside the environment.
    let ((plan, actual), recent) = futures_util::try_join!(session.plan(Goal::Converge), unverified::recent(&session))?;
    let unverified = unverified::judge(&session, &recent, &actual, None).await?;
    for orphan in &unverified {
        printer.warning(&orphan.warning(
            "is not verified yet (its run stopped before its gate finished, or is gating it now): `up` gates it",
        ));
    }
    let stats = args.stats.then(|| session.stats_json());
    print_plan(printer, &plan, stats.filter(|_| printer.is_json()));
    if args.stats && !printer.is_json() {
        printer.stderr(&session.stats_text());
    }
    Ok(match (args.detailed_exitcode, plan.has_changes() || !unverified.is_empty()) {
        (true, true) => ExitStatus::ChangesPending,
        _ => ExitStatus::Success,
    })
}
