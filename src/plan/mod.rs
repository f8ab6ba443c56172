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

/// The change to one resource: where, why, what differs, and the [`Step`] apply carries out.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    pub address: Address,
    /// Why, in a few words, when the action alone does not say it (`new revision`).
    pub reason: Option<String>,
    pub fields: Vec<FieldChange>,
    pub step: Step,
}

/// What apply does to one resource, carrying exactly what that needs: apply cannot do anything
/// the plan did not say.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Nothing: the resource is as desired. (A service whose task definition gets a new
    /// revision becomes an [`Step::Update`].)
    Keep {
        existing: Existing,
        payload: Payload,
    },
    /// Make the resource. `follows`: the revision a new task definition revision replaces as
    /// the one to run (its ARN), shown as the change's `id`.
    Create {
        payload: Payload,
        follows: Option<String>,
    },
    /// Change `existing` in place into `payload`. `force_new_deployment`: the planner decided
    /// the service must start new tasks although its revision stays (a secret it reads has a
    /// new version, or its capacity provider strategy changed, which ECS applies only so).
    Update {
        existing: Existing,
        payload: Payload,
        force_new_deployment: bool,
    },
    /// Delete `existing`, then create `payload` (AWS cannot change a field in place).
    Replace {
        existing: Existing,
        payload: Payload,
    },
    Delete {
        existing: Existing,
    },
}

/// A resource as it exists: its ARN or name, and its content typed as the payload of its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Existing {
    pub id: String,
    pub before: Payload,
}

impl Step {
    pub fn action(&self) -> Action {
        match self {
            Step::Keep { .. } => Action::NoOp,
            Step::Create { .. } => Action::Create,
            Step::Update { .. } => Action::Update,
            Step::Replace { .. } => Action::Replace,
            Step::Delete { .. } => Action::Delete,
        }
    }

    /// The existing resource, when there is one to change, replace, delete or keep.
    pub fn existing(&self) -> Option<&Existing> {
        match self {
            Step::Keep { existing, .. }
            | Step::Update { existing, .. }
            | Step::Replace { existing, .. }
            | Step::Delete { existing } => Some(existing),
            Step::Create { .. } => None,
        }
    }

    /// The desired content (unresolved references remain), except for a deletion.
    pub fn payload(&self) -> Option<&Payload> {
        match self {
            Step::Keep { payload, .. }
            | Step::Create { payload, .. }
            | Step::Update { payload, .. }
            | Step::Replace { payload, .. } => Some(payload),
            Step::Delete { .. } => None,
        }
    }
}

impl ResourceChange {
    pub fn action(&self) -> Action {
        self.step.action()
    }

    /// The ARN or name the plan shows: the existing resource's, or the revision a new task
    /// definition revision follows.
    pub fn id(&self) -> Option<&str> {
        match &self.step {
            Step::Create { follows, .. } => follows.as_deref(),
            step => step.existing().map(|existing| existing.id.as_str()),
        }
    }

    /// The existing content, typed.
    pub fn before(&self) -> Option<&Payload> {
        self.step.existing().map(|existing| &existing.before)
    }
}

/// The plan document's change: `{address, action, reason?, fields?, id?}`.
impl Serialize for ResourceChange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("address", &self.address)?;
        map.serialize_entry("action", &self.action())?;
        if let Some(reason) = &self.reason {
            map.serialize_entry("reason", reason)?;
        }
        if !self.fields.is_empty() {
            map.serialize_entry("fields", &self.fields)?;
        }
        if let Some(id) = self.id() {
            map.serialize_entry("id", id)?;
        }
        map.end()
    }
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
            match change.action() {
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
        self.changes.iter().any(|change| change.action() != Action::NoOp)
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
    /// Resources whose content as read does not fit their kind: ecsdeploy changes nothing it
    /// cannot describe (a bug in a reader, or a resource changed outside ecsdeploy's shapes).
    #[error("{} resource(s) could not be read into their kind", .0.len())]
    Unreadable(Vec<Unreadable>),
    /// The ALB would hold more listener rules than it takes, counting the rules on it that are
    /// not this environment's (other environments', anyone else's) which `validate` cannot see.
    #[error("the ALB would hold {} listener rules; it takes {}", .0.others + .0.this, .0.limit)]
    Quota(RuleQuota),
}

/// The listener rules the ALB would hold after the plan: refused before AWS refuses a
/// CreateRule halfway through the apply (TooManyRules).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleQuota {
    pub load_balancer: String,
    pub environment: String,
    /// Rules on the HTTPS listener that are not this environment's.
    pub others: usize,
    /// This environment's rules as the plan wants them.
    pub this: usize,
    pub limit: usize,
}

