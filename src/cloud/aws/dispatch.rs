//! The [`Cloud`] trait for [`AwsCloud`]: each payload kind to the calls of its API family.

use super::AwsCloud;
use crate::actual::ActualState;
use crate::actual::scope::ReadScope;
use crate::cloud::secret_info::{SecretDetails, SecretValue, SecretWritten};
use crate::cloud::{Api, CallerIdentity, Cloud, CloudError, CloudErrorKind};
use crate::desired::tags::Tags;
use crate::history::{DeployRecord, HistoryScope};
use crate::plan::address::{Address, ServicePart};
use crate::plan::resources::Payload;
use crate::plan::values::Values;
use crate::rollout::{ServiceObservation, TargetView};

impl Cloud for AwsCloud {
    async fn caller_identity(&self) -> Result<CallerIdentity, CloudError> {
        self.identity().await
    }

    async fn probe(&self, api: Api) -> Result<(), CloudError> {
        self.probe_api(api).await
    }

    async fn read(&self, scope: &ReadScope) -> Result<ActualState, CloudError> {
        self.read_environment(scope).await
    }

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

    async fn update(
        &self,
        _address: &Address,
        id: &str,
        payload: &Payload,
        before: &serde_json::Value,
    ) -> Result<Values, CloudError> {
        match payload {
            Payload::Cluster(cluster) => self.update_cluster(id, cluster, before).await,
            Payload::SecurityGroup(group) => self.update_security_group(id, group, before).await,
            Payload::LoadBalancer(load_balancer) => self.update_load_balancer(id, load_balancer, before).await,
            Payload::Listener(listener) => self.update_listener(id, listener, before).await,
            Payload::Repository(repository) => self.update_repository(repository, before).await,
            Payload::SecretRotation(rotation) => self.configure_secret_rotation(rotation).await,
            Payload::LogGroup(group) => self.update_log_group(group, before).await,
            Payload::Role(role) => self.update_role(role, before).await,
            Payload::ImagePin(pin) => self.pin_image(pin).await,
            // A revision never changes: a new content is a new revision.
            Payload::TaskDefinition(definition) => self.register_task_definition(definition).await,
            Payload::TargetGroup(group) => self.update_target_group(id, group, before).await,
            Payload::ListenerRule(rule) => self.update_rule(id, rule, before).await,
            Payload::EcsService(service) => self.update_service(id, service, before).await,
            Payload::ScalableTarget(target) => self.put_scalable_target(target).await,
            Payload::ScalingPolicy(policy) => self.put_scaling_policy(policy).await,
            Payload::DnsRecord(record) => self.upsert_dns_record(record).await,
            Payload::Alarm(alarm) => self.put_alarm(alarm, Some(before)).await,
        }
    }

    async fn delete(&self, address: &Address, id: &str, before: &serde_json::Value) -> Result<(), CloudError> {
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
            Address::DnsRecord(_) => self.delete_dns_record(before).await,
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
                ServicePart::TaskDefinition => self.deregister_task_definitions(id, before).await,
                ServicePart::TargetGroup => self.delete_target_group(id).await,
                ServicePart::ListenerRule => self.delete_rule(id).await,
                ServicePart::EcsService => self.delete_service(id, before).await,
                ServicePart::ScalableTarget => self.delete_scalable_target(id).await,
                ServicePart::Alarm => self.delete_alarm(id).await,
                ServicePart::ScalingPolicy => {
                    let resource_id = before.get("ResourceId").and_then(serde_json::Value::as_str).unwrap_or_default();
                    self.delete_scaling_policy(id, resource_id).await
                }
            },
        }
    }

    async fn observe_service(
        &self,
        cluster: &str,
        service: &str,
        target_group_arn: Option<&str>,
    ) -> Result<(ServiceObservation, Vec<TargetView>), CloudError> {
        self.observe(cluster, service, target_group_arn).await
    }

    async fn deploy_revision(&self, cluster: &str, service: &str, task_definition: &str) -> Result<String, CloudError> {
        self.point_service_at(cluster, service, task_definition).await
    }

    async fn is_revision_active(&self, task_definition: &str) -> Result<bool, CloudError> {
        self.revision_is_active(task_definition).await
    }

    async fn history_append(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError> {
        self.append_record(scope, record).await
    }

    async fn history_finish(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError> {
        self.finish_record(scope, record).await
    }

    async fn history_list(&self, scope: &HistoryScope, service: &str) -> Result<Vec<DeployRecord>, CloudError> {
        self.list_records(scope, service, None).await
    }

    async fn history_recent(
        &self,
        scope: &HistoryScope,
        service: &str,
        limit: usize,
    ) -> Result<Vec<DeployRecord>, CloudError> {
        self.list_records(scope, service, Some(limit)).await
    }

    async fn lock_acquire(
        &self,
        scope: &HistoryScope,
        lock: &crate::deploy_lock::DeployLock,
        now: u64,
    ) -> Result<crate::deploy_lock::LockAttempt, CloudError> {
        self.acquire_lock(scope, lock, now).await
    }

    async fn lock_rewrite(
        &self,
        scope: &HistoryScope,
        lock: &crate::deploy_lock::DeployLock,
    ) -> Result<bool, CloudError> {
        self.rewrite_lock(scope, lock).await
    }

    async fn lock_read(&self, scope: &HistoryScope) -> Result<Option<crate::deploy_lock::DeployLock>, CloudError> {
        self.read_lock(scope).await
    }

    async fn image_tag_digest(&self, repository: &str, tag: &str) -> Result<Option<String>, CloudError> {
        self.tag_digest(repository, tag).await
    }

    async fn registry_login(&self) -> Result<(String, SecretValue), CloudError> {
        self.login().await
    }

    async fn image_scan(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<crate::cloud::image_scan::ImageScan, CloudError> {
        self.scan_findings(repository, digest).await
    }

    async fn describe_secret(
        &self,
        id: &str,
        project: &str,
        environment: &str,
    ) -> Result<Option<SecretDetails>, CloudError> {
        self.secret_details(id, project, environment).await
    }

    async fn write_secret(
        &self,
        name: &str,
        existing: Option<&SecretDetails>,
        value: &SecretValue,
        tags: &Tags,
    ) -> Result<SecretWritten, CloudError> {
        self.put_secret(name, existing, value, tags).await
    }

    async fn read_import_source(
        &self,
        request: &crate::import::ImportRequest,
    ) -> Result<Option<crate::import::ImportSource>, CloudError> {
        self.read_service_to_import(request).await
    }

    async fn adopt(&self, adoption: &crate::import::Adoption) -> Result<(), CloudError> {
        self.adopt_resource(adoption).await
    }

    async fn unadopt(&self, adoption: &crate::import::Adoption, keys: &[String]) -> Result<(), CloudError> {
        self.unadopt_resource(adoption, keys).await
    }
}

/// The name in an ALB ARN (`...:loadbalancer/app/<name>/<id>`).
fn load_balancer_name(arn: &str) -> String {
    arn.split("loadbalancer/app/").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or_default().to_string()
}
