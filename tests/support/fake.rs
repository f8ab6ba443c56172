//! An in-memory AWS for tests of the logic above the seams: it implements every trait a domain
//! module declares (what `AwsCloud` implements), so that whole commands run without AWS.
//!
//! Faithful to the contract where the logic depends on it: it mints task definition revisions
//! and deployment IDs as ECS does (a new deployment only for a new revision), reads what the
//! scope names (and what this environment owns), refuses what the AWS side refuses (deleting an
//! image repository or a pinned image tag, a create over someone else's resource), and keeps
//! the deploy lock and the history under DynamoDB's conditions. A test scripts identity,
//! failures and, where it wants exact sequences, the gate's observations.

#![allow(dead_code)]

use ecsdeploy::actual::scope::ReadScope;
use ecsdeploy::actual::{ActualResource, ActualState, EnvironmentReader, Owner};
use ecsdeploy::apply::ResourceWriter;
use ecsdeploy::cloud::image_scan::{ImageScan, ScanStatus};
use ecsdeploy::cloud::secret_info::{SecretDetails, SecretValue, SecretWritten};
use ecsdeploy::cloud::stats::ApiCalls;
use ecsdeploy::cloud::{Api, CallerIdentity, CloudError, CloudErrorKind};
use ecsdeploy::deploy_lock::{DeployLock, LockAttempt, LockStore};
use ecsdeploy::desired::Reference;
use ecsdeploy::desired::tags::Tags;
use ecsdeploy::doctor::AccountAccess;
use ecsdeploy::history::{DeployRecord, HistoryScope, HistoryStore, Outcome};
use ecsdeploy::http_check::HttpCheck;
use ecsdeploy::images::ImageRegistry;
use ecsdeploy::import::{Adoption, ImportAccess, ImportRequest, ImportSource};
use ecsdeploy::plan::Existing;
use ecsdeploy::plan::address::{Address, ServicePart};
use ecsdeploy::plan::resources::Payload;
use ecsdeploy::plan::values::Values;
use ecsdeploy::rollout::{DeploymentView, HttpResult, ServiceControl, ServiceObservation, TargetView};
use ecsdeploy::secret_store::SecretStore;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// One scripted `observe_service` answer.
pub type Observed = (ServiceObservation, Vec<TargetView>);

/// The fake AWS: cheap to clone (clones share one world, as clients of one account do).
/// Configure it (`failing`, `failing_changes`, ...) before cloning; the `Mutex` fields change
/// as the run goes.
#[derive(Debug, Clone, Default)]
pub struct FakeCloud(Arc<FakeWorld>);

impl std::ops::Deref for FakeCloud {
    type Target = FakeWorld;
    fn deref(&self) -> &FakeWorld {
        &self.0
    }
}

impl std::ops::DerefMut for FakeCloud {
    fn deref_mut(&mut self) -> &mut FakeWorld {
        Arc::get_mut(&mut self.0).expect("configure the fake before it is shared")
    }
}

/// One ECS service as the fake runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeService {
    pub task_definition: String,
    /// The PRIMARY deployment.
    pub deployment_id: String,
    pub desired_count: i64,
}

