"""The standard test world: the account-level resources ecsdeploy expects to find, not to create.

One function, `build_world`, called through boto3 against the emulator (so it exercises the same
API a real account would be prepared with). Used by `POST /_ecsdeploy/accounts/{id}/world` (body
`{}` or `{"egress": "nat" | "none" | "endpoints"}`) and as a CLI:

    python -m ecsdeploy_emulator.world --endpoint URL --access-key-id K --secret-access-key S [--egress MODE]

Creates, in us-east-1: a VPC 10.0.0.0/16 (Name=acme, DNS hostnames on) with an internet gateway,
two public subnets (acme-public-a/b, a route to the gateway) and two private subnets
(acme-private-a/b) in us-east-1a/b, each with its own route table (acme-private-a/b) and the
egress the `egress` option chooses (below); an issued ACM certificate for api.acme.example with
SAN *.api.acme.example; a public Route53 hosted zone acme.example; Secrets Manager secrets
E/auth/db, E/auth/jwt, E/gmail/oauth, E/calendar/api for E in test, stage, prod (random values);
a Lambda function acme-secret-rotation (with its role) that secrets' rotation can name.

Egress of the private subnets (tasks there have no public IP, so an internet gateway route is no
way out; VPC User Guide, "NAT gateways" and "Connect to Amazon ECR/ECS ... using interface VPC
endpoints"):

- `nat` (default): an Elastic IP and a public NAT gateway (acme-nat) in acme-public-a; each
  private route table has 0.0.0.0/0 to the NAT gateway ("Create a NAT gateway in a public subnet
  ... route traffic from the private subnets to the NAT gateway").
- `none`: the private route tables have only the local route: tasks there cannot reach ECR,
  CloudWatch Logs or Secrets Manager (the world ecsdeploy's plan must complain about).
- `endpoints`: no NAT gateway; interface endpoints com.amazonaws.us-east-1.{ecr.api, ecr.dkr,
  logs, secretsmanager} in both private subnets with private DNS, behind a security group
  (acme-endpoints) that admits HTTPS from the VPC, and the S3 gateway endpoint
  (com.amazonaws.us-east-1.s3, where ECR keeps image layers) on the private route tables (ECS
  Developer Guide, "Amazon ECS interface VPC endpoints (AWS PrivateLink)" and Amazon ECR User
  Guide, "Amazon ECR interface VPC endpoints": Fargate tasks need ecr.dkr, ecr.api, the S3
  gateway endpoint, logs for awslogs and secretsmanager for secrets).
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
import sys
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import boto3

REGION = "us-east-1"
ENVIRONMENTS = ("test", "stage", "prod")
SUBNETS = (
    ("acme-public-a", "public", "10.0.0.0/24", "us-east-1a"),
    ("acme-public-b", "public", "10.0.1.0/24", "us-east-1b"),
    ("acme-private-a", "private", "10.0.10.0/24", "us-east-1a"),
    ("acme-private-b", "private", "10.0.11.0/24", "us-east-1b"),
)
ClientFactory = Callable[[str], Any]
EGRESS_MODES = ("nat", "none", "endpoints")
INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
VPC_CIDR = "10.0.0.0/16"


def parse_options(body: dict[str, Any]) -> dict[str, Any]:
    """The world's options from a control API body; ValueError names every problem."""
    problems = [f"unknown field {name!r}" for name in sorted(set(body) - {"egress"})]
    egress = body.get("egress", "nat")
    if egress not in EGRESS_MODES:
        problems.append(f"egress must be one of {', '.join(EGRESS_MODES)}, not {egress!r}")
    if problems:
        raise ValueError("the world takes only 'egress' (nat, none or endpoints): " + "; ".join(problems))
    return {"egress": egress}


