//! `ecsdeploy doctor`: which account, region, endpoint and credentials a run would use, and
//! whether every AWS API ecsdeploy needs answers with them.

use super::CommandError;
use crate::checked;
use crate::cli::{DoctorArgs, GlobalOptions};
use crate::cloud::aws::AwsCloud;
use crate::cloud::sdk_config::{self, AwsOptions, LoadedConfig, RegionSource};
use crate::cloud::{Api, CallerIdentity, Cloud};
use crate::exit_status::ExitStatus;
use crate::manifest::ManifestError;
use crate::output::{doctor_view, Printer};
use aws_credential_types::provider::ProvideCredentials;
use serde::Serialize;

/// Version of the JSON shape of [`DoctorReport`].
pub const DOCTOR_SCHEMA_VERSION: u32 = 1;

/// Everything `doctor` found.
#[derive(Debug, Serialize)]
pub struct DoctorReport {
    pub schema_version: u32,
    pub region: Option<String>,
    pub region_source: RegionSource,
    /// `None`: the AWS endpoints of the region.
    pub endpoint: Option<String>,
    pub profile: String,
    /// Which provider of the credential chain supplied the credentials, or why none did.
    pub credentials: Result<String, String>,
    pub identity: Option<CallerIdentity>,
    pub checks: Vec<Check>,
    pub ok: bool,
}

/// One check and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub detail: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

pub async fn run(global: &GlobalOptions, args: &DoctorArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let (manifest_check, manifest) = manifest_check(global, args)?;
    let options = AwsOptions {
        region_flag: global.region.clone(),
        manifest_region: manifest.as_ref().and_then(|m| m.region.clone()),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
    };
    let config = sdk_config::load(&options).await;
    let credentials = credentials_source(&config).await;
    let cloud = AwsCloud::new(&config);
    let expected_account = manifest.as_ref().and_then(|m| m.account_id.clone());
    let (identity, mut checks) = diagnose(&cloud, expected_account.as_deref()).await;
    checks.extend(manifest_check);
    if config.region_source == RegionSource::Missing {
        checks.insert(0, Check {
            name: "region".into(),
            detail: "no region configured".into(),
            ok: false,
            error: Some("no region in the flags, the manifest or the AWS configuration".into()),
            hints: vec!["pass --region, set region in [project], or set AWS_REGION".into()],
        });
    }
    let ok = checks.iter().all(|check| check.ok);
    let report = DoctorReport {
        schema_version: DOCTOR_SCHEMA_VERSION,
        region: config.region(),
        region_source: config.region_source,
        endpoint: config.endpoint_url(),
        profile: global.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok()).unwrap_or_else(|| "default".into()),
        credentials,
        identity,
        checks,
        ok,
    };
    if printer.is_json() {
        printer.json(&serde_json::to_value(&report).unwrap_or_default());
    } else {
        printer.data(&doctor_view::text(&report));
    }
    Ok(if ok { ExitStatus::Success } else { ExitStatus::Failure })
}

/// The identity, then one check per AWS API (run concurrently), then the account pin.
pub async fn diagnose<C: Cloud>(cloud: &C, expected_account: Option<&str>) -> (Option<CallerIdentity>, Vec<Check>) {
    let identity = cloud.caller_identity().await;
    let probes = futures_util::future::join_all(Api::ALL.iter().filter(|api| **api != Api::Sts).map(|api| async move {
        (*api, cloud.probe(*api).await)
    }))
    .await;
    let mut checks = vec![match &identity {
        Ok(identity) => pass(Api::Sts, format!("account {} as {}", identity.account_id, identity.arn)),
        Err(error) => fail(Api::Sts, error),
    }];
    for (api, result) in probes {
        checks.push(match result {
            Ok(()) => pass(api, api.purpose().to_string()),
            Err(error) => fail(api, &error),
        });
    }
    let identity = identity.ok();
    if let (Some(expected), Some(identity)) = (expected_account, &identity) {
        let ok = identity.account_id == expected;
        checks.push(Check {
            name: "account".into(),
            detail: format!("the manifest pins account {expected}"),
            ok,
            error: (!ok).then(|| format!("the credentials are for account {}, not {expected}", identity.account_id)),
            hints: if ok { Vec::new() } else { vec!["use credentials of the pinned account, or change project.account_id".into()] },
        });
    }
    (identity, checks)
}

fn pass(api: Api, detail: String) -> Check {
    Check { name: api.probe_operation().to_string(), detail, ok: true, error: None, hints: Vec::new() }
}

