//! The one `SdkConfig` every AWS client is built from: region, profile, endpoint and retries.
//!
//! The standard aws-config chain applies (environment, profiles, SSO, web identity, container and
//! instance credentials; `AWS_ENDPOINT_URL` and per-service endpoint variables). Flags win over it.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// What the command line and the manifest say about where to call AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// `--region`.
    pub region_flag: Option<String>,
    /// `[project] region` of the manifest.
    pub manifest_region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
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
        RegionSource::AwsConfiguration
    };
    // Adaptive retries back off under throttling, which a deploy of many services meets on busy
    // accounts; an explicit AWS_RETRY_MODE / AWS_MAX_ATTEMPTS (tests use 1) still wins.
    if std::env::var_os("AWS_RETRY_MODE").is_none() && std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
        loader = loader.retry_config(RetryConfig::adaptive().with_max_attempts(5));
    }
    let sdk_config = loader.load().await;
    let region_source = if sdk_config.region().is_none() { RegionSource::Missing } else { region_source };
    LoadedConfig { sdk_config, region_source }
}
