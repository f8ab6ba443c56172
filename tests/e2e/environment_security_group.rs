//! `security_group = "own"`: an environment's tasks in a security group of its own (admitting
//! the ALB on that environment's ports only) instead of the group every environment shares; and
//! back. Read with the SDK.

use crate::support;

use support::{prepared_account, root, run};

/// The security group IDs of an ECS service's tasks.
async fn task_groups(config: &aws_config::SdkConfig, service: &str) -> Vec<String> {
    let ecs = aws_sdk_ecs::Client::new(config);
    let output = ecs.describe_services().cluster("acme").services(service).send().await.unwrap();
    let network = output.services()[0].network_configuration().unwrap().awsvpc_configuration().unwrap();
    network.security_groups().to_vec()
}

/// The ID and ingress ports (with the group they admit) of the security group `name`, if any.
async fn group(config: &aws_config::SdkConfig, name: &str) -> Option<(String, Vec<(i32, String)>)> {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let filter = aws_sdk_ec2::types::Filter::builder().name("group-name").values(name).build();
    let output = ec2.describe_security_groups().filters(filter).send().await.unwrap();
    let group = output.security_groups().first()?;
    let mut ingress: Vec<(i32, String)> = group
        .ip_permissions()
        .iter()
        .flat_map(|permission| {
            permission.user_id_group_pairs().iter().map(|pair| {
                (permission.from_port().unwrap_or_default(), pair.group_id().unwrap_or_default().to_string())
            })
        })
        .collect();
    ingress.sort();
    Some((group.group_id().unwrap().to_string(), ingress))
}

#[tokio::test]
async fn an_environment_with_its_own_security_group_shares_none_with_another() {
    let (account, config) = prepared_account().await;
    let own = support::manifest_copy();
    let test_file = std::fs::read_to_string(own.path().join("environments/test.toml")).unwrap();
    support::write(own.path(), "environments/test.toml", &format!("security_group = \"own\"\n{test_file}"));
    let dir = own.path().to_str().unwrap();
    let stage = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(stage.code, 0, "{}", stage.transcript());
    let repositories = run(&mut account.ecsdeploy(&["repositories", "--env", "test", "--yes", "-f", dir]));
    assert_eq!(repositories.code, 0, "{}", repositories.transcript());
    let test = run(&mut account.ecsdeploy(&["up", "--env", "test", "--yes", "-f", dir]));
    assert_eq!(test.code, 0, "{}", test.transcript());

    let (shared_id, _) = group(&config, "acme-services").await.expect("the shared group");
    let (own_id, own_ingress) = group(&config, "acme-test-services").await.expect("test's own group");
    let (alb_id, _) = group(&config, "acme-alb").await.expect("the ALB's group");
    assert_eq!(task_groups(&config, "test-auth").await, std::slice::from_ref(&own_id));
    assert_eq!(task_groups(&config, "stage-auth").await, std::slice::from_ref(&shared_id));
    assert!(!own_ingress.is_empty() && own_ingress.iter().all(|(_, source)| *source == alb_id), "{own_ingress:?}");
    let plan = run(&mut account.ecsdeploy(&["plan", "--env", "test", "--detailed-exitcode", "-f", dir]));
    assert_eq!(plan.code, 0, "{}", plan.transcript());

    // Back to the shared group: the tasks move, and the environment's own group goes.
    let back = run(account.ecsdeploy(&["up", "--env", "test", "--yes"]).current_dir(root()));
    assert_eq!(back.code, 0, "{}", back.transcript());
    assert_eq!(task_groups(&config, "test-auth").await, [shared_id]);
    assert!(group(&config, "acme-test-services").await.is_none(), "deleted once unused");
    let plan = run(account.ecsdeploy(&["plan", "--env", "test", "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(plan.code, 0, "{}", plan.transcript());
}

#[test]
fn an_unknown_security_group_choice_is_a_manifest_error_with_its_place() {
    let directory = support::manifest_copy();
    let test_file = std::fs::read_to_string(directory.path().join("environments/test.toml")).unwrap();
    support::write(directory.path(), "environments/test.toml", &format!("security_group = \"owned\"\n{test_file}"));
    let validate =
        run(support::ecsdeploy(&["validate", "-f", directory.path().to_str().unwrap()]).env("NO_COLOR", "1"));
    assert_eq!(validate.code, 1, "{}", validate.transcript());
    assert!(validate.stderr.contains("environments/test.toml:1:18"), "{}", validate.stderr);
    assert!(validate.stderr.contains("or \"own\""), "{}", validate.stderr);
}
