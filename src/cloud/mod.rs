//! AWS as the domain modules see it: the vocabulary they share (errors classified once, the APIs,
//! who the caller is, secret and scan metadata, call counts) and the SDK implementation
//! ([`aws::AwsCloud`]) of the small traits each domain module declares for what it needs
//! (`actual::EnvironmentReader`, `apply::ResourceWriter`, `rollout::ServiceControl`,
//! `history::HistoryStore`, `deploy_lock::LockStore`, `images::ImageRegistry`,
//! `secret_store::SecretStore`, `import::ImportAccess`, `doctor::AccountAccess`). The
//! in-memory fake that implements them too lives in the tests' support code.

pub mod aws;
pub mod credentials;
mod error;
pub mod image_scan;
pub mod sdk_config;
pub mod secret_info;
pub mod stats;

pub use error::{CloudError, CloudErrorKind, classify, is_not_found};

use serde::Serialize;

/// Who the calls run as (STS `GetCallerIdentity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallerIdentity {
    pub account_id: String,
    pub arn: String,
    pub user_id: String,
}

/// Every AWS API ecsdeploy calls, with the cheap read `doctor` uses to prove it is reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    Sts,
    Ecs,
    ElasticLoadBalancing,
    Ec2,
    Ecr,
    Iam,
    CloudWatchLogs,
    ApplicationAutoScaling,
    SecretsManager,
    Route53,
    Acm,
    CloudWatch,
    DynamoDb,
}

impl Api {
    pub const ALL: [Api; 13] = [
        Api::Sts,
        Api::Ecs,
        Api::ElasticLoadBalancing,
        Api::Ec2,
        Api::Ecr,
        Api::Iam,
        Api::CloudWatchLogs,
        Api::ApplicationAutoScaling,
        Api::SecretsManager,
        Api::Route53,
        Api::Acm,
        Api::CloudWatch,
        Api::DynamoDb,
    ];

    /// The read-only operation `doctor` calls, named as its IAM permission.
    pub fn probe_operation(self) -> &'static str {
        match self {
            Api::Sts => "sts:GetCallerIdentity",
            Api::Ecs => "ecs:ListClusters",
            Api::ElasticLoadBalancing => "elasticloadbalancing:DescribeLoadBalancers",
            Api::Ec2 => "ec2:DescribeVpcs",
            Api::Ecr => "ecr:DescribeRepositories",
            Api::Iam => "iam:ListRoles",
            Api::CloudWatchLogs => "logs:DescribeLogGroups",
            Api::ApplicationAutoScaling => "application-autoscaling:DescribeScalableTargets",
            Api::SecretsManager => "secretsmanager:ListSecrets",
            Api::Route53 => "route53:ListHostedZones",
            Api::Acm => "acm:ListCertificates",
            Api::CloudWatch => "cloudwatch:DescribeAlarms",
            Api::DynamoDb => "dynamodb:ListTables",
        }
    }

    /// What ecsdeploy uses the API for.
    pub fn purpose(self) -> &'static str {
        match self {
            Api::Sts => "identity and account checks",
            Api::Ecs => "cluster, task definitions and services",
            Api::ElasticLoadBalancing => "the shared ALB, target groups and rules",
            Api::Ec2 => "VPC, subnets and security groups",
            Api::Ecr => "image repositories and digests",
            Api::Iam => "task and execution roles",
            Api::CloudWatchLogs => "log groups",
            Api::ApplicationAutoScaling => "service autoscaling",
            Api::SecretsManager => "secret references",
            Api::Route53 => "DNS records",
            Api::Acm => "the HTTPS certificate",
            Api::CloudWatch => "alarms",
            Api::DynamoDb => "the deployment history",
        }
    }
}
