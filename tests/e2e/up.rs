//! `plan`, `up` and `repositories` against the emulator, checked with a second client (the AWS
//! SDK for Rust from the test).

use crate::support;

use support::{SERVICES, prepared_account, root, run};

#[tokio::test]
async fn repositories_are_created_scanned_immutable_but_latest_and_tagged() {
    let (_account, config) = prepared_account().await;
    let ecr = aws_sdk_ecr::Client::new(&config);
    let output = ecr.describe_repositories().send().await.unwrap();
    let mut names: Vec<&str> = output.repositories().iter().filter_map(|r| r.repository_name()).collect();
    names.sort();
    assert_eq!(names, ["acme/ai-router", "acme/auth", "acme/calendar", "acme/gmail"]);
    for repository in output.repositories() {
        assert_eq!(repository.image_tag_mutability().map(|m| m.as_str()), Some("IMMUTABLE_WITH_EXCLUSION"));
        assert_eq!(repository.image_scanning_configuration().map(|c| c.scan_on_push()), Some(true));
        let tags =
            ecr.list_tags_for_resource().resource_arn(repository.repository_arn().unwrap()).send().await.unwrap();
        let tags: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
        assert!(tags.contains(&("ecsdeploy:project", "acme")), "{tags:?}");
        assert!(tags.contains(&("ecsdeploy:environment", "shared")), "{tags:?}");
        let policy =
            ecr.get_lifecycle_policy().repository_name(repository.repository_name().unwrap()).send().await.unwrap();
        assert!(policy.lifecycle_policy_text().unwrap().contains("untagged"));
    }
}

#[tokio::test]
async fn up_creates_the_environment_and_a_second_up_changes_nothing() {
    let (account, config) = prepared_account().await;
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    assert!(up.stdout.contains("Apply complete for stage"), "{}", up.stdout);

    let ecs = aws_sdk_ecs::Client::new(&config);
    let cluster = ecs.describe_clusters().clusters("acme").send().await.unwrap();
    let mut providers = cluster.clusters()[0].capacity_providers().to_vec();
    providers.sort();
    assert_eq!(providers, ["FARGATE", "FARGATE_SPOT"]);
    let names: Vec<String> = SERVICES.iter().map(|service| format!("stage-{service}")).collect();
    let services = ecs.describe_services().cluster("acme").set_services(Some(names.clone())).send().await.unwrap();
    assert_eq!(services.services().len(), 4);
    for service in services.services() {
        assert_eq!(service.status(), Some("ACTIVE"));
        let strategy = service.capacity_provider_strategy();
        assert_eq!(strategy[0].capacity_provider(), "FARGATE_SPOT");
        let vpc = service.network_configuration().unwrap().awsvpc_configuration().unwrap();
        assert_eq!(vpc.assign_public_ip().map(|a| a.as_str()), Some("DISABLED"));
        let breaker = service.deployment_configuration().unwrap().deployment_circuit_breaker().unwrap();
        assert!(breaker.enable() && breaker.rollback());
        assert_eq!(service.load_balancers().len(), 1);
    }
    let definition = ecs.describe_task_definition().task_definition("stage-auth").send().await.unwrap();
    let definition = definition.task_definition().unwrap();
    let container = &definition.container_definitions()[0];
    assert!(container.image().unwrap().contains("/acme/auth@sha256:"), "{:?}", container.image());
    let secrets = ecs_secret_value_froms(container);
    assert!(
        secrets.iter().all(|value_from| value_from
            .starts_with(&format!("arn:aws:secretsmanager:us-east-1:{}:secret:stage/auth/", account.account_id))),
        "{secrets:?}"
    );
    assert!(secrets.iter().any(|value_from| value_from.ends_with(":password::")), "{secrets:?}");

    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let load_balancer = elb.describe_load_balancers().names("acme").send().await.unwrap();
    let load_balancer = &load_balancer.load_balancers()[0];
    let listeners =
        elb.describe_listeners().load_balancer_arn(load_balancer.load_balancer_arn().unwrap()).send().await.unwrap();
    let mut ports: Vec<i32> = listeners.listeners().iter().filter_map(|l| l.port()).collect();
    ports.sort();
    assert_eq!(ports, [80, 443]);
    let https = listeners.listeners().iter().find(|l| l.port() == Some(443)).unwrap();
    let rules = elb.describe_rules().listener_arn(https.listener_arn().unwrap()).send().await.unwrap();
    let mut paths: Vec<String> = rules
        .rules()
        .iter()
        .flat_map(|rule| {
            rule.conditions()
                .iter()
                .flat_map(|c| c.path_pattern_config().map(|p| p.values().to_vec()).unwrap_or_default())
        })
        .collect();
    paths.sort();
    assert_eq!(paths, ["/stage/ai/*", "/stage/auth/*", "/stage/calendar/*", "/stage/gmail/*"]);
    let groups = elb.describe_target_groups().names("acme-stage-auth").send().await.unwrap();
    let group = &groups.target_groups()[0];
    assert_eq!(group.target_type().map(|t| t.as_str()), Some("ip"));
    assert_eq!(group.health_check_path(), Some("/health"));

    check_wiring(&config, &account.account_id, load_balancer.dns_name().unwrap()).await;
    check_history_table_protection(&config).await;

    let revisions_before = revisions(&ecs, "stage-auth").await;
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(root()));
    assert_eq!(plan.code, 0, "a second plan must be empty:\n{}", plan.transcript());
    let again =
        run(account.ecsdeploy(&["up", "--env", "stage", "--yes", "--stats", "--output", "json"]).current_dir(root()));
    assert_eq!(again.code, 0, "{}", again.transcript());
    let document = again.json();
    assert_eq!(document["plan"]["has_changes"], false, "{document}");
    let calls = document["stats"]["api_calls"].as_array().unwrap();
    let writes: Vec<&serde_json::Value> = calls
        .iter()
        .filter(|call| {
            !["Describe", "List", "Get", "BatchGet", "Query"]
                .iter()
                .any(|prefix| call["operation"].as_str().unwrap().starts_with(prefix))
        })
        .collect();
    assert!(writes.is_empty(), "a no-op up made writes: {writes:?}");
    assert_eq!(revisions(&ecs, "stage-auth").await, revisions_before, "no new task definition revision");
}

