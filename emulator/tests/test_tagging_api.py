"""Resource Groups Tagging API GetResources over the lagging tag index (`tagging_index`).

AWS references: Resource Groups Tagging API Reference, GetResources
(https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html):
request members, "tagged or previously tagged", pages, PaginationTokenExpiredException ("valid for
a maximum of 15 minutes"), InvalidParameterException; the services' own tagging APIs for the ARNs
(CloudWatch Logs API Reference, ListTagsForResource: "The ARN format of a log group is
arn:aws:logs:Region:account-id:log-group:log-group-name"; ECR API Reference, Repository; ELBv2 API
Reference, DescribeTags; CloudWatch API Reference, ListTagsForResource).

Each test account's clock is frozen (conftest), so the index's lag (default 2 simulated seconds)
passes only when a test steps the clock.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Account, new_account

PROJECT = "ecsdeploy:project"
FIVE_TYPES = [
    "cloudwatch:alarm",
    "logs:log-group",
    "ecr:repository",
    "elasticloadbalancing:targetgroup",
    "elasticloadbalancing:loadbalancer",
]
LAG = 2


def project_filter(project: str = "acme") -> list[dict[str, Any]]:
    return [{"Key": PROJECT, "Values": [project]}]


def listed(tagging: Any, **request: Any) -> dict[str, dict[str, str]]:
    """Every page of GetResources: ARN -> tags."""
    found: dict[str, dict[str, str]] = {}
    token = ""
    while True:
        page = tagging.get_resources(**request, **({"PaginationToken": token} if token else {}))
        for mapping in page["ResourceTagMappingList"]:
            assert mapping["ResourceARN"] not in found
            found[mapping["ResourceARN"]] = {tag["Key"]: tag["Value"] for tag in mapping["Tags"]}
        token = page["PaginationToken"]
        if token == "":
            return found


def refused(call: Any, **request: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call(**request)
    return raised.value.response


def set_lag(account: Account, seconds: Any) -> tuple[int, Any]:
    return account.emulator.request("PUT", f"/_ecsdeploy/accounts/{account.account_id}/tagging-index", {"lag_seconds": seconds})


def tags_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def alarm(name: str, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/ECS",
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Tags": tags_list(tags),
    }


def make_five(account: Account, name: str, tags: dict[str, str]) -> dict[str, str]:
    """One resource of each modelled type, tagged `tags`: resource type -> ARN."""
    cloudwatch, logs, ecr = account.client("cloudwatch"), account.client("logs"), account.client("ecr")
    ec2, elbv2 = account.client("ec2"), account.client("elbv2")
    cloudwatch.put_metric_alarm(**alarm(f"{name}-cpu", tags))
    logs.create_log_group(logGroupName=f"/ecs/{name}", tags=tags)
    repository = ecr.create_repository(repositoryName=f"acme/{name}", tags=tags_list(tags))["repository"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b"))
    ]
    target_group = elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip", Tags=tags_list(tags)
    )["TargetGroups"][0]
    load_balancer = elbv2.create_load_balancer(Name=name, Subnets=subnets, Tags=tags_list(tags))["LoadBalancers"][0]
    return {
        "cloudwatch:alarm": cloudwatch.describe_alarms(AlarmNames=[f"{name}-cpu"])["MetricAlarms"][0]["AlarmArn"],
        "logs:log-group": logs.describe_log_groups(logGroupNamePrefix=f"/ecs/{name}")["logGroups"][0]["logGroupArn"],
        "ecr:repository": repository["repositoryArn"],
        "elasticloadbalancing:targetgroup": target_group["TargetGroupArn"],
        "elasticloadbalancing:loadbalancer": load_balancer["LoadBalancerArn"],
    }


def own_tags(account: Account, resource_type: str, arn: str) -> dict[str, str]:
    """The resource's tags as its own service's ListTagsForResource/DescribeTags answers them."""
    if resource_type == "cloudwatch:alarm":
        tags = account.client("cloudwatch").list_tags_for_resource(ResourceARN=arn)["Tags"]
    elif resource_type == "logs:log-group":
        return account.client("logs").list_tags_for_resource(resourceArn=arn)["tags"]
    elif resource_type == "ecr:repository":
        tags = account.client("ecr").list_tags_for_resource(resourceArn=arn)["tags"]
    else:
        tags = account.client("elbv2").describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    return {tag["Key"]: tag["Value"] for tag in tags}


# --- what is answered ------------------------------------------------------------------------------


def test_the_five_types_are_answered_with_the_arns_the_services_tag_by(account: Account) -> None:
    """GetResources answers alarms, log groups, ECR repositories, target groups and load balancers
    tagged with the project, several types in one call, each with the ARN its own service's
    ListTagsForResource takes and the tags it answers (moto answered neither log groups, under
    `logs:log-group`, nor ECR repositories). Log groups without DescribeLogGroups' `:*` (CloudWatch
    Logs API Reference, TagResource/ListTagsForResource `resourceArn`)."""
    ours = make_five(account, "acme-stage-auth", {PROJECT: "acme", "env": "stage"})
    make_five(account, "other-stage-auth", {PROJECT: "other"})
    account.advance(LAG)
    tagging = account.client("resourcegroupstaggingapi")
    found = listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=FIVE_TYPES, ResourcesPerPage=100)
    assert sorted(found) == sorted(ours.values())
    a = account.account_id
    patterns = {
        "cloudwatch:alarm": rf"arn:aws:cloudwatch:us-east-1:{a}:alarm:acme-stage-auth-cpu",
        "logs:log-group": rf"arn:aws:logs:us-east-1:{a}:log-group:/ecs/acme-stage-auth",
        "ecr:repository": rf"arn:aws:ecr:us-east-1:{a}:repository/acme/acme-stage-auth",
        "elasticloadbalancing:targetgroup": rf"arn:aws:elasticloadbalancing:us-east-1:{a}:targetgroup/acme-stage-auth/[0-9a-f]+",
        "elasticloadbalancing:loadbalancer": rf"arn:aws:elasticloadbalancing:us-east-1:{a}:loadbalancer/app/acme-stage-auth/[0-9a-f]+",
    }
    for resource_type, arn in ours.items():
        assert re.fullmatch(patterns[resource_type], arn), (resource_type, arn)
        assert found[arn] == {PROJECT: "acme", "env": "stage"} == own_tags(account, resource_type, arn)
    # DescribeLogGroups' `arn` is the same ARN with `:*`; GetResources answers the tagging form.
    group = account.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/acme-stage-auth")["logGroups"][0]
    assert group["arn"] == ours["logs:log-group"] + ":*"
    # One type at a time, and a service alone (service[:resourceType]).
    for resource_type, arn in ours.items():
        assert list(listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=[resource_type])) == [arn]
    elb = listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=["elasticloadbalancing"])
    assert sorted(elb) == sorted([ours["elasticloadbalancing:targetgroup"], ours["elasticloadbalancing:loadbalancer"]])
    # moto's name for log groups is not AWS's: it matches nothing.
    assert listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=["logs:loggroup"]) == {}


def test_tag_filters_and_their_values(account: Account) -> None:
    """TagFilters: every filter must match; a filter's values are alternatives; a filter without
    values matches any value of its key (GetResources, TagFilters)."""
    logs = account.client("logs")
    logs.create_log_group(logGroupName="a", tags={PROJECT: "acme", "env": "stage"})
    logs.create_log_group(logGroupName="b", tags={PROJECT: "acme", "env": "prod"})
    logs.create_log_group(logGroupName="c", tags={PROJECT: "other", "env": "stage"})
    account.advance(LAG)
    tagging = account.client("resourcegroupstaggingapi")

    def names(**request: Any) -> list[str]:
        return sorted(arn.rsplit(":", 1)[-1] for arn in listed(tagging, ResourceTypeFilters=["logs:log-group"], **request))

    assert names(TagFilters=project_filter()) == ["a", "b"]
    assert names(TagFilters=[{"Key": PROJECT, "Values": ["acme", "other"]}]) == ["a", "b", "c"]
    assert names(TagFilters=[{"Key": PROJECT}, {"Key": "env", "Values": ["stage"]}]) == ["a", "c"]
    assert names(TagFilters=[{"Key": "missing"}]) == []


# --- the index's lag --------------------------------------------------------------------------------


def test_a_new_resource_appears_only_after_the_lag(account: Account) -> None:
    """GetResources is an index that lags the services: a resource created less than the lag ago is
    absent (modelled: 2 simulated seconds by default)."""
    arns = make_five(account, "acme-stage-auth", {PROJECT: "acme"})
    tagging = account.client("resourcegroupstaggingapi")
    assert listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=FIVE_TYPES) == {}
    account.advance(LAG - 0.001)
    assert listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=FIVE_TYPES) == {}
    account.advance(0.001)
    assert sorted(listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=FIVE_TYPES)) == sorted(arns.values())


def test_a_retag_shows_the_old_tags_until_the_lag_has_passed(account: Account) -> None:
    """A retag less than the lag ago shows the previous tags; a resource untagged from the project
    leaves the project's answer only after the lag too (each service's own tagging calls)."""
    arns = make_five(account, "acme-stage-auth", {PROJECT: "acme", "env": "stage"})
    account.advance(LAG)
    account.client("cloudwatch").tag_resource(ResourceARN=arns["cloudwatch:alarm"], Tags=[{"Key": "env", "Value": "prod"}])
    account.client("logs").tag_resource(resourceArn=arns["logs:log-group"], tags={"env": "prod"})
    account.client("ecr").tag_resource(resourceArn=arns["ecr:repository"], tags=[{"Key": "env", "Value": "prod"}])
    account.client("elbv2").add_tags(ResourceArns=[arns["elasticloadbalancing:targetgroup"]], Tags=[{"Key": "env", "Value": "prod"}])
    account.client("elbv2").remove_tags(ResourceArns=[arns["elasticloadbalancing:loadbalancer"]], TagKeys=[PROJECT])
    tagging = account.client("resourcegroupstaggingapi")
    before = listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=FIVE_TYPES)
    assert sorted(before) == sorted(arns.values())
    assert all(tags == {PROJECT: "acme", "env": "stage"} for tags in before.values())
    account.advance(LAG)
    after = listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=FIVE_TYPES)
    assert arns["elasticloadbalancing:loadbalancer"] not in after
    for resource_type in FIVE_TYPES[:4]:
        assert after[arns[resource_type]] == {PROJECT: "acme", "env": "prod"} == own_tags(account, resource_type, arns[resource_type])


def test_a_deleted_resource_is_listed_with_its_last_tags_until_the_lag_has_passed(account: Account) -> None:
    """A resource deleted less than the lag ago is still listed, with its last tags."""
    arns = make_five(account, "acme-stage-auth", {PROJECT: "acme"})
    account.advance(LAG)
    account.client("cloudwatch").delete_alarms(AlarmNames=["acme-stage-auth-cpu"])
    account.client("logs").delete_log_group(logGroupName="/ecs/acme-stage-auth")
    account.client("ecr").delete_repository(repositoryName="acme/acme-stage-auth")
    account.client("elbv2").delete_load_balancer(LoadBalancerArn=arns["elasticloadbalancing:loadbalancer"])
    account.client("elbv2").delete_target_group(TargetGroupArn=arns["elasticloadbalancing:targetgroup"])
    tagging = account.client("resourcegroupstaggingapi")
    still = listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=FIVE_TYPES)
    assert sorted(still) == sorted(arns.values()) and all(tags == {PROJECT: "acme"} for tags in still.values())
    account.advance(LAG)
    assert listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=FIVE_TYPES) == {}


def test_a_re_created_log_group_starts_without_its_predecessors_tags(account: Account) -> None:
    """DeleteLogGroup deletes the group's tags (CloudWatch Logs API Reference, DeleteLogGroup; a tag
    belongs to its resource): moto kept them, so a new group of the same name (same ARN) answered
    the old tags in ListTagsForResource and GetResources."""
    logs = account.client("logs")
    logs.create_log_group(logGroupName="/ecs/auth", tags={PROJECT: "acme", "old": "yes"})
    arn = logs.describe_log_groups(logGroupNamePrefix="/ecs/auth")["logGroups"][0]["logGroupArn"]
    logs.delete_log_group(logGroupName="/ecs/auth")
    logs.create_log_group(logGroupName="/ecs/auth", tags={PROJECT: "acme"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {PROJECT: "acme"}
    account.advance(LAG)
    assert listed(account.client("resourcegroupstaggingapi"), TagFilters=project_filter()) == {arn: {PROJECT: "acme"}}


def test_previously_tagged_resources_are_listed_with_no_tags_and_untagged_ones_never(account: Account) -> None:
    """GetResources, TagFilters: "If you don't specify a TagFilter, the response includes all
    resources that are currently tagged or ever had a tag. Resources that were previously tagged,
    but do not currently have tags, are shown with an empty tag set"; "GetResources does not return
    untagged resources"."""
    logs = account.client("logs")
    logs.create_log_group(logGroupName="never")
    logs.create_log_group(logGroupName="once", tags={PROJECT: "acme"})
    once = logs.describe_log_groups(logGroupNamePrefix="once")["logGroups"][0]["logGroupArn"]
    logs.untag_resource(resourceArn=once, tagKeys=[PROJECT])
    account.advance(LAG)
    tagging = account.client("resourcegroupstaggingapi")
    assert listed(tagging, ResourceTypeFilters=["logs:log-group"]) == {once: {}}
    assert listed(tagging, TagFilters=project_filter(), ResourceTypeFilters=["logs:log-group"]) == {}


