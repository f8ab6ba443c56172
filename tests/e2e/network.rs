//! The network the tasks start in: private subnets without a way out (no NAT route, no VPC
//! endpoints) stop the plan before any change, naming each subnet and what it lacks.

use crate::support;

use support::{prepared_account_with, root, run};

#[tokio::test]
async fn private_subnets_without_egress_stop_the_plan_and_change_nothing() {
    let (account, config) = prepared_account_with(serde_json::json!({"egress": "none"})).await;
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage"]).current_dir(root()));
    assert_eq!(plan.code, 1, "{}", plan.transcript());
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let private = ec2
        .describe_subnets()
        .filters(aws_sdk_ec2::types::Filter::builder().name("tag:Tier").values("private").build())
        .send()
        .await
        .unwrap();
    assert_eq!(private.subnets().len(), 2);
    for subnet in private.subnets() {
        let id = subnet.subnet_id().unwrap();
        assert!(plan.stderr.contains(&format!("egress from private subnet {id}")), "{id}: {}", plan.stderr);
    }
    assert!(plan.stderr.contains("no 0.0.0.0/0 route to a NAT gateway"), "{}", plan.stderr);
    assert!(plan.stderr.contains("secretsmanager endpoint"), "{}", plan.stderr);
    assert!(plan.stderr.contains("add a route 0.0.0.0/0 to a NAT gateway"), "{}", plan.stderr);

    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(up.code, 1, "{}", up.transcript());
    // doctor --env says the same, as one failed check.
    let doctor = run(account.ecsdeploy(&["doctor", "--env", "stage", "--output", "json"]).current_dir(root()));
    assert_eq!(doctor.code, 1, "{}", doctor.transcript());
    let report = doctor.json();
    let check = report["checks"].as_array().unwrap().iter().find(|check| check["name"] == "prerequisites").unwrap();
    assert_eq!(check["ok"], false, "{check}");
    assert!(check["error"].as_str().unwrap().contains("egress from private subnet"), "{check}");
    let clusters = aws_sdk_ecs::Client::new(&config).list_clusters().send().await.unwrap();
    assert!(clusters.cluster_arns().is_empty(), "nothing may change");
}

#[tokio::test]
async fn vpc_endpoints_are_a_way_out_too() {
    let (account, _config) = prepared_account_with(serde_json::json!({"egress": "endpoints"})).await;
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(plan.code, 2, "{}", plan.transcript());
    let doctor = run(account.ecsdeploy(&["doctor", "--env", "stage"]).current_dir(root()));
    assert_eq!(doctor.code, 0, "{}", doctor.transcript());
    assert!(doctor.stdout.contains("prerequisites"), "{}", doctor.stdout);
}
