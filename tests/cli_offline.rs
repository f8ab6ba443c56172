//! The binary's commands that need no AWS: `validate` and `render`, with exit codes, stdout and
//! stderr checked together.

mod support;

use support::{ecsdeploy, manifest_copy, root, run, write};

#[test]
fn validate_accepts_the_shipped_manifest() {
    let result = run(ecsdeploy(&["validate"]).current_dir(root()));
    insta::assert_snapshot!(result.transcript());
}

#[test]
fn validate_reports_every_problem_with_its_position_and_exits_1() {
    let directory = manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    write(
        directory.path(),
        "services.toml",
        &services
            .replace("cpu = 512\nmemory = 1024", "cpu = 512\nmemory = 512")
            .replace("port = 8080", "port = \"8080\""),
    );
    write(
        directory.path(),
        "environments/stage.toml",
        "prefix = \"stage-\"\npath_prefix = \"/stage\"\ncapacity = \"spott\"\n[services.gmial]\ncpu = 512\n",
    );
    let result = run(ecsdeploy(&["validate", "-f"]).arg(directory.path()));
    insta::assert_snapshot!(result.transcript());
    let json = run(ecsdeploy(&["validate", "--output", "json", "-f"]).arg(directory.path()));
    assert_eq!(json.code, 1);
    let value = json.json();
    assert_eq!(value["valid"], false);
    let positions: Vec<String> = value["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}:{}:{}", p["file"].as_str().unwrap(), p["line"], p["column"]))
        .collect();
    assert_eq!(
        positions,
        ["services.toml:33:8", "services.toml:106:10", "environments/stage.toml:3:12", "environments/stage.toml:4:11"]
    );
}

#[test]
fn missing_manifest_says_where_it_looked() {
    let directory = tempfile::tempdir().unwrap();
    let result = run(ecsdeploy(&["validate", "-f"]).arg(directory.path()));
    assert_eq!(result.code, 1);
    assert!(result.stderr.starts_with("error: no manifest at "), "{}", result.stderr);
    assert!(
        result.stderr.contains("hint: run ecsdeploy in the directory holding services.toml, or pass -f DIR"),
        "{}",
        result.stderr
    );
}

#[test]
fn render_stage_auth_as_json() {
    let result =
        run(ecsdeploy(&["render", "--env", "stage", "--service", "auth", "--output", "json"]).current_dir(root()));
    assert_eq!(result.code, 0, "{}", result.transcript());
    let value = result.json();
    assert_eq!(value["schema_version"], 1);
    let service = &value["services"][0];
    let task_definition = &service["task_definition"];
    assert_eq!(task_definition["family"], "stage-auth");
    let secrets = task_definition["containerDefinitions"][0]["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 3);
    for secret in secrets {
        let value_from = secret["valueFrom"].as_str().unwrap();
        // The secret's full ARN is only known to AWS: a reference to the stage secret, plan resolves it.
        assert!(value_from.starts_with("<secret-arn stage/auth/"), "{value_from}");
        assert_eq!(secret.as_object().unwrap().len(), 2, "only name and valueFrom: {secret}");
    }
    assert_eq!(
        service["listener_rule"]["Conditions"][0]["PathPatternConfig"]["Values"],
        serde_json::json!(["/stage/auth/*"])
    );
    assert_eq!(service["service"]["serviceName"], "stage-auth");
    assert_eq!(service["target_group"]["TargetType"], "ip");
    assert_eq!(service["service"]["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"], "DISABLED");
    assert_eq!(value["dns_records"], serde_json::json!([]), "--service leaves out environment-wide records");
    // No AWS call was made: no endpoint, no credentials, and still a result.
    assert!(result.stderr.is_empty(), "{}", result.stderr);
}

#[test]
fn render_text_shows_each_request_with_its_api_operation() {
    let result = run(ecsdeploy(&["render", "--env", "prod", "--account-id", "123456789012"]).current_dir(root()));
    assert_eq!(result.code, 0, "{}", result.transcript());
    for heading in [
        "## service auth (auth)",
        "### task definition (ecs:RegisterTaskDefinition)",
        "### listener rule (elasticloadbalancing:CreateRule)",
        "### scalable target (application-autoscaling:RegisterScalableTarget)",
        "### DNS record api.acme.example. (route53:ChangeResourceRecordSets)",
    ] {
        assert!(result.stdout.contains(heading), "missing {heading}");
    }
    assert!(
        result
            .stdout
            .contains("\"executionRoleArn\": \"arn:aws:iam::123456789012:role/ecsdeploy/acme-prod-auth-execution\"")
    );
    assert!(!result.stdout.contains("<account-id>"));
}

#[test]
fn render_unknown_environment_or_service_lists_the_known_ones() {
    let result = run(ecsdeploy(&["render", "--env", "staging"]).current_dir(root()));
    insta::assert_snapshot!(result.transcript());
    let result = run(ecsdeploy(&["render", "--env", "stage", "--service", "billing"]).current_dir(root()));
    insta::assert_snapshot!(result.transcript());
}

#[test]
fn render_leaves_out_services_an_environment_disables() {
    let directory = manifest_copy();
    let test_environment = std::fs::read_to_string(directory.path().join("environments/test.toml")).unwrap();
    write(
        directory.path(),
        "environments/test.toml",
        &format!("{test_environment}\n[services.calendar]\nenabled = false\n"),
    );
    let result = run(ecsdeploy(&["render", "--env", "test", "-o", "json", "-f"]).arg(directory.path()));
    let names: Vec<String> = result.json()["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["full_name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["test-auth", "test-gmail", "test-ai-router"]);
}

#[test]
fn completions_and_man_pages_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let completions = run(&mut ecsdeploy(&["completions", shell]));
        assert_eq!(completions.code, 0, "{shell}: {}", completions.transcript());
        for command in ["up", "rollback", "lock", "hook", "secrets"] {
            assert!(completions.stdout.contains(command), "{shell} completes {command}");
        }
    }
    let bash = run(&mut ecsdeploy(&["completions", "bash"])).stdout;
    assert!(bash.contains("--lock-wait") && bash.contains("--git-ref"), "flags are completed too");
    let page = run(&mut ecsdeploy(&["man"]));
    assert_eq!(page.code, 0, "{}", page.transcript());
    assert!(page.stdout.starts_with(".ie") && page.stdout.contains(".TH ecsdeploy 1"), "{}", page.stdout);
    let directory = tempfile::tempdir().unwrap();
    let pages = run(&mut ecsdeploy(&["man", "--dir", directory.path().to_str().unwrap()]));
    assert_eq!(pages.code, 0, "{}", pages.transcript());
    let up = std::fs::read_to_string(directory.path().join("ecsdeploy-up.1")).unwrap();
    assert!(up.contains("lock\\-wait"), "{up}");
    assert!(directory.path().join("ecsdeploy-lock-release.1").exists());
}

