//! The plan: the difference between the desired and the actual state of one environment, as a
//! closed set of actions per resource. Pure and synchronous: no AWS call, no clock. Apply reads
//! only the plan.

pub mod diff;
pub mod resources;

/// Re-exported from the leaf [`crate::resource`], where `actual` finds them too.
pub use crate::resource::{address, values};

use crate::actual::{ActualState, Missing, Owner};
use crate::desired::DesiredEnvironment;
use address::{Address, ServicePart};
use diff::{FieldChange, diff};
use resources::{DesiredResource, Payload, change_rules, desired_resources};
use serde::Serialize;
use values::{KNOWN_AFTER_APPLY, unresolved};

/// Version of the JSON shape of a plan (`plan --output json`).
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// What happens to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    /// Delete and create again: AWS cannot change a field in place.
    Replace,
    Delete,
    NoOp,
}

impl Action {
    /// The mark a plan shows beside the address.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::NoOp => " ",
        }
    }
}

/// The change to one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceChange {
    pub address: Address,
    pub action: Action,
    /// Why, in a few words, when the action alone does not say it (`new revision`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// The existing resource's ARN or name (updates, replacements, deletions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The desired content (creations, updates, replacements); unresolved references remain.
    #[serde(skip)]
    pub payload: Option<Payload>,
    /// The existing content (updates and deletions).
    #[serde(skip)]
    pub before: Option<serde_json::Value>,
}

/// A plan for one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub schema_version: u32,
    pub project: String,
    pub environment: String,
    pub changes: Vec<ResourceChange>,
    /// The references known when planning: apply starts from these, and only these.
    #[serde(skip)]
    pub values: values::Values,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => summary.add += 1,
                Action::Update => summary.change += 1,
                Action::Replace => {
                    summary.add += 1;
                    summary.destroy += 1;
                }
                Action::Delete => summary.destroy += 1,
                Action::NoOp => {}
            }
        }
        summary
    }

    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|change| change.action != Action::NoOp)
    }
}

/// Why no plan can be made: nothing may change until these are fixed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// Prerequisites that do not exist (secrets, images, network, certificate, zone).
    #[error("{} prerequisite(s) missing", .0.len())]
    Missing(Vec<Missing>),
    /// Resources with the names ecsdeploy would use that it does not own.
    #[error("{} resource(s) with ecsdeploy's names are not ecsdeploy's", .0.len())]
    NotOwned(Vec<NotOwned>),
    /// Changes AWS can only make by deleting and creating the resource again, which would cut
    /// traffic or orphan what depends on it; ecsdeploy leaves the decision to a person.
    #[error("{} resource(s) would have to be replaced", .0.len())]
    Replacement(Vec<Replacement>),
}

/// A resource that cannot change in place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replacement {
    pub address: Address,
    pub id: String,
    /// The fields AWS cannot change in place.
    pub fields: Vec<String>,
}

/// A resource ecsdeploy would create or change but does not own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotOwned {
    pub address: Address,
    pub id: String,
    pub owner: Owner,
}

/// What to plan for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Make the environment match the manifest.
    Converge,
    /// Remove everything the environment owns (and the shared resources, when no other
    /// environment uses them).
    Destroy,
    /// Create or update only the image repositories: the first step on a new account, before
    /// any image can be pushed (and so before `up` can resolve an image).
    Repositories,
}

