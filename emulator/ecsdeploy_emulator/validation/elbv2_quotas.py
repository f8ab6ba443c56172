"""ELBv2 Application Load Balancer quotas: rules and unique target groups per load balancer.

moto 5.2.5 accepts any number of rules and target groups on a load balancer (its CreateRule and
ModifyRule carry `# TODO: check for error 'TooManyRules'`). AWS, ALB guide, "Quotas for your
Application Load Balancers" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html):

- Rules: "Rules per Application Load Balancer (excluding default rules): 100" (adjustable). ELBv2
  API Reference, CreateRule, Errors: `TooManyRules` "You've reached the limit on the number of rules
  per load balancer." (HTTP 400). The rules of every listener of the load balancer count together;
  each listener's default rule does not count. Of the four calls below only CreateRule lists
  `TooManyRules` (CreateListener and ModifyListener add no non-default rule; ModifyRule changes one).
- Target groups: "Target Groups per Application Load Balancer: 100" (Adjustable: No). CreateRule,
  ModifyRule, CreateListener and ModifyListener, Errors: `TooManyUniqueTargetGroupsPerLoadBalancer`
  "You've reached the limit on the number of unique target groups per load balancer across all
  listeners. If a target group is used by multiple actions for a load balancer, it is counted as
  only one use." (HTTP 400). Counted: the distinct target groups of the `forward` actions
  (`TargetGroupArn` and `ForwardConfig.TargetGroups[].TargetGroupArn`) of every rule, default rules
  included, of every listener of the load balancer, as they would be after the call; the call is
  refused when that number passes the quota and the call brings in a target group the load
  balancer does not use yet (a call that adds none cannot be what reaches the limit). A target
  group that does not exist is left to moto's `TargetGroupNotFound`.

The error codes and status are those of AWS's API model (botocore `elbv2` service-2.json:
`TooManyRulesException` code `TooManyRules`, `TooManyUniqueTargetGroupsPerLoadBalancerException`
code `TooManyUniqueTargetGroupsPerLoadBalancer`, both 400, sender fault); the messages are the
API Reference's descriptions of the errors (AWS does not document the text it sends).

Per account, for tests (control API `PUT /_ecsdeploy/accounts/{id}/alb-quotas`,
`{"rules_per_load_balancer": N, "target_groups_per_load_balancer": M}`, either optional, `null`:
the default): each quota can be lowered (0 to 100), never raised above AWS's default, so a test can
reach a limit without creating 100 rules and the emulator is never kinder than a default account.

Only load balancers of type `application`: the quotas are the ALB guide's (a Network Load
Balancer's listener has no rules). Not modelled: "Target Groups per Action per Application Load
Balancer: 5" (AWS does not document the error it answers), moto's DescribeAccountLimits (a fixed
list) does not show a lowered quota.

Callers hold `locking.EXTENSION_LOCK` (patches' wraps and the control API do), so the count and
moto's change are one step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend, FakeListener, FakeLoadBalancer

from .common import Wrap, before

DEFAULT_RULES_PER_LOAD_BALANCER = 100
DEFAULT_TARGET_GROUPS_PER_LOAD_BALANCER = 100
QUOTA_FIELDS = ("rules_per_load_balancer", "target_groups_per_load_balancer")
DEFAULTS = {
    "rules_per_load_balancer": DEFAULT_RULES_PER_LOAD_BALANCER,
    "target_groups_per_load_balancer": DEFAULT_TARGET_GROUPS_PER_LOAD_BALANCER,
}


class TooManyRules(ELBClientError):
    code = "TooManyRules"

    def __init__(self) -> None:
        super().__init__(self.code, "You've reached the limit on the number of rules per load balancer.")


class TooManyUniqueTargetGroupsPerLoadBalancer(ELBClientError):
    code = "TooManyUniqueTargetGroupsPerLoadBalancer"

    def __init__(self) -> None:
        super().__init__(
            self.code,
            "You've reached the limit on the number of unique target groups per load balancer across all "
            "listeners. If a target group is used by multiple actions for a load balancer, it is counted as "
            "only one use.",
        )


# --- per-account quotas ---------------------------------------------------------------------------


@dataclass
class AccountQuotas:
    rules_per_load_balancer: int | None = None  # None: the default
    target_groups_per_load_balancer: int | None = None

    def value(self, name: str) -> int:
        given = getattr(self, name)
        return DEFAULTS[name] if given is None else given


_ACCOUNTS: dict[str, AccountQuotas] = {}


def quotas_for(account_id: str) -> AccountQuotas:
    found = _ACCOUNTS.get(account_id)
    if found is None:
        found = _ACCOUNTS[account_id] = AccountQuotas()
    return found


def check_quota(name: str, value: Any) -> None:
    """A quota of the control API: an integer from 0 to AWS's default, or None for the default."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= DEFAULTS[name]:
        raise ValueError(
            f"{name} must be an integer from 0 to {DEFAULTS[name]} (AWS's default; it is never raised), "
            "or null for the default"
        )


