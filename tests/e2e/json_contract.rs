//! The `--output json` contract (docs/json-output.md): every document ecsdeploy prints on stdout,
//! and every progress event it prints on stderr, checked against its schema in docs/schemas/
//! (with the subset validator of tests/support/json_schema.rs), from real runs against the
//! emulator: validate, repositories, plan, up, status, history, secrets list, the lock commands,
//! a run refused by the lock (exit 5), a second deploy, rollback, and a rollout rolled back
//! (exit 3).

use crate::support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use support::{Run, TestAccount, json_schema, root, run};

/// Every schema file, by document kind.
const KINDS: [&str; 11] =
    ["plan", "up", "rollback", "status", "history", "secrets-list", "lock", "validate", "event", "error", "import"];

/// The schema version ecsdeploy prints of each kind of document (1 unless listed).
const CURRENT: [(&str, u32); 1] = [("error", 2)];

/// Schema files of earlier versions, kept for readers of old output.
const EARLIER: [&str; 1] = ["error.v1.schema.json"];

fn version(kind: &str) -> u32 {
    CURRENT.iter().find(|(current, _)| *current == kind).map_or(1, |(_, version)| *version)
}

/// The file name of the current schema of `kind`.
fn file(kind: &str) -> String {
    format!("{kind}.v{}.schema.json", version(kind))
}

fn schema(kind: &str) -> Value {
    schema_file(&file(kind))
}

fn schema_file(name: &str) -> Value {
    let path = root().join(format!("docs/schemas/{name}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Checks the exit code and that stdout is one `kind` document; returns the document.
fn checked(kind: &str, result: &Run, code: i32) -> Value {
    assert_eq!(result.code, code, "{kind}: {}", result.transcript());
    let document = result.json();
    if let Err(errors) = json_schema::validate(&schema(kind), &document) {
        panic!(
            "stdout does not match docs/schemas/{}:\n  {}\n{}",
            file(kind),
            errors.join("\n  "),
            result.transcript()
        );
    }
    document
}

/// The stderr lines that are JSON events, each checked against the event schema.
fn events(result: &Run) -> Vec<Value> {
    let schema = schema("event");
    let parse = |line: &str| -> Value {
        let event = serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
        if let Err(errors) = json_schema::validate(&schema, &event) {
            panic!("event does not match docs/schemas/event.v1.schema.json:\n  {}\n{line}", errors.join("\n  "));
        }
        event
    };
    result.stderr.lines().filter(|line| line.starts_with('{')).map(parse).collect()
}

/// The names of `events`, each once, sorted.
fn event_names(events: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = events.iter().map(|event| event["event"].as_str().unwrap().to_string()).collect();
    names.sort();
    names.dedup();
    names
}

/// A copy of the shipped manifest whose auth service logs at `level`: a new revision to deploy.
fn manifest_with_log_level(level: &str) -> tempfile::TempDir {
    let directory = support::manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let changed = services.replace("LOG_LEVEL = \"info\"\nTOKEN_TTL", &format!("LOG_LEVEL = \"{level}\"\nTOKEN_TTL"));
    assert_ne!(changed, services, "the shipped auth service sets LOG_LEVEL before TOKEN_TTL");
    support::write(directory.path(), "services.toml", &changed);
    directory
}

/// A copy of the shipped manifest with an error that has a related location and a help.
fn invalid_manifest() -> tempfile::TempDir {
    let directory = support::manifest_copy();
    let stage = std::fs::read_to_string(directory.path().join("environments/stage.toml")).unwrap();
    let broken = format!("{stage}\n[services.auth.scaling]\nmin = 9\nmax = 2\n");
    support::write(directory.path(), "environments/stage.toml", &broken);
    directory
}

fn array(value: &Value) -> &Vec<Value> {
    value.as_array().unwrap_or_else(|| panic!("not an array: {value}"))
}

#[test]
fn every_schema_file_is_within_the_subset_and_shared_definitions_agree() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("docs/schemas"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> =
        KINDS.iter().map(|kind| file(kind)).chain(EARLIER.iter().map(|name| name.to_string())).collect();
    expected.sort();
    assert_eq!(files, expected, "every schema file is checked here, and only those");
    for name in EARLIER {
        if let Err(errors) = json_schema::check_schema(&schema_file(name)) {
            panic!("docs/schemas/{name}:\n  {}", errors.join("\n  "));
        }
    }
    let mut definitions: BTreeMap<String, (&str, Value)> = BTreeMap::new();
    for kind in KINDS {
        let schema = schema(kind);
        if let Err(errors) = json_schema::check_schema(&schema) {
            panic!("docs/schemas/{}:\n  {}", file(kind), errors.join("\n  "));
        }
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{kind}");
        assert_eq!(schema["$id"], format!("https://ecsdeploy.dev/schemas/{}", file(kind)), "{kind}");
        assert!(schema["title"].is_string() && schema["description"].is_string(), "{kind}");
        let tops: Vec<&Value> = match (schema["$ref"].as_str(), schema["oneOf"].as_array()) {
            (Some(reference), _) => vec![&schema["$defs"][reference.trim_start_matches("#/$defs/")]],
            // Events: each kind of line is a document of its own.
            (None, Some(variants)) => variants.iter().collect(),
            (None, None) => vec![&schema],
        };
        for top in tops {
            assert!(array(&top["required"]).contains(&json!("schema_version")), "{kind}");
            assert_eq!(top["properties"]["schema_version"]["const"], version(kind), "{kind}");
        }
        // Definitions are copied between files (a $ref stays inside its file): copies must agree.
        for (name, definition) in schema["$defs"].as_object().into_iter().flatten() {
            match definitions.get(name) {
                Some((other, earlier)) => assert_eq!(earlier, definition, "$defs/{name} differs in {other} and {kind}"),
                None => {
                    definitions.insert(name.clone(), (kind, definition.clone()));
                }
            }
        }
    }
}

/// A schema using every supported keyword, for the validator's own tests.
fn person_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.test/person.schema.json",
        "title": "a person",
        "description": "for the validator's tests",
        "type": "object",
        "required": ["name", "age", "nickname"],
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer", "minimum": 0},
            "nickname": {"type": ["string", "null"]},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "pets": {"type": "array", "items": {"$ref": "#/$defs/pet"}},
            "home": {"anyOf": [{"type": "null"}, {"const": "earth"}]},
        },
        "additionalProperties": false,
        "$defs": {
            "pet": {"oneOf": [
                {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "cat"}}, "additionalProperties": false},
                {"type": "object", "required": ["kind", "tricks"], "properties": {
                    "kind": {"const": "dog"},
                    "tricks": {"type": "array", "items": {"enum": ["sit", "roll"]}},
                }, "additionalProperties": false},
            ]},
        },
    })
}

