//! EC2: the network the manifest references (VPC and subnets, found by ID or tags, never
//! created) and the two security groups ecsdeploy manages (the ALB's, and the services' that
//! admits only the ALB).

use super::AwsCloud;
use super::common::{Partial, tags_from};
use super::gone::GoneIsFine;
use super::retag::TagChanges;
use crate::actual::ownership::{is_ours, owner_of, shared_owner_of};
use crate::actual::scope::ReadScope;
use crate::cloud::error::has_code;
use crate::cloud::{CloudError, is_not_found};
use crate::desired::Reference;
use crate::desired::shared::{IngressRule, IngressSource, SecurityGroup};
use crate::desired::tags::Tags;
use crate::manifest::Lookup;
use crate::plan::address::Address;
use crate::plan::resources::json_of;
use crate::plan::values::Values;
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, ResourceType, Tag, TagSpecification, UserIdGroupPair};

impl AwsCloud {
    /// The VPC, then at once both subnet sets, the security groups ecsdeploy names and what the
    /// egress check of the private subnets needs: two rounds, whatever the network's size.
    pub(super) async fn read_network(&self, scope: &ReadScope) -> Result<Partial, CloudError> {
        let mut partial = Partial::default();
        let Some(vpc) = self.find_vpc(&scope.vpc, &mut partial).await? else {
            return Ok(partial);
        };
        partial.values.set(&Reference::Vpc, vpc.clone());
        let (public, private, egress, groups) = futures_util::try_join!(
            self.find_subnets(&scope.public_subnets, &vpc),
            self.find_subnets(&scope.private_subnets, &vpc),
            self.egress_reads(&vpc),
            self.read_security_groups(scope, &vpc),
        )?;
        // An ALB needs subnets in two Availability Zones at least, and takes one per zone.
        for (subnets, reference, what, zones_needed) in [
            (public, Reference::PublicSubnets, "public subnets", 2),
            (private, Reference::PrivateSubnets, "private subnets", 1),
        ] {
            let mut zones: Vec<&str> = subnets.iter().map(|(_, zone)| zone.as_str()).collect();
            zones.sort_unstable();
            let zone_count = zones.len();
            zones.dedup();
            let one_per_zone = zones.len() == zone_count || reference == Reference::PrivateSubnets;
            if zones.len() < zones_needed || !one_per_zone {
                partial.missing(
                    format!("{what} in {zones_needed} or more Availability Zones, one each ({} subnets in {} zones found in {vpc})", zone_count, zones.len()),
                    format!("check `network.{}` in [project.network] of services.toml", what.replace(' ', "_")),
                );
            }
            if reference == Reference::PrivateSubnets {
                let uses_secrets = !scope.secrets.is_empty();
                partial.missing.extend(egress.problems(&self.region, &subnets, uses_secrets));
            }
            partial.values.set_many(&reference, subnets.into_iter().map(|(id, _)| id).collect());
        }
        partial.merge(groups);
        Ok(partial)
    }

    async fn find_vpc(&self, lookup: &Lookup, partial: &mut Partial) -> Result<Option<String>, CloudError> {
        let mut request = self.ec2.describe_vpcs();
        request = match lookup {
            Lookup::Ids(ids) => request.set_vpc_ids(Some(ids.iter().map(|id| id.value.clone()).collect())),
            Lookup::Tags { tags, .. } => request.set_filters(Some(tag_filters(tags))),
        };
        let described = request.send().await;
        let described =
            described.map_err(|error| self.error("ec2:DescribeVpcs", describe_lookup("VPC", lookup), &error));
        let vpcs: Vec<String> = match described.gone_is_fine(&["InvalidVpcID.NotFound"])? {
            Some(output) => output.vpcs().iter().filter_map(|vpc| vpc.vpc_id().map(str::to_string)).collect(),
            None => Vec::new(),
        };
        match vpcs.as_slice() {
            [vpc] => Ok(Some(vpc.clone())),
            [] => {
                partial.missing(
                    format!("the {}", describe_lookup("VPC", lookup)),
                    "check `network.vpc` in [project.network] of services.toml",
                );
                Ok(None)
            }
            many => {
                partial.missing(
                    format!("one {} ({} match: {})", describe_lookup("VPC", lookup), many.len(), many.join(", ")),
                    "make `network.vpc` name exactly one VPC (by ID, or by tags only it has)",
                );
                Ok(None)
            }
        }
    }