def set_quotas(account_id: str, values: dict[str, int | None]) -> None:
    """Sets the quotas named in `values` (None: back to the default); the others stay."""
    for name, value in values.items():
        if name not in QUOTA_FIELDS:
            raise ValueError(f"unknown quota {name!r}")
        check_quota(name, value)
    quotas = quotas_for(account_id)
    for name, value in values.items():
        setattr(quotas, name, value)


def to_json(account_id: str) -> dict[str, Any]:
    quotas = quotas_for(account_id)
    answer: dict[str, Any] = {"account_id": account_id}
    for name in QUOTA_FIELDS:
        answer[name] = quotas.value(name)
        answer[f"account_{name}"] = getattr(quotas, name)
        answer[f"default_{name}"] = DEFAULTS[name]
    return answer


# --- counting ---------------------------------------------------------------------------------------


def _data(action: Any) -> dict[str, Any]:
    data = getattr(action, "data", action)
    return data if isinstance(data, dict) else {}


def target_groups_of(actions: Iterable[Any] | None) -> set[str]:
    """The target groups the `forward` actions use (moto's FakeAction or the request's dicts)."""
    found: set[str] = set()
    for action in actions or []:
        data = _data(action)
        if str(data.get("Type") or "").lower() != "forward":
            continue
        if data.get("TargetGroupArn"):
            found.add(str(data["TargetGroupArn"]))
        for member in (data.get("ForwardConfig") or {}).get("TargetGroups") or []:
            if isinstance(member, dict) and member.get("TargetGroupArn"):
                found.add(str(member["TargetGroupArn"]))
    return found


def _listener_and_balancer(backend: ELBv2Backend, listener_arn: Any) -> tuple[FakeListener, FakeLoadBalancer] | None:
    for balancer in list(backend.load_balancers.values()):
        listener = balancer.listeners.get(listener_arn)
        if listener is not None:
            return listener, balancer
    return None


def _rule_and_balancer(backend: ELBv2Backend, rule_arn: Any) -> tuple[Any, FakeLoadBalancer] | None:
    for balancer in list(backend.load_balancers.values()):
        for listener in list(balancer.listeners.values()):
            for rule in list(listener.rules.values()):
                if rule.arn == rule_arn:
                    return rule, balancer
    return None


def _is_application(balancer: FakeLoadBalancer) -> bool:
    return (getattr(balancer, "type", None) or "application") == "application"


def rule_count(balancer: FakeLoadBalancer) -> int:
    """The non-default rules of every listener of the load balancer."""
    return sum(
        1
        for listener in list(balancer.listeners.values())
        for rule in list(listener.rules.values())
        if not getattr(rule, "is_default", False)
    )