def test_the_lag_is_set_per_account_through_the_control_api(account: Account, other_account: Account) -> None:
    """Control API `PUT /_ecsdeploy/accounts/{id}/tagging-index {"lag_seconds": N}` (0 allowed,
    null: the default 2 s); `GET` shows it with the indexed resources' events. Other accounts keep
    theirs."""
    status, answer = set_lag(account, 0)
    assert status == 200 and answer["lag_seconds"] == 0 and answer["default_lag_seconds"] == LAG
    logs = account.client("logs")
    logs.create_log_group(logGroupName="now", tags={PROJECT: "acme"})
    tagging = account.client("resourcegroupstaggingapi")
    assert len(listed(tagging, TagFilters=project_filter())) == 1

    assert set_lag(account, 30)[0] == 200
    assert listed(tagging, TagFilters=project_filter()) == {}  # created 0 s ago, lag 30 s
    account.advance(30)
    arn = logs.describe_log_groups(logGroupNamePrefix="now")["logGroups"][0]["logGroupArn"]
    assert listed(tagging, TagFilters=project_filter()) == {arn: {PROJECT: "acme"}}
    logs.tag_resource(resourceArn=arn, tags={"env": "prod"})
    account.advance(29)
    assert listed(tagging, TagFilters=project_filter()) == {arn: {PROJECT: "acme"}}
    account.advance(1)
    assert listed(tagging, TagFilters=project_filter()) == {arn: {PROJECT: "acme", "env": "prod"}}

    status, index = account.emulator.request("GET", f"/_ecsdeploy/accounts/{account.account_id}/tagging-index")
    assert status == 200 and index["lag_seconds"] == 30 and index["account_lag_seconds"] == 30
    [resource] = index["resources"]
    assert resource["arn"] == arn and resource["resource_type"] == "logs:log-group"
    assert [event["tags"] for event in resource["events"]] == [{PROJECT: "acme"}, {PROJECT: "acme", "env": "prod"}]

    status, answer = set_lag(account, None)
    assert status == 200 and answer["lag_seconds"] == LAG and answer["account_lag_seconds"] is None
    status, theirs = other_account.emulator.request("GET", f"/_ecsdeploy/accounts/{other_account.account_id}/tagging-index")
    assert status == 200 and theirs["lag_seconds"] == LAG and theirs["resources"] == []


