//! The `ecsdeploy` binary: parse the command line, set up logging, run, exit with the status.

use clap::Parser;
use ecsdeploy::cli::Cli;
use ecsdeploy::output::Printer;
use std::process::ExitCode;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    let printer = Printer::new(cli.global.output, cli.global.color, cli.global.quiet);
    init_tracing(cli.global.verbose, cli.global.quiet, printer.color);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            printer.error(&format!("cannot start the async runtime: {error}"), &[]);
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async {
        tokio::select! {
            status = ecsdeploy::commands::run(&cli, &printer) => exit_code(status),
            code = stopped(&printer) => {
                ecsdeploy::run::lock::release_at_exit(&printer).await;
                ExitCode::from(code)
            }
        }
    })
}

/// The run's exit code: its status, or the signal's code (130/143) when a signal stopped its
/// gates and the rollback it asked for went through. A failed rollback (4) still says that a
/// person is needed.
fn exit_code(status: ecsdeploy::exit_status::ExitStatus) -> ExitCode {
    use ecsdeploy::exit_status::ExitStatus;
    match ecsdeploy::interrupt::signal_exit_code() {
        Some(code) if status != ExitStatus::RollbackFailed => ExitCode::from(code),
        _ => status.into(),
    }
}

/// A command line clap refused: its message (with the usage line) on stderr, exit 1.
///
/// clap would exit 2, and 2 is `plan --detailed-exitcode`'s "changes pending": a typo in a CI
/// script must never read as pending changes, so a usage error is an error like any other (as
/// terraform's are). `--help` and `--version` print on stdout and exit 0, as clap does.
fn usage_error(error: clap::Error) -> ExitCode {
    let is_information =
        matches!(error.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion);
    // Printing to a closed pipe is the only way this fails; the exit code still tells.
    let _ = error.print();
    if is_information {
        return ExitCode::SUCCESS;
    }
    ExitCode::from(ecsdeploy::exit_status::ExitStatus::Failure.code())
}

/// Resolves, with the exit code, when the run should stop at once. Ctrl-C (SIGINT, 130) and
/// SIGTERM (a CI job cancelled, a container stopped; 143) are treated alike: before rollouts are
/// gated the first one stops the run; while they are gated the first one stops waiting and rolls
/// back what the run started, and only a second one stops at once. Either way the deploy lock is
/// released on the way out.
async fn stopped(printer: &Printer) -> u8 {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    loop {
        #[cfg(unix)]
        let (code, name) = tokio::select! {
            result = tokio::signal::ctrl_c() => match result {
                Ok(()) => (130, "interrupted"),
                Err(_) => std::future::pending().await,
            },
            Some(()) = async {
                match terminate.as_mut() {
                    Some(signal) => signal.recv().await,
                    None => std::future::pending().await,
                }
            } => (143, "terminated"),
        };
        #[cfg(not(unix))]
        let (code, name) = match tokio::signal::ctrl_c().await {
            Ok(()) => (130, "interrupted"),
            Err(_) => std::future::pending().await,
        };
        if !ecsdeploy::interrupt::take(code) {
            printer.error(
                &format!("{name}: stopped at once; what was in flight is left to ECS (see `ecsdeploy status`)"),
                &[],
            );
            return code;
        }
        printer.warning(&format!("{name}: rolling back what this run started; Ctrl-C again to stop at once"));
    }
}

/// Logs go to stderr: ecsdeploy's warnings by default, `-v` debug (and the SDK's warnings), `-vv`
/// trace; `RUST_LOG` wins.
///
/// The SDK's own warnings stay out of the default output: without credentials it logs one ~1 KB
/// line per client and provider, and every failure it warns about reaches the user anyway as
/// ecsdeploy's error naming the call.
fn init_tracing(verbose: u8, quiet: bool, color: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "ecsdeploy=error",
        (false, 0) => "ecsdeploy=warn",
        (false, 1) => "ecsdeploy=debug,warn",
        (false, _) => "ecsdeploy=trace,aws=debug,info",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Defence in depth: whatever RUST_LOG says, the SDK's trace-level request logs never print
    // (a request may carry a secret value on its way to PutSecretValue; today's SDK does not log
    // bodies, and tests/e2e/secrets.rs checks that a traced `secrets set` shows no value).
    let no_request_traces = filter_fn(|metadata| {
        !(*metadata.level() == tracing::Level::TRACE && metadata.target().starts_with("aws_smithy_runtime"))
    });
    let layer = fmt::layer().with_writer(std::io::stderr).with_ansi(color).without_time();
    tracing_subscriber::registry().with(layer.with_filter(filter).with_filter(no_request_traces)).init();
}
