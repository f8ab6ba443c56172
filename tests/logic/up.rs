//! The whole of `up` on the in-memory fake with paused time: from the manifest through plan,
//! apply, the deploy lock, the health gate, rollback and the history, the same code the binary
//! runs against AWS (`commands::change::change` over `Session<FakeCloud, FakeHttp>`).

use crate::fake::{FakeCloud, FakeHttp};
use clap::Parser;
use ecsdeploy::checked;
use ecsdeploy::cli::{Cli, Command, UpArgs};
use ecsdeploy::commands::change::change;
use ecsdeploy::deploy_lock::LockStore;
use ecsdeploy::exit_status::ExitStatus;
use ecsdeploy::history::{DeployRecord, HistoryScope, HistoryStore, Outcome, RecordKind};
use ecsdeploy::output::{ColorChoice, OutputFormat, Printer};
use ecsdeploy::plan::Goal;
use ecsdeploy::run::session::Session;

const SERVICES: [&str; 4] = ["auth", "gmail", "calendar", "ai-router"];

fn quiet() -> Printer {
    Printer::new(OutputFormat::Text, ColorChoice::Never, true)
}

fn up_args(extra: &[&str]) -> UpArgs {
    let mut words = vec!["ecsdeploy", "up", "--env", "stage", "--yes", "--poll-interval", "5s"];
    words.extend_from_slice(extra);
    match Cli::try_parse_from(words).unwrap().command {
        Command::Up(args) => args,
        other => panic!("{other:?}"),
    }
}

/// A stage account with the network, secrets and images the shipped manifest needs: the
/// prerequisites `up` reads but never makes.
fn world() -> FakeCloud {
    let fake = FakeCloud::with_account("123456789012");
    let mut state = fake.state.lock().unwrap();
    state.values.set(&ecsdeploy::desired::Reference::Vpc, "vpc-1");
    state.values.set_many(&ecsdeploy::desired::Reference::PublicSubnets, vec!["subnet-a".into(), "subnet-b".into()]);
    state.values.set_many(&ecsdeploy::desired::Reference::PrivateSubnets, vec!["subnet-c".into(), "subnet-d".into()]);
    drop(state);
    fake
}

/// Opens a session on the fake for stage, with `tags` deployed instead of the manifest's image
/// tags; the fake knows every reference the desired state needs (images' digests, secrets'
/// ARNs, the zone; what a step creates it mints anew when the step runs).
async fn session(fake: &FakeCloud, http: &FakeHttp, tags: &[(&str, &str)]) -> Session<FakeCloud, FakeHttp> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let checked = checked::load(root).unwrap();
    let mut session = Session::connect(
        checked,
        "stage",
        fake.clone(),
        Some(http.clone()),
        fake.api_calls.clone(),
        "us-east-1".into(),
        root,
        false,
    )
    .await
    .unwrap();
    if !tags.is_empty() {
        session.use_image_tags(&tags.iter().map(|(service, tag)| (service.to_string(), tag.to_string())).collect());
    }
    fake.know_references_of(&session.desired);
    session
}

fn records(fake: &FakeCloud, service: &str) -> Vec<DeployRecord> {
    let scope = HistoryScope::new("acme", "stage");
    fake.history.lock().unwrap().get(&scope.partition(service)).cloned().unwrap_or_default()
}

fn running(fake: &FakeCloud, service: &str) -> String {
    fake.services.lock().unwrap()[&format!("stage-{service}")].task_definition.clone()
}

fn revision(family: &str, number: u32) -> String {
    format!("arn:aws:ecs:us-east-1:123456789012:task-definition/stage-{family}:{number}")
}