/// Compares `desired` with `actual`.
pub fn plan(desired: &DesiredEnvironment, actual: &ActualState, goal: Goal) -> Result<Plan, PlanError> {
    if goal == Goal::Converge && !actual.missing.is_empty() {
        return Err(PlanError::Missing(actual.missing.clone()));
    }
    // Shared resources stay while another environment (or anyone else's rule on the ALB) uses
    // them; when the last environment goes, they go too, except the image repositories, which
    // hold what was built.
    let keep_shared = goal != Goal::Destroy || !actual.other_environments.is_empty() || !actual.other_rules.is_empty();
    let values = reuse_newest_revisions(desired, actual);
    let wanted: Vec<DesiredResource> = match goal {
        Goal::Converge => desired_resources(desired, true),
        Goal::Repositories => desired_resources(desired, true)
            .into_iter()
            .filter(|resource| matches!(resource.address, Address::Repository(_)))
            .collect(),
        Goal::Destroy => Vec::new(),
    };
    let mut not_owned = Vec::new();
    let mut changes = Vec::new();
    for resource in &wanted {
        if is_pin_in_foreign_repository(resource, actual) {
            continue;
        }
        match actual.resources.get(&resource.address) {
            // A repository someone else made (a build pipeline, say) is used as it is, never
            // changed: images are read from it, its settings stay theirs.
            Some(existing) if existing.owner != Owner::This && matches!(resource.address, Address::Repository(_)) => {}
            // A revision someone else registered is never changed either: a new one is
            // registered beside it.
            Some(existing)
                if existing.owner != Owner::This && resource.address.part() == Some(ServicePart::TaskDefinition) =>
            {
                changes.push(change_for(resource, actual, &values))
            }
            Some(existing) if existing.owner != Owner::This => not_owned.push(NotOwned {
                address: resource.address.clone(),
                id: existing.id.clone(),
                owner: existing.owner.clone(),
            }),
            _ => changes.push(change_for(resource, actual, &values)),
        }
    }
    not_owned.extend(rule_priority_conflicts(&wanted, actual));
    if !not_owned.is_empty() {
        return Err(PlanError::NotOwned(not_owned));
    }
    for (address, existing) in actual.resources.iter().filter(|_| goal != Goal::Repositories) {
        let is_wanted = wanted.iter().any(|resource| &resource.address == address);
        let is_kept_shared = address.is_shared() && (keep_shared || matches!(address, Address::Repository(_)));
        // Destroying an environment leaves its secrets as they are, rotation included: they
        // hold the operator's data, not ecsdeploy's.
        let is_secret_kept = goal == Goal::Destroy && matches!(address, Address::SecretRotation(_));
        // The tag that keeps a deployed image stays with the image: the history may need it.
        let is_pin = address.part() == Some(ServicePart::PinnedImage);
        if is_wanted || is_kept_shared || is_secret_kept || is_pin || existing.owner != Owner::This {
            continue;
        }
        let reason = matches!(address, Address::SecretRotation(_))
            .then(|| "rotation stops; the secret and its versions stay".to_string());
        changes.push(ResourceChange {
            address: address.clone(),
            action: Action::Delete,
            reason,
            fields: Vec::new(),
            id: Some(existing.id.clone()),
            payload: None,
            before: Some(existing.json.clone()),
        });
    }
    let replacements: Vec<Replacement> = changes
        .iter()
        .filter(|change| change.action == Action::Replace)
        .map(|change| Replacement {
            address: change.address.clone(),
            id: change.id.clone().unwrap_or_default(),
            fields: change.fields.iter().map(|field| field.path.clone()).collect(),
        })
        .collect();
    if !replacements.is_empty() {
        return Err(PlanError::Replacement(replacements));
    }
    propagate_new_revisions(&mut changes);
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(Plan {
        schema_version: PLAN_SCHEMA_VERSION,
        project: desired.project.clone(),
        environment: desired.environment.clone(),
        changes,
        values,
    })
}

/// Images in a repository ecsdeploy does not own are used as they are: no tag is put on them
/// (keeping them is their owner's lifecycle policy). A repository this plan creates is its own.
fn is_pin_in_foreign_repository(resource: &DesiredResource, actual: &ActualState) -> bool {
    let Payload::ImagePin(pin) = &resource.payload else { return false };
    let repository = actual.resources.get(&Address::Repository(pin.repository_name.clone()));
    repository.is_some_and(|repository| repository.owner != Owner::This)
}

/// The values to plan with: a task definition whose family's newest revision already holds the
/// desired content (the service runs an older one after a rollback) reuses that revision.
fn reuse_newest_revisions(desired: &DesiredEnvironment, actual: &ActualState) -> values::Values {
    let mut values = actual.values.clone();
    for resource in desired_resources(desired, false) {
        let (Payload::TaskDefinition(definition), Some(newest)) =
            (&resource.payload, actual.newest_revisions.get(&resource.address))
        else {
            continue;
        };
        let wanted = actual.values.resolve(&resource.payload.to_json());
        if diff(&newest.json, &wanted, &[]).is_empty() {
            values.set(
                &crate::desired::Reference::TaskDefinitionArn { family: definition.family.clone() },
                newest.id.clone(),
            );
        }
    }
    values
}