/// Everything the fake knows.
#[derive(Debug, Default)]
pub struct FakeWorld {
    pub identity: Option<CallerIdentity>,
    /// APIs whose probe fails, and how.
    pub failing: BTreeMap<Api, CloudErrorKind>,
    /// The state `read` returns, as resources change.
    pub state: Mutex<ActualState>,
    /// Addresses whose create, update or delete fails, and how.
    pub failing_changes: BTreeMap<Address, CloudErrorKind>,
    /// Per ECS service name, the observations the gate will see, in order (the last repeats).
    /// Without a script, the gate sees the service as the fake runs it.
    pub observations: Mutex<BTreeMap<String, Vec<Observed>>>,
    /// Per ECS service name, what the gate sees once `deploy_revision` was called (it replaces
    /// the service's `observations`): a rollback's deployment.
    pub observations_after_deploy: Mutex<BTreeMap<String, Vec<Observed>>>,
    /// Task definitions that are no longer registered (for revisions the fake did not mint).
    pub inactive_revisions: Vec<String>,
    /// Task definition revisions whose tasks never become healthy: a deployment of one fails
    /// (ECS's circuit breaker) and its targets are unhealthy.
    pub broken_revisions: Mutex<BTreeSet<String>>,
    /// History records by partition, newest first.
    pub history: Mutex<BTreeMap<String, Vec<DeployRecord>>>,
    /// Services `read_import_source` finds, by name; `adopt` adds tags to them.
    pub imports: Mutex<BTreeMap<String, ImportSource>>,
    /// ARNs whose tagging (`adopt`) fails, and how.
    pub failing_tags: BTreeMap<String, CloudErrorKind>,
    /// Deploy locks by partition, with the same conditions as DynamoDB's.
    pub locks: Mutex<BTreeMap<String, DeployLock>>,
    /// ECS services by full name.
    pub services: Mutex<BTreeMap<String, FakeService>>,
    /// Task definition revisions by ARN: their content and whether they are ACTIVE.
    pub revisions: Mutex<BTreeMap<String, (serde_json::Value, bool)>>,
    /// Deployments minted so far.
    deployments: Mutex<u64>,
    /// Every call, by kind, for `--stats`.
    pub api_calls: ApiCalls,
    calls: Mutex<Vec<String>>,
}

impl FakeCloud {
    pub fn with_account(account_id: &str) -> Self {
        FakeCloud(Arc::new(FakeWorld {
            identity: Some(CallerIdentity {
                account_id: account_id.to_string(),
                arn: format!("arn:aws:iam::{account_id}:user/fake"),
                user_id: "AIDAFAKE".into(),
            }),
            ..FakeWorld::default()
        }))
    }
}

impl FakeWorld {
    /// Makes every reference `desired`'s resources name known (`known:<reference>`) unless it
    /// already is: the prerequisites a test world holds (images' digests, secrets, the zone).
    /// What a step creates is minted anew when the step runs.
    pub fn know_references_of(&self, desired: &ecsdeploy::desired::DesiredEnvironment) {
        let mut state = self.state.lock().expect("state");
        for resource in ecsdeploy::plan::resources::desired_resources(desired, true) {
            for placeholder in ecsdeploy::plan::values::unresolved(&resource.payload.to_json()) {
                if state.values.get_placeholder(&placeholder).is_none() {
                    let known = format!("known:{}", placeholder.trim_matches(['<', '>']).replace(' ', "/"));
                    state.values.set_placeholder(&placeholder, known);
                }
            }
        }
    }

