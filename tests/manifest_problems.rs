//! Broken manifests, one per test: each must fail with exact, located messages (snapshots), and
//! every problem of a manifest must be reported in one run.

// The macro passes `&$services`; clippy's fix for one call site would rewrite the macro for all.
#![allow(clippy::unnecessary_to_owned)]

use ecsdeploy::checked::{self, load_from_texts};
use ecsdeploy::manifest::ManifestError;
use ecsdeploy::output::diagnostics::render_text;

const PROJECT: &str = r#"[project]
name = "acme"
region = "us-east-1"

[project.network]
vpc = "vpc-0abc"
public_subnets = ["subnet-a", "subnet-b"]
private_subnets = ["subnet-c", "subnet-d"]

[project.dns]
zone = "acme.example"
"#;

const SERVICES: &str = r#"
[services.auth]
path = "/auth/*"
port = 8080

[services.gmail]
path = "/gmail/*"
port = 8080
"#;

const STAGE: &str = "prefix = \"stage-\"\npath_prefix = \"/stage\"\n";
const PROD: &str = "prefix = \"\"\npath_prefix = \"\"\n";
const PROD_ON_MAIN: &str = "prefix = \"\"\npath_prefix = \"\"\nbranch = \"main\"\n";

/// The rendered problems of a manifest that must be invalid.
fn problems(services: &str, environments: &[(&str, &str)]) -> String {
    match load_from_texts(services, environments) {
        Ok(_) => panic!("the manifest was accepted"),
        Err(ManifestError::Invalid { sources, problems }) => render_text(&sources, &problems, false),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

fn with_services(extra: &str) -> String {
    format!("{PROJECT}{SERVICES}{extra}")
}

#[test]
fn the_base_manifest_is_valid() {
    let services = with_services("");
    let checked = load_from_texts(&services, &[("stage", STAGE), ("prod", PROD)]).expect("valid");
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
}

#[test]
fn the_shipped_manifest_is_valid_without_warnings() {
    let checked = checked::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).expect("valid");
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    assert_eq!(checked.manifest.environment_names(), ["prod", "stage", "test"]);
}

macro_rules! broken {
    ($name:ident, $services:expr, [$(($env:expr, $text:expr)),* $(,)?]) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(problems(&$services, &[$(($env, $text)),*]));
        }
    };
}

