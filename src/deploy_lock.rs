//! The deploy lock: one run at a time changes an environment.
//!
//! `up`, `rollback`, `destroy` and `repositories` hold it from before their first change until
//! everything they do is finished (rollouts gated, history written). It lives in AWS, beside the
//! deployment history, because laptops, git hooks and CI must all see the same lock: one DynamoDB
//! item per environment in the project's history table, taken with a conditional PutItem (the
//! item is absent, released, or expired) so that of two runs exactly one wins. DynamoDB's condition
//! expressions are the primitive because they are atomic in AWS and the emulator evaluates them
//! the same way (the history's two-writer test relies on it too).
//!
//! A lock expires: a run renews it while it lives (every third of its time to live), so a crashed
//! run's lock frees itself after at most [`DEFAULT_TTL`]. Expiry compares the holder's and the
//! taker's clocks, so the time to live is long against clock skew. Releasing keeps the item, marked
//! released: the next holder learns when the previous run finished, and plans again if that was
//! after its own plan was read.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where the lock is kept (a DynamoDB item in AWS), with atomic conditional writes. Its futures
/// are `Send`: a background task renews the lock while the run works.
pub trait LockStore {
    /// Takes the environment's deploy lock with `lock` when it is free at `now` (seconds since
    /// 1970): never taken, released, or expired. Atomic: of two runs, one gets it.
    fn lock_acquire(
        &self,
        scope: &crate::history::HistoryScope,
        lock: &DeployLock,
        now: u64,
    ) -> impl std::future::Future<Output = Result<LockAttempt, crate::cloud::CloudError>> + Send;
    /// Replaces the holding with `lock`'s token by `lock` (renewed or released); false when that
    /// holding is no longer there (released, or expired and taken over).
    fn lock_rewrite(
        &self,
        scope: &crate::history::HistoryScope,
        lock: &DeployLock,
    ) -> impl std::future::Future<Output = Result<bool, crate::cloud::CloudError>> + Send;
    /// The environment's lock as stored (held, released or expired), `None` if never taken.
    fn lock_read(
        &self,
        scope: &crate::history::HistoryScope,
    ) -> impl std::future::Future<Output = Result<Option<DeployLock>, crate::cloud::CloudError>> + Send;
}

/// Version of the JSON shape of `lock status|acquire|release --output json`.
pub const LOCK_SCHEMA_VERSION: u32 = 1;

/// How long a lock lasts without renewal: the longest a crashed run blocks others.
pub const DEFAULT_TTL: Duration = Duration::from_secs(120);

/// How long `lock acquire` holds the lock by default (it is not renewed).
pub const DEFAULT_MANUAL_TTL: Duration = Duration::from_secs(3600);

/// One holding of an environment's lock, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployLock {
    pub environment: String,
    /// Unique per holding: renewals and releases name it, so that a run that lost its lock (it
    /// expired and someone took it) never renews or releases the new holder's.
    pub token: String,
    /// The local user and AWS identity, as in the history.
    pub owner: String,
    pub host: String,
    pub pid: u32,
    /// What holds it: `up`, `rollback`, `destroy`, `repositories` or `lock acquire`.
    pub command: String,
    #[serde(default)]
    pub git_commit: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    pub acquired_at: String,
    pub expires_at: String,
    /// Seconds since 1970 (the stored condition compares this).
    pub expires_epoch: u64,
    #[serde(default)]
    pub released_at: Option<String>,
    #[serde(default)]
    pub released_epoch: Option<u64>,
    /// The release in milliseconds since 1970 (shown; and kept so that items written by older
    /// versions, which compared it with a plan's read, still read).
    #[serde(default)]
    pub released_millis: Option<u128>,
}

impl DeployLock {
    /// Whether the lock still keeps others out at `now` (seconds since 1970).
    pub fn is_held(&self, now: u64) -> bool {
        self.released_epoch.is_none() && self.expires_epoch > now
    }

    /// The same holding, renewed until `now + ttl`.
    pub fn renewed(&self, now: u64, ttl: Duration) -> DeployLock {
        let expires_epoch = now + ttl.as_secs();
        DeployLock { expires_epoch, expires_at: crate::history::time::rfc3339(expires_epoch), ..self.clone() }
    }

    /// The same holding, released now.
    pub fn released(&self) -> DeployLock {
        let (text, millis) = crate::history::time::now();
        DeployLock {
            released_epoch: Some((millis / 1000) as u64),
            released_at: Some(text),
            released_millis: Some(millis),
            ..self.clone()
        }
    }
}

/// Who asks for the lock.
#[derive(Debug, Clone)]
pub struct LockRequest {
    pub environment: String,
    pub owner: String,
    pub command: String,
    pub git_commit: Option<String>,
    pub message: Option<String>,
    pub ttl: Duration,
}

impl LockRequest {
    /// A new holding starting at `now` (seconds since 1970).
    pub fn holding(&self, now: u64) -> DeployLock {
        let token = format!("{}-{}", crate::history::new_id(u128::from(now) * 1000), std::process::id());
        let expires_epoch = now + self.ttl.as_secs();
        DeployLock {
            environment: self.environment.clone(),
            token,
            owner: self.owner.clone(),
            host: host_name(),
            pid: std::process::id(),
            command: self.command.clone(),
            git_commit: self.git_commit.clone(),
            message: self.message.clone(),
            acquired_at: crate::history::time::rfc3339(now),
            expires_at: crate::history::time::rfc3339(expires_epoch),
            expires_epoch,
            released_at: None,
            released_epoch: None,
            released_millis: None,
        }
    }
}

/// What an attempt to take the lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockAttempt {
    /// Taken; `previous` is the holding it replaced (released or expired), if any.
    Acquired { lock: DeployLock, previous: Option<Box<DeployLock>> },
    /// Someone else holds it.
    Held(DeployLock),
}

/// Seconds since 1970, now.
pub fn now_epoch() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

/// The machine's name, for telling operators where a lock's run is: `HOSTNAME` when exported,
/// else `/etc/hostname`, else the `hostname` command (macOS has no /etc/hostname).
fn host_name() -> String {
    let from_command = || {
        let output = std::process::Command::new("hostname").output().ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|name| name.trim().to_string()))
        .filter(|name| !name.is_empty())
        .or_else(from_command)
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> LockRequest {
        LockRequest {
            environment: "stage".into(),
            owner: "me".into(),
            command: "up".into(),
            git_commit: None,
            message: None,
            ttl: Duration::from_secs(120),
        }
    }

    #[test]
    fn a_holding_keeps_others_out_until_it_expires_or_is_released() {
        let lock = request().holding(1000);
        assert!(lock.is_held(1000) && lock.is_held(1119));
        assert!(!lock.is_held(1120), "expired");
        assert!(lock.renewed(1100, Duration::from_secs(120)).is_held(1200));
        let released = lock.released();
        assert!(!released.is_held(now_epoch()));
    }

    #[test]
    fn tokens_differ_between_holdings() {
        assert_ne!(request().holding(1000).token, request().holding(1000).token);
    }
}
