"""CreateService / UpdateService fields that stock moto drops or gets wrong.

A deployer compares what it asked for with what DescribeServices returns; every field the emulator
loses shows up as a change on the next plan. AWS (ECS API Reference, CreateService / Service):

- capacityProviderStrategy, deploymentConfiguration, healthCheckGracePeriodSeconds,
  enableExecuteCommand, enableECSManagedTags, propagateTags, placementConstraints and
  placementStrategy are stored and returned as given (moto drops them on create).
- deploymentConfiguration is returned with ECS's defaults filled in: maximumPercent 200,
  minimumHealthyPercent 100, deploymentCircuitBreaker {enable: false, rollback: false}.
  An UpdateService that gives part of it keeps the other parts.
- enableExecuteCommand and enableECSManagedTags are returned as false when not given.
- A service with a capacityProviderStrategy has no launchType (moto reports EC2).
- A second CreateService of an ACTIVE service name in the same cluster fails with
  InvalidParameterException "Creation of service was not idempotent." (moto replaces the service),
  unless it repeats the creation: the same `clientToken` and the same parameters. Then it answers
  the existing service and changes nothing (no new deployment). API Reference, CreateService,
  `clientToken`: "An identifier that you provide to ensure the idempotency of the request. It must
  be unique and is case sensitive. Up to 36 ASCII characters in the range of 33-126 (inclusive) are
  allowed." (a longer token or another character: InvalidParameterException, our message). moto
  ignores the token.
- ListServices does not list INACTIVE (deleted) services.
- UpdateService of an INACTIVE service fails with ServiceNotActiveException (moto updates it).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service

# CreateService request member -> moto Service attribute (the name moto's serializer reads).
PRESERVED_CREATE_FIELDS = {
    "capacityProviderStrategy": "capacity_provider_strategy",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableExecuteCommand": "enable_execute_command",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "propagateTags": "propagate_tags",
    "placementConstraints": "placement_constraints",
    "placementStrategy": "placement_strategy",
}
DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
# UpdateService parameters whose change makes ECS start new tasks, i.e. a new deployment
# (UpdateService API reference). desiredCount, deploymentConfiguration, healthCheckGracePeriodSeconds,
# propagateTags and the like change the service in place.
DEPLOYMENT_TRIGGERS = (
    "network_configuration",
    "load_balancers",
    "platform_version",
    "capacity_provider_strategy",
)


class ServiceNotActiveException(ECSException):
    """UpdateService of a deleted service, as ECS answers it."""

    def __init__(self) -> None:
        super().__init__("ServiceNotActiveException", "Service was not ACTIVE.")


def refuse_inactive(service: Service) -> None:
    if service.status != "ACTIVE":
        raise ServiceNotActiveException()


CLIENT_TOKEN = "ecsdeploy_client_token"
CREATE_REQUEST = "ecsdeploy_create_request"
MAX_CLIENT_TOKEN_LENGTH = 36


def create_request(params: dict[str, Any]) -> tuple[str | None, str]:
    """(clientToken, the other parameters in a comparable form) of a CreateService request."""
    others = dict(params)
    token = others.pop("clientToken", None)
    return token, json.dumps(others, sort_keys=True, default=str)


def check_client_token(token: Any) -> None:
    if token is None:
        return
    if (
        not isinstance(token, str)
        or not 0 < len(token) <= MAX_CLIENT_TOKEN_LENGTH
        or any(not 33 <= ord(character) <= 126 for character in token)
    ):
        raise InvalidParameterException(
            f"clientToken must be 1 to {MAX_CLIENT_TOKEN_LENGTH} ASCII characters in the range of 33-126."
        )


def refuse_duplicate(
    backend: EC2ContainerServiceBackend, cluster: str, service_name: str, params: dict[str, Any] | None = None
) -> Service | None:
    """None when no ACTIVE service has the name; the existing service when this request repeats its
    creation (same clientToken, same parameters); otherwise ECS's refusal."""
    token, request = create_request(params or {})
    check_client_token(token)
    cluster_name = cluster.split("/")[-1]
    existing = backend.services.get(f"{cluster_name}:{service_name}")
    if existing is None or existing.status not in ("ACTIVE", "DRAINING"):
        return None
    if token and getattr(existing, CLIENT_TOKEN, None) == token and getattr(existing, CREATE_REQUEST, None) == request:
        return existing
    raise InvalidParameterException("Creation of service was not idempotent.")


def remember_create_request(service: Service, params: dict[str, Any]) -> None:
    """Keeps the token and parameters that created `service`, for a repeated CreateService."""
    token, request = create_request(params)
    setattr(service, CLIENT_TOKEN, token)
    setattr(service, CREATE_REQUEST, request)


def apply_create_fields(service: Service, get_param: Callable[[str], Any]) -> None:
    """Stores what CreateService was given (and ECS's defaults) on the new moto Service."""
    for member, attribute in PRESERVED_CREATE_FIELDS.items():
        value = get_param(member)
        if value is not None:
            setattr(service, attribute, value)
    service.enable_execute_command = bool(getattr(service, "enable_execute_command", False))
    service.enable_ecs_managed_tags = bool(getattr(service, "enable_ecs_managed_tags", False))
    service.deployment_configuration = merge_deployment_configuration(
        DEFAULT_DEPLOYMENT_CONFIGURATION, get_param("deploymentConfiguration")
    )
    if getattr(service, "capacity_provider_strategy", None) and not get_param("launchType"):
        service.launch_type = None


def merge_deployment_configuration(
    previous: dict[str, Any] | None, given: dict[str, Any] | None
) -> dict[str, Any]:
    merged = copy.deepcopy(previous or DEFAULT_DEPLOYMENT_CONFIGURATION)
    for key, value in (given or {}).items():
        merged[key] = copy.deepcopy(value)
    for key, value in DEFAULT_DEPLOYMENT_CONFIGURATION.items():
        merged.setdefault(key, copy.deepcopy(value))
    return merged


def snapshot(service: Service) -> dict[str, Any]:
    """The service's deployment-relevant settings, to compare before and after an update."""
    return {name: copy.deepcopy(getattr(service, name, None)) for name in DEPLOYMENT_TRIGGERS}


def changed_deployment_settings(before: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """Which deployment-triggering parameters an UpdateService gave with a different value."""
    return [
        name
        for name in DEPLOYMENT_TRIGGERS
        if given.get(name) is not None and _normalised(given[name]) != _normalised(before.get(name))
    ]


def _normalised(value: Any) -> Any:
    """Order-insensitive form: subnets, security groups and strategies are sets to AWS."""
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted((_normalised(item) for item in value), key=repr)
    return value


def is_listed(service: Service) -> bool:
    return service.status != "INACTIVE"
