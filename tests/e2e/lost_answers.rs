//! Writes whose answer is lost: the request reaches AWS, the change happens, and the answer never
//! comes back (the fault proxy's `lost-answer`), so the SDK sends it again. For each kind of
//! write, the first attempt's answer is lost during the first `up` of an environment (or the
//! command that makes that write) on a new account: the command still succeeds, the fault log
//! shows the fault and what followed, AWS holds exactly what one successful attempt would have
//! made, and the next `plan` is empty. The AWS state is read with the SDK as a second client.

use crate::support;

use aws_config::SdkConfig;
use support::fault_proxy::ProxiedRequest;
use support::{SERVICES, TestAccount, prepared_account, root, run};

/// An environment's first `up` through the fault proxy, with the first answer to `operation`
/// lost, and what it left.
struct LostAnswer {
    /// The account as the test reaches it directly (no faults).
    account: TestAccount,
    config: SdkConfig,
    requests: Vec<ProxiedRequest>,
}

impl LostAnswer {
    /// The requests of `operation`, in the order they were made.
    fn calls(&self, operation: &str) -> Vec<&ProxiedRequest> {
        self.requests.iter().filter(|request| request.is(operation)).collect()
    }

    /// The fault fired once on `operation`, after the emulator had carried the request out (200),
    /// and the command made `operation` `calls` times in all (one more than the resources it
    /// made: the SDK's repeat; or as many, where ecsdeploy looks before repeating).
    fn assert_one_lost(&self, operation: &str, calls: usize) {
        assert_one_lost(&self.requests, operation, calls);
    }

    /// The next `plan` of the environment finds nothing to change.
    fn assert_plan_empty(&self) {
        let plan = run(self.account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(root()));
        assert_eq!(plan.code, 0, "a second plan must be empty:\n{}", plan.transcript());
    }
}

/// See [`LostAnswer::assert_one_lost`]. (Which request of `operation` lost its answer depends on
/// the order parallel creates reach the proxy.)
fn assert_one_lost(requests: &[ProxiedRequest], operation: &str, calls: usize) {
    let made: Vec<&ProxiedRequest> = requests.iter().filter(|request| request.is(operation)).collect();
    let lost: Vec<&&ProxiedRequest> = made.iter().filter(|request| request.fault.is_some()).collect();
    assert_eq!(lost.len(), 1, "one lost answer: {made:?}");
    assert_eq!(lost[0].fault.as_deref(), Some("lost-answer"), "{made:?}");
    assert_eq!(lost[0].upstream_status, Some(200), "the change was made: {made:?}");
    assert_eq!(made.len(), calls, "{operation} calls: {made:?}");
}

/// The first `up` of stage in a prepared account, the first answer to `operation` lost.
async fn first_up_losing(operation: &str) -> LostAnswer {
    first_up_with_fault(operation, "lost-answer").await
}

/// The first `up` of stage in a prepared account, `fault` on the first request of `operation`.
async fn first_up_with_fault(operation: &str, fault: &str) -> LostAnswer {
    let (account, config) = prepared_account().await;
    let faulty = account.behind_fault_proxy();
    faulty.set_faults(serde_json::json!([{"operation": operation, "fault": fault, "times": 1}]));
    let up = run(faulty.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(root()));
    let requests = faulty.proxied_requests();
    assert_eq!(up.code, 0, "{}", up.transcript());
    LostAnswer { account, config, requests }
}

