//! A TOML document as a tree of located values.
//!
//! The `toml` crate's span-carrying parser gives byte ranges but not the file; this tree carries
//! the file in every span so that values from `services.toml` and `environments/<env>.toml` can be
//! merged (environment overrides over service settings over `[defaults]`) and still say where each
//! value came from.

use super::problem::{Problem, Problems};
use super::source::{FileId, Span};
use std::collections::HashMap;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A located TOML value.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

/// A TOML value whose children are [`Node`]s.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Integer(i64),
    /// An integer beyond 64 bits, as written: no setting takes one, and the readers report it as
    /// out of range where they expect an integer.
    IntegerOutOfRange(String),
    Float(f64),
    Boolean(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Table),
}

/// A TOML table in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub entries: Vec<Entry>,
}

/// One `key = value` of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub node: Node,
}

impl Table {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.key == key)
    }
}

impl Value {
    /// The TOML type name, as used in messages ("expected an integer, found a string").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) | Value::IntegerOutOfRange(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a datetime",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// Parses one TOML file; `None` when it has a syntax error.
///
/// Only the first syntax error (in file order) is reported: the parser recovers and goes on, but after an
/// unclosed `[` or string what it reports, and the table it builds, mostly follow from that
/// first error (one missing `]` made 124 problems). The file is checked once it parses.
pub fn parse_document(file: FileId, text: &str, problems: &Problems) -> Option<Node> {
    let (document, errors) = DeTable::parse_recoverable(text);
    // The parser does not report in file order; the earliest is the one to fix first.
    if let Some(error) = errors.iter().min_by_key(|error| error.span().map_or(usize::MAX, |span| span.start)) {
        let range = error.span().unwrap_or(0..0);
        problems.push(
            Problem::error(Span::new(file, range), format!("invalid TOML: {}", error.message().trim())).with_help(
                "fix the TOML syntax at this position (see https://toml.io); the rest of this file is checked once it parses",
            ),
        );
        return None;
    }
    let span = Span::new(file, document.span());
    Some(Node { span, value: Value::Table(convert_table(file, document.get_ref())) })
}

fn convert_table(file: FileId, table: &DeTable<'_>) -> Table {
    let entries = table
        .iter()
        .map(|(key, value)| Entry {
            key: key.get_ref().to_string(),
            key_span: Span::new(file, key.span()),
            node: convert(file, value),
        })
        .collect();
    Table { entries }
}

fn convert(file: FileId, value: &Spanned<DeValue<'_>>) -> Node {
    let span = Span::new(file, value.span());
    let converted = match value.get_ref() {
        DeValue::String(text) => Value::String(text.to_string()),
        DeValue::Integer(integer) => match i64::from_str_radix(integer.as_str(), integer.radix()) {
            Ok(number) => Value::Integer(number),
            Err(_) => Value::IntegerOutOfRange(shortened(&integer.to_string())),
        },
        DeValue::Float(float) => Value::Float(float.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(flag) => Value::Boolean(*flag),
        DeValue::Datetime(datetime) => Value::Datetime(datetime.to_string()),
        DeValue::Array(array) => Value::Array(array.iter().map(|item| convert(file, item)).collect()),
        DeValue::Table(table) => Value::Table(convert_table(file, table)),
    };
    Node { span, value: converted }
}

/// `literal` as a message quotes it: a number of thousands of digits is cut to its first ones.
fn shortened(literal: &str) -> String {
    const SHOWN: usize = 40;
    match literal.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}...", &literal[..end]),
        None => literal.to_string(),
    }
}

