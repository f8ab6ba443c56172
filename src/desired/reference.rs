//! Values the desired state cannot know without AWS: ARNs and IDs of resources that exist only
//! once created or looked up.
//!
//! The desired state is computed offline (`render` makes no AWS call), so it names such a value
//! by what it refers to. Plan and apply resolve every [`Reference`] against the actual state; a
//! rendered reference prints as `<kind name>`, which no AWS API would accept by accident.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A value that refers to another resource, resolved when the actual state is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    /// A literal value, known offline.
    Known(String),
    /// The 12-digit account ID, when the manifest does not pin `account_id`.
    AccountId,
    /// The ARN of the target group with this name.
    TargetGroupArn(String),
    /// `app/<name>/<id>/targetgroup/<tg>/<id>`, the label of ALB request-count metrics.
    RequestCountResourceLabel { load_balancer: String, target_group: String },
    /// The ARN of the shared ALB's HTTPS listener.
    HttpsListenerArn { load_balancer: String },
    /// The DNS name of the shared ALB.
    LoadBalancerDnsName { load_balancer: String },
    /// The Route53 zone ID of the shared ALB (for alias records).
    LoadBalancerZoneId { load_balancer: String },
    /// The VPC found by the manifest's `network.vpc`.
    Vpc,
    /// The private subnets found by the manifest's `network.private_subnets`.
    PrivateSubnets,
    /// The public subnets found by the manifest's `network.public_subnets` (the ALB's).
    PublicSubnets,
    /// The ID of the security group ecsdeploy manages under this name.
    SecurityGroupId(String),
    /// The ARN of the shared ALB.
    LoadBalancerArn { load_balancer: String },
    /// The HTTPS listener's certificate, from the manifest or looked up in ACM.
    CertificateArn,
    /// The image's digest-pinned reference, resolved from the tag in ECR at plan time.
    ImageByDigest { repository: String, tag: String },
    /// The tag ecsdeploy keeps on that digest (`ecsdeploy-<hex>`, see `desired::image_pin`).
    ImagePinTag { repository: String, tag: String },
    /// The full ARN of the secret with this name (AWS appends six random characters to the name).
    SecretArn(String),
    /// The ID of the Route53 hosted zone with this name.
    HostedZoneId { zone: String },
    /// The ID of the service's PRIMARY deployment (read before a run, or started by it). Never
    /// part of a payload: apply reports it so the gate can follow the deployment it started.
    DeploymentId { service: String },
    /// `app/<name>/<id>`: the ALB as CloudWatch names it in dimensions.
    LoadBalancerDimension { load_balancer: String },
    /// `targetgroup/<name>/<id>`: the target group as CloudWatch names it in dimensions.
    TargetGroupDimension(String),
    /// A digest of the current (AWSCURRENT) version IDs of the secrets a service uses, never
    /// their values: a rotation changes it, and `up` restarts the service to pick it up.
    SecretVersions { service: String },
    /// The current (AWSCURRENT) version ID of the secret with this name or ARN.
    SecretVersionId(String),
    /// The ARN of the task definition revision a service should run: the one it runs when the
    /// content is unchanged, else the revision apply registers.
    TaskDefinitionArn { family: String },
}

impl Reference {
    pub fn known(value: impl Into<String>) -> Self {
        Reference::Known(value.into())
    }

    pub fn is_known(&self) -> bool {
        matches!(self, Reference::Known(_))
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Known(value) => f.write_str(value),
            Reference::AccountId => f.write_str("<account-id>"),
            Reference::TargetGroupArn(name) => write!(f, "<target-group-arn {name}>"),
            Reference::RequestCountResourceLabel { load_balancer, target_group } => {
                write!(f, "<request-count-label {load_balancer}/{target_group}>")
            }
            Reference::HttpsListenerArn { load_balancer } => write!(f, "<https-listener-arn {load_balancer}>"),
            Reference::LoadBalancerDnsName { load_balancer } => write!(f, "<load-balancer-dns-name {load_balancer}>"),
            Reference::LoadBalancerZoneId { load_balancer } => write!(f, "<load-balancer-zone-id {load_balancer}>"),
            Reference::Vpc => f.write_str("<vpc-id>"),
            Reference::PrivateSubnets => f.write_str("<private-subnet-ids>"),
            Reference::PublicSubnets => f.write_str("<public-subnet-ids>"),
            Reference::SecurityGroupId(name) => write!(f, "<security-group-id {name}>"),
            Reference::LoadBalancerArn { load_balancer } => write!(f, "<load-balancer-arn {load_balancer}>"),
            Reference::CertificateArn => f.write_str("<certificate-arn>"),
            Reference::ImageByDigest { repository, tag } => write!(f, "<image {repository}:{tag} by digest>"),
            Reference::ImagePinTag { repository, tag } => write!(f, "<image {repository}:{tag} pin tag>"),
            Reference::SecretArn(name) => write!(f, "<secret-arn {name}>"),
            Reference::HostedZoneId { zone } => write!(f, "<hosted-zone-id {zone}>"),
            Reference::TaskDefinitionArn { family } => write!(f, "<task-definition-arn {family}>"),
            Reference::DeploymentId { service } => write!(f, "<deployment-id {service}>"),
            Reference::LoadBalancerDimension { load_balancer } => {
                write!(f, "<load-balancer-dimension {load_balancer}>")
            }
            Reference::TargetGroupDimension(name) => write!(f, "<target-group-dimension {name}>"),
            Reference::SecretVersions { service } => write!(f, "<secret-versions {service}>"),
            Reference::SecretVersionId(secret) => write!(f, "<secret-version-id {secret}>"),
        }
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A reference read back (from a resolved payload, or from AWS) is a literal value.
impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Reference::Known)
    }
}

/// A string built from literal parts and references, such as an ARN with the account ID in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Template(pub Vec<Reference>);

impl Template {
    /// `arn:<partition>:<service>:<region>:<account>:<resource>`.
    pub fn arn(partition: &str, service: &str, region: &str, account: &Reference, resource: &str) -> Self {
        Template(vec![
            Reference::known(format!("arn:{partition}:{service}:{region}:")),
            account.clone(),
            Reference::known(format!(":{resource}")),
        ])
    }

    pub fn literal(value: impl Into<String>) -> Self {
        Template(vec![Reference::known(value)])
    }

    pub fn is_known(&self) -> bool {
        self.0.iter().all(Reference::is_known)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|part| part.fmt(f))
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Template::literal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_with_and_without_account() {
        let unknown = Template::arn("aws", "iam", "", &Reference::AccountId, "role/x");
        assert_eq!(unknown.to_string(), "arn:aws:iam::<account-id>:role/x");
        assert!(!unknown.is_known());
        let known = Template::arn("aws", "iam", "", &Reference::known("123456789012"), "role/x");
        assert_eq!(known.to_string(), "arn:aws:iam::123456789012:role/x");
        assert!(known.is_known());
    }
}
