"""ELBv2 listener rules and tags: what AWS refuses and moto 5.2.5 accepted (see validation.elbv2_rules)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import EcsWorld


def path_rule(paths: list[str]) -> list[dict[str, Any]]:
    return [{"Field": "path-pattern", "PathPatternConfig": {"Values": paths}}]


def forward(world: EcsWorld) -> list[dict[str, Any]]:
    return [{"Type": "forward", "TargetGroupArn": world.target_group_arn}]


def create_rule(world: EcsWorld, priority: int, conditions: list[dict[str, Any]], **extra: Any) -> Any:
    elbv2 = world.account.unvalidated_client("elbv2")
    return elbv2.create_rule(
        ListenerArn=world.listener_arn, Priority=priority, Conditions=conditions, Actions=forward(world), **extra
    )


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response


@pytest.mark.parametrize(
    ("priority", "constraint"),
    [
        (0, "Member must have value greater than or equal to 1"),
        (50001, "Member must have value less than or equal to 50000"),
    ],
)
def test_create_rule_priority_outside_1_to_50000_is_refused(
    ecs_world: EcsWorld, priority: int, constraint: str
) -> None:
    """ELBv2 API Reference, CreateRule, `Priority`: "The rule priority. A listener can't have
    multiple rules with the same priority. Type: Integer. Valid Range: Minimum value of 1. Maximum
    value of 50000." Out of range: the service's constraint error (ValidationError, 400)."""
    response = refused(create_rule, ecs_world, priority, path_rule(["/a"]))
    assert response["Error"]["Code"] == "ValidationError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"] == (
        f"1 validation error detected: Value '{priority}' at 'priority' failed to satisfy constraint: {constraint}"
    )
    assert ecs_world.elbv2.describe_rules(ListenerArn=ecs_world.listener_arn)["Rules"][0]["IsDefault"]
    for priority in (1, 50000):
        create_rule(ecs_world, priority, path_rule([f"/p{priority}"]))


def test_set_rule_priorities_outside_1_to_50000_is_refused(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, RulePriorityPair, `Priority`: "The rule priority. Valid Range: Minimum
    value of 1. Maximum value of 50000." SetRulePriorities answers the constraint error for the
    member (ValidationError) and changes no priority."""
    rule_arn = create_rule(ecs_world, 10, path_rule(["/a"]))["Rules"][0]["RuleArn"]
    elbv2 = ecs_world.account.unvalidated_client("elbv2")
    response = refused(elbv2.set_rule_priorities, RulePriorities=[{"RuleArn": rule_arn, "Priority": 0}])
    assert response["Error"]["Code"] == "ValidationError"
    assert response["Error"]["Message"] == (
        "1 validation error detected: Value '0' at 'rulePriorities.1.member.priority' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1"
    )
    response = refused(elbv2.set_rule_priorities, RulePriorities=[{"RuleArn": rule_arn, "Priority": 50001}])
    assert "Member must have value less than or equal to 50000" in response["Error"]["Message"]
    [rule] = elbv2.describe_rules(RuleArns=[rule_arn])["Rules"]
    assert rule["Priority"] == "10"
    elbv2.set_rule_priorities(RulePriorities=[{"RuleArn": rule_arn, "Priority": 50000}])


def test_more_than_five_condition_values_per_rule_are_refused(ecs_world: EcsWorld) -> None:
    """ALB guide, "Quotas for your Application Load Balancers": "Condition values per rule: 5" and
    "Match evaluations per rule: 5" (not adjustable); "Condition types for listener rules": "You
    can specify up to five match evaluations per rule. For example, you can create a rule with five
    conditions where each condition has one match evaluation." AWS: ValidationError "A rule can
    only have '5' condition values and regex values". Values across conditions add up."""
    six_paths = [f"/p{index}" for index in range(6)]
    response = refused(create_rule, ecs_world, 10, path_rule(six_paths))
    assert response["Error"]["Code"] == "ValidationError"
    assert response["Error"]["Message"] == "A rule can only have '5' condition values and regex values"

    host_and_five_paths = [
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["stage.api.acme.example"]}},
        *path_rule(six_paths[:5]),
    ]
    response = refused(create_rule, ecs_world, 10, host_and_five_paths)
    assert response["Error"]["Message"] == "A rule can only have '5' condition values and regex values"

    created = create_rule(ecs_world, 10, path_rule(six_paths[:5]))["Rules"][0]
    assert len(created["Conditions"][0]["PathPatternConfig"]["Values"]) == 5
    host_and_four_paths = [host_and_five_paths[0], *path_rule(six_paths[:4])]
    create_rule(ecs_world, 11, host_and_four_paths)


def test_modify_rule_to_more_than_five_condition_values_is_refused(ecs_world: EcsWorld) -> None:
    """Same quota ("Condition values per rule: 5") for ModifyRule: the rule keeps its conditions."""
    rule_arn = create_rule(ecs_world, 10, path_rule(["/a"]))["Rules"][0]["RuleArn"]
    elbv2 = ecs_world.elbv2
    response = refused(
        elbv2.modify_rule, RuleArn=rule_arn, Conditions=path_rule([f"/p{i}" for i in range(6)]), Actions=forward(ecs_world)
    )
    assert response["Error"]["Code"] == "ValidationError"
    assert "can only have '5' condition values" in response["Error"]["Message"]
    [rule] = elbv2.describe_rules(RuleArns=[rule_arn])["Rules"]
    assert rule["Conditions"][0]["PathPatternConfig"]["Values"] == ["/a"]


