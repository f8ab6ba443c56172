//! The services' IAM roles: found with `ListRoles` under ecsdeploy's path (names, descriptions,
//! trust policies) and, at the same time, `GetAccountAuthorizationDetails` for every role's tags
//! and inline policies in a page of up to 1,000 roles, so that reading 80 roles costs two calls
//! instead of 160. A caller denied `iam:GetAccountAuthorizationDetails` (it shows every role and
//! policy of the account, which some teams keep from deployers) reads role by role (`GetRole`,
//! `GetRolePolicy`), told once how to make it cheaper. Roles are written with `CreateRole`,
//! `PutRolePolicy` and the narrow update calls.
//!
//! IAM returns policy documents URL-encoded and as they were submitted (a `Statement` may be an
//! object, an `Action` a string); the reader decodes and coerces them to the desired spelling, so
//! that a role created from a desired [`Role`] reads back byte-identical and a second plan is empty.
//! This module holds the calls; [`convert`] holds that normalisation, as pure functions.

mod convert;

use super::AwsCloud;
use super::common::{Partial, unsent};
use super::gone::GoneIsFine;
use super::retag::TagChanges;
use crate::actual::ownership::{is_ours, owner_of};
use crate::actual::scope::ReadScope;
use crate::cloud::CloudError;
use crate::cloud::error::has_code;
use crate::desired::iam::{CreateRole, PutRolePolicy, Role};
use crate::desired::names::{ROLE_PATH, ROLE_POLICY_NAME};
use crate::desired::tags::{SERVICE_TAG, Tags};
use crate::plan::address::{Address, ServicePart};
use crate::plan::values::Values;
use aws_sdk_iam::types::{EntityType, RoleDetail};
use convert::{ReadDocument, document_string, iam_tags, read_document, role_of};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;
use std::collections::BTreeMap;

/// Roles read at once when read one by one: IAM's request rate is low and shared by the whole
/// account.
const READ_CONCURRENCY: usize = 4;
/// IAM's largest page (`MaxItems`, 1-1000): fewer sequential pages.
const MAX_ITEMS: i32 = 1000;
const NOT_FOUND: &[&str] = &["NoSuchEntity"];
const ALREADY_EXISTS: &[&str] = &["EntityAlreadyExists"];
/// A role as read: the typed [`Role`] and its JSON in the desired shape.
struct ReadRole {
    role: Role,
    json: Value,
}

impl AwsCloud {
    /// This environment's roles: every role under [`ROLE_PATH`] named `{project}-{environment}-*`.
    pub(super) async fn read_roles(&self, scope: &ReadScope) -> Result<Partial, CloudError> {
        let prefix = format!("{}-{}-", scope.project, scope.environment);
        let (listed, details) = tokio::join!(self.list_roles(), self.role_details());
        let listed: Vec<aws_sdk_iam::types::Role> =
            listed?.into_iter().filter(|role| role.role_name().starts_with(&prefix)).collect();
        let details = match details {
            Ok(details) => details,
            Err(error) if error.is_access_denied() => {
                static TOLD: std::sync::Once = std::sync::Once::new();
                TOLD.call_once(|| {
                    tracing::warn!(
                        "iam:GetAccountAuthorizationDetails is denied ({error}): reading the roles one by one \
                         (two calls per role); allow it to read them all in one call"
                    )
                });
                BTreeMap::new()
            }
            Err(error) => return Err(error),
        };
        // A role missing from the details (created between the two calls, or details denied)
        // is read on its own.
        let roles: Vec<Option<ReadRole>> = stream::iter(listed.iter().map(|role| {
            let detail = details.get(role.role_name());
            async move {
                match detail {
                    Some(detail) => self.role_from_details(role, detail).map(Some),
                    None => self.read_role(role.role_name()).await,
                }
            }
        }))
        .buffered(READ_CONCURRENCY)
        .try_collect()
        .await?;
        let mut partial = Partial::default();
        for ReadRole { role, json } in roles.into_iter().flatten() {
            let tags = &role.create_role.tags;
            let Some(address) = role_address(scope, role.name(), tags) else {
                tracing::debug!(role = role.name(), "role not named as ecsdeploy names this environment's roles");
                continue;
            };
            partial.resource(address, role.name(), json, owner_of(tags, &scope.project, &scope.environment));
        }
        Ok(partial)
    }

