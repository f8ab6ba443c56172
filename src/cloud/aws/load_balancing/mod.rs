//! ELBv2: the shared ALB and its listeners (shared by every environment), and each service's
//! target group and listener rule. Reads are per load balancer: one call for the ALB, one for its
//! listeners, one for the HTTPS listener's rules, tags in batches of 20.
//!
//! This module holds the calls (reads and writes); [`convert`] holds what they send and how what
//! they get back is normalised, as pure functions.

pub(super) mod convert;

use super::AwsCloud;
use super::common::{PARALLEL_READS, Partial};
use super::gone::GoneIsFine;
use super::retag::TagChanges;
use crate::actual::ownership::{is_ours, owner_of, shared_owner_of};
use crate::actual::scope::ReadScope;
use crate::actual::{Missing, OtherRule, Owner};
use crate::cloud::error::has_code;
use crate::cloud::{CloudError, CloudErrorKind};
use crate::desired::Reference;
use crate::desired::load_balancing::{Attribute, ListenerRule, TargetGroupSettings};
use crate::desired::shared::{Listener, LoadBalancer};
use crate::desired::tags::{SERVICE_TAG, Tags};
use crate::plan::address::{Address, ServicePart};
use crate::plan::resources::json_of;
use crate::plan::values::Values;
use crate::poll::{Poll, Step};
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, Matcher as SdkMatcher,
    ProtocolEnum, RulePriorityPair, TargetTypeEnum,
};
use convert::{
    actions, certificates, conditions, default_action, elb_load_balancer_attributes, elb_tags,
    elb_target_group_attributes, listener_of, load_balancer_of, load_balancer_of_listener, managed_attributes_of,
    paths, rule_of, tags_by_arn_of, target_group_attributes_of, target_group_of, transforms,
};
use futures_util::{StreamExt, TryStreamExt};
use std::collections::{BTreeMap, HashMap};

/// DescribeTags takes at most 20 ARNs.
const TAGS_PER_CALL: usize = 20;
const LOAD_BALANCER_NOT_FOUND: &[&str] = &["LoadBalancerNotFound"];
/// How often, and how long, a new ALB's state is read until it is `active`.
const ACTIVE_POLL: std::time::Duration = std::time::Duration::from_secs(5);
const ACTIVE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(600);

impl AwsCloud {
    /// The ALB, its listeners and the HTTPS listener's rules; the target groups ecsdeploy names.
    ///
    /// Two chains run side by side, each a fixed number of rounds whatever the number of
    /// services: the ALB, then its tags, attributes and listeners at once, then the listeners'
    /// tags and the HTTPS listener's rules, then the rules' tags; and the target groups, then their
    /// tags, then their attributes (one call per group, concurrently).
    pub(super) async fn read_load_balancing(&self, scope: &ReadScope) -> Result<Partial, CloudError> {
        let (load_balancer, mut target_groups) =
            futures_util::try_join!(self.read_load_balancer_and_rules(scope), self.read_target_groups(scope))?;
        target_groups.merge(load_balancer);
        Ok(target_groups)
    }

    async fn read_load_balancer_and_rules(&self, scope: &ReadScope) -> Result<Partial, CloudError> {
        let mut partial = Partial::default();
        let resource = format!("load balancer {}", scope.load_balancer);
        let described = self.load_balancing.describe_load_balancers().names(&scope.load_balancer).send().await;
        let described =
            described.map_err(|error| self.error("elasticloadbalancing:DescribeLoadBalancers", &resource, &error));
        let Some(output) = described.gone_is_fine(LOAD_BALANCER_NOT_FOUND)? else { return Ok(partial) };
        let Some(found) = output.load_balancers().first() else { return Ok(partial) };
        let arn = found.load_balancer_arn().unwrap_or_default().to_string();
        let (mut tags, attributes, listeners) = futures_util::try_join!(
            self.tags_of(std::slice::from_ref(&arn)),
            self.load_balancer_attributes(&arn, &resource),
            self.read_listeners(scope, &arn),
        )?;
        let actual = load_balancer_of(&scope.load_balancer, found, attributes, tags.remove(&arn).unwrap_or_default());
        let name = &scope.load_balancer;
        partial.values.set(&Reference::LoadBalancerArn { load_balancer: name.clone() }, arn.clone());
        let dns_name = found.dns_name().unwrap_or_default();
        partial.values.set(&Reference::LoadBalancerDnsName { load_balancer: name.clone() }, dns_name);
        let zone = found.canonical_hosted_zone_id().unwrap_or_default();
        partial.values.set(&Reference::LoadBalancerZoneId { load_balancer: name.clone() }, zone);
        let owner = shared_owner_of(&actual.tags, &scope.project);
        partial.resource(Address::LoadBalancer, arn.clone(), json_of(&actual), owner);
        partial.merge(listeners);
        Ok(partial)
    }

