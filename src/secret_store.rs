//! Secret values the operator writes with `ecsdeploy secrets`: the store (Secrets Manager in
//! AWS) seen as metadata, never as values read back.

use crate::cloud::CloudError;
use crate::cloud::secret_info::{SecretDetails, SecretValue, SecretWritten};
use crate::desired::tags::Tags;

/// What `ecsdeploy secrets` needs from the store.
#[allow(async_fn_in_trait)]
pub trait SecretStore {
    /// A secret's metadata (`None` when it does not exist); never its value. `project` and
    /// `environment` decide whether ecsdeploy owns it.
    async fn describe_secret(
        &self,
        id: &str,
        project: &str,
        environment: &str,
    ) -> Result<Option<SecretDetails>, CloudError>;
    /// Creates the secret `name` with `value` and `tags`, or, when `existing` is given, adds
    /// `value` as its new current version.
    async fn write_secret(
        &self,
        name: &str,
        existing: Option<&SecretDetails>,
        value: &SecretValue,
        tags: &Tags,
    ) -> Result<SecretWritten, CloudError>;
}
