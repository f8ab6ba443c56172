//! IAM conversions, pure: a role as GetRole and GetRolePolicy return it, normalised into the
//! desired [`Role`] shape, and the desired shape's documents and tags as IAM takes them.
//!
//! IAM returns policy documents URL-encoded and as they were submitted (a `Statement` may be an
//! object, an `Action` a string); [`read_document`] decodes and coerces them to the desired
//! spelling, so that a role created from a desired [`Role`] reads back byte-identical and a second
//! plan is empty.

use super::super::common::unsent;
use crate::cloud::CloudError;
use crate::desired::iam::{CreateRole, PolicyDocument, PutRolePolicy, Role};
use crate::desired::names::ROLE_POLICY_NAME;
use crate::desired::tags::tags_from;
use serde_json::{Map, Value};

/// Key order of [`PolicyDocument`] and of its statements as the desired side serialises them.
const DOCUMENT_KEYS: &[&str] = &["Version", "Statement"];
const STATEMENT_KEYS: &[&str] = &["Sid", "Effect", "Principal", "Action", "Resource", "Condition"];
/// Statement fields IAM accepts as a string or a list; the desired side always writes a list.
const LIST_KEYS: &[&str] = &["Action", "NotAction", "Resource", "NotResource"];

/// The role in the desired shape, its tags in canonical order. `tags` are the role's own
/// (`ListRoles` does not return them: they come from `GetRole` or the authorization details).
pub(crate) fn role_of(
    role: &aws_sdk_iam::types::Role,
    tags: &[aws_sdk_iam::types::Tag],
    trust: PolicyDocument,
    policy: Option<PolicyDocument>,
) -> Role {
    Role {
        create_role: CreateRole {
            role_name: role.role_name().to_string(),
            path: role.path().to_string(),
            assume_role_policy_document: trust,
            description: role.description().unwrap_or_default().to_string(),
            tags: tags_from(tags.iter().map(|tag| (tag.key(), tag.value()))),
        },
        put_role_policy: policy.map(|policy_document| PutRolePolicy {
            role_name: role.role_name().to_string(),
            policy_name: ROLE_POLICY_NAME.to_string(),
            policy_document,
        }),
    }
}

/// IAM tags; the builder refuses only a missing key or value, which `Tags` cannot have.
pub(crate) fn iam_tags(
    pairs: impl IntoIterator<Item = (String, String)>,
    operation: &str,
    resource: &str,
) -> Result<Vec<aws_sdk_iam::types::Tag>, CloudError> {
    pairs
        .into_iter()
        .map(|(key, value)| {
            aws_sdk_iam::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|error| unsent(operation, resource, error))
        })
        .collect()
}

/// The document as IAM takes it: its JSON text in the desired spelling.
pub(crate) fn document_string(
    document: &PolicyDocument,
    operation: &str,
    resource: &str,
) -> Result<String, CloudError> {
    serde_json::to_string(document).map_err(|error| unsent(operation, resource, error))
}

/// A policy document as read: typed where [`PolicyDocument`] can hold it, and its normalised
/// text (which is what the typed document serialises to whenever it can hold it all).
#[derive(Debug)]
pub(crate) struct ReadDocument {
    pub document: PolicyDocument,
    pub text: String,
}

/// Decodes, parses and normalises a policy document as IAM returns it.
pub(crate) fn read_document(encoded: &str) -> ReadDocument {
    let decoded = percent_decode(encoded);
    let Ok(parsed) = serde_json::from_str::<Value>(&decoded) else {
        return ReadDocument { document: empty_document(), text: decoded };
    };
    let normalised = normalise_document(parsed);
    let document = serde_json::from_value(normalised.clone()).unwrap_or_else(|_| empty_document());
    let text = serde_json::to_string(&normalised).unwrap_or(decoded);
    ReadDocument { document, text }
}

/// Stands in for a document [`PolicyDocument`] cannot hold; the JSON carries its real text.
fn empty_document() -> PolicyDocument {
    PolicyDocument { version: String::new(), statement: Vec::new(), other: Default::default() }
}

/// `%XX` escapes decoded (RFC 3986, as IAM encodes documents; `+` stays `+`). A `%` that starts no
/// valid escape is kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = if bytes[index] == b'%' { bytes.get(index + 1..index + 3).and_then(hex_byte) } else { None };
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |byte: u8| (byte as char).to_digit(16);
    Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
}

/// The document in the desired spelling: `Statement` a list, `Action`/`Resource` lists, keys in
/// the desired struct's order (anything else after them, as IAM returned it).
fn normalise_document(document: Value) -> Value {
    let Value::Object(mut map) = document else { return document };
    let statements = match map.get("Statement").cloned() {
        Some(Value::Array(statements)) => statements,
        Some(one) => vec![one],
        None => Vec::new(),
    };
    if map.contains_key("Statement") {
        map.insert("Statement".into(), Value::Array(statements.into_iter().map(normalise_statement).collect()));
    }
    Value::Object(ordered(map, DOCUMENT_KEYS))
}

fn normalise_statement(statement: Value) -> Value {
    let Value::Object(mut map) = statement else { return statement };
    for key in LIST_KEYS {
        if let Some(Value::String(one)) = map.get(*key) {
            let list = Value::Array(vec![Value::String(one.clone())]);
            map.insert(key.to_string(), list);
        }
    }
    Value::Object(ordered(map, STATEMENT_KEYS))
}

