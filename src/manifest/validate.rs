//! Checks of meaning within the manifest: values that parse but that AWS would refuse or that
//! cannot work (a CPU/memory pair Fargate does not offer, a health-check timeout longer than its
//! interval, a secret reference that cannot name a secret).
//!
//! Checks that need derived names or span several environments (name lengths, path collisions,
//! ALB quotas) live in `desired::checks`, which sees every environment's desired state.

use super::aws_names;
use super::fargate;
use super::model::{Certificate, Environment, Image, Lookup, Manifest, PathRewrite, Project, Service, Tag};
use super::path_rewrite;
use super::problem::{Problem, Problems};
use super::source::{Located, Span};
use std::collections::{HashMap, HashSet};

/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[i64] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// Longest environment name: it is part of IAM role names, which AWS limits to 64 characters.
pub const ENVIRONMENT_NAME_LIMIT: usize = 16;
/// Longest project name, for the same reason.
pub const PROJECT_NAME_LIMIT: usize = 20;
/// Longest service name, for the same reason.
pub const SERVICE_NAME_LIMIT: usize = 24;
/// Longest value of one environment variable, in bytes: half of what a whole task definition may
/// hold (64 KiB, `desired::task_definition::MAX_SIZE`). A larger value is configuration that
/// belongs in the image, in S3 or in a secret, and at 1 MB it made a 1 MB task definition.
pub const ENVIRONMENT_VALUE_LIMIT: usize = 32 * 1024;

pub fn validate(manifest: &Manifest, problems: &Problems) {
    check_project(&manifest.project, problems);
    for name in &manifest.service_names {
        named(
            problems,
            name,
            "service name",
            aws_names::slug(&name.value, SERVICE_NAME_LIMIT),
            "rename the [services.<name>] section",
        );
    }
    for environment in &manifest.environments {
        check_environment(&manifest.project, environment, problems);
        for service in environment.enabled_services() {
            check_service(&manifest.project, environment, service, problems);
        }
    }
}

/// Reports `result` as a problem about `value` when it is an error.
fn named(problems: &Problems, value: &Located<String>, what: &str, result: Result<(), String>, help: &str) {
    if let Err(reason) = result {
        problems.push(
            Problem::error(value.span, format!("`{}` is not a valid {what}: {reason}", value.value)).with_help(help),
        );
    }
}

/// Whether names derived from the project name are worth checking: when the project name itself
/// is invalid, one problem is enough.
pub fn project_name_is_valid(project: &Project) -> bool {
    aws_names::slug(&project.name.value, PROJECT_NAME_LIMIT).is_ok()
}

/// A value defaulted from the project name (same span) is not checked again when that is invalid.
fn is_checked(project: &Project, value: &Located<String>) -> bool {
    value.span != project.name.span || project_name_is_valid(project)
}

