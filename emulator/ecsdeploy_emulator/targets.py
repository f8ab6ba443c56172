"""Target registration and per-target health in moto's ELBv2 backend.

Stock moto reports every registered IP target as `healthy` and never uses the health-check settings.
Here a target group keeps a health override per target id, set by the rollout model (ECS registers
a service's task IPs on the container port in every target group of the service's `loadBalancers`;
the model runs the target group's health checks in simulated time, see `rollout`) or by the control
API, and DescribeTargetHealth returns it.

AWS: ELBv2 API Reference, "TargetHealth" (states initial, healthy, unhealthy, unused, draining,
unavailable and their reason codes) and the ALB guide, "Check the health of your targets".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup, elbv2_backends

from .locking import EXTENSION_LOCK

TARGET_STATES = ("initial", "healthy", "unhealthy", "unused", "draining", "unavailable")


@dataclass(frozen=True)
class TargetHealth:
    """The `TargetHealth` shape: a state, and for any state but healthy a reason and description."""

    state: str
    reason: str | None = None
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "reason": self.reason, "description": self.description}


HEALTHY = TargetHealth("healthy")
DRAINING = TargetHealth("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
# Default reason and description per state, as the ELBv2 API reference lists them.
DEFAULT_HEALTH = {
    "initial": TargetHealth("initial", "Elb.RegistrationInProgress", "Target registration is in progress"),
    "healthy": HEALTHY,
    "unhealthy": TargetHealth("unhealthy", "Target.FailedHealthChecks", "Health checks failed"),
    "unused": TargetHealth(
        "unused",
        "Target.NotInUse",
        "Target group is not configured to receive traffic from the load balancer",
    ),
    "draining": DRAINING,
    "unavailable": TargetHealth(
        "unavailable", "Elb.InternalError", "Health checks failed due to an internal error"
    ),
}
UNHEALTHY_DESCRIPTIONS = {
    "Target.FailedHealthChecks": "Health checks failed",
    "Target.ResponseCodeMismatch": "Health checks failed with these codes: [502]",
    "Target.Timeout": "Request timed out",
}


def registration_in_progress() -> TargetHealth:
    """A fresh `initial` health: distinct per registration so a later override can be told apart."""
    initial = DEFAULT_HEALTH["initial"]
    return TargetHealth(initial.state, initial.reason, initial.description)


def initial_health_checking() -> TargetHealth:
    """`initial` once checks have begun: "Elb.InitialHealthChecking - The load balancer is still sending
    the target the minimum number of health checks required to determine its health status" (ELBv2
    API Reference, TargetHealth; the description is what DescribeTargetHealth shows)."""
    return TargetHealth("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")


# --- the target group's settings that take time (ALB guide, "Health checks for Application Load
# Balancer target groups"; "Edit target group attributes", deregistration delay) ---------------

DEFAULT_INTERVAL_SECONDS = 30
DEFAULT_HEALTHY_THRESHOLD = 5
DEFAULT_UNHEALTHY_THRESHOLD = 2
DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def interval_ms(target_group: FakeTargetGroup) -> int:
    """HealthCheckIntervalSeconds (AWS's default for an ip target group over HTTP: 30)."""
    seconds = getattr(target_group, "health_check_interval_seconds", None)
    return _positive_int(seconds, DEFAULT_INTERVAL_SECONDS) * 1000


def healthy_threshold(target_group: FakeTargetGroup) -> int:
    """HealthyThresholdCount (AWS's default for an ALB target group: 5)."""
    return _positive_int(getattr(target_group, "healthy_threshold_count", None), DEFAULT_HEALTHY_THRESHOLD)


def unhealthy_threshold(target_group: FakeTargetGroup) -> int:
    """UnhealthyThresholdCount (AWS's default for an ALB target group: 2)."""
    return _positive_int(getattr(target_group, "unhealthy_threshold_count", None), DEFAULT_UNHEALTHY_THRESHOLD)


def deregistration_delay_ms(target_group: FakeTargetGroup) -> int:
    """`deregistration_delay.timeout_seconds` (0-3600, AWS's default 300)."""
    attributes = getattr(target_group, "attributes", None) or {}
    value = attributes.get("deregistration_delay.timeout_seconds", DEFAULT_DEREGISTRATION_DELAY_SECONDS)
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        seconds = DEFAULT_DEREGISTRATION_DELAY_SECONDS
    return max(0, seconds) * 1000


def unhealthy(reason: str) -> TargetHealth:
    return TargetHealth("unhealthy", reason, UNHEALTHY_DESCRIPTIONS[reason])


def find_target_group(account_id: str, target_group_arn: str) -> FakeTargetGroup | None:
    """The target group with that ARN in the account, or None (region taken from the ARN)."""
    parts = target_group_arn.split(":")
    if len(parts) < 6 or parts[4] != account_id:
        return None
    account_backends = dict.get(elbv2_backends, account_id)
    backend = account_backends.get(parts[3]) if account_backends else None
    return backend.target_groups.get(target_group_arn) if backend else None


def _overrides(target_group: FakeTargetGroup) -> dict[str, TargetHealth]:
    return vars(target_group).setdefault("ecsdeploy_target_health", {})


def register(target_group: FakeTargetGroup, target_id: str, port: int, health: TargetHealth) -> None:
    target_group.register([{"Id": target_id, "Port": port}])
    _overrides(target_group)[target_id] = health


def deregister(target_group: FakeTargetGroup, target_id: str) -> None:
    if target_id in target_group.targets:
        target_group.deregister([{"Id": target_id}])


def health_of(target_group: FakeTargetGroup, target_id: str) -> TargetHealth | None:
    return _overrides(target_group).get(target_id)


def set_health(target_group: FakeTargetGroup, target_id: str, health: TargetHealth) -> None:
    _overrides(target_group)[target_id] = health


def registered_targets(target_group: FakeTargetGroup) -> list[dict[str, Any]]:
    """Registered targets with their current health, for the control API."""
    result = []
    for target in target_group.targets.values():
        health = health_of(target_group, target["Id"]) or HEALTHY
        result.append({"id": target["Id"], "port": target["Port"], **health.to_json()})
    return result


def install() -> None:
    """Patches moto's ELBv2 target group so DescribeTargetHealth reports the overrides."""
    original_health_for = FakeTargetGroup.health_for
    original_deregister = FakeTargetGroup.deregister

    def health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
        registered = self.targets.get(target["Id"])
        override = health_of(self, target["Id"])
        if registered is None or override is None:
            return original_health_for(self, target, ec2_backend)
        return FakeHealthStatus(
            registered["Id"],
            registered["Port"],
            self.health_check_port,
            override.state,
            override.reason,
            override.description,
        )

    def deregister_targets(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
        original_deregister(self, targets)
        for target in targets:
            _overrides(self).pop(target["Id"], None)

    FakeTargetGroup.health_for = health_for
    FakeTargetGroup.deregister = deregister_targets
    for name in ("describe_target_health", "register_targets", "deregister_targets"):
        _hold_lock(ELBv2Backend, name)


def _hold_lock(cls: type, name: str) -> None:
    """Runs `cls.name` under the extension lock: it reads or changes target registrations."""
    original = getattr(cls, name)

    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with EXTENSION_LOCK:
            return original(self, *args, **kwargs)

    locked.__name__ = name
    locked.__doc__ = original.__doc__
    setattr(cls, name, locked)
