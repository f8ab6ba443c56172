//! An in-memory [`Cloud`] for tests of the logic above the seam: resources kept as the JSON of
//! their payloads, scripted identity and failures, and a record of every call.

use super::secret_info::{SecretDetails, SecretValue, SecretWritten};
use super::{Api, CallerIdentity, Cloud, CloudError, CloudErrorKind};
use crate::actual::scope::ReadScope;
use crate::actual::{ActualResource, ActualState, Owner};
use crate::desired::Reference;
use crate::history::{DeployRecord, HistoryScope, Outcome};
use crate::plan::address::Address;
use crate::plan::resources::Payload;
use crate::plan::values::Values;
use crate::rollout::{ServiceObservation, TargetView};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// One scripted `observe_service` answer.
pub type Observed = (ServiceObservation, Vec<TargetView>);

/// A cloud whose answers a test sets; it records the calls it receives.
#[derive(Debug, Default)]
pub struct FakeCloud {
    pub identity: Option<CallerIdentity>,
    /// APIs whose probe fails, and how.
    pub failing: BTreeMap<Api, CloudErrorKind>,
    /// The state `read` returns, as resources change.
    pub state: Mutex<ActualState>,
    /// Addresses whose create, update or delete fails, and how.
    pub failing_changes: BTreeMap<Address, CloudErrorKind>,
    /// Per ECS service name, the observations the gate will see, in order (the last repeats).
    pub observations: Mutex<BTreeMap<String, Vec<Observed>>>,
    /// Per ECS service name, what the gate sees once `deploy_revision` was called (it replaces
    /// the service's `observations`): a rollback's deployment.
    pub observations_after_deploy: Mutex<BTreeMap<String, Vec<Observed>>>,
    /// Task definitions that are no longer registered.
    pub inactive_revisions: Vec<String>,
    /// History records by partition, newest first.
    pub history: Mutex<BTreeMap<String, Vec<DeployRecord>>>,
    /// Services `read_import_source` finds, by name; `adopt` adds tags to them.
    pub imports: Mutex<BTreeMap<String, crate::import::ImportSource>>,
    /// ARNs whose tagging (`adopt`) fails, and how.
    pub failing_tags: BTreeMap<String, CloudErrorKind>,
    /// Deploy locks by partition, with the same conditions as DynamoDB's.
    pub locks: Mutex<BTreeMap<String, crate::deploy_lock::DeployLock>>,
    calls: Mutex<Vec<String>>,
}

impl FakeCloud {
    pub fn with_account(account_id: &str) -> Self {
        FakeCloud {
            identity: Some(CallerIdentity {
                account_id: account_id.to_string(),
                arn: format!("arn:aws:iam::{account_id}:user/fake"),
                user_id: "AIDAFAKE".into(),
            }),
            ..FakeCloud::default()
        }
    }

