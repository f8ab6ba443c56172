//! What every API family's reader and writer shares: partial results that merge into one
//! [`ActualState`], ownership from tags, and tag conversions.

use crate::actual::{ActualResource, ActualState, Missing, OtherRule, Owner};
use crate::cloud::{CloudError, CloudErrorKind};
pub use crate::desired::tags::tags_from;
use crate::desired::tags::{ENVIRONMENT_TAG, PROJECT_TAG, SERVICE_TAG, SHARED_ENVIRONMENT, Tags};
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

    pub fn merge_into(self, state: &mut ActualState) {
        state.resources.extend(self.resources);
        state.values.extend(self.values);
        state.missing.extend(self.missing);
        state.other_rules.extend(self.other_rules);
        state.other_environments.extend(self.other_environments);
        state.newest_revisions.extend(self.newest_revisions);
    }
}

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
    retry_while(RELEASE_DEADLINE, |error| is_busy(error, busy_codes), attempt).await
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

fn is_busy(error: &CloudError, codes: &[&str]) -> bool {
    matches!(&error.kind, CloudErrorKind::Service { code, .. } if codes.contains(&code.as_str()))
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

/// Who owns a resource with `tags`: `environment` is this environment's name, or `shared` for
/// resources all environments share.
pub fn owner_of(tags: &Tags, project: &str, environment: &str) -> Owner {
    if tags.get(PROJECT_TAG) != Some(project) {
        return Owner::Foreign;
    }
    match tags.get(ENVIRONMENT_TAG) {
        Some(tagged) if tagged == environment => Owner::This,
        Some(tagged) => Owner::OtherEnvironment(tagged.to_string()),
        None => Owner::Foreign,
    }
}

/// Whether a resource found where a create ran into "already exists" carries the ownership tags
/// (project, environment, and service where `wanted` names one) of the resource that create was
/// making: then it is this deployment's own, most likely made by an attempt whose answer was lost
/// and that the SDK repeated, and the create goes on with it. Anything else is someone else's,
/// and the create fails as it would have.
pub fn is_ours(existing: &Tags, wanted: &Tags) -> bool {
    let keys = [PROJECT_TAG, ENVIRONMENT_TAG, SERVICE_TAG];
    let Some(project) = wanted.get(PROJECT_TAG) else { return false };
    let Some(environment) = wanted.get(ENVIRONMENT_TAG) else { return false };
    owner_of(existing, project, environment) == Owner::This
        && keys.iter().all(|key| wanted.get(key).is_none() || existing.get(key) == wanted.get(key))
}

/// [`owner_of`] for a resource all environments share.
pub fn shared_owner_of(tags: &Tags, project: &str) -> Owner {
    owner_of(tags, project, SHARED_ENVIRONMENT)
}

/// The tags to add and the keys to remove to turn `before` into `after`.
pub fn tag_changes(before: &Tags, after: &Tags) -> (Vec<(String, String)>, Vec<String>) {
    let added = after.0.iter().filter(|pair| !before.0.contains(pair)).cloned().collect();
    let removed = before.0.iter().filter(|(key, _)| after.get(key).is_none()).map(|(key, _)| key.clone()).collect();
    (added, removed)
}

/// The tags in a payload's JSON (any of the three spellings).
pub fn tags_in(json: &serde_json::Value, field: &str) -> Tags {
    json.get(field).cloned().and_then(|value| serde_json::from_value(value).ok()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_from_tags() {
        let tags = |pairs: &[(&str, &str)]| tags_from(pairs.iter().copied());
        let ours = tags(&[("ecsdeploy:project", "acme"), ("ecsdeploy:environment", "stage")]);
        assert_eq!(owner_of(&ours, "acme", "stage"), Owner::This);
        assert_eq!(owner_of(&ours, "acme", "prod"), Owner::OtherEnvironment("stage".into()));
        assert_eq!(owner_of(&ours, "other", "stage"), Owner::Foreign);
        assert_eq!(owner_of(&tags(&[("Name", "x")]), "acme", "stage"), Owner::Foreign);
        let shared =
            tags(&[("ecsdeploy:environment", "shared"), ("ecsdeploy:project", "acme"), ("B", "2"), ("A", "1")]);
        assert_eq!(shared_owner_of(&shared, "acme"), Owner::This);
        let keys: Vec<&str> = shared.0.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys, ["ecsdeploy:project", "ecsdeploy:environment", "A", "B"]);
    }

    #[test]
    fn a_resource_is_ours_when_it_carries_the_ownership_tags_we_create_it_with() {
        let tags = |pairs: &[(&str, &str)]| tags_from(pairs.iter().copied());
        let owned = |project: &str, environment: &str, service: &str| {
            tags(&[
                ("ecsdeploy:project", project),
                ("ecsdeploy:environment", environment),
                ("ecsdeploy:service", service),
            ])
        };
        let mut wanted = owned("acme", "stage", "auth");
        wanted.0.push(("Team".into(), "identity".into()));
        let cases = [
            (wanted.clone(), true),
            // Cost-allocation tags changed by hand do not make it someone else's.
            (owned("acme", "stage", "auth"), true),
            (owned("acme", "stage", "gmail"), false),
            (tags(&[("ecsdeploy:project", "acme"), ("ecsdeploy:environment", "stage")]), false),
            (owned("acme", "prod", "auth"), false),
            (owned("other", "stage", "auth"), false),
            (Tags::default(), false),
        ];
        for (existing, expected) in cases {
            assert_eq!(is_ours(&existing, &wanted), expected, "{existing:?}");
        }
        let shared = tags(&[("ecsdeploy:project", "acme"), ("ecsdeploy:environment", "shared")]);
        assert!(is_ours(&shared, &shared));
        assert!(!is_ours(&shared, &Tags::default()), "a create without ownership tags owns nothing");
    }

    #[test]
    fn idempotency_tokens_are_stable_within_a_run_and_fit_every_api() {
        let token = idempotency_token(&["ecs:CreateService", "acme", "stage-auth"]);
        assert_eq!(token, idempotency_token(&["ecs:CreateService", "acme", "stage-auth"]));
        assert_ne!(token, idempotency_token(&["ecs:CreateService", "acme", "stage-gmail"]));
        assert_ne!(token, idempotency_token(&["ecs:CreateService", "acmestage-auth"]), "parts are kept apart");
        assert_eq!(token.len(), 32);
        assert!(token.bytes().all(|byte| (33..=126).contains(&byte)), "{token}");
    }

    #[test]
    fn tag_changes_add_and_remove() {
        let before = Tags(vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        let after = Tags(vec![("a".into(), "1".into()), ("b".into(), "3".into()), ("c".into(), "4".into())]);
        let (added, removed) = tag_changes(&before, &after);
        assert_eq!(added, [("b".to_string(), "3".to_string()), ("c".to_string(), "4".to_string())]);
        assert!(removed.is_empty());
        let (_, removed) = tag_changes(&after, &before);
        assert_eq!(removed, ["c"]);
    }
}
