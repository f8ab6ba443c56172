//! `import`: a service made by a second client (the AWS SDK from the test, as the console or
//! Terraform would make it: its own roles, log group, target group, rule priority and policy
//! name) is brought under ecsdeploy, and the next `plan` is empty.

use crate::support;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_ecs::types as ecs;
use aws_sdk_elasticloadbalancingv2::types as elb;
use support::{manifest_copy, prepared_account, run};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Makes `stage-billing` the way a team without ecsdeploy would; returns the ARNs of its task
/// definition, target group and rule.
async fn create_billing(config: &aws_config::SdkConfig) -> (String, String, String) {
    let iam = aws_sdk_iam::Client::new(config);
    let mut roles = Vec::new();
    for name in ["billing-execution", "billing-app"] {
        let role = iam.create_role().role_name(name).assume_role_policy_document(TRUST).send().await.unwrap();
        roles.push(role.role().unwrap().arn().to_string());
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    logs.create_log_group().log_group_name("/ecs/billing-stage").send().await.unwrap();
    let secrets = aws_sdk_secretsmanager::Client::new(config);
    let secret = secrets
        .create_secret()
        .name("stage/billing/api")
        .secret_string(r#"{"token":"not-printed"}"#)
        .send()
        .await
        .unwrap();
    let secret_arn = secret.arn().unwrap().to_string();

    let ecs = aws_sdk_ecs::Client::new(config);
    let log_options =
        [("awslogs-group", "/ecs/billing-stage"), ("awslogs-region", "us-east-1"), ("awslogs-stream-prefix", "ecs")];
    let container = ecs::ContainerDefinition::builder()
        .name("app")
        .image("public.ecr.aws/nginx/nginx:1.27")
        .essential(true)
        .port_mappings(
            ecs::PortMapping::builder()
                .container_port(8080)
                .host_port(8080)
                .protocol(ecs::TransportProtocol::Tcp)
                .build(),
        )
        .environment(ecs::KeyValuePair::builder().name("MODE").value("live").build())
        .environment(ecs::KeyValuePair::builder().name("CURRENCY").value("EUR").build())
        .secrets(ecs::Secret::builder().name("API_TOKEN").value_from(format!("{secret_arn}:token::")).build().unwrap())
        .log_configuration(
            ecs::LogConfiguration::builder()
                .log_driver(ecs::LogDriver::Awslogs)
                .set_options(Some(log_options.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()))
                .build()
                .unwrap(),
        )
        .build();
    let definition = ecs
        .register_task_definition()
        .family("stage-billing")
        .execution_role_arn(&roles[0])
        .task_role_arn(&roles[1])
        .network_mode(ecs::NetworkMode::Awsvpc)
        .requires_compatibilities(ecs::Compatibility::Fargate)
        .cpu("512")
        .memory("1024")
        .runtime_platform(
            ecs::RuntimePlatform::builder()
                .cpu_architecture(ecs::CpuArchitecture::X8664)
                .operating_system_family(ecs::OsFamily::Linux)
                .build(),
        )
        .container_definitions(container)
        .send()
        .await
        .unwrap();
    let definition_arn = definition.task_definition().unwrap().task_definition_arn().unwrap().to_string();

    let load_balancing = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let balancer = load_balancing.describe_load_balancers().names("acme").send().await.unwrap();
    let balancer = &balancer.load_balancers()[0];
    let group = load_balancing
        .create_target_group()
        .name("billing-stage-tg")
        .protocol(elb::ProtocolEnum::Http)
        .protocol_version("HTTP1")
        .port(8080)
        .vpc_id(balancer.vpc_id().unwrap())
        .target_type(elb::TargetTypeEnum::Ip)
        .health_check_enabled(true)
        .health_check_protocol(elb::ProtocolEnum::Http)
        .health_check_path("/healthz")
        .health_check_interval_seconds(15)
        .health_check_timeout_seconds(6)
        .healthy_threshold_count(3)
        .unhealthy_threshold_count(2)
        .matcher(elb::Matcher::builder().http_code("200").build())
        .tags(elb::Tag::builder().key("tier").value("web").build())
        .send()
        .await
        .unwrap();
    let group_arn = group.target_groups()[0].target_group_arn().unwrap().to_string();
    load_balancing
        .modify_target_group_attributes()
        .target_group_arn(&group_arn)
        .attributes(
            elb::TargetGroupAttribute::builder().key("deregistration_delay.timeout_seconds").value("20").build(),
        )
        .send()
        .await
        .unwrap();
    let listeners = load_balancing
        .describe_listeners()
        .load_balancer_arn(balancer.load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    let https = listeners.listeners().iter().find(|listener| listener.port() == Some(443)).unwrap();
    let rule = load_balancing
        .create_rule()
        .listener_arn(https.listener_arn().unwrap())
        .priority(49_777)
        .conditions(
            elb::RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(elb::PathPatternConditionConfig::builder().values("/stage/billing/*").build())
                .build(),
        )
        .actions(elb::Action::builder().r#type(elb::ActionTypeEnum::Forward).target_group_arn(&group_arn).build())
        .send()
        .await
        .unwrap();
    let rule_arn = rule.rules()[0].rule_arn().unwrap().to_string();

    // Where ecsdeploy runs stage's services: the same subnets, security group and capacity.
    let auth = ecs.describe_services().cluster("acme").services("stage-auth").send().await.unwrap();
    let auth = &auth.services()[0];
    ecs.create_service()
        .cluster("acme")
        .service_name("stage-billing")
        .task_definition(&definition_arn)
        .desired_count(1)
        .set_capacity_provider_strategy(Some(auth.capacity_provider_strategy().to_vec()))
        .platform_version("LATEST")
        .set_network_configuration(auth.network_configuration().cloned())
        .load_balancers(
            ecs::LoadBalancer::builder()
                .target_group_arn(&group_arn)
                .container_name("app")
                .container_port(8080)
                .build(),
        )
        .health_check_grace_period_seconds(45)
        .deployment_configuration(
            ecs::DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    ecs::DeploymentCircuitBreaker::builder().enable(true).rollback(true).build(),
                )
                .maximum_percent(200)
                .minimum_healthy_percent(100)
                .build(),
        )
        .deployment_controller(
            ecs::DeploymentController::builder().r#type(ecs::DeploymentControllerType::Ecs).build().unwrap(),
        )
        .propagate_tags(ecs::PropagateTags::Service)
        .enable_ecs_managed_tags(true)
        .tags(ecs::Tag::builder().key("team").value("billing").build())
        .send()
        .await
        .unwrap();

    let scaling = aws_sdk_applicationautoscaling::Client::new(config);
    scaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/acme/stage-billing")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(1)
        .max_capacity(3)
        .send()
        .await
        .unwrap();
    scaling
        .put_scaling_policy()
        .policy_name("billing-cpu-tracking")
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/acme/stage-billing")
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(70.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
                        .build()
                        .unwrap(),
                )
                .scale_in_cooldown(120)
                .scale_out_cooldown(90)
                .disable_scale_in(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (definition_arn, group_arn, rule_arn)
}

fn ecs_tags(tags: &[ecs::Tag]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = tags
        .iter()
        .map(|tag| (tag.key().unwrap_or_default().to_string(), tag.value().unwrap_or_default().to_string()))
        .collect();
    pairs.sort();
    pairs
}

#[tokio::test]
async fn a_service_made_by_another_client_is_imported_and_the_next_plan_is_empty() {
    let (account, config) = prepared_account().await;
    let directory = manifest_copy();
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(directory.path()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let (definition_arn, group_arn, rule_arn) = create_billing(&config).await;
    let services_before = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let import = ["import", "--env", "stage", "--cluster", "acme", "--service", "stage-billing"];

    // The target group carries a tag the entry cannot give it: refused, nothing written.
    let refused = run(account.ecsdeploy(&[&import[..], &["--yes"]].concat()).current_dir(directory.path()));
    assert_eq!(refused.code, 1, "{}", refused.transcript());
    assert!(refused.stdout.contains("service.billing.target_group"), "{}", refused.stdout);
    assert!(refused.stderr.contains("--accept-differences"), "{}", refused.stderr);
    assert_eq!(std::fs::read_to_string(directory.path().join("services.toml")).unwrap(), services_before);
    let load_balancing = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    load_balancing.remove_tags().resource_arns(&group_arn).tag_keys("tier").send().await.unwrap();

    let dry_run = run(account.ecsdeploy(&[&import[..], &["--dry-run"]].concat()).current_dir(directory.path()));
    assert_eq!(dry_run.code, 0, "{}", dry_run.transcript());
    assert!(dry_run.stdout.contains("no changes. The entry reproduces it"), "{}", dry_run.stdout);
    assert!(!dry_run.transcript().contains("not-printed"), "a secret value was printed");
    assert_eq!(std::fs::read_to_string(directory.path().join("services.toml")).unwrap(), services_before);
    let json = run(account
        .ecsdeploy(&[&import[..], &["--dry-run", "--output", "json"]].concat())
        .current_dir(directory.path()));
    assert_eq!(json.code, 0, "{}", json.transcript());
    let document = json.json();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(support::root().join("docs/schemas/import.v1.schema.json")).unwrap(),
    )
    .unwrap();
    if let Err(errors) = support::json_schema::validate(&schema, &document) {
        panic!("import --output json does not match its schema:\n  {}\n{document}", errors.join("\n  "));
    }
    assert_eq!(document["service"], "billing");
    assert_eq!(document["differences"], serde_json::json!([]));
    assert_eq!(document["adopted"].as_array().map(Vec::len), Some(4));

    let imported = run(account.ecsdeploy(&[&import[..], &["--yes"]].concat()).current_dir(directory.path()));
    assert_eq!(imported.code, 0, "{}", imported.transcript());
    assert!(imported.stdout.contains("no changes for `billing`"), "{}", imported.stdout);
    let services_toml = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    assert!(services_toml.contains("[services.billing]"), "{services_toml}");
    let stage_toml = std::fs::read_to_string(directory.path().join("environments/stage.toml")).unwrap();
    assert!(stage_toml.contains("cpu_policy = \"billing-cpu-tracking\""), "{stage_toml}");
    assert!(stage_toml.contains("log_stream_prefix = \"ecs\""), "the console's default prefix: {stage_toml}");

    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(directory.path()));
    assert_eq!(plan.code, 0, "the plan after import is not empty:\n{}", plan.transcript());
    let other = run(account.ecsdeploy(&["plan", "--env", "prod"]).current_dir(directory.path()));
    assert!(!other.stdout.contains("service.billing"), "prod does not deploy the imported service:\n{}", other.stdout);

    // The second client sees the resources adopted, their own tags kept, nothing re-created.
    let ecs = aws_sdk_ecs::Client::new(&config);
    let service = ecs
        .describe_services()
        .cluster("acme")
        .services("stage-billing")
        .include(ecs::ServiceField::Tags)
        .send()
        .await
        .unwrap();
    let service = &service.services()[0];
    assert_eq!(service.task_definition(), Some(definition_arn.as_str()), "the service runs the same revision");
    let tags = ecs_tags(service.tags());
    for pair in [
        ("ecsdeploy:environment", "stage"),
        ("ecsdeploy:project", "acme"),
        ("ecsdeploy:service", "billing"),
        ("team", "billing"),
    ] {
        assert!(tags.contains(&(pair.0.to_string(), pair.1.to_string())), "{tags:?}");
    }
    let revisions = ecs.list_task_definitions().family_prefix("stage-billing").send().await.unwrap();
    assert_eq!(revisions.task_definition_arns(), std::slice::from_ref(&definition_arn), "no new revision");
    let definition = ecs
        .describe_task_definition()
        .task_definition(&definition_arn)
        .include(ecs::TaskDefinitionField::Tags)
        .send()
        .await
        .unwrap();
    assert!(ecs_tags(definition.tags()).contains(&("ecsdeploy:service".into(), "billing".into())));
    let described =
        load_balancing.describe_tags().resource_arns(&group_arn).resource_arns(&rule_arn).send().await.unwrap();
    for description in described.tag_descriptions() {
        let keys: Vec<&str> = description.tags().iter().filter_map(|tag| tag.key()).collect();
        assert!(keys.contains(&"ecsdeploy:environment"), "{:?}: {keys:?}", description.resource_arn());
    }
    let iam = aws_sdk_iam::Client::new(&config);
    let roles = iam.list_roles().path_prefix("/ecsdeploy/").send().await.unwrap();
    assert!(
        roles.roles().iter().all(|role| !role.role_name().contains("billing")),
        "ecsdeploy made no roles of its own for billing"
    );
    let scaling = aws_sdk_applicationautoscaling::Client::new(&config);
    let policies = scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id("service/acme/stage-billing")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = policies.scaling_policies().iter().map(|policy| policy.policy_name()).collect();
    assert_eq!(names, ["billing-cpu-tracking"]);

    // Importing again is refused: the manifest has the service now.
    let again = run(account.ecsdeploy(&[&import[..], &["--yes"]].concat()).current_dir(directory.path()));
    assert_eq!(again.code, 1, "{}", again.transcript());
    assert!(again.stderr.contains("already has a service `billing`"), "{}", again.stderr);
}

#[tokio::test]
async fn a_service_outside_the_environment_or_cluster_is_refused() {
    let account = support::TestAccount::new();
    account.create_world();
    let directory = manifest_copy();
    let wrong_cluster = run(account
        .ecsdeploy(&["import", "--env", "stage", "--cluster", "other", "--service", "x"])
        .current_dir(directory.path()));
    assert_eq!(wrong_cluster.code, 1, "{}", wrong_cluster.transcript());
    assert!(wrong_cluster.stderr.contains("deploys to cluster acme, not other"), "{}", wrong_cluster.stderr);
    let missing = run(account
        .ecsdeploy(&["import", "--env", "stage", "--cluster", "acme", "--service", "stage-nothing"])
        .current_dir(directory.path()));
    assert_eq!(missing.code, 1, "{}", missing.transcript());
    assert!(missing.stderr.contains("has no active service stage-nothing"), "{}", missing.stderr);

    // Settings the manifest cannot express would be dropped by ecsdeploy's first revision.
    let config = account.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    ecs.create_cluster().cluster_name("acme").send().await.unwrap();
    let container = ecs::ContainerDefinition::builder()
        .name("files")
        .image("public.ecr.aws/nginx/nginx:1.27")
        .essential(true)
        .working_directory("/srv")
        .mount_points(ecs::MountPoint::builder().source_volume("data").container_path("/data").build())
        .build();
    let definition = ecs
        .register_task_definition()
        .family("stage-files")
        .network_mode(ecs::NetworkMode::Awsvpc)
        .requires_compatibilities(ecs::Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .volumes(ecs::Volume::builder().name("data").build())
        .container_definitions(container)
        .send()
        .await
        .unwrap();
    let arn = definition.task_definition().unwrap().task_definition_arn().unwrap().to_string();
    ecs.create_service()
        .cluster("acme")
        .service_name("stage-files")
        .task_definition(arn)
        .desired_count(1)
        .send()
        .await
        .unwrap();
    let unsupported = run(account
        .ecsdeploy(&["import", "--env", "stage", "--cluster", "acme", "--service", "stage-files", "--yes"])
        .current_dir(directory.path()));
    assert_eq!(unsupported.code, 1, "{}", unsupported.transcript());
    for setting in ["task definition: volumes", "container files: mountPoints", "container files: workingDirectory"] {
        assert!(unsupported.stderr.contains(setting), "{setting}:\n{}", unsupported.stderr);
    }
    let services_toml = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    assert!(!services_toml.contains("files"), "nothing written");
}
