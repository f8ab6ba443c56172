//! Checks that need derived names or see every environment at once: name limits of the names
//! ecsdeploy builds, names and priorities that must be unique on the shared cluster and ALB,
//! overlapping paths, and the ALB's quotas counted over all environments.

use super::names::{ServiceNames, path_pattern, service_names};
use super::routing::patterns_overlap;
use super::{Context, rule_priority, service_tags, task_definition};
use crate::manifest::{
    ENVIRONMENT_VALUE_LIMIT, Environment, Manifest, Problem, Problems, Service, Span, VARIABLES_HELP, aws_names,
};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// Rules per ALB (not counting default rules; AWS's default, adjustable) and target groups per
/// ALB (not adjustable): "Quotas for your Application Load Balancers".
pub const RULES_PER_LOAD_BALANCER: usize = 100;
pub const TARGET_GROUPS_PER_LOAD_BALANCER: usize = 100;
/// Tags per resource that every API here accepts.
pub const TAGS_PER_RESOURCE: usize = 50;

/// One deployed (environment, service) pair with what the checks compare.
struct Deployed<'a> {
    environment: &'a Environment,
    service: &'a Service,
    names: ServiceNames,
    path: String,
    priority: i64,
}

impl Deployed<'_> {
    fn label(&self) -> String {
        format!("{} (environment {})", self.names.full_name, self.environment.name.value)
    }

    fn priority_span(&self) -> Span {
        self.service.priority.as_ref().map_or(self.service.name.span, |p| p.span)
    }
}

pub fn check(manifest: &Manifest, problems: &Problems) {
    // Every derived name starts with the project name; when that is invalid its own problem says
    // it all, and the checks of derived names stand down.
    let names_are_checkable = crate::manifest::project_name_is_valid(&manifest.project);
    let deployed: Vec<Deployed<'_>> = manifest
        .environments
        .iter()
        .flat_map(|environment| {
            environment.enabled_services().filter(|service| service.has_path).map(move |service| (environment, service))
        })
        .map(|(environment, service)| Deployed {
            environment,
            service,
            names: service_names(&manifest.project, environment, service),
            path: path_pattern(environment, service),
            priority: rule_priority(manifest, environment, service),
        })
        .collect();
    let context = Context::new(
        manifest.project.region.as_ref().map_or("us-east-1", |region| region.value.as_str()),
        manifest.project.account_id.as_ref().map(|account| account.value.clone()),
    );
    for item in &deployed {
        check_task_definition_size(manifest, &context, item, problems);
    }
    for item in deployed.iter().filter(|_| names_are_checkable) {
        check_derived_names(item, problems);
        let tag_count = tag_count(manifest, item);
        if tag_count > TAGS_PER_RESOURCE {
            problems.push(
                Problem::error(
                    item.service.span,
                    format!(
                        "{} would carry {tag_count} tags; AWS allows {TAGS_PER_RESOURCE} per resource",
                        item.label()
                    ),
                )
                .with_help("remove project, environment or service tags (ecsdeploy uses 3 for ownership)"),
            );
        }
    }
    check_collisions(&deployed, problems);
    check_paths(&deployed, problems);
    check_quotas(manifest, &deployed, problems);
    check_domains(manifest, problems);
    check_branches(manifest, problems);
}

/// How many tags the service's resources would carry: ecsdeploy's three and each key of the
/// project's, the environment's and the service's tags once (as `service_tags` merges them,
/// counted without merging: a list of thousands of tags must not be merged tag by tag).
fn tag_count(manifest: &Manifest, item: &Deployed<'_>) -> usize {
    let tags = manifest.project.tags.iter().chain(&item.environment.tags).chain(&item.service.tags);
    3 + tags.map(|tag| tag.key.value.as_str()).collect::<HashSet<_>>().len()
}

