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
    /// Byte offsets where lines begin, the first being 0: positions are found by a binary search
    /// instead of counting from the start of the text for each problem.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Line and column (1-based, column counted in characters) of byte `offset`; positions past
    /// the end clamp to the end, positions inside a character move back to its start.
    pub fn line_column(&self, offset: usize) -> LineColumn {
        let text = self.text.as_str();
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|start| *start <= offset).max(1);
        let line_start = self.line_starts[line - 1];
        LineColumn { line, column: text[line_start..offset].chars().count() + 1 }
    }
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
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(offset, _)| offset + 1)).collect();
        self.files.push(SourceFile { name: name.into(), text: Arc::new(text), line_starts });
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
        match self.file(span.file) {
            Some(file) => file.line_column(span.start),
            None => LineColumn { line: 1, column: 1 },
        }
    }

    /// `file:line:col` of the start of `span`.
    pub fn locate(&self, span: Span) -> String {
        let position = self.line_column(span);
        format!("{}:{}:{}", self.name(span.file), position.line, position.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_column(text: &str, offset: usize) -> LineColumn {
        let mut sources = SourceMap::default();
        let file = sources.add("services.toml", text.to_string());
        sources.line_column(Span::new(file, offset..offset))
    }

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
