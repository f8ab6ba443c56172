//! `ecsdeploy status`: what each service of an environment runs and how it is doing, its last
//! deploy from the history, and whether the live state drifted from the manifest (the planner's
//! own diff, so "drift" means exactly what the next `up` would change).

use super::CommandError;
use crate::actual::EnvironmentReader;
use crate::cli::{GlobalOptions, StatusArgs};
use crate::deploy_lock::LockStore;
use crate::desired::Reference;
use crate::exit_status::ExitStatus;
use crate::history::DeployRecord;
use crate::history::HistoryStore;
use crate::output::status_view::{ServiceStatus, TargetCounts};
use crate::output::{Printer, status_view};
use crate::plan::address::{Address, ServicePart};
use crate::plan::{self, Action, Goal};
use crate::rollout::ServiceControl;
use crate::run::session::Session;
use futures_util::StreamExt;
use std::time::Instant;

pub use crate::output::status_view::STATUS_SCHEMA_VERSION;

/// Why `record` is an unverified rollout, if it is one: in progress, and the lock it was
/// written under is no longer held by its run.
fn unverified(record: &DeployRecord, lock: Option<&crate::deploy_lock::DeployLock>) -> Option<String> {
    if record.outcome != crate::history::Outcome::InProgress {
        return None;
    }
    let live = lock.filter(|lock| lock.is_held(crate::deploy_lock::now_epoch()));
    let token = record.run.as_ref().map(|run| run.lock_token.as_str());
    if live.is_some_and(|lock| Some(lock.token.as_str()) == token) {
        return None;
    }
    let by = match &record.run {
        Some(run) => format!("pid {} on {}", run.pid, run.host),
        None => "an earlier ecsdeploy".into(),
    };
    Some(format!(
        "the rollout of {} by {by} was never verified: that run stopped before its gate finished (the next `up` gates it)",
        crate::output::history_view::revision(&record.task_definition)
    ))
}

pub async fn run(global: &GlobalOptions, args: &StatusArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let session = Session::open(global, &args.env, printer).await?;
    let started = Instant::now();
    let actual = session.cloud.read(&session.scope).await?;
    session.time("read actual state", started);
    // A plan that cannot be made (a missing secret, say) still leaves the live state to show.
    let (changes, plan_error) = match plan::plan(&session.desired, &actual, Goal::Converge) {
        Ok(plan) => (plan.changes, None),
        Err(error) => (Vec::new(), Some(crate::output::plan_view::error_text(&error).0)),
    };
    let scope = session.history_scope();
    let started = Instant::now();
    let lock = session.cloud.lock_read(&scope).await?;
    let lock_ref = &lock;
    let session_ref = &session;
    let (actual_ref, changes_ref, scope_ref) = (&actual, &changes, &scope);
    let results: Vec<Result<ServiceStatus, CommandError>> = futures_util::stream::iter(&session.desired.services)
        .map(|desired| async move {
            let address = Address::service(&desired.name, ServicePart::EcsService);
            let ecs_service = actual_ref.resources.get(&address);
            let mut status = ServiceStatus {
                service: desired.name.clone(),
                ecs_service: desired.full_name.clone(),
                deployed: ecs_service.is_some(),
                running: 0,
                desired: 0,
                task_definition: None,
                images: Vec::new(),
                rollout_state: None,
                deployments: 0,
                targets: TargetCounts::default(),
                last_deploy: None,
                unverified: None,
                drift: changes_ref
                    .iter()
                    .filter(|change| {
                        change.action() != Action::NoOp && change.address.service_name() == Some(desired.name.as_str())
                    })
                    .map(|change| format!("{} {}", change.action().symbol(), change.address))
                    .collect(),
            };
            let records = session_ref.cloud.history_list(scope_ref, &desired.name).await?;
            status.last_deploy = records.into_iter().next();
            status.unverified = status.last_deploy.as_ref().and_then(|record| unverified(record, lock_ref.as_ref()));
            if ecs_service.is_none() {
                return Ok(status);
            }
            let target_group = actual_ref.values.one(&Reference::TargetGroupArn(desired.target_group.name.clone()));
            let (service, targets) =
                session_ref.cloud.observe_service(&desired.service.cluster, &desired.full_name, target_group).await?;
            status.running = service.running_count;
            status.desired = service.desired_count;
            status.task_definition = Some(service.task_definition.clone());
            status.deployments = service.deployments.len();
            status.rollout_state = service
                .deployments
                .iter()
                .find(|deployment| deployment.status == "PRIMARY")
                .map(|d| d.rollout_state.clone());
            let definition = actual_ref.resources.get(&Address::service(&desired.name, ServicePart::TaskDefinition));
            if let Some(definition) = definition.filter(|definition| definition.id == service.task_definition) {
                status.images = crate::desired::task_definition::container_images(&definition.json);
            }
            status.targets = TargetCounts {
                healthy: targets.iter().filter(|target| target.state == "healthy").count(),
                total: targets.len(),
                not_healthy: targets
                    .iter()
                    .filter(|target| target.state != "healthy")
                    .map(|target| {
                        let reason =
                            if target.reason.is_empty() { String::new() } else { format!(" ({})", target.reason) };
                        format!("{}:{} {}{reason}", target.id, target.port, target.state)
                    })
                    .collect(),
            };
            Ok(status)
        })
        .buffered(4)
        .collect()
        .await;
    let services = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    session.time("observe services", started);
    let shared_drift: Vec<String> = changes
        .iter()
        .filter(|change| change.action() != Action::NoOp && change.address.service_name().is_none())
        .map(|change| format!("{} {}", change.action().symbol(), change.address))
        .collect();
    if printer.is_json() {
        printer.document(&status_view::StatusDocument {
            schema_version: STATUS_SCHEMA_VERSION,
            environment: &args.env,
            services: &services,
            shared_drift: &shared_drift,
            plan_error: plan_error.as_deref(),
            stats: args.stats.then(|| session.stats_json()),
        });
    } else {
        printer.data(&status_view::text(&args.env, &services, &shared_drift, plan_error.as_deref()));
        if args.stats {
            printer.stderr(&session.stats_text());
        }
    }
    Ok(ExitStatus::Success)
}
