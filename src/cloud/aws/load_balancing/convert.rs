//! ELBv2 conversions, pure: what DescribeLoadBalancers, DescribeListeners, DescribeTargetGroups,
//! DescribeRules and DescribeTags return, normalised into the desired shapes, and the desired
//! shapes turned into the parts of ELBv2 requests. No I/O here: the reader and writer in the
//! parent module call these, and the tests below build SDK values with the SDK's builders.
//!
//! The normalisation: lists AWS reorders are sorted (subnets, security groups, attributes),
//! only the attributes ecsdeploy sets are kept (AWS answers with all of them), a TLS policy is
//! kept only on TLS listeners, defaults AWS leaves out are written as the desired side writes
//! them, path patterns are read from `PathPatternConfig` or the older `Values`, and a default
//! action or transform ecsdeploy never writes is kept by its type so that plan shows it.

use crate::desired::Reference;
use crate::desired::load_balancing::{
    Attribute, ListenerRule, Matcher, PathPatternConfig, RewriteConfig, RuleAction, RuleCondition, RuleTransform,
    TargetGroup, UrlRewriteConfig,
};
use crate::desired::shared::{DefaultAction, Listener, LoadBalancer, MANAGED_LOAD_BALANCER_ATTRIBUTES};
use crate::desired::tags::{Tags, tags_from};
use aws_sdk_elasticloadbalancingv2::types as elb;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, LoadBalancerAttribute, PathPatternConditionConfig,
    ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum, RewriteConfig as SdkRewriteConfig,
    RuleCondition as SdkRuleCondition, RuleTransform as SdkRuleTransform, Tag, TagDescription, TargetGroupAttribute,
    TransformTypeEnum, UrlRewriteConfig as SdkUrlRewriteConfig,
};
use std::collections::BTreeMap;

/// The target group attribute ecsdeploy sets and compares.
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

/// The load balancer in the desired shape, named `name` (the reader asked for it by that name),
/// with `attributes` and `tags` read by their own calls: subnets (one per Availability Zone)
/// and security groups sorted.
pub(crate) fn load_balancer_of(
    name: &str,
    found: &elb::LoadBalancer,
    attributes: Vec<Attribute>,
    tags: Tags,
) -> LoadBalancer {
    let mut subnets: Vec<Reference> =
        found.availability_zones().iter().filter_map(|zone| zone.subnet_id()).map(Reference::known).collect();
    subnets.sort();
    let mut security_groups: Vec<Reference> = found.security_groups().iter().map(Reference::known).collect();
    security_groups.sort();
    LoadBalancer {
        name: name.to_string(),
        subnets,
        security_groups,
        scheme: found.scheme().map(|scheme| scheme.as_str().to_string()).unwrap_or_default(),
        load_balancer_type: found.r#type().map(|kind| kind.as_str().to_string()).unwrap_or_default(),
        ip_address_type: found.ip_address_type().map(|kind| kind.as_str().to_string()).unwrap_or_default(),
        attributes,
        tags,
    }
}

/// The attributes ecsdeploy manages, sorted by key (AWS answers with all of them).
pub(crate) fn managed_attributes_of(attributes: &[LoadBalancerAttribute]) -> Vec<Attribute> {
    let mut managed: Vec<Attribute> = attributes
        .iter()
        .filter_map(|attribute| Some((attribute.key()?, attribute.value()?)))
        .filter(|(key, _)| MANAGED_LOAD_BALANCER_ATTRIBUTES.contains(key))
        .map(|(key, value)| Attribute { key: key.to_string(), value: value.to_string() })
        .collect();
    managed.sort_by(|a, b| a.key.cmp(&b.key));
    managed
}

/// The load balancer attributes ModifyLoadBalancerAttributes sends.
pub(crate) fn elb_load_balancer_attributes(attributes: &[Attribute]) -> Vec<LoadBalancerAttribute> {
    attributes
        .iter()
        .map(|attribute| LoadBalancerAttribute::builder().key(&attribute.key).value(&attribute.value).build())
        .collect()
}

/// The target group attributes ecsdeploy sets (AWS returns a dozen more).
pub(crate) fn target_group_attributes_of(attributes: &[TargetGroupAttribute]) -> Vec<Attribute> {
    attributes
        .iter()
        .filter(|attribute| attribute.key() == Some(DEREGISTRATION_DELAY))
        .map(|attribute| Attribute {
            key: attribute.key().unwrap_or_default().to_string(),
            value: attribute.value().unwrap_or_default().to_string(),
        })
        .collect()
}

