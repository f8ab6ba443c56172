//! ECR: the repositories all environments share, and the digests of the image tags the task
//! definitions pin.
//!
//! Repositories are created and updated, never deleted: they hold the built images, which outlive
//! any environment. A repository's "expire untagged images" setting is its lifecycle policy; the
//! policy ecsdeploy writes has one rule, and the reader recovers the days from that rule (in
//! [`convert`], with the rest of the normalisation, as pure functions).

mod convert;

use super::AwsCloud;
use super::common::{PARALLEL_READS, Partial, tags_from, unsent};
use super::gone::GoneIsFine;
use super::retag::TagChanges;
use super::tag_index::TagIndex;
use crate::actual::Owner;
use crate::actual::ownership::{is_ours, shared_owner_of};
use crate::actual::scope::{ImageTag, ReadScope};
use crate::cloud::error::has_code;
use crate::cloud::{CloudError, CloudErrorKind, is_not_found};
use crate::desired::Reference;
use crate::desired::image_pin::{ImagePin, pin_tag};
use crate::desired::shared::Repository;
use crate::desired::tags::Tags;
use crate::plan::address::{Address, ServicePart};
use crate::plan::resources::json_of;
use crate::plan::values::Values;
use aws_sdk_ecr::error::SdkError;
use aws_sdk_ecr::operation::describe_images::DescribeImagesError;
use aws_sdk_ecr::types::{ImageIdentifier, ImageTagMutability};
use convert::{ecr_tags, exclusion_filters, expiry_days_of, lifecycle_policy, repository_of, scanning};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::BTreeMap;

/// DescribeImages takes at most 100 image IDs per call.
const IMAGE_IDS_PER_CALL: usize = 100;
const LIFECYCLE_POLICY_NOT_FOUND: &[&str] = &["LifecyclePolicyNotFoundException"];
const REPOSITORY_NOT_FOUND: &[&str] = &["RepositoryNotFoundException"];
const IMAGE_NOT_FOUND: &[&str] = &["ImageNotFoundException"];

/// What DescribeImages found for the tags of one repository.
enum ImageLookup {
    /// Tag -> the digest and every tag of the image it names, for the tags that exist.
    Digests(BTreeMap<String, FoundImage>),
    RepositoryMissing,
}

/// An image a tag names: its digest and all its tags (the pin tag among them, once pinned).
#[derive(Debug, Clone)]
struct FoundImage {
    digest: String,
    tags: Vec<String>,
}

impl AwsCloud {
    /// The repositories of `scope` that exist, and the digests of the image tags it names.
    pub(super) async fn read_repositories(&self, scope: &ReadScope) -> Result<Partial, CloudError> {
        let mut partial = Partial::default();
        // The images are looked up by repository name, beside the repositories' own read.
        let wanted = tags_by_repository(&scope.images);
        let repositories = async {
            let (found, index) = futures_util::join!(
                self.describe_repositories(&scope.repositories),
                self.tag_index("ecr:repository", &scope.project, None),
            );
            let (found, index) = (found?, index?);
            let read: Vec<Repository> = stream::iter(
                found.iter().map(|repository| self.read_repository(repository, Some((&index, &scope.expected_tags)))),
            )
            .buffered(PARALLEL_READS)
            .try_collect()
            .await?;
            Ok::<_, CloudError>((found, read))
        };
        let images = stream::iter(wanted.iter().map(|(repository, tags)| self.image_digests(repository, tags)))
            .buffered(PARALLEL_READS)
            .try_collect::<Vec<ImageLookup>>();
        let ((found, read), lookups) = futures_util::try_join!(repositories, images)?;
        for repository in read {
            let owner = shared_owner_of(&repository.tags, &scope.project);
            let name = repository.repository_name.clone();
            partial.resource(Address::Repository(name.clone()), name, json_of(&repository), owner);
        }
        let uris: BTreeMap<&str, &str> = found
            .iter()
            .filter_map(|repository| repository.repository_name().zip(repository.repository_uri()))
            .collect();
        for ((&repository, tags), lookup) in wanted.iter().zip(lookups) {
            let uri =
                uris.get(repository).map_or_else(|| self.repository_uri_pattern(repository), |uri| uri.to_string());
            record_images(&mut partial, scope, repository, tags, &lookup, &uri);
        }
        Ok(partial)
    }

