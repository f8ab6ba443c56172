"""ELBv2 creates that AWS makes idempotent, and deletion protection on DeleteLoadBalancer.

AWS (ELBv2 API Reference, CreateLoadBalancer, CreateTargetGroup, CreateListener): "This operation
is idempotent, which means that it completes at most one time. If you attempt to create multiple
load balancers [target groups, listeners] with the same settings, each call succeeds." The same
name (for a listener: the same load balancer and port) with other settings is refused:
DuplicateLoadBalancerName "A load balancer with the same name '<name>' exists, but with different
settings", DuplicateTargetGroupName "A target group with the same name '<name>' exists, but with
different settings", DuplicateListener "A listener already exists on this port for this load
balancer '<arn>'". A client whose first answer was lost, and whose SDK sent the create again,
gets the resource the first request made.

moto 5.2.5: CreateLoadBalancer with a name in use makes a second load balancer of that name (its
duplicate check compares ARNs, which have a random part); CreateListener on a port in use makes a
second listener there (its check looks for the port among listener ARNs); CreateTargetGroup
refuses every repeat.

Here, a repeat whose settings equal the existing resource's answers that resource; other
settings are refused as AWS refuses them. Settings compared: for a load balancer, its scheme,
type, IP address type, subnets and security groups; for a target group, every parameter the
request gives (protocol, version, port, VPC, target type, health check, matcher); for a listener,
its protocol, SSL policy, certificate and default actions. Tags are not settings.

DeleteLoadBalancer of a load balancer whose `deletion_protection.enabled` attribute is `true` is
refused with OperationNotPermitted "Load balancer '<arn>' cannot be deleted because deletion
protection is enabled" (ALB guide, "Deletion protection": "you can't delete the load balancer
while deletion protection is enabled"); moto deletes it.
"""

from __future__ import annotations

import json
from typing import Any

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend, FakeAction, FakeListener, FakeLoadBalancer, FakeTargetGroup


class DuplicateLoadBalancerName(ELBClientError):
    def __init__(self, name: str) -> None:
        super().__init__(
            "DuplicateLoadBalancerName",
            f"A load balancer with the same name '{name}' exists, but with different settings",
        )


class DuplicateTargetGroupName(ELBClientError):
    def __init__(self, name: str) -> None:
        super().__init__(
            "DuplicateTargetGroupName",
            f"A target group with the same name '{name}' exists, but with different settings",
        )


class DuplicateListener(ELBClientError):
    def __init__(self, load_balancer_arn: str) -> None:
        super().__init__(
            "DuplicateListener",
            f"A listener already exists on this port for this load balancer '{load_balancer_arn}'",
        )


class OperationNotPermitted(ELBClientError):
    def __init__(self, arn: str) -> None:
        super().__init__(
            "OperationNotPermitted",
            f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
        )


def create_load_balancer(original: Any, backend: ELBv2Backend, *args: Any, **kwargs: Any) -> FakeLoadBalancer:
    """CreateLoadBalancer: a repeat with the same settings answers the existing load balancer."""
    name = kwargs.get("name", args[0] if args else None)
    existing = next((lb for lb in backend.load_balancers.values() if lb.name == name), None)
    if existing is None:
        return original(backend, *args, **kwargs)
    subnet_ids = set(kwargs.get("subnet_ids") or []) | {
        mapping["SubnetId"] for mapping in kwargs.get("subnet_mappings") or []
    }
    same = (
        (kwargs.get("scheme") or "internet-facing") == existing.scheme
        and (kwargs.get("loadbalancer_type") or "application") == existing.type
        and (kwargs.get("ip_address_type") or "ipv4") == existing.ip_address_type
        and subnet_ids == {subnet.id for subnet in existing.subnets}
        and set(kwargs.get("security_groups") or []) == set(existing.security_groups or [])
    )
    if not same:
        raise DuplicateLoadBalancerName(str(name))
    return existing


# CreateTargetGroup parameter (as moto's response passes it) -> FakeTargetGroup attribute.
TARGET_GROUP_SETTINGS = {
    "vpc_id": "vpc_id",
    "protocol": "protocol",
    "protocol_version": "protocol_version",
    "port": "port",
    "target_type": "target_type",
    "healthcheck_protocol": "health_check_protocol",
    "healthcheck_port": "health_check_port",
    "healthcheck_path": "health_check_path",
    "healthcheck_interval_seconds": "health_check_interval_seconds",
    "healthcheck_timeout_seconds": "health_check_timeout_seconds",
    "healthcheck_enabled": "health_check_enabled",
    "healthy_threshold_count": "healthy_threshold_count",
    "unhealthy_threshold_count": "unhealthy_threshold_count",
    "matcher": "matcher",
}


def _setting(value: Any) -> str:
    """A setting as text: moto keeps some as given (strings), some as numbers or booleans."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def create_target_group(original: Any, backend: ELBv2Backend, name: str, **kwargs: Any) -> FakeTargetGroup:
    """CreateTargetGroup: a repeat with the same settings answers the existing target group."""
    existing = next((group for group in backend.target_groups.values() if group.name == name), None)
    if existing is None:
        return original(backend, name, **kwargs)
    for parameter, attribute in TARGET_GROUP_SETTINGS.items():
        given = kwargs.get(parameter)
        if given is not None and _setting(given) != _setting(getattr(existing, attribute, None)):
            raise DuplicateTargetGroupName(name)
    return existing


def _actions(actions: list[Any]) -> str:
    return json.dumps([action.data if isinstance(action, FakeAction) else action for action in actions], sort_keys=True)


def create_listener(original: Any, backend: ELBv2Backend, *args: Any, **kwargs: Any) -> FakeListener:
    """CreateListener: a repeat on the same port with the same settings answers that listener."""
    arn = kwargs.get("load_balancer_arn")
    balancer = backend.load_balancers.get(arn) if arn else None
    if balancer is None or args:
        return original(backend, *args, **kwargs)
    port = str(kwargs.get("port"))
    existing = next((listener for listener in balancer.listeners.values() if str(listener.port) == port), None)
    if existing is None:
        return original(backend, *args, **kwargs)
    given_actions = [FakeAction(dict(action)).data for action in kwargs.get("actions") or []]
    same = (
        (kwargs.get("protocol") or "").upper() == existing.protocol
        and kwargs.get("ssl_policy") == existing.ssl_policy
        and kwargs.get("certificate") == existing.certificate
        and _actions(given_actions) == _actions(existing.default_actions)
    )
    if not same:
        raise DuplicateListener(arn)
    return existing


def delete_load_balancer(original: Any, backend: ELBv2Backend, arn: str) -> Any:
    """DeleteLoadBalancer: refused while deletion protection is on."""
    load_balancer = backend.load_balancers.get(arn)
    if load_balancer is not None and (load_balancer.attrs or {}).get("deletion_protection.enabled") == "true":
        raise OperationNotPermitted(arn)
    return original(backend, arn)


WRAPS = [
    (ELBv2Backend, "create_load_balancer", create_load_balancer),
    (ELBv2Backend, "create_target_group", create_target_group),
    (ELBv2Backend, "create_listener", create_listener),
    (ELBv2Backend, "delete_load_balancer", delete_load_balancer),
]