/// The target group attributes ModifyTargetGroupAttributes sends.
pub(crate) fn elb_target_group_attributes(attributes: &[Attribute]) -> Vec<TargetGroupAttribute> {
    attributes
        .iter()
        .map(|attribute| TargetGroupAttribute::builder().key(&attribute.key).value(&attribute.value).build())
        .collect()
}

/// The listener in the desired shape, on the load balancer `load_balancer_arn`.
pub(crate) fn listener_of(load_balancer_arn: &str, listener: &elb::Listener, tags: Tags) -> Listener {
    Listener {
        load_balancer_arn: Reference::known(load_balancer_arn),
        protocol: listener.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
        port: i64::from(listener.port().unwrap_or_default()),
        // Only TLS listeners have a policy; some implementations report a default on HTTP.
        ssl_policy: listener
            .ssl_policy()
            .filter(|_| matches!(listener.protocol(), Some(ProtocolEnum::Https | ProtocolEnum::Tls)))
            .map(str::to_string),
        certificates: listener
            .certificates()
            .iter()
            .filter_map(|c| c.certificate_arn())
            .map(Reference::known)
            .collect(),
        default_action: default_action_of(listener.default_actions()),
        tags,
    }
}

/// The tags of each resource DescribeTags described, by ARN, in canonical order.
pub(crate) fn tags_by_arn_of(descriptions: &[TagDescription]) -> BTreeMap<String, Tags> {
    descriptions
        .iter()
        .map(|description| {
            let pairs =
                description.tags().iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default()));
            (description.resource_arn().unwrap_or_default().to_string(), tags_from(pairs))
        })
        .collect()
}

/// Tags as ELBv2 takes them, in their order.
pub(crate) fn elb_tags(tags: &Tags) -> Vec<Tag> {
    tags.0.iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

/// The listener's certificates; `None` (the field left out) for a listener without any.
pub(crate) fn certificates(listener: &Listener) -> Option<Vec<Certificate>> {
    (!listener.certificates.is_empty()).then(|| {
        listener
            .certificates
            .iter()
            .map(|arn| Certificate::builder().certificate_arn(arn.to_string()).build())
            .collect()
    })
}

/// A 404 for paths no rule claims, or a permanent redirect to HTTPS.
pub(crate) fn default_action(action: &DefaultAction) -> Action {
    match action {
        DefaultAction::NotFound => Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code("404")
                    .content_type("text/plain")
                    .message_body("Not Found")
                    .build(),
            )
            .build(),
        DefaultAction::RedirectToHttps | DefaultAction::Other(_) => Action::builder()
            .r#type(ActionTypeEnum::Redirect)
            .redirect_config(
                RedirectActionConfig::builder()
                    .protocol("HTTPS")
                    .port("443")
                    .status_code(RedirectActionStatusCodeEnum::Http301)
                    .build(),
            )
            .build(),
    }
}

