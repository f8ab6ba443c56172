//! Typed reads from a TOML table that record every problem instead of stopping at the first.
//!
//! Serde stops at the first unknown key or wrong type; an operator fixing a manifest wants them
//! all at once. A [`TableReader`] hands out typed values key by key, reports wrong types at the
//! value, and when [`TableReader::finish`] is called reports every key nobody asked for.

use super::node::{Entry, Node, Table, Value};
use super::problem::{Problem, Problems};
use super::source::{Located, Span};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::RangeInclusive;

/// Reads keys of one table; see the module documentation.
pub struct TableReader<'a> {
    problems: &'a Problems,
    table: &'a Table,
    span: Span,
    /// How messages name this table, e.g. "[project]" or "service settings".
    section: String,
    used: RefCell<Vec<bool>>,
    /// Position of each key in `table`: a table of thousands of services is looked up once per
    /// service and environment, which a scan would make quadratic.
    positions: HashMap<&'a str, usize>,
    /// Keys whose value was present but unusable (already reported).
    failed: RefCell<Vec<String>>,
}

impl<'a> TableReader<'a> {
    /// A reader over `node`, or `None` (with a problem reported) when `node` is not a table.
    pub fn new(node: &'a Node, section: impl Into<String>, problems: &'a Problems) -> Option<Self> {
        let section = section.into();
        match &node.value {
            Value::Table(table) => Some(TableReader {
                problems,
                table,
                span: node.span,
                section,
                used: RefCell::new(vec![false; table.entries.len()]),
                positions: positions(table),
                failed: RefCell::new(Vec::new()),
            }),
            other => {
                problems.push(type_problem(node.span, &section, "a table", other));
                None
            }
        }
    }

    pub fn span(&self) -> Span {
        self.span
    }

