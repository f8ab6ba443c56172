//! The seam to AWS: the [`Cloud`] trait with domain-level operations, its AWS SDK implementation
//! ([`aws::AwsCloud`]) and an in-memory fake ([`fake::FakeCloud`]) for tests of the logic above it.

pub mod aws;
pub mod credentials;
mod error;
pub mod fake;
pub mod image_scan;
pub mod sdk_config;
pub mod secret_info;
pub mod stats;

pub use error::{CloudError, CloudErrorKind, classify, is_not_found};

use crate::actual::ActualState;
use crate::actual::scope::ReadScope;
use crate::history::{DeployRecord, HistoryScope};
use crate::plan::address::Address;
use crate::plan::resources::Payload;
use crate::plan::values::Values;
use crate::rollout::{ServiceObservation, TargetView};
use secret_info::{SecretDetails, SecretValue, SecretWritten};
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

/// The operations of AWS that the logic above needs, at the level of the domain: read an
/// environment, and create, update or delete one addressed resource.
#[allow(async_fn_in_trait)]
pub trait Cloud {
    /// STS `GetCallerIdentity`.
    async fn caller_identity(&self) -> Result<CallerIdentity, CloudError>;
    /// One cheap read of `api`, to prove it is reachable with the current credentials.
    async fn probe(&self, api: Api) -> Result<(), CloudError>;
    /// Everything `scope` names, normalised into the desired shapes, with owners and the values
    /// of references. Reads only.
    async fn read(&self, scope: &ReadScope) -> Result<ActualState, CloudError>;
    /// Creates the resource; returns the values it made known (its ARN, ID, ...).
    async fn create(&self, address: &Address, payload: &Payload) -> Result<Values, CloudError>;
    /// Changes the existing resource `id` (whose content was `before`) to `payload`.
    async fn update(
        &self,
        address: &Address,
        id: &str,
        payload: &Payload,
        before: &serde_json::Value,
    ) -> Result<Values, CloudError>;
    /// Deletes the resource `id` (whose content was `before`).
    async fn delete(&self, address: &Address, id: &str, before: &serde_json::Value) -> Result<(), CloudError>;

    /// One look at a service for the gate: its deployments and events, and the health of the
    /// targets in its target group.
    async fn observe_service(
        &self,
        cluster: &str,
        service: &str,
        target_group_arn: Option<&str>,
    ) -> Result<(ServiceObservation, Vec<TargetView>), CloudError>;
    /// Points the service at another task definition (a rollback); returns the deployment's ID.
    async fn deploy_revision(&self, cluster: &str, service: &str, task_definition: &str) -> Result<String, CloudError>;
    /// Whether a task definition revision is still registered (ACTIVE): only those can be
    /// rolled back to.
    async fn is_revision_active(&self, task_definition: &str) -> Result<bool, CloudError>;
    /// Adds a record (fails rather than overwrite one with the same ID).
    async fn history_append(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError>;
    /// Finishes a record that is still in progress.
    async fn history_finish(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError>;
    /// A service's records, newest first.
    async fn history_list(&self, scope: &HistoryScope, service: &str) -> Result<Vec<DeployRecord>, CloudError>;
    /// A service's newest `limit` records, newest first (one request).
    async fn history_recent(
        &self,
        scope: &HistoryScope,
        service: &str,
        limit: usize,
    ) -> Result<Vec<DeployRecord>, CloudError>;

    /// Takes the environment's deploy lock with `lock` when it is free at `now` (seconds since
    /// 1970): never taken, released, or expired. Atomic: of two runs, one gets it.
    async fn lock_acquire(
        &self,
        scope: &HistoryScope,
        lock: &crate::deploy_lock::DeployLock,
        now: u64,
    ) -> Result<crate::deploy_lock::LockAttempt, CloudError>;
    /// Replaces the holding with `lock`'s token by `lock` (renewed or released); false when that
    /// holding is no longer there (released, or expired and taken over).
    async fn lock_rewrite(
        &self,
        scope: &HistoryScope,
        lock: &crate::deploy_lock::DeployLock,
    ) -> Result<bool, CloudError>;
    /// The environment's lock as stored (held, released or expired), `None` if never taken.
    async fn lock_read(&self, scope: &HistoryScope) -> Result<Option<crate::deploy_lock::DeployLock>, CloudError>;

    /// The digest of `repository:tag` in ECR, `None` when the tag is not there.
    async fn image_tag_digest(&self, repository: &str, tag: &str) -> Result<Option<String>, CloudError>;
    /// `(registry host, password)` for the container CLI's `login --password-stdin`.
    async fn registry_login(&self) -> Result<(String, SecretValue), CloudError>;
    /// The scan of the image `repository@digest` in ECR.
    async fn image_scan(&self, repository: &str, digest: &str) -> Result<image_scan::ImageScan, CloudError>;
    /// A secret's metadata (`None` when it does not exist); never its value. `project` and
    /// `environment` decide whether ecsdeploy owns it.
    async fn describe_secret(
        &self,
        id: &str,
        project: &str,
        environment: &str,
    ) -> Result<Option<SecretDetails>, CloudError>;
    /// The running service `request` names and what belongs to it, whoever made it (`None`
    /// when the cluster has no such active service). Reads only.
    async fn read_import_source(
        &self,
        request: &crate::import::ImportRequest,
    ) -> Result<Option<crate::import::ImportSource>, CloudError>;
    /// Adds the adoption's tags to its resource (none are removed).
    async fn adopt(&self, adoption: &crate::import::Adoption) -> Result<(), CloudError>;
    /// Takes back an adoption: removes the tag `keys` it added.
    async fn unadopt(&self, adoption: &crate::import::Adoption, keys: &[String]) -> Result<(), CloudError>;

    /// Creates the secret `name` with `value` and `tags`, or, when `existing` is given, adds
    /// `value` as its new current version.
    async fn write_secret(
        &self,
        name: &str,
        existing: Option<&SecretDetails>,
        value: &SecretValue,
        tags: &crate::desired::tags::Tags,
    ) -> Result<SecretWritten, CloudError>;
}
