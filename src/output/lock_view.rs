//! The deploy lock as text and JSON: `lock status`, and the refusal a locked environment gives.

use crate::deploy_lock::{DeployLock, LOCK_SCHEMA_VERSION, now_epoch};
use serde_json::json;

/// `{"schema_version", "environment", "held", "lock"}`; `lock` is the stored holding (also a
/// released or expired one), `null` when the environment was never locked.
pub fn json(environment: &str, lock: Option<&DeployLock>) -> serde_json::Value {
    json!({
        "schema_version": LOCK_SCHEMA_VERSION,
        "environment": environment,
        "held": lock.is_some_and(|lock| lock.is_held(now_epoch())),
        "lock": lock,
    })
}

/// Who holds it, in one line.
pub fn holder_line(lock: &DeployLock) -> String {
    let commit = lock.git_commit.as_deref().map(|commit| format!(", commit {}", short(commit))).unwrap_or_default();
    format!(
        "{} on {} (pid {}) for `{}` since {}{commit}",
        lock.owner, lock.host, lock.pid, lock.command, lock.acquired_at
    )
}

/// The error of a run turned away, and what to do.
pub fn refused_text(holder: &DeployLock) -> (String, Vec<String>) {
    let mut hints = Vec::new();
    if let Some(message) = &holder.message {
        hints.push(format!("its message: {message}"));
    }
    hints.push(format!(
        "it expires at {} unless its run renews it; wait for it with --lock-wait 10m",
        holder.expires_at
    ));
    if holder.environment == crate::history::SHARED_RESOURCES {
        return (
            format!(
                "the project's shared resources (cluster, load balancer, listeners, security groups, repositories) are locked by {}, which is changing them; nothing was changed",
                holder_line(holder)
            ),
            hints,
        );
    }
    hints.push(format!("if that run is gone for good: ecsdeploy lock release --env {} --force", holder.environment));
    (format!("environment {} is locked by {}; nothing was changed", holder.environment, holder_line(holder)), hints)
}

/// `lock status` in text.
pub fn status_text(environment: &str, lock: Option<&DeployLock>) -> String {
    let now = now_epoch();
    match lock {
        Some(lock) if lock.is_held(now) => {
            let message = lock.message.as_deref().map(|message| format!("\n  message  {message}")).unwrap_or_default();
            format!("{environment}: locked by {}\n  expires  {}{message}\n", holder_line(lock), lock.expires_at)
        }
        Some(lock) => {
            let ended = lock.released_at.as_deref().map_or_else(
                || format!("expired at {}", lock.expires_at),
                |released| format!("released at {released}"),
            );
            format!("{environment}: not locked (last held by {}; {ended})\n", holder_line(lock))
        }
        None => format!("{environment}: not locked (never locked)\n"),
    }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}
