//! `ecsdeploy build` and `up --build`: build each service's image with the container CLI the
//! manifest names (`docker` by default; `podman`, `docker buildx` or a wrapper work too), tag it
//! with the git commit, log in to ECR and push it.
//!
//! Every image is built before anything is pushed, so a failed build changes nothing in AWS. A
//! tag ECR already has is neither built nor pushed again (tags are immutable and name a commit).
//! The registry password goes to the CLI's stdin, never its arguments. A tree with uncommitted
//! changes gets a distinct tag and a warning; prod refuses it unless `--allow-dirty`.

use super::{CommandError, StopKind};
use crate::cloud::secret_info::SecretValue;
use crate::exit_status::ExitStatus;
use crate::http_check::HttpCheck;
use crate::manifest::{Build, Image};
use crate::output::Printer;
use crate::run::session::Cloud;
use crate::run::session::Session;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// Version of the JSON shape of `build --output json`.
pub use crate::output::build_view::BUILD_SCHEMA_VERSION;

pub use crate::images::BuiltImage;

pub async fn run(
    global: &crate::cli::GlobalOptions,
    args: &crate::cli::BuildArgs,
    printer: &Printer,
) -> Result<ExitStatus, CommandError> {
    let session = Session::open(global, &args.env, printer).await?;
    let images = build_and_push(&session, &args.service, args.allow_dirty, printer).await?;
    if printer.is_json() {
        printer.document(&crate::output::build_view::BuildDocument {
            schema_version: BUILD_SCHEMA_VERSION,
            environment: &args.env,
            images: &images,
        });
    } else {
        if !images.is_empty() {
            printer.data(&crate::output::build_view::text(&images));
        }
    }
    Ok(ExitStatus::Success)
}

/// One image to build: every service of the environment that names this repository.
struct Job {
    services: Vec<String>,
    repository: String,
    build: Build,
    /// `linux/amd64` or `linux/arm64`, from the service's `architecture`.
    platform: String,
}

/// Builds and pushes the images of the environment's services that have a `build` section
/// (only `only`, when given). Returns each service with its tag and digest.
pub async fn build_and_push<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    only: &[String],
    allow_dirty: bool,
    printer: &Printer,
) -> Result<Vec<BuiltImage>, CommandError> {
    let jobs = jobs(session, only)?;
    let contexts: Vec<&str> = jobs.iter().map(|job| job.build.context.value.as_str()).collect();
    let tag = image_tag(&session.manifest_dir, &contexts, &session.environment, allow_dirty, printer)?;
    // Logging in is a read, and a Dockerfile may start FROM an image in this registry.
    let (registry, password) = session.cloud.registry_login().await?;
    let mut logged_in: Vec<&str> = Vec::new();
    let mut images = Vec::new();
    let mut to_build = Vec::new();
    for job in &jobs {
        let digest = session.cloud.image_tag_digest(&job.repository, &tag).await.map_err(|error| {
            let hint = format!("create the repositories first: ecsdeploy repositories --env {}", session.environment);
            CommandError::CloudWithHints { error: Box::new(error), hints: vec![hint] }
        })?;
        match digest {
            Some(digest) => {
                printer.info(&format!(
                    "{}: {}:{tag} is already in ECR: not rebuilt",
                    job.services.join(", "),
                    job.repository
                ));
                images.extend(built(job, &tag, &digest, false));
            }
            None => to_build.push(job),
        }
    }
    // Every build before any push: a failure here has changed nothing in AWS.
    for job in &to_build {
        let cli = cli_of(&job.build);
        if !logged_in.contains(&cli) {
            let arguments = ["login", "--username", "AWS", "--password-stdin", registry.as_str()].map(str::to_string);
            run_cli(&session.manifest_dir, &[cli.to_string()], &arguments, Some(&password))
                .map_err(|why| build_failed(&job.services, &why, "logging in to ECR failed; nothing changed in AWS"))?;
            logged_in.push(cli);
        }
        printer.info(&format!("{}: building {}:{tag} for {}", job.services.join(", "), job.repository, job.platform));
        let mut arguments = vec!["build".to_string(), "--platform".into(), job.platform.clone()];
        arguments.extend(["--tag".into(), format!("{registry}/{}:{tag}", job.repository)]);
        if job.build.command.iter().any(|word| word == "buildx") {
            // buildx keeps a non-default builder's result out of the local store unless asked.
            arguments.push("--load".into());
        }
        if let Some(dockerfile) = &job.build.dockerfile {
            arguments.extend(["--file".into(), dockerfile.clone()]);
        }
        arguments.push(job.build.context.value.clone());
        run_cli(&session.manifest_dir, &job.build.command, &arguments, None)
            .map_err(|why| build_failed(&job.services, &why, "nothing was pushed and nothing in AWS changed"))?;
    }
    for job in &to_build {
        let reference = format!("{registry}/{}:{tag}", job.repository);
        run_cli(&session.manifest_dir, &[cli_of(&job.build).to_string()], &["push".to_string(), reference], None)
            .map_err(|why| build_failed(&job.services, &why, "pushing failed; images pushed before it stay in ECR"))?;
        let digest = session.cloud.image_tag_digest(&job.repository, &tag).await?.ok_or_else(|| {
            CommandError::stopped(
                StopKind::Build,
                format!("pushed {}:{tag}, but ECR does not have it", job.repository),
                Vec::new(),
            )
        })?;
        images.extend(built(job, &tag, &digest, true));
    }
    Ok(images)
}

