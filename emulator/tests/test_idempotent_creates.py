"""Creates AWS makes idempotent: a retried request whose answer was lost (see `idempotent_creates`,
`service_fields`). ELBv2 CreateLoadBalancer/CreateTargetGroup, ECS CreateService and RunTask."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import EcsWorld


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response


def load_balancer_request(world: EcsWorld, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "Name": "acme",
        "Subnets": list(world.subnet_ids),
        "SecurityGroups": [world.security_group_id],
        "Scheme": "internet-facing",
        "Type": "application",
        "IpAddressType": "ipv4",
        "Tags": [{"Key": "heritage", "Value": "ecsdeploy"}],
    }
    request.update(overrides)
    return request


def target_group_request(world: EcsWorld, **overrides: Any) -> dict[str, Any]:
    vpc_id = world.elbv2.describe_target_groups(TargetGroupArns=[world.target_group_arn])["TargetGroups"][0]["VpcId"]
    request: dict[str, Any] = {
        "Name": "stage-auth",
        "Protocol": "HTTP",
        "ProtocolVersion": "HTTP1",
        "Port": 8080,
        "VpcId": vpc_id,
        "TargetType": "ip",
        "HealthCheckEnabled": True,
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckPath": "/health",
        "HealthCheckIntervalSeconds": 10,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 3,
        "Matcher": {"HttpCode": "200"},
        "Tags": [{"Key": "heritage", "Value": "ecsdeploy"}],
    }
    request.update(overrides)
    return request


def test_create_load_balancer_again_with_the_same_settings_answers_the_existing_one(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, CreateLoadBalancer: "This operation is idempotent, which means that it
    completes at most one time. If you attempt to create multiple load balancers with the same
    settings, each call succeeds." (moto 5.2.5 created a second load balancer, a new ARN, each time.)
    Subnets and security groups are sets; omitted Scheme/Type/IpAddressType are their defaults."""
    elbv2 = ecs_world.elbv2
    [first] = elbv2.create_load_balancer(**load_balancer_request(ecs_world))["LoadBalancers"]
    [again] = elbv2.create_load_balancer(
        **load_balancer_request(ecs_world, Subnets=list(reversed(ecs_world.subnet_ids)))
    )["LoadBalancers"]
    assert again["LoadBalancerArn"] == first["LoadBalancerArn"]
    assert again["DNSName"] == first["DNSName"]
    defaults = load_balancer_request(ecs_world)
    for omitted in ("Scheme", "Type", "IpAddressType"):
        defaults.pop(omitted)
    [third] = elbv2.create_load_balancer(**defaults)["LoadBalancers"]
    assert third["LoadBalancerArn"] == first["LoadBalancerArn"]
    named = elbv2.describe_load_balancers(Names=["acme"])["LoadBalancers"]
    assert [lb["LoadBalancerArn"] for lb in named] == [first["LoadBalancerArn"]]


@pytest.mark.parametrize(
    "different",
    [
        {"Scheme": "internal"},
        {"Tags": [{"Key": "heritage", "Value": "someone-else"}]},
        {"IpAddressType": "dualstack"},
    ],
)
def test_create_load_balancer_with_the_same_name_and_other_settings_is_refused(
    ecs_world: EcsWorld, different: dict[str, Any]
) -> None:
    """CreateLoadBalancer, Errors: "DuplicateLoadBalancerName: A load balancer with the specified
    name already exists." AWS's message for other settings (as the Terraform AWS provider and the AWS
    Load Balancer Controller record it): "A load balancer with the same name '<name>' exists, but
    with different settings". Which settings AWS compares is not documented: all of them here."""
    elbv2 = ecs_world.elbv2
    [first] = elbv2.create_load_balancer(**load_balancer_request(ecs_world))["LoadBalancers"]
    response = refused(elbv2.create_load_balancer, **load_balancer_request(ecs_world, **different))
    assert response["Error"]["Code"] == "DuplicateLoadBalancerName"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"] == "A load balancer with the same name 'acme' exists, but with different settings"
    [only] = elbv2.describe_load_balancers(Names=["acme"])["LoadBalancers"]
    assert only["LoadBalancerArn"] == first["LoadBalancerArn"]
    assert only["Scheme"] == "internet-facing"


