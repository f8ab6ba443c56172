//! The command line, defined once with clap derive (completions and man page come from here too).

use crate::output::{ColorChoice, OutputFormat};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Plan, apply and health-gate deployments of containerized services on Amazon ECS Fargate.
#[derive(Debug, Parser)]
#[command(name = "ecsdeploy", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalOptions {
    /// Directory holding services.toml and environments/.
    #[arg(short = 'f', long, global = true, env = "ECSDEPLOY_MANIFEST_DIR", default_value = ".")]
    pub manifest_dir: PathBuf,
    /// Output format of the command's result on stdout.
    #[arg(short = 'o', long, global = true, value_enum, default_value = "text")]
    pub output: OutputFormat,
    /// Colour on stderr; NO_COLOR is honoured with `auto`.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// More logging on stderr (-v debug, -vv trace); RUST_LOG wins when set.
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors and warnings on stderr.
    #[arg(short = 'q', long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// AWS region (default: the manifest's project.region, then the AWS configuration).
    #[arg(long, global = true, env = "ECSDEPLOY_REGION", value_parser = region_argument)]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (a local emulator); AWS_ENDPOINT_URL works too.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// How long one AWS request may wait for its answer before it is retried, then reported as
    /// timed out (e.g. 20s; default 20s). Connecting has 5 s, one call with its retries 2 min.
    #[arg(long, global = true, env = "ECSDEPLOY_AWS_TIMEOUT")]
    pub aws_timeout: Option<String>,
}

/// `--region` (or `ECSDEPLOY_REGION`): a region code. An empty or malformed one is a usage error
/// here, where it can be said which flag is wrong, instead of an SDK endpoint error from the
/// first AWS call (or `region ,` in what `render` prints).
fn region_argument(text: &str) -> Result<String, String> {
    match crate::manifest::aws_names::region(text) {
        Ok(()) => Ok(text.to_string()),
        Err(reason) => Err(format!(
            "not an AWS region: {reason}\n  hint: leave --region (and ECSDEPLOY_REGION) out to use the manifest's [project] region or the AWS configuration"
        )),
    }
}

/// The commands; each is a verb.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the manifest and report every problem, without calling AWS.
    Validate,
    /// Show the desired state of an environment exactly as the AWS APIs would receive it, without
    /// calling AWS.
    Render(RenderArgs),
    /// Print the least-privilege IAM policy of the principal that deploys this environment (for
    /// CI's role), without calling AWS.
    Policy(PolicyArgs),
    /// Show which account, region, endpoint and credentials would be used, and check each AWS API
    /// ecsdeploy needs is reachable.
    Doctor(DoctorArgs),
    /// Read the environment from AWS and show what `up` would change. Changes nothing.
    Plan(PlanArgs),
    /// Make the environment match the manifest: show the plan, ask (or take --yes), apply it,
    /// and gate every rollout on health, rolling back to the last good revision on failure.
    Up(UpArgs),
    /// Remove everything the environment owns (shared resources stay while another environment
    /// uses them).
    Destroy(EnvironmentChangeArgs),
    /// Create the ECR repositories the environment's images come from (scan on push, immutable
    /// tags, lifecycle policy), so that images can be pushed before the first `up`.
    Repositories(EnvironmentChangeArgs),
    /// Put services back on their last good deploy (or the one named by --to), gated like `up`.
    Rollback(RollbackArgs),
    /// Show the deployment history of an environment (from AWS, the same for every operator).
    History(HistoryArgs),
    /// Show each service's tasks, revision, images, rollout, target health, last deploy and
    /// whether the live state drifted from the manifest.
    Status(StatusArgs),
    /// The secrets the environment's services use: list them (never their values), or set one
    /// from stdin or a file (never from the command line).
    Secrets(SecretsArgs),
    /// Build the images of the services with a build section with the container CLI, tag them
    /// with the git commit and push them to ECR (a tag ECR already has is not rebuilt).
    Build(BuildArgs),
    /// The environment's deploy lock: who holds it (status), take it by hand (acquire), release
    /// it (release).
    Lock(LockArgs),
    /// Git hooks: `install` a pre-push hook that deploys what is pushed to an environment's
    /// branch (and fails the push when the deploy fails); `uninstall` it.
    Hook(HookArgs),
    /// Print the shell completion script for SHELL (e.g. `ecsdeploy completions bash >
    /// /etc/bash_completion.d/ecsdeploy`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command to --dir.
    Man(ManArgs),
    /// Write a commented starter manifest (services.toml and environments test, stage, prod) to
    /// the manifest directory (-f DIR).
    Init(InitArgs),
    /// Bring a running ECS service (made in the console, by ecspresso or Terraform) under
    /// ecsdeploy: write the manifest entry that reproduces it and tag its resources as the
    /// environment's, so that the next plan is empty.
    Import(ImportArgs),
}