    /// The operations called so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|calls| calls.clone()).unwrap_or_default()
    }

    fn record(&self, operation: String) {
        let kind = operation.split(' ').next().unwrap_or_default().to_string();
        self.api_calls.record("fake", &kind);
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(operation);
        }
    }

    fn fail_if_scripted(&self, operation: &str, address: &Address) -> Result<(), CloudError> {
        match self.failing_changes.get(address) {
            Some(kind) => Err(CloudError::new(operation, address.to_string(), kind.clone())),
            None => Ok(()),
        }
    }

    /// Applies `change` to the tags of the imported resource `arn`, wherever it is.
    fn retag_import(&self, arn: &str, change: impl Fn(&mut Tags)) {
        let Ok(mut imports) = self.imports.lock() else { return };
        for source in imports.values_mut() {
            if source.service_arn == arn {
                change(&mut source.service.tags);
            }
            if source.task_definition_arn == arn {
                change(&mut source.task_definition.tags);
            }
            for (_, group) in source.target_groups.iter_mut().filter(|(group_arn, _)| group_arn == arn) {
                change(&mut group.group.tags);
            }
            for (_, rule) in source.listener_rules.iter_mut().filter(|(rule_arn, _)| rule_arn == arn) {
                change(&mut rule.tags);
            }
        }
    }

    fn next_deployment(&self) -> String {
        let mut minted = self.deployments.lock().expect("deployments");
        *minted += 1;
        format!("ecs-svc/{:019}", *minted)
    }

    /// Registers a revision of the task definition `json` (a new number per family).
    fn register(&self, family: &str, json: &serde_json::Value) -> String {
        let mut revisions = self.revisions.lock().expect("revisions");
        let prefix = format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:");
        let number = revisions.keys().filter(|arn| arn.starts_with(&prefix)).count() + 1;
        let arn = format!("{prefix}{number}");
        revisions.insert(arn.clone(), (json.clone(), true));
        arn
    }

    /// Runs the ECS service `json` describes: a new deployment when its revision is new (or the
    /// service is), the same PRIMARY otherwise, as UpdateService without forceNewDeployment.
    fn run_service(&self, json: &serde_json::Value, created: bool) -> Values {
        let name = json["serviceName"].as_str().unwrap_or_default().to_string();
        let task_definition = json["taskDefinition"].as_str().unwrap_or_default().to_string();
        let mut services = self.services.lock().expect("services");
        let current = services.get(&name).cloned();
        let deployment_id = match current {
            Some(current) if !created && current.task_definition == task_definition => current.deployment_id,
            _ => self.next_deployment(),
        };
        let desired_count = json["desiredCount"].as_i64().unwrap_or(1).max(1);
        services
            .insert(name.clone(), FakeService { task_definition, deployment_id: deployment_id.clone(), desired_count });
        let mut values = Values::default();
        values.set(&Reference::DeploymentId { service: name }, deployment_id);
        values
    }

    /// Keeps the resource and mints the IDs and ARNs AWS would return for it.
    fn store(&self, address: &Address, payload: &Payload, created: bool) -> Result<Values, CloudError> {
        let json = payload.to_json();
        if created
            && let Some(existing) = self.state.lock().expect("state").resources.get(address)
            && existing.owner != Owner::This
        {
            // The AWS side goes on after "already exists" only with a resource that carries its tags.
            return Err(CloudError::new(
                "create",
                address.to_string(),
                CloudErrorKind::Service { code: "AlreadyExists".into(), message: "someone else's resource".into() },
            ));
        }
        let mut values = minted_values(payload);
        match payload {
            Payload::TaskDefinition(definition) => {
                let arn = self.register(&definition.family, &json);
                values.set(&Reference::TaskDefinitionArn { family: definition.family.clone() }, arn);
            }
            Payload::EcsService(_) => values.extend(self.run_service(&json, created)),
            _ => {}
        }
        let mut state = self.state.lock().expect("state");
        let id = match payload {
            Payload::TaskDefinition(definition) => values
                .one(&Reference::TaskDefinitionArn { family: definition.family.clone() })
                .unwrap_or_default()
                .to_string(),
            _ => format!("fake:{address}"),
        };
        state.resources.insert(address.clone(), ActualResource { id, json, owner: Owner::This });
        state.values.extend(values.clone());
        state.values.derive_request_count_labels();
        Ok(values)
    }

    /// The services as ECS runs them, over the stored state: each service's revision, its
    /// content, and its PRIMARY deployment.
    fn as_running(&self, state: &mut ActualState) {
        let services = self.services.lock().expect("services").clone();
        let revisions = self.revisions.lock().expect("revisions").clone();
        let running: Vec<(Address, String)> = state
            .resources
            .iter()
            .filter(|(address, _)| address.part() == Some(ServicePart::EcsService))
            .filter_map(|(address, resource)| {
                Some((address.clone(), resource.json["serviceName"].as_str()?.to_string()))
            })
            .collect();
        for (address, full_name) in running {
            let Some(service) = services.get(&full_name) else { continue };
            let Some(name) = address.service_name() else { continue };
            if let Some(resource) = state.resources.get_mut(&address) {
                resource.json["taskDefinition"] = service.task_definition.clone().into();
            }
            state.values.set(&Reference::DeploymentId { service: full_name.clone() }, service.deployment_id.clone());
            let task_definition = Address::service(name, ServicePart::TaskDefinition);
            if let (Some((json, _)), Some(resource)) =
                (revisions.get(&service.task_definition), state.resources.get_mut(&task_definition))
            {
                resource.json = json.clone();
                resource.id = service.task_definition.clone();
                let family = json["family"].as_str().unwrap_or_default().to_string();
                state.values.set(&Reference::TaskDefinitionArn { family }, service.task_definition.clone());
            }
        }
    }

    /// What the gate sees of a service the fake runs: its PRIMARY deployment completed with
    /// healthy targets, or failed with unhealthy ones when its revision runs a broken image.
    fn observed(&self, service: &str) -> Result<Observed, CloudError> {
        let Some(running) = self.services.lock().expect("services").get(service).cloned() else {
            return Err(CloudError::new(
                "ecs:DescribeServices",
                format!("service {service}"),
                CloudErrorKind::Service { code: "ServiceNotFoundException".into(), message: String::new() },
            ));
        };
        let healthy = !self.broken_revisions.lock().expect("broken revisions").contains(&running.task_definition);
        let view = DeploymentView {
            id: running.deployment_id.clone(),
            status: "PRIMARY".into(),
            task_definition: running.task_definition.clone(),
            rollout_state: if healthy { "COMPLETED" } else { "FAILED" }.into(),
            rollout_state_reason: if healthy {
                String::new()
            } else {
                "ECS deployment circuit breaker: tasks failed to start.".into()
            },
            desired_count: running.desired_count,
            running_count: if healthy { running.desired_count } else { 0 },
            failed_tasks: if healthy { 0 } else { 3 },
        };
        let observation = ServiceObservation {
            deployments: vec![view],
            task_definition: running.task_definition,
            desired_count: running.desired_count,
            running_count: if healthy { running.desired_count } else { 0 },
            events: Vec::new(),
        };
        let target = TargetView {
            id: "10.0.10.7".into(),
            port: 8080,
            state: if healthy { "healthy" } else { "unhealthy" }.into(),
            reason: String::new(),
        };
        Ok((observation, vec![target]))
    }
}

