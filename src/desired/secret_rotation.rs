//! Rotation of the environment's secrets, shaped as `RotateSecret` receives it. Only the
//! configuration: ecsdeploy never rotates a secret itself (`RotateImmediately` is false), so a
//! deploy never changes a value; the first rotation runs on the schedule.

use super::context::Context;
use super::reference::Template;
use crate::manifest::Environment;
use serde::{Deserialize, Serialize};

/// One secret's rotation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretRotation {
    /// The secret's full name (`stage/auth/db`).
    pub secret_id: String,
    #[serde(rename = "RotationLambdaARN")]
    pub rotation_lambda_arn: Template,
    pub rotation_rules: RotationRules,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationRules {
    pub schedule_expression: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// The rotations the environment's manifest asks for, by full secret name.
pub fn secret_rotations(context: &Context, environment: &Environment) -> Vec<SecretRotation> {
    environment
        .secret_rotations
        .iter()
        .map(|rotation| SecretRotation {
            secret_id: format!("{}{}", environment.secret_prefix.value, rotation.secret.value),
            rotation_lambda_arn: lambda_arn(context, &rotation.function.value),
            rotation_rules: RotationRules {
                schedule_expression: rotation.schedule.value.clone(),
                duration: rotation.window.as_ref().map(|window| window.value.clone()),
            },
        })
        .collect()
}

/// A function name is in the account and region deployed to; an ARN is used as is.
fn lambda_arn(context: &Context, function: &str) -> Template {
    if function.starts_with("arn:") {
        Template::literal(function)
    } else {
        context.arn("lambda", &format!("function:{function}"))
    }
}
