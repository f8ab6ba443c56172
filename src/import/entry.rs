//! From a running service back to manifest settings: the `[services.<name>]` table of
//! `services.toml` (what the service is) and the environment's override (the names of what it
//! already has: roles, log group, target group, rule priority, policy names, secret ARNs).
//!
//! Pure. What the manifest cannot say (a second container, another network) is not refused
//! here: the preview plan in `commands::import` shows it as a difference, field by field.

use super::source::ImportSource;
use super::toml_text::{Section, TomlValue};
use crate::desired::load_balancing::{ListenerRule, transforms_for};
use crate::desired::routing::default_priority;
use crate::manifest::{Environment, PathRewrite, Project, aws_names, path_rewrite};

/// The manifest text an import adds, as sections.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEntry {
    /// The manifest's name of the service (`billing` for `stage-billing`).
    pub name: String,
    /// Appended to `services.toml`.
    pub service_sections: Vec<Section>,
    /// Appended to `environments/<env>.toml`.
    pub environment_sections: Vec<Section>,
    /// Scaling policies of the service that ecsdeploy will leave alone (not target tracking on
    /// CPU or requests).
    pub policies_left_alone: Vec<String>,
}

/// Why a service cannot be imported into this environment at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportRefusal {
    #[error("service `{service}` does not start with environment `{environment}`'s prefix `{prefix}`")]
    Prefix { service: String, environment: String, prefix: String },
    #[error("`{name}` (from service `{service}`) is not a valid service name: {reason}")]
    Name { service: String, name: String, reason: String },
    #[error("its task definition has {count} containers; ecsdeploy deploys one container per service")]
    Containers { count: usize },
    #[error("its container maps {count} ports; ecsdeploy routes one port per service")]
    Ports { count: usize },
    #[error("no rule of load balancer `{load_balancer}`'s HTTPS listener forwards to it")]
    NoRule { load_balancer: String },
    #[error("it is registered with {count} target groups; ecsdeploy puts a service behind one")]
    TargetGroups { count: usize },
    #[error("{count} rules of the HTTPS listener forward to it; ecsdeploy routes one path rule per service")]
    Rules { count: usize },
    #[error("its listener rule matches {0}; ecsdeploy routes one path pattern per service")]
    RuleShape(String),
    #[error("its path `{path}` is not under environment `{environment}`'s path prefix `{prefix}`")]
    PathPrefix { path: String, environment: String, prefix: String },
    #[error("it has settings the manifest cannot express, which a new revision would drop: {}", .0.join(", "))]
    Unsupported(Vec<String>),
    #[error("its {what} carries ecsdeploy's tags for {owner}")]
    OwnedElsewhere { what: String, owner: String },
    #[error("its scaling policies {0}")]
    Policies(String),
    #[error("its environment variable `{name}` cannot be written in the manifest: {reason}")]
    Variable { name: String, reason: String },
}

