"""CloudWatch Logs PutRetentionPolicy: only the retention periods AWS offers.

CloudWatch Logs API Reference, PutRetentionPolicy `retentionInDays`: "The number of days to retain
the log events in the specified log group. Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120,
150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, and 3653." Any other value is
the service's constraint error, InvalidParameterException (400): `1 validation error detected:
Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set:
[1, 3, 5, ...]`. moto 5.2.5 stores any number.
"""

from __future__ import annotations

from typing import Any

from moto.logs.exceptions import InvalidParameterException
from moto.logs.models import LogsBackend

from .common import Wrap, before

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


def _put_retention_policy(_backend: LogsBackend, arguments: dict[str, Any]) -> None:
    """PutRetentionPolicy: retentionInDays is one of the periods CloudWatch Logs offers."""
    days = arguments.get("retention_in_days")
    try:
        valid = int(days) in RETENTION_DAYS and float(days) == int(days)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        allowed = ", ".join(str(value) for value in RETENTION_DAYS)
        raise InvalidParameterException(
            msg=(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{allowed}]"
            )
        )


WRAPS: list[Wrap] = [(LogsBackend, "put_retention_policy", before(_put_retention_policy))]