async fn up(fake: &FakeCloud, http: &FakeHttp, tags: &[(&str, &str)], extra: &[&str]) -> ExitStatus {
    let args = up_args(extra);
    let mut session = session(fake, http, tags).await;
    change(&mut session, &args.change, Goal::Converge, Some(&args), &quiet()).await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_first_up_deploys_gates_and_records_every_service_and_a_second_changes_nothing() {
    let fake = world();
    let http = FakeHttp::answering(200);
    assert_eq!(up(&fake, &http, &[], &[]).await, ExitStatus::Success);

    for service in SERVICES {
        assert_eq!(running(&fake, service), revision(service, 1));
        let history = records(&fake, service);
        let newest = history.first().unwrap_or_else(|| panic!("{service} has no record"));
        assert_eq!((newest.kind, newest.outcome), (RecordKind::Deploy, Outcome::Succeeded), "{service}");
        assert_eq!(newest.task_definition, revision(service, 1));
        let deployment = fake.services.lock().unwrap()[&format!("stage-{service}")].deployment_id.clone();
        assert_eq!(newest.deployment_id.as_deref(), Some(deployment.as_str()), "the record names the gated deployment");
    }
    let asked = http.asked.lock().unwrap().clone();
    assert!(asked.iter().any(|url| url.ends_with("/stage/auth/health")), "the gate asked the app itself: {asked:?}");
    let lock = fake.lock_read(&HistoryScope::new("acme", "stage")).await.unwrap().unwrap();
    assert!(lock.released_epoch.is_some(), "the lock is released at the end: {lock:?}");

    let calls_before = fake.calls().len();
    assert_eq!(up(&fake, &http, &[], &[]).await, ExitStatus::Success);
    let second: Vec<String> = fake.calls()[calls_before..].to_vec();
    assert!(
        !second.iter().any(|call| ["create", "update", "delete", "deploy"].iter().any(|verb| call.starts_with(verb))),
        "a second up changes nothing: {second:?}"
    );
    for service in SERVICES {
        assert_eq!(running(&fake, service), revision(service, 1), "no new revision of {service}");
        assert_eq!(records(&fake, service).len(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn a_rollout_that_fails_its_gate_returns_to_the_last_good_revision_and_exits_3() {
    let fake = world();
    let http = FakeHttp::answering(200);
    assert_eq!(up(&fake, &http, &[], &[]).await, ExitStatus::Success);
    fake.broken_revisions.lock().unwrap().insert(revision("auth", 2));

    let status = up(&fake, &http, &[("auth", "v2-broken")], &["--rollout-timeout", "10m"]).await;

    assert_eq!(status, ExitStatus::RolledBack);
    assert_eq!(running(&fake, "auth"), revision("auth", 1), "auth runs its last good revision again");
    let history = records(&fake, "auth");
    // The newest two, in either order: on paused time both records can carry the same
    // millisecond, and then their IDs' random suffixes order them.
    let mut outcomes: Vec<(RecordKind, Outcome, &str)> =
        history[..2].iter().map(|record| (record.kind, record.outcome, record.task_definition.as_str())).collect();
    outcomes.sort_by_key(|(kind, _, _)| *kind == RecordKind::Deploy);
    assert_eq!(
        outcomes,
        [
            (RecordKind::Rollback, Outcome::Succeeded, revision("auth", 1).as_str()),
            (RecordKind::Deploy, Outcome::RolledBack, revision("auth", 2).as_str()),
        ],
        "{history:#?}"
    );
    assert_eq!(history.len(), 3, "the first deploy, the failed one, its rollback: {history:#?}");
    for service in ["gmail", "calendar", "ai-router"] {
        assert_eq!(records(&fake, service).len(), 1, "{service} was not touched");
    }
    let lock = fake.lock_read(&HistoryScope::new("acme", "stage")).await.unwrap().unwrap();
    assert!(lock.released_epoch.is_some());
    let unfinished: Vec<_> = SERVICES
        .iter()
        .flat_map(|service| records(&fake, service))
        .filter(|r| r.outcome == Outcome::InProgress)
        .collect();
    assert!(unfinished.is_empty(), "{unfinished:#?}");
}

#[tokio::test(start_paused = true)]
async fn another_runs_lock_refuses_up_before_any_change() {
    let fake = world();
    let http = FakeHttp::answering(200);
    let scope = HistoryScope::new("acme", "stage");
    let other = ecsdeploy::deploy_lock::LockRequest {
        environment: "stage".into(),
        owner: "bo".into(),
        command: "up".into(),
        git_commit: None,
        message: None,
        ttl: std::time::Duration::from_secs(120),
    };
    let now = ecsdeploy::deploy_lock::now_epoch();
    fake.lock_acquire(&scope, &other.holding(now), now).await.unwrap();
    let args = up_args(&[]);
    let mut session = session(&fake, &http, &[]).await;
    let refused = change(&mut session, &args.change, Goal::Converge, Some(&args), &quiet()).await;
    assert!(matches!(refused, Err(ecsdeploy::commands::CommandError::Locked(_))), "{refused:?}");
    assert!(!fake.calls().iter().any(|call| call.starts_with("create")), "{:?}", fake.calls());
    assert!(fake.services.lock().unwrap().is_empty());
    let _ = fake.history_list(&scope, "auth").await.unwrap();
}
