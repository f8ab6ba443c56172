"""Application Auto Scaling target tracking policies and their CloudWatch alarms (see `scaling_policies`)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import EcsWorld

RESOURCE = "service/acme/auth"
DIMENSION = "ecs:service:DesiredCount"


def scalable(world: EcsWorld) -> Any:
    world.create_service()
    autoscaling = world.account.client("application-autoscaling")
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=4
    )
    return autoscaling


def put_policy(autoscaling: Any, target: float, name: str = "cpu", metric: str = "ECSServiceAverageCPUUtilization") -> Any:
    return autoscaling.put_scaling_policy(
        PolicyName=name,
        ServiceNamespace="ecs",
        ResourceId=RESOURCE,
        ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target,
            "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
            "ScaleInCooldown": 60,
            "ScaleOutCooldown": 60,
        },
    )


def alarm_names(world: EcsWorld) -> list[str]:
    cloudwatch = world.account.client("cloudwatch")
    return sorted(alarm["AlarmName"] for alarm in cloudwatch.describe_alarms()["MetricAlarms"])


def test_putting_a_policy_again_replaces_its_alarms(ecs_world: EcsWorld) -> None:
    """Application Auto Scaling User Guide, "Target tracking scaling policies for Application Auto
    Scaling": "Application Auto Scaling creates and manages the CloudWatch alarms that trigger the
    scaling policy and calculates the scaling adjustment based on the metric and the target value."
    API Reference, PutScalingPolicy: "Creates or updates a scaling policy". N puts of one policy
    leave its two alarms (AlarmHigh, AlarmLow), never 2N (moto 5.2.5 left every earlier pair)."""
    autoscaling = scalable(ecs_world)
    for target in (50.0, 60.0, 70.0, 70.0):
        answer = put_policy(autoscaling, target)
        names = alarm_names(ecs_world)
        assert len(names) == 2, names
        assert sorted(alarm["AlarmName"] for alarm in answer["Alarms"]) == names
    assert [name.split("-")[2] for name in names] == ["AlarmHigh", "AlarmLow"]
    assert all(name.startswith(f"TargetTracking-{RESOURCE}-") for name in names)
    [policy] = autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    assert sorted(alarm["AlarmName"] for alarm in policy["Alarms"]) == names
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70.0


def test_two_policies_have_two_alarms_each(ecs_world: EcsWorld) -> None:
    autoscaling = scalable(ecs_world)
    for _ in range(3):
        put_policy(autoscaling, 50.0, name="cpu")
        put_policy(autoscaling, 75.0, name="memory", metric="ECSServiceAverageMemoryUtilization")
    assert len(alarm_names(ecs_world)) == 4


def test_deleting_the_policy_deletes_its_alarms(ecs_world: EcsWorld) -> None:
    """User Guide, target tracking: "Do not edit or delete the CloudWatch alarms that are configured
    for the target tracking scaling policy. Application Auto Scaling deletes the alarms automatically
    when you delete the scaling policy." After updates too (moto 5.2.5 left the older pairs behind)."""
    autoscaling = scalable(ecs_world)
    for target in (50.0, 60.0):
        put_policy(autoscaling, target)
    autoscaling.delete_scaling_policy(
        PolicyName="cpu", ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION
    )
    assert alarm_names(ecs_world) == []


def test_deregistering_the_target_deletes_its_policies_and_alarms(ecs_world: EcsWorld) -> None:
    """API Reference, DeregisterScalableTarget: "Deregistering a scalable target deletes the scaling
    policies and the scheduled actions that are associated with it." (moto 5.2.5 kept them.)"""
    autoscaling = scalable(ecs_world)
    put_policy(autoscaling, 50.0)
    autoscaling.put_scheduled_action(
        ServiceNamespace="ecs",
        ScheduledActionName="night",
        ResourceId=RESOURCE,
        ScalableDimension=DIMENSION,
        Schedule="cron(0 22 * * ? *)",
        ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 1},
    )
    autoscaling.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION)
    assert autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []
    assert autoscaling.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"] == []
    assert alarm_names(ecs_world) == []