broken!(
    unknown_key_with_suggestion,
    with_services("[services.calendar]\npath = \"/calendar/*\"\nport = 8080\ncpus = 512\n"),
    [("stage", STAGE)]
);
broken!(
    wrong_types,
    with_services("[services.calendar]\npath = \"/calendar/*\"\nport = \"8080\"\nenv = { DEBUG = true }\n"),
    [("stage", STAGE)]
);
broken!(
    fargate_memory_not_offered_with_cpu,
    with_services("[services.calendar]\npath = \"/calendar/*\"\nport = 8080\ncpu = \"1 vCPU\"\nmemory = \"1 GB\"\n"),
    [("stage", STAGE)]
);
broken!(
    fargate_cpu_size_unknown,
    with_services("[services.calendar]\npath = \"/calendar/*\"\nport = 8080\ncpu = 300\n"),
    [("stage", STAGE)]
);
broken!(
    port_out_of_range,
    with_services("[services.calendar]\npath = \"/calendar/*\"\nport = 70000\n"),
    [("stage", STAGE)]
);
broken!(missing_path_and_port, with_services("[services.calendar]\ncpu = 256\n"), [("stage", STAGE)]);
broken!(
    path_collision_between_services,
    with_services("[services.calendar]\npath = \"/auth/*\"\nport = 8080\n"),
    [("stage", STAGE)]
);
broken!(
    path_collision_across_environments,
    with_services(""),
    [("stage", STAGE), ("prod", "prefix = \"\"\npath_prefix = \"\"\n\n[services.gmail]\npath = \"/stage/*\"\n")]
);
broken!(
    path_not_a_pattern,
    with_services("[services.calendar]\npath = \"calendar/*\"\nport = 8080\n"),
    [("stage", STAGE)]
);
broken!(
    target_group_name_too_long,
    with_services("[services.notifications-dispatcher]\npath = \"/notify/*\"\nport = 8080\n"),
    [("staging", "prefix = \"staging-\"\npath_prefix = \"/staging\"\n")]
);
broken!(
    health_check_out_of_alb_ranges,
    with_services(
        "[services.calendar]\npath = \"/calendar/*\"\nport = 8080\n[services.calendar.health_check]\ninterval = 4\ntimeout = 5\nhealthy_threshold = 11\nmatcher = \"200-600\"\npath = \"health\"\n"
    ),
    [("stage", STAGE)]
);
broken!(
    health_check_timeout_not_below_interval,
    with_services(
        "[services.calendar]\npath = \"/calendar/*\"\nport = 8080\nhealth_check = { interval = 10, timeout = 10 }\n"
    ),
    [("stage", STAGE)]
);
broken!(
    scaling_min_above_max,
    with_services("[services.calendar]\npath = \"/calendar/*\"\nport = 8080\nscaling = { min = 6, max = 5 }\n"),
    [("stage", STAGE)]
);
broken!(
    secret_reference_syntax,
    with_services(
        "[services.calendar]\npath = \"/calendar/*\"\nport = 8080\n[services.calendar.secrets]\nAPI_KEY = \"calendar api#key\"\nTOKEN = \"calendar/api#\"\nOTHER = \"arn:aws:s3:::bucket\"\n"
    ),
    [("stage", STAGE)]
);
broken!(
    variable_both_plain_and_secret,
    with_services(
        "[services.calendar]\npath = \"/calendar/*\"\nport = 8080\nenv = { API_KEY = \"x\" }\nsecrets = { API_KEY = \"calendar/api#api_key\" }\n"
    ),
    [("stage", STAGE)]
);
broken!(environment_name_invalid, with_services(""), [("Stage_1", STAGE)]);
broken!(
    override_of_unknown_service,
    with_services(""),
    [("stage", "prefix = \"stage-\"\npath_prefix = \"/stage\"\n\n[services.auht]\ncpu = 512\n")]
);
broken!(
    invalid_toml_syntax,
    format!("{PROJECT}\n[services.auth]\npath = \"/auth/*\nport = 8080\n"),
    [("stage", STAGE)]
);
broken!(missing_project, SERVICES.to_string(), [("stage", STAGE)]);
broken!(
    same_explicit_priority_and_path,
    with_services("[services.calendar]\npath = \"/auth/*\"\nport = 8080\npriority = 7\n"),
    [("stage", "prefix = \"stage-\"\npath_prefix = \"/stage\"\n[services.auth]\npriority = 8\n")]
);
broken!(no_environments, with_services(""), []);
broken!(
    domain_outside_zone,
    with_services(""),
    [("stage", "prefix = \"stage-\"\npath_prefix = \"/stage\"\ndomain = \"stage.other.example\"\n")]
);
broken!(
    explicit_priority_collision,
    with_services(""),
    [(
        "stage",
        "prefix = \"stage-\"\npath_prefix = \"/stage\"\n[services.auth]\npriority = 10\n[services.gmail]\npriority = 10\n"
    )]
);
broken!(
    log_retention_not_offered,
    with_services("[services.calendar]\npath = \"/calendar/*\"\nport = 8080\nlog_retention_days = 10\n"),
    [("stage", STAGE)]
);
broken!(
    bad_values_do_not_cascade_into_false_problems,
    with_services(
        "[services.calendar]\npath = \"/calendar/*\"\nport = 8080\ncpu = \"fast\"\nmemory = 3000\nscaling = { max = 0 }\nhealth_check = { interval = 400, timeout = 30 }\nlog_retention_days = 5000\n"
    ),
    [("stage", STAGE)]
);
broken!(
    each_service_missing_its_path_is_named,
    format!("{PROJECT}[defaults]\nport = 8080\n[services.auth]\ncpu = 256\n[services.gmail]\ncpu = 256\n"),
    [("stage", STAGE)]
);
broken!(
    missing_project_still_checks_everything_else,
    format!("{SERVICES}[services.calendar]\npath = \"/calendar/*\"\nport = 8080\ncpu = 300\n"),
    [("stage", "prefix = \"stage-\"\nbogus = 1\n")]
);
broken!(
    empty_permissions_are_refused,
    with_services(
        "[services.calendar]\npath = \"/calendar/*\"\nport = 8080\n[[services.calendar.permissions]]\nactions = []\nresources = [\"arn:aws:s3:::bucket/*\"]\n"
    ),
    [("stage", STAGE)]
);
broken!(reserved_environment_name, with_services(""), [("shared", STAGE)]);
broken!(defaults_of_the_wrong_type, format!("defaults = \"small\"\n{PROJECT}{SERVICES}"), [("stage", STAGE)]);
broken!(
    unknown_capacity_provider,
    with_services(""),
    [("stage", "prefix = \"stage-\"\npath_prefix = \"/stage\"\ncapacity = [{ provider = \"EC2\", weight = 1 }]\n")]
);
broken!(same_service_names_in_two_environments, with_services(""), [("stage", PROD), ("prod", PROD)]);
broken!(
    reserved_and_invalid_tags,
    format!("{PROJECT}[project.tags]\n\"aws:owner\" = \"me\"\n\"ecsdeploy:project\" = \"x\"\n{SERVICES}"),
    [("stage", STAGE)]
);
broken!(
    project_name_invalid,
    format!(
        "[project]\nname = \"Acme Corp\"\n[project.network]\nvpc = \"vpc-1\"\npublic_subnets = [\"subnet-a\"]\nprivate_subnets = [\"subnet-c\", \"subnet-d\"]\n{SERVICES}"
    ),
    [("stage", STAGE)]
);
broken!(
    deployment_cannot_progress,
    with_services(
        "[services.calendar]\npath = \"/calendar/*\"\nport = 8080\ndeployment = { minimum_healthy_percent = 100, maximum_percent = 100, timeout = \"1m\", poll_interval = \"2m\" }\n"
    ),
    [("stage", STAGE)]
);
broken!(
    problems_in_every_file_in_one_run,
    with_services("[defaults]\nmemroy = 512\n"),
    [
        ("stage", "prefix = \"stage-\"\npath_prefix = \"/stage\"\nbranch = 5\n[services.auth]\ncpu = 100\n"),
        ("prod", "prefix = \"\"\npath_prefix = \"\"\nbogus = true\n"),
    ]
);

