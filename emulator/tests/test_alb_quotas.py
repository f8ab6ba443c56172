"""Application Load Balancer quotas on rules and target groups per load balancer (validation.elbv2_quotas).

AWS, ALB guide, "Quotas for your Application Load Balancers"
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html):
"Rules per Application Load Balancer (excluding default rules): 100", "Target Groups per
Application Load Balancer: 100" (not adjustable). ELBv2 API Reference, Errors of CreateRule
(`TooManyRules`, `TooManyUniqueTargetGroupsPerLoadBalancer`), ModifyRule, CreateListener and
ModifyListener (`TooManyUniqueTargetGroupsPerLoadBalancer`), all HTTP 400. moto 5.2.5 refused none.
Most tests lower the account's quotas through the control API (`PUT .../alb-quotas`) instead of
creating 100 rules or target groups; one test reaches the default 100 rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Account

TOO_MANY_RULES = "You've reached the limit on the number of rules per load balancer."
TOO_MANY_TARGET_GROUPS = (
    "You've reached the limit on the number of unique target groups per load balancer across all listeners. "
    "If a target group is used by multiple actions for a load balancer, it is counted as only one use."
)
NOT_FOUND = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response


def assert_too_many_rules(response: dict[str, Any]) -> None:
    assert response["Error"]["Code"] == "TooManyRules"
    assert response["Error"]["Message"] == TOO_MANY_RULES
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def assert_too_many_target_groups(response: dict[str, Any]) -> None:
    assert response["Error"]["Code"] == "TooManyUniqueTargetGroupsPerLoadBalancer"
    assert response["Error"]["Message"] == TOO_MANY_TARGET_GROUPS
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def forward(*target_group_arns: str) -> list[dict[str, Any]]:
    if len(target_group_arns) == 1:
        return [{"Type": "forward", "TargetGroupArn": target_group_arns[0]}]
    members = [{"TargetGroupArn": arn, "Weight": 1} for arn in target_group_arns]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": members}}]


def path(value: str) -> list[dict[str, Any]]:
    return [{"Field": "path-pattern", "PathPatternConfig": {"Values": [value]}}]


def set_quotas(account: Account, **quotas: Any) -> tuple[int, Any]:
    return account.emulator.request("PUT", f"/_ecsdeploy/accounts/{account.account_id}/alb-quotas", quotas)


def get_quotas(account: Account) -> Any:
    status, answer = account.emulator.request("GET", f"/_ecsdeploy/accounts/{account.account_id}/alb-quotas")
    assert status == 200, answer
    return answer


@dataclass
class Alb:
    """An internal ALB with HTTP listeners on 80 and 8080 whose default actions are a fixed 404."""

    elbv2: Any
    vpc_id: str
    subnet_ids: list[str]
    load_balancer_arn: str
    listener_arns: list[str]
    _next_priority: dict[str, int] = field(default_factory=dict)

    def target_group(self, name: str) -> str:
        return self.elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=self.vpc_id, TargetType="ip")[
            "TargetGroups"
        ][0]["TargetGroupArn"]

    def rule(self, actions: list[dict[str, Any]] | None = None, listener: int = 0) -> str:
        listener_arn = self.listener_arns[listener]
        priority = self._next_priority.get(listener_arn, 1)
        self._next_priority[listener_arn] = priority + 1
        return self.elbv2.create_rule(
            ListenerArn=listener_arn,
            Priority=priority,
            Conditions=path(f"/p{priority}"),
            Actions=actions or [NOT_FOUND],
        )["Rules"][0]["RuleArn"]

    def rule_target_groups(self, rule_arn: str) -> list[str]:
        [rule] = self.elbv2.describe_rules(RuleArns=[rule_arn])["Rules"]
        return [action.get("TargetGroupArn") for action in rule["Actions"]]


def make_alb(account: Account, name: str = "quota", vpc: tuple[str, list[str]] | None = None) -> Alb:
    elbv2 = account.client("elbv2")
    if vpc is None:
        ec2 = account.client("ec2")
        vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet_ids = [
            ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
            for cidr, zone in (("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b"))
        ]
    else:
        vpc_id, subnet_ids = vpc
    load_balancer_arn = elbv2.create_load_balancer(Name=name, Subnets=subnet_ids, Scheme="internal")[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    listener_arns = [
        elbv2.create_listener(LoadBalancerArn=load_balancer_arn, Protocol="HTTP", Port=port, DefaultActions=[NOT_FOUND])[
            "Listeners"
        ][0]["ListenerArn"]
        for port in (80, 8080)
    ]
    return Alb(elbv2, vpc_id, subnet_ids, load_balancer_arn, listener_arns)


@pytest.fixture
def alb(account: Account) -> Alb:
    return make_alb(account)


def test_the_default_quotas_are_100_rules_and_100_target_groups(account: Account, alb: Alb) -> None:
    """ALB quotas page: "Rules per Application Load Balancer (excluding default rules): 100";
    "Target Groups per Application Load Balancer: 100". The 101st rule of a load balancer, its
    rules spread over two listeners, is refused with CreateRule's `TooManyRules` (400), and the
    load balancer keeps 100 rules plus its two default rules."""
    quotas = get_quotas(account)
    assert quotas["rules_per_load_balancer"] == 100 and quotas["account_rules_per_load_balancer"] is None
    assert quotas["target_groups_per_load_balancer"] == 100
    assert quotas["default_target_groups_per_load_balancer"] == 100
    for number in range(100):
        alb.rule(listener=number % 2)
    assert_too_many_rules(refused(alb.rule, listener=0))
    assert_too_many_rules(refused(alb.rule, listener=1))
    rules = [
        rule
        for arn in alb.listener_arns
        for page in alb.elbv2.get_paginator("describe_rules").paginate(ListenerArn=arn)
        for rule in page["Rules"]
    ]
    assert len([rule for rule in rules if not rule["IsDefault"]]) == 100
    assert len([rule for rule in rules if rule["IsDefault"]]) == 2


def test_the_101st_target_group_of_a_load_balancer_is_refused_at_the_default(alb: Alb) -> None:
    """ALB quotas page: "Target Groups per Application Load Balancer: 100" (Adjustable: No), and
    "Target Groups per Action per Application Load Balancer: 5": 20 rules forwarding to 5 new target
    groups each reach 100; CreateRule with a 101st is `TooManyUniqueTargetGroupsPerLoadBalancer`
    (400), one with target groups already in use is not."""
    target_groups = [alb.target_group(f"tg{number}") for number in range(101)]
    for start in range(0, 100, 5):
        alb.rule(forward(*target_groups[start : start + 5]), listener=start % 2)
    assert_too_many_target_groups(refused(alb.rule, forward(target_groups[100])))
    assert_too_many_target_groups(refused(alb.rule, forward(target_groups[0], target_groups[100]), listener=1))
    alb.rule(forward(target_groups[0], target_groups[99]), listener=1)


def test_rules_of_every_listener_count_together_and_default_rules_do_not(account: Account, alb: Alb) -> None:
    """ALB quotas page: "Rules per Application Load Balancer (excluding default rules)": the quota
    is per load balancer, so the rules of its two listeners count together, and neither listener's
    default rule counts. CreateRule, Errors: `TooManyRules` "You've reached the limit on the number
    of rules per load balancer." (400). Deleting a rule makes room for one again."""
    assert set_quotas(account, rules_per_load_balancer=3)[0] == 200
    first = alb.rule(listener=0)
    alb.rule(listener=0)
    alb.rule(listener=1)
    response = refused(alb.rule, listener=1)
    assert_too_many_rules(response)
    with pytest.raises(alb.elbv2.exceptions.TooManyRulesException):
        alb.rule(listener=0)
    alb.elbv2.delete_rule(RuleArn=first)
    alb.rule(listener=1)
    assert_too_many_rules(refused(alb.rule, listener=0))


