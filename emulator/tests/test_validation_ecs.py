"""ECS requests AWS refuses and moto 5.2.5 accepted (see validation.ecs and validation.tags)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import EcsWorld

EXECUTION_ROLE = "arn:aws:iam::123456789012:role/acme-execution"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage/auth/db-AbCdEf"


def register(world: EcsWorld, **overrides: Any) -> Any:
    parameters: dict[str, Any] = {
        "family": "sized",
        "containerDefinitions": [
            {"name": "app", "image": "auth:1", "portMappings": [{"containerPort": 8080}]},
        ],
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
    }
    parameters.update(overrides)
    return world.ecs.register_task_definition(**parameters)


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response


def families(world: EcsWorld) -> list[str]:
    return [arn.split("/")[-1] for arn in world.ecs.list_task_definitions(familyPrefix="sized")["taskDefinitionArns"]]


VALID_FARGATE_SIZES = [
    ("256", "512"),
    ("256", "2048"),
    ("512", "1024"),
    ("512", "4096"),
    ("1024", "2048"),
    ("1024", "8192"),
    ("2048", "4096"),
    ("2048", "16384"),
    ("4096", "8192"),
    ("4096", "30720"),
    ("8192", "16384"),
    ("8192", "61440"),
    ("16384", "32768"),
    ("16384", "122880"),
    ("1 vCPU", "2 GB"),
    (".25 vcpu", "1GB"),
]
INVALID_FARGATE_SIZES = [
    ("256", "1536", "256 CPU, 1536 memory"),
    ("256", "4096", "256 CPU, 4096 memory"),
    ("512", "512", "512 CPU, 512 memory"),
    ("1024", "1024", "1024 CPU, 1024 memory"),
    ("2048", "17408", "2048 CPU, 17408 memory"),
    ("4096", "31744", "4096 CPU, 31744 memory"),
    ("8192", "18432", "8192 CPU, 18432 memory"),
    ("8192", "65536", "8192 CPU, 65536 memory"),
    ("16384", "36864", "16384 CPU, 36864 memory"),
    ("16384", "131072", "16384 CPU, 131072 memory"),
    ("128", "512", "128 CPU, 512 memory"),
    ("2 vCPU", "2 GB", "2048 CPU, 2048 memory"),
]


@pytest.mark.parametrize(("cpu", "memory"), VALID_FARGATE_SIZES)
def test_fargate_task_sizes_from_the_table_are_registered(ecs_world: EcsWorld, cpu: str, memory: str) -> None:
    """ECS Developer Guide, "Troubleshoot Amazon ECS task definition invalid CPU or memory errors":
    the valid Fargate combinations are 256 (.25 vCPU) with 512 MiB, 1 GB, 2 GB; 512 with 1-4 GB;
    1024 with 2-8 GB; 2048 with 4-16 GB in 1 GB increments; 4096 with 8-30 GB in 1 GB increments;
    8192 (8 vCPU) with 16-60 GB in 4 GB increments; 16384 (16 vCPU) with 32-120 GB in 8 GB
    increments. RegisterTaskDefinition `cpu`: "It can be expressed as an integer using CPU units
    (for example, 1024) or as a string using vCPUs (for example, 1 vCPU or 1 vcpu)"; `memory`: "an
    integer using MiB (for example, 1024) or as a string using GB (for example, 1GB or 1 GB)"."""
    register(ecs_world, cpu=cpu, memory=memory)


@pytest.mark.parametrize(("cpu", "memory", "values"), INVALID_FARGATE_SIZES)
def test_fargate_task_sizes_outside_the_table_are_refused(
    ecs_world: EcsWorld, cpu: str, memory: str, values: str
) -> None:
    """Same table: "For task definitions that specify FARGATE for the requiresCompatibilities
    parameter (even if EC2 is also specified), you must use one of the values in the following
    table." AWS answers ClientException "No Fargate configuration exists for given values: 1024
    CPU, 1024 memory. See the Amazon ECS documentation for the valid values." and registers no
    revision. moto registered any pair."""
    response = refused(register, ecs_world, cpu=cpu, memory=memory)
    assert response["Error"]["Code"] == "ClientException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"] == (
        f"No Fargate configuration exists for given values: {values}. "
        "See the Amazon ECS documentation for the valid values."
    )
    assert families(ecs_world) == []


