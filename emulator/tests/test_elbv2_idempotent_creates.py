"""ELBv2 creates repeated with the same settings, and deletion protection (see
elbv2_idempotent_creates)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import EcsWorld


def create_load_balancer(world: EcsWorld, **overrides: Any) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "Name": "shared",
        "Subnets": world.subnet_ids,
        "SecurityGroups": [world.security_group_id],
        "Scheme": "internet-facing",
        "Type": "application",
        "IpAddressType": "ipv4",
        "Tags": [{"Key": "ecsdeploy:project", "Value": "acme"}],
    }
    parameters.update(overrides)
    return world.elbv2.create_load_balancer(**parameters)["LoadBalancers"][0]


def test_a_load_balancer_created_again_with_the_same_settings_is_the_same_one(ecs_world: EcsWorld) -> None:
    """CreateLoadBalancer: "This operation is idempotent, which means that it completes at most one
    time. If you attempt to create multiple load balancers with the same settings, each call
    succeeds." (ELBv2 API Reference)"""
    first = create_load_balancer(ecs_world)
    ecs_world.elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=first["LoadBalancerArn"],
        Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "300"}],
    )
    again = create_load_balancer(ecs_world, Subnets=list(reversed(ecs_world.subnet_ids)))
    assert again["LoadBalancerArn"] == first["LoadBalancerArn"]
    named = ecs_world.elbv2.describe_load_balancers(Names=["shared"])["LoadBalancers"]
    assert [found["LoadBalancerArn"] for found in named] == [first["LoadBalancerArn"]]
    attributes = ecs_world.elbv2.describe_load_balancer_attributes(LoadBalancerArn=first["LoadBalancerArn"])
    values = {attribute["Key"]: attribute["Value"] for attribute in attributes["Attributes"]}
    assert values["idle_timeout.timeout_seconds"] == "300", "the repeat leaves the load balancer as it is"

    with pytest.raises(ClientError) as refused:
        create_load_balancer(ecs_world, Scheme="internal")
    assert refused.value.response["Error"]["Code"] == "DuplicateLoadBalancerName"
    assert "exists, but with different settings" in refused.value.response["Error"]["Message"]


def test_a_target_group_created_again_with_the_same_settings_is_the_same_one(ecs_world: EcsWorld) -> None:
    """CreateTargetGroup: "If you attempt to create multiple target groups with the same settings,
    each call succeeds." (ELBv2 API Reference)"""
    vpc_id = ecs_world.elbv2.describe_target_groups(TargetGroupArns=[ecs_world.target_group_arn])["TargetGroups"][0][
        "VpcId"
    ]
    parameters: dict[str, Any] = {
        "Name": "acme-stage-auth",
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
    }
    first = ecs_world.elbv2.create_target_group(**parameters)["TargetGroups"][0]
    again = ecs_world.elbv2.create_target_group(**parameters)["TargetGroups"][0]
    assert again["TargetGroupArn"] == first["TargetGroupArn"]
    named = ecs_world.elbv2.describe_target_groups(Names=["acme-stage-auth"])["TargetGroups"]
    assert len(named) == 1

    with pytest.raises(ClientError) as refused:
        ecs_world.elbv2.create_target_group(**{**parameters, "HealthCheckPath": "/ready"})
    assert refused.value.response["Error"]["Code"] == "DuplicateTargetGroupName"


def test_a_listener_created_again_with_the_same_settings_is_the_same_one(ecs_world: EcsWorld) -> None:
    """CreateListener: "If you attempt to create multiple listeners with the same settings, each
    call succeeds." (ELBv2 API Reference); another listener on the port is DuplicateListener."""
    load_balancer_arn = create_load_balancer(ecs_world)["LoadBalancerArn"]
    parameters: dict[str, Any] = {
        "LoadBalancerArn": load_balancer_arn,
        "Protocol": "HTTP",
        "Port": 80,
        "DefaultActions": [
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
        ],
    }
    first = ecs_world.elbv2.create_listener(**parameters)["Listeners"][0]
    again = ecs_world.elbv2.create_listener(**parameters)["Listeners"][0]
    assert again["ListenerArn"] == first["ListenerArn"]
    listeners = ecs_world.elbv2.describe_listeners(LoadBalancerArn=load_balancer_arn)["Listeners"]
    assert [listener["ListenerArn"] for listener in listeners] == [first["ListenerArn"]]

    not_found = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}
    with pytest.raises(ClientError) as refused:
        ecs_world.elbv2.create_listener(**{**parameters, "DefaultActions": [not_found]})
    assert refused.value.response["Error"]["Code"] == "DuplicateListener"


def test_a_protected_load_balancer_is_not_deleted(ecs_world: EcsWorld) -> None:
    """ALB guide, "Deletion protection": "you can't delete the load balancer while deletion
    protection is enabled"; turned off, it can be."""
    arn = create_load_balancer(ecs_world)["LoadBalancerArn"]
    protect = [{"Key": "deletion_protection.enabled", "Value": "true"}]
    ecs_world.elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=protect)
    with pytest.raises(ClientError) as refused:
        ecs_world.elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert refused.value.response["Error"]["Code"] == "OperationNotPermitted"
    assert "deletion protection is enabled" in refused.value.response["Error"]["Message"]
    assert ecs_world.elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]

    unprotect = [{"Key": "deletion_protection.enabled", "Value": "false"}]
    ecs_world.elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=unprotect)
    ecs_world.elbv2.delete_load_balancer(LoadBalancerArn=arn)
    remaining = ecs_world.elbv2.describe_load_balancers()["LoadBalancers"]
    assert arn not in [found["LoadBalancerArn"] for found in remaining]
