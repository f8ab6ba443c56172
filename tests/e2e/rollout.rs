//! Health-gated rollouts against the emulator's scripted ECS deployments and a local HTTP server
//! standing in for the services: a healthy deploy passes and is recorded; each kind of failure
//! rolls back to the last good revision (exit 3); a failing rollback exits 4; `rollback`,
//! `history` and `status` agree with what a second client reads from ECS, ELBv2 and DynamoDB.

use crate::support;

use serde_json::{Value, json};
use std::path::Path;
use support::stage::running_task_definition;
use support::{TestAccount, push_image, run};
use tempfile::TempDir;

const SERVICES: [&str; 4] = ["auth", "gmail", "calendar", "ai-router"];

/// Overrides for auth in stage: a short deadline (the `stuck` case waits for it) and no grace
/// period for unhealthy targets; `{level}` makes a new task definition revision.
fn stage_overrides(original: &str, level: &str) -> String {
    format!(
        "{original}\n[services.auth.deployment]\ntimeout = \"4s\"\npoll_interval = \"1s\"\n\n[services.auth.health_check]\ngrace_period = 0\n\n[services.auth.env]\nLOG_LEVEL = \"{level}\"\n"
    )
}

/// An account with the test world, repositories, images, and stage deployed once (healthy) from
/// a manifest copy whose auth settings suit the failure cases.
async fn deployed_stage() -> (TestAccount, aws_config::SdkConfig, TempDir, String) {
    // These tests script the service's answers request by request: the stand-in, not an app.
    let account = TestAccount::new().with_stand_in_checks();
    account.create_world();
    let directory = support::manifest_copy();
    let original = std::fs::read_to_string(directory.path().join("environments/stage.toml")).unwrap();
    support::write(directory.path(), "environments/stage.toml", &stage_overrides(&original, "v0"));
    let repositories = run(account.ecsdeploy(&["repositories", "--env", "stage", "--yes", "-f"]).arg(directory.path()));
    assert_eq!(repositories.code, 0, "{}", repositories.transcript());
    let config = account.sdk_config().await;
    for service in SERVICES {
        push_image(&config, &format!("acme/{service}"), "latest").await;
    }
    let up = deploy(&account, directory.path(), &[]);
    assert_eq!(up.code, 0, "{}", up.transcript());
    (account, config, directory, original)
}

fn deploy(account: &TestAccount, directory: &Path, extra: &[&str]) -> support::Run {
    let mut args = vec!["up", "--env", "stage", "--yes", "-f"];
    args.push(directory.to_str().unwrap());
    args.extend_from_slice(extra);
    run(&mut account.ecsdeploy(&args))
}

fn ecsdeploy(account: &TestAccount, directory: &Path, args: &[&str]) -> support::Run {
    run(account.ecsdeploy(args).arg("-f").arg(directory))
}

/// The history of one service, read from DynamoDB by the second client (newest first).
async fn stored_history(config: &aws_config::SdkConfig, service: &str) -> Vec<Value> {
    support::stage::stage_records(config, service).await
}