def test_create_load_balancer_compares_with_the_settings_changed_since(ecs_world: EcsWorld) -> None:
    """A load balancer whose security groups changed (SetSecurityGroups) no longer has the settings of
    the request that created it: repeating that request is refused, the new settings succeed."""
    elbv2 = ecs_world.elbv2
    ec2 = ecs_world.account.client("ec2")
    vpc_id = ec2.describe_security_groups(GroupIds=[ecs_world.security_group_id])["SecurityGroups"][0]["VpcId"]
    other = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc_id)["GroupId"]
    [first] = elbv2.create_load_balancer(**load_balancer_request(ecs_world))["LoadBalancers"]
    elbv2.set_security_groups(LoadBalancerArn=first["LoadBalancerArn"], SecurityGroups=[other])
    response = refused(elbv2.create_load_balancer, **load_balancer_request(ecs_world))
    assert response["Error"]["Code"] == "DuplicateLoadBalancerName"
    [again] = elbv2.create_load_balancer(**load_balancer_request(ecs_world, SecurityGroups=[other]))["LoadBalancers"]
    assert again["LoadBalancerArn"] == first["LoadBalancerArn"]


def test_create_target_group_again_with_the_same_settings_answers_the_existing_one(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, CreateTargetGroup: "This operation is idempotent, which means that it
    completes at most one time. If you attempt to create multiple target groups with the same
    settings, each call succeeds." (moto 5.2.5 refused every second call.)"""
    elbv2 = ecs_world.elbv2
    [first] = elbv2.create_target_group(**target_group_request(ecs_world))["TargetGroups"]
    [again] = elbv2.create_target_group(**target_group_request(ecs_world))["TargetGroups"]
    assert again["TargetGroupArn"] == first["TargetGroupArn"]
    assert again["HealthCheckPath"] == "/health"
    named = elbv2.describe_target_groups(Names=["stage-auth"])["TargetGroups"]
    assert [group["TargetGroupArn"] for group in named] == [first["TargetGroupArn"]]


@pytest.mark.parametrize(
    "different",
    [{"Port": 8081}, {"HealthCheckPath": "/ready"}, {"TargetType": "instance"}, {"Matcher": {"HttpCode": "200-299"}}],
)
def test_create_target_group_with_the_same_name_and_other_settings_is_refused(
    ecs_world: EcsWorld, different: dict[str, Any]
) -> None:
    """CreateTargetGroup, Errors: "DuplicateTargetGroupName: A target group with the specified name
    already exists." AWS's message for other settings (as the Terraform AWS provider records it): "A
    target group with the same name '<name>' exists, but with different settings"."""
    elbv2 = ecs_world.elbv2
    [first] = elbv2.create_target_group(**target_group_request(ecs_world))["TargetGroups"]
    response = refused(elbv2.create_target_group, **target_group_request(ecs_world, **different))
    assert response["Error"]["Code"] == "DuplicateTargetGroupName"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"] == (
        "A target group with the same name 'stage-auth' exists, but with different settings"
    )
    [only] = elbv2.describe_target_groups(Names=["stage-auth"])["TargetGroups"]
    assert only["TargetGroupArn"] == first["TargetGroupArn"]
    assert only["Port"] == 8080


