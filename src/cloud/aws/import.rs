//! `import`: reading one running service and what belongs to it (its task definition, target
//! groups, the HTTPS listener's rules forwarding to them, its autoscaling), whoever made it; and
//! adopting those resources by adding ecsdeploy's tags.

use super::AwsCloud;
use super::ecs::convert::{ecs_tags, service_of, tags_of, task_definition_of};
use super::gone::GoneIsFine;
use super::load_balancing::convert::{elb_tags, rule_of, target_group_of};
use crate::cloud::CloudError;
use crate::desired::load_balancing::{ListenerRule, TargetGroupSettings};
use crate::import::{AdoptedKind, Adoption, ImportRequest, ImportSource};
use aws_sdk_ecs::types as ecs;

impl AwsCloud {
    pub(super) async fn read_service_to_import(
        &self,
        request: &ImportRequest,
    ) -> Result<Option<ImportSource>, CloudError> {
        let resource = format!("service {} in cluster {}", request.service, request.cluster);
        let described = self
            .ecs
            .describe_services()
            .cluster(&request.cluster)
            .services(&request.service)
            .include(ecs::ServiceField::Tags)
            .send()
            .await
            .map_err(|error| self.error("ecs:DescribeServices", &resource, &error));
        let Some(output) = described.gone_is_fine(&["ClusterNotFoundException"])? else { return Ok(None) };
        let Some(service) = output.services().iter().find(|service| service.status() == Some("ACTIVE")) else {
            return Ok(None);
        };
        let tags = tags_of(service.tags());
        let service_arn = service.service_arn().unwrap_or_default().to_string();
        let task_definition_arn = service.task_definition().unwrap_or_default().to_string();
        let described = self
            .ecs
            .describe_task_definition()
            .task_definition(&task_definition_arn)
            .include(ecs::TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(|error| {
                self.error("ecs:DescribeTaskDefinition", format!("task definition {task_definition_arn}"), &error)
            })?;
        let definition_tags = tags_of(described.tags());
        let Some(definition) = described.task_definition() else {
            return Ok(None);
        };
        let group_arns: Vec<String> = service
            .load_balancers()
            .iter()
            .filter_map(|binding| binding.target_group_arn().map(str::to_string))
            .collect();
        let target_groups = self.import_target_groups(&group_arns).await?;
        let listener_rules = self.import_rules(&request.load_balancer, &group_arns).await?;
        let resource_id = format!("service/{}/{}", request.cluster, request.service);
        let targets = self.scalable_targets(&[(request.service.clone(), resource_id.clone())]).await?;
        let scalable_target = targets.into_iter().next().map(|(_, target)| target);
        let scaling_policies =
            if scalable_target.is_some() { self.scaling_policies(&resource_id).await? } else { Vec::new() };
        Ok(Some(ImportSource {
            unsupported: unsupported_settings(service, definition),
            service_arn,
            service: service_of(&request.cluster, service, tags),
            task_definition_arn: definition.task_definition_arn().unwrap_or(&task_definition_arn).to_string(),
            task_definition: task_definition_of(definition, definition_tags),
            target_groups,
            listener_rules,
            scalable_target,
            scaling_policies,
        }))
    }

    async fn import_target_groups(&self, arns: &[String]) -> Result<Vec<(String, TargetGroupSettings)>, CloudError> {
        if arns.is_empty() {
            return Ok(Vec::new());
        }
        let output = self
            .load_balancing
            .describe_target_groups()
            .set_target_group_arns(Some(arns.to_vec()))
            .send()
            .await
            .map_err(|error| {
                self.error(
                    "elasticloadbalancing:DescribeTargetGroups",
                    format!("target groups {}", arns.join(", ")),
                    &error,
                )
            })?;
        let mut tags = self.tags_of(arns).await?;
        let mut groups = Vec::new();
        for group in output.target_groups() {
            let (Some(arn), Some(name)) = (group.target_group_arn(), group.target_group_name()) else { continue };
            let attributes = self.target_group_attributes(arn, name).await?;
            let settings =
                TargetGroupSettings { group: target_group_of(group, tags.remove(arn).unwrap_or_default()), attributes };
            groups.push((arn.to_string(), settings));
        }
        Ok(groups)
    }

    /// The rules of `load_balancer`'s HTTPS listener that forward to any of `target_groups`.
    async fn import_rules(
        &self,
        load_balancer: &str,
        target_groups: &[String],
    ) -> Result<Vec<(String, ListenerRule)>, CloudError> {
        let resource = format!("load balancer {load_balancer}");
        let described = self.load_balancing.describe_load_balancers().names(load_balancer).send().await;
        let described =
            described.map_err(|error| self.error("elasticloadbalancing:DescribeLoadBalancers", &resource, &error));
        let Some(balancers) = described.gone_is_fine(&["LoadBalancerNotFound"])? else { return Ok(Vec::new()) };
        let Some(balancer_arn) = balancers.load_balancers().first().and_then(|found| found.load_balancer_arn()) else {
            return Ok(Vec::new());
        };
        let listeners = self
            .load_balancing
            .describe_listeners()
            .load_balancer_arn(balancer_arn)
            .send()
            .await
            .map_err(|error| self.error("elasticloadbalancing:DescribeListeners", &resource, &error))?;
        let Some(listener_arn) =
            listeners.listeners().iter().find(|listener| listener.port() == Some(443)).and_then(|l| l.listener_arn())
        else {
            return Ok(Vec::new());
        };
        let rules = self.listener_rules(listener_arn, load_balancer).await?;
        let forwarding: Vec<_> = rules
            .iter()
            .filter(|rule| {
                rule.actions()
                    .iter()
                    .any(|action| action.target_group_arn().is_some_and(|arn| target_groups.iter().any(|t| t == arn)))
            })
            .collect();
        let arns: Vec<String> = forwarding.iter().filter_map(|rule| rule.rule_arn().map(str::to_string)).collect();
        let mut tags = self.tags_of(&arns).await?;
        Ok(forwarding
            .into_iter()
            .filter_map(|rule| {
                let arn = rule.rule_arn()?;
                let priority = rule.priority().and_then(|p| p.parse().ok()).unwrap_or_default();
                let read = rule_of(listener_arn, priority, rule, tags.remove(arn).unwrap_or_default());
                Some((arn.to_string(), read))
            })
            .collect())
    }

    /// Adds the adoption's tags (none removed): ECS `TagResource`, ELBv2 `AddTags`.
    pub(super) async fn adopt_resource(&self, adoption: &Adoption) -> Result<(), CloudError> {
        let resource = format!("{} {}", adoption.kind.noun(), adoption.arn);
        match adoption.kind {
            AdoptedKind::EcsService | AdoptedKind::TaskDefinition => self
                .ecs
                .tag_resource()
                .resource_arn(&adoption.arn)
                .set_tags(Some(ecs_tags(&adoption.tags)))
                .send()
                .await
                .map(|_| ())
                .map_err(|error| self.error(adoption.kind.operation(), &resource, &error)),
            AdoptedKind::TargetGroup | AdoptedKind::ListenerRule => self
                .load_balancing
                .add_tags()
                .resource_arns(&adoption.arn)
                .set_tags(Some(elb_tags(&adoption.tags)))
                .send()
                .await
                .map(|_| ())
                .map_err(|error| self.error(adoption.kind.operation(), &resource, &error)),
        }
    }

    /// Removes tag `keys` from the adopted resource: ECS `UntagResource`, ELBv2 `RemoveTags`.
    pub(super) async fn unadopt_resource(&self, adoption: &Adoption, keys: &[String]) -> Result<(), CloudError> {
        if keys.is_empty() {
            return Ok(());
        }
        let resource = format!("{} {}", adoption.kind.noun(), adoption.arn);
        match adoption.kind {
            AdoptedKind::EcsService | AdoptedKind::TaskDefinition => self
                .ecs
                .untag_resource()
                .resource_arn(&adoption.arn)
                .set_tag_keys(Some(keys.to_vec()))
                .send()
                .await
                .map(|_| ())
                .map_err(|error| self.error("ecs:UntagResource", &resource, &error)),
            AdoptedKind::TargetGroup | AdoptedKind::ListenerRule => self
                .load_balancing
                .remove_tags()
                .resource_arns(&adoption.arn)
                .set_tag_keys(Some(keys.to_vec()))
                .send()
                .await
                .map(|_| ())
                .map_err(|error| self.error("elasticloadbalancing:RemoveTags", &resource, &error)),
        }
    }
}

/// Settings of the service and its task definition that the manifest cannot express (and the
/// readers therefore do not compare): set to anything but their default, they would be dropped
/// by the first revision ecsdeploy registers, so `import` refuses them by name.
fn unsupported_settings(service: &ecs::Service, definition: &ecs::TaskDefinition) -> Vec<String> {
    let mut found = Vec::new();
    let mut check = |set: bool, name: &str| {
        if set {
            found.push(name.to_string());
        }
    };
    check(!service.service_registries().is_empty(), "service: serviceRegistries (Cloud Map)");
    check(service.enable_execute_command(), "service: enableExecuteCommand");
    check(!service.placement_constraints().is_empty(), "service: placementConstraints");
    check(!service.placement_strategy().is_empty(), "service: placementStrategy");
    let deployment_alarms = service.deployment_configuration().and_then(|d| d.alarms()).is_some_and(|a| a.enable());
    check(deployment_alarms, "service: deploymentConfiguration.alarms");
    check(!definition.volumes().is_empty(), "task definition: volumes");
    check(
        definition.ephemeral_storage().is_some_and(|storage| storage.size_in_gib() > 21),
        "task definition: ephemeralStorage",
    );
    check(definition.pid_mode().is_some(), "task definition: pidMode");
    check(definition.ipc_mode().is_some(), "task definition: ipcMode");
    check(definition.proxy_configuration().is_some(), "task definition: proxyConfiguration");
    for container in definition.container_definitions() {
        let name = container.name().unwrap_or_default();
        let mut setting = |set: bool, field: &str| check(set, &format!("container {name}: {field}"));
        setting(!container.environment_files().is_empty(), "environmentFiles");
        setting(container.repository_credentials().is_some(), "repositoryCredentials");
        setting(!container.mount_points().is_empty(), "mountPoints");
        setting(!container.volumes_from().is_empty(), "volumesFrom");
        setting(!container.ulimits().is_empty(), "ulimits");
        setting(container.user().is_some_and(|user| !user.is_empty()), "user");
        setting(container.working_directory().is_some_and(|dir| !dir.is_empty()), "workingDirectory");
        setting(container.docker_labels().is_some_and(|labels| !labels.is_empty()), "dockerLabels");
        setting(container.stop_timeout().is_some(), "stopTimeout");
        setting(container.start_timeout().is_some(), "startTimeout");
        setting(container.linux_parameters().is_some(), "linuxParameters");
        setting(container.readonly_root_filesystem() == Some(true), "readonlyRootFilesystem");
        setting(!container.depends_on().is_empty(), "dependsOn");
        setting(container.firelens_configuration().is_some(), "firelensConfiguration");
        setting(container.cpu() != 0, "cpu");
        setting(container.memory().is_some(), "memory");
        setting(container.memory_reservation().is_some(), "memoryReservation");
        setting(!container.system_controls().is_empty(), "systemControls");
        setting(!container.resource_requirements().is_empty(), "resourceRequirements");
        setting(container.privileged() == Some(true), "privileged");
        let log = container.log_configuration();
        setting(log.is_none(), "logConfiguration (none: ecsdeploy sends logs to CloudWatch)");
        if let Some(log) = log {
            setting(
                log.log_driver().as_str() != "awslogs",
                &format!("logConfiguration.logDriver {}", log.log_driver().as_str()),
            );
            let known = ["awslogs-group", "awslogs-region", "awslogs-stream-prefix"];
            for key in log.options().into_iter().flat_map(|options| options.keys()) {
                setting(!known.contains(&key.as_str()), &format!("logConfiguration.options.{key}"));
            }
            setting(!log.secret_options().is_empty(), "logConfiguration.secretOptions");
        }
        for mapping in container.port_mappings() {
            setting(mapping.name().is_some_and(|n| !n.is_empty()), "portMappings.name (Service Connect)");
            setting(mapping.container_port_range().is_some(), "portMappings.containerPortRange");
        }
        for secret in container.secrets() {
            setting(
                !secret.value_from().contains(":secretsmanager:"),
                &format!("secrets.{} (not a Secrets Manager ARN)", secret.name()),
            );
        }
    }
    found
}
