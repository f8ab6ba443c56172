//! `ecsdeploy secrets` as text. Only metadata ever reaches here.

use crate::cloud::secret_info::{SecretDetails, SecretWritten};
use serde::Serialize;

/// One secret the environment uses, and by whom.
#[derive(Debug, Clone, Serialize)]
pub struct SecretUse {
    /// The full name (or ARN) in Secrets Manager.
    pub secret: String,
    /// `service: VARIABLE` for each container variable it feeds.
    pub used_by: Vec<String>,
    /// `None`: the secret does not exist.
    pub details: Option<SecretDetails>,
}

pub fn list_text(secrets: &[SecretUse]) -> String {
    if secrets.is_empty() {
        return "No service of this environment uses a secret.".into();
    }
    let mut text = String::new();
    for secret in secrets {
        text.push_str(&format!("{}\n", secret.secret));
        match &secret.details {
            None => text.push_str("  MISSING: `ecsdeploy secrets set` creates it (plan and up stop until it exists)\n"),
            Some(details) if details.deleted.is_some() => text.push_str(&format!(
                "  SCHEDULED FOR DELETION since {}: restore it (aws secretsmanager restore-secret --secret-id {}); plan and up stop until then\n",
                details.deleted.as_deref().unwrap_or_default(),
                details.arn
            )),
            Some(details) => {
                let current = details.current_version.as_deref().unwrap_or("-");
                text.push_str(&format!("  current      {current} ({} version(s))\n", details.versions));
                text.push_str(&format!("  last change  {}\n", details.last_changed.as_deref().unwrap_or("-")));
                let rotation = match (&details.rotation_enabled, &details.rotation_schedule) {
                    (true, Some(schedule)) => format!("on, {schedule}"),
                    (true, None) => "on".into(),
                    (false, _) => "off".into(),
                };
                text.push_str(&format!("  rotation     {rotation}\n"));
                let owner = if details.owned {
                    "ecsdeploy (can be set with `secrets set`)"
                } else {
                    "not ecsdeploy (used as is)"
                };
                text.push_str(&format!("  managed by   {owner}\n"));
            }
        }
        let used_by = if secret.used_by.is_empty() {
            "no service (the manifest sets its rotation)".to_string()
        } else {
            secret.used_by.join(", ")
        };
        text.push_str(&format!("  used by      {used_by}\n\n"));
    }
    text.trim_end().to_string()
}

pub fn set_text(written: &SecretWritten, used_by: &[String], environment: &str) -> String {
    let what = if written.created { "created" } else { "new current version" };
    let services: Vec<&str> = used_by.iter().filter_map(|user| user.split(':').next()).collect();
    format!(
        "{}: {what} {} (the value is not shown)\nused by {}: `ecsdeploy up --env {environment}` restarts them to read it",
        written.name,
        written.version_id,
        services.join(", ")
    )
}

/// Version of the JSON shapes of `secrets list` and `secrets set`.
pub const SECRETS_SCHEMA_VERSION: u32 = 1;

/// `secrets list --output json`.
#[derive(Debug, Serialize)]
pub struct SecretsListDocument<'a> {
    pub schema_version: u32,
    pub environment: &'a str,
    pub secrets: &'a [SecretUse],
}

/// `secrets set --output json`.
#[derive(Debug, Serialize)]
pub struct SecretSetDocument<'a> {
    pub schema_version: u32,
    pub environment: &'a str,
    pub secret: &'a SecretWritten,
    pub used_by: &'a [String],
}
