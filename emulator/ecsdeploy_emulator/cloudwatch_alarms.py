"""CloudWatch alarms as CloudWatch keeps them, where moto 5.2.5 differs (any protocol).

CloudWatch API Reference:

- DescribeAlarms `AlarmTypes`: "If you omit this parameter, only metric alarms are returned, even if
  composite alarms or log alarms exist"; otherwise the types named. moto returned both kinds always.
- DescribeAlarms pages: at most `MaxRecords` (1-100) alarms per answer and a `NextToken` when more
  follow; an unknown token is `InvalidNextToken` (400). moto returned every alarm and ignored both.
  `MaxRecords` outside 1-100 (the model's "Valid Range: Minimum value of 1. Maximum value of 100.")
  is the constraint error, ValidationError `1 validation error detected: Value '0' at 'maxRecords'
  failed to satisfy constraint: Member must have value greater than or equal to 1` (moto took 0
  as "no limit" and any larger number as it came).
  Alarms come in name order, and a token marks the name after which the next page starts.
- PutMetricAlarm of an existing alarm: "any tags you specify in this parameter are ignored. To change
  the tags of an existing alarm, use TagResource or UntagResource." moto merged them.
- DeleteAlarms: the alarm's tags go with it (an alarm re-created under the same name starts
  untagged). moto kept them.

Guessed, not documented: the page size when `MaxRecords` is absent (50 here).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from moto.cloudwatch.exceptions import CloudWatchException, ValidationError
from moto.cloudwatch.models import CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

DEFAULT_MAX_RECORDS = 50
MIN_MAX_RECORDS, MAX_MAX_RECORDS = 1, 100
METRIC_ALARM = "MetricAlarm"
COMPOSITE_ALARM = "CompositeAlarm"
# A token is base64 of this mark and the last name of the page before.
TOKEN_MARK = "after:"


class InvalidNextToken(CloudWatchException):
    code = "InvalidNextToken"


def describe_alarms(original: Any, response: CloudWatchResponse) -> ActionResult:
    """DescribeAlarms: moto's filters (names, prefix, state, action prefix), then types and a page."""
    max_records = response._get_param("MaxRecords")
    if max_records is not None and not MIN_MAX_RECORDS <= max_records <= MAX_MAX_RECORDS:
        bound = (
            f"greater than or equal to {MIN_MAX_RECORDS}"
            if max_records < MIN_MAX_RECORDS
            else f"less than or equal to {MAX_MAX_RECORDS}"
        )
        raise ValidationError(
            f"1 validation error detected: Value '{max_records}' at 'maxRecords' failed to satisfy constraint: "
            f"Member must have value {bound}"
        )
    answer = original(response).result
    types = response._get_param("AlarmTypes") or [METRIC_ALARM]
    alarms = []
    if METRIC_ALARM in types:
        alarms += list(answer["MetricAlarms"])
    if COMPOSITE_ALARM in types:
        alarms += list(answer["CompositeAlarms"])
    alarms.sort(key=lambda alarm: alarm.name)

    token = response._get_param("NextToken")
    if token:
        after = _decode_token(token)
        alarms = [alarm for alarm in alarms if alarm.name > after]
    page = alarms[: max_records or DEFAULT_MAX_RECORDS]
    result: dict[str, Any] = {
        "MetricAlarms": [alarm for alarm in page if alarm.rule is None],
        "CompositeAlarms": [alarm for alarm in page if alarm.rule is not None],
    }
    if len(alarms) > len(page):
        result["NextToken"] = _encode_token(page[-1].name)
    return ActionResult(result)


def put_metric_alarm(original: Any, backend: CloudWatchBackend, *args: Any, **kwargs: Any) -> Any:
    """PutMetricAlarm: the tags of an update are ignored (moto's callers pass keywords only)."""
    if not args and kwargs.get("name") in backend.alarms:
        kwargs["tags"] = None
    return original(backend, *args, **kwargs)


def delete_alarms(original: Any, backend: CloudWatchBackend, alarm_names: list[str]) -> None:
    """DeleteAlarms: each deleted alarm's tags are deleted with it."""
    arns = [backend.alarms[name].alarm_arn for name in alarm_names if name in backend.alarms]
    original(backend, alarm_names)
    for arn in arns:
        backend.tagger.delete_all_tags_for_resource(arn)


def _encode_token(last_name: str) -> str:
    return base64.urlsafe_b64encode(f"{TOKEN_MARK}{last_name}".encode()).decode("ascii")


def _decode_token(token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not text.startswith(TOKEN_MARK):
        raise InvalidNextToken("The next token specified is invalid.")
    return text[len(TOKEN_MARK) :]
