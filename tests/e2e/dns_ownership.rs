//! The environment's DNS record carries an ownership marker (a TXT record beside the alias,
//! written in the same batch), so that after the load balancer it points to is gone, the next
//! `up` repairs it instead of refusing it as someone else's. Read back with the SDK.

use crate::support;

use support::{prepared_account, root, run};

/// The A record and the TXT values of `name` in the account's zone.
async fn record_of(config: &aws_config::SdkConfig, name: &str) -> (Option<String>, Vec<String>) {
    let route53 = aws_sdk_route53::Client::new(config);
    let zones = route53.list_hosted_zones_by_name().dns_name("acme.example").send().await.unwrap();
    let zone = zones.hosted_zones()[0].id();
    let records = route53.list_resource_record_sets().hosted_zone_id(zone).send().await.unwrap();
    let named = |kind: &str| {
        records
            .resource_record_sets()
            .iter()
            .filter(|set| set.name().trim_end_matches('.') == name && set.r#type().as_str() == kind)
            .cloned()
            .collect::<Vec<_>>()
    };
    let alias = named("A").first().and_then(|set| set.alias_target().map(|alias| alias.dns_name().to_string()));
    let texts = named("TXT")
        .iter()
        .flat_map(|set| set.resource_records().iter().map(|value| value.value().to_string()))
        .collect();
    (alias, texts)
}

async fn delete_load_balancer(config: &aws_config::SdkConfig) {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let balancers = elb.describe_load_balancers().names("acme").send().await.unwrap();
    let arn = balancers.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let protection = aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute::builder()
        .key("deletion_protection.enabled")
        .value("false")
        .build();
    elb.modify_load_balancer_attributes().load_balancer_arn(&arn).attributes(protection).send().await.unwrap();
    for listener in elb.describe_listeners().load_balancer_arn(&arn).send().await.unwrap().listeners() {
        elb.delete_listener().listener_arn(listener.listener_arn().unwrap()).send().await.unwrap();
    }
    elb.delete_load_balancer().load_balancer_arn(&arn).send().await.unwrap();
}

async fn load_balancer_dns_name(config: &aws_config::SdkConfig) -> String {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let balancers = elb.describe_load_balancers().names("acme").send().await.unwrap();
    balancers.load_balancers()[0].dns_name().unwrap().to_string()
}

#[tokio::test]
async fn a_record_left_pointing_at_a_deleted_load_balancer_is_repaired_by_the_next_up() {
    let (account, config) = prepared_account().await;
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let (alias, texts) = record_of(&config, "stage.api.acme.example").await;
    let old = load_balancer_dns_name(&config).await;
    assert_eq!(alias.as_deref().map(|name| name.trim_end_matches('.').to_lowercase()), Some(old.to_lowercase()));
    assert_eq!(texts, ["\"heritage=ecsdeploy,ecsdeploy/project=acme,ecsdeploy/environment=stage\""]);

    delete_load_balancer(&config).await;
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(plan.code, 2, "a plan, not a refusal: {}", plan.transcript());
    let repair = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(repair.code, 0, "{}", repair.transcript());
    let new = load_balancer_dns_name(&config).await;
    let (alias, _) = record_of(&config, "stage.api.acme.example").await;
    assert_eq!(alias.map(|name| name.trim_end_matches('.').to_lowercase()), Some(new.to_lowercase()));
    let again = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(again.code, 0, "{}", again.transcript());

    // destroy of the only environment takes the record and its marker.
    let destroy = run(account.ecsdeploy(&["destroy", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(destroy.code, 0, "{}", destroy.transcript());
    assert_eq!(record_of(&config, "stage.api.acme.example").await, (None, Vec::new()));
}
