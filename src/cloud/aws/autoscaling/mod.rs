//! Application Auto Scaling of the services' task counts: scalable targets read in batches of
//! resource IDs, the target-tracking policies of the whole `ecs` namespace in a few pages, both normalised to the desired
//! [`ScalableTarget`] and [`ScalingPolicy`] shapes, and written with `RegisterScalableTarget` and
//! `PutScalingPolicy` (both upserts). The normalisation is in [`convert`], as pure functions.

mod convert;

use super::AwsCloud;
use super::common::Partial;
use super::common::unsent;
use super::gone::GoneIsFine;
use crate::actual::Owner;
use crate::actual::scope::ReadScope;
use crate::cloud::CloudError;
use crate::desired::scaling::{ScalableTarget, ScalingPolicy, is_own_policy};
use crate::plan::address::{Address, ServicePart};
use crate::plan::values::Values;
use aws_sdk_applicationautoscaling::types::{PolicyType, ScalableDimension, ServiceNamespace};
use convert::{read_policy, read_target, tracking_configuration};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::BTreeMap;

/// The one dimension ecsdeploy scales: an ECS service's desired task count.
const DIMENSION: &str = "ecs:service:DesiredCount";
/// `DescribeScalableTargets` takes at most 50 resource IDs.
const RESOURCE_IDS_PER_CALL: usize = 50;
const READ_CONCURRENCY: usize = 4;
/// `DescribeScalingPolicies`' largest page (`MaxResults` 1-10 in the Application Auto Scaling API
/// reference).
const POLICIES_PER_PAGE: i32 = 10;
const NOT_FOUND: &[&str] = &["ObjectNotFoundException"];

