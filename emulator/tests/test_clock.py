"""Simulated time: rollouts progress on each account's clock, not per DescribeServices call."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

import pytest

from conftest import FIRST_ROLLOUT, Account, Emulator, EcsWorld, make_ecs_world, new_account


def clock_path(account: Account) -> str:
    return f"/_ecsdeploy/accounts/{account.account_id}/clock"


# --- the clock and its control API ---------------------------------------------------------------


def test_a_frozen_clock_moves_only_when_advanced(account: Account) -> None:
    first = account.clock()
    assert (first["factor"], first["account_factor"], first["default_factor"]) == (0.0, 0.0, 100.0)
    time.sleep(0.05)
    assert account.now() == first["now_seconds"]
    stepped = account.advance(12.5)
    assert stepped["now_seconds"] == first["now_seconds"] + 12.5
    origin = datetime.fromisoformat(stepped["origin"])
    assert (datetime.fromisoformat(stepped["now"]) - origin).total_seconds() == stepped["now_seconds"]


def test_the_clock_runs_at_its_factor(account: Account) -> None:
    account.clock(factor=600)
    before_first = time.monotonic()
    first = account.now()
    after_first = time.monotonic()
    time.sleep(0.2)
    before_second = time.monotonic()
    second = account.now()
    after_second = time.monotonic()
    elapsed = second - first
    assert (before_second - after_first) * 600 - 0.002 <= elapsed <= (after_second - before_first) * 600 + 0.002

    back = account.clock(factor=None)  # the server's default again
    assert (back["factor"], back["account_factor"]) == (100.0, None)
    account.clock(factor=0)
    frozen = account.now()
    assert frozen >= second
    time.sleep(0.02)
    assert account.now() == frozen


def test_a_new_accounts_clock_runs_at_the_servers_factor(emulator: Emulator) -> None:
    running = new_account(emulator, frozen=False)
    answer = running.clock()
    assert (answer["factor"], answer["account_factor"]) == (100.0, None)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "give factor"),
        ({"factor": -1}, "factor must be a number from 0 to 1e+06"),
        ({"factor": "fast"}, "factor must be a number"),
        ({"factor": True}, "factor must be a number"),
        ({"factor": 2_000_000}, "factor must be a number"),
        ({"advance_seconds": -5}, "advance_seconds must be a number from 0"),
        ({"advance_seconds": "5"}, "advance_seconds must be a number"),
        ({"advance_seconds": 10**9}, "advance_seconds must be a number"),
        ({"rewind": 5}, "unknown field 'rewind'"),
    ],
)
def test_bad_clock_requests_are_refused(account: Account, body: Any, expected: str) -> None:
    before = account.now()
    status, answer = account.emulator.request("POST", clock_path(account), body)
    assert status == 400
    assert expected in answer["error"]
    assert account.now() == before


# --- time, not polls -----------------------------------------------------------------------------


def test_a_rollout_progresses_with_nobody_looking(emulator: Emulator) -> None:
    """Developer Guide, "Deploy Amazon ECS services by replacing tasks": the service scheduler replaces
    the tasks on its own; DescribeServices only reports where it is. A clock running at 2,000x, one
    DescribeServices after 0.2 real seconds (400 simulated): the deployment completed 50 simulated
    seconds after it started (30 s task start, two health checks 10 s apart), not at a poll."""
    account = new_account(emulator)
    world = make_ecs_world(account)
    world.create_service()
    account.clock(factor=2000)
    time.sleep(0.2)
    account.clock(factor=0)
    service = world.describe()
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    times = {event["message"].split(")", 1)[1].split(":")[0]: event["createdAt"] for event in service["events"]}
    started, completed = times[" has started 2 tasks"], times[" has reached a steady state."]
    assert (completed - started).total_seconds() == FIRST_ROLLOUT


def normalized(account: Account, world: EcsWorld) -> dict[str, Any]:
    """What a client sees of the service, its targets and events, without the random ids and ARNs,
    event times as simulated seconds since the account's clock started."""
    origin = datetime.fromisoformat(account.clock()["origin"])

    def plain(text: str) -> str:
        text = re.sub(r"[0-9a-f]{32}", "TASK", text)
        text = re.sub(r"ecs-svc/\d{19}", "DEPLOYMENT", text)
        return re.sub(r"arn:aws:elasticloadbalancing:[^) ]*", "TARGET-GROUP", text)

    service = world.describe()
    return {
        "deployments": [
            (
                d["status"],
                d["rolloutState"],
                plain(d["rolloutStateReason"]),
                d["taskDefinition"].split("/")[-1],
                d["desiredCount"],
                d["runningCount"],
                d["pendingCount"],
                d["failedTasks"],
                round((d["updatedAt"] - origin).total_seconds(), 3),
            )
            for d in service["deployments"]
        ],
        "counts": (service["taskDefinition"].split("/")[-1], service["runningCount"], service["pendingCount"]),
        "events": [
            (round((event["createdAt"] - origin).total_seconds(), 3), plain(event["message"]))
            for event in service["events"]
        ],
        "targets": sorted((h["State"], h.get("Reason", "")) for h in world.target_health().values()),
    }


def test_two_clients_polling_at_different_rates_see_the_same_rollout(emulator: Emulator) -> None:
    """Developer Guide, "Deploy Amazon ECS services by replacing tasks" (rolling update) and "How the
    Amazon ECS deployment circuit breaker detects failures": ECS starts tasks, waits for their load
    balancer health checks, counts failed tasks and rolls back on its own time; DescribeServices only
    reports it. Two accounts run the same script (a first deployment that completes, then one whose
    tasks fail until the breaker rolls back): one is polled every few milliseconds (DescribeServices,
    DescribeTargetHealth, the state dump) while its clock runs at 300x, the other is not looked at
    until its frozen clock is stepped to the same simulated time. Both show the same deployments,
    counts, targets and events, at the same simulated times."""
    busy, idle = new_account(emulator), new_account(emulator)
    worlds = {busy.account_id: make_ecs_world(busy), idle.account_id: make_ecs_world(idle)}
    start = max(busy.now(), idle.now())
    for account in (busy, idle):
        account.advance(start - account.now())
        worlds[account.account_id].create_service()

    def run_polled_until(simulated: float) -> int:
        """Runs `busy`'s clock, looking every few milliseconds, until `simulated`; then freezes it."""
        world, polls = worlds[busy.account_id], 0
        busy.clock(factor=300)
        while busy.now() < simulated:
            world.describe()
            world.target_health()
            busy.ecs_state()
            polls += 1
            time.sleep(0.003)
        busy.clock(factor=0)
        idle.advance(busy.now() - idle.now())
        return polls

    polls = run_polled_until(start + 100)
    assert polls > 10
    for account in (busy, idle):
        account.queue_rollout(service="auth", outcome="fail", steps=2)
        worlds[account.account_id].ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    polls = run_polled_until(busy.now() + 150)
    assert polls > 10

    assert busy.now() == idle.now()
    seen_busy, seen_idle = normalized(busy, worlds[busy.account_id]), normalized(idle, worlds[idle.account_id])
    assert seen_busy == seen_idle
    assert [d[:2] for d in seen_busy["deployments"]] == [("PRIMARY", "COMPLETED")]
    assert seen_busy["counts"] == ("auth:1", 2, 0)
    messages = [message for _, message in seen_busy["events"]]
    assert "(service auth) rolling back to deployment DEPLOYMENT." in messages
    assert "(service auth) (deployment DEPLOYMENT) deployment failed: tasks failed to start." in messages