    /// `(subnet ID, Availability Zone)` of the subnets `lookup` names in `vpc`, sorted.
    async fn find_subnets(&self, lookup: &Lookup, vpc: &str) -> Result<Vec<(String, String)>, CloudError> {
        let mut request = self.ec2.describe_subnets().filters(filter("vpc-id", [vpc.to_string()]));
        request = match lookup {
            Lookup::Ids(ids) => request.set_subnet_ids(Some(ids.iter().map(|id| id.value.clone()).collect())),
            Lookup::Tags { tags, .. } => {
                tag_filters(tags).into_iter().fold(request, |request, tag| request.filters(tag))
            }
        };
        let described = request.send().await;
        let described =
            described.map_err(|error| self.error("ec2:DescribeSubnets", describe_lookup("subnets", lookup), &error));
        let Some(output) = described.gone_is_fine(&["InvalidSubnetID.NotFound"])? else { return Ok(Vec::new()) };
        let mut subnets: Vec<(String, String)> = output
            .subnets()
            .iter()
            .filter_map(|subnet| {
                Some((subnet.subnet_id()?.to_string(), subnet.availability_zone().unwrap_or_default().to_string()))
            })
            .collect();
        subnets.sort();
        Ok(subnets)
    }

    async fn read_security_groups(&self, scope: &ReadScope, vpc: &str) -> Result<Partial, CloudError> {
        let mut partial = Partial::default();
        let output = self
            .ec2
            .describe_security_groups()
            .filters(filter("vpc-id", [vpc.to_string()]))
            .filters(filter(
                "group-name",
                scope.security_groups.iter().chain([&scope.environment_security_group]).cloned(),
            ))
            .send()
            .await
            .map_err(|error| self.error("ec2:DescribeSecurityGroups", format!("security groups in {vpc}"), &error))?;
        for group in output.security_groups() {
            let (Some(id), Some(name)) = (group.group_id(), group.group_name()) else { continue };
            let actual = security_group_of(group);
            let (address, owner) = if name == scope.environment_security_group {
                let owner = owner_of(&actual.tags, &scope.project, &scope.environment);
                (Address::EnvironmentSecurityGroup(name.to_string()), owner)
            } else {
                let Some(rank) = scope.security_groups.iter().position(|wanted| wanted == name) else { continue };
                let owner = shared_owner_of(&actual.tags, &scope.project);
                (Address::SecurityGroup { rank: rank as u8, name: name.to_string() }, owner)
            };
            partial.values.set(&Reference::SecurityGroupId(name.to_string()), id);
            partial.resource(address, id, json_of(&actual), owner);
        }
        Ok(partial)
    }