/// Policies carry no tags: see [`is_own_policy`].
fn policy_owner(scope: &ReadScope, service: &str, resource_id: &str, policy_name: &str) -> Owner {
    let full_name = resource_id.rsplit('/').next().unwrap_or_default();
    let named: Vec<&str> = scope
        .service(service)
        .map(|wanted| wanted.scaling_policies.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if is_own_policy(full_name, &named, policy_name) { Owner::This } else { Owner::Foreign }
}

impl AwsCloud {
    /// The scalable targets of `services` (`(service name, scaling resource ID)`) and their
    /// policies, as the environment's read judges them ([`scaling_partial`]); the read itself
    /// reads the targets beside the services (`read.rs`).
    #[cfg(test)]
    pub(super) async fn read_scaling(
        &self,
        scope: &ReadScope,
        services: &[(String, String)],
        policies: BTreeMap<String, Vec<ScalingPolicy>>,
    ) -> Result<Partial, CloudError> {
        let targets = self.scalable_targets(services).await?;
        scaling_partial(scope, &targets, policies)
    }

    /// `(service name, target)` for each of `services` that has a scalable target.
    pub(super) async fn scalable_targets(
        &self,
        services: &[(String, String)],
    ) -> Result<Vec<(String, ScalableTarget)>, CloudError> {
        let mut resource_ids: Vec<&str> = services.iter().map(|(_, resource_id)| resource_id.as_str()).collect();
        resource_ids.sort_unstable();
        resource_ids.dedup();
        let batches = resource_ids.chunks(RESOURCE_IDS_PER_CALL).map(|batch| async move {
            self.autoscaling
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::from(DIMENSION))
                .set_resource_ids(Some(batch.iter().map(|id| id.to_string()).collect()))
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|error| {
                    self.error("application-autoscaling:DescribeScalableTargets", batch_resource(batch), &error)
                })
        });
        let found: Vec<Vec<_>> = stream::iter(batches).buffered(READ_CONCURRENCY).try_collect().await?;
        let mut targets = Vec::new();
        for target in found.iter().flatten() {
            let service = services.iter().find(|(_, resource_id)| resource_id == target.resource_id());
            if let Some((service, _)) = service {
                targets.push((service.clone(), read_target(target)));
            }
        }
        Ok(targets)
    }

    /// Every ECS desired-count scaling policy of the account and region, by resource ID: the
    /// whole namespace in pages of 10 (the most `MaxResults` takes), instead of one call per
    /// service. It needs nothing read before it, so it runs in the read's first round.
    pub(super) async fn all_scaling_policies(&self) -> Result<BTreeMap<String, Vec<ScalingPolicy>>, CloudError> {
        let found = self
            .autoscaling
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .max_results(POLICIES_PER_PAGE)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| {
                self.error("application-autoscaling:DescribeScalingPolicies", "the ecs namespace's policies", &error)
            })?;
        let mut by_resource: BTreeMap<String, Vec<ScalingPolicy>> = BTreeMap::new();
        for policy in found.iter().filter(|policy| policy.scalable_dimension().as_str() == DIMENSION) {
            by_resource.entry(policy.resource_id().to_string()).or_default().push(read_policy(policy));
        }
        Ok(by_resource)
    }

    pub(super) async fn scaling_policies(&self, resource_id: &str) -> Result<Vec<ScalingPolicy>, CloudError> {
        let found = self
            .autoscaling
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource_id)
            .scalable_dimension(ScalableDimension::from(DIMENSION))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| {
                self.error("application-autoscaling:DescribeScalingPolicies", target_resource(resource_id), &error)
            })?;
        Ok(found.iter().map(read_policy).collect())
    }

    /// Registers the target or changes its capacity (the call is an upsert). AWS applies the tags
    /// when it creates the target; changing them on an existing target is `TagResource`'s job.
    pub(super) async fn put_scalable_target(&self, target: &ScalableTarget) -> Result<Values, CloudError> {
        let operation = "application-autoscaling:RegisterScalableTarget";
        let resource = target_resource(&target.resource_id);
        let capacity = |value: i64| i32::try_from(value).map_err(|error| unsent(operation, &resource, error));
        self.autoscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::from(target.service_namespace.as_str()))
            .resource_id(&target.resource_id)
            .scalable_dimension(ScalableDimension::from(target.scalable_dimension.as_str()))
            .min_capacity(capacity(target.min_capacity)?)
            .max_capacity(capacity(target.max_capacity)?)
            .set_tags((!target.tags.is_empty()).then(|| target.tags.0.iter().cloned().collect()))
            .send()
            .await
            .map_err(|error| self.error(operation, &resource, &error))?;
        Ok(Values::default())
    }

    /// Deregisters the target; one already gone is not an error. AWS deletes the target's
    /// policies with it (plan deletes them first anyway).
    pub(super) async fn delete_scalable_target(&self, resource_id: &str) -> Result<(), CloudError> {
        let result = self
            .autoscaling
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource_id)
            .scalable_dimension(ScalableDimension::from(DIMENSION))
            .send()
            .await;
        result
            .map_err(|error| {
                self.error("application-autoscaling:DeregisterScalableTarget", target_resource(resource_id), &error)
            })
            .gone_is_fine(NOT_FOUND)?;
        Ok(())
    }

    /// Creates or replaces the target-tracking policy (the call is an upsert).
    pub(super) async fn put_scaling_policy(&self, policy: &ScalingPolicy) -> Result<Values, CloudError> {
        let operation = "application-autoscaling:PutScalingPolicy";
        let resource = policy_resource(&policy.policy_name, &policy.resource_id);
        let configuration = tracking_configuration(&policy.target_tracking_scaling_policy_configuration)
            .map_err(|error| unsent(operation, &resource, error))?;
        self.autoscaling
            .put_scaling_policy()
            .policy_name(&policy.policy_name)
            .service_namespace(ServiceNamespace::from(policy.service_namespace.as_str()))
            .resource_id(&policy.resource_id)
            .scalable_dimension(ScalableDimension::from(policy.scalable_dimension.as_str()))
            .policy_type(PolicyType::from(policy.policy_type.as_str()))
            .target_tracking_scaling_policy_configuration(configuration)
            .send()
            .await
            .map_err(|error| self.error(operation, &resource, &error))?;
        Ok(Values::default())
    }

    /// Deletes the policy `name` of the target `resource_id`; one already gone is not an error.
    pub(super) async fn delete_scaling_policy(&self, name: &str, resource_id: &str) -> Result<(), CloudError> {
        let result = self
            .autoscaling
            .delete_scaling_policy()
            .policy_name(name)
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(resource_id)
            .scalable_dimension(ScalableDimension::from(DIMENSION))
            .send()
            .await;
        result
            .map_err(|error| {
                self.error("application-autoscaling:DeleteScalingPolicy", policy_resource(name, resource_id), &error)
            })
            .gone_is_fine(NOT_FOUND)?;
        Ok(())
    }
}

fn to_json(value: &impl serde::Serialize, operation: &str, resource: &str) -> Result<serde_json::Value, CloudError> {
    serde_json::to_value(value).map_err(|error| unsent(operation, resource, error))
}

