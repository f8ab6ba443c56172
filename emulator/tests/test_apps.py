"""Scripted apps: the control API, and target health taken from the app's answer to the health check."""

from __future__ import annotations

from typing import Any

import pytest

from alb_world import AlbWorld, make_alb_world, url_rewrite
from conftest import FIRST_ROLLOUT, HEALTHY_AFTER, INTERVAL, START, UNHEALTHY_AFTER, Account, EcsWorld

# These tests look at target health itself: a long grace period keeps ECS from replacing the tasks
# whose targets turn unhealthy (ECS API Reference, CreateService healthCheckGracePeriodSeconds: "The
# period of time, in seconds, that the Amazon ECS service scheduler ignores unhealthy Elastic Load
# Balancing ... health checks after a task has first started").
IGNORE_HEALTH = 600


@pytest.fixture
def alb(ecs_world: EcsWorld) -> AlbWorld:
    return make_alb_world(ecs_world)


def health(world: EcsWorld) -> list[dict[str, Any]]:
    return list(world.target_health().values())


def test_apps_are_set_replaced_and_listed(account: Account) -> None:
    """Control API: one app per (service, image); setting the same pair again replaces it."""
    first = account.control("/apps", {"service": "stage-auth", "routes": {"/health": 200}})
    assert first["app"] == {
        "service": "stage-auth",
        "image": None,
        "routes": {"/health": 200},
        "default_status": 404,
    }
    by_image = {"service": "stage-auth", "image": "auth@sha256:abc", "routes": {"/ready": 503}, "default_status": 500}
    account.control("/apps", by_image)
    account.control("/apps", {"service": "stage-auth", "routes": {"/health": 204}})
    status, listed = account.emulator.request("GET", f"/_ecsdeploy/accounts/{account.account_id}/apps")
    assert status == 200
    assert listed == {
        "account_id": account.account_id,
        "apps": [
            by_image,
            {"service": "stage-auth", "image": None, "routes": {"/health": 204}, "default_status": 404},
        ],
    }


