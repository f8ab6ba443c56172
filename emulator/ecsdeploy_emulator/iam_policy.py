"""A small IAM policy evaluator: what a task's execution role may do when ECS starts the task.

Enough of the IAM policy language for the calls ECS (the Fargate agent) makes with the task
execution role, and no more. AWS: IAM User Guide, "Policy evaluation logic" and "IAM JSON policy
elements reference":

- Statements: `Effect` Allow/Deny; `Action`/`NotAction` and `Resource`/`NotResource` as a string or
  a list, with the wildcards `*` (any run of characters) and `?` (one character); actions match
  case-insensitively ("Action ... values are not case sensitive"), resources case-sensitively.
- `Condition`: every operator block must hold, every key within a block must hold, and a key holds
  when any of its values matches ("If you specify multiple values for a single key, the key is
  evaluated using a logical OR"). Operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
  StringNotEqualsIgnoreCase, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals,
  ArnNotLike, Bool, Null, each with `...IfExists`, and the `ForAnyValue:`/`ForAllValues:` set
  prefixes. A key missing from the request context fails a positive operator, satisfies a negated
  one and any `...IfExists` ("If the key that you specify in a policy condition is not present in the
  request context, the values do not match"). Policy variables (`${aws:username}`) are not
  substituted: they match only themselves, which can only deny more.
- An operator this evaluator does not know makes an Allow statement not apply and a Deny statement
  apply: never kinder than AWS.
- Decision: an explicit Deny in any policy wins; otherwise an Allow is needed ("By default, all
  requests are implicitly denied").

Resource-based policies (a secret's policy, a KMS key policy, an ECR repository policy) also match
the `Principal`/`NotPrincipal` element against the calling role (see `principal_matches`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

ALLOW, DENY, NOT_APPLICABLE = "Allow", "Deny", "NotApplicable"
ContextValue = str | Sequence[str]


@dataclass(frozen=True)
class Request:
    """One API call as IAM sees it: the action, the resource ARN and the request context keys."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Principal:
    """The caller: an IAM role of an account (a task's execution role, as an assumed-role session)."""

    account_id: str
    role_arn: str
    session_arn: str


