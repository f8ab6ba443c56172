//! kill -9 at seeded random moments through `up` (reading, applying, gating), followed by the
//! operator freeing the dead run's lock and a normal `up`: the run ends with the rollout gated,
//! no history record left in progress, an empty plan, and exactly what a clean run makes
//! (compared with a second account that ran the same `up`s undisturbed: nothing orphaned,
//! nothing duplicated). Seeds: `ECSDEPLOY_KILL_SEEDS=1,2,3` to try others.

use crate::inventory::{inventory, records_in_progress};
use crate::support;

use support::stage::{Seeded, auth_logging_at};
use support::{TestAccount, prepared_account, root, run};

fn up(account: &TestAccount, directory: &std::path::Path) -> support::Run {
    run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", directory.to_str().unwrap()]))
}

/// `up` from `directory`, killed with SIGKILL `after_millis` after it started (if still running);
/// whether it was killed.
fn killed_up(account: &TestAccount, directory: &std::path::Path, after_millis: u64) -> bool {
    let mut child = account
        .ecsdeploy(&["up", "--env", "stage", "--yes", "-f", directory.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(after_millis);
    while std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    status.code().is_none()
}

/// `steps` are the manifests each account deploys in turn; the last one is killed at a seeded
/// moment in the account under test, then deployed again normally.
async fn killed_then_recovered(seed: u64, steps: &[&std::path::Path]) {
    let (baseline_account, baseline_config) = prepared_account().await;
    // The kill lands within the time the clean run of the last step took here.
    let mut last_took = 0;
    for step in steps {
        let started = std::time::Instant::now();
        let clean = up(&baseline_account, step);
        last_took = started.elapsed().as_millis() as u64;
        assert_eq!(clean.code, 0, "baseline: {}", clean.transcript());
    }
    let baseline = inventory(&baseline_config).await;

    let (account, config) = prepared_account().await;
    let (last, before) = steps.split_last().unwrap();
    for step in before {
        let clean = up(&account, step);
        assert_eq!(clean.code, 0, "{}", clean.transcript());
    }
    let mut moments = Seeded::new(seed);
    let after = moments.below(last_took.max(1));
    let killed = killed_up(&account, last, after);
    eprintln!("seed {seed}: killed after {after} ms: {killed}");
    let dir = last.to_str().unwrap();
    let release = run(&mut account.ecsdeploy(&["lock", "release", "--env", "stage", "--force", "-f", dir]));
    assert_eq!(release.code, 0, "{}", release.transcript());
    let recovered = up(&account, last);
    assert_eq!(recovered.code, 0, "seed {seed} (killed after {after} ms): {}", recovered.transcript());
    let plan = run(&mut account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f", dir]));
    assert_eq!(plan.code, 0, "seed {seed}: {}", plan.transcript());
    assert_eq!(records_in_progress(&config, "stage").await, Vec::<String>::new(), "seed {seed}");
    // Every service with a history runs a revision that passed a gate: nothing live went
    // unverified. (A brand-new service whose first run was killed between CreateService and its
    // first record has no history to tell: the gap the closing note of issue 13 names.)
    for service in support::SERVICES {
        let running = support::stage::running_task_definition(&config, &format!("stage-{service}")).await;
        let records = support::stage::stage_records(&config, service).await;
        let passed =
            records.iter().any(|record| record["task_definition"] == running && record["outcome"] == "succeeded");
        assert!(
            passed || records.is_empty(),
            "seed {seed} (killed after {after} ms): {service} runs {running}, never gated: {records:?}"
        );
    }
    let state = inventory(&config).await;
    for (kind, names) in &baseline {
        assert_eq!(state.get(kind), Some(names), "seed {seed} (killed after {after} ms): {kind}");
    }
    assert_eq!(state.len(), baseline.len(), "seed {seed}");
}

fn seeds(default: &[u64]) -> Vec<u64> {
    match std::env::var("ECSDEPLOY_KILL_SEEDS") {
        Ok(text) => text.split(',').filter_map(|seed| seed.trim().parse().ok()).collect(),
        Err(_) => default.to_vec(),
    }
}

#[tokio::test]
async fn a_first_up_killed_at_a_random_moment_recovers_to_a_clean_state() {
    let manifest = root();
    for seed in seeds(&[11, 12]) {
        killed_then_recovered(seed, &[manifest.as_path()]).await;
    }
}

#[tokio::test]
async fn a_change_killed_at_a_random_moment_recovers_to_a_clean_state() {
    let (original, changed) = (root(), auth_logging_at("debug"));
    for seed in seeds(&[21, 22]) {
        killed_then_recovered(seed, &[original.as_path(), changed.path()]).await;
    }
}
