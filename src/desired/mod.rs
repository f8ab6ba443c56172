//! The desired state of one environment: every resource, named and shaped as the AWS APIs would
//! receive it. Pure: computed from the manifest and a [`Context`] without any AWS call.
//!
//! Values only AWS can tell (ARNs, IDs, image digests) appear as [`Reference`]s that plan resolves.

pub mod alarms;
pub mod checks;
pub mod context;
pub mod dns;
pub mod ecs_service;
pub mod iam;
pub mod image_pin;
pub mod load_balancing;
pub mod logs;
pub mod names;
pub mod reference;
pub mod routing;
pub mod scaling;
pub mod secret_rotation;
pub mod shared;
pub mod tags;
pub mod task_definition;

pub use context::Context;
pub use reference::{Reference, Template};

use crate::manifest::{Environment, Manifest, Service};
use serde::{Deserialize, Serialize};
use tags::Tags;

/// Version of the JSON shape of [`DesiredEnvironment`] (`render --output json`).
pub const RENDER_SCHEMA_VERSION: u32 = 1;

/// Everything one environment should consist of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredEnvironment {
    pub schema_version: u32,
    pub project: String,
    pub environment: String,
    pub region: String,
    pub account_id: Reference,
    pub cluster: String,
    pub load_balancer: String,
    pub shared: shared::SharedResources,
    pub services: Vec<DesiredService>,
    pub dns_records: Vec<dns::DnsChange>,
    /// The environment's own security group for its tasks (`security_group = "own"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group: Option<shared::SecurityGroup>,
    /// Rotation settings of the environment's secrets (`[secrets."<name>".rotation]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_rotations: Vec<secret_rotation::SecretRotation>,
}

/// Everything one service of one environment should consist of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredService {
    /// The manifest's name (`auth`).
    pub name: String,
    /// The environment's name of it (`stage-auth`).
    pub full_name: String,
    /// `None` when the manifest names a log group ecsdeploy uses but does not manage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<logs::LogGroup>,
    /// `None` when the manifest names a role (`execution_role = "arn:..."`) ecsdeploy uses but
    /// does not manage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_role: Option<iam::Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_role: Option<iam::Role>,
    /// The tag that keeps the service's ECR image (`None`: an image from another registry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pin: Option<image_pin::ImagePin>,
    pub task_definition: task_definition::TaskDefinition,
    pub target_group: load_balancing::TargetGroup,
    pub target_group_attributes: load_balancing::TargetGroupAttributes,
    pub listener_rule: load_balancing::ListenerRule,
    pub service: ecs_service::EcsService,
    pub scalable_target: scaling::ScalableTarget,
    pub scaling_policies: Vec<scaling::ScalingPolicy>,
    pub alarms: Vec<alarms::MetricAlarm>,
}

impl DesiredEnvironment {
    pub fn service(&self, name: &str) -> Option<&DesiredService> {
        self.services.iter().find(|service| service.name == name || service.full_name == name)
    }
}

/// The desired state of `environment` (its enabled services only).
pub fn build(manifest: &Manifest, environment: &Environment, context: &Context) -> DesiredEnvironment {
    let project = &manifest.project;
    let load_balancer = environment.load_balancer_name(project).to_string();
    let services =
        environment.enabled_services().map(|service| build_service(manifest, environment, service, context)).collect();
    let dns_records = match (&project.dns, &environment.domain) {
        (Some(dns), Some(domain)) => vec![dns::alias_record(
            &dns.zone.value,
            &domain.value,
            &load_balancer,
            &project.name.value,
            &environment.name.value,
        )],
        _ => Vec::new(),
    };
    DesiredEnvironment {
        schema_version: RENDER_SCHEMA_VERSION,
        project: project.name.value.clone(),
        environment: environment.name.value.clone(),
        region: context.region.clone(),
        account_id: context.account.clone(),
        cluster: project.cluster.value.clone(),
        load_balancer,
        shared: shared::shared_resources(manifest, environment),
        services,
        dns_records,
        security_group: shared::environment_security_group(manifest, environment),
        secret_rotations: secret_rotation::secret_rotations(context, environment),
    }
}

/// The ECS service's tags: the service's, plus, when it uses secrets, the digest of their
/// current versions (so that a rotation shows in the plan and restarts the service).
fn secret_versions_tagged(
    tags: &Tags,
    task_definition: &task_definition::TaskDefinition,
    names: &names::ServiceNames,
) -> Tags {
    let uses_secrets = task_definition.container_definitions.iter().any(|container| !container.secrets.is_empty());
    let mut tagged = tags.clone();
    if uses_secrets {
        let digest = Reference::SecretVersions { service: names.full_name.clone() };
        // Where the readers' order puts it (ecsdeploy's tags by key): before ecsdeploy:service.
        let at = tagged.0.iter().position(|(key, _)| key == tags::SERVICE_TAG).unwrap_or(tagged.0.len());
        tagged.0.insert(at, (tags::SECRET_VERSIONS_TAG.to_string(), digest.to_string()));
    }
    tagged
}

/// Tags of a service's resources: ownership, then project, environment and service tags.
pub fn service_tags(manifest: &Manifest, environment: &Environment, service: &Service) -> Tags {
    let extra = manifest
        .project
        .tags
        .iter()
        .chain(&environment.tags)
        .chain(&service.tags)
        .map(|tag| (tag.key.value.as_str(), tag.value.value.as_str()));
    Tags::owned(&manifest.project.name.value, &environment.name.value, Some(&service.name.value), extra)
}

/// The rule priority of a service: explicit in the manifest, or the stable default.
pub fn rule_priority(manifest: &Manifest, environment: &Environment, service: &Service) -> i64 {
    service.priority.as_ref().map_or_else(
        || routing::default_priority(&manifest.project.name.value, &environment.name.value, &service.name.value),
        |priority| priority.value,
    )
}

fn build_service(
    manifest: &Manifest,
    environment: &Environment,
    service: &Service,
    context: &Context,
) -> DesiredService {
    let project = &manifest.project;
    let load_balancer = environment.load_balancer_name(project);
    let names = names::service_names(project, environment, service);
    let tags = service_tags(manifest, environment, service);
    let task_definition = task_definition::task_definition(context, environment, service, &names, &tags);
    DesiredService {
        name: service.name.value.clone(),
        full_name: names.full_name.clone(),
        log_group: service.log_group.is_none().then(|| logs::log_group(service, &names, &tags)),
        execution_role: service
            .execution_role
            .is_none()
            .then(|| iam::execution_role(context, &names, &task_definition, &tags)),
        task_role: service.task_role.is_none().then(|| iam::task_role(context, service, &names, &tags)),
        target_group: load_balancing::target_group(service, &names, &tags),
        target_group_attributes: load_balancing::target_group_attributes(service, &names),
        listener_rule: load_balancing::listener_rule(
            load_balancer,
            names::path_pattern(environment, service),
            rule_priority(manifest, environment, service),
            load_balancing::rule_transforms(environment, service),
            &names,
            &tags,
        ),
        service: ecs_service::ecs_service(
            project,
            environment,
            service,
            &names,
            &secret_versions_tagged(&tags, &task_definition, &names),
        ),
        scalable_target: scaling::scalable_target(service, &names, &tags),
        scaling_policies: scaling::scaling_policies(load_balancer, service, &names),
        alarms: alarms::alarms(project, environment, &service.alarms, &names, &tags),
        image_pin: image_pin::image_pin(&task_definition),
        task_definition,
    }
}
