//! ECR conversions, pure: a repository as DescribeRepositories returns it, normalised into the
//! desired [`Repository`] shape (AWS's `MUTABLE` default written, exclusion filters sorted), the
//! one-rule lifecycle policy ecsdeploy writes and the days it reads back from a policy, and the
//! settings and tags as ECR takes them.

use crate::desired::shared::{ExclusionFilter, Repository};
use crate::desired::tags::Tags;
use aws_sdk_ecr::types::{
    ImageScanningConfiguration, ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType, Tag,
};
use aws_smithy_types::error::operation::BuildError;

/// A repository in the desired shape, with its `tags` and the days of its "expire untagged
/// images" rule read by their own calls.
pub(crate) fn repository_of(
    repository: &aws_sdk_ecr::types::Repository,
    tags: Tags,
    expire_untagged_after_days: i64,
) -> Repository {
    let mut filters: Vec<ExclusionFilter> = repository
        .image_tag_mutability_exclusion_filters()
        .iter()
        .map(|filter| ExclusionFilter {
            filter_type: filter.filter_type().as_str().to_string(),
            filter: filter.filter().to_string(),
        })
        .collect();
    filters.sort();
    Repository {
        repository_name: repository.repository_name().unwrap_or_default().to_string(),
        // AWS's default when a repository was created without one.
        image_tag_mutability: repository
            .image_tag_mutability()
            .map_or("MUTABLE", |mutability| mutability.as_str())
            .to_string(),
        image_tag_mutability_exclusion_filters: filters,
        scan_on_push: repository.image_scanning_configuration().is_some_and(|scanning| scanning.scan_on_push()),
        expire_untagged_after_days,
        tags,
    }
}

/// The lifecycle policy ecsdeploy writes: one rule that expires untagged images `days` after
/// they were pushed.
pub(crate) fn lifecycle_policy(days: i64) -> String {
    serde_json::json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("Expire untagged images {days} days after push (managed by ecsdeploy)"),
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": days},
            "action": {"type": "expire"},
        }]
    })
    .to_string()
}

/// The days after which `policy` expires untagged images: its first such rule by priority (rules
/// others added are left alone); 0 when it has none.
pub(crate) fn expiry_days_of(policy: &str) -> i64 {
    let Ok(policy) = serde_json::from_str::<serde_json::Value>(policy) else { return 0 };
    let mut rules: Vec<&serde_json::Value> =
        policy["rules"].as_array().map(|rules| rules.iter().collect()).unwrap_or_default();
    rules.sort_by_key(|rule| rule["rulePriority"].as_i64().unwrap_or(i64::MAX));
    let expires_untagged = |rule: &&&serde_json::Value| {
        let selection = &rule["selection"];
        selection["tagStatus"] == "untagged"
            && selection["countType"] == "sinceImagePushed"
            && selection["countUnit"] == "days"
            && rule["action"]["type"] == "expire"
    };
    rules.iter().find(expires_untagged).and_then(|rule| rule["selection"]["countNumber"].as_i64()).unwrap_or(0)
}

/// The exclusion filters to send (`None` when there are none: ECR refuses an empty list with
/// `IMMUTABLE_WITH_EXCLUSION` and any list with the other settings).
pub(crate) fn exclusion_filters(repository: &Repository) -> Option<Vec<ImageTagMutabilityExclusionFilter>> {
    if !repository.image_tag_mutability.ends_with("_WITH_EXCLUSION") {
        return None;
    }
    let filters: Vec<ImageTagMutabilityExclusionFilter> = repository
        .image_tag_mutability_exclusion_filters
        .iter()
        .filter_map(|filter| {
            ImageTagMutabilityExclusionFilter::builder()
                .filter_type(ImageTagMutabilityExclusionFilterType::from(filter.filter_type.as_str()))
                .filter(&filter.filter)
                .build()
                .ok()
        })
        .collect();
    (!filters.is_empty()).then_some(filters)
}

