//! A validator for exactly the subset of JSON Schema (draft 2020-12) that `docs/schemas/` uses,
//! so that the `--output json` contract is checked without a schema crate.
//!
//! Supported: `type` (a name or a list of names), `properties`, `required`,
//! `additionalProperties` (a boolean or a schema), `items`, `enum`, `const`, `$ref` to
//! `#/$defs/<name>`, `$defs` (at the root), `oneOf`, `anyOf`, `minimum`, and the annotations
//! `$schema`, `$id`, `title`, `description`. Any other keyword is an error, found before any
//! instance is looked at: a schema can never leave part of a document silently unchecked.

use serde_json::{Map, Value};

/// Keywords that only annotate.
const ANNOTATIONS: [&str; 4] = ["$schema", "$id", "title", "description"];

/// Keywords that constrain an instance.
const ASSERTIONS: [&str; 11] = [
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "const",
    "$ref",
    "oneOf",
    "anyOf",
    "minimum",
];

const TYPE_NAMES: [&str; 7] = ["null", "boolean", "object", "array", "number", "integer", "string"];

/// Checks `instance` against `schema`; every problem found, each as `<instance path>: <what>`
/// (or `schema <schema path>: <what>` when the schema itself is outside the subset).
pub fn validate(schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
    check_schema(schema)?;
    let mut errors = Vec::new();
    Validator { root: schema }.validate(schema, instance, "", &mut errors);
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Checks that `schema` uses only the supported keywords, well formed, and that every `$ref`
/// names a definition that exists.
pub fn check_schema(schema: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    let definitions = schema.get("$defs").and_then(Value::as_object);
    SchemaChecker { definitions }.check(schema, "#", true, &mut errors);
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

struct SchemaChecker<'a> {
    definitions: Option<&'a Map<String, Value>>,
}

impl SchemaChecker<'_> {
    fn check(&self, schema: &Value, path: &str, is_root: bool, errors: &mut Vec<String>) {
        let Some(keywords) = schema.as_object() else {
            errors.push(format!("schema {path}: a schema must be an object, not {schema}"));
            return;
        };
        for (keyword, value) in keywords {
            let at = format!("{path}/{keyword}");
            match keyword.as_str() {
                "$defs" if is_root => self.check_map(value, &at, errors),
                "$defs" => errors.push(format!("schema {at}: $defs is supported only at the root")),
                "$schema" | "$id" | "title" | "description" => expect(value.is_string(), &at, "a string", errors),
                "type" => check_type(value, &at, errors),
                "properties" => self.check_map(value, &at, errors),
                "required" => expect(is_array_of(value, Value::is_string), &at, "an array of strings", errors),
                "additionalProperties" if value.is_boolean() => {}
                "additionalProperties" | "items" => self.check(value, &at, false, errors),
                "enum" => {
                    expect(value.as_array().is_some_and(|values| !values.is_empty()), &at, "a non-empty array", errors)
                }
                "const" => {}
                "$ref" => self.check_reference(value, &at, errors),
                "oneOf" | "anyOf" => self.check_list(value, &at, errors),
                "minimum" => expect(value.is_number(), &at, "a number", errors),
                unknown => {
                    errors.push(format!("schema {at}: unknown keyword `{unknown}` (supported: {})", supported()))
                }
            }
        }
    }

    fn check_map(&self, value: &Value, path: &str, errors: &mut Vec<String>) {
        let Some(schemas) = value.as_object() else {
            errors.push(format!("schema {path}: must be an object of schemas"));
            return;
        };
        for (name, schema) in schemas {
            self.check(schema, &format!("{path}/{name}"), false, errors);
        }
    }

    fn check_list(&self, value: &Value, path: &str, errors: &mut Vec<String>) {
        match value.as_array().filter(|schemas| !schemas.is_empty()) {
            Some(schemas) => {
                for (index, schema) in schemas.iter().enumerate() {
                    self.check(schema, &format!("{path}/{index}"), false, errors);
                }
            }
            None => errors.push(format!("schema {path}: must be a non-empty array of schemas")),
        }
    }

    fn check_reference(&self, value: &Value, path: &str, errors: &mut Vec<String>) {
        let name = value.as_str().and_then(|reference| reference.strip_prefix("#/$defs/"));
        match name {
            Some(name) if self.definitions.is_some_and(|definitions| definitions.contains_key(name)) => {}
            Some(name) => errors.push(format!("schema {path}: no definition `{name}` in the root $defs")),
            None => errors.push(format!("schema {path}: only references of the form \"#/$defs/<name>\" are supported")),
        }
    }
}

fn check_type(value: &Value, path: &str, errors: &mut Vec<String>) {
    let is_type_name = |name: &Value| name.as_str().is_some_and(|name| TYPE_NAMES.contains(&name));
    let valid = is_type_name(value) || is_array_of(value, is_type_name);
    expect(valid, path, &format!("one of {} or an array of them", TYPE_NAMES.join(", ")), errors);
}

fn is_array_of(value: &Value, predicate: impl Fn(&Value) -> bool) -> bool {
    value.as_array().is_some_and(|values| values.iter().all(predicate))
}

