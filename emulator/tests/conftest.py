"""Fixtures: one real emulator process per session, one fresh account per test, boto3 as the client.

The server is started exactly as scripts/emulator-start starts it (`python -m ecsdeploy_emulator`
binding port 0 and writing the port to a file), with --parent-pid so it cannot outlive pytest.

Each test account's clock is frozen (factor 0) when it is created: rollouts move only when a test
steps simulated time forward (`Account.advance`, `EcsWorld.after`), so tests are fast and
deterministic. Tests of the clock itself set a factor.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

EMULATOR_DIR = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 30
# One boto3 session for every client: it caches the service models (a new session per client
# costs ~0.25 s of JSON loading); each client gets its account's credentials explicitly.
BOTO3_SESSION = boto3.session.Session(region_name="us-east-1")

# Simulated durations (seconds) of the EcsWorld rollouts: a task's start (the scripts' default), the
# target group's health check interval and thresholds and its deregistration delay, as ecsdeploy's
# manifest sets them by default (interval 10, healthy 2, unhealthy 3, deregistration delay 30).
START = 30
INTERVAL = 10
HEALTHY_AFTER = 2 * INTERVAL
UNHEALTHY_AFTER = 3 * INTERVAL
DRAIN = 30
# A first deployment: tasks start, then pass 2 checks. A later one: the old tasks drain too.
FIRST_ROLLOUT = START + HEALTHY_AFTER
NEXT_ROLLOUT = START + HEALTHY_AFTER + DRAIN


@dataclass
class Emulator:
    endpoint: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def request(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(
            self.endpoint + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def post(self, path: str, body: Any = None) -> Any:
        status, answer = self.request("POST", path, {} if body is None else body)
        assert status in (200, 201), f"POST {path} -> {status}: {answer}"
        return answer


@dataclass
class Account:
    """A fresh emulator account and boto3 clients authenticated into it."""

    emulator: Emulator
    account_id: str
    access_key_id: str
    secret_access_key: str

    def client(self, service_name: str) -> Any:
        return BOTO3_SESSION.client(
            service_name,
            endpoint_url=self.emulator.endpoint,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def unvalidated_client(self, service_name: str) -> Any:
        """A client that sends what it is given (botocore's parameter validation off), so that the
        emulator, not botocore, answers an out-of-range value (as AWS answers the Rust SDK)."""
        return BOTO3_SESSION.client(
            service_name,
            endpoint_url=self.emulator.endpoint,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(parameter_validation=False),
        )

    def control(self, path: str, body: Any = None) -> Any:
        return self.emulator.post(f"/_ecsdeploy/accounts/{self.account_id}{path}", body)

    def queue_rollout(self, **script: Any) -> Any:
        return self.control("/ecs/rollouts", script)

    def ecs_state(self) -> Any:
        status, state = self.emulator.request("GET", f"/_ecsdeploy/accounts/{self.account_id}/ecs/state")
        assert status == 200, state
        return state

    def clock(self, **body: Any) -> Any:
        """POST the account's clock (`factor`, `advance_seconds`); without arguments GET it."""
        if not body:
            status, answer = self.emulator.request("GET", f"/_ecsdeploy/accounts/{self.account_id}/clock")
            assert status == 200, answer
            return answer
        return self.control("/clock", body)

    def advance(self, seconds: float) -> Any:
        """Steps the account's simulated time forward."""
        return self.clock(advance_seconds=seconds)

    def now(self) -> float:
        return float(self.clock()["now_seconds"])


def start_emulator(tmp_path: Path, parent_pid: int, flags: tuple[str, ...] = ()) -> Emulator:
    port_file = tmp_path / "port"
    log_path = tmp_path / "server.log"
    environment = {**os.environ, "PYTHONPATH": str(EMULATOR_DIR)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ecsdeploy_emulator",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--port-file",
                str(port_file),
                "--parent-pid",
                str(parent_pid),
                *flags,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=environment,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"emulator exited: {log_path.read_text()[-2000:]}")
        if port_file.exists() and port_file.read_text().strip():
            endpoint = f"http://127.0.0.1:{port_file.read_text().strip()}"
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2) as response:
                    if response.status == 200:
                        return Emulator(endpoint, process, log_path)
            except OSError:
                pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"emulator not healthy after {START_TIMEOUT_SECONDS}s: {log_path.read_text()[-2000:]}")


def stop_emulator(emulator: Emulator) -> None:
    emulator.process.terminate()
    try:
        emulator.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        emulator.process.kill()
        emulator.process.wait()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Any:
    started = start_emulator(tmp_path_factory.mktemp("emulator"), os.getpid())
    yield started
    stop_emulator(started)


def new_account(emulator: Emulator, frozen: bool = True) -> Account:
    """A fresh account; its clock frozen unless `frozen` is false (then it runs at the server's factor)."""
    created = emulator.post("/_ecsdeploy/accounts", {})
    account = Account(emulator, created["account_id"], created["access_key_id"], created["secret_access_key"])
    if frozen:
        account.clock(factor=0)
    return account


@pytest.fixture
def account(emulator: Emulator) -> Account:
    return new_account(emulator)


@pytest.fixture
def other_account(emulator: Emulator) -> Account:
    """A second fresh account, for tests of isolation."""
    return new_account(emulator)


