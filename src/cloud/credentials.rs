//! Which link of the standard credential chain supplied the credentials, for `doctor`.

use super::sdk_config::LoadedConfig;
use aws_credential_types::provider::ProvideCredentials;

/// The credential provider that answered, described for people, or why none did.
pub async fn credentials_source(config: &LoadedConfig) -> Result<String, String> {
    let Some(provider) = config.sdk_config.credentials_provider() else {
        return Err("no credentials provider is configured".into());
    };
    match provider.provide_credentials().await {
        Ok(credentials) => Ok(describe_provider(provider_name(&credentials))),
        Err(error) => Err(aws_sdk_sts::error::DisplayErrorContext(&error).to_string()),
    }
}

/// The provider name of `credentials`. aws-credential-types exposes it only through `Debug`
/// (which redacts the secret key); only the name is taken from it, never printed whole.
fn provider_name(credentials: &aws_credential_types::Credentials) -> String {
    let debug = format!("{credentials:?}");
    debug.split("provider_name: \"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("unknown").to_string()
}

fn describe_provider(name: String) -> String {
    let description = match name.as_str() {
        "EnvironmentVariable" | "Environment" => "environment variables (AWS_ACCESS_KEY_ID)",
        "ProfileFile" => "the AWS profile files (~/.aws/config, ~/.aws/credentials)",
        "WebIdentityToken" => "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)",
        "EcsContainer" => "the ECS container credentials endpoint",
        "IMDSv2" | "Imds" => "the EC2 instance metadata service",
        "SSO" | "Sso" => "AWS IAM Identity Center (SSO)",
        "CredentialProcess" => "a credential_process command",
        _ => return name,
    };
    format!("{description} [{name}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_provider_name_only() {
        let credentials =
            aws_credential_types::Credentials::new("AKIAEXAMPLE", "secret", None, None, "EnvironmentVariable");
        assert_eq!(provider_name(&credentials), "EnvironmentVariable");
        assert_eq!(
            describe_provider("ProfileFile".into()),
            "the AWS profile files (~/.aws/config, ~/.aws/credentials) [ProfileFile]"
        );
    }
}