/// The service's own HTTP check, answering every URL with `status`.
#[derive(Debug, Clone)]
pub struct FakeHttp {
    pub status: u16,
    pub asked: Arc<Mutex<Vec<String>>>,
}

impl FakeHttp {
    pub fn answering(status: u16) -> Self {
        FakeHttp { status, asked: Arc::default() }
    }
}

impl HttpCheck for FakeHttp {
    async fn get(&self, url: &str) -> HttpResult {
        self.asked.lock().expect("asked").push(url.to_string());
        HttpResult::Status(self.status)
    }
}

fn poisoned(what: &str) -> CloudError {
    CloudError::new(what, "fake", CloudErrorKind::Service { code: "poisoned".into(), message: String::new() })
}

/// What creating `payload` makes known, in AWS's formats.
fn minted_values(payload: &Payload) -> Values {
    let mut values = Values::default();
    let arn = |kind: &str, name: &str| {
        format!("arn:aws:elasticloadbalancing:us-east-1:123456789012:{kind}/{name}/0123456789abcdef")
    };
    match payload {
        Payload::SecurityGroup(group) => {
            values.set(&Reference::SecurityGroupId(group.group_name.clone()), format!("sg-{}", group.group_name))
        }
        Payload::LoadBalancer(load_balancer) => {
            let name = load_balancer.name.clone();
            values.set(&Reference::LoadBalancerArn { load_balancer: name.clone() }, arn("loadbalancer/app", &name));
            values.set(&Reference::LoadBalancerDnsName { load_balancer: name.clone() }, format!("{name}.elb.example"));
            values.set(&Reference::LoadBalancerZoneId { load_balancer: name }, "ZFAKE");
        }
        Payload::Listener(listener) if listener.port == 443 => {
            let name = listener.load_balancer_arn.to_string().split('/').nth(2).unwrap_or_default().to_string();
            values.set(&Reference::HttpsListenerArn { load_balancer: name.clone() }, arn("listener/app", &name));
        }
        Payload::TargetGroup(group) => {
            values.set(&Reference::TargetGroupArn(group.group.name.clone()), arn("targetgroup", &group.group.name))
        }
        _ => {}
    }
    values
}

impl AccountAccess for FakeCloud {
    async fn caller_identity(&self) -> Result<CallerIdentity, CloudError> {
        self.record("sts:GetCallerIdentity".into());
        self.identity.clone().ok_or_else(|| {
            CloudError::new(
                "sts:GetCallerIdentity",
                "region us-east-1",
                CloudErrorKind::NoCredentials { message: "no providers in chain provided credentials".into() },
            )
        })
    }

