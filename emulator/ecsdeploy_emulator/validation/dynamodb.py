"""DynamoDB table protection: deletion protection's refusal, point-in-time recovery periods.

- DeleteTable of a table whose `DeletionProtectionEnabled` is true (CreateTable/UpdateTable API
  Reference, `DeletionProtectionEnabled`: "Indicates whether deletion protection is to be enabled
  (true) or disabled (false) on the table.") fails with ValidationException "Resource cannot be
  deleted as it is currently protected against deletion. Disable deletion protection first." (the
  message DynamoDB gives, as DynamoDB emulators and cleanup tools record it). moto 5.2.5 refused it
  too, with its own message ("1 validation error detected: Table 't' can't be deleted while
  DeletionProtectionEnabled is set to True"); only the message changes here.
- UpdateContinuousBackups `PointInTimeRecoverySpecification.RecoveryPeriodInDays` (API Reference,
  PointInTimeRecoverySpecification: "If no value is provided, the value will default to 35. ...
  Valid Range: Minimum value of 1. Maximum value of 35."): outside 1-35 is the constraint error
  (ValidationException). moto 5.2.5 stored any number.

moto already does the rest as DynamoDB does: DescribeTable's `DeletionProtectionEnabled` (false by
default), UpdateTable turning it on and off, DescribeContinuousBackups (`ContinuousBackupsStatus`
ENABLED, point-in-time recovery DISABLED until UpdateContinuousBackups enables it, then the period,
35 by default, and the restorable times), TableNotFoundException for an unknown table.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from .common import Wrap, before

PROTECTED = "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
MIN_RECOVERY_DAYS, MAX_RECOVERY_DAYS = 1, 35


def _delete_table(backend: DynamoDBBackend, arguments: dict[str, Any]) -> None:
    """DeleteTable: DynamoDB's refusal of a protected table."""
    try:
        table = backend.get_table(arguments.get("name"))
    except Exception:  # noqa: BLE001 - moto answers an unknown table itself
        return
    if isinstance(table, Table) and table.deletion_protection_enabled:
        raise MockValidationException(PROTECTED)


def _update_continuous_backups(backend: DynamoDBBackend, arguments: dict[str, Any]) -> None:
    """UpdateContinuousBackups: RecoveryPeriodInDays from 1 to 35."""
    specification = arguments.get("point_in_time_spec") or {}
    days = specification.get("RecoveryPeriodInDays")
    if days is None:
        return
    if isinstance(days, bool) or not isinstance(days, int):
        raise MockValidationException(
            f"1 validation error detected: Value '{days}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' "
            "failed to satisfy constraint: Member must be an integer"
        )
    for bound, broken, words in (
        (MIN_RECOVERY_DAYS, days < MIN_RECOVERY_DAYS, "greater than or equal to"),
        (MAX_RECOVERY_DAYS, days > MAX_RECOVERY_DAYS, "less than or equal to"),
    ):
        if broken:
            raise MockValidationException(
                f"1 validation error detected: Value '{days}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' "
                f"failed to satisfy constraint: Member must have value {words} {bound}"
            )


WRAPS: list[Wrap] = [
    (DynamoDBBackend, "delete_table", before(_delete_table)),
    (DynamoDBBackend, "update_continuous_backups", before(_update_continuous_backups)),
]
