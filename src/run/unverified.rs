//! Rollouts nobody verified: history records still `in-progress` whose run stopped (killed, its
//! CI runner lost) before its gate finished. The ECS deployment such a run started is live, yet
//! nothing judged it, and without this check the next `up` would see no difference between the
//! manifest and AWS and say "No changes".
//!
//! A run that holds the environment's deploy lock knows that every other run's records are
//! orphans: only the lock's holder writes records, and a record names its run's lock token. So
//! `up` looks before planning (a few records per service, one request each, in parallel); when
//! it finds any it takes the lock even without changes (a live holder makes that fail loudly,
//! exit 5, instead of reporting green), looks again under the lock, marks them `abandoned`, and
//! gates what they left: the service's current deployment when it still runs the orphaned
//! revision (rolled back to the last good revision when it fails, as the dead run would have),
//! nothing when the service has moved on or this run deploys it again.

use super::CommandError;
use super::session::Cloud;
use super::session::Session;
use crate::actual::ActualState;
use crate::cli::GateArgs;
use crate::desired::Reference;
use crate::history::{DeployRecord, Outcome};
use crate::http_check::HttpCheck;
use crate::plan::address::{Address, ServicePart};
use crate::plan::{Action, Plan};
use crate::rollout::runner::Rollout;
use futures_util::StreamExt;
use serde::Serialize;

/// How many of a service's newest records are read: a run leaves at most a deploy, a rollback
/// and a baseline record per service in progress or after them.
const RECENT_RECORDS: usize = 5;

/// How many services' histories are read at once: DynamoDB's own rate is far higher, and ten
/// matches the environment's other reads (`cloud::aws::common::PARALLEL_READS`).
const PARALLEL_READS: usize = 10;

/// One service's records that no live run will finish, or the revision it runs that no record
/// says passed a gate.
#[derive(Debug, Clone, Serialize)]
pub struct Unverified {
    pub service: String,
    /// Its in-progress records, newest first.
    pub records: Vec<DeployRecord>,
    /// With no such records: the revision the service runs, which its history (not empty) never
    /// saw pass a gate. A run killed after UpdateService but before it wrote its record leaves
    /// this, as does a deploy by another tool.
    pub unrecorded: Option<String>,
}

impl Unverified {
    /// Who left them, for messages: `pid 4242 on ci-runner-7` (or `an earlier ecsdeploy`).
    pub fn left_by(&self) -> String {
        match (self.records.first(), &self.unrecorded) {
            (None, Some(_)) => "a run that stopped before recording it, or another tool".into(),
            (first, _) => match first.and_then(|record| record.run.as_ref()) {
                Some(run) => format!("pid {} on {}", run.pid, run.host),
                None => "a run of an earlier ecsdeploy".into(),
            },
        }
    }

    /// The warning that names it, ending with what the command does about it.
    pub fn warning(&self, what_now: &str) -> String {
        format!(
            "{}: the rollout of {} started by {} {what_now}",
            self.service,
            crate::output::history_view::revision(self.task_definition()),
            self.left_by()
        )
    }

    /// The revision its newest record deployed (or the unrecorded one).
    pub fn task_definition(&self) -> &str {
        match self.records.first() {
            Some(record) => record.task_definition.as_str(),
            None => self.unrecorded.as_deref().unwrap_or_default(),
        }
    }
}

/// The in-progress records of every service of the environment that are not this run's own
/// (`own_token`: the lock token this run holds, if it holds one); for a service without any, the
/// revision it runs (in `actual`) when its history has records but none of that revision passing.
pub async fn find<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    actual: &ActualState,
    own_token: Option<&str>,
) -> Result<Vec<Unverified>, CommandError> {
    let recent = recent(session).await?;
    judge(session, &recent, actual, own_token).await
}

/// Each service's newest records, by service: what [`judge`] decides on. Read beside the
/// environment (it needs nothing from it), so that the check adds no round to `plan` or `up`.
pub struct RecentRecords(Vec<(String, Vec<DeployRecord>)>);

/// The newest records of every service of the environment (a few per service, one request
/// each, in parallel).
pub async fn recent<C: Cloud, H: HttpCheck>(session: &Session<C, H>) -> Result<RecentRecords, CommandError> {
    let scope = session.history_scope();
    let scope = &scope;
    let read: Vec<Result<(String, Vec<DeployRecord>), CommandError>> =
        futures_util::stream::iter(&session.desired.services)
            .map(|desired| async move {
                let recent = session.cloud.history_recent(scope, &desired.name, RECENT_RECORDS).await?;
                Ok((desired.name.clone(), recent))
            })
            .buffered(PARALLEL_READS)
            .collect()
            .await;
    Ok(RecentRecords(read.into_iter().collect::<Result<_, _>>()?))
}