    /// The operations called so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|calls| calls.clone()).unwrap_or_default()
    }

    fn record(&self, operation: String) {
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
    fn retag_import(&self, arn: &str, change: impl Fn(&mut crate::desired::tags::Tags)) {
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

    /// Keeps the resource and mints the IDs and ARNs AWS would return for it.
    fn store(&self, address: &Address, payload: &Payload) -> Values {
        let id = format!("fake:{address}");
        let values = minted_values(payload);
        if let Ok(mut state) = self.state.lock() {
            state.resources.insert(address.clone(), ActualResource { id, json: payload.to_json(), owner: Owner::This });
            state.values.extend(values.clone());
            state.values.derive_request_count_labels();
        }
        values
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
        Payload::TaskDefinition(definition) => {
            let family = definition.family.clone();
            values.set(
                &Reference::TaskDefinitionArn { family: family.clone() },
                format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:1"),
            );
        }
        _ => {}
    }
    values
}

impl Cloud for FakeCloud {
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

    async fn read(&self, scope: &ReadScope) -> Result<ActualState, CloudError> {
        self.record(format!("read {}", scope.environment));
        Ok(self.state.lock().map(|state| state.clone()).unwrap_or_default())
    }

    async fn create(&self, address: &Address, payload: &Payload) -> Result<Values, CloudError> {
        self.record(format!("create {address}"));
        self.fail_if_scripted("create", address)?;
        Ok(self.store(address, payload))
    }

    async fn update(
        &self,
        address: &Address,
        _id: &str,
        payload: &Payload,
        _before: &serde_json::Value,
    ) -> Result<Values, CloudError> {
        self.record(format!("update {address}"));
        self.fail_if_scripted("update", address)?;
        Ok(self.store(address, payload))
    }

    async fn observe_service(
        &self,
        _cluster: &str,
        service: &str,
        _target_group_arn: Option<&str>,
    ) -> Result<(ServiceObservation, Vec<TargetView>), CloudError> {
        self.record(format!("observe {service}"));
        let mut scripts = self.observations.lock().map_err(|_| poisoned("observe"))?;
        let script = scripts.entry(service.to_string()).or_default();
        let next = if script.len() > 1 { script.remove(0) } else { script.first().cloned().unwrap_or_default() };
        Ok(next)
    }

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
        Ok(format!("ecs-svc/rollback-{task_definition}"))
    }

    async fn is_revision_active(&self, task_definition: &str) -> Result<bool, CloudError> {
        Ok(!self.inactive_revisions.iter().any(|inactive| inactive == task_definition))
    }

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

    async fn image_tag_digest(&self, repository: &str, tag: &str) -> Result<Option<String>, CloudError> {
        self.record(format!("image tag {repository}:{tag}"));
        Ok(None)
    }

    async fn registry_login(&self) -> Result<(String, SecretValue), CloudError> {
        self.record("registry login".into());
        Ok(("123456789012.dkr.ecr.us-east-1.amazonaws.com".into(), SecretValue::new("fake".into())))
    }

    async fn image_scan(&self, repository: &str, digest: &str) -> Result<super::image_scan::ImageScan, CloudError> {
        self.record(format!("image scan {repository}@{digest}"));
        Ok(super::image_scan::ImageScan {
            status: super::image_scan::ScanStatus::Complete,
            counts: Vec::new(),
            findings: Vec::new(),
        })
    }

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
        _tags: &crate::desired::tags::Tags,
    ) -> Result<SecretWritten, CloudError> {
        self.record(format!("write secret {name}"));
        Ok(SecretWritten {
            name: name.into(),
            arn: format!("arn:fake:secret:{name}"),
            version_id: "v1".into(),
            created: existing.is_none(),
        })
    }

    async fn read_import_source(
        &self,
        request: &crate::import::ImportRequest,
    ) -> Result<Option<crate::import::ImportSource>, CloudError> {
        self.record(format!("read import source {}", request.service));
        Ok(self.imports.lock().ok().and_then(|imports| imports.get(&request.service).cloned()))
    }

    async fn adopt(&self, adoption: &crate::import::Adoption) -> Result<(), CloudError> {
        self.record(format!("adopt {}", adoption.arn));
        if let Some(kind) = self.failing_tags.get(&adoption.arn) {
            return Err(CloudError::new(adoption.kind.operation(), &adoption.arn, kind.clone()));
        }
        self.retag_import(&adoption.arn, |tags| *tags = crate::import::adoption::tagged(tags, &adoption.tags));
        Ok(())
    }

    async fn unadopt(&self, adoption: &crate::import::Adoption, keys: &[String]) -> Result<(), CloudError> {
        self.record(format!("unadopt {} {}", adoption.arn, keys.join(",")));
        self.retag_import(&adoption.arn, |tags| tags.0.retain(|(key, _)| !keys.contains(key)));
        Ok(())
    }

    async fn lock_acquire(
        &self,
        scope: &HistoryScope,
        lock: &crate::deploy_lock::DeployLock,
        now: u64,
    ) -> Result<crate::deploy_lock::LockAttempt, CloudError> {
        let mut locks = self.locks.lock().map_err(|_| poisoned("locks"))?;
        let partition = scope.lock_partition();
        match locks.get(&partition) {
            // As in DynamoDB: a holding with this very token (a retried put) is taken again.
            Some(holder) if holder.is_held(now) && holder.token != lock.token => {
                Ok(crate::deploy_lock::LockAttempt::Held(holder.clone()))
            }
            previous => {
                let previous = previous.cloned().map(Box::new);
                locks.insert(partition, lock.clone());
                Ok(crate::deploy_lock::LockAttempt::Acquired { lock: lock.clone(), previous })
            }
        }
    }

    async fn lock_rewrite(
        &self,
        scope: &HistoryScope,
        lock: &crate::deploy_lock::DeployLock,
    ) -> Result<bool, CloudError> {
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

    async fn lock_read(&self, scope: &HistoryScope) -> Result<Option<crate::deploy_lock::DeployLock>, CloudError> {
        let locks = self.locks.lock().map_err(|_| poisoned("locks"))?;
        Ok(locks.get(&scope.lock_partition()).cloned())
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

    async fn delete(&self, address: &Address, _id: &str, _before: &serde_json::Value) -> Result<(), CloudError> {
        self.record(format!("delete {address}"));
        self.fail_if_scripted("delete", address)?;
        if let Ok(mut state) = self.state.lock() {
            state.resources.remove(address);
        }
        Ok(())
    }
}
