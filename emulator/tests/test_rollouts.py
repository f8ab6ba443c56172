"""Scripted ECS rollouts: complete, fail (with and without the circuit-breaker rollback), stuck."""

from __future__ import annotations

import re
from typing import Any

from conftest import EcsWorld

DEPLOYMENT_ID = re.compile(r"^ecs-svc/\d{19}$")


def messages(service: dict[str, Any]) -> list[str]:
    return [event["message"] for event in service["events"]]


def states(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (d["status"], d["rolloutState"], d["taskDefinition"].split("/")[-1]) for d in service["deployments"]
    ]


def complete_first_deployment(world: EcsWorld, **overrides: Any) -> dict[str, Any]:
    world.create_service(**overrides)
    service = world.poll(2)
    assert states(service) == [("PRIMARY", "COMPLETED", "auth:1")]
    return service


def test_complete_rollout_climbs_to_desired_then_completes(ecs_world: EcsWorld) -> None:
    created = ecs_world.create_service()
    [deployment] = created["deployments"]
    assert DEPLOYMENT_ID.match(deployment["id"])
    assert (deployment["rolloutState"], deployment["runningCount"], deployment["desiredCount"]) == (
        "IN_PROGRESS",
        0,
        2,
    )
    assert deployment["taskDefinition"] == ecs_world.task_definition_arns[0]

    first_poll = ecs_world.describe()
    assert first_poll["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert (first_poll["runningCount"], first_poll["pendingCount"]) == (0, 2)

    second_poll = ecs_world.describe()
    [deployment] = second_poll["deployments"]
    assert (deployment["rolloutState"], deployment["runningCount"], deployment["pendingCount"]) == (
        "COMPLETED",
        2,
        0,
    )
    assert deployment["rolloutStateReason"] == f"ECS deployment {deployment['id']} completed."
    assert (second_poll["runningCount"], second_poll["pendingCount"]) == (2, 0)
    assert messages(second_poll)[:2] == [
        "(service auth) has reached a steady state.",
        f"(service auth) (deployment {deployment['id']}) deployment completed.",
    ]
    assert messages(second_poll)[2] == (
        f"(service auth) registered 2 targets in (target-group {ecs_world.target_group_arn})"
    )
    assert re.match(
        r"^\(service auth\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$",
        messages(second_poll)[3],
    )
    event = second_poll["events"][0]
    assert set(event) == {"id", "createdAt", "message"}


def test_steps_set_how_many_polls_a_rollout_takes(ecs_world: EcsWorld) -> None:
    ecs_world.account.queue_rollout(outcome="complete", steps=4)
    ecs_world.create_service(desiredCount=3)
    running = [ecs_world.describe()["deployments"][0]["runningCount"] for _ in range(4)]
    assert running == [0, 1, 2, 3]
    assert ecs_world.describe()["deployments"][0]["rolloutState"] == "COMPLETED"


def test_new_deployment_replaces_the_old_one_when_it_completes(ecs_world: EcsWorld) -> None:
    complete_first_deployment(ecs_world)
    updated = ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")["service"]
    assert states(updated) == [("PRIMARY", "IN_PROGRESS", "auth:2"), ("ACTIVE", "COMPLETED", "auth:1")]
    assert updated["runningCount"] == 2  # the old tasks keep serving

    service = ecs_world.poll(2)
    assert states(service) == [("PRIMARY", "COMPLETED", "auth:2")]
    assert service["runningCount"] == 2
    assert any(m.startswith("(service auth) has stopped 2 running tasks: ") for m in messages(service))
    assert (
        f"(service auth) deregistered 2 targets in (target-group {ecs_world.target_group_arn})"
        in messages(service)
    )


def test_fail_with_circuit_breaker_rollback_returns_to_the_last_completed_deployment(ecs_world: EcsWorld) -> None:
    """Developer Guide, "How the Amazon ECS deployment circuit breaker detects failures": "When the
    deployment circuit breaker determines that a deployment failed, it looks for the most recent
    deployment that is in a COMPLETED state. This is the deployment that it uses as the roll-back
    deployment. When the rollback starts, the deployment changes from a COMPLETED to IN_PROGRESS."
    The failed deployment keeps "ECS deployment circuit breaker: tasks failed to start."; the one
    rolled back to reads "ECS deployment circuit breaker: rolling back to deploymentId <id>." (the
    EventBridge "ECS Deployment State Change" example), and the old tasks keep running throughout."""
    completed = complete_first_deployment(ecs_world)
    completed_id = completed["deployments"][0]["id"]
    ecs_world.account.queue_rollout(service="auth", outcome="fail", steps=2)
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    failed_id = ecs_world.describe()["deployments"][0]["id"]

    service = ecs_world.poll(2)  # 2 tasks fail at poll 2, 2 more at poll 3: 4 >= the threshold 3
    assert states(service) == [("PRIMARY", "IN_PROGRESS", "auth:1"), ("ACTIVE", "FAILED", "auth:2")]
    rollback, failed = service["deployments"]
    assert (rollback["id"], failed["id"]) == (completed_id, failed_id)
    assert rollback["rolloutStateReason"] == (
        f"ECS deployment circuit breaker: rolling back to deploymentId {completed_id}."
    )
    assert failed["failedTasks"] == 4
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert (rollback["runningCount"], service["runningCount"]) == (2, 2)
    assert service["taskDefinition"] == ecs_world.task_definition_arns[0]
    assert messages(service)[:2] == [
        f"(service auth) rolling back to deployment {completed_id}.",
        f"(service auth) (deployment {failed_id}) deployment failed: tasks failed to start.",
    ]

    service = ecs_world.poll(2)
    assert states(service) == [("PRIMARY", "COMPLETED", "auth:1")]
    assert service["deployments"][0]["id"] == completed_id
    assert service["deployments"][0]["rolloutStateReason"] == f"ECS deployment {completed_id} completed."
    assert messages(service)[0] == "(service auth) has reached a steady state."


def test_the_rollback_deployment_follows_its_own_script(ecs_world: EcsWorld) -> None:
    complete_first_deployment(ecs_world)
    ecs_world.account.queue_rollout(service="auth", outcome="fail", steps=1, count=1)
    ecs_world.account.queue_rollout(service="auth", outcome="stuck", count=1)
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    service = ecs_world.poll(5)
    assert states(service)[:2] == [("PRIMARY", "IN_PROGRESS", "auth:1"), ("ACTIVE", "FAILED", "auth:2")]


def test_fail_without_rollback_leaves_the_failed_deployment_primary(ecs_world: EcsWorld) -> None:
    complete_first_deployment(
        ecs_world, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    )
    ecs_world.account.queue_rollout(outcome="fail", steps=2)
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")

    service = ecs_world.poll(3)
    assert states(service) == [("PRIMARY", "FAILED", "auth:2"), ("ACTIVE", "COMPLETED", "auth:1")]
    assert service["deployments"][0]["failedTasks"] >= 3
    assert service["taskDefinition"] == ecs_world.task_definition_arns[1]
    assert not any("rolling back" in m for m in messages(service))

    later = ecs_world.poll(3)
    assert states(later) == states(service)
    assert later["runningCount"] == 2  # the old deployment keeps running


def test_fail_on_the_first_deployment_has_nothing_to_roll_back_to(ecs_world: EcsWorld) -> None:
    ecs_world.account.queue_rollout(outcome="fail", steps=1)
    ecs_world.create_service()
    service = ecs_world.poll(2)
    assert states(service) == [("PRIMARY", "FAILED", "auth:1")]
    assert service["runningCount"] == 0


def test_stuck_rollout_stays_in_progress_with_tasks_pending(ecs_world: EcsWorld) -> None:
    """`stuck`: the tasks never finish starting, so no task fails and the circuit breaker (enabled
    here) has nothing to count; the deployment never reaches a steady state. (Before the breaker was
    modelled, `stuck` churned tasks and counted them as failed: with the breaker on, ECS would fail
    such a deployment.)"""
    ecs_world.account.queue_rollout(outcome="stuck")
    ecs_world.create_service()
    service = ecs_world.poll(8)
    [deployment] = service["deployments"]
    assert deployment["rolloutState"] == "IN_PROGRESS"
    assert (deployment["runningCount"], deployment["pendingCount"], deployment["failedTasks"]) == (0, 2, 0)
    assert sum(m.startswith("(service auth) has started 2 tasks") for m in messages(service)) == 1


def test_events_are_capped_at_the_100_most_recent(ecs_world: EcsWorld) -> None:
    """Developer Guide, "Amazon ECS service event messages": "we only show the 100 most recent
    events". A failing deployment without the circuit breaker starts tasks at every poll."""
    ecs_world.account.queue_rollout(outcome="fail", steps=1)
    ecs_world.create_service(
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False}}
    )
    service = ecs_world.poll(105)
    assert len(service["events"]) == 100
    times = [event["createdAt"] for event in service["events"]]
    assert times == sorted(times, reverse=True)


