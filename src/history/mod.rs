//! Deployment history: per environment and service, every deploy's time, operator, git commit,
//! task definition, image digests, configuration hash and outcome.
//!
//! The store is a DynamoDB table per project (`ecsdeploy-history-<project>`), created on first
//! use. DynamoDB because every operator and CI must see the same history (so not a local file),
//! and because its conditional writes make it safe under two writers: a record is created only
//! if its key is new, and finished only while it is still in progress, so two runs can never
//! overwrite each other's records. The emulator models those conditions faithfully.

pub mod time;

use serde::{Deserialize, Serialize};

/// Where records are kept (a DynamoDB table in AWS). Writes are conditional, and a repeated
/// write of the same record is accepted, so that a retried request never fails or doubles.
#[allow(async_fn_in_trait)]
pub trait HistoryStore {
    /// Adds a record (fails rather than overwrite one with the same ID).
    async fn history_append(&self, scope: &HistoryScope, record: &DeployRecord)
    -> Result<(), crate::cloud::CloudError>;
    /// Finishes a record that is still in progress.
    async fn history_finish(&self, scope: &HistoryScope, record: &DeployRecord)
    -> Result<(), crate::cloud::CloudError>;
    /// A service's records, newest first.
    async fn history_list(
        &self,
        scope: &HistoryScope,
        service: &str,
    ) -> Result<Vec<DeployRecord>, crate::cloud::CloudError>;
    /// A service's newest `limit` records, newest first (one request).
    async fn history_recent(
        &self,
        scope: &HistoryScope,
        service: &str,
        limit: usize,
    ) -> Result<Vec<DeployRecord>, crate::cloud::CloudError>;
}

/// Version of the JSON shape of `history --output json`.
pub const HISTORY_SCHEMA_VERSION: u32 = 1;

/// What kind of change a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    /// `up` deployed a new revision.
    Deploy,
    /// A rollback (automatic, or `ecsdeploy rollback`).
    Rollback,
    /// The revision a service ran before ecsdeploy kept history for it: a known-good starting
    /// point, so that the first gated deploy has somewhere to roll back to.
    Baseline,
}

/// How a deploy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    InProgress,
    /// The gate passed: this revision is known good.
    Succeeded,
    /// The gate failed and the service went back to its last good revision.
    RolledBack,
    /// The gate failed and so did the rollback (or there was nothing to roll back to).
    RollbackFailed,
    /// The gate failed and the operator asked not to roll back.
    Failed,
    /// The run that started it stopped (killed, its runner lost) before its gate finished; a
    /// later run found it and gated what it left (a newer record), or the service had moved on.
    Abandoned,
}

/// Which run wrote a record: what tells a later run that the record's run is gone (its lock
/// token no longer holds the environment's lock) and where to look for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRef {
    pub host: String,
    pub pid: u32,
    /// The token of the deploy lock the run held.
    pub lock_token: String,
}

/// One deploy of one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployRecord {
    /// Unique and time-ordered: `<milliseconds since 1970, 13 digits>-<random>`.
    pub id: String,
    pub service: String,
    pub kind: RecordKind,
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
    pub operator: String,
    #[serde(default)]
    pub git_commit: Option<String>,
    pub task_definition: String,
    pub image_digests: Vec<String>,
    /// The current version ID of each secret the service uses (by name or ARN), never a value:
    /// what the deploy's tasks started with.
    #[serde(default)]
    pub secret_versions: std::collections::BTreeMap<String, String>,
    /// SHA-256 of the task definition as registered: equal hashes, equal configuration.
    pub config_hash: String,
    pub outcome: Outcome,
    #[serde(default)]
    pub reason: Option<String>,
    /// The ECS deployment the record's run started or gated, when known.
    #[serde(default)]
    pub deployment_id: Option<String>,
    /// The run that wrote it (records older than this field have none).
    #[serde(default)]
    pub run: Option<RunRef>,
}

/// The name under which the project's shared resources (cluster, load balancer, listeners,
/// security groups, repositories) are locked, beside the environments: no environment can be
/// called so (environment names are lower-case letters, digits and dashes).
pub const SHARED_RESOURCES: &str = "_shared";

