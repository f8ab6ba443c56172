//! Who owns a resource that exists, from its `ecsdeploy:*` tags: the actual-state side of the
//! tags the desired side writes. Readers give every resource an [`Owner`]; creates that run
//! into "already exists" ask [`is_ours`] whether to go on with what they found.

use super::Owner;
use crate::desired::tags::{ENVIRONMENT_TAG, PROJECT_TAG, SERVICE_TAG, SHARED_ENVIRONMENT, Tags};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::tags::tags_from;

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
}