fn fail(api: Api, error: &crate::cloud::CloudError) -> Check {
    Check {
        name: api.probe_operation().to_string(),
        detail: api.purpose().to_string(),
        ok: false,
        error: Some(error.kind.to_string()),
        hints: error.hints(),
    }
}

/// What doctor needs of the manifest, when there is one.
struct ManifestFacts {
    region: Option<String>,
    account_id: Option<String>,
}

/// A check of the manifest (when the directory has one) and the facts doctor uses from it.
fn manifest_check(global: &GlobalOptions, args: &DoctorArgs) -> Result<(Vec<Check>, Option<ManifestFacts>), CommandError> {
    match checked::load(&global.manifest_dir) {
        Ok(checked) => {
            if let Some(name) = &args.env {
                super::environment(&checked, name)?;
            }
            let project = &checked.manifest.project;
            let facts = ManifestFacts {
                region: project.region.as_ref().map(|r| r.value.clone()),
                account_id: project.account_id.as_ref().map(|a| a.value.clone()),
            };
            let detail = format!("project {} with environments {}", project.name.value, checked.manifest.environment_names().join(", "));
            Ok((vec![Check { name: "manifest".into(), detail, ok: true, error: None, hints: Vec::new() }], Some(facts)))
        }
        Err(ManifestError::NotFound { .. }) if args.env.is_none() => Ok((Vec::new(), None)),
        Err(ManifestError::Invalid { problems, .. }) => Ok((
            vec![Check {
                name: "manifest".into(),
                detail: global.manifest_dir.display().to_string(),
                ok: false,
                error: Some(format!("{} problem(s)", problems.len())),
                hints: vec!["run `ecsdeploy validate` to see them".into()],
            }],
            None,
        )),
        Err(other) => Err(other.into()),
    }
}

/// The name of the credential provider that answered ("EnvironmentVariable", "ProfileFile", ...).
async fn credentials_source(config: &LoadedConfig) -> Result<String, String> {
    let Some(provider) = config.sdk_config.credentials_provider() else {
        return Err("no credentials provider configured".into());
    };
    match provider.provide_credentials().await {
        // The provider name is only exposed through Debug (which redacts the secret).
        Ok(credentials) => {
            let debug = format!("{credentials:?}");
            let name = debug
                .split("provider_name: \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("unknown");
            Ok(describe_provider(name))
        }
        Err(error) => Err(aws_sdk_sts::error::DisplayErrorContext(&error).to_string()),
    }
}

fn describe_provider(name: &str) -> String {
    let description = match name {
        "EnvironmentVariable" | "Environment" => "environment variables (AWS_ACCESS_KEY_ID)",
        "ProfileFile" => "the AWS profile files (~/.aws/config, ~/.aws/credentials)",
        "WebIdentityToken" => "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)",
        "EcsContainer" => "the ECS container credentials endpoint",
        "IMDSv2" | "Imds" => "the EC2 instance metadata service",
        "SSO" | "Sso" => "AWS IAM Identity Center (SSO)",
        "CredentialProcess" => "a credential_process command",
        _ => return name.to_string(),
    };
    format!("{description} [{name}]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::fake::FakeCloud;
    use crate::cloud::CloudErrorKind;

    #[tokio::test]
    async fn all_apis_reachable() {
        let cloud = FakeCloud::with_account("123456789012");
        let (identity, checks) = diagnose(&cloud, Some("123456789012")).await;
        assert_eq!(identity.unwrap().account_id, "123456789012");
        assert_eq!(checks.len(), Api::ALL.len() + 1);
        assert!(checks.iter().all(|check| check.ok), "{checks:#?}");
    }

    #[tokio::test]
    async fn access_denied_names_the_permission_and_account_mismatch_fails() {
        let mut cloud = FakeCloud::with_account("111111111111");
        cloud.failing.insert(Api::Ecr, CloudErrorKind::AccessDenied { message: "not allowed".into() });
        let (_, checks) = diagnose(&cloud, Some("222222222222")).await;
        let ecr = checks.iter().find(|c| c.name == "ecr:DescribeRepositories").unwrap();
        assert!(!ecr.ok);
        assert!(ecr.hints[0].contains("ecr:DescribeRepositories"), "{:?}", ecr.hints);
        let account = checks.iter().find(|c| c.name == "account").unwrap();
        assert!(!account.ok);
        assert_eq!(checks.iter().filter(|c| !c.ok).count(), 2);
    }
}
