"""Scripted ECS rollouts in simulated time: complete, fail (with and without the rollback), stuck.

The EcsWorld target group checks every 10 s (healthy after 2 checks, unhealthy after 3) and drains
for 30 s; tasks start in 30 s unless a script says otherwise (see conftest).
"""

from __future__ import annotations

import re
from typing import Any

from conftest import DRAIN, FIRST_ROLLOUT, HEALTHY_AFTER, NEXT_ROLLOUT, START, EcsWorld

DEPLOYMENT_ID = re.compile(r"^ecs-svc/\d{19}$")


def messages(service: dict[str, Any]) -> list[str]:
    return [event["message"] for event in service["events"]]


def states(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (d["status"], d["rolloutState"], d["taskDefinition"].split("/")[-1]) for d in service["deployments"]
    ]


def complete_first_deployment(world: EcsWorld, **overrides: Any) -> dict[str, Any]:
    world.create_service(**overrides)
    service = world.after(FIRST_ROLLOUT)
    assert states(service) == [("PRIMARY", "COMPLETED", "auth:1")]
    return service


def test_complete_rollout_starts_its_tasks_then_completes_once_they_are_healthy(ecs_world: EcsWorld) -> None:
    """Developer Guide, "Deploy Amazon ECS services by replacing tasks": the scheduler starts the new
    tasks; API Reference, `Deployment.rolloutState`: "When the service reaches a steady state, the
    deployment transitions to a COMPLETED state". Task lifecycle: a task is PENDING while it starts
    and ECS registers it in its target groups as it turns RUNNING (ACTIVATING "registers load
    balancer target groups"); ALB guide, "Health checks for Application Load Balancer target groups":
    a target is healthy after HealthyThresholdCount consecutive successful checks, one every
    HealthCheckIntervalSeconds. Here: start 30 s, 2 checks 10 s apart, COMPLETED at 50 s."""
    created = ecs_world.create_service()
    [deployment] = created["deployments"]
    assert DEPLOYMENT_ID.match(deployment["id"])
    assert (deployment["rolloutState"], deployment["runningCount"], deployment["pendingCount"]) == (
        "IN_PROGRESS",
        0,
        2,
    )
    assert deployment["taskDefinition"] == ecs_world.task_definition_arns[0]

    starting = ecs_world.after(START - 1)
    assert starting["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert (starting["runningCount"], starting["pendingCount"]) == (0, 2)

    running = ecs_world.after(1)
    assert (running["deployments"][0]["rolloutState"], running["runningCount"], running["pendingCount"]) == (
        "IN_PROGRESS",
        2,
        0,
    )
    assert {health["State"] for health in ecs_world.target_health().values()} == {"initial"}

    not_yet = ecs_world.after(HEALTHY_AFTER - 1)
    assert not_yet["deployments"][0]["rolloutState"] == "IN_PROGRESS"

    completed = ecs_world.after(1)
    [deployment] = completed["deployments"]
    assert (deployment["rolloutState"], deployment["runningCount"], deployment["pendingCount"]) == (
        "COMPLETED",
        2,
        0,
    )
    assert deployment["rolloutStateReason"] == f"ECS deployment {deployment['id']} completed."
    assert (completed["runningCount"], completed["pendingCount"]) == (2, 0)
    assert messages(completed)[:2] == [
        "(service auth) has reached a steady state.",
        f"(service auth) (deployment {deployment['id']}) deployment completed.",
    ]
    assert messages(completed)[2] == (
        f"(service auth) registered 2 targets in (target-group {ecs_world.target_group_arn})"
    )
    assert re.match(
        r"^\(service auth\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$",
        messages(completed)[3],
    )
    event = completed["events"][0]
    assert set(event) == {"id", "createdAt", "message"}
    times = [event["createdAt"] for event in completed["events"]]
    assert [(time - times[-1]).total_seconds() for time in times] == [FIRST_ROLLOUT, FIRST_ROLLOUT, START, 0]
    assert (deployment["updatedAt"] - deployment["createdAt"]).total_seconds() == FIRST_ROLLOUT


def test_start_seconds_and_steps_set_how_long_tasks_take_to_start(ecs_world: EcsWorld) -> None:
    """Control API: `start_seconds`, or `steps` of 10 s each, is the simulated time from a task's
    launch to RUNNING."""
    ecs_world.account.queue_rollout(outcome="complete", start_seconds=75)
    ecs_world.account.queue_rollout(outcome="complete", steps=4)
    ecs_world.create_service("slow", desiredCount=3)
    ecs_world.create_service("stepped", desiredCount=1)
    assert ecs_world.after(74, "slow")["runningCount"] == 0
    assert ecs_world.after(1, "slow")["runningCount"] == 3
    assert ecs_world.describe("stepped")["runningCount"] == 1  # 40 s
    assert ecs_world.after(HEALTHY_AFTER, "slow")["deployments"][0]["rolloutState"] == "COMPLETED"
    state = {service["service"]: service for service in ecs_world.account.ecs_state()["services"]}
    assert state["slow"]["deployments"][0]["script"]["start_seconds"] == 75
    assert state["stepped"]["deployments"][0]["script"]["start_seconds"] == 40


def test_new_deployment_replaces_the_old_one_after_the_old_targets_drained(ecs_world: EcsWorld) -> None:
    """Developer Guide, "Optimize load balancer connection draining parameters for Amazon ECS":
    "Amazon ECS monitors the load balancer, and waits for the load balancer to report that the keep
    alive connection is closed (the target is in an UNUSED state)" before it stops the old task; the
    time the load balancer waits is `deregistration_delay.timeout_seconds`. The old tasks keep
    running (and counting) while their targets drain; the deployment is COMPLETED once they stopped."""
    complete_first_deployment(ecs_world)
    updated = ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")["service"]
    assert states(updated) == [("PRIMARY", "IN_PROGRESS", "auth:2"), ("ACTIVE", "COMPLETED", "auth:1")]
    assert updated["runningCount"] == 2  # the old tasks keep serving

    draining = ecs_world.after(START + HEALTHY_AFTER)
    assert states(draining) == [("PRIMARY", "IN_PROGRESS", "auth:2"), ("ACTIVE", "COMPLETED", "auth:1")]
    assert [d["runningCount"] for d in draining["deployments"]] == [2, 2]
    assert sorted(health["State"] for health in ecs_world.target_health().values()) == [
        "draining",
        "draining",
        "healthy",
        "healthy",
    ]
    assert messages(draining)[0] == (
        f"(service auth) deregistered 2 targets in (target-group {ecs_world.target_group_arn})"
    )

    service = ecs_world.after(DRAIN)
    assert states(service) == [("PRIMARY", "COMPLETED", "auth:2")]
    assert service["runningCount"] == 2
    assert re.match(r"^\(service auth\) has stopped 2 running tasks: ", messages(service)[2])
    assert len(ecs_world.target_health()) == 2


def test_fail_with_circuit_breaker_rollback_returns_to_the_last_completed_deployment(ecs_world: EcsWorld) -> None:
    """Developer Guide, "How the Amazon ECS deployment circuit breaker detects failures": "When the
    deployment circuit breaker determines that a deployment failed, it looks for the most recent
    deployment that is in a COMPLETED state. This is the deployment that it uses as the roll-back
    deployment." The failed deployment reads "ECS deployment circuit breaker: tasks failed to start."
    and the old tasks keep running throughout. Nothing of the failed deployment runs (its tasks never
    reached RUNNING), so the service is steady again at the instant the rollback starts."""
    completed = complete_first_deployment(ecs_world)
    completed_id = completed["deployments"][0]["id"]
    ecs_world.account.queue_rollout(service="auth", outcome="fail", steps=2)
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    failed_id = ecs_world.describe()["deployments"][0]["id"]

    failing = ecs_world.after(39)  # 2 tasks failed at 20 s, the next 2 fail at 40 s
    assert states(failing) == [("PRIMARY", "IN_PROGRESS", "auth:2"), ("ACTIVE", "COMPLETED", "auth:1")]
    assert (failing["deployments"][0]["failedTasks"], failing["runningCount"]) == (2, 2)

    service = ecs_world.after(1)  # 4 >= the threshold 3
    assert states(service) == [("PRIMARY", "COMPLETED", "auth:1")]
    assert service["deployments"][0]["id"] == completed_id
    assert service["deployments"][0]["rolloutStateReason"] == f"ECS deployment {completed_id} completed."
    assert service["runningCount"] == 2
    assert service["taskDefinition"] == ecs_world.task_definition_arns[0]
    assert messages(service)[:4] == [
        "(service auth) has reached a steady state.",
        f"(service auth) (deployment {completed_id}) deployment completed.",
        f"(service auth) rolling back to deployment {completed_id}.",
        f"(service auth) (deployment {failed_id}) deployment failed: tasks failed to start.",
    ]


def test_a_rollback_is_in_progress_while_the_failed_tasks_drain(ecs_world: EcsWorld) -> None:
    """Developer Guide, "How the Amazon ECS deployment circuit breaker detects failures": "When the
    rollback starts, the deployment changes from a COMPLETED to IN_PROGRESS"; it reads "ECS deployment
    circuit breaker: rolling back to deploymentId <id>." (the EventBridge "ECS Deployment State
    Change" example). A task of the failed deployment still runs: its target drains first
    ("Optimize load balancer connection draining parameters"), then the service is steady again.
    Here the breaker's COUNT threshold is 1 and one of the two new tasks fails its health checks."""
    breaker = {"enable": True, "rollback": True, "thresholdConfiguration": {"type": "COUNT", "value": 1}}
    completed = complete_first_deployment(ecs_world, deploymentConfiguration={"deploymentCircuitBreaker": breaker})
    completed_id = completed["deployments"][0]["id"]
    old_targets = set(ecs_world.target_health())
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    ecs_world.account.advance(START + 5)  # the new tasks run, their targets are `initial`
    new_target = sorted(set(ecs_world.target_health()) - old_targets)[0]
    ecs_world.account.control(
        "/elbv2/target-health",
        {"target_group_arn": ecs_world.target_group_arn, "target_id": new_target, "state": "unhealthy"},
    )
    service = ecs_world.describe()
    assert states(service) == [("PRIMARY", "IN_PROGRESS", "auth:1"), ("ACTIVE", "FAILED", "auth:2")]
    rollback, failed = service["deployments"]
    assert rollback["id"] == completed_id
    assert rollback["rolloutStateReason"] == (
        f"ECS deployment circuit breaker: rolling back to deploymentId {completed_id}."
    )
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert (rollback["runningCount"], failed["runningCount"], failed["failedTasks"]) == (2, 1, 1)
    assert service["taskDefinition"] == ecs_world.task_definition_arns[0]

    assert states(ecs_world.after(DRAIN - 1)) == states(service)
    service = ecs_world.after(1)
    assert states(service) == [("PRIMARY", "COMPLETED", "auth:1")]
    assert set(ecs_world.target_health()) == old_targets


def test_the_rollback_deployment_takes_the_next_script(ecs_world: EcsWorld) -> None:
    """The rollback is a deployment like any (README, control API): it takes the next script, which
    decides what its tasks' targets answer from then on."""
    complete_first_deployment(ecs_world)
    ecs_world.account.queue_rollout(service="auth", outcome="fail", steps=1, count=1)
    ecs_world.account.queue_rollout(service="auth", outcome="complete", target_health="unhealthy", count=1)
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    service = ecs_world.after(20)
    assert states(service) == [("PRIMARY", "COMPLETED", "auth:1")]
    [state] = ecs_world.account.ecs_state()["services"]
    assert state["deployments"][0]["script"]["target_health"] == "unhealthy"
    service = ecs_world.after(3 * 10)  # three failed checks: unhealthy, and replaced (no grace period)
    assert sum(" is unhealthy in (target-group " in message for message in messages(service)) == 2
    assert {health["State"] for health in ecs_world.target_health().values()} == {"draining"}
    assert (service["runningCount"], service["pendingCount"]) == (0, 2)


def test_fail_without_rollback_leaves_the_failed_deployment_primary(ecs_world: EcsWorld) -> None:
    complete_first_deployment(
        ecs_world, deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}}
    )
    ecs_world.account.queue_rollout(outcome="fail", steps=2)
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")

    service = ecs_world.after(40)
    assert states(service) == [("PRIMARY", "FAILED", "auth:2"), ("ACTIVE", "COMPLETED", "auth:1")]
    assert service["deployments"][0]["failedTasks"] >= 3
    assert service["taskDefinition"] == ecs_world.task_definition_arns[1]
    assert not any("rolling back" in m for m in messages(service))

    later = ecs_world.after(3600)
    assert states(later) == states(service)
    assert later["runningCount"] == 2  # the old deployment keeps running


