//! `ecsdeploy secrets`: a secret's metadata (DescribeSecret) and the one place ecsdeploy writes a
//! secret value (CreateSecret or PutSecretValue), taken from the operator's stdin or a file.

use super::AwsCloud;
use super::common::idempotency_token;
use super::gone::GoneIsFine;
use crate::actual::Owner;
use crate::actual::ownership::{is_ours, owner_of};
use crate::cloud::CloudError;
use crate::cloud::error::has_code;
use crate::cloud::secret_info::{SecretDetails, SecretValue, SecretWritten};
use crate::desired::tags::Tags;
use aws_sdk_secretsmanager::types::Tag;

impl AwsCloud {
    pub(super) async fn secret_details(
        &self,
        id: &str,
        project: &str,
        environment: &str,
    ) -> Result<Option<SecretDetails>, CloudError> {
        let described = self.secrets.describe_secret().secret_id(id).send().await;
        let described =
            described.map_err(|error| self.error("secretsmanager:DescribeSecret", format!("secret {id}"), &error));
        let Some(secret) = described.gone_is_fine(&["ResourceNotFoundException"])? else { return Ok(None) };
        let versions = secret.version_ids_to_stages();
        let current = super::secrets::current_version(versions);
        let tags = super::secrets::secret_tags(&secret);
        let rules = secret.rotation_rules();
        let schedule = rules.and_then(|rules| {
            rules
                .schedule_expression()
                .map(str::to_string)
                .or_else(|| rules.automatically_after_days().map(|days| format!("every {days} days")))
        });
        Ok(Some(SecretDetails {
            name: secret.name().unwrap_or(id).to_string(),
            arn: secret.arn().unwrap_or_default().to_string(),
            current_version: current,
            versions: versions.map_or(0, |versions| versions.len()),
            last_changed: secret.last_changed_date().map(|date| date.to_string()),
            rotation_enabled: secret.rotation_enabled().unwrap_or(false),
            rotation_lambda_arn: secret.rotation_lambda_arn().map(str::to_string),
            rotation_schedule: schedule,
            owned: owner_of(&tags, project, environment) == Owner::This,
            deleted: secret.deleted_date().map(|date| date.to_string()),
        }))
    }

    pub(super) async fn put_secret(
        &self,
        name: &str,
        existing: Option<&SecretDetails>,
        value: &SecretValue,
        tags: &Tags,
    ) -> Result<SecretWritten, CloudError> {
        let resource = format!("secret {name}");
        if let Some(existing) = existing {
            let output = self
                .secrets
                .put_secret_value()
                .secret_id(&existing.arn)
                .secret_string(value.expose())
                .send()
                .await
                .map_err(|error| self.error("secretsmanager:PutSecretValue", &resource, &error))?;
            return Ok(SecretWritten {
                name: name.to_string(),
                arn: existing.arn.clone(),
                version_id: output.version_id().unwrap_or_default().to_string(),
                created: false,
            });
        }
        let wanted_tags = tags;
        let tags: Vec<Tag> = tags.0.iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect();
        // The token becomes the first version's ID. AWS answers a repeated CreateSecret with the
        // same token and value as the first one (the SDK's retry after a lost answer); should it
        // say the secret exists instead, the token tells this run's own secret from another's.
        let token = idempotency_token(&["secretsmanager:CreateSecret", name]);
        let created = self
            .secrets
            .create_secret()
            .name(name)
            .secret_string(value.expose())
            .set_tags(Some(tags))
            .client_request_token(&token)
            .send()
            .await;
        let (arn, version_id) = match created {
            Ok(output) => {
                (output.arn().unwrap_or_default().to_string(), output.version_id().unwrap_or_default().to_string())
            }
            Err(error) if has_code(&error, &["ResourceExistsException"]) => {
                let refused = self.error("secretsmanager:CreateSecret", &resource, &error);
                match self.secrets.describe_secret().secret_id(name).send().await {
                    Ok(secret)
                        if is_ours(&super::secrets::secret_tags(&secret), wanted_tags)
                            && secret.version_ids_to_stages().is_some_and(|versions| versions.contains_key(&token)) =>
                    {
                        (secret.arn().unwrap_or_default().to_string(), token)
                    }
                    _ => return Err(refused),
                }
            }
            Err(error) => return Err(self.error("secretsmanager:CreateSecret", &resource, &error)),
        };
        Ok(SecretWritten { name: name.to_string(), arn, version_id, created: true })
    }
}
