"""The standard world's private-subnet egress: NAT gateway, nothing, or VPC endpoints (see world)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from conftest import EMULATOR_DIR, Account
from test_control_api import check_world

INTERFACE_SERVICES = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]


def route_table_of(ec2: Any, subnet_id: str) -> dict[str, Any]:
    [table] = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])[
        "RouteTables"
    ]
    return table


def default_routes(table: dict[str, Any]) -> list[dict[str, Any]]:
    return [route for route in table["Routes"] if route.get("DestinationCidrBlock") == "0.0.0.0/0"]


def endpoints(ec2: Any, vpc_id: str, **filters: str) -> list[dict[str, Any]]:
    extra = [{"Name": name.replace("_", "-"), "Values": [value]} for name, value in filters.items()]
    return ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, *extra])["VpcEndpoints"]


def check_main_route_table_is_local_only(ec2: Any, world: dict[str, Any]) -> None:
    """VPC User Guide, "Route tables": "Your VPC has an implicit router, and you use route tables to
    control where network traffic is directed" and the main route table "controls the routing for
    all subnets that are not explicitly associated with any other route table"."""
    [main] = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [world["vpc_id"]]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"]
    assert [association.get("Main") for association in main["Associations"]] == [True]
    assert [(route["DestinationCidrBlock"], route["GatewayId"]) for route in main["Routes"]] == [("10.0.0.0/16", "local")]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [world["vpc_id"]]}])["RouteTables"]
    ids = {table["RouteTableId"] for table in tables}
    assert ids == {main["RouteTableId"], world["public_route_table_id"], *world["private_route_table_ids"]}


def test_default_world_gives_private_subnets_a_nat_gateway(account: Account) -> None:
    """VPC User Guide, "NAT gateways": "Create a public NAT gateway in a public subnet ... You must
    also associate an elastic IP address with the NAT gateway when you create it. You route traffic
    from the NAT gateway to the internet gateway for the VPC." and "Update the route table of the
    private subnet to point internet-bound traffic to the NAT gateway". The default world (body
    `{}`) has one NAT gateway in acme-public-a with an Elastic IP, and each private subnet its own
    route table with 0.0.0.0/0 to it; the answer names them and keeps its other keys."""
    world = account.control("/world")
    check_world(account, world)
    ec2 = account.client("ec2")
    assert world["egress"] == "nat"
    assert world["vpc_endpoint_ids"] == {}

    [nat] = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [world["vpc_id"]]}])["NatGateways"]
    assert nat["NatGatewayId"] == world["nat_gateway_id"]
    assert nat["State"] == "available"
    assert nat["SubnetId"] == world["public_subnet_ids"][0]
    assert nat["ConnectivityType"] == "public"
    assert nat["NatGatewayAddresses"][0]["AllocationId"] == world["nat_allocation_id"]
    assert {"Key": "Name", "Value": "acme-nat"} in nat["Tags"]
    [address] = ec2.describe_addresses(AllocationIds=[world["nat_allocation_id"]])["Addresses"]
    assert address["Domain"] == "vpc"
    assert address["PublicIp"] == nat["NatGatewayAddresses"][0]["PublicIp"]

    assert len(world["private_route_table_ids"]) == 2
    for subnet_id, table_id in zip(world["private_subnet_ids"], world["private_route_table_ids"], strict=True):
        table = route_table_of(ec2, subnet_id)
        assert table["RouteTableId"] == table_id
        assert table["VpcId"] == world["vpc_id"]
        assert [(route["NatGatewayId"], route["State"]) for route in default_routes(table)] == [
            (world["nat_gateway_id"], "active")
        ]
    for subnet_id in world["public_subnet_ids"]:
        [route] = default_routes(route_table_of(ec2, subnet_id))
        assert route["GatewayId"] == world["internet_gateway_id"]
    check_main_route_table_is_local_only(ec2, world)
    assert endpoints(ec2, world["vpc_id"]) == []


def test_world_without_egress_leaves_private_subnets_with_the_local_route_only(account: Account) -> None:
    """VPC User Guide, "Route tables": every route table has the local route for the VPC's CIDR
    ("the local route ... enables communication within the VPC"); a subnet whose table has nothing
    else cannot reach any AWS service endpoint. `{"egress": "none"}`: no NAT gateway, no
    endpoints, private tables with the local route only (the world ecsdeploy's plan must refuse)."""
    world = account.control("/world", {"egress": "none"})
    check_world(account, world)
    ec2 = account.client("ec2")
    assert (world["egress"], world["nat_gateway_id"], world["vpc_endpoint_ids"]) == ("none", None, {})
    assert ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [world["vpc_id"]]}])["NatGateways"] == []
    for subnet_id in world["private_subnet_ids"]:
        table = route_table_of(ec2, subnet_id)
        assert table["RouteTableId"] in world["private_route_table_ids"]
        assert [(route["DestinationCidrBlock"], route["GatewayId"]) for route in table["Routes"]] == [
            ("10.0.0.0/16", "local")
        ]
    check_main_route_table_is_local_only(ec2, world)
    assert endpoints(ec2, world["vpc_id"]) == []


