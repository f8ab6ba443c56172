"""ELBv2 listener rules: priority range and the per-rule condition limits, as AWS refuses them.

moto 5.2.5 accepts any priority and any number of condition values. AWS (ValidationError, 400):

- Priority: ELBv2 API Reference, CreateRule / RulePriorityPair: "Priority ... Valid Range: Minimum
  value of 1. Maximum value of 50000." Out of range is the service's constraint error,
  `1 validation error detected: Value '0' at 'priority' failed to satisfy constraint: Member must
  have value greater than or equal to 1` (SetRulePriorities: at
  'rulePriorities.N.member.priority').
- Condition values: ALB guide, "Quotas for your Application Load Balancers": "Condition values per
  rule: 5", "Match evaluations per rule: 5"; "Condition types for listener rules": "You can
  specify up to five match evaluations per rule. For example, you can create a rule with five
  conditions where each condition has one match evaluation." Every value of every condition
  counts (Values, RegexValues, each query-string key/value pair, the legacy top-level Values).
  AWS answers `A rule can only have '5' condition values and regex values` (the message seen from
  CreateRule since regex conditions exist; before: `A rule can only have '5' condition values`).
- Wildcards: "Condition types for listener rules": "You can include wildcard characters in the
  match evaluations for the http-header, host-header, path-pattern, and query-string conditions.
  There is a limit of five wildcard characters per rule." (`*` and `?`; a query-string value's
  escaped `\\*` and `\\?` are literal characters, not wildcards). The message is ours: AWS does not
  document it.

Not enforced: "up to three match evaluations per condition" (same guide): AWS accepts five
path patterns in one condition (the CloudFormation linter and the CDK refuse only a sixth), so
the per-rule limit is the one AWS applies to what ecsdeploy sends.
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.exceptions import ValidationError
from moto.elbv2.models import ELBv2Backend

from .common import Wrap, before

MIN_PRIORITY, MAX_PRIORITY = 1, 50000
MAX_CONDITION_VALUES = 5
MAX_WILDCARDS = 5
CONFIG_OF_FIELD = {
    "host-header": "HostHeaderConfig",
    "path-pattern": "PathPatternConfig",
    "http-header": "HttpHeaderConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "query-string": "QueryStringConfig",
    "source-ip": "SourceIpConfig",
}
WILDCARD_FIELDS = {"host-header", "path-pattern", "http-header", "query-string"}


def check_priority(priority: Any, where: str) -> None:
    try:
        value = int(priority)
    except (TypeError, ValueError):
        return  # moto's own handling of a missing or non-numeric priority stays
    if value < MIN_PRIORITY:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {MIN_PRIORITY}"
        )
    if value > MAX_PRIORITY:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_PRIORITY}"
        )


def _matched_strings(condition: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(every match evaluation of the condition, the ones whose `*`/`?` are wildcards)."""
    field = condition.get("Field")
    values: list[str] = [str(value) for value in condition.get("Values") or []]
    wildcard_values = list(values)
    config = condition.get(CONFIG_OF_FIELD.get(str(field), ""), None) or {}
    if field == "query-string":
        for pair in config.get("Values") or []:
            values.append(f"{pair.get('Key', '')}={pair.get('Value', '')}")
            wildcard_values += [str(pair.get("Key") or ""), str(pair.get("Value") or "")]
    else:
        plain = [str(value) for value in config.get("Values") or []]
        values += plain
        wildcard_values += plain
    values += [str(value) for value in config.get("RegexValues") or []]
    return values, (wildcard_values if field in WILDCARD_FIELDS else [])


def _wildcards(text: str) -> int:
    count, escaped = 0, False
    for character in text:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character in "*?":
            count += 1
    return count


def check_conditions(conditions: Any) -> None:
    values: list[str] = []
    wildcards = 0
    for condition in conditions or []:
        if not isinstance(condition, dict):
            continue
        matched, with_wildcards = _matched_strings(condition)
        values += matched
        wildcards += sum(_wildcards(text) for text in with_wildcards)
    if len(values) > MAX_CONDITION_VALUES:
        raise ValidationError(f"A rule can only have '{MAX_CONDITION_VALUES}' condition values and regex values")
    if wildcards > MAX_WILDCARDS:
        raise ValidationError(
            f"A rule can only have '{MAX_WILDCARDS}' wildcards ('*' or '?') in its conditions; it has {wildcards}"
        )


def _create_rule(_backend: ELBv2Backend, arguments: dict[str, Any]) -> None:
    """CreateRule: priority 1-50000, at most 5 condition values and 5 wildcards."""
    check_priority(arguments.get("priority"), "priority")
    check_conditions(arguments.get("conditions"))


def _modify_rule(_backend: ELBv2Backend, arguments: dict[str, Any]) -> None:
    """ModifyRule: at most 5 condition values and 5 wildcards."""
    check_conditions(arguments.get("conditions"))


def _set_rule_priorities(_backend: ELBv2Backend, arguments: dict[str, Any]) -> None:
    """SetRulePriorities: every priority 1-50000."""
    for index, pair in enumerate(arguments.get("rule_priorities") or [], start=1):
        if isinstance(pair, dict):
            check_priority(pair.get("Priority"), f"rulePriorities.{index}.member.priority")


WRAPS: list[Wrap] = [
    (ELBv2Backend, "create_rule", before(_create_rule)),
    (ELBv2Backend, "modify_rule", before(_modify_rule)),
    (ELBv2Backend, "set_rule_priorities", before(_set_rule_priorities)),
]