fn expect(holds: bool, path: &str, what: &str, errors: &mut Vec<String>) {
    if !holds {
        errors.push(format!("schema {path}: must be {what}"));
    }
}

fn supported() -> String {
    ANNOTATIONS.iter().chain(&ASSERTIONS).chain(&["$defs"]).copied().collect::<Vec<_>>().join(", ")
}

/// Applies a checked schema; `root` resolves `$ref`s.
struct Validator<'a> {
    root: &'a Value,
}

impl Validator<'_> {
    fn validate(&self, schema: &Value, instance: &Value, path: &str, errors: &mut Vec<String>) {
        let Some(keywords) = schema.as_object() else { return };
        if !validate_value(keywords, instance, path, errors) {
            return;
        }
        if let Some(name) = keywords.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
            self.validate(&self.root["$defs"][name], instance, path, errors);
        }
        self.validate_alternatives(keywords, instance, path, errors);
        if let Some(object) = instance.as_object() {
            self.validate_object(keywords, object, path, errors);
        }
        if let (Some(items), Some(elements)) = (keywords.get("items"), instance.as_array()) {
            for (index, element) in elements.iter().enumerate() {
                self.validate(items, element, &format!("{path}/{index}"), errors);
            }
        }
    }

    fn validate_object(
        &self,
        keywords: &Map<String, Value>,
        object: &Map<String, Value>,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        let at = if path.is_empty() { "/" } else { path };
        let properties = keywords.get("properties").and_then(Value::as_object);
        for name in keywords.get("required").and_then(Value::as_array).into_iter().flatten() {
            if let Some(name) = name.as_str().filter(|name| !object.contains_key(*name)) {
                errors.push(format!("{at}: missing required field `{name}`"));
            }
        }
        for (name, value) in object {
            let field_path = format!("{path}/{name}");
            match (properties.and_then(|properties| properties.get(name)), keywords.get("additionalProperties")) {
                (Some(schema), _) => self.validate(schema, value, &field_path, errors),
                (None, Some(Value::Bool(false))) => errors.push(format!("{at}: field `{name}` is not in the schema")),
                (None, Some(schema)) => self.validate(schema, value, &field_path, errors),
                (None, None) => {}
            }
        }
    }

    /// `oneOf`: exactly one alternative holds; `anyOf`: at least one.
    fn validate_alternatives(
        &self,
        keywords: &Map<String, Value>,
        instance: &Value,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        let at = if path.is_empty() { "/" } else { path };
        for keyword in ["oneOf", "anyOf"] {
            let Some(alternatives) = keywords.get(keyword).and_then(Value::as_array) else { continue };
            let outcomes: Vec<Vec<String>> = alternatives
                .iter()
                .map(|alternative| {
                    let mut found = Vec::new();
                    self.validate(alternative, instance, path, &mut found);
                    found
                })
                .collect();
            let holding = outcomes.iter().filter(|found| found.is_empty()).count();
            if holding == 0 {
                let reasons: Vec<String> = outcomes
                    .iter()
                    .enumerate()
                    .map(|(index, found)| format!("[{index}] {}", found.join("; ")))
                    .collect();
                errors.push(format!("{at}: matches none of the {keyword} alternatives: {}", reasons.join(" | ")));
            } else if keyword == "oneOf" && holding > 1 {
                errors.push(format!("{at}: matches {holding} of the oneOf alternatives, not exactly one"));
            }
        }
    }
}

/// `type`, `enum`, `const` and `minimum`; false when the type is wrong (nothing else is checked).
fn validate_value(keywords: &Map<String, Value>, instance: &Value, path: &str, errors: &mut Vec<String>) -> bool {
    let at = if path.is_empty() { "/" } else { path };
    if let Some(types) = keywords.get("type")
        && !type_names(types).iter().any(|name| has_type(instance, name))
    {
        errors.push(format!("{at}: expected type {}, found {}", type_names(types).join(" or "), type_of(instance)));
        return false;
    }
    if let Some(allowed) = keywords.get("enum").and_then(Value::as_array)
        && !allowed.contains(instance)
    {
        errors.push(format!("{at}: {instance} is not one of {}", Value::Array(allowed.clone())));
    }
    if let Some(expected) = keywords.get("const")
        && expected != instance
    {
        errors.push(format!("{at}: expected {expected}, found {instance}"));
    }
    if let (Some(minimum), Some(number)) = (keywords.get("minimum").and_then(Value::as_f64), instance.as_f64())
        && number < minimum
    {
        errors.push(format!("{at}: {number} is below the minimum {minimum}"));
    }
    true
}

fn type_names(types: &Value) -> Vec<&str> {
    match types {
        Value::String(name) => vec![name.as_str()],
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn has_type(instance: &Value, name: &str) -> bool {
    match name {
        "null" => instance.is_null(),
        "boolean" => instance.is_boolean(),
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "number" => instance.is_number(),
        "integer" => {
            instance.is_i64() || instance.is_u64() || instance.as_f64().is_some_and(|number| number.fract() == 0.0)
        }
        "string" => instance.is_string(),
        _ => false,
    }
}

fn type_of(instance: &Value) -> &'static str {
    match instance {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
