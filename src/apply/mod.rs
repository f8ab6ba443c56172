//! Apply: carries out a plan through the [`ResourceWriter`] seam, in dependency order, services in
//! parallel with a bound, and nothing that is not in the plan.
//!
//! Order: shared resources (in address order), then each service's chain (log group, roles, task
//! definition, target group, rule, service, scaling) with chains running side by side, then DNS,
//! then deletions in reverse address order. References are resolved just before each step from
//! the values known so far (read by plan, or made known by earlier steps).

use crate::cloud::CloudError;
use crate::plan::address::Address;
use crate::plan::resources::Payload;
use crate::plan::values::{Values, unresolved};
use crate::plan::{Action, Existing, Plan, ResourceChange, Step};
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What apply needs from AWS: create, update or delete one addressed resource. Each call must be
/// idempotent (the SDK may repeat a request AWS already carried out).
#[allow(async_fn_in_trait)]
pub trait ResourceWriter {
    /// Creates the resource; returns the values it made known (its ARN, ID, ...).
    async fn create(&self, address: &Address, payload: &Payload) -> Result<Values, CloudError>;
    /// Changes `existing` in place to `payload`; `force_new_deployment` as the plan decided (a
    /// service starts new tasks although its revision stays).
    async fn update(
        &self,
        address: &Address,
        existing: &Existing,
        payload: &Payload,
        force_new_deployment: bool,
    ) -> Result<Values, CloudError>;
    /// Deletes `existing`.
    async fn delete(&self, address: &Address, existing: &Existing) -> Result<(), CloudError>;
}

/// How many services' chains run at once: enough to overlap AWS latency, few enough to stay
/// clear of API throttling.
pub const DEFAULT_PARALLELISM: usize = 4;

/// What happened to one change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepResult {
    pub address: Address,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The AWS error the step failed with, typed: its hints (the permission to grant, ...)
    /// and its operation reach the user.
    #[serde(skip)]
    pub cloud_error: Option<CloudError>,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl StepResult {
    /// What to do about the step's error (the permission to grant, ...).
    pub fn hints(&self) -> Vec<String> {
        self.cloud_error.as_ref().map(CloudError::hints).unwrap_or_default()
    }
}

/// The outcome of an apply: the steps done (in the order they finished) and the values known at
/// the end.
#[derive(Debug, Default)]
pub struct ApplyOutcome {
    pub steps: Vec<StepResult>,
    pub values: Values,
}

impl ApplyOutcome {
    pub fn failed(&self) -> Vec<&StepResult> {
        self.steps.iter().filter(|step| step.error.is_some()).collect()
    }
}

/// Progress, for the output layer to show while apply runs.
#[derive(Debug, Clone)]
pub enum ApplyEvent {
    Started { address: Address, action: Action },
    Finished(StepResult),
}

/// Carries out `plan`, starting from the references plan resolved; `report` sees progress.
pub async fn apply<C: ResourceWriter>(
    cloud: &C,
    plan: &Plan,
    parallelism: usize,
    report: &(dyn Fn(ApplyEvent) + Sync),
) -> ApplyOutcome {
    let run = Run {
        cloud,
        values: Mutex::new(plan.values.clone()),
        steps: Mutex::new(Vec::new()),
        failed: Mutex::new(false),
        report,
    };
    let changing: Vec<&ResourceChange> = plan.changes.iter().filter(|change| change.action() != Action::NoOp).collect();
    let (deletions, upserts): (Vec<&ResourceChange>, Vec<&ResourceChange>) =
        changing.into_iter().partition(|change| change.action() == Action::Delete);
    let (shared, rest): (Vec<_>, Vec<_>) = upserts.into_iter().partition(|change| change.address.is_shared());
    let (groups, rest): (Vec<_>, Vec<_>) = rest.into_iter().partition(|change| is_environment_group(change));
    let (services, dns): (Vec<_>, Vec<_>) =
        rest.into_iter().partition(|change| change.address.service_name().is_some());
    run.in_sequence(&shared).await;
    // The environment's own security group before the services whose tasks it holds.
    run.in_sequence(&groups).await;
    run.chains(group_by_service(services), parallelism).await;
    run.in_sequence(&dns).await;
    let mut deletions = deletions;
    deletions.reverse();
    let (shared_deletions, other_deletions): (Vec<_>, Vec<_>) =
        deletions.into_iter().partition(|change| change.address.is_shared());
    let (group_deletions, other_deletions): (Vec<_>, Vec<_>) =
        other_deletions.into_iter().partition(|change| is_environment_group(change));
    let (service_deletions, dns_deletions): (Vec<_>, Vec<_>) =
        other_deletions.into_iter().partition(|change| change.address.service_name().is_some());
    run.in_sequence(&dns_deletions).await;
    run.chains(group_by_service(service_deletions), parallelism).await;
    run.in_sequence(&group_deletions).await;
    run.in_sequence(&shared_deletions).await;
    // A step that panicked poisons the lock but leaves what the others recorded: keep it, so
    // that a failed apply never looks clean.
    ApplyOutcome {
        steps: run.steps.into_inner().unwrap_or_else(PoisonError::into_inner),
        values: run.values.into_inner().unwrap_or_else(PoisonError::into_inner),
    }
}