fn person() -> Value {
    json!({"name": "Ada", "age": 36, "nickname": null, "labels": {"team": "core"}, "pets": [{"kind": "cat"}, {"kind": "dog", "tricks": ["sit"]}], "home": "earth"})
}

/// The validator's errors for `person` after `change`.
fn errors_after(change: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut instance = person();
    change(&mut instance);
    json_schema::validate(&person_schema(), &instance).expect_err("the validator accepted it")
}

#[test]
fn the_validator_accepts_a_matching_document() {
    assert_eq!(json_schema::validate(&person_schema(), &person()), Ok(()));
}

#[test]
fn the_validator_rejects_a_wrong_type() {
    let errors = errors_after(|person| person["age"] = json!("36"));
    assert_eq!(errors, ["/age: expected type integer, found string"]);
    let errors = errors_after(|person| person["nickname"] = json!(7));
    assert_eq!(errors, ["/nickname: expected type string or null, found integer"]);
    let errors = errors_after(|person| person["labels"]["team"] = json!(1));
    assert_eq!(errors, ["/labels/team: expected type string, found integer"]);
}

#[test]
fn the_validator_rejects_a_missing_required_field() {
    let errors = errors_after(|person| {
        person.as_object_mut().unwrap().remove("nickname");
    });
    assert_eq!(errors, ["/: missing required field `nickname`"]);
}

