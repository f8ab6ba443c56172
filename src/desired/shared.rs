//! What every environment of the project shares: the ECS cluster, the ALB with its security
//! group and listeners, the services' security group, and the ECR repositories. Each is shaped
//! as its AWS create call receives it and tagged with environment `shared`.

use super::load_balancing::Attribute;
use super::names;
use super::reference::Reference;
use super::tags::{SHARED_ENVIRONMENT, Tags, ecs_style, pascal_style};
use crate::manifest::{Certificate, Environment, Image, Manifest};
use serde::{Deserialize, Serialize};

/// Everything the environments share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedResources {
    pub cluster: Cluster,
    pub load_balancer_security_group: SecurityGroup,
    pub service_security_group: SecurityGroup,
    pub load_balancer: LoadBalancer,
    pub https_listener: Listener,
    pub http_listener: Listener,
    pub repositories: Vec<Repository>,
}

/// `CreateCluster` with both Fargate capacity providers, so environments can choose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub cluster_name: String,
    pub capacity_providers: Vec<String>,
    #[serde(serialize_with = "ecs_style")]
    pub tags: Tags,
}

/// `CreateSecurityGroup` and its ingress (`AuthorizeSecurityGroupIngress`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    pub group_name: String,
    pub description: String,
    pub vpc_id: Reference,
    pub ingress: Vec<IngressRule>,
    #[serde(serialize_with = "pascal_style")]
    pub tags: Tags,
}

/// One ingress permission: TCP ports from CIDR ranges or from another security group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IngressRule {
    pub from_port: i64,
    pub to_port: i64,
    pub source: IngressSource,
}

/// Where allowed traffic comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IngressSource {
    /// An IPv4 range.
    CidrIp(String),
    /// Members of another security group.
    SecurityGroup(Reference),
}

/// `CreateLoadBalancer`: internet-facing, in the public subnets; then
/// `ModifyLoadBalancerAttributes` with the attributes ecsdeploy manages (one resource in a plan,
/// as a target group and its attributes are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    pub name: String,
    pub subnets: Vec<Reference>,
    pub security_groups: Vec<Reference>,
    pub scheme: String,
    #[serde(rename = "Type")]
    pub load_balancer_type: String,
    pub ip_address_type: String,
    /// Only the keys of [`MANAGED_LOAD_BALANCER_ATTRIBUTES`], sorted by key: AWS answers
    /// DescribeLoadBalancerAttributes with every attribute, and the others are not ecsdeploy's to
    /// compare (access logs, HTTP/2... someone may have set them by hand).
    pub attributes: Vec<Attribute>,
    #[serde(serialize_with = "pascal_style")]
    pub tags: Tags,
}

/// The load balancer attributes ecsdeploy sets and compares, sorted.
pub const MANAGED_LOAD_BALANCER_ATTRIBUTES: [&str; 3] =
    ["deletion_protection.enabled", "idle_timeout.timeout_seconds", "routing.http.drop_invalid_header_fields.enabled"];

/// The attributes of the shared ALB: deletion protection on (every environment's traffic goes
/// through it, and its DNS name is what the records point at: a stray `delete-load-balancer`
/// must not take it away; `destroy` of the last environment turns it off just before deleting),
/// the manifest's idle timeout, and invalid header fields dropped (AWS's default keeps them,
/// which lets request smuggling through to the apps).
pub fn load_balancer_attributes(idle_timeout_seconds: i64) -> Vec<Attribute> {
    let [deletion_protection, idle_timeout, drop_invalid_headers] = MANAGED_LOAD_BALANCER_ATTRIBUTES;
    vec![
        Attribute { key: deletion_protection.into(), value: "true".into() },
        Attribute { key: idle_timeout.into(), value: idle_timeout_seconds.to_string() },
        Attribute { key: drop_invalid_headers.into(), value: "true".into() },
    ]
}