def test_create_target_group_compares_with_a_modified_health_check(ecs_world: EcsWorld) -> None:
    """After ModifyTargetGroup the group's settings are the modified ones."""
    elbv2 = ecs_world.elbv2
    [first] = elbv2.create_target_group(**target_group_request(ecs_world))["TargetGroups"]
    elbv2.modify_target_group(TargetGroupArn=first["TargetGroupArn"], HealthCheckPath="/ready")
    assert refused(elbv2.create_target_group, **target_group_request(ecs_world))["Error"]["Code"] == (
        "DuplicateTargetGroupName"
    )
    [again] = elbv2.create_target_group(**target_group_request(ecs_world, HealthCheckPath="/ready"))["TargetGroups"]
    assert again["TargetGroupArn"] == first["TargetGroupArn"]


def test_create_service_again_with_the_same_client_token_answers_the_existing_service(ecs_world: EcsWorld) -> None:
    """ECS API Reference, CreateService, `clientToken`: "An identifier that you provide to ensure the
    idempotency of the request. It must be unique and is case sensitive. Up to 36 ASCII characters
    in the range of 33-126 (inclusive) are allowed." The same token and parameters again answer the
    service as it is, with no new deployment (moto 5.2.5 ignored the token)."""
    token = "ecsdeploy-7f3c1b2a-stage-auth"
    created = ecs_world.create_service(clientToken=token)
    [deployment] = created["deployments"]
    again = ecs_world.create_service(clientToken=token)
    assert again["serviceArn"] == created["serviceArn"]
    assert [d["id"] for d in again["deployments"]] == [deployment["id"]]
    assert [d["id"] for d in ecs_world.describe()["deployments"]] == [deployment["id"]]
    arns = ecs_world.ecs.list_services(cluster="acme")["serviceArns"]
    assert arns == [created["serviceArn"]]


@pytest.mark.parametrize(
    "repeat",
    [
        {},  # no token
        {"clientToken": "another-token"},
        {"clientToken": "ecsdeploy-token", "desiredCount": 3},  # same token, other parameters
        {"clientToken": "ECSDEPLOY-TOKEN"},  # tokens are case sensitive
    ],
)
def test_create_service_again_without_the_same_token_and_parameters_is_not_idempotent(
    ecs_world: EcsWorld, repeat: dict[str, Any]
) -> None:
    """A second CreateService of an ACTIVE service name that is not the same request (token and
    parameters) fails: InvalidParameterException "Creation of service was not idempotent." (ECS's
    message, as the Terraform AWS provider's issues record it)."""
    created = ecs_world.create_service(clientToken="ecsdeploy-token")
    response = refused(ecs_world.create_service, **repeat)
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert response["Error"]["Message"] == "Creation of service was not idempotent."
    service = ecs_world.describe()
    assert service["desiredCount"] == 2
    assert len(service["deployments"]) == 1
    assert service["serviceArn"] == created["serviceArn"]


def test_create_service_client_token_longer_than_36_characters_is_refused(ecs_world: EcsWorld) -> None:
    """CreateService `clientToken`: "Up to 36 ASCII characters in the range of 33-126 (inclusive) are
    allowed." (InvalidParameterException; the message is ours.)"""
    for token in ("x" * 37, "with space"):
        response = refused(ecs_world.create_service, clientToken=token)
        assert response["Error"]["Code"] == "InvalidParameterException"
    assert ecs_world.ecs.list_services(cluster="acme")["serviceArns"] == []
    ecs_world.create_service(clientToken="x" * 36)


def test_a_deleted_service_can_be_created_again_with_its_token(ecs_world: EcsWorld) -> None:
    """The idempotency is of an ACTIVE service: once deleted (INACTIVE) the name is free."""
    first = ecs_world.create_service(clientToken="t-1")
    ecs_world.ecs.delete_service(cluster="acme", service="auth", force=True)
    second = ecs_world.create_service(clientToken="t-1")
    assert second["status"] == "ACTIVE"
    assert second["deployments"][0]["id"] != first["deployments"][0]["id"]