/// 34 path-routed services in each of 3 environments: their target groups and rules.
fn thirty_four_services_in_three_environments(prod_extra: &str) -> (String, Vec<(String, String)>) {
    let mut services = PROJECT.to_string();
    for index in 0..34 {
        services.push_str(&format!(
            "\n[services.s{index}]\npath = \"/s{index}/*\"\nport = 8080\npriority = {}\n",
            index + 1
        ));
    }
    let environments = [
        ("test", "prefix = \"test-\"\npath_prefix = \"/test\"\n".to_string()),
        ("stage", STAGE.to_string()),
        ("prod", format!("{prod_extra}{PROD}")),
    ];
    // Explicit priorities must differ per environment too: give each environment its own block.
    let environments: Vec<(String, String)> = environments
        .iter()
        .enumerate()
        .map(|(offset, (name, text))| {
            let mut text = text.clone();
            for index in 0..34 {
                text.push_str(&format!("[services.s{index}]\npriority = {}\n", offset * 100 + index + 1));
            }
            (name.to_string(), text)
        })
        .collect();
    (services, environments)
}

/// 34 services in 3 environments need 102 target groups and rules on the one ALB: more than an
/// ALB takes, and the message says how to get there.
#[test]
fn alb_quotas_count_every_environment_on_the_alb() {
    let (services, environments) = thirty_four_services_in_three_environments("");
    let borrowed: Vec<(&str, &str)> = environments.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let output = problems(&services, &borrowed);
    // The text as read, without the report's line wrapping and frame.
    let flat = output.split_whitespace().filter(|word| *word != "│").collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "environments test, stage, prod together need 102 target groups and 102 listener rules on ALB acme; an ALB takes 100 target groups (an AWS quota that cannot be raised) and 100 rules by default"
        ),
        "{output}"
    );
    assert!(flat.contains("load_balancer = \"acme-prod\" in environments/prod.toml"), "{output}");
    assert!(output.ends_with("1 error in the manifest"), "{output}");
}

