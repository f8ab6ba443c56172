//! Manifest problems for people (miette reports with the TOML source, `file:line:col`, and a
//! `help:`) and for programs (JSON with file, line, column, message and help).

use crate::manifest::{Problem, Severity, SourceMap, Span};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// Version of the JSON shape of problems (`validate --output json`).
pub const PROBLEMS_SCHEMA_VERSION: u32 = 1;

/// One problem located for display.
#[derive(Debug, Serialize)]
pub struct LocatedProblem {
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedLocation>,
}

/// Another place that takes part in a problem (the other side of a collision).
#[derive(Debug, Serialize)]
pub struct RelatedLocation {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub label: String,
}

pub fn locate(sources: &SourceMap, problem: &Problem) -> LocatedProblem {
    let position = sources.line_column(problem.span);
    LocatedProblem {
        severity: problem.severity,
        file: sources.name(problem.span.file).to_string(),
        line: position.line,
        column: position.column,
        message: problem.message.clone(),
        help: problem.help.clone(),
        related: problem
            .related
            .iter()
            .map(|(span, label)| {
                let position = sources.line_column(*span);
                RelatedLocation {
                    file: sources.name(span.file).to_string(),
                    line: position.line,
                    column: position.column,
                    label: label.clone(),
                }
            })
            .collect(),
    }
}

/// Renders problems as miette reports, then a summary line.
pub fn render_text(sources: &SourceMap, problems: &[Problem], color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut output = String::new();
    for problem in problems {
        let diagnostic = ProblemDiagnostic::new(sources, problem);
        let mut rendered = String::new();
        if handler.render_report(&mut rendered, &diagnostic).is_err() {
            rendered = format!("{}: {}\n", sources.locate(problem.span), problem.message);
        }
        output.push_str(&rendered);
        output.push('\n');
    }
    output.push_str(&summary(problems));
    output
}

/// "2 errors and 1 warning in the manifest".
pub fn summary(problems: &[Problem]) -> String {
    let errors = problems.iter().filter(|p| p.severity == Severity::Error).count();
    let warnings = problems.len() - errors;
    let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    match (errors, warnings) {
        (0, 0) => "no problems in the manifest".to_string(),
        (0, w) => format!("{} in the manifest", plural(w, "warning")),
        (e, 0) => format!("{} in the manifest", plural(e, "error")),
        (e, w) => format!("{} and {} in the manifest", plural(e, "error"), plural(w, "warning")),
    }
}

/// A [`Problem`] as a miette diagnostic over its file's text.
struct ProblemDiagnostic {
    message: String,
    help: Option<String>,
    severity: Severity,
    source: Option<NamedSource<Arc<String>>>,
    labels: Vec<LabeledSpan>,
}

impl ProblemDiagnostic {
    fn new(sources: &SourceMap, problem: &Problem) -> Self {
        let file = sources.file(problem.span.file);
        let mut labels = vec![LabeledSpan::new_primary_with_span(Some("here".to_string()), to_miette(problem.span))];
        let mut notes = Vec::new();
        for (span, label) in &problem.related {
            if span.file == problem.span.file {
                labels.push(LabeledSpan::new_with_span(Some(label.clone()), to_miette(*span)));
            } else {
                notes.push(format!("{label}: {}", sources.locate(*span)));
            }
        }
        let help = match (&problem.help, notes.is_empty()) {
            (help, true) => help.clone(),
            (Some(help), false) => Some(format!("{help}\n{}", notes.join("\n"))),
            (None, false) => Some(notes.join("\n")),
        };
        ProblemDiagnostic {
            message: problem.message.clone(),
            help,
            severity: problem.severity,
            source: file.map(|file| NamedSource::new(file.name.clone(), file.text.clone())),
            labels,
        }
    }
}

fn to_miette(span: Span) -> miette::SourceSpan {
    (span.start, span.end.saturating_sub(span.start)).into()
}

impl fmt::Display for ProblemDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for ProblemDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProblemDiagnostic {}

impl Diagnostic for ProblemDiagnostic {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        Some(Box::new(self.labels.iter().cloned()))
    }
}
