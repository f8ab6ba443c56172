//! The services' CloudWatch log groups: found with one `DescribeLogGroups` under the
//! environment's prefix, their tags from the tag index (see `tag_index`; `ListTagsForResource`
//! for a group it does not hold), and written with `CreateLogGroup`, `PutRetentionPolicy` and the
//! tagging calls.

use super::AwsCloud;
use super::common::{Partial, tags_from, unsent};
use super::gone::GoneIsFine;
use super::retag::TagChanges;
use super::tag_index::TagIndex;
use crate::actual::ownership::{is_ours, owner_of};
use crate::actual::scope::ReadScope;
use crate::cloud::CloudError;
use crate::cloud::error::has_code;
use crate::desired::logs::LogGroup;
use crate::desired::tags::Tags;
use crate::plan::address::{Address, ServicePart};
use crate::plan::values::Values;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::HashMap;

/// Tag reads at once when the index does not hold them (CloudWatch Logs allows a few requests
/// per second per operation).
const READ_CONCURRENCY: usize = 4;
const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

impl AwsCloud {
    /// This environment's log groups: `/ecs/{project}/{environment}/{service}`.
    pub(super) async fn read_log_groups(&self, scope: &ReadScope) -> Result<Partial, CloudError> {
        let prefix = format!("/ecs/{}/{}/", scope.project, scope.environment);
        let (groups, index) = futures_util::join!(
            self.log_groups_named(&prefix, format!("log groups under {prefix}")),
            self.tag_index("logs:log-group", &scope.project, Some(&scope.environment)),
        );
        let (groups, index) = (groups?, index?);
        let ours =
            groups.iter().filter(|group| service_of(group.log_group_name().unwrap_or_default(), &prefix).is_some());
        let read: Vec<Option<LogGroup>> = stream::iter(ours.map(|group| {
            let expected = scope.expected_tags.get(group.log_group_name().unwrap_or_default());
            self.read_log_group(group, &index, expected)
        }))
        .buffered(READ_CONCURRENCY)
        .try_collect()
        .await?;
        let mut partial = Partial::default();
        for group in read.into_iter().flatten() {
            let name = &group.log_group_name;
            let Some(service) = service_of(name, &prefix) else { continue };
            let json = serde_json::to_value(&group)
                .map_err(|error| unsent("logs:DescribeLogGroups", group_resource(name), error))?;
            let owner = owner_of(&group.tags, &scope.project, &scope.environment);
            partial.resource(Address::service(service, ServicePart::LogGroup), name, json, owner);
        }
        Ok(partial)
    }