fn check_project(project: &Project, problems: &Problems) {
    // A missing name (an empty span: the placeholder) is already reported as missing.
    if project.name.span.start != project.name.span.end {
        named(
            problems,
            &project.name,
            "project name",
            aws_names::slug(&project.name.value, PROJECT_NAME_LIMIT),
            "use a short lower-case name such as \"acme\"",
        );
    }
    if is_checked(project, &project.cluster) {
        named(
            problems,
            &project.cluster,
            "cluster name",
            aws_names::ecs_name(&project.cluster.value),
            "use letters, digits, '-' and '_'",
        );
    }
    if let Some(account) = &project.account_id
        && aws_names::account_id(&account.value).is_err()
    {
        problems.push(
            Problem::error(account.span, "`account_id` must be 12 digits")
                .with_help("copy it from `aws sts get-caller-identity` or `ecsdeploy doctor`"),
        );
    }
    if let Some(region) = &project.region
        && aws_names::region(&region.value).is_err()
    {
        problems.push(
            Problem::error(region.span, format!("`{}` is not an AWS region", region.value))
                .with_help("for example region = \"us-east-1\""),
        );
    }
    check_tags(&project.tags, problems);
    let load_balancer = &project.load_balancer;
    if is_checked(project, &load_balancer.name) {
        named(
            problems,
            &load_balancer.name,
            "load balancer name",
            aws_names::load_balancer_name(&load_balancer.name.value),
            "set [project.load_balancer] name to at most 32 letters, digits and '-'",
        );
    }
    match &load_balancer.certificate {
        Some(Certificate::Arn(arn)) if !(arn.value.starts_with("arn:aws") && arn.value.contains(":acm:")) => {
            problems.push(Problem::error(arn.span, "`certificate` is not an ACM certificate ARN").with_help("use the ARN from ACM (arn:aws:acm:REGION:ACCOUNT:certificate/ID) or certificate = { domain = \"...\" }"));
        }
        Some(Certificate::Domain(domain)) => named(
            problems,
            domain,
            "domain",
            aws_names::dns_name(&domain.value),
            "name the domain the certificate covers",
        ),
        _ => {}
    }
    check_lookup(&project.network.vpc, "vpc-", problems);
    check_lookup(&project.network.public_subnets, "subnet-", problems);
    check_lookup(&project.network.private_subnets, "subnet-", problems);
    if let Lookup::Ids(ids) = &project.network.public_subnets
        && ids.len() == 1
    {
        problems.push(
            Problem::error(ids[0].span, "an ALB needs public subnets in at least two Availability Zones")
                .with_help("list two or more public subnets"),
        );
    }
    if let Some(dns) = &project.dns {
        named(
            problems,
            &dns.zone,
            "hosted zone name",
            aws_names::dns_name(&dns.zone.value),
            "name the Route53 hosted zone, e.g. zone = \"example.com\"",
        );
    }
}

fn check_lookup(lookup: &Lookup, prefix: &str, problems: &Problems) {
    match lookup {
        Lookup::Ids(ids) => {
            for id in ids {
                if !id.value.starts_with(prefix) {
                    problems.push(
                        Problem::error(id.span, format!("`{}` is not an ID beginning with `{prefix}`", id.value))
                            .with_help("use the resource's ID, or look it up by tags: { tags = { Name = \"...\" } }"),
                    );
                }
            }
        }
        Lookup::Tags { tags, .. } => check_tags(tags, problems),
    }
}

fn check_tags(tags: &[Tag], problems: &Problems) {
    for tag in tags {
        named(problems, &tag.key, "tag key", aws_names::tag_key(&tag.key.value), "rename the tag");
        if tag.key.value.starts_with("ecsdeploy:") {
            problems.push(
                Problem::error(tag.key.span, format!("tag key `{}` is reserved", tag.key.value))
                    .with_help("ecsdeploy sets ecsdeploy:* tags itself to mark what it owns; choose another key"),
            );
        }
        if let Err(reason) = aws_names::tag_value(&tag.value.value) {
            problems.push(
                Problem::error(tag.value.span, format!("the value of tag `{}` is not valid: {reason}", tag.key.value))
                    .with_help("shorten or simplify the value"),
            );
        }
    }
}

