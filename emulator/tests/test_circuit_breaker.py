"""The deployment circuit breaker only when enabled, its threshold and reset, unhealthy targets, rollback."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import FIRST_ROLLOUT, START, UNHEALTHY_AFTER, Account, EcsWorld
from fargate_world import make_fargate_world

NO_BREAKER = {"deploymentCircuitBreaker": {"enable": False, "rollback": True}}


def messages(service: dict[str, Any]) -> list[str]:
    return [event["message"] for event in service["events"]]


def states(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(d["status"], d["rolloutState"], d["taskDefinition"].split("/")[-1]) for d in service["deployments"]]


def completed_service(world: EcsWorld, **overrides: Any) -> dict[str, Any]:
    world.create_service(**overrides)
    service = world.after(FIRST_ROLLOUT)
    assert states(service) == [("PRIMARY", "COMPLETED", "auth:1")]
    return service


def stopped_reasons(world: EcsWorld, name: str = "auth") -> list[str]:
    return [
        task["stopped_reason"]
        for service in world.account.ecs_state()["services"]
        if service["service"] == name
        for task in service["stopped_tasks"]
    ]


# --- the threshold --------------------------------------------------------------------------


@pytest.mark.parametrize(("desired", "threshold"), [(1, 3), (6, 3), (7, 4), (25, 13), (400, 200), (401, 200)])
def test_the_threshold_is_half_the_desired_count_between_3_and_200(
    ecs_world: EcsWorld, desired: int, threshold: int
) -> None:
    """ECS API Reference, ServiceDeploymentCircuitBreaker `threshold`: "The deployment circuit breaker
    has a minimum threshold of 3 and a maximum threshold of 200. and uses the values in the following
    formula to determine the deployment failure. 0.5 * desired task count"; the Developer Guide's
    example rounds up (25 tasks: "13 (the value is rounded up)")."""
    ecs_world.create_service(desiredCount=desired)
    [service] = ecs_world.account.ecs_state()["services"]
    assert service["circuit_breaker"]["threshold"] == threshold


def test_a_deployment_fails_when_its_failed_tasks_reach_the_threshold(ecs_world: EcsWorld) -> None:
    """Developer Guide, "How the Amazon ECS deployment circuit breaker detects failures": failed tasks
    are counted and "When the failure count equals the threshold, the deployment is marked as FAILED".
    One task (threshold 3) failing 10 s after each launch: FAILED at the third failure, not before."""
    ecs_world.account.queue_rollout(outcome="fail", steps=1)
    ecs_world.create_service(desiredCount=1)
    first, second, third = (ecs_world.after(10)["deployments"][0] for _ in range(3))
    assert [(d["rolloutState"], d["failedTasks"]) for d in (first, second, third)] == [
        ("IN_PROGRESS", 1),
        ("IN_PROGRESS", 2),
        ("FAILED", 3),
    ]
    assert third["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."


def test_a_count_threshold_configuration_is_used_as_given(ecs_world: EcsWorld) -> None:
    """ECS API Reference, ThresholdConfiguration: "For COUNT, Amazon ECS uses value directly as the
    threshold." """
    ecs_world.account.queue_rollout(outcome="fail", steps=1)
    breaker = {"enable": True, "rollback": False, "thresholdConfiguration": {"type": "COUNT", "value": 5}}
    ecs_world.create_service(desiredCount=1, deploymentConfiguration={"deploymentCircuitBreaker": breaker})
    assert [ecs_world.after(10)["deployments"][0]["rolloutState"] for _ in range(5)] == ["IN_PROGRESS"] * 4 + [
        "FAILED"
    ]


# --- only when enabled ------------------------------------------------------------------------