def run_task(world: EcsWorld, **overrides: Any) -> dict[str, Any]:
    """A one-off task. Stock moto 5.2.5 cannot run an awsvpc task (an HTTP 500 building its network
    interface), so the task definition here uses bridge networking; the token is what is tested."""
    world.ecs.register_task_definition(
        family="job", containerDefinitions=[{"name": "job", "image": "job:1", "memory": 512}]
    )
    parameters: dict[str, Any] = {"cluster": "acme", "taskDefinition": "job", "launchType": "FARGATE", "count": 1}
    parameters.update(overrides)
    return world.ecs.run_task(**parameters)


def test_run_task_again_with_the_same_client_token_answers_the_same_tasks(ecs_world: EcsWorld) -> None:
    """ECS API Reference, RunTask, `clientToken`: "An identifier that you provide to ensure the
    idempotency of the request. It must be unique and is case sensitive." The SDKs fill it in and
    keep it across retries; a retry starts no second task (moto 5.2.5 ignored the token)."""
    first = run_task(ecs_world, clientToken="run-1")["tasks"]
    again = run_task(ecs_world, clientToken="run-1")["tasks"]
    assert [task["taskArn"] for task in again] == [task["taskArn"] for task in first]
    assert len(ecs_world.ecs.list_tasks(cluster="acme")["taskArns"]) == 1
    other = run_task(ecs_world, clientToken="run-2")["tasks"]
    assert other[0]["taskArn"] != first[0]["taskArn"]
    assert len(ecs_world.ecs.list_tasks(cluster="acme")["taskArns"]) == 2
    response = refused(run_task, ecs_world, clientToken="run-1", count=2)
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert len(ecs_world.ecs.list_tasks(cluster="acme")["taskArns"]) == 2


def listener_request(load_balancer_arn: str, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "LoadBalancerArn": load_balancer_arn,
        "Protocol": "HTTP",
        "Port": 80,
        "DefaultActions": [
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
        ],
        "Tags": [{"Key": "heritage", "Value": "ecsdeploy"}],
    }
    request.update(overrides)
    return request


def test_create_listener_again_with_the_same_settings_answers_the_existing_one(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, CreateListener: "This operation is idempotent, which means that it
    completes at most one time. If you attempt to create multiple listeners with the same settings,
    each call succeeds." (moto 5.2.5 created a second listener on the same port.)"""
    elbv2 = ecs_world.elbv2
    [balancer] = elbv2.create_load_balancer(**load_balancer_request(ecs_world))["LoadBalancers"]
    arn = balancer["LoadBalancerArn"]
    [first] = elbv2.create_listener(**listener_request(arn))["Listeners"]
    [again] = elbv2.create_listener(**listener_request(arn))["Listeners"]
    assert again["ListenerArn"] == first["ListenerArn"]
    listeners = elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]
    assert [listener["ListenerArn"] for listener in listeners] == [first["ListenerArn"]]


def test_create_listener_on_a_port_in_use_with_other_settings_is_refused(ecs_world: EcsWorld) -> None:
    """CreateListener, Errors: "DuplicateListener: A listener with the specified port already
    exists." Settings changed by ModifyListener since are the ones compared."""
    elbv2 = ecs_world.elbv2
    [balancer] = elbv2.create_load_balancer(**load_balancer_request(ecs_world))["LoadBalancers"]
    arn = balancer["LoadBalancerArn"]
    [first] = elbv2.create_listener(**listener_request(arn))["Listeners"]
    not_found = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    response = refused(elbv2.create_listener, **listener_request(arn, DefaultActions=not_found))
    assert response["Error"]["Code"] == "DuplicateListener"
    assert response["Error"]["Message"] == f"A listener already exists on this port for this load balancer '{arn}'"

    elbv2.modify_listener(ListenerArn=first["ListenerArn"], DefaultActions=not_found)
    [again] = elbv2.create_listener(**listener_request(arn, DefaultActions=not_found))["Listeners"]
    assert again["ListenerArn"] == first["ListenerArn"]
    assert len(elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]) == 1