fn check_environment(project: &Project, environment: &Environment, problems: &Problems) {
    let file_span = Span::new(environment.file, 0..0);
    if let Err(reason) = aws_names::slug(&environment.name.value, ENVIRONMENT_NAME_LIMIT) {
        problems.push(
            Problem::error(
                file_span,
                format!("`{}` is not a valid environment name: {reason}", environment.name.value),
            )
            .with_help("rename the file: environments/<name>.toml with a short lower-case name"),
        );
    }
    if environment.name.value == super::model::SHARED_ENVIRONMENT_NAME {
        problems.push(Problem::error(file_span, "`shared` cannot be an environment name").with_help(
            "ecsdeploy tags the resources all environments share with environment `shared`; rename the file",
        ));
    }
    if let Some(load_balancer) = &environment.load_balancer {
        named(
            problems,
            load_balancer,
            "load balancer name",
            aws_names::load_balancer_name(&load_balancer.value),
            "use at most 32 letters, digits and '-', e.g. load_balancer = \"acme-prod\"",
        );
    }
    let prefix = &environment.prefix;
    if !prefix.value.is_empty() {
        named(
            problems,
            prefix,
            "name prefix",
            aws_names::ecs_name(&prefix.value),
            "use letters, digits and '-', e.g. prefix = \"stage-\"",
        );
    }
    let path_prefix = &environment.path_prefix;
    if !path_prefix.value.is_empty() {
        let result = aws_names::path_pattern(&path_prefix.value).and_then(|()| {
            if path_prefix.value.ends_with('/') || path_prefix.value.contains(['*', '?']) {
                Err("it must not end with '/' or contain wildcards".to_string())
            } else {
                Ok(())
            }
        });
        named(
            problems,
            path_prefix,
            "path prefix",
            result,
            "write it like path_prefix = \"/stage\" (or \"\" for none)",
        );
    }
    named(
        problems,
        &environment.secret_prefix,
        "secret prefix",
        if environment.secret_prefix.value.is_empty() {
            Ok(())
        } else {
            aws_names::secret_name(&environment.secret_prefix.value)
        },
        "write it like secret_prefix = \"stage/\"",
    );
    if let Some(domain) = &environment.domain {
        named(
            problems,
            domain,
            "domain",
            aws_names::dns_name(&domain.value),
            "write a DNS name such as \"stage.api.example.com\"",
        );
        match &project.dns {
            None => problems.push(
                Problem::error(domain.span, "`domain` is set but the project has no [project.dns] zone")
                    .with_help("add [project.dns] zone = \"...\" to services.toml"),
            ),
            Some(dns) => {
                let zone = dns.zone.value.trim_end_matches('.');
                let name = domain.value.trim_end_matches('.');
                if name != zone && !name.ends_with(&format!(".{zone}")) {
                    problems.push(
                        Problem::error(
                            domain.span,
                            format!("`{}` is not inside the hosted zone `{zone}`", domain.value),
                        )
                        .with_related(dns.zone.span, "zone defined here")
                        .with_help(format!("use a name ending in .{zone}")),
                    );
                }
            }
        }
    }
    check_tags(&environment.tags, problems);
    check_capacity(environment, problems);
}

fn check_capacity(environment: &Environment, problems: &Problems) {
    let capacity = &environment.capacity;
    if let Some(first) = capacity.first()
        && capacity.iter().all(|provider| provider.weight == 0)
    {
        problems.push(
            Problem::error(
                first.span,
                format!("environment `{}` has no capacity provider with a weight above 0", environment.name.value),
            )
            .with_help("give at least one provider weight = 1"),
        );
    }
    let (mut has_base, mut listed) = (false, HashSet::new());
    for provider in capacity {
        if provider.base > 0 && std::mem::replace(&mut has_base, true) {
            problems.push(
                Problem::error(provider.span, "only one capacity provider may have a `base`")
                    .with_help("set base on one provider only"),
            );
        }
        if !listed.insert(provider.provider.as_str()) {
            problems.push(
                Problem::error(provider.span, format!("capacity provider {} is listed twice", provider.provider))
                    .with_help("list each provider once"),
            );
        }
    }
}