def test_fail_on_the_first_deployment_has_nothing_to_roll_back_to(ecs_world: EcsWorld) -> None:
    ecs_world.account.queue_rollout(outcome="fail", steps=1)
    ecs_world.create_service()
    service = ecs_world.after(20)  # 2 tasks fail at 10 s, 2 more at 20 s
    assert states(service) == [("PRIMARY", "FAILED", "auth:1")]
    assert service["runningCount"] == 0


def test_stuck_rollout_stays_in_progress_with_tasks_pending(ecs_world: EcsWorld) -> None:
    """`stuck`: the tasks never finish starting, so no task fails and the circuit breaker (enabled
    here) has nothing to count; the deployment never reaches a steady state. (Before the breaker was
    modelled, `stuck` churned tasks and counted them as failed: with the breaker on, ECS would fail
    such a deployment.)"""
    ecs_world.account.queue_rollout(outcome="stuck")
    ecs_world.create_service()
    service = ecs_world.after(24 * 3600)
    [deployment] = service["deployments"]
    assert deployment["rolloutState"] == "IN_PROGRESS"
    assert (deployment["runningCount"], deployment["pendingCount"], deployment["failedTasks"]) == (0, 2, 0)
    assert sum(m.startswith("(service auth) has started 2 tasks") for m in messages(service)) == 1


