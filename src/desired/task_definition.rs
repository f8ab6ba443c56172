//! The task definition, shaped as ECS `RegisterTaskDefinition` receives it.
//!
//! Lists that ECS does not keep in order (environment, secrets) are sorted by name here, so that
//! the desired and the actual task definition compare equal when nothing changed.

use super::context::Context;
use super::names::{ROLE_PATH, ServiceNames};
use super::reference::{Reference, Template};
use super::tags::{Tags, ecs_style};
use crate::manifest::{Environment, Image, Service};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinition {
    pub family: String,
    pub task_role_arn: Template,
    pub execution_role_arn: Template,
    pub network_mode: String,
    pub requires_compatibilities: Vec<String>,
    /// CPU units as a string, the form ECS returns.
    pub cpu: String,
    /// MiB as a string, the form ECS returns.
    pub memory: String,
    pub runtime_platform: RuntimePlatform,
    pub container_definitions: Vec<ContainerDefinition>,
    #[serde(serialize_with = "ecs_style")]
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePlatform {
    pub cpu_architecture: String,
    pub operating_system_family: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerDefinition {
    pub name: String,
    pub image: ImageReference,
    pub essential: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<Vec<String>>,
    pub port_mappings: Vec<PortMapping>,
    pub environment: Vec<KeyValue>,
    pub secrets: Vec<SecretVariable>,
    pub log_configuration: LogConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check: Option<ContainerHealthCheck>,
}

/// The container image: by digest once resolved, by tag only for images outside ECR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageReference {
    /// `<registry>/<repository>@sha256:...`, resolved from the tag at plan time.
    Ecr {
        registry: Template,
        repository: String,
        tag: String,
        digest: Reference,
    },
    External(String),
}

impl ImageReference {
    /// `<registry>/<repository>@<digest>`, or the external reference as written.
    pub fn to_reference_string(&self) -> String {
        match self {
            ImageReference::Ecr { registry, repository, digest, .. } => format!("{registry}/{repository}@{digest}"),
            ImageReference::External(reference) => reference.clone(),
        }
    }
}

/// Read back (resolved, or from AWS), an image reference is the string the task definition holds.
impl<'de> Deserialize<'de> for ImageReference {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(ImageReference::External)
    }
}

impl Serialize for ImageReference {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_reference_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    pub container_port: i64,
    pub host_port: i64,
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    pub name: String,
    pub value: String,
}

/// A secret injected as an environment variable; `valueFrom` is an ARN, never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretVariable {
    pub name: String,
    pub value_from: SecretValueFrom,
    /// Which secret this is (for the preflight check and the execution role's grant); not part of
    /// the API payload.
    #[serde(skip)]
    pub secret: SecretIdentity,
}