/// Reads a listener's default action back into the two forms ecsdeploy writes; anything else is
/// kept by name, so the plan shows it as a difference.
pub(crate) fn default_action_of(actions: &[Action]) -> DefaultAction {
    match actions.first() {
        Some(action)
            if action.r#type() == Some(&ActionTypeEnum::FixedResponse)
                && action.fixed_response_config().and_then(|config| config.status_code()) == Some("404") =>
        {
            DefaultAction::NotFound
        }
        Some(action)
            if action.r#type() == Some(&ActionTypeEnum::Redirect)
                && action.redirect_config().and_then(|config| config.protocol()) == Some("HTTPS") =>
        {
            DefaultAction::RedirectToHttps
        }
        Some(action) => DefaultAction::Other(action.r#type().map(|kind| kind.as_str().to_string()).unwrap_or_default()),
        None => DefaultAction::Other(String::new()),
    }
}

/// The rule's path-pattern conditions as CreateRule and ModifyRule take them.
pub(crate) fn conditions(rule: &ListenerRule) -> Vec<SdkRuleCondition> {
    rule.conditions
        .iter()
        .map(|condition| {
            SdkRuleCondition::builder()
                .field(&condition.field)
                .path_pattern_config(
                    PathPatternConditionConfig::builder()
                        .set_values(Some(condition.path_pattern_config.values.clone()))
                        .build(),
                )
                .build()
        })
        .collect()
}

/// The rule's forward actions as CreateRule and ModifyRule take them.
pub(crate) fn actions(rule: &ListenerRule) -> Vec<Action> {
    rule.actions
        .iter()
        .map(|action| {
            Action::builder()
                .r#type(ActionTypeEnum::from(action.action_type.as_str()))
                .target_group_arn(action.target_group_arn.to_string())
                .build()
        })
        .collect()
}

/// The rule's url-rewrite transforms as CreateRule and ModifyRule take them.
pub(crate) fn transforms(rule: &ListenerRule) -> Vec<SdkRuleTransform> {
    rule.transforms
        .iter()
        .map(|transform| {
            let rewrites = transform
                .url_rewrite_config
                .rewrites
                .iter()
                .map(|rewrite| SdkRewriteConfig::builder().regex(&rewrite.regex).replace(&rewrite.replace).build())
                .collect();
            SdkRuleTransform::builder()
                .r#type(TransformTypeEnum::from(transform.transform_type.as_str()))
                .url_rewrite_config(SdkUrlRewriteConfig::builder().set_rewrites(Some(rewrites)).build())
                .build()
        })
        .collect()
}

/// A rule's url-rewrite transforms as read back; any other transform is kept by its type with no
/// rewrites, so the plan shows it as a difference.
pub(crate) fn transforms_of(rule: &elb::Rule) -> Vec<RuleTransform> {
    rule.transforms()
        .iter()
        .map(|transform| RuleTransform {
            transform_type: transform.r#type().map(|kind| kind.as_str().to_string()).unwrap_or_default(),
            url_rewrite_config: UrlRewriteConfig {
                rewrites: transform
                    .url_rewrite_config()
                    .map(|config| config.rewrites())
                    .unwrap_or_default()
                    .iter()
                    .map(|rewrite| RewriteConfig {
                        regex: rewrite.regex().unwrap_or_default().to_string(),
                        replace: rewrite.replace().unwrap_or_default().to_string(),
                    })
                    .collect(),
            },
        })
        .collect()
}

/// The load balancer's name in a listener ARN (`...:listener/app/<name>/<id>/<id>`), for messages.
pub(crate) fn load_balancer_of_listener(arn: &str) -> String {
    let name = arn.split("listener/app/").nth(1).and_then(|rest| rest.split('/').next());
    name.unwrap_or(arn).to_string()
}

/// The rule's path patterns, for messages.
pub(crate) fn paths(rule: &ListenerRule) -> String {
    rule.conditions
        .iter()
        .flat_map(|condition| condition.path_pattern_config.values.iter().cloned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A target group in the desired shape: defaults AWS leaves out written as the desired side
/// writes them (`HTTP1`, health checks on, on the traffic port).
pub(crate) fn target_group_of(group: &elb::TargetGroup, tags: Tags) -> TargetGroup {
    let number = |value: Option<i32>| i64::from(value.unwrap_or_default());
    TargetGroup {
        name: group.target_group_name().unwrap_or_default().to_string(),
        protocol: group.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
        protocol_version: group.protocol_version().unwrap_or("HTTP1").to_string(),
        port: number(group.port()),
        vpc_id: Reference::known(group.vpc_id().unwrap_or_default()),
        target_type: group.target_type().map(|kind| kind.as_str().to_string()).unwrap_or_default(),
        health_check_enabled: group.health_check_enabled().unwrap_or(true),
        health_check_protocol: group.health_check_protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
        health_check_port: group.health_check_port().unwrap_or("traffic-port").to_string(),
        health_check_path: group.health_check_path().unwrap_or_default().to_string(),
        health_check_interval_seconds: number(group.health_check_interval_seconds()),
        health_check_timeout_seconds: number(group.health_check_timeout_seconds()),
        healthy_threshold_count: number(group.healthy_threshold_count()),
        unhealthy_threshold_count: number(group.unhealthy_threshold_count()),
        matcher: Matcher {
            http_code: group.matcher().and_then(|matcher| matcher.http_code()).unwrap_or_default().to_string(),
        },
        tags,
    }
}

/// A rule in the desired shape: path patterns (from `PathPatternConfig`, or the older `Values`)
/// and forward actions.
pub(crate) fn rule_of(listener_arn: &str, priority: i64, rule: &elb::Rule, tags: Tags) -> ListenerRule {
    let conditions = rule
        .conditions()
        .iter()
        .map(|condition| {
            let values = condition
                .path_pattern_config()
                .map(|config| config.values().to_vec())
                .filter(|values| !values.is_empty())
                .unwrap_or_else(|| condition.values().to_vec());
            RuleCondition {
                field: condition.field().unwrap_or_default().to_string(),
                path_pattern_config: PathPatternConfig { values },
            }
        })
        .collect();
    let actions = rule
        .actions()
        .iter()
        .map(|action| RuleAction {
            action_type: action.r#type().map(|kind| kind.as_str().to_string()).unwrap_or_default(),
            target_group_arn: Reference::known(action.target_group_arn().unwrap_or_default()),
        })
        .collect();
    let transforms = transforms_of(rule);
    ListenerRule { listener_arn: Reference::known(listener_arn), priority, conditions, actions, transforms, tags }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_elasticloadbalancingv2::types::{IpAddressType, LoadBalancerSchemeEnum, LoadBalancerTypeEnum};

    const LISTENER: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/acme/50dc6c495c0c9188/f2f7dc8efc522ab2";
    const TARGET_GROUP: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/acme-stage-auth/943f017f100becff";

    fn attribute(key: &str, value: &str) -> Attribute {
        Attribute { key: key.into(), value: value.into() }
    }

    fn pairs(tags: &Tags) -> Vec<(&str, &str)> {
        tags.0.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect()
    }

    /// A rule as the desired side builds it: a path condition, a forward, a url-rewrite.
    fn desired_rule() -> ListenerRule {
        ListenerRule {
            listener_arn: Reference::known(LISTENER),
            priority: 12,
            conditions: vec![RuleCondition {
                field: "path-pattern".into(),
                path_pattern_config: PathPatternConfig { values: vec!["/auth".into(), "/auth/*".into()] },
            }],
            actions: vec![RuleAction {
                action_type: "forward".into(),
                target_group_arn: Reference::known(TARGET_GROUP),
            }],
            transforms: vec![RuleTransform {
                transform_type: "url-rewrite".into(),
                url_rewrite_config: UrlRewriteConfig {
                    rewrites: vec![RewriteConfig { regex: "^/auth/(.*)$".into(), replace: "/$1".into() }],
                },
            }],
            tags: Tags::owned("acme", "stage", Some("auth"), []),
        }
    }

    #[test]
    fn a_load_balancer_reads_by_name_with_subnets_and_groups_sorted() {
        let zone = |subnet: &str| elb::AvailabilityZone::builder().zone_name("us-east-1a").subnet_id(subnet).build();
        let found = elb::LoadBalancer::builder()
            .load_balancer_name("acme")
            .availability_zones(zone("subnet-b"))
            .availability_zones(zone("subnet-a"))
            .security_groups("sg-2")
            .security_groups("sg-1")
            .scheme(LoadBalancerSchemeEnum::InternetFacing)
            .r#type(LoadBalancerTypeEnum::Application)
            .ip_address_type(IpAddressType::Ipv4)
            .build();
        let attributes = vec![attribute("idle_timeout.timeout_seconds", "60")];
        let read = load_balancer_of("acme", &found, attributes.clone(), Tags::default());
        let expected = LoadBalancer {
            name: "acme".into(),
            subnets: vec![Reference::known("subnet-a"), Reference::known("subnet-b")],
            security_groups: vec![Reference::known("sg-1"), Reference::known("sg-2")],
            scheme: "internet-facing".into(),
            load_balancer_type: "application".into(),
            ip_address_type: "ipv4".into(),
            attributes,
            tags: Tags::default(),
        };
        assert_eq!(read, expected);
    }

    #[test]
    fn only_managed_load_balancer_attributes_are_read_sorted_and_they_round_trip() {
        let answered: Vec<LoadBalancerAttribute> = [
            ("routing.http2.enabled", "true"),
            ("routing.http.drop_invalid_header_fields.enabled", "true"),
            ("idle_timeout.timeout_seconds", "60"),
            ("access_logs.s3.enabled", "false"),
            ("deletion_protection.enabled", "true"),
        ]
        .into_iter()
        .map(|(key, value)| LoadBalancerAttribute::builder().key(key).value(value).build())
        .collect();
        let read = managed_attributes_of(&answered);
        let expected = [
            attribute("deletion_protection.enabled", "true"),
            attribute("idle_timeout.timeout_seconds", "60"),
            attribute("routing.http.drop_invalid_header_fields.enabled", "true"),
        ];
        assert_eq!(read, expected);
        assert_eq!(managed_attributes_of(&elb_load_balancer_attributes(&read)), expected);
    }

    #[test]
    fn only_the_deregistration_delay_of_a_target_group_is_read_and_it_round_trips() {
        let answered: Vec<TargetGroupAttribute> =
            [("stickiness.enabled", "false"), (DEREGISTRATION_DELAY, "30"), ("load_balancing.algorithm.type", "x")]
                .into_iter()
                .map(|(key, value)| TargetGroupAttribute::builder().key(key).value(value).build())
                .collect();
        let read = target_group_attributes_of(&answered);
        assert_eq!(read, [attribute(DEREGISTRATION_DELAY, "30")]);
        assert_eq!(target_group_attributes_of(&elb_target_group_attributes(&read)), read);
    }

    #[test]
    fn a_tls_policy_is_read_only_on_a_tls_listener() {
        let listener = |protocol: ProtocolEnum, port: i32, action: DefaultAction| {
            elb::Listener::builder()
                .listener_arn(LISTENER)
                .protocol(protocol)
                .port(port)
                .ssl_policy("ELBSecurityPolicy-TLS13-1-2-2021-06")
                .default_actions(default_action(&action))
        };
        let http = listener(ProtocolEnum::Http, 80, DefaultAction::RedirectToHttps).build();
        let http = listener_of("arn:alb", &http, Tags::default());
        assert_eq!((http.protocol.as_str(), http.port, http.ssl_policy), ("HTTP", 80, None));
        assert_eq!(http.default_action, DefaultAction::RedirectToHttps);
        let https = listener(ProtocolEnum::Https, 443, DefaultAction::NotFound)
            .certificates(Certificate::builder().certificate_arn("arn:cert").build())
            .build();
        let https = listener_of("arn:alb", &https, Tags::default());
        assert_eq!(https.ssl_policy.as_deref(), Some("ELBSecurityPolicy-TLS13-1-2-2021-06"));
        assert_eq!(https.certificates, [Reference::known("arn:cert")]);
        assert_eq!(https.default_action, DefaultAction::NotFound);
        assert_eq!(https.load_balancer_arn, Reference::known("arn:alb"));
    }

    #[test]
    fn default_actions_read_back_as_written_and_others_by_their_type() {
        for written in [DefaultAction::NotFound, DefaultAction::RedirectToHttps] {
            assert_eq!(default_action_of(&[default_action(&written)]), written);
        }
        let forward = Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(TARGET_GROUP).build();
        assert_eq!(default_action_of(&[forward]), DefaultAction::Other("forward".into()));
        assert_eq!(default_action_of(&[]), DefaultAction::Other(String::new()));
        let teapot = Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(FixedResponseActionConfig::builder().status_code("418").build())
            .build();
        assert_eq!(default_action_of(&[teapot]), DefaultAction::Other("fixed-response".into()));
    }

    #[test]
    fn tags_are_sent_in_order_and_read_by_arn_in_canonical_order() {
        let tags = Tags::owned("acme", "stage", Some("auth"), []);
        let sent = elb_tags(&tags);
        let keys: Vec<&str> = sent.iter().filter_map(|tag| tag.key()).collect();
        assert_eq!(keys, ["ecsdeploy:project", "ecsdeploy:environment", "ecsdeploy:service"]);
        let mut reversed = sent.clone();
        reversed.reverse();
        reversed.push(Tag::builder().key("aws:cloudformation:stack-id").value("x").build());
        let described = [
            TagDescription::builder().resource_arn("arn:a").set_tags(Some(reversed)).build(),
            TagDescription::builder().resource_arn("arn:b").build(),
        ];
        let read = tags_by_arn_of(&described);
        assert_eq!(read["arn:a"], tags);
        assert!(pairs(&read["arn:b"]).is_empty());
    }

    #[test]
    fn a_listener_without_certificates_leaves_the_field_out() {
        let mut listener = Listener {
            load_balancer_arn: Reference::known("arn:alb"),
            protocol: "HTTP".into(),
            port: 80,
            ssl_policy: None,
            certificates: Vec::new(),
            default_action: DefaultAction::RedirectToHttps,
            tags: Tags::default(),
        };
        assert_eq!(certificates(&listener), None);
        listener.certificates = vec![Reference::known("arn:cert")];
        let sent = certificates(&listener).expect("certificates");
        assert_eq!(
            sent.iter().map(|certificate| certificate.certificate_arn()).collect::<Vec<_>>(),
            [Some("arn:cert")]
        );
    }

    /// What CreateRule sends, answered back by DescribeRules, reads as the rule that was sent.
    #[test]
    fn a_rule_round_trips_through_its_conditions_actions_and_transforms() {
        let desired = desired_rule();
        let answered = elb::Rule::builder()
            .rule_arn("arn:rule")
            .priority("12")
            .set_conditions(Some(conditions(&desired)))
            .set_actions(Some(actions(&desired)))
            .set_transforms(Some(transforms(&desired)))
            .build();
        assert_eq!(rule_of(LISTENER, 12, &answered, desired.tags.clone()), desired);
        assert_eq!(transforms_of(&answered), desired.transforms);
    }

    #[test]
    fn path_patterns_are_read_from_the_older_values_too() {
        let condition = SdkRuleCondition::builder().field("path-pattern").values("/old").values("/old/*").build();
        let answered = elb::Rule::builder().conditions(condition).build();
        let read = rule_of(LISTENER, 3, &answered, Tags::default());
        assert_eq!(read.conditions[0].path_pattern_config.values, ["/old", "/old/*"]);
        assert!(read.actions.is_empty() && read.transforms.is_empty());
    }

    #[test]
    fn a_transform_ecsdeploy_never_writes_is_kept_by_its_type() {
        let host = SdkRuleTransform::builder().r#type(TransformTypeEnum::HostHeaderRewrite).build();
        let answered = elb::Rule::builder().transforms(host).build();
        let read = transforms_of(&answered);
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].transform_type, "host-header-rewrite");
        assert!(read[0].url_rewrite_config.rewrites.is_empty());
    }

    #[test]
    fn messages_name_the_load_balancer_and_the_paths() {
        assert_eq!(load_balancer_of_listener(LISTENER), "acme");
        assert_eq!(load_balancer_of_listener("listener-7"), "listener-7");
        let mut rule = desired_rule();
        rule.conditions.push(RuleCondition {
            field: "path-pattern".into(),
            path_pattern_config: PathPatternConfig { values: vec!["/login".into()] },
        });
        assert_eq!(paths(&rule), "/auth, /auth/*, /login");
    }

    #[test]
    fn a_target_group_reads_with_the_defaults_aws_leaves_out_written() {
        let group = elb::TargetGroup::builder()
            .target_group_name("acme-stage-auth")
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .vpc_id("vpc-1")
            .target_type(elb::TargetTypeEnum::Ip)
            .health_check_protocol(ProtocolEnum::Http)
            .health_check_path("/health")
            .health_check_interval_seconds(10)
            .health_check_timeout_seconds(5)
            .healthy_threshold_count(2)
            .unhealthy_threshold_count(3)
            .matcher(elb::Matcher::builder().http_code("200-299").build())
            .build();
        let tags = Tags::owned("acme", "stage", Some("auth"), []);
        let expected = TargetGroup {
            name: "acme-stage-auth".into(),
            protocol: "HTTP".into(),
            protocol_version: "HTTP1".into(),
            port: 8080,
            vpc_id: Reference::known("vpc-1"),
            target_type: "ip".into(),
            health_check_enabled: true,
            health_check_protocol: "HTTP".into(),
            health_check_port: "traffic-port".into(),
            health_check_path: "/health".into(),
            health_check_interval_seconds: 10,
            health_check_timeout_seconds: 5,
            healthy_threshold_count: 2,
            unhealthy_threshold_count: 3,
            matcher: Matcher { http_code: "200-299".into() },
            tags: tags.clone(),
        };
        assert_eq!(target_group_of(&group, tags), expected);
    }
}
