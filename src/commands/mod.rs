//! One module per command. Each turns its arguments into a result value and hands it to `output`.

pub mod build;
pub mod change;
pub mod deployer;
pub mod doctor;
pub mod git;
pub mod git_ref;
pub mod history;
pub mod hook;
pub mod import;
pub mod init;
pub mod lock;
pub mod plan;
pub mod policy;
pub mod reference;
pub mod render;
pub mod rollback;
pub mod rollouts;
pub mod scan_gate;
pub mod secrets;
pub mod session;
pub mod shared_lock;
pub mod status;
pub mod unverified;
pub mod validate;

use crate::checked::{self, CheckedManifest};
use crate::cli::{Cli, Command};
use crate::exit_status::ExitStatus;
use crate::manifest::ManifestError;
use crate::output::{Printer, diagnostics};

/// Why a command stopped; printed by [`report`], never by the command itself.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The manifest is missing, unreadable or has errors.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The command line asked for something that does not exist (an unknown environment, say).
    #[error("{message}")]
    Usage { message: String, hints: Vec<String> },
    /// An AWS call failed; the message names the operation and the resource.
    #[error(transparent)]
    Cloud(#[from] crate::cloud::CloudError),
    /// No plan can be made (prerequisites missing, resources not ecsdeploy's).
    #[error(transparent)]
    Plan(crate::plan::PlanError),
    /// Another run holds the environment's deploy lock.
    #[error("environment {} is locked by another run", .0.environment)]
    Locked(Box<crate::deploy_lock::DeployLock>),
}

impl CommandError {
    pub fn usage(message: impl Into<String>, hints: Vec<String>) -> Self {
        CommandError::Usage { message: message.into(), hints }
    }
}

/// `--aws-timeout` / `ECSDEPLOY_AWS_TIMEOUT`, checked before any AWS call.
pub fn aws_timeout(global: &crate::cli::GlobalOptions) -> Result<std::time::Duration, CommandError> {
    crate::cloud::sdk_config::answer_timeout(global.aws_timeout.as_deref())
        .map_err(|message| CommandError::usage(message, vec!["write e.g. --aws-timeout 20s".into()]))
}

pub async fn run(cli: &Cli, printer: &Printer) -> ExitStatus {
    let result = match &cli.command {
        Command::Validate => validate::run(&cli.global, printer),
        Command::Render(args) => render::run(&cli.global, args, printer),
        Command::Policy(args) => policy::run(&cli.global, args, printer),
        Command::Doctor(args) => doctor::run(&cli.global, args, printer).await,
        Command::Plan(args) => plan::run(&cli.global, args, printer).await,
        Command::Up(args) => change::up(&cli.global, args, printer).await,
        Command::Destroy(args) => {
            change::run(&cli.global, &args.env, &args.change, crate::plan::Goal::Destroy, printer).await
        }
        Command::Repositories(args) => {
            change::run(&cli.global, &args.env, &args.change, crate::plan::Goal::Repositories, printer).await
        }
        Command::Rollback(args) => rollback::run(&cli.global, args, printer).await,
        Command::History(args) => history::run(&cli.global, args, printer).await,
        Command::Status(args) => status::run(&cli.global, args, printer).await,
        Command::Secrets(args) => secrets::run(&cli.global, args, printer).await,
        Command::Build(args) => build::run(&cli.global, args, printer).await,
        Command::Lock(args) => lock::run(&cli.global, args, printer).await,
        Command::Hook(args) => hook::run(&cli.global, args, printer),
        Command::Completions { shell } => reference::completions(*shell, printer),
        Command::Man(args) => reference::man(args, printer),
        Command::Init(args) => init::run(&cli.global, args, printer),
        Command::Import(args) => import::run(&cli.global, args, printer).await,
    };
    result.unwrap_or_else(|error| {
        report(printer, &error);
        match error {
            CommandError::Locked(_) => ExitStatus::Locked,
            _ => ExitStatus::Failure,
        }
    })
}