/// ECS refuses a task definition over 64 KiB; environment variables are what make one that
/// large. A service with a variable over the per-variable limit is already reported there.
fn check_task_definition_size(manifest: &Manifest, context: &Context, item: &Deployed<'_>, problems: &Problems) {
    let env = &item.service.env;
    // Already reported: a variable over its own limit, or more tags than a resource takes.
    if env.iter().any(|(_, value)| value.value.len() > ENVIRONMENT_VALUE_LIMIT)
        || tag_count(manifest, item) > TAGS_PER_RESOURCE
    {
        return;
    }
    let tags = service_tags(manifest, item.environment, item.service);
    let task_definition = task_definition::task_definition(context, item.environment, item.service, &item.names, &tags);
    let size = task_definition::size(&task_definition);
    if size <= task_definition::MAX_SIZE {
        return;
    }
    // Point at the largest variable, the likeliest thing to move out.
    let largest = env.iter().max_by_key(|(_, value)| value.value.len());
    let span = largest.map_or(item.service.span, |(_, value)| value.span);
    let largest = largest
        .map(|(name, value)| format!("; its largest variable, `{}`, is {} bytes", name.value, value.value.len()));
    problems.push(
        Problem::error(
            span,
            format!(
                "the task definition of {} would be about {size} bytes; ECS registers at most {} (64 KiB){}",
                item.label(),
                task_definition::MAX_SIZE,
                largest.unwrap_or_default()
            ),
        )
        .with_help(VARIABLES_HELP),
    );
}

fn check_derived_names(item: &Deployed<'_>, problems: &Problems) {
    let names = &item.names;
    if let Err(reason) = aws_names::ecs_name(&names.full_name) {
        problems.push(
            Problem::error(
                item.environment.prefix.span,
                format!("service name `{}` is not valid for ECS: {reason}", names.full_name),
            )
            .with_help("shorten or simplify the environment's prefix"),
        );
    }
    if let Err(reason) = aws_names::target_group_name(&names.target_group) {
        let problem = match &item.service.target_group_name {
            Some(name) => Problem::error(
                name.span,
                format!("target group name `{}` of {} is not valid: {reason}", names.target_group, item.label()),
            ),
            None => Problem::error(
                item.service.name.span,
                format!(
                    "the derived target group name `{}` of {} is not valid: {reason}",
                    names.target_group,
                    item.label()
                ),
            )
            .with_related(
                item.environment.prefix.span,
                format!("environment `{}` adds its prefix here", item.environment.name.value),
            ),
        };
        problems.push(problem.with_help(format!(
            "set target_group_name = \"...\" (at most 32 letters, digits and '-') for service `{}` in environments/{}.toml, or shorten the project name or the environment prefix",
            item.service.name.value, item.environment.name.value
        )));
    }
    for role in [&names.execution_role, &names.task_role] {
        if let Err(reason) = aws_names::iam_role_name(role) {
            problems.push(
                Problem::error(
                    item.service.name.span,
                    format!("IAM role name `{role}` of {} is not valid: {reason}", item.label()),
                )
                .with_related(
                    Span::new(item.environment.file, 0..0),
                    format!("environment `{}`", item.environment.name.value),
                )
                .with_help("shorten the project, environment or service name"),
            );
        }
    }
}

/// Pairs `(first, later)` of items with the same `key`, each later item paired with the first
/// that has it: one problem per item to fix, found with one pass over a map instead of comparing
/// every pair (a manifest of 2,000 services must not take minutes to check).
fn same_key_pairs<'d, T, K: Hash + Eq>(
    items: impl IntoIterator<Item = &'d T>,
    key: impl Fn(&'d T) -> K,
) -> Vec<(&'d T, &'d T)> {
    let mut first_with: HashMap<K, &'d T> = HashMap::new();
    let mut pairs = Vec::new();
    for item in items {
        match first_with.entry(key(item)) {
            Entry::Occupied(first) => pairs.push((*first.get(), item)),
            Entry::Vacant(vacant) => {
                vacant.insert(item);
            }
        }
    }
    pairs
}