def test_without_the_breaker_a_failing_deployment_keeps_replacing_tasks(ecs_world: EcsWorld) -> None:
    """ECS API Reference, Deployment `rolloutState`: "If the service fails to reach a steady state and
    circuit breaker is turned on, the deployment transitions to a FAILED state"; without it ECS keeps
    replacing the tasks (Developer Guide, "Service throttle logic": "Amazon ECS doesn't ever stop a
    failing service from retrying") and `failedTasks` ("The number of consecutively failed tasks in the
    deployment") keeps growing. `rollback: true` alone does nothing."""
    completed_service(ecs_world, desiredCount=1, deploymentConfiguration=NO_BREAKER)
    ecs_world.account.queue_rollout(service="auth", outcome="fail", steps=1)
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    service = ecs_world.after(120)
    assert states(service) == [("PRIMARY", "IN_PROGRESS", "auth:2"), ("ACTIVE", "COMPLETED", "auth:1")]
    assert service["deployments"][0]["failedTasks"] == 12
    assert service["runningCount"] == 1  # the old task keeps serving
    assert not any("deployment failed" in m or "rolling back" in m for m in messages(service))
    assert stopped_reasons(ecs_world)[-1] == "Essential container in task exited"


def test_a_healthy_task_resets_the_failure_count(account: Account) -> None:
    """ECS API Reference, DeploymentCircuitBreaker `resetOnHealthyTask`: "When set to true, a task that
    reaches a healthy state resets the failure count to 0 ... The default is true"; Deployment
    `failedTasks`: "Once a service deployment has one or more successfully running tasks, the failed
    task count resets to zero". Here one of the two subnets has no way out: its tasks keep failing
    while the other subnet's task runs, so the breaker never trips."""
    world = make_fargate_world(account, egress="nat")
    ec2 = world.client("ec2")
    closed = ec2.create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
    [association] = [
        a
        for a in ec2.describe_route_tables(RouteTableIds=[world.route_table_id])["RouteTables"][0]["Associations"]
        if a.get("SubnetId") == world.subnet_ids[1]
    ]
    ec2.replace_route_table_association(AssociationId=association["RouteTableAssociationId"], RouteTableId=closed)
    world.create_service(desiredCount=2)
    service = world.after(8 * START)
    [deployment] = service["deployments"]
    assert (deployment["rolloutState"], deployment["runningCount"]) == ("IN_PROGRESS", 1)
    assert deployment["failedTasks"] < 3
    assert len(world.stopped_reasons()) >= 6

    world.ecs.delete_service(cluster="acme", service="auth", force=True)
    breaker = {"enable": True, "rollback": True, "resetOnHealthyTask": False}
    world.create_service(name="auth-2", desiredCount=2, deploymentConfiguration={"deploymentCircuitBreaker": breaker})
    service = world.after(3 * START, "auth-2")
    assert service["deployments"][0]["rolloutState"] == "FAILED"


# --- unhealthy targets ------------------------------------------------------------------------


def test_unhealthy_targets_are_replaced_and_count_toward_the_breaker(ecs_world: EcsWorld) -> None:
    """Developer Guide, "How the Amazon ECS deployment circuit breaker detects failures": once tasks run
    the breaker checks "Elastic Load Balancing" health checks and the tasks replaced "because of health
    check failures" count toward the threshold; "Checking stopped tasks for errors": ECS stops and
    replaces a task that has "failed too many health checks from Elastic Load Balancing" (stoppedReason
    "Task failed ELB health checks in (target-group <arn>)"). The deployment never completes. ALB
    guide, "Health checks for Application Load Balancer target groups": a target is unhealthy after
    UnhealthyThresholdCount consecutive failed checks (3, 10 s apart here)."""
    completed = completed_service(ecs_world, desiredCount=1)
    ecs_world.account.queue_rollout(service="auth", outcome="complete", target_health="unhealthy")
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    ecs_world.account.advance(START)  # the new task runs, its target is registering
    assert ecs_world.after(UNHEALTHY_AFTER - 1)["deployments"][0]["failedTasks"] == 0
    service = ecs_world.after(1)  # the third failed check: unhealthy; no grace period: replaced
    new = service["deployments"][0]
    assert (new["rolloutState"], new["failedTasks"], new["runningCount"]) == ("IN_PROGRESS", 1, 0)
    arn = ecs_world.target_group_arn
    texts = messages(service)
    assert re.match(r"^\(service auth\) has started 1 tasks: \(task [0-9a-f]{32}\)\.$", texts[0])
    assert texts[1] == f"(service auth) deregistered 1 targets in (target-group {arn})"
    assert re.match(r"^\(service auth\) has stopped 1 running tasks: \(task [0-9a-f]{32}\)\.$", texts[2])
    assert re.match(
        rf"^\(service auth\) \(task [0-9a-f]{{32}}\) \(port 8080\) is unhealthy in \(target-group {re.escape(arn)}\) "
        r"due to \(reason Health checks failed\)\.$",
        texts[3],
    )
    assert texts[4] == f"(service auth) registered 1 targets in (target-group {arn})"
    assert stopped_reasons(ecs_world) == [f"Task failed ELB health checks in (target-group {arn})"]

    failing = ecs_world.after(2 * (START + UNHEALTHY_AFTER) - 1)
    assert [(d["rolloutState"], d["failedTasks"]) for d in failing["deployments"]] == [
        ("IN_PROGRESS", 2),
        ("COMPLETED", 0),
    ]
    service = ecs_world.after(1)  # the third replacement: the threshold for 1 task; back to auth:1
    assert states(service) == [("PRIMARY", "COMPLETED", "auth:1")]
    assert service["deployments"][0]["id"] == completed["deployments"][0]["id"]
    assert f"(service auth) rolling back to deployment {completed['deployments'][0]['id']}." in messages(service)
    assert stopped_reasons(ecs_world) == [f"Task failed ELB health checks in (target-group {arn})"] * 3