/// Loads and checks the manifest, printing its warnings.
pub fn load_manifest(cli: &crate::cli::GlobalOptions, printer: &Printer) -> Result<CheckedManifest, CommandError> {
    let checked = checked::load(&cli.manifest_dir)?;
    if !checked.warnings.is_empty() && !printer.is_json() {
        printer.stderr(diagnostics::render_text(&checked.sources, &checked.warnings, printer.color).trim_end());
    }
    Ok(checked)
}

/// Prints an error the way every command does.
pub fn report(printer: &Printer, error: &CommandError) {
    match error {
        CommandError::Manifest(ManifestError::Invalid { sources, problems }) => {
            if printer.is_json() {
                printer.json(&diagnostics_json(sources, problems));
            }
            printer.stderr(diagnostics::render_text(sources, problems, printer.color).trim_end());
        }
        CommandError::Manifest(ManifestError::NotFound { path }) => {
            let hints = [format!(
                "run ecsdeploy in the directory holding services.toml, or pass -f DIR (looked for {})",
                path.display()
            )];
            error_out(printer, "manifest", &error.to_string(), &hints, None);
        }
        CommandError::Manifest(other) => error_out(printer, "manifest", &other.to_string(), &[], None),
        CommandError::Usage { message, hints } => error_out(printer, "usage", message, hints, None),
        CommandError::Cloud(cloud) => error_out(printer, "aws", &cloud.to_string(), &cloud.hints(), Some(cloud)),
        CommandError::Plan(plan) => {
            let (message, hints) = crate::output::plan_view::error_text(plan);
            error_out(printer, "plan", &message, &hints, None);
        }
        CommandError::Locked(holder) => {
            if printer.is_json() {
                printer.json(&crate::output::lock_view::json(&holder.environment, Some(holder)));
            }
            let (message, hints) = crate::output::lock_view::refused_text(holder);
            printer.error(&message, &hints);
        }
    }
}

/// An error on stderr and, with `--output json`, as the error document on stdout, so that a
/// script always gets one document: `{"schema_version": 1, "ok": false, "error": {kind, message,
/// hints, operation, resource}}` (`kind`: manifest, usage, aws, plan).
fn error_out(printer: &Printer, kind: &str, message: &str, hints: &[String], cloud: Option<&crate::cloud::CloudError>) {
    if printer.is_json() {
        printer.json(&serde_json::json!({
            "schema_version": ERROR_SCHEMA_VERSION,
            "ok": false,
            "error": {
                "kind": kind,
                "message": message,
                "hints": hints,
                "operation": cloud.map(|cloud| cloud.operation.as_str()),
                "resource": cloud.map(|cloud| cloud.resource.as_str()),
            },
        }));
    }
    printer.error(message, hints);
}

/// Version of the JSON shape of an error (any command, `--output json`, exit 1).
pub const ERROR_SCHEMA_VERSION: u32 = 1;

/// `{"schema_version": 1, "valid": false, "problems": [...]}`.
pub fn diagnostics_json(
    sources: &crate::manifest::SourceMap,
    problems: &[crate::manifest::Problem],
) -> serde_json::Value {
    let located: Vec<_> = problems.iter().map(|problem| diagnostics::locate(sources, problem)).collect();
    let valid = !problems.iter().any(|p| p.severity == crate::manifest::Severity::Error);
    serde_json::json!({
        "schema_version": diagnostics::PROBLEMS_SCHEMA_VERSION,
        "valid": valid,
        "problems": located,
    })
}

/// The environment named on the command line, or a usage error listing the ones that exist.
pub fn environment<'m>(
    checked: &'m CheckedManifest,
    name: &str,
) -> Result<&'m crate::manifest::Environment, CommandError> {
    checked.manifest.environment(name).ok_or_else(|| {
        let known = checked.manifest.environment_names().join(", ");
        CommandError::usage(
            format!("no environment `{name}` in the manifest"),
            vec![format!("environments are: {known} (files under environments/)")],
        )
    })
}