def test_fargate_requires_task_level_cpu_and_memory(ecs_world: EcsWorld) -> None:
    """RegisterTaskDefinition `cpu`: "If you're using the Fargate launch type, this field is
    required". AWS: ClientException "Fargate requires that 'cpu' be defined at the task level."
    (and 'memory'); a cpu it cannot read: "Invalid 'cpu' setting for task." (Developer Guide,
    troubleshooting invalid CPU or memory errors). EC2-only task definitions are not checked."""
    parameters = {
        "family": "sized",
        "containerDefinitions": [{"name": "app", "image": "auth:1", "memory": 512}],
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
    }
    response = refused(ecs_world.ecs.register_task_definition, **parameters, memory="512")
    assert response["Error"]["Message"] == "Fargate requires that 'cpu' be defined at the task level."
    response = refused(ecs_world.ecs.register_task_definition, **parameters, cpu="256")
    assert response["Error"]["Message"] == "Fargate requires that 'memory' be defined at the task level."
    response = refused(ecs_world.ecs.register_task_definition, **parameters, cpu="a quarter", memory="512")
    assert response["Error"]["Message"] == "Invalid 'cpu' setting for task."
    ecs_world.ecs.register_task_definition(**{**parameters, "requiresCompatibilities": ["EC2"]}, cpu="300", memory="700")


