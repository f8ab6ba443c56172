"""Simulated tasks register in the service's target groups; health checks run in simulated time."""

from __future__ import annotations

import ipaddress

from conftest import DRAIN, FIRST_ROLLOUT, HEALTHY_AFTER, INTERVAL, START, UNHEALTHY_AFTER, EcsWorld


def states(world: EcsWorld) -> dict[str, str]:
    return {target_id: health["State"] for target_id, health in world.target_health().items()}


def test_targets_start_initial_then_turn_healthy(ecs_world: EcsWorld) -> None:
    """Task lifecycle (Developer Guide, "Amazon ECS task lifecycle"): ECS registers the task in its
    target groups in ACTIVATING, just before RUNNING. ELBv2 API Reference, TargetHealth: `initial`
    with Elb.RegistrationInProgress, then Elb.InitialHealthChecking while "the load balancer is still
    sending the target the minimum number of health checks required to determine its health status";
    ALB guide, "Health checks for Application Load Balancer target groups": a check every
    HealthCheckIntervalSeconds, healthy after HealthyThresholdCount consecutive successes (10 s, 2)."""
    ecs_world.create_service()
    ecs_world.account.advance(START - 1)
    assert ecs_world.target_health() == {}

    ecs_world.account.advance(1)
    health = ecs_world.target_health()
    assert len(health) == 2
    for target_id, target in health.items():
        assert ipaddress.ip_address(target_id) in ipaddress.ip_network("10.0.0.0/16")
        assert target == {
            "State": "initial",
            "Reason": "Elb.RegistrationInProgress",
            "Description": "Target registration is in progress",
        }
    descriptions = ecs_world.elbv2.describe_target_health(TargetGroupArn=ecs_world.target_group_arn)
    assert {item["Target"]["Port"] for item in descriptions["TargetHealthDescriptions"]} == {8080}

    ecs_world.account.advance(INTERVAL)  # one successful check of two
    assert set(ecs_world.target_health()[target_id].items()) == {
        ("State", "initial"),
        ("Reason", "Elb.InitialHealthChecking"),
        ("Description", "Initial health checks in progress"),
    }
    ecs_world.account.advance(HEALTHY_AFTER - INTERVAL)
    assert set(states(ecs_world).values()) == {"healthy"}
    assert all("Reason" not in health for health in ecs_world.target_health().values())


