//! The actual state of an environment as read from AWS, in the same shapes as the desired state
//! (so that plan compares like with like), with who owns each resource.
//!
//! Readers normalise what AWS returns before it lands here: defaults AWS fills in are written
//! out, lists AWS reorders are sorted, and units are AWS's own (`"256"` CPU units).

pub mod egress;
pub mod ownership;
pub mod scope;

use crate::resource::address::Address;
use crate::resource::values::Values;
use serde::Serialize;
use std::collections::BTreeMap;

/// What planning needs from AWS: one read of everything a scope names, normalised into the
/// desired shapes, with owners and the values of references. Reads only.
#[allow(async_fn_in_trait)]
pub trait EnvironmentReader {
    async fn read(&self, scope: &scope::ReadScope) -> Result<ActualState, crate::cloud::CloudError>;
}

/// Who owns a resource, by its `ecsdeploy:*` tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Owner {
    /// This project: this environment, or (for shared resources) environment `shared`.
    This,
    /// This project, another environment.
    OtherEnvironment(String),
    /// Not ecsdeploy's, or another project's: never changed, never deleted.
    Foreign,
}

/// One resource that exists.
#[derive(Debug, Clone, PartialEq)]
pub struct ActualResource {
    /// Its ARN or name, for updates and deletes.
    pub id: String,
    /// Its content in the desired shape.
    pub json: serde_json::Value,
    pub owner: Owner,
}

/// Something that must exist before anything changes (a secret, an image, the network) and
/// does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub what: String,
    pub hint: String,
}

/// A rule on the shared HTTPS listener that ecsdeploy does not own for this environment, kept so
/// that plan never takes its priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherRule {
    pub priority: i64,
    pub arn: String,
    pub owner: Owner,
}

/// Everything read for one environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActualState {
    pub account_id: String,
    pub resources: BTreeMap<Address, ActualResource>,
    /// Values of references (IDs, ARNs, digests) known before anything changes.
    pub values: Values,
    pub missing: Vec<Missing>,
    pub other_rules: Vec<OtherRule>,
    /// Other environments of this project with services on the shared cluster: shared resources
    /// stay while any remain.
    pub other_environments: Vec<String>,
    /// Per task definition address, the family's newest active revision when the service runs
    /// an older one (after a rollback): reused when it holds the desired content.
    pub newest_revisions: BTreeMap<Address, ActualResource>,
}
