"""Creates that AWS makes idempotent, where moto 5.2.5 duplicates or refuses (ELBv2, ECS RunTask).

A client whose answer was lost (a timeout, a dropped connection: see `fault_proxy`) retries the same
request; AWS answers these retries as below, and so does the emulator.

- ELBv2 CreateLoadBalancer (API Reference): "This operation is idempotent, which means that it
  completes at most one time. If you attempt to create multiple load balancers with the same
  settings, each call succeeds." A second call with the same name and the same settings answers the
  existing load balancer; with other settings it fails `DuplicateLoadBalancerName` "A load balancer
  with the same name '<name>' exists, but with different settings" (the message AWS gives, as the
  Terraform AWS provider and the AWS Load Balancer Controller record it). moto 5.2.5 created a
  second load balancer of the same name (a new ARN) every time.
- ELBv2 CreateTargetGroup (API Reference): "This operation is idempotent, which means that it
  completes at most one time. If you attempt to create multiple target groups with the same
  settings, each call succeeds." Other settings: `DuplicateTargetGroupName` "A target group with
  the same name '<name>' exists, but with different settings". moto 5.2.5 refused every second
  call, identical or not, with "A target group with the specified name already exists.".
- ELBv2 CreateListener (API Reference): "This operation is idempotent, which means that it
  completes at most one time. If you attempt to create multiple listeners with the same settings,
  each call succeeds." A second call on the same load balancer and port with the same settings
  answers the existing listener; with other settings it fails `DuplicateListener` "A listener
  already exists on this port for this load balancer '<arn>'" (CreateListener, Errors:
  "DuplicateListener: A listener with the specified port already exists."; the message as the
  Terraform AWS provider records it). moto 5.2.5 created a second listener on the same port (its
  check looked for the port among the listeners' ARNs).
- ECS RunTask `clientToken` (API Reference: "An identifier that you provide to ensure the
  idempotency of the request. It must be unique and is case sensitive."; the SDKs fill it in and
  keep it across retries): a RunTask with a token already used, and the same parameters, answers the
  tasks the first call started instead of starting more. moto 5.2.5 ignored the token. The same
  token with other parameters is refused (InvalidParameterException; AWS does not document this
  case, the message is ours).

"The same settings" is every member of the request but the name, compared as sent (lists of ids in
any order; `Scheme`, `Type`, `IpAddressType` and `TargetType` with their documented defaults
filled in) against the request that created the resource, updated by the calls that change those
settings later (SetSecurityGroups, SetSubnets, SetIpAddressType; ModifyTargetGroup; ModifyListener). AWS does not
document which members it compares; comparing all of them (tags included) can only be stricter.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.responses import ELBV2Response

SETTINGS = "ecsdeploy_create_settings"
REQUEST_ONLY = {"Action", "Version", "Name"}
LOAD_BALANCER_DEFAULTS = {"Scheme": "internet-facing", "Type": "application", "IpAddressType": "ipv4"}
TARGET_GROUP_DEFAULTS = {"TargetType": "instance"}
UNORDERED = {"Subnets", "SecurityGroups", "SubnetMappings", "Tags"}
# ModifyTargetGroup members: the same names as CreateTargetGroup's.
TARGET_GROUP_MODIFIABLE = (
    "HealthCheckProtocol",
    "HealthCheckPort",
    "HealthCheckPath",
    "HealthCheckEnabled",
    "HealthCheckIntervalSeconds",
    "HealthCheckTimeoutSeconds",
    "HealthyThresholdCount",
    "UnhealthyThresholdCount",
    "Matcher",
)


class DuplicateLoadBalancerName(ELBClientError):
    code = "DuplicateLoadBalancerName"

    def __init__(self, name: str) -> None:
        super().__init__(self.code, f"A load balancer with the same name '{name}' exists, but with different settings")


class DuplicateTargetGroupName(ELBClientError):
    code = "DuplicateTargetGroupName"

    def __init__(self, name: str) -> None:
        super().__init__(self.code, f"A target group with the same name '{name}' exists, but with different settings")


class DuplicateListener(ELBClientError):
    code = "DuplicateListener"

    def __init__(self, load_balancer_arn: str) -> None:
        super().__init__(self.code, f"A listener already exists on this port for this load balancer '{load_balancer_arn}'")


# ModifyListener members: the same names as CreateListener's.
LISTENER_MODIFIABLE = ("Port", "Protocol", "SslPolicy", "Certificates", "DefaultActions", "AlpnPolicy")


def settings_of(params: dict[str, Any], defaults: dict[str, str]) -> dict[str, Any]:
    """The request's settings in a comparable form (see the module docstring)."""
    settings = {key: _canonical(key, value) for key, value in params.items() if key not in REQUEST_ONLY}
    for key, default in defaults.items():
        if settings.get(key) in (None, ""):
            settings[key] = default
    return {key: value for key, value in settings.items() if value is not None}


def _canonical(key: str, value: Any) -> Any:
    if isinstance(value, list) and key in UNORDERED:
        return sorted(json.dumps(item, sort_keys=True) for item in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, bool):
        return str(value).lower()
    return None if value is None else str(value)


# --- ELBv2 --------------------------------------------------------------------------------------------


def create_load_balancer(original: Any, response: ELBV2Response) -> Any:
    """CreateLoadBalancer: the existing load balancer for the same name and settings."""
    params = response._get_params()
    name = params.get("Name")
    settings = settings_of(params, LOAD_BALANCER_DEFAULTS)
    backend = response.elbv2_backend
    existing = next((lb for lb in list(backend.load_balancers.values()) if lb.name == name), None)
    if existing is not None:
        if getattr(existing, SETTINGS, None) != settings:
            raise DuplicateLoadBalancerName(name)
        return ActionResult({"LoadBalancers": [existing]})
    result = original(response)
    for load_balancer in result.result["LoadBalancers"]:
        setattr(load_balancer, SETTINGS, settings)
    return result