    /// The attributes ecsdeploy manages, sorted by key (AWS answers with all of them).
    async fn load_balancer_attributes(&self, arn: &str, resource: &str) -> Result<Vec<Attribute>, CloudError> {
        let output = self
            .load_balancing
            .describe_load_balancer_attributes()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(|error| self.error("elasticloadbalancing:DescribeLoadBalancerAttributes", resource, &error))?;
        Ok(managed_attributes_of(output.attributes()))
    }

    /// ModifyLoadBalancerAttributes with `attributes` (idempotent: it sets values, a retry sets
    /// the same ones).
    async fn set_load_balancer_attributes(&self, arn: &str, load_balancer: &LoadBalancer) -> Result<(), CloudError> {
        self.load_balancing
            .modify_load_balancer_attributes()
            .load_balancer_arn(arn)
            .set_attributes(Some(elb_load_balancer_attributes(&load_balancer.attributes)))
            .send()
            .await
            .map_err(|error| {
                self.error(
                    "elasticloadbalancing:ModifyLoadBalancerAttributes",
                    format!("load balancer {}", load_balancer.name),
                    &error,
                )
            })?;
        Ok(())
    }

    /// The listeners, and the HTTPS listener's rules.
    async fn read_listeners(&self, scope: &ReadScope, load_balancer_arn: &str) -> Result<Partial, CloudError> {
        let mut partial = Partial::default();
        let output =
            self.load_balancing.describe_listeners().load_balancer_arn(load_balancer_arn).send().await.map_err(
                |error| {
                    self.error(
                        "elasticloadbalancing:DescribeListeners",
                        format!("load balancer {}", scope.load_balancer),
                        &error,
                    )
                },
            )?;
        let arns: Vec<String> =
            output.listeners().iter().filter_map(|l| l.listener_arn().map(str::to_string)).collect();
        let https_arn = output
            .listeners()
            .iter()
            .find(|listener| listener.port() == Some(443))
            .and_then(|listener| listener.listener_arn());
        let rules = async {
            match https_arn {
                Some(listener_arn) => self.read_rules(scope, listener_arn).await,
                None => Ok(Partial::default()),
            }
        };
        let (mut tags, rules) = futures_util::try_join!(self.tags_of(&arns), rules)?;
        partial.merge(rules);
        for listener in output.listeners() {
            let (Some(arn), Some(port)) = (listener.listener_arn(), listener.port()) else { continue };
            let actual = listener_of(load_balancer_arn, listener, tags.remove(arn).unwrap_or_default());
            if port == 443 {
                let reference = Reference::HttpsListenerArn { load_balancer: scope.load_balancer.clone() };
                partial.values.set(&reference, arn);
            }
            partial.resource(
                Address::Listener(i64::from(port)),
                arn,
                json_of(&actual),
                shared_owner_of(&actual.tags, &scope.project),
            );
        }
        Ok(partial)
    }