/// The manifest settings that reproduce `source` in `environment`.
pub fn imported_entry(
    project: &Project,
    environment: &Environment,
    source: &ImportSource,
) -> Result<ImportedEntry, ImportRefusal> {
    let service_name = &source.service.service_name;
    let environment_name = &environment.name.value;
    let prefix = &environment.prefix.value;
    if !source.unsupported.is_empty() {
        return Err(ImportRefusal::Unsupported(source.unsupported.clone()));
    }
    let name = service_name.strip_prefix(prefix.as_str()).ok_or_else(|| ImportRefusal::Prefix {
        service: service_name.clone(),
        environment: environment_name.clone(),
        prefix: prefix.clone(),
    })?;
    aws_names::slug(name, 40).map_err(|reason| ImportRefusal::Name {
        service: service_name.clone(),
        name: name.to_string(),
        reason,
    })?;
    check_ownership_tags(project, environment, source, name)?;
    let definition = &source.task_definition;
    let [container] = definition.container_definitions.as_slice() else {
        return Err(ImportRefusal::Containers { count: definition.container_definitions.len() });
    };
    let [port] = container.port_mappings.as_slice() else {
        return Err(ImportRefusal::Ports { count: container.port_mappings.len() });
    };
    if source.target_groups.len() != 1 {
        return Err(ImportRefusal::TargetGroups { count: source.target_groups.len() });
    }
    let (_, rule) = match source.listener_rules.as_slice() {
        [] => {
            let load_balancer = environment.load_balancer_name(project).to_string();
            return Err(ImportRefusal::NoRule { load_balancer });
        }
        [rule] => rule,
        rules => return Err(ImportRefusal::Rules { count: rules.len() }),
    };
    let path = match rule.conditions.as_slice() {
        [condition] if condition.field == "path-pattern" && condition.path_pattern_config.values.len() == 1 => {
            condition.path_pattern_config.values[0].clone()
        }
        _ => return Err(ImportRefusal::RuleShape(describe_conditions(rule))),
    };
    let path_prefix = &environment.path_prefix.value;
    let relative_path =
        path.strip_prefix(path_prefix.as_str()).filter(|rest| rest.starts_with('/')).ok_or_else(|| {
            ImportRefusal::PathPrefix {
                path: path.clone(),
                environment: environment_name.clone(),
                prefix: path_prefix.clone(),
            }
        })?;

    let path_rewrite = path_rewrite_of(rule, path_prefix, relative_path)?;

    let mut service = Section::new(format!("services.{name}"));
    service.comment(format!(
        "Imported by `ecsdeploy import` from ECS service {service_name} in cluster {}.",
        source.service.cluster
    ));
    service.comment(format!("Deployed only where an environment enables it (environments/{environment_name}.toml)."));
    service.set("enabled", TomlValue::Boolean(false));
    service.set("image", TomlValue::string(container.image.to_reference_string()));
    service.set("port", TomlValue::Integer(port.container_port));
    service.set("path", TomlValue::string(relative_path));
    if let Some(rewrite) = path_rewrite {
        service.set("path_rewrite", TomlValue::string(rewrite));
    }
    service.set("cpu", number_or_text(&definition.cpu));
    service.set("memory", number_or_text(&definition.memory));
    let architecture = &definition.runtime_platform.cpu_architecture;
    if !architecture.is_empty() {
        service.set("architecture", TomlValue::string(architecture));
    }
    if let Some(command) = &container.command {
        service.set("command", TomlValue::strings(command));
    }
    if let Some(entry_point) = &container.entry_point {
        service.set("entry_point", TomlValue::strings(entry_point));
    }
    let attributes = source.target_groups.first().map(|(_, group)| group.attributes.as_slice()).unwrap_or_default();
    if let Some(delay) = attributes.iter().find(|a| a.key == "deregistration_delay.timeout_seconds") {
        service.set("deregistration_delay", number_or_text(&delay.value));
    }
    let mut sections = vec![service];

    let mut variables = Section::new(format!("services.{name}.env"));
    for variable in &container.environment {
        aws_names::environment_variable(&variable.name)
            .map_err(|reason| ImportRefusal::Variable { name: variable.name.clone(), reason })?;
        variables.set(&variable.name, TomlValue::string(&variable.value));
    }
    sections.push(variables);

    if let Some((_, settings)) = source.target_groups.first() {
        let group = &settings.group;
        let mut check = Section::new(format!("services.{name}.health_check"));
        check.set("path", TomlValue::string(&group.health_check_path));
        check.set("interval", TomlValue::Integer(group.health_check_interval_seconds));
        check.set("timeout", TomlValue::Integer(group.health_check_timeout_seconds));
        check.set("healthy_threshold", TomlValue::Integer(group.healthy_threshold_count));
        check.set("unhealthy_threshold", TomlValue::Integer(group.unhealthy_threshold_count));
        check.set("matcher", TomlValue::string(&group.matcher.http_code));
        check.set("grace_period", TomlValue::Integer(source.service.health_check_grace_period_seconds));
        sections.push(check);
    }
    if let Some(health) = &container.health_check {
        let mut check = Section::new(format!("services.{name}.container_health_check"));
        check.set("command", TomlValue::strings(&health.command));
        check.set("interval", TomlValue::Integer(health.interval));
        check.set("timeout", TomlValue::Integer(health.timeout));
        check.set("retries", TomlValue::Integer(health.retries));
        check.set("start_period", TomlValue::Integer(health.start_period));
        sections.push(check);
    }

    let full_name = service_name.as_str();
    let mut policies_left_alone = Vec::new();
    let mut policy_names = Section::new(format!("services.{name}.scaling"));
    if let Some(target) = &source.scalable_target {
        let mut scaling = Section::new(format!("services.{name}.scaling"));
        scaling.set("min", TomlValue::Integer(target.min_capacity));
        scaling.set("max", TomlValue::Integer(target.max_capacity));
        let mut cooldowns = None;
        let mut mapped: Vec<&str> = Vec::new();
        for policy in &source.scaling_policies {
            let tracking = &policy.target_tracking_scaling_policy_configuration;
            let metric = tracking.predefined_metric_specification.predefined_metric_type.as_str();
            let (key, name_key, conventional) = match (policy.policy_type.as_str(), metric) {
                ("TargetTrackingScaling", "ECSServiceAverageCPUUtilization") => {
                    ("cpu_target", "cpu_policy", format!("{full_name}-cpu"))
                }
                ("TargetTrackingScaling", "ALBRequestCountPerTarget") => {
                    ("requests_per_target", "requests_policy", format!("{full_name}-requests"))
                }
                _ => {
                    policies_left_alone.push(policy.policy_name.clone());
                    continue;
                }
            };
            if mapped.contains(&key) {
                return Err(ImportRefusal::Policies(format!(
                    "include two that ecsdeploy would both make its `{key}` policy; keep one"
                )));
            }
            mapped.push(key);
            scaling.set(key, TomlValue::Integer(tracking.target_value.round() as i64));
            cooldowns.get_or_insert((tracking.scale_in_cooldown, tracking.scale_out_cooldown));
            if policy.policy_name != conventional {
                policy_names.set(name_key, TomlValue::string(&policy.policy_name));
            }
        }
        // ecsdeploy owns its conventional names: a policy left alone must not carry one.
        let conventional = [format!("{full_name}-cpu"), format!("{full_name}-requests")];
        if let Some(name) = policies_left_alone.iter().find(|name| conventional.contains(name)) {
            return Err(ImportRefusal::Policies(format!(
                "include `{name}`, which is not target tracking on CPU or requests but has the name ecsdeploy gives its own; rename it"
            )));
        }
        if let Some((scale_in, scale_out)) = cooldowns {
            scaling.set("scale_in_cooldown", TomlValue::Integer(scale_in));
            scaling.set("scale_out_cooldown", TomlValue::Integer(scale_out));
        }
        sections.push(scaling);
    }

    let deployment_settings = &source.service.deployment_configuration;
    let mut deployment = Section::new(format!("services.{name}.deployment"));
    deployment.set("minimum_healthy_percent", TomlValue::Integer(deployment_settings.minimum_healthy_percent));
    deployment.set("maximum_percent", TomlValue::Integer(deployment_settings.maximum_percent));
    deployment.set("circuit_breaker", TomlValue::Boolean(deployment_settings.deployment_circuit_breaker.enable));
    sections.push(deployment);

    // The service had no ecsdeploy alarms: `false` turns off those [defaults] would add.
    let mut alarms = Section::new(format!("services.{name}.alarms"));
    alarms.comment("Off as imported; give thresholds to have ecsdeploy create its alarms.".to_string());
    for key in ["cpu_above", "memory_above", "http_5xx_above"] {
        alarms.set(key, TomlValue::Boolean(false));
    }
    sections.push(alarms);

    let mut tags = Section::new(format!("services.{name}.tags"));
    for (key, value) in &source.service.tags.0 {
        let inherited =
            project.tags.iter().chain(&environment.tags).any(|tag| &tag.key.value == key && &tag.value.value == value);
        if !key.starts_with("ecsdeploy:") && !key.starts_with("aws:") && !inherited {
            tags.set(key, TomlValue::string(value));
        }
    }
    sections.push(tags);

    let environment_sections =
        environment_override(project, environment, source, name, container, rule.priority, policy_names);
    Ok(ImportedEntry {
        name: name.to_string(),
        service_sections: sections.into_iter().filter(|section| !section.is_empty()).collect(),
        environment_sections,
        policies_left_alone,
    })
}

