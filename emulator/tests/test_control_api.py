"""The control API: input validation, the standard world (endpoint and CLI), the server process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    EMULATOR_DIR,
    FIRST_ROLLOUT,
    Account,
    Emulator,
    make_ecs_world,
    new_account,
    start_emulator,
    stop_emulator,
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "outcome must be one of complete, fail, stuck"),
        ({"outcome": "explode"}, "outcome must be one of"),
        ({"outcome": "fail", "steps": 0}, "steps must be an integer from 1 to 8640"),
        ({"outcome": "fail", "steps": "2"}, "steps must be an integer"),
        ({"outcome": "fail", "start_seconds": 0}, "start_seconds must be an integer from 1 to 86400"),
        ({"outcome": "fail", "start_seconds": 2.5}, "start_seconds must be an integer"),
        ({"outcome": "fail", "steps": 2, "start_seconds": 20}, "give start_seconds or steps (10 s each), not both"),
        ({"outcome": "fail", "count": True}, "count must be an integer"),
        (
            {"outcome": "fail", "target_health": "sick"},
            "target_health must be one of healthy, unhealthy, initial",
        ),
        ({"outcome": "fail", "unhealthy_reason": "Nope"}, "unhealthy_reason must be one of"),
        ({"outcome": "fail", "service": ""}, "service must be a non-empty string"),
        ({"outcome": "fail", "colour": "red"}, "unknown field 'colour'"),
        ([], "the body must be a JSON object"),
    ],
)
def test_bad_rollout_scripts_are_refused(account: Account, body: Any, expected: str) -> None:
    status, answer = account.emulator.request(
        "POST", f"/_ecsdeploy/accounts/{account.account_id}/ecs/rollouts", body
    )
    assert status == 400
    assert expected in answer["error"]


def test_every_problem_is_reported_at_once(account: Account) -> None:
    status, answer = account.emulator.request(
        "POST", f"/_ecsdeploy/accounts/{account.account_id}/ecs/rollouts", {"outcome": "x", "steps": -1}
    )
    assert status == 400
    assert "outcome" in answer["error"] and "steps" in answer["error"]


@pytest.mark.parametrize(
    ("method", "path", "raw", "status", "expected"),
    [
        ("POST", "/_ecsdeploy/accounts", b"{not json", 400, "not JSON"),
        ("POST", "/_ecsdeploy/accounts", b'{"region": "x"}', 400, "unknown field"),
        ("POST", "/_ecsdeploy/accounts/12ab/ecs/rollouts", b'{"outcome": "fail"}', 400, "not 12 digits"),
        (
            "POST",
            "/_ecsdeploy/accounts/123456789012/elbv2/target-health",
            b'{"state": "sick"}',
            400,
            "target_group_arn is required",
        ),
        (
            "POST",
            "/_ecsdeploy/accounts/123456789012/elbv2/target-health",
            b'{"target_group_arn": "a", "state": "healthy", "reason": "x"}',
            400,
            "has no reason",
        ),
        ("POST", "/_ecsdeploy/accounts/123456789012/world", b'{"size": "big"}', 400, "unknown field 'size'"),
        (
            "POST",
            "/_ecsdeploy/accounts/123456789012/world",
            b'{"egress": "vpn"}',
            400,
            "egress must be one of nat, none, endpoints, not 'vpn'",
        ),
        ("GET", "/_ecsdeploy/nothing-here", None, 404, "no control endpoint"),
        ("GET", "/_ecsdeploy/accounts", None, 405, ""),
    ],
)
def test_bad_control_requests(
    emulator: Emulator, method: str, path: str, raw: bytes | None, status: int, expected: str
) -> None:
    got_status, answer = emulator.request(method, path, raw=raw)
    assert got_status == status
    assert expected in answer["error"]


def check_world(account: Account, world: dict[str, Any]) -> None:
    ec2 = account.client("ec2")
    [vpc] = ec2.describe_vpcs(VpcIds=[world["vpc_id"]])["Vpcs"]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    assert {"Key": "Name", "Value": "acme"} in vpc["Tags"]
    hostnames = ec2.describe_vpc_attribute(VpcId=world["vpc_id"], Attribute="enableDnsHostnames")
    assert hostnames["EnableDnsHostnames"]["Value"] is True
    [gateway] = ec2.describe_internet_gateways(InternetGatewayIds=[world["internet_gateway_id"]])[
        "InternetGateways"
    ]
    assert gateway["Attachments"][0]["VpcId"] == world["vpc_id"]

    subnets = ec2.describe_subnets(SubnetIds=world["public_subnet_ids"] + world["private_subnet_ids"])[
        "Subnets"
    ]
    by_name = {next(t["Value"] for t in s["Tags"] if t["Key"] == "Name"): s for s in subnets}
    assert set(by_name) == {"acme-public-a", "acme-public-b", "acme-private-a", "acme-private-b"}
    assert by_name["acme-public-a"]["AvailabilityZone"] == "us-east-1a"
    assert by_name["acme-private-b"]["AvailabilityZone"] == "us-east-1b"
    assert {"Key": "Tier", "Value": "private"} in by_name["acme-private-a"]["Tags"]

    certificate = account.client("acm").describe_certificate(CertificateArn=world["certificate_arn"])[
        "Certificate"
    ]
    assert certificate["Status"] == "ISSUED"
    assert certificate["DomainName"] == "api.acme.example"
    assert "*.api.acme.example" in certificate["SubjectAlternativeNames"]

    zone = account.client("route53").get_hosted_zone(Id=world["hosted_zone_id"])["HostedZone"]
    assert zone["Name"] == "acme.example."
    assert zone["Config"]["PrivateZone"] is False

    secretsmanager = account.client("secretsmanager")
    assert len(world["secrets"]) == 12
    for environment in ("test", "stage", "prod"):

        def value(name: str, environment: str = environment) -> str:
            return secretsmanager.get_secret_value(SecretId=f"{environment}/{name}")["SecretString"]

        assert set(json.loads(value("auth/db"))) == {"username", "password"}
        assert len(value("auth/jwt")) > 20
        assert set(json.loads(value("gmail/oauth"))) == {"client_id", "client_secret", "refresh_token"}
        assert set(json.loads(value("calendar/api"))) == {"api_key"}
    assert (
        secretsmanager.get_secret_value(SecretId="test/auth/jwt")["SecretString"]
        != secretsmanager.get_secret_value(SecretId="prod/auth/jwt")["SecretString"]
    )


def test_world_endpoint_builds_the_standard_world(account: Account) -> None:
    world = account.control("/world")
    assert world["account_id"] == account.account_id
    check_world(account, world)


def test_world_cli_builds_the_same_world(account: Account) -> None:
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
        ],
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(EMULATOR_DIR)},
        timeout=60,
    )
    check_world(account, json.loads(completed.stdout))


def test_server_exits_when_its_parent_pid_is_gone_and_takes_a_time_factor(tmp_path: Path) -> None:
    parent = subprocess.Popen(["sleep", "30"])
    emulator = start_emulator(tmp_path, parent.pid, ("--time-factor", "250"))
    try:
        created = emulator.post("/_ecsdeploy/accounts", {})
        status, answer = emulator.request("GET", f"/_ecsdeploy/accounts/{created['account_id']}/clock")
        assert (status, answer["factor"], answer["default_factor"]) == (200, 250.0, 250.0)
        parent.kill()
        parent.wait()
        emulator.process.wait(timeout=5)
        assert emulator.process.returncode == 0
        assert "is gone; shutting down" in emulator.log_path.read_text()
    finally:
        if emulator.process.poll() is None:
            stop_emulator(emulator)


def test_parallel_rollouts_in_separate_accounts(emulator: Emulator) -> None:
    """8 clients at once, each polling its own rollout and target health: no cross-talk, no errors."""

    def one_client(index: int) -> tuple[str, set[str]]:
        account = new_account(emulator)
        world = make_ecs_world(account)
        world.create_service(f"service-{index}", desiredCount=index % 3 + 1)
        for _ in range(3):
            account.advance(FIRST_ROLLOUT / 3)
            service = world.describe(f"service-{index}")
            world.target_health()
        healthy = {health["State"] for health in world.target_health().values()}
        return f"{service['serviceName']}:{service['runningCount']}", healthy

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one_client, range(8)))
    assert results == [(f"service-{i}:{i % 3 + 1}", {"healthy"}) for i in range(8)]
    assert time.monotonic() - started < 30