#[test]
fn the_validator_rejects_a_field_the_schema_does_not_name() {
    let errors = errors_after(|person| person["email"] = json!("ada@example.test"));
    assert_eq!(errors, ["/: field `email` is not in the schema"]);
    let errors = errors_after(|person| person["pets"][0]["name"] = json!("Tom"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("/pets/0: matches none of the oneOf alternatives"), "{errors:?}");
    assert!(errors[0].contains("field `name` is not in the schema"), "{errors:?}");
}

#[test]
fn the_validator_rejects_values_outside_enum_const_and_minimum() {
    let errors = errors_after(|person| person["age"] = json!(-1));
    assert_eq!(errors, ["/age: -1 is below the minimum 0"]);
    let errors = errors_after(|person| person["pets"][1]["tricks"][0] = json!("fetch"));
    assert!(errors[0].contains("/pets/1/tricks/0: \"fetch\" is not one of [\"sit\",\"roll\"]"), "{errors:?}");
    let errors = errors_after(|person| person["home"] = json!("mars"));
    assert!(errors[0].starts_with("/home: matches none of the anyOf alternatives"), "{errors:?}");
}

#[test]
fn the_validator_rejects_a_schema_with_a_keyword_it_does_not_know() {
    // Even where the document has nothing to check: the schema is refused before it is applied.
    let mut schema = person_schema();
    schema["properties"]["email"] = json!({"type": "string", "format": "email"});
    let errors = json_schema::validate(&schema, &person()).expect_err("the validator accepted an unknown keyword");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("schema #/properties/email/format: unknown keyword `format`"), "{errors:?}");
    let mut schema = person_schema();
    schema["$defs"]["pet"]["oneOf"][0]["properties"]["kind"] = json!({"$ref": "#/$defs/species"});
    let errors = json_schema::check_schema(&schema).expect_err("the validator accepted a dangling $ref");
    assert_eq!(errors, ["schema #/$defs/pet/oneOf/0/properties/kind/$ref: no definition `species` in the root $defs"]);
    let errors = json_schema::check_schema(&json!({"type": "integr"})).expect_err("the validator accepted a bad type");
    assert!(errors[0].starts_with("schema #/type: must be one of"), "{errors:?}");
}

