"""Protection against deletion and data loss: ELBv2 deletion protection (validation.elbv2_deletion),
DynamoDB deletion protection and point-in-time recovery (validation.dynamodb)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import Account, EcsWorld


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response


def protection(elbv2: Any, arn: str, enabled: bool) -> None:
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": str(enabled).lower()}]
    )


def test_a_load_balancer_with_deletion_protection_is_not_deleted(ecs_world: EcsWorld) -> None:
    """ALB guide, "Edit attributes for your Application Load Balancer", Deletion protection: "If you
    enable deletion protection for your load balancer, you must disable it before you can delete the
    load balancer." AWS answers OperationNotPermitted "Load balancer '<arn>' cannot be deleted because
    deletion protection is enabled" (moto 5.2.5 deleted it)."""
    elbv2 = ecs_world.elbv2
    arn = elbv2.create_load_balancer(Name="public", Subnets=ecs_world.subnet_ids)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    protection(elbv2, arn, True)
    response = refused(elbv2.delete_load_balancer, LoadBalancerArn=arn)
    assert response["Error"]["Code"] == "OperationNotPermitted"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"] == (
        f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
    )
    assert elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    protection(elbv2, arn, False)
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerName"] == "ecs-world"


def test_a_network_load_balancer_with_deletion_protection_is_not_deleted(ecs_world: EcsWorld) -> None:
    """Network Load Balancers guide, "Deletion protection": "you must disable deletion protection
    before you can delete the load balancer" (the attribute exists for every type)."""
    elbv2 = ecs_world.elbv2
    arn = elbv2.create_load_balancer(Name="tcp", Subnets=ecs_world.subnet_ids, Type="network")["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    protection(elbv2, arn, True)
    assert refused(elbv2.delete_load_balancer, LoadBalancerArn=arn)["Error"]["Code"] == "OperationNotPermitted"


def table(dynamodb: Any, name: str = "ecsdeploy-locks", **extra: Any) -> dict[str, Any]:
    return dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )["TableDescription"]


def test_a_dynamodb_table_with_deletion_protection_is_not_deleted(account: Account) -> None:
    """DynamoDB API Reference, CreateTable/UpdateTable `DeletionProtectionEnabled`: "Indicates
    whether deletion protection is to be enabled (true) or disabled (false) on the table."
    DeleteTable of a protected table: ValidationException "Resource cannot be deleted as it is
    currently protected against deletion. Disable deletion protection first." (DynamoDB's message;
    moto 5.2.5 refused with its own wording)."""
    dynamodb = account.client("dynamodb")
    created = table(dynamodb, DeletionProtectionEnabled=True)
    assert created["DeletionProtectionEnabled"] is True
    response = refused(dynamodb.delete_table, TableName="ecsdeploy-locks")
    assert response["Error"]["Code"] == "ValidationException"
    assert response["Error"]["Message"] == (
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
    )
    assert dynamodb.describe_table(TableName="ecsdeploy-locks")["Table"]["DeletionProtectionEnabled"] is True
    updated = dynamodb.update_table(TableName="ecsdeploy-locks", DeletionProtectionEnabled=False)
    assert updated["TableDescription"]["DeletionProtectionEnabled"] is False
    dynamodb.delete_table(TableName="ecsdeploy-locks")
    assert dynamodb.list_tables()["TableNames"] == []


def test_deletion_protection_is_off_by_default_and_can_be_turned_on(account: Account) -> None:
    """CreateTable `DeletionProtectionEnabled` absent: off (DescribeTable answers false)."""
    dynamodb = account.client("dynamodb")
    assert table(dynamodb)["DeletionProtectionEnabled"] is False
    dynamodb.update_table(TableName="ecsdeploy-locks", DeletionProtectionEnabled=True)
    assert refused(dynamodb.delete_table, TableName="ecsdeploy-locks")["Error"]["Code"] == "ValidationException"


def test_point_in_time_recovery_is_off_until_enabled(account: Account) -> None:
    """DynamoDB API Reference, DescribeContinuousBackups: "ContinuousBackupsStatus can be one of the
    following states: ENABLED, DISABLED" and "PointInTimeRecoveryStatus can be either ENABLED or
    DISABLED"; UpdateContinuousBackups: "Once continuous backups and point in time recovery are
    enabled, you can restore to any point in time within EarliestRestorableDateTime and
    LatestRestorableDateTime."; PointInTimeRecoverySpecification `RecoveryPeriodInDays`: "If no
    value is provided, the value will default to 35." moto 5.2.5 does all of this already."""
    dynamodb = account.client("dynamodb")
    table(dynamodb)
    described = dynamodb.describe_continuous_backups(TableName="ecsdeploy-locks")["ContinuousBackupsDescription"]
    assert described["ContinuousBackupsStatus"] == "ENABLED"
    assert described["PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}
    enabled = dynamodb.update_continuous_backups(
        TableName="ecsdeploy-locks", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert enabled["PointInTimeRecoveryStatus"] == "ENABLED"
    assert enabled["RecoveryPeriodInDays"] == 35
    assert isinstance(enabled["EarliestRestorableDateTime"], datetime.datetime)
    assert isinstance(enabled["LatestRestorableDateTime"], datetime.datetime)
    described = dynamodb.describe_continuous_backups(TableName="ecsdeploy-locks")["ContinuousBackupsDescription"]
    assert described["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    seven = dynamodb.update_continuous_backups(
        TableName="ecsdeploy-locks",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert seven["RecoveryPeriodInDays"] == 7
    disabled = dynamodb.update_continuous_backups(
        TableName="ecsdeploy-locks", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert disabled == {"PointInTimeRecoveryStatus": "DISABLED"}


@pytest.mark.parametrize(("days", "constraint"), [(0, "greater than or equal to 1"), (36, "less than or equal to 35")])
def test_a_recovery_period_outside_1_to_35_days_is_refused(account: Account, days: int, constraint: str) -> None:
    """PointInTimeRecoverySpecification `RecoveryPeriodInDays`: "Valid Range: Minimum value of 1.
    Maximum value of 35." Out of range: the constraint error, ValidationException (moto 5.2.5 stored
    any number)."""
    dynamodb = account.unvalidated_client("dynamodb")
    table(dynamodb)
    response = refused(
        dynamodb.update_continuous_backups,
        TableName="ecsdeploy-locks",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": days},
    )
    assert response["Error"]["Code"] == "ValidationException"
    assert response["Error"]["Message"] == (
        f"1 validation error detected: Value '{days}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' "
        f"failed to satisfy constraint: Member must have value {constraint}"
    )
    described = dynamodb.describe_continuous_backups(TableName="ecsdeploy-locks")["ContinuousBackupsDescription"]
    assert described["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_continuous_backups_of_an_unknown_table(account: Account) -> None:
    """DescribeContinuousBackups/UpdateContinuousBackups, Errors: "TableNotFoundException: A source
    table with the name TableName does not currently exist within the subscriber's account or the
    subscriber is operating in the wrong AWS Region." (moto 5.2.5 already.)"""
    dynamodb = account.client("dynamodb")
    assert refused(dynamodb.describe_continuous_backups, TableName="nope")["Error"]["Code"] == "TableNotFoundException"
    response = refused(
        dynamodb.update_continuous_backups,
        TableName="nope",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    assert response["Error"]["Code"] == "TableNotFoundException"