/// Arguments of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The project name (lower-case; goes into tags and the names of shared resources).
    #[arg(long)]
    pub project: String,
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// The Route53 hosted zone (default: <project>.example).
    #[arg(long)]
    pub zone: Option<String>,
    /// The production domain; other environments get <env>.<domain> (default: api.<zone>).
    #[arg(long)]
    pub domain: Option<String>,
    /// A service to start with; repeatable (default: web).
    #[arg(long)]
    pub service: Vec<String>,
    /// Overwrite manifest files that exist.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write ecsdeploy.1 and ecsdeploy-<command>.1 here instead of printing ecsdeploy.1.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Arguments of `hook`.
#[derive(Debug, Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub command: HookCommand,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install the pre-push hook in the repository holding the manifest (-f DIR).
    Install {
        /// Only pushes to this remote deploy (a push to a fork or a mirror deploys nothing).
        #[arg(long, default_value = "origin")]
        remote: String,
    },
    /// Remove it, putting back a hook it replaced.
    Uninstall,
}

/// Arguments of `build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The environment (a file name under environments/ without .toml).
    #[arg(short, long)]
    pub env: String,
    /// Only these services (manifest names); repeatable. Default: every service with a build.
    #[arg(short, long)]
    pub service: Vec<String>,
    /// Allow uncommitted changes in prod (the tag is marked -dirty).
    #[arg(long)]
    pub allow_dirty: bool,
}

/// Arguments of `secrets`.
#[derive(Debug, Args)]
pub struct SecretsArgs {
    #[command(subcommand)]
    pub command: SecretsCommand,
}

/// `secrets list` and `secrets set`.
#[derive(Debug, clap::Subcommand)]
pub enum SecretsCommand {
    /// Every secret the environment's services use: current version, versions, last change,
    /// rotation and which services use it. Never a value.
    List {
        /// The environment (a file name under environments/ without .toml).
        #[arg(short, long)]
        env: String,
    },
    /// Set a secret's value, read from stdin (one trailing newline dropped) or --from-file
    /// (as is): creates the secret, tagged as ecsdeploy's, or adds a new current version to one
    /// ecsdeploy created. `up` then restarts the services that use it.
    Set {
        /// The environment (a file name under environments/ without .toml).
        #[arg(short, long)]
        env: String,
        /// The secret as services.toml names it (`auth/jwt`); the environment's secret_prefix
        /// applies (`stage/auth/jwt`).
        name: String,
        /// Read the value from this file instead of stdin.
        #[arg(long)]
        from_file: Option<std::path::PathBuf>,
        /// Set it even though it rotates automatically (its rotation function may not know).
        #[arg(long)]
        while_rotating: bool,
    },
}

