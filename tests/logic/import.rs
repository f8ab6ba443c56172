//! `import`'s adoption over the fake: every resource tagged, or, when one tag cannot be added
//! (or the lock is lost), the tags added so far taken off again.

use crate::fake::FakeCloud;
use ecsdeploy::checked;
use ecsdeploy::cloud::{CloudError, CloudErrorKind};
use ecsdeploy::desired::load_balancing::TargetGroupSettings;
use ecsdeploy::desired::tags::Tags;
use ecsdeploy::desired::{self, Context};
use ecsdeploy::import::adopt::adopt_all;
use ecsdeploy::import::adoption::adoptions;
use ecsdeploy::import::{Adoption, ImportSource};
use ecsdeploy::plan::values::Values;
use std::cell::Cell;

/// Stage's `auth` as another client would have made it: no ecsdeploy tags, a tag of its own.
fn setup() -> (FakeCloud, ImportSource, Vec<Adoption>) {
    let checked = checked::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let stage = checked.manifest.environment("stage").unwrap();
    let desired = desired::build(&checked.manifest, stage, &Context::new("us-east-1", Some("123456789012".into())));
    let auth = desired.service("auth").unwrap().clone();
    // `Owner` is also a tag of the manifest's, with another value: adoption overwrites it.
    let foreign = Tags(vec![("Owner".into(), "alice".into()), ("team".into(), "identity".into())]);
    let mut service = auth.service.clone();
    service.tags = foreign.clone();
    let mut definition = auth.task_definition.clone();
    definition.tags = Tags::default();
    let mut group = auth.target_group.clone();
    group.tags = foreign.clone();
    let mut rule = auth.listener_rule.clone();
    rule.tags = Tags::default();
    let source = ImportSource {
        service_arn: "arn:service".into(),
        service,
        task_definition_arn: "arn:task-definition".into(),
        task_definition: definition,
        target_groups: vec![(
            "arn:target-group".into(),
            TargetGroupSettings { group, attributes: auth.target_group_attributes.attributes.clone() },
        )],
        listener_rules: vec![("arn:rule".into(), rule)],
        scalable_target: None,
        scaling_policies: Vec::new(),
        unsupported: Vec::new(),
    };
    let adoptions = adoptions(&auth, &Values::default(), &source);
    let cloud = FakeCloud::with_account("123456789012");
    cloud.imports.lock().unwrap().insert("stage-auth".into(), source.clone());
    (cloud, source, adoptions)
}

fn stored(cloud: &FakeCloud) -> ImportSource {
    cloud.imports.lock().unwrap().get("stage-auth").cloned().unwrap()
}

fn all_tags(source: &ImportSource) -> Vec<Tags> {
    vec![
        source.service.tags.clone(),
        source.task_definition.tags.clone(),
        source.target_groups[0].1.group.tags.clone(),
        source.listener_rules[0].1.tags.clone(),
    ]
}

#[tokio::test]
async fn every_resource_gets_the_environments_tags_and_keeps_its_own() {
    let (cloud, source, adoptions) = setup();
    let told = Cell::new(0);
    let result = adopt_all::<_, CloudError>(&cloud, &source, &adoptions, || Ok(()), |_| told.set(told.get() + 1)).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(told.get(), 4);
    let after = stored(&cloud);
    for tags in all_tags(&after) {
        assert_eq!(tags.get("ecsdeploy:project"), Some("acme"), "{tags:?}");
        assert_eq!(tags.get("ecsdeploy:environment"), Some("stage"), "{tags:?}");
        assert_eq!(tags.get("ecsdeploy:service"), Some("auth"), "{tags:?}");
    }
    assert_eq!(after.service.tags.get("team"), Some("identity"), "a tag of its own stays");
    assert_eq!(after.service.tags.get("Owner"), Some("platform-team"), "the manifest's value");
}

#[tokio::test]
async fn a_tag_that_cannot_be_added_takes_back_the_ones_added_before() {
    let (mut cloud, source, adoptions) = setup();
    let denied = CloudErrorKind::AccessDenied { message: "not allowed".into() };
    cloud.failing_tags.insert("arn:target-group".into(), denied.clone());
    let failure = adopt_all::<_, CloudError>(&cloud, &source, &adoptions, || Ok(()), |_| {}).await.unwrap_err();
    assert_eq!(failure.cause.kind, denied);
    assert_eq!(failure.cause.operation, "elasticloadbalancing:AddTags");
    assert!(failure.not_undone.is_empty());
    let calls: Vec<String> =
        cloud.calls().into_iter().map(|call| call.split(' ').take(2).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(
        calls,
        [
            "adopt arn:service",
            "adopt arn:task-definition",
            "adopt arn:target-group",
            "unadopt arn:task-definition",
            "unadopt arn:service",
            "adopt arn:service",
        ],
        "the overwritten Owner tag of the service is put back"
    );
    assert_eq!(all_tags(&stored(&cloud)), all_tags(&source), "every resource has exactly its old tags again");
}

#[tokio::test]
async fn a_lost_lock_stops_adoption_and_takes_it_back() {
    let (cloud, source, adoptions) = setup();
    let checks = Cell::new(0);
    let check = || {
        checks.set(checks.get() + 1);
        if checks.get() > 2 { Err("lock lost".to_string()) } else { Ok(()) }
    };
    #[derive(Debug)]
    struct Stopped(String);
    impl From<CloudError> for Stopped {
        fn from(error: CloudError) -> Self {
            Stopped(error.to_string())
        }
    }
    let failure = adopt_all(&cloud, &source, &adoptions, || check().map_err(Stopped), |_| {}).await.unwrap_err();
    assert_eq!(failure.cause.0, "lock lost");
    assert_eq!(all_tags(&stored(&cloud)), all_tags(&source));
    assert!(!cloud.calls().iter().any(|call| call.starts_with("adopt arn:target-group")));
}