def test_the_grace_period_delays_the_replacement(ecs_world: EcsWorld) -> None:
    """ECS API Reference, CreateService `healthCheckGracePeriodSeconds`: "The period of time, in
    seconds, that the Amazon ECS service scheduler ignores unhealthy Elastic Load Balancing ... health
    checks after a task has first started" (DescribeTasks `startedAt`: "the time when the task
    transitioned from the PENDING state to the RUNNING state"). The target is unhealthy 30 s after
    the task started (three failed checks); a grace period of 45 s keeps the task 15 s longer. The
    deployment does not complete meanwhile (its target is not healthy)."""
    ecs_world.account.queue_rollout(outcome="complete", target_health="unhealthy")
    ecs_world.create_service(desiredCount=1, healthCheckGracePeriodSeconds=45)
    ecs_world.account.advance(START + UNHEALTHY_AFTER)
    assert {health["State"] for health in ecs_world.target_health().values()} == {"unhealthy"}
    seen = [ecs_world.describe()["deployments"][0], ecs_world.after(14)["deployments"][0]]
    seen.append(ecs_world.after(1)["deployments"][0])
    assert [(d["runningCount"], d["failedTasks"]) for d in seen] == [(1, 0), (1, 0), (0, 1)]
    assert all(d["rolloutState"] == "IN_PROGRESS" for d in seen)


def test_without_the_breaker_unhealthy_tasks_are_replaced_for_ever(ecs_world: EcsWorld) -> None:
    """The same replacement without the circuit breaker: the deployment stays IN_PROGRESS and the old
    deployment keeps serving (ECS API Reference, Deployment `rolloutState`)."""
    completed_service(ecs_world, desiredCount=1, deploymentConfiguration=NO_BREAKER)
    ecs_world.account.queue_rollout(service="auth", outcome="complete", target_health="unhealthy")
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    service = ecs_world.after(8 * (START + UNHEALTHY_AFTER))
    assert states(service) == [("PRIMARY", "IN_PROGRESS", "auth:2"), ("ACTIVE", "COMPLETED", "auth:1")]
    assert service["deployments"][0]["failedTasks"] == 8
    assert service["deployments"][1]["runningCount"] == 1


def test_targets_that_never_leave_initial_keep_the_deployment_in_progress(ecs_world: EcsWorld) -> None:
    """ECS API Reference, Deployment `rolloutState`: "When the service reaches a steady state, the
    deployment transitions to a COMPLETED state"; TaskSet `stabilityStatus`: steady needs "All tasks
    are reporting a healthy status from the load balancers". A target still `initial` is neither
    healthy nor unhealthy: no replacement, no completion."""
    ecs_world.account.queue_rollout(outcome="complete", target_health="initial")
    ecs_world.create_service(desiredCount=1)
    service = ecs_world.after(24 * 3600)
    [deployment] = service["deployments"]
    assert (deployment["rolloutState"], deployment["runningCount"], deployment["failedTasks"]) == (
        "IN_PROGRESS",
        1,
        0,
    )