/// `CreateListener`: HTTPS with a 404 default (only the services' rules route), or HTTP that
/// redirects to HTTPS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listener {
    pub load_balancer_arn: Reference,
    pub protocol: String,
    pub port: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<Reference>,
    pub default_action: DefaultAction,
    #[serde(serialize_with = "pascal_style")]
    pub tags: Tags,
}

/// A listener's default action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DefaultAction {
    /// A fixed 404 for paths no service claims.
    NotFound,
    /// A permanent redirect to HTTPS on 443.
    RedirectToHttps,
    /// Anything else (read from AWS): always a difference from what ecsdeploy wants.
    Other(String),
}

/// `CreateRepository` with scanning and immutable tags except `latest`, plus `PutLifecyclePolicy`.
///
/// Every tag but `latest` is immutable, so a tag a pipeline pushed (a commit, a version) always
/// names the same image; `latest` may move, as the seed's way of working (push `latest`, deploy)
/// needs. What a deploy ran is kept by digest, under its pin tag (`desired::image_pin`), so a
/// moved `latest` never takes a rollback target away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    pub repository_name: String,
    pub image_tag_mutability: String,
    /// The tags that stay mutable (`IMMUTABLE_WITH_EXCLUSION`), sorted.
    pub image_tag_mutability_exclusion_filters: Vec<ExclusionFilter>,
    pub scan_on_push: bool,
    /// Untagged images (left behind by re-tagging) expire after this many days.
    pub expire_untagged_after_days: i64,
    #[serde(serialize_with = "ecs_style")]
    pub tags: Tags,
}

/// A tag pattern exempt from immutability (`*` wildcards).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExclusionFilter {
    pub filter_type: String,
    pub filter: String,
}

/// The tags that move: the seed's and `docker push`'s default.
pub const MUTABLE_TAGS: [&str; 1] = ["latest"];

/// What every environment shares (the cluster, the security groups, the image repositories),
/// and the ALB with its listeners that `environment` is routed through.
pub fn shared_resources(manifest: &Manifest, environment: &Environment) -> SharedResources {
    let project = &manifest.project;
    let project_name = &project.name.value;
    let tags = Tags::owned(
        project_name,
        SHARED_ENVIRONMENT,
        None,
        project.tags.iter().map(|tag| (tag.key.value.as_str(), tag.value.value.as_str())),
    );
    let load_balancer_name = environment.load_balancer_name(project).to_string();
    let load_balancer_group = names::load_balancer_security_group(project);
    let service_group = names::service_security_group(project);
    SharedResources {
        cluster: Cluster {
            cluster_name: project.cluster.value.clone(),
            capacity_providers: vec!["FARGATE".into(), "FARGATE_SPOT".into()],
            tags: tags.clone(),
        },
        load_balancer_security_group: SecurityGroup {
            // No names that may change in a description: AWS cannot change it in place.
            description: format!("load balancer of {project_name}, open on 80 and 443 (managed by ecsdeploy)"),
            group_name: load_balancer_group.clone(),
            vpc_id: Reference::Vpc,
            ingress: [80, 443]
                .iter()
                .map(|port| IngressRule {
                    from_port: *port,
                    to_port: *port,
                    source: IngressSource::CidrIp("0.0.0.0/0".into()),
                })
                .collect(),
            tags: tags.clone(),
        },
        service_security_group: SecurityGroup {
            description: format!("services of {project_name}, reachable from the ALB only (managed by ecsdeploy)"),
            group_name: service_group,
            vpc_id: Reference::Vpc,
            ingress: from_load_balancer(container_ports(manifest), &load_balancer_group),
            tags: tags.clone(),
        },
        load_balancer: LoadBalancer {
            name: load_balancer_name.clone(),
            subnets: vec![Reference::PublicSubnets],
            security_groups: vec![Reference::SecurityGroupId(load_balancer_group)],
            scheme: "internet-facing".into(),
            load_balancer_type: "application".into(),
            ip_address_type: "ipv4".into(),
            attributes: load_balancer_attributes(project.load_balancer.idle_timeout_seconds),
            tags: tags.clone(),
        },
        https_listener: Listener {
            load_balancer_arn: Reference::LoadBalancerArn { load_balancer: load_balancer_name.clone() },
            protocol: "HTTPS".into(),
            port: 443,
            ssl_policy: Some(project.load_balancer.ssl_policy.clone()),
            certificates: vec![match &project.load_balancer.certificate {
                Some(Certificate::Arn(arn)) => Reference::known(arn.value.clone()),
                _ => Reference::CertificateArn,
            }],
            default_action: DefaultAction::NotFound,
            tags: tags.clone(),
        },
        http_listener: Listener {
            load_balancer_arn: Reference::LoadBalancerArn { load_balancer: load_balancer_name },
            protocol: "HTTP".into(),
            port: 80,
            ssl_policy: None,
            certificates: Vec::new(),
            default_action: DefaultAction::RedirectToHttps,
            tags: tags.clone(),
        },
        repositories: repositories(manifest, &tags),
    }
}

