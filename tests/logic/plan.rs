//! The planner on literal states (pure: no AWS): an actual state equal to the desired one plans
//! nothing; one changed field changes one resource; missing prerequisites and resources that are
//! not ecsdeploy's stop the plan; removed services and `destroy` delete what the environment owns.

use ecsdeploy::actual::{ActualResource, ActualState, Missing, OtherRule, Owner};
use ecsdeploy::checked;
use ecsdeploy::desired::{self, Context, DesiredEnvironment, Reference};
use ecsdeploy::plan::address::{Address, ServicePart};
use ecsdeploy::plan::resources::desired_resources;
use ecsdeploy::plan::{Action, Goal, PlanError, Step, plan};

fn desired(environment: &str) -> DesiredEnvironment {
    let checked = checked::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let environment = checked.manifest.environment(environment).unwrap();
    desired::build(&checked.manifest, environment, &Context::new("us-east-1", Some("123456789012".into())))
}

/// An actual state holding exactly the desired resources, with every reference known.
fn converged(desired: &DesiredEnvironment) -> ActualState {
    let mut actual = ActualState { account_id: "123456789012".into(), ..ActualState::default() };
    let values = &mut actual.values;
    values.set(&Reference::Vpc, "vpc-1");
    values.set_many(&Reference::PublicSubnets, vec!["subnet-a".into(), "subnet-b".into()]);
    values.set_many(&Reference::PrivateSubnets, vec!["subnet-c".into(), "subnet-d".into()]);
    values.set(&Reference::CertificateArn, "arn:aws:acm:us-east-1:123456789012:certificate/1");
    for resource in desired_resources(desired, true) {
        let json = resource.payload.to_json();
        for placeholder in ecsdeploy::plan::values::unresolved(&json) {
            if actual.values.get_placeholder(&placeholder).is_none() {
                actual.values.set_placeholder(
                    &placeholder,
                    format!("known:{}", placeholder.trim_matches(['<', '>']).replace(' ', "/")),
                );
            }
        }
    }
    for resource in desired_resources(desired, true) {
        let json = actual.values.resolve(&resource.payload.to_json());
        let id = format!("id:{}", resource.address);
        actual.resources.insert(resource.address, ActualResource { id, json, owner: Owner::This });
    }
    actual
}

#[test]
fn a_converged_environment_plans_nothing() {
    let desired = desired("stage");
    let plan = plan(&desired, &converged(&desired), Goal::Converge).unwrap();
    assert!(
        !plan.has_changes(),
        "{:#?}",
        plan.changes.iter().filter(|c| c.action() != Action::NoOp).collect::<Vec<_>>()
    );
}

#[test]
fn an_empty_account_creates_everything_in_dependency_order() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    actual.resources.clear();
    let plan = plan(&desired, &actual, Goal::Converge).unwrap();
    assert!(plan.changes.iter().all(|change| change.action() == Action::Create));
    let addresses: Vec<String> = plan.changes.iter().map(|change| change.address.to_string()).collect();
    assert_eq!(addresses[0], "cluster");
    let position = |address: &str| addresses.iter().position(|a| a == address).unwrap();
    assert!(position("load_balancer") < position("listener.443"));
    assert!(position("service.auth.task_definition") < position("service.auth.ecs_service"));
    assert!(position("service.auth.target_group") < position("service.auth.listener_rule"));
    assert_eq!(addresses.last().unwrap(), "dns_record.stage.api.acme.example.");
    let summary = plan.summary();
    assert_eq!((summary.add, summary.change, summary.destroy), (addresses.len(), 0, 0));
}

#[test]
fn one_changed_field_changes_only_what_depends_on_it() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    let address = Address::service("auth", ServicePart::TaskDefinition);
    let definition = actual.resources.get_mut(&address).unwrap();
    definition.json["containerDefinitions"][0]["environment"][0]["value"] = "debug".into();
    let plan = plan(&desired, &actual, Goal::Converge).unwrap();
    let changed: Vec<(String, Action)> = plan
        .changes
        .iter()
        .filter(|change| change.action() != Action::NoOp)
        .map(|change| (change.address.to_string(), change.action()))
        .collect();
    assert_eq!(
        changed,
        [
            ("service.auth.task_definition".to_string(), Action::Create),
            ("service.auth.ecs_service".to_string(), Action::Update)
        ]
    );
    let definition = plan.changes.iter().find(|change| change.address == address).unwrap();
    assert_eq!(definition.reason.as_deref(), Some("new revision"));
    assert_eq!(definition.fields[0].path, "containerDefinitions[auth].environment[LOG_LEVEL].value");
}

