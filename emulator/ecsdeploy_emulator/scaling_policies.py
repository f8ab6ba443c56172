"""Application Auto Scaling target tracking alarms: one set per policy, replaced on update.

Application Auto Scaling User Guide, "Target tracking scaling policies for Application Auto
Scaling": "Application Auto Scaling creates and manages the CloudWatch alarms that trigger the
scaling policy and calculates the scaling adjustment based on the metric and the target value." and
"Do not edit or delete the CloudWatch alarms that are configured for the target tracking scaling
policy. Application Auto Scaling deletes the alarms automatically when you delete the scaling
policy." API Reference, PutScalingPolicy: "Creates or updates a scaling policy".

moto 5.2.5 created a new pair of `TargetTracking-...-AlarmHigh-<uuid>`/`AlarmLow-<uuid>` alarms on
every PutScalingPolicy and forgot the previous pair (which stayed in CloudWatch for ever, even after
DeleteScalingPolicy): N puts of the same policy left 2N alarms. Here an update replaces the policy's
alarms (the old ones are deleted when the new ones exist), so DescribeAlarms shows exactly the
policy's current alarms.

DeregisterScalableTarget (API Reference): "Deregistering a scalable target deletes the scaling
policies and the scheduled actions that are associated with it." moto 5.2.5 kept the policies
(and their alarms); here they go with the target.
"""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend, FakeApplicationAutoscalingPolicy


def put_scaling_policy(original: Any, backend: ApplicationAutoscalingBackend, *args: Any, **kwargs: Any) -> Any:
    """PutScalingPolicy: an update deletes the alarms of the policy it replaces."""
    names = ("policy_name", "service_namespace", "resource_id", "scalable_dimension")
    given = dict(zip(names, args)) | {key: value for key, value in kwargs.items() if key in names}
    key = FakeApplicationAutoscalingPolicy.formulate_key(
        given["service_namespace"], given["resource_id"], given["scalable_dimension"], given["policy_name"]
    )
    previous = backend.policies.get(key)
    policy = original(backend, *args, **kwargs)
    if previous is not None and previous is not policy:
        current = {alarm.name for alarm in policy.alarms}
        previous.alarms = [alarm for alarm in previous.alarms if alarm.name not in current]
        previous.delete_alarms(backend.account_id, backend.region_name)
    return policy


def deregister_scalable_target(
    original: Any, backend: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str
) -> Any:
    """DeregisterScalableTarget: the target's scaling policies (and their alarms) and scheduled actions go too."""
    result = original(backend, namespace, r_id, dimension)
    for key, policy in list(backend.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
            policy.delete_alarms(backend.account_id, backend.region_name)
            del backend.policies[key]
    backend.scheduled_actions = [
        action
        for action in backend.scheduled_actions
        if (action.service_namespace, action.resource_id, action.scalable_dimension) != (namespace, r_id, dimension)
    ]
    return result


WRAPS = [
    (ApplicationAutoscalingBackend, "put_scaling_policy", put_scaling_policy),
    (ApplicationAutoscalingBackend, "deregister_scalable_target", deregister_scalable_target),
]
