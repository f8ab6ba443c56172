"""The ECS `Deployment` value and the simulated tasks that run it.

AWS: ECS API Reference, "Deployment" data type. A service has one PRIMARY deployment (the newest)
and zero or more ACTIVE ones (older, still running tasks, drained once the PRIMARY completes);
INACTIVE ones are no longer returned. `rolloutState` is IN_PROGRESS, COMPLETED or FAILED, with a
`rolloutStateReason`. Deployment ids look like `ecs-svc/` + 19 digits.
"""

from __future__ import annotations

import ipaddress
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .scripts import ScriptedRollout

PRIMARY, ACTIVE = "PRIMARY", "ACTIVE"
IN_PROGRESS, COMPLETED, FAILED = "IN_PROGRESS", "COMPLETED", "FAILED"
PENDING, RUNNING = "PENDING", "RUNNING"

# "ECS deployment circuit breaker: tasks failed to start." is the rolloutStateReason AWS sets when
# the circuit breaker fails a deployment (Developer Guide, "deployment circuit breaker").
CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."
# The rolloutStateReason of the COMPLETED deployment the breaker goes back to, once IN_PROGRESS again
# (EventBridge "ECS Deployment State Change" example and real DescribeServices output).
ROLLBACK_REASON = "ECS deployment circuit breaker: rolling back to deploymentId {deployment_id}."
MAX_STOPPED_TASKS = 50
# The Fargate platform version that LATEST resolves to for Linux tasks.
FARGATE_LATEST_PLATFORM_VERSION = "1.4.0"


def new_deployment_id() -> str:
    return f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"


def new_task_id() -> str:
    """ECS task ids (the last part of a task ARN) are 32 lowercase hex digits."""
    return uuid.uuid4().hex


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TargetRegistration:
    """One simulated task registered in one target group on the container port, and its health checks.

    Times are simulated milliseconds of the account's clock (see `clock`). The load balancer checks
    the target every HealthCheckIntervalSeconds from `registered_ms`; `last_check_ms` is the time of
    the last check taken into account, `passes`/`fails` the consecutive results so far. `model_health`
    is the health the model last gave the target: any other health there was set by the control
    API, and the model leaves it alone."""

    target_group_arn: str
    port: int
    registered_ms: int = 0
    last_check_ms: int = 0
    passes: int = 0
    fails: int = 0
    model_health: Any = None


@dataclass
class SimulatedTask:
    """A task of a deployment: an id, a private IP in one subnet, its start, where it is registered.

    Times are simulated milliseconds (see `clock`): the task was launched at `launched_ms`, its start
    ends at `ready_ms` (None: never, a `stuck` script) by running or by stopping with
    `start_failure` (or the scripted failure), and it has been RUNNING since `running_since_ms`. A
    task being replaced drains: its targets are draining and it stops at `stop_at_ms`."""

    task_id: str
    private_ip: str
    status: str = PENDING
    subnet_id: str | None = None
    launched_ms: int = 0
    ready_ms: int | None = None
    running_since_ms: int | None = None
    start_failure: Any = None  # task_start.StartFailure: why it will not start
    scripted_failure: bool = False  # the `fail` script: its essential container exits before RUNNING
    registrations: list[TargetRegistration] = field(default_factory=list)
    stop_at_ms: int | None = None
    stop_reason: str | None = None


@dataclass
class Deployment:
    """One ECS deployment and the script that decides how it progresses.

    `tasks` are the tasks it currently has (failed tasks are dropped and only counted in
    `failed_tasks`). `created_at`/`updated_at` are simulated datetimes (see `clock`).
    """

    task_definition: str
    desired_count: int
    script: ScriptedRollout
    launch_type: str | None
    capacity_provider_strategy: list[dict[str, Any]] | None
    platform_version: str | None
    network_configuration: dict[str, Any] | None
    id: str = field(default_factory=new_deployment_id)
    status: str = PRIMARY
    rollout_state: str = IN_PROGRESS
    rollout_state_reason: str = ""
    failed_tasks: int = 0
    tasks: list[SimulatedTask] = field(default_factory=list)
    # Tasks that stopped (newest last, at most MAX_STOPPED_TASKS): id, stoppedReason, stopCode.
    stopped_tasks: list[dict[str, Any]] = field(default_factory=list)
    # Causes of start failures already reported as service events since the last healthy task
    # (ECS omits duplicate event messages "until either the cause is resolved or six hours passes").
    reported_causes: set[str] = field(default_factory=set)
    start_failures_in_a_row: int = 0
    launches: int = 0
    # A launch ECS could not make (no task: the execution role) is tried again at this time.
    launch_retry_ms: int | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    def __post_init__(self) -> None:
        if not self.rollout_state_reason:
            self.rollout_state_reason = f"ECS deployment {self.id} in progress."

    @property
    def running_count(self) -> int:
        return sum(1 for task in self.tasks if task.status == RUNNING)

    @property
    def pending_count(self) -> int:
        return sum(1 for task in self.tasks if task.status == PENDING)

    @property
    def is_fargate(self) -> bool:
        if self.launch_type:
            return self.launch_type == "FARGATE"
        providers = [item.get("capacityProvider") for item in self.capacity_provider_strategy or []]
        return any(provider in ("FARGATE", "FARGATE_SPOT") for provider in providers)

    def record_stop(self, task: SimulatedTask, reason: str, stop_code: str) -> None:
        """Remembers a stopped task with its stoppedReason (for the control API's state dump)."""
        self.stopped_tasks.append(
            {
                "task_id": task.task_id,
                "private_ip": task.private_ip,
                "subnet_id": task.subnet_id,
                "stopped_reason": reason,
                "stop_code": stop_code,
            }
        )
        del self.stopped_tasks[:-MAX_STOPPED_TASKS]

    def finish(self, state: str, reason: str, at: datetime) -> None:
        self.rollout_state = state
        self.rollout_state_reason = reason
        self.updated_at = at

    def to_api(self) -> dict[str, Any]:
        """The `Deployment` shape as DescribeServices returns it (absent values omitted)."""
        shape = {
            "id": self.id,
            "status": self.status,
            "taskDefinition": self.task_definition,
            "desiredCount": self.desired_count,
            "pendingCount": self.pending_count,
            "runningCount": self.running_count,
            "failedTasks": self.failed_tasks,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "capacityProviderStrategy": self.capacity_provider_strategy,
            "launchType": self.launch_type,
            "platformVersion": self._resolved_platform_version(),
            "platformFamily": "Linux" if self.is_fargate else None,
            "networkConfiguration": self.network_configuration,
            "rolloutState": self.rollout_state,
            "rolloutStateReason": self.rollout_state_reason,
        }
        return {key: value for key, value in shape.items() if value is not None}

    def _resolved_platform_version(self) -> str | None:
        # A Fargate deployment reports the concrete platform version LATEST resolved to.
        if not self.is_fargate:
            return None
        if self.platform_version in (None, "LATEST"):
            return FARGATE_LATEST_PLATFORM_VERSION
        return self.platform_version


def allocate_private_ip(subnet_cidrs: list[str], used: set[str]) -> str:
    """A free address in one of the subnets (AWS reserves the first four and the last), else 10.x."""
    for _ in range(1000):
        if subnet_cidrs:
            network = ipaddress.IPv4Network(random.choice(subnet_cidrs), strict=False)
            host = network.network_address + random.randint(4, max(4, network.num_addresses - 2))
            candidate = str(host)
        else:
            candidate = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(4, 254)}"
        if candidate not in used:
            used.add(candidate)
            return candidate
    raise RuntimeError(f"no free private IP left in {subnet_cidrs}")
