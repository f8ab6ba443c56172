"""IAM GetAccountAuthorizationDetails (`iam_details`): pages, checked parameters, RoleDetail as IAM sends it.

AWS reference: IAM API Reference, GetAccountAuthorizationDetails
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html) and
its `RoleDetail` data type. boto3 URL-decodes and parses IAM policy documents after each call
(botocore's `json_decode_policies` handler); the AWS SDK for Rust does not, so the wire is checked
with that handler removed.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.handlers import json_decode_policies
from conftest import Account

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
INLINE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-bucket/a b+c&d"}],
}
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"


def wire_client(account: Account) -> Any:
    """An IAM client that returns policy documents as they come over the wire (URL-encoded)."""
    iam = account.client("iam")
    iam.meta.events.unregister("after-call.iam", json_decode_policies)
    return iam


def all_roles(iam: Any, **request: Any) -> list[dict[str, Any]]:
    roles, marker = [], None
    while True:
        page = iam.get_account_authorization_details(Filter=["Role"], **request, **({"Marker": marker} if marker else {}))
        roles += page["RoleDetailList"]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            return roles
        marker = page["Marker"]


def make_role(iam: Any, name: str, **extra: Any) -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **extra)


def test_a_role_detail_carries_what_get_role_and_its_reads_answer(account: Account) -> None:
    """RoleDetail (API Reference): Path, RoleName, RoleId, Arn, CreateDate, AssumeRolePolicyDocument,
    InstanceProfileList, RolePolicyList, AttachedManagedPolicies, PermissionsBoundary, Tags,
    RoleLastUsed. "Policies returned by this operation are URL-encoded compliant with RFC 3986": the
    trust policy and the inline policies are the same URL-encoded strings GetRole and GetRolePolicy
    send (moto sent the trust policy here as plain JSON); the tags are ListRoleTags', the attached
    policies ListAttachedRolePolicies'."""
    iam = wire_client(account)
    make_role(
        iam,
        "acme-stage-auth-task",
        Path="/ecsdeploy/",
        Tags=[{"Key": "ecsdeploy:project", "Value": "acme"}, {"Key": "env", "Value": "stage"}],
        PermissionsBoundary=BOUNDARY,
    )
    iam.put_role_policy(RoleName="acme-stage-auth-task", PolicyName="bucket", PolicyDocument=json.dumps(INLINE))
    iam.attach_role_policy(RoleName="acme-stage-auth-task", PolicyArn=EXECUTION_POLICY)
    iam.create_instance_profile(InstanceProfileName="acme-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="acme-profile", RoleName="acme-stage-auth-task")
    make_role(iam, "plain")

    details = {role["RoleName"]: role for role in all_roles(iam)}
    assert set(details) == {"acme-stage-auth-task", "plain"}
    detail = details["acme-stage-auth-task"]
    role = iam.get_role(RoleName="acme-stage-auth-task")["Role"]
    for member in ("Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument", "PermissionsBoundary"):
        assert detail[member] == role[member], member
    assert detail["Arn"] == f"arn:aws:iam::{account.account_id}:role/ecsdeploy/acme-stage-auth-task"
    assert detail["AssumeRolePolicyDocument"].startswith("%7B")
    assert json.loads(urllib.parse.unquote(detail["AssumeRolePolicyDocument"])) == TRUST
    assert detail["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": BOUNDARY}

    inline = iam.get_role_policy(RoleName="acme-stage-auth-task", PolicyName="bucket")["PolicyDocument"]
    assert detail["RolePolicyList"] == [{"PolicyName": "bucket", "PolicyDocument": inline}]
    assert json.loads(urllib.parse.unquote(inline)) == INLINE
    attached = iam.list_attached_role_policies(RoleName="acme-stage-auth-task")["AttachedPolicies"]
    assert detail["AttachedManagedPolicies"] == attached == [
        {"PolicyName": "AmazonECSTaskExecutionRolePolicy", "PolicyArn": EXECUTION_POLICY}
    ]
    listed_tags = iam.list_role_tags(RoleName="acme-stage-auth-task")["Tags"]
    assert {tag["Key"]: tag["Value"] for tag in detail["Tags"]} == {tag["Key"]: tag["Value"] for tag in listed_tags}
    assert {tag["Key"]: tag["Value"] for tag in detail["Tags"]} == {"ecsdeploy:project": "acme", "env": "stage"}

    [profile] = detail["InstanceProfileList"]
    assert profile["InstanceProfileName"] == "acme-profile"
    assert [r["RoleName"] for r in profile["Roles"]] == ["acme-stage-auth-task"]
    assert profile["Roles"][0]["AssumeRolePolicyDocument"] == role["AssumeRolePolicyDocument"]
    assert detail["RoleLastUsed"] == {}

    plain = details["plain"]
    assert "PermissionsBoundary" not in plain
    assert plain["RolePolicyList"] == [] and plain["AttachedManagedPolicies"] == [] and plain["Tags"] == []
    assert plain["InstanceProfileList"] == []

    # boto3 (which decodes policy documents) reads the same trust policy as a document.
    decoded = account.client("iam").get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    assert {r["RoleName"]: r["AssumeRolePolicyDocument"] for r in decoded}["plain"] == TRUST


def test_pages_of_max_items_with_is_truncated_and_a_marker(account: Account) -> None:
    """MaxItems (1-1000): "If additional items exist beyond the maximum you specify, the IsTruncated
    response element is true"; Marker: "When IsTruncated is true, this element is present and
    contains the value to use for the Marker parameter in a subsequent pagination request." moto
    answered everything at once with IsTruncated false."""
    iam = account.client("iam")
    names = [f"role-{number}" for number in range(5)]
    for name in names:
        make_role(iam, name)
    pages = []
    marker = None
    while True:
        page = iam.get_account_authorization_details(Filter=["Role"], MaxItems=2, **({"Marker": marker} if marker else {}))
        pages.append([role["RoleName"] for role in page["RoleDetailList"]])
        assert page["UserDetailList"] == [] and page["GroupDetailList"] == [] and page["Policies"] == []
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert pages == [names[0:2], names[2:4], names[4:5]]
    # boto3's paginator (Marker/IsTruncated) walks the same pages.
    paginator = iam.get_paginator("get_account_authorization_details")
    walked = [role["RoleName"] for page in paginator.paginate(Filter=["Role"], PaginationConfig={"PageSize": 2}) for role in page["RoleDetailList"]]
    assert walked == names


def test_without_max_items_a_page_holds_100_items(account: Account) -> None:
    """"If you do not include this parameter, the number of items defaults to 100." Without a
    filter every kind counts: the account's user and AWS's managed policies (over 1,500 in moto's
    account) fill the first page."""
    page = account.client("iam").get_account_authorization_details()
    count = sum(len(page[name]) for name in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"))
    assert count == 100 and page["IsTruncated"] is True and page["Marker"]
    assert len(page["UserDetailList"]) == 1  # the account's own user comes first


def test_filter_selects_the_kinds(account: Account) -> None:
    """Filter: "Only the entities that match the types you specify are included in the output.
    Use the value LocalManagedPolicy to include customer managed policies.\""""
    iam = account.client("iam")
    make_role(iam, "r")
    iam.create_policy(PolicyName="mine", PolicyDocument=json.dumps(INLINE))
    page = iam.get_account_authorization_details(Filter=["LocalManagedPolicy", "Role"])
    assert [role["RoleName"] for role in page["RoleDetailList"]] == ["r"]
    assert [policy["PolicyName"] for policy in page["Policies"]] == ["mine"]
    assert page["Policies"][0]["PolicyId"] and page["Policies"][0]["Arn"] == f"arn:aws:iam::{account.account_id}:policy/mine"
    assert page["UserDetailList"] == [] and page["IsTruncated"] is False


@pytest.mark.parametrize(
    ("request_members", "message"),
    [
        ({"MaxItems": 0}, "Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        ({"MaxItems": 1001}, "Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"),
        ({"Filter": ["Roles"]}, "at 'filter' failed to satisfy constraint"),
        ({"Marker": "not-a-marker"}, "Invalid Marker."),
    ],
)
def test_bad_parameters_are_refused(account: Account, request_members: dict[str, Any], message: str) -> None:
    """MaxItems 1-1000, Filter values from User, Role, Group, LocalManagedPolicy, AWSManagedPolicy
    (API Reference): the constraint error (ValidationError, 400); a marker IAM did not issue:
    ValidationError "Invalid Marker." (IAM's answer to a bad marker; not documented)."""
    with pytest.raises(ClientError) as raised:
        account.unvalidated_client("iam").get_account_authorization_details(**request_members)
    error = raised.value.response
    assert error["Error"]["Code"] == "ValidationError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message in error["Error"]["Message"]