def test_a_target_group_used_by_several_actions_counts_once(account: Account, alb: Alb) -> None:
    """CreateRule, Errors: `TooManyUniqueTargetGroupsPerLoadBalancer` "You've reached the limit on
    the number of unique target groups per load balancer across all listeners. If a target group
    is used by multiple actions for a load balancer, it is counted as only one use." (400). Counted
    over both listeners, default actions included, `TargetGroupArn` and `ForwardConfig` alike."""
    assert set_quotas(account, target_groups_per_load_balancer=2)[0] == 200
    one, two, three = (alb.target_group(name) for name in ("one", "two", "three"))
    alb.elbv2.modify_listener(ListenerArn=alb.listener_arns[0], DefaultActions=forward(one))
    alb.rule(forward(one), listener=1)
    alb.rule(forward(two), listener=1)
    alb.rule(forward(one, two), listener=0)
    alb.rule(forward(two), listener=0)
    assert_too_many_target_groups(refused(alb.rule, forward(three), listener=1))
    assert_too_many_target_groups(refused(alb.rule, forward(one, three), listener=0))
    with pytest.raises(alb.elbv2.exceptions.TooManyUniqueTargetGroupsPerLoadBalancerException):
        alb.rule(forward(three), listener=0)
    rules = alb.elbv2.describe_rules(ListenerArn=alb.listener_arns[1])["Rules"]
    assert len(rules) == 3  # two rules and the default one: the refused rules were not created