/// `map` with `keys` first, in that order, then the other keys in their order.
fn ordered(map: Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    let mut ordered: Map<String, Value> =
        keys.iter().filter_map(|key| map.get(*key).map(|value| (key.to_string(), value.clone()))).collect();
    ordered.extend(map.into_iter().filter(|(key, _)| !keys.contains(&key.as_str())));
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn percent_decoding() {
        let cases = [
            ("%7B%22Action%22%3A%20%22s3%3A%2A%22%7D", r#"{"Action": "s3:*"}"#),
            ("arn:aws:logs:us-east-1:1:log-group:/ecs/a", "arn:aws:logs:us-east-1:1:log-group:/ecs/a"),
            ("a+b%2Bc", "a+b+c"),
            ("100%", "100%"),
            ("%zz%4", "%zz%4"),
            ("%+1x", "%+1x"),
            ("caf%C3%A9", "café"),
            ("%e2%82%ac", "€"),
        ];
        for (encoded, decoded) in cases {
            assert_eq!(percent_decode(encoded), decoded, "{encoded}");
        }
    }

    #[test]
    fn documents_normalise_to_the_desired_spelling() {
        let cases = [
            (
                json!({"Statement": {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}, "Version": "2012-10-17"}),
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":["sts:AssumeRole"]}]}"#,
            ),
            (
                json!({"Version": "2012-10-17", "Statement": [{"Resource": "*", "Sid": "A", "Action": ["a:B", "a:C"], "Effect": "Allow"}]}),
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["a:B","a:C"],"Resource":["*"]}]}"#,
            ),
            (
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}]}),
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Resource":["*"],"NotAction":["iam:*"]}]}"#,
            ),
        ];
        for (document, expected) in cases {
            let read = read_document(&document.to_string());
            assert_eq!(read.text, expected);
        }
    }

    #[test]
    fn typed_documents_serialise_to_their_normalised_text() {
        let (_, services) = crate::cloud::aws::test_support::stage_scope("123456789012");
        for service in services {
            for role in [&service.execution_role, &service.task_role].into_iter().flatten() {
                let trust = serde_json::to_string(&role.create_role.assume_role_policy_document).expect("serialise");
                let read = read_document(&trust);
                assert_eq!(read.document, role.create_role.assume_role_policy_document);
                assert_eq!(read.text, trust);
            }
        }
    }

    /// A document ecsdeploy would not write (a `NotAction`) is read whole: typed, with what the
    /// typed statement does not name kept beside it, and as text; so a plan shows it, and the
    /// update that puts ecsdeploy's back compares typed documents that differ.
    #[test]
    fn documents_beyond_ecsdeploys_own_keep_what_they_hold() {
        let read = read_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*"]}]}"#);
        assert!(read.document.statement[0].action.is_empty());
        assert_eq!(read.document.statement[0].other.get("NotAction"), Some(&json!(["iam:*"])));
        assert!(read.text.contains("NotAction"));
        let broken = read_document("%7Bnot json");
        assert_eq!(broken.text, "{not json");
    }

    #[test]
    fn a_role_reads_with_tags_in_canonical_order_and_ecsdeploys_policy_name() {
        let tag =
            |key: &str, value: &str| aws_sdk_iam::types::Tag::builder().key(key).value(value).build().expect("tag");
        let role = aws_sdk_iam::types::Role::builder()
            .role_name("acme-stage-auth-task")
            .path("/ecsdeploy/")
            .role_id("AROAEXAMPLE")
            .arn("arn:aws:iam::123456789012:role/ecsdeploy/acme-stage-auth-task")
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .tags(tag("Team", "identity"))
            .tags(tag("ecsdeploy:environment", "stage"))
            .tags(tag("ecsdeploy:project", "acme"))
            .build()
            .expect("role");
        let trust =
            read_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#);
        let read = role_of(&role, role.tags(), trust.document.clone(), None);
        assert_eq!(read.create_role.path, "/ecsdeploy/");
        assert_eq!(read.create_role.description, "", "no description reads as an empty one");
        let keys: Vec<&str> = read.create_role.tags.0.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys, ["ecsdeploy:project", "ecsdeploy:environment", "Team"]);
        assert!(read.put_role_policy.is_none());
        let with_policy = role_of(&role, role.tags(), trust.document.clone(), Some(trust.document.clone()));
        let policy = with_policy.put_role_policy.expect("policy");
        assert_eq!(
            (policy.role_name.as_str(), policy.policy_name.as_str()),
            ("acme-stage-auth-task", ROLE_POLICY_NAME)
        );
        assert_eq!(policy.policy_document, trust.document);
    }

    #[test]
    fn tags_and_documents_are_sent_as_the_desired_side_writes_them() {
        let pairs = vec![("ecsdeploy:project".to_string(), "acme".to_string()), ("Team".to_string(), "id".to_string())];
        let tags = iam_tags(pairs, "iam:TagRole", "role acme-stage-auth-task").expect("tags");
        let sent: Vec<(&str, &str)> = tags.iter().map(|tag| (tag.key(), tag.value())).collect();
        assert_eq!(sent, [("ecsdeploy:project", "acme"), ("Team", "id")]);
        let document = read_document(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},"Version":"2012-10-17"}"#,
        );
        let text = document_string(&document.document, "iam:PutRolePolicy", "role acme-stage-auth-task").expect("text");
        assert_eq!(text, document.text, "what is sent reads back the same");
        assert_eq!(
            text,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}"#
        );
    }
}
