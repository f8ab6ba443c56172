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
#[derive(Debug, Args)]
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
    #[arg(long, global = true, env = "ECSDEPLOY_REGION")]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (a local emulator); AWS_ENDPOINT_URL works too.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
}

/// The commands; each is a verb.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the manifest and report every problem, without calling AWS.
    Validate,
    /// Show the desired state of an environment exactly as the AWS APIs would receive it, without
    /// calling AWS.
    Render(RenderArgs),
    /// Show which account, region, endpoint and credentials would be used, and check each AWS API
    /// ecsdeploy needs is reachable.
    Doctor(DoctorArgs),
    /// Read the environment from AWS and show what `up` would change. Changes nothing.
    Plan(PlanArgs),
    /// Make the environment match the manifest: show the plan, ask (or take --yes), apply it.
    Up(ChangeArgs),
    /// Remove everything the environment owns (shared resources stay while another environment
    /// uses them).
    Destroy(ChangeArgs),
    /// Create the ECR repositories the environment's images come from (scan on push, immutable
    /// tags, lifecycle policy), so that images can be pushed before the first `up`.
    Repositories(ChangeArgs),
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

/// Arguments of `up` and `destroy`.
#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// The environment (a file name under environments/ without .toml).
    #[arg(short, long)]
    pub env: String,
    /// Apply without asking. Required when not run from a terminal.
    #[arg(short, long)]
    pub yes: bool,
    /// How many services to change at once.
    #[arg(long, default_value_t = crate::apply::DEFAULT_PARALLELISM)]
    pub parallelism: usize,
    /// Print AWS API calls per service and operation and the time of each phase (stderr).
    #[arg(long)]
    pub stats: bool,
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

/// Arguments of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also check the account and region against this environment's manifest.
    #[arg(short, long)]
    pub env: Option<String>,
}