@dataclass
class EcsWorld:
    """A cluster `acme`, task definitions auth:1 and auth:2, a target group, subnets and a security group.

    The target group is attached to a load balancer (`ecs-world`, an HTTP:80 listener forwarding to
    it), as ECS requires of a service's target groups. Its health checks and deregistration delay are
    ecsdeploy's defaults (see `INTERVAL`, `HEALTHY_AFTER`, `UNHEALTHY_AFTER`, `DRAIN`).
    """

    account: Account
    ecs: Any
    elbv2: Any
    subnet_ids: list[str]
    security_group_id: str
    target_group_arn: str
    task_definition_arns: list[str]
    load_balancer_arn: str = ""
    listener_arn: str = ""

    def create_service(self, name: str = "auth", **overrides: Any) -> dict[str, Any]:
        parameters: dict[str, Any] = {
            "cluster": "acme",
            "serviceName": name,
            "taskDefinition": "auth:1",
            "desiredCount": 2,
            "launchType": "FARGATE",
            "loadBalancers": [
                {"targetGroupArn": self.target_group_arn, "containerName": "app", "containerPort": 8080}
            ],
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": self.subnet_ids,
                    "securityGroups": [self.security_group_id],
                }
            },
            "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        }
        parameters.update(overrides)
        return self.ecs.create_service(**parameters)["service"]

    def describe(self, name: str = "auth") -> dict[str, Any]:
        return self.ecs.describe_services(cluster="acme", services=[name])["services"][0]

    def after(self, seconds: float, name: str = "auth") -> dict[str, Any]:
        """The service as DescribeServices shows it `seconds` of simulated time later."""
        self.account.advance(seconds)
        return self.describe(name)

    def target_health(self) -> dict[str, dict[str, Any]]:
        descriptions = self.elbv2.describe_target_health(TargetGroupArn=self.target_group_arn)
        return {
            item["Target"]["Id"]: item["TargetHealth"] for item in descriptions["TargetHealthDescriptions"]
        }


def create_target_group(elbv2: Any, vpc_id: str, name: str = "auth") -> str:
    """An ip target group with ecsdeploy's default health checks and deregistration delay."""
    target_group_arn = elbv2.create_target_group(
        Name=name,
        Protocol="HTTP",
        Port=8080,
        VpcId=vpc_id,
        TargetType="ip",
        HealthCheckIntervalSeconds=INTERVAL,
        HealthyThresholdCount=HEALTHY_AFTER // INTERVAL,
        UnhealthyThresholdCount=UNHEALTHY_AFTER // INTERVAL,
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(
        TargetGroupArn=target_group_arn,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": str(DRAIN)}],
    )
    return target_group_arn


def nat_gateway_egress(ec2: Any, vpc_id: str, private_subnet_ids: list[str]) -> dict[str, str]:
    """A way out for tasks in `private_subnet_ids` without public IPs, as a private subnet has in AWS:
    an internet gateway, a public subnet 10.0.0.0/24 routing 0.0.0.0/0 to it, a NAT gateway there,
    and a route table sending the private subnets' 0.0.0.0/0 to the NAT gateway."""
    gateway_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
    public_subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24", AvailabilityZone="us-east-1a")[
        "Subnet"
    ]["SubnetId"]
    public_table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway_id)
    ec2.associate_route_table(RouteTableId=public_table_id, SubnetId=public_subnet_id)
    allocation_id = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat_gateway_id = ec2.create_nat_gateway(SubnetId=public_subnet_id, AllocationId=allocation_id)["NatGateway"][
        "NatGatewayId"
    ]
    private_table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_table_id, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_gateway_id)
    for subnet_id in private_subnet_ids:
        ec2.associate_route_table(RouteTableId=private_table_id, SubnetId=subnet_id)
    return {
        "internet_gateway_id": gateway_id,
        "public_subnet_id": public_subnet_id,
        "public_route_table_id": public_table_id,
        "nat_gateway_id": nat_gateway_id,
        "private_route_table_id": private_table_id,
    }


@pytest.fixture
def ecs_world(account: Account) -> EcsWorld:
    return make_ecs_world(account)


def make_ecs_world(account: Account) -> EcsWorld:
    ec2, ecs, elbv2 = account.client("ec2"), account.client("ecs"), account.client("elbv2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.0.10.0/24", "us-east-1a"), ("10.0.11.0/24", "us-east-1b"))
    ]
    nat_gateway_egress(ec2, vpc_id, subnet_ids)
    security_group_id = ec2.create_security_group(GroupName="auth", Description="auth", VpcId=vpc_id)[
        "GroupId"
    ]
    ecs.create_cluster(clusterName="acme")
    task_definition_arns = [
        ecs.register_task_definition(
            family="auth",
            containerDefinitions=[
                {
                    "name": "app",
                    "image": f"auth:{version}",
                    "memory": 512,
                    "portMappings": [{"containerPort": 8080}],
                }
            ],
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
        )["taskDefinition"]["taskDefinitionArn"]
        for version in (1, 2)
    ]
    target_group_arn = create_target_group(elbv2, vpc_id)
    # ECS refuses a target group no load balancer forwards to (see validation.ecs).
    load_balancer_arn = elbv2.create_load_balancer(
        Name="ecs-world", Subnets=subnet_ids, SecurityGroups=[security_group_id], Scheme="internal"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    listener_arn = elbv2.create_listener(
        LoadBalancerArn=load_balancer_arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
    )["Listeners"][0]["ListenerArn"]
    return EcsWorld(
        account,
        ecs,
        elbv2,
        subnet_ids,
        security_group_id,
        target_group_arn,
        task_definition_arns,
        load_balancer_arn,
        listener_arn,
    )