def clients_for(
    endpoint: str,
    *,
    access_key_id: str = "testing",
    secret_access_key: str = "testing",
    account_id: str | None = None,
) -> ClientFactory:
    """boto3 clients for the emulator; `account_id` pins the account by moto's request header."""
    session = boto3.session.Session(
        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, region_name=REGION
    )

    def client(service_name: str) -> Any:
        made = session.client(service_name, endpoint_url=endpoint)
        if account_id is not None:

            def add_account_header(request: Any, **_: Any) -> None:
                request.headers["x-moto-account-id"] = account_id

            made.meta.events.register("before-sign.*.*", add_account_header)
        return made

    return client


def build_world(client: ClientFactory, egress: str = "nat") -> dict[str, Any]:
    """Creates the standard world and returns the ids and ARNs it created."""
    if egress not in EGRESS_MODES:
        raise ValueError(f"egress must be one of {', '.join(EGRESS_MODES)}, not {egress!r}")
    return {
        "region": REGION,
        **_network(client("ec2"), egress),
        "certificate_arn": _certificate(client("acm")),
        "hosted_zone_id": _hosted_zone(client("route53")),
        "secrets": _secrets(client("secretsmanager")),
        "rotation_function_arn": _rotation_function(client("iam"), client("lambda")),
    }


def _tags(**tags: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _network(ec2: Any, egress: str) -> dict[str, Any]:
    vpc_id = ec2.create_vpc(
        CidrBlock=VPC_CIDR,
        TagSpecifications=[{"ResourceType": "vpc", "Tags": _tags(Name="acme")}],
    )["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    gateway_id = ec2.create_internet_gateway(
        TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": _tags(Name="acme")}]
    )["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
    route_table_id = ec2.create_route_table(
        VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "route-table", "Tags": _tags(Name="acme-public")}],
    )["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=route_table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway_id)
    subnets: dict[str, list[str]] = {"public": [], "private": []}
    for name, tier, cidr, zone in SUBNETS:
        subnet_id = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=cidr,
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": _tags(Name=name, Tier=tier)}],
        )["Subnet"]["SubnetId"]
        subnets[tier].append(subnet_id)
        if tier == "public":
            ec2.associate_route_table(RouteTableId=route_table_id, SubnetId=subnet_id)
            ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    return {
        "vpc_id": vpc_id,
        "internet_gateway_id": gateway_id,
        "public_route_table_id": route_table_id,
        "public_subnet_ids": subnets["public"],
        "private_subnet_ids": subnets["private"],
        **_private_egress(ec2, vpc_id, subnets, egress),
    }


def _private_egress(ec2: Any, vpc_id: str, subnets: dict[str, list[str]], egress: str) -> dict[str, Any]:
    """A route table per private subnet, and the NAT gateway or VPC endpoints `egress` asks for."""
    private_names = [name for name, tier, _, _ in SUBNETS if tier == "private"]
    route_table_ids = []
    for name, subnet_id in zip(private_names, subnets["private"], strict=True):
        table_id = ec2.create_route_table(
            VpcId=vpc_id,
            TagSpecifications=[{"ResourceType": "route-table", "Tags": _tags(Name=name)}],
        )["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
        route_table_ids.append(table_id)
    answer: dict[str, Any] = {
        "egress": egress,
        "private_route_table_ids": route_table_ids,
        "nat_gateway_id": None,
        "nat_allocation_id": None,
        "vpc_endpoint_ids": {},
        "endpoint_security_group_id": None,
    }
    if egress == "nat":
        allocation_id = ec2.allocate_address(
            Domain="vpc",
            TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": _tags(Name="acme-nat")}],
        )["AllocationId"]
        nat_gateway_id = ec2.create_nat_gateway(
            SubnetId=subnets["public"][0],
            AllocationId=allocation_id,
            ConnectivityType="public",
            TagSpecifications=[{"ResourceType": "natgateway", "Tags": _tags(Name="acme-nat")}],
        )["NatGateway"]["NatGatewayId"]
        for table_id in route_table_ids:
            ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_gateway_id)
        answer.update(nat_gateway_id=nat_gateway_id, nat_allocation_id=allocation_id)
    elif egress == "endpoints":
        group_id = ec2.create_security_group(
            GroupName="acme-endpoints",
            Description="HTTPS from the VPC to its interface endpoints",
            VpcId=vpc_id,
        )["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=group_id,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": VPC_CIDR}]}],
        )
        endpoint_ids = {}
        for service in INTERFACE_ENDPOINT_SERVICES:
            endpoint_ids[service] = ec2.create_vpc_endpoint(
                VpcEndpointType="Interface",
                VpcId=vpc_id,
                ServiceName=f"com.amazonaws.{REGION}.{service}",
                SubnetIds=subnets["private"],
                SecurityGroupIds=[group_id],
                PrivateDnsEnabled=True,
                TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": _tags(Name=f"acme-{service}")}],
            )["VpcEndpoint"]["VpcEndpointId"]
        endpoint_ids["s3"] = ec2.create_vpc_endpoint(
            VpcEndpointType="Gateway",
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{REGION}.s3",
            RouteTableIds=route_table_ids,
            TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": _tags(Name="acme-s3")}],
        )["VpcEndpoint"]["VpcEndpointId"]
        answer.update(vpc_endpoint_ids=endpoint_ids, endpoint_security_group_id=group_id)
    return answer


