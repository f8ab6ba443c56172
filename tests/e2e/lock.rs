//! The deploy lock against the emulator: two `up` runs on one environment at once (one turned
//! away with exit code 5 naming the holder, one that waits with --lock-wait and proceeds after
//! the first, planning again), a lock taken by hand, its expiry and takeover, and its release;
//! the lock item is checked in DynamoDB with the SDK.

use crate::support;

use support::stage::{auth_logging_at, finish, running_task_definition, stage_records, stored_lock};
use support::{TestAccount, prepared_account, root, run};

/// Waits until a run holds stage's lock (a minute at most).
async fn until_locked(config: &aws_config::SdkConfig) {
    until(config, "a run takes the lock", async |config| {
        stored_lock(config).await.is_some_and(|(released, _)| !released)
    })
    .await;
}

fn changed_manifest() -> tempfile::TempDir {
    auth_logging_at("debug")
}

fn spawn(account: &TestAccount, args: &[&str]) -> std::process::Child {
    support::stage::spawn(account.ecsdeploy(args).current_dir(root()))
}

async fn auth_log_level(config: &aws_config::SdkConfig) -> String {
    let ecs = aws_sdk_ecs::Client::new(config);
    let service = ecs.describe_services().cluster("acme").services("stage-auth").send().await.unwrap();
    let arn = service.services()[0].task_definition().unwrap().to_string();
    let definition = ecs.describe_task_definition().task_definition(arn).send().await.unwrap();
    let container = &definition.task_definition().unwrap().container_definitions()[0];
    let variable = container.environment().iter().find(|pair| pair.name() == Some("LOG_LEVEL")).unwrap();
    variable.value().unwrap().to_string()
}

#[tokio::test]
async fn of_two_concurrent_ups_one_is_refused_and_one_waits_for_the_first() {
    let (account, config) = prepared_account().await;
    // The first run's auth rollout takes a while (the emulator completes it after 200 polls, some
    // 10 s): long enough for the other two runs to find the lock held.
    account.script_rollout(serde_json::json!({"service": "stage-auth", "outcome": "complete", "steps": 200}));
    let first = spawn(&account, &["up", "--env", "stage", "--yes"]);
    until_locked(&config).await;

    let changed = changed_manifest();
    let dir = changed.path().to_str().unwrap();
    let refused = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(refused.code, 5, "{}", refused.transcript());
    assert!(refused.stderr.contains("environment stage is locked by"), "{}", refused.stderr);
    assert!(refused.stderr.contains("for `up`"), "{}", refused.stderr);
    assert!(refused.stderr.contains("--lock-wait"), "{}", refused.stderr);
    let waiting = spawn(&account, &["up", "--env", "stage", "--yes", "--lock-wait", "120s", "-f", dir]);

    let first = finish(first);
    assert_eq!(first.code, 0, "{}", first.transcript());
    let waited = finish(waiting);
    assert_eq!(waited.code, 0, "{}", waited.transcript());
    assert!(waited.stderr.contains("waiting for the deploy lock of stage"), "{}", waited.stderr);
    assert!(waited.stderr.contains("planning again"), "{}", waited.stderr);
    assert_eq!(auth_log_level(&config).await, "debug", "the waiting run deployed its change");
    let (released, record) = stored_lock(&config).await.unwrap();
    assert!(released, "released at the end: {record}");
    assert_eq!(record["command"], "up");
}