def used_target_groups(balancer: FakeLoadBalancer, replaced: dict[int, Iterable[Any]] | None = None) -> set[str]:
    """The distinct target groups of every rule (default rules included) of every listener;
    `replaced` maps `id(rule)` to the actions that rule would have instead."""
    replaced = replaced or {}
    found: set[str] = set()
    for listener in list(balancer.listeners.values()):
        for rule in list(listener.rules.values()):
            found |= target_groups_of(replaced.get(id(rule), rule.actions))
    return found


def _check_target_groups(backend: ELBv2Backend, in_use: set[str], would_use: set[str]) -> None:
    """TooManyUniqueTargetGroupsPerLoadBalancer when the call brings in a target group and the load
    balancer would then use more than the account's quota."""
    would_use = {arn for arn in would_use if arn in in_use or arn in backend.target_groups}
    quota = quotas_for(backend.account_id).value("target_groups_per_load_balancer")
    if len(would_use) > quota and not would_use <= in_use:
        raise TooManyUniqueTargetGroupsPerLoadBalancer()


# --- the checks ---------------------------------------------------------------------------------------


def _create_rule(backend: ELBv2Backend, arguments: dict[str, Any]) -> None:
    """CreateRule: TooManyRules at the rules quota of the load balancer (default rules not counted),
    TooManyUniqueTargetGroupsPerLoadBalancer past its target group quota."""
    found = _listener_and_balancer(backend, arguments.get("listener_arn"))
    if found is None:
        return  # moto's ListenerNotFound
    _listener, balancer = found
    if not _is_application(balancer):
        return
    if rule_count(balancer) >= quotas_for(backend.account_id).value("rules_per_load_balancer"):
        raise TooManyRules()
    in_use = used_target_groups(balancer)
    _check_target_groups(backend, in_use, in_use | target_groups_of(arguments.get("actions")))


def _modify_rule(backend: ELBv2Backend, arguments: dict[str, Any]) -> None:
    """ModifyRule: TooManyUniqueTargetGroupsPerLoadBalancer when the new actions pass the quota."""
    actions = arguments.get("actions")
    if not actions:
        return  # the rule keeps its actions (moto: "if actions: rule.actions = ...")
    found = _rule_and_balancer(backend, arguments.get("rule_arn"))
    if found is None:
        return  # moto's RuleNotFound
    rule, balancer = found
    if not _is_application(balancer):
        return
    _check_target_groups(backend, used_target_groups(balancer), used_target_groups(balancer, {id(rule): actions}))


def _create_listener(backend: ELBv2Backend, arguments: dict[str, Any]) -> None:
    """CreateListener: TooManyUniqueTargetGroupsPerLoadBalancer when the default actions pass the quota."""
    balancer = backend.load_balancers.get(arguments.get("load_balancer_arn"))
    if balancer is None or not _is_application(balancer):
        return  # moto's LoadBalancerNotFound, or not an ALB
    in_use = used_target_groups(balancer)
    _check_target_groups(backend, in_use, in_use | target_groups_of(arguments.get("actions")))


def _modify_listener(backend: ELBv2Backend, arguments: dict[str, Any]) -> None:
    """ModifyListener: TooManyUniqueTargetGroupsPerLoadBalancer when the new default actions pass the quota."""
    actions = arguments.get("actions")
    if not actions:
        return  # the default actions stay (moto changes them only when some are given)
    found = _listener_and_balancer(backend, arguments.get("arn"))
    if found is None:
        return  # moto's ListenerNotFound
    listener, balancer = found
    if not _is_application(balancer):
        return
    replaced = {id(rule): actions for rule in list(listener.rules.values()) if getattr(rule, "is_default", False)}
    _check_target_groups(backend, used_target_groups(balancer), used_target_groups(balancer, replaced))


WRAPS: list[Wrap] = [
    (ELBv2Backend, "create_rule", before(_create_rule)),
    (ELBv2Backend, "modify_rule", before(_modify_rule)),
    (ELBv2Backend, "create_listener", before(_create_listener)),
    (ELBv2Backend, "modify_listener", before(_modify_listener)),
]