/// ECS service names, target group names and listener-rule priorities are shared by every
/// environment: each must be used once.
fn check_collisions(deployed: &[Deployed<'_>], problems: &Problems) {
    for (first, second) in same_key_pairs(deployed, |item| item.names.full_name.as_str()) {
        problems.push(
            Problem::error(
                second.environment.prefix.span,
                format!(
                    "{} and {} would be the same ECS service `{}` on the shared cluster",
                    first.label(),
                    second.label(),
                    first.names.full_name
                ),
            )
            .with_related(first.environment.prefix.span, "the other environment's prefix")
            .with_help("give the environments different `prefix` values"),
        );
    }
    for (first, second) in same_key_pairs(deployed, |item| item.names.target_group.as_str()) {
        let span = |item: &Deployed<'_>| {
            item.service.target_group_name.as_ref().map_or(item.service.name.span, |name| name.span)
        };
        problems.push(
            Problem::error(
                span(second),
                format!(
                    "{} and {} would share target group `{}`",
                    first.label(),
                    second.label(),
                    first.names.target_group
                ),
            )
            .with_related(span(first), "the other one")
            .with_help("give one of them another target_group_name"),
        );
    }
    for (first, second) in same_key_pairs(deployed, |item| item.priority) {
        problems.push(
            Problem::error(
                second.priority_span(),
                format!(
                    "{} and {} would both use listener-rule priority {}",
                    first.label(),
                    second.label(),
                    first.priority
                ),
            )
            .with_related(first.priority_span(), "the other service")
            .with_help(format!(
                "set `priority = <unused number from 1 to 50000>` for service `{}` in environments/{}.toml",
                second.service.name.value, second.environment.name.value
            )),
        );
    }
}