/// What [`find`] returns, from records already read: a service's whole history is read only
/// when it runs a revision none of its newest records names as passed.
pub async fn judge<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    recent: &RecentRecords,
    actual: &ActualState,
    own_token: Option<&str>,
) -> Result<Vec<Unverified>, CommandError> {
    let scope = session.history_scope();
    let scope = &scope;
    let found: Vec<Result<Option<Unverified>, CommandError>> = futures_util::stream::iter(&recent.0)
        .map(|(service, recent)| async move {
            let records: Vec<DeployRecord> = recent
                .iter()
                .filter(|record| record.outcome == Outcome::InProgress)
                .filter(|record| {
                    own_token.is_none() || record.run.as_ref().map(|run| run.lock_token.as_str()) != own_token
                })
                .cloned()
                .collect();
            let service = service.clone();
            if !records.is_empty() {
                return Ok(Some(Unverified { service, records, unrecorded: None }));
            }
            let is_own = |record: &DeployRecord| {
                own_token.is_some() && record.run.as_ref().map(|run| run.lock_token.as_str()) == own_token
            };
            let running = running_revision(actual, &service);
            let Some(running) = running.filter(|_| !recent.is_empty() && !recent.iter().any(is_own)) else {
                return Ok(None);
            };
            let passed = |records: &[DeployRecord]| {
                records.iter().any(|record| record.outcome == Outcome::Succeeded && record.task_definition == running)
            };
            if passed(recent) || passed(&session.cloud.history_list(scope, &service).await?) {
                return Ok(None);
            }
            Ok(Some(Unverified { service, records: Vec::new(), unrecorded: Some(running) }))
        })
        .buffered(PARALLEL_READS)
        .collect()
        .await;
    Ok(found.into_iter().collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect())
}

/// The task definition `service`'s ECS service runs, as read.
fn running_revision(actual: &ActualState, service: &str) -> Option<String> {
    actual
        .resources
        .get(&Address::service(service, ServicePart::EcsService))
        .and_then(|resource| resource.json["taskDefinition"].as_str().map(str::to_string))
}

/// What this run does about one service's unverified rollout.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Gate the service's current deployment, which still runs the orphaned revision.
    Adopt(Box<Rollout>),
    /// Only record it: the service moved on, or this run deploys it again (the reason).
    Close(String),
}

/// Decides, from the plan (what this run changes) and the state it read, what to do about
/// `unverified`.
pub async fn resolve<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    plan: &Plan,
    actual: &ActualState,
    unverified: &Unverified,
    gate: &GateArgs,
) -> Result<Resolution, CommandError> {
    let service = &unverified.service;
    let redeployed = plan.changes.iter().any(|change| {
        change.address == Address::service(service, ServicePart::EcsService)
            && matches!(change.action(), Action::Create | Action::Update | Action::Replace)
    });
    if redeployed {
        return Ok(Resolution::Close("this run deploys the service again (its rollout is gated)".into()));
    }
    let Some(desired) = session.desired.service(service) else {
        return Ok(Resolution::Close("the service is no longer in the manifest".into()));
    };
    let running = running_revision(actual, service);
    let orphaned = unverified.task_definition();
    let deployment = plan.values.one(&Reference::DeploymentId { service: desired.full_name.clone() });
    match (running, deployment) {
        (Some(running), Some(deployment)) if running == orphaned => {
            let records = session.cloud.history_list(&session.history_scope(), service).await?;
            let previous = records
                .iter()
                .find(|record| record.outcome == Outcome::Succeeded && record.task_definition != orphaned)
                .map(|record| record.task_definition.clone());
            let rollout = super::rollouts::adopted_rollout(
                session,
                &plan.values,
                service,
                &running,
                unverified.records.first(),
                deployment,
                previous,
                gate,
            )?;
            Ok(Resolution::Adopt(Box::new(rollout)))
        }
        (Some(running), _) => Ok(Resolution::Close(format!(
            "the service has moved on to {} since (another deploy, or ECS's circuit breaker)",
            crate::output::history_view::revision(&running)
        ))),
        (None, _) => Ok(Resolution::Close("the ECS service no longer exists".into())),
    }
}

/// Marks `unverified`'s records abandoned, saying why and what became of them.
pub async fn abandon<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    unverified: &Unverified,
    what_now: &str,
) -> Result<(), CommandError> {
    let scope = session.history_scope();
    let by = match &session.run {
        Some(run) => format!("pid {} on {}", run.pid, run.host),
        None => "a later run".into(),
    };
    for record in &unverified.records {
        let mut record = record.clone();
        record.outcome = Outcome::Abandoned;
        record.finished_at = Some(crate::history::time::now().0);
        record.reason = Some(format!(
            "the run that started it ({}) stopped before its gate finished; found by {by}: {what_now}",
            unverified.left_by()
        ));
        session.cloud.history_finish(&scope, &record).await?;
    }
    Ok(())
}
