"""IAM, CloudWatch Logs, ECR and Secrets Manager requests AWS refuses and moto 5.2.5 accepted
(see validation.iam, validation.logs, validation.tags)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Account

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response


def test_role_names_longer_than_64_characters_are_refused(account: Account) -> None:
    """IAM API Reference, CreateRole `RoleName`: "Length Constraints: Minimum length of 1. Maximum
    length of 64. Pattern: [\\w+=,.@-]+"; IAM User Guide, "IAM and AWS STS quotas": "Role name: 64
    characters". AWS: ValidationError "1 validation error detected: Value '...' at 'roleName'
    failed to satisfy constraint: Member must have length less than or equal to 64". moto created
    the role."""
    iam = account.unvalidated_client("iam")
    name = "acme-stage-" + "x" * 54
    assert len(name) == 65
    response = refused(iam.create_role, RoleName=name, AssumeRolePolicyDocument=TRUST)
    assert response["Error"]["Code"] == "ValidationError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"] == (
        f"1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    )
    response = refused(iam.create_role, RoleName="acme/stage", AssumeRolePolicyDocument=TRUST)
    assert "Member must satisfy regular expression pattern: [\\w+=,.@-]+" in response["Error"]["Message"]
    assert [role["RoleName"] for role in iam.list_roles()["Roles"] if role["RoleName"].startswith("acme")] == []
    iam.create_role(RoleName=name[:64], AssumeRolePolicyDocument=TRUST)


def policy_of_size(characters: int, padding: str = "") -> str:
    """A policy document with exactly `characters` non-white-space characters (plus `padding`)."""
    skeleton = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::"}],
    }
    base = len(json.dumps(skeleton, separators=(",", ":")))
    skeleton["Statement"][0]["Resource"] = "arn:aws:s3:::" + "b" * (characters - base)
    compact = json.dumps(skeleton, separators=(",", ":"))
    assert len(compact) == characters
    return compact.replace(",", "," + padding)


def test_inline_role_policies_over_10240_characters_in_total_are_refused(account: Account) -> None:
    """IAM User Guide, "IAM and AWS STS quotas": "You can add as many inline policies as you want to
    an IAM user, role, or group. But the total aggregate policy size (the sum size of all inline
    policies) per entity cannot exceed the following quotas: ... Role policy size cannot exceed
    10,240 characters." and "IAM does not count white space when calculating the size of a policy
    against these quotas." AWS: LimitExceeded (409) "Maximum policy size of 10240 bytes exceeded
    for role <name>". Replacing a policy replaces its size. moto stored any size."""
    iam = account.client("iam")
    iam.create_role(RoleName="acme-stage-auth-task", AssumeRolePolicyDocument=TRUST)
    spaced = policy_of_size(10240, padding=" " * 40)
    assert len(spaced) > 10240
    iam.put_role_policy(RoleName="acme-stage-auth-task", PolicyName="all", PolicyDocument=spaced)
    iam.put_role_policy(RoleName="acme-stage-auth-task", PolicyName="all", PolicyDocument=policy_of_size(10240))

    response = refused(
        iam.put_role_policy, RoleName="acme-stage-auth-task", PolicyName="all", PolicyDocument=policy_of_size(10241)
    )
    assert response["Error"]["Code"] == "LimitExceeded"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert response["Error"]["Message"] == "Maximum policy size of 10240 bytes exceeded for role acme-stage-auth-task"

    iam.put_role_policy(RoleName="acme-stage-auth-task", PolicyName="all", PolicyDocument=policy_of_size(6000))
    response = refused(
        iam.put_role_policy, RoleName="acme-stage-auth-task", PolicyName="more", PolicyDocument=policy_of_size(4241)
    )
    assert response["Error"]["Code"] == "LimitExceeded"
    assert iam.list_role_policies(RoleName="acme-stage-auth-task")["PolicyNames"] == ["all"]
    iam.put_role_policy(RoleName="acme-stage-auth-task", PolicyName="more", PolicyDocument=policy_of_size(4240))


def test_only_the_retention_periods_cloudwatch_logs_offers_are_accepted(account: Account) -> None:
    """CloudWatch Logs API Reference, PutRetentionPolicy `retentionInDays`: "Possible values are:
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, and 3653." Anything else: InvalidParameterException (the service's constraint error,
    "Member must satisfy enum value set: [...]"); the group keeps its retention."""
    logs = account.client("logs")
    logs.create_log_group(logGroupName="/ecs/acme/stage/auth")
    for days in RETENTION_DAYS:
        logs.put_retention_policy(logGroupName="/ecs/acme/stage/auth", retentionInDays=days)
    for days in (0, 2, 10, 366, 3650, 4000):
        response = refused(logs.put_retention_policy, logGroupName="/ecs/acme/stage/auth", retentionInDays=days)
        assert response["Error"]["Code"] == "InvalidParameterException"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert response["Error"]["Message"] == (
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(str(d) for d in RETENTION_DAYS)}]"
        )
    [group] = logs.describe_log_groups(logGroupNamePrefix="/ecs/acme/stage/auth")["logGroups"]
    assert group["retentionInDays"] == 3653


