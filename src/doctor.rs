//! What `doctor` finds: the settings in use and one check per AWS API, computed over the
//! [`AccountAccess`] seam so that the logic is tested with the in-memory fake.

use crate::cloud::sdk_config::RegionSource;
use crate::cloud::{Api, CallerIdentity, CloudError, CloudErrorKind};
use serde::Serialize;

/// Who the calls run as, and whether each API answers: what `doctor` checks and every session
/// starts with.
#[allow(async_fn_in_trait)]
pub trait AccountAccess {
    /// STS `GetCallerIdentity`.
    async fn caller_identity(&self) -> Result<CallerIdentity, CloudError>;
    /// One cheap read of `api`, to prove it is reachable with the current credentials.
    async fn probe(&self, api: Api) -> Result<(), CloudError>;
}

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
    pub credentials: CredentialsReport,
    pub identity: Option<CallerIdentity>,
    pub checks: Vec<Check>,
    pub ok: bool,
}

/// Which provider of the credential chain supplied the credentials, or why none did.
#[derive(Debug, Serialize)]
pub struct CredentialsReport {
    pub source: Option<String>,
    pub error: Option<String>,
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

impl Check {
    pub fn passed(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check { name: name.into(), detail: detail.into(), ok: true, error: None, hints: Vec::new() }
    }

    pub fn failed(
        name: impl Into<String>,
        detail: impl Into<String>,
        error: impl Into<String>,
        hints: Vec<String>,
    ) -> Self {
        Check { name: name.into(), detail: detail.into(), ok: false, error: Some(error.into()), hints }
    }
}

/// The identity, then one check per AWS API (run concurrently), then the account pin.
///
/// When the identity call shows that no call can succeed (no credentials, nothing listening, no
/// answer), the other APIs are not probed: each would wait out the same retries and say the same.
pub async fn diagnose<C: AccountAccess>(
    cloud: &C,
    expected_account: Option<&str>,
) -> (Option<CallerIdentity>, Vec<Check>) {
    let identity = cloud.caller_identity().await;
    let other_apis = Api::ALL.iter().filter(|api| **api != Api::Sts);
    let hopeless = identity.as_ref().err().filter(|error| {
        matches!(
            error.kind,
            CloudErrorKind::NoCredentials { .. } | CloudErrorKind::Unreachable { .. } | CloudErrorKind::TimedOut { .. }
        )
    });
    let probes = match hopeless {
        Some(error) => {
            let skipped = CloudError::new("", "", error.kind.clone());
            other_apis.map(|api| (*api, Err(skipped.clone()))).collect()
        }
        None => {
            futures_util::future::join_all(other_apis.map(|api| async move { (*api, cloud.probe(*api).await) })).await
        }
    };
    let mut checks = vec![match &identity {
        Ok(identity) => {
            Check::passed(Api::Sts.probe_operation(), format!("account {} as {}", identity.account_id, identity.arn))
        }
        Err(error) => failed(Api::Sts, error),
    }];
    for (api, result) in probes {
        checks.push(match result {
            Ok(()) => Check::passed(api.probe_operation(), api.purpose()),
            Err(error) => failed(api, &error),
        });
    }
    let identity = identity.ok();
    if let (Some(expected), Some(identity)) = (expected_account, &identity) {
        checks.push(account_check(expected, &identity.account_id));
    }
    (identity, checks)
}

fn failed(api: Api, error: &CloudError) -> Check {
    if error.operation.is_empty() {
        let reason = format!("not tried: {}", error.kind);
        return Check::failed(api.probe_operation(), api.purpose(), reason, Vec::new());
    }
    Check::failed(api.probe_operation(), api.purpose(), error.kind.to_string(), error.hints())
}

fn account_check(expected: &str, actual: &str) -> Check {
    let detail = format!("the manifest pins account {expected}");
    if expected == actual {
        Check::passed("account", detail)
    } else {
        Check::failed(
            "account",
            detail,
            format!("the credentials are for account {actual}, not {expected}"),
            vec!["use credentials of the pinned account, or change project.account_id".into()],
        )
    }
}