fn check_service(project: &Project, environment: &Environment, service: &Service, problems: &Problems) {
    check_cpu_memory(service, problems);
    check_image(project, service, problems);
    let full_path = format!("{}{}", environment.path_prefix.value, service.path.value);
    let (shown, result) = if service.path.value.starts_with('/') {
        (&full_path, aws_names::path_pattern(&full_path))
    } else {
        (&service.path.value, Err("it must begin with '/'".to_string()))
    };
    let is_valid_path = result.is_ok();
    if service.has_path
        && let Err(reason) = result
    {
        problems.push(
            Problem::error(service.path.span, format!("path `{shown}` is not a valid ALB path pattern: {reason}"))
                .with_help("write it like path = \"/auth/*\""),
        );
    }
    if service.has_path && is_valid_path {
        check_path_rewrite(environment, service, problems);
    }
    check_health_checks(service, problems);
    check_scaling_and_deployment(service, problems);
    check_variables(environment, service, problems);
    if !is_unusable(service, "log_retention_days") && !LOG_RETENTION_DAYS.contains(&service.log_retention_days.value) {
        problems.push(
            Problem::error(
                service.log_retention_days.span,
                format!("CloudWatch Logs does not offer a retention of {} days", service.log_retention_days.value),
            )
            .with_help(format!("use one of {}", join(LOG_RETENTION_DAYS))),
        );
    }
    for permission in &service.permissions {
        for action in &permission.actions.value {
            if action == "*" || !action.contains(':') {
                problems.push(
                    Problem::error(
                        permission.actions.span,
                        format!("`{action}` is not an IAM action of the form service:Action"),
                    )
                    .with_help("list the actions the service needs, e.g. \"s3:GetObject\""),
                );
            }
        }
        if permission.resources.value.iter().any(|resource| resource == "*") {
            problems.push(
                Problem::warning(
                    permission.resources.span,
                    "the task role grants these actions on every resource (\"*\")",
                )
                .with_help("name the resources the service uses"),
            );
        }
    }
    for action in &service.alarms.actions.value {
        if !action.starts_with("arn:") || !action.contains(":sns:") {
            problems.push(
                Problem::error(service.alarms.actions.span, format!("alarm action `{action}` is not an SNS topic ARN"))
                    .with_help("name SNS topics by ARN: arn:aws:sns:REGION:ACCOUNT:TOPIC"),
            );
        }
    }
    check_adopted_names(project, environment, service, problems);
    check_tags(&service.tags, problems);
}

/// The rule's rewrite must be expressible, and the gate's check through the ALB must reach the
/// app at the path the target group checks. With `none` (what `import` writes for a service whose
/// rule rewrites nothing) a mismatch is a warning: the service ran that way before.
fn check_path_rewrite(environment: &Environment, service: &Service, problems: &Problems) {
    let prefix = &environment.path_prefix.value;
    let rewrite = service.path_rewrite.value;
    if let Err(reason) = path_rewrite::url_rewrite(rewrite, prefix, &service.path.value) {
        problems.push(
            Problem::error(service.path.span, reason)
                .with_help("write the path like \"/auth/*\", or set path_rewrite = \"environment\" or \"none\""),
        );
        return;
    }
    let health = &service.health_check.path;
    let Err(reason) = path_rewrite::public_health_path(rewrite, prefix, &service.path.value, &health.value) else {
        return;
    };
    let help = match rewrite {
        PathRewrite::Environment => format!(
            "serve the health check under the service's path, e.g. health_check.path = \"{}health\", or leave path_rewrite at \"service\" (the app then sees `/health`)",
            service.path.value.trim_end_matches('*')
        ),
        _ => "leave path_rewrite at \"service\": the ALB then takes the environment's prefix and the service's path off, and the app answers `health_check.path` to both checks".to_string(),
    };
    let message = format!(
        "in environment {}, the rollout gate could not check `{}`: {reason}",
        environment.name.value, health.value
    );
    let problem = match rewrite {
        PathRewrite::None => Problem::warning(health.span, message),
        _ => Problem::error(health.span, message),
    };
    problems.push(problem.with_help(help));
}

