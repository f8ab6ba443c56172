//! Manifest problems for people (miette reports with the TOML source, `file:line:col`, and a
//! `help:`) and for programs (JSON with file, line, column, message and help).

use super::{Keep, escape_controls};
use crate::manifest::{FileId, Problem, Severity, SourceMap, Span};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, NamedSource,
    SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;
use std::collections::HashMap;
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
///
/// Everything that comes from outside (messages and help quoting manifest values, file names, the
/// manifest text itself) has its control characters escaped before miette adds its own colours,
/// so the result can go to a terminal.
pub fn render_text(sources: &SourceMap, problems: &[Problem], color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut shown_files: HashMap<FileId, Arc<ShownSource>> = HashMap::new();
    let mut output = String::new();
    for problem in problems {
        let diagnostic = ProblemDiagnostic::new(sources, problem, &mut shown_files);
        let mut rendered = String::new();
        if handler.render_report(&mut rendered, &diagnostic).is_err() {
            let location = escape_controls(&sources.locate(problem.span), Keep::Nothing).into_owned();
            rendered = format!("{location}: {}\n", diagnostic.message);
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

/// How far (in lines) another place of a problem may be from the problem to be shown in the same
/// snippet; further away it is named in a note (`file:line:col`), as places in other files are.
/// miette shows the labels of one file in one snippet with every line between them: a collision
/// between the first and the last of 2,000 services would otherwise print the whole file.
const NEARBY_LINES: usize = 12;

/// A problem on a line longer than this many bytes (or next to one) is shown without its snippet,
/// its place in the message: a 1 MB value would otherwise print 1 MB, twice (line and underline).
const LONGEST_SHOWN_LINE: usize = 1000;

/// A [`Problem`] as a miette diagnostic over its file's text.
struct ProblemDiagnostic {
    message: String,
    help: Option<String>,
    severity: Severity,
    source: Option<NamedSource<Arc<ShownSource>>>,
    labels: Vec<LabeledSpan>,
}

impl ProblemDiagnostic {
    fn new(sources: &SourceMap, problem: &Problem, shown_files: &mut HashMap<FileId, Arc<ShownSource>>) -> Self {
        let file = sources.file(problem.span.file);
        let shown = file.map(|file| {
            shown_files.entry(problem.span.file).or_insert_with(|| Arc::new(ShownSource::new(&file.text))).clone()
        });
        let line = |span: Span| shown.as_ref().map_or(0, |shown| shown.line_of(shown.offset(span.start)));
        let (nearby, far): (Vec<_>, Vec<_>) = problem.related.iter().partition(|(span, _)| {
            span.file == problem.span.file && line(*span).abs_diff(line(problem.span)) <= NEARBY_LINES
        });
        let spans: Vec<Span> = std::iter::once(problem.span).chain(nearby.iter().map(|(span, _)| *span)).collect();
        let shown = shown.filter(|shown| shown.can_show(&spans));
        let locate = |span: Span| escape_controls(&sources.locate(span), Keep::Nothing).into_owned();
        let label = |label: &str| escape_controls(label, Keep::Nothing).into_owned();
        let mut message = escape_controls(&problem.message, Keep::Nothing).into_owned();
        let mut labels = Vec::new();
        let mut notes: Vec<String> =
            far.iter().map(|(span, text)| format!("{}: {}", label(text), locate(*span))).collect();
        match &shown {
            Some(shown) => {
                labels.push(LabeledSpan::new_primary_with_span(Some("here".to_string()), shown.span(problem.span)));
                for (span, text) in &nearby {
                    labels.push(LabeledSpan::new_with_span(Some(label(text)), shown.span(*span)));
                }
            }
            None => {
                // No snippet: the message says where.
                message = format!("{}: {message}", locate(problem.span));
                notes.extend(nearby.iter().map(|(span, text)| format!("{}: {}", label(text), locate(*span))));
            }
        }
        let help = problem.help.as_ref().map(|help| escape_controls(help, Keep::Layout).into_owned());
        let help = match (help, notes.is_empty()) {
            (help, true) => help,
            (Some(help), false) => Some(format!("{help}\n{}", notes.join("\n"))),
            (None, false) => Some(notes.join("\n")),
        };
        ProblemDiagnostic {
            // A message is one sentence: a newline in a quoted value must not forge a line.
            message,
            help,
            severity: problem.severity,
            source: file
                .zip(shown)
                .map(|(file, shown)| NamedSource::new(escape_controls(&file.name, Keep::Nothing), shown)),
            labels,
        }
    }
}

/// A manifest file as the reports show it: control characters escaped (a byte range of the file
/// maps to its place in the escaped text), and its lines indexed once, so that each report reads
/// only the lines around its span. (miette's own reading of a `String` walks the text from its
/// start for every report: with many problems in a large manifest, the time grows with their
/// product.)
#[derive(Debug)]
struct ShownSource {
    text: String,
    /// Offsets in `text` where lines begin, the first being 0.
    line_starts: Vec<usize>,
    /// For each escaped character: its end in the file's text, and how many bytes the escapes up
    /// to and including it added.
    growth: Vec<(usize, usize)>,
}

impl ShownSource {
    fn new(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut growth = Vec::new();
        let mut added = 0;
        for (offset, character) in original.char_indices() {
            let is_line_end = character == '\r' && original[offset + 1..].starts_with('\n');
            let kept = !character.is_control() || matches!(character, '\n' | '\t') || is_line_end;
            if kept {
                text.push(character);
                continue;
            }
            let escaped = escape_controls(&original[offset..offset + character.len_utf8()], Keep::Nothing);
            text.push_str(&escaped);
            added += escaped.len() - character.len_utf8();
            growth.push((offset + character.len_utf8(), added));
        }
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(offset, _)| offset + 1)).collect();
        ShownSource { text, line_starts, growth }
    }

    /// Where `offset` of the file's text is in the shown text.
    fn offset(&self, offset: usize) -> usize {
        let escaped_before = self.growth.partition_point(|(end, _)| *end <= offset);
        offset + escaped_before.checked_sub(1).map_or(0, |last| self.growth[last].1)
    }

    fn span(&self, span: Span) -> SourceSpan {
        let start = self.offset(span.start);
        (start, self.offset(span.end).saturating_sub(start)).into()
    }

    /// Whether a snippet of `spans` (of the file's text) has no line too long to show, counting
    /// the line of context miette adds on each side.
    fn can_show(&self, spans: &[Span]) -> bool {
        let lines =
            || spans.iter().flat_map(|span| [span.start, span.end]).map(|offset| self.line_of(self.offset(offset)));
        let (Some(first), Some(last)) = (lines().min(), lines().max()) else { return true };
        let last = (last + 1).min(self.line_starts.len() - 1);
        (first.saturating_sub(1)..=last).all(|line| {
            let end = self.line_starts.get(line + 1).copied().unwrap_or(self.text.len());
            end - self.line_starts[line] <= LONGEST_SHOWN_LINE
        })
    }

    /// The 0-based line holding `offset` of the shown text.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|start| *start <= offset).saturating_sub(1)
    }
}

