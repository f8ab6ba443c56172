//! One module per command. Each turns its arguments into a result value and hands it to `output`;
//! what a run of several commands shares (the session, the deploy lock, rollouts) is `crate::run`.

pub mod build;
pub mod change;
pub mod doctor;
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
pub mod secrets;
pub mod status;
pub mod validate;

use crate::cli::{Cli, Command};
use crate::exit_status::ExitStatus;
use crate::manifest::ManifestError;
use crate::output::{Printer, diagnostics};
pub use crate::run::{CommandError, StopKind, aws_timeout, environment, load_manifest};

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

/// Prints an error the way every command does.
pub fn report(printer: &Printer, error: &CommandError) {
    match error {
        CommandError::Manifest(ManifestError::Invalid { sources, problems }) => {
            if printer.is_json() {
                printer.document(&diagnostics::ProblemsDocument::new(sources, problems));
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
        CommandError::Stopped { kind, message, hints } => error_out(printer, kind.as_str(), message, hints, None),
        CommandError::Cloud(cloud) => error_out(printer, "aws", &cloud.to_string(), &cloud.hints(), Some(cloud)),
        CommandError::CloudWithHints { error: cloud, hints } => {
            let hints: Vec<String> = cloud.hints().into_iter().chain(hints.iter().cloned()).collect();
            error_out(printer, "aws", &cloud.to_string(), &hints, Some(cloud))
        }
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
/// script always gets one document: `{"schema_version": 2, "ok": false, "error": {kind, message,
/// hints, operation, resource}}` (`kind`: manifest, aws, plan, or a [`StopKind`]).
fn error_out(printer: &Printer, kind: &str, message: &str, hints: &[String], cloud: Option<&crate::cloud::CloudError>) {
    if printer.is_json() {
        printer.document(&crate::output::error_view::ErrorDocument::new(kind, message, hints, cloud));
    }
    printer.error(message, hints);
}

pub use crate::output::error_view::ERROR_SCHEMA_VERSION;
