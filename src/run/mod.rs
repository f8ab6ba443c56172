//! What a command's run against one environment holds and shares: the [`session`] (the checked
//! manifest, AWS, the desired state), the deploy lock it holds ([`lock`], [`shared_lock`]), the
//! rollouts it gates and records ([`rollouts`], [`unverified`], [`scan_gate`]), who deploys
//! ([`deployer`], [`git`], [`git_ref`]), and why a run stopped ([`CommandError`]). The commands
//! in `crate::commands` are made of these.

pub mod deployer;
pub mod git;
pub mod git_ref;
pub mod lock;
pub mod rollouts;
pub mod scan_gate;
pub mod session;
pub mod shared_lock;
pub mod unverified;

use crate::checked::{self, CheckedManifest};
use crate::manifest::ManifestError;
use crate::output::{Printer, diagnostics};

/// Why a command stopped; printed by `commands::report`, never by the command itself.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The manifest is missing, unreadable or has errors.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The run stopped before doing anything it should not, for the reason `kind` names.
    #[error("{message}")]
    Stopped { kind: StopKind, message: String, hints: Vec<String> },
    /// An AWS call failed; the message names the operation and the resource.
    #[error(transparent)]
    Cloud(#[from] crate::cloud::CloudError),
    /// An AWS call failed, and the command knows what usually causes it there.
    #[error("{error}")]
    CloudWithHints { error: Box<crate::cloud::CloudError>, hints: Vec<String> },
    /// No plan can be made (prerequisites missing, resources not ecsdeploy's).
    #[error(transparent)]
    Plan(crate::plan::PlanError),
    /// Another run holds the environment's deploy lock.
    #[error("environment {} is locked by another run", .0.environment)]
    Locked(Box<crate::deploy_lock::DeployLock>),
}

/// Why a run stopped, as the error document's `kind` says it (besides `manifest`, `aws`,
/// `plan`): so that a script can tell a typo from a refusal, a full disk or a lost lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// The command line asked for something that does not exist or is not allowed.
    Usage,
    /// A change needs `--yes` or a `yes` typed on a terminal, and had neither.
    Confirmation,
    /// ecsdeploy will not do it: it would change what is not its own, lose data, or deploy
    /// what the environment forbids.
    Refused,
    /// A file could not be read or written.
    Io,
    /// git could not answer (not a repository, an unknown commit).
    Git,
    /// This run lost the deploy lock and stopped before changing anything more.
    LockLost,
    /// Building or pushing an image failed.
    Build,
    /// The machine lacks something ecsdeploy needs (the system's TLS certificates).
    System,
    /// A bug in ecsdeploy: a state that cannot happen.
    Internal,
}

impl StopKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StopKind::Usage => "usage",
            StopKind::Confirmation => "confirmation",
            StopKind::Refused => "refused",
            StopKind::Io => "io",
            StopKind::Git => "git",
            StopKind::LockLost => "lock-lost",
            StopKind::Build => "build",
            StopKind::System => "system",
            StopKind::Internal => "internal",
        }
    }
}

impl CommandError {
    /// The command line asked for something that does not exist or is not allowed.
    pub fn usage(message: impl Into<String>, hints: Vec<String>) -> Self {
        CommandError::stopped(StopKind::Usage, message, hints)
    }

    pub fn stopped(kind: StopKind, message: impl Into<String>, hints: Vec<String>) -> Self {
        CommandError::Stopped { kind, message: message.into(), hints }
    }
}

/// `--aws-timeout` / `ECSDEPLOY_AWS_TIMEOUT`, checked before any AWS call.
pub fn aws_timeout(global: &crate::cli::GlobalOptions) -> Result<std::time::Duration, CommandError> {
    crate::cloud::sdk_config::answer_timeout(global.aws_timeout.as_deref())
        .map_err(|message| CommandError::usage(message, vec!["write e.g. --aws-timeout 20s".into()]))
}

/// Loads and checks the manifest, printing its warnings.
pub fn load_manifest(cli: &crate::cli::GlobalOptions, printer: &Printer) -> Result<CheckedManifest, CommandError> {
    let checked = checked::load(&cli.manifest_dir)?;
    if !checked.warnings.is_empty() && !printer.is_json() {
        printer.stderr(diagnostics::render_text(&checked.sources, &checked.warnings, printer.color).trim_end());
    }
    Ok(checked)
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
