//! The tags of many resources in one call: the Resource Groups Tagging API's `GetResources`,
//! asked for one resource type and ecsdeploy's ownership tags, answers every matching resource
//! with all its tags, up to 100 per page. It replaces one `ListTagsForResource` per alarm, log
//! group and repository.
//!
//! The Tagging API is an index that follows the services (its API reference speaks of resources
//! "tagged or previously tagged"): a resource created or retagged moments ago may be missing or
//! show its previous tags, and a deleted one may still be listed. So the index is only ever
//! asked about resources that the service's own describe call found, and a resource the index
//! does not answer for, or answers with other tags than the manifest wants, is read the old way,
//! with the service's `ListTagsForResource`: right after a deploy that is what happens for the
//! new and retagged resources, and in the steady state nothing is.
//! A caller denied `tag:GetResources` reads every resource's tags the old way, told once.

use super::AwsCloud;
use super::common::tags_from;
use crate::cloud::CloudError;
use crate::desired::tags::{ENVIRONMENT_TAG, PROJECT_TAG, Tags};
use aws_sdk_resourcegroupstagging::types::TagFilter;
use std::collections::BTreeMap;

/// `GetResources`' largest page (`ResourcesPerPage`, 1-100).
const RESOURCES_PER_PAGE: i32 = 100;

/// Tags by ARN, as the Tagging API answered them for one resource type.
#[derive(Debug, Default)]
pub(super) struct TagIndex {
    tags: BTreeMap<String, Tags>,
}

impl TagIndex {
    /// The tags of `arn` when the index shows exactly the tags the desired state gives it
    /// (`expected`); `None` when the resource must be asked itself.
    ///
    /// The index may be behind: right after ecsdeploy changed a resource's tags it shows the old
    /// ones, which differ from the desired ones, so the resource is asked and the plan shows no
    /// change that was already made. A resource that matches in the index and was retagged by
    /// someone else moments ago shows its drift on the next read, as any eventually consistent
    /// read would.
    pub fn confirmed(&self, arn: &str, expected: Option<&Tags>) -> Option<Tags> {
        let indexed = self.tags.get(arn)?;
        let as_map = |tags: &Tags| tags.0.iter().cloned().collect::<BTreeMap<String, String>>();
        (as_map(indexed) == as_map(expected?)).then(|| indexed.clone())
    }
}

impl AwsCloud {
    /// The resources of `resource_type` (`cloudwatch:alarm`, `logs:log-group`,
    /// `ecr:repository`) tagged as `project`'s (and, when given, `environment`'s), with their
    /// tags. An empty index when the caller may not use the Tagging API.
    pub(super) async fn tag_index(
        &self,
        resource_type: &str,
        project: &str,
        environment: Option<&str>,
    ) -> Result<TagIndex, CloudError> {
        let mut filters = vec![TagFilter::builder().key(PROJECT_TAG).values(project).build()];
        if let Some(environment) = environment {
            filters.push(TagFilter::builder().key(ENVIRONMENT_TAG).values(environment).build());
        }
        let pages = self
            .tagging
            .get_resources()
            .resource_type_filters(resource_type)
            .set_tag_filters(Some(filters))
            .resources_per_page(RESOURCES_PER_PAGE)
            .into_paginator()
            .send()
            .try_collect()
            .await;
        let pages = match pages {
            Ok(pages) => pages,
            Err(error) => {
                let error =
                    self.error("tag:GetResources", format!("{resource_type} tagged {PROJECT_TAG}={project}"), &error);
                if !error.is_access_denied() {
                    return Err(error);
                }
                static TOLD: std::sync::Once = std::sync::Once::new();
                TOLD.call_once(|| {
                    tracing::warn!(
                        "tag:GetResources is denied ({error}): reading the tags of alarms, log groups and \
                         repositories one resource at a time; allow it to read them in a few calls"
                    )
                });
                return Ok(TagIndex::default());
            }
        };
        let tags = pages
            .iter()
            .flat_map(|page| page.resource_tag_mapping_list())
            .filter_map(|mapping| {
                let arn = mapping.resource_arn()?;
                let tags = tags_from(mapping.tags().iter().map(|tag| (tag.key(), tag.value())));
                Some((arn.to_string(), tags))
            })
            .collect();
        Ok(TagIndex { tags })
    }
}

#[cfg(test)]
mod tests {
    use super::TagIndex;
    use crate::desired::tags::Tags;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        Tags(pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect())
    }

    #[test]
    fn the_index_is_trusted_only_when_it_shows_the_wanted_tags() {
        let arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:acme-stage-auth-cpu";
        let index = TagIndex { tags: [(arn.to_string(), tags(&[("b", "2"), ("a", "1")]))].into() };
        // In any order.
        assert_eq!(index.confirmed(arn, Some(&tags(&[("a", "1"), ("b", "2")]))), Some(tags(&[("b", "2"), ("a", "1")])));
        // Behind a retag (or not as wanted): the resource is asked itself.
        assert_eq!(index.confirmed(arn, Some(&tags(&[("a", "1"), ("b", "3")]))), None);
        // Nothing wanted (a resource on its way out), or not in the index (created moments ago).
        assert_eq!(index.confirmed(arn, None), None);
        assert_eq!(index.confirmed("arn:aws:cloudwatch:us-east-1:123456789012:alarm:other", Some(&tags(&[]))), None);
    }
}
