//! `ecsdeploy doctor`: which account, region, endpoint and credentials a run would use, and
//! whether every AWS API ecsdeploy needs answers with them.

use super::CommandError;
use crate::cli::{DoctorArgs, GlobalOptions};
use crate::cloud::aws::AwsCloud;
use crate::cloud::credentials::credentials_source;
use crate::cloud::sdk_config::{self, AwsOptions, RegionSource};
use crate::doctor::{Check, CredentialsReport, DOCTOR_SCHEMA_VERSION, DoctorReport, diagnose};
use crate::exit_status::ExitStatus;
use crate::manifest::{self, ManifestError};
use crate::output::{Printer, doctor_view};

pub async fn run(global: &GlobalOptions, args: &DoctorArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let manifest = manifest_facts(global, args)?;
    let options = AwsOptions {
        region_flag: global.region.clone(),
        manifest_region: manifest.region.clone(),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
        answer_timeout: super::aws_timeout(global)?,
    };
    let mut config = sdk_config::load(&options).await;
    config.limit_attempts(2);
    let credentials = credentials_source(&config).await;
    let cloud = AwsCloud::new(&config);
    let (identity, mut checks) = diagnose(&cloud, manifest.account_id.as_deref()).await;
    checks.extend(manifest.check);
    if let (Some(name), Some(checked), Some(identity), Some(region)) =
        (&args.env, &manifest.checked, &identity, config.region())
    {
        checks.push(prerequisites(&cloud, checked, name, &region, &identity.account_id).await);
    }
    if config.region_source == RegionSource::Missing {
        let error = "no region in the flags, the manifest or the AWS configuration";
        checks.insert(
            0,
            Check::failed(
                "region",
                "no region configured",
                error,
                vec!["pass --region, set region in [project], or set AWS_REGION".into()],
            ),
        );
    }
    let ok = checks.iter().all(|check| check.ok);
    let report = DoctorReport {
        schema_version: DOCTOR_SCHEMA_VERSION,
        region: config.region(),
        region_source: config.region_source,
        endpoint: config.endpoint_url(),
        profile: global
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok())
            .unwrap_or_else(|| "default".into()),
        credentials: match credentials {
            Ok(source) => CredentialsReport { source: Some(source), error: None },
            Err(error) => CredentialsReport { source: None, error: Some(error) },
        },
        identity,
        checks,
        ok,
    };
    if printer.is_json() {
        printer.document(&report);
    } else {
        printer.data(&doctor_view::text(&report));
    }
    Ok(if ok { ExitStatus::Success } else { ExitStatus::Failure })
}

/// With `--env`: whether what the environment needs before anything changes exists (network
/// with egress from the private subnets, secrets, images, certificate, zone), from the same read
/// `plan` makes. Reads only.
async fn prerequisites(
    cloud: &impl crate::actual::EnvironmentReader,
    checked: &crate::checked::CheckedManifest,
    name: &str,
    region: &str,
    account_id: &str,
) -> Check {
    let Some(environment) = checked.manifest.environment(name) else {
        return Check::failed("prerequisites", name, "no such environment", Vec::new());
    };
    let context = crate::desired::Context::new(region, Some(account_id.to_string()));
    let desired = crate::desired::build(&checked.manifest, environment, &context);
    let scope = crate::actual::scope::ReadScope::new(&checked.manifest, environment, &desired);
    let detail = format!("what environment {name} needs before any change (network and egress, secrets, images)");
    match cloud.read(&scope).await {
        Ok(actual) if actual.missing.is_empty() => Check::passed("prerequisites", detail),
        Ok(actual) => Check::failed(
            "prerequisites",
            detail,
            actual.missing.iter().map(|missing| missing.what.as_str()).collect::<Vec<_>>().join("; "),
            actual.missing.iter().map(|missing| missing.hint.clone()).collect(),
        ),
        Err(error) => Check::failed("prerequisites", detail, error.to_string(), error.hints()),
    }
}

/// What doctor uses of the manifest (when the directory has one), and a check of it.
struct ManifestFacts {
    region: Option<String>,
    account_id: Option<String>,
    check: Option<Check>,
    /// The valid manifest, for the environment's prerequisites.
    checked: Option<crate::checked::CheckedManifest>,
}

fn manifest_facts(global: &GlobalOptions, args: &DoctorArgs) -> Result<ManifestFacts, CommandError> {
    let loaded = match manifest::load(&global.manifest_dir) {
        Ok(loaded) => loaded,
        Err(ManifestError::NotFound { .. }) if args.env.is_none() => {
            return Ok(ManifestFacts { region: None, account_id: None, check: None, checked: None });
        }
        Err(other) => return Err(other.into()),
    };
    // The region and account are used even when the manifest has problems elsewhere: they say
    // where the project lives, and a wrong region would make every probe misleading.
    let project = loaded.manifest.as_ref().map(|manifest| &manifest.project);
    let region = project.and_then(|project| project.region.as_ref().map(|region| region.value.clone()));
    let account_id = project.and_then(|project| project.account_id.as_ref().map(|account| account.value.clone()));
    let mut valid = None;
    let check = match crate::checked::finish(loaded) {
        Ok(checked) => {
            if let Some(name) = &args.env {
                super::environment(&checked, name)?;
            }
            let project = &checked.manifest.project;
            let detail = format!(
                "project {} with environments {}",
                project.name.value,
                checked.manifest.environment_names().join(", ")
            );
            valid = Some(checked);
            Check::passed("manifest", detail)
        }
        Err(ManifestError::Invalid { problems, .. }) => Check::failed(
            "manifest",
            global.manifest_dir.display().to_string(),
            format!("{} problem(s)", problems.len()),
            vec!["run `ecsdeploy validate` to see them".into()],
        ),
        Err(other) => return Err(other.into()),
    };
    Ok(ManifestFacts { region, account_id, check: Some(check), checked: valid })
}
