//! What to read from AWS for one environment: the names the desired state uses, the lookups the
//! manifest asks for, and the prerequisites to verify. Built from the manifest and the desired
//! state; the readers need nothing else.

use crate::desired::names::{ServiceNames, service_names};
use crate::desired::tags::Tags;
use crate::desired::task_definition::{ImageReference, SecretIdentity};
use crate::desired::{DesiredEnvironment, Reference};
use crate::manifest::{Certificate, Environment, Lookup, Manifest};
use std::collections::BTreeMap;

/// One service of the environment and the names of its resources.
#[derive(Debug, Clone)]
pub struct ServiceScope {
    /// The manifest's name (`auth`).
    pub name: String,
    pub names: ServiceNames,
    pub scaling_policies: Vec<String>,
    pub alarms: Vec<String>,
    /// The secrets its containers use (their current versions make the service's
    /// secret-versions digest).
    pub secrets: Vec<SecretIdentity>,
    /// Its ECR image by tag, whose digest ecsdeploy pins (`None`: another registry).
    pub image: Option<ImageTag>,
}

/// An image to resolve to its digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImageTag {
    pub repository: String,
    pub tag: String,
}

/// Everything the readers look up.
#[derive(Debug, Clone)]
pub struct ReadScope {
    pub project: String,
    pub environment: String,
    pub cluster: String,
    pub load_balancer: String,
    pub vpc: Lookup,
    pub public_subnets: Lookup,
    pub private_subnets: Lookup,
    pub certificate: Option<Certificate>,
    /// The hosted zone's name and, when the manifest gives it, its ID.
    pub hosted_zone: Option<(String, Option<String>)>,
    pub security_groups: Vec<String>,
    /// The name of the environment's own security group: read whether or not the manifest asks
    /// for one, so that turning `security_group = "own"` off deletes it.
    pub environment_security_group: String,
    pub repositories: Vec<String>,
    pub services: Vec<ServiceScope>,
    pub secrets: Vec<SecretIdentity>,
    /// Where the environment's secret names live (`stage/`): secrets under it whose rotation
    /// ecsdeploy configured are read too, to stop rotation the manifest no longer asks for.
    pub secret_prefix: String,
    /// Full names of the secrets the manifest sets rotation for.
    pub secret_rotations: Vec<String>,
    pub images: Vec<ImageTag>,
    pub dns_records: Vec<String>,
    /// The tags the desired state gives each alarm, log group and repository, by name: the
    /// tag index (which may lag) is trusted for a resource only when it shows exactly these.
    pub expected_tags: BTreeMap<String, Tags>,
}

impl ReadScope {
    pub fn new(manifest: &Manifest, environment: &Environment, desired: &DesiredEnvironment) -> Self {
        let project = &manifest.project;
        let mut secrets = Vec::new();
        let mut images = Vec::new();
        for service in &desired.services {
            for container in &service.task_definition.container_definitions {
                secrets.extend(container.secrets.iter().map(|secret| secret.secret.clone()));
                if let ImageReference::Ecr { repository, tag, .. } = &container.image {
                    images.push(ImageTag { repository: repository.clone(), tag: tag.clone() });
                }
            }
        }
        // A secret whose rotation the manifest sets is read even if no service uses it (yet).
        secrets
            .extend(desired.secret_rotations.iter().map(|rotation| SecretIdentity::Name(rotation.secret_id.clone())));
        secrets.sort_by_key(secret_key);
        secrets.dedup();
        images.sort();
        images.dedup();
        ReadScope {
            project: project.name.value.clone(),
            environment: environment.name.value.clone(),
            cluster: project.cluster.value.clone(),
            load_balancer: environment.load_balancer_name(project).to_string(),
            vpc: project.network.vpc.clone(),
            public_subnets: project.network.public_subnets.clone(),
            private_subnets: project.network.private_subnets.clone(),
            certificate: project.load_balancer.certificate.clone(),
            hosted_zone: project.dns.as_ref().map(|dns| {
                (dns.zone.value.trim_end_matches('.').to_string(), dns.zone_id.as_ref().map(|id| id.value.clone()))
            }),
            security_groups: vec![
                desired.shared.load_balancer_security_group.group_name.clone(),
                desired.shared.service_security_group.group_name.clone(),
            ],
            environment_security_group: crate::desired::names::environment_security_group(project, environment),
            repositories: desired.shared.repositories.iter().map(|r| r.repository_name.clone()).collect(),
            services: environment
                .enabled_services()
                .map(|service| ServiceScope {
                    name: service.name.value.clone(),
                    names: service_names(project, environment, service),
                    scaling_policies: desired
                        .service(&service.name.value)
                        .map(|d| d.scaling_policies.iter().map(|p| p.policy_name.clone()).collect())
                        .unwrap_or_default(),
                    alarms: desired
                        .service(&service.name.value)
                        .map(|d| d.alarms.iter().map(|alarm| alarm.alarm_name.clone()).collect())
                        .unwrap_or_default(),
                    secrets: desired
                        .service(&service.name.value)
                        .map(|d| {
                            let containers = &d.task_definition.container_definitions;
                            containers.iter().flat_map(|c| c.secrets.iter().map(|s| s.secret.clone())).collect()
                        })
                        .unwrap_or_default(),
                    image: desired.service(&service.name.value).and_then(|d| {
                        let pin = d.image_pin.as_ref()?;
                        let Reference::ImagePinTag { repository, tag } = &pin.image_tag else { return None };
                        Some(ImageTag { repository: repository.clone(), tag: tag.clone() })
                    }),
                })
                .collect(),
            secrets,
            secret_prefix: environment.secret_prefix.value.clone(),
            secret_rotations: desired.secret_rotations.iter().map(|rotation| rotation.secret_id.clone()).collect(),
            images,
            dns_records: desired.dns_records.iter().map(|record| record.record_name().to_string()).collect(),
            expected_tags: expected_tags(desired),
        }
    }

    pub fn service(&self, name: &str) -> Option<&ServiceScope> {
        self.services.iter().find(|service| service.name == name)
    }
}

fn secret_key(secret: &SecretIdentity) -> String {
    match secret {
        SecretIdentity::Name(name) => format!("name:{name}"),
        SecretIdentity::Arn(arn) => format!("arn:{arn}"),
    }
}

/// The tags the desired state gives each alarm, log group and repository, by name.
fn expected_tags(desired: &DesiredEnvironment) -> BTreeMap<String, Tags> {
    let mut expected = BTreeMap::new();
    for service in &desired.services {
        for alarm in &service.alarms {
            expected.insert(alarm.alarm_name.clone(), alarm.tags.clone());
        }
        if let Some(group) = &service.log_group {
            expected.insert(group.log_group_name.clone(), group.tags.clone());
        }
    }
    for repository in &desired.shared.repositories {
        expected.insert(repository.repository_name.clone(), repository.tags.clone());
    }
    expected
}