impl SourceCode for ShownSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let end = span.offset().checked_add(span.len()).ok_or(MietteError::OutOfBounds)?;
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        // The lines the span covers and its context, read as miette reads any text.
        let first_line = self.line_of(span.offset()).saturating_sub(context_lines_before);
        let last_line = self.line_of(end.saturating_sub(1).max(span.offset())) + context_lines_after + 1;
        let window_start = self.line_starts[first_line];
        let window_end = self.line_starts.get(last_line + 1).copied().unwrap_or(self.text.len());
        let window = &self.text[window_start..window_end];
        let inner_span = SourceSpan::new((span.offset() - window_start).into(), span.len());
        let inner = window.read_span(&inner_span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new(
            inner.data(),
            SourceSpan::new((inner.span().offset() + window_start).into(), inner.span().len()),
            inner.line() + first_line,
            inner.column(),
            // As miette counts it for a string: lines from the start of the text (so the labels
            // of one file always join into one snippet; see `NEARBY_LINES`).
            inner.line_count() + first_line,
        )))
    }
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

/// `validate --output json` (and any command's invalid manifest):
/// `{"schema_version": 1, "valid": false, "problems": [...]}`.
#[derive(Debug, serde::Serialize)]
pub struct ProblemsDocument {
    pub schema_version: u32,
    pub valid: bool,
    pub problems: Vec<LocatedProblem>,
}

impl ProblemsDocument {
    pub fn new(sources: &SourceMap, problems: &[Problem]) -> Self {
        ProblemsDocument {
            schema_version: PROBLEMS_SCHEMA_VERSION,
            valid: !problems.iter().any(|problem| problem.severity == crate::manifest::Severity::Error),
            problems: problems.iter().map(|problem| locate(sources, problem)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of 100 lines `kN = N`, and the span of `needle` in it.
    fn hundred_lines() -> (SourceMap, impl Fn(&str) -> Span) {
        let text: String = (0..100).map(|index| format!("k{index} = {index}\n")).collect();
        let mut sources = SourceMap::default();
        let file = sources.add("services.toml", text.clone());
        let at = move |needle: &str| {
            let start = text.find(needle).expect("needle");
            Span::new(file, start..start + needle.len())
        };
        (sources, at)
    }

    #[test]
    fn a_distant_related_place_is_a_note_not_every_line_between() {
        let (sources, at) = hundred_lines();
        let problem = Problem::error(at("k90 "), "collides").with_related(at("k3 "), "the other one");
        let rendered = render_text(&sources, &[problem], false);
        assert!(rendered.lines().count() < 15, "{rendered}");
        assert!(rendered.contains("[services.toml:91:1]"), "{rendered}");
        assert!(rendered.contains("the other one: services.toml:4:1"), "{rendered}");
    }

    #[test]
    fn a_nearby_related_place_shares_the_snippet() {
        let (sources, at) = hundred_lines();
        let problem = Problem::error(at("k20 "), "collides").with_related(at("k17 "), "the other one");
        let rendered = render_text(&sources, &[problem], false);
        assert!(rendered.contains("╰── the other one"), "{rendered}");
        assert!(!rendered.contains("services.toml:18:1"), "{rendered}");
    }

    #[test]
    fn control_characters_of_the_file_are_shown_escaped_and_spans_follow_them() {
        let mut sources = SourceMap::default();
        let text = "a = \"\u{1b}[2J\"\nb\u{7} = 1\r\nc = 2\n";
        let file = sources.add("services.toml", text.to_string());
        let start = text.find("c =").expect("c");
        let problem = Problem::error(Span::new(file, start..start + 1), "here is c");
        let rendered = render_text(&sources, &[problem], false);
        assert!(!rendered.chars().any(|c| c.is_control() && c != '\n'), "{rendered:?}");
        assert!(rendered.contains("b\\u{7} = 1"), "{rendered}");
        assert!(rendered.contains("[services.toml:3:1]"), "{rendered}");
        // The label sits under `c`, the first character of its line.
        assert!(rendered.contains(" 3 │ c = 2\n   · ┬"), "{rendered}");
    }
}