def create_target_group(original: Any, response: ELBV2Response) -> Any:
    """CreateTargetGroup: the existing target group for the same name and settings."""
    params = response._get_params()
    name = params.get("Name")
    settings = settings_of(params, TARGET_GROUP_DEFAULTS)
    backend = response.elbv2_backend
    existing = next((group for group in list(backend.target_groups.values()) if group.name == name), None)
    if existing is not None:
        if getattr(existing, SETTINGS, None) != settings:
            raise DuplicateTargetGroupName(name)
        return ActionResult({"TargetGroups": [existing]})
    result = original(response)
    for group in result.result["TargetGroups"]:
        setattr(group, SETTINGS, settings)
    return result


def create_listener(original: Any, response: ELBV2Response) -> Any:
    """CreateListener: the existing listener for the same load balancer, port and settings."""
    params = response._get_params()
    balancer = response.elbv2_backend.load_balancers.get(params.get("LoadBalancerArn"))
    if balancer is None:
        return original(response)
    settings = settings_of(params, {})
    port = str(params.get("Port"))
    existing = next((listener for listener in list(balancer.listeners.values()) if str(listener.port) == port), None)
    if existing is not None:
        if getattr(existing, SETTINGS, None) != settings:
            raise DuplicateListener(balancer.arn)
        return ActionResult({"Listeners": [existing]})
    result = original(response)
    for listener in result.result["Listeners"]:
        setattr(listener, SETTINGS, settings)
    return result


def modify_listener(original: Any, response: ELBV2Response) -> Any:
    """ModifyListener: the listener's settings now have the members given."""
    result = original(response)
    params = response._get_params()
    for listener in result.result["Listeners"]:
        settings = getattr(listener, SETTINGS, None)
        if settings is None:
            continue
        for key in LISTENER_MODIFIABLE:
            if params.get(key) not in (None, []):
                settings[key] = _canonical(key, params[key])
    return result


def _update_load_balancer(response: ELBV2Response, members: dict[str, Any]) -> None:
    load_balancer = response.elbv2_backend.load_balancers.get(response._get_param("LoadBalancerArn"))
    settings = getattr(load_balancer, SETTINGS, None)
    if settings is None:
        return
    for key, value in members.items():
        if value is None:
            settings.pop(key, None)
        else:
            settings[key] = _canonical(key, value)


def set_security_groups(original: Any, response: ELBV2Response) -> Any:
    """SetSecurityGroups: the load balancer's settings now have these groups."""
    result = original(response)
    _update_load_balancer(response, {"SecurityGroups": response._get_params().get("SecurityGroups") or []})
    return result


def set_subnets(original: Any, response: ELBV2Response) -> Any:
    """SetSubnets: the load balancer's settings now have these subnets."""
    result = original(response)
    params = response._get_params()
    _update_load_balancer(response, {"Subnets": params.get("Subnets"), "SubnetMappings": params.get("SubnetMappings")})
    return result


def set_ip_address_type(original: Any, response: ELBV2Response) -> Any:
    """SetIpAddressType: the load balancer's settings now have this address type."""
    result = original(response)
    _update_load_balancer(response, {"IpAddressType": response._get_params().get("IpAddressType")})
    return result


def modify_target_group(original: Any, response: ELBV2Response) -> Any:
    """ModifyTargetGroup: the target group's settings now have the changed health check."""
    result = original(response)
    params = response._get_params()
    group = response.elbv2_backend.target_groups.get(params.get("TargetGroupArn"))
    settings = getattr(group, SETTINGS, None)
    if settings is not None:
        for key in TARGET_GROUP_MODIFIABLE:
            if params.get(key) is not None:
                settings[key] = _canonical(key, params[key])
    return result


# --- ECS RunTask ----------------------------------------------------------------------------------------

RUN_TASK_TOKENS = "ecsdeploy_run_task_tokens"


def run_task(original: Any, response: EC2ContainerServiceResponse) -> Any:
    """RunTask: a clientToken already used answers the tasks its first call started."""
    params = dict(response._get_params())
    token = params.pop("clientToken", None)
    if not token:
        return original(response)
    backend = response.ecs_backend
    tokens: dict[str, dict[str, Any]] = backend.__dict__.setdefault(RUN_TASK_TOKENS, {})
    request = json.dumps(params, sort_keys=True, default=str)
    known = tokens.get(token)
    if known is not None:
        if known["request"] != request:
            raise InvalidParameterException(
                "The clientToken has already been used in a RunTask request with different parameters."
            )
        tasks = [backend.tasks.get(known["cluster"], {}).get(arn) for arn in known["task_arns"]]
        return ActionResult({"tasks": [task for task in tasks if task is not None], "failures": []})
    result = original(response)
    started = result.result["tasks"]
    cluster = started[0].cluster_name if started else None
    tokens[token] = {"request": request, "cluster": cluster, "task_arns": [task.task_arn for task in started]}
    return result


WRAPS = [
    (ELBV2Response, "create_load_balancer", create_load_balancer),
    (ELBV2Response, "create_target_group", create_target_group),
    (ELBV2Response, "set_security_groups", set_security_groups),
    (ELBV2Response, "set_subnets", set_subnets),
    (ELBV2Response, "set_ip_address_type", set_ip_address_type),
    (ELBV2Response, "modify_target_group", modify_target_group),
    (ELBV2Response, "create_listener", create_listener),
    (ELBV2Response, "modify_listener", modify_listener),
    (EC2ContainerServiceResponse, "run_task", run_task),
]
