//! The rollout runner over the in-memory fake with paused time: what is recorded in the history,
//! where a failed rollout goes back to (the last good revision, never "N-1" and never a
//! deregistered one), a rollback that fails too, an interrupt, and `--no-rollback`.

use crate::fake::FakeCloud;
use ecsdeploy::history::{DeployRecord, HistoryScope, Outcome, RecordKind};
use ecsdeploy::http_check::HttpCheck;
use ecsdeploy::rollout::runner::{Deployer, GateTimings, Rollout, RolloutEvent, Runner, ServiceOutcome};
use ecsdeploy::rollout::{DeploymentView, Failure, HttpResult, ServiceObservation, TargetView};
use std::sync::Mutex;
use std::time::Duration;

fn td(revision: u32) -> String {
    format!("arn:aws:ecs:us-east-1:1:task-definition/stage-auth:{revision}")
}

/// Answers the scripted statuses in order (the last repeats).
struct ScriptedHttp(Mutex<Vec<u16>>);

impl HttpCheck for ScriptedHttp {
    async fn get(&self, _url: &str) -> HttpResult {
        let mut script = self.0.lock().unwrap();
        let status = if script.len() > 1 { script.remove(0) } else { script[0] };
        HttpResult::Status(status)
    }
}

fn rollout(task_definition: &str, previous: Option<&str>) -> Rollout {
    Rollout {
        service: "auth".into(),
        full_name: "stage-auth".into(),
        cluster: "acme".into(),
        target_group_arn: Some("arn:tg".into()),
        deployment_id: "ecs-svc/new".into(),
        task_definition: task_definition.into(),
        previous_task_definition: previous.map(str::to_string),
        image_digests: vec!["1.dkr.ecr.us-east-1.amazonaws.com/acme/auth@sha256:ab".into()],
        secret_versions: Default::default(),
        config_hash: "hash".into(),
        http_url: Some("http://stand-in/stage/auth/health".into()),
        timings: GateTimings {
            deadline: Duration::from_secs(600),
            interval: Duration::from_secs(5),
            grace_period: Duration::from_secs(30),
            matcher: "200-299".into(),
            healthy_threshold: 2,
            unhealthy_threshold: 3,
        },
        kind: RecordKind::Deploy,
    }
}

fn observed(
    deployment: &str,
    task_definition: &str,
    state: &str,
    target: &str,
) -> (ServiceObservation, Vec<TargetView>) {
    let view = DeploymentView {
        id: deployment.into(),
        status: "PRIMARY".into(),
        task_definition: task_definition.into(),
        rollout_state: state.into(),
        rollout_state_reason: if state == "FAILED" { "circuit breaker".into() } else { String::new() },
        desired_count: 1,
        running_count: if state == "COMPLETED" { 1 } else { 0 },
        failed_tasks: 0,
    };
    let service = ServiceObservation {
        deployments: vec![view],
        task_definition: task_definition.into(),
        desired_count: 1,
        running_count: 1,
        events: Vec::new(),
    };
    let targets = vec![TargetView { id: "10.0.10.7".into(), port: 8080, state: target.into(), reason: String::new() }];
    (service, targets)
}

/// The rollback's deployment as the fake names it.
fn rollback_id(task_definition: &str) -> String {
    format!("ecs-svc/rollback-{task_definition}")
}

fn record(id: &str, task_definition: &str, outcome: Outcome) -> DeployRecord {
    DeployRecord {
        id: id.into(),
        service: "auth".into(),
        kind: RecordKind::Deploy,
        started_at: "2026-11-01T00:00:00Z".into(),
        finished_at: Some("2026-11-01T00:05:00Z".into()),
        operator: "someone".into(),
        git_commit: None,
        task_definition: task_definition.into(),
        image_digests: Vec::new(),
        secret_versions: Default::default(),
        config_hash: String::new(),
        outcome,
        reason: None,
        deployment_id: None,
        run: None,
    }
}

fn scope() -> HistoryScope {
    HistoryScope::new("acme", "stage")
}

type Script = Vec<(ServiceObservation, Vec<TargetView>)>;