def test_service_specific_scripts_come_before_wildcards_and_count_down(ecs_world: EcsWorld) -> None:
    ecs_world.account.queue_rollout(outcome="stuck")  # wildcard
    ecs_world.account.queue_rollout(service="auth", outcome="fail", steps=1, count=2)
    assert len(ecs_world.account.ecs_state()["queue"]) == 2

    ecs_world.create_service("auth")
    ecs_world.create_service("other")
    ecs_world.ecs.update_service(cluster="acme", service="auth", forceNewDeployment=True)
    ecs_world.ecs.update_service(cluster="acme", service="auth", forceNewDeployment=True)

    assert ecs_world.describe("other")["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    auth = ecs_world.poll(1, "auth")
    # auth's create and first forced deployment took the two `fail` entries; the second forced
    # deployment found only the wildcard, which `other` had already used up: default complete.
    assert auth["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert ecs_world.poll(1, "auth")["deployments"][0]["rolloutState"] == "COMPLETED"
    assert ecs_world.account.ecs_state()["queue"] == []


def test_cluster_filter_limits_a_script_to_one_cluster(ecs_world: EcsWorld) -> None:
    ecs_world.account.queue_rollout(outcome="fail", steps=1, cluster="elsewhere")
    ecs_world.create_service()
    assert ecs_world.poll(2)["deployments"][0]["rolloutState"] == "COMPLETED"
    assert len(ecs_world.account.ecs_state()["queue"]) == 1


def test_state_dump_shows_services_deployments_and_queue(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    ecs_world.account.queue_rollout(outcome="stuck", service="auth")
    state = ecs_world.account.ecs_state()
    [service] = state["services"]
    assert (service["service"], service["cluster"], service["region"]) == ("auth", "acme", "us-east-1")
    assert service["deployments"][0]["script"]["outcome"] == "complete"
    assert state["queue"][0]["outcome"] == "stuck"
