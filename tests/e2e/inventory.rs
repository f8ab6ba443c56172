//! Everything an account holds that ecsdeploy could have made, read with the SDK as a second
//! client: what the reliability tests compare against a clean baseline to prove that nothing was
//! orphaned or duplicated (names and counts, never ARNs or IDs, which differ between accounts).

use std::collections::BTreeMap;

/// Resource kind -> sorted names (a name twice is a duplicate).
pub type Inventory = BTreeMap<&'static str, Vec<String>>;

pub async fn inventory(config: &aws_config::SdkConfig) -> Inventory {
    let mut found = Inventory::new();
    let ecs = aws_sdk_ecs::Client::new(config);
    if let Ok(services) = ecs.list_services().cluster("acme").send().await {
        let arns: Vec<String> = services.service_arns().to_vec();
        if !arns.is_empty() {
            let described = ecs.describe_services().cluster("acme").set_services(Some(arns)).send().await.unwrap();
            found.insert(
                "ecs services (name = revision)",
                described
                    .services()
                    .iter()
                    .filter(|service| service.status() == Some("ACTIVE"))
                    .map(|service| {
                        let revision =
                            service.task_definition().unwrap_or_default().rsplit('/').next().unwrap_or_default();
                        format!("{} = {revision}", service.service_name().unwrap_or_default())
                    })
                    .collect(),
            );
        }
    }
    let definitions = ecs.list_task_definitions().send().await.unwrap();
    found.insert(
        "active task definition revisions",
        definitions
            .task_definition_arns()
            .iter()
            .map(|arn| arn.rsplit('/').next().unwrap_or_default().to_string())
            .collect(),
    );
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let balancers = elb.describe_load_balancers().send().await.unwrap();
    found.insert(
        "load balancers",
        balancers.load_balancers().iter().map(|lb| lb.load_balancer_name().unwrap_or_default().to_string()).collect(),
    );
    let mut rules = Vec::new();
    for balancer in balancers.load_balancers() {
        let listeners =
            elb.describe_listeners().load_balancer_arn(balancer.load_balancer_arn().unwrap()).send().await.unwrap();
        for listener in listeners.listeners() {
            let listed = elb.describe_rules().listener_arn(listener.listener_arn().unwrap()).send().await.unwrap();
            for rule in listed.rules() {
                let paths: Vec<String> = rule
                    .conditions()
                    .iter()
                    .flat_map(|condition| {
                        condition.path_pattern_config().map(|config| config.values().to_vec()).unwrap_or_default()
                    })
                    .collect();
                rules.push(format!(
                    "{}:{} {}",
                    listener.port().unwrap_or_default(),
                    rule.priority().unwrap_or_default(),
                    paths.join(",")
                ));
            }
        }
    }
    found.insert("listener rules", rules);
    let groups = elb.describe_target_groups().send().await.unwrap();
    found.insert(
        "target groups",
        groups.target_groups().iter().map(|group| group.target_group_name().unwrap_or_default().to_string()).collect(),
    );
    let ec2 = aws_sdk_ec2::Client::new(config);
    let security_groups = ec2.describe_security_groups().send().await.unwrap();
    found.insert(
        "security groups",
        security_groups
            .security_groups()
            .iter()
            .map(|group| {
                let ingress = group.ip_permissions().len();
                format!("{} ({ingress} ingress)", group.group_name().unwrap_or_default())
            })
            .collect(),
    );
    let iam = aws_sdk_iam::Client::new(config);
    let roles = iam.list_roles().max_items(1000).send().await.unwrap();
    found.insert(
        "iam roles",
        roles
            .roles()
            .iter()
            .map(|role| role.role_name().to_string())
            .filter(|name| name.contains("acme") || name.starts_with("stage-") || name.starts_with("test-"))
            .collect(),
    );
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let log_groups = logs.describe_log_groups().send().await.unwrap();
    found.insert(
        "log groups",
        log_groups.log_groups().iter().map(|group| group.log_group_name().unwrap_or_default().to_string()).collect(),
    );
    let cloudwatch = aws_sdk_cloudwatch::Client::new(config);
    let alarms = cloudwatch.describe_alarms().max_records(100).send().await.unwrap();
    found.insert(
        "alarms",
        alarms.metric_alarms().iter().map(|alarm| without_uuid(alarm.alarm_name().unwrap_or_default())).collect(),
    );
    let scaling = aws_sdk_applicationautoscaling::Client::new(config);
    let policies = scaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap();
    found.insert(
        "scaling policies",
        policies.scaling_policies().iter().map(|policy| policy.policy_name().to_string()).collect(),
    );
    let route53 = aws_sdk_route53::Client::new(config);
    let zones = route53.list_hosted_zones_by_name().dns_name("acme.example").send().await.unwrap();
    if let Some(zone) = zones.hosted_zones().first() {
        let records = route53.list_resource_record_sets().hosted_zone_id(zone.id()).send().await.unwrap();
        found.insert(
            "dns records",
            records
                .resource_record_sets()
                .iter()
                .filter(|set| !matches!(set.r#type().as_str(), "SOA" | "NS"))
                .map(|set| format!("{} {}", set.name(), set.r#type().as_str()))
                .collect(),
        );
    }
    for names in found.values_mut() {
        names.sort();
    }
    found
}

/// History records of `environment` still in progress (`service: id`): a finished run leaves none.
pub async fn records_in_progress(config: &aws_config::SdkConfig, environment: &str) -> Vec<String> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let Ok(output) = dynamodb.scan().table_name("ecsdeploy-history-acme").consistent_read(true).send().await else {
        return Vec::new();
    };
    output
        .items()
        .iter()
        .filter(|item| {
            item.get("pk")
                .and_then(|pk| pk.as_s().ok())
                .is_some_and(|pk| pk.starts_with(&format!("acme/{environment}/")))
        })
        .filter(|item| matches!(item.get("outcome"), Some(AttributeValue::S(outcome)) if outcome == "in-progress"))
        .map(|item| format!("{}: {}", item["pk"].as_s().unwrap(), item["sk"].as_s().unwrap()))
        .collect()
}

/// A name without the UUID AWS appends to the alarms of a target tracking policy.
fn without_uuid(name: &str) -> String {
    let is_uuid = |tail: &str| {
        tail.len() == 36
            && tail.chars().enumerate().all(|(index, character)| match index {
                8 | 13 | 18 | 23 => character == '-',
                _ => character.is_ascii_hexdigit(),
            })
    };
    match name.len().checked_sub(37) {
        Some(cut) if name.is_char_boundary(cut) && is_uuid(&name[cut + 1..]) => name[..cut].to_string(),
        _ => name.to_string(),
    }
}
