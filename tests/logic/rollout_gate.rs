//! Every path of the health gate, through the real poll loop with paused time and scripted
//! observations: success, a FAILED deployment, ECS's circuit-breaker rollback, unhealthy targets,
//! a failing HTTP check, the deadline and an interrupt.

use ecsdeploy::rollout::gate::status_matches;
use ecsdeploy::rollout::wait::wait_for_rollout;
use ecsdeploy::rollout::{
    DeploymentView, Failure, GateSettings, HttpResult, Observation, ServiceEvent, ServiceObservation, Stage,
    TargetView, Verdict,
};
use std::sync::Mutex;
use std::time::Duration;

const NEW: &str = "arn:aws:ecs:us-east-1:1:task-definition/stage-auth:2";
const OLD: &str = "arn:aws:ecs:us-east-1:1:task-definition/stage-auth:1";

fn settings(http_check: bool) -> GateSettings {
    GateSettings {
        deployment_id: "ecs-svc/2".into(),
        task_definition: NEW.into(),
        previous_task_definition: Some(OLD.into()),
        deadline: Duration::from_secs(600),
        grace_period: Duration::from_secs(30),
        http_url: http_check.then(|| "https://stage.api.acme.example/stage/auth/health".to_string()),
        matcher: "200-299".into(),
        healthy_threshold: 2,
        unhealthy_threshold: 3,
    }
}

fn deployment(id: &str, status: &str, task_definition: &str, state: &str, running: i64) -> DeploymentView {
    DeploymentView {
        id: id.into(),
        status: status.into(),
        task_definition: task_definition.into(),
        rollout_state: state.into(),
        rollout_state_reason: if state == "FAILED" {
            "ECS deployment circuit breaker: tasks failed to start.".into()
        } else {
            String::new()
        },
        desired_count: 1,
        running_count: running,
        failed_tasks: 0,
    }
}

fn target(state: &str) -> TargetView {
    TargetView { id: "10.0.10.7".into(), port: 8080, state: state.into(), reason: String::new() }
}

fn observation(deployments: Vec<DeploymentView>, targets: Vec<TargetView>, http: Option<HttpResult>) -> Observation {
    let events = vec![ServiceEvent {
        id: format!("e{}", deployments.len()),
        created_at: String::new(),
        message: "(service stage-auth) has started 1 tasks.".into(),
    }];
    Observation {
        service: ServiceObservation {
            deployments,
            task_definition: NEW.into(),
            desired_count: 1,
            running_count: 1,
            events,
        },
        targets,
        http,
    }
}

fn in_progress() -> Observation {
    observation(
        vec![
            deployment("ecs-svc/2", "PRIMARY", NEW, "IN_PROGRESS", 0),
            deployment("ecs-svc/1", "ACTIVE", OLD, "COMPLETED", 1),
        ],
        vec![target("initial")],
        None,
    )
}

fn completed(target_state: &str, http: Option<HttpResult>) -> Observation {
    observation(vec![deployment("ecs-svc/2", "PRIMARY", NEW, "COMPLETED", 1)], vec![target(target_state)], http)
}

/// Runs the loop over `script` (the last observation repeats) and returns the verdict, the
/// number of observations made and the paused-clock time it took.
async fn run(
    settings: &GateSettings,
    script: Vec<Observation>,
    interrupt_after: Option<Duration>,
) -> (Verdict, usize, Duration) {
    let index = Mutex::new(0usize);
    let started = tokio::time::Instant::now();
    let interrupted = async move {
        match interrupt_after {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending::<()>().await,
        }
    };
    let verdict = wait_for_rollout(
        settings,
        Duration::from_secs(5),
        || {
            let mut next = index.lock().unwrap();
            let observation = script[(*next).min(script.len() - 1)].clone();
            *next += 1;
            async move { Ok(observation) }
        },
        interrupted,
        &|_| {},
    )
    .await
    .unwrap();
    let polls = *index.lock().unwrap();
    (verdict, polls, started.elapsed())
}