@pytest.mark.parametrize("body", [{"lag_seconds": -1}, {"lag_seconds": "2"}, {"lag_seconds": True}, {"lag_seconds": 86401}, {}, {"lag_seconds": 1, "extra": 1}])
def test_the_lag_setting_refuses_bad_input(account: Account, body: dict[str, Any]) -> None:
    status, answer = account.emulator.request("PUT", f"/_ecsdeploy/accounts/{account.account_id}/tagging-index", body)
    assert status == 400 and answer["error"]


def test_other_resource_types_keep_moto_s_unlagged_answer(account: Account) -> None:
    """Types outside the five (here a Secrets Manager secret) are moto's, without the lag."""
    secret = account.client("secretsmanager").create_secret(Name="acme/db", SecretString="x", Tags=tags_list({PROJECT: "acme"}))
    found = listed(account.client("resourcegroupstaggingapi"), TagFilters=project_filter())
    assert found == {secret["ARN"]: {PROJECT: "acme"}}


# --- pages -------------------------------------------------------------------------------------------


def make_log_groups(account: Account, count: int, tags: dict[str, str] | None = None) -> list[str]:
    logs = account.client("logs")
    for number in range(count):
        logs.create_log_group(logGroupName=f"/ecs/g{number:03d}", tags=tags or {PROJECT: "acme"})
    set_lag(account, 0)
    pages = logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/ecs/g")
    return sorted(group["logGroupArn"] for page in pages for group in page["logGroups"])


