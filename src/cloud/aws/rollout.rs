//! What the gate reads while a rollout runs: the service's deployments and events
//! (`DescribeServices`, batched with the other rollouts' looks: see `service_looks`) and, at the
//! same time, its targets' health (`DescribeTargetHealth`, one call per target group); and the
//! one write a rollback needs.

use super::AwsCloud;
use crate::cloud::CloudError;
use crate::cloud::error::has_code;
use crate::rollout::{DeploymentView, ServiceEvent, ServiceObservation, TargetView};
use aws_sdk_ecs::types as ecs;

impl AwsCloud {
    pub(super) async fn observe(
        &self,
        cluster: &str,
        service: &str,
        target_group_arn: Option<&str>,
    ) -> Result<(ServiceObservation, Vec<TargetView>), CloudError> {
        let targets = async {
            match target_group_arn {
                Some(arn) => self.target_health(arn).await,
                None => Ok(Vec::new()),
            }
        };
        let (service, targets) = futures_util::try_join!(self.look_at_service(cluster, service), targets)?;
        let observation = service.as_ref().map(service_observation).unwrap_or_default();
        Ok((observation, targets))
    }

    async fn target_health(&self, arn: &str) -> Result<Vec<TargetView>, CloudError> {
        let output =
            self.load_balancing.describe_target_health().target_group_arn(arn).send().await.map_err(|error| {
                self.error("elasticloadbalancing:DescribeTargetHealth", format!("target group {arn}"), &error)
            })?;
        Ok(output
            .target_health_descriptions()
            .iter()
            .map(|description| {
                let target = description.target();
                let health = description.target_health();
                TargetView {
                    id: target.and_then(|target| target.id()).unwrap_or_default().to_string(),
                    port: i64::from(target.and_then(|target| target.port()).unwrap_or_default()),
                    state: health
                        .and_then(|health| health.state())
                        .map(|state| state.as_str().to_string())
                        .unwrap_or_default(),
                    reason: health
                        .and_then(|health| health.reason())
                        .map(|reason| reason.as_str().to_string())
                        .unwrap_or_default(),
                }
            })
            .collect())
    }

    pub(super) async fn point_service_at(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
    ) -> Result<String, CloudError> {
        let output = self
            .ecs
            .update_service()
            .cluster(cluster)
            .service(service)
            .task_definition(task_definition)
            .send()
            .await
            .map_err(|error| {
                self.error("ecs:UpdateService", format!("service {service} in cluster {cluster}"), &error)
            })?;
        Ok(primary_deployment(output.service()).unwrap_or_default())
    }

    pub(super) async fn revision_is_active(&self, task_definition: &str) -> Result<bool, CloudError> {
        match self.ecs.describe_task_definition().task_definition(task_definition).send().await {
            Ok(output) => Ok(output
                .task_definition()
                .is_some_and(|definition| definition.status() == Some(&ecs::TaskDefinitionStatus::Active))),
            // ECS answers a revision that never existed with this ClientException; any other
            // ClientException (access, throttling of the control plane) is an error, not "gone".
            Err(error)
                if has_code(&error, &["ClientException"])
                    && aws_sdk_ecs::error::ProvideErrorMetadata::message(&error)
                        .is_some_and(|message| message.contains("Unable to describe task definition")) =>
            {
                Ok(false)
            }
            Err(error) => {
                Err(self.error("ecs:DescribeTaskDefinition", format!("task definition {task_definition}"), &error))
            }
        }
    }
}

/// The ID of a service's PRIMARY deployment.
pub(super) fn primary_deployment(service: Option<&ecs::Service>) -> Option<String> {
    service?
        .deployments()
        .iter()
        .find(|deployment| deployment.status() == Some("PRIMARY"))
        .and_then(|deployment| deployment.id())
        .map(str::to_string)
}

fn service_observation(service: &ecs::Service) -> ServiceObservation {
    ServiceObservation {
        deployments: service
            .deployments()
            .iter()
            .map(|deployment| DeploymentView {
                id: deployment.id().unwrap_or_default().to_string(),
                status: deployment.status().unwrap_or_default().to_string(),
                task_definition: deployment.task_definition().unwrap_or_default().to_string(),
                rollout_state: deployment.rollout_state().map(|state| state.as_str().to_string()).unwrap_or_default(),
                rollout_state_reason: deployment.rollout_state_reason().unwrap_or_default().to_string(),
                desired_count: i64::from(deployment.desired_count()),
                running_count: i64::from(deployment.running_count()),
                failed_tasks: i64::from(deployment.failed_tasks()),
            })
            .collect(),
        task_definition: service.task_definition().unwrap_or_default().to_string(),
        desired_count: i64::from(service.desired_count()),
        running_count: i64::from(service.running_count()),
        events: service
            .events()
            .iter()
            .map(|event| ServiceEvent {
                id: event.id().unwrap_or_default().to_string(),
                created_at: event.created_at().map(|time| time.to_string()).unwrap_or_default(),
                message: event.message().unwrap_or_default().to_string(),
            })
            .collect(),
    }
}
