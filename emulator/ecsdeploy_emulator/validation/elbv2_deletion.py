"""ELBv2 DeleteLoadBalancer: a load balancer with deletion protection is not deleted.

ALB guide, "Edit attributes for your Application Load Balancer", Deletion protection: "To prevent
your load balancer from being deleted accidentally, you can enable deletion protection. By default,
deletion protection is disabled for your load balancer. If you enable deletion protection for your
load balancer, you must disable it before you can delete the load balancer." ELBv2 API Reference,
`LoadBalancerAttribute`: "deletion_protection.enabled - Indicates whether deletion protection is
enabled." AWS answers `OperationNotPermitted` (400) "Load balancer '<arn>' cannot be deleted because
deletion protection is enabled" (the message as the AWS CLI, CloudFormation and aws-nuke record it).
moto 5.2.5 deleted it. Every load balancer type (the attribute exists for all three).
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend

from .common import Wrap, before


class OperationNotPermitted(ELBClientError):
    code = "OperationNotPermitted"

    def __init__(self, message: str) -> None:
        super().__init__(self.code, message)


def _delete_load_balancer(backend: ELBv2Backend, arguments: dict[str, Any]) -> None:
    """DeleteLoadBalancer: OperationNotPermitted while deletion_protection.enabled is true."""
    arn = arguments.get("arn")
    load_balancer = backend.load_balancers.get(arn)
    if load_balancer is None:
        return
    if str((getattr(load_balancer, "attrs", None) or {}).get("deletion_protection.enabled", "false")).lower() == "true":
        raise OperationNotPermitted(f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled")


WRAPS: list[Wrap] = [(ELBv2Backend, "delete_load_balancer", before(_delete_load_balancer))]