def test_pages_honour_resources_per_page_and_end_with_an_empty_token(account: Account) -> None:
    """ResourcesPerPage ("You can specify a minimum of 1 and a maximum value of 100") bounds each
    page; the last page's PaginationToken is "" (AWS answers an empty string, never null:
    boto/boto3#2513, aws/aws-sdk-go#4121); a full page carries a token even when nothing follows
    ("A query can return fewer than this maximum, even if there are more results still to return.
    You should always check the PaginationToken response value")."""
    arns = make_log_groups(account, 5)
    tagging = account.client("resourcegroupstaggingapi")
    request = {"TagFilters": project_filter(), "ResourceTypeFilters": ["logs:log-group"]}
    pages, token = [], ""
    while True:
        page = tagging.get_resources(**request, ResourcesPerPage=2, **({"PaginationToken": token} if token else {}))
        pages.append([mapping["ResourceARN"] for mapping in page["ResourceTagMappingList"]])
        token = page["PaginationToken"]
        if not token:
            break
    assert pages == [arns[0:2], arns[2:4], arns[4:5]]
    assert page["PaginationToken"] == ""

    full = tagging.get_resources(**request, ResourcesPerPage=5)
    assert [mapping["ResourceARN"] for mapping in full["ResourceTagMappingList"]] == arns
    assert full["PaginationToken"] != ""
    empty = tagging.get_resources(**request, ResourcesPerPage=5, PaginationToken=full["PaginationToken"])
    assert empty["ResourceTagMappingList"] == [] and empty["PaginationToken"] == ""
    # An empty token is a first request ("Leave this parameter empty in your initial request").
    again = tagging.get_resources(**request, ResourcesPerPage=5, PaginationToken="")
    assert [mapping["ResourceARN"] for mapping in again["ResourceTagMappingList"]] == arns


