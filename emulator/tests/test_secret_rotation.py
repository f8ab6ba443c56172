"""RotateSecret with RotateImmediately=false configures rotation without running the function."""

from __future__ import annotations

import botocore.exceptions
import pytest

from conftest import Account


def world_function(account: Account) -> str:
    return account.control("/world")["rotation_function_arn"]


def test_configuring_rotation_keeps_the_versions_and_the_rules_as_given(account: Account) -> None:
    function = world_function(account)
    secrets = account.client("secretsmanager")
    before = secrets.describe_secret(SecretId="stage/auth/db")["VersionIdsToStages"]
    secrets.rotate_secret(
        SecretId="stage/auth/db",
        RotationLambdaARN=function,
        RotationRules={"ScheduleExpression": "rate(30 days)", "Duration": "4h"},
        RotateImmediately=False,
    )
    described = secrets.describe_secret(SecretId="stage/auth/db")
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == function
    assert described["RotationRules"] == {"ScheduleExpression": "rate(30 days)", "Duration": "4h"}
    assert described["VersionIdsToStages"] == before, "no AWSPENDING version is left behind"

    secrets.cancel_rotate_secret(SecretId="stage/auth/db")
    assert secrets.describe_secret(SecretId="stage/auth/db")["RotationEnabled"] is False


def test_an_unknown_function_or_both_schedules_are_refused(account: Account) -> None:
    function = world_function(account)
    secrets = account.client("secretsmanager")
    with pytest.raises(botocore.exceptions.ClientError) as unknown:
        secrets.rotate_secret(
            SecretId="stage/auth/jwt",
            RotationLambdaARN=function.replace("acme-secret-rotation", "no-such-function"),
            RotationRules={"ScheduleExpression": "rate(30 days)"},
            RotateImmediately=False,
        )
    assert unknown.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as both:
        secrets.rotate_secret(
            SecretId="stage/auth/jwt",
            RotationLambdaARN=function,
            RotationRules={"ScheduleExpression": "rate(30 days)", "AutomaticallyAfterDays": 30},
            RotateImmediately=False,
        )
    assert both.value.response["Error"]["Code"] == "InvalidParameterException"
    assert secrets.describe_secret(SecretId="stage/auth/jwt").get("RotationEnabled") in (None, False)
