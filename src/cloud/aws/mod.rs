//! The [`Cloud`](super::Cloud) seam implemented with the AWS SDK for Rust: one client per API,
//! all built from one `SdkConfig` and all counting their calls.
//!
//! Each file of this module covers one AWS API family: reading it into the desired shapes
//! (normalised) and applying creates, updates and deletes to it.

mod acm;
mod alarms;
mod autoscaling;
mod common;
mod deploy_lock;
mod dispatch;
mod ecr;
mod ecs;
mod egress;
mod gone;
mod history;
mod iam;
mod image_scan;
mod import;
mod load_balancing;
mod logs;
mod network;
mod probe;
mod read;
mod registry;
mod retag;
mod rollout;
mod route53;
mod seams;
mod secret_admin;
mod secret_rotation;
mod secrets;
mod service_looks;
mod tag_index;
#[cfg(test)]
pub(crate) mod test_support;

use super::CloudError;
use super::error::classify;
use super::sdk_config::LoadedConfig;
use super::stats::ApiCalls;
use aws_config::SdkConfig;

/// One client per AWS API, all built from the same [`SdkConfig`].
#[derive(Debug, Clone)]
pub struct AwsCloud {
    pub(crate) endpoint: Option<String>,
    pub(crate) region: String,
    pub(crate) calls: ApiCalls,
    pub(crate) sts: aws_sdk_sts::Client,
    pub(crate) ecs: aws_sdk_ecs::Client,
    pub(crate) load_balancing: aws_sdk_elasticloadbalancingv2::Client,
    pub(crate) ec2: aws_sdk_ec2::Client,
    pub(crate) ecr: aws_sdk_ecr::Client,
    pub(crate) iam: aws_sdk_iam::Client,
    pub(crate) logs: aws_sdk_cloudwatchlogs::Client,
    pub(crate) autoscaling: aws_sdk_applicationautoscaling::Client,
    pub(crate) secrets: aws_sdk_secretsmanager::Client,
    pub(crate) route53: aws_sdk_route53::Client,
    pub(crate) acm: aws_sdk_acm::Client,
    pub(crate) cloudwatch: aws_sdk_cloudwatch::Client,
    pub(crate) dynamodb: aws_sdk_dynamodb::Client,
    pub(crate) tagging: aws_sdk_resourcegroupstagging::Client,
    /// Gate polls waiting to be answered together.
    service_looks: service_looks::ServiceLooks,
}

/// `Client::from_conf` of an SDK crate, with the call counter installed.
macro_rules! client {
    ($krate:ident, $sdk_config:expr, $calls:expr) => {
        $krate::Client::from_conf($krate::config::Builder::from($sdk_config).interceptor($calls.interceptor()).build())
    };
}

impl AwsCloud {
    pub fn new(config: &LoadedConfig) -> Self {
        let sdk_config: &SdkConfig = &config.sdk_config;
        let calls = ApiCalls::default();
        AwsCloud {
            endpoint: config.endpoint_url(),
            region: config.region().unwrap_or_default(),
            sts: client!(aws_sdk_sts, sdk_config, calls),
            ecs: client!(aws_sdk_ecs, sdk_config, calls),
            load_balancing: client!(aws_sdk_elasticloadbalancingv2, sdk_config, calls),
            ec2: client!(aws_sdk_ec2, sdk_config, calls),
            ecr: client!(aws_sdk_ecr, sdk_config, calls),
            iam: client!(aws_sdk_iam, sdk_config, calls),
            logs: client!(aws_sdk_cloudwatchlogs, sdk_config, calls),
            autoscaling: client!(aws_sdk_applicationautoscaling, sdk_config, calls),
            secrets: client!(aws_sdk_secretsmanager, sdk_config, calls),
            route53: client!(aws_sdk_route53, sdk_config, calls),
            acm: client!(aws_sdk_acm, sdk_config, calls),
            cloudwatch: client!(aws_sdk_cloudwatch, sdk_config, calls),
            dynamodb: client!(aws_sdk_dynamodb, sdk_config, calls),
            tagging: client!(aws_sdk_resourcegroupstagging, sdk_config, calls),
            service_looks: Default::default(),
            calls,
        }
    }

    /// The calls made so far.
    pub fn calls(&self) -> &ApiCalls {
        &self.calls
    }

    /// A classified error of `operation` (named as its IAM permission) on `resource`.
    pub(crate) fn error<E, R>(
        &self,
        operation: &str,
        resource: impl AsRef<str>,
        error: &aws_sdk_sts::error::SdkError<E, R>,
    ) -> CloudError
    where
        E: aws_sdk_sts::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        classify(error, operation, resource.as_ref(), self.endpoint.as_deref())
    }
}