fn target_resource(resource_id: &str) -> String {
    format!("scalable target {resource_id}")
}

fn policy_resource(name: &str, resource_id: &str) -> String {
    format!("scaling policy {name} of {resource_id}")
}

fn batch_resource(batch: &[&str]) -> String {
    match batch {
        [one] => target_resource(one),
        _ => format!("scalable targets {}", batch.join(", ")),
    }
}

/// The targets read (`(service name, target)`) and their policies (of `policies`, every ECS
/// desired-count policy of the account by resource ID, [`AwsCloud::all_scaling_policies`]) as
/// this environment's resources.
///
/// Every target is read as this environment's ([`Owner::This`]): its tags cannot be read
/// (Application Auto Scaling's `ListTagsForResource` answers HTTP 500 in the emulator), and the
/// resource IDs name ECS services that ecsdeploy owns, which ownership of the service already
/// established. Policies are ecsdeploy's only by the names it gives them.
pub(super) fn scaling_partial(
    scope: &ReadScope,
    targets: &[(String, ScalableTarget)],
    mut policies: BTreeMap<String, Vec<ScalingPolicy>>,
) -> Result<Partial, CloudError> {
    let mut partial = Partial::default();
    for (service, target) in targets {
        let policies = policies.remove(&target.resource_id).unwrap_or_default();
        let json = to_json(target, "application-autoscaling:DescribeScalableTargets", &target.resource_id)?;
        partial.resource(
            Address::service(service, ServicePart::ScalableTarget),
            &target.resource_id,
            json,
            Owner::This,
        );
        for policy in policies {
            let json = to_json(&policy, "application-autoscaling:DescribeScalingPolicies", &policy.policy_name)?;
            let address = Address::service_named(service, ServicePart::ScalingPolicy, &policy.policy_name);
            let owner = policy_owner(scope, service, &target.resource_id, &policy.policy_name);
            partial.resource(address, &policy.policy_name, json, owner);
        }
    }
    Ok(partial)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::aws::test_support::{stage_scope, test_cloud};
    use crate::desired::Reference;
    use crate::desired::scaling::PredefinedMetric;
    use crate::desired::tags::Tags;

    fn pairs(scope: &ReadScope) -> Vec<(String, String)> {
        scope.services.iter().map(|service| (service.name.clone(), service.names.scaling_resource_id.clone())).collect()
    }

    /// The desired target as it reads back: without tags (they cannot be read).
    fn untagged(target: &ScalableTarget) -> serde_json::Value {
        serde_json::to_value(ScalableTarget { tags: Tags::default(), ..target.clone() }).expect("json")
    }

    /// Application Auto Scaling registers only targets whose ECS service exists (in the emulator
    /// too): the cluster and bare services stand in for what ecsdeploy creates before.
    async fn ecs_services(cloud: &AwsCloud, resource_ids: &[&str]) {
        cloud.ecs.create_cluster().cluster_name("acme").send().await.expect("create cluster");
        for resource_id in resource_ids {
            let name = resource_id.rsplit('/').next().expect("service name");
            cloud
                .ecs
                .create_service()
                .cluster("acme")
                .service_name(name)
                .desired_count(1)
                .send()
                .await
                .expect("create service");
        }
    }

    fn json_at(partial: &Partial, address: &Address) -> Option<serde_json::Value> {
        partial.resources.iter().find(|(found, _)| found == address).map(|(_, resource)| resource.json.clone())
    }

    #[tokio::test]
    async fn scaling_round_trip() {
        let test = test_cloud(false).await;
        let (scope, services) = stage_scope(&test.account_id);
        let auth = services.iter().find(|service| service.name == "auth").expect("auth");
        let target_address = Address::service("auth", ServicePart::ScalableTarget);
        ecs_services(&test.cloud, &[&auth.scalable_target.resource_id]).await;
        test.cloud.put_scalable_target(&auth.scalable_target).await.expect("register");
        let mut policy = auth.scaling_policies[0].clone();
        let policy_address = Address::service_named("auth", ServicePart::ScalingPolicy, &policy.policy_name);
        test.cloud.put_scaling_policy(&policy).await.expect("put policy");
        // An ALB request-count policy, with its resource label resolved as apply would.
        let mut requests = policy.clone();
        requests.policy_name = "stage-auth-requests".into();
        requests.target_tracking_scaling_policy_configuration.predefined_metric_specification = PredefinedMetric {
            predefined_metric_type: "ALBRequestCountPerTarget".into(),
            resource_label: Some(Reference::known(
                "app/acme/50dc6c495c0c9188/targetgroup/acme-stage-auth/943f017f100becff",
            )),
        };
        test.cloud.put_scaling_policy(&requests).await.expect("put requests policy");
        let requests_address = Address::service_named("auth", ServicePart::ScalingPolicy, &requests.policy_name);

        let read = test
            .cloud
            .read_scaling(&scope, &pairs(&scope), test.cloud.all_scaling_policies().await.expect("policies"))
            .await
            .expect("read");
        assert_eq!(read.resources.len(), 3, "{:?}", read.resources);
        assert_eq!(json_at(&read, &target_address), Some(untagged(&auth.scalable_target)));
        assert_eq!(json_at(&read, &policy_address), Some(serde_json::to_value(&policy).expect("json")));
        assert_eq!(json_at(&read, &requests_address), Some(serde_json::to_value(&requests).expect("json")));
        assert!(read.resources.iter().all(|(_, resource)| resource.owner == Owner::This));

        let mut target = auth.scalable_target.clone();
        target.max_capacity = 9;
        test.cloud.put_scalable_target(&target).await.expect("update target");
        policy.target_tracking_scaling_policy_configuration.target_value = 42.5;
        policy.target_tracking_scaling_policy_configuration.scale_in_cooldown = 120;
        policy.target_tracking_scaling_policy_configuration.disable_scale_in = true;
        test.cloud.put_scaling_policy(&policy).await.expect("update policy");
        let read = test
            .cloud
            .read_scaling(&scope, &pairs(&scope), test.cloud.all_scaling_policies().await.expect("policies"))
            .await
            .expect("read again");
        assert_eq!(json_at(&read, &target_address), Some(untagged(&target)));
        assert_eq!(json_at(&read, &policy_address), Some(serde_json::to_value(&policy).expect("json")));

        test.cloud.delete_scaling_policy(&policy.policy_name, &policy.resource_id).await.expect("delete policy");
        test.cloud.delete_scaling_policy(&requests.policy_name, &requests.resource_id).await.expect("delete policy");
        let read = test
            .cloud
            .read_scaling(&scope, &pairs(&scope), test.cloud.all_scaling_policies().await.expect("policies"))
            .await
            .expect("read without policies");
        assert_eq!(read.resources.len(), 1);
        test.cloud.delete_scalable_target(&target.resource_id).await.expect("deregister");
        // Not asserted: deleting twice. AWS answers ObjectNotFoundException (read as done); the
        // emulator answers ValidationException, which is an error for any other cause.
        assert!(
            test.cloud
                .read_scaling(&scope, &pairs(&scope), test.cloud.all_scaling_policies().await.expect("policies"))
                .await
                .expect("read after delete")
                .resources
                .is_empty()
        );
    }

    #[tokio::test]
    async fn many_services_are_read_in_batches() {
        let test = test_cloud(false).await;
        let (scope, services) = stage_scope(&test.account_id);
        let template = &services[0].scalable_target;
        let resource_ids: Vec<String> =
            (0..RESOURCE_IDS_PER_CALL + 3).map(|index| format!("service/acme/stage-s{index}")).collect();
        ecs_services(&test.cloud, &resource_ids.iter().map(String::as_str).collect::<Vec<_>>()).await;
        let mut services: Vec<(String, String)> = Vec::new();
        for (index, resource_id) in resource_ids.iter().enumerate() {
            let target = ScalableTarget { resource_id: resource_id.clone(), ..template.clone() };
            test.cloud.put_scalable_target(&target).await.expect("register");
            services.push((format!("s{index}"), target.resource_id));
        }
        services.push(("absent".into(), "service/acme/stage-absent".into()));
        let calls_before = test.cloud.calls().total();
        let policies = test.cloud.all_scaling_policies().await.expect("policies");
        let read = test.cloud.read_scaling(&scope, &services, policies).await.expect("read");
        assert_eq!(read.resources.len(), RESOURCE_IDS_PER_CALL + 3);
        let last = Address::service(&format!("s{}", RESOURCE_IDS_PER_CALL + 2), ServicePart::ScalableTarget);
        assert!(json_at(&read, &last).is_some());
        // Two target calls, and one call for the policies of the whole namespace.
        assert_eq!(test.cloud.calls().total() - calls_before, 3);
    }
}
