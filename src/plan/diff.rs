//! Field-level differences between two JSON payloads of the same shape.

use serde::Serialize;

/// One changed field: its path (`containerDefinitions[0].environment[1].value`) and both values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub path: String,
    /// Absent: the field is new.
    pub before: Option<serde_json::Value>,
    /// Absent: the field goes away.
    pub after: Option<serde_json::Value>,
}

/// The fields in which `after` differs from `before`, skipping the top-level keys in `ignored`.
///
/// Objects are compared key by key; lists element by element when their lengths agree (so that
/// one changed environment variable shows as one change), and whole otherwise.
pub fn diff(before: &serde_json::Value, after: &serde_json::Value, ignored: &[&str]) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    match (before, after) {
        (serde_json::Value::Object(old), serde_json::Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys.into_iter().filter(|key| !ignored.contains(&key.as_str())) {
                walk(key.clone(), old.get(key.as_str()), new.get(key.as_str()), &mut changes);
            }
        }
        _ => walk(String::new(), Some(before), Some(after), &mut changes),
    }
    changes
}

fn walk(
    path: String,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
    changes: &mut Vec<FieldChange>,
) {
    // A missing field and an explicit null mean the same to every AWS API used here.
    let before = before.filter(|value| !value.is_null());
    let after = after.filter(|value| !value.is_null());
    match (before, after) {
        (None, None) => {}
        (Some(serde_json::Value::Object(old)), Some(serde_json::Value::Object(new))) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                walk(join(&path, key), old.get(key.as_str()), new.get(key.as_str()), changes);
            }
        }
        (Some(serde_json::Value::Array(old)), Some(serde_json::Value::Array(new))) if old.len() == new.len() => {
            for (index, (old, new)) in old.iter().zip(new).enumerate() {
                let element = match (identity(old), identity(new)) {
                    (Some(old_name), Some(new_name)) if old_name == new_name => old_name.to_string(),
                    _ => index.to_string(),
                };
                walk(format!("{path}[{element}]"), Some(old), Some(new), changes);
            }
        }
        (before, after) if before != after => {
            changes.push(FieldChange { path, before: before.cloned(), after: after.cloned() })
        }
        _ => {}
    }
}

/// What names a list element for people: its `Key` or `name` (an attribute, a tag, an
/// environment variable), so that a change reads `Attributes[idle_timeout.timeout_seconds].Value`
/// rather than `Attributes[0].Value`.
fn identity(element: &serde_json::Value) -> Option<&str> {
    ["Key", "key", "Name", "name"].iter().find_map(|field| element.get(*field)?.as_str())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_changes_with_paths() {
        let before =
            json!({"family": "a", "cpu": "256", "env": [{"name": "A", "value": "1"}], "gone": 1, "desiredCount": 3});
        let after =
            json!({"family": "a", "cpu": "512", "env": [{"name": "A", "value": "2"}], "new": true, "desiredCount": 1});
        let changes = diff(&before, &after, &["desiredCount"]);
        let paths: Vec<&str> = changes.iter().map(|change| change.path.as_str()).collect();
        assert_eq!(paths, ["cpu", "env[A].value", "gone", "new"]);
        assert_eq!(changes[2].after, None);
        assert_eq!(changes[3].before, None);
    }

    #[test]
    fn list_elements_are_named_by_their_key_when_both_sides_agree() {
        let before = json!({"Attributes": [{"Key": "idle", "Value": "60"}, {"Key": "drop", "Value": "false"}]});
        let after = json!({"Attributes": [{"Key": "idle", "Value": "300"}, {"Key": "other", "Value": "false"}]});
        let paths: Vec<String> = diff(&before, &after, &[]).into_iter().map(|change| change.path).collect();
        assert_eq!(paths, ["Attributes[idle].Value", "Attributes[1].Key"]);
    }

    #[test]
    fn null_and_missing_are_equal_and_lists_of_other_lengths_change_whole() {
        assert!(diff(&json!({"a": null}), &json!({}), &[]).is_empty());
        let changes = diff(&json!({"l": [1]}), &json!({"l": [1, 2]}), &[]);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].path, "l");
    }
}