/// Where a project's history lives, and whose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryScope {
    pub table: String,
    pub project: String,
    pub environment: String,
}

impl HistoryScope {
    pub fn new(project: &str, environment: &str) -> Self {
        HistoryScope {
            table: format!("ecsdeploy-history-{project}"),
            project: project.into(),
            environment: environment.into(),
        }
    }

    /// The same project's scope for another environment (or [`SHARED_RESOURCES`]).
    pub fn for_environment(&self, environment: &str) -> HistoryScope {
        HistoryScope { environment: environment.into(), ..self.clone() }
    }

    /// The partition of the environment's deploy lock (its sort key is `lock`): apart from every
    /// service's records, whose partitions have a third part.
    pub fn lock_partition(&self) -> String {
        format!("{}/{}", self.project, self.environment)
    }

    /// The partition of one service's records.
    pub fn partition(&self, service: &str) -> String {
        format!("{}/{}/{service}", self.project, self.environment)
    }
}

/// Where `rollback` (without `--to`) may go, best first: good records older than the deploy
/// that put the running revision `current` in place, of another revision. Anchoring on that
/// deploy (not on a later rollback to it) makes a second `rollback` go further back instead of
/// forward again.
pub fn rollback_candidates<'a>(records: &'a [DeployRecord], current: &str) -> impl Iterator<Item = &'a DeployRecord> {
    let anchor = records.iter().position(|record| {
        record.task_definition == current && record.outcome == Outcome::Succeeded && record.kind != RecordKind::Rollback
    });
    let older = anchor.map_or(records, |anchor| &records[anchor + 1..]);
    older.iter().filter(move |record| record.outcome == Outcome::Succeeded && record.task_definition != current)
}

/// A new record ID from the time and a random part.
pub fn new_id(unix_millis: u128) -> String {
    use std::hash::BuildHasher;
    let random = std::collections::hash_map::RandomState::new().hash_one(unix_millis) & 0xff_ffff;
    format!("{unix_millis:013}-{random:06x}")
}

/// SHA-256 (hex) of a task definition's JSON.
pub fn config_hash(task_definition: &serde_json::Value) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(task_definition.to_string().as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, outcome: Outcome, task_definition: &str) -> DeployRecord {
        DeployRecord {
            id: id.into(),
            service: "auth".into(),
            kind: RecordKind::Deploy,
            started_at: String::new(),
            finished_at: None,
            operator: "me".into(),
            git_commit: None,
            task_definition: task_definition.into(),
            image_digests: Vec::new(),
            secret_versions: Default::default(),
            config_hash: String::new(),
            outcome,
            reason: None,
            deployment_id: None,
            run: None,
        }
    }

    #[test]
    fn a_second_rollback_goes_further_back() {
        let mut rollback = record("6", Outcome::Succeeded, "td:4");
        rollback.kind = RecordKind::Rollback;
        let mut records = vec![
            record("5", Outcome::Succeeded, "td:5"),
            record("4", Outcome::Succeeded, "td:4"),
            record("3", Outcome::RolledBack, "td:3b"),
            record("2", Outcome::Succeeded, "td:3"),
        ];
        let first: Vec<&str> = rollback_candidates(&records, "td:5").map(|r| r.id.as_str()).collect();
        assert_eq!(first, ["4", "2"]);
        records.insert(0, rollback);
        let second: Vec<&str> = rollback_candidates(&records, "td:4").map(|r| r.id.as_str()).collect();
        assert_eq!(second, ["2"], "not forward to td:5 again");
        let unknown: Vec<&str> = rollback_candidates(&records, "td:9").map(|r| r.id.as_str()).collect();
        assert_eq!(unknown, ["6", "5", "4", "2"]);
    }

    #[test]
    fn ids_sort_by_time() {
        let (a, b) = (new_id(1_700_000_000_000), new_id(1_700_000_000_001));
        assert!(a < b, "{a} {b}");
        assert_eq!(a.len(), 20);
        assert_eq!(config_hash(&serde_json::json!({"a": 1})).len(), 64);
    }
}
