//! Resources every environment shares (cluster, load balancer, listeners, security groups) under
//! a lock of their own: two environments' first `up` at once on a new account converge on one set
//! of them, and `destroy` of one environment never deletes them while another environment may be
//! deploying onto them. AWS state is read with the SDK as a second client.

use crate::support;

use support::stage::finish;
use support::{TestAccount, prepared_account, root, run};

fn spawn(account: &TestAccount, args: &[&str]) -> std::process::Child {
    support::stage::spawn(account.ecsdeploy(args).current_dir(root()))
}

/// The names of the account's security groups other than the VPC's default, sorted (a name
/// twice is a duplicate).
async fn security_group_names(config: &aws_config::SdkConfig) -> Vec<String> {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let groups = ec2.describe_security_groups().send().await.unwrap();
    let mut names: Vec<String> = groups
        .security_groups()
        .iter()
        .filter_map(|group| group.group_name().map(str::to_string))
        .filter(|name| name != "default")
        .collect();
    names.sort();
    names
}

async fn load_balancer_count(config: &aws_config::SdkConfig) -> usize {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    elb.describe_load_balancers().send().await.unwrap().load_balancers().len()
}

fn plan_is_empty(account: &TestAccount, environment: &str) {
    let plan = run(account.ecsdeploy(&["plan", "--env", environment, "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(plan.code, 0, "{environment}: {}", plan.transcript());
}

#[tokio::test]
async fn the_first_up_of_two_environments_at_once_converges_on_one_set_of_shared_resources() {
    let (account, config) = prepared_account().await;
    let repositories = run(account.ecsdeploy(&["repositories", "--env", "test", "--yes"]).current_dir(root()));
    assert_eq!(repositories.code, 0, "{}", repositories.transcript());
    let test = spawn(&account, &["up", "--env", "test", "--yes"]);
    let stage = spawn(&account, &["up", "--env", "stage", "--yes"]);
    let (test, stage) = (finish(test), finish(stage));
    assert_eq!(test.code, 0, "{}", test.transcript());
    assert_eq!(stage.code, 0, "{}", stage.transcript());
    let names = security_group_names(&config).await;
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique, "no security group twice");
    assert_eq!(load_balancer_count(&config).await, 1);
    plan_is_empty(&account, "test");
    plan_is_empty(&account, "stage");
}

/// The environment `test` is locked (a run of it is starting and has created nothing yet), so
/// `destroy --env stage`, which would delete the shared resources, is turned away (exit 5) and
/// deletes nothing; once `test` is deployed, `destroy --env stage` keeps the shared resources.
#[tokio::test]
async fn destroy_never_deletes_shared_resources_another_environment_may_be_deploying_onto() {
    let (account, config) = prepared_account().await;
    let stage = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(stage.code, 0, "{}", stage.transcript());
    let hold = run(account
        .ecsdeploy(&["lock", "acquire", "--env", "test", "--message", "deploying test"])
        .current_dir(root()));
    assert_eq!(hold.code, 0, "{}", hold.transcript());
    let destroy = run(account.ecsdeploy(&["destroy", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(destroy.code, 5, "{}", destroy.transcript());
    assert!(destroy.stderr.contains("environment test is locked"), "{}", destroy.stderr);
    assert_eq!(load_balancer_count(&config).await, 1, "nothing was deleted");
    let ecs = aws_sdk_ecs::Client::new(&config);
    let services = ecs.list_services().cluster("acme").send().await.unwrap();
    assert_eq!(services.service_arns().len(), 4, "stage's services are still there");

    let release = run(account.ecsdeploy(&["lock", "release", "--env", "test"]).current_dir(root()));
    assert_eq!(release.code, 0, "{}", release.transcript());
    let repositories = run(account.ecsdeploy(&["repositories", "--env", "test", "--yes"]).current_dir(root()));
    assert_eq!(repositories.code, 0, "{}", repositories.transcript());
    let test = run(account.ecsdeploy(&["up", "--env", "test", "--yes"]).current_dir(root()));
    assert_eq!(test.code, 0, "{}", test.transcript());
    let destroy = run(account.ecsdeploy(&["destroy", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(destroy.code, 0, "{}", destroy.transcript());
    assert_eq!(load_balancer_count(&config).await, 1, "test still needs the load balancer");
    plan_is_empty(&account, "test");
}
