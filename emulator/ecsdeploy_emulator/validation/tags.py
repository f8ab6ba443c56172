"""Tag keys starting with `aws:` are refused on the tagging calls ecsdeploy makes.

AWS reserves the prefix in every service, whatever its case:

- ECS API Reference, `Tag`: "Do not use aws:, AWS:, or any upper or lowercase combination of such
  as a prefix for either keys or values as it is reserved for Amazon Web Services use."
- Tagging AWS Resources (AWS General Reference / Tagging user guide), "Tag naming limits and
  requirements": the `aws:` prefix is reserved for AWS use, in any case combination.
- IAM User Guide, "Tagging IAM resources": "You cannot create a tag key or value that begins with
  the text aws:. This tag prefix is reserved for AWS internal use."
- ALB guide, "Tags for your Application Load Balancer" and the Secrets Manager TagResource
  reference: "Do not use the aws: prefix in your tag names or values because it is reserved for
  AWS use."

Only keys are checked (the brief for ecsdeploy; values with the prefix are documented as reserved
too, but services are known to accept some of them, so refusing them could be stricter than AWS).

Each service answers with the error its API reference lists for a bad tag parameter; AWS does not
document the message for this case, so the wording is ours:

| service | calls | error (HTTP 400) |
|---|---|---|
| ECS | TagResource, CreateCluster, CreateService, RegisterTaskDefinition | InvalidParameterException |
| ELBv2 | AddTags, CreateLoadBalancer, CreateTargetGroup, CreateListener, CreateRule | ValidationError |
| IAM | CreateRole, TagRole | InvalidInput |
| CloudWatch Logs | CreateLogGroup, TagResource, TagLogGroup | InvalidParameterException |
| ECR | CreateRepository, TagResource | InvalidTagParameterException |
| Secrets Manager | CreateSecret, TagResource | InvalidParameterException |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.exceptions import ServiceException
from moto.ecr.models import ECRBackend
from moto.ecs.exceptions import InvalidParameterException as EcsInvalidParameter
from moto.ecs.models import EC2ContainerServiceBackend
from moto.elbv2.exceptions import ValidationError as ElbValidationError
from moto.elbv2.models import ELBv2Backend
from moto.iam.exceptions import InvalidInput
from moto.iam.models import IAMBackend
from moto.logs.exceptions import InvalidParameterException as LogsInvalidParameter
from moto.logs.models import LogsBackend
from moto.secretsmanager.exceptions import InvalidParameterException as SecretsInvalidParameter
from moto.secretsmanager.models import SecretsManagerBackend

from .common import Wrap, before

RESERVED_PREFIX = "aws:"


class EcrInvalidTagParameter(ServiceException):
    """ECR's error for a tag it refuses (ECR API Reference, TagResource / CreateRepository)."""

    code = "InvalidTagParameterException"


def reserved_keys(tags: Any) -> list[str]:
    """The keys of `tags` (a list of `{Key|key, Value|value}` or a key->value dict) with the prefix."""
    if isinstance(tags, dict):
        keys = list(tags)
    else:
        keys = [tag.get("Key", tag.get("key")) for tag in tags or [] if isinstance(tag, dict)]
    return [key for key in keys if isinstance(key, str) and key.lower().startswith(RESERVED_PREFIX)]


def message(key: str) -> str:
    return f"Tag key '{key}' is not allowed: tag keys starting with 'aws:' are reserved for AWS use."


def _refusing(error: Callable[[str], Exception], parameter: str = "tags") -> Any:
    def check(_backend: Any, arguments: dict[str, Any]) -> None:
        keys = reserved_keys(arguments.get(parameter))
        if keys:
            raise error(message(keys[0]))

    check.__doc__ = f"Refuses `aws:` tag keys in `{parameter}`."
    return before(check)


_ECS = _refusing(EcsInvalidParameter)
_ELB = _refusing(ElbValidationError)
_IAM = _refusing(InvalidInput)
_LOGS = _refusing(LogsInvalidParameter)
_ECR = _refusing(EcrInvalidTagParameter)
_SECRETS = _refusing(SecretsInvalidParameter)

WRAPS: list[Wrap] = [
    (EC2ContainerServiceBackend, "tag_resource", _ECS),
    (EC2ContainerServiceBackend, "create_cluster", _ECS),
    (EC2ContainerServiceBackend, "create_service", _ECS),
    (EC2ContainerServiceBackend, "register_task_definition", _ECS),
    (ELBv2Backend, "add_tags", _ELB),
    (ELBv2Backend, "create_load_balancer", _ELB),
    (ELBv2Backend, "create_target_group", _ELB),
    (ELBv2Backend, "create_listener", _ELB),
    (ELBv2Backend, "create_rule", _ELB),
    (IAMBackend, "create_role", _IAM),
    (IAMBackend, "tag_role", _IAM),
    (LogsBackend, "create_log_group", _LOGS),
    (LogsBackend, "tag_resource", _LOGS),
    (LogsBackend, "tag_log_group", _LOGS),
    (ECRBackend, "create_repository", _ECR),
    (ECRBackend, "tag_resource", _ECR),
    (SecretsManagerBackend, "create_secret", _SECRETS),
    (SecretsManagerBackend, "tag_resource", _SECRETS),
]
