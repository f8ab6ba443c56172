//! The two roles of a service, least privilege, shaped as IAM `CreateRole` and `PutRolePolicy`
//! receive them.
//!
//! The execution role (used by ECS to start the task) may pull only the service's repository,
//! write only its log group and read only the secrets the service references. The task role (used
//! by the application) has only what the manifest's `permissions` grant: nothing by default.

use super::context::Context;
use super::names::{ROLE_POLICY_NAME, ServiceNames};
use super::reference::Template;
use super::tags::{Tags, pascal_style};
use super::task_definition::{ImageReference, SecretIdentity, TaskDefinition};
use crate::manifest::Service;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A role: `CreateRole`, then its inline policy through `PutRolePolicy` (absent: no permission).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub create_role: CreateRole,
    pub put_role_policy: Option<PutRolePolicy>,
}

impl Role {
    pub fn name(&self) -> &str {
        &self.create_role.role_name
    }
}

/// `CreateRole`. Policy documents travel as JSON strings in the IAM API; they are kept typed here
/// (so that plan compares documents, not their spelling) and written as strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRole {
    pub role_name: String,
    /// Always [`ROLE_PATH`](super::names::ROLE_PATH).
    pub path: String,
    #[serde(serialize_with = "as_json_string", deserialize_with = "from_json_string")]
    pub assume_role_policy_document: PolicyDocument,
    pub description: String,
    #[serde(serialize_with = "pascal_style")]
    pub tags: Tags,
}

/// `PutRolePolicy`: the role's one inline policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRolePolicy {
    pub role_name: String,
    pub policy_name: String,
    #[serde(serialize_with = "as_json_string", deserialize_with = "from_json_string")]
    pub policy_document: PolicyDocument,
}

fn from_json_string<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<PolicyDocument, D::Error> {
    let text = String::deserialize(deserializer)?;
    serde_json::from_str(&text).map_err(serde::de::Error::custom)
}

fn as_json_string<S: serde::Serializer>(document: &PolicyDocument, serializer: S) -> Result<S::Ok, S::Error> {
    let text = serde_json::to_string(document).map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&text)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: String,
    pub statement: Vec<Statement>,
    /// Whatever else a document read from IAM holds (`Id`, ...): kept, so that a document
    /// changed outside ecsdeploy compares as changed and is put back.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<serde_json::Value>,
    /// Empty only in a statement read from IAM that names its actions otherwise (`NotAction`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub action: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<Template>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<serde_json::Value>,
    /// Whatever else a statement read from IAM holds (`NotAction`, `NotResource`,
    /// `NotPrincipal`): kept, so that a statement changed outside ecsdeploy compares as changed.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// An `Allow` statement named `sid`.
pub fn allow(sid: &str, actions: &[&str], resources: Vec<Template>) -> Statement {
    Statement {
        other: Default::default(),
        sid: Some(sid.to_string()),
        effect: "Allow".into(),
        principal: None,
        action: actions.iter().map(|action| action.to_string()).collect(),
        resource: resources,
        condition: None,
    }
}

/// Trust policy for ECS tasks, limited to this account (guards against the confused deputy).
fn trust_policy(context: &Context) -> PolicyDocument {
    PolicyDocument {
        other: Default::default(),
        version: "2012-10-17".into(),
        statement: vec![Statement {
            other: Default::default(),
            sid: None,
            effect: "Allow".into(),
            principal: Some(serde_json::json!({ "Service": "ecs-tasks.amazonaws.com" })),
            action: vec!["sts:AssumeRole".into()],
            resource: Vec::new(),
            condition: Some(
                serde_json::json!({ "StringEquals": { "aws:SourceAccount": context.account.to_string() } }),
            ),
        }],
    }
}

