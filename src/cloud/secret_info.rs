//! What `ecsdeploy secrets` knows about a secret: metadata only. A value exists in ecsdeploy
//! only on its way from the operator's stdin or file to `PutSecretValue`/`CreateSecret`, inside
//! [`SecretValue`], whose `Debug` never shows it.

use serde::Serialize;

/// A secret's metadata, as DescribeSecret returns it (never its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretDetails {
    pub name: String,
    pub arn: String,
    /// The AWSCURRENT version.
    pub current_version: Option<String>,
    pub versions: usize,
    pub last_changed: Option<String>,
    pub rotation_enabled: bool,
    pub rotation_lambda_arn: Option<String>,
    pub rotation_schedule: Option<String>,
    /// Whether ecsdeploy's tags say this project and environment own it.
    pub owned: bool,
    /// When it is scheduled for deletion (ECS can no longer read it), the date it was deleted.
    pub deleted: Option<String>,
}

/// A secret value on its way to Secrets Manager.
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(value: String) -> Self {
        SecretValue(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// What `secrets set` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretWritten {
    pub name: String,
    pub arn: String,
    pub version_id: String,
    /// True when the secret did not exist and was created.
    pub created: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_never_shows_in_debug_output() {
        let value = SecretValue::new("hunter2".into());
        assert!(!format!("{value:?}").contains("hunter2"));
        assert_eq!(value.expose(), "hunter2");
    }
}
