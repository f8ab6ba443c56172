//! What every API family's reader and writer shares: partial results that merge into one
//! [`ActualState`], waits for AWS to let go of a resource, idempotency tokens, and tag
//! conversions.

use crate::actual::{ActualResource, ActualState, Missing, OtherRule, Owner};
use crate::cloud::{CloudError, CloudErrorKind};
pub use crate::desired::tags::tags_from;
use crate::plan::address::Address;
use crate::plan::values::Values;
use crate::poll::Poll;

/// What one family's reader found; merged into the [`ActualState`].
#[derive(Debug, Default)]
pub struct Partial {
    pub resources: Vec<(Address, ActualResource)>,
    pub values: Values,
    pub missing: Vec<Missing>,
    pub other_rules: Vec<OtherRule>,
    pub other_environments: Vec<String>,
    pub newest_revisions: Vec<(Address, ActualResource)>,
}

impl Partial {
    pub fn resource(&mut self, address: Address, id: impl Into<String>, json: serde_json::Value, owner: Owner) {
        self.resources.push((address, ActualResource { id: id.into(), json, owner }));
    }

    pub fn missing(&mut self, what: impl Into<String>, hint: impl Into<String>) {
        self.missing.push(Missing { what: what.into(), hint: hint.into() });
    }

    /// Takes in what another reader found.
    pub fn merge(&mut self, other: Partial) {
        self.resources.extend(other.resources);
        self.values.extend(other.values);
        self.missing.extend(other.missing);
        self.other_rules.extend(other.other_rules);
        self.other_environments.extend(other.other_environments);
        self.newest_revisions.extend(other.newest_revisions);
    }

    pub fn merge_into(self, state: &mut ActualState) {
        state.resources.extend(self.resources);
        state.values.extend(self.values);
        state.missing.extend(self.missing);
        state.other_rules.extend(self.other_rules);
        state.other_environments.extend(self.other_environments);
        state.newest_revisions.extend(self.newest_revisions);
    }
}

/// Reads of one API that have no batch form (one task definition, one target group's
/// attributes, one repository's images) made at once. AWS throttles each API per account and
/// region with a token bucket whose size is the burst it allows (the ECS Developer Guide,
/// "Request throttling for the Amazon ECS API": 50 tokens for cluster reads such as
/// DescribeClusters; ELBv2 and ECR document buckets of the same order), and the SDK retries a
/// throttled call with backoff. 10 in flight per API keeps well inside a burst, leaves room for
/// other tools of the account, and reads 40 services' task definitions in 4 rounds.
pub const PARALLEL_READS: usize = 10;

/// How long deletes wait for AWS to let go of a resource (ENIs of a deleted ALB or of stopped
/// tasks keep a security group "in use" for minutes; a draining service keeps its cluster busy).
pub const RELEASE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs `attempt` until it succeeds, fails with something other than `busy_codes`, or
/// `RELEASE_DEADLINE` passes; waits 2 s, 4 s, ... (at most 30 s) between attempts.
pub async fn retry_while_busy<T, F, Fut>(busy_codes: &[&str], attempt: F) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CloudError>>,
{
    retry_while(RELEASE_DEADLINE, |error| error.has_code(busy_codes), attempt).await
}

/// How long a call that uses a just-created IAM role is retried: IAM is eventually consistent,
/// and ECS may refuse a role for some seconds after `CreateRole` returned.
pub const ROLE_PROPAGATION_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether an ECS error says a role cannot be used (yet). Access denied (to `iam:PassRole`,
/// say) is final: the caller lacks a permission, and waiting does not grant it.
pub fn is_role_not_ready(error: &CloudError) -> bool {
    if error.is_access_denied() {
        return false;
    }
    let text = error.kind.to_string().to_ascii_lowercase();
    text.contains("role is not valid") || text.contains("unable to assume") || text.contains("iam:passrole")
}

/// Runs `attempt` until it succeeds, fails in a way `retryable` does not accept, or `deadline`
/// passes; waits 2 s, 4 s, ... (at most 30 s) between attempts.
pub async fn retry_while<T, E, F, Fut>(
    deadline: std::time::Duration,
    retryable: impl Fn(&E) -> bool,
    attempt: F,
) -> Result<T, E>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let pauses = Poll::backoff(std::time::Duration::from_secs(2), std::time::Duration::from_secs(30));
    pauses.within(deadline).retry(retryable, attempt).await
}

/// An idempotency token for a create that AWS deduplicates by token (ECS CreateService's
/// `clientToken`, Secrets Manager's `ClientRequestToken`): the same for every attempt of this
/// run at `parts` (the SDK's retries and ecsdeploy's own), another for any other run, so that
/// AWS answers a repeated request with what the first one made and never confuses two runs.
/// 32 lowercase hex characters: within every such API's limits (ECS: up to 36 ASCII 33-126;
/// Secrets Manager: 32-64).
pub fn idempotency_token(parts: &[&str]) -> String {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    hash.update(run_id().as_bytes());
    for part in parts {
        hash.update([0]);
        hash.update(part.as_bytes());
    }
    hash.finalize().iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

/// This process's run: its start time, process ID and a per-process random key (std's hasher
/// seeds), so that two runs, on one machine or two, never share a token.
fn run_id() -> &'static str {
    static RUN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.as_nanos())
            .unwrap_or(0);
        let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
        format!("{started}-{}-{random:016x}", std::process::id())
    })
}

/// A request the SDK refused to build (a required field left empty), so it was never sent.
pub fn unsent(operation: &str, resource: impl AsRef<str>, error: impl std::fmt::Display) -> CloudError {
    let kind = CloudErrorKind::Service { code: "request not sent".into(), message: error.to_string() };
    CloudError::new(operation, resource.as_ref(), kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_tokens_are_stable_within_a_run_and_fit_every_api() {
        let token = idempotency_token(&["ecs:CreateService", "acme", "stage-auth"]);
        assert_eq!(token, idempotency_token(&["ecs:CreateService", "acme", "stage-auth"]));
        assert_ne!(token, idempotency_token(&["ecs:CreateService", "acme", "stage-gmail"]));
        assert_ne!(token, idempotency_token(&["ecs:CreateService", "acmestage-auth"]), "parts are kept apart");
        assert_eq!(token.len(), 32);
        assert!(token.bytes().all(|byte| (33..=126).contains(&byte)), "{token}");
    }
}
