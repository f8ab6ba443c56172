//! The manifest's source files and positions in them.
//!
//! Every value read from the manifest keeps a [`Span`] naming its file and byte range, so that a
//! problem found long after parsing (a path collision between two environments, say) still points
//! at `environments/stage.toml:12:7`.

use std::fmt;
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub usize);

/// A byte range in one manifest file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, range: std::ops::Range<usize>) -> Self {
        Span { file, start: range.start, end: range.end.max(range.start) }
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Located<T> {
    pub fn new(value: T, span: Span) -> Self {
        Located { value, span }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Located<U> {
        Located { value: f(self.value), span: self.span }
    }
}

impl<T: fmt::Display> fmt::Display for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// One manifest file: the name shown to the user (relative to the manifest directory) and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<String>,
}

/// A 1-based line and column (in characters) of a position in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// All files of one manifest.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: String) -> FileId {
        self.files.push(SourceFile { name: name.into(), text: Arc::new(text) });
        FileId(self.files.len() - 1)
    }

    /// Every file, `services.toml` first.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0)
    }

    pub fn name(&self, id: FileId) -> &str {
        self.file(id).map(|f| f.name.as_str()).unwrap_or("<unknown>")
    }

    /// Line and column of the start of `span`; positions past the end clamp to the last character.
    pub fn line_column(&self, span: Span) -> LineColumn {
        let Some(file) = self.file(span.file) else {
            return LineColumn { line: 1, column: 1 };
        };
        line_column(&file.text, span.start)
    }

    /// `file:line:col` of the start of `span`.
    pub fn locate(&self, span: Span) -> String {
        let position = self.line_column(span);
        format!("{}:{}:{}", self.name(span.file), position.line, position.column)
    }
}

/// Line and column (1-based, column counted in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> LineColumn {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    LineColumn { line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters_not_bytes() {
        let text = "a = 1\nb = \"é\" x\n";
        assert_eq!(line_column(text, 0), LineColumn { line: 1, column: 1 });
        assert_eq!(line_column(text, 6), LineColumn { line: 2, column: 1 });
        // 'x' sits after a two-byte character.
        let x = text.find('x').unwrap();
        assert_eq!(line_column(text, x), LineColumn { line: 2, column: 9 });
    }

    #[test]
    fn line_column_clamps_out_of_range_offsets() {
        assert_eq!(line_column("ab", 99), LineColumn { line: 1, column: 3 });
        // Inside a multi-byte character: moves back to its start.
        assert_eq!(line_column("é", 1), LineColumn { line: 1, column: 1 });
    }
}
