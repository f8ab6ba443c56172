//! The deploy lock's and the history's writes with their answer lost (the fault proxy's
//! `lost-answer`: DynamoDB did the write, the SDK sends it again): the run is neither refused by
//! its own lock nor told that its own record clashes, the history tells the truth, and the lock
//! ends released. Read with the SDK as a second client.

use crate::support;

use support::stage::{auth_logging_at as auth_at, stage_records, stored_lock};
use support::{prepared_account, root, run};

async fn lock_released(config: &aws_config::SdkConfig) -> bool {
    stored_lock(config).await.is_some_and(|(released, _)| released)
}

/// The first `up` of stage with the answer to the lock's PutItem lost: the retry finds the lock
/// holding this run's token and takes it; not knowing what it replaced, the run plans again.
#[tokio::test]
async fn a_lost_answer_to_taking_the_lock_does_not_turn_the_run_away() {
    let (account, config) = prepared_account().await;
    let faulty = account.behind_fault_proxy();
    faulty.set_faults(serde_json::json!([{"operation": "PutItem", "fault": "lost-answer", "times": 1}]));
    let up = run(faulty.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    assert!(up.stderr.contains("the answer to taking the deploy lock of stage was lost"), "{}", up.stderr);
    let lost: Vec<_> = faulty.proxied_requests().into_iter().filter(|request| request.fault.is_some()).collect();
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert!(lock_released(&config).await);
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(plan.code, 0, "{}", plan.transcript());
}

/// A change of auth: its PutItems are the lock (1st), the record's creation (2nd), its finish
/// (3rd) and the lock's release (4th). Each in turn loses its answer; every run ends green with
/// the record finished as succeeded and the lock released.
#[tokio::test]
async fn lost_answers_to_the_history_and_the_release_leave_the_truth_behind() {
    let (account, config) = prepared_account().await;
    let first = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(first.code, 0, "{}", first.transcript());
    let faulty = account.behind_fault_proxy();
    for (after, level, what) in
        [(1, "debug", "creating the record"), (2, "warn", "finishing it"), (3, "error", "the release")]
    {
        let manifest = auth_at(level);
        faulty.set_faults(
            serde_json::json!([{"operation": "PutItem", "fault": "lost-answer", "after": after, "times": 1}]),
        );
        let up =
            run(&mut faulty.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", manifest.path().to_str().unwrap()]));
        assert_eq!(up.code, 0, "{what}: {}", up.transcript());
        assert!(!up.stderr.contains("was lost during this run"), "{what}: {}", up.stderr);
        let fired = faulty.proxied_requests().into_iter().filter(|request| request.fault.is_some()).count();
        assert!(fired >= 1, "{what}: the fault fired");
        let records = stage_records(&config, "auth").await;
        assert_eq!(records[0]["outcome"], "succeeded", "{what}: {}", records[0]);
        assert!(records.iter().all(|record| record["outcome"] != "in-progress"), "{what}: {records:?}");
        assert!(lock_released(&config).await, "{what}");
        faulty.set_faults(serde_json::json!([]));
    }
}