# --- the rollback ---------------------------------------------------------------------------


def test_a_failed_deployment_without_a_completed_one_stalls(ecs_world: EcsWorld) -> None:
    """Developer Guide, "How the Amazon ECS deployment circuit breaker detects failures": "When the
    deployment circuit breaker does not find a deployment that is in a COMPLETED state, the circuit
    breaker does not launch new tasks and the deployment is stalled."; "A deployment in a FAILED state
    doesn't launch any new tasks."."""
    ecs_world.account.queue_rollout(outcome="fail", steps=1)
    ecs_world.create_service(desiredCount=1)
    failed = ecs_world.after(30)
    started = sum(m.startswith("(service auth) has started") for m in messages(failed))
    later = ecs_world.after(3600)
    assert states(later) == [("PRIMARY", "FAILED", "auth:1")]
    assert sum(m.startswith("(service auth) has started") for m in messages(later)) == started == 3
    assert later["deployments"][0]["failedTasks"] == 3


def test_a_rollback_for_a_deployment_whose_tasks_cannot_start(account: Account) -> None:
    """End to end with a real start failure: the new task definition's image is not in ECR, the tasks
    stop with CannotPullContainerError, the breaker fails the deployment and ECS goes back to the
    COMPLETED one (Developer Guide, "How the Amazon ECS deployment circuit breaker detects
    failures")."""
    world = make_fargate_world(account)
    world.create_service()
    first = world.after(FIRST_ROLLOUT)["deployments"][0]
    assert first["rolloutState"] == "COMPLETED"
    broken = world.register(container={"image": world.image_uri.split("@")[0] + ":missing"})
    world.ecs.update_service(cluster="acme", service="auth", taskDefinition=broken)
    failing = world.after(2 * START)
    assert [(d["rolloutState"], d["failedTasks"]) for d in failing["deployments"]] == [
        ("IN_PROGRESS", 2),
        ("COMPLETED", 0),
    ]
    service = world.after(START)  # the third task fails to start: FAILED, back to the first one
    assert [(d["id"], d["status"], d["rolloutState"]) for d in service["deployments"]] == [
        (first["id"], "PRIMARY", "COMPLETED")
    ]
    assert service["taskDefinition"] == first["taskDefinition"]
    expected = (
        "(service auth) was unable to place a task. Reason: CannotPullContainerError: The task can’t pull the image. "
        "Check whether the image exists."
    )
    assert any(m.startswith(expected) for m in messages(service))
    assert "(service auth) rolling back to deployment " + first["id"] + "." in messages(service)


def test_a_scripted_fail_fails_and_rolls_back_as_ecs_does(ecs_world: EcsWorld) -> None:
    """The control API's `fail` as ecsdeploy's end-to-end tests script it (one task, `steps: 2`, the
    breaker with rollback): each task's essential container exits before RUNNING 20 s after its
    launch ("Essential container in task exited"), ECS reports that it "is unable to consistently
    start tasks successfully" (Developer Guide, "Service throttle logic"), the third failure trips the
    breaker (threshold 3) 60 s after the update and ECS goes back to the COMPLETED deployment, whose
    task never stopped: steady again at once."""
    completed = completed_service(ecs_world, desiredCount=1)
    ecs_world.account.queue_rollout(service="auth", outcome="fail", steps=2)
    ecs_world.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    progress = [ecs_world.after(20) for _ in range(3)]
    assert [states(s)[0] for s in progress] == [("PRIMARY", "IN_PROGRESS", "auth:2")] * 2 + [
        ("PRIMARY", "COMPLETED", "auth:1")
    ]
    assert [s["deployments"][0]["failedTasks"] for s in progress[:2]] == [1, 2]
    rolled_back = progress[-1]
    assert rolled_back["deployments"][0]["id"] == completed["deployments"][0]["id"]
    assert "(service auth) is unable to consistently start tasks successfully." in messages(rolled_back)
    assert set(stopped_reasons(ecs_world)) == {"Essential container in task exited"}
    assert (rolled_back["runningCount"], rolled_back["pendingCount"]) == (1, 0)