RESERVED = [{"Key": "aws:createdBy", "Value": "me"}]


def test_aws_prefixed_tag_keys_are_refused_by_iam(account: Account) -> None:
    """IAM User Guide, "Tagging IAM resources": "You cannot create a tag key or value that begins
    with the text aws:. This tag prefix is reserved for AWS internal use." InvalidInput on CreateRole
    and TagRole; nothing is created or tagged."""
    iam = account.client("iam")
    response = refused(iam.create_role, RoleName="acme-tagged", AssumeRolePolicyDocument=TRUST, Tags=RESERVED)
    assert response["Error"]["Code"] == "InvalidInput"
    assert "aws:createdBy" in response["Error"]["Message"]
    iam.create_role(RoleName="acme-tagged", AssumeRolePolicyDocument=TRUST)
    response = refused(iam.tag_role, RoleName="acme-tagged", Tags=[{"Key": "AWS:team", "Value": "x"}])
    assert response["Error"]["Code"] == "InvalidInput"
    assert iam.list_role_tags(RoleName="acme-tagged")["Tags"] == []
    iam.tag_role(RoleName="acme-tagged", Tags=[{"Key": "team", "Value": "platform"}])


def test_aws_prefixed_tag_keys_are_refused_by_cloudwatch_logs(account: Account) -> None:
    """Tagging AWS Resources, "Tag naming limits and requirements": the aws: prefix is reserved for
    AWS use (any case). CloudWatch Logs answers InvalidParameterException on CreateLogGroup,
    TagResource and TagLogGroup; nothing is created or tagged."""
    logs = account.client("logs")
    response = refused(logs.create_log_group, logGroupName="/ecs/tagged", tags={"aws:createdBy": "me"})
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert logs.describe_log_groups(logGroupNamePrefix="/ecs/tagged")["logGroups"] == []
    logs.create_log_group(logGroupName="/ecs/tagged")
    arn = logs.describe_log_groups(logGroupNamePrefix="/ecs/tagged")["logGroups"][0]["arn"].removesuffix(":*")
    response = refused(logs.tag_resource, resourceArn=arn, tags={"AWS:team": "x"})
    assert response["Error"]["Code"] == "InvalidParameterException"
    response = refused(logs.tag_log_group, logGroupName="/ecs/tagged", tags={"aws:team": "x"})
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    logs.tag_resource(resourceArn=arn, tags={"team": "platform"})


def test_aws_prefixed_tag_keys_are_refused_by_ecr(account: Account) -> None:
    """Tagging AWS Resources, "Tag naming limits and requirements": the aws: prefix is reserved for
    AWS use. ECR answers InvalidTagParameterException (its error for "An invalid parameter has been
    specified. Tag keys can have a maximum character length of 128 characters...") on
    CreateRepository and TagResource; nothing is created or tagged."""
    ecr = account.client("ecr")
    response = refused(ecr.create_repository, repositoryName="acme/tagged", tags=RESERVED)
    assert response["Error"]["Code"] == "InvalidTagParameterException"
    assert ecr.describe_repositories()["repositories"] == []
    arn = ecr.create_repository(repositoryName="acme/tagged")["repository"]["repositoryArn"]
    response = refused(ecr.tag_resource, resourceArn=arn, tags=[{"Key": "AWS:team", "Value": "x"}])
    assert response["Error"]["Code"] == "InvalidTagParameterException"
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == []
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "team", "Value": "platform"}])


def test_aws_prefixed_tag_keys_are_refused_by_secrets_manager(account: Account) -> None:
    """Secrets Manager API Reference, TagResource / CreateSecret `Tags`: "Do not use the aws: prefix
    in your tag names or values because it is reserved for AWS use." InvalidParameterException;
    nothing is created or tagged."""
    secrets = account.client("secretsmanager")
    response = refused(secrets.create_secret, Name="stage/tagged", SecretString="x", Tags=RESERVED)
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert secrets.list_secrets()["SecretList"] == []
    secrets.create_secret(Name="stage/tagged", SecretString="x")
    response = refused(secrets.tag_resource, SecretId="stage/tagged", Tags=[{"Key": "AWS:team", "Value": "x"}])
    assert response["Error"]["Code"] == "InvalidParameterException"
    assert secrets.describe_secret(SecretId="stage/tagged").get("Tags", []) == []
    secrets.tag_resource(SecretId="stage/tagged", Tags=[{"Key": "team", "Value": "platform"}])