/// The jobs for the environment's services with a build section, one per repository; named
/// services must exist, be enabled and have one.
fn jobs<C: Cloud, H: HttpCheck>(session: &Session<C, H>, only: &[String]) -> Result<Vec<Job>, CommandError> {
    let environment = super::environment(&session.checked, &session.environment)?;
    for name in only {
        let known =
            environment.enabled_services().any(|service| &service.name.value == name && service.build.is_some());
        if !known {
            return Err(CommandError::usage(
                format!("service `{name}` is not deployed in {} with a build section", session.environment),
                vec!["name a service that has [services.<name>.build] and is enabled in this environment".into()],
            ));
        }
    }
    let mut jobs: Vec<Job> = Vec::new();
    for service in
        environment.enabled_services().filter(|service| only.is_empty() || only.contains(&service.name.value))
    {
        let (Some(build), Image::Ecr { repository, .. }) = (&service.build, &service.image) else { continue };
        let platform = if service.architecture == "ARM64" { "linux/arm64" } else { "linux/amd64" }.to_string();
        match jobs.iter_mut().find(|job| job.repository == repository.value) {
            Some(job) if job.build == *build && job.platform == platform => {
                job.services.push(service.name.value.clone())
            }
            Some(job) => {
                return Err(CommandError::usage(
                    format!(
                        "services {} and {} share repository {} but build it differently",
                        job.services.join(", "),
                        service.name.value,
                        job.repository
                    ),
                    vec!["give each its own repository, or the same build section and architecture".into()],
                ));
            }
            None => jobs.push(Job {
                services: vec![service.name.value.clone()],
                repository: repository.value.clone(),
                build: build.clone(),
                platform,
            }),
        }
    }
    if jobs.is_empty() {
        return Err(CommandError::usage(
            format!(
                "no service of {} has a [services.<name>.build] section (with an ECR repository)",
                session.environment
            ),
            vec!["add one, e.g. [services.auth.build] context = \"services/auth\" (see docs/manifest.md)".into()],
        ));
    }
    Ok(jobs)
}

/// The CLI that logs in and pushes: the command's first word (`docker` for `docker buildx`).
fn cli_of(build: &Build) -> &str {
    build.command.first().map(String::as_str).unwrap_or("docker")
}

fn built(job: &Job, tag: &str, digest: &str, built: bool) -> Vec<BuiltImage> {
    job.services
        .iter()
        .map(|service| BuiltImage {
            service: service.clone(),
            repository: job.repository.clone(),
            tag: tag.to_string(),
            digest: digest.to_string(),
            built,
        })
        .collect()
}

/// Service -> tag of what `build_and_push` produced, for the desired state.
pub fn tags_of(images: &[BuiltImage]) -> BTreeMap<String, String> {
    images.iter().map(|image| (image.service.clone(), image.tag.clone())).collect()
}

fn build_failed(services: &[String], why: &str, consequence: &str) -> CommandError {
    CommandError::stopped(
        StopKind::Build,
        format!("{}: {why}: {consequence}", services.join(", ")),
        vec!["the CLI's own output is above; the CLI is [services.<name>.build].command (default docker)".into()],
    )
}

/// Runs the container CLI in `directory`; its output goes to stderr (stdout would be ecsdeploy's
/// results); `stdin` (a password) is written to its stdin.
fn run_cli(
    directory: &Path,
    command: &[String],
    arguments: &[String],
    stdin: Option<&SecretValue>,
) -> Result<(), String> {
    let (program, prefix) = command.split_first().ok_or_else(|| "the build command is empty".to_string())?;
    let shown = format!("{} {}", command.join(" "), arguments.first().map(String::as_str).unwrap_or_default());
    let mut child = Command::new(program)
        .args(prefix)
        .args(arguments)
        .current_dir(directory)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(std::io::stderr())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("cannot run `{program}`: {error}"))?;
    if let (Some(value), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        pipe.write_all(value.expose().as_bytes())
            .map_err(|error| format!("`{shown}`: cannot write its stdin: {error}"))?;
    }
    let status = child.wait().map_err(|error| format!("`{shown}`: {error}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{shown}` failed ({status})")) }
}

/// The tag for this build: the commit (12 hex digits); with uncommitted changes
/// `<commit>-dirty-<seconds since 1970>` (so it never clashes with the clean build), refused in
/// prod unless `allow_dirty`.
fn image_tag(
    directory: &Path,
    contexts: &[&str],
    environment: &str,
    allow_dirty: bool,
    printer: &Printer,
) -> Result<String, CommandError> {
    let git = |args: &[&str]| crate::run::git::git(directory, args).ok();
    let commit = git(&["rev-parse", "HEAD"]).filter(|commit| commit.len() >= 12).ok_or_else(|| {
        CommandError::stopped(
            StopKind::Git,
            format!(
                "images are tagged with the git commit, and {} is not in a git repository with a commit",
                directory.display()
            ),
            vec!["commit the manifest and the build contexts to git first".into()],
        )
    })?;
    let short = &commit[..12];
    // Only what goes into the deploy counts: the manifest directory and the build contexts.
    let mut status = vec!["status", "--porcelain", "--", "."];
    status.extend(contexts);
    let dirty = git(&status).is_some_and(|status| !status.is_empty());
    if !dirty {
        return Ok(short.to_string());
    }
    if environment == "prod" && !allow_dirty {
        return Err(CommandError::stopped(
            StopKind::Refused,
            "refusing to build for prod from a tree with uncommitted changes: what runs in prod must be a commit",
            vec!["commit (or stash) the changes, or pass --allow-dirty".into()],
        ));
    }
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let tag = format!("{short}-dirty-{seconds}");
    printer.warning(&format!("the tree has uncommitted changes: the images are tagged {tag}, not a commit"));
    Ok(tag)
}