/// `<secret ARN>[:<json-key>::]`.
///
/// A secret's full ARN ends in six random characters that only AWS knows, and ECS needs the full
/// ARN when a JSON key is given; so the ARN is a [`Reference`] that plan resolves through
/// Secrets Manager (`DescribeSecret`), never by reading the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretValueFrom(pub Template);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogConfiguration {
    pub log_driver: String,
    pub options: LogOptions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogOptions {
    #[serde(rename = "awslogs-group")]
    pub group: String,
    #[serde(rename = "awslogs-region")]
    pub region: String,
    #[serde(rename = "awslogs-stream-prefix")]
    pub stream_prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerHealthCheck {
    pub command: Vec<String>,
    pub interval: i64,
    pub timeout: i64,
    pub retries: i64,
    pub start_period: i64,
}

pub fn task_definition(
    context: &Context,
    environment: &Environment,
    service: &Service,
    names: &ServiceNames,
    tags: &Tags,
) -> TaskDefinition {
    TaskDefinition {
        family: names.full_name.clone(),
        task_role_arn: role_arn(context, &service.task_role, &names.task_role),
        execution_role_arn: role_arn(context, &service.execution_role, &names.execution_role),
        network_mode: "awsvpc".into(),
        requires_compatibilities: vec!["FARGATE".into()],
        cpu: service.cpu.value.to_string(),
        memory: service.memory.value.to_string(),
        runtime_platform: RuntimePlatform {
            cpu_architecture: service.architecture.clone(),
            operating_system_family: "LINUX".into(),
        },
        container_definitions: vec![container_definition(context, environment, service, names)],
        tags: tags.clone(),
    }
}

/// The role the manifest names (used as written), or the one ecsdeploy creates.
fn role_arn(context: &Context, external: &Option<crate::manifest::Located<String>>, name: &str) -> Template {
    match external {
        Some(arn) => Template::literal(&arn.value),
        None => context.global_arn("iam", &format!("role{ROLE_PATH}{name}")),
    }
}

fn container_definition(
    context: &Context,
    environment: &Environment,
    service: &Service,
    names: &ServiceNames,
) -> ContainerDefinition {
    let mut variables: Vec<KeyValue> = service
        .env
        .iter()
        .map(|(name, value)| KeyValue { name: name.value.clone(), value: value.value.clone() })
        .collect();
    variables.sort_by(|a, b| a.name.cmp(&b.name));
    let mut secrets: Vec<SecretVariable> =
        service.secrets.iter().map(|secret| secret_variable(environment, secret)).collect();
    secrets.sort_by(|a, b| a.name.cmp(&b.name));
    ContainerDefinition {
        name: names.container.clone(),
        image: image_reference(context, &service.image),
        essential: true,
        command: service.command.clone(),
        entry_point: service.entry_point.clone(),
        port_mappings: vec![PortMapping {
            container_port: service.port.value,
            host_port: service.port.value,
            protocol: "tcp".into(),
        }],
        environment: variables,
        secrets,
        log_configuration: LogConfiguration {
            log_driver: "awslogs".into(),
            options: LogOptions {
                group: names.log_group.clone(),
                region: context.region.clone(),
                stream_prefix: names.log_stream_prefix.clone(),
            },
        },
        health_check: service.container_health_check.as_ref().map(|check| ContainerHealthCheck {
            command: check.command.value.clone(),
            interval: check.interval_seconds,
            timeout: check.timeout_seconds,
            retries: check.retries,
            start_period: check.start_period_seconds,
        }),
    }
}

fn image_reference(context: &Context, image: &Image) -> ImageReference {
    match image {
        Image::Ecr { repository, tag } => ImageReference::Ecr {
            registry: context.ecr_registry(),
            repository: repository.value.clone(),
            tag: tag.value.clone(),
            digest: Reference::ImageByDigest { repository: repository.value.clone(), tag: tag.value.clone() },
        },
        Image::External(reference) => ImageReference::External(reference.value.clone()),
    }
}

/// The images of a task definition's containers, from its JSON (as planned, or as read back).
pub fn container_images(task_definition: &serde_json::Value) -> Vec<String> {
    let containers = task_definition["containerDefinitions"].as_array().into_iter().flatten();
    containers.filter_map(|container| container["image"].as_str().map(str::to_string)).collect()
}

/// A secret named in this account's Secrets Manager (resolved per environment), or given by ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretIdentity {
    Name(String),
    Arn(String),
}

/// Only for payloads read back, where the identity is not needed.
impl Default for SecretIdentity {
    fn default() -> Self {
        SecretIdentity::Name(String::new())
    }
}

fn secret_variable(environment: &Environment, secret: &crate::manifest::SecretReference) -> SecretVariable {
    let (identity, arn) = if secret.secret.value.starts_with("arn:") {
        (SecretIdentity::Arn(secret.secret.value.clone()), Reference::known(secret.secret.value.clone()))
    } else {
        let name = super::names::secret_name(environment, &secret.secret.value);
        (SecretIdentity::Name(name.clone()), Reference::SecretArn(name))
    };
    let mut value_from = Template(vec![arn]);
    if let Some(key) = &secret.json_key {
        // valueFrom is ARN:json-key:version-stage:version-id; empty stage and id mean AWSCURRENT.
        value_from.0.push(Reference::known(format!(":{key}::")));
    }
    SecretVariable { name: secret.variable.value.clone(), value_from: SecretValueFrom(value_from), secret: identity }
}
