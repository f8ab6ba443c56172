//! Application Auto Scaling of the service's task count, shaped as `RegisterScalableTarget` and
//! `PutScalingPolicy` receive them.

use super::names::ServiceNames;
use super::reference::Reference;
use super::tags::{Tags, map_style};
use crate::manifest::Service;
use serde::{Deserialize, Serialize};

const NAMESPACE: &str = "ecs";
const DIMENSION: &str = "ecs:service:DesiredCount";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalableTarget {
    pub service_namespace: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    pub min_capacity: i64,
    pub max_capacity: i64,
    #[serde(serialize_with = "map_style")]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    pub policy_name: String,
    pub service_namespace: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    pub policy_type: String,
    pub target_tracking_scaling_policy_configuration: TargetTracking,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTracking {
    pub target_value: f64,
    pub predefined_metric_specification: PredefinedMetric,
    pub scale_in_cooldown: i64,
    pub scale_out_cooldown: i64,
    pub disable_scale_in: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PredefinedMetric {
    pub predefined_metric_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_label: Option<Reference>,
}

/// Whether the scaling policy `policy` of ECS service `full_name` is ecsdeploy's. Policies carry
/// no tags: ecsdeploy's are those with the names the manifest gives (`named`) and those with its
/// conventional names (`<service>-cpu`, `<service>-requests`); any other is left alone.
pub fn is_own_policy(full_name: &str, named: &[&str], policy: &str) -> bool {
    named.contains(&policy) || policy == format!("{full_name}-cpu") || policy == format!("{full_name}-requests")
}

pub fn scalable_target(service: &Service, names: &ServiceNames, tags: &Tags) -> ScalableTarget {
    ScalableTarget {
        service_namespace: NAMESPACE.into(),
        resource_id: names.scaling_resource_id.clone(),
        scalable_dimension: DIMENSION.into(),
        min_capacity: service.scaling.min.value,
        max_capacity: service.scaling.max.value,
        tags: tags.clone(),
    }
}

/// Target tracking on CPU, and on ALB requests per target when the manifest sets a target.
pub fn scaling_policies(load_balancer: &str, service: &Service, names: &ServiceNames) -> Vec<ScalingPolicy> {
    let scaling = &service.scaling;
    let policy = |name: &str, target: i64, metric: PredefinedMetric| ScalingPolicy {
        policy_name: name.to_string(),
        service_namespace: NAMESPACE.into(),
        resource_id: names.scaling_resource_id.clone(),
        scalable_dimension: DIMENSION.into(),
        policy_type: "TargetTrackingScaling".into(),
        target_tracking_scaling_policy_configuration: TargetTracking {
            target_value: target as f64,
            predefined_metric_specification: metric,
            scale_in_cooldown: scaling.scale_in_cooldown_seconds,
            scale_out_cooldown: scaling.scale_out_cooldown_seconds,
            disable_scale_in: false,
        },
    };
    let mut policies = vec![policy(
        &names.cpu_policy,
        scaling.cpu_target,
        PredefinedMetric { predefined_metric_type: "ECSServiceAverageCPUUtilization".into(), resource_label: None },
    )];
    if let Some(requests) = scaling.requests_per_target {
        policies.push(policy(
            &names.requests_policy,
            requests,
            PredefinedMetric {
                predefined_metric_type: "ALBRequestCountPerTarget".into(),
                resource_label: Some(Reference::RequestCountResourceLabel {
                    load_balancer: load_balancer.to_string(),
                    target_group: names.target_group.clone(),
                }),
            },
        ));
    }
    policies
}
