//! `ecsdeploy init`: a commented starter manifest (services.toml and environments test, stage
//! and prod) that passes `validate` as written, so that a team starts from something that works
//! and reads what each setting does where it is set.

use super::{CommandError, StopKind};
use crate::cli::{GlobalOptions, InitArgs};
use crate::exit_status::ExitStatus;
use crate::output::Printer;
use std::path::Path;

pub fn run(global: &GlobalOptions, args: &InitArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let project = args.project.to_ascii_lowercase();
    let zone = args.zone.clone().unwrap_or_else(|| format!("{project}.example"));
    let domain = args.domain.clone().unwrap_or_else(|| format!("api.{zone}"));
    let services = if args.service.is_empty() { vec!["web".to_string()] } else { args.service.clone() };
    let files = starter_files(&project, args, &domain, &zone, &services);
    // What is written must pass `validate`: checked in memory first, so a bad name given on the
    // command line is reported (in the manifest's own terms) before any file is written.
    let environments: Vec<(&str, &str)> = files[1..]
        .iter()
        .map(|(name, text)| (name.trim_start_matches("environments/").trim_end_matches(".toml"), text.as_str()))
        .collect();
    crate::checked::load_from_texts(&files[0].1, &environments)?;
    let directory = &global.manifest_dir;
    let existing: Vec<&str> =
        files.iter().map(|(name, _)| name.as_str()).filter(|name| directory.join(name).exists()).collect();
    if !existing.is_empty() && !args.force {
        return Err(CommandError::stopped(
            StopKind::Refused,
            format!("{} already has {}: nothing was written", directory.display(), existing.join(", ")),
            vec!["pass --force to overwrite them, or -f DIR for another directory".into()],
        ));
    }
    for (name, text) in &files {
        write(&directory.join(name), text)?;
    }
    printer.info(&format!(
        "wrote services.toml and environments/{{test,stage,prod}}.toml in {}; next: ecsdeploy validate, \
         then ecsdeploy repositories --env stage and ecsdeploy up --env stage",
        directory.display()
    ));
    Ok(ExitStatus::Success)
}

fn starter_files(
    project: &str,
    args: &InitArgs,
    domain: &str,
    zone: &str,
    services: &[String],
) -> [(String, String); 4] {
    [
        ("services.toml".to_string(), services_toml(project, &args.region, domain, zone, services)),
        ("environments/test.toml".to_string(), environment_toml("test", domain, "spot")),
        ("environments/stage.toml".to_string(), environment_toml("stage", domain, "spot")),
        ("environments/prod.toml".to_string(), environment_toml("prod", domain, "on-demand")),
    ]
}

fn write(path: &Path, text: &str) -> Result<(), CommandError> {
    let failed = |error: std::io::Error| {
        CommandError::stopped(StopKind::Io, format!("cannot write {}: {error}", path.display()), Vec::new())
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)
}

fn services_toml(project: &str, region: &str, domain: &str, zone: &str, services: &[String]) -> String {
    let mut text = format!(
        r#"# ecsdeploy manifest of the {project} project: its services and what they share.
# Every key and its default: docs/manifest.md. Environments: environments/<name>.toml.
# Check it with `ecsdeploy validate`; see what it becomes with `ecsdeploy render --env stage`.

[project]
name = "{project}"                 # goes into tags and the names of shared resources
region = "{region}"
cluster = "{project}"              # one Fargate cluster for every environment
# account_id = "123456789012"    # uncomment to refuse to run against any other account

# Cost-allocation tags on every resource (ecsdeploy adds its own ecsdeploy:* ownership tags).
[project.tags]
Project = "{project}"

[project.load_balancer]
name = "{project}"                 # one ALB for every environment; paths route to services
certificate = {{ domain = "{domain}" }}   # an issued ACM certificate for this name (or arn = "...")

# The network is referenced, never created: find it by tags (or list IDs: vpc = "vpc-...").
[project.network]
vpc = {{ tags = {{ Name = "{project}" }} }}
public_subnets = {{ tags = {{ Tier = "public" }} }}    # the ALB
private_subnets = {{ tags = {{ Tier = "private" }} }}  # the tasks (no public IP)

# The Route53 hosted zone the environments' domains live in.
[project.dns]
zone = "{zone}"

# What every service starts from; a service, or an environment's override, replaces any of it.
[defaults]
cpu = 256                        # Fargate CPU units (or "0.25 vCPU")
memory = 512                     # MiB (or "0.5 GB")
port = 8080                      # the container port the ALB sends traffic to
log_retention_days = 30

[defaults.health_check]          # the ALB's check, and the HTTP check that gates a rollout
path = "/health"
healthy_threshold = 2
unhealthy_threshold = 3
grace_period = 30

[defaults.scaling]               # 1-5 tasks on 60% CPU, 60 s cooldowns
min = 1
max = 5
cpu_target = 60

[defaults.deployment]
circuit_breaker = true
timeout = "10m"                  # a rollout not healthy by then is rolled back
"#
    );
    for service in services {
        text.push_str(&format!(
            r#"
[services.{service}]
repository = "{project}/{service}"   # ECR repository (created by `ecsdeploy repositories`)
tag = "latest"                   # resolved to a digest at plan time; `up --build` uses the commit
path = "/{service}/*"                # ALB path, under each environment's path_prefix

# [services.{service}.build]       # for `ecsdeploy build` and `up --build`
# context = "."

[services.{service}.env]
LOG_LEVEL = "info"

# Secrets Manager values injected at task start, by name under the environment's secret_prefix
# (stage/{service}/api-key in stage); set them with `ecsdeploy secrets set`.
# [services.{service}.secrets]
# API_KEY = "{service}/api-key"
"#
        ));
    }
    text
}

fn environment_toml(name: &str, domain: &str, capacity: &str) -> String {
    let (prefix, path_prefix, domain, branch) = match name {
        // A branch of its own: with the git hook installed, only a deliberate push deploys prod.
        "prod" => (String::new(), String::new(), domain.to_string(), "prod".to_string()),
        _ => (format!("{name}-"), format!("/{name}"), format!("{name}.{domain}"), name.to_string()),
    };
    let scan = if name == "prod" {
        "block_findings_at = \"CRITICAL\"   # image scan findings this severe stop a deploy\n"
    } else {
        ""
    };
    format!(
        r#"# The {name} environment.
prefix = "{prefix}"                  # ECS service and task family names: {prefix}<service>
path_prefix = "{path_prefix}"           # ALB paths: {path_prefix}/<service>/*
domain = "{domain}"
branch = "{branch}"                  # pushing this branch deploys here (`ecsdeploy hook install`)
capacity = "{capacity}"
secret_prefix = "{name}/"
{scan}
[tags]
Environment = "{name}"

# Per-service overrides of any service setting, e.g.:
# [services.<name>]
# cpu = 512
"#
    )
}