    /// Creates the repository with its tag mutability, scanning and tags, then its lifecycle policy.
    /// When the repository exists already and carries the ownership tags it was being created
    /// with, it is ecsdeploy's own (the SDK repeated a CreateRepository whose answer was lost):
    /// it is brought to the desired settings as an update would, and the create goes on. One
    /// someone else created fails the create (the plan uses such repositories as they are).
    pub(super) async fn create_repository(&self, repository: &Repository) -> Result<Values, CloudError> {
        let name = &repository.repository_name;
        let resource = format!("repository {name}");
        let tags = ecr_tags(&repository.tags).map_err(|error| unsent("ecr:CreateRepository", &resource, &error))?;
        let created = self
            .ecr
            .create_repository()
            .repository_name(name)
            .image_tag_mutability(ImageTagMutability::from(repository.image_tag_mutability.as_str()))
            .set_image_tag_mutability_exclusion_filters(exclusion_filters(repository))
            .image_scanning_configuration(scanning(repository.scan_on_push))
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(error) if has_code(&error, &["RepositoryAlreadyExistsException"]) => {
                let refused = self.error("ecr:CreateRepository", &resource, &error);
                let found = self.describe_repositories(std::slice::from_ref(name)).await?;
                let Some(existing) = found.first() else { return Err(refused) };
                let existing = self.read_repository(existing, None).await?;
                if !is_ours(&existing.tags, &repository.tags) {
                    return Err(refused);
                }
                tracing::info!(repository = name, "the repository exists and is ours: going on with it");
                return self.update_repository(repository, &existing).await;
            }
            Err(error) => return Err(self.error("ecr:CreateRepository", &resource, &error)),
        }
        if repository.expire_untagged_after_days > 0 {
            self.put_expiry(name, repository.expire_untagged_after_days).await?;
        }
        Ok(Values::default())
    }

    /// Changes what differs from `before` (the repository as read), each with its own call.
    pub(super) async fn update_repository(
        &self,
        repository: &Repository,
        before: &Repository,
    ) -> Result<Values, CloudError> {
        let name = &repository.repository_name;
        if before.image_tag_mutability != repository.image_tag_mutability
            || before.image_tag_mutability_exclusion_filters != repository.image_tag_mutability_exclusion_filters
        {
            self.ecr
                .put_image_tag_mutability()
                .repository_name(name)
                .image_tag_mutability(ImageTagMutability::from(repository.image_tag_mutability.as_str()))
                .set_image_tag_mutability_exclusion_filters(exclusion_filters(repository))
                .send()
                .await
                .map_err(|error| self.error("ecr:PutImageTagMutability", format!("repository {name}"), &error))?;
        }
        if before.scan_on_push != repository.scan_on_push {
            self.ecr
                .put_image_scanning_configuration()
                .repository_name(name)
                .image_scanning_configuration(scanning(repository.scan_on_push))
                .send()
                .await
                .map_err(|error| {
                    self.error("ecr:PutImageScanningConfiguration", format!("repository {name}"), &error)
                })?;
        }
        if before.expire_untagged_after_days != repository.expire_untagged_after_days {
            self.put_expiry(name, repository.expire_untagged_after_days).await?;
        }
        self.retag_repository(name, &before.tags, &repository.tags).await?;
        Ok(Values::default())
    }

    /// Puts the pin tag on the digest: `BatchGetImage` for the image's manifest, then `PutImage`
    /// of that manifest under the tag. Idempotent: ECR answers a tag the digest already carries
    /// (a PutImage the SDK repeated after a lost answer, say) with ImageAlreadyExistsException,
    /// which is success here; the tag on another digest is ImageTagAlreadyExistsException, a
    /// failure. The pin tag names its digest, so it can be on no other one.
    pub(super) async fn pin_image(&self, pin: &ImagePin) -> Result<Values, CloudError> {
        let repository = &pin.repository_name;
        let (digest, tag) = (pin.image_digest.to_string(), pin.image_tag.to_string());
        let resource = format!("image {repository}@{digest}");
        let found = self
            .ecr
            .batch_get_image()
            .repository_name(repository)
            .image_ids(ImageIdentifier::builder().image_digest(&digest).build())
            .send()
            .await
            .map_err(|error| self.error("ecr:BatchGetImage", &resource, &error))?;
        let Some(image) = found.images().first() else {
            let kind =
                CloudErrorKind::Service { code: "ImageNotFoundException".into(), message: "the image is gone".into() };
            return Err(CloudError::new("ecr:BatchGetImage", resource, kind));
        };
        let put = self
            .ecr
            .put_image()
            .repository_name(repository)
            .image_manifest(image.image_manifest().unwrap_or_default())
            .set_image_manifest_media_type(image.image_manifest_media_type().map(str::to_string))
            .image_digest(&digest)
            .image_tag(&tag)
            .send()
            .await;
        match put {
            Ok(_) => Ok(Values::default()),
            Err(error) if has_code(&error, &["ImageAlreadyExistsException"]) => Ok(Values::default()),
            Err(error) => Err(self.error("ecr:PutImage", format!("{resource} (tag {tag})"), &error)),
        }
    }

    /// Every repository of the account named in `names` (DescribeRepositories with names fails
    /// as a whole when one of them is missing, so this lists them all).
    async fn describe_repositories(&self, names: &[String]) -> Result<Vec<aws_sdk_ecr::types::Repository>, CloudError> {
        let mut found = Vec::new();
        if names.is_empty() {
            return Ok(found);
        }
        let mut repositories = self.ecr.describe_repositories().into_paginator().items().send();
        while let Some(repository) = repositories.next().await {
            let repository =
                repository.map_err(|error| self.error("ecr:DescribeRepositories", "repositories", &error))?;
            if repository.repository_name().is_some_and(|name| names.iter().any(|wanted| wanted == name)) {
                found.push(repository);
            }
        }
        Ok(found)
    }

    /// One repository in the desired shape: its settings plus its tags and lifecycle policy.
    /// Its tags come from the tag index when it shows the expected ones.
    async fn read_repository(
        &self,
        repository: &aws_sdk_ecr::types::Repository,
        index: Option<(&TagIndex, &BTreeMap<String, Tags>)>,
    ) -> Result<Repository, CloudError> {
        let name = repository.repository_name().unwrap_or_default();
        let arn = repository.repository_arn().unwrap_or_default();
        let tags = async {
            match index.and_then(|(index, expected)| index.confirmed(arn, expected.get(name))) {
                Some(tags) => Ok(tags),
                None => self.repository_tags(name, arn).await,
            }
        };
        let (tags, expire_untagged_after_days) =
            futures_util::future::try_join(tags, self.expire_untagged_after_days(name)).await?;
        Ok(repository_of(repository, tags, expire_untagged_after_days))
    }

    async fn repository_tags(&self, name: &str, arn: &str) -> Result<Tags, CloudError> {
        let output = self
            .ecr
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|error| self.error("ecr:ListTagsForResource", format!("repository {name}"), &error))?;
        Ok(tags_from(output.tags().iter().map(|tag| (tag.key(), tag.value()))))
    }

    /// The days of the repository's "expire untagged images" rule; 0 without a lifecycle policy.
    async fn expire_untagged_after_days(&self, name: &str) -> Result<i64, CloudError> {
        let read = self.ecr.get_lifecycle_policy().repository_name(name).send().await;
        let read = read.map_err(|error| self.error("ecr:GetLifecyclePolicy", format!("repository {name}"), &error));
        let policy = read.gone_is_fine(LIFECYCLE_POLICY_NOT_FOUND)?;
        Ok(policy.and_then(|output| output.lifecycle_policy_text().map(expiry_days_of)).unwrap_or(0))
    }

    /// Writes the one-rule lifecycle policy, or removes the policy for `days` 0 (keep for ever).
    async fn put_expiry(&self, name: &str, days: i64) -> Result<(), CloudError> {
        let resource = format!("repository {name}");
        if days > 0 {
            let policy = lifecycle_policy(days);
            let put = self.ecr.put_lifecycle_policy().repository_name(name).lifecycle_policy_text(policy).send().await;
            return put.map(|_| ()).map_err(|error| self.error("ecr:PutLifecyclePolicy", &resource, &error));
        }
        let deleted = self.ecr.delete_lifecycle_policy().repository_name(name).send().await;
        deleted
            .map_err(|error| self.error("ecr:DeleteLifecyclePolicy", &resource, &error))
            .gone_is_fine(LIFECYCLE_POLICY_NOT_FOUND)?;
        Ok(())
    }

    /// Adds and removes tags to turn `before` into `after`.
    async fn retag_repository(&self, name: &str, before: &Tags, after: &Tags) -> Result<(), CloudError> {
        let changes = TagChanges::between(before, after);
        if changes.is_empty() {
            return Ok(());
        }
        let resource = &format!("repository {name}");
        let arn = &self.repository_arn(name).await?;
        changes
            .apply(
                |added| async move {
                    let tags = ecr_tags(&Tags(added)).map_err(|error| unsent("ecr:TagResource", resource, &error))?;
                    let tagged = self.ecr.tag_resource().resource_arn(arn).set_tags(Some(tags)).send().await;
                    tagged.map(drop).map_err(|error| self.error("ecr:TagResource", resource, &error))
                },
                |removed| async move {
                    let untagged = self.ecr.untag_resource().resource_arn(arn).set_tag_keys(Some(removed)).send().await;
                    untagged.map(drop).map_err(|error| self.error("ecr:UntagResource", resource, &error))
                },
            )
            .await
    }

    async fn repository_arn(&self, name: &str) -> Result<String, CloudError> {
        let output = self
            .ecr
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
            .map_err(|error| self.error("ecr:DescribeRepositories", format!("repository {name}"), &error))?;
        Ok(output
            .repositories()
            .first()
            .and_then(|repository| repository.repository_arn())
            .unwrap_or_default()
            .to_string())
    }

    /// The digests of `tags` in `repository`: all in one call when every tag exists, else (the
    /// call fails as a whole on the first missing tag) one call per tag to tell which exist.
    async fn image_digests(&self, repository: &str, tags: &[&str]) -> Result<ImageLookup, CloudError> {
        let mut digests = BTreeMap::new();
        let mut unresolved = Vec::new();
        for batch in tags.chunks(IMAGE_IDS_PER_CALL) {
            match self.describe_image_tags(repository, batch).await {
                Ok(found) => digests.extend(found),
                Err(error) if is_not_found(&error, REPOSITORY_NOT_FOUND) => return Ok(ImageLookup::RepositoryMissing),
                Err(error) if is_not_found(&error, IMAGE_NOT_FOUND) && batch.len() > 1 => {
                    unresolved.extend_from_slice(batch)
                }
                Err(error) if is_not_found(&error, IMAGE_NOT_FOUND) => {}
                Err(error) => return Err(self.images_error(repository, &error)),
            }
        }
        for tag in unresolved {
            match self.describe_image_tags(repository, &[tag]).await {
                Ok(found) => digests.extend(found),
                Err(error) if is_not_found(&error, REPOSITORY_NOT_FOUND) => return Ok(ImageLookup::RepositoryMissing),
                Err(error) if is_not_found(&error, IMAGE_NOT_FOUND) => {}
                Err(error) => return Err(self.images_error(repository, &error)),
            }
        }
        Ok(ImageLookup::Digests(digests))
    }

    async fn describe_image_tags(
        &self,
        repository: &str,
        tags: &[&str],
    ) -> Result<BTreeMap<String, FoundImage>, SdkError<DescribeImagesError>> {
        let image_ids = tags.iter().map(|tag| ImageIdentifier::builder().image_tag(*tag).build()).collect();
        let output =
            self.ecr.describe_images().repository_name(repository).set_image_ids(Some(image_ids)).send().await?;
        let mut digests = BTreeMap::new();
        for image in output.image_details() {
            let found = FoundImage {
                digest: image.image_digest().unwrap_or_default().to_string(),
                tags: image.image_tags().to_vec(),
            };
            for tag in image.image_tags().iter().filter(|tag| tags.contains(&tag.as_str())) {
                digests.insert(tag.clone(), found.clone());
            }
        }
        Ok(digests)
    }

    fn images_error(&self, repository: &str, error: &SdkError<DescribeImagesError>) -> CloudError {
        self.error("ecr:DescribeImages", format!("images of repository {repository}"), error)
    }

    /// The repository's URI as ECR spells it, for hints about a repository that does not exist.
    fn repository_uri_pattern(&self, repository: &str) -> String {
        format!("<account-id>.dkr.ecr.{}.amazonaws.com/{repository}", self.region)
    }
}

