"""EC2 DeleteSecurityGroup of a group still in use fails with DependencyViolation (see validation.ec2).

EC2 API Reference, DeleteSecurityGroup: "If you attempt to delete a security group that is
associated with an instance or network interface, is referenced by another security group in the
same VPC, or has a VPC association, the operation fails with DependencyViolation." AWS's message is
`resource sg-... has a dependent object`. moto 5.2.5 deleted any group.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import FIRST_ROLLOUT, EcsWorld


def vpc_of(world: EcsWorld) -> str:
    ec2 = world.account.client("ec2")
    return ec2.describe_security_groups(GroupIds=[world.security_group_id])["SecurityGroups"][0]["VpcId"]


def new_group(world: EcsWorld, name: str) -> str:
    return world.account.client("ec2").create_security_group(GroupName=name, Description=name, VpcId=vpc_of(world))[
        "GroupId"
    ]


def assert_in_use(ec2: Any, group_id: str) -> None:
    with pytest.raises(ClientError) as error:
        ec2.delete_security_group(GroupId=group_id)
    response = error.value.response
    assert response["Error"]["Code"] == "DependencyViolation"
    assert response["Error"]["Message"] == f"resource {group_id} has a dependent object"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]


def assert_deleted(ec2: Any, group_id: str) -> None:
    ec2.delete_security_group(GroupId=group_id)
    with pytest.raises(ClientError) as error:
        ec2.describe_security_groups(GroupIds=[group_id])
    assert error.value.response["Error"]["Code"] == "InvalidGroup.NotFound"


def test_an_unused_group_is_deleted(ecs_world: EcsWorld) -> None:
    ec2 = ecs_world.account.client("ec2")
    assert_deleted(ec2, new_group(ecs_world, "unused"))


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_a_group_referenced_by_another_groups_rule_is_in_use(ecs_world: EcsWorld, direction: str) -> None:
    """"... is referenced by another security group in the same VPC ...": a rule of another group
    naming it (UserIdGroupPairs), ingress or egress. Once the rule is revoked the group is free."""
    ec2 = ecs_world.account.client("ec2")
    alb = new_group(ecs_world, "alb")
    tasks = new_group(ecs_world, "tasks")
    permission = [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": alb}]}]
    authorize = getattr(ec2, f"authorize_security_group_{direction}")
    revoke = getattr(ec2, f"revoke_security_group_{direction}")
    authorize(GroupId=tasks, IpPermissions=permission)
    assert_in_use(ec2, alb)
    revoke(GroupId=tasks, IpPermissions=permission)
    assert_deleted(ec2, alb)


def test_a_rule_naming_the_group_itself_does_not_keep_it(ecs_world: EcsWorld) -> None:
    """Only *another* group's reference counts: a group whose own rule names itself is deleted."""
    ec2 = ecs_world.account.client("ec2")
    group = new_group(ecs_world, "self")
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}],
    )
    assert_deleted(ec2, group)


def test_a_group_of_a_load_balancer_is_in_use_until_the_load_balancer_is_deleted(ecs_world: EcsWorld) -> None:
    """"... associated with an instance or network interface ...": an Application Load Balancer's
    nodes are network interfaces with the load balancer's security groups."""
    ec2 = ecs_world.account.client("ec2")
    group = new_group(ecs_world, "alb")
    [load_balancer] = ecs_world.elbv2.create_load_balancer(
        Name="public", Subnets=ecs_world.subnet_ids, SecurityGroups=[group]
    )["LoadBalancers"]
    assert_in_use(ec2, group)
    ecs_world.elbv2.set_security_groups(
        LoadBalancerArn=load_balancer["LoadBalancerArn"], SecurityGroups=[ecs_world.security_group_id]
    )
    assert_deleted(ec2, group)
    assert_in_use(ec2, ecs_world.security_group_id)  # ecs-world and public use it now


def test_a_group_of_a_network_interface_is_in_use(ecs_world: EcsWorld) -> None:
    """"... associated with an instance or network interface ..."."""
    ec2 = ecs_world.account.client("ec2")
    group = new_group(ecs_world, "eni")
    eni = ec2.create_network_interface(SubnetId=ecs_world.subnet_ids[0], Groups=[group])["NetworkInterface"]
    assert_in_use(ec2, group)
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert_deleted(ec2, group)


def test_a_group_of_an_interface_endpoint_is_in_use(ecs_world: EcsWorld) -> None:
    """An interface VPC endpoint's network interfaces carry its security groups."""
    ec2 = ecs_world.account.client("ec2")
    group = new_group(ecs_world, "endpoints")
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc_of(ecs_world),
        ServiceName="com.amazonaws.us-east-1.logs",
        VpcEndpointType="Interface",
        SubnetIds=ecs_world.subnet_ids,
        SecurityGroupIds=[group],
    )["VpcEndpoint"]
    assert_in_use(ec2, group)
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])
    assert_deleted(ec2, group)


def test_a_group_of_an_ecs_services_tasks_is_in_use_while_it_has_tasks(ecs_world: EcsWorld) -> None:
    """Fargate tasks are network interfaces with the service's `awsvpcConfiguration.securityGroups`.
    A service that runs tasks (or is to run them: desired count above 0) keeps its group; one scaled
    to 0 whose tasks have stopped, or deleted, does not."""
    ec2 = ecs_world.account.client("ec2")
    group = new_group(ecs_world, "auth-tasks")
    network = {"awsvpcConfiguration": {"subnets": ecs_world.subnet_ids, "securityGroups": [group]}}
    ecs_world.create_service(networkConfiguration=network)
    assert_in_use(ec2, group)  # tasks PENDING
    assert ecs_world.after(FIRST_ROLLOUT)["runningCount"] == 2
    assert_in_use(ec2, group)
    ecs_world.ecs.update_service(cluster="acme", service="auth", desiredCount=0)
    service = ecs_world.describe()  # the surplus tasks stop at once (their targets drain)
    assert service["runningCount"] == 0 and service["pendingCount"] == 0
    assert_deleted(ec2, group)


def test_a_deleted_services_group_is_free(ecs_world: EcsWorld) -> None:
    ec2 = ecs_world.account.client("ec2")
    group = new_group(ecs_world, "auth-tasks")
    network = {"awsvpcConfiguration": {"subnets": ecs_world.subnet_ids, "securityGroups": [group]}}
    ecs_world.create_service(networkConfiguration=network)
    ecs_world.after(FIRST_ROLLOUT)
    assert_in_use(ec2, group)
    ecs_world.ecs.delete_service(cluster="acme", service="auth", force=True)
    assert_deleted(ec2, group)
