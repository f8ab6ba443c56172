"""Scripted rollout outcomes: what the next deployments of a service will do, queued per account.

AWS decides a rollout's fate from the task's real behaviour; a test scripts that behaviour here (the
application runs, exits before RUNNING, or never finishes starting; how its targets answer), through
`POST /_ecsdeploy/accounts/{account}/ecs/rollouts`, and `rollout` plays ECS's part (task start
checks, replacements, circuit breaker, rollback). Each new deployment (CreateService, an
UpdateService that starts a deployment, or ECS's own circuit-breaker rollback) takes the first
matching entry: entries naming the service come before wildcard entries, each group FIFO. With no
match the deployment's tasks start in `DEFAULT_START_SECONDS` and their targets are healthy.

Time (simulated seconds of the account's clock, see `clock`): `start_seconds` is how long each task of
the deployment takes from its launch to RUNNING (`complete`) or to its essential container's exit
before RUNNING (`fail`); `steps` is the same duration in steps of `SECONDS_PER_STEP` (10 s, what one
DescribeServices "poll" stood for when rollouts advanced per poll), kept for scripts written then.
AWS documents no task start time: 30 s is our choice, the order of a Fargate task's ENI
provisioning, image pull and container start for a small image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("complete", "fail", "stuck")
TARGET_HEALTHS = ("healthy", "unhealthy", "initial")
# ELB reason codes for an unhealthy target (ELBv2 API reference, TargetHealth.Reason).
UNHEALTHY_REASONS = ("Target.FailedHealthChecks", "Target.ResponseCodeMismatch", "Target.Timeout")
SECONDS_PER_STEP = 10
DEFAULT_START_SECONDS = 30
MAX_START_SECONDS = 86_400
MAX_STEPS = MAX_START_SECONDS // SECONDS_PER_STEP
MAX_COUNT = 1000


class ScriptError(ValueError):
    """A control-API request body that does not describe a valid scripted rollout."""


@dataclass(frozen=True)
class ScriptedRollout:
    """How one deployment behaves: its outcome, how long its tasks take to start, its targets' health."""

    outcome: str = "complete"
    start_seconds: int = DEFAULT_START_SECONDS
    target_health: str = "healthy"
    unhealthy_reason: str = "Target.FailedHealthChecks"

    @property
    def start_ms(self) -> int:
        return self.start_seconds * 1000

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "start_seconds": self.start_seconds,
            "target_health": self.target_health,
            "unhealthy_reason": self.unhealthy_reason,
        }


DEFAULT_ROLLOUT = ScriptedRollout()


@dataclass
class QueueEntry:
    """A scripted rollout for the next `remaining` deployments matching `service`/`cluster`."""

    rollout: ScriptedRollout
    service: str | None
    cluster: str | None
    remaining: int

    def matches(self, cluster_name: str, service_name: str) -> bool:
        return (self.service is None or self.service == service_name) and (
            self.cluster is None or self.cluster == cluster_name
        )

    def to_json(self) -> dict[str, Any]:
        return {
            **self.rollout.to_json(),
            "service": self.service,
            "cluster": self.cluster,
            "remaining": self.remaining,
        }


@dataclass
class RolloutQueue:
    """The scripted outcomes of one account, consumed by new deployments."""

    entries: list[QueueEntry] = field(default_factory=list)

    def push(self, entry: QueueEntry) -> None:
        self.entries.append(entry)

    def take(self, cluster_name: str, service_name: str) -> ScriptedRollout:
        specific = [e for e in self.entries if e.service is not None]
        wildcard = [e for e in self.entries if e.service is None]
        for entry in specific + wildcard:
            if entry.matches(cluster_name, service_name):
                entry.remaining -= 1
                if entry.remaining == 0:
                    self.entries.remove(entry)
                return entry.rollout
        return DEFAULT_ROLLOUT

    def to_json(self) -> list[dict[str, Any]]:
        return [entry.to_json() for entry in self.entries]


_QUEUES: dict[str, RolloutQueue] = {}


def queue_for(account_id: str) -> RolloutQueue:
    """The account's queue (callers hold `EXTENSION_LOCK`)."""
    return _QUEUES.setdefault(account_id, RolloutQueue())


ENTRY_FIELDS = {
    "service",
    "cluster",
    "outcome",
    "start_seconds",
    "steps",
    "target_health",
    "unhealthy_reason",
    "count",
}


def parse_entry(body: Any) -> QueueEntry:
    """Validates a control-API body; reports every problem found, not just the first."""
    if not isinstance(body, dict):
        raise ScriptError("the body must be a JSON object")
    problems = [f"unknown field {name!r}" for name in sorted(set(body) - ENTRY_FIELDS)]
    problems += _check_optional_name(body, "service") + _check_optional_name(body, "cluster")
    if body.get("outcome") not in OUTCOMES:
        problems.append(f"outcome must be one of {', '.join(OUTCOMES)}")
    problems += _check_int(body, "start_seconds", DEFAULT_START_SECONDS, MAX_START_SECONDS)
    problems += _check_int(body, "steps", 1, MAX_STEPS)
    if "start_seconds" in body and "steps" in body:
        problems.append("give start_seconds or steps (10 s each), not both")
    problems += _check_int(body, "count", 1, MAX_COUNT)
    if body.get("target_health", "healthy") not in TARGET_HEALTHS:
        problems.append(f"target_health must be one of {', '.join(TARGET_HEALTHS)}")
    if body.get("unhealthy_reason", UNHEALTHY_REASONS[0]) not in UNHEALTHY_REASONS:
        problems.append(f"unhealthy_reason must be one of {', '.join(UNHEALTHY_REASONS)}")
    if problems:
        raise ScriptError("; ".join(problems))
    rollout = ScriptedRollout(
        outcome=body["outcome"],
        start_seconds=body["steps"] * SECONDS_PER_STEP
        if "steps" in body
        else body.get("start_seconds", DEFAULT_START_SECONDS),
        target_health=body.get("target_health", "healthy"),
        unhealthy_reason=body.get("unhealthy_reason", UNHEALTHY_REASONS[0]),
    )
    return QueueEntry(
        rollout,
        _short_name(body.get("service")),
        _short_name(body.get("cluster")),
        body.get("count", 1),
    )


def _short_name(name_or_arn: str | None) -> str | None:
    """`stage-auth` from `stage-auth` or `arn:aws:ecs:...:service/acme/stage-auth`."""
    return None if name_or_arn is None else name_or_arn.split("/")[-1]


def _check_optional_name(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None or (isinstance(value, str) and value):
        return []
    return [f"{name} must be a non-empty string"]


def _check_int(body: dict[str, Any], name: str, default: int, maximum: int) -> list[str]:
    value = body.get(name, default)
    # bool is an int in Python; JSON true is no count.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        return [f"{name} must be an integer from 1 to {maximum}"]
    return []