    async fn list_roles(&self) -> Result<Vec<aws_sdk_iam::types::Role>, CloudError> {
        self.iam
            .list_roles()
            .path_prefix(ROLE_PATH)
            .max_items(MAX_ITEMS)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.error("iam:ListRoles", format!("roles under path {ROLE_PATH}"), &error))
    }

    /// Every role's details by name (IAM has no filter by path here: the caller keeps its own).
    async fn role_details(&self) -> Result<BTreeMap<String, RoleDetail>, CloudError> {
        let pages: Vec<_> = self
            .iam
            .get_account_authorization_details()
            .filter(EntityType::Role)
            .max_items(MAX_ITEMS)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.error("iam:GetAccountAuthorizationDetails", "the account's roles", &error))?;
        let details = pages.into_iter().flat_map(|page| page.role_detail_list.unwrap_or_default());
        Ok(details
            .filter(|detail| detail.path() == Some(ROLE_PATH))
            .filter_map(|detail| Some((detail.role_name()?.to_string(), detail)))
            .collect())
    }

    /// A listed role with its tags and inline policy from the authorization details.
    fn role_from_details(&self, role: &aws_sdk_iam::types::Role, detail: &RoleDetail) -> Result<ReadRole, CloudError> {
        let trust = read_document(role.assume_role_policy_document().unwrap_or_default());
        let policy = detail
            .role_policy_list()
            .iter()
            .find(|policy| policy.policy_name() == Some(ROLE_POLICY_NAME))
            .map(|policy| read_document(policy.policy_document().unwrap_or_default()));
        self.read_role_of(role, detail.tags(), trust, policy, "iam:GetAccountAuthorizationDetails")
    }

    /// One role, or `None` when it was deleted since it was listed.
    async fn read_role(&self, name: &str) -> Result<Option<ReadRole>, CloudError> {
        let (role, policy) = futures_util::try_join!(self.get_role(name), self.get_inline_policy(name))?;
        let Some(role) = role else { return Ok(None) };
        let trust = read_document(role.assume_role_policy_document().unwrap_or_default());
        self.read_role_of(&role, role.tags(), trust, policy, "iam:GetRole").map(Some)
    }

    fn read_role_of(
        &self,
        role: &aws_sdk_iam::types::Role,
        tags: &[aws_sdk_iam::types::Tag],
        trust: ReadDocument,
        policy: Option<ReadDocument>,
        operation: &str,
    ) -> Result<ReadRole, CloudError> {
        let name = role.role_name();
        let read = role_of(role, tags, trust.document, policy.as_ref().map(|policy| policy.document.clone()));
        let mut json = serde_json::to_value(&read).map_err(|error| unsent(operation, role_resource(name), error))?;
        // The text keeps what the typed document cannot hold (a `NotAction`, say), so that such a
        // change made outside ecsdeploy shows in the plan instead of vanishing.
        if let Some(slot) = json.pointer_mut("/create_role/AssumeRolePolicyDocument") {
            *slot = Value::String(trust.text);
        }
        if let (Some(slot), Some(policy)) = (json.pointer_mut("/put_role_policy/PolicyDocument"), policy) {
            *slot = Value::String(policy.text);
        }
        Ok(ReadRole { role: read, json })
    }

    async fn get_role(&self, name: &str) -> Result<Option<aws_sdk_iam::types::Role>, CloudError> {
        let read = self.iam.get_role().role_name(name).send().await;
        let read = read.map_err(|error| self.error("iam:GetRole", role_resource(name), &error));
        Ok(read.gone_is_fine(NOT_FOUND)?.and_then(|output| output.role))
    }

    /// ecsdeploy's inline policy of the role; `None` when the role has none.
    async fn get_inline_policy(&self, name: &str) -> Result<Option<ReadDocument>, CloudError> {
        let read = self.iam.get_role_policy().role_name(name).policy_name(ROLE_POLICY_NAME).send().await;
        let read = read.map_err(|error| self.error("iam:GetRolePolicy", role_resource(name), &error));
        Ok(read.gone_is_fine(NOT_FOUND)?.map(|output| read_document(output.policy_document())))
    }

    /// Creates the role and its inline policy. When the role exists already and carries the
    /// ownership tags it was being created with, it is this deployment's own (the SDK repeated a
    /// CreateRole whose answer was lost, or an earlier run stopped right after creating it): it
    /// is brought to the desired shape as an update would, and the create goes on.
    pub(super) async fn create_role(&self, role: &Role) -> Result<Values, CloudError> {
        let create = &role.create_role;
        let resource = role_resource(&create.role_name);
        let trust = document_string(&create.assume_role_policy_document, "iam:CreateRole", &resource)?;
        let tags = iam_tags(create.tags.0.iter().cloned(), "iam:CreateRole", &resource)?;
        let created = self
            .iam
            .create_role()
            .path(&create.path)
            .role_name(&create.role_name)
            .assume_role_policy_document(trust)
            .description(&create.description)
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(error) if has_code(&error, ALREADY_EXISTS) => {
                let refused = self.error("iam:CreateRole", &resource, &error);
                return match self.read_role(&create.role_name).await? {
                    Some(existing) if is_ours(&existing.role.create_role.tags, &create.tags) => {
                        tracing::info!(role = create.role_name, "the role exists and is ours: going on with it");
                        self.update_role(role, &existing.role).await
                    }
                    _ => Err(refused),
                };
            }
            Err(error) => return Err(self.error("iam:CreateRole", &resource, &error)),
        }
        if let Some(policy) = &role.put_role_policy {
            self.put_role_policy(policy).await?;
        }
        Ok(Values::default())
    }

    async fn put_role_policy(&self, policy: &PutRolePolicy) -> Result<(), CloudError> {
        let resource = role_resource(&policy.role_name);
        let document = document_string(&policy.policy_document, "iam:PutRolePolicy", &resource)?;
        self.iam
            .put_role_policy()
            .role_name(&policy.role_name)
            .policy_name(&policy.policy_name)
            .policy_document(document)
            .send()
            .await
            .map_err(|error| self.error("iam:PutRolePolicy", &resource, &error))?;
        Ok(())
    }

    /// Changes what differs from `before` (the role as read), call by call. The name and path
    /// cannot change: plan replaces such a role.
    pub(super) async fn update_role(&self, role: &Role, before: &Role) -> Result<Values, CloudError> {
        let resource = role_resource(role.name());
        if before.create_role.assume_role_policy_document != role.create_role.assume_role_policy_document {
            self.update_trust_policy(&role.create_role).await?;
        }
        if before.create_role.description != role.create_role.description {
            self.iam
                .update_role()
                .role_name(role.name())
                .description(&role.create_role.description)
                .send()
                .await
                .map_err(|error| self.error("iam:UpdateRole", &resource, &error))?;
        }
        if before.put_role_policy != role.put_role_policy {
            match &role.put_role_policy {
                Some(policy) => self.put_role_policy(policy).await?,
                None => self.delete_inline_policy(role.name()).await?,
            }
        }
        self.update_role_tags(role.name(), &before.create_role.tags, &role.create_role.tags).await?;
        Ok(Values::default())
    }

    async fn update_trust_policy(&self, create: &CreateRole) -> Result<(), CloudError> {
        let resource = role_resource(&create.role_name);
        let document = document_string(&create.assume_role_policy_document, "iam:UpdateAssumeRolePolicy", &resource)?;
        self.iam
            .update_assume_role_policy()
            .role_name(&create.role_name)
            .policy_document(document)
            .send()
            .await
            .map_err(|error| self.error("iam:UpdateAssumeRolePolicy", &resource, &error))?;
        Ok(())
    }

    async fn update_role_tags(&self, name: &str, before: &Tags, after: &Tags) -> Result<(), CloudError> {
        let resource = &role_resource(name);
        TagChanges::between(before, after)
            .apply_removing_first(
                |added| async move {
                    let tags = iam_tags(added, "iam:TagRole", resource)?;
                    let tagged = self.iam.tag_role().role_name(name).set_tags(Some(tags));
                    tagged.send().await.map(drop).map_err(|error| self.error("iam:TagRole", resource, &error))
                },
                |removed| async move {
                    let untagged = self.iam.untag_role().role_name(name).set_tag_keys(Some(removed));
                    untagged.send().await.map(drop).map_err(|error| self.error("iam:UntagRole", resource, &error))
                },
            )
            .await
    }

    /// Deletes the role and its inline policy (IAM refuses to delete a role that has one). A role
    /// already gone is not an error.
    pub(super) async fn delete_role(&self, name: &str) -> Result<(), CloudError> {
        self.delete_inline_policy(name).await?;
        let deleted = self.iam.delete_role().role_name(name).send().await;
        deleted.map_err(|error| self.error("iam:DeleteRole", role_resource(name), &error)).gone_is_fine(NOT_FOUND)?;
        Ok(())
    }

    async fn delete_inline_policy(&self, name: &str) -> Result<(), CloudError> {
        let deleted = self.iam.delete_role_policy().role_name(name).policy_name(ROLE_POLICY_NAME).send().await;
        deleted
            .map_err(|error| self.error("iam:DeleteRolePolicy", role_resource(name), &error))
            .gone_is_fine(NOT_FOUND)?;
        Ok(())
    }
}