#[tokio::test]
async fn a_healthy_deploy_passes_and_history_and_status_agree_with_aws() {
    let (account, config, directory, _) = deployed_stage().await;
    let paths = account.stand_in.paths();
    assert!(paths.iter().any(|path| path == "/stage/auth/health"), "{paths:?}");
    assert!(paths.iter().any(|path| path == "/stage/ai/health"), "{paths:?}");

    let auth_definition = running_task_definition(&config, "stage-auth").await;
    let records = stored_history(&config, "auth").await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["kind"], "deploy");
    assert_eq!(records[0]["outcome"], "succeeded");
    assert_eq!(records[0]["task_definition"], auth_definition.as_str());
    assert!(records[0]["image_digests"][0].as_str().unwrap().contains("/acme/auth@sha256:"), "{records:?}");
    assert!(records[0]["operator"].as_str().unwrap().contains(&account.account_id), "{records:?}");
    assert_eq!(records[0]["config_hash"].as_str().unwrap().len(), 64);

    let history = ecsdeploy(&account, directory.path(), &["history", "--env", "stage", "--output", "json"]);
    assert_eq!(history.code, 0, "{}", history.transcript());
    let history = history.json();
    assert_eq!(history["schema_version"], 1);
    let listed = history["records"].as_array().unwrap();
    assert_eq!(listed.len(), 4, "{history}");
    let auth: Vec<&Value> = listed.iter().filter(|record| record["service"] == "auth").collect();
    assert_eq!(auth, records.iter().collect::<Vec<_>>());
    let text = ecsdeploy(&account, directory.path(), &["history", "--env", "stage", "--service", "auth"]);
    assert!(text.stdout.contains(records[0]["id"].as_str().unwrap()), "{}", text.stdout);
    assert!(text.stdout.contains("deploy") && text.stdout.contains("succeeded"), "{}", text.stdout);

    let status = ecsdeploy(&account, directory.path(), &["status", "--env", "stage", "--output", "json"]);
    assert_eq!(status.code, 0, "{}", status.transcript());
    let status = status.json();
    let ecs = aws_sdk_ecs::Client::new(&config);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    for service in SERVICES {
        let reported = status["services"].as_array().unwrap().iter().find(|s| s["service"] == service).unwrap();
        let live = ecs.describe_services().cluster("acme").services(format!("stage-{service}")).send().await.unwrap();
        let live = &live.services()[0];
        assert_eq!(reported["task_definition"], live.task_definition().unwrap(), "{reported}");
        assert_eq!(reported["running"], live.running_count(), "{reported}");
        assert_eq!(reported["desired"], live.desired_count(), "{reported}");
        assert_eq!(reported["rollout_state"], "COMPLETED", "{reported}");
        assert_eq!(reported["drift"], json!([]), "{reported}");
        let group = live.load_balancers()[0].target_group_arn().unwrap();
        let health = elb.describe_target_health().target_group_arn(group).send().await.unwrap();
        let healthy = health
            .target_health_descriptions()
            .iter()
            .filter(|d| d.target_health().and_then(|h| h.state()).map(|s| s.as_str()) == Some("healthy"))
            .count();
        assert_eq!(reported["targets"]["healthy"], healthy, "{reported}");
        assert!(healthy >= 1);
        let stored = stored_history(&config, service).await;
        assert_eq!(reported["last_deploy"], stored[0], "{reported}");
        assert!(reported["images"][0].as_str().unwrap().contains("@sha256:"), "{reported}");
    }
    let text = ecsdeploy(&account, directory.path(), &["status", "--env", "stage"]);
    assert!(text.stdout.contains("auth (stage-auth)") && text.stdout.contains("drift        none"), "{}", text.stdout);
}

/// Deploys a new auth revision (LOG_LEVEL = `level`) that fails as the emulator or stand-in is
/// told to, and checks it went back to `good` with exit 3 and the failure kind in the JSON.
async fn fails_and_rolls_back(
    account: &TestAccount,
    config: &aws_config::SdkConfig,
    directory: &Path,
    original: &str,
    level: &str,
    good: &str,
    kinds: &[&str],
) {
    support::write(directory, "environments/stage.toml", &stage_overrides(original, level));
    let up = deploy(account, directory, &["--output", "json"]);
    assert_eq!(up.code, 3, "{level}: {}", up.transcript());
    let document = up.json();
    let rollouts = document["rollouts"].as_array().unwrap();
    assert_eq!(rollouts.len(), 1, "only auth changed: {document}");
    let outcome = &rollouts[0]["outcome"];
    assert_eq!(outcome["result"], "rolled-back", "{level}: {outcome}");
    assert!(kinds.contains(&outcome["failure"]["kind"].as_str().unwrap()), "{level}: {outcome}");
    assert_eq!(outcome["to"], good, "{level}: {outcome}");
    assert_eq!(running_task_definition(config, "stage-auth").await, good, "{level}: back on the last good revision");
    // Progress went to stderr, one JSON event per line.
    assert!(
        up.stderr.lines().any(|line| line.starts_with("{\"schema_version\":1,\"event\":\"rolling-back\"")),
        "{}",
        up.stderr
    );
    let records = stored_history(config, "auth").await;
    assert_eq!((&records[0]["kind"], &records[0]["outcome"]), (&json!("rollback"), &json!("succeeded")), "{records:?}");
    assert_eq!(records[0]["task_definition"], good);
    assert_eq!((&records[1]["kind"], &records[1]["outcome"]), (&json!("deploy"), &json!("rolled-back")), "{records:?}");
}