    async fn probe(&self, api: Api) -> Result<(), CloudError> {
        self.record(api.probe_operation().to_string());
        match self.failing.get(&api) {
            Some(kind) => Err(CloudError::new(api.probe_operation(), "region us-east-1", kind.clone())),
            None => Ok(()),
        }
    }
}

impl EnvironmentReader for FakeCloud {
    /// The state as ECS runs it, with what the scope names and what this environment owns (a
    /// service another environment owns, or one the scope does not name and nobody tagged as
    /// this environment's, is not read).
    async fn read(&self, scope: &ReadScope) -> Result<ActualState, CloudError> {
        self.record(format!("read {}", scope.environment));
        let mut state = self.state.lock().map(|state| state.clone()).map_err(|_| poisoned("read"))?;
        let named: BTreeSet<&str> = scope.services.iter().map(|service| service.name.as_str()).collect();
        state.resources.retain(|address, resource| match address.service_name() {
            Some(name) => named.contains(name) || resource.owner == Owner::This,
            None => true,
        });
        self.as_running(&mut state);
        Ok(state)
    }
}

impl ResourceWriter for FakeCloud {
    async fn create(&self, address: &Address, payload: &Payload) -> Result<Values, CloudError> {
        self.record(format!("create {address}"));
        self.fail_if_scripted("create", address)?;
        self.store(address, payload, true)
    }

    async fn update(
        &self,
        address: &Address,
        _existing: &Existing,
        payload: &Payload,
        _force_new_deployment: bool,
    ) -> Result<Values, CloudError> {
        self.record(format!("update {address}"));
        self.fail_if_scripted("update", address)?;
        self.store(address, payload, false)
    }

    /// As the AWS side: never an image repository or a pinned image tag; a task definition is
    /// deregistered (it stays readable, INACTIVE); an ECS service stops running.
    async fn delete(&self, address: &Address, existing: &Existing) -> Result<(), CloudError> {
        let id = existing.id.as_str();
        self.record(format!("delete {address}"));
        self.fail_if_scripted("delete", address)?;
        let refused = |operation: &str, message: &str| {
            CloudError::new(
                operation,
                address.to_string(),
                CloudErrorKind::Service { code: "refused".into(), message: message.into() },
            )
        };
        match address {
            Address::Repository(_) => {
                return Err(refused("ecr:DeleteRepository", "ecsdeploy never deletes image repositories"));
            }
            Address::Service { part: ServicePart::PinnedImage, .. } => {
                return Err(refused(
                    "ecr:BatchDeleteImage",
                    "ecsdeploy never removes the tags that keep deployed images",
                ));
            }
            Address::Service { part: ServicePart::TaskDefinition, .. } => {
                if let Some((_, active)) = self.revisions.lock().map_err(|_| poisoned("delete"))?.get_mut(id) {
                    *active = false;
                }
            }
            Address::Service { part: ServicePart::EcsService, .. } => {
                if let Payload::EcsService(service) = &existing.before {
                    self.services.lock().map_err(|_| poisoned("delete"))?.remove(&service.service_name);
                }
            }
            _ => {}
        }
        if let Ok(mut state) = self.state.lock() {
            state.resources.remove(address);
        }
        Ok(())
    }
}

impl ServiceControl for FakeCloud {
    async fn observe_service(
        &self,
        _cluster: &str,
        service: &str,
        _target_group_arn: Option<&str>,
    ) -> Result<(ServiceObservation, Vec<TargetView>), CloudError> {
        self.record(format!("observe {service}"));
        let mut scripts = self.observations.lock().map_err(|_| poisoned("observe"))?;
        match scripts.get_mut(service).filter(|script| !script.is_empty()) {
            Some(script) if script.len() > 1 => Ok(script.remove(0)),
            Some(script) => Ok(script[0].clone()),
            None => self.observed(service),
        }
    }