def test_modify_rule_to_a_new_target_group_past_the_quota_is_refused(account: Account, alb: Alb) -> None:
    """ModifyRule, Errors: `TooManyUniqueTargetGroupsPerLoadBalancer` (400). Counted after the
    change: the only rule using a target group may switch to a new one (the count stays), a rule
    whose target group stays in use elsewhere may not; a refused rule keeps its actions."""
    assert set_quotas(account, target_groups_per_load_balancer=2)[0] == 200
    one, two, three = (alb.target_group(name) for name in ("one", "two", "three"))
    shared = alb.rule(forward(one))
    alb.rule(forward(one), listener=1)
    alone = alb.rule(forward(two))
    assert_too_many_target_groups(refused(alb.elbv2.modify_rule, RuleArn=shared, Actions=forward(three)))
    assert alb.rule_target_groups(shared) == [one]
    alb.elbv2.modify_rule(RuleArn=alone, Actions=forward(three))  # `two` is no longer used: {one, three}
    assert alb.rule_target_groups(alone) == [three]
    assert_too_many_target_groups(refused(alb.elbv2.modify_rule, RuleArn=shared, Actions=forward(two)))
    with pytest.raises(alb.elbv2.exceptions.TooManyUniqueTargetGroupsPerLoadBalancerException):
        alb.elbv2.modify_rule(RuleArn=shared, Actions=forward(one, two))
    assert alb.rule_target_groups(shared) == [one]
    alb.elbv2.modify_rule(RuleArn=shared, Actions=forward(three))  # already in use
    alb.elbv2.modify_rule(RuleArn=shared, Conditions=path("/changed"))  # no action given: none added
    assert alb.rule_target_groups(shared) == [three]


def test_create_and_modify_listener_default_actions_count(account: Account, alb: Alb) -> None:
    """CreateListener and ModifyListener, Errors: `TooManyUniqueTargetGroupsPerLoadBalancer` (400):
    a listener's default actions count like a rule's. A refused CreateListener creates nothing, a
    refused ModifyListener keeps the default actions."""
    assert set_quotas(account, target_groups_per_load_balancer=1)[0] == 200
    one, two = alb.target_group("one"), alb.target_group("two")
    alb.elbv2.modify_listener(ListenerArn=alb.listener_arns[0], DefaultActions=forward(one))
    response = refused(alb.elbv2.modify_listener, ListenerArn=alb.listener_arns[1], DefaultActions=forward(two))
    assert_too_many_target_groups(response)
    [listener] = alb.elbv2.describe_listeners(ListenerArns=[alb.listener_arns[1]])["Listeners"]
    assert listener["DefaultActions"][0]["Type"] == "fixed-response"
    response = refused(
        alb.elbv2.create_listener,
        LoadBalancerArn=alb.load_balancer_arn,
        Protocol="HTTP",
        Port=81,
        DefaultActions=forward(two),
    )
    assert_too_many_target_groups(response)
    assert len(alb.elbv2.describe_listeners(LoadBalancerArn=alb.load_balancer_arn)["Listeners"]) == 2
    alb.elbv2.create_listener(
        LoadBalancerArn=alb.load_balancer_arn, Protocol="HTTP", Port=81, DefaultActions=forward(one)
    )
    # The only use of `one` on listener 80 moves to `two`: still one target group on listener 80,
    # but listener 81 keeps `one`, so two would be in use.
    assert_too_many_target_groups(
        refused(alb.elbv2.modify_listener, ListenerArn=alb.listener_arns[0], DefaultActions=forward(two))
    )