#[tokio::test]
async fn each_failure_kind_rolls_back_to_the_last_good_revision_and_a_failing_rollback_exits_4() {
    let (account, config, directory, original) = deployed_stage().await;
    let good = running_task_definition(&config, "stage-auth").await;
    let directory = directory.path();

    // ECS fails the deployment (its circuit breaker also rolls back on its own).
    account.script_rollout(json!({"service": "stage-auth", "outcome": "fail", "steps": 2}));
    fails_and_rolls_back(
        &account,
        &config,
        directory,
        &original,
        "v1",
        &good,
        &["deployment-failed", "rolled-back-by-ecs"],
    )
    .await;
    // The deployment never finishes: the deadline (4 s in this manifest).
    account.script_rollout(json!({"service": "stage-auth", "outcome": "stuck"}));
    fails_and_rolls_back(&account, &config, directory, &original, "v2", &good, &["deadline"]).await;
    // The ALB finds the new targets unhealthy: as on AWS, ECS replaces them and never completes
    // the deployment, so its circuit breaker fails it (or the gate sees the targets first).
    account.script_rollout(json!({"service": "stage-auth", "outcome": "complete", "target_health": "unhealthy"}));
    let unhealthy = ["targets-unhealthy", "deployment-failed", "rolled-back-by-ecs"];
    fails_and_rolls_back(&account, &config, directory, &original, "v3", &good, &unhealthy).await;
    // Everything looks fine to ECS and the ALB, but the service's own check fails three times.
    account.stand_in.answer_next(3, 503);
    fails_and_rolls_back(&account, &config, directory, &original, "v4", &good, &["http-check-failing"]).await;
    assert_eq!(running_task_definition(&config, "stage-auth").await, good);

    // The service answers 503 whatever runs: the rollback fails its gate too.
    account.stand_in.answer(503);
    support::write(directory, "environments/stage.toml", &stage_overrides(&original, "v5"));
    let up = deploy(&account, directory, &[]);
    assert_eq!(up.code, 4, "{}", up.transcript());
    assert!(up.stdout.contains("auth: FAILED AND NOT ROLLED BACK"), "{}", up.stdout);
    assert!(up.stdout.contains("A person is needed"), "{}", up.stdout);
    let records = stored_history(&config, "auth").await;
    assert_eq!(
        (&records[0]["kind"], &records[0]["outcome"]),
        (&json!("rollback"), &json!("rollback-failed")),
        "{records:?}"
    );
    assert_eq!(records[1]["outcome"], "rollback-failed", "{records:?}");
    account.stand_in.answer(200);

    // Ctrl-C while waiting: the run stops waiting and rolls back what it started.
    account.script_rollout(json!({"service": "stage-auth", "outcome": "stuck"}));
    support::write(directory, "environments/stage.toml", &stage_overrides(&original, "v6"));
    let mut command = account.ecsdeploy(&["up", "--env", "stage", "--yes", "--output", "json", "-f"]);
    let mut child = command
        .arg(directory)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the gate is waiting (its first progress event), not before.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("\"event\":\"progress\"") {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0, "no progress before the end");
    }
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Rolled back, and the exit code says a signal stopped the run (as documented).
    assert_eq!(output.status.code(), Some(130), "{stdout}");
    let document: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(document["rollouts"][0]["outcome"]["failure"]["kind"], "interrupted", "{document}");
    assert_eq!(running_task_definition(&config, "stage-auth").await, good);

    // No failed revision was deregistered: every one is still there to inspect.
    let ecs = aws_sdk_ecs::Client::new(&config);
    let revisions = ecs.list_task_definitions().family_prefix("stage-auth").send().await.unwrap();
    assert_eq!(revisions.task_definition_arns().len(), 7, "{:?}", revisions.task_definition_arns());
}

