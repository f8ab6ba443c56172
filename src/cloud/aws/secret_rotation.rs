//! Secrets Manager rotation settings: RotateSecret to set them, CancelRotateSecret to stop.
//!
//! RotateSecret is called with `RotateImmediately = false`: configuring rotation during a deploy
//! must not change a value under running tasks. AWS then only runs the function's `testSecret`
//! step; the first rotation happens on the schedule (or `aws secretsmanager rotate-secret`).
//! The secret is tagged `ecsdeploy:rotation` so that a later plan knows this rotation is
//! ecsdeploy's to stop (rotation set up by hand is left alone).

use super::AwsCloud;
use crate::cloud::CloudError;
use crate::desired::secret_rotation::SecretRotation;
use crate::desired::tags::ROTATION_TAG;
use crate::plan::values::Values;
use aws_sdk_secretsmanager::types::{RotationRulesType, Tag};

impl AwsCloud {
    pub(super) async fn configure_secret_rotation(&self, rotation: &SecretRotation) -> Result<Values, CloudError> {
        let rules = RotationRulesType::builder()
            .schedule_expression(&rotation.rotation_rules.schedule_expression)
            .set_duration(rotation.rotation_rules.duration.clone())
            .build();
        self.secrets
            .rotate_secret()
            .secret_id(&rotation.secret_id)
            .rotation_lambda_arn(rotation.rotation_lambda_arn.to_string())
            .rotation_rules(rules)
            .rotate_immediately(false)
            .send()
            .await
            .map_err(|error| {
                let resource =
                    format!("secret {} (rotation function {})", rotation.secret_id, rotation.rotation_lambda_arn);
                self.error("secretsmanager:RotateSecret", resource, &error)
            })?;
        let marker = Tag::builder().key(ROTATION_TAG).value("manifest").build();
        self.secrets.tag_resource().secret_id(&rotation.secret_id).tags(marker).send().await.map_err(|error| {
            self.error("secretsmanager:TagResource", format!("secret {}", rotation.secret_id), &error)
        })?;
        Ok(Values::default())
    }

    /// Stops rotation of the secret `id`; the secret and its versions stay.
    pub(super) async fn cancel_secret_rotation(&self, id: &str) -> Result<(), CloudError> {
        self.secrets
            .cancel_rotate_secret()
            .secret_id(id)
            .send()
            .await
            .map_err(|error| self.error("secretsmanager:CancelRotateSecret", format!("secret {id}"), &error))?;
        self.secrets
            .untag_resource()
            .secret_id(id)
            .tag_keys(ROTATION_TAG)
            .send()
            .await
            .map_err(|error| self.error("secretsmanager:UntagResource", format!("secret {id}"), &error))?;
        Ok(())
    }
}