def test_without_resources_per_page_a_page_holds_at_most_100(account: Account) -> None:
    """AWS documents ResourcesPerPage's range (1-100) but no default; a request without it gets at
    most the maximum, 100 (moto answered 50)."""
    arns = make_log_groups(account, 101)
    tagging = account.client("resourcegroupstaggingapi")
    first = tagging.get_resources(TagFilters=project_filter())
    assert [mapping["ResourceARN"] for mapping in first["ResourceTagMappingList"]] == arns[:100]
    rest = tagging.get_resources(TagFilters=project_filter(), PaginationToken=first["PaginationToken"])
    assert [mapping["ResourceARN"] for mapping in rest["ResourceTagMappingList"]] == arns[100:]
    assert rest["PaginationToken"] == ""


def test_tags_per_page_never_splits_a_resource(account: Account) -> None:
    """TagsPerPage (100-500): "GetResources does not split a resource and its associated tags
    across pages"; a page stops before the resource whose tags would pass the limit."""
    tags = {PROJECT: "acme", **{f"k{number}": "v" for number in range(39)}}  # 40 tags each
    arns = make_log_groups(account, 3, tags)
    tagging = account.client("resourcegroupstaggingapi")
    first = tagging.get_resources(TagFilters=project_filter(), TagsPerPage=100)
    assert [mapping["ResourceARN"] for mapping in first["ResourceTagMappingList"]] == arns[:2]
    second = tagging.get_resources(TagFilters=project_filter(), TagsPerPage=100, PaginationToken=first["PaginationToken"])
    assert [mapping["ResourceARN"] for mapping in second["ResourceTagMappingList"]] == arns[2:]
    assert len(second["ResourceTagMappingList"][0]["Tags"]) == 40 and second["PaginationToken"] == ""