/// Names of resources the service uses but ecsdeploy does not name itself (set by `import`).
fn check_adopted_names(project: &Project, environment: &Environment, service: &Service, problems: &Problems) {
    // A name ecsdeploy gives what it manages, declared unmanaged, would make the plan delete
    // the group or role the service goes on using.
    let base = format!("{}-{}-{}", project.name.value, environment.name.value, service.name.value);
    let own_group = format!("/ecs/{}/{}/{}", project.name.value, environment.name.value, service.name.value);
    let own = [
        (&service.log_group, own_group.clone(), "log_group"),
        (&service.execution_role, format!("{base}-execution"), "execution_role"),
        (&service.task_role, format!("{base}-task"), "task_role"),
    ];
    for (value, own_name, key) in own {
        let Some(value) = value else { continue };
        if value.value == own_name || value.value.ends_with(&format!("/{own_name}")) {
            problems.push(
                Problem::error(
                    value.span,
                    format!("`{key}` names what ecsdeploy creates and manages for this service"),
                )
                .with_help(format!("leave `{key}` out: ecsdeploy manages {own_name} itself")),
            );
        }
    }
    if let Some(container) = &service.container {
        named(problems, container, "container name", aws_names::ecs_name(&container.value), "e.g. container = \"app\"");
    }
    for role in [&service.execution_role, &service.task_role].into_iter().flatten() {
        named(
            problems,
            role,
            "role ARN",
            aws_names::iam_role_arn(&role.value),
            "give the role's ARN, or leave it out and ecsdeploy creates the role",
        );
    }
    if let Some(group) = &service.log_group {
        named(
            problems,
            group,
            "log group name",
            aws_names::log_group_name(&group.value),
            "e.g. log_group = \"/ecs/billing\"",
        );
    }
    if let Some(prefix) = &service.log_stream_prefix {
        named(
            problems,
            prefix,
            "log stream prefix",
            aws_names::log_group_name(&prefix.value),
            "e.g. log_stream_prefix = \"ecs\"",
        );
    }
    if let (Some(cpu), Some(requests)) = (&service.scaling.cpu_policy, &service.scaling.requests_policy)
        && cpu.value == requests.value
    {
        problems.push(
            Problem::error(requests.span, format!("`{}` names both scaling policies", requests.value))
                .with_help("give the CPU and the requests policy different names")
                .with_related(cpu.span, "`cpu_policy` set here"),
        );
    }
    for policy in [&service.scaling.cpu_policy, &service.scaling.requests_policy].into_iter().flatten() {
        named(
            problems,
            policy,
            "scaling policy name",
            aws_names::scaling_policy_name(&policy.value),
            "e.g. cpu_policy = \"billing-cpu\"",
        );
    }
    if let (Some(role), Some(permission)) = (&service.task_role, service.permissions.first()) {
        problems.push(
            Problem::error(permission.actions.span, "`permissions` cannot be granted on a task role ecsdeploy does not manage")
                .with_help("grant them on that role in IAM, or remove `task_role` and ecsdeploy creates a role with these permissions")
                .with_related(role.span, "`task_role` set here"),
        );
    }
}

/// Whether `setting` was given but unusable (its problem is already reported).
fn is_unusable(service: &Service, setting: &str) -> bool {
    service.unusable.iter().any(|unusable| unusable == setting)
}

fn check_cpu_memory(service: &Service, problems: &Problems) {
    if is_unusable(service, "cpu") || is_unusable(service, "memory") {
        return;
    }
    let (cpu, memory) = (&service.cpu, &service.memory);
    match fargate::describe_memory_sizes(cpu.value) {
        None => problems.push(
            Problem::error(cpu.span, format!("Fargate has no task size with {} CPU units", cpu.value))
                .with_help(format!("use one of {}", join(&fargate::cpu_sizes()))),
        ),
        Some(sizes) if !fargate::is_valid(cpu.value, memory.value) => problems.push(
            Problem::error(
                memory.span,
                format!("Fargate does not offer {} MiB of memory with {} CPU units", memory.value, cpu.value),
            )
            .with_related(cpu.span, "CPU set here")
            .with_help(format!("with cpu = {} use memory = {sizes} (MiB)", cpu.value)),
        ),
        Some(_) => {}
    }
}

