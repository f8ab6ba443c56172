//! The desired state of the shipped manifest: snapshots of what each AWS API would receive, and
//! the properties the architecture requires (names, paths, secrets by reference, least privilege).

use ecsdeploy::checked;
use ecsdeploy::desired::{self, Context, DesiredEnvironment};

fn desired(environment: &str) -> DesiredEnvironment {
    let checked = checked::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).expect("valid manifest");
    let environment = checked.manifest.environment(environment).expect("environment");
    desired::build(&checked.manifest, environment, &Context::new("us-east-1", Some("123456789012".into())))
}

#[test]
fn stage_snapshot() {
    insta::assert_json_snapshot!(desired("stage"));
}

#[test]
fn environments_are_named_and_routed_as_the_architecture_says() {
    for (environment, prefix, path_prefix) in
        [("test", "test-", "/test"), ("stage", "stage-", "/stage"), ("prod", "", "")]
    {
        let desired = desired(environment);
        let names: Vec<_> = desired.services.iter().map(|s| s.full_name.as_str()).collect();
        let expected: Vec<String> =
            ["auth", "gmail", "calendar", "ai-router"].iter().map(|s| format!("{prefix}{s}")).collect();
        assert_eq!(names, expected, "{environment}");
        for service in &desired.services {
            assert_eq!(service.task_definition.family, service.full_name);
            assert_eq!(service.service.cluster, "acme", "one shared cluster");
            let paths = &service.listener_rule.conditions[0].path_pattern_config.values;
            let base = match service.name.as_str() {
                "ai-router" => "/ai/*".to_string(),
                other => format!("/{other}/*"),
            };
            assert_eq!(paths, &vec![format!("{path_prefix}{base}")]);
            let scaling = &service.scalable_target;
            assert_eq!((scaling.min_capacity, scaling.max_capacity), (1, 5));
            let cpu = &service.scaling_policies[0].target_tracking_scaling_policy_configuration;
            assert_eq!((cpu.target_value, cpu.scale_in_cooldown, cpu.scale_out_cooldown), (60.0, 60, 60));
        }
    }
}

