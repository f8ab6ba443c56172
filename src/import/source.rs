//! What `import` reads of a running service, in the desired shapes (so that the mapping back to
//! manifest settings compares like with like), and the tags it puts on what it adopts.

use crate::desired::ecs_service::EcsService;
use crate::desired::load_balancing::{ListenerRule, TargetGroupSettings};
use crate::desired::scaling::{ScalableTarget, ScalingPolicy};
use crate::desired::tags::Tags;
use crate::desired::task_definition::TaskDefinition;

/// Which service to read: `cluster`/`service`, routed by the HTTPS listener of `load_balancer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    pub cluster: String,
    pub service: String,
    pub load_balancer: String,
}

/// A running ECS service and what belongs to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSource {
    pub service_arn: String,
    /// Its tags included; subnets, security groups and target groups by ID.
    pub service: EcsService,
    pub task_definition_arn: String,
    pub task_definition: TaskDefinition,
    /// The target groups the service is registered with, by ARN.
    pub target_groups: Vec<(String, TargetGroupSettings)>,
    /// The rules of the load balancer's HTTPS listener that forward to those target groups.
    pub listener_rules: Vec<(String, ListenerRule)>,
    pub scalable_target: Option<ScalableTarget>,
    pub scaling_policies: Vec<ScalingPolicy>,
    /// Settings it has that the manifest cannot express (`container app: mountPoints`): the
    /// readers do not compare them, so an entry would silently drop them.
    pub unsupported: Vec<String>,
}

impl ImportSource {
    /// The resources `import` adopts, with their ARNs and their tags as read.
    pub fn tagged_resources(&self) -> Vec<(AdoptedKind, &str, &Tags)> {
        let mut resources = vec![
            (AdoptedKind::EcsService, self.service_arn.as_str(), &self.service.tags),
            (AdoptedKind::TaskDefinition, self.task_definition_arn.as_str(), &self.task_definition.tags),
        ];
        let groups =
            self.target_groups.iter().map(|(arn, group)| (AdoptedKind::TargetGroup, arn.as_str(), &group.group.tags));
        resources.extend(groups);
        resources.extend(
            self.listener_rules.iter().map(|(arn, rule)| (AdoptedKind::ListenerRule, arn.as_str(), &rule.tags)),
        );
        resources
    }
}

/// A resource `import` takes over by tagging it as this environment's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    pub kind: AdoptedKind,
    pub arn: String,
    /// Tags added (existing tags stay; none are removed).
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdoptedKind {
    EcsService,
    TaskDefinition,
    TargetGroup,
    ListenerRule,
}

impl AdoptedKind {
    /// The tagging permission, for messages.
    pub fn operation(self) -> &'static str {
        match self {
            AdoptedKind::EcsService | AdoptedKind::TaskDefinition => "ecs:TagResource",
            AdoptedKind::TargetGroup | AdoptedKind::ListenerRule => "elasticloadbalancing:AddTags",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            AdoptedKind::EcsService => "ECS service",
            AdoptedKind::TaskDefinition => "task definition",
            AdoptedKind::TargetGroup => "target group",
            AdoptedKind::ListenerRule => "listener rule",
        }
    }
}
