"""Application Load Balancer attributes as AWS answers them (DescribeLoadBalancerAttributes,
ModifyLoadBalancerAttributes).

moto 5.2.5 gives a new load balancer four attributes (leaving out `idle_timeout.timeout_seconds`,
`routing.http2.enabled` and most others, and reporting `load_balancing.cross_zone.enabled` false),
accepts any value, and refuses documented keys it does not know. AWS (ELBv2 API Reference,
`LoadBalancerAttribute`; ALB guide, "Edit attributes for your Application Load Balancer") answers
every attribute an application load balancer supports, with these defaults:

| key | default | valid values |
|---|---|---|
| access_logs.s3.enabled | false | true, false |
| access_logs.s3.bucket, access_logs.s3.prefix | "" | a string |
| client_keep_alive.seconds | 3600 | 60-604800 |
| connection_logs.s3.enabled | false | true, false |
| connection_logs.s3.bucket, connection_logs.s3.prefix | "" | a string |
| deletion_protection.enabled | false | true, false |
| health_check_logs.s3.enabled | false | true, false |
| health_check_logs.s3.bucket, health_check_logs.s3.prefix | "" | a string |
| idle_timeout.timeout_seconds | 60 | 1-4000 |
| ipv6.deny_all_igw_traffic | false (internet-facing), true (internal) | true, false |
| load_balancing.cross_zone.enabled | true | "The default for Application Load Balancers is true, and can't be changed." |
| routing.http.desync_mitigation_mode | defensive | monitor, defensive, strictest |
| routing.http.drop_invalid_header_fields.enabled | false | true, false |
| routing.http.preserve_host_header.enabled | false | true, false |
| routing.http.x_amzn_tls_version_and_cipher_suite.enabled | false | true, false |
| routing.http.x_amzn_tls_kx.enabled | false | true, false |
| routing.http.xff_client_port.enabled | false | true, false |
| routing.http.xff_header_processing.mode | append | append, preserve, remove |
| routing.http2.enabled | true | true, false |
| waf.fail_open.enabled | false | true, false |
| zonal_shift.config.enabled | false | true, false |

ModifyLoadBalancerAttributes of an application load balancer (checked before anything changes;
it answers every attribute, as AWS does):

- a key no load balancer type supports: ValidationError `Load balancer attribute key '<key>' is
  not recognized` (the message AWS gives, as the Terraform AWS provider records it);
- a Network Load Balancer key (`dns_record.client_routing_policy`,
  `secondary_ips.auto_assigned.per_subnet`): InvalidConfigurationRequest `Load balancer attribute
  key '<key>' is not supported on load balancers with type 'application'` (AWS's message for the
  converse case, recorded by the same provider);
- a value outside the table: ValidationError (the message is ours: AWS does not document it);
- more than 20 attributes: the constraint error of `LoadBalancerAttributes` ("Array Members:
  Maximum number of 20 items"); a value longer than 1,024 characters likewise.

Network and gateway load balancers keep moto's behaviour.
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.exceptions import InvalidConfigurationRequest, LoadBalancerNotFoundError, ValidationError
from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

BOOLEAN = ("true", "false")
ALB_DEFAULTS: dict[str, str] = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "client_keep_alive.seconds": "3600",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
    "deletion_protection.enabled": "false",
    "health_check_logs.s3.enabled": "false",
    "health_check_logs.s3.bucket": "",
    "health_check_logs.s3.prefix": "",
    "idle_timeout.timeout_seconds": "60",
    "ipv6.deny_all_igw_traffic": "false",
    "load_balancing.cross_zone.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.x_amzn_tls_kx.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
    "zonal_shift.config.enabled": "false",
}
NETWORK_ONLY_KEYS = ("dns_record.client_routing_policy", "secondary_ips.auto_assigned.per_subnet")
RANGES = {"idle_timeout.timeout_seconds": (1, 4000), "client_keep_alive.seconds": (60, 604800)}
CHOICES = {
    "routing.http.desync_mitigation_mode": ("monitor", "defensive", "strictest"),
    "routing.http.xff_header_processing.mode": ("append", "preserve", "remove"),
}
STRING_KEYS = {key for key in ALB_DEFAULTS if key.endswith((".bucket", ".prefix"))}
MAX_ATTRIBUTES = 20
MAX_VALUE_LENGTH = 1024


def defaults_for(load_balancer: FakeLoadBalancer) -> dict[str, str]:
    defaults = dict(ALB_DEFAULTS)
    if load_balancer.scheme == "internal":
        defaults["ipv6.deny_all_igw_traffic"] = "true"
    return defaults


def _is_application(load_balancer: FakeLoadBalancer | None) -> bool:
    return load_balancer is not None and (load_balancer.type or "application") == "application"


def check_attribute(key: str, value: str) -> None:
    if key in NETWORK_ONLY_KEYS:
        raise InvalidConfigurationRequest(
            f"Load balancer attribute key '{key}' is not supported on load balancers with type 'application'"
        )
    if key not in ALB_DEFAULTS:
        raise ValidationError(f"Load balancer attribute key '{key}' is not recognized")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at 'attributes.member.value' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_VALUE_LENGTH}"
        )
    if key in STRING_KEYS:
        return
    if key in RANGES:
        low, high = RANGES[key]
        if not (value.isdigit() and low <= int(value) <= high):
            raise ValidationError(
                f"Load balancer attribute '{key}' must be an integer from {low} to {high}, not '{value}'"
            )
        return
    allowed = CHOICES.get(key, BOOLEAN)
    if value not in allowed:
        raise ValidationError(
            f"Load balancer attribute '{key}' must be one of {', '.join(allowed)}, not '{value}'"
        )
    if key == "load_balancing.cross_zone.enabled" and value != "true":
        raise InvalidConfigurationRequest(
            "Cross-zone load balancing cannot be disabled for Application Load Balancers"
        )


def create_load_balancer(original: Any, backend: ELBv2Backend, *args: Any, **kwargs: Any) -> FakeLoadBalancer:
    """CreateLoadBalancer: an application load balancer starts with AWS's attribute defaults."""
    load_balancer = original(backend, *args, **kwargs)
    if _is_application(load_balancer):
        load_balancer.attrs = defaults_for(load_balancer)
    return load_balancer