    /// Creates the group and authorizes its ingress rules. When a group of that name exists in
    /// the VPC already and carries the ownership tags it was being created with, it is this
    /// deployment's own (the SDK repeated a CreateSecurityGroup whose answer was lost): its rules
    /// and tags are brought to the desired ones as an update would, and the create goes on.
    pub(super) async fn create_security_group(&self, group: &SecurityGroup) -> Result<Values, CloudError> {
        let resource = format!("security group {}", group.group_name);
        let created = self
            .ec2
            .create_security_group()
            .group_name(&group.group_name)
            .description(&group.description)
            .vpc_id(group.vpc_id.to_string())
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::SecurityGroup)
                    .set_tags(Some(ec2_tags(&group.tags)))
                    .build(),
            )
            .send()
            .await;
        let id = match created {
            Ok(created) => {
                let id = created.group_id().unwrap_or_default().to_string();
                self.change_ingress(&id, &group.ingress, &[], &resource).await?;
                id
            }
            Err(error) if has_code(&error, &["InvalidGroup.Duplicate"]) => {
                let refused = self.error("ec2:CreateSecurityGroup", &resource, &error);
                match self.existing_security_group(group).await? {
                    Some((id, existing)) if is_ours(&existing.tags, &group.tags) => {
                        tracing::info!(
                            group = group.group_name,
                            "the security group exists and is ours: going on with it"
                        );
                        self.update_security_group(&id, group, &existing).await?;
                        id
                    }
                    _ => return Err(refused),
                }
            }
            Err(error) => return Err(self.error("ec2:CreateSecurityGroup", &resource, &error)),
        };
        let mut values = Values::default();
        values.set(&Reference::SecurityGroupId(group.group_name.clone()), id);
        Ok(values)
    }

    /// The group named as `group` in its VPC, as `(ID, desired-shaped group)`.
    async fn existing_security_group(
        &self,
        group: &SecurityGroup,
    ) -> Result<Option<(String, SecurityGroup)>, CloudError> {
        let vpc = group.vpc_id.to_string();
        let output = self
            .ec2
            .describe_security_groups()
            .filters(filter("vpc-id", [vpc.clone()]))
            .filters(filter("group-name", [group.group_name.clone()]))
            .send()
            .await
            .map_err(|error| {
                self.error(
                    "ec2:DescribeSecurityGroups",
                    format!("security group {} in {vpc}", group.group_name),
                    &error,
                )
            })?;
        let found = output.security_groups().iter().find(|found| found.group_name() == Some(group.group_name.as_str()));
        Ok(found.and_then(|found| Some((found.group_id()?.to_string(), security_group_of(found)))))
    }

    pub(super) async fn update_security_group(
        &self,
        id: &str,
        group: &SecurityGroup,
        before: &SecurityGroup,
    ) -> Result<Values, CloudError> {
        let resource = format!("security group {} ({id})", group.group_name);
        self.change_ingress(id, &group.ingress, &before.ingress, &resource).await?;
        let resource = &resource;
        TagChanges::between(&before.tags, &group.tags)
            .apply(
                |added| async move {
                    let tagged = self.ec2.create_tags().resources(id).set_tags(Some(ec2_tags(&Tags(added))));
                    tagged.send().await.map(drop).map_err(|error| self.error("ec2:CreateTags", resource, &error))
                },
                |removed| async move {
                    let keys = removed.iter().map(|key| Tag::builder().key(key).build()).collect();
                    let untagged = self.ec2.delete_tags().resources(id).set_tags(Some(keys));
                    untagged.send().await.map(drop).map_err(|error| self.error("ec2:DeleteTags", resource, &error))
                },
            )
            .await?;
        Ok(Values::default())
    }

    /// Authorizes the rules in `wanted` that `current` lacks, and revokes the ones it no longer wants.
    async fn change_ingress(
        &self,
        id: &str,
        wanted: &[IngressRule],
        current: &[IngressRule],
        resource: &str,
    ) -> Result<(), CloudError> {
        let added: Vec<IpPermission> =
            wanted.iter().filter(|rule| !current.contains(rule)).map(ip_permission).collect();
        let removed: Vec<IpPermission> =
            current.iter().filter(|rule| !wanted.contains(rule)).map(ip_permission).collect();
        if !added.is_empty() {
            self.authorize_ingress(id, added, resource).await?;
        }
        if !removed.is_empty() {
            self.revoke_ingress(id, removed, resource).await?;
        }
        Ok(())
    }

    /// Authorizes `permissions`. EC2 refuses the whole call when one rule is there already
    /// (InvalidPermission.Duplicate): the SDK repeated a call whose answer was lost, or the rule
    /// was added meanwhile. Then each rule is authorized alone, and one that is there is done.
    async fn authorize_ingress(
        &self,
        id: &str,
        permissions: Vec<IpPermission>,
        resource: &str,
    ) -> Result<(), CloudError> {
        let batch = permissions.len() > 1;
        let result = self
            .ec2
            .authorize_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(permissions.clone()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if has_code(&error, &["InvalidPermission.Duplicate"]) && batch => {
                for permission in permissions {
                    Box::pin(self.authorize_ingress(id, vec![permission], resource)).await?;
                }
                Ok(())
            }
            Err(error) if has_code(&error, &["InvalidPermission.Duplicate"]) => Ok(()),
            Err(error) => Err(self.error("ec2:AuthorizeSecurityGroupIngress", resource, &error)),
        }
    }

    /// Revokes `permissions`; as [`Self::authorize_ingress`], a rule already gone
    /// (InvalidPermission.NotFound) is done.
    async fn revoke_ingress(&self, id: &str, permissions: Vec<IpPermission>, resource: &str) -> Result<(), CloudError> {
        let batch = permissions.len() > 1;
        let result = self
            .ec2
            .revoke_security_group_ingress()
            .group_id(id)
            .set_ip_permissions(Some(permissions.clone()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_not_found(&error, &["InvalidPermission.NotFound"]) && batch => {
                for permission in permissions {
                    Box::pin(self.revoke_ingress(id, vec![permission], resource)).await?;
                }
                Ok(())
            }
            Err(error) if is_not_found(&error, &["InvalidPermission.NotFound"]) => Ok(()),
            Err(error) => Err(self.error("ec2:RevokeSecurityGroupIngress", resource, &error)),
        }
    }

    /// Deletes the group, waiting while network interfaces of a deleted ALB or of stopped tasks
    /// still use it (AWS releases them minutes later).
    pub(super) async fn delete_security_group(&self, id: &str) -> Result<(), CloudError> {
        super::common::retry_while_busy(&["DependencyViolation"], || async move {
            let deleted = self.ec2.delete_security_group().group_id(id).send().await;
            deleted
                .map_err(|error| self.error("ec2:DeleteSecurityGroup", format!("security group {id}"), &error))
                .gone_is_fine(&["InvalidGroup.NotFound"])?;
            Ok(())
        })
        .await
    }
}

