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

/// The largest task definition ECS registers: "The maximum size (in bytes) of a task definition
/// is 64 KiB" (Amazon ECS service quotas); RegisterTaskDefinition refuses a larger one.
pub const MAX_SIZE: usize = 64 * 1024;

/// How much longer than its offline placeholder a value only AWS knows can be (a secret's full ARN
/// with its random suffix, an image digest): each counts this much extra, so that the size
/// checked before any AWS call is never below what AWS will see.
const UNKNOWN_VALUE_ALLOWANCE: usize = 128;

/// The size in bytes of `task_definition` as RegisterTaskDefinition receives it (its JSON), with
/// each value only AWS knows counted at [`UNKNOWN_VALUE_ALLOWANCE`] more than its placeholder.
pub fn size(task_definition: &TaskDefinition) -> usize {
    let json = serde_json::to_vec(task_definition).map_or(usize::MAX, |json| json.len());
    let templates = [&task_definition.task_role_arn, &task_definition.execution_role_arn].into_iter().chain(
        task_definition.container_definitions.iter().flat_map(|container| {
            let registry = match &container.image {
                ImageReference::Ecr { registry, .. } => Some(registry),
                ImageReference::External(_) => None,
            };
            registry.into_iter().chain(container.secrets.iter().map(|secret| &secret.value_from.0))
        }),
    );
    let digests = task_definition
        .container_definitions
        .iter()
        .filter(|container| matches!(&container.image, ImageReference::Ecr { digest, .. } if !digest.is_known()));
    let unknown = templates.flat_map(|template| &template.0).filter(|part| !part.is_known()).count() + digests.count();
    json.saturating_add(unknown.saturating_mul(UNKNOWN_VALUE_ALLOWANCE))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The stage `auth` task definition of the shipped manifest, for `account`.
    fn stage_auth(account: Option<&str>) -> TaskDefinition {
        let checked = crate::checked::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).expect("manifest");
        let environment = checked.manifest.environment("stage").expect("stage");
        let context = Context::new("us-east-1", account.map(str::to_string));
        let desired = crate::desired::build(&checked.manifest, environment, &context);
        desired.services.into_iter().find(|service| service.name == "auth").expect("auth").task_definition
    }

    #[test]
    fn size_counts_each_value_only_aws_knows_at_its_longest() {
        // auth: two role ARNs and the registry with the account, the image digest, three secrets.
        let unknown_account = stage_auth(None);
        let json = serde_json::to_vec(&unknown_account).unwrap().len();
        assert_eq!(size(&unknown_account), json + 7 * UNKNOWN_VALUE_ALLOWANCE);
        let known_account = stage_auth(Some("123456789012"));
        let json = serde_json::to_vec(&known_account).unwrap().len();
        assert_eq!(size(&known_account), json + 4 * UNKNOWN_VALUE_ALLOWANCE);
        assert!(size(&known_account) < MAX_SIZE / 10);
    }
}