/// The same project with prod routed through an ALB of its own: 68 pairs on one, 34 on the
/// other, within both ALBs' quotas.
#[test]
fn an_environment_on_an_alb_of_its_own_lifts_the_ceiling() {
    let (services, environments) = thirty_four_services_in_three_environments("load_balancer = \"acme-prod\"\n");
    let borrowed: Vec<(&str, &str)> = environments.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let checked = match load_from_texts(&services, &borrowed) {
        Ok(checked) => checked,
        Err(ManifestError::Invalid { sources, problems }) => panic!("{}", render_text(&sources, &problems, false)),
        Err(other) => panic!("unexpected error: {other}"),
    };
    let manifest = &checked.manifest;
    let load_balancer_of = |name: &str| manifest.environment(name).unwrap().load_balancer_name(&manifest.project);
    assert_eq!(
        [load_balancer_of("prod"), load_balancer_of("stage"), load_balancer_of("test")],
        ["acme-prod", "acme", "acme"]
    );
}

broken!(
    secret_rotation_settings,
    with_services(
        "\n[secrets.\"auth/db\".rotation]\nfunction = \"db rotation\"\nschedule = \"every 30 days\"\nwindow = \"90m\"\n\n[secrets.\"auth/jwt\"]\nrotation = { schedule = \"rate(7 days)\" }\n"
    ),
    [("stage", "prefix = \"stage-\"\npath_prefix = \"/stage\"\n\n[secrets.\"auth/api\"]\nrotation = true\n")]
);
broken!(
    two_environments_deploy_from_one_branch,
    with_services(""),
    [("stage", "prefix = \"stage-\"\npath_prefix = \"/stage\"\nbranch = \"main\"\n"), ("prod", PROD_ON_MAIN)]
);

broken!(
    adopted_names_must_be_valid_and_permissions_need_ecsdeploys_task_role,
    with_services(
        "[services.billing]\npath = \"/billing/*\"\nport = 8080\ncontainer = \"app one\"\nexecution_role = \"billing-execution\"\ntask_role = \"arn:aws:iam::123456789012:role/billing-app\"\nlog_group = \"/ecs/bill ing\"\n\n[[services.billing.permissions]]\nactions = [\"s3:GetObject\"]\nresources = [\"arn:aws:s3:::billing/*\"]\n\n[services.billing.scaling]\ncpu_policy = \"\"\n"
    ),
    [("stage", STAGE)]
);

#[test]
fn alarm_thresholds_from_defaults_can_be_turned_off() {
    let services = with_services(
        "[defaults.alarms]\ncpu_above = 80\nmemory_above = 80\n\n[services.billing]\npath = \"/billing/*\"\nport = 8080\nalarms = { cpu_above = false }\n",
    );
    let checked = load_from_texts(&services, &[("stage", STAGE)]).expect("valid");
    let stage = checked.manifest.environment("stage").expect("stage");
    let billing = stage.service("billing").expect("billing");
    assert_eq!(billing.alarms.cpu_above, None);
    assert_eq!(billing.alarms.memory_above, Some(80));
    assert_eq!(stage.service("auth").expect("auth").alarms.cpu_above, Some(80));
}

