//! Everything ecsdeploy prints. Data goes to stdout; progress, warnings and errors go to stderr.
//! No other module prints.

pub mod diagnostics;
pub mod doctor_view;
pub mod history_view;
pub mod import_view;
pub mod lock_view;
pub mod plan_view;
pub mod policy_view;
pub mod render_view;
pub mod rollout_view;
pub mod secrets_view;
pub mod stats_view;
pub mod status_view;

use std::io::{IsTerminal, Write};

/// `--output`: human text or machine JSON (on stdout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Where and how to print; built once from the global flags.
#[derive(Debug, Clone)]
pub struct Printer {
    pub format: OutputFormat,
    /// Colour on stderr (errors, warnings): `--color`, `NO_COLOR` and whether stderr is a terminal.
    pub color: bool,
    /// `-q`: no informational messages on stderr (errors and warnings still show).
    pub quiet: bool,
}

impl Printer {
    pub fn new(format: OutputFormat, color: ColorChoice, quiet: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stderr().is_terminal(),
        };
        Printer { format, color, quiet }
    }

    pub fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// Writes data to stdout.
    pub fn data(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`ecsdeploy render | head`) is not an error worth a panic.
        let _ = stdout.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stdout.write_all(b"\n");
        }
        let _ = stdout.flush();
    }

    /// Writes a JSON value to stdout, pretty-printed.
    pub fn json(&self, value: &serde_json::Value) {
        self.data(&serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into()));
    }

    /// An informational line on stderr, unless `--quiet`.
    pub fn info(&self, text: &str) {
        if !self.quiet {
            self.stderr(text);
        }
    }

    pub fn warning(&self, text: &str) {
        let label = self.paint("warning", "33");
        self.stderr(&format!("{label}: {text}"));
    }

    /// An error with optional `hint:` lines under it.
    pub fn error(&self, text: &str, hints: &[String]) {
        let label = self.paint("error", "31");
        let mut message = format!("{label}: {text}");
        for hint in hints {
            message.push_str(&format!("\n  {}: {hint}", self.paint("hint", "36")));
        }
        self.stderr(&message);
    }

    pub fn stderr(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stderr.write_all(b"\n");
        }
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.color { format!("\x1b[1;{code}m{text}\x1b[0m") } else { text.to_string() }
    }
}
