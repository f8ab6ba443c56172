//! Reading one service's merged settings (`[defaults]` + `[services.<name>]` + the environment's
//! override) into a typed [`Service`], with the built-in defaults documented in `docs/manifest.md`.

use super::model::{
    Alarms, Build, ContainerHealthCheck, Deployment, HealthCheck, Image, PathRewrite, Permission, Scaling,
    SecretReference, Service, Tag,
};
use super::node::{Node, Value};
use super::problem::{Problem, Problems};
use super::reader::{TableReader, type_problem};
use super::source::Located;
use super::units::{parse_cpu, parse_duration, parse_memory};

/// Keys a service table (and `[defaults]`, and an environment's service override) may hold.
pub const SERVICE_KEYS: &[&str] = &[
    "enabled",
    "repository",
    "tag",
    "image",
    "build",
    "port",
    "path",
    "path_rewrite",
    "priority",
    "cpu",
    "memory",
    "architecture",
    "command",
    "entry_point",
    "env",
    "secrets",
    "health_check",
    "container_health_check",
    "scaling",
    "deployment",
    "deregistration_delay",
    "log_retention_days",
    "permissions",
    "alarms",
    "tags",
    "target_group_name",
    "container",
    "execution_role",
    "task_role",
    "log_group",
    "log_stream_prefix",
];

const HEALTH_CHECK_KEYS: &[&str] =
    &["path", "interval", "timeout", "healthy_threshold", "unhealthy_threshold", "matcher", "grace_period"];
const CONTAINER_HEALTH_CHECK_KEYS: &[&str] = &["command", "interval", "timeout", "retries", "start_period"];
const SCALING_KEYS: &[&str] = &[
    "min",
    "max",
    "cpu_target",
    "requests_per_target",
    "scale_in_cooldown",
    "scale_out_cooldown",
    "cpu_policy",
    "requests_policy",
];
const ALARM_KEYS: &[&str] = &["cpu_above", "memory_above", "http_5xx_above", "actions"];
const DEPLOYMENT_KEYS: &[&str] =
    &["minimum_healthy_percent", "maximum_percent", "circuit_breaker", "timeout", "poll_interval"];

/// Reads the merged settings of service `name`. Problems are reported as they are found; the
/// service comes back even then (with placeholders) so that later checks see the rest of it.
pub fn read_service(name: &Located<String>, node: &Node, project: &str, problems: &Problems) -> Option<Service> {
    let reader = TableReader::new(node, "service settings", problems)?;
    let port = reader.integer("port", 1..=65535, "(a TCP port)");
    let path = reader.string("path");
    require(&reader, name, "port", port.is_some(), "set the container port it listens on, e.g. port = 8080");
    require(&reader, name, "path", path.is_some(), "set its ALB path pattern, e.g. path = \"/auth/*\"");
    let mut unusable = Vec::new();
    let health_check = read_health_check(&reader, &mut unusable);
    let scaling = read_scaling(&reader, &mut unusable);
    let deployment = read_deployment(&reader, &mut unusable);
    let service = Service {
        name: name.clone(),
        enabled: reader.boolean("enabled").is_none_or(|flag| flag.value),
        has_path: path.is_some(),
        image: read_image(&reader, name, project),
        port: port.unwrap_or_else(|| Located::new(0, node.span)),
        path: path.unwrap_or_else(|| Located::new("/".to_string(), node.span)),
        path_rewrite: read_path_rewrite(&reader, node),
        priority: reader.integer("priority", 1..=50000, "(ALB rule priorities)"),
        cpu: read_units(&reader, "cpu", parse_cpu, 256, "use CPU units (256, 512, 1024, ...) or \"0.25 vCPU\""),
        memory: read_units(&reader, "memory", parse_memory, 512, "use MiB (512, 1024, ...) or \"2 GB\""),
        architecture: read_choice(&reader, "architecture", &["X86_64", "ARM64"], "X86_64"),
        command: reader.string_list("command").map(|list| list.value),
        entry_point: reader.string_list("entry_point").map(|list| list.value),
        env: reader.string_map("env").unwrap_or_default(),
        secrets: read_secrets(&reader),
        health_check,
        container_health_check: read_container_health_check(&reader),
        build: read_build(&reader),
        scaling,
        deployment,
        deregistration_delay_seconds: reader
            .integer("deregistration_delay", 0..=3600, "seconds")
            .map_or(30, |delay| delay.value),
        log_retention_days: reader
            .integer("log_retention_days", i64::MIN..=i64::MAX, "days")
            .unwrap_or_else(|| Located::new(30, node.span)),
        permissions: read_permissions(&reader),
        alarms: read_alarms(&reader),
        tags: read_tags(&reader, "tags"),
        target_group_name: reader.string("target_group_name"),
        container: reader.string("container"),
        execution_role: reader.string("execution_role"),
        task_role: reader.string("task_role"),
        log_group: reader.string("log_group"),
        log_stream_prefix: reader.string("log_stream_prefix"),
        unusable: Vec::new(),
        span: node.span,
    };
    reader.finish(SERVICE_KEYS);
    unusable.extend(unusable_settings(&reader));
    Some(Service { unusable, ..service })
}