    /// Every group whose name starts with `prefix` (`resource` says what for errors).
    async fn log_groups_named(
        &self,
        prefix: &str,
        resource: String,
    ) -> Result<Vec<aws_sdk_cloudwatchlogs::types::LogGroup>, CloudError> {
        self.logs
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|error| self.error("logs:DescribeLogGroups", resource, &error))
    }

    /// The group in the desired shape, or `None` when it was deleted since it was listed.
    async fn read_log_group(
        &self,
        group: &aws_sdk_cloudwatchlogs::types::LogGroup,
        index: &TagIndex,
        expected: Option<&Tags>,
    ) -> Result<Option<LogGroup>, CloudError> {
        let name = group.log_group_name().unwrap_or_default();
        let arn = group_arn(group);
        let tags = match index.confirmed(&arn, expected) {
            Some(tags) => tags,
            None => match self.log_group_tags(&arn, name).await? {
                Some(tags) => tags,
                None => return Ok(None),
            },
        };
        Ok(Some(LogGroup {
            log_group_name: name.to_string(),
            // Without a retention policy, events never expire; the desired side always sets one,
            // so 0 (which it never uses) stands for "never".
            retention_in_days: group.retention_in_days().map_or(0, i64::from),
            tags,
        }))
    }

    async fn log_group_tags(&self, arn: &str, name: &str) -> Result<Option<Tags>, CloudError> {
        let listed = self.logs.list_tags_for_resource().resource_arn(arn).send().await;
        let listed = listed.map_err(|error| self.error("logs:ListTagsForResource", group_resource(name), &error));
        let Some(output) = listed.gone_is_fine(NOT_FOUND)? else { return Ok(None) };
        let pairs = output.tags().into_iter().flatten().map(|(key, value)| (key.as_str(), value.as_str()));
        Ok(Some(tags_from(pairs)))
    }

    /// Creates the group and sets its retention. When the group exists already and carries the
    /// ownership tags it was being created with, it is this deployment's own (the SDK repeated a
    /// CreateLogGroup whose answer was lost): its retention and tags are brought to the desired
    /// ones as an update would, and the create goes on.
    pub(super) async fn create_log_group(&self, group: &LogGroup) -> Result<Values, CloudError> {
        let name = &group.log_group_name;
        let created = self
            .logs
            .create_log_group()
            .log_group_name(name)
            .set_tags((!group.tags.is_empty()).then(|| tag_map(&group.tags.0)))
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(error) if has_code(&error, &["ResourceAlreadyExistsException"]) => {
                let refused = self.error("logs:CreateLogGroup", group_resource(name), &error);
                return match self.existing_log_group(name).await? {
                    Some(existing) if is_ours(&existing.tags, &group.tags) => {
                        tracing::info!(log_group = name, "the log group exists and is ours: going on with it");
                        self.update_log_group(group, &existing).await
                    }
                    _ => Err(refused),
                };
            }
            Err(error) => return Err(self.error("logs:CreateLogGroup", group_resource(name), &error)),
        }
        self.set_retention(name, group.retention_in_days).await?;
        Ok(Values::default())
    }

    /// The group named exactly `name` in the desired shape, with its tags.
    async fn existing_log_group(&self, name: &str) -> Result<Option<LogGroup>, CloudError> {
        let groups = self.log_groups_named(name, group_resource(name)).await?;
        match groups.iter().find(|group| group.log_group_name() == Some(name)) {
            Some(group) => self.read_log_group(group, &TagIndex::default(), None).await,
            None => Ok(None),
        }
    }

    /// Changes the retention and the tags where they differ from `before` (the group as read).
    pub(super) async fn update_log_group(&self, group: &LogGroup, before: &LogGroup) -> Result<Values, CloudError> {
        let name = &group.log_group_name;
        if before.retention_in_days != group.retention_in_days {
            self.set_retention(name, group.retention_in_days).await?;
        }
        let changes = TagChanges::between(&before.tags, &group.tags);
        if changes.is_empty() {
            return Ok(Values::default());
        }
        let arn = &self.log_group_arn(name).await?;
        changes
            .apply_removing_first(
                |added| async move {
                    let tagged = self.logs.tag_resource().resource_arn(arn).set_tags(Some(tag_map(&added)));
                    let tagged = tagged.send().await.map(drop);
                    tagged.map_err(|error| self.error("logs:TagResource", group_resource(name), &error))
                },
                |removed| async move {
                    let untagged = self.logs.untag_resource().resource_arn(arn).set_tag_keys(Some(removed));
                    let untagged = untagged.send().await.map(drop);
                    untagged.map_err(|error| self.error("logs:UntagResource", group_resource(name), &error))
                },
            )
            .await?;
        Ok(Values::default())
    }

    /// `days` of retention; 0 removes the policy (events never expire).
    async fn set_retention(&self, name: &str, days: i64) -> Result<(), CloudError> {
        if days == 0 {
            self.logs
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .map_err(|error| self.error("logs:DeleteRetentionPolicy", group_resource(name), &error))?;
            return Ok(());
        }
        let days =
            i32::try_from(days).map_err(|error| unsent("logs:PutRetentionPolicy", group_resource(name), error))?;
        self.logs
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .map_err(|error| self.error("logs:PutRetentionPolicy", group_resource(name), &error))?;
        Ok(())
    }

    /// The group's ARN, which the tagging calls need (the account ID is not known here).
    async fn log_group_arn(&self, name: &str) -> Result<String, CloudError> {
        let groups = self.log_groups_named(name, group_resource(name)).await?;
        let group = groups.iter().find(|group| group.log_group_name() == Some(name));
        group.map(group_arn).ok_or_else(|| {
            let kind = crate::cloud::CloudErrorKind::Service {
                code: "ResourceNotFoundException".into(),
                message: "the log group does not exist".into(),
            };
            CloudError::new("logs:DescribeLogGroups", group_resource(name), kind)
        })
    }

    /// Deletes the group and its events; a group already gone is not an error.
    pub(super) async fn delete_log_group(&self, name: &str) -> Result<(), CloudError> {
        let deleted = self.logs.delete_log_group().log_group_name(name).send().await;
        deleted
            .map_err(|error| self.error("logs:DeleteLogGroup", group_resource(name), &error))
            .gone_is_fine(NOT_FOUND)?;
        Ok(())
    }
}

/// The service of a group directly under `prefix` (`/ecs/acme/stage/` + `auth`); a nested group
/// (`/ecs/acme/stage/auth/extra`) is no service's.
fn service_of<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    name.strip_prefix(prefix).filter(|rest| !rest.is_empty() && !rest.contains('/'))
}

fn group_resource(name: &str) -> String {
    format!("log group {name}")
}

/// The ARN the tagging calls take: `logGroupArn`, or (older responses) `arn` without the `:*`
/// that names the group's streams.
fn group_arn(group: &aws_sdk_cloudwatchlogs::types::LogGroup) -> String {
    match group.log_group_arn() {
        Some(arn) => arn.to_string(),
        None => group.arn().unwrap_or_default().trim_end_matches(":*").to_string(),
    }
}

