//! An in-memory [`Cloud`] for tests of the logic above the seam: resources kept as the JSON of
//! their payloads, scripted identity and failures, and a record of every call.

use super::{Api, CallerIdentity, Cloud, CloudError, CloudErrorKind};
use crate::actual::scope::ReadScope;
use crate::actual::{ActualResource, ActualState, Owner};
use crate::desired::Reference;
use crate::plan::address::Address;
use crate::plan::resources::Payload;
use crate::plan::values::Values;
use std::collections::BTreeMap;
use std::sync::Mutex;

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
                CloudErrorKind::Credentials { message: "no credentials".into() },
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

    async fn delete(&self, address: &Address, _id: &str, _before: &serde_json::Value) -> Result<(), CloudError> {
        self.record(format!("delete {address}"));
        self.fail_if_scripted("delete", address)?;
        if let Ok(mut state) = self.state.lock() {
            state.resources.remove(address);
        }
        Ok(())
    }
}