def test_world_with_vpc_endpoints_instead_of_a_nat_gateway(account: Account) -> None:
    """ECS Developer Guide, "Amazon ECS interface VPC endpoints (AWS PrivateLink)" and Amazon ECR
    User Guide, "Amazon ECR interface VPC endpoints (AWS PrivateLink)": Fargate tasks in subnets
    without internet access need the interface endpoints com.amazonaws.region.ecr.dkr and
    com.amazonaws.region.ecr.api, "the Amazon S3 gateway endpoint" (image layers are in S3),
    com.amazonaws.region.logs for the awslogs driver and com.amazonaws.region.secretsmanager for
    secrets; private DNS lets the tasks use the services' default names. `{"egress": "endpoints"}`:
    those four interface endpoints in both private subnets with private DNS, a security group
    admitting HTTPS from the VPC, and the S3 gateway endpoint on both private route tables (a
    prefix-list route to it); no NAT gateway, no default route."""
    world = account.control("/world", {"egress": "endpoints"})
    check_world(account, world)
    ec2 = account.client("ec2")
    assert (world["egress"], world["nat_gateway_id"]) == ("endpoints", None)
    assert set(world["vpc_endpoint_ids"]) == {*INTERFACE_SERVICES, "s3"}
    assert ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [world["vpc_id"]]}])["NatGateways"] == []

    for service in INTERFACE_SERVICES:
        [endpoint] = endpoints(ec2, world["vpc_id"], service_name=f"com.amazonaws.us-east-1.{service}")
        assert endpoint["VpcEndpointId"] == world["vpc_endpoint_ids"][service]
        assert endpoint["VpcEndpointType"] == "Interface"
        assert endpoint["State"] == "available"
        assert endpoint["PrivateDnsEnabled"] is True
        assert sorted(endpoint["SubnetIds"]) == sorted(world["private_subnet_ids"])
        assert len(endpoint["NetworkInterfaceIds"]) == 2
        assert [group["GroupId"] for group in endpoint["Groups"]] == [world["endpoint_security_group_id"]]
    [s3] = endpoints(ec2, world["vpc_id"], vpc_endpoint_type="Gateway")
    assert (s3["VpcEndpointId"], s3["ServiceName"], s3["State"]) == (
        world["vpc_endpoint_ids"]["s3"],
        "com.amazonaws.us-east-1.s3",
        "available",
    )
    assert sorted(s3["RouteTableIds"]) == sorted(world["private_route_table_ids"])
    assert len(endpoints(ec2, world["vpc_id"], vpc_endpoint_type="Interface")) == 4

    [group] = ec2.describe_security_groups(GroupIds=[world["endpoint_security_group_id"]])["SecurityGroups"]
    assert group["VpcId"] == world["vpc_id"]
    [rule] = group["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"], rule["IpRanges"][0]["CidrIp"]) == (
        "tcp",
        443,
        443,
        "10.0.0.0/16",
    )
    for subnet_id in world["private_subnet_ids"]:
        table = route_table_of(ec2, subnet_id)
        assert default_routes(table) == []
        assert [route["GatewayId"] for route in table["Routes"] if route.get("DestinationPrefixListId")] == [
            world["vpc_endpoint_ids"]["s3"]
        ]
    check_main_route_table_is_local_only(ec2, world)


@pytest.mark.parametrize("egress", ["none", "endpoints"])
def test_world_cli_takes_the_egress_option(account: Account, egress: str) -> None:
    """The CLI builds the same world as the control API: `--egress none|endpoints|nat`."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ecsdeploy_emulator.world",
            "--endpoint",
            account.emulator.endpoint,
            "--access-key-id",
            account.access_key_id,
            "--secret-access-key",
            account.secret_access_key,
            "--egress",
            egress,
        ],
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(EMULATOR_DIR)},
        timeout=60,
    )
    world = json.loads(completed.stdout)
    check_world(account, world)
    assert world["egress"] == egress
    assert (world["nat_gateway_id"] is None) and len(world["private_route_table_ids"]) == 2
    assert bool(world["vpc_endpoint_ids"]) is (egress == "endpoints")