    /// A rollback: a new deployment of `task_definition`. A scripted service's deployment is
    /// named after the revision (`ecs-svc/rollback-<task definition>`), for the script to
    /// follow.
    async fn deploy_revision(
        &self,
        _cluster: &str,
        service: &str,
        task_definition: &str,
    ) -> Result<String, CloudError> {
        self.record(format!("deploy {service} {task_definition}"));
        let after = self.observations_after_deploy.lock().map_err(|_| poisoned("deploy"))?.remove(service);
        if let Some(after) = after {
            self.observations.lock().map_err(|_| poisoned("deploy"))?.insert(service.to_string(), after);
        }
        let mut services = self.services.lock().map_err(|_| poisoned("deploy"))?;
        match services.get_mut(service) {
            Some(running) => {
                if !self
                    .revisions
                    .lock()
                    .map_err(|_| poisoned("deploy"))?
                    .get(task_definition)
                    .is_some_and(|(_, active)| *active)
                {
                    return Err(CloudError::new(
                        "ecs:UpdateService",
                        format!("service {service}"),
                        CloudErrorKind::Service {
                            code: "ClientException".into(),
                            message: format!("TaskDefinition {task_definition} is inactive"),
                        },
                    ));
                }
                running.task_definition = task_definition.to_string();
                running.deployment_id = self.next_deployment();
                Ok(running.deployment_id.clone())
            }
            None if self.observations.lock().map_err(|_| poisoned("deploy"))?.contains_key(service) => {
                Ok(format!("ecs-svc/rollback-{task_definition}"))
            }
            None => Err(CloudError::new(
                "ecs:UpdateService",
                format!("service {service}"),
                CloudErrorKind::Service { code: "ServiceNotFoundException".into(), message: String::new() },
            )),
        }
    }

    async fn is_revision_active(&self, task_definition: &str) -> Result<bool, CloudError> {
        if let Some((_, active)) = self.revisions.lock().map_err(|_| poisoned("revisions"))?.get(task_definition) {
            return Ok(*active);
        }
        Ok(!self.inactive_revisions.iter().any(|inactive| inactive == task_definition))
    }
}

