//! Secrets Manager: the full ARNs of the secrets the task definitions name, and whether the ones
//! given by ARN exist.
//!
//! ecsdeploy never reads or writes a secret's value: only ListSecrets and DescribeSecret are
//! called, which return metadata. A secret's full ARN ends in six random characters, so a name
//! has to be looked up; a secret scheduled for deletion counts as missing (ECS could not read it).

use super::AwsCloud;
use super::common::{PARALLEL_READS, Partial, tags_from};
use super::gone::GoneIsFine;
use crate::actual::Owner;
use crate::actual::ownership::owner_of;
use crate::actual::scope::ReadScope;
use crate::cloud::CloudError;
use crate::desired::Reference;
use crate::desired::tags::ROTATION_TAG;
use crate::desired::task_definition::SecretIdentity;
use crate::plan::address::Address;
use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::BTreeMap;

/// ListSecrets takes at most 10 values per filter.
const NAMES_PER_FILTER: usize = 10;
const SECRET_NOT_FOUND: &[&str] = &["ResourceNotFoundException"];
const NEVER_READS_VALUES: &str = "ecsdeploy never reads or writes secret values";

impl AwsCloud {
    /// The ARN of each secret `scope` names, and a missing entry for each secret that does not exist.
    ///
    /// Two `ListSecrets` (the names, in batches; the rotations ecsdeploy configured) at once,
    /// then one `DescribeSecret` per secret, concurrently: ListSecrets may lag minutes behind a
    /// new version (AWS documents it), DescribeSecret does not, and a restart must not wait for,
    /// or flap on, that lag. No call reads a value.
    pub(super) async fn read_secrets(&self, scope: &ReadScope) -> Result<Partial, CloudError> {
        let mut partial = Partial::default();
        let names: Vec<&str> = scope
            .secrets
            .iter()
            .filter_map(|secret| match secret {
                SecretIdentity::Name(name) => Some(name.as_str()),
                SecretIdentity::Arn(_) => None,
            })
            .collect();
        let (found, rotated) = futures_util::try_join!(
            self.secret_arns(&names),
            self.secrets_with_managed_rotation(&scope.secret_prefix)
        )?;
        // Every secret to describe: (name or ARN as the manifest gives it, ARN, named by the manifest).
        let mut wanted: Vec<(String, String, bool)> = Vec::new();
        for &name in &names {
            match found.get(name) {
                Some(arn) => {
                    partial.values.set(&Reference::SecretArn(name.to_string()), arn.clone());
                    wanted.push((name.to_string(), arn.clone(), true));
                }
                None => partial.missing(format!("secret {name}"), self.create_secret_hint(name)),
            }
        }
        // Rotation ecsdeploy configured on a secret no longer named anywhere: read, so that the
        // plan stops it.
        for (name, arn) in rotated {
            if !names.contains(&name.as_str()) {
                wanted.push((name, arn, false));
            }
        }
        for secret in &scope.secrets {
            if let SecretIdentity::Arn(arn) = secret {
                wanted.push((arn.clone(), arn.clone(), true));
            }
        }
        let described: Vec<Result<DescribeSecretOutput, String>> =
            stream::iter(wanted.iter().map(|(_, arn, _)| self.secret_arn_state(arn)))
                .buffered(PARALLEL_READS)
                .try_collect()
                .await?;
        for ((id, arn, named), state) in wanted.into_iter().zip(described) {
            let by_arn = id == arn;
            match state {
                Ok(secret) => {
                    if named {
                        partial.values.set(&Reference::SecretVersionId(id.clone()), current_version_of(&secret));
                    }
                    if !by_arn && let Some((json, owner)) = rotation_of(&secret, &id, scope) {
                        partial.resource(Address::SecretRotation(id), arn, json, owner);
                    }
                }
                // Deleted (or scheduled for deletion) since ListSecrets saw it.
                Err(problem) if named => partial.missing(format!("secret {id}"), problem),
                Err(_) => {}
            }
        }
        for service in &scope.services {
            if let Some(digest) = secret_versions_digest(&service.secrets, &partial.values) {
                partial.values.set(&Reference::SecretVersions { service: service.names.full_name.clone() }, digest);
            }
        }
        Ok(partial)
    }

