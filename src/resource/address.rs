//! Addresses: the stable name of each resource in a plan (`service.auth.task_definition`), and the
//! order in which resources depend on each other.

use serde::{Serialize, Serializer};
use std::fmt;

/// The part of a service a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServicePart {
    /// Before the task definition: a revision is registered only once its image is kept.
    PinnedImage,
    LogGroup,
    ExecutionRole,
    TaskRole,
    TaskDefinition,
    TargetGroup,
    ListenerRule,
    EcsService,
    ScalableTarget,
    ScalingPolicy,
    Alarm,
}

impl ServicePart {
    pub fn as_str(self) -> &'static str {
        match self {
            ServicePart::PinnedImage => "pinned_image",
            ServicePart::LogGroup => "log_group",
            ServicePart::ExecutionRole => "execution_role",
            ServicePart::TaskRole => "task_role",
            ServicePart::TaskDefinition => "task_definition",
            ServicePart::TargetGroup => "target_group",
            ServicePart::ListenerRule => "listener_rule",
            ServicePart::EcsService => "ecs_service",
            ServicePart::ScalableTarget => "scalable_target",
            ServicePart::ScalingPolicy => "scaling_policy",
            ServicePart::Alarm => "alarm",
        }
    }
}

/// Where a resource sits in the plan. Ordering follows dependencies: everything a resource needs
/// sorts before it, so creation walks addresses in order and deletion in reverse.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Address {
    Cluster,
    /// A security group, by name (the ALB's first: the services' admits traffic from it).
    SecurityGroup {
        rank: u8,
        name: String,
    },
    /// The security group of the environment's own tasks (`security_group = "own"`), by name:
    /// after the ALB's, whose members it admits.
    EnvironmentSecurityGroup(String),
    LoadBalancer,
    /// A listener of the shared ALB, by port.
    Listener(i64),
    /// An ECR repository, by name.
    Repository(String),
    /// The rotation settings of a secret, by its full name. The secret itself is the
    /// operator's data (`ecsdeploy secrets set`): a plan never creates or deletes it.
    SecretRotation(String),
    /// A resource of a service (by its manifest name); `name` tells apart several of one part
    /// (scaling policies).
    Service {
        service: String,
        part: ServicePart,
        name: String,
    },
    /// The environment's DNS record, by record name.
    DnsRecord(String),
}

impl Address {
    pub fn service(service: &str, part: ServicePart) -> Self {
        Address::Service { service: service.to_string(), part, name: String::new() }
    }

    pub fn service_named(service: &str, part: ServicePart, name: &str) -> Self {
        Address::Service { service: service.to_string(), part, name: name.to_string() }
    }

    /// The manifest service this resource belongs to.
    pub fn service_name(&self) -> Option<&str> {
        match self {
            Address::Service { service, .. } => Some(service),
            _ => None,
        }
    }

    pub fn part(&self) -> Option<ServicePart> {
        match self {
            Address::Service { part, .. } => Some(*part),
            _ => None,
        }
    }

    /// Whether all environments share the resource.
    pub fn is_shared(&self) -> bool {
        matches!(
            self,
            Address::Cluster
                | Address::SecurityGroup { .. }
                | Address::LoadBalancer
                | Address::Listener(_)
                | Address::Repository(_)
        )
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Cluster => f.write_str("cluster"),
            Address::SecurityGroup { name, .. } => write!(f, "security_group.{name}"),
            Address::EnvironmentSecurityGroup(name) => write!(f, "environment_security_group.{name}"),
            Address::LoadBalancer => f.write_str("load_balancer"),
            Address::Listener(port) => write!(f, "listener.{port}"),
            Address::Repository(name) => write!(f, "repository.{name}"),
            Address::SecretRotation(name) => write!(f, "secret_rotation.{name}"),
            Address::Service { service, part, name } if name.is_empty() => {
                write!(f, "service.{service}.{}", part.as_str())
            }
            Address::Service { service, part, name } => write!(f, "service.{service}.{}.{name}", part.as_str()),
            Address::DnsRecord(name) => write!(f, "dns_record.{name}"),
        }
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
