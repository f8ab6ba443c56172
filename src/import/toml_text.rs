//! Manifest text `import` writes: TOML sections appended to the files people edit, so the text
//! is plain (one `[header]` per table, no inline tables), commented, and keys are quoted only
//! when TOML needs it.

/// A value of a manifest setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TomlValue {
    String(String),
    Integer(i64),
    Boolean(bool),
    Strings(Vec<String>),
}

impl TomlValue {
    pub fn string(value: impl Into<String>) -> Self {
        TomlValue::String(value.into())
    }

    pub fn strings(values: &[String]) -> Self {
        TomlValue::Strings(values.to_vec())
    }

    fn text(&self) -> String {
        match self {
            TomlValue::String(value) => quoted(value),
            TomlValue::Integer(value) => value.to_string(),
            TomlValue::Boolean(value) => value.to_string(),
            TomlValue::Strings(values) => {
                format!("[{}]", values.iter().map(|value| quoted(value)).collect::<Vec<_>>().join(", "))
            }
        }
    }
}

/// One `[header]` table with its comments and settings, in the order they were set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub header: String,
    comments: Vec<String>,
    entries: Vec<(String, TomlValue)>,
}

impl Section {
    pub fn new(header: String) -> Self {
        Section { header, comments: Vec::new(), entries: Vec::new() }
    }

    pub fn comment(&mut self, line: String) {
        self.comments.push(line);
    }

    pub fn set(&mut self, key: &str, value: TomlValue) {
        self.entries.retain(|(existing, _)| existing != key);
        self.entries.push((key.to_string(), value));
    }

    /// The keys set, in order.
    pub fn keys(&self) -> Vec<String> {
        self.entries.iter().map(|(key, _)| key.clone()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.comments {
            out.push_str(&format!("# {line}\n"));
        }
        let header: Vec<String> = self.header.split('.').map(key).collect();
        out.push_str(&format!("[{}]\n", header.join(".")));
        for (name, value) in &self.entries {
            out.push_str(&format!("{} = {}\n", key(name), value.text()));
        }
        out
    }
}

/// Sections as one block of text, separated by blank lines, ready to append to a file.
pub fn block(sections: &[Section]) -> String {
    sections.iter().map(Section::text).collect::<Vec<_>>().join("\n")
}

/// `existing` with `block` appended after one blank line.
pub fn appended(existing: &str, block: &str) -> String {
    let mut text = existing.trim_end_matches('\n').to_string();
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(block);
    text
}

/// A bare key when TOML allows one, else a quoted key.
fn key(name: &str) -> String {
    let bare = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { name.to_string() } else { quoted(name) }
}

/// A basic string with TOML's escapes.
fn quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_valid_toml_that_reads_back() {
        let mut section = Section::new("services.billing".into());
        section.comment("imported".into());
        section.set("image", TomlValue::string("repo/app:1 \"quoted\" \\ back\nslash"));
        section.set("port", TomlValue::Integer(8080));
        section.set("enabled", TomlValue::Boolean(false));
        section.set("command", TomlValue::strings(&["sh".into(), "-c".into()]));
        let mut tags = Section::new("services.billing.tags".into());
        tags.set("team:name", TomlValue::string("billing"));
        let text = appended("[project]\nname = \"acme\"\n\n\n", &block(&[section, tags]));
        let parsed: toml::Table = toml::from_str(&text).expect("valid TOML");
        let billing = &parsed["services"]["billing"];
        assert_eq!(billing["image"].as_str(), Some("repo/app:1 \"quoted\" \\ back\nslash"));
        assert_eq!(billing["port"].as_integer(), Some(8080));
        assert_eq!(billing["tags"]["team:name"].as_str(), Some("billing"));
        assert!(text.starts_with("[project]\nname = \"acme\"\n\n# imported\n[services.billing]\n"), "{text}");
    }
}