    /// Name -> full ARN of the secrets named exactly `names` (the name filter matches prefixes,
    /// so `stage/auth` also finds `stage/auth/db`: only exact names are kept).
    async fn secret_arns(&self, names: &[&str]) -> Result<BTreeMap<String, String>, CloudError> {
        let mut arns = BTreeMap::new();
        for batch in names.chunks(NAMES_PER_FILTER) {
            let values = batch.iter().map(|name| name.to_string()).collect();
            let filter = Filter::builder().key(FilterNameStringType::Name).set_values(Some(values)).build();
            let mut pages = self.secrets.list_secrets().filters(filter).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|error| {
                    self.error("secretsmanager:ListSecrets", format!("secrets {}", batch.join(", ")), &error)
                })?;
                for secret in page.secret_list() {
                    if let (Some(name), Some(arn)) = (secret.name(), secret.arn())
                        && batch.contains(&name)
                    {
                        arns.insert(name.to_string(), arn.to_string());
                    }
                }
            }
        }
        Ok(arns)
    }

    /// Name -> ARN of the secrets under `prefix` tagged as having rotation configured by ecsdeploy.
    async fn secrets_with_managed_rotation(&self, prefix: &str) -> Result<Vec<(String, String)>, CloudError> {
        let filters = [(FilterNameStringType::TagKey, ROTATION_TAG), (FilterNameStringType::Name, prefix)]
            .into_iter()
            .map(|(key, value)| Filter::builder().key(key).values(value).build())
            .collect();
        let mut found = Vec::new();
        let mut pages = self.secrets.list_secrets().set_filters(Some(filters)).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| {
                self.error(
                    "secretsmanager:ListSecrets",
                    format!("secrets under {prefix} tagged {ROTATION_TAG}"),
                    &error,
                )
            })?;
            for secret in page.secret_list() {
                if let (Some(name), Some(arn)) = (secret.name(), secret.arn())
                    && name.starts_with(prefix)
                {
                    found.push((name.to_string(), arn.to_string()));
                }
            }
        }
        Ok(found)
    }

    /// The secret `arn`'s metadata when usable, else what is wrong with it (absent, or
    /// scheduled for deletion).
    async fn secret_arn_state(&self, arn: &str) -> Result<Result<DescribeSecretOutput, String>, CloudError> {
        let described = self.secrets.describe_secret().secret_id(arn).send().await;
        let described =
            described.map_err(|error| self.error("secretsmanager:DescribeSecret", format!("secret {arn}"), &error));
        match described.gone_is_fine(SECRET_NOT_FOUND)? {
            Some(secret) if secret.deleted_date().is_some() => Ok(Err(format!(
                "it is scheduled for deletion: restore it (aws secretsmanager restore-secret --secret-id {arn}) \
                 or name another secret ({NEVER_READS_VALUES})"
            ))),
            Some(secret) => Ok(Ok(secret)),
            None => Ok(Err(format!(
                "no secret with this ARN is visible in region {} with these credentials: check the ARN in services.toml, \
                 or create the secret and use its ARN ({NEVER_READS_VALUES})",
                self.region
            ))),
        }
    }

    fn create_secret_hint(&self, name: &str) -> String {
        format!(
            "create it: aws secretsmanager create-secret --region {} --name {name} --secret-string '...' \
             (or restore it if it is scheduled for deletion; {NEVER_READS_VALUES})",
            self.region
        )
    }
}

fn current_version_of(secret: &DescribeSecretOutput) -> String {
    current_version(secret.version_ids_to_stages()).unwrap_or_default()
}

/// The secret's rotation as the planner compares it (the shape of RotateSecret's input), with
/// its owner, or `None` when there is nothing for the plan to see:
/// - a secret of this environment that does not rotate (turning rotation on is a creation);
/// - rotation set up by hand on a secret of this environment that the manifest says nothing
///   about (only rotation ecsdeploy configured, tagged [`ROTATION_TAG`], is stopped).
///
/// A secret ecsdeploy does not own is always returned, so that a manifest asking to rotate it is
/// refused rather than applied.
fn rotation_of(secret: &DescribeSecretOutput, name: &str, scope: &ReadScope) -> Option<(serde_json::Value, Owner)> {
    let tags = secret_tags(secret);
    let owner = owner_of(&tags, &scope.project, &scope.environment);
    let enabled = secret.rotation_enabled().unwrap_or(false);
    if owner != Owner::This && !enabled {
        return Some((serde_json::json!({ "SecretId": name }), owner));
    }
    let managed = tags.get(ROTATION_TAG).is_some() || scope.secret_rotations.iter().any(|wanted| wanted == name);
    if !enabled || (owner == Owner::This && !managed) {
        return None;
    }
    let rules = secret.rotation_rules();
    // AWS may report AutomaticallyAfterDays beside (or, for a day count, instead of) the
    // expression; the manifest says rate(...).
    let schedule = rules.and_then(|rules| rules.schedule_expression()).filter(|expression| !expression.is_empty());
    let schedule = schedule.map(str::to_string).or_else(|| {
        let days = rules.and_then(|rules| rules.automatically_after_days()).filter(|days| *days > 0)?;
        Some(if days == 1 { "rate(1 day)".to_string() } else { format!("rate({days} days)") })
    });
    let mut rules_json = serde_json::json!({ "ScheduleExpression": schedule.unwrap_or_default() });
    if let Some(duration) = rules.and_then(|rules| rules.duration()).filter(|duration| !duration.is_empty()) {
        rules_json["Duration"] = serde_json::Value::String(duration.to_string());
    }
    let json = serde_json::json!({
        "SecretId": name,
        "RotationLambdaARN": secret.rotation_lambda_arn().unwrap_or_default(),
        "RotationRules": rules_json,
    });
    Some((json, owner))
}