/// The `path_rewrite` that reproduces the rule's transforms (`None`: the default, `service`); a
/// transform no setting reproduces is refused.
fn path_rewrite_of(rule: &ListenerRule, prefix: &str, path: &str) -> Result<Option<&'static str>, ImportRefusal> {
    if rule.transforms.is_empty() {
        return Ok(match path_rewrite::url_rewrite(PathRewrite::Service, prefix, path) {
            // Nothing to take off (prod's `/*`): the default writes no transform either.
            Ok(None) => None,
            _ => Some("none"),
        });
    }
    for (setting, rewrite) in [(None, PathRewrite::Service), (Some("environment"), PathRewrite::Environment)] {
        if transforms_for(rewrite, prefix, path) == rule.transforms {
            return Ok(setting);
        }
    }
    Err(ImportRefusal::Unsupported(vec![
        "listener rule: a transform other than the environment's or service's prefix rewrite".into(),
    ]))
}

/// A resource already tagged by ecsdeploy for another project, environment or service is
/// refused: adopting it would take it from its owner.
fn check_ownership_tags(
    project: &Project,
    environment: &Environment,
    source: &ImportSource,
    name: &str,
) -> Result<(), ImportRefusal> {
    use crate::desired::tags::{ENVIRONMENT_TAG, PROJECT_TAG, SERVICE_TAG};
    let expected = [
        (PROJECT_TAG, project.name.value.as_str()),
        (ENVIRONMENT_TAG, environment.name.value.as_str()),
        (SERVICE_TAG, name),
    ];
    for (kind, _, tags) in source.tagged_resources() {
        let differs = expected.iter().any(|(key, value)| tags.get(key).is_some_and(|found| found != *value));
        if differs {
            let owner: Vec<String> = tags
                .0
                .iter()
                .filter(|(key, _)| key.starts_with("ecsdeploy:"))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            return Err(ImportRefusal::OwnedElsewhere { what: kind.noun().to_string(), owner: owner.join(", ") });
        }
    }
    Ok(())
}

