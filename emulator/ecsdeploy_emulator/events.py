"""Service event messages, worded as the ECS service scheduler words them.

AWS: "Amazon ECS service event messages" (Developer Guide, service-event-messages.html).
DescribeServices returns scheduler events newest first; the console and API keep the 100 most
recent. Each event is `{id, createdAt, message}` with a UUID id. The wording below is ECS's
own, as it appears in DescribeServices output, e.g.
`(service stage-auth) (deployment ecs-svc/1234567890123456789) deployment completed.`
`createdAt` is the simulated time the event happened (the account's clock, see `clock`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_EVENTS = 100


@dataclass
class ServiceEventLog:
    """A service's events, newest first, at most `MAX_EVENTS`."""

    events: list[dict[str, Any]] = field(default_factory=list)

    def add(self, message: str, at: datetime | None = None) -> None:
        """Adds an event at `at`, the simulated time it happened (see `clock`)."""
        event = {"id": str(uuid.uuid4()), "createdAt": at or datetime.now(UTC), "message": message}
        self.events.insert(0, event)
        del self.events[MAX_EVENTS:]


def _task_list(task_ids: Sequence[str]) -> str:
    return " ".join(f"(task {task_id})" for task_id in task_ids)


def started_tasks(service: str, task_ids: Sequence[str]) -> str:
    return f"(service {service}) has started {len(task_ids)} tasks: {_task_list(task_ids)}."


def stopped_tasks(service: str, task_ids: Sequence[str]) -> str:
    return f"(service {service}) has stopped {len(task_ids)} running tasks: {_task_list(task_ids)}."


def registered_targets(service: str, count: int, target_group_arn: str) -> str:
    return f"(service {service}) registered {count} targets in (target-group {target_group_arn})"


def deregistered_targets(service: str, count: int, target_group_arn: str) -> str:
    return f"(service {service}) deregistered {count} targets in (target-group {target_group_arn})"


def target_unhealthy(service: str, task_id: str, port: int, target_group_arn: str, reason: str) -> str:
    return (
        f"(service {service}) (task {task_id}) (port {port}) is unhealthy in "
        f"(target-group {target_group_arn}) due to (reason {reason})."
    )


def steady_state(service: str) -> str:
    return f"(service {service}) has reached a steady state."


def deployment_completed(service: str, deployment_id: str) -> str:
    return f"(service {service}) (deployment {deployment_id}) deployment completed."


def deployment_failed(service: str, deployment_id: str) -> str:
    return f"(service {service}) (deployment {deployment_id}) deployment failed: tasks failed to start."


def rolling_back(service: str, deployment_id: str) -> str:
    return f"(service {service}) rolling back to deployment {deployment_id}."


def unable_to_place_task(service: str, reason: str) -> str:
    """A task that stopped before RUNNING (e.g. ResourceInitializationError, CannotPullContainerError)."""
    return f"(service {service}) was unable to place a task. Reason: {reason}."


def failed_to_launch_task(service: str, error: str) -> str:
    """ECS could not launch the task at all (e.g. it could not assume the task execution role)."""
    return f"(service {service}) failed to launch a task with (error {error})."


def unable_to_consistently_start(service: str) -> str:
    """Developer Guide, "Service throttle logic": tasks repeatedly fail to enter the RUNNING state."""
    return f"(service {service}) is unable to consistently start tasks successfully."
