"""Listener-rule Transforms in the ELBv2 API: stored, returned, kept, reset and validated as AWS does."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from alb_world import STRIP_AUTH, AlbWorld, host_rewrite, make_alb_world, url_rewrite
from conftest import EcsWorld


@pytest.fixture
def alb(ecs_world: EcsWorld) -> AlbWorld:
    return make_alb_world(ecs_world)


def rule(alb: AlbWorld, rule_arn: str) -> dict[str, Any]:
    [found] = alb.elbv2.describe_rules(RuleArns=[rule_arn])["Rules"]
    return found


def refused(call: Any, **parameters: Any) -> str:
    with pytest.raises(ClientError) as error:
        call(**parameters)
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(error.value.response["Error"]["Message"])


def test_create_rule_stores_transforms_and_every_rule_answer_returns_them(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "Rule": "Transforms.member.N — The transforms for the rule. Type: Array of
    RuleTransform objects"; CreateRule: "You can add one host header rewrite transform and one URL
    rewrite transform." The XML is AWS's shape (member-wrapped lists), which boto3 and the AWS SDK
    for Rust both parse."""
    transforms = [url_rewrite(), host_rewrite("^stage\\.api\\.(.*)$", "internal.$1")]
    created = alb.elbv2.create_rule(
        ListenerArn=alb.listener_arn,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/stage/auth/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": alb.ecs.target_group_arn}],
        Transforms=transforms,
    )["Rules"][0]
    assert created["Transforms"] == transforms
    assert rule(alb, created["RuleArn"])["Transforms"] == transforms
    by_listener = alb.elbv2.describe_rules(ListenerArn=alb.listener_arn)["Rules"]
    assert [r.get("Transforms") for r in by_listener] == [transforms, None]  # the default rule has none

    bodies: list[str] = []
    alb.elbv2.meta.events.register("after-call", lambda http_response, **_: bodies.append(http_response.text))
    alb.elbv2.describe_rules(RuleArns=[created["RuleArn"]])
    assert (
        "<Transforms><member><Type>url-rewrite</Type><UrlRewriteConfig><Rewrites><member>"
        "<Regex>^/stage/auth/(.*)$</Regex><Replace>/$1</Replace></member></Rewrites></UrlRewriteConfig></member>"
    ) in bodies[0]