fn change_for(resource: &DesiredResource, actual: &ActualState, values: &values::Values) -> ResourceChange {
    let desired_json = values.resolve(&resource.payload.to_json());
    let mut change = ResourceChange {
        address: resource.address.clone(),
        action: Action::Create,
        reason: None,
        fields: Vec::new(),
        id: None,
        payload: Some(resource.payload.clone()),
        before: None,
    };
    let reused = match &resource.payload {
        Payload::TaskDefinition(definition) => reused_revision(actual, values, &resource.address, &definition.family),
        _ => None,
    };
    let Some(existing) = reused.or_else(|| actual.resources.get(&resource.address)) else {
        return change;
    };
    change.id = Some(existing.id.clone());
    change.before = Some(existing.json.clone());
    let rules = change_rules(&resource.payload);
    change.fields = diff(&existing.json, &desired_json, rules.ignored).into_iter().map(show_unknown).collect();
    change.action = match () {
        _ if change.fields.is_empty() => Action::NoOp,
        _ if matches!(resource.payload, Payload::TaskDefinition(_)) => {
            change.reason = Some("new revision".into());
            Action::Create
        }
        _ if change.fields.iter().any(|field| rules.immutable.contains(&top_level(&field.path))) => Action::Replace,
        _ => Action::Update,
    };
    if change.action == Action::Update && secrets_rotated(&existing.json, &desired_json) {
        change.reason = Some("a secret it uses has a new version: new tasks start to read it".into());
    }
    change
}

/// The secret-versions tag changed from a known digest (not added for the first time).
fn secrets_rotated(before: &serde_json::Value, after: &serde_json::Value) -> bool {
    let digest = |json: &serde_json::Value| -> Option<String> {
        let tags = json.get("tags")?.as_array()?;
        let tag = tags.iter().find(|tag| tag["key"] == crate::desired::tags::SECRET_VERSIONS_TAG)?;
        tag["value"].as_str().map(str::to_string)
    };
    matches!((digest(before), digest(after)), (Some(old), Some(new)) if old != new)
}

/// The family's newest revision when plan decided to reuse it.
fn reused_revision<'a>(
    actual: &'a ActualState,
    values: &values::Values,
    address: &Address,
    family: &str,
) -> Option<&'a crate::actual::ActualResource> {
    let newest = actual.newest_revisions.get(address)?;
    let chosen = values.one(&crate::desired::Reference::TaskDefinitionArn { family: family.to_string() })?;
    (chosen == newest.id).then_some(newest)
}

/// A field whose new value is still an unresolved reference shows as `(known after apply)`.
fn show_unknown(mut field: FieldChange) -> FieldChange {
    if let Some(after) = &field.after
        && !unresolved(after).is_empty()
    {
        field.after = Some(serde_json::Value::String(KNOWN_AFTER_APPLY.into()));
    }
    field
}

fn top_level(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or(path)
}

/// A service whose task definition gets a new revision is updated to run it, even if nothing
/// else about the service changed (its `taskDefinition` then only differs after apply).
fn propagate_new_revisions(changes: &mut [ResourceChange]) {
    let new_revisions: Vec<String> = changes
        .iter()
        .filter(|change| change.address.part() == Some(ServicePart::TaskDefinition) && change.action == Action::Create)
        .filter_map(|change| change.address.service_name().map(str::to_string))
        .collect();
    for change in changes.iter_mut() {
        let is_service = change.address.part() == Some(ServicePart::EcsService) && change.action == Action::NoOp;
        if is_service && change.address.service_name().is_some_and(|name| new_revisions.iter().any(|n| n == name)) {
            change.action = Action::Update;
            change.reason = Some("runs the new task definition revision".into());
        }
    }
}

/// Rule priorities this plan would take from a rule it does not own.
fn rule_priority_conflicts(wanted: &[DesiredResource], actual: &ActualState) -> Vec<NotOwned> {
    let mut conflicts = Vec::new();
    for resource in wanted {
        let Payload::ListenerRule(rule) = &resource.payload else { continue };
        if let Some(other) = actual.other_rules.iter().find(|other| other.priority == rule.priority) {
            conflicts.push(NotOwned {
                address: resource.address.clone(),
                id: other.arn.clone(),
                owner: other.owner.clone(),
            });
        }
    }
    conflicts
}