fn stage_names(suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = SERVICES.iter().map(|service| format!("acme-stage-{service}{suffix}")).collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_lost_create_role_answer_goes_on_with_the_role_it_made() {
    let lost = first_up_losing("CreateRole").await;
    lost.assert_one_lost("CreateRole", 2 * SERVICES.len() + 1);
    let iam = aws_sdk_iam::Client::new(&lost.config);
    let roles = iam.list_roles().path_prefix("/ecsdeploy/").send().await.unwrap();
    let mut names: Vec<&str> = roles.roles().iter().map(|role| role.role_name()).collect();
    names.sort();
    let mut expected: Vec<String> = [stage_names("-execution"), stage_names("-task")].concat();
    expected.sort();
    assert_eq!(names, expected);
    // Whichever role's answer was lost, the rest of its create (the inline policy) was made.
    for name in stage_names("-execution") {
        let policies = iam.list_role_policies().role_name(&name).send().await.unwrap();
        assert_eq!(policies.policy_names(), ["ecsdeploy"], "{name}");
    }
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_create_rule_answer_goes_on_with_the_rule_it_made() {
    let lost = first_up_losing("CreateRule").await;
    lost.assert_one_lost("CreateRule", SERVICES.len() + 1);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&lost.config);
    let balancers = elb.describe_load_balancers().names("acme").send().await.unwrap();
    let listeners =
        elb.describe_listeners().load_balancer_arn(balancers.load_balancers()[0].load_balancer_arn().unwrap());
    let listeners = listeners.send().await.unwrap();
    let https = listeners.listeners().iter().find(|listener| listener.port() == Some(443)).unwrap();
    let rules = elb.describe_rules().listener_arn(https.listener_arn().unwrap()).send().await.unwrap();
    let mut priorities: Vec<&str> = rules
        .rules()
        .iter()
        .filter(|rule| rule.is_default() != Some(true))
        .filter_map(|rule| rule.priority())
        .collect();
    priorities.sort();
    let count = priorities.len();
    priorities.dedup();
    assert_eq!((count, priorities.len()), (SERVICES.len(), SERVICES.len()), "one rule per priority: {priorities:?}");
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_create_log_group_answer_goes_on_and_sets_the_retention() {
    let lost = first_up_losing("CreateLogGroup").await;
    lost.assert_one_lost("CreateLogGroup", SERVICES.len() + 1);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&lost.config);
    let groups = logs.describe_log_groups().log_group_name_prefix("/ecs/acme/stage/").send().await.unwrap();
    assert_eq!(groups.log_groups().len(), SERVICES.len(), "{:?}", groups.log_groups());
    for group in groups.log_groups() {
        assert!(group.retention_in_days().is_some(), "retention set on {:?}", group.log_group_name());
    }
    lost.assert_plan_empty();
}

/// The account's security groups named `name`, as `(ID, number of ingress permissions)`.
async fn security_groups_named(config: &SdkConfig, name: &str) -> Vec<(String, usize)> {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let filter = aws_sdk_ec2::types::Filter::builder().name("group-name").values(name).build();
    let groups = ec2.describe_security_groups().filters(filter).send().await.unwrap();
    groups
        .security_groups()
        .iter()
        .map(|group| {
            let rules = group
                .ip_permissions()
                .iter()
                .map(|permission| permission.ip_ranges().len() + permission.user_id_group_pairs().len());
            (group.group_id().unwrap().to_string(), rules.sum())
        })
        .collect()
}

#[tokio::test]
async fn a_lost_create_security_group_answer_goes_on_with_the_group_it_made() {
    let lost = first_up_losing("CreateSecurityGroup").await;
    lost.assert_one_lost("CreateSecurityGroup", 3);
    let load_balancer = security_groups_named(&lost.config, "acme-alb").await;
    let services = security_groups_named(&lost.config, "acme-services").await;
    assert_eq!(load_balancer.len(), 1, "{load_balancer:?}");
    assert_eq!(services.len(), 1, "{services:?}");
    assert!(load_balancer[0].1 > 0 && services[0].1 > 0, "ingress authorized: {load_balancer:?} {services:?}");
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_authorize_ingress_answer_finds_its_rules_there() {
    let lost = first_up_losing("AuthorizeSecurityGroupIngress").await;
    let calls = lost.calls("AuthorizeSecurityGroupIngress").len();
    // Two groups: the lost call, its repeat (refused as a duplicate), then rule by rule.
    assert!(calls >= 3, "{calls}");
    lost.assert_one_lost("AuthorizeSecurityGroupIngress", calls);
    let load_balancer = security_groups_named(&lost.config, "acme-alb").await;
    let services = security_groups_named(&lost.config, "acme-services").await;
    assert_eq!(load_balancer.iter().map(|(_, rules)| *rules).collect::<Vec<_>>(), [2], "80 and 443 from anywhere");
    assert_eq!(services.iter().map(|(_, rules)| *rules).collect::<Vec<_>>(), [1], "from the ALB's group");
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_create_service_answer_is_answered_with_the_service_it_made() {
    let lost = first_up_losing("CreateService").await;
    lost.assert_one_lost("CreateService", SERVICES.len() + 1);
    let ecs = aws_sdk_ecs::Client::new(&lost.config);
    let names: Vec<String> = SERVICES.iter().map(|service| format!("stage-{service}")).collect();
    let services = ecs.describe_services().cluster("acme").set_services(Some(names)).send().await.unwrap();
    assert_eq!(services.services().len(), SERVICES.len());
    for service in services.services() {
        assert_eq!(service.status(), Some("ACTIVE"));
        // The gate followed the deployment the first attempt started, which completed.
        assert_eq!(service.deployments().len(), 1, "{:?}", service.deployments());
        assert_eq!(service.running_count(), service.desired_count(), "{:?}", service.service_name());
    }
    let listed = ecs.list_services().cluster("acme").send().await.unwrap();
    assert_eq!(listed.service_arns().len(), SERVICES.len());
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_register_task_definition_answer_leaves_no_second_revision() {
    let lost = first_up_losing("RegisterTaskDefinition").await;
    // Not repeated blindly: the family's newest revision was read and was what had been sent.
    lost.assert_one_lost("RegisterTaskDefinition", SERVICES.len());
    let lost_at = lost.calls("RegisterTaskDefinition").iter().find(|request| request.fault.is_some()).unwrap().seq;
    let looked = lost.requests.iter().any(|request| request.is("DescribeTaskDefinition") && request.seq > lost_at);
    assert!(looked, "the newest revision was read after the lost answer");
    let ecs = aws_sdk_ecs::Client::new(&lost.config);
    for service in SERVICES {
        let family = format!("stage-{service}");
        let revisions = ecs.list_task_definitions().family_prefix(&family).send().await.unwrap();
        assert_eq!(revisions.task_definition_arns().len(), 1, "{family}: {:?}", revisions.task_definition_arns());
    }
    lost.assert_plan_empty();
}

/// The counterpart: a registration AWS refused (HTTP 500, not carried out) is sent again once
/// the family's newest revision shows it was not made.
#[tokio::test]
async fn a_register_task_definition_that_failed_is_sent_again() {
    let failed = first_up_with_fault("RegisterTaskDefinition", "http-500").await;
    let made = failed.calls("RegisterTaskDefinition");
    assert_eq!(made.iter().filter(|request| request.fault.as_deref() == Some("http-500")).count(), 1, "{made:?}");
    assert_eq!(made.len(), SERVICES.len() + 1, "{made:?}");
    let ecs = aws_sdk_ecs::Client::new(&failed.config);
    for service in SERVICES {
        let family = format!("stage-{service}");
        let revisions = ecs.list_task_definitions().family_prefix(&family).send().await.unwrap();
        assert_eq!(revisions.task_definition_arns().len(), 1, "{family}: {:?}", revisions.task_definition_arns());
    }
    failed.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_create_target_group_answer_is_answered_with_the_group_it_made() {
    let lost = first_up_losing("CreateTargetGroup").await;
    lost.assert_one_lost("CreateTargetGroup", SERVICES.len() + 1);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&lost.config);
    let groups = elb.describe_target_groups().send().await.unwrap();
    let mut names: Vec<&str> = groups.target_groups().iter().filter_map(|group| group.target_group_name()).collect();
    names.sort();
    assert_eq!(names, stage_names(""));
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_create_load_balancer_answer_is_answered_with_the_load_balancer_it_made() {
    let lost = first_up_losing("CreateLoadBalancer").await;
    lost.assert_one_lost("CreateLoadBalancer", 2);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&lost.config);
    let balancers = elb.describe_load_balancers().send().await.unwrap();
    assert_eq!(balancers.load_balancers().len(), 1, "{:?}", balancers.load_balancers());
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_create_listener_answer_is_answered_with_the_listener_it_made() {
    let lost = first_up_losing("CreateListener").await;
    lost.assert_one_lost("CreateListener", 3);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&lost.config);
    let balancers = elb.describe_load_balancers().names("acme").send().await.unwrap();
    let arn = balancers.load_balancers()[0].load_balancer_arn().unwrap();
    let listeners = elb.describe_listeners().load_balancer_arn(arn).send().await.unwrap();
    let mut ports: Vec<i32> = listeners.listeners().iter().filter_map(|listener| listener.port()).collect();
    ports.sort();
    assert_eq!(ports, [80, 443]);
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_create_cluster_answer_is_answered_with_the_cluster_it_made() {
    let lost = first_up_losing("CreateCluster").await;
    lost.assert_one_lost("CreateCluster", 2);
    let ecs = aws_sdk_ecs::Client::new(&lost.config);
    assert_eq!(ecs.list_clusters().send().await.unwrap().cluster_arns().len(), 1);
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_put_image_answer_finds_the_pin_there() {
    let lost = first_up_losing("PutImage").await;
    lost.assert_one_lost("PutImage", SERVICES.len() + 1);
    let ecr = aws_sdk_ecr::Client::new(&lost.config);
    for service in SERVICES {
        let images = ecr.describe_images().repository_name(format!("acme/{service}")).send().await.unwrap();
        let tags: Vec<&str> =
            images.image_details().iter().flat_map(|image| image.image_tags()).map(String::as_str).collect();
        assert!(tags.iter().any(|tag| tag.starts_with("ecsdeploy-")), "{service}: {tags:?}");
    }
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_register_scalable_target_answer_is_harmless() {
    let lost = first_up_losing("RegisterScalableTarget").await;
    lost.assert_one_lost("RegisterScalableTarget", SERVICES.len() + 1);
    let autoscaling = aws_sdk_applicationautoscaling::Client::new(&lost.config);
    let targets = autoscaling
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap();
    assert_eq!(targets.scalable_targets().len(), SERVICES.len());
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_put_scaling_policy_answer_is_harmless() {
    let lost = first_up_losing("PutScalingPolicy").await;
    let calls = lost.calls("PutScalingPolicy").len();
    lost.assert_one_lost("PutScalingPolicy", calls);
    let autoscaling = aws_sdk_applicationautoscaling::Client::new(&lost.config);
    let policies = autoscaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .send()
        .await
        .unwrap();
    let mut names: Vec<&str> = policies.scaling_policies().iter().map(|policy| policy.policy_name()).collect();
    let count = names.len();
    names.sort();
    names.dedup();
    assert_eq!(count, names.len(), "one policy per name: {names:?}");
    assert_eq!(count + 1, calls, "every policy put once, the lost one twice");
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_put_metric_alarm_answer_is_harmless() {
    let lost = first_up_losing("PutMetricAlarm").await;
    let calls = lost.calls("PutMetricAlarm").len();
    lost.assert_one_lost("PutMetricAlarm", calls);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&lost.config);
    let alarms = cloudwatch.describe_alarms().alarm_name_prefix("acme-stage-").send().await.unwrap();
    assert_eq!(alarms.metric_alarms().len() + 1, calls, "every alarm put once, the lost one twice");
    lost.assert_plan_empty();
}

#[tokio::test]
async fn a_lost_change_resource_record_sets_answer_is_harmless() {
    let lost = first_up_losing("ChangeResourceRecordSets").await;
    lost.assert_one_lost("ChangeResourceRecordSets", 2);
    let route53 = aws_sdk_route53::Client::new(&lost.config);
    let zones = route53.list_hosted_zones_by_name().dns_name("acme.example").send().await.unwrap();
    let records = route53.list_resource_record_sets().hosted_zone_id(zones.hosted_zones()[0].id()).send().await;
    let records = records.unwrap();
    let named: Vec<&str> = records
        .resource_record_sets()
        .iter()
        .filter(|set| set.name().trim_end_matches('.') == "stage.api.acme.example")
        .map(|set| set.r#type().as_str())
        .collect();
    assert_eq!(named, ["A", "TXT"], "the alias and its ownership marker, once each");
    lost.assert_plan_empty();
}

/// `repositories` on a new account (with the test world), through the proxy, the first answer to
/// `operation` lost.
async fn repositories_losing(operation: &str) -> (TestAccount, SdkConfig, Vec<ProxiedRequest>) {
    let account = TestAccount::new();
    account.create_world();
    let faulty = account.behind_fault_proxy();
    faulty.set_faults(serde_json::json!([{"operation": operation, "fault": "lost-answer", "times": 1}]));
    let made = run(faulty.ecsdeploy(&["repositories", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(made.code, 0, "{}", made.transcript());
    let config = account.sdk_config().await;
    (account, config, faulty.proxied_requests())
}

#[tokio::test]
async fn a_lost_create_repository_answer_goes_on_with_the_repository_it_made() {
    let (account, config, requests) = repositories_losing("CreateRepository").await;
    let lost = LostAnswer { account, config, requests };
    lost.assert_one_lost("CreateRepository", SERVICES.len() + 1);
    let ecr = aws_sdk_ecr::Client::new(&lost.config);
    for service in SERVICES {
        let name = format!("acme/{service}");
        // The rest of the create (the lifecycle policy) was made for each of them.
        let policy = ecr.get_lifecycle_policy().repository_name(&name).send().await;
        assert!(policy.is_ok(), "{name}: {policy:?}");
    }
    let again =
        run(lost.account.ecsdeploy(&["repositories", "--env", "stage", "--output", "json"]).current_dir(root()));
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert_eq!(again.json()["plan"]["has_changes"], false, "{}", again.stdout);
}

#[tokio::test]
async fn a_lost_create_table_answer_goes_on_with_the_table_it_made() {
    let (_account, config, requests) = repositories_losing("CreateTable").await;
    assert_one_lost(&requests, "CreateTable", 2);
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let table = dynamodb.describe_table().table_name("ecsdeploy-history-acme").send().await.unwrap();
    assert_eq!(table.table().and_then(|table| table.deletion_protection_enabled()), Some(true));
    let backups = dynamodb.describe_continuous_backups().table_name("ecsdeploy-history-acme").send().await.unwrap();
    let recovery = backups
        .continuous_backups_description()
        .and_then(|description| description.point_in_time_recovery_description())
        .and_then(|recovery| recovery.point_in_time_recovery_status());
    assert_eq!(
        recovery.map(|status| status.as_str()),
        Some("ENABLED"),
        "point-in-time recovery turned on all the same"
    );
}

#[tokio::test]
async fn a_lost_create_secret_answer_is_answered_with_the_secret_it_made() {
    let account = TestAccount::new();
    account.create_world();
    let directory = support::manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let services = services
        .replace("JWT_SIGNING_KEY = \"auth/jwt\"", "JWT_SIGNING_KEY = \"auth/jwt\"\nAPI_KEY = \"auth/api-key\"");
    support::write(directory.path(), "services.toml", &services);
    let value = directory.path().join("value");
    std::fs::write(&value, "s3cr3t").unwrap();
    let faulty = account.behind_fault_proxy();
    faulty.set_faults(serde_json::json!([{"operation": "CreateSecret", "fault": "lost-answer", "times": 1}]));
    let set = run(faulty
        .ecsdeploy(&["secrets", "set", "--env", "stage", "auth/api-key", "--from-file"])
        .arg(&value)
        .arg("-f")
        .arg(directory.path()));
    assert_eq!(set.code, 0, "{}", set.transcript());
    assert!(set.stdout.contains("stage/auth/api-key: created"), "{}", set.stdout);
    assert_one_lost(&faulty.proxied_requests(), "CreateSecret", 2);
    let secrets = aws_sdk_secretsmanager::Client::new(&account.sdk_config().await);
    let stored = secrets.get_secret_value().secret_id("stage/auth/api-key").send().await.unwrap();
    assert_eq!(stored.secret_string(), Some("s3cr3t"));
    let described = secrets.describe_secret().secret_id("stage/auth/api-key").send().await.unwrap();
    assert_eq!(described.version_ids_to_stages().map(|versions| versions.len()), Some(1), "one version");
}