/// A secret's tags as ecsdeploy reads ownership from them.
pub(super) fn secret_tags(secret: &DescribeSecretOutput) -> crate::desired::tags::Tags {
    tags_from(secret.tags().iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())))
}

/// The version ID that carries the AWSCURRENT stage.
pub(super) fn current_version(versions: Option<&std::collections::HashMap<String, Vec<String>>>) -> Option<String> {
    versions
        .and_then(|versions| versions.iter().find(|(_, stages)| stages.iter().any(|stage| stage == "AWSCURRENT")))
        .map(|(version, _)| version.clone())
}

/// SHA-256 (first 16 hex digits) over `secret=version` of each secret, sorted; `None` when a
/// version is unknown (the secret is missing, and the plan stops on that anyway).
fn secret_versions_digest(secrets: &[SecretIdentity], values: &crate::plan::values::Values) -> Option<String> {
    use sha2::Digest;
    let mut lines: Vec<String> = Vec::new();
    for secret in secrets {
        let key = match secret {
            SecretIdentity::Name(name) | SecretIdentity::Arn(name) => name,
        };
        let version = values.one(&Reference::SecretVersionId(key.clone()))?;
        lines.push(format!("{key}={version}"));
    }
    lines.sort();
    lines.dedup();
    let digest = sha2::Sha256::digest(lines.join("\n").as_bytes());
    Some(digest.iter().take(8).map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::aws::test_support::test_cloud;
    use crate::desired::{Context, build};
    use aws_sdk_secretsmanager::types::{RotationRulesType, Tag};
    use std::path::Path;

    fn scope(environment: &str, account_id: &str) -> ReadScope {
        let manifest = crate::checked::load(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("manifest").manifest;
        let environment = manifest.environment(environment).expect("environment").clone();
        let desired = build(&manifest, &environment, &Context::new("us-east-1", Some(account_id.to_string())));
        ReadScope::new(&manifest, &environment, &desired)
    }

    fn described(enabled: bool, tags: &[(&str, &str)], rules: Option<RotationRulesType>) -> DescribeSecretOutput {
        let tags = tags.iter().map(|(key, value)| Tag::builder().key(*key).value(*value).build()).collect();
        DescribeSecretOutput::builder()
            .name("stage/auth/db")
            .rotation_enabled(enabled)
            .rotation_lambda_arn("arn:aws:lambda:us-east-1:123456789012:function:rotate")
            .set_rotation_rules(rules)
            .set_tags(Some(tags))
            .build()
    }

    #[test]
    fn rotation_is_seen_when_ecsdeploy_manages_it_or_the_secret_is_not_ours() {
        let mut scope = scope("stage", "123456789012");
        scope.secret_rotations.clear();
        let ours = [("ecsdeploy:project", "acme"), ("ecsdeploy:environment", "stage")];
        let days = RotationRulesType::builder().automatically_after_days(30).build();
        // Rotation set up by hand on our secret, which the manifest says nothing about: left alone.
        assert_eq!(rotation_of(&described(true, &ours, Some(days.clone())), "stage/auth/db", &scope), None);
        // Ours, not rotating: nothing to compare.
        assert_eq!(rotation_of(&described(false, &ours, None), "stage/auth/db", &scope), None);
        // Configured by ecsdeploy: seen, a day count read as the manifest writes it.
        let managed = [ours[0], ours[1], (ROTATION_TAG, "manifest")];
        let (json, owner) = rotation_of(&described(true, &managed, Some(days)), "stage/auth/db", &scope).unwrap();
        assert_eq!(owner, Owner::This);
        assert_eq!(json["RotationRules"], serde_json::json!({"ScheduleExpression": "rate(30 days)"}));
        // Both forms reported: the expression wins; the window is kept.
        let both = RotationRulesType::builder()
            .automatically_after_days(7)
            .schedule_expression("cron(0 4 ? * SUN *)")
            .duration("3h")
            .build();
        let (json, _) = rotation_of(&described(true, &managed, Some(both)), "stage/auth/db", &scope).unwrap();
        assert_eq!(
            json["RotationRules"],
            serde_json::json!({"ScheduleExpression": "cron(0 4 ? * SUN *)", "Duration": "3h"})
        );
        // Someone else's secret is always seen (so that asking to rotate it is refused).
        let (_, owner) = rotation_of(&described(false, &[], None), "stage/auth/db", &scope).unwrap();
        assert_eq!(owner, Owner::Foreign);
    }

    fn calls_of(cloud: &AwsCloud, operation: &str) -> u64 {
        cloud.calls().counts().iter().filter(|count| count.operation == operation).map(|count| count.calls).sum()
    }

    async fn arn_of(cloud: &AwsCloud, name: &str) -> String {
        let secret = cloud.secrets.describe_secret().secret_id(name).send().await.expect("describe");
        secret.arn().expect("arn").to_string()
    }

    #[tokio::test]
    async fn names_resolve_to_full_arns_and_absent_ones_are_missing() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let mut scope = scope("stage", &test.account_id);
        let manifest_names: Vec<String> = scope
            .secrets
            .iter()
            .filter_map(|secret| match secret {
                SecretIdentity::Name(name) => Some(name.clone()),
                SecretIdentity::Arn(_) => None,
            })
            .collect();
        assert_eq!(manifest_names, ["stage/auth/db", "stage/auth/jwt", "stage/calendar/api", "stage/gmail/oauth"]);
        // `stage/auth` is a prefix of two secrets that exist, but no secret has that name.
        scope.secrets.push(SecretIdentity::Name("stage/auth".into()));
        scope.secrets.push(SecretIdentity::Name("stage/billing/key".into()));

        let read = cloud.read_secrets(&scope).await.expect("read");
        for name in &manifest_names {
            let arn = read.values.one(&Reference::SecretArn(name.clone())).expect("resolved");
            assert_eq!(arn, arn_of(cloud, name).await);
            assert!(arn.starts_with(&format!("arn:aws:secretsmanager:us-east-1:{}:secret:{name}-", test.account_id)));
        }
        let missing: Vec<&str> = read.missing.iter().map(|missing| missing.what.as_str()).collect();
        assert_eq!(missing, ["secret stage/auth", "secret stage/billing/key"]);
        assert!(read.missing[1].hint.contains("create-secret --region us-east-1 --name stage/billing/key"));
        assert_eq!(read.values.one(&Reference::SecretArn("stage/auth".into())), None);
    }

    #[tokio::test]
    async fn reads_never_touch_secret_values() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let mut scope = scope("prod", &test.account_id);
        let world_arn = arn_of(cloud, "prod/auth/jwt").await;
        scope.secrets.push(SecretIdentity::Arn(world_arn));
        cloud.read_secrets(&scope).await.expect("read");
        let operations: Vec<String> = cloud.calls().counts().into_iter().map(|count| count.operation).collect();
        assert!(!operations.is_empty());
        assert!(
            operations.iter().all(|operation| operation == "ListSecrets" || operation == "DescribeSecret"),
            "{operations:?}"
        );
        assert_eq!(calls_of(cloud, "ListSecrets"), 2, "four names take one call, plus one for managed rotation");
        assert!(cloud.calls().writes().is_empty());
    }

    #[tokio::test]
    async fn names_are_batched_ten_per_call() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let mut scope = scope("test", &test.account_id);
        scope.secrets.extend((0..8).map(|index| SecretIdentity::Name(format!("test/absent/{index}"))));
        let read = cloud.read_secrets(&scope).await.expect("read");
        assert_eq!(calls_of(cloud, "ListSecrets"), 3, "12 names, at most 10 per filter, plus one for managed rotation");
        assert!(
            read.values.one(&Reference::SecretArn("test/gmail/oauth".into())).is_some(),
            "found in the second batch"
        );
        assert_eq!(read.missing.len(), 8);
    }

    #[tokio::test]
    async fn secrets_by_arn_exist_or_are_missing() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let mut scope = scope("stage", &test.account_id);
        let present = arn_of(cloud, "stage/auth/db").await;
        let absent = format!("arn:aws:secretsmanager:us-east-1:{}:secret:stage/nothing-AbCdEf", test.account_id);
        let created =
            cloud.secrets.create_secret().name("stage/retired").secret_string("x").send().await.expect("create");
        let retired = created.arn().expect("arn").to_string();
        cloud.secrets.delete_secret().secret_id(&retired).recovery_window_in_days(7).send().await.expect("delete");
        scope.secrets = vec![
            SecretIdentity::Arn(present),
            SecretIdentity::Arn(absent.clone()),
            SecretIdentity::Arn(retired.clone()),
            SecretIdentity::Name("stage/retired".into()),
        ];
        let read = cloud.read_secrets(&scope).await.expect("read");
        let missing: Vec<&str> = read.missing.iter().map(|missing| missing.what.as_str()).collect();
        let (absent, retired) = (format!("secret {absent}"), format!("secret {retired}"));
        assert_eq!(missing, ["secret stage/retired", absent.as_str(), retired.as_str()]);
        assert!(read.missing[2].hint.contains("scheduled for deletion"), "{}", read.missing[2].hint);
    }
}