def test_the_pages_of_one_listing_are_one_snapshot_and_a_token_may_be_reused(account: Account) -> None:
    """A token continues its listing as of its first page (a resource created or deleted meanwhile
    does not shift later pages); a token from an earlier call works again (an SDK retry)."""
    arns = make_log_groups(account, 4)
    tagging = account.client("resourcegroupstaggingapi")
    request = {"TagFilters": project_filter(), "ResourcesPerPage": 2}
    first = tagging.get_resources(**request)
    logs = account.client("logs")
    logs.create_log_group(logGroupName="/ecs/g000a", tags={PROJECT: "acme"})  # sorts after g000, before g001
    logs.delete_log_group(logGroupName="/ecs/g003")
    second = tagging.get_resources(**request, PaginationToken=first["PaginationToken"])
    assert [mapping["ResourceARN"] for mapping in second["ResourceTagMappingList"]] == arns[2:4]
    repeat = tagging.get_resources(**request, PaginationToken=first["PaginationToken"])
    assert repeat["ResourceTagMappingList"] == second["ResourceTagMappingList"]
    # A new listing sees the changes.
    assert len(listed(tagging, TagFilters=project_filter())) == 4


def test_a_resource_arn_list_answers_only_those_resources(account: Account) -> None:
    """ResourceARNList: "Specifies a list of ARNs of resources for which you want to retrieve tag
    data"; "If a resource specified by this parameter doesn't exist, it doesn't generate an error"."""
    arns = make_log_groups(account, 3)
    missing = arns[0].replace("g000", "nope")
    page = account.client("resourcegroupstaggingapi").get_resources(ResourceARNList=[arns[2], missing, arns[0]])
    assert sorted(mapping["ResourceARN"] for mapping in page["ResourceTagMappingList"]) == [arns[0], arns[2]]
    assert page["PaginationToken"] == ""


# --- tokens and refusals -----------------------------------------------------------------------------