#[tokio::test]
async fn atomic_rolls_back_every_service_the_run_changed() {
    let (account, config, directory, original) = deployed_stage().await;
    let (auth, gmail) =
        (running_task_definition(&config, "stage-auth").await, running_task_definition(&config, "stage-gmail").await);
    let changed = format!("{}\n[services.gmail.env]\nLOG_LEVEL = \"debug\"\n", stage_overrides(&original, "v1"));
    support::write(directory.path(), "environments/stage.toml", &changed);
    account.script_rollout(json!({"service": "stage-auth", "outcome": "fail", "steps": 2}));
    let up = deploy(&account, directory.path(), &["--atomic"]);
    assert_eq!(up.code, 3, "{}", up.transcript());
    assert!(up.stdout.contains("gmail: ROLLED BACK"), "{}", up.stdout);
    assert_eq!(running_task_definition(&config, "stage-auth").await, auth);
    assert_eq!(running_task_definition(&config, "stage-gmail").await, gmail, "gmail passed but goes back with auth");
    let records = stored_history(&config, "gmail").await;
    assert_eq!((&records[0]["kind"], &records[0]["outcome"]), (&json!("rollback"), &json!("succeeded")), "{records:?}");
}

#[tokio::test]
async fn rollback_goes_to_the_last_good_deploy_or_a_chosen_one() {
    let (account, config, directory, original) = deployed_stage().await;
    let first = running_task_definition(&config, "stage-auth").await;
    support::write(directory.path(), "environments/stage.toml", &stage_overrides(&original, "v1"));
    let up = deploy(&account, directory.path(), &[]);
    assert_eq!(up.code, 0, "{}", up.transcript());
    let second = running_task_definition(&config, "stage-auth").await;
    assert_ne!(first, second);

    let refused = ecsdeploy(&account, directory.path(), &["rollback", "--env", "stage", "--service", "auth"]);
    assert_eq!(refused.code, 1, "no --yes without a terminal: {}", refused.transcript());
    assert_eq!(running_task_definition(&config, "stage-auth").await, second);

    let back = ecsdeploy(&account, directory.path(), &["rollback", "--env", "stage", "--service", "auth", "--yes"]);
    assert_eq!(back.code, 0, "{}", back.transcript());
    assert!(back.stdout.contains("auth: healthy on"), "{}", back.stdout);
    assert_eq!(running_task_definition(&config, "stage-auth").await, first);
    let records = stored_history(&config, "auth").await;
    assert_eq!((&records[0]["kind"], &records[0]["outcome"]), (&json!("rollback"), &json!("succeeded")));
    assert_eq!(records[0]["task_definition"], first.as_str());
    // Exactly the bytes that ran before: the revision it returned to pins the recorded digest.
    let ecs = aws_sdk_ecs::Client::new(&config);
    let definition = ecs.describe_task_definition().task_definition(&first).send().await.unwrap();
    let image = definition.task_definition().unwrap().container_definitions()[0].image().unwrap().to_string();
    let first_deploy = records.iter().rev().find(|record| record["kind"] == "deploy").unwrap();
    assert_eq!(first_deploy["image_digests"][0], image.as_str(), "{first_deploy}");
    assert!(image.contains("@sha256:"), "{image}");

    // The live state now differs from the manifest, and status says so.
    let status = ecsdeploy(&account, directory.path(), &["status", "--env", "stage", "--output", "json"]).json();
    let auth = status["services"].as_array().unwrap().iter().find(|s| s["service"] == "auth").unwrap().clone();
    assert!(auth["drift"].as_array().unwrap().iter().any(|d| d.as_str().unwrap().contains("ecs_service")), "{auth}");
    assert_eq!(auth["task_definition"], first.as_str());

    // Back to the second deploy, by its ID, scripted.
    let chosen = records.iter().find(|record| record["task_definition"] == second.as_str()).unwrap();
    let id = chosen["id"].as_str().unwrap();
    let to =
        ecsdeploy(&account, directory.path(), &["rollback", "--env", "stage", "--to", id, "--yes", "--output", "json"]);
    assert_eq!(to.code, 0, "{}", to.transcript());
    let document = to.json();
    assert_eq!(document["ok"], true, "{document}");
    assert_eq!(document["rollbacks"][0]["service"], "auth", "{document}");
    assert_eq!(running_task_definition(&config, "stage-auth").await, second);
    let plan = ecsdeploy(&account, directory.path(), &["plan", "--env", "stage", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "back on the manifest's revision: {}", plan.transcript());

    // A deploy that never passed its gate is not a place to go back to.
    account.script_rollout(json!({"service": "stage-auth", "outcome": "fail", "steps": 1}));
    support::write(directory.path(), "environments/stage.toml", &stage_overrides(&original, "v2"));
    assert_eq!(deploy(&account, directory.path(), &[]).code, 3);
    let failed =
        stored_history(&config, "auth").await.into_iter().find(|record| record["outcome"] == "rolled-back").unwrap();
    let refused = ecsdeploy(
        &account,
        directory.path(),
        &["rollback", "--env", "stage", "--to", failed["id"].as_str().unwrap(), "--yes"],
    );
    assert_eq!(refused.code, 1, "{}", refused.transcript());
    assert!(refused.stderr.contains("never passed its gate"), "{}", refused.stderr);
}

#[tokio::test]
async fn two_writers_never_overwrite_a_history_record() {
    use ecsdeploy::cloud::aws::AwsCloud;
    use ecsdeploy::cloud::sdk_config::{LoadedConfig, RegionSource};
    use ecsdeploy::history::HistoryStore;
    use ecsdeploy::history::{DeployRecord, HistoryScope, Outcome, RecordKind};
    let account = TestAccount::new();
    let config = account.sdk_config().await;
    let writer = || AwsCloud::new(&LoadedConfig { sdk_config: config.clone(), region_source: RegionSource::Flag });
    let (first, second) = (writer(), writer());
    let scope = HistoryScope::new("acme", "stage");
    let mut record = DeployRecord {
        id: "1800000000000-abcdef".into(),
        service: "auth".into(),
        kind: RecordKind::Deploy,
        started_at: "2027-01-15T08:00:00Z".into(),
        finished_at: None,
        operator: "one".into(),
        git_commit: None,
        task_definition: "arn:aws:ecs:us-east-1:1:task-definition/stage-auth:1".into(),
        image_digests: Vec::new(),
        secret_versions: Default::default(),
        config_hash: String::new(),
        outcome: Outcome::InProgress,
        reason: None,
        deployment_id: None,
        run: None,
    };
    first.history_append(&scope, &record).await.unwrap();
    let clash = second.history_append(&scope, &DeployRecord { operator: "two".into(), ..record.clone() }).await;
    assert!(clash.unwrap_err().to_string().contains("ConditionalCheckFailed"), "the same ID is never written twice");
    record.outcome = Outcome::Succeeded;
    first.history_finish(&scope, &record).await.unwrap();
    let late = second.history_finish(&scope, &DeployRecord { outcome: Outcome::Failed, ..record.clone() }).await;
    assert!(late.is_err(), "a finished record is not finished again");
    let stored = stored_history(&config, "auth").await;
    assert_eq!(stored.len(), 1);
    assert_eq!((&stored[0]["operator"], &stored[0]["outcome"]), (&json!("one"), &json!("succeeded")));
}