fn ecs_secret_value_froms(container: &aws_sdk_ecs::types::ContainerDefinition) -> Vec<String> {
    container.secrets().iter().map(|secret| secret.value_from().to_string()).collect()
}

async fn revisions(ecs: &aws_sdk_ecs::Client, family: &str) -> usize {
    ecs.list_task_definitions().family_prefix(family).send().await.unwrap().task_definition_arns().len()
}

#[tokio::test]
async fn up_without_a_terminal_needs_yes_and_changes_nothing() {
    let (account, config) = prepared_account().await;
    let up = run(account.ecsdeploy(&["up", "--env", "stage"]).current_dir(root()));
    assert_eq!(up.code, 1, "{}", up.transcript());
    assert!(
        up.stderr.contains("error: refusing to apply these changes to environment stage without confirmation"),
        "{}",
        up.stderr
    );
    assert!(up.stderr.contains("hint: pass --yes"), "{}", up.stderr);
    let clusters = aws_sdk_ecs::Client::new(&config).list_clusters().send().await.unwrap();
    assert!(clusters.cluster_arns().is_empty(), "nothing may change");
}

#[tokio::test]
async fn a_missing_secret_or_image_stops_before_any_change() {
    let (account, config) = prepared_account().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    secrets.delete_secret().secret_id("stage/gmail/oauth").force_delete_without_recovery(true).send().await.unwrap();
    let ecr = aws_sdk_ecr::Client::new(&config);
    ecr.batch_delete_image()
        .repository_name("acme/calendar")
        .image_ids(aws_sdk_ecr::types::ImageIdentifier::builder().image_tag("latest").build())
        .send()
        .await
        .unwrap();
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(up.code, 1, "{}", up.transcript());
    assert!(up.stderr.contains("nothing was changed: 2 prerequisite(s) do not exist"), "{}", up.stderr);
    assert!(up.stderr.contains("stage/gmail/oauth"), "{}", up.stderr);
    assert!(up.stderr.contains("acme/calendar:latest"), "{}", up.stderr);
    assert!(!up.stderr.contains("client_secret"), "never a secret's content");
    let clusters = aws_sdk_ecs::Client::new(&config).list_clusters().send().await.unwrap();
    assert!(clusters.cluster_arns().is_empty(), "nothing may change");
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage"]).current_dir(root()));
    assert_eq!(plan.code, 1, "{}", plan.transcript());
}