fn role_resource(name: &str) -> String {
    format!("role {name}")
}

/// The address of a role: by the names of the services in scope, else (a service gone from the
/// manifest) by its `ecsdeploy:service` tag, but only when the role carries exactly the name this
/// environment would give that service's role, so that another environment's role whose name
/// merely shares the prefix (`acme-stage-eu-auth-task` next to `acme-stage-`) never takes an
/// address of this one.
fn role_address(scope: &ReadScope, name: &str, tags: &Tags) -> Option<Address> {
    for service in &scope.services {
        if service.names.execution_role == name {
            return Some(Address::service(&service.name, ServicePart::ExecutionRole));
        }
        if service.names.task_role == name {
            return Some(Address::service(&service.name, ServicePart::TaskRole));
        }
    }
    let service = tags.get(SERVICE_TAG)?;
    let part = match name.strip_prefix(&format!("{}-{}-{service}", scope.project, scope.environment))? {
        "-execution" => ServicePart::ExecutionRole,
        "-task" => ServicePart::TaskRole,
        _ => return None,
    };
    Some(Address::service(service, part))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::aws::test_support::{stage_scope, test_cloud};
    use crate::desired::tags::tags_from;

    fn found<'a>(partial: &'a Partial, address: &Address) -> Option<&'a crate::actual::ActualResource> {
        partial.resources.iter().find(|(found, _)| found == address).map(|(_, resource)| resource)
    }

    #[test]
    fn roles_are_addressed_by_scope_or_by_their_exact_name() {
        let (mut scope, _) = stage_scope("123456789012");
        scope.services.retain(|service| service.name != "gmail");
        let tagged = |service: &str| Tags(vec![(SERVICE_TAG.into(), service.into())]);
        let cases = [
            ("acme-stage-auth-execution", Tags::default(), Some("service.auth.execution_role")),
            ("acme-stage-auth-task", Tags::default(), Some("service.auth.task_role")),
            ("acme-stage-gmail-task", tagged("gmail"), Some("service.gmail.task_role")),
            ("acme-stage-gmail-execution", tagged("gmail"), Some("service.gmail.execution_role")),
            ("acme-stage-gmail-task", Tags::default(), None),
            ("acme-stage-gmail-other", tagged("gmail"), None),
            ("acme-stage-eu-auth-task", tagged("auth"), None),
        ];
        for (name, tags, expected) in cases {
            let address = role_address(&scope, name, &tags).map(|address| address.to_string());
            assert_eq!(address.as_deref(), expected, "{name}");
        }
    }

    /// A role as read, typed as the planner hands it to an update.
    fn typed(json: &serde_json::Value) -> Role {
        serde_json::from_value(json.clone()).expect("a role")
    }

    #[tokio::test]
    async fn roles_round_trip() {
        let test = test_cloud(false).await;
        let (scope, services) = stage_scope(&test.account_id);
        let auth = services.iter().find(|service| service.name == "auth").expect("auth");
        let (auth_execution_role, auth_task_role) =
            (auth.execution_role.clone().expect("managed"), auth.task_role.clone().expect("managed"));
        let execution = Address::service("auth", ServicePart::ExecutionRole);
        let task = Address::service("auth", ServicePart::TaskRole);
        test.cloud.create_role(&auth_execution_role).await.expect("create execution role");
        test.cloud.create_role(&auth_task_role).await.expect("create task role");

        let read = test.cloud.read_roles(&scope).await.expect("read");
        assert_eq!(read.resources.len(), 2);
        let actual = found(&read, &execution).expect("execution role read");
        assert_eq!(actual.json, serde_json::to_value(&auth_execution_role).expect("json"));
        assert_eq!(actual.id, auth_execution_role.name());
        assert_eq!(actual.owner, crate::actual::Owner::This);
        let actual_task = found(&read, &task).expect("task role read");
        assert_eq!(actual_task.json, serde_json::to_value(&auth_task_role).expect("json"));
        assert!(actual_task.json["put_role_policy"].is_null(), "the task role has no permission by default");

        // Change the description, the policy (drop a statement), the trust policy and a tag.
        let mut changed = auth_execution_role.clone();
        changed.create_role.description = "changed".into();
        changed.create_role.tags.0.retain(|(key, _)| key != "Owner");
        changed.create_role.tags.0.push(("Team".into(), "identity".into()));
        changed.create_role.tags = tags_from(changed.create_role.tags.0.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        changed.create_role.assume_role_policy_document.statement[0].condition = None;
        if let Some(policy) = &mut changed.put_role_policy {
            policy.policy_document.statement.pop();
        }
        test.cloud.update_role(&changed, &typed(&actual.json)).await.expect("update");
        let read = test.cloud.read_roles(&scope).await.expect("read again");
        let actual = found(&read, &execution).expect("execution role read again");
        assert_eq!(actual.json, serde_json::to_value(&changed).expect("json"));

        // A task role that gains a policy, and loses it again.
        let mut granted = auth_task_role.clone();
        granted.put_role_policy = changed.put_role_policy.clone().map(|mut policy| {
            policy.role_name = granted.name().to_string();
            policy
        });
        test.cloud.update_role(&granted, &typed(&actual_task.json)).await.expect("grant");
        let read = test.cloud.read_roles(&scope).await.expect("read granted");
        let granted_json = found(&read, &task).expect("task role").json.clone();
        assert_eq!(granted_json, serde_json::to_value(&granted).expect("json"));
        test.cloud.update_role(&auth_task_role, &typed(&granted_json)).await.expect("revoke");
        let read = test.cloud.read_roles(&scope).await.expect("read revoked");
        assert_eq!(found(&read, &task).expect("task role").json, serde_json::to_value(&auth_task_role).expect("json"));

        test.cloud.delete_role(auth_execution_role.name()).await.expect("delete");
        test.cloud.delete_role(auth_task_role.name()).await.expect("delete");
        test.cloud.delete_role(auth_task_role.name()).await.expect("deleting twice is not an error");
        let read = test.cloud.read_roles(&scope).await.expect("read after delete");
        assert!(read.resources.is_empty(), "{:?}", read.resources);
    }

    /// What a CreateRole repeated after a lost answer meets: the role made by the first attempt,
    /// without its inline policy yet.
    #[tokio::test]
    async fn a_create_that_finds_its_own_role_goes_on_and_someone_elses_fails() {
        let test = test_cloud(false).await;
        let (scope, services) = stage_scope(&test.account_id);
        let auth = services.iter().find(|service| service.name == "auth").expect("auth");
        let execution_role = auth.execution_role.clone().expect("managed");
        let without_policy = Role { put_role_policy: None, ..execution_role.clone() };
        test.cloud.create_role(&without_policy).await.expect("first attempt");
        test.cloud.create_role(&execution_role).await.expect("the repeated create goes on with its own role");
        let read = test.cloud.read_roles(&scope).await.expect("read");
        let address = Address::service("auth", ServicePart::ExecutionRole);
        let actual = found(&read, &address).expect("execution role");
        assert_eq!(actual.json, serde_json::to_value(&execution_role).expect("json"), "the policy was put");

        let mut foreign = auth.task_role.clone().expect("managed");
        foreign.create_role.tags = Tags(vec![("Team".into(), "someone else".into())]);
        test.cloud.create_role(&foreign).await.expect("someone else's role");
        let ours = auth.task_role.clone().expect("managed");
        let error = test.cloud.create_role(&ours).await.expect_err("a role someone else made is not taken over");
        assert_eq!(error.operation, "iam:CreateRole");
        assert!(error.to_string().contains("EntityAlreadyExists"), "{error}");
    }

    #[tokio::test]
    async fn roles_of_removed_services_and_other_environments() {
        let test = test_cloud(false).await;
        let (mut scope, services) = stage_scope(&test.account_id);
        let auth = services.iter().find(|service| service.name == "auth").expect("auth");
        let auth_task_role = auth.task_role.clone().expect("managed");
        test.cloud.create_role(&auth_task_role).await.expect("create");
        // Another environment whose name shares the prefix, and a role that is not ecsdeploy's.
        let mut other = auth_task_role.clone();
        other.create_role.role_name = "acme-stage-eu-auth-task".into();
        other.create_role.tags.0[1].1 = "stage-eu".into();
        test.cloud.create_role(&other).await.expect("create other environment's role");
        let mut foreign = auth_task_role.clone();
        foreign.create_role.role_name = "acme-stage-handmade".into();
        foreign.create_role.tags = Tags::default();
        test.cloud.create_role(&foreign).await.expect("create foreign role");

        scope.services.retain(|service| service.name != "auth");
        let read = test.cloud.read_roles(&scope).await.expect("read");
        let addresses: Vec<String> = read.resources.iter().map(|(address, _)| address.to_string()).collect();
        assert_eq!(addresses, ["service.auth.task_role"]);
        assert_eq!(read.resources[0].1.id, "acme-stage-auth-task");
    }
}
