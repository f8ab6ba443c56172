"""IAM role names and inline role policy size, as AWS refuses them and moto 5.2.5 does not.

- CreateRole `RoleName`: IAM API Reference, CreateRole: "Length Constraints: Minimum length of 1.
  Maximum length of 64. Pattern: [\\w+=,.@-]+"; IAM User Guide, "IAM and AWS STS quotas": "Role
  name: 64 characters". AWS answers the constraint error (ValidationError, 400)
  `1 validation error detected: Value '<name>' at 'roleName' failed to satisfy constraint: Member
  must have length less than or equal to 64` (or `... Member must satisfy regular expression
  pattern: [\\w+=,.@-]+`).
- PutRolePolicy: "IAM and AWS STS quotas", inline policies: "You can add as many inline policies
  as you want to an IAM user, role, or group. But the total aggregate policy size (the sum size of
  all inline policies) per entity cannot exceed the following quotas: ... Role policy size cannot
  exceed 10,240 characters." and "IAM does not count white space when calculating the size of a
  policy against these quotas." A PutRolePolicy that replaces a policy of the same name replaces
  its size. AWS answers LimitExceeded (HTTP 409) `Maximum policy size of 10240 bytes exceeded for
  role <name>`.

Not modelled: the role trust policy length quota (2,048 characters, adjustable): how IAM counts it
is not documented (whitespace and encoding) and a stricter count than AWS's would refuse what AWS
accepts.
"""

from __future__ import annotations

import re
from typing import Any

from moto.iam.exceptions import LimitExceededException, ValidationError
from moto.iam.models import IAMBackend

from .common import Wrap, before

MAX_ROLE_NAME = 64
ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]+$", re.ASCII)
ROLE_POLICY_SIZE_QUOTA = 10240
_WHITESPACE = re.compile(r"\s+")


def _create_role(_backend: IAMBackend, arguments: dict[str, Any]) -> None:
    """CreateRole: RoleName of 1-64 characters of [\\w+=,.@-]."""
    name = str(arguments.get("role_name") or "")
    if len(name) > MAX_ROLE_NAME:
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_ROLE_NAME}"
        )
    if name and not ROLE_NAME_PATTERN.match(name):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        )


def policy_size(document: str) -> int:
    """A policy's size as IAM counts it against its quotas: characters other than white space."""
    return len(_WHITESPACE.sub("", document))


def _put_role_policy(backend: IAMBackend, arguments: dict[str, Any]) -> None:
    """PutRolePolicy: the role's inline policies together stay within 10,240 characters."""
    role_name = str(arguments.get("role_name") or "")
    try:
        role = backend.get_role(role_name)
    except Exception:  # an unknown role: moto's NoSuchEntity stays
        return
    policy_name = arguments.get("policy_name")
    others = sum(policy_size(str(document)) for name, document in role.policies.items() if name != policy_name)
    if others + policy_size(str(arguments.get("policy_json") or "")) > ROLE_POLICY_SIZE_QUOTA:
        raise LimitExceededException(
            f"Maximum policy size of {ROLE_POLICY_SIZE_QUOTA} bytes exceeded for role {role.name}"
        )


WRAPS: list[Wrap] = [
    (IAMBackend, "create_role", before(_create_role)),
    (IAMBackend, "put_role_policy", before(_put_role_policy)),
]