/// Every command path of the CLI (`plan`, `lock status`, ...), from its own definition, so a new
/// command is covered without editing this test.
fn command_paths() -> Vec<Vec<String>> {
    use clap::CommandFactory;
    fn walk(command: &clap::Command, prefix: &[String], paths: &mut Vec<Vec<String>>) {
        for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_string());
            paths.push(path.clone());
            walk(sub, &path, paths);
        }
    }
    let mut paths = Vec::new();
    walk(&ecsdeploy::cli::Cli::command(), &[], &mut paths);
    paths
}

/// A usage error exits 1, never 2: 2 is `plan --detailed-exitcode`'s "changes pending", and a CI
/// script must not read a typo as pending changes.
#[test]
fn usage_errors_exit_1_for_every_command() {
    let paths = command_paths();
    assert!(paths.len() > 20, "{paths:?}");
    for path in &paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--no-such-flag");
        let result = run(ecsdeploy(&args).current_dir(root()));
        assert_eq!(result.code, 1, "{args:?}: {}", result.transcript());
        assert!(result.stderr.contains("--no-such-flag"), "{args:?}: {}", result.stderr);
        assert!(result.stdout.is_empty(), "{args:?}: {}", result.stdout);
    }
    for args in [
        &["plan", "--detailed-exitcode", "--bogus"][..],
        &["plan", "--detailed-exitcode"],
        &["plan", "--env", "stage", "-o", "yaml"],
        &["no-such-command"],
        &[],
    ] {
        let result = run(ecsdeploy(args).current_dir(root()));
        assert_eq!(result.code, 1, "{args:?}: {}", result.transcript());
        // With no command at all clap shows the help, on stderr: an error like the others.
        let expected_start = if args.is_empty() { "Plan, apply" } else { "error:" };
        assert!(result.stderr.starts_with(expected_start), "{args:?}: {}", result.stderr);
    }
}

#[test]
fn help_and_version_still_exit_0() {
    for args in [&["--help"][..], &["plan", "--help"], &["--version"]] {
        let result = run(ecsdeploy(args).current_dir(root()));
        assert_eq!(result.code, 0, "{args:?}: {}", result.transcript());
        assert!(!result.stdout.is_empty(), "{args:?}");
    }
}

