"""ECS requests ecsdeploy sends, refused where AWS refuses them and moto 5.2.5 does not.

RegisterTaskDefinition (ClientException, 400):

- Task size on Fargate. ECS API Reference, RegisterTaskDefinition `cpu`/`memory`, and the
  Developer Guide, "Troubleshoot Amazon ECS task definition invalid CPU or memory errors": "For
  task definitions that specify FARGATE for the requiresCompatibilities parameter (even if EC2 is
  also specified), you must use one of the values in the following table": 256 (.25 vCPU) with
  512, 1024, 2048 MiB; 512 with 1-4 GB; 1024 with 2-8 GB; 2048 with 4-16 GB in 1 GB steps; 4096
  with 8-30 GB in 1 GB steps; 8192 with 16-60 GB in 4 GB steps; 16384 with 32-120 GB in 8 GB
  steps. cpu may be given in units or as "1 vCPU", memory in MiB or as "2 GB" ("converted to an
  integer ... when the task definition is registered"). AWS answers `No Fargate configuration
  exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS documentation for the valid
  values.`; a cpu it cannot read `Invalid 'cpu' setting for task.` (the troubleshooting page); a
  missing one `Fargate requires that 'cpu' be defined at the task level.` (and 'memory').
- `secrets[].valueFrom`. Developer Guide, "Pass Secrets Manager secrets through Amazon ECS
  environment variables": the full syntax is
  `arn:aws:secretsmanager:region:aws_account_id:secret:secret-name:json-key:version-stage:version-id`;
  "These parameters are optional, but if you do not use them, you must include the colons : to
  use the default values" (so `<arn>:key::`); "If a version staging label is specified, you cannot
  specify a version ID". The ARN may be the full one (name + `-` + 6 characters) or a partial one
  (the name alone, as the Secrets Manager API accepts it): both are accepted. A Secrets Manager ARN
  that is not `secret:<name>` or `secret:<name>:<key>:<stage>:<id>` is refused with ECS's ARN
  message `Invalid arn syntax.` (the message ECS gives RegisterTaskDefinition ARNs it cannot
  parse; AWS does not document which ARN checks happen at registration). A `valueFrom` that is not
  an ARN names a Systems Manager parameter (ContainerDefinition `secrets`/`Secret.valueFrom`: "If
  the SSM Parameter Store parameter exists in the same Region as the task you're launching, then
  you can use either the full ARN or name of the parameter"); a name that cannot be one (a secret
  name with `:key::`, say) is ECS's `The Systems Manager parameter name specified for secret X is
  invalid. The parameter name can be up to 2048 characters and include the following letters and
  symbols: a-zA-Z0-9_.-`.
- Secrets need the execution role: Developer Guide, "Amazon ECS task execution IAM role" (the
  role is needed when tasks reference Secrets Manager secrets or Parameter Store parameters);
  AWS: `When you are specifying container secrets, you must also specify a value for
  'executionRoleArn'.`

CreateService / UpdateService (InvalidParameterException, 400):

- CreateService `launchType`: "If a launchType is specified, the capacityProviderStrategy
  parameter must be omitted." AWS: `Specifying both a launch type and capacity provider strategy
  is not supported. Remove one and try again.`
- `loadBalancers[].targetGroupArn` of a target group no listener or listener rule forwards to
  (ELBv2 `TargetGroup.LoadBalancerArns` empty): `The target group with targetGroupArn <arn> does
  not have an associated load balancer.` (also on UpdateService with loadBalancers).
- ECS API Reference, `LoadBalancer`: containerName is "The name of the container (as it appears in
  a container definition)"; containerPort "must correspond to a containerPort in the task
  definition the tasks in the service are using". AWS: `The container <name> does not exist in the
  task definition.` / `The container <name> did not have a container port <port> defined.` Checked
  on CreateService, and on UpdateService against the task definition the service will run (the
  new one if given) and the load balancers it will use (the new ones if given).
"""

from __future__ import annotations

import re
from typing import Any