def with_secret(value_from: str, execution_role: str | None = EXECUTION_ROLE) -> dict[str, Any]:
    container = {
        "name": "app",
        "image": "auth:1",
        "portMappings": [{"containerPort": 8080}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": value_from}],
    }
    parameters: dict[str, Any] = {"containerDefinitions": [container]}
    if execution_role:
        parameters["executionRoleArn"] = execution_role
    return parameters


@pytest.mark.parametrize(
    "value_from",
    [
        SECRET_ARN,
        f"{SECRET_ARN}:password::",
        f"{SECRET_ARN}::AWSPREVIOUS:",
        f"{SECRET_ARN}:::9d4cb84b-ad69-40c0-a0ab-cead3EXAMPLE",
        f"{SECRET_ARN}:password:AWSPREVIOUS:",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage/auth/db",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage/auth/db:password::",
        "arn:aws:ssm:us-east-1:123456789012:parameter/acme/stage/db",
        "/acme/stage/db",
        "acme.stage_db-password",
    ],
)
def test_secret_references_aws_documents_are_registered(ecs_world: EcsWorld, value_from: str) -> None:
    """ECS Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment
    variables": the full syntax is
    arn:aws:secretsmanager:region:aws_account_id:secret:secret-name:json-key:version-stage:version-id;
    "These parameters are optional, but if you do not use them, you must include the colons : to
    use the default values" (examples: `...-AbCdEf`, `...-AbCdEf:username1::`,
    `...-AbCdEf::AWSPREVIOUS:`, `...-AbCdEf:::9d4cb84b-...`, `...:username1:AWSPREVIOUS:`). The ARN
    may be partial (no `-` + 6 characters suffix), as the Secrets Manager API accepts it. A name
    is a Systems Manager parameter ("you can use either the full ARN or name of the parameter")."""
    register(ecs_world, **with_secret(value_from))


@pytest.mark.parametrize(
    ("value_from", "message"),
    [
        (f"{SECRET_ARN}:password", "Invalid arn syntax."),
        (f"{SECRET_ARN}:password:", "Invalid arn syntax."),
        (f"{SECRET_ARN}:password::x:y", "Invalid arn syntax."),
        ("arn:aws:secretsmanager:us-east-1:123456789012:stage/auth/db-AbCdEf", "Invalid arn syntax."),
        ("arn:aws:secretsmanager:us-east-1:1234:secret:stage/auth/db-AbCdEf", "Invalid arn syntax."),
        ("arn:aws:secretsmanager:useast1:123456789012:secret:stage/auth/db-AbCdEf", "Invalid arn syntax."),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:", "Invalid arn syntax."),
        ("arn:aws:secretsmanager", "Invalid arn syntax."),
        (
            "stage/auth/db:password::",
            "The Systems Manager parameter name specified for secret DB_PASSWORD is invalid. The parameter "
            "name can be up to 2048 characters and include the following letters and symbols: a-zA-Z0-9_.-",
        ),
        (f"{SECRET_ARN}:password:AWSPREVIOUS:9d4cb84b-ad69-40c0-a0ab-cead3EXAMPLE", "cannot both be specified"),
    ],
)
def test_malformed_secret_references_are_refused(ecs_world: EcsWorld, value_from: str, message: str) -> None:
    """Same page: the ARN is `...:secret:secret-name` optionally followed by all three of
    `:json-key:version-stage:version-id` ("you must include the colons"); "If a version staging
    label is specified, you cannot specify a version ID." A name that is not an ARN is a Systems
    Manager parameter name, and ECS refuses one that cannot be (ClientException "The Systems
    Manager parameter name specified for secret X is invalid. ..."). A Secrets Manager ARN that
    does not parse gets ECS's ARN message "Invalid arn syntax." (ClientException). Nothing is
    registered. moto registered any string."""
    response = refused(register, ecs_world, **with_secret(value_from))
    assert response["Error"]["Code"] == "ClientException"
    assert message in response["Error"]["Message"]
    assert families(ecs_world) == []


def test_secrets_need_an_execution_role(ecs_world: EcsWorld) -> None:
    """ECS Developer Guide, "Amazon ECS task execution IAM role": the execution role is what lets
    ECS read Secrets Manager secrets and Parameter Store parameters referenced by the task
    definition. AWS: ClientException "When you are specifying container secrets, you must also
    specify a value for 'executionRoleArn'." """
    response = refused(register, ecs_world, **with_secret(SECRET_ARN, execution_role=None))
    assert response["Error"]["Code"] == "ClientException"
    assert response["Error"]["Message"] == (
        "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."
    )


def test_launch_type_with_capacity_provider_strategy_is_refused(ecs_world: EcsWorld) -> None:
    """ECS API Reference, CreateService `launchType`: "If a launchType is specified, the
    capacityProviderStrategy parameter must be omitted." AWS: InvalidParameterException
    "Specifying both a launch type and capacity provider strategy is not supported. Remove one and
    try again." No service is created."""
    response = refused(
        ecs_world.create_service,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
    )
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert response["Error"]["Message"] == (
        "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."
    )
    assert ecs_world.ecs.list_services(cluster="acme")["serviceArns"] == []


def detached_target_group(world: EcsWorld) -> str:
    vpc_id = world.elbv2.describe_target_groups(TargetGroupArns=[world.target_group_arn])["TargetGroups"][0]["VpcId"]
    return world.elbv2.create_target_group(
        Name="detached", Protocol="HTTP", Port=8080, VpcId=vpc_id, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]


def binding(target_group_arn: str, container: str = "app", port: int = 8080) -> list[dict[str, Any]]:
    return [{"targetGroupArn": target_group_arn, "containerName": container, "containerPort": port}]


def test_target_group_without_load_balancer_is_refused(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, `TargetGroup.LoadBalancerArns`: "The Amazon Resource Names (ARN) of
    the load balancers that route traffic to this target group." ECS refuses a service whose
    target group no listener or listener rule forwards to: InvalidParameterException "The target
    group with targetGroupArn <arn> does not have an associated load balancer." (the error the
    Terraform AWS provider retries on CreateService and UpdateService). Attached by a listener rule,
    the target group is accepted."""
    detached = detached_target_group(ecs_world)
    response = refused(ecs_world.create_service, loadBalancers=binding(detached))
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert response["Error"]["Message"] == (
        f"The target group with targetGroupArn {detached} does not have an associated load balancer."
    )
    assert ecs_world.ecs.list_services(cluster="acme")["serviceArns"] == []

    ecs_world.create_service()
    response = refused(
        ecs_world.ecs.update_service, cluster="acme", service="auth", loadBalancers=binding(detached)
    )
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert ecs_world.describe()["loadBalancers"][0]["targetGroupArn"] == ecs_world.target_group_arn

    ecs_world.elbv2.create_rule(
        ListenerArn=ecs_world.listener_arn,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/detached/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": detached}],
    )
    ecs_world.ecs.update_service(cluster="acme", service="auth", loadBalancers=binding(detached))
    assert ecs_world.describe()["loadBalancers"][0]["targetGroupArn"] == detached


def test_container_name_and_port_must_be_in_the_task_definition(ecs_world: EcsWorld) -> None:
    """ECS API Reference, `LoadBalancer`: containerName is "The name of the container (as it
    appears in a container definition) to associate with the load balancer"; containerPort "must
    correspond to a containerPort in the task definition the tasks in the service are using". AWS:
    InvalidParameterException "The container <name> does not exist in the task definition." and
    "The container <name> did not have a container port <port> defined." Checked on CreateService
    and on UpdateService against the task definition the service will run."""
    group = ecs_world.target_group_arn
    response = refused(ecs_world.create_service, loadBalancers=binding(group, container="web"))
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert response["Error"]["Message"] == "The container web does not exist in the task definition."
    response = refused(ecs_world.create_service, loadBalancers=binding(group, port=9090))
    assert response["Error"]["Message"] == "The container app did not have a container port 9090 defined."
    assert ecs_world.ecs.list_services(cluster="acme")["serviceArns"] == []

    ecs_world.create_service()
    renamed = ecs_world.ecs.register_task_definition(
        family="auth",
        containerDefinitions=[
            {"name": "web", "image": "auth:3", "memory": 512, "portMappings": [{"containerPort": 8080}]}
        ],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]
    response = refused(ecs_world.ecs.update_service, cluster="acme", service="auth", taskDefinition=renamed)
    assert response["Error"]["Message"] == "The container app does not exist in the task definition."
    assert ecs_world.describe()["taskDefinition"] == ecs_world.task_definition_arns[0]
    ecs_world.ecs.update_service(
        cluster="acme", service="auth", taskDefinition=renamed, loadBalancers=binding(group, container="web")
    )
    assert ecs_world.describe()["taskDefinition"] == renamed


RESERVED = [{"key": "aws:createdBy", "value": "me"}]


def test_aws_prefixed_tag_keys_are_refused_on_ecs_tagging_calls(ecs_world: EcsWorld) -> None:
    """ECS API Reference, `Tag` (and the `tags` member of TagResource, CreateCluster, CreateService,
    RegisterTaskDefinition): "Do not use aws:, AWS:, or any upper or lowercase combination of such
    as a prefix for either keys or values as it is reserved for Amazon Web Services use."
    InvalidParameterException; nothing is created or tagged."""
    ecs = ecs_world.ecs
    cluster_arn = ecs.describe_clusters(clusters=["acme"])["clusters"][0]["clusterArn"]
    for key in ("aws:createdBy", "AWS:team"):
        response = refused(ecs.tag_resource, resourceArn=cluster_arn, tags=[{"key": key, "value": "x"}])
        assert response["Error"]["Code"] == "InvalidParameterException"
        assert key in response["Error"]["Message"]
    assert ecs.list_tags_for_resource(resourceArn=cluster_arn).get("tags", []) == []
    assert refused(ecs.create_cluster, clusterName="tagged", tags=RESERVED)["Error"]["Code"] == "InvalidParameterException"
    assert refused(ecs_world.create_service, tags=RESERVED)["Error"]["Code"] == "InvalidParameterException"
    assert refused(register, ecs_world, tags=RESERVED)["Error"]["Code"] == "InvalidParameterException"
    assert ecs.list_services(cluster="acme")["serviceArns"] == []
    assert families(ecs_world) == []
    ecs.tag_resource(resourceArn=cluster_arn, tags=[{"key": "team", "value": "platform"}])