fn filter(name: &str, values: impl IntoIterator<Item = String>) -> Filter {
    Filter::builder().name(name).set_values(Some(values.into_iter().collect())).build()
}

fn tag_filters(tags: &[crate::manifest::Tag]) -> Vec<Filter> {
    tags.iter().map(|tag| filter(&format!("tag:{}", tag.key.value), [tag.value.value.clone()])).collect()
}

fn describe_lookup(what: &str, lookup: &Lookup) -> String {
    match lookup {
        Lookup::Ids(ids) => format!("{what} {}", ids.iter().map(|id| id.value.as_str()).collect::<Vec<_>>().join(", ")),
        Lookup::Tags { tags, .. } => {
            let tags: Vec<String> = tags.iter().map(|tag| format!("{}={}", tag.key.value, tag.value.value)).collect();
            format!("{what} tagged {}", tags.join(", "))
        }
    }
}

/// A security group in the desired shape.
fn security_group_of(group: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        group_name: group.group_name().unwrap_or_default().to_string(),
        description: group.description().unwrap_or_default().to_string(),
        vpc_id: Reference::known(group.vpc_id().unwrap_or_default()),
        ingress: ingress_rules(group.ip_permissions()),
        tags: tags_from(
            group.tags().iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())),
        ),
    }
}

fn ec2_tags(tags: &Tags) -> Vec<Tag> {
    tags.0.iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

/// One ingress rule per port range and source, sorted: AWS groups them by port range.
fn ingress_rules(permissions: &[IpPermission]) -> Vec<IngressRule> {
    let mut rules = Vec::new();
    for permission in permissions {
        let (Some(from_port), Some(to_port)) = (permission.from_port(), permission.to_port()) else { continue };
        let (from_port, to_port) = (i64::from(from_port), i64::from(to_port));
        for range in permission.ip_ranges() {
            let source = IngressSource::CidrIp(range.cidr_ip().unwrap_or_default().to_string());
            rules.push(IngressRule { from_port, to_port, source });
        }
        for pair in permission.user_id_group_pairs() {
            let source = IngressSource::SecurityGroup(Reference::known(pair.group_id().unwrap_or_default()));
            rules.push(IngressRule { from_port, to_port, source });
        }
    }
    rules.sort();
    rules
}

fn ip_permission(rule: &IngressRule) -> IpPermission {
    let builder =
        IpPermission::builder().ip_protocol("tcp").from_port(rule.from_port as i32).to_port(rule.to_port as i32);
    match &rule.source {
        IngressSource::CidrIp(cidr) => builder.ip_ranges(IpRange::builder().cidr_ip(cidr).build()).build(),
        IngressSource::SecurityGroup(group) => {
            builder.user_id_group_pairs(UserIdGroupPair::builder().group_id(group.to_string()).build()).build()
        }
    }
}