/// Reports a missing required setting, naming the service (the merged table has no header of
/// its own to point at, so the message must say which service it is).
fn require(reader: &TableReader<'_>, name: &Located<String>, key: &str, present: bool, help: &str) {
    if !present && reader.entry(key).is_none() {
        reader.report(
            Problem::error(reader.span(), format!("service `{}` has no `{key}`", name.value))
                .with_help(format!("in [services.{}] (or [defaults]), {help}", name.value)),
        );
    }
}

/// The settings whose values were unusable, by their dotted names.
fn unusable_settings(reader: &TableReader<'_>) -> Vec<String> {
    ["cpu", "memory", "log_retention_days"].iter().filter(|key| reader.failed(key)).map(|key| key.to_string()).collect()
}

fn read_image(reader: &TableReader<'_>, name: &Located<String>, project: &str) -> Image {
    let repository = reader.string("repository");
    let tag = reader.string("tag");
    if let Some(image) = reader.string("image") {
        if let Some(repository) = repository.as_ref() {
            reader.report(
                Problem::error(repository.span, "`repository` and `image` cannot both be set")
                    .with_help("use `repository` (+ `tag`) for an ECR image of this account, or `image` for any other registry")
                    .with_related(image.span, "`image` set here"),
            );
        }
        return Image::External(image);
    }
    let repository = repository.unwrap_or_else(|| Located::new(format!("{project}/{}", name.value), name.span));
    let tag = tag.unwrap_or_else(|| Located::new("latest".to_string(), reader.span()));
    Image::Ecr { repository, tag }
}

/// CPU or memory as an integer or a unit string, normalised to AWS's integers.
fn read_units(
    reader: &TableReader<'_>,
    key: &str,
    parse: fn(&str) -> Option<i64>,
    default: i64,
    help: &str,
) -> Located<i64> {
    let Some(entry) = reader.entry(key) else {
        return Located::new(default, reader.span());
    };
    let parsed = match &entry.node.value {
        Value::Integer(number) => Some(*number),
        Value::String(text) => parse(text),
        Value::IntegerOutOfRange(literal) => {
            reader.report_value(
                key,
                Problem::error(entry.node.span, format!("`{key}` is {literal}, outside the range AWS accepts"))
                    .with_help(help),
            );
            return Located::new(default, entry.node.span);
        }
        _ => None,
    };
    match parsed {
        Some(number) => Located::new(number, entry.node.span),
        None => {
            reader.report_value(
                key,
                Problem::error(entry.node.span, format!("`{key}` is not a valid amount")).with_help(help),
            );
            Located::new(default, entry.node.span)
        }
    }
}

/// A string that must be one of `choices`.
/// `path_rewrite`: what the ALB takes off the request path before the app sees it.
fn read_path_rewrite(reader: &TableReader<'_>, node: &Node) -> Located<PathRewrite> {
    let span = reader.string("path_rewrite").map_or(node.span, |value| value.span);
    let choice = read_choice(reader, "path_rewrite", &["service", "environment", "none"], "service");
    let rewrite = match choice.as_str() {
        "environment" => PathRewrite::Environment,
        "none" => PathRewrite::None,
        _ => PathRewrite::Service,
    };
    Located::new(rewrite, span)
}