/// The tags to resolve, grouped by repository (one DescribeImages per repository).
fn tags_by_repository(images: &[ImageTag]) -> BTreeMap<&str, Vec<&str>> {
    let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for image in images {
        let tags = grouped.entry(image.repository.as_str()).or_default();
        if !tags.contains(&image.tag.as_str()) {
            tags.push(image.tag.as_str());
        }
    }
    grouped
}

/// Each tag's digest as a value, or a missing image with what to do about it.
fn record_images(
    partial: &mut Partial,
    scope: &ReadScope,
    repository: &str,
    tags: &[&str],
    lookup: &ImageLookup,
    uri: &str,
) {
    for tag in tags {
        let image = format!("image {repository}:{tag}");
        let change_tag = format!(
            "or change `tag` of the service that uses {repository} (services.toml or environments/{}.toml)",
            scope.environment
        );
        match lookup {
            ImageLookup::Digests(digests) => match digests.get(*tag) {
                Some(found) => {
                    let reference = Reference::ImageByDigest { repository: repository.to_string(), tag: tag.to_string() };
                    partial.values.set(&reference, found.digest.clone());
                    let pin = pin_tag(&found.digest);
                    let reference = Reference::ImagePinTag { repository: repository.to_string(), tag: tag.to_string() };
                    partial.values.set(&reference, pin.clone());
                    if found.tags.contains(&pin) {
                        record_pins(partial, scope, repository, tag, &found.digest, &pin);
                    }
                }
                None => partial.missing(image, format!("push it to ECR (docker push {uri}:{tag}) {change_tag} to a tag that exists")),
            },
            ImageLookup::RepositoryMissing => partial.missing(
                image,
                format!(
                    "the ECR repository {repository} does not exist yet, so the image cannot be in it: ecsdeploy creates \
                     the repository with the shared resources (a repository created by hand lacks ecsdeploy's ownership \
                     tags); then push the image (docker push {uri}:{tag}), {change_tag}"
                ),
            ),
        }
    }
}