/// A resource whose content as read does not fit its kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unreadable {
    pub address: Address,
    pub id: String,
    pub error: String,
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
    // hold what was built. The ALB and its listeners stay while any rule on it is not this
    // environment's: an environment routed through an ALB of its own takes it along, and the
    // last environment on the project's ALB takes that one, while others keep the cluster.
    let keep_shared = goal != Goal::Destroy || !actual.other_environments.is_empty() || !actual.other_rules.is_empty();
    let keep_load_balancer = goal != Goal::Destroy || !actual.other_rules.is_empty();
    let values = reuse_newest_revisions(desired, actual);
    let wanted: Vec<DesiredResource> = match goal {
        Goal::Converge => desired_resources(desired, true),
        Goal::Repositories => desired_resources(desired, true)
            .into_iter()
            .filter(|resource| matches!(resource.address, Address::Repository(_)))
            .collect(),
        Goal::Destroy => Vec::new(),
    };
    let rules = wanted.iter().filter(|resource| resource.address.part() == Some(ServicePart::ListenerRule)).count();
    let limit = crate::desired::checks::RULES_PER_LOAD_BALANCER;
    if actual.other_rules.len() + rules > limit {
        return Err(PlanError::Quota(RuleQuota {
            load_balancer: desired.shared.load_balancer.name.clone(),
            environment: desired.environment.clone(),
            others: actual.other_rules.len(),
            this: rules,
            limit,
        }));
    }
    let mut not_owned = Vec::new();
    let mut unreadable = Vec::new();
    let mut changes = Vec::new();
    let mut push = |change: Result<ResourceChange, Unreadable>| match change {
        Ok(change) => changes.push(change),
        Err(error) => unreadable.push(error),
    };
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
                push(change_for(resource, actual, &values))
            }
            Some(existing) if existing.owner != Owner::This => not_owned.push(NotOwned {
                address: resource.address.clone(),
                id: existing.id.clone(),
                owner: existing.owner.clone(),
            }),
            _ => push(change_for(resource, actual, &values)),
        }
    }
    not_owned.extend(rule_priority_conflicts(&wanted, actual));
    if !not_owned.is_empty() {
        return Err(PlanError::NotOwned(not_owned));
    }
    for (address, existing) in actual.resources.iter().filter(|_| goal != Goal::Repositories) {
        let is_wanted = wanted.iter().any(|resource| &resource.address == address);
        let is_kept_shared = match address {
            Address::LoadBalancer | Address::Listener(_) => keep_load_balancer,
            Address::Repository(_) => true,
            address => address.is_shared() && keep_shared,
        };
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
        push(existing_of(address, existing).map(|existing| ResourceChange {
            address: address.clone(),
            reason,
            fields: Vec::new(),
            step: Step::Delete { existing },
        }));
    }
    if !unreadable.is_empty() {
        return Err(PlanError::Unreadable(unreadable));
    }
    let replacements: Vec<Replacement> = changes
        .iter()
        .filter_map(|change| match &change.step {
            Step::Replace { existing, .. } => Some(Replacement {
                address: change.address.clone(),
                id: existing.id.clone(),
                fields: change.fields.iter().map(|field| field.path.clone()).collect(),
            }),
            _ => None,
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

/// The change that makes `resource` as desired, from what exists at its address (or, for a
/// task definition, the newest revision plan chose to reuse).
fn change_for(
    resource: &DesiredResource,
    actual: &ActualState,
    values: &values::Values,
) -> Result<ResourceChange, Unreadable> {
    let desired_json = values.resolve(&resource.payload.to_json());
    let payload = resource.payload.clone();
    let address = resource.address.clone();
    let reused = match &resource.payload {
        Payload::TaskDefinition(definition) => reused_revision(actual, values, &resource.address, &definition.family),
        _ => None,
    };
    let Some(found) = reused.or_else(|| actual.resources.get(&resource.address)) else {
        return Ok(ResourceChange {
            address,
            reason: None,
            fields: Vec::new(),
            step: Step::Create { payload, follows: None },
        });
    };
    let rules = change_rules(&resource.payload);
    let fields: Vec<FieldChange> =
        diff(&found.json, &desired_json, rules.ignored).into_iter().map(show_unknown).collect();
    let is_revision = matches!(resource.payload, Payload::TaskDefinition(_));
    // A new revision is registered beside the running one (someone else's too), which is never
    // changed: only its ARN is needed, to show.
    if is_revision && !fields.is_empty() {
        return Ok(ResourceChange {
            address,
            reason: Some("new revision".into()),
            fields,
            step: Step::Create { payload, follows: Some(found.id.clone()) },
        });
    }
    let existing = existing_of(&resource.address, found)?;
    let (step, reason) = match () {
        _ if fields.is_empty() => (Step::Keep { existing, payload }, None),
        _ if fields.iter().any(|field| rules.immutable.contains(&top_level(&field.path))) => {
            (Step::Replace { existing, payload }, None)
        }
        _ => {
            let rotated = secrets_rotated(&found.json, &desired_json);
            let strategy_changed = matches!(resource.payload, Payload::EcsService(_))
                && found.json.get("capacityProviderStrategy") != desired_json.get("capacityProviderStrategy");
            let reason = rotated.then(|| "a secret it uses has a new version: new tasks start to read it".to_string());
            (Step::Update { existing, payload, force_new_deployment: rotated || strategy_changed }, reason)
        }
    };
    Ok(ResourceChange { address, reason, fields, step })
}

/// The existing resource at `address`, its content typed as the payload of its kind.
fn existing_of(address: &Address, found: &crate::actual::ActualResource) -> Result<Existing, Unreadable> {
    match Payload::at_address(address, found.json.clone()) {
        Ok(before) => Ok(Existing { id: found.id.clone(), before }),
        Err(error) => Err(Unreadable { address: address.clone(), id: found.id.clone(), error: error.to_string() }),
    }
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
        .filter(|change| {
            change.address.part() == Some(ServicePart::TaskDefinition) && change.action() == Action::Create
        })
        .filter_map(|change| change.address.service_name().map(str::to_string))
        .collect();
    for change in changes.iter_mut() {
        let is_service = change.address.part() == Some(ServicePart::EcsService);
        let runs_new = change.address.service_name().is_some_and(|name| new_revisions.iter().any(|n| n == name));
        if let (true, true, Step::Keep { existing, payload }) = (is_service, runs_new, &change.step) {
            change.step =
                Step::Update { existing: existing.clone(), payload: payload.clone(), force_new_deployment: false };
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
