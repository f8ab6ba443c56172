//! What `ecsdeploy build` asks of ECR: whether a tag is already there, and a login for the
//! container CLI (GetAuthorizationToken; the password only ever goes to the CLI's stdin).

use super::AwsCloud;
use super::gone::GoneIsFine;
use crate::cloud::secret_info::SecretValue;
use crate::cloud::{CloudError, CloudErrorKind};
use aws_sdk_ecr::types::ImageIdentifier;

impl AwsCloud {
    pub(super) async fn tag_digest(&self, repository: &str, tag: &str) -> Result<Option<String>, CloudError> {
        let image = ImageIdentifier::builder().image_tag(tag).build();
        let described = self.ecr.describe_images().repository_name(repository).image_ids(image).send().await;
        let described =
            described.map_err(|error| self.error("ecr:DescribeImages", format!("image {repository}:{tag}"), &error));
        let Some(output) = described.gone_is_fine(&["ImageNotFoundException"])? else { return Ok(None) };
        Ok(output.image_details().first().and_then(|detail| detail.image_digest()).map(str::to_string))
    }

    /// `(registry host, password)` for `docker login --username AWS --password-stdin`.
    pub(super) async fn login(&self) -> Result<(String, SecretValue), CloudError> {
        let resource = format!("the registry of region {}", self.region);
        let output = self
            .ecr
            .get_authorization_token()
            .send()
            .await
            .map_err(|error| self.error("ecr:GetAuthorizationToken", &resource, &error))?;
        let data = output.authorization_data().first();
        let token = data.and_then(|data| data.authorization_token()).unwrap_or_default();
        let endpoint = data.and_then(|data| data.proxy_endpoint()).unwrap_or_default();
        let decoded = aws_smithy_types::base64::decode(token).ok().and_then(|bytes| String::from_utf8(bytes).ok());
        let Some(password) = decoded.as_deref().and_then(|text| text.strip_prefix("AWS:")) else {
            let kind = CloudErrorKind::Service {
                code: "BadToken".into(),
                message: "the authorization token is not AWS:<password> in base64".into(),
            };
            return Err(CloudError::new("ecr:GetAuthorizationToken", resource, kind));
        };
        let host = endpoint.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
        Ok((host.to_string(), SecretValue::new(password.to_string())))
    }
}
