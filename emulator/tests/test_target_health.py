"""Simulated tasks register in the service's target groups; DescribeTargetHealth reports scripted health."""

from __future__ import annotations

import ipaddress

from conftest import EcsWorld


def states(world: EcsWorld) -> dict[str, str]:
    return {target_id: health["State"] for target_id, health in world.target_health().items()}


def test_targets_start_initial_then_turn_healthy(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    assert ecs_world.target_health() == {}

    ecs_world.describe()
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

    ecs_world.describe()
    assert set(states(ecs_world).values()) == {"healthy"}
    assert all("Reason" not in health for health in ecs_world.target_health().values())


def test_unhealthy_targets_carry_the_scripted_reason_and_an_ecs_event(ecs_world: EcsWorld) -> None:
    ecs_world.account.queue_rollout(
        outcome="complete", steps=3, target_health="unhealthy", unhealthy_reason="Target.ResponseCodeMismatch"
    )
    ecs_world.create_service(desiredCount=1, healthCheckGracePeriodSeconds=600)  # no replacement yet
    ecs_world.poll(2)
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
    ecs_world.poll(6)
    assert set(states(ecs_world).values()) == {"initial"}


def test_replaced_targets_drain_after_completion_and_then_disappear(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    ecs_world.poll(2)
    old_targets = set(ecs_world.target_health())

    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    ecs_world.describe()
    during = states(ecs_world)
    new_targets = set(during) - old_targets
    assert len(new_targets) == 2
    assert {during[t] for t in old_targets} == {"healthy"}
    assert {during[t] for t in new_targets} == {"initial"}

    ecs_world.describe()  # completes
    after = ecs_world.target_health()
    assert {after[t]["State"] for t in new_targets} == {"healthy"}
    for target in old_targets:
        assert after[target] == {
            "State": "draining",
            "Reason": "Target.DeregistrationInProgress",
            "Description": "Target deregistration is in progress",
        }

    ecs_world.describe()  # one poll later the drained targets are gone
    assert set(ecs_world.target_health()) == new_targets


def test_delete_service_deregisters_its_targets_including_draining_ones(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    ecs_world.poll(2)
    ecs_world.ecs.update_service(cluster="acme", service="auth", forceNewDeployment=True)
    ecs_world.poll(2)
    assert sorted(states(ecs_world).values()) == ["draining", "draining", "healthy", "healthy"]
    ecs_world.ecs.delete_service(cluster="acme", service="auth", force=True)
    assert ecs_world.target_health() == {}


def test_control_endpoint_sets_one_target_or_all(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    ecs_world.poll(2)
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


def test_control_set_health_survives_later_polls(ecs_world: EcsWorld) -> None:
    ecs_world.create_service(healthCheckGracePeriodSeconds=600)  # ECS ignores the health meanwhile
    ecs_world.describe()  # targets registered, still initial
    ecs_world.account.control(
        "/elbv2/target-health", {"target_group_arn": ecs_world.target_group_arn, "state": "unhealthy"}
    )
    ecs_world.poll(3)
    assert set(states(ecs_world).values()) == {"unhealthy"}


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