impl HistoryStore for FakeCloud {
    async fn history_append(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError> {
        self.record(format!("history append {} {:?}", record.service, record.kind));
        let mut history = self.history.lock().map_err(|_| poisoned("history"))?;
        let records = history.entry(scope.partition(&record.service)).or_default();
        if records.iter().any(|existing| existing == record) {
            // A retried put of the same record: the run's own write (as the AWS side decides).
            return Ok(());
        }
        if records.iter().any(|existing| existing.id == record.id) {
            return Err(CloudError::new(
                "dynamodb:PutItem",
                "history",
                CloudErrorKind::Service { code: "ConditionalCheckFailedException".into(), message: String::new() },
            ));
        }
        records.insert(0, record.clone());
        records.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(())
    }

    async fn history_finish(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError> {
        self.record(format!("history finish {} {:?}", record.service, record.outcome));
        let mut history = self.history.lock().map_err(|_| poisoned("history"))?;
        let records = history.entry(scope.partition(&record.service)).or_default();
        if records.iter().any(|existing| existing == record) {
            // A retried finish finds its own result.
            return Ok(());
        }
        match records.iter_mut().find(|existing| existing.id == record.id && existing.outcome == Outcome::InProgress) {
            Some(existing) => {
                *existing = record.clone();
                Ok(())
            }
            None => Err(CloudError::new(
                "dynamodb:PutItem",
                "history",
                CloudErrorKind::Service { code: "ConditionalCheckFailedException".into(), message: String::new() },
            )),
        }
    }

    async fn history_list(&self, scope: &HistoryScope, service: &str) -> Result<Vec<DeployRecord>, CloudError> {
        let history = self.history.lock().map_err(|_| poisoned("history"))?;
        Ok(history.get(&scope.partition(service)).cloned().unwrap_or_default())
    }

    async fn history_recent(
        &self,
        scope: &HistoryScope,
        service: &str,
        limit: usize,
    ) -> Result<Vec<DeployRecord>, CloudError> {
        let mut records = self.history_list(scope, service).await?;
        records.truncate(limit);
        Ok(records)
    }
}

impl LockStore for FakeCloud {
    async fn lock_acquire(&self, scope: &HistoryScope, lock: &DeployLock, now: u64) -> Result<LockAttempt, CloudError> {
        let mut locks = self.locks.lock().map_err(|_| poisoned("locks"))?;
        let partition = scope.lock_partition();
        match locks.get(&partition) {
            // As in DynamoDB: a holding with this very token (a retried put) is taken again.
            Some(holder) if holder.is_held(now) && holder.token != lock.token => Ok(LockAttempt::Held(holder.clone())),
            previous => {
                let previous = previous.cloned().map(Box::new);
                locks.insert(partition, lock.clone());
                Ok(LockAttempt::Acquired { lock: lock.clone(), previous })
            }
        }
    }

    async fn lock_rewrite(&self, scope: &HistoryScope, lock: &DeployLock) -> Result<bool, CloudError> {
        let mut locks = self.locks.lock().map_err(|_| poisoned("locks"))?;
        let partition = scope.lock_partition();
        match locks.get(&partition) {
            Some(held) if held.token == lock.token && held.released_epoch.is_none() => {
                locks.insert(partition, lock.clone());
                Ok(true)
            }
            // A retried rewrite finds its own result.
            Some(held) => Ok(held == lock),
            None => Ok(false),
        }
    }

    async fn lock_read(&self, scope: &HistoryScope) -> Result<Option<DeployLock>, CloudError> {
        let locks = self.locks.lock().map_err(|_| poisoned("locks"))?;
        Ok(locks.get(&scope.lock_partition()).cloned())
    }
}

impl ImageRegistry for FakeCloud {
    async fn image_tag_digest(&self, repository: &str, tag: &str) -> Result<Option<String>, CloudError> {
        self.record(format!("image tag {repository}:{tag}"));
        Ok(None)
    }

    async fn registry_login(&self) -> Result<(String, SecretValue), CloudError> {
        self.record("registry login".into());
        Ok(("123456789012.dkr.ecr.us-east-1.amazonaws.com".into(), SecretValue::new("fake".into())))
    }

    async fn image_scan(&self, repository: &str, digest: &str) -> Result<ImageScan, CloudError> {
        self.record(format!("image scan {repository}@{digest}"));
        Ok(ImageScan { status: ScanStatus::Complete, counts: Vec::new(), findings: Vec::new() })
    }
}

impl SecretStore for FakeCloud {
    async fn describe_secret(
        &self,
        id: &str,
        _project: &str,
        _environment: &str,
    ) -> Result<Option<SecretDetails>, CloudError> {
        self.record(format!("describe secret {id}"));
        Ok(None)
    }

    async fn write_secret(
        &self,
        name: &str,
        existing: Option<&SecretDetails>,
        _value: &SecretValue,
        _tags: &Tags,
    ) -> Result<SecretWritten, CloudError> {
        self.record(format!("write secret {name}"));
        Ok(SecretWritten {
            name: name.into(),
            arn: format!("arn:fake:secret:{name}"),
            version_id: "v1".into(),
            created: existing.is_none(),
        })
    }
}

impl ImportAccess for FakeCloud {
    async fn read_import_source(&self, request: &ImportRequest) -> Result<Option<ImportSource>, CloudError> {
        self.record(format!("read import source {}", request.service));
        Ok(self.imports.lock().ok().and_then(|imports| imports.get(&request.service).cloned()))
    }

    async fn adopt(&self, adoption: &Adoption) -> Result<(), CloudError> {
        self.record(format!("adopt {}", adoption.arn));
        if let Some(kind) = self.failing_tags.get(&adoption.arn) {
            return Err(CloudError::new(adoption.kind.operation(), &adoption.arn, kind.clone()));
        }
        self.retag_import(&adoption.arn, |tags| *tags = ecsdeploy::import::adoption::tagged(tags, &adoption.tags));
        Ok(())
    }

    async fn unadopt(&self, adoption: &Adoption, keys: &[String]) -> Result<(), CloudError> {
        self.record(format!("unadopt {} {}", adoption.arn, keys.join(",")));
        self.retag_import(&adoption.arn, |tags| tags.0.retain(|(key, _)| !keys.contains(key)));
        Ok(())
    }
}
