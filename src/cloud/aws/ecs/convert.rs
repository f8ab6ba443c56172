//! ECS conversions, pure: what DescribeClusters, DescribeServices and DescribeTaskDefinition
//! return, normalised into the desired shapes (so that plan compares like with like), and the
//! desired shapes turned into the parts of ECS requests. No I/O here: the reader and writer in
//! the parent module call these, and the tests below build SDK values with the SDK's builders.
//!
//! The normalisation: lists AWS reorders are sorted (capacity providers and strategy, subnets,
//! security groups, environment, secrets, compatibilities), defaults AWS fills in or leaves out
//! are written as the desired side writes them (platform version `LATEST`, no public IP,
//! 200 %/100 % deployment, the `ECS` controller, `NONE` tag propagation, `X86_64`/`LINUX`,
//! essential containers, host port = container port, `tcp`, the health check's 30/5/3/0), the
//! cluster is named, not given by ARN, and tags are in canonical order without `aws:` ones.

use crate::desired::Reference;
use crate::desired::Template;
use crate::desired::ecs_service::{
    AwsVpcConfiguration, CapacityProviderStrategyItem, DeploymentCircuitBreaker, DeploymentConfiguration,
    DeploymentController, EcsService, LoadBalancerBinding, NetworkConfiguration,
};
use crate::desired::shared::Cluster;
use crate::desired::tags::{Tags, tags_from};
use crate::desired::task_definition::{
    ContainerDefinition, ContainerHealthCheck, ImageReference, KeyValue, LogConfiguration, LogOptions, PortMapping,
    RuntimePlatform, SecretValueFrom, SecretVariable, TaskDefinition,
};
use crate::plan::values::Values;
use aws_sdk_ecs::types as ecs;

/// ECS tags as [`Tags`]: canonical order, `aws:` tags left out, a missing key or value empty.
pub(crate) fn tags_of(tags: &[ecs::Tag]) -> Tags {
    tags_from(tags.iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())))
}

/// The cluster in the desired shape, named `name` (the reader asked for it by that name; ECS
/// answers with its ARN too): capacity providers sorted.
pub(crate) fn cluster_of(name: &str, cluster: &ecs::Cluster) -> Cluster {
    let mut capacity_providers = cluster.capacity_providers().to_vec();
    capacity_providers.sort();
    Cluster { cluster_name: name.to_string(), capacity_providers, tags: tags_of(cluster.tags()) }
}

/// The runtime platform a registration sends.
pub(crate) fn runtime_platform(platform: &RuntimePlatform) -> ecs::RuntimePlatform {
    ecs::RuntimePlatform::builder()
        .cpu_architecture(ecs::CpuArchitecture::from(platform.cpu_architecture.as_str()))
        .operating_system_family(ecs::OsFamily::from(platform.operating_system_family.as_str()))
        .build()
}

/// Tags as ECS takes them, in their order.
pub(crate) fn ecs_tags(tags: &Tags) -> Vec<ecs::Tag> {
    tags.0.iter().map(|(key, value)| ecs::Tag::builder().key(key).value(value).build()).collect()
}

/// The service's PRIMARY deployment as a value: the gate follows it.
pub(crate) fn deployment_value(service_name: &str, service: Option<&ecs::Service>) -> Values {
    let mut values = Values::default();
    if let Some(id) = super::super::rollout::primary_deployment(service) {
        values.set(&Reference::DeploymentId { service: service_name.to_string() }, id);
    }
    values
}

/// `json` without the top-level `keys`.
pub(crate) fn without(json: &serde_json::Value, keys: &[&str]) -> serde_json::Value {
    let mut json = json.clone();
    if let Some(object) = json.as_object_mut() {
        for key in keys {
            object.remove(*key);
        }
    }
    json
}

/// The parts of a service request that the SDK builds with validation.
pub(crate) struct ServiceParts {
    pub capacity: Vec<ecs::CapacityProviderStrategyItem>,
    pub network: ecs::NetworkConfiguration,
    pub load_balancers: Vec<ecs::LoadBalancer>,
    pub deployment: ecs::DeploymentConfiguration,
    pub controller: ecs::DeploymentController,
}

