"""The ECS deployment circuit breaker: whether it watches a deployment, and its failure threshold.

AWS, ECS API Reference:

- `DeploymentCircuitBreaker.enable`: "Determines whether to use the deployment circuit breaker logic
  for the service." `rollback`: "If rollback is on, when a service deployment fails, the service is
  rolled back to the last deployment that completed successfully."
- `DeploymentCircuitBreaker.resetOnHealthyTask`: "Specifies whether the deployment circuit breaker
  resets its failure count when a task reaches a healthy state. ... The default is true."
- `ServiceDeploymentCircuitBreaker.threshold`: "The deployment circuit breaker has a minimum
  threshold of 3 and a maximum threshold of 200. and uses the values in the following formula to
  determine the deployment failure. 0.5 * desired task count"; the Developer Guide's examples round
  up ("13 (the value is rounded up)" for 25 tasks).
- `ThresholdConfiguration`: "By default, the threshold configuration uses a type of BOUNDED_PERCENT
  with a value of 50. ... For the percentage types (BOUNDED_PERCENT and UNBOUNDED_PERCENT), Amazon
  ECS multiplies value by the latest service desired count. For COUNT, Amazon ECS uses value
  directly as the threshold."

Here BOUNDED_PERCENT is `max(3, min(200, ceil(value% * desiredCount)))`; UNBOUNDED_PERCENT is
`ceil(value% * desiredCount)` without those bounds but at least 1 (AWS documents no bounds for it;
a threshold of 0 would fail a deployment before any task ran); COUNT is `value` (at least 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MIN_THRESHOLD, MAX_THRESHOLD = 3, 200
DEFAULT_TYPE, DEFAULT_PERCENT = "BOUNDED_PERCENT", 50


@dataclass(frozen=True)
class BreakerSettings:
    enable: bool
    rollback: bool
    reset_on_healthy_task: bool
    threshold_type: str
    threshold_value: int

    def threshold(self, desired_count: int) -> int:
        if self.threshold_type == "COUNT":
            return max(1, self.threshold_value)
        calculated = math.ceil(self.threshold_value * desired_count / 100)
        if self.threshold_type == "UNBOUNDED_PERCENT":
            return max(1, calculated)
        return max(MIN_THRESHOLD, min(MAX_THRESHOLD, calculated))


def settings_of(service: Any) -> BreakerSettings:
    """The breaker settings in the service's deploymentConfiguration (ECS defaults when absent)."""
    configuration = getattr(service, "deployment_configuration", None) or {}
    breaker = configuration.get("deploymentCircuitBreaker") or {}
    threshold = breaker.get("thresholdConfiguration") or {}
    value = threshold.get("value", DEFAULT_PERCENT)
    return BreakerSettings(
        enable=bool(breaker.get("enable")),
        rollback=bool(breaker.get("rollback")),
        reset_on_healthy_task=breaker.get("resetOnHealthyTask") is not False,
        threshold_type=str(threshold.get("type") or DEFAULT_TYPE),
        threshold_value=int(value) if isinstance(value, (int, float)) else DEFAULT_PERCENT,
    )
