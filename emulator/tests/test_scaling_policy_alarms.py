"""Application Auto Scaling target tracking policies and their CloudWatch alarms (see `scaling_policies`)."""

from __future__ import annotations

from typing import Any

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
