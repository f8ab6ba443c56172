//! The one `SdkConfig` every AWS client is built from: region, profile, endpoint and retries.
//!
//! The standard aws-config chain applies (environment, profiles, SSO, web identity, container and
//! instance credentials; `AWS_ENDPOINT_URL` and per-service endpoint variables). Flags win over it.

use aws_config::imds::region::ImdsRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::time::Duration;

/// What the command line and the manifest say about where to call AWS.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// `--region`.
    pub region_flag: Option<String>,
    /// `[project] region` of the manifest.
    pub manifest_region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--aws-timeout`: how long one attempt waits for an answer.
    pub answer_timeout: Duration,
}

/// One attempt waits this long for an answer unless `--aws-timeout` says otherwise. No AWS API
/// ecsdeploy calls takes seconds to answer; without a limit, a socket that accepts and never
/// answers (a proxy, a firewall) hangs a run for ever.
pub const DEFAULT_ANSWER_TIMEOUT: Duration = Duration::from_secs(20);
/// Connecting: an endpoint that takes longer is not there.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One call with all its retries (adaptive retry backs off for up to ~20 s between attempts).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(120);

/// `--aws-timeout`'s value: `500ms`, `20s`, `1m`; zero or over an hour is refused.
pub fn answer_timeout(text: Option<&str>) -> Result<Duration, String> {
    let Some(text) = text else { return Ok(DEFAULT_ANSWER_TIMEOUT) };
    match crate::manifest::units::parse_duration_millis(text) {
        Some(millis) if (1..=3_600_000).contains(&millis) => Ok(Duration::from_millis(millis)),
        _ => Err(format!("--aws-timeout `{text}` is not a duration between 1ms and 1h")),
    }
}

/// Where the region came from, for `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegionSource {
    Flag,
    Manifest,
    AwsConfiguration,
    Missing,
}

/// The loaded configuration and where its region came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub sdk_config: SdkConfig,
    pub region_source: RegionSource,
}

impl LoadedConfig {
    pub fn region(&self) -> Option<String> {
        self.sdk_config.region().map(|region| region.to_string())
    }

    pub fn endpoint_url(&self) -> Option<String> {
        self.sdk_config.endpoint_url().map(str::to_string)
    }

    /// At most `attempts` per call (unless AWS_MAX_ATTEMPTS / AWS_RETRY_MODE say otherwise):
    /// for `doctor`, which should answer in seconds when nothing can succeed (a closed port
    /// costs the full backoff of five attempts, ~15 s).
    pub fn limit_attempts(&mut self, attempts: u32) {
        if has_retry_settings() {
            return;
        }
        let retry = RetryConfig::standard().with_max_attempts(attempts);
        self.sdk_config = self.sdk_config.to_builder().retry_config(retry).build();
    }
}

fn has_retry_settings() -> bool {
    std::env::var_os("AWS_RETRY_MODE").is_some() || std::env::var_os("AWS_MAX_ATTEMPTS").is_some()
}

/// The region chain of the AWS configuration, but for an `AWS_REGION` (or, without it,
/// `AWS_DEFAULT_REGION`) that is set and empty, as CI templates leave unset variables: the SDK
/// would take that as the region `""` and fail every call with an endpoint error. Such a
/// variable counts as unset: then `AWS_DEFAULT_REGION`, the profile and instance metadata
/// decide, as they would without it. `None`: no empty variable, the SDK's own chain applies.
fn region_without_empty_variables(profile: Option<&str>) -> Option<RegionProviderChain> {
    let variable = |name: &str| std::env::var_os(name).map(|value| value.to_string_lossy().trim().to_string());
    let (region, default_region) = (variable("AWS_REGION"), variable("AWS_DEFAULT_REGION"));
    let the_sdk_would_read = region.as_ref().or(default_region.as_ref());
    if !the_sdk_would_read.is_some_and(String::is_empty) {
        return None;
    }
    let mut profile_region = ProfileFileRegionProvider::builder();
    if let Some(profile) = profile {
        profile_region = profile_region.profile_name(profile);
    }
    Some(match default_region.filter(|region| !region.is_empty()) {
        Some(region) => RegionProviderChain::first_try(Region::new(region)),
        None => RegionProviderChain::first_try(profile_region.build()).or_else(ImdsRegionProvider::builder().build()),
    })
}

pub async fn load(options: &AwsOptions) -> LoadedConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &options.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let region_source = if let Some(region) = &options.region_flag {
        loader = loader.region(Region::new(region.clone()));
        RegionSource::Flag
    } else if let Some(region) = &options.manifest_region {
        loader = loader.region(Region::new(region.clone()));
        RegionSource::Manifest
    } else {
        if let Some(region) = region_without_empty_variables(options.profile.as_deref()) {
            loader = loader.region(region);
        }
        RegionSource::AwsConfiguration
    };
    // Adaptive retries back off under throttling, which a deploy of many services meets on busy
    // accounts; an explicit AWS_RETRY_MODE / AWS_MAX_ATTEMPTS (tests use 1) still wins.
    if !has_retry_settings() {
        loader = loader.retry_config(RetryConfig::adaptive().with_max_attempts(5));
    }
    loader = loader.timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(options.answer_timeout)
            .operation_attempt_timeout(options.answer_timeout + CONNECT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT.max(options.answer_timeout * 2))
            .build(),
    );
    let sdk_config = loader.load().await;
    let region_source = if sdk_config.region().is_none() { RegionSource::Missing } else { region_source };
    LoadedConfig { sdk_config, region_source }
}
