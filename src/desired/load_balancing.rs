//! The service's target group and listener rule on the shared ALB, shaped as ELBv2's
//! `CreateTargetGroup` / `ModifyTargetGroupAttributes` and `CreateRule` receive them.

use super::names::ServiceNames;
use super::reference::Reference;
use super::tags::{Tags, pascal_style};
use crate::manifest::{Environment, PathRewrite, Service, path_rewrite};
use serde::{Deserialize, Serialize};

/// `CreateTargetGroup`: ip targets (Fargate tasks in awsvpc mode), HTTP, the manifest's health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroup {
    pub name: String,
    pub protocol: String,
    pub protocol_version: String,
    pub port: i64,
    pub vpc_id: Reference,
    pub target_type: String,
    pub health_check_enabled: bool,
    pub health_check_protocol: String,
    pub health_check_port: String,
    pub health_check_path: String,
    pub health_check_interval_seconds: i64,
    pub health_check_timeout_seconds: i64,
    pub healthy_threshold_count: i64,
    pub unhealthy_threshold_count: i64,
    pub matcher: Matcher,
    #[serde(serialize_with = "pascal_style")]
    pub tags: Tags,
}

/// A target group with its attributes: one resource in a plan (the attributes are set right
/// after creation, and compared together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetGroupSettings {
    #[serde(flatten)]
    pub group: TargetGroup,
    #[serde(rename = "Attributes")]
    pub attributes: Vec<Attribute>,
}

/// `ModifyTargetGroupAttributes`: settings `CreateTargetGroup` does not take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroupAttributes {
    pub target_group_arn: Reference,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Matcher {
    pub http_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    pub key: String,
    pub value: String,
}

/// `CreateRule` on the shared ALB's HTTPS listener: the environment's path to the target group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListenerRule {
    pub listener_arn: Reference,
    pub priority: i64,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<RuleAction>,
    /// What the rule takes off the path before forwarding (see `manifest::path_rewrite`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transforms: Vec<RuleTransform>,
    #[serde(serialize_with = "pascal_style")]
    pub tags: Tags,
}

/// A rule's transform, as `CreateRule`'s `Transforms` takes it: only `url-rewrite` here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleTransform {
    #[serde(rename = "Type")]
    pub transform_type: String,
    pub url_rewrite_config: UrlRewriteConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UrlRewriteConfig {
    pub rewrites: Vec<RewriteConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RewriteConfig {
    pub regex: String,
    pub replace: String,
}

/// The service's url-rewrite in `environment` (none when nothing is taken off, or when the
/// manifest's combination is invalid: validation reports that before anything is planned).
pub fn rule_transforms(environment: &Environment, service: &Service) -> Vec<RuleTransform> {
    transforms_for(service.path_rewrite.value, &environment.path_prefix.value, &service.path.value)
}

/// The transforms of a rule for `path` under `prefix` with `rewrite`.
pub fn transforms_for(rewrite: PathRewrite, prefix: &str, path: &str) -> Vec<RuleTransform> {
    let Ok(Some(rewrite)) = path_rewrite::url_rewrite(rewrite, prefix, path) else { return Vec::new() };
    vec![RuleTransform {
        transform_type: "url-rewrite".into(),
        url_rewrite_config: UrlRewriteConfig {
            rewrites: vec![RewriteConfig { regex: rewrite.regex, replace: rewrite.replace }],
        },
    }]
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleCondition {
    pub field: String,
    pub path_pattern_config: PathPatternConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PathPatternConfig {
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleAction {
    #[serde(rename = "Type")]
    pub action_type: String,
    pub target_group_arn: Reference,
}

pub fn target_group(service: &Service, names: &ServiceNames, tags: &Tags) -> TargetGroup {
    let check = &service.health_check;
    TargetGroup {
        name: names.target_group.clone(),
        protocol: "HTTP".into(),
        protocol_version: "HTTP1".into(),
        port: service.port.value,
        vpc_id: Reference::Vpc,
        target_type: "ip".into(),
        health_check_enabled: true,
        health_check_protocol: "HTTP".into(),
        health_check_port: "traffic-port".into(),
        health_check_path: check.path.value.clone(),
        health_check_interval_seconds: check.interval_seconds.value,
        health_check_timeout_seconds: check.timeout_seconds.value,
        healthy_threshold_count: check.healthy_threshold,
        unhealthy_threshold_count: check.unhealthy_threshold,
        matcher: Matcher { http_code: check.matcher.value.clone() },
        tags: tags.clone(),
    }
}

/// The deregistration delay: how long the ALB drains a stopping task (AWS's default is 300 s).
pub fn target_group_attributes(service: &Service, names: &ServiceNames) -> TargetGroupAttributes {
    TargetGroupAttributes {
        target_group_arn: Reference::TargetGroupArn(names.target_group.clone()),
        attributes: vec![Attribute {
            key: "deregistration_delay.timeout_seconds".into(),
            value: service.deregistration_delay_seconds.to_string(),
        }],
    }
}

pub fn listener_rule(
    load_balancer: &str,
    path_pattern: String,
    priority: i64,
    transforms: Vec<RuleTransform>,
    names: &ServiceNames,
    tags: &Tags,
) -> ListenerRule {
    ListenerRule {
        listener_arn: Reference::HttpsListenerArn { load_balancer: load_balancer.to_string() },
        priority,
        conditions: vec![RuleCondition {
            field: "path-pattern".into(),
            path_pattern_config: PathPatternConfig { values: vec![path_pattern] },
        }],
        actions: vec![RuleAction {
            action_type: "forward".into(),
            target_group_arn: Reference::TargetGroupArn(names.target_group.clone()),
        }],
        transforms,
        tags: tags.clone(),
    }
}
