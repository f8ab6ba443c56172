//! The fake holds to the contract `AwsCloud` keeps, so that logic tests over it mean something:
//! it refuses what the AWS side refuses, mints a revision per registration and a deployment per
//! new revision, and reads only what the scope names or this environment owns.

use crate::fake::FakeCloud;
use ecsdeploy::actual::scope::ReadScope;
use ecsdeploy::actual::{ActualResource, EnvironmentReader, Owner};
use ecsdeploy::apply::ResourceWriter;
use ecsdeploy::checked;
use ecsdeploy::desired::{self, Context, Reference};
use ecsdeploy::plan::Existing;
use ecsdeploy::plan::address::{Address, ServicePart};
use ecsdeploy::plan::resources::{Payload, desired_resources};

fn stage() -> (ecsdeploy::desired::DesiredEnvironment, ReadScope) {
    let checked = checked::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let environment = checked.manifest.environment("stage").unwrap();
    let desired =
        desired::build(&checked.manifest, environment, &Context::new("us-east-1", Some("123456789012".into())));
    let scope = ReadScope::new(&checked.manifest, environment, &desired);
    (desired, scope)
}

fn payload_at(desired: &ecsdeploy::desired::DesiredEnvironment, address: &Address) -> Payload {
    desired_resources(desired, true).into_iter().find(|resource| &resource.address == address).unwrap().payload
}

#[tokio::test]
async fn image_repositories_and_pinned_images_are_never_deleted() {
    let (desired, _) = stage();
    let fake = FakeCloud::with_account("123456789012");
    let repository = Address::Repository("acme/auth".into());
    let existing = Existing { id: "acme/auth".into(), before: payload_at(&desired, &repository) };
    let refused = fake.delete(&repository, &existing).await.unwrap_err();
    assert!(refused.to_string().contains("never deletes image repositories"), "{refused}");
    let pin = Address::service("auth", ServicePart::PinnedImage);
    let existing = Existing { id: "pin".into(), before: payload_at(&desired, &pin) };
    assert!(fake.delete(&pin, &existing).await.is_err());
}

#[tokio::test]
async fn each_registration_is_a_new_revision_and_only_a_new_revision_deploys() {
    let (desired, _) = stage();
    let fake = FakeCloud::with_account("123456789012");
    let address = Address::service("auth", ServicePart::TaskDefinition);
    let definition = payload_at(&desired, &address);
    let family = match &definition {
        Payload::TaskDefinition(definition) => definition.family.clone(),
        other => panic!("{other:?}"),
    };
    let arn = |values: ecsdeploy::plan::values::Values| {
        values.one(&Reference::TaskDefinitionArn { family: family.clone() }).unwrap().to_string()
    };
    let first = arn(fake.create(&address, &definition).await.unwrap());
    let second = arn(fake.create(&address, &definition).await.unwrap());
    assert!(first.ends_with(":1") && second.ends_with(":2"), "{first} {second}");

    let service_address = Address::service("auth", ServicePart::EcsService);
    let Payload::EcsService(mut service) = payload_at(&desired, &service_address) else { panic!() };
    service.task_definition = Reference::Known(first.clone());
    let deployment = |values: ecsdeploy::plan::values::Values| {
        values.one(&Reference::DeploymentId { service: "stage-auth".into() }).unwrap().to_string()
    };
    let created = deployment(fake.create(&service_address, &Payload::EcsService(service.clone())).await.unwrap());
    let existing = Existing { id: "stage-auth".into(), before: Payload::EcsService(service.clone()) };
    let same = fake.update(&service_address, &existing, &Payload::EcsService(service.clone()), false).await;
    assert_eq!(deployment(same.unwrap()), created, "the same revision keeps the PRIMARY deployment");
    service.task_definition = Reference::Known(second);
    let next = fake.update(&service_address, &existing, &Payload::EcsService(service), false).await;
    assert_ne!(deployment(next.unwrap()), created, "a new revision starts a new deployment");
}

#[tokio::test]
async fn a_service_the_scope_does_not_name_is_read_only_when_this_environment_owns_it() {
    let (_, scope) = stage();
    let fake = FakeCloud::with_account("123456789012");
    let foreign = Address::service("legacy", ServicePart::EcsService);
    let owned = Address::service("billing", ServicePart::EcsService);
    for (address, owner) in [(&foreign, Owner::Foreign), (&owned, Owner::This)] {
        let resource = ActualResource { id: address.to_string(), json: serde_json::json!({}), owner };
        fake.state.lock().unwrap().resources.insert(address.clone(), resource);
    }
    let actual = fake.read(&scope).await.unwrap();
    assert!(actual.resources.contains_key(&owned), "what this environment owns is read (to delete it)");
    assert!(!actual.resources.contains_key(&foreign), "someone else's service outside the scope is not");
}
