//! Adoption: the tags that make an imported service's resources this environment's, and the
//! actual state as it will read once they carry them, so that `import` can show the plan that
//! would follow before it changes anything. Pure.

use super::source::{AdoptedKind, Adoption, ImportSource};
use crate::actual::{ActualResource, ActualState, Owner};
use crate::desired::scaling::is_own_policy;
use crate::desired::tags::{Tags, tags_from};
use crate::desired::{DesiredService, Reference};
use crate::plan::address::{Address, ServicePart};
use crate::plan::resources::json_of;
use crate::plan::values::Values;

/// The desired tags of each resource of `source`, references resolved with `values` (the
/// secret-versions digest).
pub fn adoptions(desired: &DesiredService, values: &Values, source: &ImportSource) -> Vec<Adoption> {
    let resolved = |tags: &Tags| -> Tags {
        let json = values.resolve(&serde_json::to_value(&tags.0).unwrap_or_default());
        let pairs: Vec<(String, String)> = serde_json::from_value(json).unwrap_or_else(|_| tags.0.clone());
        Tags(pairs)
    };
    let desired_tags = |kind: AdoptedKind| match kind {
        AdoptedKind::EcsService => &desired.service.tags,
        AdoptedKind::TaskDefinition => &desired.task_definition.tags,
        AdoptedKind::TargetGroup => &desired.target_group.tags,
        AdoptedKind::ListenerRule => &desired.listener_rule.tags,
    };
    let resources = source.tagged_resources().into_iter();
    resources
        .map(|(kind, arn, _)| Adoption { kind, arn: arn.to_string(), tags: resolved(desired_tags(kind)) })
        .collect()
}

/// The tags `adoption`'s resource had before it: `source` as read.
fn tags_before<'a>(source: &'a ImportSource, adoption: &Adoption) -> Option<&'a Tags> {
    source.tagged_resources().into_iter().find(|(_, arn, _)| *arn == adoption.arn).map(|(_, _, tags)| tags)
}

/// What undoing `adoption` takes: the keys it added that its resource did not have (to remove),
/// and the old values of those it overwrote (to put back).
pub fn undoing(source: &ImportSource, adoption: &Adoption) -> (Vec<String>, Tags) {
    let before = tags_before(source, adoption);
    let mut added = Vec::new();
    let mut overwritten = Vec::new();
    for (key, value) in &adoption.tags.0 {
        match before.and_then(|tags| tags.get(key)) {
            None => added.push(key.clone()),
            Some(old) if old != value => overwritten.push((key.clone(), old.to_string())),
            Some(_) => {}
        }
    }
    (added, Tags(overwritten))
}

/// `existing` with `added` put on (a key in both takes `added`'s value), in the readers' order.
pub fn tagged(existing: &Tags, added: &Tags) -> Tags {
    let kept = existing.0.iter().filter(|(key, _)| added.get(key).is_none());
    tags_from(kept.chain(&added.0).map(|(key, value)| (key.as_str(), value.as_str())))
}

/// `actual` (read with the manifest that includes the imported service) as it will read once
/// `adoptions` are done: the service's resources as `source` holds them, with the adopted tags,
/// owned by this environment.
pub fn adopted_state(
    mut actual: ActualState,
    desired: &DesiredService,
    source: &ImportSource,
    adoptions: &[Adoption],
) -> ActualState {
    let name = desired.name.as_str();
    let added =
        |arn: &str| adoptions.iter().find(|adoption| adoption.arn == arn).map(|a| a.tags.clone()).unwrap_or_default();
    let mut put = |address: Address, id: &str, json: serde_json::Value, owner: Owner| {
        actual.resources.insert(address, ActualResource { id: id.to_string(), json, owner });
    };
    let mut service = source.service.clone();
    service.tags = tagged(&service.tags, &added(&source.service_arn));
    put(Address::service(name, ServicePart::EcsService), &source.service_arn, json_of(&service), Owner::This);
    let mut definition = source.task_definition.clone();
    definition.tags = tagged(&definition.tags, &added(&source.task_definition_arn));
    let address = Address::service(name, ServicePart::TaskDefinition);
    put(address.clone(), &source.task_definition_arn, json_of(&definition), Owner::This);
    for (arn, group) in &source.target_groups {
        let mut group = group.clone();
        group.group.tags = tagged(&group.group.tags, &added(arn));
        put(Address::service(name, ServicePart::TargetGroup), arn, json_of(&group), Owner::This);
        actual.values.set(&Reference::TargetGroupArn(group.group.name.clone()), arn.clone());
    }
    for (arn, rule) in &source.listener_rules {
        let mut rule = rule.clone();
        rule.tags = tagged(&rule.tags, &added(arn));
        put(Address::service(name, ServicePart::ListenerRule), arn, json_of(&rule), Owner::This);
    }
    if let Some(target) = &source.scalable_target {
        put(Address::service(name, ServicePart::ScalableTarget), &target.resource_id, json_of(target), Owner::This);
    }
    let wanted: Vec<&str> = desired.scaling_policies.iter().map(|policy| policy.policy_name.as_str()).collect();
    for policy in &source.scaling_policies {
        let own = is_own_policy(&desired.full_name, &wanted, &policy.policy_name);
        let owner = if own { Owner::This } else { Owner::Foreign };
        let address = Address::service_named(name, ServicePart::ScalingPolicy, &policy.policy_name);
        put(address, &policy.policy_name, json_of(policy), owner);
    }
    // The adopted rule is no longer someone else's rule whose priority must be kept free.
    actual.other_rules.retain(|rule| !source.listener_rules.iter().any(|(arn, _)| *arn == rule.arn));
    actual.newest_revisions.remove(&address);
    actual.values.set(
        &Reference::TaskDefinitionArn { family: desired.task_definition.family.clone() },
        source.task_definition_arn.clone(),
    );
    actual
}