def test_unknown_expired_and_foreign_tokens_are_refused(account: Account, emulator: Any) -> None:
    """PaginationTokenExpiredException: "The request failed because the specified PaginationToken has
    expired. A PaginationToken is valid for a maximum of 15 minutes." (in the account's simulated
    time); a token AWS never issued, or another account's, is refused the same way. A token used
    with other filters than its first page's is InvalidParameterException (ours: AWS does not
    document it)."""
    make_log_groups(account, 3)
    tagging = account.client("resourcegroupstaggingapi")
    first = tagging.get_resources(TagFilters=project_filter(), ResourcesPerPage=1)
    token = first["PaginationToken"]

    response = refused(tagging.get_resources, TagFilters=project_filter(), ResourcesPerPage=1, PaginationToken="not-a-token")
    assert response["Error"]["Code"] == "PaginationTokenExpiredException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400

    other = new_account(emulator)
    response = refused(other.client("resourcegroupstaggingapi").get_resources, TagFilters=project_filter(), PaginationToken=token)
    assert response["Error"]["Code"] == "PaginationTokenExpiredException"

    response = refused(tagging.get_resources, TagFilters=[{"Key": PROJECT}], ResourcesPerPage=1, PaginationToken=token)
    assert response["Error"]["Code"] == "InvalidParameterException"

    account.advance(15 * 60)
    assert tagging.get_resources(TagFilters=project_filter(), ResourcesPerPage=1, PaginationToken=token)["ResourceTagMappingList"]
    account.advance(0.001)
    response = refused(tagging.get_resources, TagFilters=project_filter(), ResourcesPerPage=1, PaginationToken=token)
    assert response["Error"]["Code"] == "PaginationTokenExpiredException"


INVALID_REQUESTS = [
    ({"ResourcesPerPage": 0}, "resourcesPerPage"),
    ({"ResourcesPerPage": 101}, "resourcesPerPage"),
    ({"TagsPerPage": 99}, "tagsPerPage"),
    ({"TagsPerPage": 501}, "tagsPerPage"),
    ({"TagFilters": [{"Key": f"k{n}"} for n in range(51)]}, "tagFilters"),
    ({"TagFilters": [{"Key": PROJECT, "Values": [f"v{n}" for n in range(21)]}]}, "tagFilters.1.member.values"),
    ({"TagFilters": [{"Values": ["acme"]}]}, "tagFilters.1.member.key"),
    ({"TagFilters": [{"Key": "k" * 129}]}, "tagFilters.1.member.key"),
    ({"ResourceTypeFilters": ["logs:"]}, "service[:resourceType]"),
    ({"ResourceTypeFilters": [":log-group"]}, "service[:resourceType]"),
    ({"ResourceTypeFilters": ["Logs:log-group"]}, "service[:resourceType]"),
    ({"ResourceTypeFilters": ["logs:log-group:x"]}, "service[:resourceType]"),
    ({"ResourceTypeFilters": [""]}, "service[:resourceType]"),
    ({"ResourceTypeFilters": ["logs"] * 101}, "resourceTypeFilters"),
    ({"ResourceARNList": ["arn:aws:logs:us-east-1:123456789012:log-group:x"], "TagFilters": project_filter()}, "ResourceARNList and TagFilters"),
    ({"ResourceARNList": ["arn:aws:logs:us-east-1:123456789012:log-group:x"], "ResourceTypeFilters": ["logs"]}, "ResourceARNList and ResourceTypeFilters"),
    ({"ResourceARNList": ["arn:aws:logs:us-east-1:123456789012:log-group:x"], "ResourcesPerPage": 10}, "ResourceARNList and ResourcesPerPage"),
    ({"ResourceARNList": [f"arn:aws:logs:us-east-1:123456789012:log-group:{n}" for n in range(101)]}, "resourceARNList"),
    ({"ExcludeCompliantResources": True}, "IncludeComplianceDetails"),
]


@pytest.mark.parametrize(("request_members", "named"), INVALID_REQUESTS, ids=[str(n) for n in range(len(INVALID_REQUESTS))])
def test_invalid_parameters_are_refused(account: Account, request_members: dict[str, Any], named: str) -> None:
    """GetResources request members (API reference): ResourcesPerPage 1-100, TagsPerPage 100-500, up
    to 50 TagFilters with up to 20 values, a TagKey of 1-128 characters, ResourceTypeFilters
    `service[:resourceType]` and up to 100 of them, ResourceARNList (1-100) not with TagFilters,
    ResourceTypeFilters or pagination parameters ("If you do, you get an Invalid Parameter
    exception"), ExcludeCompliantResources only with IncludeComplianceDetails:
    InvalidParameterException (400; the messages are ours)."""
    response = refused(account.unvalidated_client("resourcegroupstaggingapi").get_resources, **request_members)
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert named in response["Error"]["Message"]
