//! `ecsdeploy history`: the deploys of an environment's services, newest first, as every
//! operator and CI see them (the history lives in AWS).

use super::CommandError;
use crate::cli::{GlobalOptions, HistoryArgs};
use crate::exit_status::ExitStatus;
use crate::history::HistoryStore;
use crate::output::{Printer, history_view};
use crate::run::session::Session;

pub async fn run(global: &GlobalOptions, args: &HistoryArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let session = Session::open(global, &args.env, printer).await?;
    let services = super::rollback::selected_services(&session, &args.service)?;
    let scope = session.history_scope();
    let mut records = Vec::new();
    for service in &services {
        let mut list = session.cloud.history_list(&scope, service).await?;
        list.truncate(args.limit);
        records.extend(list);
    }
    // Newest first over all services: IDs start with the time.
    records.sort_by(|a, b| b.id.cmp(&a.id));
    if printer.is_json() {
        printer.document(&history_view::HistoryDocument::new(&args.env, &scope.table, &records));
    } else {
        printer.data(&history_view::text(&records));
    }
    Ok(ExitStatus::Success)
}
