//! `ecsdeploy validate`: every problem of the manifest in one run, without calling AWS.

use super::CommandError;
use crate::checked;
use crate::cli::GlobalOptions;
use crate::exit_status::ExitStatus;
use crate::output::diagnostics::ProblemsDocument;
use crate::output::{Printer, diagnostics};

pub fn run(global: &GlobalOptions, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let checked = checked::load(&global.manifest_dir)?;
    if printer.is_json() {
        printer.document(&ProblemsDocument::new(&checked.sources, &checked.warnings));
        return Ok(ExitStatus::Success);
    }
    if !checked.warnings.is_empty() {
        printer.stderr(diagnostics::render_text(&checked.sources, &checked.warnings, printer.color).trim_end());
    }
    let manifest = &checked.manifest;
    let services = manifest.service_names.len();
    let environments = manifest.environment_names().join(", ");
    printer.data(&format!(
        "The manifest is valid: {services} service{} in environments {environments}.",
        if services == 1 { "" } else { "s" }
    ));
    Ok(ExitStatus::Success)
}
