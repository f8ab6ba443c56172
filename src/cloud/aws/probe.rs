//! The cheap reads `doctor` uses to prove each API answers, and the caller's identity.

use super::AwsCloud;
use crate::cloud::{Api, CallerIdentity, CloudError};

impl AwsCloud {
    pub(crate) async fn identity(&self) -> Result<CallerIdentity, CloudError> {
        let output = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| self.error(Api::Sts.probe_operation(), self.region_resource(), &e))?;
        Ok(CallerIdentity {
            account_id: output.account().unwrap_or_default().to_string(),
            arn: output.arn().unwrap_or_default().to_string(),
            user_id: output.user_id().unwrap_or_default().to_string(),
        })
    }

    pub(crate) async fn probe_api(&self, api: Api) -> Result<(), CloudError> {
        match api {
            Api::Sts => self.identity().await.map(|_| ()),
            Api::Ecs => self
                .ecs
                .list_clusters()
                .max_results(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::ElasticLoadBalancing => self
                .load_balancing
                .describe_load_balancers()
                .page_size(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::Ec2 => self
                .ec2
                .describe_vpcs()
                .max_results(5)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::Ecr => self
                .ecr
                .describe_repositories()
                .max_results(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::Iam => self
                .iam
                .list_roles()
                .max_items(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::CloudWatchLogs => self
                .logs
                .describe_log_groups()
                .limit(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::ApplicationAutoScaling => self
                .autoscaling
                .describe_scalable_targets()
                .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
                .max_results(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::SecretsManager => self
                .secrets
                .list_secrets()
                .max_results(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::Route53 => self
                .route53
                .list_hosted_zones()
                .max_items(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::Acm => self
                .acm
                .list_certificates()
                .max_items(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::CloudWatch => self
                .cloudwatch
                .describe_alarms()
                .max_records(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
            Api::DynamoDb => self
                .dynamodb
                .list_tables()
                .limit(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.error(api.probe_operation(), self.region_resource(), &e)),
        }
    }

    fn region_resource(&self) -> String {
        format!("region {}", if self.region.is_empty() { "(none)" } else { &self.region })
    }
}