def test_more_than_five_wildcards_per_rule_are_refused(ecs_world: EcsWorld) -> None:
    """ALB guide, "Condition types for listener rules": "You can include wildcard characters in the
    match evaluations for the http-header, host-header, path-pattern, and query-string conditions.
    There is a limit of five wildcard characters per rule." (quota "Condition wildcards per rule:
    5"). `*` and `?` count; AWS does not document the message, the code is ValidationError."""
    response = refused(create_rule, ecs_world, 10, path_rule(["/a/*/b/*", "/c/*/d/*", "/e??"]))
    assert response["Error"]["Code"] == "ValidationError"
    assert "'5' wildcards" in response["Error"]["Message"]
    host_wildcard = [{"Field": "host-header", "HostHeaderConfig": {"Values": ["*.api.acme.example"]}}]
    response = refused(create_rule, ecs_world, 10, [*host_wildcard, *path_rule(["/a/*/b/*", "/c/*/d/*?"])])
    assert response["Error"]["Code"] == "ValidationError"

    create_rule(ecs_world, 10, [*host_wildcard, *path_rule(["/a/*/b/*", "/c/*/d/*"])])  # exactly five
    literal = [{"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "q", "Value": "\\*\\*\\*"}]}}]
    create_rule(ecs_world, 11, [*literal, *path_rule(["/a/*/b/*", "/c/*"])])


RESERVED_KEY = {"Key": "aws:createdBy", "Value": "me"}


def test_aws_prefixed_tag_keys_are_refused_on_elbv2_tagging_calls(ecs_world: EcsWorld) -> None:
    """Tagging AWS Resources, "Tag naming limits and requirements" and the ALB guide, "Tags for
    your Application Load Balancer": "Do not use the aws: prefix in your tag names or values
    because it is reserved for AWS use" (any case: "aws:", "AWS:"). ELBv2 answers
    ValidationError on AddTags and on the Create* calls ecsdeploy tags through, and tags
    nothing."""
    elbv2 = ecs_world.elbv2
    for key in ("aws:createdBy", "AWS:Team", "Aws:x"):
        response = refused(
            elbv2.add_tags, ResourceArns=[ecs_world.target_group_arn], Tags=[{"Key": key, "Value": "v"}]
        )
        assert response["Error"]["Code"] == "ValidationError"
        assert key in response["Error"]["Message"]
    tags = elbv2.describe_tags(ResourceArns=[ecs_world.target_group_arn])["TagDescriptions"][0]["Tags"]
    assert tags == []

    calls = [
        lambda tags: elbv2.create_load_balancer(Name="tagged", Subnets=ecs_world.subnet_ids, Tags=tags),
        lambda tags: elbv2.create_target_group(
            Name="tagged", Protocol="HTTP", Port=80, VpcId=vpc_of(ecs_world), TargetType="ip", Tags=tags
        ),
        lambda tags: elbv2.create_listener(
            LoadBalancerArn=ecs_world.load_balancer_arn,
            Protocol="HTTP",
            Port=8080,
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
            Tags=tags,
        ),
        lambda tags: create_rule(ecs_world, 10, path_rule(["/a"]), Tags=tags),
    ]
    for call in calls:
        response = refused(call, [RESERVED_KEY])
        assert response["Error"]["Code"] == "ValidationError"
    assert [lb["LoadBalancerName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]] == ["ecs-world"]
    for call in calls:
        call([{"Key": "team", "Value": "platform"}])


def vpc_of(world: EcsWorld) -> str:
    return world.elbv2.describe_target_groups(TargetGroupArns=[world.target_group_arn])["TargetGroups"][0]["VpcId"]


def test_describe_tags_takes_at_most_20_existing_resources(ecs_world: EcsWorld) -> None:
    """ELBv2 API Reference, DescribeTags: ResourceArns "You can specify up to 20 resources in a single
    call." (21 is the constraint error, ValidationError); its errors LoadBalancerNotFound,
    TargetGroupNotFound, ListenerNotFound, RuleNotFound for an ARN of no such resource (moto took any
    number of ARNs and answered an unknown one with no tags)."""
    elbv2 = ecs_world.elbv2
    vpc = vpc_of(ecs_world)
    arns = [
        elbv2.create_target_group(Name=f"tg-{number}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        for number in range(20)
    ]
    described = elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"]
    assert sorted(item["ResourceArn"] for item in described) == sorted(arns)

    response = refused(elbv2.describe_tags, ResourceArns=[*arns, ecs_world.target_group_arn])
    assert response["Error"]["Code"] == "ValidationError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Member must have length less than or equal to 20" in response["Error"]["Message"]

    elbv2.delete_target_group(TargetGroupArn=arns[0])
    response = refused(elbv2.describe_tags, ResourceArns=arns[:2])
    assert response["Error"]["Code"] == "TargetGroupNotFound"
    gone = ecs_world.load_balancer_arn.replace("/ecs-world/", "/gone/")
    assert refused(elbv2.describe_tags, ResourceArns=[gone])["Error"]["Code"] == "LoadBalancerNotFound"
    listener = ecs_world.listener_arn.rsplit("/", 1)[0] + "/0123456789abcdef"
    assert refused(elbv2.describe_tags, ResourceArns=[listener])["Error"]["Code"] == "ListenerNotFound"
