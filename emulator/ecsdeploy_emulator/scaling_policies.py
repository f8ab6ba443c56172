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

DescribeScalingPolicies (API Reference), where moto 5.2.5 was kinder or wrong:
- `MaxResults`: "This value can be between 1 and 10. The default value is 10. ... If this parameter
  is not used, the operation returns up to 10 results and a NextToken value, if applicable." moto
  answered 100 by default and any MaxResults. Outside 1-10 is the constraint error
  (ValidationException). Older versions of the page said 1-50 (default 50); the current one says
  10, and the strict reading is kept.
- `NextToken`: a token this operation did not issue is InvalidNextTokenException ("The next token
  supplied was invalid."); moto failed with HTTP 500. Pages are in (resource id, scalable
  dimension, policy name) order; a token marks the last policy answered.
- `ResourceId`, `ScalableDimension`: exact matches (moto matched a policy whose resource id was a
  substring of the filter: `service/acme/auth-worker` also returned `service/acme/auth`'s).
  "If you specify a scalable dimension, you must also specify a resource ID." (ValidationException).
- `PolicyNames` ("The names of the scaling policies to describe", at most 50): honoured (moto
  ignored it).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend, FakeApplicationAutoscalingPolicy
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse, _build_policy
from moto.core.exceptions import JsonRESTError

POLICIES_MAX_RESULTS = 10
MAX_POLICY_NAMES = 50
TOKEN_MARK = "ecsdeploy-policies:1:"


class InvalidNextTokenException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("InvalidNextTokenException", "The next token supplied was invalid.")


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


def _policy_key(policy: FakeApplicationAutoscalingPolicy) -> list[str]:
    return [policy.resource_id, policy.scalable_dimension, policy.policy_name]


def _encode_token(key: list[str]) -> str:
    return base64.urlsafe_b64encode((TOKEN_MARK + json.dumps(key)).encode()).decode("ascii")


def _decode_token(token: str) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii")).decode()
        if raw.startswith(TOKEN_MARK):
            key = json.loads(raw[len(TOKEN_MARK) :])
            if isinstance(key, list) and len(key) == 3 and all(isinstance(part, str) for part in key):
                return key
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise InvalidNextTokenException()


def describe_scaling_policies(original: Any, response: ApplicationAutoScalingResponse) -> str:
    """DescribeScalingPolicies: exact filters, PolicyNames, pages of at most 10, checked tokens."""
    response._validate_params()  # moto's namespace and dimension enumerations
    namespace = response._get_param("ServiceNamespace")
    resource_id = response._get_param("ResourceId")
    dimension = response._get_param("ScalableDimension")
    names = response._get_param("PolicyNames")
    max_results = response._get_param("MaxResults")
    token = response._get_param("NextToken")
    problems = []
    if max_results is not None and not 1 <= max_results <= POLICIES_MAX_RESULTS:
        bound = "greater than or equal to 1" if max_results < 1 else f"less than or equal to {POLICIES_MAX_RESULTS}"
        problems.append(f"Value '{max_results}' at 'maxResults' failed to satisfy constraint: Member must have value {bound}")
    if names is not None and len(names) > MAX_POLICY_NAMES:
        problems.append(
            f"Value '{names}' at 'policyNames' failed to satisfy constraint: Member must have length less than or "
            f"equal to {MAX_POLICY_NAMES}"
        )
    if problems:
        count = len(problems)
        raise AWSValidationException(f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems))
    if dimension and not resource_id:
        raise AWSValidationException("If you specify a scalable dimension, you must also specify a resource ID.")
    after = _decode_token(token) if token else None

    backend = response.applicationautoscaling_backend
    policies = sorted(
        (
            policy
            for policy in list(backend.policies.values())
            if policy.service_namespace == namespace
            and (not resource_id or policy.resource_id == resource_id)
            and (not dimension or policy.scalable_dimension == dimension)
            and (not names or policy.policy_name in names)
        ),
        key=_policy_key,
    )
    if after is not None:
        policies = [policy for policy in policies if _policy_key(policy) > after]
    limit = POLICIES_MAX_RESULTS if max_results is None else max_results
    page, rest = policies[:limit], policies[limit:]
    answer: dict[str, Any] = {"ScalingPolicies": [_build_policy(policy) for policy in page]}
    if rest:
        answer["NextToken"] = _encode_token(_policy_key(page[-1]))
    return json.dumps(answer)


WRAPS = [
    (ApplicationAutoScalingResponse, "describe_scaling_policies", describe_scaling_policies),
    (ApplicationAutoscalingBackend, "put_scaling_policy", put_scaling_policy),
    (ApplicationAutoscalingBackend, "deregister_scalable_target", deregister_scalable_target),
]