#[tokio::test(start_paused = true)]
async fn passes_when_deployed_healthy_and_answering() {
    let ok = Some(HttpResult::Status(200));
    let script = vec![
        in_progress(),
        in_progress(),
        completed("initial", None),
        completed("healthy", ok.clone()),
        completed("healthy", ok),
    ];
    let (verdict, polls, elapsed) = run(&settings(true), script, None).await;
    assert_eq!(verdict, Verdict::Passed);
    assert_eq!(polls, 5, "two consecutive HTTP successes");
    assert_eq!(elapsed, Duration::from_secs(20));
}

#[tokio::test(start_paused = true)]
async fn passes_without_an_http_check_once_targets_are_healthy() {
    let (verdict, polls, _) = run(&settings(false), vec![in_progress(), completed("healthy", None)], None).await;
    assert_eq!((verdict, polls), (Verdict::Passed, 2));
}

#[tokio::test(start_paused = true)]
async fn fails_when_the_deployment_fails() {
    let failed = observation(vec![deployment("ecs-svc/2", "PRIMARY", NEW, "FAILED", 0)], vec![], None);
    let (verdict, ..) = run(&settings(true), vec![in_progress(), failed], None).await;
    assert!(
        matches!(verdict, Verdict::Failed(Failure::DeploymentFailed { ref reason }) if reason.contains("circuit breaker")),
        "{verdict:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_circuit_breaker_rollback_is_never_a_success() {
    // ECS's rollback: a new PRIMARY running the old revision completes, ours is gone or FAILED.
    let rolled_back = observation(
        vec![
            deployment("ecs-svc/3", "PRIMARY", OLD, "COMPLETED", 1),
            deployment("ecs-svc/2", "ACTIVE", NEW, "IN_PROGRESS", 0),
        ],
        vec![target("healthy")],
        Some(HttpResult::Status(200)),
    );
    let (verdict, ..) = run(&settings(true), vec![in_progress(), rolled_back], None).await;
    assert_eq!(verdict, Verdict::Failed(Failure::RolledBackByEcs { task_definition: OLD.into() }));
}

#[tokio::test(start_paused = true)]
async fn another_runs_deployment_taking_over_is_superseded_not_rolled_back_by_ecs() {
    const OTHER: &str = "arn:aws:ecs:us-east-1:1:task-definition/stage-auth:3";
    let taken_over = observation(
        vec![
            deployment("ecs-svc/3", "PRIMARY", OTHER, "IN_PROGRESS", 0),
            deployment("ecs-svc/2", "ACTIVE", NEW, "COMPLETED", 1),
        ],
        vec![target("healthy")],
        None,
    );
    let (verdict, ..) = run(&settings(true), vec![in_progress(), taken_over], None).await;
    assert_eq!(
        verdict,
        Verdict::Failed(Failure::Superseded { deployment: "ecs-svc/3".into(), task_definition: OTHER.into() })
    );
}

#[tokio::test(start_paused = true)]
async fn a_deployment_not_visible_yet_is_waited_for() {
    // DescribeServices may lag behind UpdateService: only the old deployment at first.
    let before =
        observation(vec![deployment("ecs-svc/1", "PRIMARY", NEW, "COMPLETED", 1)], vec![target("healthy")], None);
    let ok = Some(HttpResult::Status(200));
    let script = vec![before, in_progress(), completed("healthy", ok.clone()), completed("healthy", ok)];
    let (verdict, polls, _) = run(&settings(true), script, None).await;
    assert_eq!((verdict, polls), (Verdict::Passed, 4));
}

#[tokio::test(start_paused = true)]
async fn http_successes_count_only_in_a_row_with_healthy_targets() {
    let ok = Some(HttpResult::Status(200));
    // One success, then a target turns unhealthy (within the grace period), then healthy again:
    // the earlier success does not count towards the two in a row.
    let script = vec![
        completed("healthy", ok.clone()),
        completed("unhealthy", None),
        completed("healthy", ok.clone()),
        completed("healthy", ok),
    ];
    let (verdict, polls, _) = run(&settings(true), script, None).await;
    assert_eq!((verdict, polls), (Verdict::Passed, 4));
}

#[tokio::test(start_paused = true)]
async fn a_target_that_appears_later_gets_its_own_grace_period() {
    let second =
        |state: &str| TargetView { id: "10.0.11.9".into(), port: 8080, state: state.into(), reason: String::new() };
    let with = |state: &str, http: Option<HttpResult>| {
        observation(
            vec![deployment("ecs-svc/2", "PRIMARY", NEW, "COMPLETED", 1)],
            vec![target("healthy"), second(state)],
            http,
        )
    };
    let ok = Some(HttpResult::Status(200));
    // Completed at 0 s; a second task (a scale-out) registers at 20 s and is healthy at 50 s:
    // past the first target's grace period, within its own.
    let mut script = vec![completed("healthy", None); 4];
    script.extend(vec![with("initial", None); 6]);
    script.extend([with("healthy", ok.clone()), with("healthy", ok)]);
    let (verdict, polls, elapsed) = run(&settings(true), script, None).await;
    assert_eq!((verdict, polls, elapsed), (Verdict::Passed, 12, Duration::from_secs(55)));
}

#[tokio::test(start_paused = true)]
async fn fails_when_targets_stay_unhealthy_past_the_grace_period() {
    let (verdict, polls, elapsed) = run(&settings(true), vec![in_progress(), completed("unhealthy", None)], None).await;
    assert!(matches!(verdict, Verdict::Failed(Failure::TargetsUnhealthy { .. })), "{verdict:?}");
    // Completed at 5 s; unhealthy until more than 30 s later.
    assert_eq!(elapsed, Duration::from_secs(40));
    assert_eq!(polls, 9);
}

#[tokio::test(start_paused = true)]
async fn fails_when_the_http_check_keeps_failing() {
    let failing = completed("healthy", Some(HttpResult::Status(503)));
    let (verdict, polls, _) = run(&settings(true), vec![in_progress(), failing], None).await;
    assert_eq!(
        verdict,
        Verdict::Failed(Failure::HttpCheckFailing {
            url: "https://stage.api.acme.example/stage/auth/health".into(),
            last: "HTTP 503".into(),
        })
    );
    assert_eq!(polls, 4, "three failures in a row after the deployment completed");
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_service_counts_as_failing() {
    let failing = completed("healthy", Some(HttpResult::Unreachable("connection refused".into())));
    let (verdict, ..) = run(&settings(true), vec![failing], None).await;
    assert_eq!(
        verdict,
        Verdict::Failed(Failure::HttpCheckFailing {
            url: "https://stage.api.acme.example/stage/auth/health".into(),
            last: "connection refused".into(),
        })
    );
}

#[tokio::test(start_paused = true)]
async fn fails_at_the_deadline() {
    let mut settings = settings(true);
    settings.deadline = Duration::from_secs(60);
    let (verdict, _, elapsed) = run(&settings, vec![in_progress()], None).await;
    assert_eq!(verdict, Verdict::Failed(Failure::Deadline { stage: Stage::Deploying }));
    assert_eq!(elapsed, Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_stops_the_wait() {
    let (verdict, polls, elapsed) = run(&settings(true), vec![in_progress()], Some(Duration::from_secs(12))).await;
    assert_eq!(verdict, Verdict::Failed(Failure::Interrupted));
    assert_eq!((polls, elapsed), (3, Duration::from_secs(12)));
}

#[test]
fn matchers() {
    assert!(status_matches("200-299", 204));
    assert!(!status_matches("200-299", 302));
    assert!(status_matches("200,302", 302));
    assert!(!status_matches("200", 500));
}