/// Paths that the same request could match. Overlap is only computed for valid patterns (at most
/// 128 characters: the walk is cheap).
///
/// Two patterns can only overlap when the literal text before the first wildcard of one begins
/// that of the other (a request matching both starts with both). So each path is compared with
/// the paths filed under the prefixes of its own literal text, at most 129 lookups, instead of
/// with every other path.
fn check_paths(deployed: &[Deployed<'_>], problems: &Problems) {
    let comparable: Vec<(usize, &Deployed<'_>)> =
        deployed.iter().enumerate().filter(|(_, item)| aws_names::path_pattern(&item.path).is_ok()).collect();
    let mut first_with_path: HashMap<&str, usize> = HashMap::new();
    let mut distinct = Vec::new();
    for &(index, item) in &comparable {
        match first_with_path.entry(item.path.as_str()) {
            Entry::Occupied(first) => path_conflict(&deployed[*first.get()], item, problems),
            Entry::Vacant(vacant) => {
                vacant.insert(index);
                distinct.push(index);
            }
        }
    }
    let mut by_literal: HashMap<&str, Vec<usize>> = HashMap::new();
    for &index in &distinct {
        by_literal.entry(literal_prefix(&deployed[index].path)).or_default().push(index);
    }
    for &index in &distinct {
        let literal = literal_prefix(&deployed[index].path);
        let ends = literal.char_indices().map(|(end, _)| end).chain(std::iter::once(literal.len()));
        for end in ends {
            let Some(candidates) = by_literal.get(&literal[..end]) else { continue };
            // Equal literal prefixes meet from both sides: take each pair once.
            for &other in candidates.iter().filter(|&&other| end < literal.len() || other < index) {
                let (first, second) = (index.min(other), index.max(other));
                path_conflict(&deployed[first], &deployed[second], problems);
            }
        }
    }
}

/// The text of an ALB path pattern before its first wildcard.
fn literal_prefix(pattern: &str) -> &str {
    pattern.find(['*', '?']).map_or(pattern, |wildcard| &pattern[..wildcard])
}

/// Reports two services whose (valid) paths the same request could match, unless both set an
/// explicit priority for different paths (then the priorities say which rule wins).
fn path_conflict(first: &Deployed<'_>, second: &Deployed<'_>, problems: &Problems) {
    let both_explicit = first.service.priority.is_some() && second.service.priority.is_some();
    if first.path == second.path && both_explicit {
        problems.push(
            Problem::error(second.service.path.span, format!("{} and {} route the same path `{}`; the rule with the higher priority number would never receive a request", first.label(), second.label(), first.path))
                .with_related(first.service.path.span, "the other path")
                .with_help("give each service its own path"),
        );
    } else if !both_explicit && patterns_overlap(&first.path, &second.path) {
        let (winner, loser) = if first.priority < second.priority { (first, second) } else { (second, first) };
        problems.push(
            Problem::error(second.service.path.span, format!("path `{}` of {} overlaps path `{}` of {}", second.path, second.label(), first.path, first.label()))
                .with_related(first.service.path.span, "the other path")
                .with_help(format!(
                    "requests matching both would go to {} (priority {} < {}); make the paths disjoint, or set an explicit `priority` on both services with the more specific path lower",
                    winner.names.full_name, winner.priority, loser.priority
                )),
        );
    }
}

/// One target group and one listener rule per path-routed service and environment, on the ALB
/// the environment is routed through: counted per ALB against its quotas. Target groups per ALB
/// (100) is a quota AWS does not raise, and rules (100 by default) never bind before it, so the
/// ceiling is 100 path-routed (environment, service) pairs per ALB; more environments on ALBs of
/// their own raise it, one environment cannot be split (its domain points at one ALB).
fn check_quotas(manifest: &Manifest, deployed: &[Deployed<'_>], problems: &Problems) {
    let project = &manifest.project;
    let mut by_load_balancer: Vec<(&str, Vec<&Deployed<'_>>)> = Vec::new();
    for item in deployed {
        let name = item.environment.load_balancer_name(project);
        match by_load_balancer.iter_mut().find(|(load_balancer, _)| *load_balancer == name) {
            Some((_, items)) => items.push(item),
            None => by_load_balancer.push((name, vec![item])),
        }
    }
    for (load_balancer, items) in by_load_balancer {
        let count = items.len();
        if count <= TARGET_GROUPS_PER_LOAD_BALANCER.min(RULES_PER_LOAD_BALANCER) {
            continue;
        }
        let mut environments: Vec<&Environment> = Vec::new();
        for item in &items {
            if !environments.iter().any(|environment| environment.name.value == item.environment.name.value) {
                environments.push(item.environment);
            }
        }
        let names: Vec<&str> = environments.iter().map(|environment| environment.name.value.as_str()).collect();
        // Where the ALB is named: the first environment that names it, or the project.
        let span = environments
            .iter()
            .find_map(|environment| environment.load_balancer.as_ref().map(|name| name.span))
            .unwrap_or(project.load_balancer.name.span);
        let help = match environments.as_slice() {
            [only] => format!(
                "an environment's services share one ALB (its domain points there), so environment {} can route at most {TARGET_GROUPS_PER_LOAD_BALANCER} services: disable some (enabled = false), or move some into a second project",
                only.name.value
            ),
            [.., last] => format!(
                "route an environment through an ALB of its own, e.g. load_balancer = \"{}-{}\" in environments/{}.toml, or disable services in some environments (enabled = false)",
                project.name.value, last.name.value, last.name.value
            ),
            [] => String::new(),
        };
        problems.push(
            Problem::error(
                span,
                format!(
                    "environment{} {} together need {count} target groups and {count} listener rules on ALB {load_balancer}; an ALB takes {TARGET_GROUPS_PER_LOAD_BALANCER} target groups (an AWS quota that cannot be raised) and {RULES_PER_LOAD_BALANCER} rules by default",
                    if names.len() == 1 { "" } else { "s" },
                    names.join(", ")
                ),
            )
            .with_help(help),
        );
    }
}

fn check_domains(manifest: &Manifest, problems: &Problems) {
    let with_domain =
        manifest.environments.iter().filter_map(|environment| Some((environment, environment.domain.as_ref()?)));
    let with_domain: Vec<_> = with_domain.collect();
    let pairs = same_key_pairs(&with_domain, |(_, domain)| domain.value.trim_end_matches('.').to_ascii_lowercase());
    for ((first, a), (second, b)) in pairs {
        problems.push(
            Problem::error(
                b.span,
                format!("environments {} and {} both use domain `{}`", first.name.value, second.name.value, b.value),
            )
            .with_related(a.span, "also used here")
            .with_help("give each environment its own domain"),
        );
    }
}

/// A branch deploys one environment (`up --git-ref`, the git hooks): two environments naming
/// the same branch would leave which one a push deploys to chance.
fn check_branches(manifest: &Manifest, problems: &Problems) {
    for (first, second) in same_key_pairs(&manifest.environments, |environment| environment.branch.value.as_str()) {
        // A defaulted branch (the environment's name) has no span of its own: point at the file.
        problems.push(
            Problem::error(
                second.branch.span,
                format!(
                    "environments {} and {} both deploy from branch `{}`",
                    first.name.value, second.name.value, second.branch.value
                ),
            )
            .with_related(first.branch.span, "also here")
            .with_help("give each environment its own branch = \"...\""),
        );
    }
}