    pub fn problems(&self) -> &'a Problems {
        self.problems
    }

    pub fn section(&self) -> &str {
        &self.section
    }

    /// The entry for `key`, marking it as known.
    pub fn entry(&self, key: &str) -> Option<&'a Entry> {
        let index = *self.positions.get(key)?;
        self.used.borrow_mut()[index] = true;
        self.table.entries.get(index)
    }

    /// Every entry not yet asked for, marking them as known (for free-form maps such as `env`).
    pub fn remaining(&self) -> Vec<&'a Entry> {
        let mut used = self.used.borrow_mut();
        let mut remaining = Vec::new();
        for (index, entry) in self.table.entries.iter().enumerate() {
            if !used[index] {
                used[index] = true;
                remaining.push(entry);
            }
        }
        remaining
    }

    pub fn report(&self, problem: Problem) {
        self.problems.push(problem);
    }

    /// Reports a problem with the value of `key` and remembers that the value is unusable.
    pub fn report_value(&self, key: &str, problem: Problem) {
        self.failed.borrow_mut().push(key.to_string());
        self.problems.push(problem);
    }

    /// Whether `key` was given but its value was unusable: checks that combine it with other
    /// values stand down instead of piling a second, misleading problem on the first.
    pub fn failed(&self, key: &str) -> bool {
        self.failed.borrow().iter().any(|failed| failed == key)
    }

    pub fn string(&self, key: &str) -> Option<Located<String>> {
        let entry = self.entry(key)?;
        self.expect_string(key, &entry.node)
    }

    fn expect_string(&self, key: &str, node: &Node) -> Option<Located<String>> {
        match &node.value {
            Value::String(text) => Some(Located::new(text.clone(), node.span)),
            other => {
                let mut problem = type_problem(node.span, &self.key_name(key), "a string", other);
                if matches!(
                    other,
                    Value::Integer(_) | Value::IntegerOutOfRange(_) | Value::Float(_) | Value::Boolean(_)
                ) {
                    problem = problem.with_help("put the value in double quotes");
                }
                self.report_value(key, problem);
                None
            }
        }
    }

    pub fn boolean(&self, key: &str) -> Option<Located<bool>> {
        let entry = self.entry(key)?;
        match &entry.node.value {
            Value::Boolean(flag) => Some(Located::new(*flag, entry.node.span)),
            other => {
                self.report_value(
                    key,
                    type_problem(entry.node.span, &self.key_name(key), "a boolean", other)
                        .with_help("write true or false, without quotes"),
                );
                None
            }
        }
    }

    /// An integer in `range`; `unit` names what it counts in messages ("seconds", "MiB").
    pub fn integer(&self, key: &str, range: RangeInclusive<i64>, unit: &str) -> Option<Located<i64>> {
        let entry = self.entry(key)?;
        self.expect_integer(key, &entry.node, range, unit)
    }

    fn expect_integer(&self, key: &str, node: &Node, range: RangeInclusive<i64>, unit: &str) -> Option<Located<i64>> {
        match &node.value {
            Value::Integer(number) if range.contains(number) => Some(Located::new(*number, node.span)),
            Value::Integer(number) => {
                self.report_value(key, self.out_of_range(key, node, &number.to_string(), range, unit));
                None
            }
            Value::IntegerOutOfRange(literal) => {
                self.report_value(key, self.out_of_range(key, node, literal, range, unit));
                None
            }
            other => {
                let mut problem = type_problem(node.span, &self.key_name(key), "an integer", other);
                if let Value::String(text) = other
                    && text.trim().parse::<i64>().is_ok()
                {
                    problem = problem.with_help(format!("remove the quotes: {key} = {}", text.trim()));
                }
                self.report_value(key, problem);
                None
            }
        }
    }

    fn out_of_range(&self, key: &str, node: &Node, number: &str, range: RangeInclusive<i64>, unit: &str) -> Problem {
        Problem::error(node.span, format!("`{}` is {number}, outside the range AWS accepts", self.key_name(key)))
            .with_help(format!("use {} to {} {unit}", range.start(), range.end()))
    }

    pub fn string_list(&self, key: &str) -> Option<Located<Vec<String>>> {
        let entry = self.entry(key)?;
        let Value::Array(items) = &entry.node.value else {
            self.report_value(
                key,
                type_problem(entry.node.span, &self.key_name(key), "an array of strings", &entry.node.value)
                    .with_help(format!("write a list: {key} = [\"...\", \"...\"]")),
            );
            return None;
        };
        let strings: Vec<_> = items.iter().filter_map(|item| self.expect_string(key, item)).collect();
        (strings.len() == items.len())
            .then(|| Located::new(strings.into_iter().map(|s| s.value).collect(), entry.node.span))
    }

    /// A table of string values (`env`, `tags`): keys and values located.
    pub fn string_map(&self, key: &str) -> Option<Vec<(Located<String>, Located<String>)>> {
        let entry = self.entry(key)?;
        let map = TableReader::new(&entry.node, format!("`{}`", self.key_name(key)), self.problems)?;
        Some(map.remaining_strings())
    }

    /// Every remaining entry of this table as a string pair.
    pub fn remaining_strings(&self) -> Vec<(Located<String>, Located<String>)> {
        self.remaining()
            .into_iter()
            .filter_map(|entry| {
                let value = self.expect_string(&entry.key, &entry.node)?;
                Some((Located::new(entry.key.clone(), entry.key_span), value))
            })
            .collect()
    }

    /// A reader over the sub-table `key`.
    pub fn table(&self, key: &str) -> Option<TableReader<'a>> {
        let entry = self.entry(key)?;
        TableReader::new(&entry.node, format!("`{}`", self.key_name(key)), self.problems)
    }

    /// Reports `key` as missing when `value` is `None` and no wrong-typed value was given.
    pub fn required<T>(&self, key: &str, value: Option<T>, help: &str) -> Option<T> {
        if value.is_none() && self.table.get(key).is_none() {
            self.report(
                Problem::error(self.span, format!("missing required key `{key}` in {}", self.section))
                    .with_help(help.to_string()),
            );
        }
        value
    }

    /// The dotted name of `key` for messages, e.g. `health_check.interval`.
    pub fn key_name(&self, key: &str) -> String {
        match self.section.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
            Some(parent) => format!("{parent}.{key}"),
            None => key.to_string(),
        }
    }

    /// Reports every key that no read asked for, suggesting the nearest known key.
    pub fn finish(&self, known: &[&str]) {
        let used = self.used.borrow().clone();
        for (entry, was_used) in self.table.entries.iter().zip(used) {
            if was_used {
                continue;
            }
            let help = match closest(&entry.key, known) {
                Some(candidate) => format!("did you mean `{candidate}`?"),
                None => format!("known keys: {}", known.join(", ")),
            };
            self.problems.push(
                Problem::error(entry.key_span, format!("unknown key `{}` in {}", entry.key, self.section))
                    .with_help(help),
            );
        }
    }
}

