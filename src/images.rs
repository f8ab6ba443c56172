//! Container images in the registry: what `build` pushes and the scan gate judges.

use crate::cloud::CloudError;
use crate::cloud::image_scan::ImageScan;
use crate::cloud::secret_info::SecretValue;
use serde::Serialize;

/// One service's image after `build`.
#[derive(Debug, Clone, Serialize)]
pub struct BuiltImage {
    pub service: String,
    pub repository: String,
    pub tag: String,
    pub digest: String,
    /// False when ECR already had the tag (nothing was built or pushed).
    pub built: bool,
}

/// What `build` and the scan gate need from the registry (ECR in AWS).
#[allow(async_fn_in_trait)]
pub trait ImageRegistry {
    /// The digest of `repository:tag`, `None` when the tag is not there.
    async fn image_tag_digest(&self, repository: &str, tag: &str) -> Result<Option<String>, CloudError>;
    /// `(registry host, password)` for the container CLI's `login --password-stdin`.
    async fn registry_login(&self) -> Result<(String, SecretValue), CloudError>;
    /// The scan of the image `repository@digest`.
    async fn image_scan(&self, repository: &str, digest: &str) -> Result<ImageScan, CloudError>;
}
