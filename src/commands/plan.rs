//! `ecsdeploy plan --env E`: what `up` would change. Reads only.

use super::CommandError;
use super::session::{Session, print_plan};
use crate::cli::{GlobalOptions, PlanArgs};
use crate::exit_status::ExitStatus;
use crate::output::Printer;
use crate::plan::Goal;

pub async fn run(global: &GlobalOptions, args: &PlanArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let mut session = Session::open(global, &args.env, printer).await?;
    let (plan, _) = session.plan(Goal::Converge).await?;
    let stats = args.stats.then(|| session.stats_json());
    print_plan(printer, &plan, stats.filter(|_| printer.is_json()));
    if args.stats && !printer.is_json() {
        printer.stderr(&session.stats_text());
    }
    Ok(match (args.detailed_exitcode, plan.has_changes()) {
        (true, true) => ExitStatus::ChangesPending,
        _ => ExitStatus::Success,
    })
}
