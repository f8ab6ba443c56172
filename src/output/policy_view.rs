//! The deployer policy of `ecsdeploy policy`: the IAM document itself in text mode (ready for
//! `aws iam create-policy --policy-document file://...`), and a versioned document around it
//! with `--output json`.

use crate::desired::iam::PolicyDocument;
use serde::Serialize;

/// Version of the JSON shape of `policy --output json`.
pub const POLICY_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct PolicyOutput<'a> {
    schema_version: u32,
    environment: &'a str,
    /// Characters without whitespace, as IAM counts them for its size limits.
    size: usize,
    policy: &'a PolicyDocument,
}

pub fn text(policy: &PolicyDocument) -> String {
    serde_json::to_string_pretty(policy).unwrap_or_default()
}

pub fn json(environment: &str, policy: &PolicyDocument, size: usize) -> serde_json::Value {
    let output = PolicyOutput { schema_version: POLICY_SCHEMA_VERSION, environment, size, policy };
    serde_json::to_value(output).unwrap_or(serde_json::Value::Null)
}