def test_a_rule_without_transforms_has_none(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "RuleTransform": transforms are optional ("Required: No" in CreateRule)."""
    rule_arn = alb.forward_rule()
    assert "Transforms" not in rule(alb, rule_arn)


def test_modify_rule_without_transforms_keeps_them(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "ModifyRule": "Replaces the specified properties of the specified rule. Any
    properties that you do not specify are unchanged." """
    rule_arn = alb.forward_rule(transforms=[url_rewrite()])
    modified = alb.elbv2.modify_rule(
        RuleArn=rule_arn, Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/stage/v2/*"]}}]
    )["Rules"][0]
    assert modified["Transforms"] == [url_rewrite()]
    assert rule(alb, rule_arn)["Conditions"][0]["PathPatternConfig"]["Values"] == ["/stage/v2/*"]
    assert rule(alb, rule_arn)["Transforms"] == [url_rewrite()]


def test_modify_rule_with_transforms_replaces_them_even_alone(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "ModifyRule": Conditions, Actions and Transforms are each "Required: No";
    "To add an item to a list, remove an item from a list, or update an item in a list, you must
    provide the entire list." """
    rule_arn = alb.forward_rule(transforms=[url_rewrite(), host_rewrite("^a$", "b")])
    replacement = [url_rewrite({"Regex": "^/stage(/.*)$", "Replace": "$1"})]
    assert alb.elbv2.modify_rule(RuleArn=rule_arn, Transforms=replacement)["Rules"][0]["Transforms"] == replacement
    assert rule(alb, rule_arn)["Transforms"] == replacement
    assert rule(alb, rule_arn)["Actions"][0]["TargetGroupArn"] == alb.ecs.target_group_arn


def test_reset_transforms_removes_them_alone_or_with_conditions_and_actions(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "ModifyRule": "ResetTransforms — Indicates whether to remove all transforms
    from the rule." (ecsdeploy sends it with Conditions and Actions.)"""
    first = alb.forward_rule(priority=10, transforms=[url_rewrite()])
    assert "Transforms" not in alb.elbv2.modify_rule(RuleArn=first, ResetTransforms=True)["Rules"][0]
    assert "Transforms" not in rule(alb, first)

    second = alb.forward_rule(priority=20, paths=("/stage/v2/*",), transforms=[url_rewrite()])
    alb.elbv2.modify_rule(
        RuleArn=second,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/stage/v3/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": alb.ecs.target_group_arn}],
        ResetTransforms=True,
    )
    assert "Transforms" not in rule(alb, second)
    assert rule(alb, second)["Conditions"][0]["PathPatternConfig"]["Values"] == ["/stage/v3/*"]


def test_modify_rule_with_nothing_to_change_is_still_refused(alb: AlbWorld) -> None:
    """moto's ValidationError for a ModifyRule without conditions or actions stays when it changes no
    transforms either (ResetTransforms=false changes nothing)."""
    rule_arn = alb.forward_rule(transforms=[url_rewrite()])
    refused(alb.elbv2.modify_rule, RuleArn=rule_arn, ResetTransforms=False)
    assert rule(alb, rule_arn)["Transforms"] == [url_rewrite()]


def test_transforms_and_reset_transforms_together_are_refused(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "ModifyRule": "If you specify Transforms, you can't specify ResetTransforms."
    Nothing changes."""
    rule_arn = alb.forward_rule(transforms=[url_rewrite()])
    message = refused(
        alb.elbv2.modify_rule,
        RuleArn=rule_arn,
        Transforms=[host_rewrite("^a$", "b")],
        ResetTransforms=True,
    )
    assert "ResetTransforms" in message
    assert rule(alb, rule_arn)["Transforms"] == [url_rewrite()]


def test_at_most_one_transform_of_each_type(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "CreateRule"/"ModifyRule" Transforms: "You can add one host header rewrite
    transform and one URL rewrite transform." A refused CreateRule creates no rule."""
    message = refused(
        alb.elbv2.create_rule,
        ListenerArn=alb.listener_arn,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/a/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": alb.ecs.target_group_arn}],
        Transforms=[url_rewrite(), url_rewrite({"Regex": "^/b", "Replace": "/c"})],
    )
    assert "at most one 'url-rewrite'" in message
    assert len(alb.elbv2.describe_rules(ListenerArn=alb.listener_arn)["Rules"]) == 1  # the default rule

    rule_arn = alb.forward_rule()
    message = refused(
        alb.elbv2.modify_rule, RuleArn=rule_arn, Transforms=[host_rewrite("^a$", "b"), host_rewrite("^c$", "d")]
    )
    assert "at most one 'host-header-rewrite'" in message


@pytest.mark.parametrize(
    ("transform", "expected"),
    [
        ({"Type": "url-rewrite", "UrlRewriteConfig": {"Rewrites": []}}, "exactly one rewrite"),
        (
            {"Type": "url-rewrite", "UrlRewriteConfig": {"Rewrites": [STRIP_AUTH, STRIP_AUTH]}},
            "exactly one rewrite",
        ),
        ({"Type": "url-rewrite"}, "needs UrlRewriteConfig"),
        (
            {"Type": "host-header-rewrite", "UrlRewriteConfig": {"Rewrites": [STRIP_AUTH]}},
            "only when Type is 'url-rewrite'",
        ),
        (
            {"Type": "url-rewrite", "UrlRewriteConfig": {"Rewrites": [{"Regex": "", "Replace": "/"}]}},
            "Regex is required",
        ),
        (
            {"Type": "url-rewrite", "UrlRewriteConfig": {"Rewrites": [{"Regex": "^/a", "Replace": ""}]}},
            "Replace is required",
        ),
        (
            {"Type": "url-rewrite", "UrlRewriteConfig": {"Rewrites": [{"Regex": "a" * 1025, "Replace": "/"}]}},
            "longer than 1024",
        ),
        (
            {"Type": "url-rewrite", "UrlRewriteConfig": {"Rewrites": [{"Regex": "^/a", "Replace": "/" * 1025}]}},
            "longer than 1024",
        ),
    ],
)
def test_transform_shape_is_validated(alb: AlbWorld, transform: dict[str, Any], expected: str) -> None:
    """ELBv2 API Reference, "RuleTransform": HostHeaderRewriteConfig/UrlRewriteConfig "Specify only when
    Type is host-header-rewrite/url-rewrite"; "RewriteConfig": Regex and Replace "Required: Yes", "The
    maximum length of the string is 1,024 characters". Exactly one rewrite per transform and at least
    one character: the Terraform AWS provider's transforms change (hashicorp/terraform-provider-aws
    #44702): "the AWS API accepts only one `rewrite` entry"."""
    rule_arn = alb.forward_rule()
    assert expected in refused(alb.elbv2.modify_rule, RuleArn=rule_arn, Transforms=[transform])
    assert "Transforms" not in rule(alb, rule_arn)


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        ("^/stage/(auth", "not a valid regular expression"),
        ("^/a(?=b)", "lookaheads and lookbehinds"),
        ("^/a(?<!b)c", "lookaheads and lookbehinds"),
        ("^/(a)\\1", "backreferences"),
        ("^/(?>ab)", "atomic groups"),
        ("^/a*+", "possessive quantifiers"),
        ("^/\\p{L}", "not a valid regular expression"),
        ("^/(?R)", "not a valid regular expression"),
    ],
)
def test_regex_syntax_and_unsupported_features_are_refused(alb: AlbWorld, regex: str, expected: str) -> None:
    """ALB guide, "Listener rules for your Application Load Balancer": "The regular expressions used in
    rule conditions and rule transforms do not support the following features: lookaheads,
    lookbehinds, backreferences, atomic groups, possessive quantifiers, subroutines, recursion, and
    Unicode character classes (such as \\p{L})." """
    rule_arn = alb.forward_rule()
    transform = url_rewrite({"Regex": regex, "Replace": "/"})
    assert expected in refused(alb.elbv2.modify_rule, RuleArn=rule_arn, Transforms=[transform])


def test_an_empty_transforms_list_is_refused(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "ModifyRule": ResetTransforms is how transforms are removed ("If you specify
    ResetTransforms, you can't specify Transforms"); an empty list is not taken as a reset."""
    rule_arn = alb.forward_rule(transforms=[url_rewrite()])
    assert "ResetTransforms" in refused(alb.elbv2.modify_rule, RuleArn=rule_arn, Transforms=[])
    assert rule(alb, rule_arn)["Transforms"] == [url_rewrite()]


def test_the_default_rule_takes_no_transform(alb: AlbWorld) -> None:
    """ALB guide, "Transforms for listener rules": "You can't add a transform to a default rule." """
    [default] = alb.elbv2.describe_rules(ListenerArn=alb.listener_arn)["Rules"]
    assert default["IsDefault"]
    message = refused(alb.elbv2.modify_rule, RuleArn=default["RuleArn"], Transforms=[url_rewrite()])
    assert "default rule" in message


def test_set_rule_priorities_keeps_transforms(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "SetRulePriorities": it answers the rules (`Rule`, with Transforms) and
    changes only their priority."""
    rule_arn = alb.forward_rule(transforms=[url_rewrite()])
    [moved] = alb.elbv2.set_rule_priorities(RulePriorities=[{"RuleArn": rule_arn, "Priority": 7}])["Rules"]
    assert moved["Priority"] == "7" and moved["Transforms"] == [url_rewrite()]
