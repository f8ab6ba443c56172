"""Can a Fargate task in a given subnet reach an AWS service endpoint (ECR, S3, Logs, Secrets Manager)?

AWS: since Fargate platform version 1.4.0 the task's own elastic network interface carries the
platform traffic (registry auth, image layers, secrets, logs), so that traffic needs a way out of
the task's subnet. Amazon ECS Developer Guide, "Amazon ECS task networking options for Fargate" and
"Amazon ECS interface VPC endpoints (AWS PrivateLink)"; AWS re:Post, "How do I troubleshoot the
ResourceInitializationError ... in Amazon ECS": a task in a private subnet needs a NAT gateway, or
VPC endpoints for ECR (`com.amazonaws.<region>.ecr.api`, `com.amazonaws.<region>.ecr.dkr`), an S3
gateway endpoint (image layers live in S3), `com.amazonaws.<region>.logs` for awslogs and
`com.amazonaws.<region>.secretsmanager` for secrets; a task in a public subnet needs a public IP.

A service is reachable from a subnet when:

- the internet is: the subnet's route table (its explicit association, else the VPC's main table)
  has a `0.0.0.0/0` route that is not a blackhole to a NAT gateway (available, public connectivity,
  itself in a subnet whose route table sends `0.0.0.0/0` to an internet gateway attached to the VPC),
  a transit gateway, an instance or a network interface; or, with `assignPublicIp=ENABLED`, to an
  internet gateway attached to the VPC. VPC User Guide, "Connect to the internet using an internet
  gateway": "To use an internet gateway, ... ensure that instances in your subnet have a public IPv4
  address"; "NAT gateways": "The NAT gateway must be in a public subnet".
- or, for an interface endpoint service, the VPC has an endpoint for it in state `available` with
  private DNS enabled, and the VPC has DNS support and DNS hostnames on (PrivateLink guide: "To use
  private DNS, you must set the following VPC attributes to true: enableDnsHostnames and
  enableDnsSupport");
- or, for S3, a gateway endpoint (available) associated with the subnet's route table, or an S3
  interface endpoint with private DNS.

and the task's security groups let it out: an egress rule for TCP 443 (or all traffic) to
`0.0.0.0/0` for the internet, to any destination for a VPC endpoint (the emulator does not check the
endpoint's own security group, nor that the destination covers the endpoint).

Where a transit gateway, an instance or a network interface leads is not followed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from moto.ec2.models import ec2_backends

ECR_API, ECR_DKR, S3, LOGS, SECRETS_MANAGER, SSM = "ecr.api", "ecr.dkr", "s3", "logs", "secretsmanager", "ssm"


@dataclass(frozen=True)
class Path:
    """How a subnet reaches a service: through the internet (NAT/IGW) or a VPC endpoint (its id)."""

    via: str  # "internet" or "endpoint"
    endpoint_id: str | None = None


@dataclass
class SubnetNetwork:
    """The network of one subnet as the task's ENI sees it."""

    account_id: str
    region: str
    subnet_id: str
    vpc_id: str
    route_table: Any
    security_groups: list[Any]
    public_ip: bool

    def path_to(self, service: str) -> Path | None:
        """How the task reaches `service` (ecr.api, ecr.dkr, s3, logs, secretsmanager, ssm), or None."""
        if self._has_internet() and self._security_groups_allow(to_internet=True):
            return Path("internet")
        endpoint = self._endpoint_for(service)
        if endpoint is not None and self._security_groups_allow(to_internet=False):
            return Path("endpoint", endpoint.id)
        return None

    def has_internet(self) -> bool:
        """A way to public registries (Docker Hub, public.ecr.aws): NAT or public IP, never endpoints."""
        return self._has_internet() and self._security_groups_allow(to_internet=True)

    # --- routes ---------------------------------------------------------------------------

    def _has_internet(self) -> bool:
        ec2 = self._ec2()
        for route in _default_routes(self.route_table):
            if route.nat_gateway is not None:
                if _nat_gateway_works(ec2, route.nat_gateway, self.vpc_id):
                    return True
            elif route.transit_gateway is not None or route.instance is not None or route.interface is not None:
                return True
            elif self.public_ip and _is_attached_internet_gateway(route.gateway, self.vpc_id):
                return True
        return False

    # --- endpoints ------------------------------------------------------------------------

    def _endpoint_for(self, service: str) -> Any:
        ec2 = self._ec2()
        name = f"com.amazonaws.{self.region}.{service}"
        vpc = ec2.vpcs.get(self.vpc_id)
        private_dns_works = bool(vpc and _truthy(vpc.enable_dns_support) and _truthy(vpc.enable_dns_hostnames))
        for endpoint in list(ec2.vpc_end_points.values()):
            if endpoint.vpc_id != self.vpc_id or endpoint.service_name != name or endpoint.state != "available":
                continue
            kind = (endpoint.vpc_endpoint_type or "Gateway").lower()
            if kind == "interface" and _truthy(endpoint.private_dns_enabled) and private_dns_works:
                return endpoint
            if kind == "gateway" and service == S3 and self.route_table is not None:
                if self.route_table.id in (endpoint.route_table_ids or []):
                    return endpoint
        return None

    # --- security groups ------------------------------------------------------------------

    def _security_groups_allow(self, to_internet: bool) -> bool:
        for group in self.security_groups:
            for rule in group.egress_rules:
                if not _rule_allows_https(rule):
                    continue
                if not to_internet:
                    return True
                if any(_covers_everything(cidr) for cidr in _rule_cidrs(rule)):
                    return True
        return False

    def _ec2(self) -> Any:
        return ec2_backends[self.account_id][self.region]