#[test]
fn an_unmanaged_name_may_not_be_one_ecsdeploy_manages() {
    let services = with_services(
        "[services.billing]\npath = \"/billing/*\"\nport = 8080\nlog_group = \"/ecs/acme/stage/billing\"\n",
    );
    let rendered = problems(&services, &[("stage", STAGE)]);
    assert!(rendered.contains("`log_group` names what ecsdeploy creates and manages for this service"), "{rendered}");
}

/// Each problem as `file:line:col: message`, in order.
fn positions(services: &[u8], environments: &[(&str, &[u8])]) -> Vec<String> {
    match checked::finish(ecsdeploy::manifest::load_from_bytes(services, environments)) {
        Ok(_) => panic!("the manifest was accepted"),
        Err(ManifestError::Invalid { sources, problems }) => {
            problems.iter().map(|problem| format!("{}: {}", sources.locate(problem.span), problem.message)).collect()
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
}

/// One unclosed `[` or `[` of an array is one problem, at the place to fix, however much of the
/// file follows; the file's contents are not checked until it parses, the other files are.
#[test]
fn a_syntax_error_is_one_problem_not_a_cascade() {
    let mut services = with_services("");
    for index in 0..40 {
        let priority = index + 10;
        services
            .push_str(&format!("\n[services.s{index}]\npath = \"/s{index}/*\"\nport = 8080\npriority = {priority}\n"));
    }
    let unclosed_table = services.replace("[services.gmail]", "[services.gmail");
    assert_eq!(
        positions(unclosed_table.as_bytes(), &[("stage", STAGE.as_bytes())]),
        ["services.toml:17:16: invalid TOML: unclosed table, expected `]`"]
    );
    let unclosed_array = services.replace("path = \"/auth/*\"", "path = [\"/auth/*\"");
    assert_eq!(
        positions(unclosed_array.as_bytes(), &[("stage", STAGE.as_bytes())]),
        ["services.toml:15:1: invalid TOML: missing comma between array elements, expected `,`"]
    );
    // A broken environment file stops only itself: the other files are checked as usual.
    let broken_stage = format!("{STAGE}[services.auth\ncpu = 100\n");
    assert_eq!(
        positions(
            services.as_bytes(),
            &[("stage", broken_stage.as_bytes()), ("prod", b"prefix = \"\"\npath_prefix = \"\"\ncpu = 1\n")]
        ),
        [
            "environments/stage.toml:3:15: invalid TOML: unclosed table, expected `]`",
            "environments/prod.toml:3:1: unknown key `cpu` in environment `prod`",
        ]
    );
}

broken!(
    unclosed_table_header,
    format!("{}[services.calendar\npath = \"/calendar/*\"\nport = 8080\n", with_services("")),
    [("stage", STAGE)]
);

/// A byte that is not UTF-8 is reported at its line and column.
#[test]
fn invalid_utf8_is_located() {
    let services = with_services("");
    let stage = b"prefix = \"stage-\"\npath_prefix = \"/st\xe9ge\"\n";
    assert_eq!(
        positions(services.as_bytes(), &[("stage", stage)]),
        ["environments/stage.toml:2:19: invalid UTF-8: byte 0xe9 here is not part of a character"]
    );
    let mut services = services.into_bytes();
    services.extend_from_slice(b"\n# caf\xc3\n");
    let lines = services.iter().filter(|byte| **byte == b'\n').count();
    assert_eq!(
        positions(&services, &[("stage", STAGE.as_bytes())]),
        [format!("services.toml:{lines}:6: invalid UTF-8: byte 0xc3 here is not part of a character")]
    );
}

#[test]
fn invalid_utf8_in_an_environment() {
    let services = with_services("");
    let stage: &[u8] = b"prefix = \"stage-\"\npath_prefix = \"/st\xe9ge\"\n";
    match checked::finish(ecsdeploy::manifest::load_from_bytes(services.as_bytes(), &[("stage", stage)])) {
        Err(ManifestError::Invalid { sources, problems }) => {
            insta::assert_snapshot!(render_text(&sources, &problems, false))
        }
        other => panic!("{other:?}"),
    }
}

/// Integers beyond 64 bits are out of range where they are written, and nothing follows from
/// them (no "0 CPU units").
#[test]
fn integers_beyond_64_bits_are_out_of_range() {
    let services = with_services(
        "[services.billing]\npath = \"/billing/*\"\nport = -99999999999999999999\ncpu = 99999999999999999999999\n\n[services.billing.scaling]\nmax = 0x7fffffffffffffffffff\n\n[services.billing.deployment]\ntimeout = 18446744073709551616\n",
    );
    assert_eq!(
        positions(services.as_bytes(), &[("stage", STAGE.as_bytes())]),
        [
            "services.toml:22:8: `port` is -99999999999999999999, outside the range AWS accepts",
            "services.toml:23:7: `cpu` is 99999999999999999999999, outside the range AWS accepts",
            "services.toml:26:7: `scaling.max` is 0x7fffffffffffffffffff, outside the range AWS accepts",
            "services.toml:29:11: `deployment.timeout` is 18446744073709551616 seconds, outside the range AWS accepts",
        ]
    );
}

broken!(
    integer_beyond_64_bits,
    with_services("[services.billing]\npath = \"/billing/*\"\nport = 8080\ncpu = 99999999999999999999999\n"),
    [("stage", STAGE)]
);

/// A 1 MB environment value made a 1 MB task definition: it is refused where it is written, once,
/// without a second problem about the task definition it would make.
#[test]
fn a_huge_environment_value_is_refused_where_it_is_written() {
    let big = "x".repeat(1_000_000);
    let services = with_services(&format!("[services.auth.env]\nLOG_LEVEL = \"info\"\nBIG = \"{big}\"\n"));
    assert_eq!(
        positions(services.as_bytes(), &[("stage", STAGE.as_bytes()), ("prod", PROD.as_bytes())]),
        [
            "services.toml:22:7: the value of `BIG` is 1000000 bytes; ecsdeploy accepts at most 32768 bytes (32 KiB) per variable"
        ]
    );
    // The report names the place instead of printing the megabyte line.
    let rendered = problems(&services, &[("stage", STAGE)]);
    assert!(rendered.len() < 1000, "{} bytes: {}", rendered.len(), &rendered[..2000.min(rendered.len())]);
    insta::assert_snapshot!(rendered);
}

/// Variables each within their limit can still make a task definition over ECS's 64 KiB: refused
/// per environment, at the largest variable.
#[test]
fn a_task_definition_over_64_kib_is_refused() {
    let mut variables = String::from("[services.auth.env]\n");
    for index in 0..33 {
        variables.push_str(&format!("V{index} = \"{}\"\n", "x".repeat(2000)));
    }
    variables.push_str(&format!("LARGEST = \"{}\"\n", "y".repeat(3000)));
    let services = with_services(&variables);
    let found = positions(services.as_bytes(), &[("stage", STAGE.as_bytes()), ("prod", PROD.as_bytes())]);
    assert_eq!(found.len(), 2, "{found:#?}");
    for (message, label) in found.iter().zip(["auth (environment prod)", "stage-auth (environment stage)"]) {
        // The size depends on everything else in the task definition: only its range is checked.
        let prefix = format!("services.toml:54:11: the task definition of {label} would be about ");
        let suffix = " bytes; ECS registers at most 65536 (64 KiB); its largest variable, `LARGEST`, is 3000 bytes";
        let size = message.strip_prefix(&prefix).and_then(|rest| rest.strip_suffix(suffix));
        let size: usize = size.and_then(|size| size.parse().ok()).unwrap_or_else(|| panic!("{message}"));
        assert!((65_537..75_000).contains(&size), "{message}");
    }
    // Under the limit, the same variables pass.
    let mut fewer = variables.clone();
    for index in 30..33 {
        fewer = fewer.replace(&format!("V{index} = \"{}\"\n", "x".repeat(2000)), "");
    }
    load_from_texts(&with_services(&fewer), &[("stage", STAGE), ("prod", PROD)]).expect("valid");
}