#[tokio::test]
async fn a_lock_taken_by_hand_turns_runs_away_until_it_expires_or_is_released() {
    let (account, config) = prepared_account().await;
    let changed = changed_manifest();
    let dir = changed.path().to_str().unwrap();
    let acquire = ["lock", "acquire", "--env", "stage", "--ttl", "10m", "--message", "release freeze", "-f", dir];
    let acquired = run(&mut account.ecsdeploy(&acquire));
    assert_eq!(acquired.code, 0, "{}", acquired.transcript());
    let status = run(&mut account.ecsdeploy(&["lock", "status", "--env", "stage", "--output", "json", "-f", dir]));
    let status = status.json();
    assert_eq!((status["schema_version"].as_u64(), status["held"].as_bool()), (Some(1), Some(true)), "{status}");
    assert_eq!(status["lock"]["message"], "release freeze");
    assert_eq!(status["lock"]["command"], "lock acquire");
    let (released, _) = stored_lock(&config).await.unwrap();
    assert!(!released);

    let refused = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "--output", "json", "-f", dir]));
    assert_eq!(refused.code, 5, "{}", refused.transcript());
    assert!(refused.stderr.contains("its message: release freeze"), "{}", refused.stderr);
    assert_eq!(refused.json()["lock"]["message"], "release freeze");
    let rollback = run(&mut account.ecsdeploy(&["rollback", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(rollback.code, 5, "rollback takes the lock too: {}", rollback.transcript());

    // Released by its holder, then taken again for a second: nobody renews it, and after its
    // time to live the next run takes it over.
    let released = run(&mut account.ecsdeploy(&["lock", "release", "--env", "stage", "-f", dir]));
    assert_eq!(released.code, 0, "{}", released.transcript());
    let short = run(&mut account.ecsdeploy(&["lock", "acquire", "--env", "stage", "--ttl", "1s", "-f", dir]));
    assert_eq!(short.code, 0, "{}", short.transcript());
    until(&config, "the short lock expires", async |config| {
        let expires = stored_lock(config).await.and_then(|(_, record)| record["expires_epoch"].as_u64()).unwrap();
        ecsdeploy::deploy_lock::now_epoch() > expires
    })
    .await;
    let up = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(up.code, 0, "{}", up.transcript());
    assert!(up.stderr.contains("took over the expired deploy lock of stage"), "{}", up.stderr);
    let (released, record) = stored_lock(&config).await.unwrap();
    assert!(released && record["command"] == "up", "{record}");

    // Someone else's lock is released only with --force; one's own without.
    let acquired = run(account.ecsdeploy(&acquire[..8]).arg("-f").arg(dir).env("USER", "alice"));
    assert_eq!(acquired.code, 0, "{}", acquired.transcript());
    let mine = run(&mut account.ecsdeploy(&["lock", "release", "--env", "stage", "-f", dir]));
    assert_eq!(mine.code, 1, "{}", mine.transcript());
    assert!(mine.stderr.contains("someone else, not by you"), "{}", mine.stderr);
    assert!(!stored_lock(&config).await.unwrap().0);
    let alice = run(account.ecsdeploy(&["lock", "release", "--env", "stage", "-f", dir]).env("USER", "alice"));
    assert_eq!(alice.code, 0, "{}", alice.transcript());
    assert!(stored_lock(&config).await.unwrap().0);
    run(account.ecsdeploy(&acquire[..8]).arg("-f").arg(dir).env("USER", "alice"));
    let forced = run(&mut account.ecsdeploy(&["lock", "release", "--env", "stage", "--force", "-f", dir]));
    assert_eq!(forced.code, 0, "{}", forced.transcript());
    assert!(stored_lock(&config).await.unwrap().0);
}

/// SIGTERM (a cancelled CI job) is Ctrl-C: while rollouts are gated the first one rolls back
/// (ECS is pointed back at the last good revision), a second one stops at once (143). Either way
/// the run releases its lock on the way out.
#[tokio::test]
async fn sigterm_rolls_back_then_stops_and_releases_the_lock() {
    let (account, config) = prepared_account().await;
    let first = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(first.code, 0, "{}", first.transcript());
    let good = running_task_definition(&config, "stage-auth").await;
    // The next deployment of auth and the rollback after it both take a long while.
    let slow = serde_json::json!({"service": "stage-auth", "outcome": "complete", "steps": 400, "count": 2});
    account.script_rollout(slow);
    let changed = changed_manifest();
    let child = spawn(&account, &["up", "--env", "stage", "--yes", "-f", changed.path().to_str().unwrap()]);
    // Gating: the new revision's deploy is recorded in progress.
    until(&config, "the new deploy is gated", async |config| {
        stage_records(config, "auth").await.first().is_some_and(|record| record["outcome"] == "in-progress")
    })
    .await;
    let new = running_task_definition(&config, "stage-auth").await;
    assert_ne!(new, good, "the run deployed a new revision");
    let terminate = || {
        let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(status.success());
    };
    terminate();
    // The rollback: ECS runs the last good revision again.
    until(&config, "the rollback starts", async |config| running_task_definition(config, "stage-auth").await == good)
        .await;
    terminate();
    let stopped = finish(child);
    assert_eq!(stopped.code, 143, "{}", stopped.transcript());
    assert!(stopped.stderr.contains("auth: rolling back to"), "{}", stopped.stderr);
    assert!(stopped.stderr.contains("terminated: stopped at once"), "{}", stopped.stderr);
    assert!(stopped.stderr.contains("released the deploy lock of stage"), "{}", stopped.stderr);
    assert_eq!(running_task_definition(&config, "stage-auth").await, good, "left on the last good revision");
    let (released, record) = stored_lock(&config).await.unwrap();
    assert!(released, "the next run need not wait for the lock to expire: {record}");
}

/// Waits until `condition` holds (a minute at most), looking every 50 ms.
async fn until(config: &aws_config::SdkConfig, what: &str, condition: impl AsyncFn(&aws_config::SdkConfig) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !condition(config).await {
        assert!(std::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// An `up` right after another finished (CI's usual rhythm) reads the environment once: the
/// lock it read before planning is the released holding it then replaces, so nobody changed
/// anything in between, whatever the clocks say.
#[tokio::test]
async fn an_up_after_a_finished_one_reads_the_environment_once() {
    let (account, _config) = prepared_account().await;
    let first = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(first.code, 0, "{}", first.transcript());
    let changed = changed_manifest();
    let dir = changed.path().to_str().unwrap();
    let second =
        run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "--stats", "--output", "json", "-f", dir]));
    assert_eq!(second.code, 0, "{}", second.transcript());
    assert!(!second.stderr.contains("planning again"), "{}", second.stderr);
    let document = second.json();
    let reads = document["stats"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|phase| phase["phase"] == "read actual state")
        .count();
    assert_eq!(reads, 1, "{}", document["stats"]);
    assert_eq!(document["plan"]["has_changes"], true, "the second up changed auth: {document}");
}