def _certificate(acm: Any) -> str:
    arn = acm.request_certificate(
        DomainName="api.acme.example",
        SubjectAlternativeNames=["*.api.acme.example"],
        ValidationMethod="DNS",
    )["CertificateArn"]
    # With MOTO_ACM_VALIDATION_WAIT=0 the certificate is ISSUED as soon as it is described.
    status = acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]
    if status != "ISSUED":
        raise RuntimeError(f"certificate {arn} is {status}, not ISSUED (MOTO_ACM_VALIDATION_WAIT unset?)")
    return arn


def _rotation_function(iam: Any, lambda_client: Any) -> str:
    """A function for rotation settings to name; the emulator never runs it (see secret_rotation)."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    role_arn = iam.create_role(RoleName="acme-secret-rotation", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("rotate.py", "def handler(event, context):\n    return None\n")
    return lambda_client.create_function(
        FunctionName="acme-secret-rotation",
        Runtime="python3.12",
        Role=role_arn,
        Handler="rotate.handler",
        Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]


def _hosted_zone(route53: Any) -> str:
    zone = route53.create_hosted_zone(
        Name="acme.example",
        CallerReference=str(uuid.uuid4()),
        HostedZoneConfig={"Comment": "acme public zone", "PrivateZone": False},
    )["HostedZone"]
    return zone["Id"].split("/")[-1]


def _secret_values() -> dict[str, str]:
    """Secret name (without the environment prefix) -> SecretString, with random values."""
    return {
        "auth/db": json.dumps({"username": "auth", "password": secrets.token_urlsafe(24)}),
        "auth/jwt": secrets.token_urlsafe(48),
        "gmail/oauth": json.dumps(
            {
                "client_id": f"{secrets.token_hex(12)}.apps.googleusercontent.com",
                "client_secret": secrets.token_urlsafe(24),
                "refresh_token": secrets.token_urlsafe(48),
            }
        ),
        "calendar/api": json.dumps({"api_key": secrets.token_urlsafe(30)}),
    }


def _secrets(secretsmanager: Any) -> dict[str, str]:
    arns = {}
    for environment in ENVIRONMENTS:
        for name, value in _secret_values().items():
            full_name = f"{environment}/{name}"
            arns[full_name] = secretsmanager.create_secret(Name=full_name, SecretString=value)["ARN"]
    return arns


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Create the standard ecsdeploy test world in an emulator account."
    )
    parser.add_argument("--endpoint", required=True, help="emulator URL, e.g. http://127.0.0.1:41234")
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--secret-access-key", required=True)
    parser.add_argument(
        "--egress",
        choices=EGRESS_MODES,
        default="nat",
        help="how the private subnets reach AWS: a NAT gateway (default), nothing, or VPC endpoints",
    )
    args = parser.parse_args(argv)
    world = build_world(
        clients_for(args.endpoint, access_key_id=args.access_key_id, secret_access_key=args.secret_access_key),
        egress=args.egress,
    )
    json.dump(world, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