def subnet_network(
    account_id: str, region: str, subnet_id: str, security_group_ids: list[str], public_ip: bool
) -> SubnetNetwork | None:
    """The network of `subnet_id` (None when the subnet no longer exists)."""
    ec2 = ec2_backends[account_id][region]
    try:
        subnet = ec2.get_subnet(subnet_id)
    except Exception:
        return None
    groups = [group for group in (ec2.get_security_group_from_id(g) for g in security_group_ids) if group]
    return SubnetNetwork(
        account_id=account_id,
        region=region,
        subnet_id=subnet_id,
        vpc_id=subnet.vpc_id,
        route_table=route_table_of(ec2, subnet.vpc_id, subnet_id),
        security_groups=groups,
        public_ip=public_ip,
    )


def route_table_of(ec2: Any, vpc_id: str, subnet_id: str) -> Any:
    """The subnet's explicitly associated route table, else the VPC's main route table."""
    tables = [table for table in list(ec2.route_tables.values()) if table.vpc_id == vpc_id]
    for table in tables:
        if subnet_id in table._associations.values():
            return table
    for table in tables:
        if table.main_association_id is not None:
            return table
    return None


def _default_routes(table: Any) -> list[Any]:
    if table is None:
        return []
    return [route for route in table.routes if route.destination_cidr_block == "0.0.0.0/0"]


def _nat_gateway_works(ec2: Any, nat_gateway: Any, vpc_id: str) -> bool:
    if getattr(nat_gateway, "state", "available") != "available":
        return False  # a deleted NAT gateway leaves a blackhole route
    if (getattr(nat_gateway, "connectivity_type", None) or "public") != "public":
        return False  # a private NAT gateway does not reach the internet
    try:
        nat_subnet = ec2.get_subnet(nat_gateway.subnet_id)
    except Exception:
        return False
    table = route_table_of(ec2, nat_subnet.vpc_id, nat_subnet.id)
    return any(_is_attached_internet_gateway(route.gateway, vpc_id) for route in _default_routes(table))


def _is_attached_internet_gateway(gateway: Any, vpc_id: str) -> bool:
    if gateway is None or not str(getattr(gateway, "id", "")).startswith("igw-"):
        return False
    attached = getattr(gateway, "vpc", None)
    return attached is not None and getattr(attached, "id", None) == vpc_id


def _rule_allows_https(rule: Any) -> bool:
    protocol = str(rule.ip_protocol or "").lower()
    if protocol in ("-1", "all"):
        return True
    if protocol not in ("tcp", "6"):
        return False
    return rule.from_port is not None and rule.from_port <= 443 <= rule.to_port


def _rule_cidrs(rule: Any) -> list[str]:
    ranges = rule.ip_range if isinstance(rule.ip_range, dict) else {}
    return [value for key, value in ranges.items() if key in ("CidrIp", "CidrIpv4") and value]


def _covers_everything(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
