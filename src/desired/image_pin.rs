//! The tag that keeps a deployed image: `ecsdeploy-<digest hex>`, put on the digest a task
//! definition runs (ECR `PutImage` with the image's own manifest), so that the repository's
//! lifecycle policy (which expires untagged images) never removes an image the history can roll
//! back to, even after the tag it was deployed from (`latest`) moved to a newer image.
//!
//! The tag is derived from the digest, so it never needs to move: it stays valid in a repository
//! whose other tags are immutable, and putting it twice is the same request.

use super::reference::Reference;
use super::task_definition::{ImageReference, TaskDefinition};
use serde::{Deserialize, Serialize};

/// Prefix of the tags ecsdeploy puts on the images it deploys.
pub const PIN_TAG_PREFIX: &str = "ecsdeploy-";

/// ECR `PutImage` of the image's manifest under the pin tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImagePin {
    pub repository_name: String,
    pub image_digest: Reference,
    pub image_tag: Reference,
}

/// The pin of the service's ECR image (none for an image from another registry).
pub fn image_pin(task_definition: &TaskDefinition) -> Option<ImagePin> {
    let container = task_definition.container_definitions.first()?;
    let ImageReference::Ecr { repository, tag, digest, .. } = &container.image else { return None };
    Some(ImagePin {
        repository_name: repository.clone(),
        image_digest: digest.clone(),
        image_tag: Reference::ImagePinTag { repository: repository.clone(), tag: tag.clone() },
    })
}

/// The pin tag of `digest` (`sha256:ab12...` -> `ecsdeploy-ab12...`).
pub fn pin_tag(digest: &str) -> String {
    let hex = digest.split_once(':').map_or(digest, |(_, hex)| hex);
    format!("{PIN_TAG_PREFIX}{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_is_the_digest_without_its_algorithm() {
        assert_eq!(pin_tag("sha256:0123abcd"), "ecsdeploy-0123abcd");
        // ECR tags allow up to 300 characters; a sha256 pin takes 74.
        assert_eq!(pin_tag(&format!("sha256:{}", "f".repeat(64))).len(), 74);
    }
}
