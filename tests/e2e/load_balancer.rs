//! The shared ALB's attributes (`[project.load_balancer] idle_timeout`, invalid header fields
//! dropped, deletion protection) reconciled by `up`, and `destroy` of the last environment taking
//! the protected ALB away, checked with the SDK as the second client.

use crate::support;

use support::{prepared_account, run};

/// The managed attributes of the account's ALB `acme`, as DescribeLoadBalancerAttributes answers.
async fn attributes(config: &aws_config::SdkConfig) -> Vec<(String, String)> {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let found = elb.describe_load_balancers().names("acme").send().await.unwrap();
    let arn = found.load_balancers()[0].load_balancer_arn().unwrap();
    let output = elb.describe_load_balancer_attributes().load_balancer_arn(arn).send().await.unwrap();
    let mut attributes: Vec<(String, String)> = output
        .attributes()
        .iter()
        .map(|attribute| (attribute.key().unwrap().to_string(), attribute.value().unwrap().to_string()))
        .filter(|(key, _)| {
            [
                "idle_timeout.timeout_seconds",
                "routing.http.drop_invalid_header_fields.enabled",
                "deletion_protection.enabled",
                "routing.http2.enabled",
            ]
            .contains(&key.as_str())
        })
        .collect();
    attributes.sort();
    attributes
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect()
}

#[tokio::test]
async fn the_idle_timeout_header_hygiene_and_deletion_protection_are_set_changed_and_then_left_alone() {
    let (account, config) = prepared_account().await;
    let directory = support::manifest_copy();
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f"]).arg(directory.path()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    assert_eq!(
        attributes(&config).await,
        pairs(&[
            ("deletion_protection.enabled", "true"),
            ("idle_timeout.timeout_seconds", "60"),
            ("routing.http.drop_invalid_header_fields.enabled", "true"),
            ("routing.http2.enabled", "true"),
        ])
    );

    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    support::write(directory.path(), "services.toml", &services.replace("idle_timeout = 60", "idle_timeout = 300"));
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--output", "json", "-f"]).arg(directory.path()));
    let document = plan.json();
    let changes = document["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{document}");
    assert_eq!(changes[0]["address"], "load_balancer");
    assert_eq!(changes[0]["action"], "update");
    let text = run(account.ecsdeploy(&["plan", "--env", "stage", "-f"]).arg(directory.path()));
    assert!(
        text.stdout.contains(r#"Attributes[idle_timeout.timeout_seconds].Value: "60" -> "300""#),
        "{}",
        text.stdout
    );

    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f"]).arg(directory.path()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    assert_eq!(attributes(&config).await[1], ("idle_timeout.timeout_seconds".to_string(), "300".to_string()));

    // An attribute ecsdeploy does not manage, set by hand, is neither a difference nor undone.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let found = elb.describe_load_balancers().names("acme").send().await.unwrap();
    let arn = found.load_balancers()[0].load_balancer_arn().unwrap();
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .attributes(
            aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute::builder()
                .key("routing.http2.enabled")
                .value("false")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f"]).arg(directory.path()));
    assert_eq!(plan.code, 0, "a second plan must be empty:\n{}", plan.transcript());
    assert_eq!(attributes(&config).await[3], ("routing.http2.enabled".to_string(), "false".to_string()));

    // Deletion protection keeps the ALB from a stray delete (the emulator refuses it as AWS does)...
    let refused = elb.delete_load_balancer().load_balancer_arn(arn).send().await;
    let code = refused.as_ref().err().and_then(|error| error.as_service_error()).and_then(|error| error.meta().code());
    assert_eq!(code, Some("OperationNotPermitted"), "{refused:?}");
    // ...and `destroy` of the last environment turns it off and deletes the ALB.
    let destroy = run(account.ecsdeploy(&["destroy", "--env", "stage", "--yes", "-f"]).arg(directory.path()));
    assert_eq!(destroy.code, 0, "{}", destroy.transcript());
    let left = elb.describe_load_balancers().send().await.unwrap();
    assert!(left.load_balancers().is_empty(), "{:?}", left.load_balancers());
}
