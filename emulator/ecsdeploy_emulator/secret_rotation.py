"""Secrets Manager RotateSecret with ``RotateImmediately=false``, as AWS behaves.

moto's RotateSecret always invokes the rotation Lambda function (which needs Docker, and fails
with HTTP 500 here), even when the caller asks only to configure rotation, and it leaves an
AWSPENDING version behind and keeps only ``AutomaticallyAfterDays`` of the rules. AWS, with
``RotateImmediately=false``:

- refuses a function it cannot find (ResourceNotFoundException) and a secret marked deleted;
- runs only the function's ``testSecret`` step (the emulator runs no code: it checks that the
  function exists), keeps no new version, and changes no staging label;
- stores ``ScheduleExpression``, ``AutomaticallyAfterDays`` and ``Duration`` as given (not both a
  schedule and a day count) and turns rotation on.

With ``RotateImmediately=true`` (the default) moto's own behaviour stays.
"""

from __future__ import annotations

import time
from typing import Any

from moto.secretsmanager.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceNotFoundException,
    SecretNotFoundException,
)
from moto.secretsmanager.models import FakeSecret, ReplicaSecret, SecretsManagerBackend

from .locking import EXTENSION_LOCK

_RULES = "_ecsdeploy_rotation_rules"


def install() -> None:
    original_rotate = SecretsManagerBackend.rotate_secret
    original_to_dict = FakeSecret.to_dict

    def rotate_secret(
        self: SecretsManagerBackend,
        secret_id: str,
        client_request_token: str | None = None,
        rotation_lambda_arn: str | None = None,
        rotation_rules: dict[str, Any] | None = None,
        rotate_immediately: bool = True,
    ) -> str:
        if rotate_immediately:
            # moto's own path keeps only the day count: the rules stored here no longer apply.
            secret = self.secrets.get(secret_id) if self._is_valid_identifier(secret_id) else None
            if secret is not None and hasattr(secret, _RULES):
                delattr(secret, _RULES)
            return original_rotate(
                self, secret_id, client_request_token, rotation_lambda_arn, rotation_rules, rotate_immediately
            )
        with EXTENSION_LOCK:
            return _configure_rotation(self, secret_id, rotation_lambda_arn, rotation_rules or {})

    def to_dict(self: FakeSecret) -> dict[str, Any]:
        result = original_to_dict(self)
        rules = getattr(self, _RULES, None)
        if rules is not None and "RotationRules" in result:
            result["RotationRules"] = dict(rules)
        return result

    rotate_secret.__doc__ = original_rotate.__doc__
    SecretsManagerBackend.rotate_secret = rotate_secret
    FakeSecret.to_dict = to_dict


def _configure_rotation(
    backend: SecretsManagerBackend, secret_id: str, lambda_arn: str | None, rules: dict[str, Any]
) -> str:
    if not backend._is_valid_identifier(secret_id):
        raise SecretNotFoundException()
    secret = backend.secrets[secret_id]
    if isinstance(secret, ReplicaSecret):
        raise InvalidRequestException("You can't rotate a replica secret.")
    if secret.is_deleted():
        raise InvalidRequestException(
            "You tried to perform the operation on a secret that's currently marked deleted."
        )
    days = rules.get("AutomaticallyAfterDays")
    expression = rules.get("ScheduleExpression")
    if days is not None and expression is not None:
        raise InvalidParameterException(
            "You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules."
        )
    if days is not None and not 1 <= int(days) <= 1000:
        raise InvalidParameterException("RotationRules.AutomaticallyAfterDays must be within 1-1000.")
    if days is None and expression is None and not getattr(secret, _RULES, None) and not secret.auto_rotate_after_days:
        raise InvalidParameterException("RotationRules must include AutomaticallyAfterDays or ScheduleExpression.")
    function = lambda_arn or secret.rotation_lambda_arn
    if not function:
        raise InvalidRequestException("No Lambda rotation function ARN is associated with this secret.")
    _require_function(backend, function)

    stored = {key: value for key, value in rules.items() if key in ("AutomaticallyAfterDays", "ScheduleExpression", "Duration")}
    if not stored:
        stored = dict(getattr(secret, _RULES, None) or {"AutomaticallyAfterDays": secret.auto_rotate_after_days})
    setattr(secret, _RULES, stored)
    secret.rotation_requested = True
    secret.rotation_enabled = True
    secret.rotation_lambda_arn = function
    secret.auto_rotate_after_days = int(stored.get("AutomaticallyAfterDays", 0) or 0)
    if secret.auto_rotate_after_days:
        secret.next_rotation_date = int(time.time()) + secret.auto_rotate_after_days * 86400
    return secret.to_short_dict()


def _require_function(backend: SecretsManagerBackend, function: str) -> None:
    from moto.awslambda.utils import get_backend

    lambda_backend = get_backend(backend.account_id, backend.region_name)
    try:
        lambda_backend.get_function(function)
    except Exception as error:  # moto raises several kinds for an unknown function
        raise ResourceNotFoundException(f"Resource not found for ARN '{function}'.") from error
