//! Plans and apply progress for people (terraform-style marks and a summary line) and for
//! programs (the plan as versioned JSON).

use crate::apply::{ApplyEvent, ApplyOutcome};
use crate::plan::{Action, Plan, PlanError};
use serde_json::json;

/// `+ address`, field changes under updates, and `Plan: 1 to add, 2 to change, 0 to destroy.`
pub fn text(plan: &Plan) -> String {
    let changing: Vec<_> = plan.changes.iter().filter(|change| change.action() != Action::NoOp).collect();
    if changing.is_empty() {
        return format!("No changes. Environment {} matches the manifest.", plan.environment);
    }
    let mut out = format!("ecsdeploy will change environment {} of project {}:\n\n", plan.environment, plan.project);
    for change in changing {
        let reason = change.reason.as_deref().map(|reason| format!("  ({reason})")).unwrap_or_default();
        out.push_str(&format!("{:>3} {}{reason}\n", change.action().symbol(), change.address));
        for field in &change.fields {
            let show = |value: &Option<serde_json::Value>| value.as_ref().map_or("(none)".to_string(), compact);
            out.push_str(&format!("        {}: {} -> {}\n", field.path, show(&field.before), show(&field.after)));
        }
    }
    let summary = plan.summary();
    out.push_str(&format!(
        "\nPlan: {} to add, {} to change, {} to destroy.",
        summary.add, summary.change, summary.destroy
    ));
    out
}

/// A JSON value on one line, strings without quotes when simple.
fn compact(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.len() > 120 {
        format!("{}...", &text[..text.char_indices().nth(117).map_or(text.len(), |(i, _)| i)])
    } else {
        text
    }
}

/// The plan with its summary.
pub fn json(plan: &Plan) -> serde_json::Value {
    json!({
        "schema_version": plan.schema_version,
        "project": plan.project,
        "environment": plan.environment,
        "summary": plan.summary(),
        "has_changes": plan.has_changes(),
        "changes": plan.changes.iter().filter(|change| change.action() != Action::NoOp).collect::<Vec<_>>(),
    })
}

/// Why no plan could be made, one line per problem with what to do.
pub fn error_text(error: &PlanError) -> (String, Vec<String>) {
    match error {
        PlanError::Missing(missing) => (
            format!("nothing was changed: {} prerequisite(s) do not exist", missing.len()),
            missing.iter().map(|item| format!("{}: {}", item.what, item.hint)).collect(),
        ),
        PlanError::Replacement(resources) => (
            format!("nothing was changed: {} resource(s) would have to be deleted and created again", resources.len()),
            resources
                .iter()
                .map(|resource| {
                    format!(
                        "{} ({}) cannot change {} in place; ecsdeploy does not replace it (what depends on it would break or lose traffic): undo the change, or delete the resource by hand and run up again",
                        resource.address,
                        resource.id,
                        resource.fields.join(", ")
                    )
                })
                .collect(),
        ),
        PlanError::Unreadable(resources) => (
            format!("nothing was changed: {} resource(s) could not be read into their kind", resources.len()),
            resources
                .iter()
                .map(|resource| {
                    format!(
                        "{} ({}) reads as something ecsdeploy cannot describe ({}): this is a bug in ecsdeploy's reader, or the resource was changed outside its shapes; report it with `ecsdeploy plan -v` output",
                        resource.address, resource.id, resource.error
                    )
                })
                .collect(),
        ),
        PlanError::Quota(quota) => (
            format!(
                "nothing was changed: ALB {} would hold {} listener rules ({} that are not environment {}'s, {} of its own); an ALB takes {}",
                quota.load_balancer,
                quota.others + quota.this,
                quota.others,
                quota.environment,
                quota.this,
                quota.limit
            ),
            vec![format!(
                "remove rules on the ALB that are no longer needed, route environment {} through an ALB of its own (load_balancer = \"...\" in environments/{}.toml), or disable some of its services (enabled = false)",
                quota.environment, quota.environment
            )],
        ),
        PlanError::NotOwned(resources) => (
            format!("nothing was changed: {} resource(s) with the names ecsdeploy would use are not ecsdeploy's", resources.len()),
            resources
                .iter()
                .map(|resource| {
                    let owner = match &resource.owner {
                        crate::actual::Owner::OtherEnvironment(environment) => format!("environment {environment} of this project"),
                        _ => "someone else (no ecsdeploy tags of this project)".to_string(),
                    };
                    if matches!(resource.address, crate::plan::address::Address::SecretRotation(_)) {
                        return format!(
                            "{} is {} and belongs to {owner}; ecsdeploy never changes it: remove its [secrets] rotation \
                             from the manifest (and configure rotation where the secret is managed), or use a secret \
                             created with `ecsdeploy secrets set`",
                            resource.address, resource.id
                        );
                    }
                    format!(
                        "{} exists as {} and belongs to {owner}; ecsdeploy never changes it: rename it in the manifest or remove it by hand",
                        resource.address, resource.id
                    )
                })
                .collect(),
        ),
    }
}

/// One progress line for an apply event.
pub fn event_text(event: &ApplyEvent) -> String {
    match event {
        ApplyEvent::Started { address, action } => format!("{address}: {}...", verb(*action, false)),
        ApplyEvent::Finished(step) => match &step.error {
            None => format!("{}: {} ({:.1}s)", step.address, verb(step.action, true), step.elapsed.as_secs_f64()),
            Some(error) => {
                let hints: String = step.hints().iter().map(|hint| format!("\n  hint: {hint}")).collect();
                format!("{}: FAILED: {error}{hints}", step.address)
            }
        },
    }
}

fn verb(action: Action, done: bool) -> &'static str {
    match (action, done) {
        (Action::Create, false) => "creating",
        (Action::Create, true) => "created",
        (Action::Update, false) => "updating",
        (Action::Update, true) => "updated",
        (Action::Replace, false) => "replacing",
        (Action::Replace, true) => "replaced",
        (Action::Delete, false) => "deleting",
        (Action::Delete, true) => "deleted",
        (Action::NoOp, _) => "unchanged",
    }
}

/// `Apply complete: ...` or what failed and what was done before it.
pub fn outcome_text(plan: &Plan, outcome: &ApplyOutcome) -> String {
    let count =
        |action: Action| outcome.steps.iter().filter(|step| step.action == action && step.error.is_none()).count();
    let done = format!(
        "{} added, {} changed, {} destroyed",
        count(Action::Create) + count(Action::Replace),
        count(Action::Update),
        count(Action::Delete) + count(Action::Replace)
    );
    let failed = outcome.failed();
    if failed.is_empty() {
        return format!("Apply complete for {}: {done}.", plan.environment);
    }
    let planned = plan.changes.iter().filter(|change| change.action() != Action::NoOp).count();
    format!(
        "Apply failed for {} after {} of {planned} changes ({done}); {} failed, the rest was not started.",
        plan.environment,
        outcome.steps.len(),
        failed.len()
    )
}

/// `up`, `destroy` and `repositories` with `--output json`.
#[derive(Debug, serde::Serialize)]
pub struct UpDocument<'a> {
    pub schema_version: u32,
    pub environment: &'a str,
    pub plan: serde_json::Value,
    pub applied: &'a [crate::apply::StepResult],
    pub rollouts: Vec<super::rollout_view::ServiceResult<'a>>,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<serde_json::Value>,
}
