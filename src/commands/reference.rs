//! `ecsdeploy completions SHELL` and `ecsdeploy man [--dir DIR]`: shell completions and man
//! pages generated from the CLI definition itself, so they can never disagree with `--help`.

use super::{CommandError, StopKind};
use crate::cli::{Cli, ManArgs};
use crate::exit_status::ExitStatus;
use crate::output::Printer;
use clap::CommandFactory;

pub fn completions(shell: clap_complete::Shell, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "ecsdeploy", &mut script);
    printer.data(String::from_utf8_lossy(&script).trim_end());
    Ok(ExitStatus::Success)
}

pub fn man(args: &ManArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let command = Cli::command();
    let failed = |error: std::io::Error| {
        CommandError::stopped(StopKind::Io, format!("cannot write the man page: {error}"), Vec::new())
    };
    match &args.dir {
        Some(directory) => {
            std::fs::create_dir_all(directory).map_err(failed)?;
            clap_mangen::generate_to(command, directory).map_err(failed)?;
            printer.info(&format!("wrote ecsdeploy.1 and a page per command to {}", directory.display()));
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page).map_err(failed)?;
            printer.data(String::from_utf8_lossy(&page).trim_end());
        }
    }
    Ok(ExitStatus::Success)
}