fn read_choice(reader: &TableReader<'_>, key: &str, choices: &[&str], default: &str) -> String {
    let Some(value) = reader.string(key) else {
        return default.to_string();
    };
    if choices.contains(&value.value.as_str()) {
        return value.value;
    }
    reader.report(
        Problem::error(value.span, format!("`{}` must be one of {}", reader.key_name(key), choices.join(", ")))
            .with_help(format!("for example {key} = \"{}\"", choices[0])),
    );
    default.to_string()
}

/// A duration as a string ("30s", "10m") or integer seconds.
pub fn read_duration(reader: &TableReader<'_>, key: &str, default: i64) -> i64 {
    let Some(entry) = reader.entry(key) else {
        return default;
    };
    let parsed = match &entry.node.value {
        Value::Integer(seconds) if *seconds >= 0 => Some(*seconds),
        Value::String(text) => parse_duration(text),
        Value::IntegerOutOfRange(literal) => {
            reader.report_value(
                key,
                Problem::error(
                    entry.node.span,
                    format!("`{}` is {literal} seconds, outside the range AWS accepts", reader.key_name(key)),
                )
                .with_help("write seconds or a duration such as \"30s\", \"10m\" or \"1h30m\""),
            );
            return default;
        }
        _ => None,
    };
    parsed.unwrap_or_else(|| {
        reader.report_value(
            key,
            Problem::error(entry.node.span, format!("`{}` is not a duration", reader.key_name(key)))
                .with_help("write seconds or a duration such as \"30s\", \"10m\" or \"1h30m\""),
        );
        default
    })
}

fn read_secrets(reader: &TableReader<'_>) -> Vec<SecretReference> {
    let Some(table) = reader.table("secrets") else {
        return Vec::new();
    };
    table
        .remaining()
        .into_iter()
        .filter_map(|entry| {
            let variable = Located::new(entry.key.clone(), entry.key_span);
            read_secret_reference(variable, &entry.node, table.problems())
        })
        .collect()
}

/// `"auth/db"`, `"auth/db#password"` or `{ secret = "auth/db", key = "password" }`.
fn read_secret_reference(variable: Located<String>, node: &Node, problems: &Problems) -> Option<SecretReference> {
    match &node.value {
        Value::String(text) => {
            let (secret, json_key) = match text.split_once('#') {
                Some((secret, key)) => (secret.to_string(), Some(key.to_string())),
                None => (text.clone(), None),
            };
            Some(SecretReference { variable, secret: Located::new(secret, node.span), json_key })
        }
        Value::Table(_) => {
            let table = TableReader::new(node, format!("`secrets.{}`", variable.value), problems)?;
            let secret = table.string("secret");
            let secret = table.required("secret", secret, "name the Secrets Manager secret: secret = \"auth/db\"");
            let json_key = table.string("key").map(|key| key.value);
            table.finish(&["secret", "key"]);
            Some(SecretReference { variable, secret: secret?, json_key })
        }
        other => {
            problems.push(
                type_problem(node.span, &format!("secrets.{}", variable.value), "a string or a table", other)
                    .with_help("write NAME = \"secret-name\" or NAME = \"secret-name#json-key\""),
            );
            None
        }
    }
}

