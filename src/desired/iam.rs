//! The two roles of a service, least privilege, shaped as IAM `CreateRole` and `PutRolePolicy`
//! receive them.
//!
//! The execution role (used by ECS to start the task) may pull only the service's repository,
//! write only its log group and read only the secrets the service references. The task role (used
//! by the application) has only what the manifest's `permissions` grant: nothing by default.

use super::context::Context;
use super::names::{ServiceNames, ROLE_POLICY_NAME};
use super::reference::{Reference, Template};
use super::tags::{pascal_style, Tags};
use super::task_definition::{ImageReference, TaskDefinition};
use crate::manifest::Service;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    pub role_name: String,
    pub assume_role_policy_document: PolicyDocument,
    pub description: String,
    #[serde(serialize_with = "pascal_style")]
    pub tags: Tags,
    /// The inline policy, absent when the role needs no permission.
    pub inline_policy: Option<InlinePolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    pub policy_document: PolicyDocument,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: String,
    pub statement: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<serde_json::Value>,
    pub action: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<Template>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<serde_json::Value>,
}

fn allow(sid: &str, actions: &[&str], resources: Vec<Template>) -> Statement {
    Statement {
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
        version: "2012-10-17".into(),
        statement: vec![Statement {
            sid: None,
            effect: "Allow".into(),
            principal: Some(serde_json::json!({ "Service": "ecs-tasks.amazonaws.com" })),
            action: vec!["sts:AssumeRole".into()],
            resource: Vec::new(),
            condition: Some(serde_json::json!({ "StringEquals": { "aws:SourceAccount": context.account.to_string() } })),
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
        .flat_map(|c| &c.secrets)
        .map(|secret| secret_arn_pattern(context, &secret.secret_name))
        .collect();
    secret_arns.sort();
    secret_arns.dedup();
    if !secret_arns.is_empty() {
        statements.push(allow("ReadOwnSecrets", &["secretsmanager:GetSecretValue"], secret_arns));
    }
    Role {
        role_name: names.execution_role.clone(),
        assume_role_policy_document: trust_policy(context),
        description: format!("ECS task execution role of {} (managed by ecsdeploy)", names.full_name),
        tags: tags.clone(),
        inline_policy: Some(InlinePolicy {
            policy_name: ROLE_POLICY_NAME.into(),
            policy_document: PolicyDocument { version: "2012-10-17".into(), statement: statements },
        }),
    }
}

/// Secret ARNs end in `-` and six random characters; `??????` matches exactly those, so the
/// grant covers this secret and not `stage/auth/db-old` or `stage/auth/dbx`.
fn secret_arn_pattern(context: &Context, secret_name: &str) -> Template {
    context.arn("secretsmanager", &format!("secret:{secret_name}-??????"))
}

pub fn task_role(context: &Context, service: &Service, names: &ServiceNames, tags: &Tags) -> Role {
    let statements: Vec<Statement> = service
        .permissions
        .iter()
        .enumerate()
        .map(|(index, permission)| Statement {
            sid: Some(format!("Manifest{index}")),
            effect: "Allow".into(),
            principal: None,
            action: permission.actions.value.clone(),
            resource: permission.resources.value.iter().map(|r| Template(vec![Reference::known(r.clone())])).collect(),
            condition: None,
        })
        .collect();
    Role {
        role_name: names.task_role.clone(),
        assume_role_policy_document: trust_policy(context),
        description: format!("ECS task role of {} (managed by ecsdeploy)", names.full_name),
        tags: tags.clone(),
        inline_policy: (!statements.is_empty()).then(|| InlinePolicy {
            policy_name: ROLE_POLICY_NAME.into(),
            policy_document: PolicyDocument { version: "2012-10-17".into(), statement: statements },
        }),
    }
}
