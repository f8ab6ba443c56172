//! Tags: ownership tags that mark what ecsdeploy manages, plus the manifest's cost-allocation tags.
//!
//! Each AWS API spells tags its own way (`key`/`value` in ECS, `Key`/`Value` in ELBv2 and IAM, a
//! map in CloudWatch Logs and Application Auto Scaling); [`Tags`] holds them once and serialises
//! in each spelling.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serializer};

/// The tag naming the project that owns a resource.
pub const PROJECT_TAG: &str = "ecsdeploy:project";
/// The tag naming the owning environment (`shared` for what all environments use).
pub const ENVIRONMENT_TAG: &str = "ecsdeploy:environment";
/// The tag naming the owning service.
pub const SERVICE_TAG: &str = "ecsdeploy:service";
/// On an ECS service: the digest of the secret versions its running deployment started with.
pub const SECRET_VERSIONS_TAG: &str = "ecsdeploy:secret-versions";
/// On a secret whose rotation `up` configured from the manifest (value `manifest`): only such
/// rotation is stopped when the manifest no longer asks for it; rotation set up by hand on a
/// secret ecsdeploy created is left alone.
pub const ROTATION_TAG: &str = "ecsdeploy:rotation";
/// The environment tag value of resources shared by every environment.
pub const SHARED_ENVIRONMENT: &str = crate::manifest::SHARED_ENVIRONMENT_NAME;

/// Tags in a stable order (ownership tags first, then the manifest's by key).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(pub Vec<(String, String)>);

impl Tags {
    /// Ownership tags and then `extra` (later entries win for the same key).
    pub fn owned<'a>(
        project: &str,
        environment: &str,
        service: Option<&str>,
        extra: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut manifest_tags: Vec<(String, String)> = Vec::new();
        for (key, value) in extra {
            manifest_tags.retain(|(existing, _)| existing != key);
            manifest_tags.push((key.to_string(), value.to_string()));
        }
        manifest_tags.sort();
        let mut tags = vec![
            (PROJECT_TAG.to_string(), project.to_string()),
            (ENVIRONMENT_TAG.to_string(), environment.to_string()),
        ];
        if let Some(service) = service {
            tags.push((SERVICE_TAG.to_string(), service.to_string()));
        }
        tags.extend(manifest_tags);
        Tags(tags)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `[{"key": .., "value": ..}]` (ECS).
pub fn ecs_style<S: Serializer>(tags: &Tags, serializer: S) -> Result<S::Ok, S::Error> {
    pairs(tags, serializer, "key", "value")
}

/// `[{"Key": .., "Value": ..}]` (ELBv2, IAM, Route53).
pub fn pascal_style<S: Serializer>(tags: &Tags, serializer: S) -> Result<S::Ok, S::Error> {
    pairs(tags, serializer, "Key", "Value")
}

/// `{"key": "value"}` (CloudWatch Logs, Application Auto Scaling).
pub fn map_style<S: Serializer>(tags: &Tags, serializer: S) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(tags.len()))?;
    for (key, value) in &tags.0 {
        map.serialize_entry(key, value)?;
    }
    map.end()
}

fn pairs<S: Serializer>(tags: &Tags, serializer: S, key_name: &str, value_name: &str) -> Result<S::Ok, S::Error> {
    let mut sequence = serializer.serialize_seq(Some(tags.len()))?;
    for (key, value) in &tags.0 {
        let mut entry = serde_json::Map::new();
        entry.insert(key_name.to_string(), key.clone().into());
        entry.insert(value_name.to_string(), value.clone().into());
        sequence.serialize_element(&entry)?;
    }
    sequence.end()
}

/// Tags read back in any of the three spellings: `[{"key", "value"}]`, `[{"Key", "Value"}]` or a map.
impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let text = |value: Option<&serde_json::Value>| value.and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let pairs = match value {
            serde_json::Value::Object(map) => {
                map.into_iter().map(|(key, value)| (key, value.as_str().unwrap_or_default().to_string())).collect()
            }
            serde_json::Value::Array(items) => items
                .iter()
                .map(|item| {
                    let key = item.get("key").or_else(|| item.get("Key"));
                    let value = item.get("value").or_else(|| item.get("Value"));
                    (text(key), text(value))
                })
                .collect(),
            serde_json::Value::Null => Vec::new(),
            other => return Err(serde::de::Error::custom(format!("tags must be a list or a map, found {other}"))),
        };
        Ok(Tags(pairs))
    }
}

/// Tags from any SDK's key/value pairs, in ecsdeploy's order (ownership tags first, then by key),
/// so that the same tags always compare equal. AWS's own tags (`aws:cloudformation:stack-name`,
/// ...) are left out: nobody can set or remove them, so they are never a difference.
pub fn tags_from<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Tags {
    let mut ownership = Vec::new();
    let mut others = Vec::new();
    for (key, value) in pairs.into_iter().filter(|(key, _)| !key.starts_with("aws:")) {
        let pair = (key.to_string(), value.to_string());
        if key.starts_with("ecsdeploy:") { ownership.push(pair) } else { others.push(pair) }
    }
    let rank = |key: &str| match key {
        PROJECT_TAG => 0,
        ENVIRONMENT_TAG => 1,
        _ => 2,
    };
    ownership.sort_by(|a, b| (rank(&a.0), &a.0).cmp(&(rank(&b.0), &b.0)));
    others.sort();
    ownership.extend(others);
    Tags(ownership)
}
