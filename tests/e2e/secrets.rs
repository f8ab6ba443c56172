//! Secrets against the emulator: a rotated secret (a new current version) shows in the plan and
//! restarts exactly the services that use it, gated, without a new task definition revision and
//! without a value anywhere; the history records the version IDs the tasks started with.

use crate::support;

use support::{TestAccount, prepared_account, root, run};

async fn deployed_stage() -> (TestAccount, aws_config::SdkConfig) {
    let (account, config) = prepared_account().await;
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

    let newest = support::newest_stage_record(&config, "auth").await.expect("a history record");
    let newest = newest.as_str();
    let record: serde_json::Value = serde_json::from_str(newest).unwrap();
    assert_eq!(record["secret_versions"]["stage/auth/jwt"], new_version.as_str(), "{record}");
    assert!(!newest.contains("rotated-signing-key"));

    let again = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(again.code, 0, "{}", again.transcript());
}

/// Runs `command` with `input` on stdin.
fn run_with_stdin(command: &mut std::process::Command, input: &str) -> support::Run {
    use std::io::Write;
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    support::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test]
async fn secrets_set_reads_stdin_or_a_file_changes_only_its_own_secrets_and_never_shows_a_value() {
    let account = TestAccount::new();
    account.create_world();
    let config = account.sdk_config().await;
    let directory = support::manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let services = services
        .replace("JWT_SIGNING_KEY = \"auth/jwt\"", "JWT_SIGNING_KEY = \"auth/jwt\"\nAPI_KEY = \"auth/api-key\"");
    support::write(directory.path(), "services.toml", &services);
    let dir = directory.path().to_str().unwrap();

    let listed = run(&mut account.ecsdeploy(&["secrets", "list", "--env", "stage", "--output", "json", "-f", dir]));
    assert_eq!(listed.code, 0, "{}", listed.transcript());
    let listed = listed.json();
    let find = |document: &serde_json::Value, name: &str| {
        document["secrets"].as_array().unwrap().iter().find(|s| s["secret"] == name).cloned().unwrap()
    };
    assert!(find(&listed, "stage/auth/api-key")["details"].is_null(), "missing before set: {listed}");
    assert_eq!(find(&listed, "stage/auth/api-key")["used_by"], serde_json::json!(["auth: API_KEY"]));
    assert_eq!(find(&listed, "stage/auth/jwt")["details"]["owned"], false);

    const VALUE: &str = "s3cr3t-value-91";
    let set = run_with_stdin(
        &mut account.ecsdeploy(&["secrets", "set", "--env", "stage", "auth/api-key", "-vv", "-f", dir]),
        &format!("{VALUE}\n"),
    );
    assert_eq!(set.code, 0, "{}", set.transcript());
    assert!(
        !set.stdout.contains(VALUE) && !set.stderr.contains(VALUE),
        "the value must never show: {}",
        set.transcript()
    );
    assert!(set.stdout.contains("stage/auth/api-key: created"), "{}", set.stdout);
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let stored = secrets.get_secret_value().secret_id("stage/auth/api-key").send().await.unwrap();
    assert_eq!(stored.secret_string(), Some(VALUE), "one trailing newline dropped");
    let described = secrets.describe_secret().secret_id("stage/auth/api-key").send().await.unwrap();
    let tags: Vec<(&str, &str)> = described.tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap())).collect();
    assert!(
        tags.contains(&("ecsdeploy:project", "acme")) && tags.contains(&("ecsdeploy:environment", "stage")),
        "{tags:?}"
    );
    let first_version = stored.version_id().unwrap().to_string();

    let file = directory.path().join("new-value");
    std::fs::write(&file, "from-a-file\n").unwrap();
    // Even with every trace turned on, the value never shows (the SDK's request traces are cut).
    let from_file =
        ["secrets", "set", "--env", "stage", "auth/api-key", "--from-file", file.to_str().unwrap(), "-f", dir];
    let traced = run(account.ecsdeploy(&from_file).env("RUST_LOG", "trace"));
    assert_eq!(traced.code, 0, "{}", traced.transcript());
    assert!(traced.stderr.contains("TRACE"), "traces were on");
    assert!(
        !traced.stderr.contains("from-a-file") && !traced.stdout.contains("from-a-file"),
        "the value must never show"
    );
    let stored = secrets.get_secret_value().secret_id("stage/auth/api-key").send().await.unwrap();
    assert_eq!(stored.secret_string(), Some("from-a-file\n"), "a file is taken as is");
    assert_ne!(stored.version_id().unwrap(), first_version);

    // The world's secret was not created by ecsdeploy: refused, unchanged.
    let before = secrets.get_secret_value().secret_id("stage/auth/jwt").send().await.unwrap();
    let refused =
        run_with_stdin(&mut account.ecsdeploy(&["secrets", "set", "--env", "stage", "auth/jwt", "-f", dir]), "x");
    assert_eq!(refused.code, 1, "{}", refused.transcript());
    assert!(refused.stderr.contains("is not ecsdeploy's"), "{}", refused.stderr);
    let after = secrets.get_secret_value().secret_id("stage/auth/jwt").send().await.unwrap();
    assert_eq!(after.version_id(), before.version_id());

    let unknown =
        run_with_stdin(&mut account.ecsdeploy(&["secrets", "set", "--env", "stage", "auth/typo", "-f", dir]), "x");
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("no service in stage uses a secret `auth/typo`"), "{}", unknown.stderr);
    let empty =
        run_with_stdin(&mut account.ecsdeploy(&["secrets", "set", "--env", "stage", "auth/api-key", "-f", dir]), "\n");
    assert_eq!(empty.code, 1, "{}", empty.transcript());

    let text = run(&mut account.ecsdeploy(&["secrets", "list", "--env", "stage", "-f", dir]));
    assert!(!text.stderr.contains("DEBUG"), "no SDK logs by default: {}", text.stderr);
    assert!(
        text.stdout.contains("stage/auth/api-key") && text.stdout.contains("used by      auth: API_KEY"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("2 version(s)"), "{}", text.stdout);
    assert!(!text.stdout.contains(VALUE) && !text.stdout.contains("from-a-file"), "{}", text.stdout);

    // A secret that rotates automatically is set by hand only when asked to.
    let rules = aws_sdk_secretsmanager::types::RotationRulesType::builder().automatically_after_days(30).build();
    let function = format!("arn:aws:lambda:us-east-1:{}:function:acme-secret-rotation", account.account_id);
    secrets
        .rotate_secret()
        .secret_id("stage/auth/api-key")
        .rotation_lambda_arn(function)
        .rotation_rules(rules)
        .rotate_immediately(false)
        .send()
        .await
        .unwrap();
    let set_api_key = ["secrets", "set", "--env", "stage", "auth/api-key", "-f", dir];
    let rotating = run_with_stdin(&mut account.ecsdeploy(&set_api_key), "by-hand");
    assert_eq!(rotating.code, 1, "{}", rotating.transcript());
    assert!(rotating.stderr.contains("rotates automatically"), "{}", rotating.stderr);
    let forced = run_with_stdin(account.ecsdeploy(&set_api_key).arg("--while-rotating"), "by-hand");
    assert_eq!(forced.code, 0, "{}", forced.transcript());

    // Scheduled for deletion: listed as such, and not set.
    secrets.delete_secret().secret_id("stage/auth/api-key").recovery_window_in_days(7).send().await.unwrap();
    let listed = run(&mut account.ecsdeploy(&["secrets", "list", "--env", "stage", "-f", dir]));
    assert!(listed.stdout.contains("SCHEDULED FOR DELETION"), "{}", listed.stdout);
    let deleted = run_with_stdin(&mut account.ecsdeploy(&set_api_key), "again");
    assert_eq!(deleted.code, 1, "{}", deleted.transcript());
    assert!(deleted.stderr.contains("scheduled for deletion"), "{}", deleted.stderr);
}

