//! A rollout is gated or reported, whatever happens to the run that started it: a bad gate flag
//! is refused before anything changes; a run killed (SIGKILL) while gating leaves an unverified
//! rollout that `status` shows and the next `up` gates; SIGTERM while gating rolls back and
//! exits 143. AWS state and the history are read with the SDK as a second client.

use crate::support;

use serde_json::Value;
use support::stage::{finish, spawn, stage_records};
use support::{TestAccount, newest_stage_record, prepared_account, root, run};

fn changed_manifest() -> tempfile::TempDir {
    support::stage::auth_logging_at("debug")
}

fn spawn_up(account: &TestAccount, directory: &std::path::Path) -> std::process::Child {
    spawn(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", directory.to_str().unwrap()]))
}

/// Waits (a minute at most) until auth's newest record is an in-progress deploy: the run gates.
async fn until_gating(config: &aws_config::SdkConfig) -> Value {
    until_gating_other_than(config, "").await
}

/// [`until_gating`], for a record other than `id`.
async fn until_gating_other_than(config: &aws_config::SdkConfig, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(record) = newest_stage_record(config, "auth").await {
            let record: Value = serde_json::from_str(&record).unwrap();
            if record["outcome"] == "in-progress" && record["kind"] == "deploy" && record["id"] != id {
                return record;
            }
        }
        assert!(std::time::Instant::now() < deadline, "the run never started gating auth");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn auth_records(config: &aws_config::SdkConfig) -> Vec<Value> {
    stage_records(config, "auth").await
}

async fn running_task_definition(config: &aws_config::SdkConfig) -> String {
    support::stage::running_task_definition(config, "stage-auth").await
}

#[tokio::test]
async fn a_bad_gate_flag_or_variable_is_refused_before_anything_changes() {
    let (account, config) = prepared_account().await;
    type Case<'a> = (&'a [&'a str], Option<(&'a str, &'a str)>);
    let cases: [Case; 5] = [
        (&["--poll-interval", "0"], None),
        (&["--rollout-timeout", "0"], None),
        (&["--rollout-timeout", "99999999h"], None),
        (&["--poll-interval", "10m", "--rollout-timeout", "5s"], None),
        (&[], Some(("ECSDEPLOY_POLL_INTERVAL", "0"))),
    ];
    for (flags, variable) in cases {
        let mut command = account.ecsdeploy(&["up", "--env", "stage", "--yes"]);
        command.args(flags).current_dir(root());
        if let Some((name, value)) = variable {
            command.env(name, value);
        }
        let up = run(&mut command);
        assert_eq!(up.code, 1, "{flags:?} {variable:?}: {}", up.transcript());
        assert!(up.stderr.contains("nothing was changed"), "{}", up.stderr);
    }
    // Nothing was registered or created, and nothing waits in the history.
    let ecs = aws_sdk_ecs::Client::new(&config);
    let revisions = ecs.list_task_definitions().family_prefix("stage-auth").send().await.unwrap();
    assert!(revisions.task_definition_arns().is_empty(), "{:?}", revisions.task_definition_arns());
    assert!(newest_stage_record(&config, "auth").await.is_none());
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(plan.code, 2, "everything is still to do: {}", plan.transcript());
}

/// kill -9 while the gate waits: the deployment is live and nobody judged it. `status` says so,
/// and the next `up` (there is nothing left to change) gates it, records the truth and leaves an
/// empty plan.
#[tokio::test]
async fn a_run_killed_while_gating_is_found_and_gated_by_the_next_up() {
    let (account, config) = prepared_account().await;
    let first = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(first.code, 0, "{}", first.transcript());
    let changed = changed_manifest();
    let dir = changed.path().to_str().unwrap();
    // The rollout stands still until the clock runs again: the run is surely killed mid-gate.
    account.set_clock_factor(0.0);
    let child = spawn_up(&account, changed.path());
    let killed_record = until_gating(&config).await;
    assert!(std::process::Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap().success());
    let killed = finish(child);
    assert_eq!(killed.code, -1, "killed by a signal: {}", killed.transcript());
    assert_eq!(killed_record["run"]["pid"], killed_record["run"]["pid"].as_u64().unwrap(), "the record names its run");
    // The killed run's lock expires in two minutes; an operator who knows it is dead frees it.
    let release = run(&mut account.ecsdeploy(&["lock", "release", "--env", "stage", "--force", "-f", dir]));
    assert_eq!(release.code, 0, "{}", release.transcript());
    account.set_clock_factor(100.0);

    let status = run(&mut account.ecsdeploy(&["status", "--env", "stage", "--output", "json", "-f", dir]));
    assert_eq!(status.code, 0, "{}", status.transcript());
    let auth = status.json()["services"].as_array().unwrap().iter().find(|s| s["service"] == "auth").unwrap().clone();
    assert!(auth["unverified"].as_str().is_some_and(|text| text.contains("never verified")), "{auth}");

    let plan = run(&mut account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f", dir]));
    assert_eq!(plan.code, 2, "up has work to do: {}", plan.transcript());
    assert!(plan.stderr.contains("not verified yet"), "{}", plan.stderr);
    let next = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(next.code, 0, "{}", next.transcript());
    assert!(next.stderr.contains("was never verified"), "{}", next.stderr);
    let records = auth_records(&config).await;
    let killed_id = killed_record["id"].as_str().unwrap();
    let old = records.iter().find(|record| record["id"] == killed_id).unwrap();
    assert_eq!(old["outcome"], "abandoned", "{old}");
    assert_eq!(records[0]["outcome"], "succeeded", "{}", records[0]);
    assert_eq!(records[0]["task_definition"], killed_record["task_definition"], "the adopted revision was gated");
    assert_eq!(running_task_definition(&config).await, killed_record["task_definition"].as_str().unwrap());
    assert!(records.iter().all(|record| record["outcome"] != "in-progress"), "{records:?}");

    let after = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(after.code, 0, "{}", after.transcript());
    assert!(after.stdout.contains("No changes"), "{}", after.transcript());
    assert!(!after.stderr.contains("never verified"), "settled once: {}", after.stderr);
}

/// While another run gates a rollout, an `up` with nothing to change is not green: the rollout
/// is not verified yet, and the other run's lock says it is alive (exit 5, naming it).
#[tokio::test]
async fn an_up_with_no_changes_while_another_run_gates_is_refused() {
    let (account, config) = prepared_account().await;
    let first = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(first.code, 0, "{}", first.transcript());
    let changed = changed_manifest();
    account.set_clock_factor(0.0);
    let child = spawn_up(&account, changed.path());
    until_gating(&config).await;
    let concurrent =
        run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", changed.path().to_str().unwrap()]));
    account.set_clock_factor(100.0);
    let gated = finish(child);
    assert_eq!(concurrent.code, 5, "{}", concurrent.transcript());
    assert_eq!(gated.code, 0, "{}", gated.transcript());
}

/// SIGTERM (a cancelled CI job) while gating: the run rolls back what it started and exits 143.
#[tokio::test]
async fn sigterm_while_gating_rolls_back_and_exits_143() {
    let (account, config) = prepared_account().await;
    let first = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(first.code, 0, "{}", first.transcript());
    let good = running_task_definition(&config).await;
    let changed = changed_manifest();
    account.set_clock_factor(0.0);
    let child = spawn_up(&account, changed.path());
    until_gating(&config).await;
    assert!(std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    // The rollback's own deployment needs the clock to finish.
    std::thread::sleep(std::time::Duration::from_millis(500));
    account.set_clock_factor(100.0);
    let stopped = finish(child);
    assert_eq!(stopped.code, 143, "{}", stopped.transcript());
    assert!(stopped.stdout.contains("ROLLED BACK"), "{}", stopped.transcript());
    assert_eq!(running_task_definition(&config).await, good);
    let records = auth_records(&config).await;
    assert!(records.iter().all(|record| record["outcome"] != "in-progress"), "{records:?}");
}

/// The deployment a killed run left turns out to fail: the next `up` gates it, and rolls the
/// service back to its last good revision as the killed run would have (exit 3).
#[tokio::test]
async fn an_adopted_rollout_that_fails_is_rolled_back_to_the_last_good_revision() {
    let (account, config) = prepared_account().await;
    let first = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(first.code, 0, "{}", first.transcript());
    let good = running_task_definition(&config).await;
    let changed = changed_manifest();
    let dir = changed.path().to_str().unwrap();
    account.script_rollout(serde_json::json!({"service": "stage-auth", "outcome": "fail", "steps": 2}));
    account.set_clock_factor(0.0);
    let child = spawn_up(&account, changed.path());
    let killed_record = until_gating(&config).await;
    assert!(std::process::Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap().success());
    finish(child);
    let release = run(&mut account.ecsdeploy(&["lock", "release", "--env", "stage", "--force", "-f", dir]));
    assert_eq!(release.code, 0, "{}", release.transcript());

    // The clock runs again once the next run gates the deployment (before, ECS's own circuit
    // breaker could roll it back first, and the run would find the service moved on).
    let child = spawn_up(&account, changed.path());
    until_gating_other_than(&config, killed_record["id"].as_str().unwrap()).await;
    account.set_clock_factor(100.0);
    let next = finish(child);
    assert_eq!(next.code, 3, "{}", next.transcript());
    assert!(next.stdout.contains("ROLLED BACK"), "{}", next.transcript());
    assert_eq!(running_task_definition(&config).await, good);
    let records = auth_records(&config).await;
    let old = records.iter().find(|record| record["id"] == killed_record["id"]).unwrap();
    assert_eq!(old["outcome"], "abandoned", "{old}");
    let adopted = records
        .iter()
        .find(|record| {
            record["task_definition"] == killed_record["task_definition"] && record["id"] != killed_record["id"]
        })
        .unwrap();
    assert_eq!(adopted["outcome"], "rolled-back", "{adopted}");
    assert!(records.iter().all(|record| record["outcome"] != "in-progress"), "{records:?}");
}

/// A run killed after UpdateService but before it wrote its record leaves a revision running
/// that the service's history never saw pass (made here by deleting that record): `plan` says
/// so, and the next `up` gates it and records it.
#[tokio::test]
async fn a_running_revision_no_record_saw_pass_is_gated_by_the_next_up() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let (account, config) = prepared_account().await;
    let first = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(first.code, 0, "{}", first.transcript());
    let changed = changed_manifest();
    let dir = changed.path().to_str().unwrap();
    let second = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(second.code, 0, "{}", second.transcript());
    let newest = auth_records(&config).await.remove(0);
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    dynamodb
        .delete_item()
        .table_name("ecsdeploy-history-acme")
        .key("pk", AttributeValue::S("acme/stage/auth".into()))
        .key("sk", AttributeValue::S(newest["id"].as_str().unwrap().into()))
        .send()
        .await
        .unwrap();

    let plan = run(&mut account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f", dir]));
    assert_eq!(plan.code, 2, "{}", plan.transcript());
    assert!(plan.stderr.contains("not verified yet"), "{}", plan.stderr);
    let next = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(next.code, 0, "{}", next.transcript());
    assert!(next.stderr.contains("was never verified"), "{}", next.stderr);
    let records = auth_records(&config).await;
    assert_eq!(records[0]["outcome"], "succeeded", "{}", records[0]);
    assert_eq!(records[0]["task_definition"], newest["task_definition"]);
    let again = run(&mut account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f", dir]));
    assert_eq!(again.code, 0, "{}", again.transcript());
}
