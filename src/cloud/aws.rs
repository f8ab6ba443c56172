//! The [`Cloud`] seam implemented with the AWS SDK for Rust.

use super::error::classify;
use super::sdk_config::LoadedConfig;
use super::{Api, CallerIdentity, Cloud, CloudError};
use aws_config::SdkConfig;

/// One client per AWS API, all built from the same [`SdkConfig`].
#[derive(Debug, Clone)]
pub struct AwsCloud {
    endpoint: Option<String>,
    region: String,
    sts: aws_sdk_sts::Client,
    ecs: aws_sdk_ecs::Client,
    load_balancing: aws_sdk_elasticloadbalancingv2::Client,
    ec2: aws_sdk_ec2::Client,
    ecr: aws_sdk_ecr::Client,
    iam: aws_sdk_iam::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    autoscaling: aws_sdk_applicationautoscaling::Client,
    secrets: aws_sdk_secretsmanager::Client,
    route53: aws_sdk_route53::Client,
    acm: aws_sdk_acm::Client,
}

impl AwsCloud {
    pub fn new(config: &LoadedConfig) -> Self {
        let sdk_config: &SdkConfig = &config.sdk_config;
        AwsCloud {
            endpoint: config.endpoint_url(),
            region: config.region().unwrap_or_default(),
            sts: aws_sdk_sts::Client::new(sdk_config),
            ecs: aws_sdk_ecs::Client::new(sdk_config),
            load_balancing: aws_sdk_elasticloadbalancingv2::Client::new(sdk_config),
            ec2: aws_sdk_ec2::Client::new(sdk_config),
            ecr: aws_sdk_ecr::Client::new(sdk_config),
            iam: aws_sdk_iam::Client::new(sdk_config),
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk_config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(sdk_config),
            secrets: aws_sdk_secretsmanager::Client::new(sdk_config),
            route53: aws_sdk_route53::Client::new(sdk_config),
            acm: aws_sdk_acm::Client::new(sdk_config),
        }
    }

    fn resource(&self) -> String {
        format!("region {}", if self.region.is_empty() { "(none)" } else { &self.region })
    }

    fn fail<E, R>(&self, api: Api, error: &aws_sdk_sts::error::SdkError<E, R>) -> CloudError
    where
        E: aws_sdk_sts::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        classify(error, api.probe_operation(), &self.resource(), self.endpoint.as_deref())
    }
}

impl Cloud for AwsCloud {
    async fn caller_identity(&self) -> Result<CallerIdentity, CloudError> {
        let output = self.sts.get_caller_identity().send().await.map_err(|e| self.fail(Api::Sts, &e))?;
        Ok(CallerIdentity {
            account_id: output.account().unwrap_or_default().to_string(),
            arn: output.arn().unwrap_or_default().to_string(),
            user_id: output.user_id().unwrap_or_default().to_string(),
        })
    }

    async fn probe(&self, api: Api) -> Result<(), CloudError> {
        match api {
            Api::Sts => self.caller_identity().await.map(|_| ()),
            Api::Ecs => {
                self.ecs.list_clusters().max_results(1).send().await.map(|_| ()).map_err(|e| self.fail(api, &e))
            }
            Api::ElasticLoadBalancing => self
                .load_balancing
                .describe_load_balancers()
                .page_size(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.fail(api, &e)),
            Api::Ec2 => {
                self.ec2.describe_vpcs().max_results(5).send().await.map(|_| ()).map_err(|e| self.fail(api, &e))
            }
            Api::Ecr => {
                self.ecr.describe_repositories().max_results(1).send().await.map(|_| ()).map_err(|e| self.fail(api, &e))
            }
            Api::Iam => self.iam.list_roles().max_items(1).send().await.map(|_| ()).map_err(|e| self.fail(api, &e)),
            Api::CloudWatchLogs => {
                self.logs.describe_log_groups().limit(1).send().await.map(|_| ()).map_err(|e| self.fail(api, &e))
            }
            Api::ApplicationAutoScaling => self
                .autoscaling
                .describe_scalable_targets()
                .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
                .max_results(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.fail(api, &e)),
            Api::SecretsManager => {
                self.secrets.list_secrets().max_results(1).send().await.map(|_| ()).map_err(|e| self.fail(api, &e))
            }
            Api::Route53 => {
                self.route53.list_hosted_zones().max_items(1).send().await.map(|_| ()).map_err(|e| self.fail(api, &e))
            }
            Api::Acm => {
                self.acm.list_certificates().max_items(1).send().await.map(|_| ()).map_err(|e| self.fail(api, &e))
            }
        }
    }
}
