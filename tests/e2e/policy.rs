//! `ecsdeploy policy`: `up`, a second `up`, a new image, `rollback` and `destroy` run as a
//! principal that holds only the printed policy, in an emulator that authorizes every AWS request
//! (`--enforce-iam`: actions, resource ARNs, conditions and iam:PassRole; see emulator/README.md
//! "IAM enforcement" for what it cannot check), and a policy without PassRole is refused at once
//! with the permission named.

use crate::support;

use support::{TestAccount, http, iam_enforcing_emulator_endpoint, prepared_account_at, root, run};

/// A user of `account` that holds exactly `policy`, as a copy of `account` using its keys.
fn principal(account: &TestAccount, name: &str, policy: &serde_json::Value) -> TestAccount {
    let body = serde_json::json!({"name": name, "policy": policy});
    let path = format!("/_ecsdeploy/accounts/{}/principals", account.account_id);
    let (status, answer) = http::post(&account.endpoint, &path, &body.to_string()).unwrap();
    assert_eq!(status, 201, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["iam_enforced"], true, "{answer}");
    let mut principal = account.clone();
    principal.access_key_id = answer["access_key_id"].as_str().unwrap().to_string();
    principal.secret_access_key = answer["secret_access_key"].as_str().unwrap().to_string();
    principal
}

fn printed_policy(account: &TestAccount) -> serde_json::Value {
    let policy =
        run(support::ecsdeploy(&["policy", "--env", "stage", "--account-id", &account.account_id]).current_dir(root()));
    assert_eq!(policy.code, 0, "{}", policy.transcript());
    serde_json::from_str(&policy.stdout).unwrap()
}

#[tokio::test]
async fn the_printed_policy_is_enough_to_deploy_roll_back_and_destroy() {
    let (admin, config) = prepared_account_at(iam_enforcing_emulator_endpoint()).await;
    let deployer = principal(&admin, "deployer", &printed_policy(&admin));
    let directory = support::manifest_copy();
    let deploy = |args: &[&str]| {
        let mut command = deployer.ecsdeploy(args);
        command.arg("-f").arg(directory.path());
        run(&mut command)
    };
    let up = deploy(&["up", "--env", "stage", "--yes"]);
    assert_eq!(up.code, 0, "{}", up.transcript());
    let again = deploy(&["up", "--env", "stage", "--yes"]);
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);

    support::push_build(&config, "acme/auth", "latest", "build 2").await;
    let second = deploy(&["up", "--env", "stage", "--yes"]);
    assert_eq!(second.code, 0, "{}", second.transcript());
    let rollback = deploy(&["rollback", "--env", "stage", "--service", "auth", "--yes"]);
    assert_eq!(rollback.code, 0, "{}", rollback.transcript());
    for command in
        [&["status", "--env", "stage"][..], &["history", "--env", "stage"], &["lock", "status", "--env", "stage"]]
    {
        let result = deploy(command);
        assert_eq!(result.code, 0, "{command:?}: {}", result.transcript());
    }
    let destroy = deploy(&["destroy", "--env", "stage", "--yes"]);
    assert_eq!(destroy.code, 0, "{}", destroy.transcript());

    // The second client (the account's administrator): nothing of stage is left.
    let ecs = aws_sdk_ecs::Client::new(&config);
    let services = ecs.list_services().cluster("acme").send().await;
    assert!(services.map(|output| output.service_arns().is_empty()).unwrap_or(true), "no service left");
    let iam = aws_sdk_iam::Client::new(&config);
    let roles = iam.list_roles().path_prefix("/ecsdeploy/").send().await.unwrap();
    assert!(roles.roles().is_empty(), "{:?}", roles.roles());
}

#[tokio::test]
async fn a_missing_permission_fails_at_once_naming_it() {
    let (admin, config) = prepared_account_at(iam_enforcing_emulator_endpoint()).await;
    let mut policy = printed_policy(&admin);
    let statements = policy["Statement"].as_array_mut().unwrap();
    statements.retain(|statement| statement["Sid"] != "PassOwnRolesToTasks");
    let deployer = principal(&admin, "no-pass-role", &policy);
    let up = run(deployer.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(up.code, 1, "{}", up.transcript());
    assert!(up.stderr.contains("access denied"), "{}", up.stderr);
    assert!(up.stderr.contains("grant the IAM permission iam:PassRole"), "{}", up.stderr);
    // Refused, not retried as if the role were still propagating: no revision was registered.
    let ecs = aws_sdk_ecs::Client::new(&config);
    let families = ecs.list_task_definitions().send().await.unwrap();
    assert!(families.task_definition_arns().is_empty(), "{:?}", families.task_definition_arns());
}

/// Credentials AWS does not know are refused, which is not the same as having none: the emulator
/// in enforcing mode answers an unknown access key as AWS does (InvalidClientTokenId).
#[test]
fn refused_credentials_are_told_apart_from_missing_ones() {
    let mut account = TestAccount::at(iam_enforcing_emulator_endpoint());
    account.access_key_id = "AKIAIOSFODNN7EXAMPLE".into();
    account.secret_access_key = "not-a-real-secret".into();
    let doctor = run(account.ecsdeploy(&["doctor"]).current_dir(root()));
    assert_eq!(doctor.code, 1, "{}", doctor.transcript());
    assert!(doctor.stdout.contains("the credentials were refused"), "{}", doctor.stdout);
    assert!(!doctor.stdout.contains("no AWS credentials were found"), "{}", doctor.stdout);
}

/// Issue 15: without `iam:GetAccountAuthorizationDetails` and `tag:GetResources` (some teams
/// keep them from deployers) the batch reads fall back to per-resource reads: `up` still
/// deploys, a second `up` still changes nothing, and each denial is said once, naming it.
#[tokio::test]
async fn without_the_batch_read_permissions_reads_fall_back_and_say_so() {
    let (admin, _config) = prepared_account_at(iam_enforcing_emulator_endpoint()).await;
    let mut policy = printed_policy(&admin);
    let batch_reads = ["iam:GetAccountAuthorizationDetails", "tag:GetResources"];
    for statement in policy["Statement"].as_array_mut().unwrap() {
        if let Some(actions) = statement["Action"].as_array_mut() {
            actions.retain(|action| !batch_reads.contains(&action.as_str().unwrap_or_default()));
        }
    }
    assert!(!policy.to_string().contains("tag:GetResources"), "{policy}");
    let deployer = principal(&admin, "narrow-deployer", &policy);
    let directory = support::manifest_copy();
    let deploy = |args: &[&str]| {
        let mut command = deployer.ecsdeploy(args);
        command.arg("-f").arg(directory.path());
        run(&mut command)
    };
    let up = deploy(&["up", "--env", "stage", "--yes"]);
    assert_eq!(up.code, 0, "{}", up.transcript());
    let again = deploy(&["up", "--env", "stage", "--yes"]);
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    for permission in batch_reads {
        assert_eq!(again.stderr.matches(&format!("{permission} is denied")).count(), 1, "{}", again.stderr);
    }
}