def test_apps_are_per_account(account: Account, other_account: Account) -> None:
    account.control("/apps", {"service": "auth"})
    status, listed = other_account.emulator.request("GET", f"/_ecsdeploy/accounts/{other_account.account_id}/apps")
    assert (status, listed["apps"]) == (200, [])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "service (the ECS service name) is required"),
        ({"service": "auth", "image": ""}, "image must be a non-empty string"),
        ({"service": "auth", "routes": []}, "routes must be an object"),
        ({"service": "auth", "routes": {"health": 200}}, "must start with /"),
        ({"service": "auth", "routes": {"/health?x=1": 200}}, "without a query string"),
        ({"service": "auth", "routes": {"/health": "200"}}, "status must be an integer 100-599"),
        ({"service": "auth", "routes": {"/health": True}}, "status must be an integer 100-599"),
        ({"service": "auth", "default_status": 600}, "default_status must be an integer 100-599"),
        ({"service": "auth", "colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_bad_apps_are_refused(account: Account, body: Any, expected: str) -> None:
    status, answer = account.emulator.request("POST", f"/_ecsdeploy/accounts/{account.account_id}/apps", body)
    assert status == 400
    assert expected in answer["error"]


def test_target_health_follows_the_apps_answer_to_the_health_check(alb: AlbWorld) -> None:
    """ALB guide, "Health checks for Application Load Balancer target groups": the load balancer sends a
    health check request to each registered target at HealthCheckPath; ELBv2 API Reference,
    "TargetHealth": Target.ResponseCodeMismatch "The health checks did not return an expected HTTP
    code". ECS reports the unhealthy target as a service event. Unhealthy after UnhealthyThresholdCount
    (3) failed checks."""
    alb.set_app(service="auth", routes={"/health": 503})
    alb.ecs.create_service(desiredCount=1, healthCheckGracePeriodSeconds=IGNORE_HEALTH)
    alb.ecs.account.advance(START + UNHEALTHY_AFTER - 1)
    assert [h["State"] for h in health(alb.ecs)] == ["initial"]
    alb.ecs.account.advance(1)
    assert health(alb.ecs) == [
        {
            "State": "unhealthy",
            "Reason": "Target.ResponseCodeMismatch",
            "Description": "Health checks failed with these codes: [503]",
        }
    ]
    messages = [event["message"] for event in alb.ecs.describe()["events"]]
    assert any("due to (reason Health checks failed with these codes: [503])" in m for m in messages)


@pytest.mark.parametrize(
    ("matcher", "status", "state"),
    [
        ("200", 200, "healthy"),
        ("200", 204, "unhealthy"),
        ("200-299", 204, "healthy"),
        ("200-299", 302, "unhealthy"),
        ("200,302", 302, "healthy"),
        ("200,302", 301, "unhealthy"),
    ],
)
def test_the_matcher_decides_what_is_healthy(alb: AlbWorld, matcher: str, status: int, state: str) -> None:
    """ELBv2 API Reference, "Matcher": "For Application Load Balancers, you can specify values between
    200 and 499 ... You can specify multiple values (for example, "200,202") or a range of values (for
    example, "200-299")." """
    alb.elbv2.modify_target_group(TargetGroupArn=alb.ecs.target_group_arn, Matcher={"HttpCode": matcher})
    alb.set_app(service="auth", routes={"/health": status})
    alb.ecs.create_service(desiredCount=1, healthCheckGracePeriodSeconds=IGNORE_HEALTH)
    alb.ecs.account.advance(START + UNHEALTHY_AFTER)
    assert [h["State"] for h in health(alb.ecs)] == [state]


def test_the_health_check_path_is_the_target_groups(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "ModifyTargetGroup"/"CreateTargetGroup": HealthCheckPath "[HTTP/HTTPS
    health checks] The destination for health checks on the targets." """
    alb.set_app(service="auth", routes={"/health": 200, "/ping": 500})
    alb.ecs.create_service(desiredCount=1, healthCheckGracePeriodSeconds=IGNORE_HEALTH)
    alb.ecs.account.advance(FIRST_ROLLOUT)
    assert [h["State"] for h in health(alb.ecs)] == ["healthy"]
    alb.elbv2.modify_target_group(TargetGroupArn=alb.ecs.target_group_arn, HealthCheckPath="/ping")
    alb.ecs.account.advance(UNHEALTHY_AFTER - 1)  # two failed checks so far
    assert [h["State"] for h in health(alb.ecs)] == ["healthy"]
    alb.ecs.account.advance(1)
    assert [h["State"] for h in health(alb.ecs)] == ["unhealthy"]


def test_a_changed_app_is_seen_by_the_next_health_checks(alb: AlbWorld) -> None:
    """ALB guide, "Health checks for Application Load Balancer target groups": the load balancer
    "periodically sends requests to its registered targets to test their status"; "If the health
    checks exceed UnhealthyThresholdCount consecutive failures, the load balancer takes the target out
    of service. When the health checks exceed HealthyThresholdCount consecutive successes, the load
    balancer puts the target back in service." The ALB routes to healthy targets only (or fails open)."""
    alb.forward_rule(transforms=[url_rewrite()])
    alb.running_service(healthCheckGracePeriodSeconds=IGNORE_HEALTH)
    assert {h["State"] for h in health(alb.ecs)} == {"healthy"}  # scripted: no app yet

    alb.set_app(service="auth", routes={"/health": 500})
    assert {h["State"] for h in health(alb.ecs)} == {"healthy"}  # no check has seen it yet
    alb.ecs.account.advance(UNHEALTHY_AFTER)
    assert {h["Reason"] for h in health(alb.ecs)} == {"Target.ResponseCodeMismatch"}
    alb.set_app(service="auth", routes={"/health": 200})
    alb.ecs.account.advance(HEALTHY_AFTER - INTERVAL)
    assert {h["State"] for h in health(alb.ecs)} == {"unhealthy"}
    alb.ecs.account.advance(INTERVAL)
    assert {h["State"] for h in health(alb.ecs)} == {"healthy"}
    assert alb.request("/stage/auth/health").status == 200


def test_the_control_apis_target_health_wins_over_the_app(alb: AlbWorld) -> None:
    """The control API's explicit health stays until a drain or a deregistration (README), whatever
    the app answers."""
    alb.set_app(service="auth", routes={"/health": 200})
    alb.ecs.create_service(desiredCount=1, healthCheckGracePeriodSeconds=IGNORE_HEALTH)
    alb.ecs.account.advance(FIRST_ROLLOUT)
    alb.ecs.account.control(
        "/elbv2/target-health",
        {"target_group_arn": alb.ecs.target_group_arn, "state": "unhealthy", "reason": "Target.Timeout"},
    )
    alb.ecs.account.advance(120)
    alb.set_app(service="auth", routes={"/health": 200, "/x": 200})
    alb.ecs.account.advance(120)
    assert [h["Reason"] for h in health(alb.ecs)] == ["Target.Timeout"]


def test_without_an_app_the_scripted_health_stays(alb: AlbWorld) -> None:
    """The rollout script's `target_health` decides when no app is scripted for the service (an app of
    another service changes nothing)."""
    alb.ecs.account.queue_rollout(outcome="complete", target_health="unhealthy", unhealthy_reason="Target.Timeout")
    alb.set_app(service="billing", routes={"/health": 200})
    alb.ecs.create_service(desiredCount=1, healthCheckGracePeriodSeconds=IGNORE_HEALTH)
    alb.ecs.account.advance(START + UNHEALTHY_AFTER)
    assert [h["Reason"] for h in health(alb.ecs)] == ["Target.Timeout"]


def test_an_image_specific_app_decides_the_health_of_its_tasks_only(alb: AlbWorld) -> None:
    """Not an AWS rule: the app (and so the health check answer) is chosen per task by the image of its
    task definition; the ECS deployment's new tasks fail their health check while the old ones pass."""
    alb.set_app(service="auth", routes={"/health": 200})
    alb.set_app(service="auth", image="auth:2", routes={"/health": 503})
    alb.ecs.create_service(desiredCount=1, healthCheckGracePeriodSeconds=IGNORE_HEALTH)
    alb.ecs.account.advance(FIRST_ROLLOUT)
    [old] = alb.ecs.target_health()
    alb.ecs.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    alb.ecs.account.advance(START + UNHEALTHY_AFTER)
    states = {target: h["State"] for target, h in alb.ecs.target_health().items()}
    assert states[old] == "healthy"  # the new deployment never completes: the old task stays
    assert {state for target, state in states.items() if target != old} == {"unhealthy"}