#[tokio::test]
async fn every_json_document_matches_its_schema() {
    let account = TestAccount::new();
    account.create_world();
    let ecsdeploy =
        |args: &[&str], directory: &Path| run(account.ecsdeploy(args).args(["--output", "json", "-f"]).arg(directory));
    let shipped = root();
    let debug = manifest_with_log_level("debug");
    let warn = manifest_with_log_level("warn");

    // validate; any command given an invalid manifest prints the same document.
    let valid = checked("validate", &ecsdeploy(&["validate"], &shipped), 0);
    assert_eq!(valid["valid"], true, "{valid}");
    let invalid = invalid_manifest();
    let problems = checked("validate", &ecsdeploy(&["validate"], invalid.path()), 1);
    let problem = &problems["problems"][0];
    assert!(problem["help"].is_string() && problem["related"][0]["label"].is_string(), "{problems}");
    checked("validate", &ecsdeploy(&["plan", "--env", "stage"], invalid.path()), 1);

    // Any other error is the error document: a usage error, and (below) a plan that cannot be made.
    let usage = checked("error", &ecsdeploy(&["plan", "--env", "nope"], &shipped), 1);
    assert_eq!(usage["error"]["kind"], "usage", "{usage}");

    // repositories (the up document, nothing gated), then an image per service.
    let repositories = checked("up", &ecsdeploy(&["repositories", "--env", "stage", "--yes"], &shipped), 0);
    assert_eq!((array(&repositories["applied"]).len(), &repositories["rollouts"]), (4, &json!([])), "{repositories}");
    let no_images = checked("error", &ecsdeploy(&["up", "--env", "stage", "--yes"], &shipped), 1);
    assert_eq!(no_images["error"]["kind"], "plan", "{no_images}");
    assert!(array(&no_images["error"]["hints"]).len() >= 4, "one hint per missing image: {no_images}");
    let config = account.sdk_config().await;
    for service in support::SERVICES {
        support::push_image(&config, &format!("acme/{service}"), "latest").await;
    }

    // plan, up, and what reads the deployed environment.
    let plan = checked("plan", &ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "--stats"], &shipped), 2);
    assert!(plan["has_changes"] == true && plan["stats"]["total_api_calls"].as_u64() > Some(0), "{plan}");
    let first = ecsdeploy(&["up", "--env", "stage", "--yes", "--stats"], &shipped);
    let up = checked("up", &first, 0);
    let results: Vec<&Value> = array(&up["rollouts"]).iter().map(|rollout| &rollout["outcome"]["result"]).collect();
    assert_eq!(results, [&json!("passed"); 4], "{up}");
    assert_eq!(event_names(&events(&first)), ["finished", "progress"], "{}", first.stderr);
    let status = checked("status", &ecsdeploy(&["status", "--env", "stage", "--stats"], &shipped), 0);
    assert!(array(&status["services"]).iter().all(|service| service["last_deploy"].is_object()), "{status}");
    let history = checked("history", &ecsdeploy(&["history", "--env", "stage"], &shipped), 0);
    assert_eq!(array(&history["records"]).len(), 4, "{history}");
    let secrets = checked("secrets-list", &ecsdeploy(&["secrets", "list", "--env", "stage"], &shipped), 0);
    assert!(array(&secrets["secrets"]).iter().all(|secret| secret["details"].is_object()), "{secrets}");

    // The lock: the last holding, one taken by hand, a run it turns away, release.
    let last = checked("lock", &ecsdeploy(&["lock", "status", "--env", "stage"], &shipped), 0);
    assert_eq!((&last["held"], &last["lock"]["command"]), (&json!(false), &json!("up")), "{last}");
    let acquire = ["lock", "acquire", "--env", "stage", "--message", "json contract", "--ttl", "10m"];
    let acquired = checked("lock", &ecsdeploy(&acquire, &shipped), 0);
    assert_eq!((&acquired["held"], &acquired["lock"]["message"]), (&json!(true), &json!("json contract")));
    let refused = checked("lock", &ecsdeploy(&["up", "--env", "stage", "--yes"], debug.path()), 5);
    assert_eq!(refused["lock"]["token"], acquired["lock"]["token"], "the holder is named: {refused}");
    let released = checked("lock", &ecsdeploy(&["lock", "release", "--env", "stage"], &shipped), 0);
    assert!(released["held"] == false && released["lock"]["released_at"].is_string(), "{released}");
    let nothing = checked("lock", &ecsdeploy(&["lock", "release", "--env", "stage"], &shipped), 0);
    assert_eq!(nothing["lock"], Value::Null, "{nothing}");

    // A second deploy: a new revision, with the changed fields in the plan.
    let second = checked("up", &ecsdeploy(&["up", "--env", "stage", "--yes"], debug.path()), 0);
    let revision = array(&second["plan"]["changes"])
        .iter()
        .find(|change| change["address"] == "service.auth.task_definition")
        .unwrap_or_else(|| panic!("no new auth revision: {second}"));
    assert!(revision["fields"][0]["path"].is_string() && revision["id"].is_string(), "{revision}");

    // rollback to the first deploy, and the drift status then shows.
    let back = ecsdeploy(&["rollback", "--env", "stage", "--yes"], debug.path());
    let rollback = checked("rollback", &back, 0);
    assert_eq!(rollback["rollbacks"][0]["service"], "auth", "{rollback}");
    assert_eq!(array(&rollback["unchanged"]).len(), 3, "{rollback}");
    assert!(events(&back).iter().any(|event| event["rollback"] == true), "{}", back.stderr);
    let drifted = checked("status", &ecsdeploy(&["status", "--env", "stage"], debug.path()), 0);
    assert_eq!(drifted["services"][0]["drift"], json!(["~ service.auth.ecs_service"]), "{drifted}");

    // A rollout that fails its gate and is rolled back (exit 3), and the history that records it.
    account.script_rollout(json!({"service": "stage-auth", "outcome": "fail", "steps": 2}));
    let failing = ecsdeploy(&["up", "--env", "stage", "--yes"], warn.path());
    let failed = checked("up", &failing, 3);
    let outcome = &failed["rollouts"][0]["outcome"];
    assert_eq!((&outcome["result"], &failed["ok"]), (&json!("rolled-back"), &json!(false)), "{failed}");
    assert!(["deployment-failed", "rolled-back-by-ecs"].contains(&outcome["failure"]["kind"].as_str().unwrap()));
    let names = event_names(&events(&failing));
    assert_eq!(names, ["failed", "finished", "progress", "rolling-back"], "{}", failing.stderr);
    let history = checked("history", &ecsdeploy(&["history", "--env", "stage", "--service", "auth"], warn.path()), 0);
    let rolled_back = array(&history["records"]).iter().find(|record| record["outcome"] == "rolled-back");
    assert!(rolled_back.is_some_and(|record| record["reason"].is_string()), "{history}");
}