/// A fake with `history` (newest first) and the gate's observations of stage-auth: `script`
/// for the rollout, and once a revision is deployed again (a rollback), `after` (the last
/// observation of each repeats).
fn fake(history: Vec<DeployRecord>, script: Script) -> FakeCloud {
    let (script, after) =
        match script.iter().position(|(service, _)| service.deployments[0].id.starts_with("ecs-svc/rollback-")) {
            Some(split) => (script[..split].to_vec(), script[split..].to_vec()),
            None => (script, Vec::new()),
        };
    let fake = FakeCloud::with_account("123456789012");
    fake.history.lock().unwrap().insert(scope().partition("auth"), history);
    fake.observations.lock().unwrap().insert("stage-auth".into(), script);
    if !after.is_empty() {
        fake.observations_after_deploy.lock().unwrap().insert("stage-auth".into(), after);
    }
    fake
}

struct Result {
    outcome: ServiceOutcome,
    events: Vec<RolloutEvent>,
    history: Vec<DeployRecord>,
    calls: Vec<String>,
}

async fn run(
    fake: &FakeCloud,
    rollout: &Rollout,
    http: Vec<u16>,
    roll_back: bool,
    interrupt_after: Option<Duration>,
) -> Result {
    let http = ScriptedHttp(Mutex::new(http));
    let scope = scope();
    let deployer = Deployer { operator: "tester".into(), git_commit: Some("abc123".into()), run: None };
    let events = Mutex::new(Vec::new());
    let report = |event: RolloutEvent| events.lock().unwrap().push(event);
    let clock = Mutex::new(1_800_000_000_000u128);
    let now = || {
        let mut millis = clock.lock().unwrap();
        *millis += 1000;
        (format!("t{millis}"), *millis)
    };
    let runner = Runner { cloud: fake, http: &http, history: &scope, deployer: &deployer, report: &report, now: &now };
    let interrupted = async move {
        match interrupt_after {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending::<()>().await,
        }
    };
    let outcome = runner.run(rollout, roll_back, interrupted).await.unwrap();
    let history = fake.history.lock().unwrap().get(&scope.partition("auth")).cloned().unwrap_or_default();
    Result { outcome, events: events.into_inner().unwrap(), history, calls: fake.calls() }
}

fn deploys(calls: &[String]) -> Vec<&String> {
    calls.iter().filter(|call| call.starts_with("deploy ")).collect()
}

#[tokio::test(start_paused = true)]
async fn a_healthy_rollout_is_recorded_as_succeeded() {
    let fake = fake(
        vec![],
        vec![
            observed("ecs-svc/new", &td(2), "IN_PROGRESS", "initial"),
            observed("ecs-svc/new", &td(2), "COMPLETED", "healthy"),
        ],
    );
    let result = run(&fake, &rollout(&td(2), None), vec![200], true, None).await;
    assert_eq!(result.outcome, ServiceOutcome::Passed { task_definition: td(2) });
    assert_eq!(result.history.len(), 1);
    let record = &result.history[0];
    assert_eq!(
        (record.kind, record.outcome, record.task_definition.as_str()),
        (RecordKind::Deploy, Outcome::Succeeded, td(2).as_str())
    );
    assert_eq!(record.git_commit.as_deref(), Some("abc123"));
    assert_eq!(record.image_digests.len(), 1);
    assert!(record.finished_at.is_some());
    assert!(deploys(&result.calls).is_empty(), "{:?}", result.calls);
    assert!(result.events.iter().any(|event| matches!(event, RolloutEvent::Progress { .. })));
}

#[tokio::test(start_paused = true)]
async fn a_failed_rollout_goes_back_to_the_last_good_revision_not_the_previous_number() {
    // td:3 failed before (rolled back), td:1 is the last good one; the new td:4 fails too.
    let history = vec![
        record("0000000000003-aaaaaa", &td(3), Outcome::RolledBack),
        record("0000000000001-aaaaaa", &td(1), Outcome::Succeeded),
    ];
    let script = vec![
        observed("ecs-svc/new", &td(4), "FAILED", "initial"),
        observed(&rollback_id(&td(1)), &td(1), "COMPLETED", "healthy"),
    ];
    let fake = fake(history, script);
    let result = run(&fake, &rollout(&td(4), Some(&td(3))), vec![200], true, None).await;
    assert!(
        matches!(&result.outcome, ServiceOutcome::RolledBack { to, failure: Failure::DeploymentFailed { .. } } if *to == td(1)),
        "{:?}",
        result.outcome
    );
    assert_eq!(deploys(&result.calls), [&format!("deploy stage-auth {}", td(1))]);
    // Newest first: the rollback (succeeded), then the failed deploy (rolled back).
    assert_eq!((result.history[0].kind, result.history[0].outcome), (RecordKind::Rollback, Outcome::Succeeded));
    assert_eq!(result.history[0].task_definition, td(1));
    assert_eq!((result.history[1].kind, result.history[1].outcome), (RecordKind::Deploy, Outcome::RolledBack));
    assert!(result.history[1].reason.as_deref().unwrap_or_default().contains("deployment failed"));
}