# --- DescribeScalingPolicies: what ecsdeploy reads with only ServiceNamespace=ecs ----------------


def policy_names(page: dict[str, Any]) -> list[str]:
    return [policy["PolicyName"] for policy in page["ScalingPolicies"]]


def test_describe_scaling_policies_pages_hold_at_most_10(ecs_world: EcsWorld) -> None:
    """API Reference, DescribeScalingPolicies, MaxResults: "This value can be between 1 and 10. The
    default value is 10. ... If this parameter is not used, the operation returns up to 10 results
    and a NextToken value, if applicable." (moto answered 100 by default and any MaxResults.)"""
    autoscaling = scalable(ecs_world)
    names = [f"p{number:02d}" for number in range(12)]
    for name in names:
        put_policy(autoscaling, 50.0, name=name)
    first = autoscaling.describe_scaling_policies(ServiceNamespace="ecs")
    assert policy_names(first) == names[:10] and first["NextToken"]
    rest = autoscaling.describe_scaling_policies(ServiceNamespace="ecs", NextToken=first["NextToken"])
    assert policy_names(rest) == names[10:] and "NextToken" not in rest
    pages, token = [], None
    while True:
        page = autoscaling.describe_scaling_policies(ServiceNamespace="ecs", MaxResults=5, **({"NextToken": token} if token else {}))
        pages.append(policy_names(page))
        token = page.get("NextToken")
        if not token:
            break
    assert pages == [names[0:5], names[5:10], names[10:12]]


def test_describe_scaling_policies_refuses_bad_max_results_and_tokens(ecs_world: EcsWorld) -> None:
    """MaxResults outside 1-10 is the constraint error (ValidationException); a NextToken the
    operation did not issue is InvalidNextTokenException ("The next token supplied was invalid.";
    moto answered HTTP 500)."""
    autoscaling = scalable(ecs_world)
    for value, bound in ((0, "greater than or equal to 1"), (11, "less than or equal to 10")):
        with pytest.raises(ClientError) as raised:
            autoscaling.describe_scaling_policies(ServiceNamespace="ecs", MaxResults=value)
        error = raised.value.response["Error"]
        assert error["Code"] == "ValidationException"
        assert f"Value '{value}' at 'maxResults' failed to satisfy constraint: Member must have value {bound}" in error["Message"]
    with pytest.raises(ClientError) as raised:
        autoscaling.describe_scaling_policies(ServiceNamespace="ecs", NextToken="garbage")
    assert raised.value.response["Error"]["Code"] == "InvalidNextTokenException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_describe_scaling_policies_filters_match_exactly(ecs_world: EcsWorld) -> None:
    """ResourceId and ScalableDimension match exactly (moto matched a policy whose resource id was a
    substring of the filter), PolicyNames ("The names of the scaling policies to describe") is
    honoured (moto ignored it); "If you specify a scalable dimension, you must also specify a
    resource ID." (ValidationException)."""
    autoscaling = scalable(ecs_world)
    ecs_world.create_service("auth-worker")
    worker = "service/acme/auth-worker"
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId=worker, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=4
    )
    put_policy(autoscaling, 50.0, name="cpu")
    put_policy(autoscaling, 50.0, name="memory", metric="ECSServiceAverageMemoryUtilization")
    autoscaling.put_scaling_policy(
        PolicyName="worker-cpu",
        ServiceNamespace="ecs",
        ResourceId=worker,
        ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        },
    )
    assert policy_names(autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=worker)) == ["worker-cpu"]
    assert policy_names(autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=RESOURCE)) == ["cpu", "memory"]
    assert policy_names(
        autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION, PolicyNames=["memory"])
    ) == ["memory"]
    assert policy_names(autoscaling.describe_scaling_policies(ServiceNamespace="ecs", PolicyNames=["cpu", "worker-cpu"])) == ["cpu", "worker-cpu"]
    with pytest.raises(ClientError) as raised:
        autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ScalableDimension=DIMENSION)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