/// Arguments of `rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The environment (a file name under environments/ without .toml).
    #[arg(short, long)]
    pub env: String,
    /// Only these services (manifest names, e.g. auth); repeatable. Default: every service.
    #[arg(short, long)]
    pub service: Vec<String>,
    /// The history record to go back to (its ID from `ecsdeploy history`), instead of the last
    /// good deploy before the one running.
    #[arg(long)]
    pub to: Option<String>,
    /// Roll back without asking. Required when not run from a terminal.
    #[arg(short, long)]
    pub yes: bool,
    /// How many services to roll back at once.
    #[arg(long, default_value_t = crate::apply::DEFAULT_PARALLELISM)]
    pub parallelism: usize,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub lock: LockWaitArgs,
}

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The environment the service belongs to; its name must start with the environment's
    /// prefix (`stage-billing` in stage becomes service `billing`).
    #[arg(short, long)]
    pub env: String,
    /// The ECS cluster the service runs in: the manifest's cluster (ecsdeploy deploys to one).
    #[arg(long)]
    pub cluster: String,
    /// The ECS service's name.
    #[arg(long)]
    pub service: String,
    /// Show the entry, the resources it would tag and the plan that would follow; change
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import even when the entry cannot reproduce the service exactly (the next `up` then
    /// makes the changes the preview lists).
    #[arg(long)]
    pub accept_differences: bool,
    /// Write and tag without asking. Required when not run from a terminal.
    #[arg(short, long)]
    pub yes: bool,
    #[command(flatten)]
    pub lock: LockWaitArgs,
}

/// Arguments of `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The environment (a file name under environments/ without .toml).
    #[arg(short, long)]
    pub env: String,
    /// Only these services (manifest names); repeatable. Default: every service.
    #[arg(short, long)]
    pub service: Vec<String>,
    /// At most this many records per service, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The environment (a file name under environments/ without .toml).
    #[arg(short, long)]
    pub env: String,
    /// Print AWS API calls per service and operation and the time of each phase (stderr).
    #[arg(long)]
    pub stats: bool,
}

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The environment (a file name under environments/ without .toml).
    #[arg(short, long)]
    pub env: String,
    /// Exit 0 when there are no changes, 2 when there are, 1 on errors.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print AWS API calls per service and operation and the time of each phase (stderr).
    #[arg(long)]
    pub stats: bool,
}

/// Arguments of `up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// The environment (a file name under environments/ without .toml).
    #[arg(short, long, required_unless_present = "git_ref")]
    pub env: Option<String>,
    /// Deploy what this git ref holds (a branch such as `stage` or `refs/heads/stage`): the
    /// environment whose `branch` it is, with the manifest as of its commit. A branch no
    /// environment deploys from is not an error: nothing happens. For git hooks.
    #[arg(long)]
    pub git_ref: Option<String>,
    /// With --git-ref: the commit to deploy (what a hook was told is pushed) instead of the
    /// commit the ref points at.
    #[arg(long, requires = "git_ref")]
    pub commit: Option<String>,
    #[command(flatten)]
    pub change: ChangeArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    /// Leave a failed rollout as it is instead of rolling back (also on Ctrl-C).
    #[arg(long)]
    pub no_rollback: bool,
    /// When one service fails its gate, roll back every service this run changed.
    #[arg(long, conflicts_with = "no_rollback")]
    pub atomic: bool,
    /// Deploy images whose scan findings reach the environment's block_findings_at (each is
    /// still listed as a warning).
    #[arg(long)]
    pub allow_vulnerable: bool,
    /// First build and push the images of the services with a build section (tagged with the
    /// git commit; a tag ECR has is not rebuilt), then deploy those tags.
    #[arg(long)]
    pub build: bool,
    /// With --build: allow uncommitted changes in prod (the tag is marked -dirty).
    #[arg(long, requires = "build")]
    pub allow_dirty: bool,
}