from moto.ecs.exceptions import EcsClientException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.models import ELBv2Backend, elbv2_backends

from .common import Wrap, before

# Fargate task sizes: cpu units -> allowed memory (MiB).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
_CPU = re.compile(r"^\s*(\d*\.?\d+)\s*(vcpu)?\s*$", re.IGNORECASE)
_MEMORY = re.compile(r"^\s*(\d*\.?\d+)\s*(gb)?\s*$", re.IGNORECASE)
_SSM_PARAMETER_NAME = re.compile(r"^[a-zA-Z0-9_.\-/]{1,2048}$")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
SSM_NAME_RULE = (
    "The parameter name can be up to 2048 characters and include the following letters and symbols: a-zA-Z0-9_.-"
)


# --- RegisterTaskDefinition -------------------------------------------------------------------


def _units(value: Any, pattern: re.Pattern[str], scale_unit: int) -> int | None:
    match = pattern.match(str(value))
    if match is None:
        return None
    number = float(match.group(1))
    if match.group(2):
        number *= scale_unit
    return int(number) if number == int(number) else None


def check_fargate_size(cpu: Any, memory: Any) -> None:
    if cpu in (None, ""):
        raise EcsClientException("Fargate requires that 'cpu' be defined at the task level.")
    if memory in (None, ""):
        raise EcsClientException("Fargate requires that 'memory' be defined at the task level.")
    cpu_units = _units(cpu, _CPU, 1024)
    if cpu_units is None:
        raise EcsClientException("Invalid 'cpu' setting for task.")
    memory_mib = _units(memory, _MEMORY, 1024)
    if memory_mib is None:
        raise EcsClientException("Invalid 'memory' setting for task.")
    if memory_mib not in FARGATE_SIZES.get(cpu_units, ()):
        raise EcsClientException(
            f"No Fargate configuration exists for given values: {cpu_units} CPU, {memory_mib} memory. "
            "See the Amazon ECS documentation for the valid values."
        )


def check_secret_value_from(name: str, value_from: Any) -> None:
    value = str(value_from or "")
    if not value.startswith("arn:"):
        if not _SSM_PARAMETER_NAME.match(value):
            raise EcsClientException(
                f"The Systems Manager parameter name specified for secret {name} is invalid. {SSM_NAME_RULE}"
            )
        return
    parts = value.split(":")
    if len(parts) < 6 or not all(parts[1:3]) or not parts[5]:
        raise EcsClientException("Invalid arn syntax.")
    if parts[2] != "secretsmanager":
        return
    _, _, _, region, account, kind, *rest = parts
    well_formed = (
        kind == "secret"
        and len(rest) in (1, 4)
        and bool(_SECRET_NAME.match(rest[0]))
        and bool(_REGION.match(region))
        and bool(_ACCOUNT.match(account))
    )
    if not well_formed:
        raise EcsClientException("Invalid arn syntax.")
    if len(rest) == 4:
        _name, _json_key, version_stage, version_id = rest
        if version_stage and version_id:
            raise EcsClientException(
                f"Invalid secret {name}: a version stage and a version id cannot both be specified."
            )


def _register_task_definition(_backend: EC2ContainerServiceBackend, arguments: dict[str, Any]) -> None:
    """RegisterTaskDefinition: Fargate task sizes, secret references, execution role for secrets."""
    if "FARGATE" in (arguments.get("requires_compatibilities") or []):
        check_fargate_size(arguments.get("cpu"), arguments.get("memory"))
    containers = [c for c in arguments.get("container_definitions") or [] if isinstance(c, dict)]
    secrets = [s for c in containers for s in c.get("secrets") or [] if isinstance(s, dict)]
    if secrets and not arguments.get("execution_role_arn"):
        raise EcsClientException(
            "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."
        )
    for secret in secrets:
        check_secret_value_from(str(secret.get("name", "")), secret.get("valueFrom"))


# --- CreateService / UpdateService ------------------------------------------------------------