/// The environment's `[services.<name>]`: it enables the service and names what it already has.
fn environment_override(
    project: &Project,
    environment: &Environment,
    source: &ImportSource,
    name: &str,
    container: &crate::desired::task_definition::ContainerDefinition,
    priority: i64,
    policy_names: Section,
) -> Vec<Section> {
    let definition = &source.task_definition;
    let mut main = Section::new(format!("services.{name}"));
    main.comment(format!(
        "Imported by `ecsdeploy import`: the names of what {} already had. ecsdeploy uses these",
        source.service.service_name
    ));
    main.comment("roles and this log group as they are; remove a line to have ecsdeploy create its own.".to_string());
    main.set("enabled", TomlValue::Boolean(true));
    if container.name != name {
        main.set("container", TomlValue::string(&container.name));
    }
    for (key, arn) in [("execution_role", &definition.execution_role_arn), ("task_role", &definition.task_role_arn)] {
        let arn = arn.to_string();
        if !arn.is_empty() {
            main.set(key, TomlValue::string(arn));
        }
    }
    main.set("log_group", TomlValue::string(&container.log_configuration.options.group));
    let stream_prefix = &container.log_configuration.options.stream_prefix;
    if stream_prefix != &container.name {
        main.set("log_stream_prefix", TomlValue::string(stream_prefix));
    }
    let conventional_group = format!("{}-{}", project.name.value, source.service.service_name);
    if let Some((_, group)) = source.target_groups.first()
        && group.group.name != conventional_group
    {
        main.set("target_group_name", TomlValue::string(&group.group.name));
    }
    if priority != default_priority(&project.name.value, &environment.name.value, name) {
        main.set("priority", TomlValue::Integer(priority));
    }
    let mut secrets = Section::new(format!("services.{name}.secrets"));
    for secret in &container.secrets {
        secrets.set(&secret.name, TomlValue::string(secret_reference(&secret.value_from.0.to_string())));
    }
    [main, secrets, policy_names].into_iter().filter(|section| !section.is_empty()).collect()
}