/// How rollouts are watched (`up`, `rollback`).
#[derive(Debug, Args)]
pub struct GateArgs {
    /// How often to look at a rollout, e.g. "5s" or "500ms" (default: the manifest's
    /// deployment.poll_interval).
    #[arg(long, env = "ECSDEPLOY_POLL_INTERVAL")]
    pub poll_interval: Option<String>,
    /// How long each rollout (and each rollback) may take before it counts as failed, e.g.
    /// "15m" (default: the manifest's deployment.timeout).
    #[arg(long, env = "ECSDEPLOY_ROLLOUT_TIMEOUT")]
    pub rollout_timeout: Option<String>,
    /// Base URL of the services' HTTP checks instead of https://<environment domain>, e.g. to
    /// check through a tunnel or a local stand-in.
    #[arg(long, env = "ECSDEPLOY_HEALTH_CHECK_BASE_URL")]
    pub health_check_base_url: Option<String>,
}

/// Arguments of `destroy` and `repositories`.
#[derive(Debug, Args)]
pub struct EnvironmentChangeArgs {
    /// The environment (a file name under environments/ without .toml).
    #[arg(short, long)]
    pub env: String,
    #[command(flatten)]
    pub change: ChangeArgs,
}

/// What every changing command (`up`, `destroy`, `repositories`) takes.
#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// Apply without asking. Required when not run from a terminal.
    #[arg(short, long)]
    pub yes: bool,
    /// How many services to change at once. The gates of the rollouts started all run
    /// together (their polls share DescribeServices calls).
    #[arg(long, default_value_t = crate::apply::DEFAULT_PARALLELISM)]
    pub parallelism: usize,
    /// Print AWS API calls per service and operation and the time of each phase (stderr).
    #[arg(long)]
    pub stats: bool,
    #[command(flatten)]
    pub lock: LockWaitArgs,
}

/// How a changing command treats an environment another run has locked.
#[derive(Debug, Args)]
pub struct LockWaitArgs {
    /// When another run holds the environment's deploy lock, wait up to this long for it (e.g.
    /// "10m") instead of stopping at once with exit code 5.
    #[arg(long, env = "ECSDEPLOY_LOCK_WAIT")]
    pub lock_wait: Option<String>,
}

/// Arguments of `lock`.
#[derive(Debug, Args)]
pub struct LockArgs {
    #[command(subcommand)]
    pub command: LockCommand,
}

#[derive(Debug, Subcommand)]
pub enum LockCommand {
    /// Who holds the environment's deploy lock, since when and until when.
    Status {
        /// The environment (a file name under environments/ without .toml).
        #[arg(short, long)]
        env: String,
    },
    /// Take the lock by hand (a change freeze): `up`, `rollback`, `destroy` and `repositories` are
    /// refused until it is released or expires. It is not renewed.
    Acquire {
        /// The environment (a file name under environments/ without .toml).
        #[arg(short, long)]
        env: String,
        /// Why: shown to everyone the lock turns away.
        #[arg(short, long)]
        message: Option<String>,
        /// How long it lasts, e.g. "2h" (default 1h).
        #[arg(long)]
        ttl: Option<String>,
    },
    /// Release a lock taken by hand with `lock acquire` by the same user and AWS identity, or any
    /// lock with --force (for a run that is known to be gone).
    Release {
        /// The environment (a file name under environments/ without .toml).
        #[arg(short, long)]
        env: String,
        /// Release it whoever holds it.
        #[arg(long)]
        force: bool,
    },
}

/// Arguments of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The environment (a file name under environments/ without .toml).
    #[arg(short, long)]
    pub env: String,
    /// Only this service (its manifest name, e.g. auth).
    #[arg(short, long)]
    pub service: Option<String>,
    /// Account ID to put in ARNs (default: the manifest's project.account_id, else a placeholder).
    #[arg(long)]
    pub account_id: Option<String>,
}

/// Arguments of `policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The environment (a file name under environments/ without .toml).
    #[arg(short, long)]
    pub env: String,
    /// Account ID to put in ARNs (default: the manifest's project.account_id, else `*`).
    #[arg(long)]
    pub account_id: Option<String>,
}

/// Arguments of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also check the account and region against this environment's manifest.
    #[arg(short, long)]
    pub env: Option<String>,
}