/// The environment's own security group: created before its services, deleted after them.
fn is_environment_group(change: &ResourceChange) -> bool {
    matches!(change.address, crate::plan::address::Address::EnvironmentSecurityGroup(_))
}

/// Changes of each service, keeping their order.
fn group_by_service(changes: Vec<&ResourceChange>) -> Vec<Vec<&ResourceChange>> {
    let mut groups: BTreeMap<String, Vec<&ResourceChange>> = BTreeMap::new();
    for change in changes {
        groups.entry(change.address.service_name().unwrap_or_default().to_string()).or_default().push(change);
    }
    groups.into_values().collect()
}

/// The shared state of one apply.
struct Run<'a, C> {
    cloud: &'a C,
    values: Mutex<Values>,
    steps: Mutex<Vec<StepResult>>,
    /// After a failure no new step starts; steps under way finish.
    failed: Mutex<bool>,
    report: &'a (dyn Fn(ApplyEvent) + Sync),
}

impl<C: ResourceWriter> Run<'_, C> {
    async fn in_sequence(&self, changes: &[&ResourceChange]) {
        for change in changes {
            if !self.step(change).await {
                return;
            }
        }
    }

    async fn chains(&self, chains: Vec<Vec<&ResourceChange>>, parallelism: usize) {
        futures_util::stream::iter(chains)
            .for_each_concurrent(parallelism.max(1), |chain| async move { self.in_sequence(&chain).await })
            .await;
    }

    /// Runs one change; false when it failed or an earlier failure stopped the run.
    async fn step(&self, change: &ResourceChange) -> bool {
        if self.failed.lock().map(|failed| *failed).unwrap_or(true) {
            return false;
        }
        (self.report)(ApplyEvent::Started { address: change.address.clone(), action: change.action() });
        let started = Instant::now();
        let result = self.execute(change).await;
        let step = StepResult {
            address: change.address.clone(),
            action: change.action(),
            error: result.as_ref().err().map(ToString::to_string),
            cloud_error: match &result {
                Err(ApplyError::Cloud(error)) => Some(error.clone()),
                _ => None,
            },
            elapsed: started.elapsed(),
        };
        match result {
            Ok(values) => {
                let mut known = self.values.lock().unwrap_or_else(PoisonError::into_inner);
                known.extend(values);
                // A new target group or ALB makes their CloudWatch names known too.
                known.derive_request_count_labels();
            }
            Err(_) => *self.failed.lock().unwrap_or_else(PoisonError::into_inner) = true,
        }
        (self.report)(ApplyEvent::Finished(step.clone()));
        let ok = step.error.is_none();
        self.steps.lock().unwrap_or_else(PoisonError::into_inner).push(step);
        ok
    }

    async fn execute(&self, change: &ResourceChange) -> Result<Values, ApplyError> {
        let address = &change.address;
        Ok(match &change.step {
            Step::Keep { .. } => Values::default(),
            Step::Create { payload, .. } => self.cloud.create(address, &self.resolved(address, payload)?).await?,
            Step::Update { existing, payload, force_new_deployment } => {
                let payload = self.resolved(address, payload)?;
                self.cloud.update(address, existing, &payload, *force_new_deployment).await?
            }
            Step::Replace { existing, payload } => {
                let payload = self.resolved(address, payload)?;
                self.cloud.delete(address, existing).await?;
                self.cloud.create(address, &payload).await?
            }
            Step::Delete { existing } => {
                self.cloud.delete(address, existing).await?;
                Values::default()
            }
        })
    }

    /// `payload` with every reference resolved from the values known so far.
    fn resolved(&self, address: &Address, payload: &Payload) -> Result<Payload, ApplyError> {
        let json = self.values.lock().unwrap_or_else(PoisonError::into_inner).resolve(&payload.to_json());
        let missing = unresolved(&json);
        if !missing.is_empty() {
            return Err(ApplyError::Internal(format!("{address}: {} still unknown", missing.join(", "))));
        }
        payload.same_kind_from_json(json).map_err(|error| ApplyError::Internal(error.to_string()))
    }
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// AWS refused or failed the call.
    #[error(transparent)]
    Cloud(#[from] CloudError),
    /// A bug in ecsdeploy: the plan asked for something it could not express.
    #[error("internal error: {0}")]
    Internal(String),
}