#[tokio::test(start_paused = true)]
async fn a_deregistered_good_revision_is_skipped() {
    let history = vec![
        record("0000000000002-aaaaaa", &td(2), Outcome::Succeeded),
        record("0000000000001-aaaaaa", &td(1), Outcome::Succeeded),
    ];
    let script = vec![
        observed("ecs-svc/new", &td(3), "FAILED", "initial"),
        observed(&rollback_id(&td(1)), &td(1), "COMPLETED", "healthy"),
    ];
    let mut fake = fake(history, script);
    fake.inactive_revisions = vec![td(2)];
    let result = run(&fake, &rollout(&td(3), Some(&td(2))), vec![200], true, None).await;
    assert!(matches!(&result.outcome, ServiceOutcome::RolledBack { to, .. } if *to == td(1)), "{:?}", result.outcome);
}

#[tokio::test(start_paused = true)]
async fn the_first_gated_deploy_of_a_running_service_can_go_back_to_what_ran_before() {
    let script = vec![
        observed("ecs-svc/new", &td(2), "COMPLETED", "unhealthy"),
        observed(&rollback_id(&td(1)), &td(1), "COMPLETED", "healthy"),
    ];
    let fake = fake(vec![], script);
    let result = run(&fake, &rollout(&td(2), Some(&td(1))), vec![200], true, None).await;
    assert!(
        matches!(&result.outcome, ServiceOutcome::RolledBack { to, failure: Failure::TargetsUnhealthy { .. } } if *to == td(1)),
        "{:?}",
        result.outcome
    );
    let baseline = result.history.iter().find(|record| record.kind == RecordKind::Baseline).expect("a baseline record");
    assert_eq!((baseline.task_definition.as_str(), baseline.outcome), (td(1).as_str(), Outcome::Succeeded));
}