/// `valueFrom` (`<secret ARN>[:<json-key>:<stage>:<version>]`) as a manifest reference: the ARN,
/// and `#key` for a JSON key. A version stage or ID cannot be written; the preview shows it.
fn secret_reference(value_from: &str) -> String {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() > 7 && parts[2] == "secretsmanager" {
        let arn = parts[..7].join(":");
        match parts.get(7) {
            Some(key) if !key.is_empty() => format!("{arn}#{key}"),
            _ => arn,
        }
    } else {
        value_from.to_string()
    }
}

/// CPU and memory come back as strings of digits; anything else is written as it is.
fn number_or_text(value: &str) -> TomlValue {
    value.parse::<i64>().map_or_else(|_| TomlValue::string(value), TomlValue::Integer)
}

fn describe_conditions(rule: &crate::desired::load_balancing::ListenerRule) -> String {
    let conditions: Vec<String> = rule
        .conditions
        .iter()
        .map(|condition| format!("{} {}", condition.field, condition.path_pattern_config.values.join(", ")))
        .collect();
    if conditions.is_empty() { "nothing".into() } else { conditions.join(" and ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{Context, build};
    use crate::import::ImportSource;

    fn shipped() -> crate::checked::CheckedManifest {
        let environments = [
            ("test", include_str!("../../environments/test.toml")),
            ("stage", include_str!("../../environments/stage.toml")),
            ("prod", include_str!("../../environments/prod.toml")),
        ];
        crate::checked::load_from_texts(include_str!("../../services.toml"), &environments).expect("valid")
    }

    /// Stage's `auth` as if someone else had made it under the name `stage-billing`.
    fn source(manifest: &crate::manifest::Manifest) -> ImportSource {
        let stage = manifest.environment("stage").expect("stage");
        let desired = build(manifest, stage, &Context::new("us-east-1", Some("123456789012".into())));
        let auth = desired.service("auth").expect("auth").clone();
        let mut service = auth.service.clone();
        service.service_name = "stage-billing".into();
        // Made by someone else: none of ecsdeploy's tags.
        let foreign = |tags: &crate::desired::tags::Tags| {
            crate::desired::tags::Tags(
                tags.0.iter().filter(|(key, _)| !key.starts_with("ecsdeploy:")).cloned().collect(),
            )
        };
        service.tags = foreign(&service.tags);
        let mut task_definition = auth.task_definition.clone();
        task_definition.tags = foreign(&task_definition.tags);
        let mut target_group = auth.target_group.clone();
        target_group.tags = foreign(&target_group.tags);
        let mut listener_rule = auth.listener_rule.clone();
        listener_rule.tags = foreign(&listener_rule.tags);
        ImportSource {
            service_arn: "arn:aws:ecs:us-east-1:123456789012:service/acme/stage-billing".into(),
            service,
            task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/stage-billing:3".into(),
            task_definition,
            target_groups: vec![(
                "arn:tg".into(),
                crate::desired::load_balancing::TargetGroupSettings {
                    group: target_group,
                    attributes: auth.target_group_attributes.attributes.clone(),
                },
            )],
            listener_rules: vec![("arn:rule".into(), listener_rule)],
            scalable_target: Some(auth.scalable_target.clone()),
            scaling_policies: auth.scaling_policies.clone(),
            unsupported: Vec::new(),
        }
    }

    fn text(sections: &[Section]) -> String {
        crate::import::toml_text::block(sections)
    }

    #[test]
    fn the_entry_names_only_what_differs_from_ecsdeploys_conventions() {
        let checked = shipped();
        let manifest = &checked.manifest;
        let stage = manifest.environment("stage").expect("stage");
        let entry = imported_entry(&manifest.project, stage, &source(manifest)).expect("importable");
        assert_eq!(entry.name, "billing");
        let services = text(&entry.service_sections);
        assert!(services.contains("[services.billing]\nenabled = false\n"), "{services}");
        assert!(services.contains("path = \"/auth/*\""), "the environment's path prefix is taken off: {services}");
        assert!(services.contains("cpu_above = false"), "{services}");
        let environment = text(&entry.environment_sections);
        assert!(environment.contains("enabled = true"), "{environment}");
        // auth's container, target group and policy names are auth's, not billing's conventional ones.
        assert!(environment.contains("container = \"auth\""), "{environment}");
        assert!(environment.contains("target_group_name = \"acme-stage-auth\""), "{environment}");
        assert!(environment.contains("cpu_policy = \"stage-auth-cpu\""), "{environment}");
        // Secrets by ARN with their JSON key, never a value.
        assert!(environment.contains("[services.billing.secrets]"), "{environment}");
    }

    #[test]
    fn services_outside_the_environment_or_shape_are_refused() {
        let checked = shipped();
        let manifest = &checked.manifest;
        let stage = manifest.environment("stage").expect("stage");
        let mut other = source(manifest);
        other.service.service_name = "prod-billing".into();
        assert!(matches!(imported_entry(&manifest.project, stage, &other), Err(ImportRefusal::Prefix { .. })));
        let mut two = source(manifest);
        let container = two.task_definition.container_definitions[0].clone();
        two.task_definition.container_definitions.push(container);
        assert_eq!(imported_entry(&manifest.project, stage, &two), Err(ImportRefusal::Containers { count: 2 }));
        let mut unrouted = source(manifest);
        unrouted.listener_rules.clear();
        assert!(matches!(imported_entry(&manifest.project, stage, &unrouted), Err(ImportRefusal::NoRule { .. })));
        let mut unmodelled = source(manifest);
        unmodelled.unsupported = vec!["container auth: mountPoints".into()];
        assert!(matches!(imported_entry(&manifest.project, stage, &unmodelled), Err(ImportRefusal::Unsupported(_))));
        let mut prods = source(manifest);
        prods.target_groups[0].1.group.tags.0.push(("ecsdeploy:environment".into(), "prod".into()));
        let refusal = imported_entry(&manifest.project, stage, &prods).unwrap_err();
        assert_eq!(refusal.to_string(), "its target group carries ecsdeploy's tags for ecsdeploy:environment=prod");
        let mut step = source(manifest);
        step.scaling_policies[0].policy_type = "StepScaling".into();
        step.scaling_policies[0].policy_name = "stage-billing-cpu".into();
        assert!(
            matches!(imported_entry(&manifest.project, stage, &step), Err(ImportRefusal::Policies(_))),
            "a step policy named stage-billing-cpu"
        );
        let mut twice = source(manifest);
        twice.listener_rules.push(twice.listener_rules[0].clone());
        assert_eq!(imported_entry(&manifest.project, stage, &twice), Err(ImportRefusal::Rules { count: 2 }));
    }

    #[test]
    fn secret_value_froms_become_manifest_references() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage/billing/api-AbCdEf";
        assert_eq!(secret_reference(arn), arn);
        assert_eq!(secret_reference(&format!("{arn}:token::")), format!("{arn}#token"));
        assert_eq!(
            secret_reference("arn:aws:ssm:us-east-1:123456789012:parameter/x"),
            "arn:aws:ssm:us-east-1:123456789012:parameter/x"
        );
    }
}