fn check_image(project: &Project, service: &Service, problems: &Problems) {
    match &service.image {
        Image::Ecr { repository, tag } => {
            // A defaulted repository (`<project>/<service>`) is located at the service name.
            if repository.span != service.name.span || project_name_is_valid(project) {
                named(
                    problems,
                    repository,
                    "ECR repository name",
                    aws_names::ecr_repository(&repository.value),
                    "use lower-case segments such as \"acme/auth\"",
                );
            }
            named(
                problems,
                tag,
                "image tag",
                aws_names::image_tag(&tag.value),
                "use letters, digits, '_', '.' and '-'",
            );
        }
        Image::External(reference) => {
            if reference.value.is_empty() || reference.value.contains(char::is_whitespace) {
                problems.push(
                    Problem::error(reference.span, "`image` must be an image reference such as registry/name:tag")
                        .with_help("remove spaces, or use `repository` and `tag` for an ECR image"),
                );
            }
        }
    }
}

fn check_health_checks(service: &Service, problems: &Problems) {
    let check = &service.health_check;
    let comparable = !is_unusable(service, "health_check.interval") && !is_unusable(service, "health_check.timeout");
    if comparable && check.timeout_seconds.value >= check.interval_seconds.value {
        problems.push(
            Problem::error(
                check.timeout_seconds.span,
                format!(
                    "the health-check timeout ({}s) must be shorter than its interval ({}s)",
                    check.timeout_seconds.value, check.interval_seconds.value
                ),
            )
            .with_related(check.interval_seconds.span, "interval set here")
            .with_help("lower `timeout` or raise `interval`"),
        );
    }
    if !check.path.value.starts_with('/') || check.path.value.len() > 1024 {
        problems.push(
            Problem::error(
                check.path.span,
                format!("health-check path `{}` must begin with '/' and be at most 1024 characters", check.path.value),
            )
            .with_help("for example path = \"/health\""),
        );
    }
    if let Err(reason) = check_matcher(&check.matcher.value) {
        problems.push(
            Problem::error(
                check.matcher.span,
                format!("health-check matcher `{}` is not valid: {reason}", check.matcher.value),
            )
            .with_help("use HTTP codes from 200 to 499: \"200\", \"200,204\" or \"200-299\""),
        );
    }
    if let Some(container) = &service.container_health_check {
        let first = container.command.value.first().map(String::as_str);
        if !matches!(first, Some("CMD" | "CMD-SHELL")) || container.command.value.len() < 2 {
            problems.push(
                Problem::error(
                    container.command.span,
                    "a container health-check command begins with \"CMD\" or \"CMD-SHELL\" followed by the command",
                )
                .with_help("for example command = [\"CMD-SHELL\", \"curl -f http://localhost:8080/health || exit 1\"]"),
            );
        }
    }
}

/// ALB matchers: codes, comma lists and ranges of HTTP codes 200-499.
fn check_matcher(matcher: &str) -> Result<(), String> {
    let code = |text: &str| -> Result<u16, String> {
        let code: u16 = text.trim().parse().map_err(|_| format!("`{text}` is not an HTTP code"))?;
        if (200..=499).contains(&code) { Ok(code) } else { Err(format!("{code} is outside 200-499")) }
    };
    for part in matcher.split(',') {
        match part.split_once('-') {
            Some((low, high)) if code(low)? > code(high)? => return Err(format!("range `{part}` is reversed")),
            Some(_) => {}
            None => {
                code(part)?;
            }
        }
    }
    Ok(())
}

