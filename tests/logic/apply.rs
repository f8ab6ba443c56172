//! Apply through the in-memory fake: it carries out exactly the plan, in dependency order, and
//! after a failure starts nothing new.

use crate::fake::FakeCloud;
use ecsdeploy::actual::ActualState;
use ecsdeploy::actual::EnvironmentReader;
use ecsdeploy::actual::scope::ReadScope;
use ecsdeploy::apply::{self, ApplyEvent};
use ecsdeploy::checked;
use ecsdeploy::cloud::CloudErrorKind;
use ecsdeploy::desired::{self, Context, DesiredEnvironment, Reference};
use ecsdeploy::plan::address::{Address, ServicePart};
use ecsdeploy::plan::{Action, Goal, plan};

fn setup() -> (DesiredEnvironment, ReadScope, FakeCloud) {
    let checked = checked::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let environment = checked.manifest.environment("stage").unwrap();
    let desired =
        desired::build(&checked.manifest, environment, &Context::new("us-east-1", Some("123456789012".into())));
    let scope = ReadScope::new(&checked.manifest, environment, &desired);
    let mut state = ActualState::default();
    state.values.set(&Reference::Vpc, "vpc-1");
    state.values.set_many(&Reference::PublicSubnets, vec!["subnet-a".into(), "subnet-b".into()]);
    state.values.set_many(&Reference::PrivateSubnets, vec!["subnet-c".into()]);
    let cloud = FakeCloud::with_account("123456789012");
    *cloud.state.lock().unwrap() = state;
    // Every other reference is known up front here.
    cloud.know_references_of(&desired);
    (desired, scope, cloud)
}

#[tokio::test]
async fn apply_then_plan_again_is_empty() {
    let (desired, scope, cloud) = setup();
    let actual = cloud.read(&scope).await.unwrap();
    let first = plan(&desired, &actual, Goal::Converge).unwrap();
    assert!(first.has_changes());
    let outcome = apply::apply(&cloud, &first, 4, &|_| {}).await;
    assert!(outcome.failed().is_empty(), "{:?}", outcome.failed());
    assert_eq!(outcome.steps.len(), first.changes.len());
    let again = plan(&desired, &cloud.read(&scope).await.unwrap(), Goal::Converge).unwrap();
    assert!(
        !again.has_changes(),
        "{:#?}",
        again.changes.iter().filter(|c| c.action() != Action::NoOp).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn each_service_is_created_in_dependency_order() {
    let (desired, scope, cloud) = setup();
    let actual = cloud.read(&scope).await.unwrap();
    let plan = plan(&desired, &actual, Goal::Converge).unwrap();
    apply::apply(&cloud, &plan, 2, &|_| {}).await;
    let calls = cloud.calls();
    let position =
        |call: &str| calls.iter().position(|c| c == call).unwrap_or_else(|| panic!("{call} not in {calls:?}"));
    assert!(position("create load_balancer") < position("create listener.443"));
    assert!(position("create listener.443") < position("create service.auth.listener_rule"));
    for service in ["auth", "gmail", "calendar", "ai-router"] {
        let order = [
            "log_group",
            "execution_role",
            "task_definition",
            "target_group",
            "listener_rule",
            "ecs_service",
            "scalable_target",
        ];
        let positions: Vec<usize> =
            order.iter().map(|part| position(&format!("create service.{service}.{part}"))).collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{service}: {positions:?}");
    }
    assert!(position("create dns_record.stage.api.acme.example.") > position("create service.auth.ecs_service"));
}

#[tokio::test]
async fn a_failure_stops_new_steps_and_is_reported() {
    let (desired, scope, mut cloud) = setup();
    let failing = Address::service("auth", ServicePart::TargetGroup);
    cloud.failing_changes.insert(failing.clone(), CloudErrorKind::AccessDenied { message: "no".into() });
    let actual = cloud.read(&scope).await.unwrap();
    let plan = plan(&desired, &actual, Goal::Converge).unwrap();
    let events = std::sync::Mutex::new(Vec::new());
    let outcome = apply::apply(&cloud, &plan, 1, &|event| {
        if let ApplyEvent::Finished(step) = event {
            events.lock().unwrap().push(step.address.to_string());
        }
    })
    .await;
    let failed = outcome.failed();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].address, failing);
    assert!(failed[0].error.as_deref().unwrap().contains("access denied"));
    let calls = cloud.calls();
    assert!(!calls.contains(&"create service.auth.ecs_service".to_string()), "nothing after the failure: {calls:?}");
    assert!(!calls.iter().any(|call| call.starts_with("create dns_record")), "{calls:?}");
    assert!(outcome.steps.len() < plan.changes.len());
    assert_eq!(events.lock().unwrap().len(), outcome.steps.len());
}