/// The scanning setting as ECR takes it.
pub(crate) fn scanning(scan_on_push: bool) -> ImageScanningConfiguration {
    ImageScanningConfiguration::builder().scan_on_push(scan_on_push).build()
}

/// Tags as ECR takes them, in their order.
pub(crate) fn ecr_tags(tags: &Tags) -> Result<Vec<Tag>, BuildError> {
    tags.0.iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_policy_round_trips_and_tolerates_other_rules() {
        assert_eq!(expiry_days_of(&lifecycle_policy(14)), 14);
        let others = r#"{"rules": [
            {"rulePriority": 5, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30}, "action": {"type": "expire"}},
            {"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPrefixList": ["dev"], "countType": "imageCountMoreThan", "countNumber": 10}, "action": {"type": "expire"}},
            {"rulePriority": 9, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 90}, "action": {"type": "expire"}}
        ]}"#;
        assert_eq!(expiry_days_of(others), 30);
        let by_count = r#"{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 3}, "action": {"type": "expire"}}]}"#;
        assert_eq!(expiry_days_of(by_count), 0);
        assert_eq!(expiry_days_of("not json"), 0);
    }

    fn wildcard(filter: &str) -> ExclusionFilter {
        ExclusionFilter { filter_type: "WILDCARD".into(), filter: filter.into() }
    }

    fn desired(mutability: &str, filters: Vec<ExclusionFilter>) -> Repository {
        Repository {
            repository_name: "acme/auth".into(),
            image_tag_mutability: mutability.into(),
            image_tag_mutability_exclusion_filters: filters,
            scan_on_push: true,
            expire_untagged_after_days: 14,
            tags: Tags::owned("acme", "shared", None, []),
        }
    }

    #[test]
    fn a_repository_reads_with_the_default_mutability_and_filters_sorted() {
        let bare = aws_sdk_ecr::types::Repository::builder().repository_name("acme/auth").build();
        let read = repository_of(&bare, Tags::default(), 0);
        assert_eq!((read.image_tag_mutability.as_str(), read.scan_on_push), ("MUTABLE", false));
        assert!(read.image_tag_mutability_exclusion_filters.is_empty());

        let wanted = desired("IMMUTABLE_WITH_EXCLUSION", vec![wildcard("dev-*"), wildcard("latest")]);
        let mut sent = exclusion_filters(&wanted).expect("filters");
        sent.reverse();
        let answered = aws_sdk_ecr::types::Repository::builder()
            .repository_name("acme/auth")
            .image_tag_mutability(aws_sdk_ecr::types::ImageTagMutability::ImmutableWithExclusion)
            .set_image_tag_mutability_exclusion_filters(Some(sent))
            .image_scanning_configuration(scanning(true))
            .build();
        assert_eq!(repository_of(&answered, wanted.tags.clone(), 14), wanted);
    }

    #[test]
    fn exclusion_filters_are_sent_only_with_a_setting_that_takes_them() {
        assert!(exclusion_filters(&desired("IMMUTABLE", vec![wildcard("latest")])).is_none());
        assert!(exclusion_filters(&desired("IMMUTABLE_WITH_EXCLUSION", Vec::new())).is_none());
        let sent = exclusion_filters(&desired("MUTABLE_WITH_EXCLUSION", vec![wildcard("v*")])).expect("filters");
        assert_eq!(sent.iter().map(|filter| filter.filter()).collect::<Vec<_>>(), ["v*"]);
        assert_eq!(sent[0].filter_type(), &ImageTagMutabilityExclusionFilterType::Wildcard);
    }

    #[test]
    fn tags_are_sent_in_order() {
        let tags = Tags::owned("acme", "shared", None, []);
        let sent = ecr_tags(&tags).expect("tags");
        let pairs: Vec<(&str, &str)> = sent.iter().map(|tag| (tag.key(), tag.value())).collect();
        assert_eq!(pairs, [("ecsdeploy:project", "acme"), ("ecsdeploy:environment", "shared")]);
        assert!(scanning(true).scan_on_push() && !scanning(false).scan_on_push());
    }
}