/// Deep-merges `over` onto `base`: tables merge key by key, anything else in `over` replaces.
///
/// A merged table keeps the span of `base` (the section the user is most likely to look for), while
/// every leaf keeps the span of the file it came from.
pub fn merge(base: &Node, over: &Node) -> Node {
    match (&base.value, &over.value) {
        (Value::Table(base_table), Value::Table(over_table)) => {
            let mut entries = base_table.entries.clone();
            // By key, not by scanning: tables of thousands of keys would make a merge quadratic.
            let mut positions: HashMap<&str, usize> =
                base_table.entries.iter().enumerate().map(|(index, entry)| (entry.key.as_str(), index)).collect();
            for over_entry in &over_table.entries {
                match positions.get(over_entry.key.as_str()) {
                    Some(&index) => entries[index].node = merge(&entries[index].node, &over_entry.node),
                    None => {
                        positions.insert(over_entry.key.as_str(), entries.len());
                        entries.push(over_entry.clone());
                    }
                }
            }
            Node { span: base.span, value: Value::Table(Table { entries }) }
        }
        _ => over.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        let problems = Problems::default();
        let node = parse_document(FileId(0), text, &problems);
        assert!(problems.is_empty(), "{:?}", problems.into_vec());
        node.expect("parsed")
    }

    fn table(node: &Node) -> &Table {
        match &node.value {
            Value::Table(table) => table,
            other => panic!("expected a table, found {other:?}"),
        }
    }

    #[test]
    fn keeps_source_order_and_spans() {
        let text = "b = 1\na = \"x\"\n[t]\nc = [1, 2]\n";
        let node = parse(text);
        let keys: Vec<_> = table(&node).entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["b", "a", "t"]);
        let a = table(&node).get("a").unwrap();
        assert_eq!(&text[a.node.span.start..a.node.span.end], "\"x\"");
        assert_eq!(&text[a.key_span.start..a.key_span.end], "a");
    }

    #[test]
    fn reports_the_first_syntax_error_only() {
        let problems = Problems::default();
        let node = parse_document(FileId(0), "a = \nb = [1, 2\nc = \"x\nd = 4\n", &problems);
        assert_eq!(node, None);
        let problems = problems.into_vec();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].span.start, 4, "{problems:?}");
    }

    #[test]
    fn integers_beyond_64_bits_are_kept_as_written() {
        let node = parse("a = 99999999999999999999999\nb = -1\nc = 0xffffffffffffffffff\nd = 9223372036854775807\n");
        let values: Vec<_> = table(&node).entries.iter().map(|entry| entry.node.value.clone()).collect();
        assert_eq!(
            values,
            [
                Value::IntegerOutOfRange("99999999999999999999999".into()),
                Value::Integer(-1),
                Value::IntegerOutOfRange("0xffffffffffffffffff".into()),
                Value::Integer(i64::MAX),
            ]
        );
        let long = format!("a = {}", "9".repeat(5000));
        assert_eq!(
            table(&parse(&long)).entries[0].node.value,
            Value::IntegerOutOfRange(format!("{}...", "9".repeat(40)))
        );
    }

    #[test]
    fn hex_integers_parse() {
        let node = parse("a = 0x10");
        assert_eq!(table(&node).get("a").unwrap().node.value, Value::Integer(16));
    }

    #[test]
    fn merge_is_deep_for_tables_and_replaces_the_rest() {
        let base = parse("cpu = 256\ncommand = [\"a\"]\n[env]\nA = \"1\"\nB = \"2\"\n");
        let over = parse("cpu = 512\ncommand = [\"b\"]\n[env]\nB = \"3\"\nC = \"4\"\n");
        let merged = merge(&base, &over);
        let merged = table(&merged);
        assert_eq!(merged.get("cpu").unwrap().node.value, Value::Integer(512));
        let env = table(&merged.get("env").unwrap().node);
        let pairs: Vec<_> = env.entries.iter().map(|e| (e.key.as_str(), e.node.value.clone())).collect();
        assert_eq!(
            pairs,
            [("A", Value::String("1".into())), ("B", Value::String("3".into())), ("C", Value::String("4".into()))]
        );
        match &merged.get("command").unwrap().node.value {
            Value::Array(items) => assert_eq!(items.len(), 1),
            other => panic!("{other:?}"),
        }
    }
}
