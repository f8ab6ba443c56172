"""CreateService/UpdateService fidelity: what starts a deployment, what is stored, what is refused."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import DRAIN, FIRST_ROLLOUT, HEALTHY_AFTER, START, EcsWorld


def finish_rollout(world: EcsWorld) -> None:
    assert world.after(FIRST_ROLLOUT)["deployments"][0]["rolloutState"] == "COMPLETED"


def test_update_with_the_same_task_definition_starts_no_deployment(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    finish_rollout(ecs_world)
    before = ecs_world.describe()["deployments"]
    updated = ecs_world.ecs.update_service(
        cluster="acme", service="auth", taskDefinition=ecs_world.task_definition_arns[0]
    )["service"]
    assert [d["id"] for d in updated["deployments"]] == [d["id"] for d in before]


@pytest.mark.parametrize("given", ["auth:2", "auth", "arn"])
def test_update_with_a_new_task_definition_stores_the_full_arn(ecs_world: EcsWorld, given: str) -> None:
    ecs_world.create_service()
    finish_rollout(ecs_world)
    new_arn = ecs_world.task_definition_arns[1]
    updated = ecs_world.ecs.update_service(
        cluster="acme", service="auth", taskDefinition=new_arn if given == "arn" else given
    )["service"]
    assert updated["taskDefinition"] == new_arn
    assert [(d["status"], d["taskDefinition"]) for d in updated["deployments"]] == [
        ("PRIMARY", new_arn),
        ("ACTIVE", ecs_world.task_definition_arns[0]),
    ]
    assert ecs_world.describe()["taskDefinition"] == new_arn


def test_force_new_deployment_starts_one_with_the_same_task_definition(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    finish_rollout(ecs_world)
    updated = ecs_world.ecs.update_service(cluster="acme", service="auth", forceNewDeployment=True)["service"]
    assert [(d["status"], d["rolloutState"]) for d in updated["deployments"]] == [
        ("PRIMARY", "IN_PROGRESS"),
        ("ACTIVE", "COMPLETED"),
    ]
    assert {d["taskDefinition"] for d in updated["deployments"]} == {ecs_world.task_definition_arns[0]}


def test_desired_count_only_update_resizes_the_primary_without_a_deployment(ecs_world: EcsWorld) -> None:
    """ECS API Reference, UpdateService: a new desiredCount alone starts no deployment; the scheduler
    starts the missing tasks (which take their time to start) or stops the surplus, whose targets
    drain for the deregistration delay."""
    ecs_world.create_service()
    finish_rollout(ecs_world)
    deployment_id = ecs_world.describe()["deployments"][0]["id"]

    updated = ecs_world.ecs.update_service(cluster="acme", service="auth", desiredCount=4)["service"]
    [deployment] = updated["deployments"]
    assert (deployment["id"], deployment["desiredCount"], deployment["rolloutState"]) == (
        deployment_id,
        4,
        "COMPLETED",
    )
    assert (updated["desiredCount"], updated["runningCount"], updated["pendingCount"]) == (4, 2, 2)
    scaled_up = ecs_world.after(START)
    assert (scaled_up["runningCount"], scaled_up["pendingCount"]) == (4, 0)
    assert len(ecs_world.target_health()) == 4
    ecs_world.account.advance(HEALTHY_AFTER)

    scaled_down = ecs_world.ecs.update_service(cluster="acme", service="auth", desiredCount=1)["service"]
    assert (scaled_down["runningCount"], scaled_down["deployments"][0]["id"]) == (1, deployment_id)
    assert sorted(h["State"] for h in ecs_world.target_health().values()) == ["draining"] * 3 + ["healthy"]
    ecs_world.account.advance(DRAIN)  # the stopped tasks' targets drained, then went
    assert len(ecs_world.target_health()) == 1


def test_settings_only_update_starts_no_deployment(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    finish_rollout(ecs_world)
    updated = ecs_world.ecs.update_service(
        cluster="acme",
        service="auth",
        healthCheckGracePeriodSeconds=90,
        deploymentConfiguration={"minimumHealthyPercent": 50},
    )["service"]
    assert len(updated["deployments"]) == 1
    assert updated["healthCheckGracePeriodSeconds"] == 90
    # The parts of deploymentConfiguration not given keep their values.
    assert updated["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 50,
    }


def test_a_network_change_starts_a_deployment(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    finish_rollout(ecs_world)
    same_network = {
        "awsvpcConfiguration": {
            "subnets": list(reversed(ecs_world.subnet_ids)),
            "securityGroups": [ecs_world.security_group_id],
        }
    }
    unchanged = ecs_world.ecs.update_service(
        cluster="acme", service="auth", networkConfiguration=same_network
    )["service"]
    assert len(unchanged["deployments"]) == 1
    one_subnet = {
        "awsvpcConfiguration": {
            "subnets": ecs_world.subnet_ids[:1],
            "securityGroups": [ecs_world.security_group_id],
        }
    }
    changed = ecs_world.ecs.update_service(cluster="acme", service="auth", networkConfiguration=one_subnet)[
        "service"
    ]
    assert len(changed["deployments"]) == 2


def test_create_keeps_the_fields_moto_drops_and_fills_ecs_defaults(ecs_world: EcsWorld) -> None:
    strategy = [
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
    ]
    deployment_configuration = {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 150,
        "minimumHealthyPercent": 50,
    }
    parameters = dict(
        capacityProviderStrategy=strategy,
        deploymentConfiguration=deployment_configuration,
        healthCheckGracePeriodSeconds=45,
        enableExecuteCommand=True,
        propagateTags="SERVICE",
        enableECSManagedTags=True,
    )
    service_parameters = {
        "cluster": "acme",
        "serviceName": "auth",
        "taskDefinition": "auth:1",
        "desiredCount": 1,
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ecs_world.subnet_ids,
                "securityGroups": [ecs_world.security_group_id],
            }
        },
        **parameters,
    }
    ecs_world.ecs.create_service(**service_parameters)
    described = ecs_world.describe()
    assert described["capacityProviderStrategy"] == strategy
    assert "launchType" not in described
    assert described["deploymentConfiguration"] == deployment_configuration
    assert described["healthCheckGracePeriodSeconds"] == 45
    assert described["enableExecuteCommand"] is True
    assert described["propagateTags"] == "SERVICE"
    assert described["enableECSManagedTags"] is True
    assert described["deployments"][0]["capacityProviderStrategy"] == strategy


def test_create_without_optional_fields_reports_ecs_defaults(ecs_world: EcsWorld) -> None:
    ecs_world.create_service(deploymentConfiguration={"maximumPercent": 200})
    described = ecs_world.describe()
    assert described["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    assert (
        described["enableExecuteCommand"],
        described["enableECSManagedTags"],
        described["propagateTags"],
    ) == (False, False, "NONE")
    assert described["launchType"] == "FARGATE"
    assert described["deployments"][0]["platformFamily"] == "Linux"


def test_duplicate_create_is_refused_until_the_service_is_deleted(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    with pytest.raises(ClientError) as refused:
        ecs_world.create_service(taskDefinition="auth:2")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert refused.value.response["Error"]["Message"] == "Creation of service was not idempotent."
    assert ecs_world.describe()["taskDefinition"] == ecs_world.task_definition_arns[0]

    ecs_world.ecs.delete_service(cluster="acme", service="auth", force=True)
    assert ecs_world.ecs.list_services(cluster="acme")["serviceArns"] == []
    assert ecs_world.describe()["status"] == "INACTIVE"
    with pytest.raises(ClientError) as inactive:
        ecs_world.ecs.update_service(cluster="acme", service="auth", desiredCount=3)
    assert inactive.value.response["Error"]["Code"] == "ServiceNotActiveException"
    recreated = ecs_world.create_service(taskDefinition="auth:2")
    assert recreated["taskDefinition"] == ecs_world.task_definition_arns[1]
    assert len(ecs_world.ecs.list_services(cluster="acme")["serviceArns"]) == 1


def test_include_tags_is_per_request_under_concurrency(ecs_world: EcsWorld) -> None:
    """moto kept `include` on the class: a concurrent describe without it stripped the tags."""
    from concurrent.futures import ThreadPoolExecutor

    ecs_world.create_service(tags=[{"key": "owner", "value": "me"}])

    def describe(index: int) -> bool:
        if index % 2:
            ecs_world.ecs.describe_services(cluster="acme", services=["auth"])
            return True
        answer = ecs_world.ecs.describe_services(cluster="acme", services=["auth"], include=["TAGS"])
        return answer["services"][0].get("tags") == [{"key": "owner", "value": "me"}]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(describe, range(200)))
    assert all(results), f"{results.count(False)} of 100 described without their tags"
