//! Secrets against the emulator: a rotated secret (a new current version) shows in the plan and
//! restarts exactly the services that use it, gated, without a new task definition revision and
//! without a value anywhere; the history records the version IDs the tasks started with.

mod support;

use support::{TestAccount, push_image, root, run};

const SERVICES: [&str; 4] = ["auth", "gmail", "calendar", "ai-router"];

async fn deployed_stage() -> (TestAccount, aws_config::SdkConfig) {
    let account = TestAccount::new();
    account.create_world();
    let repositories = run(account.ecsdeploy(&["repositories", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(repositories.code, 0, "{}", repositories.transcript());
    let config = account.sdk_config().await;
    for service in SERVICES {
        push_image(&config, &format!("acme/{service}"), "latest").await;
    }
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    (account, config)
}

async fn service(config: &aws_config::SdkConfig, name: &str) -> aws_sdk_ecs::types::Service {
    let ecs = aws_sdk_ecs::Client::new(config);
    let output = ecs
        .describe_services()
        .cluster("acme")
        .services(name)
        .include(aws_sdk_ecs::types::ServiceField::Tags)
        .send()
        .await
        .unwrap();
    output.services()[0].clone()
}

fn primary(service: &aws_sdk_ecs::types::Service) -> String {
    service.deployments().iter().find(|d| d.status() == Some("PRIMARY")).and_then(|d| d.id()).unwrap().to_string()
}

fn tag(service: &aws_sdk_ecs::types::Service, key: &str) -> Option<String> {
    service.tags().iter().find(|tag| tag.key() == Some(key)).and_then(|tag| tag.value()).map(str::to_string)
}

#[tokio::test]
async fn a_rotated_secret_restarts_only_the_services_that_use_it() {
    let (account, config) = deployed_stage().await;
    let (auth_before, gmail_before) = (service(&config, "stage-auth").await, service(&config, "stage-gmail").await);
    let digest_before = tag(&auth_before, "ecsdeploy:secret-versions").expect("auth carries the secret-versions tag");
    assert!(
        tag(&service(&config, "stage-ai-router").await, "ecsdeploy:secret-versions").is_none(),
        "ai-router has no secrets"
    );

    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let rotated = secrets
        .put_secret_value()
        .secret_id("stage/auth/jwt")
        .secret_string("rotated-signing-key-7f3a")
        .send()
        .await
        .unwrap();
    let new_version = rotated.version_id().unwrap().to_string();

    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(plan.code, 2, "{}", plan.transcript());
    assert!(plan.stdout.contains("~ service.auth.ecs_service"), "{}", plan.stdout);
    assert!(plan.stdout.contains("a secret it uses has a new version"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("service.gmail"), "gmail does not use that secret: {}", plan.stdout);
    assert!(!plan.stdout.contains("task_definition"), "no new revision: {}", plan.stdout);

    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes", "--output", "json"]).current_dir(root()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    assert!(!up.stdout.contains("rotated-signing-key") && !up.stderr.contains("rotated-signing-key"), "never a value");
    let document = up.json();
    let rollouts = document["rollouts"].as_array().unwrap();
    assert_eq!(rollouts.len(), 1, "{document}");
    assert_eq!(
        (rollouts[0]["service"].as_str(), rollouts[0]["outcome"]["result"].as_str()),
        (Some("auth"), Some("passed"))
    );

    let (auth_after, gmail_after) = (service(&config, "stage-auth").await, service(&config, "stage-gmail").await);
    assert_ne!(primary(&auth_after), primary(&auth_before), "a new deployment started");
    assert_eq!(auth_after.task_definition(), auth_before.task_definition(), "the same revision");
    assert_ne!(tag(&auth_after, "ecsdeploy:secret-versions"), Some(digest_before));
    assert_eq!(primary(&gmail_after), primary(&gmail_before), "gmail untouched");

    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let output = dynamodb
        .query()
        .table_name("ecsdeploy-history-acme")
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S("acme/stage/auth".into()))
        .scan_index_forward(false)
        .send()
        .await
        .unwrap();
    let newest = output.items()[0]["record"].as_s().unwrap();
    let record: serde_json::Value = serde_json::from_str(newest).unwrap();
    assert_eq!(record["secret_versions"]["stage/auth/jwt"], new_version.as_str(), "{record}");
    assert!(!newest.contains("rotated-signing-key"));

    let again = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(again.code, 0, "{}", again.transcript());
}