#[tokio::test]
async fn a_same_named_resource_ecsdeploy_does_not_own_is_refused() {
    let (account, config) = prepared_account().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpcs = ec2
        .describe_vpcs()
        .filters(aws_sdk_ec2::types::Filter::builder().name("tag:Name").values("acme").build())
        .send()
        .await
        .unwrap();
    let vpc = vpcs.vpcs()[0].vpc_id().unwrap();
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    elb.create_target_group()
        .name("acme-stage-gmail")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(vpc)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap();
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(up.code, 1, "{}", up.transcript());
    assert!(up.stderr.contains("service.gmail.target_group exists as arn:"), "{}", up.stderr);
    assert!(up.stderr.contains("ecsdeploy never changes it"), "{}", up.stderr);
    let groups = elb.describe_target_groups().names("acme-stage-gmail").send().await.unwrap();
    assert_eq!(groups.target_groups()[0].port(), Some(80), "the foreign group is untouched");
    let clusters = aws_sdk_ecs::Client::new(&config).list_clusters().send().await.unwrap();
    assert!(clusters.cluster_arns().is_empty(), "nothing may change");
}

#[tokio::test]
async fn one_changed_variable_registers_one_revision_and_updates_one_service() {
    let (account, config) = prepared_account().await;
    let directory = support::manifest_copy();
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f"]).arg(directory.path()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let services_file = directory.path().join("environments/stage.toml");
    let stage = std::fs::read_to_string(&services_file).unwrap();
    support::write(
        directory.path(),
        "environments/stage.toml",
        &format!("{stage}\n[services.gmail.env]\nLOG_LEVEL = \"debug\"\n"),
    );
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f"]).arg(directory.path()));
    assert_eq!(plan.code, 2, "{}", plan.transcript());
    assert!(plan.stdout.contains("+ service.gmail.task_definition  (new revision)"), "{}", plan.stdout);
    assert!(plan.stdout.contains("~ service.gmail.ecs_service"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("containerDefinitions[gmail].environment[LOG_LEVEL].value: \"info\" -> \"debug\""),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.ends_with("Plan: 1 to add, 1 to change, 0 to destroy.\n"), "{}", plan.stdout);
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f"]).arg(directory.path()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let ecs = aws_sdk_ecs::Client::new(&config);
    assert_eq!(revisions(&ecs, "stage-gmail").await, 2);
    assert_eq!(revisions(&ecs, "stage-auth").await, 1);
    let service = ecs.describe_services().cluster("acme").services("stage-gmail").send().await.unwrap();
    let running = service.services()[0].task_definition().unwrap().to_string();
    assert!(running.ends_with("stage-gmail:2"), "{running}");
    let definition = ecs.describe_task_definition().task_definition(&running).send().await.unwrap();
    let environment = definition.task_definition().unwrap().container_definitions()[0].environment().to_vec();
    assert!(environment.iter().any(|pair| pair.name() == Some("LOG_LEVEL") && pair.value() == Some("debug")));
    let again = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f"]).arg(directory.path()));
    assert_eq!(again.code, 0, "{}", again.transcript());
}

#[tokio::test]
async fn three_environments_share_cluster_and_alb_and_destroy_removes_only_one() {
    let (account, config) = prepared_account().await;
    for environment in ["test", "stage", "prod"] {
        let up = run(account.ecsdeploy(&["up", "--env", environment, "--yes"]).current_dir(root()));
        assert_eq!(up.code, 0, "{environment}: {}", up.transcript());
    }
    let ecs = aws_sdk_ecs::Client::new(&config);
    assert_eq!(ecs.list_clusters().send().await.unwrap().cluster_arns().len(), 1, "one shared cluster");
    let mut names = service_names(&ecs).await;
    names.sort();
    assert_eq!(names.len(), 12, "{names:?}");
    for service in SERVICES {
        for name in [format!("test-{service}"), format!("stage-{service}"), service.to_string()] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
    }
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    assert_eq!(elb.describe_load_balancers().send().await.unwrap().load_balancers().len(), 1, "one shared ALB");
    assert_eq!(rule_paths(&elb).await.len(), 12);
    for environment in ["test", "stage", "prod"] {
        let plan = run(account.ecsdeploy(&["plan", "--env", environment, "--detailed-exitcode"]).current_dir(root()));
        assert_eq!(plan.code, 0, "{environment} must be unchanged by the others: {}", plan.transcript());
    }

    let destroy = run(account.ecsdeploy(&["destroy", "--env", "test", "--yes"]).current_dir(root()));
    assert_eq!(destroy.code, 0, "{}", destroy.transcript());
    let names = service_names(&ecs).await;
    assert_eq!(names.len(), 8, "{names:?}");
    assert!(!names.iter().any(|name| name.starts_with("test-")), "{names:?}");
    let paths = rule_paths(&elb).await;
    assert_eq!(paths.len(), 8);
    assert!(!paths.iter().any(|path| path.starts_with("/test/")), "{paths:?}");
    let groups = elb.describe_target_groups().send().await.unwrap();
    assert!(!groups.target_groups().iter().any(|g| g.target_group_name().unwrap().starts_with("acme-test-")));
    let iam = aws_sdk_iam::Client::new(&config);
    let roles = iam.list_roles().path_prefix("/ecsdeploy/").send().await.unwrap();
    assert!(!roles.roles().iter().any(|role| role.role_name().starts_with("acme-test-")));
    assert_eq!(roles.roles().len(), 16);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let groups = logs.describe_log_groups().log_group_name_prefix("/ecs/acme/test/").send().await.unwrap();
    assert!(groups.log_groups().is_empty());
    let autoscaling = aws_sdk_applicationautoscaling::Client::new(&config);
    let targets = autoscaling
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap();
    assert!(!targets.scalable_targets().iter().any(|target| target.resource_id().contains("/test-")));
    let definitions = ecs
        .list_task_definitions()
        .family_prefix("test-auth")
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .send()
        .await
        .unwrap();
    assert!(definitions.task_definition_arns().is_empty());
    for environment in ["stage", "prod"] {
        let plan = run(account.ecsdeploy(&["plan", "--env", environment, "--detailed-exitcode"]).current_dir(root()));
        assert_eq!(plan.code, 0, "{environment} untouched by destroy test: {}", plan.transcript());
    }
}

/// The history table (created by the first `up`) is protected from deletion and recoverable to a
/// point in time.
async fn check_history_table_protection(config: &aws_config::SdkConfig) {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let table = dynamodb.describe_table().table_name("ecsdeploy-history-acme").send().await.unwrap();
    assert_eq!(table.table().and_then(|table| table.deletion_protection_enabled()), Some(true), "{table:?}");
    let backups = dynamodb.describe_continuous_backups().table_name("ecsdeploy-history-acme").send().await.unwrap();
    let recovery = backups
        .continuous_backups_description()
        .and_then(|description| description.point_in_time_recovery_description())
        .and_then(|recovery| recovery.point_in_time_recovery_status());
    assert_eq!(recovery.map(|status| status.as_str()), Some("ENABLED"), "{backups:?}");
}

async fn service_names(ecs: &aws_sdk_ecs::Client) -> Vec<String> {
    let arns = ecs.list_services().cluster("acme").send().await.unwrap().service_arns().to_vec();
    arns.iter().map(|arn| arn.rsplit('/').next().unwrap().to_string()).collect()
}

async fn rule_paths(elb: &aws_sdk_elasticloadbalancingv2::Client) -> Vec<String> {
    let load_balancer = elb.describe_load_balancers().names("acme").send().await.unwrap();
    let arn = load_balancer.load_balancers()[0].load_balancer_arn().unwrap();
    let listeners = elb.describe_listeners().load_balancer_arn(arn).send().await.unwrap();
    let https = listeners.listeners().iter().find(|l| l.port() == Some(443)).unwrap();
    let rules = elb.describe_rules().listener_arn(https.listener_arn().unwrap()).send().await.unwrap();
    rules
        .rules()
        .iter()
        .flat_map(|rule| {
            rule.conditions()
                .iter()
                .flat_map(|c| c.path_pattern_config().map(|p| p.values().to_vec()).unwrap_or_default())
        })
        .collect()
}

/// Security groups, roles, logs, scaling and DNS as the architecture wants them.
async fn check_wiring(config: &aws_config::SdkConfig, account_id: &str, load_balancer_dns: &str) {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let groups = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder().name("group-name").values("acme-alb").values("acme-services").build(),
        )
        .send()
        .await
        .unwrap();
    let group = |name: &str| groups.security_groups().iter().find(|g| g.group_name() == Some(name)).unwrap().clone();
    let (alb, services) = (group("acme-alb"), group("acme-services"));
    let mut alb_ports: Vec<i32> = alb.ip_permissions().iter().filter_map(|p| p.from_port()).collect();
    alb_ports.sort();
    assert_eq!(alb_ports, [80, 443]);
    let ingress = &services.ip_permissions()[0];
    assert_eq!(ingress.from_port(), Some(8080));
    assert!(ingress.ip_ranges().is_empty(), "services admit only the ALB");
    assert_eq!(ingress.user_id_group_pairs()[0].group_id(), alb.group_id());

    let iam = aws_sdk_iam::Client::new(config);
    let role = iam.get_role().role_name("acme-stage-auth-execution").send().await.unwrap();
    assert_eq!(role.role().unwrap().path(), "/ecsdeploy/");
    let policy =
        iam.get_role_policy().role_name("acme-stage-auth-execution").policy_name("ecsdeploy").send().await.unwrap();
    let document = percent_decode(policy.policy_document());
    assert!(
        document.contains(&format!("arn:aws:secretsmanager:us-east-1:{account_id}:secret:stage/auth/db-??????")),
        "{document}"
    );
    assert!(document.contains(&format!("arn:aws:ecr:us-east-1:{account_id}:repository/acme/auth")), "{document}");
    assert!(!document.contains("stage/gmail"), "only its own secrets: {document}");
    let task_role_policy =
        iam.get_role_policy().role_name("acme-stage-auth-task").policy_name("ecsdeploy").send().await;
    assert!(task_role_policy.is_err(), "the task role has no permission by default");

    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let groups = logs.describe_log_groups().log_group_name_prefix("/ecs/acme/stage/").send().await.unwrap();
    assert_eq!(groups.log_groups().len(), 4);
    assert!(groups.log_groups().iter().all(|group| group.retention_in_days() == Some(30)));

    let autoscaling = aws_sdk_applicationautoscaling::Client::new(config);
    let targets = autoscaling
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_ids("service/acme/stage-auth")
        .send()
        .await
        .unwrap();
    let target = &targets.scalable_targets()[0];
    assert_eq!((target.min_capacity(), target.max_capacity()), (1, 5));
    let policies = autoscaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id("service/acme/stage-auth")
        .send()
        .await
        .unwrap();
    let tracking = policies.scaling_policies()[0].target_tracking_scaling_policy_configuration().unwrap();
    assert_eq!(
        (tracking.target_value(), tracking.scale_in_cooldown(), tracking.scale_out_cooldown()),
        (60.0, Some(60), Some(60))
    );

    let cloudwatch = aws_sdk_cloudwatch::Client::new(config);
    let alarms = cloudwatch.describe_alarms().alarm_name_prefix("acme-stage-auth-").send().await.unwrap();
    let mut names: Vec<&str> = alarms.metric_alarms().iter().filter_map(|alarm| alarm.alarm_name()).collect();
    names.sort();
    assert_eq!(names, ["acme-stage-auth-cpu", "acme-stage-auth-http-5xx", "acme-stage-auth-memory"]);
    let errors =
        alarms.metric_alarms().iter().find(|alarm| alarm.alarm_name() == Some("acme-stage-auth-http-5xx")).unwrap();
    let dimensions: Vec<(&str, &str)> =
        errors.dimensions().iter().map(|d| (d.name().unwrap(), d.value().unwrap())).collect();
    assert!(
        dimensions.iter().any(|(name, value)| *name == "LoadBalancer" && value.starts_with("app/acme/")),
        "{dimensions:?}"
    );
    assert!(
        dimensions
            .iter()
            .any(|(name, value)| *name == "TargetGroup" && value.starts_with("targetgroup/acme-stage-auth/")),
        "{dimensions:?}"
    );
    assert_eq!(errors.threshold(), Some(10.0));

    let route53 = aws_sdk_route53::Client::new(config);
    let zones = route53.list_hosted_zones_by_name().dns_name("acme.example").send().await.unwrap();
    let zone = zones.hosted_zones()[0].id();
    let records = route53.list_resource_record_sets().hosted_zone_id(zone).send().await.unwrap();
    let record =
        records.resource_record_sets().iter().find(|r| r.name() == "stage.api.acme.example.").expect("DNS record");
    let alias = record.alias_target().unwrap();
    assert_eq!(alias.dns_name().trim_end_matches('.').to_lowercase(), load_balancer_dns.to_lowercase());
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && index + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[index + 1..index + 3], 16)
        {
            out.push(byte);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_service_removed_from_an_environment_is_deleted_by_up() {
    let (account, config) = prepared_account().await;
    let directory = support::manifest_copy();
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f"]).arg(directory.path()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let stage = std::fs::read_to_string(directory.path().join("environments/stage.toml")).unwrap();
    support::write(
        directory.path(),
        "environments/stage.toml",
        &format!("{stage}\n[services.calendar]\nenabled = false\n"),
    );
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "-f"]).arg(directory.path()));
    assert!(plan.stdout.contains("  - service.calendar.ecs_service"), "{}", plan.stdout);
    assert!(plan.stdout.contains("  - service.calendar.listener_rule"), "{}", plan.stdout);
    assert!(plan.stdout.contains("0 to add, 0 to change, 12 to destroy."), "{}", plan.stdout);
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f"]).arg(directory.path()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let ecs = aws_sdk_ecs::Client::new(&config);
    let names = service_names(&ecs).await;
    assert!(!names.contains(&"stage-calendar".to_string()) && names.len() == 3, "{names:?}");
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    assert!(!rule_paths(&elb).await.contains(&"/stage/calendar/*".to_string()));
    let again = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f"]).arg(directory.path()));
    assert_eq!(again.code, 0, "{}", again.transcript());
}