pub fn execution_role(context: &Context, names: &ServiceNames, task_definition: &TaskDefinition, tags: &Tags) -> Role {
    let mut statements = Vec::new();
    let container = task_definition.container_definitions.first();
    if let Some(ImageReference::Ecr { repository, .. }) = container.map(|c| &c.image) {
        // GetAuthorizationToken cannot be scoped to a repository.
        statements.push(allow("EcrLogin", &["ecr:GetAuthorizationToken"], vec![Template::literal("*")]));
        statements.push(allow(
            "PullOwnImage",
            &["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            vec![context.arn("ecr", &format!("repository/{repository}"))],
        ));
    }
    statements.push(allow(
        "WriteOwnLogs",
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![context.arn("logs", &format!("log-group:{}:*", names.log_group))],
    ));
    let mut secret_arns: Vec<Template> = container
        .into_iter()
        .flat_map(|container| &container.secrets)
        .map(|secret| secret_arn_pattern(context, &secret.secret))
        .collect();
    secret_arns.sort();
    secret_arns.dedup();
    if !secret_arns.is_empty() {
        statements.push(decrypt_own_secrets(context, &secret_arns));
        statements.push(allow("ReadOwnSecrets", &["secretsmanager:GetSecretValue"], secret_arns));
    }
    role(
        context,
        &names.execution_role,
        format!("ECS task execution role of {} (managed by ecsdeploy)", names.full_name),
        statements,
        tags,
    )
}

/// `kms:Decrypt` for secrets encrypted with a customer managed key: Secrets Manager decrypts
/// with the caller's permissions, so without it a task whose secret uses such a key fails to
/// start (ResourceInitializationError). Which key a secret uses can change at any time (and is
/// not the manifest's to say), so the grant names no key: it holds only through Secrets Manager
/// (`kms:ViaService`) and only for this service's own secrets (Secrets Manager's encryption
/// context carries the secret's ARN). With the AWS managed key `aws/secretsmanager` it grants
/// nothing the key policy does not already allow.
fn decrypt_own_secrets(context: &Context, secret_arns: &[Template]) -> Statement {
    let arns: Vec<String> = secret_arns.iter().map(ToString::to_string).collect();
    Statement {
        condition: Some(serde_json::json!({
            "StringEquals": { "kms:ViaService": format!("secretsmanager.{}.amazonaws.com", context.region) },
            "StringLike": { "kms:EncryptionContext:SecretARN": arns },
        })),
        ..allow("DecryptOwnSecrets", &["kms:Decrypt"], vec![Template::literal("*")])
    }
}

fn role(context: &Context, name: &str, description: String, statements: Vec<Statement>, tags: &Tags) -> Role {
    Role {
        create_role: CreateRole {
            role_name: name.to_string(),
            path: super::names::ROLE_PATH.to_string(),
            assume_role_policy_document: trust_policy(context),
            description,
            tags: tags.clone(),
        },
        put_role_policy: (!statements.is_empty()).then(|| PutRolePolicy {
            role_name: name.to_string(),
            policy_name: ROLE_POLICY_NAME.into(),
            policy_document: PolicyDocument {
                version: "2012-10-17".into(),
                statement: statements,
                other: Default::default(),
            },
        }),
    }
}

/// Secret ARNs end in `-` and six random characters; `??????` matches exactly those, so the
/// grant covers this secret and not `stage/auth/db-old` or `stage/auth/dbx`. A full ARN given in
/// the manifest is granted as written (with the pattern added when it lacks the suffix).
fn secret_arn_pattern(context: &Context, secret: &SecretIdentity) -> Template {
    match secret {
        SecretIdentity::Name(name) => context.arn("secretsmanager", &format!("secret:{name}-??????")),
        SecretIdentity::Arn(arn) if has_random_suffix(arn) => Template::literal(arn.clone()),
        SecretIdentity::Arn(arn) => Template::literal(format!("{arn}-??????")),
    }
}

/// Whether a secret ARN ends in `-` and six letters or digits (the suffix AWS appends).
fn has_random_suffix(arn: &str) -> bool {
    let name = arn.rsplit(":secret:").next().unwrap_or_default();
    match name.rsplit_once('-') {
        Some((_, suffix)) => suffix.len() == 6 && suffix.chars().all(|c| c.is_ascii_alphanumeric()),
        None => false,
    }
}

pub fn task_role(context: &Context, service: &Service, names: &ServiceNames, tags: &Tags) -> Role {
    let statements: Vec<Statement> = service
        .permissions
        .iter()
        .enumerate()
        .map(|(index, permission)| Statement {
            other: Default::default(),
            sid: Some(format!("Manifest{index}")),
            effect: "Allow".into(),
            principal: None,
            action: permission.actions.value.clone(),
            resource: permission.resources.value.iter().map(|resource| Template::literal(resource.clone())).collect(),
            condition: None,
        })
        .collect();
    role(
        context,
        &names.task_role,
        format!("ECS task role of {} (managed by ecsdeploy)", names.full_name),
        statements,
        tags,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_grants() {
        let context = Context::new("us-east-1", Some("123456789012".into()));
        let grant = |secret: SecretIdentity| secret_arn_pattern(&context, &secret).to_string();
        assert_eq!(
            grant(SecretIdentity::Name("stage/auth/db".into())),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage/auth/db-??????"
        );
        let full = "arn:aws:secretsmanager:eu-west-1:999999999999:secret:shared/key-AbCdEf";
        assert_eq!(grant(SecretIdentity::Arn(full.into())), full);
        let partial = "arn:aws:secretsmanager:eu-west-1:999999999999:secret:shared/key";
        assert_eq!(grant(SecretIdentity::Arn(partial.into())), format!("{partial}-??????"));
    }
}
