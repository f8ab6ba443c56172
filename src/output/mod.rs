//! Everything ecsdeploy prints. Data goes to stdout; progress, warnings and errors go to stderr.
//! No other module prints.

pub mod build_view;
pub mod diagnostics;
pub mod doctor_view;
pub mod error_view;
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

    /// Writes data to stdout, with control characters escaped (see [`escape_controls`]).
    pub fn data(&self, text: &str) {
        self.write_stdout(&escape_controls(text, Keep::Layout));
    }

    /// Writes a JSON value to stdout, pretty-printed.
    pub fn json(&self, value: &serde_json::Value) {
        self.write_stdout(&json_text(value, true));
    }

    /// A view's document on stdout, as [`Printer::json`] prints it.
    pub fn document(&self, document: &impl serde::Serialize) {
        match serde_json::to_value(document) {
            Ok(value) => self.json(&value),
            Err(error) => self.error(&format!("internal error: the JSON document cannot be written: {error}"), &[]),
        }
    }

    /// Writes a JSON value on one line of stderr (the events of `--output json` while gating).
    pub fn json_line_stderr(&self, value: &serde_json::Value) {
        self.write_stderr(&json_text(value, false));
    }

    /// An informational line on stderr, unless `--quiet`.
    pub fn info(&self, text: &str) {
        if !self.quiet {
            self.write_stderr(&escape_controls(text, Keep::Layout));
        }
    }

    pub fn warning(&self, text: &str) {
        let label = self.paint("warning", "33");
        self.write_stderr(&format!("{label}: {}", escape_controls(text, Keep::Layout)));
    }

    /// An error with optional `hint:` lines under it.
    pub fn error(&self, text: &str, hints: &[String]) {
        let label = self.paint("error", "31");
        let mut message = format!("{label}: {}", escape_controls(text, Keep::Layout));
        for hint in hints {
            message.push_str(&format!("\n  {}: {}", self.paint("hint", "36"), escape_controls(hint, Keep::Layout)));
        }
        self.write_stderr(&message);
    }

    /// Text on stderr, with control characters escaped; with colour on, colour codes (SGR,
    /// `ESC [ ... m`) pass.
    ///
    /// Only for text ecsdeploy composes: the manifest diagnostics, whose renderer escapes every
    /// piece that comes from outside before it adds its colours, prompts and statistics. Text
    /// from outside goes through [`Printer::info`], [`Printer::warning`] or [`Printer::error`],
    /// which escape everything.
    pub fn stderr(&self, text: &str) {
        let keep = if self.color { Keep::LayoutAndColours } else { Keep::Layout };
        self.write_stderr(&escape_controls(text, keep));
    }

    fn write_stdout(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`ecsdeploy render | head`) is not an error worth a panic.
        let _ = stdout.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stdout.write_all(b"\n");
        }
        let _ = stdout.flush();
    }

    fn write_stderr(&self, text: &str) {
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

/// Which control characters [`escape_controls`] leaves as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// None: the text is one line (a message, a label), where a newline would forge a line.
    Nothing,
    /// `\n` and `\t`: multi-line text ecsdeploy lays out.
    Layout,
    /// As `Layout`, and colour codes (`ESC [`, digits and `;`, `m`) too.
    LayoutAndColours,
}

/// `text` with every C0 and C1 control character and DEL written as `\u{1b}`, so that text from
/// outside (a lock message another operator wrote, a name AWS returned, a manifest value, an
/// argument echoed back) cannot move the cursor, clear the screen, retitle the window or hide
/// what follows it on a terminal. `keep` says which characters stay.
pub fn escape_controls(text: &str, keep: Keep) -> std::borrow::Cow<'_, str> {
    let is_kept = |character: char| matches!((character, keep), ('\n' | '\t', Keep::Layout | Keep::LayoutAndColours));
    if !text.chars().any(|character| character.is_control() && !is_kept(character)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(character) = rest.chars().next() {
        if keep == Keep::LayoutAndColours
            && let Some(length) = colour_code_length(rest)
        {
            escaped.push_str(&rest[..length]);
            rest = &rest[length..];
            continue;
        }
        if character.is_control() && !is_kept(character) {
            escaped.push_str(&format!("\\u{{{:x}}}", u32::from(character)));
        } else {
            escaped.push(character);
        }
        rest = &rest[character.len_utf8()..];
    }
    std::borrow::Cow::Owned(escaped)
}

/// The length of the colour code (SGR: `ESC [`, digits and `;`, `m`) `text` starts with, if any.
fn colour_code_length(text: &str) -> Option<usize> {
    let parameters = text.strip_prefix("\x1b[")?;
    let length = parameters.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
    (parameters[length..].starts_with('m')).then_some(2 + length + 1)
}

/// JSON text of `value`. serde escapes C0 controls; DEL and C1 controls, which JSON allows raw
/// but terminals may act on, are written as `\u009b` too (the same JSON).
fn json_text(value: &serde_json::Value, pretty: bool) -> String {
    let text = if pretty { serde_json::to_string_pretty(value) } else { serde_json::to_string(value) };
    let text = text.unwrap_or_else(|_| "null".into());
    let is_raw_control = |character: char| ('\u{7f}'..='\u{9f}').contains(&character);
    if !text.chars().any(is_raw_control) {
        return text;
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for character in text.chars() {
        if is_raw_control(character) {
            escaped.push_str(&format!("\\u{:04x}", u32::from(character)));
        } else {
            escaped.push(character);
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        let cases = [
            ("plain text", Keep::Layout, "plain text"),
            ("te\x1b[2Jst", Keep::Layout, "te\\u{1b}[2Jst"),
            ("a\nb\tc\rd", Keep::Layout, "a\nb\tc\\u{d}d"),
            ("a\nb\tc", Keep::Nothing, "a\\u{a}b\\u{9}c"),
            ("bell\x07 del\x7f csi\u{9b}31m", Keep::Layout, "bell\\u{7} del\\u{7f} csi\\u{9b}31m"),
            ("é ✓ 日本", Keep::Nothing, "é ✓ 日本"),
            ("\x1b[1;31mred\x1b[0m", Keep::LayoutAndColours, "\x1b[1;31mred\x1b[0m"),
            ("\x1b[1;31mred\x1b[0m", Keep::Layout, "\\u{1b}[1;31mred\\u{1b}[0m"),
            ("\x1b[2J\x1b]0;title\x07\x1b[", Keep::LayoutAndColours, "\\u{1b}[2J\\u{1b}]0;title\\u{7}\\u{1b}["),
        ];
        for (text, keep, expected) in cases {
            assert_eq!(escape_controls(text, keep), expected, "{text:?} {keep:?}");
        }
    }

    #[test]
    fn json_stays_json_without_raw_controls() {
        let value = serde_json::json!({"message": "a\u{1b}[31m b\u{9b} c\u{7f} d\n"});
        for pretty in [true, false] {
            let text = json_text(&value, pretty);
            assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
            assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
        }
    }
}