#[tokio::test(start_paused = true)]
async fn with_nowhere_good_to_go_the_rollback_fails() {
    let fake = fake(vec![], vec![observed("ecs-svc/new", &td(1), "FAILED", "initial")]);
    let result = run(&fake, &rollout(&td(1), None), vec![200], true, None).await;
    assert!(
        matches!(&result.outcome, ServiceOutcome::RollbackFailed { reason, .. } if reason.contains("no earlier good revision")),
        "{:?}",
        result.outcome
    );
    assert_eq!(result.history[0].outcome, Outcome::RollbackFailed);
    assert!(deploys(&result.calls).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_rollback_that_fails_its_own_gate_is_reported() {
    let history = vec![record("0000000000001-aaaaaa", &td(1), Outcome::Succeeded)];
    // The HTTP check fails for the new revision and for the rollback.
    let script = vec![
        observed("ecs-svc/new", &td(2), "COMPLETED", "healthy"),
        observed(&rollback_id(&td(1)), &td(1), "COMPLETED", "healthy"),
    ];
    let fake = fake(history, script);
    let result = run(&fake, &rollout(&td(2), Some(&td(1))), vec![503], true, None).await;
    assert!(
        matches!(&result.outcome, ServiceOutcome::RollbackFailed { failure: Failure::HttpCheckFailing { .. }, reason } if reason.contains("rollback failed its gate")),
        "{:?}",
        result.outcome
    );
    assert_eq!((result.history[0].kind, result.history[0].outcome), (RecordKind::Rollback, Outcome::RollbackFailed));
    assert_eq!(result.history[1].outcome, Outcome::RollbackFailed);
}

#[tokio::test(start_paused = true)]
async fn an_http_check_that_recovers_after_the_rollback_passes_it() {
    let history = vec![record("0000000000001-aaaaaa", &td(1), Outcome::Succeeded)];
    let script = vec![
        observed("ecs-svc/new", &td(2), "COMPLETED", "healthy"),
        observed(&rollback_id(&td(1)), &td(1), "COMPLETED", "healthy"),
    ];
    let fake = fake(history, script);
    let result = run(&fake, &rollout(&td(2), Some(&td(1))), vec![503, 503, 503, 200], true, None).await;
    assert!(
        matches!(&result.outcome, ServiceOutcome::RolledBack { failure: Failure::HttpCheckFailing { .. }, .. }),
        "{:?}",
        result.outcome
    );
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_rolls_back_what_the_run_started() {
    let history = vec![record("0000000000001-aaaaaa", &td(1), Outcome::Succeeded)];
    let script = vec![
        observed("ecs-svc/new", &td(2), "IN_PROGRESS", "initial"),
        observed(&rollback_id(&td(1)), &td(1), "COMPLETED", "healthy"),
    ];
    let fake = fake(history, script);
    let result = run(&fake, &rollout(&td(2), Some(&td(1))), vec![200], true, Some(Duration::from_secs(12))).await;
    assert!(
        matches!(&result.outcome, ServiceOutcome::RolledBack { failure: Failure::Interrupted, to } if *to == td(1)),
        "{:?}",
        result.outcome
    );
}

#[tokio::test(start_paused = true)]
async fn no_rollback_leaves_the_failure_as_it_is() {
    let history = vec![record("0000000000001-aaaaaa", &td(1), Outcome::Succeeded)];
    let fake = fake(history, vec![observed("ecs-svc/new", &td(2), "FAILED", "initial")]);
    let result = run(&fake, &rollout(&td(2), Some(&td(1))), vec![200], false, None).await;
    assert!(matches!(result.outcome, ServiceOutcome::Failed { .. }), "{:?}", result.outcome);
    assert!(deploys(&result.calls).is_empty());
    assert_eq!(result.history[0].outcome, Outcome::Failed);
}

#[tokio::test(start_paused = true)]
async fn a_rollback_never_goes_to_the_revision_that_failed() {
    // The only good record runs the very revision that now fails (a settings-only change).
    let history = vec![record("0000000000001-aaaaaa", &td(1), Outcome::Succeeded)];
    let fake = fake(history, vec![observed("ecs-svc/new", &td(1), "FAILED", "initial")]);
    let result = run(&fake, &rollout(&td(1), Some(&td(1))), vec![200], true, None).await;
    assert!(matches!(result.outcome, ServiceOutcome::RollbackFailed { .. }), "{:?}", result.outcome);
    assert!(deploys(&result.calls).is_empty(), "{:?}", result.calls);
}

#[tokio::test(start_paused = true)]
async fn a_revision_left_running_by_a_failed_deploy_is_not_taken_as_a_good_baseline() {
    let history = vec![record("0000000000001-aaaaaa", &td(1), Outcome::RollbackFailed)];
    let fake = fake(history, vec![observed("ecs-svc/new", &td(2), "FAILED", "initial")]);
    let result = run(&fake, &rollout(&td(2), Some(&td(1))), vec![200], true, None).await;
    assert!(matches!(result.outcome, ServiceOutcome::RollbackFailed { .. }), "{:?}", result.outcome);
    assert!(result.history.iter().all(|record| record.kind != RecordKind::Baseline));
}

#[tokio::test(start_paused = true)]
async fn a_deployment_someone_else_started_is_not_rolled_back_over() {
    let history = vec![record("0000000000001-aaaaaa", &td(1), Outcome::Succeeded)];
    let fake = fake(history, vec![observed("ecs-svc/theirs", &td(3), "IN_PROGRESS", "initial")]);
    let result = run(&fake, &rollout(&td(2), Some(&td(1))), vec![200], true, None).await;
    assert!(
        matches!(result.outcome, ServiceOutcome::Failed { failure: Failure::Superseded { .. } }),
        "{:?}",
        result.outcome
    );
    assert!(deploys(&result.calls).is_empty());
}