/// The rotation block the tests add to services.toml.
const ROTATION: &str = r#"
[secrets."auth/session".rotation]
function = "acme-secret-rotation"
schedule = "rate(30 days)"
window = "4h"
"#;

/// Rotation of a secret no service uses.
const SPARE_ROTATION: &str = r#"
[secrets."auth/spare".rotation]
function = "acme-secret-rotation"
schedule = "rate(10 days)"
"#;

#[tokio::test]
async fn rotation_settings_from_the_manifest_are_reconciled_by_up_on_owned_secrets_only() {
    let (account, config) = prepared_account().await;
    let function = format!("arn:aws:lambda:us-east-1:{}:function:acme-secret-rotation", account.account_id);
    let directory = support::manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let services = services
        .replace("JWT_SIGNING_KEY = \"auth/jwt\"", "JWT_SIGNING_KEY = \"auth/jwt\"\nSESSION_KEY = \"auth/session\"");
    support::write(directory.path(), "services.toml", &format!("{services}{ROTATION}{SPARE_ROTATION}"));
    let dir = directory.path().to_str().unwrap();
    for name in ["auth/session", "auth/spare"] {
        let set = run_with_stdin(&mut account.ecsdeploy(&["secrets", "set", "--env", "stage", name, "-f", dir]), "k1");
        assert_eq!(set.code, 0, "{}", set.transcript());
    }
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let describe = || async { secrets.describe_secret().secret_id("stage/auth/session").send().await.unwrap() };
    let versions_before = describe().await.version_ids_to_stages().cloned();

    let plan = run(&mut account.ecsdeploy(&["plan", "--env", "stage", "-f", dir]));
    assert_eq!(plan.code, 0, "{}", plan.transcript());
    assert!(plan.stdout.contains("+ secret_rotation.stage/auth/session"), "{}", plan.stdout);
    assert!(plan.stdout.contains("+ secret_rotation.stage/auth/spare"), "{}", plan.stdout);
    let up = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let spare = secrets.describe_secret().secret_id("stage/auth/spare").send().await.unwrap();
    assert_eq!(spare.rotation_enabled(), Some(true));
    assert!(spare.tags().iter().any(|tag| tag.key() == Some("ecsdeploy:rotation")), "marked as ecsdeploy's rotation");
    let described = describe().await;
    assert_eq!(described.rotation_enabled(), Some(true));
    assert_eq!(described.rotation_lambda_arn(), Some(function.as_str()));
    let rules = described.rotation_rules().unwrap();
    assert_eq!((rules.schedule_expression(), rules.duration()), (Some("rate(30 days)"), Some("4h")));
    assert_eq!(described.version_ids_to_stages().cloned(), versions_before, "configuring rotation rotates nothing");
    let again = run(&mut account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f", dir]));
    assert_eq!(again.code, 0, "a second plan is empty: {}", again.transcript());

    // A new schedule in the manifest is an in-place update.
    let weekly = format!("{services}{}{SPARE_ROTATION}", ROTATION.replace("rate(30 days)", "rate(7 days)"));
    support::write(directory.path(), "services.toml", &weekly);
    let plan = run(&mut account.ecsdeploy(&["plan", "--env", "stage", "-f", dir]));
    assert!(plan.stdout.contains("~ secret_rotation.stage/auth/session"), "{}", plan.stdout);
    let up = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(up.code, 0, "{}", up.transcript());
    assert_eq!(describe().await.rotation_rules().unwrap().schedule_expression(), Some("rate(7 days)"));

    // Turned off for stage, and the spare block removed: rotation stops, the secrets stay.
    let without_spare = format!("{services}{}", ROTATION.replace("rate(30 days)", "rate(7 days)"));
    support::write(directory.path(), "services.toml", &without_spare);
    let stage = std::fs::read_to_string(directory.path().join("environments/stage.toml")).unwrap();
    support::write(
        directory.path(),
        "environments/stage.toml",
        &format!("{stage}\n[secrets.\"auth/session\"]\nrotation = false\n"),
    );
    let plan = run(&mut account.ecsdeploy(&["plan", "--env", "stage", "-f", dir]));
    assert!(plan.stdout.contains("- secret_rotation.stage/auth/session"), "{}", plan.stdout);
    assert!(plan.stdout.contains("rotation stops; the secret and its versions stay"), "{}", plan.stdout);
    assert!(plan.stdout.contains("- secret_rotation.stage/auth/spare"), "{}", plan.stdout);
    let up = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let described = describe().await;
    assert_eq!(described.rotation_enabled(), Some(false));
    assert_eq!(described.version_ids_to_stages().cloned(), versions_before);
    let spare = secrets.describe_secret().secret_id("stage/auth/spare").send().await.unwrap();
    assert_eq!(spare.rotation_enabled(), Some(false));
    assert!(!spare.tags().iter().any(|tag| tag.key() == Some("ecsdeploy:rotation")));
    let again = run(&mut account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f", dir]));
    assert_eq!(again.code, 0, "{}", again.transcript());

    // The world's secret is not ecsdeploy's: asking to rotate it stops the plan, nothing changes.
    support::write(directory.path(), "environments/stage.toml", &stage);
    let foreign = ROTATION.replace("auth/session", "auth/db");
    support::write(directory.path(), "services.toml", &format!("{services}{foreign}"));
    let refused = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(refused.code, 1, "{}", refused.transcript());
    assert!(refused.stderr.contains("secret_rotation.stage/auth/db"), "{}", refused.stderr);
    let db = secrets.describe_secret().secret_id("stage/auth/db").send().await.unwrap();
    assert_ne!(db.rotation_enabled(), Some(true));
    let session = describe().await;
    assert_eq!(session.rotation_enabled(), Some(false), "nothing else was applied either");
}

/// A secret under a customer managed KMS key: tasks read it only if their execution role may
/// decrypt with that key through Secrets Manager (the emulator stops tasks that may not, as ECS
/// does with ResourceInitializationError). ecsdeploy's execution role may, for its own secrets.
#[tokio::test]
async fn a_secret_under_a_customer_managed_key_is_readable_by_the_tasks() {
    let (account, config) = support::prepared_account().await;
    let kms = aws_sdk_kms::Client::new(&config);
    let key = kms.create_key().description("acme stage secrets").send().await.unwrap();
    let key_arn = key.key_metadata().unwrap().arn().unwrap().to_string();
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    for secret in ["stage/auth/db", "stage/auth/jwt"] {
        secrets.update_secret().secret_id(secret).kms_key_id(&key_arn).send().await.unwrap();
    }
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(support::root()));
    assert_eq!(up.code, 0, "{}", up.transcript());

    // The second client: the role grants kms:Decrypt through Secrets Manager for its secrets only.
    let iam = aws_sdk_iam::Client::new(&config);
    let policy =
        iam.get_role_policy().role_name("acme-stage-auth-execution").policy_name("ecsdeploy").send().await.unwrap();
    let document: serde_json::Value = serde_json::from_str(&urlencoding_decode(policy.policy_document())).unwrap();
    let decrypt = document["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|statement| statement["Action"] == serde_json::json!(["kms:Decrypt"]))
        .expect("a kms:Decrypt statement");
    assert_eq!(decrypt["Condition"]["StringEquals"]["kms:ViaService"], "secretsmanager.us-east-1.amazonaws.com");
    let arns = decrypt["Condition"]["StringLike"]["kms:EncryptionContext:SecretARN"].to_string();
    assert!(arns.contains("secret:stage/auth/db-??????") && !arns.contains("gmail"), "{arns}");
    let ecs = aws_sdk_ecs::Client::new(&config);
    let service = ecs.describe_services().cluster("acme").services("stage-auth").send().await.unwrap();
    let deployment = &service.services()[0].deployments()[0];
    assert_eq!(deployment.rollout_state().map(|state| state.as_str()), Some("COMPLETED"));
    assert_eq!(deployment.failed_tasks(), 0, "no task failed to read its secrets");
}

/// IAM answers policy documents URL-encoded (RFC 3986 percent-encoding).
fn urlencoding_decode(text: &str) -> String {
    let mut decoded = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        match (byte, tail.get(..2).and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())) {
            (b'%', Some(value)) => {
                decoded.push(value);
                rest = &tail[2..];
            }
            _ => {
                decoded.push(byte);
                rest = tail;
            }
        }
    }
    String::from_utf8(decoded).unwrap()
}