fn read_health_check(reader: &TableReader<'_>, unusable: &mut Vec<String>) -> HealthCheck {
    let table = reader.table("health_check");
    let span = table.as_ref().map_or_else(|| reader.span(), TableReader::span);
    let integer = |key: &str, range, unit: &str, default: i64| -> Located<i64> {
        table.as_ref().and_then(|table| table.integer(key, range, unit)).unwrap_or_else(|| Located::new(default, span))
    };
    let text = |key: &str, default: &str| -> Located<String> {
        table.as_ref().and_then(|table| table.string(key)).unwrap_or_else(|| Located::new(default.to_string(), span))
    };
    let health_check = HealthCheck {
        path: text("path", "/health"),
        interval_seconds: integer("interval", 5..=300, "seconds", 10),
        timeout_seconds: integer("timeout", 2..=120, "seconds", 5),
        healthy_threshold: integer("healthy_threshold", 2..=10, "checks", 2).value,
        unhealthy_threshold: integer("unhealthy_threshold", 2..=10, "checks", 3).value,
        matcher: text("matcher", "200-299"),
        grace_period_seconds: integer("grace_period", 0..=2_147_483_647, "seconds", 30).value,
    };
    if let Some(table) = table {
        table.finish(HEALTH_CHECK_KEYS);
        collect_failed(&table, "health_check", &["interval", "timeout"], unusable);
    }
    health_check
}

/// Adds `section.key` to `unusable` for each of `keys` whose value `table` could not use.
fn collect_failed(table: &TableReader<'_>, section: &str, keys: &[&str], unusable: &mut Vec<String>) {
    unusable.extend(keys.iter().filter(|key| table.failed(key)).map(|key| format!("{section}.{key}")));
}

/// `[services.<name>.build]`: how `ecsdeploy build` and `up --build` make the image.
fn read_build(reader: &TableReader<'_>) -> Option<Build> {
    let table = reader.table("build")?;
    let context = table.string("context");
    let context = table.required("context", context, "give the build context, e.g. context = \"services/auth\"");
    let dockerfile = table.string("dockerfile").map(|file| file.value);
    let command = table.string_list("command").map(|list| list.value).filter(|command| !command.is_empty());
    table.finish(&["context", "dockerfile", "command"]);
    Some(Build { context: context?, dockerfile, command: command.unwrap_or_else(|| vec!["docker".into()]) })
}

fn read_container_health_check(reader: &TableReader<'_>) -> Option<ContainerHealthCheck> {
    let table = reader.table("container_health_check")?;
    let command = table.string_list("command");
    let command = table.required(
        "command",
        command,
        "give the check command, e.g. command = [\"CMD-SHELL\", \"curl -f http://localhost:8080/health || exit 1\"]",
    );
    let number = |key: &str, range, default: i64| table.integer(key, range, "").map_or(default, |value| value.value);
    let (interval_seconds, timeout_seconds) = (number("interval", 5..=300, 30), number("timeout", 2..=60, 5));
    let (retries, start_period_seconds) = (number("retries", 1..=10, 3), number("start_period", 0..=300, 0));
    table.finish(CONTAINER_HEALTH_CHECK_KEYS);
    Some(ContainerHealthCheck { command: command?, interval_seconds, timeout_seconds, retries, start_period_seconds })
}

fn read_scaling(reader: &TableReader<'_>, unusable: &mut Vec<String>) -> Scaling {
    let table = reader.table("scaling");
    let span = table.as_ref().map_or_else(|| reader.span(), TableReader::span);
    let integer = |key: &str, range, unit: &str, default: i64| -> Located<i64> {
        table.as_ref().and_then(|table| table.integer(key, range, unit)).unwrap_or_else(|| Located::new(default, span))
    };
    let scaling = Scaling {
        min: integer("min", 0..=5000, "tasks", 1),
        max: integer("max", 1..=5000, "tasks", 5),
        cpu_target: integer("cpu_target", 1..=100, "percent", 60).value,
        requests_per_target: table
            .as_ref()
            .and_then(|table| table.integer("requests_per_target", 1..=1_000_000, "requests per minute"))
            .map(|requests| requests.value),
        scale_in_cooldown_seconds: integer("scale_in_cooldown", 0..=86_400, "seconds", 60).value,
        scale_out_cooldown_seconds: integer("scale_out_cooldown", 0..=86_400, "seconds", 60).value,
        cpu_policy: table.as_ref().and_then(|table| table.string("cpu_policy")),
        requests_policy: table.as_ref().and_then(|table| table.string("requests_policy")),
    };
    if let Some(table) = table {
        table.finish(SCALING_KEYS);
        collect_failed(&table, "scaling", &["min", "max"], unusable);
    }
    scaling
}