    /// The target groups named after this project or this environment's services, with their
    /// attributes.
    async fn read_target_groups(&self, scope: &ReadScope) -> Result<Partial, CloudError> {
        let mut partial = Partial::default();
        let wanted: Vec<&str> = scope.services.iter().map(|service| service.names.target_group.as_str()).collect();
        let prefix = format!("{}-", scope.project);
        let mut groups = self
            .load_balancing
            .describe_target_groups()
            .page_size(400)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.error("elasticloadbalancing:DescribeTargetGroups", "target groups", &error))?;
        groups.retain(|group| {
            group.target_group_name().is_some_and(|name| wanted.contains(&name) || name.starts_with(&prefix))
        });
        let arns: Vec<String> =
            groups.iter().filter_map(|group| group.target_group_arn().map(str::to_string)).collect();
        // The attributes of the groups the manifest names are read beside their tags (a group
        // that turns out to be another's costs one call); those of this environment's other
        // groups, found by their tags, after them.
        let named: Vec<(&str, &str)> = groups
            .iter()
            .filter_map(|group| Some((group.target_group_arn()?, group.target_group_name()?)))
            .filter(|(_, name)| wanted.contains(name))
            .collect();
        let (mut tags, mut attributes) = futures_util::try_join!(self.tags_of(&arns), self.attributes_of(&named))?;
        let mut kept = Vec::new();
        for group in &groups {
            let (Some(arn), Some(name)) = (group.target_group_arn(), group.target_group_name()) else { continue };
            let tags = tags.remove(arn).unwrap_or_default();
            let owner = owner_of(&tags, &scope.project, &scope.environment);
            let service = scope
                .services
                .iter()
                .find(|service| service.names.target_group == name)
                .map(|service| service.name.clone());
            let service = match (service, &owner) {
                (Some(service), _) => service,
                (None, Owner::This) => match tags.get(SERVICE_TAG) {
                    Some(service) => service.to_string(),
                    None => continue,
                },
                _ => continue,
            };
            kept.push((group, arn, name, tags, owner, service));
        }
        let later: Vec<(&str, &str)> = kept
            .iter()
            .filter(|(_, arn, ..)| !attributes.contains_key(*arn))
            .map(|(_, arn, name, ..)| (*arn, *name))
            .collect();
        attributes.extend(self.attributes_of(&later).await?);
        for (group, arn, name, tags, owner, service) in kept {
            if owner == Owner::This {
                partial.missing.extend(serving_another_load_balancer(scope, name, group.load_balancer_arns()));
            }
            let attributes = attributes.remove(arn).unwrap_or_default();
            let actual = TargetGroupSettings { group: target_group_of(group, tags), attributes };
            partial.values.set(&Reference::TargetGroupArn(name.to_string()), arn);
            partial.resource(Address::service(&service, ServicePart::TargetGroup), arn, json_of(&actual), owner);
        }
        Ok(partial)
    }

    /// The attributes of each `(ARN, name)`, by ARN. DescribeTargetGroupAttributes takes one
    /// group: concurrently, within ELBv2's rate.
    async fn attributes_of(&self, groups: &[(&str, &str)]) -> Result<HashMap<String, Vec<Attribute>>, CloudError> {
        futures_util::stream::iter(groups.iter().map(|(arn, name)| async move {
            Ok::<_, CloudError>((arn.to_string(), self.target_group_attributes(arn, name).await?))
        }))
        .buffered(PARALLEL_READS)
        .try_collect()
        .await
    }

    pub(super) async fn target_group_attributes(&self, arn: &str, name: &str) -> Result<Vec<Attribute>, CloudError> {
        let output = self
            .load_balancing
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(|error| {
                self.error("elasticloadbalancing:DescribeTargetGroupAttributes", format!("target group {name}"), &error)
            })?;
        Ok(target_group_attributes_of(output.attributes()))
    }

    async fn read_rules(&self, scope: &ReadScope, listener_arn: &str) -> Result<Partial, CloudError> {
        let mut partial = Partial::default();
        let rules = self.listener_rules(listener_arn, &scope.load_balancer).await?;
        let arns: Vec<String> = rules.iter().filter_map(|rule| rule.rule_arn().map(str::to_string)).collect();
        let mut tags = self.tags_of(&arns).await?;
        for rule in &rules {
            let Some(arn) = rule.rule_arn() else { continue };
            let priority: i64 = rule.priority().and_then(|p| p.parse().ok()).unwrap_or_default();
            let tags = tags.remove(arn).unwrap_or_default();
            let owner = owner_of(&tags, &scope.project, &scope.environment);
            let service = tags.get(SERVICE_TAG).map(str::to_string);
            match (owner, service) {
                (Owner::This, Some(service)) => {
                    let actual = rule_of(listener_arn, priority, rule, tags);
                    partial.resource(
                        Address::service(&service, ServicePart::ListenerRule),
                        arn,
                        json_of(&actual),
                        Owner::This,
                    );
                }
                (owner, _) => partial.other_rules.push(OtherRule { priority, arn: arn.to_string(), owner }),
            }
        }
        Ok(partial)
    }

    /// The rules of listener `listener_arn` of `load_balancer`, its default rule left out: every
    /// page, 400 rules per call.
    pub(super) async fn listener_rules(
        &self,
        listener_arn: &str,
        load_balancer: &str,
    ) -> Result<Vec<aws_sdk_elasticloadbalancingv2::types::Rule>, CloudError> {
        let mut rules = self
            .load_balancing
            .describe_rules()
            .listener_arn(listener_arn)
            .page_size(400)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| {
                self.error("elasticloadbalancing:DescribeRules", format!("HTTPS listener of {load_balancer}"), &error)
            })?;
        rules.retain(|rule| rule.is_default() != Some(true));
        Ok(rules)
    }

    /// Tags of any number of ELBv2 resources, in calls of 20 made concurrently.
    pub(super) async fn tags_of(&self, arns: &[String]) -> Result<BTreeMap<String, Tags>, CloudError> {
        let batches = arns.chunks(TAGS_PER_CALL).map(|batch| async move {
            let output =
                self.load_balancing.describe_tags().set_resource_arns(Some(batch.to_vec())).send().await.map_err(
                    |error| {
                        self.error("elasticloadbalancing:DescribeTags", format!("{} resources", batch.len()), &error)
                    },
                )?;
            Ok::<_, CloudError>(tags_by_arn_of(output.tag_descriptions()))
        });
        let answers: Vec<BTreeMap<String, Tags>> =
            futures_util::stream::iter(batches).buffered(PARALLEL_READS).try_collect().await?;
        Ok(answers.into_iter().flatten().collect())
    }

    pub(super) async fn create_load_balancer(&self, load_balancer: &LoadBalancer) -> Result<Values, CloudError> {
        let output = self
            .load_balancing
            .create_load_balancer()
            .name(&load_balancer.name)
            .set_subnets(Some(load_balancer.subnets.iter().map(ToString::to_string).collect()))
            .set_security_groups(Some(load_balancer.security_groups.iter().map(ToString::to_string).collect()))
            .scheme(LoadBalancerSchemeEnum::from(load_balancer.scheme.as_str()))
            .r#type(LoadBalancerTypeEnum::from(load_balancer.load_balancer_type.as_str()))
            .ip_address_type(IpAddressType::from(load_balancer.ip_address_type.as_str()))
            .set_tags(Some(elb_tags(&load_balancer.tags)))
            .send()
            .await
            .map_err(|error| {
                self.error(
                    "elasticloadbalancing:CreateLoadBalancer",
                    format!("load balancer {}", load_balancer.name),
                    &error,
                )
            })?;
        let mut values = Values::default();
        if let Some(created) = output.load_balancers().first() {
            let arn = created.load_balancer_arn().unwrap_or_default();
            self.set_load_balancer_attributes(arn, load_balancer).await?;
            self.wait_until_active(arn, &load_balancer.name).await?;
            let name = load_balancer.name.clone();
            values.set(
                &Reference::LoadBalancerArn { load_balancer: name.clone() },
                created.load_balancer_arn().unwrap_or_default(),
            );
            values.set(
                &Reference::LoadBalancerDnsName { load_balancer: name.clone() },
                created.dns_name().unwrap_or_default(),
            );
            values.set(
                &Reference::LoadBalancerZoneId { load_balancer: name },
                created.canonical_hosted_zone_id().unwrap_or_default(),
            );
        }
        Ok(values)
    }

    /// A new ALB is `provisioning` for minutes and routes nothing until it is `active`; rollouts
    /// behind it would be judged by a load balancer that does not answer yet. Polls
    /// DescribeLoadBalancers (every 5 s, up to 10 minutes) as the SDK's `LoadBalancerAvailable`
    /// waiter does; `failed` ends the wait with an error. A last look may start up to one pause
    /// after the 10 minutes: the wait goes on while they have not passed when a look ends.
    async fn wait_until_active(&self, arn: &str, name: &str) -> Result<(), CloudError> {
        let resource = format!("load balancer {name}");
        let waited = Poll::every(ACTIVE_POLL)
            .within(ACTIVE_DEADLINE + ACTIVE_POLL)
            .until(|_| async {
                let output = match self.load_balancing.describe_load_balancers().load_balancer_arns(arn).send().await {
                    Ok(output) => output,
                    Err(error) => {
                        return Step::Done(Err(self.error(
                            "elasticloadbalancing:DescribeLoadBalancers",
                            &resource,
                            &error,
                        )));
                    }
                };
                let found = output.load_balancers().first();
                match found.and_then(|found| found.state()).and_then(|state| state.code()).map(|code| code.as_str()) {
                    Some("active") => Step::Done(Ok(())),
                    Some("failed") => {
                        let kind = CloudErrorKind::Service {
                            code: "LoadBalancerFailed".into(),
                            message: "AWS could not provision the load balancer".into(),
                        };
                        Step::Done(Err(CloudError::new("elasticloadbalancing:CreateLoadBalancer", &resource, kind)))
                    }
                    _ => Step::NotYet(()),
                }
            })
            .await;
        waited.unwrap_or_else(|()| {
            let kind = CloudErrorKind::Service {
                code: "LoadBalancerNotActive".into(),
                message: "still provisioning after 10 minutes; run up again to continue".into(),
            };
            Err(CloudError::new("elasticloadbalancing:DescribeLoadBalancers", resource, kind))
        })
    }

    pub(super) async fn update_load_balancer(
        &self,
        arn: &str,
        load_balancer: &LoadBalancer,
        before: &LoadBalancer,
    ) -> Result<Values, CloudError> {
        let resource = format!("load balancer {}", load_balancer.name);
        if before.subnets != load_balancer.subnets {
            self.load_balancing
                .set_subnets()
                .load_balancer_arn(arn)
                .set_subnets(Some(load_balancer.subnets.iter().map(ToString::to_string).collect()))
                .send()
                .await
                .map_err(|error| self.error("elasticloadbalancing:SetSubnets", &resource, &error))?;
        }
        if before.security_groups != load_balancer.security_groups {
            self.load_balancing
                .set_security_groups()
                .load_balancer_arn(arn)
                .set_security_groups(Some(load_balancer.security_groups.iter().map(ToString::to_string).collect()))
                .send()
                .await
                .map_err(|error| self.error("elasticloadbalancing:SetSecurityGroups", &resource, &error))?;
        }
        if before.attributes != load_balancer.attributes {
            self.set_load_balancer_attributes(arn, load_balancer).await?;
        }
        self.retag_load_balancing_resource(arn, &before.tags, &load_balancer.tags, &resource).await?;
        Ok(Values::default())
    }

    /// Deletes the load balancer, turning off first the deletion protection `up` turns on (only
    /// ecsdeploy's own ALB is ever deleted: plan deletes only what carries its tags). A load
    /// balancer already gone is not an error.
    pub(super) async fn delete_load_balancer(&self, arn: &str) -> Result<(), CloudError> {
        let unprotected = self
            .load_balancing
            .modify_load_balancer_attributes()
            .load_balancer_arn(arn)
            .attributes(LoadBalancerAttribute::builder().key("deletion_protection.enabled").value("false").build())
            .send()
            .await;
        let unprotected = unprotected.map_err(|error| {
            self.error(
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                format!("load balancer {arn} (turning deletion protection off to delete it)"),
                &error,
            )
        });
        if unprotected.gone_is_fine(LOAD_BALANCER_NOT_FOUND)?.is_none() {
            return Ok(());
        }
        let deleted = self.load_balancing.delete_load_balancer().load_balancer_arn(arn).send().await;
        deleted
            .map_err(|error| {
                self.error("elasticloadbalancing:DeleteLoadBalancer", format!("load balancer {arn}"), &error)
            })
            .gone_is_fine(LOAD_BALANCER_NOT_FOUND)?;
        Ok(())
    }

    pub(super) async fn create_listener(&self, load_balancer: &str, listener: &Listener) -> Result<Values, CloudError> {
        let resource = format!("{} listener of {load_balancer}", listener.protocol);
        let output = self
            .load_balancing
            .create_listener()
            .load_balancer_arn(listener.load_balancer_arn.to_string())
            .protocol(ProtocolEnum::from(listener.protocol.as_str()))
            .port(listener.port as i32)
            .set_ssl_policy(listener.ssl_policy.clone())
            .set_certificates(certificates(listener))
            .default_actions(default_action(&listener.default_action))
            .set_tags(Some(elb_tags(&listener.tags)))
            .send()
            .await
            .map_err(|error| self.error("elasticloadbalancing:CreateListener", &resource, &error))?;
        let mut values = Values::default();
        if listener.port == 443
            && let Some(created) = output.listeners().first()
        {
            let reference = Reference::HttpsListenerArn { load_balancer: load_balancer.to_string() };
            values.set(&reference, created.listener_arn().unwrap_or_default());
        }
        Ok(values)
    }

    pub(super) async fn update_listener(
        &self,
        arn: &str,
        listener: &Listener,
        before: &Listener,
    ) -> Result<Values, CloudError> {
        let resource = format!("{} listener {arn}", listener.protocol);
        self.load_balancing
            .modify_listener()
            .listener_arn(arn)
            .protocol(ProtocolEnum::from(listener.protocol.as_str()))
            .set_ssl_policy(listener.ssl_policy.clone())
            .set_certificates(certificates(listener))
            .default_actions(default_action(&listener.default_action))
            .send()
            .await
            .map_err(|error| self.error("elasticloadbalancing:ModifyListener", &resource, &error))?;
        self.retag_load_balancing_resource(arn, &before.tags, &listener.tags, &resource).await?;
        Ok(Values::default())
    }

    pub(super) async fn delete_listener(&self, arn: &str) -> Result<(), CloudError> {
        let deleted = self.load_balancing.delete_listener().listener_arn(arn).send().await;
        deleted
            .map_err(|error| self.error("elasticloadbalancing:DeleteListener", format!("listener {arn}"), &error))
            .gone_is_fine(&["ListenerNotFound"])?;
        Ok(())
    }

    pub(super) async fn create_target_group(&self, settings: &TargetGroupSettings) -> Result<Values, CloudError> {
        let group = &settings.group;
        let resource = format!("target group {}", group.name);
        let output = self
            .load_balancing
            .create_target_group()
            .name(&group.name)
            .protocol(ProtocolEnum::from(group.protocol.as_str()))
            .protocol_version(&group.protocol_version)
            .port(group.port as i32)
            .vpc_id(group.vpc_id.to_string())
            .target_type(TargetTypeEnum::from(group.target_type.as_str()))
            .health_check_enabled(group.health_check_enabled)
            .health_check_protocol(ProtocolEnum::from(group.health_check_protocol.as_str()))
            .health_check_port(&group.health_check_port)
            .health_check_path(&group.health_check_path)
            .health_check_interval_seconds(group.health_check_interval_seconds as i32)
            .health_check_timeout_seconds(group.health_check_timeout_seconds as i32)
            .healthy_threshold_count(group.healthy_threshold_count as i32)
            .unhealthy_threshold_count(group.unhealthy_threshold_count as i32)
            .matcher(SdkMatcher::builder().http_code(&group.matcher.http_code).build())
            .set_tags(Some(elb_tags(&group.tags)))
            .send()
            .await
            .map_err(|error| self.error("elasticloadbalancing:CreateTargetGroup", &resource, &error))?;
        let arn =
            output.target_groups().first().and_then(|group| group.target_group_arn()).unwrap_or_default().to_string();
        self.set_target_group_attributes(&arn, settings).await?;
        let mut values = Values::default();
        values.set(&Reference::TargetGroupArn(group.name.clone()), arn);
        Ok(values)
    }

    async fn set_target_group_attributes(&self, arn: &str, settings: &TargetGroupSettings) -> Result<(), CloudError> {
        self.load_balancing
            .modify_target_group_attributes()
            .target_group_arn(arn)
            .set_attributes(Some(elb_target_group_attributes(&settings.attributes)))
            .send()
            .await
            .map_err(|error| {
                self.error(
                    "elasticloadbalancing:ModifyTargetGroupAttributes",
                    format!("target group {}", settings.group.name),
                    &error,
                )
            })?;
        Ok(())
    }

    pub(super) async fn update_target_group(
        &self,
        arn: &str,
        settings: &TargetGroupSettings,
        before: &TargetGroupSettings,
    ) -> Result<Values, CloudError> {
        let group = &settings.group;
        let resource = format!("target group {}", group.name);
        self.load_balancing
            .modify_target_group()
            .target_group_arn(arn)
            .health_check_enabled(group.health_check_enabled)
            .health_check_protocol(ProtocolEnum::from(group.health_check_protocol.as_str()))
            .health_check_port(&group.health_check_port)
            .health_check_path(&group.health_check_path)
            .health_check_interval_seconds(group.health_check_interval_seconds as i32)
            .health_check_timeout_seconds(group.health_check_timeout_seconds as i32)
            .healthy_threshold_count(group.healthy_threshold_count as i32)
            .unhealthy_threshold_count(group.unhealthy_threshold_count as i32)
            .matcher(SdkMatcher::builder().http_code(&group.matcher.http_code).build())
            .send()
            .await
            .map_err(|error| self.error("elasticloadbalancing:ModifyTargetGroup", &resource, &error))?;
        if before.attributes != settings.attributes {
            self.set_target_group_attributes(arn, settings).await?;
        }
        self.retag_load_balancing_resource(arn, &before.group.tags, &group.tags, &resource).await?;
        Ok(Values::default())
    }

    pub(super) async fn delete_target_group(&self, arn: &str) -> Result<(), CloudError> {
        let deleted = self.load_balancing.delete_target_group().target_group_arn(arn).send().await;
        deleted
            .map_err(|error| {
                self.error("elasticloadbalancing:DeleteTargetGroup", format!("target group {arn}"), &error)
            })
            .gone_is_fine(&["TargetGroupNotFound"])?;
        Ok(())
    }

    /// Creates the rule. When its priority is taken by a rule carrying the ownership tags this
    /// one is created with, that rule is this deployment's own (the SDK repeated a CreateRule
    /// whose answer was lost): it is brought to the desired shape as an update would, and the
    /// create goes on. A priority someone else holds fails the create.
    pub(super) async fn create_rule(&self, rule: &ListenerRule) -> Result<Values, CloudError> {
        let resource = format!("rule {} (priority {})", paths(rule), rule.priority);
        let created = self
            .load_balancing
            .create_rule()
            .listener_arn(rule.listener_arn.to_string())
            .priority(rule.priority as i32)
            .set_conditions(Some(conditions(rule)))
            .set_actions(Some(actions(rule)))
            .set_transforms((!rule.transforms.is_empty()).then(|| transforms(rule)))
            .set_tags(Some(elb_tags(&rule.tags)))
            .send()
            .await;
        match created {
            Ok(_) => Ok(Values::default()),
            Err(error) if has_code(&error, &["PriorityInUse"]) => {
                let refused = self.error("elasticloadbalancing:CreateRule", &resource, &error);
                match self.own_rule_at(rule).await? {
                    Some((arn, before)) => {
                        tracing::info!(rule = resource, "the priority holds our own rule: going on with it");
                        if !crate::plan::diff::diff(&json_of(&before), &json_of(rule), &[]).is_empty() {
                            self.update_rule(&arn, rule, &before).await?;
                        }
                        Ok(Values::default())
                    }
                    None => Err(refused),
                }
            }
            Err(error) => Err(self.error("elasticloadbalancing:CreateRule", &resource, &error)),
        }
    }

    /// The rule at `rule`'s priority on its listener, as `(ARN, the rule in the desired shape)`,
    /// when it carries the ownership tags `rule` is created with.
    async fn own_rule_at(&self, rule: &ListenerRule) -> Result<Option<(String, ListenerRule)>, CloudError> {
        let listener_arn = rule.listener_arn.to_string();
        let rules = self.listener_rules(&listener_arn, &load_balancer_of_listener(&listener_arn)).await?;
        let priority = rule.priority.to_string();
        let Some(found) = rules.iter().find(|found| found.priority() == Some(priority.as_str())) else {
            return Ok(None);
        };
        let Some(arn) = found.rule_arn() else { return Ok(None) };
        let tags = self.tags_of(&[arn.to_string()]).await?.remove(arn).unwrap_or_default();
        if !is_ours(&tags, &rule.tags) {
            return Ok(None);
        }
        Ok(Some((arn.to_string(), rule_of(&listener_arn, rule.priority, found, tags))))
    }

    pub(super) async fn update_rule(
        &self,
        arn: &str,
        rule: &ListenerRule,
        before: &ListenerRule,
    ) -> Result<Values, CloudError> {
        let resource = format!("rule {} (priority {})", paths(rule), rule.priority);
        // Without `Transforms` ModifyRule keeps the rule's transforms; `ResetTransforms` drops them.
        let modify = self
            .load_balancing
            .modify_rule()
            .rule_arn(arn)
            .set_conditions(Some(conditions(rule)))
            .set_actions(Some(actions(rule)));
        let modify = if rule.transforms.is_empty() {
            modify.reset_transforms(true)
        } else {
            modify.set_transforms(Some(transforms(rule)))
        };
        modify.send().await.map_err(|error| self.error("elasticloadbalancing:ModifyRule", &resource, &error))?;
        if before.priority != rule.priority {
            self.load_balancing
                .set_rule_priorities()
                .rule_priorities(RulePriorityPair::builder().rule_arn(arn).priority(rule.priority as i32).build())
                .send()
                .await
                .map_err(|error| self.error("elasticloadbalancing:SetRulePriorities", &resource, &error))?;
        }
        self.retag_load_balancing_resource(arn, &before.tags, &rule.tags, &resource).await?;
        Ok(Values::default())
    }

    pub(super) async fn delete_rule(&self, arn: &str) -> Result<(), CloudError> {
        let deleted = self.load_balancing.delete_rule().rule_arn(arn).send().await;
        deleted
            .map_err(|error| self.error("elasticloadbalancing:DeleteRule", format!("rule {arn}"), &error))
            .gone_is_fine(&["RuleNotFound"])?;
        Ok(())
    }

    /// Adds and removes tags so that the resource carries `after`.
    async fn retag_load_balancing_resource(
        &self,
        arn: &str,
        before: &Tags,
        after: &Tags,
        resource: &str,
    ) -> Result<(), CloudError> {
        TagChanges::between(before, after)
            .apply(
                |added| async move {
                    let tagged =
                        self.load_balancing.add_tags().resource_arns(arn).set_tags(Some(elb_tags(&Tags(added))));
                    let tagged = tagged.send().await.map(drop);
                    tagged.map_err(|error| self.error("elasticloadbalancing:AddTags", resource, &error))
                },
                |removed| async move {
                    let untagged = self.load_balancing.remove_tags().resource_arns(arn).set_tag_keys(Some(removed));
                    let untagged = untagged.send().await.map(drop);
                    untagged.map_err(|error| self.error("elasticloadbalancing:RemoveTags", resource, &error))
                },
            )
            .await
    }
}

/// This environment's target group `name` serves an ALB other than the one the environment is
/// routed through (its `load_balancer` setting changed): a target group serves one ALB, so the
/// environment cannot move with its groups in place; nothing changes until a person decides.
fn serving_another_load_balancer(scope: &ReadScope, name: &str, load_balancer_arns: &[String]) -> Option<Missing> {
    // arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID
    let other = load_balancer_arns
        .iter()
        .filter_map(|arn| arn.split('/').nth(2))
        .find(|other| *other != scope.load_balancer)?;
    Some(Missing {
        what: format!("target group {name} on ALB {} (it serves ALB {other})", scope.load_balancer),
        hint: format!(
            "a target group serves one ALB, so environment {} cannot move to another with its services running: set load_balancer back, or `ecsdeploy destroy --env {}` with the old setting and `up` with the new one (its services are down in between)",
            scope.environment, scope.environment
        ),
    })
}
