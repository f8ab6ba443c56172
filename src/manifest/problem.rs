//! Problems found in a manifest: where, what is wrong, and what to do about it.
//!
//! Parsing and validation never stop at the first problem; they collect every one into
//! [`Problems`] so that a single `ecsdeploy validate` run shows them all.

use super::source::Span;
use std::cell::RefCell;

/// How bad a problem is: errors stop every command; warnings are shown and do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem at one place in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub span: Span,
    /// What is wrong, in one sentence without a trailing period.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// Other places that take part (the other side of a collision), with a short label each.
    pub related: Vec<(Span, String)>,
}

impl Problem {
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Problem { severity: Severity::Error, span, message: message.into(), help: None, related: Vec::new() }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Problem { severity: Severity::Warning, ..Problem::error(span, message) }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }
}

/// A collector of problems that readers share by reference.
///
/// Interior mutability lets nested table readers report without threading `&mut` through every call.
#[derive(Debug, Default)]
pub struct Problems {
    items: RefCell<Vec<Problem>>,
}

impl Problems {
    pub fn push(&self, problem: Problem) {
        self.items.borrow_mut().push(problem);
    }

    pub fn len(&self) -> usize {
        self.items.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.borrow().is_empty()
    }

    pub fn has_errors(&self) -> bool {
        self.items.borrow().iter().any(|problem| problem.severity == Severity::Error)
    }

    /// The problems in file and position order, each reported once.
    ///
    /// The same value can be checked several times (a `[defaults]` entry is read once per service
    /// and environment), so identical problems are collapsed.
    pub fn into_vec(self) -> Vec<Problem> {
        let mut items = self.items.into_inner();
        items.sort_by(|a, b| (a.span, a.severity, &a.message).cmp(&(b.span, b.severity, &b.message)));
        items.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        items
    }
}