/// The pins of the services that deploy `repository:tag`, already on its digest.
fn record_pins(partial: &mut Partial, scope: &ReadScope, repository: &str, tag: &str, digest: &str, pin: &str) {
    let image = ImageTag { repository: repository.to_string(), tag: tag.to_string() };
    for service in scope.services.iter().filter(|service| service.image.as_ref() == Some(&image)) {
        let actual = ImagePin {
            repository_name: repository.to_string(),
            image_digest: Reference::known(digest),
            image_tag: Reference::known(pin),
        };
        let address = Address::service(&service.name, ServicePart::PinnedImage);
        partial.resource(address, format!("{repository}@{digest}"), json_of(&actual), Owner::This);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::aws::test_support::test_cloud;
    use crate::desired::{Context, DesiredEnvironment, build};
    use crate::manifest::Manifest;
    use std::path::Path;

    fn desired(environment: &str, account_id: &str) -> (Manifest, DesiredEnvironment, ReadScope) {
        let manifest = crate::checked::load(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("manifest").manifest;
        let environment = manifest.environment(environment).expect("environment").clone();
        let desired = build(&manifest, &environment, &Context::new("us-east-1", Some(account_id.to_string())));
        let scope = ReadScope::new(&manifest, &environment, &desired);
        (manifest, desired, scope)
    }

    fn found<'a>(partial: &'a Partial, name: &str) -> Option<&'a crate::actual::ActualResource> {
        partial
            .resources
            .iter()
            .find(|(address, _)| *address == Address::Repository(name.to_string()))
            .map(|(_, resource)| resource)
    }

    /// Write calls made so far, by operation.
    fn writes(cloud: &AwsCloud) -> BTreeMap<String, u64> {
        cloud.calls().writes().into_iter().map(|count| (count.operation, count.calls)).collect()
    }

    /// The operations written between two snapshots of [`writes`].
    fn writes_since(before: &BTreeMap<String, u64>, cloud: &AwsCloud) -> Vec<String> {
        let after = writes(cloud);
        let made = after.iter().filter(|(operation, calls)| before.get(*operation) != Some(calls));
        made.map(|(operation, _)| operation.clone()).collect()
    }

    #[test]
    fn tags_are_grouped_per_repository_without_duplicates() {
        let image = |repository: &str, tag: &str| ImageTag { repository: repository.into(), tag: tag.into() };
        let images =
            [image("acme/auth", "v1"), image("acme/auth", "v2"), image("acme/gmail", "v1"), image("acme/auth", "v1")];
        let grouped = tags_by_repository(&images);
        assert_eq!(grouped["acme/auth"], ["v1", "v2"]);
        assert_eq!(grouped["acme/gmail"], ["v1"]);
    }

    /// A repository as read, typed as the planner hands it to an update.
    fn typed(json: &serde_json::Value) -> Repository {
        serde_json::from_value(json.clone()).expect("a repository")
    }

    #[tokio::test]
    async fn repository_round_trip_create_read_update() {
        let test = test_cloud(false).await;
        let cloud = &test.cloud;
        let (_, desired, scope) = desired("stage", &test.account_id);
        let repository =
            desired.shared.repositories.iter().find(|r| r.repository_name == "acme/auth").expect("acme/auth").clone();

        cloud.create_repository(&repository).await.expect("create");
        let read = cloud.read_repositories(&scope).await.expect("read");
        let actual = found(&read, "acme/auth").expect("created repository is read back");
        assert_eq!(actual.json, serde_json::to_value(&repository).expect("json"));
        assert_eq!(actual.id, "acme/auth");
        assert_eq!(actual.owner, crate::actual::Owner::This);
        assert!(found(&read, "acme/gmail").is_none(), "repositories not created are absent");

        let mut changed = repository.clone();
        changed.image_tag_mutability = "MUTABLE".into();
        changed.image_tag_mutability_exclusion_filters = Vec::new();
        changed.expire_untagged_after_days = 30;
        let mut tags = changed.tags.0.clone();
        tags.retain(|(key, _)| key != "Owner");
        tags.push(("Team".into(), "identity".into()));
        changed.tags = tags_from(tags.iter().map(|(key, value)| (key.as_str(), value.as_str())));
        // The desired state now wants these tags (an update follows the manifest).
        let mut scope = scope.clone();
        scope.expected_tags.insert("acme/auth".into(), changed.tags.clone());
        let writes_before = writes(cloud);
        cloud.update_repository(&changed, &typed(&actual.json)).await.expect("update");
        let made = writes_since(&writes_before, cloud);
        assert_eq!(made, ["PutImageTagMutability", "PutLifecyclePolicy", "TagResource", "UntagResource"]);
        let reread = cloud.read_repositories(&scope).await.expect("read again");
        let after = &found(&reread, "acme/auth").expect("still there").json;
        assert_eq!(after, &serde_json::to_value(&changed).expect("json"));

        changed.expire_untagged_after_days = 0;
        let writes_before = writes(cloud);
        cloud.update_repository(&changed, &typed(after)).await.expect("second update");
        assert_eq!(writes_since(&writes_before, cloud), ["DeleteLifecyclePolicy"]);
        let last = cloud.read_repositories(&scope).await.expect("read a third time");
        let unchanged = &found(&last, "acme/auth").expect("there").json;
        assert_eq!(unchanged, &serde_json::to_value(&changed).expect("json"));

        let writes_before = writes(cloud);
        cloud.update_repository(&changed, &typed(unchanged)).await.expect("no-op update");
        assert!(writes_since(&writes_before, cloud).is_empty(), "an update without differences writes nothing");
    }

    /// Scanning is switched on here, not off: the SDK sends `scanOnPush: false` as `{}` (false is
    /// the modelled default), which AWS applies as false and moto 5.2.5 ignores.
    #[tokio::test]
    async fn scan_on_push_round_trip() {
        let test = test_cloud(false).await;
        let cloud = &test.cloud;
        let (_, desired, scope) = desired("stage", &test.account_id);
        let mut repository = desired.shared.repositories[0].clone();
        repository.scan_on_push = false;
        cloud.create_repository(&repository).await.expect("create");
        let read = cloud.read_repositories(&scope).await.expect("read");
        let before = &found(&read, &repository.repository_name).expect("read back").json;
        assert_eq!(before, &serde_json::to_value(&repository).expect("json"));

        repository.scan_on_push = true;
        let writes_before = writes(cloud);
        cloud.update_repository(&repository, &typed(before)).await.expect("update");
        assert_eq!(writes_since(&writes_before, cloud), ["PutImageScanningConfiguration"]);
        let reread = cloud.read_repositories(&scope).await.expect("read again");
        let after = &found(&reread, &repository.repository_name).expect("read back").json;
        assert_eq!(after, &serde_json::to_value(&repository).expect("json"));
    }

    /// What a CreateRepository repeated after a lost answer meets: the repository made by the
    /// first attempt, without its lifecycle policy yet.
    #[tokio::test]
    async fn a_create_that_finds_its_own_repository_goes_on_and_someone_elses_fails() {
        let test = test_cloud(false).await;
        let cloud = &test.cloud;
        let (_, desired, scope) = desired("stage", &test.account_id);
        let repository = |name: &str| {
            desired.shared.repositories.iter().find(|found| found.repository_name == name).expect("repository").clone()
        };
        let auth = repository("acme/auth");
        cloud.create_repository(&Repository { expire_untagged_after_days: 0, ..auth.clone() }).await.expect("first");
        let writes_before = writes(cloud);
        cloud.create_repository(&auth).await.expect("the repeated create goes on with its own repository");
        assert_eq!(writes_since(&writes_before, cloud), ["CreateRepository", "PutLifecyclePolicy"]);
        let read = cloud.read_repositories(&scope).await.expect("read");
        let actual = found(&read, "acme/auth").expect("read back");
        assert_eq!(actual.json, serde_json::to_value(&auth).expect("json"));

        cloud.ecr.create_repository().repository_name("acme/gmail").send().await.expect("create by hand");
        let error = cloud.create_repository(&repository("acme/gmail")).await.expect_err("not taken over");
        assert_eq!(error.operation, "ecr:CreateRepository");
        assert!(error.to_string().contains("RepositoryAlreadyExistsException"), "{error}");
    }

    #[tokio::test]
    async fn repository_without_ownership_tags_is_foreign() {
        let test = test_cloud(false).await;
        let (_, _, scope) = desired("stage", &test.account_id);
        test.cloud.ecr.create_repository().repository_name("acme/gmail").send().await.expect("create by hand");
        let read = test.cloud.read_repositories(&scope).await.expect("read");
        let actual = found(&read, "acme/gmail").expect("found");
        assert_eq!(actual.owner, crate::actual::Owner::Foreign);
        assert_eq!(actual.json["imageTagMutability"], "MUTABLE");
        assert_eq!(actual.json["scanOnPush"], false);
        assert_eq!(actual.json["expireUntaggedAfterDays"], 0);
        assert_eq!(actual.json["tags"], serde_json::json!([]));
    }

    /// A minimal image manifest, as `docker push` uploads it (moto stores it without layers).
    fn image_manifest(seed: &str) -> String {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": format!("sha256:{seed:0>64}")},
            "layers": [],
        })
        .to_string()
    }

    #[tokio::test]
    async fn image_tags_resolve_to_digests_or_are_missing() {
        let test = test_cloud(false).await;
        let cloud = &test.cloud;
        let (_, desired, mut scope) = desired("stage", &test.account_id);
        let auth = desired.shared.repositories.iter().find(|r| r.repository_name == "acme/auth").expect("acme/auth");
        cloud.create_repository(auth).await.expect("create");
        let pushed = cloud
            .ecr
            .put_image()
            .repository_name("acme/auth")
            .image_manifest(image_manifest("1"))
            .image_tag("v1")
            .send()
            .await
            .expect("put image");
        let digest =
            pushed.image().and_then(|image| image.image_id()).and_then(|id| id.image_digest()).expect("digest");
        assert!(digest.starts_with("sha256:"));

        let image = |repository: &str, tag: &str| ImageTag { repository: repository.into(), tag: tag.into() };
        scope.images = vec![image("acme/auth", "v1"), image("acme/auth", "v2"), image("acme/nope", "v1")];
        let read = cloud.read_repositories(&scope).await.expect("read");
        let v1 = Reference::ImageByDigest { repository: "acme/auth".into(), tag: "v1".into() };
        assert_eq!(read.values.one(&v1), Some(digest));
        let missing: Vec<&str> = read.missing.iter().map(|missing| missing.what.as_str()).collect();
        assert_eq!(missing, ["image acme/auth:v2", "image acme/nope:v1"]);
        let uri = format!("{}.dkr.ecr.us-east-1.amazonaws.com/acme/auth:v2", test.account_id);
        assert!(read.missing[0].hint.contains(&uri), "{}", read.missing[0].hint);
        assert!(read.missing[0].hint.contains("environments/stage.toml"), "{}", read.missing[0].hint);
        assert!(read.missing[1].hint.contains("does not exist yet"), "{}", read.missing[1].hint);

        scope.images = vec![image("acme/auth", "v1")];
        let calls_before = count(cloud, "DescribeImages");
        let read = cloud.read_repositories(&scope).await.expect("read one");
        assert_eq!(read.values.one(&v1), Some(digest));
        assert!(read.missing.is_empty());
        assert_eq!(count(cloud, "DescribeImages") - calls_before, 1, "tags that all exist take one call");
    }

    fn count(cloud: &AwsCloud, operation: &str) -> u64 {
        cloud.calls().counts().iter().filter(|count| count.operation == operation).map(|count| count.calls).sum()
    }
}