#[test]
fn secrets_are_references_resolved_per_environment_never_values() {
    let stage = desired("stage");
    let auth = stage.service("auth").unwrap();
    let container = &auth.task_definition.container_definitions[0];
    let secrets: Vec<(String, String)> = container
        .secrets
        .iter()
        .map(|s| (s.name.clone(), serde_json::to_value(&s.value_from).unwrap().as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        secrets,
        [
            ("DB_PASSWORD".to_string(), "<secret-arn stage/auth/db>:password::".to_string()),
            ("DB_USERNAME".to_string(), "<secret-arn stage/auth/db>:username::".to_string()),
            ("JWT_SIGNING_KEY".to_string(), "<secret-arn stage/auth/jwt>".to_string()),
        ]
    );
    assert!(container.environment.iter().all(|variable| !variable.name.contains("PASSWORD")));
    let prod = desired("prod");
    let prod_secret = serde_json::to_string(&prod.service("auth").unwrap().task_definition).unwrap();
    assert!(prod_secret.contains("<secret-arn prod/auth/db>:password::"));
}

#[test]
fn execution_role_reaches_only_its_own_repository_logs_and_secrets() {
    let stage = desired("stage");
    let auth = stage.service("auth").unwrap();
    let policy = serde_json::to_value(&auth.execution_role.as_ref().unwrap().put_role_policy).unwrap();
    // IAM takes policy documents as JSON strings.
    let document: serde_json::Value = serde_json::from_str(policy["PolicyDocument"].as_str().unwrap()).unwrap();
    let resources: Vec<String> = document["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|statement| statement["Resource"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        resources,
        [
            "*",
            "arn:aws:ecr:us-east-1:123456789012:repository/acme/auth",
            "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/acme/stage/auth:*",
            "*",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage/auth/db-??????",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage/auth/jwt-??????",
        ]
    );
    // kms:Decrypt names no key (which key a secret uses is not the manifest's to say), so its
    // conditions hold it to Secrets Manager and to this service's own secrets.
    let decrypt = &document["Statement"][3];
    assert_eq!(decrypt["Action"], serde_json::json!(["kms:Decrypt"]));
    assert_eq!(decrypt["Condition"]["StringEquals"]["kms:ViaService"], "secretsmanager.us-east-1.amazonaws.com");
    assert_eq!(
        decrypt["Condition"]["StringLike"]["kms:EncryptionContext:SecretARN"],
        serde_json::json!([
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage/auth/db-??????",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage/auth/jwt-??????",
        ])
    );
    // The other "*" is ecr:GetAuthorizationToken, which AWS does not scope.
    assert_eq!(document["Statement"][0]["Action"], serde_json::json!(["ecr:GetAuthorizationToken"]));
    // No permissions in the manifest: the task role has no policy at all.
    assert!(auth.task_role.as_ref().unwrap().put_role_policy.is_none());
    // ai-router has no secrets: no Secrets Manager grant.
    let ai = stage.service("ai-router").unwrap();
    assert!(!serde_json::to_string(&ai.execution_role).unwrap().contains("secretsmanager"));
}

#[test]
fn every_resource_carries_ownership_and_cost_allocation_tags() {
    let stage = desired("stage");
    for service in &stage.services {
        for tags in [
            &service.task_definition.tags,
            &service.service.tags,
            &service.target_group.tags,
            &service.listener_rule.tags,
            &service.log_group.as_ref().unwrap().tags,
            &service.execution_role.as_ref().unwrap().create_role.tags,
            &service.task_role.as_ref().unwrap().create_role.tags,
            &service.scalable_target.tags,
        ] {
            assert_eq!(tags.get("ecsdeploy:project"), Some("acme"));
            assert_eq!(tags.get("ecsdeploy:environment"), Some("stage"));
            assert_eq!(tags.get("ecsdeploy:service"), Some(service.name.as_str()));
            assert_eq!(tags.get("CostCenter"), Some("platform"));
            assert_eq!(tags.get("Environment"), Some("stage"));
        }
    }
}

#[test]
fn spot_capacity_for_test_and_stage_on_demand_base_in_prod() {
    let strategy = |environment: &str| {
        desired(environment).services[0]
            .service
            .capacity_provider_strategy
            .iter()
            .map(|item| (item.capacity_provider.clone(), item.weight, item.base))
            .collect::<Vec<_>>()
    };
    assert_eq!(strategy("test"), [("FARGATE_SPOT".to_string(), 1, 0)]);
    assert_eq!(strategy("stage"), [("FARGATE_SPOT".to_string(), 1, 0)]);
    assert_eq!(strategy("prod"), [("FARGATE".to_string(), 1, 1), ("FARGATE_SPOT".to_string(), 1, 0)]);
}

/// `ecsdeploy policy` grants every AWS action the deployer's code names as the operation of a
/// call (each `self.error("service:Action", ...)` in src/cloud/aws), except the ones that belong
/// to other principals or commands (listed, with why).
#[test]
fn the_deployer_policy_grants_every_action_ecsdeploy_calls() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let checked = checked::load(root).unwrap();
    let stage = checked.manifest.environment("stage").unwrap();
    let context = Context::new("us-east-1", Some("123456789012".into()));
    let desired = desired::build(&checked.manifest, stage, &context);
    let policy = ecsdeploy::deployer_policy::deployer_policy(&checked.manifest, stage, &desired, &context);
    assert!(ecsdeploy::deployer_policy::policy_size(&policy) <= ecsdeploy::deployer_policy::MANAGED_POLICY_LIMIT);
    let granted: Vec<&String> = policy.statement.iter().flat_map(|statement| &statement.action).collect();
    let is_granted = |action: &str| {
        granted.iter().any(|grant| match grant.strip_suffix('*') {
            Some(prefix) => action.starts_with(prefix),
            None => grant.as_str() == action,
        })
    };
    // Not the deployer's: the execution role's (pulling, logging, reading secrets at task start),
    // trust policies, `secrets set` and refusals ecsdeploy never sends.
    let elsewhere = [
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
        "kms:Decrypt",
        "kms:ViaService",
        "sts:AssumeRole",
        "sts:GetCallerIdentity",
        "secretsmanager:CreateSecret",
        "secretsmanager:PutSecretValue",
        "ecr:DeleteRepository",
        "ecr:BatchDeleteImage",
    ];
    let mut missing = Vec::new();
    // Every file of the AWS implementation, in its API family folders too.
    let mut files = Vec::new();
    let mut folders = vec![root.join("src/cloud/aws")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { folders.push(path) } else { files.push(path) }
        }
    }
    assert!(files.len() > 30, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        for quoted in text.split('"').skip(1).step_by(2) {
            let Some((service, action)) = quoted.split_once(':') else { continue };
            // Service prefixes are lower case with digits and dashes (`ec2`, `application-autoscaling`).
            let is_operation = service.len() > 2
                && service.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && action.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && action.chars().all(|c| c.is_ascii_alphanumeric());
            if is_operation && !elsewhere.contains(&quoted) && !is_granted(quoted) {
                missing.push(quoted.to_string());
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "not in the deployer policy: {missing:?}");
}
