//! [`ResourceWriter`] for [`AwsCloud`]: each payload kind (with its typed before-state) to the
//! calls of its API family.

use super::AwsCloud;
use crate::apply::ResourceWriter;
use crate::cloud::{CloudError, CloudErrorKind};
use crate::plan::Existing;
use crate::plan::address::{Address, ServicePart};
use crate::plan::resources::Payload;
use crate::plan::values::Values;

impl ResourceWriter for AwsCloud {
    async fn create(&self, _address: &Address, payload: &Payload) -> Result<Values, CloudError> {
        match payload {
            Payload::Cluster(cluster) => self.create_cluster(cluster).await,
            Payload::SecurityGroup(group) => self.create_security_group(group).await,
            Payload::LoadBalancer(load_balancer) => self.create_load_balancer(load_balancer).await,
            Payload::Listener(listener) => {
                let name = load_balancer_name(&listener.load_balancer_arn.to_string());
                self.create_listener(&name, listener).await
            }
            Payload::Repository(repository) => self.create_repository(repository).await,
            Payload::SecretRotation(rotation) => self.configure_secret_rotation(rotation).await,
            Payload::LogGroup(group) => self.create_log_group(group).await,
            Payload::Role(role) => self.create_role(role).await,
            Payload::ImagePin(pin) => self.pin_image(pin).await,
            Payload::TaskDefinition(definition) => self.register_task_definition(definition).await,
            Payload::TargetGroup(group) => self.create_target_group(group).await,
            Payload::ListenerRule(rule) => self.create_rule(rule).await,
            Payload::EcsService(service) => self.create_service(service).await,
            Payload::ScalableTarget(target) => self.put_scalable_target(target).await,
            Payload::ScalingPolicy(policy) => self.put_scaling_policy(policy).await,
            Payload::DnsRecord(record) => self.upsert_dns_record(record).await,
            Payload::Alarm(alarm) => self.put_alarm(alarm, None).await,
        }
    }

    /// `existing.before` is the payload of the same kind as `payload` (the planner types it by
    /// the address, which fixes the kind): each adapter compares like with like.
    async fn update(
        &self,
        address: &Address,
        existing: &Existing,
        payload: &Payload,
        force_new_deployment: bool,
    ) -> Result<Values, CloudError> {
        let id = existing.id.as_str();
        match (payload, &existing.before) {
            (Payload::Cluster(cluster), Payload::Cluster(before)) => self.update_cluster(id, cluster, before).await,
            (Payload::SecurityGroup(group), Payload::SecurityGroup(before)) => {
                self.update_security_group(id, group, before).await
            }
            (Payload::LoadBalancer(load_balancer), Payload::LoadBalancer(before)) => {
                self.update_load_balancer(id, load_balancer, before).await
            }
            (Payload::Listener(listener), Payload::Listener(before)) => {
                self.update_listener(id, listener, before).await
            }
            (Payload::Repository(repository), Payload::Repository(before)) => {
                self.update_repository(repository, before).await
            }
            (Payload::SecretRotation(rotation), _) => self.configure_secret_rotation(rotation).await,
            (Payload::LogGroup(group), Payload::LogGroup(before)) => self.update_log_group(group, before).await,
            (Payload::Role(role), Payload::Role(before)) => self.update_role(role, before).await,
            (Payload::ImagePin(pin), _) => self.pin_image(pin).await,
            // A revision never changes: a new content is a new revision.
            (Payload::TaskDefinition(definition), _) => self.register_task_definition(definition).await,
            (Payload::TargetGroup(group), Payload::TargetGroup(before)) => {
                self.update_target_group(id, group, before).await
            }
            (Payload::ListenerRule(rule), Payload::ListenerRule(before)) => self.update_rule(id, rule, before).await,
            (Payload::EcsService(service), Payload::EcsService(before)) => {
                self.update_service(id, service, before, force_new_deployment).await
            }
            (Payload::ScalableTarget(target), _) => self.put_scalable_target(target).await,
            (Payload::ScalingPolicy(policy), _) => self.put_scaling_policy(policy).await,
            (Payload::DnsRecord(record), _) => self.upsert_dns_record(record).await,
            (Payload::Alarm(alarm), Payload::Alarm(before)) => self.put_alarm(alarm, Some(before)).await,
            _ => Err(kind_mismatch("update", address)),
        }
    }

    async fn delete(&self, address: &Address, existing: &Existing) -> Result<(), CloudError> {
        let (id, before) = (existing.id.as_str(), &existing.before);
        match address {
            Address::Cluster => self.delete_cluster(id).await,
            Address::SecurityGroup { .. } | Address::EnvironmentSecurityGroup(_) => {
                self.delete_security_group(id).await
            }
            Address::LoadBalancer => self.delete_load_balancer(id).await,
            Address::Listener(_) => self.delete_listener(id).await,
            Address::Repository(name) => Err(CloudError::new(
                "ecr:DeleteRepository",
                format!("repository {name}"),
                CloudErrorKind::Service {
                    code: "refused".into(),
                    message: "ecsdeploy never deletes image repositories: they hold what was built".into(),
                },
            )),
            Address::DnsRecord(_) => match before {
                Payload::DnsRecord(record) => self.delete_dns_record(record).await,
                _ => Err(kind_mismatch("delete", address)),
            },
            Address::SecretRotation(_) => self.cancel_secret_rotation(id).await,
            Address::Service { part, .. } => match part {
                // Never planned (see plan::plan): the tag keeps an image the history may need.
                ServicePart::PinnedImage => Err(CloudError::new(
                    "ecr:BatchDeleteImage",
                    format!("image {id}"),
                    CloudErrorKind::Service {
                        code: "refused".into(),
                        message: "ecsdeploy never removes the tags that keep deployed images".into(),
                    },
                )),
                ServicePart::LogGroup => self.delete_log_group(id).await,
                ServicePart::ExecutionRole | ServicePart::TaskRole => self.delete_role(id).await,
                ServicePart::TaskDefinition => match before {
                    Payload::TaskDefinition(definition) => self.deregister_task_definitions(id, definition).await,
                    _ => Err(kind_mismatch("delete", address)),
                },
                ServicePart::TargetGroup => self.delete_target_group(id).await,
                ServicePart::ListenerRule => self.delete_rule(id).await,
                ServicePart::EcsService => match before {
                    Payload::EcsService(service) => self.delete_service(id, service).await,
                    _ => Err(kind_mismatch("delete", address)),
                },
                ServicePart::ScalableTarget => self.delete_scalable_target(id).await,
                ServicePart::Alarm => self.delete_alarm(id).await,
                ServicePart::ScalingPolicy => match before {
                    Payload::ScalingPolicy(policy) => self.delete_scaling_policy(id, &policy.resource_id).await,
                    _ => Err(kind_mismatch("delete", address)),
                },
            },
        }
    }
}

/// A before-state of another kind than the address holds: the planner never makes one.
fn kind_mismatch(what: &str, address: &Address) -> CloudError {
    CloudError::new(
        what,
        address.to_string(),
        CloudErrorKind::Service {
            code: "internal".into(),
            message: "the resource as read is not of the kind its address holds".into(),
        },
    )
}

/// The name in an ALB ARN (`...:loadbalancer/app/<name>/<id>`).
fn load_balancer_name(arn: &str) -> String {
    arn.split("loadbalancer/app/").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or_default().to_string()
}