def modify_load_balancer_attributes(
    original: Any, backend: ELBv2Backend, arn: str, attrs: dict[str, Any]
) -> dict[str, Any]:
    """ModifyLoadBalancerAttributes: validated keys and values; answers every attribute."""
    load_balancer = backend.load_balancers.get(arn)
    if not _is_application(load_balancer):
        return original(backend, arn, attrs)
    assert load_balancer is not None
    if len(attrs) > MAX_ATTRIBUTES:
        raise ValidationError(
            "1 validation error detected: Value at 'attributes' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_ATTRIBUTES}"
        )
    changes = {str(key): "" if value is None else str(value) for key, value in attrs.items()}
    for key, value in changes.items():
        check_attribute(key, value)
    load_balancer.attrs = {**defaults_for(load_balancer), **load_balancer.attrs, **changes}
    return load_balancer.attrs


def describe_load_balancer_attributes(original: Any, backend: ELBv2Backend, arn: str) -> dict[str, Any]:
    """DescribeLoadBalancerAttributes: every attribute of an application load balancer."""
    load_balancer = backend.load_balancers.get(arn)
    if load_balancer is None:
        raise LoadBalancerNotFoundError()
    if _is_application(load_balancer):
        load_balancer.attrs = {**defaults_for(load_balancer), **load_balancer.attrs}
    return original(backend, arn)


WRAPS = [
    (ELBv2Backend, "create_load_balancer", create_load_balancer),
    (ELBv2Backend, "modify_load_balancer_attributes", modify_load_balancer_attributes),
    (ELBv2Backend, "describe_load_balancer_attributes", describe_load_balancer_attributes),
]
