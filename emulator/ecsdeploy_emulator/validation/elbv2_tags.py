"""ELBv2 DescribeTags: at most 20 resources a call, and every one must exist.

ELBv2 API Reference, DescribeTags: `ResourceArns` "The Amazon Resource Names (ARN) of the resources.
You can specify up to 20 resources in a single call." More is the constraint error (ValidationError,
400) `1 validation error detected: Value '[...]' at 'resourceArns' failed to satisfy constraint:
Member must have length less than or equal to 20` (the form of the service's other constraint
errors; the message is ours). The same page lists DescribeTags' errors: LoadBalancerNotFound,
TargetGroupNotFound, ListenerNotFound, RuleNotFound (TrustStoreNotFound): an ARN of a resource that
does not exist (any more) is refused with its kind's error, as moto's own lookup
(`_get_resource_by_arn`) words them. moto 5.2.5 accepted any number of ARNs and answered an unknown
one with no tags.
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.exceptions import ValidationError
from moto.elbv2.models import ELBv2Backend

from .common import Wrap, before

MAX_RESOURCE_ARNS = 20


def _describe_tags(backend: ELBv2Backend, arguments: dict[str, Any]) -> None:
    """DescribeTags: 1-20 ARNs, each of an existing load balancer, target group, listener or rule."""
    arns = list(arguments.get("resource_arns") or [])
    if len(arns) > MAX_RESOURCE_ARNS:
        raise ValidationError(
            f"1 validation error detected: Value '[{', '.join(arns)}]' at 'resourceArns' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_RESOURCE_ARNS}"
        )
    for arn in arns:
        backend._get_resource_by_arn(arn)


WRAPS: list[Wrap] = [(ELBv2Backend, "describe_tags", before(_describe_tags))]