fn check_scaling_and_deployment(service: &Service, problems: &Problems) {
    let scaling = &service.scaling;
    let comparable = !is_unusable(service, "scaling.min") && !is_unusable(service, "scaling.max");
    if comparable && scaling.min.value > scaling.max.value {
        problems.push(
            Problem::error(
                scaling.min.span,
                format!("scaling minimum ({}) is above the maximum ({})", scaling.min.value, scaling.max.value),
            )
            .with_related(scaling.max.span, "maximum set here")
            .with_help("set min <= max"),
        );
    }
    let deployment = &service.deployment;
    if ["minimum_healthy_percent", "maximum_percent", "timeout", "poll_interval"]
        .iter()
        .any(|key| is_unusable(service, &format!("deployment.{key}")))
    {
        return;
    }
    if deployment.maximum_percent.value <= deployment.minimum_healthy_percent {
        problems.push(Problem::error(deployment.maximum_percent.span, format!("with maximum_percent = {} and minimum_healthy_percent = {}, ECS can neither start a new task nor stop an old one", deployment.maximum_percent.value, deployment.minimum_healthy_percent)).with_help("raise maximum_percent (200 is the default) or lower minimum_healthy_percent"));
    }
    if deployment.poll_interval_seconds == 0 || deployment.poll_interval_seconds >= deployment.timeout_seconds {
        problems.push(Problem::error(deployment.span, format!("service `{}`: deployment poll_interval ({}s) must be at least 1s and shorter than its timeout ({}s)", service.name.value, deployment.poll_interval_seconds, deployment.timeout_seconds)).with_help("for example timeout = \"10m\", poll_interval = \"5s\""));
    }
}

fn check_variables(environment: &Environment, service: &Service, problems: &Problems) {
    for (name, value) in &service.env {
        named(
            problems,
            name,
            "environment variable name",
            aws_names::environment_variable(&name.value),
            "rename the variable",
        );
        if value.value.len() > ENVIRONMENT_VALUE_LIMIT {
            problems.push(
                Problem::error(
                    value.span,
                    format!(
                        "the value of `{}` is {} bytes; ecsdeploy accepts at most {ENVIRONMENT_VALUE_LIMIT} bytes (32 KiB) per variable",
                        name.value,
                        value.value.len()
                    ),
                )
                .with_help(VARIABLES_HELP),
            );
        }
    }
    let plain: HashMap<&str, &Located<String>> =
        service.env.iter().map(|(name, _)| (name.value.as_str(), name)).collect();
    for secret in &service.secrets {
        named(
            problems,
            &secret.variable,
            "environment variable name",
            aws_names::environment_variable(&secret.variable.value),
            "rename the variable",
        );
        if let Some(duplicate) = plain.get(secret.variable.value.as_str()) {
            problems.push(
                Problem::error(
                    secret.variable.span,
                    format!(
                        "`{}` is both a plain and a secret variable of service `{}`",
                        secret.variable.value, service.name.value
                    ),
                )
                .with_related(duplicate.span, "plain variable set here")
                .with_help("keep it in one of `env` or `secrets`"),
            );
        }
        let reference = &secret.secret;
        let result = if reference.value.starts_with("arn:") {
            aws_names::secret_arn(&reference.value)
        } else {
            aws_names::secret_name(&format!("{}{}", environment.secret_prefix.value, reference.value))
        };
        named(
            problems,
            reference,
            "secret reference",
            result,
            "write \"name\" or \"name#json-key\", where name is the secret's name under the environment's secret_prefix, or a full ARN",
        );
        if let Some(key) = &secret.json_key
            && (key.is_empty() || key.contains([':', '#']))
        {
            problems.push(
                Problem::error(reference.span, format!("`{key}` is not a usable JSON key"))
                    .with_help("name a top-level key of the JSON secret; it cannot be empty or contain ':' or '#'"),
            );
        }
    }
}

/// What to do about environment variables too large for a task definition.
pub const VARIABLES_HELP: &str = "a task definition holds at most 64 KiB: keep large configuration in the image, in S3, or in a Secrets Manager secret (`secrets`: the task definition holds only its ARN)";

fn join(values: &[i64]) -> String {
    values.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::check_matcher;

    #[test]
    fn matchers() {
        assert!(check_matcher("200").is_ok());
        assert!(check_matcher("200,204").is_ok());
        assert!(check_matcher("200-299").is_ok());
        assert!(check_matcher("100").is_err());
        assert!(check_matcher("299-200").is_err());
        assert!(check_matcher("ok").is_err());
        assert!(check_matcher("").is_err());
    }
}