#[test]
fn the_task_count_is_left_to_autoscaling() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    let service = actual.resources.get_mut(&Address::service("auth", ServicePart::EcsService)).unwrap();
    service.json["desiredCount"] = 4.into();
    assert!(!plan(&desired, &actual, Goal::Converge).unwrap().has_changes());
}

#[test]
fn missing_prerequisites_stop_the_plan_naming_them_all() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    actual.missing = vec![
        Missing { what: "secret stage/auth/db".into(), hint: "create it".into() },
        Missing { what: "image acme/auth:latest".into(), hint: "push it".into() },
    ];
    match plan(&desired, &actual, Goal::Converge) {
        Err(PlanError::Missing(missing)) => assert_eq!(missing.len(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn resources_that_are_not_ecsdeploys_are_refused() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    actual.resources.get_mut(&Address::service("auth", ServicePart::TargetGroup)).unwrap().owner = Owner::Foreign;
    actual.other_rules.push(OtherRule {
        priority: desired.service("gmail").unwrap().listener_rule.priority,
        arn: "rule/x".into(),
        owner: Owner::Foreign,
    });
    match plan(&desired, &actual, Goal::Converge) {
        Err(PlanError::NotOwned(resources)) => {
            let addresses: Vec<String> = resources.iter().map(|r| r.address.to_string()).collect();
            assert_eq!(addresses, ["service.auth.target_group", "service.gmail.listener_rule"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_removed_service_is_deleted() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    let address = Address::service("billing", ServicePart::EcsService);
    // A service as the reader reads it (the planner types what it deletes): auth's, renamed.
    let mut json = actual.resources[&Address::service("auth", ServicePart::EcsService)].json.clone();
    json["serviceName"] = "stage-billing".into();
    actual.resources.insert(address.clone(), ActualResource { id: "arn:billing".into(), json, owner: Owner::This });
    let foreign = Address::service("legacy", ServicePart::EcsService);
    actual.resources.insert(
        foreign.clone(),
        ActualResource { id: "arn:legacy".into(), json: serde_json::json!({}), owner: Owner::Foreign },
    );
    let plan = plan(&desired, &actual, Goal::Converge).unwrap();
    let deleted: Vec<&Address> =
        plan.changes.iter().filter(|c| c.action() == Action::Delete).map(|c| &c.address).collect();
    assert_eq!(deleted, [&address]);
}

#[test]
fn destroy_keeps_shared_resources_while_another_environment_uses_them() {
    let desired = desired("test");
    let mut actual = converged(&desired);
    // Stage runs on the cluster and routes through the same ALB: its rules are on the listener.
    actual.other_environments = vec!["stage".into()];
    actual.other_rules =
        vec![OtherRule { priority: 7, arn: "arn:rule/stage".into(), owner: Owner::OtherEnvironment("stage".into()) }];
    let plan = plan(&desired, &actual, Goal::Destroy).unwrap();
    assert!(plan.changes.iter().all(|change| change.action() == Action::Delete));
    assert!(plan.changes.iter().all(|change| !change.address.is_shared()), "shared resources stay");
    assert!(plan.changes.iter().any(|change| change.address == Address::DnsRecord("test.api.acme.example.".into())));

    // Stage runs on the cluster but no rule of anyone else is on this environment's ALB (stage
    // routes through an ALB of its own, or serves no paths): the ALB and its listeners go, the
    // cluster and the security groups stay.
    actual.other_rules.clear();
    let alone = ecsdeploy::plan::plan(&desired, &actual, Goal::Destroy).unwrap();
    let shared: Vec<String> =
        alone.changes.iter().filter(|c| c.address.is_shared()).map(|c| c.address.to_string()).collect();
    assert!(shared.contains(&"load_balancer".to_string()), "{shared:?}");
    assert!(shared.iter().any(|address| address.starts_with("listener.")), "{shared:?}");
    assert!(!shared.iter().any(|address| address == "cluster" || address.starts_with("security_group.")), "{shared:?}");

    actual.other_environments.clear();
    let last = ecsdeploy::plan::plan(&desired, &actual, Goal::Destroy).unwrap();
    let shared: Vec<String> =
        last.changes.iter().filter(|c| c.address.is_shared()).map(|c| c.address.to_string()).collect();
    assert!(shared.contains(&"cluster".to_string()) && shared.contains(&"load_balancer".to_string()), "{shared:?}");
    assert!(!shared.iter().any(|address| address.starts_with("repository.")), "repositories hold the images: kept");
}

/// Rules on the ALB that are not this environment's count against the ALB's 100 rules: the plan
/// refuses what AWS would refuse halfway through the apply; a destroy is never refused.
#[test]
fn the_rules_of_others_count_against_the_albs_quota() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    let wanted = desired_resources(&desired, true)
        .iter()
        .filter(|resource| resource.address.part() == Some(ServicePart::ListenerRule))
        .count();
    let other = |index: usize| OtherRule {
        priority: 40_000 + index as i64,
        arn: format!("arn:rule/elsewhere/{index}"),
        owner: Owner::Foreign,
    };
    actual.other_rules = (0..100 - wanted).map(other).collect();
    assert!(plan(&desired, &actual, Goal::Converge).is_ok(), "exactly 100 fit");
    actual.other_rules.push(other(100));
    match plan(&desired, &actual, Goal::Converge) {
        Err(PlanError::Quota(quota)) => {
            assert_eq!((quota.others, quota.this, quota.limit), (101 - wanted, wanted, 100));
            assert_eq!(quota.load_balancer, "acme");
        }
        other => panic!("{other:?}"),
    }
    assert!(plan(&desired, &actual, Goal::Destroy).is_ok());
}

/// Apply turns resolved JSON back into typed payloads: every kind must survive the round trip.
#[test]
fn every_payload_survives_the_json_round_trip() {
    for environment in ["test", "stage", "prod"] {
        for resource in desired_resources(&desired(environment), true) {
            let json = resource.payload.to_json();
            let back = resource
                .payload
                .same_kind_from_json(json.clone())
                .unwrap_or_else(|error| panic!("{}: {error}", resource.address));
            assert_eq!(back.to_json(), json, "{}", resource.address);
        }
    }
}

#[test]
fn a_change_that_needs_replacement_is_left_to_a_person() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    let group = actual.resources.get_mut(&Address::service("gmail", ServicePart::TargetGroup)).unwrap();
    group.json["TargetType"] = "instance".into();
    match plan(&desired, &actual, Goal::Converge) {
        Err(PlanError::Replacement(resources)) => {
            assert_eq!(resources.len(), 1);
            assert_eq!(resources[0].address, Address::service("gmail", ServicePart::TargetGroup));
            assert_eq!(resources[0].fields, ["TargetType"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn after_a_rollback_the_newest_revision_is_reused_not_registered_again() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    let address = Address::service("auth", ServicePart::TaskDefinition);
    // The service runs an older revision (ECS rolled back); the newest holds the desired content.
    let newest = actual.resources.get(&address).unwrap().clone();
    let newest =
        ActualResource { id: "arn:aws:ecs:us-east-1:123456789012:task-definition/stage-auth:2".into(), ..newest };
    actual.newest_revisions.insert(address.clone(), newest);
    let running = actual.resources.get_mut(&address).unwrap();
    running.id = "arn:aws:ecs:us-east-1:123456789012:task-definition/stage-auth:1".into();
    running.json["containerDefinitions"][0]["image"] = "old@sha256:1".into();
    let plan = plan(&desired, &actual, Goal::Converge).unwrap();
    let changed: Vec<(String, Action)> = plan
        .changes
        .iter()
        .filter(|change| change.action() != Action::NoOp)
        .map(|change| (change.address.to_string(), change.action()))
        .collect();
    assert_eq!(changed, [("service.auth.ecs_service".to_string(), Action::Update)], "no new revision");
    let service = plan.changes.iter().find(|c| c.address == Address::service("auth", ServicePart::EcsService)).unwrap();
    assert_eq!(service.fields[0].path, "taskDefinition");
    assert_eq!(service.fields[0].after, Some("arn:aws:ecs:us-east-1:123456789012:task-definition/stage-auth:2".into()));
}

#[test]
fn a_revision_someone_else_registered_does_not_block_a_new_one() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    let definition = actual.resources.get_mut(&Address::service("auth", ServicePart::TaskDefinition)).unwrap();
    definition.owner = Owner::Foreign;
    definition.json["tags"] = serde_json::json!([]);
    let plan = plan(&desired, &actual, Goal::Converge).unwrap();
    let change =
        plan.changes.iter().find(|c| c.address == Address::service("auth", ServicePart::TaskDefinition)).unwrap();
    assert_eq!(change.action(), Action::Create);
}

/// Rotation is set for `stage/auth/db` in a manifest built in memory from the shipped one.
fn desired_with_rotation() -> DesiredEnvironment {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let services = std::fs::read_to_string(root.join("services.toml")).unwrap()
        + "\n[secrets.\"auth/db\".rotation]\nfunction = \"acme-rotation\"\nschedule = \"rate(30 days)\"\n";
    let stage = std::fs::read_to_string(root.join("environments/stage.toml")).unwrap();
    let loaded = ecsdeploy::manifest::load_from_texts(&services, &[("stage", &stage)]);
    assert!(!loaded.problems.has_errors(), "{:?}", loaded.problems);
    let manifest = loaded.manifest.unwrap();
    let environment = manifest.environment("stage").unwrap();
    desired::build(&manifest, environment, &Context::new("us-east-1", Some("123456789012".into())))
}

#[test]
fn rotation_is_planned_for_owned_secrets_stopped_when_dropped_and_kept_by_destroy() {
    let wanted = desired_with_rotation();
    let rotation = &wanted.secret_rotations[0];
    assert_eq!(rotation.secret_id, "stage/auth/db");
    assert_eq!(
        rotation.rotation_lambda_arn.to_string(),
        "arn:aws:lambda:us-east-1:123456789012:function:acme-rotation"
    );
    let address = Address::SecretRotation("stage/auth/db".into());

    // Converged: nothing to do. Not rotating yet (no actual resource): turned on.
    let mut actual = converged(&wanted);
    assert!(!plan(&wanted, &actual, Goal::Converge).unwrap().has_changes());
    let enabled = actual.resources.remove(&address).unwrap();
    let planned = plan(&wanted, &actual, Goal::Converge).unwrap();
    let change = planned.changes.iter().find(|change| change.address == address).unwrap();
    assert_eq!(change.action(), Action::Create);

    // Rotating but no longer in the manifest: stopped, and said so.
    let without = desired("stage");
    actual.resources.insert(address.clone(), enabled.clone());
    let planned = plan(&without, &actual, Goal::Converge).unwrap();
    let change = planned.changes.iter().find(|change| change.address == address).unwrap();
    assert_eq!(change.action(), Action::Delete);
    assert_eq!(change.reason.as_deref(), Some("rotation stops; the secret and its versions stay"));
    let destroy = plan(&wanted, &actual, Goal::Destroy).unwrap();
    assert!(destroy.changes.iter().all(|change| change.address != address), "destroy leaves secrets alone");

    // A secret someone else made is never given rotation.
    actual.resources.insert(address.clone(), ActualResource { owner: Owner::Foreign, ..enabled });
    match plan(&wanted, &actual, Goal::Converge) {
        Err(PlanError::NotOwned(not_owned)) => assert_eq!(not_owned[0].address, address),
        other => panic!("expected NotOwned, got {other:?}"),
    }
}

/// The planner decides when an update starts new tasks although the revision stays, and apply
/// only carries it out: a secret the service reads has a new version, or its capacity provider
/// strategy changed (ECS applies that only with a new deployment). Anything else does not.
#[test]
fn the_plan_says_when_an_update_forces_a_new_deployment() {
    let desired = desired("stage");
    let address = Address::service("auth", ServicePart::EcsService);
    let force_of = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut actual = converged(&desired);
        edit(&mut actual.resources.get_mut(&address).unwrap().json);
        let plan = plan(&desired, &actual, Goal::Converge).unwrap();
        let change = plan.changes.iter().find(|change| change.address == address).unwrap();
        match &change.step {
            Step::Update { force_new_deployment, .. } => Some(*force_new_deployment),
            _ => None,
        }
    };
    let secret_versions = |json: &mut serde_json::Value| {
        let tags = json["tags"].as_array_mut().unwrap();
        match tags.iter_mut().find(|tag| tag["key"] == "ecsdeploy:secret-versions") {
            Some(tag) => tag["value"] = "an-older-digest".into(),
            None => tags.push(serde_json::json!({"key": "ecsdeploy:secret-versions", "value": "an-older-digest"})),
        }
    };
    let desired_has_secrets = converged(&desired).resources[&address].json["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|tag| tag["key"] == "ecsdeploy:secret-versions");
    assert!(desired_has_secrets, "auth reads secrets in stage");
    assert_eq!(force_of(&secret_versions), Some(true), "a rotated secret starts new tasks");
    let strategy = |json: &mut serde_json::Value| json["capacityProviderStrategy"][0]["weight"] = 7.into();
    assert_eq!(force_of(&strategy), Some(true), "a new capacity provider strategy needs a new deployment");
    let grace = |json: &mut serde_json::Value| json["healthCheckGracePeriodSeconds"] = 1.into();
    assert_eq!(force_of(&grace), Some(false), "a setting alone changes the service in place");
}

/// A resource whose content as read does not fit its kind stops the plan: apply never acts on
/// what the planner cannot describe.
#[test]
fn an_unreadable_resource_stops_the_plan() {
    let desired = desired("stage");
    let mut actual = converged(&desired);
    let address = Address::service("auth", ServicePart::TargetGroup);
    actual.resources.get_mut(&address).unwrap().json = serde_json::json!({"unexpected": true});
    match plan(&desired, &actual, Goal::Converge) {
        Err(PlanError::Unreadable(resources)) => assert_eq!(resources[0].address, address),
        other => panic!("{other:?}"),
    }
}

/// A policy changed outside ecsdeploy in a way the typed document names only as "other" keys
/// (a `NotResource` beside the actions, a `NotAction`-only statement) is read, shown as an
/// update and put back: never unreadable, never an update that changes nothing.
#[test]
fn a_policy_edited_outside_ecsdeploy_is_an_update_that_puts_it_back() {
    let desired = desired("stage");
    for edit in [
        serde_json::json!({"NotResource": "arn:aws:s3:::elsewhere"}),
        serde_json::json!({"NotAction": ["iam:*"], "Action": null}),
    ] {
        let mut actual = converged(&desired);
        let (address, role) = actual
            .resources
            .iter_mut()
            .find(|(_, resource)| resource.json["put_role_policy"]["PolicyDocument"].is_string())
            .expect("a role with an inline policy");
        let address = address.clone();
        let text = role.json["put_role_policy"]["PolicyDocument"].as_str().unwrap().to_string();
        let mut document: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (key, value) in edit.as_object().unwrap() {
            match value {
                serde_json::Value::Null => document["Statement"][0].as_object_mut().unwrap().remove(key),
                value => document["Statement"][0].as_object_mut().unwrap().insert(key.clone(), value.clone()),
            };
        }
        role.json["put_role_policy"]["PolicyDocument"] = document.to_string().into();
        let plan = plan(&desired, &actual, Goal::Converge).unwrap_or_else(|error| panic!("{edit}: {error:?}"));
        let change = plan.changes.iter().find(|change| change.address == address).unwrap();
        let Step::Update { existing, payload, .. } = &change.step else { panic!("{edit}: {:?}", change.step) };
        let (ecsdeploy::plan::resources::Payload::Role(before), ecsdeploy::plan::resources::Payload::Role(after)) =
            (&existing.before, payload)
        else {
            panic!("not roles")
        };
        assert_ne!(before.put_role_policy, after.put_role_policy, "{edit}: the adapter sees what to put back");
    }
}