def parse(document: str | Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The statements of a policy document (a JSON string, URL-decoded, or a dict)."""
    if document is None:
        return []
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:  # IAM hands documents out URL-encoded
            document = json.loads(unquote(document))
    statements = document.get("Statement", []) if isinstance(document, Mapping) else []
    if isinstance(statements, Mapping):
        statements = [statements]
    return [statement for statement in statements if isinstance(statement, dict)]


def evaluate(statements: Iterable[Mapping[str, Any]], request: Request, principal: Principal | None = None) -> str:
    """ALLOW, DENY (an explicit Deny matched) or NOT_APPLICABLE (no statement allows).

    With `principal`, statements are matched against it too (resource-based policies)."""
    allowed = False
    for statement in statements:
        effect = statement.get("Effect")
        if effect not in (ALLOW, DENY):
            continue
        if principal is not None and not _principal_applies(statement, principal):
            continue
        if not _action_applies(statement, request.action) or not _resource_applies(statement, request.resource):
            continue
        conditions = _conditions_hold(statement.get("Condition"), request.context, is_deny=effect == DENY)
        if not conditions:
            continue
        if effect == DENY:
            return DENY
        allowed = True
    return ALLOW if allowed else NOT_APPLICABLE


def principal_matches(statement: Mapping[str, Any], principal: Principal) -> str | None:
    """How a resource-policy statement names the caller: "direct" (the role or its session, or `*`),
    "account" (the caller's account: the account's IAM policies decide), or None."""
    value = statement.get("Principal")
    if value is None:
        return None
    if value == "*":
        return "direct"
    if not isinstance(value, Mapping):
        return None
    names = _as_list(value.get("AWS"))
    best = None
    for name in names:
        if name == "*" or name in (principal.role_arn, principal.session_arn):
            return "direct"
        if name in (principal.account_id, f"arn:aws:iam::{principal.account_id}:root"):
            best = "account"
    return best


def _principal_applies(statement: Mapping[str, Any], principal: Principal) -> bool:
    if "NotPrincipal" not in statement:
        return principal_matches(statement, principal) is not None
    # NotPrincipal: every principal but the ones named (the caller, its role or its account).
    not_principal = statement.get("NotPrincipal")
    names = _as_list(not_principal.get("AWS")) if isinstance(not_principal, Mapping) else []
    caller = {
        principal.role_arn,
        principal.session_arn,
        principal.account_id,
        f"arn:aws:iam::{principal.account_id}:root",
    }
    return not caller.intersection(names)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return [str(value)]


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """`*` any run of characters, `?` one character, everything else literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return bool(_wildcard(pattern, ignore_case).match(value))


def _action_applies(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(wildcard_match(p, action, ignore_case=True) for p in _as_list(statement["NotAction"]))
    return any(wildcard_match(p, action, ignore_case=True) for p in _as_list(statement.get("Action")))


def _resource_applies(statement: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(wildcard_match(p, resource) for p in _as_list(statement["NotResource"]))
    if "Resource" not in statement:
        # Trust and resource-based policies may leave Resource out: the resource is the policy's own.
        return True
    return any(wildcard_match(p, resource) for p in _as_list(statement["Resource"]))


# --- conditions ---------------------------------------------------------------------------


def _string_equals(policy: str, value: str) -> bool:
    return policy == value


def _string_equals_ignore_case(policy: str, value: str) -> bool:
    return policy.lower() == value.lower()


def _string_like(policy: str, value: str) -> bool:
    return wildcard_match(policy, value)


def _arn_like(policy: str, value: str) -> bool:
    # ArnLike compares each of the six colon-separated parts with wildcards (IAM reference,
    # "Amazon Resource Name (ARN) condition operators").
    policy_parts, value_parts = policy.split(":", 5), value.split(":", 5)
    if len(policy_parts) != 6 or len(value_parts) != 6:
        return False
    return all(wildcard_match(p, v) for p, v in zip(policy_parts, value_parts))


def _bool(policy: str, value: str) -> bool:
    return policy.lower() == value.lower()


# operator -> (comparison, negated)
_OPERATORS = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringEqualsIgnoreCase": (_string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ignore_case, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (_bool, False),
}


def _conditions_hold(conditions: Any, context: Mapping[str, ContextValue], is_deny: bool) -> bool:
    if not conditions:
        return True
    if not isinstance(conditions, Mapping):
        return is_deny
    for operator, block in conditions.items():
        if not isinstance(block, Mapping):
            return is_deny
        for key, values in block.items():
            outcome = _condition(str(operator), str(key), _as_list(values), context)
            if outcome is None:  # an operator this evaluator does not know: the strict side
                return is_deny
            if not outcome:
                return False
    return True


def _lookup(context: Mapping[str, ContextValue], key: str) -> list[str] | None:
    # Condition key names are case-insensitive; tag keys and encryption-context keys keep their case
    # after the prefix, which is compared as given here.
    for name, value in context.items():
        if name.lower() == key.lower():
            return [value] if isinstance(value, str) else list(value)
    return None


def _condition(operator: str, key: str, policy_values: list[str], context: Mapping[str, ContextValue]) -> bool | None:
    set_operator = None
    if ":" in operator:
        set_operator, operator = operator.split(":", 1)
        if set_operator not in ("ForAnyValue", "ForAllValues"):
            return None
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    values = _lookup(context, key)
    if base == "Null":
        if set_operator:
            return None
        is_null = values is None or values == []
        return any((p.lower() == "true") == is_null for p in policy_values)
    if base not in _OPERATORS:
        return None
    compare, negated = _OPERATORS[base]
    if values is None:
        if if_exists:
            return True
        if set_operator == "ForAllValues":
            return True  # vacuously true for an empty set (IAM: "ForAllValues ... returns true")
        return negated

    def holds(value: str) -> bool:
        matched = any(compare(p, value) for p in policy_values)
        return not matched if negated else matched

    if set_operator == "ForAllValues":
        return all(holds(value) for value in values)
    # ForAnyValue, and a plain operator on a single-valued key (or, loosely, on a multivalued one)
    return any(holds(value) for value in values)