/// Every container port any service uses in any environment, sorted: one ingress rule each.
/// The security group of `environment`'s own tasks (`security_group = "own"`): the ALB may reach
/// this environment's container ports, nothing else; owned and tagged by the environment (its
/// `destroy` removes it).
pub fn environment_security_group(manifest: &Manifest, environment: &Environment) -> Option<SecurityGroup> {
    if !environment.own_security_group {
        return None;
    }
    let project = &manifest.project;
    let extra =
        project.tags.iter().chain(&environment.tags).map(|tag| (tag.key.value.as_str(), tag.value.value.as_str()));
    let tags = Tags::owned(&project.name.value, &environment.name.value, None, extra);
    let mut ports: Vec<i64> = environment.enabled_services().map(|service| service.port.value).collect();
    ports.sort_unstable();
    ports.dedup();
    let load_balancer_group = names::load_balancer_security_group(project);
    Some(SecurityGroup {
        group_name: names::environment_security_group(project, environment),
        description: format!(
            "services of {} in {}, reachable from the ALB only (managed by ecsdeploy)",
            project.name.value, environment.name.value
        ),
        vpc_id: Reference::Vpc,
        ingress: from_load_balancer(ports, &load_balancer_group),
        tags,
    })
}

/// Ingress on each of `ports` from the members of the ALB's security group.
fn from_load_balancer(ports: Vec<i64>, load_balancer_group: &str) -> Vec<IngressRule> {
    ports
        .into_iter()
        .map(|port| IngressRule {
            from_port: port,
            to_port: port,
            source: IngressSource::SecurityGroup(Reference::SecurityGroupId(load_balancer_group.to_string())),
        })
        .collect()
}

fn container_ports(manifest: &Manifest) -> Vec<i64> {
    let mut ports: Vec<i64> = manifest
        .environments
        .iter()
        .flat_map(|environment| environment.enabled_services())
        .map(|service| service.port.value)
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// One repository per ECR image any environment deploys (repositories are shared: an image built
/// once is promoted from test to prod).
fn repositories(manifest: &Manifest, tags: &Tags) -> Vec<Repository> {
    let mut names: Vec<String> = manifest
        .environments
        .iter()
        .flat_map(|environment| environment.enabled_services())
        .filter_map(|service| match &service.image {
            Image::Ecr { repository, .. } => Some(repository.value.clone()),
            Image::External(_) => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|repository_name| Repository {
            repository_name,
            image_tag_mutability: "IMMUTABLE_WITH_EXCLUSION".into(),
            image_tag_mutability_exclusion_filters: MUTABLE_TAGS
                .iter()
                .map(|tag| ExclusionFilter { filter_type: "WILDCARD".into(), filter: tag.to_string() })
                .collect(),
            scan_on_push: true,
            expire_untagged_after_days: 14,
            tags: tags.clone(),
        })
        .collect()
}