def test_events_are_capped_at_the_100_most_recent(ecs_world: EcsWorld) -> None:
    """Developer Guide, "Amazon ECS service event messages": "we only show the 100 most recent
    events". A failing deployment without the circuit breaker starts tasks every 10 s here."""
    ecs_world.account.queue_rollout(outcome="fail", steps=1)
    ecs_world.create_service(
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False}}
    )
    service = ecs_world.after(1050)
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

    assert ecs_world.after(3600, "other")["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    # auth's create and first forced deployment took the two `fail` entries; the second forced
    # deployment found only the wildcard, which `other` had already used up: default complete.
    auth = ecs_world.describe("auth")
    assert states(auth) == [("PRIMARY", "COMPLETED", "auth:1")]
    assert ecs_world.account.ecs_state()["queue"] == []


def test_cluster_filter_limits_a_script_to_one_cluster(ecs_world: EcsWorld) -> None:
    ecs_world.account.queue_rollout(outcome="fail", steps=1, cluster="elsewhere")
    ecs_world.create_service()
    assert ecs_world.after(FIRST_ROLLOUT)["deployments"][0]["rolloutState"] == "COMPLETED"
    assert len(ecs_world.account.ecs_state()["queue"]) == 1


def test_state_dump_shows_services_deployments_and_queue(ecs_world: EcsWorld) -> None:
    ecs_world.create_service()
    ecs_world.account.queue_rollout(outcome="stuck", service="auth")
    ecs_world.account.advance(START + 5)
    state = ecs_world.account.ecs_state()  # advances the model too
    [service] = state["services"]
    assert (service["service"], service["cluster"], service["region"]) == ("auth", "acme", "us-east-1")
    assert service["now_seconds"] == state["clock"]["now_seconds"]
    assert service["deployments"][0]["script"]["outcome"] == "complete"
    task = service["deployments"][0]["tasks"][0]
    assert task["running_since_seconds"] == task["launched_at_seconds"] + START
    [target] = task["targets"]
    assert (target["state"], target["consecutive_passes"]) == ("initial", 0)
    assert state["queue"][0]["outcome"] == "stuck"


def test_nothing_drains_for_ever(ecs_world: EcsWorld) -> None:
    """ALB guide, "Edit target group attributes": "After the deregistration delay elapses, the
    deregistration process completes". With nobody looking, the replaced targets are gone after
    NEXT_ROLLOUT simulated seconds."""
    complete_first_deployment(ecs_world)
    ecs_world.ecs.update_service(cluster="acme", service="auth", forceNewDeployment=True)
    ecs_world.account.advance(NEXT_ROLLOUT - 1)
    assert len(ecs_world.target_health()) == 4
    ecs_world.account.advance(1)
    assert {health["State"] for health in ecs_world.target_health().values()} == {"healthy"}
    assert len(ecs_world.target_health()) == 2
