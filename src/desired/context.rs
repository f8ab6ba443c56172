//! What the desired state needs besides the manifest: the region and, if known, the account.

use super::reference::{Reference, Template};

/// The account and region one environment is deployed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub region: String,
    /// Known from the manifest's `account_id`, from STS, or a placeholder for offline `render`.
    pub account: Reference,
}

impl Context {
    pub fn new(region: impl Into<String>, account_id: Option<String>) -> Self {
        Context { region: region.into(), account: account_id.map_or(Reference::AccountId, Reference::Known) }
    }

    /// The ARN partition of the region: `aws`, `aws-cn` or `aws-us-gov`.
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// The ARN of a regional resource in this account.
    pub fn arn(&self, service: &str, resource: &str) -> Template {
        Template::arn(self.partition(), service, &self.region, &self.account, resource)
    }

    /// The ARN of a global (IAM) resource in this account.
    pub fn global_arn(&self, service: &str, resource: &str) -> Template {
        Template::arn(self.partition(), service, "", &self.account, resource)
    }

    /// `<account>.dkr.ecr.<region>.amazonaws.com`.
    pub fn ecr_registry(&self) -> Template {
        let suffix = if self.partition() == "aws-cn" { "amazonaws.com.cn" } else { "amazonaws.com" };
        Template(vec![self.account.clone(), Reference::known(format!(".dkr.ecr.{}.{suffix}", self.region))])
    }
}