def test_another_load_balancer_and_another_account_are_unaffected(
    account: Account, alb: Alb, other_account: Account
) -> None:
    """The quotas are per load balancer ("Rules per Application Load Balancer", "Target Groups per
    Application Load Balancer"): a second ALB of the account starts from zero. A quota lowered for
    one account (control API) leaves every other account at AWS's default 100."""
    assert set_quotas(account, rules_per_load_balancer=1, target_groups_per_load_balancer=1)[0] == 200
    one, two = alb.target_group("one"), alb.target_group("two")
    alb.rule(forward(one))
    assert_too_many_rules(refused(alb.rule, forward(one)))
    second = make_alb(account, "second", (alb.vpc_id, alb.subnet_ids))
    second.rule(forward(two))  # `two` is the second ALB's first target group
    assert_too_many_rules(refused(second.rule))
    assert_too_many_target_groups(
        refused(second.elbv2.modify_listener, ListenerArn=second.listener_arns[0], DefaultActions=forward(one))
    )

    theirs = make_alb(other_account)
    assert get_quotas(other_account)["rules_per_load_balancer"] == 100
    target_groups = [theirs.target_group(f"tg{number}") for number in range(3)]
    for target_group in target_groups:
        theirs.rule(forward(target_group))
    theirs.rule(forward(*target_groups))


def test_the_quotas_are_set_through_the_control_api(account: Account) -> None:
    """Control API `PUT /_ecsdeploy/accounts/{id}/alb-quotas`: either quota, 0 up to AWS's default
    100 (a quota is never raised: the emulator is never kinder than a default account), `null` back
    to the default; a quota not given stays. `GET` answers the same."""
    status, answer = set_quotas(account, rules_per_load_balancer=3)
    assert status == 200
    assert answer["rules_per_load_balancer"] == 3 and answer["target_groups_per_load_balancer"] == 100
    status, answer = set_quotas(account, target_groups_per_load_balancer=0)
    assert status == 200
    assert answer["rules_per_load_balancer"] == 3 and answer["target_groups_per_load_balancer"] == 0
    assert get_quotas(account) == answer
    status, answer = set_quotas(account, rules_per_load_balancer=None, target_groups_per_load_balancer=None)
    assert status == 200
    assert answer["rules_per_load_balancer"] == 100 and answer["account_rules_per_load_balancer"] is None
    assert answer["target_groups_per_load_balancer"] == 100


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"rules_per_load_balancer": 101},
        {"target_groups_per_load_balancer": 101},
        {"rules_per_load_balancer": -1},
        {"rules_per_load_balancer": "3"},
        {"rules_per_load_balancer": 2.5},
        {"target_groups_per_load_balancer": True},
        {"rules_per_load_balancer": 3, "extra": 1},
    ],
)
def test_the_quota_setting_refuses_bad_input(account: Account, body: dict[str, Any]) -> None:
    status, answer = account.emulator.request("PUT", f"/_ecsdeploy/accounts/{account.account_id}/alb-quotas", body)
    assert status == 400 and answer["error"]
    assert get_quotas(account)["rules_per_load_balancer"] == 100