def _elbv2(backend: EC2ContainerServiceBackend) -> ELBv2Backend:
    return elbv2_backends[backend.account_id][backend.region_name]


def _is_associated(elbv2: ELBv2Backend, target_group_arn: str) -> bool:
    """Whether a listener's default actions or a listener rule forward to the target group."""
    for load_balancer in elbv2.load_balancers.values():
        for listener in load_balancer.listeners.values():
            for rule in listener.rules.values():
                for action in rule.actions:
                    if target_group_arn in elbv2._get_target_group_arns_from(action_data=action.data):
                        return True
    return False


def check_target_groups(backend: EC2ContainerServiceBackend, load_balancers: Any) -> None:
    elbv2 = _elbv2(backend)
    for binding in load_balancers or []:
        arn = binding.get("targetGroupArn") if isinstance(binding, dict) else None
        if not arn or arn not in elbv2.target_groups:
            continue  # no target group, or an unknown one: moto's own handling stays
        if not _is_associated(elbv2, arn):
            raise InvalidParameterException(
                f"The target group with targetGroupArn {arn} does not have an associated load balancer."
            )


def check_containers(task_definition: TaskDefinition, load_balancers: Any) -> None:
    containers = {c.get("name"): c for c in task_definition.container_definitions or [] if isinstance(c, dict)}
    for binding in load_balancers or []:
        if not isinstance(binding, dict) or binding.get("containerName") is None:
            continue
        name = binding["containerName"]
        container = containers.get(name)
        if container is None:
            raise InvalidParameterException(f"The container {name} does not exist in the task definition.")
        port = binding.get("containerPort")
        ports = {int(m["containerPort"]) for m in container.get("portMappings") or [] if m.get("containerPort")}
        if port is not None and int(port) not in ports:
            raise InvalidParameterException(f"The container {name} did not have a container port {port} defined.")


def _task_definition(backend: EC2ContainerServiceBackend, reference: Any) -> TaskDefinition | None:
    if not reference:
        return None
    try:
        return backend.describe_task_definition(str(reference))
    except Exception:  # an unknown task definition: moto's own error stays
        return None


def create_service(original: Any, response: EC2ContainerServiceResponse) -> Any:
    """CreateService: launchType with capacityProviderStrategy, load balancer bindings."""
    if response._get_param("launchType") and response._get_param("capacityProviderStrategy"):
        raise InvalidParameterException(
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."
        )
    load_balancers = response._get_param("loadBalancers")
    if load_balancers:
        backend = response.ecs_backend
        check_target_groups(backend, load_balancers)
        task_definition = _task_definition(backend, response._get_param("taskDefinition"))
        if task_definition is not None:
            check_containers(task_definition, load_balancers)
    return original(response)


def _update_service(backend: EC2ContainerServiceBackend, arguments: dict[str, Any]) -> None:
    """UpdateService: load balancer bindings against the task definition the service will run."""
    properties = arguments.get("service_properties") or {}
    new_load_balancers = properties.get("load_balancers")
    new_task_definition = properties.get("task_definition")
    if not new_load_balancers and not new_task_definition:
        return
    try:
        service = backend._get_service(properties.get("cluster", "default"), str(properties["service"]).split("/")[-1])
    except Exception:  # unknown cluster or service: moto's own error stays
        return
    if new_load_balancers:
        check_target_groups(backend, new_load_balancers)
    task_definition = _task_definition(backend, new_task_definition or service.task_definition)
    if task_definition is not None:
        check_containers(task_definition, new_load_balancers or service.load_balancers)


def _create_service(original: Any, response: EC2ContainerServiceResponse, *args: Any, **kwargs: Any) -> Any:
    return create_service(original, response)


_create_service.__doc__ = create_service.__doc__

WRAPS: list[Wrap] = [
    (EC2ContainerServiceBackend, "register_task_definition", before(_register_task_definition)),
    (EC2ContainerServiceResponse, "create_service", _create_service),
    (EC2ContainerServiceBackend, "update_service", before(_update_service)),
]