/// The README's walkthrough: `init`, `repositories`, push, `up`, against the emulator's world.
#[tokio::test]
async fn a_manifest_from_init_validates_and_deploys() {
    let directory = tempfile::tempdir().unwrap();
    let dir = directory.path().to_str().unwrap();
    let account = support::TestAccount::new();
    account.create_world();
    let init = support::run(&mut account.ecsdeploy(&["init", "--project", "acme", "--service", "auth", "-f", dir]));
    assert_eq!(init.code, 0, "{}", init.transcript());
    let validate = support::run(&mut account.ecsdeploy(&["validate", "-f", dir]));
    assert_eq!(validate.code, 0, "{}", validate.transcript());
    assert!(!validate.stderr.contains("warning"), "{}", validate.stderr);
    let written = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let again = support::run(&mut account.ecsdeploy(&["init", "--project", "other", "-f", dir]));
    assert_eq!(again.code, 1, "{}", again.transcript());
    assert!(again.stderr.contains("nothing was written"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(directory.path().join("services.toml")).unwrap(), written);

    let repositories = support::run(&mut account.ecsdeploy(&["repositories", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(repositories.code, 0, "{}", repositories.transcript());
    let config = account.sdk_config().await;
    support::push_image(&config, "acme/auth", "latest").await;
    let up = support::run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let ecs = aws_sdk_ecs::Client::new(&config);
    let service = ecs.describe_services().cluster("acme").services("stage-auth").send().await.unwrap();
    assert_eq!(service.services()[0].status(), Some("ACTIVE"));
    let plan = support::run(&mut account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode", "-f", dir]));
    assert_eq!(plan.code, 0, "{}", plan.transcript());
}

/// The README's walkthrough (docs/walkthrough.md) as its script runs it: init, repositories,
/// push, plan, up, a second version, a failed third one rolled back (exit 3), history, status,
/// a rollback by hand, and the deploy lock (exit 5). The script checks each exit code itself.
#[test]
fn the_walkthrough_runs_from_init_to_a_rollback() {
    let template = support::ecsdeploy(&[]);
    let mut command = std::process::Command::new(root().join("scripts/walkthrough"));
    for (key, value) in template.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
        .env("ECSDEPLOY", env!("CARGO_BIN_EXE_ecsdeploy"))
        .env("ECSDEPLOY_EMULATOR_ENDPOINT", support::emulator_endpoint())
        .stdin(std::process::Stdio::null());
    let walkthrough = run(&mut command);
    assert_eq!(walkthrough.code, 0, "{}", walkthrough.transcript());
    assert!(walkthrough.stderr.contains("walkthrough: done"), "{}", walkthrough.stderr);
    assert!(walkthrough.stdout.contains("ROLLED BACK to stage-auth:2"), "{}", walkthrough.stdout);
    assert!(walkthrough.stdout.contains("healthy on stage-auth:1"), "{}", walkthrough.stdout);
}

/// The calls of `operation` in a `--stats` JSON document.
fn calls_of(document: &serde_json::Value, operation: &str) -> u64 {
    let calls = document["stats"]["api_calls"].as_array().expect("api_calls");
    calls.iter().filter(|call| call["operation"] == operation).filter_map(|call| call["calls"].as_u64()).sum()
}

/// Issue 15, goal 4: the gates of services rolling out side by side poll on one grid and share
/// their looks at the services, `DescribeServices` taking 10 a call, while each target group's
/// health stays one `DescribeTargetHealth` a poll. Unbatched, every poll of every service made
/// its own `DescribeServices`: as many as the target-health calls.
#[tokio::test]
async fn services_rolling_out_together_share_their_gate_polls() {
    let (account, _config) = prepared_account().await;
    let up =
        run(account.ecsdeploy(&["up", "--env", "stage", "--yes", "--stats", "--output", "json"]).current_dir(root()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let up = up.json();
    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--stats", "--output", "json"]).current_dir(root()));
    assert!(plan.code == 0, "{}", plan.transcript());
    let plan = plan.json();
    // What the up's read made (the same read as a plan's), the rest is the gates'.
    let gate_looks = calls_of(&up, "DescribeServices") - calls_of(&plan, "DescribeServices");
    let target_health = calls_of(&up, "DescribeTargetHealth");
    assert!(target_health >= SERVICES.len() as u64, "every service's targets were looked at: {}", up["stats"]);
    assert!(
        gate_looks < target_health,
        "{gate_looks} DescribeServices for {target_health} target-health looks: the gates' polls were not batched ({})",
        up["stats"]
    );
    assert!(up["stats"]["sequential_rounds"].as_u64().is_some_and(|rounds| rounds > 0), "{}", up["stats"]);
}
