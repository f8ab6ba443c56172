//! The ECS service, shaped as `CreateService` receives it.

use super::names::ServiceNames;
use super::reference::Reference;
use super::tags::{Tags, ecs_style};
use crate::manifest::{Environment, Project, Service};
use serde::{Deserialize, Serialize};

/// `CreateService`: Fargate in private subnets, behind the service's target group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EcsService {
    pub cluster: String,
    pub service_name: String,
    /// The exact revision: the one running when its content is unchanged, else the new one.
    pub task_definition: Reference,
    /// Only set when the service is created: afterwards autoscaling owns the count, and a deploy
    /// that reset it would undo a scale-out in the middle of a traffic peak.
    pub desired_count: i64,
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    pub platform_version: String,
    pub network_configuration: NetworkConfiguration,
    pub load_balancers: Vec<LoadBalancerBinding>,
    pub health_check_grace_period_seconds: i64,
    pub deployment_configuration: DeploymentConfiguration,
    pub deployment_controller: DeploymentController,
    pub propagate_tags: String,
    #[serde(rename = "enableECSManagedTags")]
    pub enable_ecs_managed_tags: bool,
    #[serde(serialize_with = "ecs_style")]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapacityProviderStrategyItem {
    pub capacity_provider: String,
    pub weight: i64,
    pub base: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfiguration {
    pub awsvpc_configuration: AwsVpcConfiguration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    /// A list in the API; offline it holds the one reference to the looked-up private subnets.
    pub subnets: Vec<Reference>,
    pub security_groups: Vec<Reference>,
    /// Tasks run in private subnets and reach ECR and Secrets Manager through NAT or endpoints.
    pub assign_public_ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerBinding {
    pub target_group_arn: Reference,
    pub container_name: String,
    pub container_port: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentConfiguration {
    pub deployment_circuit_breaker: DeploymentCircuitBreaker,
    pub maximum_percent: i64,
    pub minimum_healthy_percent: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentCircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentController {
    #[serde(rename = "type")]
    pub controller_type: String,
}

/// The strategy sorted by provider: ECS does not keep the order, and it carries no meaning.
fn capacity_strategy(environment: &Environment) -> Vec<CapacityProviderStrategyItem> {
    let mut strategy: Vec<CapacityProviderStrategyItem> = environment
        .capacity
        .iter()
        .map(|provider| CapacityProviderStrategyItem {
            capacity_provider: provider.provider.clone(),
            weight: provider.weight,
            base: provider.base,
        })
        .collect();
    strategy.sort_by(|a, b| a.capacity_provider.cmp(&b.capacity_provider));
    strategy
}

pub fn ecs_service(
    project: &Project,
    environment: &Environment,
    service: &Service,
    names: &ServiceNames,
    tags: &Tags,
) -> EcsService {
    EcsService {
        cluster: project.cluster.value.clone(),
        service_name: names.full_name.clone(),
        task_definition: Reference::TaskDefinitionArn { family: names.full_name.clone() },
        desired_count: service.scaling.min.value.max(1),
        capacity_provider_strategy: capacity_strategy(environment),
        platform_version: "LATEST".into(),
        network_configuration: NetworkConfiguration {
            awsvpc_configuration: AwsVpcConfiguration {
                subnets: vec![Reference::PrivateSubnets],
                security_groups: vec![Reference::SecurityGroupId(super::names::task_security_group(
                    project,
                    environment,
                ))],
                assign_public_ip: "DISABLED".into(),
            },
        },
        load_balancers: vec![LoadBalancerBinding {
            target_group_arn: Reference::TargetGroupArn(names.target_group.clone()),
            container_name: names.container.clone(),
            container_port: service.port.value,
        }],
        health_check_grace_period_seconds: service.health_check.grace_period_seconds,
        deployment_configuration: DeploymentConfiguration {
            // ECS's own breaker stops a doomed rollout early; ecsdeploy's gate decides success.
            deployment_circuit_breaker: DeploymentCircuitBreaker {
                enable: service.deployment.circuit_breaker,
                rollback: service.deployment.circuit_breaker,
            },
            maximum_percent: service.deployment.maximum_percent.value,
            minimum_healthy_percent: service.deployment.minimum_healthy_percent,
        },
        deployment_controller: DeploymentController { controller_type: "ECS".into() },
        propagate_tags: "SERVICE".into(),
        enable_ecs_managed_tags: true,
        tags: tags.clone(),
    }
}