fn tag_map(pairs: &[(String, String)]) -> HashMap<String, String> {
    pairs.iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actual::Owner;
    use crate::cloud::aws::test_support::{stage_scope, test_cloud};

    #[test]
    fn groups_belong_to_the_service_directly_under_the_prefix() {
        let prefix = "/ecs/acme/stage/";
        let cases = [
            ("/ecs/acme/stage/auth", Some("auth")),
            ("/ecs/acme/stage/ai-router", Some("ai-router")),
            ("/ecs/acme/stage/auth/extra", None),
            ("/ecs/acme/stage/", None),
            ("/ecs/acme/stage-eu/auth", None),
        ];
        for (name, service) in cases {
            assert_eq!(service_of(name, prefix), service, "{name}");
        }
    }

    #[tokio::test]
    async fn log_groups_round_trip() {
        let test = test_cloud(false).await;
        let (scope, services) = stage_scope(&test.account_id);
        let auth =
            services.iter().find(|service| service.name == "auth").expect("auth").log_group.as_ref().expect("managed");
        let address = Address::service("auth", ServicePart::LogGroup);
        test.cloud.create_log_group(auth).await.expect("create");
        // Neither a nested group nor another environment's is this environment's.
        let mut nested = auth.clone();
        nested.log_group_name = format!("{}/extra", auth.log_group_name);
        test.cloud.create_log_group(&nested).await.expect("create nested");

        let read = test.cloud.read_log_groups(&scope).await.expect("read");
        assert_eq!(read.resources.len(), 1, "{:?}", read.resources);
        let (found, actual) = &read.resources[0];
        assert_eq!(found, &address);
        assert_eq!(actual.id, "/ecs/acme/stage/auth");
        assert_eq!(actual.owner, Owner::This);
        assert_eq!(actual.json, serde_json::to_value(auth).expect("json"));

        let mut changed = auth.clone();
        changed.retention_in_days = 7;
        changed.tags.0.retain(|(key, _)| key != "CostCenter");
        changed.tags.0.push(("Team".into(), "identity".into()));
        // The desired state now wants these tags (an update follows the manifest).
        let mut scope = scope.clone();
        scope.expected_tags.insert(changed.log_group_name.clone(), changed.tags.clone());
        test.cloud
            .update_log_group(&changed, &serde_json::from_value(actual.json.clone()).expect("a log group"))
            .await
            .expect("update");
        let read = test.cloud.read_log_groups(&scope).await.expect("read again");
        assert_eq!(read.resources[0].1.json, serde_json::to_value(&changed).expect("json"));

        test.cloud.delete_log_group(&auth.log_group_name).await.expect("delete");
        test.cloud.delete_log_group(&auth.log_group_name).await.expect("deleting twice is not an error");
        assert!(test.cloud.read_log_groups(&scope).await.expect("read after delete").resources.is_empty());
    }

    /// What a CreateLogGroup repeated after a lost answer meets: the group made by the first
    /// attempt, without its retention yet.
    #[tokio::test]
    async fn a_create_that_finds_its_own_group_goes_on_and_someone_elses_fails() {
        let test = test_cloud(false).await;
        let (scope, services) = stage_scope(&test.account_id);
        let group = |name: &str| {
            services.iter().find(|service| service.name == name).and_then(|service| service.log_group.clone())
        };
        let auth = group("auth").expect("managed");
        let first_attempt = test.cloud.logs.create_log_group().log_group_name(&auth.log_group_name);
        first_attempt.set_tags(Some(tag_map(&auth.tags.0))).send().await.expect("first attempt");
        test.cloud.create_log_group(&auth).await.expect("the repeated create goes on with its own group");
        let read = test.cloud.read_log_groups(&scope).await.expect("read");
        let address = Address::service("auth", ServicePart::LogGroup);
        let (_, actual) = read.resources.iter().find(|(found, _)| found == &address).expect("auth's group");
        assert_eq!(actual.json, serde_json::to_value(&auth).expect("json"), "the retention was set");

        let gmail = group("gmail").expect("managed");
        test.cloud.logs.create_log_group().log_group_name(&gmail.log_group_name).send().await.expect("someone's");
        let error = test.cloud.create_log_group(&gmail).await.expect_err("someone else's group is not taken over");
        assert_eq!(error.operation, "logs:CreateLogGroup");
        assert!(error.to_string().contains("ResourceAlreadyExistsException"), "{error}");
    }

    #[tokio::test]
    async fn a_group_without_retention_reads_as_zero() {
        let test = test_cloud(false).await;
        let (scope, _) = stage_scope(&test.account_id);
        test.cloud.logs.create_log_group().log_group_name("/ecs/acme/stage/gone").send().await.expect("create");
        let read = test.cloud.read_log_groups(&scope).await.expect("read");
        let (address, actual) = &read.resources[0];
        assert_eq!(address, &Address::service("gone", ServicePart::LogGroup));
        assert_eq!(actual.json["retentionInDays"], 0);
        assert_eq!(actual.owner, Owner::Foreign, "an untagged group is not ecsdeploy's");
    }
}