/// Text from outside reaches the terminal with its control characters escaped: an argument echoed
/// in an error, a manifest value quoted in a problem, the manifest's own text under a problem.
#[test]
fn control_characters_from_outside_are_escaped() {
    let result = run(ecsdeploy(&["plan", "--env", "te\x1b[2Jst\x1b[31m"]).current_dir(root()));
    assert_eq!(result.code, 1, "{}", result.transcript());
    assert_eq!(
        result.stderr,
        "error: no environment `te\\u{1b}[2Jst\\u{1b}[31m` in the manifest\n  hint: environments are: prod, stage, test (files under environments/)\n"
    );
    let directory = manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    // A value with an escaped ESC (valid TOML), and a raw ESC in a comment (invalid TOML).
    write(
        directory.path(),
        "services.toml",
        &services.replace("path = \"/auth/*\"", "path = \"/auth/\\u001b]0;title\\u0007*\""),
    );
    write(directory.path(), "environments/test.toml", "# \x1b[2J cleared\nprefix = \"test-\"\n");
    // With colour on: miette's own colours stay, and only they.
    let result = run(ecsdeploy(&["validate", "--color", "always", "-f"]).arg(directory.path()));
    assert_eq!(result.code, 1, "{}", result.transcript());
    assert!(result.stderr.contains("\x1b[31m"), "colours are kept: {}", result.stderr);
    let raw: Vec<&str> = ["\x1b]", "\x1b[2J", "\x07"].into_iter().filter(|raw| result.stderr.contains(raw)).collect();
    assert!(raw.is_empty(), "raw {raw:?} in: {}", result.stderr);
    for escaped in ["/auth/\\u{1b}]0;title\\u{7}*", "# \\u{1b}[2J cleared"] {
        assert!(result.stderr.contains(escaped), "{escaped} in: {}", result.stderr);
    }
}

/// An empty or malformed `--region` (or `ECSDEPLOY_REGION`) is a usage error naming the flag,
/// not a region `""` in what `render` shows or an endpoint error from the first AWS call.
#[test]
fn an_empty_or_malformed_region_is_a_usage_error() {
    for (region, reason) in [
        ("", "it is empty; a region is written like us-east-1 or eu-central-2"),
        ("us east 1", "a region is written like us-east-1 or eu-central-2"),
        ("US-EAST-1", "a region is written like us-east-1 or eu-central-2"),
        ("us-east", "a region is written like us-east-1 or eu-central-2"),
    ] {
        let result = run(ecsdeploy(&["render", "--env", "stage", "--region", region]).current_dir(root()));
        assert_eq!(result.code, 1, "{region:?}: {}", result.transcript());
        assert!(result.stdout.is_empty(), "{region:?}: {}", result.transcript());
        assert!(
            result.stderr.starts_with(&format!(
                "error: invalid value '{region}' for '--region <REGION>': not an AWS region: {reason}\n  hint: leave --region (and ECSDEPLOY_REGION) out"
            )),
            "{region:?}: {}",
            result.stderr
        );
    }
    let result = run(ecsdeploy(&["render", "--env", "stage"]).env("ECSDEPLOY_REGION", "").current_dir(root()));
    assert_eq!(result.code, 1, "{}", result.transcript());
    for region in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-northwest-1", "us-isob-east-1"] {
        let result = run(ecsdeploy(&["render", "--env", "stage", "--region", region]).current_dir(root()));
        assert_eq!(result.code, 0, "{region}: {}", result.transcript());
        assert!(result.stdout.contains(&format!(", region {region},")), "{region}: {}", result.stdout);
    }
}

/// An empty `AWS_REGION` (a CI template's unset variable) counts as unset: the rest of the AWS
/// configuration decides, as it would without it, instead of the region `""`.
#[test]
fn an_empty_aws_region_counts_as_unset() {
    let directory = manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    write(directory.path(), "services.toml", &services.replace("region = \"us-east-1\"\n", ""));
    let doctor = |variables: &[(&str, &str)], config: Option<&str>| {
        let mut command = ecsdeploy(&["doctor", "--output", "json", "-f"]);
        command.arg(directory.path()).envs(variables.iter().copied());
        let config_file = directory.path().join("aws-config");
        if let Some(config) = config {
            std::fs::write(&config_file, config).unwrap();
            command.env("AWS_CONFIG_FILE", &config_file);
        }
        let value = run(&mut command).json();
        (value["region"].clone(), value["region_source"].clone())
    };
    let found = doctor(&[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "eu-west-1")], None);
    assert_eq!(found, (serde_json::json!("eu-west-1"), serde_json::json!("aws-configuration")));
    let found = doctor(&[("AWS_REGION", "")], Some("[default]\nregion = ap-south-1\n"));
    assert_eq!(found, (serde_json::json!("ap-south-1"), serde_json::json!("aws-configuration")));
    let found = doctor(&[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "")], None);
    assert_eq!(found, (serde_json::Value::Null, serde_json::json!("missing")));
    // A region that is set still wins.
    let found = doctor(&[("AWS_REGION", "eu-north-1"), ("AWS_DEFAULT_REGION", "eu-west-1")], None);
    assert_eq!(found, (serde_json::json!("eu-north-1"), serde_json::json!("aws-configuration")));
}