def test_aws_default_health_check_settings_take_their_time(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, CreateTargetGroup: for HTTP target groups HealthCheckIntervalSeconds
    defaults to 30 and HealthyThresholdCount to 5, UnhealthyThresholdCount to 2; ALB guide, "Edit
    target group attributes": "By default, Elastic Load Balancing waits 300 seconds before completing
    the deregistration process". A target group created without them: healthy 150 s after the task
    runs, drained 300 s after it is replaced."""
    vpc_id = ecs_world.elbv2.describe_target_groups(TargetGroupArns=[ecs_world.target_group_arn])[
        "TargetGroups"
    ][0]["VpcId"]
    plain = ecs_world.elbv2.create_target_group(
        Name="plain", Protocol="HTTP", Port=8080, VpcId=vpc_id, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    ecs_world.elbv2.modify_listener(
        ListenerArn=ecs_world.listener_arn, DefaultActions=[{"Type": "forward", "TargetGroupArn": plain}]
    )
    load_balancers = [{"targetGroupArn": plain, "containerName": "app", "containerPort": 8080}]
    ecs_world.create_service(desiredCount=1, loadBalancers=load_balancers)
    assert ecs_world.after(START + 149)["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert ecs_world.after(1)["deployments"][0]["rolloutState"] == "COMPLETED"

    ecs_world.ecs.update_service(cluster="acme", service="auth", forceNewDeployment=True)
    ecs_world.account.advance(START + 150 + 299)
    health = ecs_world.elbv2.describe_target_health(TargetGroupArn=plain)["TargetHealthDescriptions"]
    assert sorted(item["TargetHealth"]["State"] for item in health) == ["draining", "healthy"]
    ecs_world.account.advance(1)
    health = ecs_world.elbv2.describe_target_health(TargetGroupArn=plain)["TargetHealthDescriptions"]
    assert [item["TargetHealth"]["State"] for item in health] == ["healthy"]
    assert ecs_world.describe()["deployments"][0]["rolloutState"] == "COMPLETED"


def test_health_check_settings_changed_later_apply_from_then_on(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, ModifyTargetGroup: the interval and thresholds of a target group's health
    checks can change; the checks after the change use them."""
    ecs_world.create_service(desiredCount=1)
    ecs_world.account.advance(START)
    ecs_world.elbv2.modify_target_group(
        TargetGroupArn=ecs_world.target_group_arn, HealthCheckIntervalSeconds=60, HealthyThresholdCount=3
    )
    assert ecs_world.after(179)["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert ecs_world.after(1)["deployments"][0]["rolloutState"] == "COMPLETED"


def test_unhealthy_targets_carry_the_scripted_reason_and_an_ecs_event(ecs_world: EcsWorld) -> None:
    ecs_world.account.queue_rollout(
        outcome="complete", steps=3, target_health="unhealthy", unhealthy_reason="Target.ResponseCodeMismatch"
    )
    ecs_world.create_service(desiredCount=1, healthCheckGracePeriodSeconds=600)  # no replacement yet
    ecs_world.account.advance(30 + UNHEALTHY_AFTER)
    [health] = ecs_world.target_health().values()
    assert health == {
        "State": "unhealthy",
        "Reason": "Target.ResponseCodeMismatch",
        "Description": "Health checks failed with these codes: [502]",
    }
    messages = [event["message"] for event in ecs_world.describe()["events"]]
    assert any(
        m.endswith(
            f"(port 8080) is unhealthy in (target-group {ecs_world.target_group_arn}) "
            "due to (reason Health checks failed with these codes: [502])."
        )
        for m in messages
    )


def test_initial_target_health_lasts_for_ever(ecs_world: EcsWorld) -> None:
    ecs_world.account.queue_rollout(outcome="complete", target_health="initial")
    ecs_world.create_service()
    ecs_world.account.advance(24 * 3600)
    assert set(states(ecs_world).values()) == {"initial"}


def test_replaced_targets_drain_for_the_deregistration_delay_and_then_disappear(ecs_world: EcsWorld) -> None:
    """ALB guide, "Edit target group attributes": "The initial state of a deregistering target is
    draining. After the deregistration delay elapses, the deregistration process completes";
    ELBv2 API Reference, TargetHealth: draining, Target.DeregistrationInProgress."""
    ecs_world.create_service()
    ecs_world.account.advance(FIRST_ROLLOUT)
    old_targets = set(ecs_world.target_health())

    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    ecs_world.account.advance(START)
    during = states(ecs_world)
    new_targets = set(during) - old_targets
    assert len(new_targets) == 2
    assert {during[t] for t in old_targets} == {"healthy"}
    assert {during[t] for t in new_targets} == {"initial"}

    ecs_world.account.advance(HEALTHY_AFTER)  # the new ones are healthy: the old ones drain
    after = ecs_world.target_health()
    assert {after[t]["State"] for t in new_targets} == {"healthy"}
    for target in old_targets:
        assert after[target] == {
            "State": "draining",
            "Reason": "Target.DeregistrationInProgress",
            "Description": "Target deregistration is in progress",
        }

    ecs_world.account.advance(DRAIN - 1)
    assert set(ecs_world.target_health()) == new_targets | old_targets
    ecs_world.account.advance(1)
    assert set(ecs_world.target_health()) == new_targets


def test_delete_service_deregisters_its_targets_including_draining_ones(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    ecs_world.account.advance(FIRST_ROLLOUT)
    ecs_world.ecs.update_service(cluster="acme", service="auth", forceNewDeployment=True)
    ecs_world.account.advance(FIRST_ROLLOUT)
    assert sorted(states(ecs_world).values()) == ["draining", "draining", "healthy", "healthy"]
    ecs_world.ecs.delete_service(cluster="acme", service="auth", force=True)
    assert ecs_world.target_health() == {}


def test_control_endpoint_sets_one_target_or_all(ecs_world: EcsWorld) -> None:
    ecs_world.create_service(healthCheckGracePeriodSeconds=600)  # ECS ignores the health meanwhile
    ecs_world.account.advance(FIRST_ROLLOUT)
    first, second = sorted(ecs_world.target_health())

    answer = ecs_world.account.control(
        "/elbv2/target-health",
        {
            "target_group_arn": ecs_world.target_group_arn,
            "target_id": first,
            "state": "unhealthy",
            "reason": "Target.Timeout",
        },
    )
    assert {t["id"]: t["state"] for t in answer["targets"]} == {first: "unhealthy", second: "healthy"}
    assert ecs_world.target_health()[first] == {
        "State": "unhealthy",
        "Reason": "Target.Timeout",
        "Description": "Request timed out",
    }

    ecs_world.account.control(
        "/elbv2/target-health",
        {
            "target_group_arn": ecs_world.target_group_arn,
            "state": "unused",
            "reason": "Target.NotInUse",
            "description": "custom",
        },
    )
    assert {h["State"] for h in ecs_world.target_health().values()} == {"unused"}
    assert ecs_world.target_health()[second]["Description"] == "custom"


def test_control_set_health_survives_later_health_checks(ecs_world: EcsWorld) -> None:
    ecs_world.create_service(healthCheckGracePeriodSeconds=600)  # ECS ignores the health meanwhile
    ecs_world.account.advance(START)  # targets registered, still initial
    ecs_world.account.control(
        "/elbv2/target-health", {"target_group_arn": ecs_world.target_group_arn, "state": "unhealthy"}
    )
    ecs_world.account.advance(300)
    assert set(states(ecs_world).values()) == {"unhealthy"}


def test_a_target_the_control_api_makes_unhealthy_is_replaced_after_the_grace_period(ecs_world: EcsWorld) -> None:
    """ECS API Reference, CreateService `healthCheckGracePeriodSeconds`; the health set by the control
    API counts from the moment it is set."""
    ecs_world.create_service(desiredCount=1, healthCheckGracePeriodSeconds=60)
    ecs_world.account.advance(FIRST_ROLLOUT)  # running since 30 s, healthy at 50 s
    ecs_world.account.control(
        "/elbv2/target-health", {"target_group_arn": ecs_world.target_group_arn, "state": "unhealthy"}
    )
    assert ecs_world.after(START + 60 - FIRST_ROLLOUT - 1)["runningCount"] == 1
    service = ecs_world.after(1)
    assert (service["runningCount"], service["pendingCount"]) == (0, 1)


def test_control_endpoint_reports_unknown_target_groups_and_targets(ecs_world: EcsWorld) -> None:
    emulator, account_id = ecs_world.account.emulator, ecs_world.account.account_id
    path = f"/_ecsdeploy/accounts/{account_id}/elbv2/target-health"
    missing_group = ecs_world.target_group_arn.replace("targetgroup/auth/", "targetgroup/nope/")
    status, answer = emulator.request("POST", path, {"target_group_arn": missing_group, "state": "healthy"})
    assert status == 404 and "not found" in answer["error"]
    status, answer = emulator.request(
        "POST",
        path,
        {"target_group_arn": ecs_world.target_group_arn, "target_id": "10.9.9.9", "state": "healthy"},
    )
    assert status == 404 and "not registered" in answer["error"]


def test_targets_registered_by_hand_stay_healthy_like_stock_moto(ecs_world: EcsWorld) -> None:
    ecs_world.elbv2.register_targets(
        TargetGroupArn=ecs_world.target_group_arn, Targets=[{"Id": "10.0.10.200", "Port": 80}]
    )
    assert states(ecs_world) == {"10.0.10.200": "healthy"}