/// The position of each key of `table` (the first, should a key appear twice).
fn positions(table: &Table) -> HashMap<&str, usize> {
    let mut positions = HashMap::with_capacity(table.entries.len());
    for (index, entry) in table.entries.iter().enumerate() {
        positions.entry(entry.key.as_str()).or_insert(index);
    }
    positions
}

/// "`port` must be an integer, found a string".
pub fn type_problem(span: Span, what: &str, expected: &str, found: &Value) -> Problem {
    let what = if what.starts_with('`') || what.starts_with('[') { what.to_string() } else { format!("`{what}`") };
    Problem::error(span, format!("{what} must be {expected}, found {}", found.type_name()))
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
pub fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let limit = |candidate: &str| (candidate.len() / 3).max(1);
    let length = word.chars().count();
    candidates
        .iter()
        // The distance is at least the difference in length: most candidates need no table.
        .filter(|candidate| length.abs_diff(candidate.chars().count()) <= limit(candidate))
        .map(|candidate| (edit_distance(word, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= limit(candidate))
        .min()
        .map(|(_, candidate)| candidate)
}

/// Edit distance where swapping two neighbours counts as one edit (optimal string alignment):
/// `auht` is one typo away from `auth`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    // Keys are short; a pathological input must not allocate a table of its length squared.
    const LIMIT: usize = 64;
    let a: Vec<char> = a.chars().take(LIMIT).collect();
    let b: Vec<char> = b.chars().take(LIMIT).collect();
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in table.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in table[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[i - 1][j] + 1).min(table[i][j - 1] + 1).min(table[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[i - 2][j - 2] + 1);
            }
            table[i][j] = best;
        }
    }
    table[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::super::node::parse_document;
    use super::super::source::FileId;
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(closest("cpus", &["cpu", "memory"]), Some("cpu"));
        assert_eq!(closest("memroy", &["cpu", "memory"]), Some("memory"));
        assert_eq!(closest("banana", &["cpu", "memory"]), None);
        assert_eq!(closest("auht", &["auth", "gmail"]), Some("auth"));
        assert_eq!(edit_distance("ab", "ba"), 1);
    }

    #[test]
    fn reports_every_problem_in_a_table() {
        let problems = Problems::default();
        let node = parse_document(FileId(0), "port = \"8080\"\ncpus = 1\nname = 5\n", &problems).unwrap();
        let reader = TableReader::new(&node, "[t]", &problems).unwrap();
        assert_eq!(reader.integer("port", 1..=65535, ""), None);
        assert_eq!(reader.string("name"), None);
        assert_eq!(reader.required("image", reader.string("image"), "name an image"), None);
        reader.finish(&["port", "name", "image", "cpu"]);
        let messages: Vec<_> = problems.into_vec().into_iter().map(|p| (p.message, p.help)).collect();
        assert_eq!(messages.len(), 4, "{messages:#?}");
        assert!(messages.iter().any(|(m, h)| m == "`port` must be an integer, found a string"
            && h.as_deref() == Some("remove the quotes: port = 8080")));
        assert!(messages.iter().any(|(m, _)| m == "unknown key `cpus` in [t]"));
        assert!(messages.iter().any(|(m, _)| m == "missing required key `image` in [t]"));
    }
}