pub(crate) fn service_parts(service: &EcsService) -> Result<ServiceParts, String> {
    let capacity = service
        .capacity_provider_strategy
        .iter()
        .map(|item| {
            ecs::CapacityProviderStrategyItem::builder()
                .capacity_provider(&item.capacity_provider)
                .weight(item.weight as i32)
                .base(item.base as i32)
                .build()
                .map_err(|error| error.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let vpc = &service.network_configuration.awsvpc_configuration;
    let awsvpc = ecs::AwsVpcConfiguration::builder()
        .set_subnets(Some(vpc.subnets.iter().map(ToString::to_string).collect()))
        .set_security_groups(Some(vpc.security_groups.iter().map(ToString::to_string).collect()))
        .assign_public_ip(ecs::AssignPublicIp::from(vpc.assign_public_ip.as_str()))
        .build()
        .map_err(|error| error.to_string())?;
    let load_balancers = service
        .load_balancers
        .iter()
        .map(|binding| {
            ecs::LoadBalancer::builder()
                .target_group_arn(binding.target_group_arn.to_string())
                .container_name(&binding.container_name)
                .container_port(binding.container_port as i32)
                .build()
        })
        .collect();
    let configuration = &service.deployment_configuration;
    let breaker = ecs::DeploymentCircuitBreaker::builder()
        .enable(configuration.deployment_circuit_breaker.enable)
        .rollback(configuration.deployment_circuit_breaker.rollback)
        .build();
    let deployment = ecs::DeploymentConfiguration::builder()
        .deployment_circuit_breaker(breaker)
        .maximum_percent(configuration.maximum_percent as i32)
        .minimum_healthy_percent(configuration.minimum_healthy_percent as i32)
        .build();
    let controller = ecs::DeploymentController::builder()
        .r#type(ecs::DeploymentControllerType::from(service.deployment_controller.controller_type.as_str()))
        .build()
        .map_err(|error| error.to_string())?;
    Ok(ServiceParts {
        capacity,
        network: ecs::NetworkConfiguration::builder().awsvpc_configuration(awsvpc).build(),
        load_balancers,
        deployment,
        controller,
    })
}

pub(crate) fn container_of(container: &ContainerDefinition) -> Result<ecs::ContainerDefinition, String> {
    let environment = container
        .environment
        .iter()
        .map(|variable| ecs::KeyValuePair::builder().name(&variable.name).value(&variable.value).build())
        .collect();
    let secrets = container
        .secrets
        .iter()
        .map(|secret| ecs::Secret::builder().name(&secret.name).value_from(secret.value_from.0.to_string()).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| error.to_string())?;
    let options = &container.log_configuration.options;
    let log_configuration = ecs::LogConfiguration::builder()
        .log_driver(ecs::LogDriver::from(container.log_configuration.log_driver.as_str()))
        .options("awslogs-group", &options.group)
        .options("awslogs-region", &options.region)
        .options("awslogs-stream-prefix", &options.stream_prefix)
        .build()
        .map_err(|error| error.to_string())?;
    let health_check = match &container.health_check {
        Some(check) => Some(
            ecs::HealthCheck::builder()
                .set_command(Some(check.command.clone()))
                .interval(check.interval as i32)
                .timeout(check.timeout as i32)
                .retries(check.retries as i32)
                .start_period(check.start_period as i32)
                .build()
                .map_err(|error| error.to_string())?,
        ),
        None => None,
    };
    let ports = container
        .port_mappings
        .iter()
        .map(|mapping| {
            ecs::PortMapping::builder()
                .container_port(mapping.container_port as i32)
                .host_port(mapping.host_port as i32)
                .protocol(ecs::TransportProtocol::from(mapping.protocol.as_str()))
                .build()
        })
        .collect();
    Ok(ecs::ContainerDefinition::builder()
        .name(&container.name)
        .image(container.image.to_reference_string())
        .essential(container.essential)
        .set_command(container.command.clone())
        .set_entry_point(container.entry_point.clone())
        .set_port_mappings(Some(ports))
        .set_environment(Some(environment))
        .set_secrets(Some(secrets))
        .log_configuration(log_configuration)
        .set_health_check(health_check)
        .build())
}

/// A service in the desired shape: lists sorted, the cluster by name, the task count included
/// (plan ignores it once the service exists).
pub(crate) fn service_of(cluster: &str, service: &ecs::Service, tags: Tags) -> EcsService {
    let mut capacity: Vec<CapacityProviderStrategyItem> = service
        .capacity_provider_strategy()
        .iter()
        .map(|item| CapacityProviderStrategyItem {
            capacity_provider: item.capacity_provider().to_string(),
            weight: i64::from(item.weight()),
            base: i64::from(item.base()),
        })
        .collect();
    capacity.sort_by(|a, b| a.capacity_provider.cmp(&b.capacity_provider));
    let vpc = service.network_configuration().and_then(|network| network.awsvpc_configuration());
    let mut subnets: Vec<Reference> =
        vpc.map(|vpc| vpc.subnets().iter().map(Reference::known).collect()).unwrap_or_default();
    subnets.sort();
    let mut security_groups: Vec<Reference> =
        vpc.map(|vpc| vpc.security_groups().iter().map(Reference::known).collect()).unwrap_or_default();
    security_groups.sort();
    let deployment = service.deployment_configuration();
    let breaker = deployment.and_then(|deployment| deployment.deployment_circuit_breaker());
    EcsService {
        cluster: cluster.to_string(),
        service_name: service.service_name().unwrap_or_default().to_string(),
        task_definition: Reference::known(service.task_definition().unwrap_or_default()),
        desired_count: i64::from(service.desired_count()),
        capacity_provider_strategy: capacity,
        platform_version: service.platform_version().unwrap_or("LATEST").to_string(),
        network_configuration: NetworkConfiguration {
            awsvpc_configuration: AwsVpcConfiguration {
                subnets,
                security_groups,
                assign_public_ip: vpc
                    .and_then(|vpc| vpc.assign_public_ip())
                    .map(|a| a.as_str().to_string())
                    .unwrap_or("DISABLED".into()),
            },
        },
        load_balancers: service
            .load_balancers()
            .iter()
            .map(|binding| LoadBalancerBinding {
                target_group_arn: Reference::known(binding.target_group_arn().unwrap_or_default()),
                container_name: binding.container_name().unwrap_or_default().to_string(),
                container_port: i64::from(binding.container_port().unwrap_or_default()),
            })
            .collect(),
        health_check_grace_period_seconds: i64::from(service.health_check_grace_period_seconds().unwrap_or_default()),
        deployment_configuration: DeploymentConfiguration {
            deployment_circuit_breaker: DeploymentCircuitBreaker {
                enable: breaker.is_some_and(|breaker| breaker.enable()),
                rollback: breaker.is_some_and(|breaker| breaker.rollback()),
            },
            maximum_percent: i64::from(deployment.and_then(|d| d.maximum_percent()).unwrap_or(200)),
            minimum_healthy_percent: i64::from(deployment.and_then(|d| d.minimum_healthy_percent()).unwrap_or(100)),
        },
        deployment_controller: DeploymentController {
            controller_type: service
                .deployment_controller()
                .map(|controller| controller.r#type().as_str().to_string())
                .unwrap_or("ECS".into()),
        },
        propagate_tags: service.propagate_tags().map(|p| p.as_str().to_string()).unwrap_or("NONE".into()),
        enable_ecs_managed_tags: service.enable_ecs_managed_tags(),
        tags,
    }
}

/// A task definition in the desired shape: environment and secrets sorted, defaults ECS adds
/// left out or written as the desired side writes them.
pub(crate) fn task_definition_of(definition: &ecs::TaskDefinition, tags: Tags) -> TaskDefinition {
    let platform = definition.runtime_platform();
    let mut compatibilities: Vec<String> =
        definition.requires_compatibilities().iter().map(|c| c.as_str().to_string()).collect();
    compatibilities.sort();
    TaskDefinition {
        family: definition.family().unwrap_or_default().to_string(),
        task_role_arn: Template::literal(definition.task_role_arn().unwrap_or_default()),
        execution_role_arn: Template::literal(definition.execution_role_arn().unwrap_or_default()),
        network_mode: definition.network_mode().map(|mode| mode.as_str().to_string()).unwrap_or_default(),
        requires_compatibilities: compatibilities,
        cpu: definition.cpu().unwrap_or_default().to_string(),
        memory: definition.memory().unwrap_or_default().to_string(),
        runtime_platform: RuntimePlatform {
            cpu_architecture: platform
                .and_then(|p| p.cpu_architecture())
                .map(|a| a.as_str().to_string())
                .unwrap_or("X86_64".into()),
            operating_system_family: platform
                .and_then(|p| p.operating_system_family())
                .map(|family| family.as_str().to_string())
                .unwrap_or("LINUX".into()),
        },
        container_definitions: definition.container_definitions().iter().map(container_definition_of).collect(),
        tags,
    }
}

pub(crate) fn container_definition_of(container: &ecs::ContainerDefinition) -> ContainerDefinition {
    let mut environment: Vec<KeyValue> = container
        .environment()
        .iter()
        .map(|pair| KeyValue {
            name: pair.name().unwrap_or_default().to_string(),
            value: pair.value().unwrap_or_default().to_string(),
        })
        .collect();
    environment.sort_by(|a, b| a.name.cmp(&b.name));
    let mut secrets: Vec<SecretVariable> = container
        .secrets()
        .iter()
        .map(|secret| SecretVariable {
            name: secret.name().to_string(),
            value_from: SecretValueFrom(Template::literal(secret.value_from())),
            secret: Default::default(),
        })
        .collect();
    secrets.sort_by(|a, b| a.name.cmp(&b.name));
    let options = container.log_configuration().and_then(|log| log.options());
    let option = |key: &str| options.and_then(|options| options.get(key)).cloned().unwrap_or_default();
    ContainerDefinition {
        name: container.name().unwrap_or_default().to_string(),
        image: ImageReference::External(container.image().unwrap_or_default().to_string()),
        essential: container.essential().unwrap_or(true),
        command: (!container.command().is_empty()).then(|| container.command().to_vec()),
        entry_point: (!container.entry_point().is_empty()).then(|| container.entry_point().to_vec()),
        port_mappings: container
            .port_mappings()
            .iter()
            .map(|mapping| PortMapping {
                container_port: i64::from(mapping.container_port().unwrap_or_default()),
                host_port: i64::from(mapping.host_port().or(mapping.container_port()).unwrap_or_default()),
                protocol: mapping.protocol().map(|p| p.as_str().to_string()).unwrap_or("tcp".into()),
            })
            .collect(),
        environment,
        secrets,
        log_configuration: LogConfiguration {
            log_driver: container
                .log_configuration()
                .map(|log| log.log_driver().as_str().to_string())
                .unwrap_or_default(),
            options: LogOptions {
                group: option("awslogs-group"),
                region: option("awslogs-region"),
                stream_prefix: option("awslogs-stream-prefix"),
            },
        },
        health_check: container.health_check().map(|check| ContainerHealthCheck {
            command: check.command().to_vec(),
            interval: i64::from(check.interval().unwrap_or(30)),
            timeout: i64::from(check.timeout().unwrap_or(5)),
            retries: i64::from(check.retries().unwrap_or(3)),
            start_period: i64::from(check.start_period().unwrap_or(0)),
        }),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    /// A service as the desired side builds it: lists sorted, every default written out.
    pub(in crate::cloud::aws::ecs) fn desired_service(
        name: &str,
        task_definition: &str,
        subnet: &str,
        group: &str,
        tags: Tags,
    ) -> EcsService {
        EcsService {
            cluster: "acme".into(),
            service_name: name.into(),
            task_definition: Reference::known(task_definition),
            desired_count: 0,
            capacity_provider_strategy: vec![CapacityProviderStrategyItem {
                capacity_provider: "FARGATE".into(),
                weight: 1,
                base: 0,
            }],
            platform_version: "LATEST".into(),
            network_configuration: NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    subnets: vec![Reference::known(subnet)],
                    security_groups: vec![Reference::known(group)],
                    assign_public_ip: "DISABLED".into(),
                },
            },
            load_balancers: Vec::new(),
            health_check_grace_period_seconds: 0,
            deployment_configuration: DeploymentConfiguration {
                deployment_circuit_breaker: DeploymentCircuitBreaker { enable: true, rollback: true },
                maximum_percent: 200,
                minimum_healthy_percent: 100,
            },
            deployment_controller: DeploymentController { controller_type: "ECS".into() },
            propagate_tags: "SERVICE".into(),
            enable_ecs_managed_tags: true,
            tags,
        }
    }

    fn tag(key: &str, value: &str) -> ecs::Tag {
        ecs::Tag::builder().key(key).value(value).build()
    }

    fn pairs(tags: &Tags) -> Vec<(&str, &str)> {
        tags.0.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect()
    }

    /// A container as the desired side writes it (environment and secrets sorted).
    fn desired_container() -> ContainerDefinition {
        let secret = |name: &str| SecretVariable {
            name: name.into(),
            value_from: SecretValueFrom(Template::literal(format!(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage/{name}"
            ))),
            secret: Default::default(),
        };
        ContainerDefinition {
            name: "app".into(),
            image: ImageReference::External("public.ecr.aws/docker/library/busybox:latest".into()),
            essential: true,
            command: Some(vec!["serve".into(), "--port=8080".into()]),
            entry_point: None,
            port_mappings: vec![PortMapping { container_port: 8080, host_port: 8080, protocol: "tcp".into() }],
            environment: vec![
                KeyValue { name: "A_MODE".into(), value: "one".into() },
                KeyValue { name: "B_LEVEL".into(), value: "debug".into() },
            ],
            secrets: vec![secret("DB_PASSWORD"), secret("TOKEN")],
            log_configuration: LogConfiguration {
                log_driver: "awslogs".into(),
                options: LogOptions {
                    group: "/ecs/acme/stage/auth".into(),
                    region: "us-east-1".into(),
                    stream_prefix: "auth".into(),
                },
            },
            health_check: Some(ContainerHealthCheck {
                command: vec!["CMD-SHELL".into(), "true".into()],
                interval: 10,
                timeout: 2,
                retries: 5,
                start_period: 15,
            }),
        }
    }

    #[test]
    fn tags_read_in_canonical_order_without_the_ones_aws_manages() {
        let read = tags_of(&[
            tag("Team", "identity"),
            tag("aws:cloudformation:stack-name", "legacy"),
            tag("ecsdeploy:environment", "stage"),
            ecs::Tag::builder().key("Empty").build(),
            tag("ecsdeploy:project", "acme"),
        ]);
        assert_eq!(
            pairs(&read),
            [("ecsdeploy:project", "acme"), ("ecsdeploy:environment", "stage"), ("Empty", ""), ("Team", "identity")]
        );
    }

    #[test]
    fn tags_are_sent_as_given_and_read_back_the_same() {
        let tags = Tags::owned("acme", "stage", Some("auth"), []);
        let sent = ecs_tags(&tags);
        let keys: Vec<&str> = sent.iter().filter_map(|tag| tag.key()).collect();
        assert_eq!(keys, ["ecsdeploy:project", "ecsdeploy:environment", "ecsdeploy:service"]);
        assert_eq!(tags_of(&sent), tags);
    }

    #[test]
    fn a_cluster_is_read_by_name_with_its_capacity_providers_sorted() {
        let cluster = ecs::Cluster::builder()
            .cluster_arn("arn:aws:ecs:us-east-1:123456789012:cluster/acme")
            .cluster_name("acme")
            .capacity_providers("FARGATE_SPOT")
            .capacity_providers("FARGATE")
            .tags(tag("ecsdeploy:environment", "shared"))
            .tags(tag("ecsdeploy:project", "acme"))
            .build();
        let read = cluster_of("acme", &cluster);
        assert_eq!(read.cluster_name, "acme");
        assert_eq!(read.capacity_providers, ["FARGATE", "FARGATE_SPOT"]);
        assert_eq!(pairs(&read.tags), [("ecsdeploy:project", "acme"), ("ecsdeploy:environment", "shared")]);
    }

    #[test]
    fn the_runtime_platform_is_sent_as_desired_and_read_back_the_same() {
        let desired = RuntimePlatform { cpu_architecture: "ARM64".into(), operating_system_family: "LINUX".into() };
        let sent = runtime_platform(&desired);
        assert_eq!(sent.cpu_architecture(), Some(&ecs::CpuArchitecture::Arm64));
        assert_eq!(sent.operating_system_family(), Some(&ecs::OsFamily::Linux));
        let definition = ecs::TaskDefinition::builder().runtime_platform(sent).build();
        assert_eq!(task_definition_of(&definition, Tags::default()).runtime_platform, desired);
    }

    /// What DescribeServices answers for a service created with little more than a name: lists
    /// in AWS's order, the defaults absent.
    #[test]
    fn a_service_reads_with_lists_sorted_and_the_defaults_aws_leaves_out_written() {
        let strategy = |provider: &str, weight: i32, base: i32| {
            ecs::CapacityProviderStrategyItem::builder()
                .capacity_provider(provider)
                .weight(weight)
                .base(base)
                .build()
                .expect("strategy")
        };
        let vpc = ecs::AwsVpcConfiguration::builder()
            .subnets("subnet-b")
            .subnets("subnet-a")
            .security_groups("sg-2")
            .security_groups("sg-1")
            .build()
            .expect("vpc");
        let service = ecs::Service::builder()
            .service_name("stage-auth")
            .cluster_arn("arn:aws:ecs:us-east-1:123456789012:cluster/acme")
            .task_definition("arn:aws:ecs:us-east-1:123456789012:task-definition/stage-auth:3")
            .desired_count(2)
            .capacity_provider_strategy(strategy("FARGATE_SPOT", 3, 0))
            .capacity_provider_strategy(strategy("FARGATE", 1, 1))
            .network_configuration(ecs::NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
            .build();
        let read = service_of("acme", &service, Tags::default());
        let mut expected = desired_service(
            "stage-auth",
            "arn:aws:ecs:us-east-1:123456789012:task-definition/stage-auth:3",
            "subnet-a",
            "sg-1",
            Tags::default(),
        );
        expected.desired_count = 2;
        expected.capacity_provider_strategy = vec![
            CapacityProviderStrategyItem { capacity_provider: "FARGATE".into(), weight: 1, base: 1 },
            CapacityProviderStrategyItem { capacity_provider: "FARGATE_SPOT".into(), weight: 3, base: 0 },
        ];
        expected.network_configuration.awsvpc_configuration.subnets =
            vec![Reference::known("subnet-a"), Reference::known("subnet-b")];
        expected.network_configuration.awsvpc_configuration.security_groups =
            vec![Reference::known("sg-1"), Reference::known("sg-2")];
        // Absent in the answer: no circuit breaker, no tag propagation, no managed tags.
        expected.deployment_configuration.deployment_circuit_breaker =
            DeploymentCircuitBreaker { enable: false, rollback: false };
        expected.propagate_tags = "NONE".into();
        expected.enable_ecs_managed_tags = false;
        assert_eq!(read, expected);
    }

    /// The parts a create or update sends, answered back by DescribeServices, read as the service
    /// that was sent.
    #[test]
    fn a_service_round_trips_through_its_request_parts() {
        let mut desired = desired_service("stage-auth", "stage-auth:3", "subnet-a", "sg-1", Tags::default());
        desired.platform_version = "1.4.0".into();
        desired.health_check_grace_period_seconds = 30;
        desired.network_configuration.awsvpc_configuration.assign_public_ip = "ENABLED".into();
        desired.deployment_configuration.maximum_percent = 150;
        desired.deployment_configuration.minimum_healthy_percent = 50;
        desired.load_balancers = vec![LoadBalancerBinding {
            target_group_arn: Reference::known(
                "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/acme-stage-auth/1",
            ),
            container_name: "app".into(),
            container_port: 8080,
        }];
        let parts = service_parts(&desired).expect("parts");
        let answered = ecs::Service::builder()
            .service_name(&desired.service_name)
            .task_definition(desired.task_definition.to_string())
            .set_capacity_provider_strategy(Some(parts.capacity))
            .platform_version(&desired.platform_version)
            .network_configuration(parts.network)
            .set_load_balancers(Some(parts.load_balancers))
            .health_check_grace_period_seconds(30)
            .deployment_configuration(parts.deployment)
            .deployment_controller(parts.controller)
            .propagate_tags(ecs::PropagateTags::Service)
            .enable_ecs_managed_tags(true)
            .build();
        assert_eq!(service_of("acme", &answered, Tags::default()), desired);
    }

    #[test]
    fn a_task_definition_reads_with_defaults_written_and_compatibilities_sorted() {
        let definition = ecs::TaskDefinition::builder()
            .family("stage-auth")
            .task_definition_arn("arn:aws:ecs:us-east-1:123456789012:task-definition/stage-auth:3")
            .task_role_arn("arn:aws:iam::123456789012:role/ecsdeploy/acme-stage-auth-task")
            .execution_role_arn("arn:aws:iam::123456789012:role/ecsdeploy/acme-stage-auth-execution")
            .network_mode(ecs::NetworkMode::Awsvpc)
            .requires_compatibilities(ecs::Compatibility::Fargate)
            .requires_compatibilities(ecs::Compatibility::Ec2)
            .cpu("256")
            .memory("512")
            .build();
        let tags = Tags::owned("acme", "stage", Some("auth"), []);
        let read = task_definition_of(&definition, tags.clone());
        let expected = TaskDefinition {
            family: "stage-auth".into(),
            task_role_arn: Template::literal("arn:aws:iam::123456789012:role/ecsdeploy/acme-stage-auth-task"),
            execution_role_arn: Template::literal("arn:aws:iam::123456789012:role/ecsdeploy/acme-stage-auth-execution"),
            network_mode: "awsvpc".into(),
            requires_compatibilities: vec!["EC2".into(), "FARGATE".into()],
            cpu: "256".into(),
            memory: "512".into(),
            runtime_platform: RuntimePlatform {
                cpu_architecture: "X86_64".into(),
                operating_system_family: "LINUX".into(),
            },
            container_definitions: Vec::new(),
            tags,
        };
        assert_eq!(read, expected);
    }

    /// A container as RegisterTaskDefinition takes it with little set: ECS's defaults are written.
    #[test]
    fn a_container_reads_with_lists_sorted_and_ecs_defaults_written() {
        let secret =
            |name: &str| ecs::Secret::builder().name(name).value_from(format!("arn:{name}")).build().expect("secret");
        let health_check = ecs::HealthCheck::builder().command("CMD-SHELL").command("true").build().expect("check");
        let container = ecs::ContainerDefinition::builder()
            .name("app")
            .image("busybox")
            .port_mappings(ecs::PortMapping::builder().container_port(8080).build())
            .environment(ecs::KeyValuePair::builder().name("B").value("2").build())
            .environment(ecs::KeyValuePair::builder().name("A").value("1").build())
            .secrets(secret("Z"))
            .secrets(secret("Y"))
            .health_check(health_check)
            .build();
        let read = container_definition_of(&container);
        assert!(read.essential, "a container is essential unless it says otherwise");
        assert_eq!((read.command, read.entry_point), (None, None), "none given: none compared");
        assert_eq!(read.port_mappings, [PortMapping { container_port: 8080, host_port: 8080, protocol: "tcp".into() }]);
        let names: Vec<&str> = read.environment.iter().map(|pair| pair.name.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
        let names: Vec<&str> = read.secrets.iter().map(|secret| secret.name.as_str()).collect();
        assert_eq!(names, ["Y", "Z"]);
        let check = read.health_check.expect("health check");
        assert_eq!((check.interval, check.timeout, check.retries, check.start_period), (30, 5, 3, 0));
        assert_eq!(read.log_configuration.log_driver, "", "no log configuration reads as none");
        assert_eq!(read.image, ImageReference::External("busybox".into()));
    }

    #[test]
    fn a_container_round_trips_through_its_request() {
        let desired = desired_container();
        let sent = container_of(&desired).expect("container");
        assert_eq!(sent.log_configuration().map(|log| log.log_driver()), Some(&ecs::LogDriver::Awslogs));
        assert_eq!(container_definition_of(&sent), desired);
        let mut without_check = desired;
        without_check.health_check = None;
        without_check.command = None;
        assert_eq!(container_definition_of(&container_of(&without_check).expect("container")), without_check);
    }

    #[test]
    fn the_primary_deployment_is_the_value_the_gate_follows() {
        let deployment = |id: &str, status: &str| ecs::Deployment::builder().id(id).status(status).build();
        let service = ecs::Service::builder()
            .deployments(deployment("ecs-svc/1", "ACTIVE"))
            .deployments(deployment("ecs-svc/2", "PRIMARY"))
            .build();
        let reference = Reference::DeploymentId { service: "stage-auth".into() };
        assert_eq!(deployment_value("stage-auth", Some(&service)).one(&reference), Some("ecs-svc/2"));
        assert_eq!(deployment_value("stage-auth", None).one(&reference), None);
        let without_primary = ecs::Service::builder().deployments(deployment("ecs-svc/1", "ACTIVE")).build();
        assert_eq!(deployment_value("stage-auth", Some(&without_primary)).one(&reference), None);
    }

    #[test]
    fn without_drops_only_top_level_keys() {
        let service = json!({"tags": [1], "desiredCount": 2, "cluster": "acme", "nested": {"tags": [3]}});
        assert_eq!(without(&service, &["tags", "desiredCount"]), json!({"cluster": "acme", "nested": {"tags": [3]}}));
        assert_eq!(without(&json!("text"), &["tags"]), json!("text"));
    }
}