fn read_deployment(reader: &TableReader<'_>, unusable: &mut Vec<String>) -> Deployment {
    let table = reader.table("deployment");
    let span = table.as_ref().map_or_else(|| reader.span(), TableReader::span);
    let deployment = Deployment {
        minimum_healthy_percent: table
            .as_ref()
            .and_then(|table| table.integer("minimum_healthy_percent", 0..=100, "percent"))
            .map_or(100, |percent| percent.value),
        maximum_percent: table
            .as_ref()
            .and_then(|table| table.integer("maximum_percent", 100..=200, "percent"))
            .unwrap_or_else(|| Located::new(200, span)),
        circuit_breaker: table
            .as_ref()
            .and_then(|table| table.boolean("circuit_breaker"))
            .is_none_or(|flag| flag.value),
        timeout_seconds: table.as_ref().map_or(600, |table| read_duration(table, "timeout", 600)),
        poll_interval_seconds: table.as_ref().map_or(5, |table| read_duration(table, "poll_interval", 5)),
        span,
    };
    if let Some(table) = table {
        table.finish(DEPLOYMENT_KEYS);
        collect_failed(
            &table,
            "deployment",
            &["minimum_healthy_percent", "maximum_percent", "timeout", "poll_interval"],
            unusable,
        );
    }
    deployment
}

fn read_permissions(reader: &TableReader<'_>) -> Vec<Permission> {
    let Some(entry) = reader.entry("permissions") else {
        return Vec::new();
    };
    let Value::Array(items) = &entry.node.value else {
        reader.report(
            type_problem(entry.node.span, "permissions", "an array of tables", &entry.node.value)
                .with_help("write [[services.NAME.permissions]] sections with `actions` and `resources`"),
        );
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let table = TableReader::new(item, "`permissions`", reader.problems())?;
            let actions = non_empty(&table, "actions", "list IAM actions, e.g. actions = [\"s3:GetObject\"]");
            let resources =
                non_empty(&table, "resources", "list resource ARNs, e.g. resources = [\"arn:aws:s3:::bucket/*\"]");
            table.finish(&["actions", "resources"]);
            Some(Permission { actions: actions?, resources: resources? })
        })
        .collect()
}

fn read_alarms(reader: &TableReader<'_>) -> Alarms {
    let Some(table) = reader.table("alarms") else {
        let actions = Located::new(Vec::new(), reader.span());
        return Alarms { cpu_above: None, memory_above: None, http_5xx_above: None, actions };
    };
    // `false` turns off a threshold that `[defaults]` sets.
    let threshold = |key: &str, range: std::ops::RangeInclusive<i64>, unit: &str| match table
        .entry(key)
        .map(|entry| &entry.node.value)
    {
        Some(Value::Boolean(false)) => None,
        _ => table.integer(key, range, unit).map(|value| value.value),
    };
    let alarms = Alarms {
        cpu_above: threshold("cpu_above", 1..=100, "percent"),
        memory_above: threshold("memory_above", 1..=100, "percent"),
        http_5xx_above: threshold("http_5xx_above", 1..=1_000_000, "responses per minute"),
        actions: table.string_list("actions").unwrap_or_else(|| Located::new(Vec::new(), table.span())),
    };
    table.finish(ALARM_KEYS);
    alarms
}

/// A required list of strings that may not be empty (IAM refuses empty `Action`/`Resource`).
fn non_empty(table: &TableReader<'_>, key: &str, help: &str) -> Option<Located<Vec<String>>> {
    let list = table.string_list(key);
    let list = table.required(key, list, help)?;
    if list.value.is_empty() {
        table.report_value(key, Problem::error(list.span, format!("`{key}` is empty")).with_help(help));
        return None;
    }
    Some(list)
}

/// A `tags` table of strings.
pub fn read_tags(reader: &TableReader<'_>, key: &str) -> Vec<Tag> {
    reader.string_map(key).unwrap_or_default().into_iter().map(|(key, value)| Tag { key, value }).collect()
}
