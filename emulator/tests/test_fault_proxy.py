"""The fault proxy (`python -m ecsdeploy_emulator.fault_proxy`) in front of the emulator, boto3 (and a
CBOR client) as the SDK whose requests it breaks.

Each test scopes its rules to its own account's access key, so tests sharing the proxy do not
interfere; tests of global rules clear them when done. Clients are made with retries off
(`total_max_attempts: 1`) unless a test shows what the SDK retries.
"""

from __future__ import annotations

import http.client
import socket
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cbor2
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from conftest import BOTO3_SESSION, EMULATOR_DIR, Account, EcsWorld, Emulator
from test_cloudwatch_cbor import CborClient, alarm_members

START_TIMEOUT_SECONDS = 15
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@dataclass
class Proxy:
    endpoint: str
    process: subprocess.Popen[bytes]

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.endpoint + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def rules(self, account: Account | None, *rules: dict[str, Any]) -> Any:
        body: dict[str, Any] = {"rules": list(rules)}
        if account is not None:
            body["access_key"] = account.access_key_id
        status, answer = self.call("POST", "/_fault/rules", body)
        assert status == 200, answer
        return answer

    def log(self, account: Account | None = None) -> list[dict[str, Any]]:
        query = f"?access_key={account.access_key_id}" if account is not None else ""
        status, answer = self.call("GET", f"/_fault/log{query}")
        assert status == 200, answer
        return answer["requests"]

    def faults(self, account: Account) -> list[tuple[str | None, str | None]]:
        return [(entry["operation"], entry["fault"]) for entry in self.log(account)]


def start_proxy(tmp_path: Path, upstream: str, seed: int | None = 7) -> Proxy:
    port_file = tmp_path / "proxy-port"
    log_path = tmp_path / "proxy.log"
    arguments = [
        sys.executable,
        "-m",
        "ecsdeploy_emulator.fault_proxy",
        "--upstream",
        upstream,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--parent-pid",
        str(os.getpid()),
    ]
    if seed is not None:
        arguments += ["--seed", str(seed)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            arguments,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(EMULATOR_DIR)},
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"proxy exited: {log_path.read_text()}")
        if port_file.exists() and port_file.read_text().strip():
            proxy = Proxy(f"http://127.0.0.1:{port_file.read_text().strip()}", process)
            if proxy.call("GET", "/_fault/health")[0] == 200:
                return proxy
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"proxy not up after {START_TIMEOUT_SECONDS}s: {log_path.read_text()}")


def stop_proxy(proxy: Proxy) -> None:
    proxy.process.terminate()
    try:
        proxy.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proxy.process.kill()
        proxy.process.wait()


@pytest.fixture(scope="module")
def proxy(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    started = start_proxy(tmp_path_factory.mktemp("proxy"), emulator.endpoint)
    yield started
    stop_proxy(started)


@pytest.fixture
def clean(proxy: Proxy) -> Iterator[Proxy]:
    """The proxy, with every rule cleared after the test (for tests of global rules)."""
    yield proxy
    proxy.call("DELETE", "/_fault/rules")


def through(proxy: Proxy, account: Account, service: str, config: Config = NO_RETRIES) -> Any:
    """A boto3 client of `account` whose requests go through the proxy."""
    return BOTO3_SESSION.client(
        service,
        endpoint_url=proxy.endpoint,
        aws_access_key_id=account.access_key_id,
        aws_secret_access_key=account.secret_access_key,
        config=config,
    )


def cbor_through(proxy: Proxy, account: Account) -> CborClient:
    return CborClient(Emulator(proxy.endpoint, None, None), account.access_key_id, account.secret_access_key)  # type: ignore[arg-type]


def error_of(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response


# --- forwarding and identification ---------------------------------------------------------------


def test_forwards_every_protocol_and_names_each_operation(proxy: Proxy, account: Account) -> None:
    """Without rules every request is forwarded and answered as the emulator answers it; the log names
    the service (the SigV4 credential scope's) and operation of each: awsJson by X-Amz-Target,
    awsQuery/EC2 by Action, Route53 (REST-XML) by method and path, CloudWatch rpcv2Cbor by path."""
    through(proxy, account, "dynamodb").list_tables()
    through(proxy, account, "ecs").create_cluster(clusterName="acme")
    through(proxy, account, "logs").create_log_group(logGroupName="/ecs/auth")
    through(proxy, account, "ecr").describe_repositories()
    through(proxy, account, "secretsmanager").list_secrets()
    through(proxy, account, "application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")
    through(proxy, account, "iam").list_roles()
    through(proxy, account, "sts").get_caller_identity()
    through(proxy, account, "ec2").describe_vpcs()
    through(proxy, account, "elbv2").describe_load_balancers()
    route53 = through(proxy, account, "route53")
    zone_id = route53.create_hosted_zone(Name="acme.example", CallerReference="z")["HostedZone"]["Id"]
    route53.get_hosted_zone(Id=zone_id)
    route53.list_hosted_zones()
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "api.acme.example",
                        "Type": "TXT",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": '"heritage=ecsdeploy"'}],
                    },
                }
            ]
        },
    )
    route53.list_resource_record_sets(HostedZoneId=zone_id)
    cbor_through(proxy, account).ok("PutMetricAlarm", alarm_members("cpu-high"))

    seen = [(entry["service"], entry["operation"], entry["protocol"], entry["status"]) for entry in proxy.log(account)]
    assert seen == [
        ("dynamodb", "ListTables", "json", 200),
        ("ecs", "CreateCluster", "json", 200),
        ("logs", "CreateLogGroup", "json", 200),
        ("ecr", "DescribeRepositories", "json", 200),
        ("secretsmanager", "ListSecrets", "json", 200),
        ("application-autoscaling", "DescribeScalableTargets", "json", 200),
        ("iam", "ListRoles", "query", 200),
        ("sts", "GetCallerIdentity", "query", 200),
        ("ec2", "DescribeVpcs", "ec2", 200),
        ("elasticloadbalancing", "DescribeLoadBalancers", "query", 200),
        ("route53", "CreateHostedZone", "rest-xml", 201),
        ("route53", "GetHostedZone", "rest-xml", 200),
        ("route53", "ListHostedZones", "rest-xml", 200),
        ("route53", "ChangeResourceRecordSets", "rest-xml", 200),
        ("route53", "ListResourceRecordSets", "rest-xml", 200),
        ("monitoring", "PutMetricAlarm", "cbor", 200),
    ]
    assert all(entry["fault"] is None and entry["access_key"] == account.access_key_id for entry in proxy.log(account))
    assert account.client("logs").describe_log_groups()["logGroups"][0]["logGroupName"] == "/ecs/auth"


# --- the faults, per protocol -----------------------------------------------------------------------

# (service, client call, operation, throttling code, throttling status)
PROTOCOLS = [
    ("logs", lambda client: client.describe_log_groups(), "DescribeLogGroups", "ThrottlingException", 400),
    ("dynamodb", lambda client: client.list_tables(), "ListTables", "ThrottlingException", 400),
    ("iam", lambda client: client.list_roles(), "ListRoles", "Throttling", 400),
    ("elbv2", lambda client: client.describe_load_balancers(), "DescribeLoadBalancers", "Throttling", 400),
    ("ec2", lambda client: client.describe_vpcs(), "DescribeVpcs", "RequestLimitExceeded", 503),
    ("route53", lambda client: client.list_hosted_zones(), "ListHostedZones", "Throttling", 400),
]
IDS = [service for service, *_ in PROTOCOLS]


@pytest.mark.parametrize(("service", "call", "operation", "code", "status"), PROTOCOLS, ids=IDS)
def test_throttle_answers_each_protocols_throttling_error(
    proxy: Proxy, account: Account, service: str, call: Any, operation: str, code: str, status: int
) -> None:
    """`throttle`: not forwarded; the throttling error as each protocol shapes it (awsJson
    `{"__type": "ThrottlingException"}` (DynamoDB with its namespace), awsQuery and Route53
    `<ErrorResponse><Error><Code>Throttling</Code>`, EC2 `RequestLimitExceeded` with HTTP 503), all
    codes the SDKs' retry classifiers treat as throttling."""
    proxy.rules(account, {"operation": operation, "fault": "throttle"})
    response = error_of(call, through(proxy, account, service))
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["Error"]["Message"] in ("Rate exceeded", "Request limit exceeded.")
    [entry] = proxy.log(account)
    assert (entry["operation"], entry["fault"], entry["status"], entry["upstream_status"]) == (
        operation,
        "throttle",
        status,
        None,
    )


@pytest.mark.parametrize(("service", "call", "operation", "_code", "_status"), PROTOCOLS, ids=IDS)
def test_http_500_answers_each_protocols_internal_error(
    proxy: Proxy, account: Account, service: str, call: Any, operation: str, _code: str, _status: int
) -> None:
    """`http-500`: not forwarded; HTTP 500 with the protocol's internal error (EC2 `InternalError`,
    elsewhere `InternalFailure`; DynamoDB's `InternalServerError`)."""
    proxy.rules(account, {"operation": operation, "fault": "http-500"})
    response = error_of(call, through(proxy, account, service))
    expected = {"ec2": "InternalError", "dynamodb": "InternalServerError"}.get(service, "InternalFailure")
    assert response["Error"]["Code"] == expected
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert proxy.faults(account) == [(operation, "http-500")]


@pytest.mark.parametrize(("service", "call", "operation", "_code", "_status"), PROTOCOLS, ids=IDS)
def test_drop_closes_the_connection_without_an_answer(
    proxy: Proxy, account: Account, service: str, call: Any, operation: str, _code: str, _status: int
) -> None:
    """`drop`: the request is read, not forwarded, and the connection closed with no answer."""
    proxy.rules(account, {"operation": operation, "fault": "drop"})
    with pytest.raises(ConnectionClosedError):
        call(through(proxy, account, service))
    [entry] = proxy.log(account)
    assert (entry["fault"], entry["status"], entry["upstream_status"]) == ("drop", None, None)


def test_a_dropped_create_changes_nothing(proxy: Proxy, account: Account) -> None:
    proxy.rules(account, {"operation": "CreateLogGroup", "fault": "drop"})
    with pytest.raises(ConnectionClosedError):
        through(proxy, account, "logs").create_log_group(logGroupName="/ecs/auth")
    assert account.client("logs").describe_log_groups()["logGroups"] == []


def test_delay_forwards_after_the_delay(proxy: Proxy, account: Account) -> None:
    """`delay`: `delay_ms` later the request is forwarded and answered normally."""
    proxy.rules(account, {"operation": "CreateLogGroup", "fault": "delay", "delay_ms": 300})
    started = time.monotonic()
    through(proxy, account, "logs").create_log_group(logGroupName="/ecs/auth")
    assert time.monotonic() - started >= 0.3
    [entry] = proxy.log(account)
    assert (entry["fault"], entry["status"]) == ("delay", 200)
    assert entry["duration_ms"] >= 300
    assert account.client("logs").describe_log_groups()["logGroups"][0]["logGroupName"] == "/ecs/auth"


# --- lost answers: AWS did it, the client never heard ----------------------------------------------------


def test_lost_answer_json_the_group_exists_and_the_retry_sees_it_exists(proxy: Proxy, account: Account) -> None:
    """`lost-answer`: forwarded, the emulator's whole answer read, then the connection closed with
    none of it. The log group exists (asked of the emulator directly); the retry gets what AWS
    answers a second CreateLogGroup (CloudWatch Logs API Reference, CreateLogGroup, Errors:
    "ResourceAlreadyExistsException: The specified resource already exists.")."""
    proxy.rules(account, {"operation": "CreateLogGroup", "fault": "lost-answer", "times": 1})
    logs = through(proxy, account, "logs")
    with pytest.raises(ConnectionClosedError):
        logs.create_log_group(logGroupName="/ecs/auth")
    assert [group["logGroupName"] for group in account.client("logs").describe_log_groups()["logGroups"]] == [
        "/ecs/auth"
    ]
    assert error_of(logs.create_log_group, logGroupName="/ecs/auth")["Error"]["Code"] == (
        "ResourceAlreadyExistsException"
    )
    entries = proxy.log(account)
    assert [(e["fault"], e["status"], e["upstream_status"]) for e in entries] == [
        ("lost-answer", None, 200),
        (None, 400, 400),
    ]


def test_lost_answer_query_the_role_exists_and_the_retry_sees_it_exists(proxy: Proxy, account: Account) -> None:
    """IAM (awsQuery) CreateRole: IAM API Reference, CreateRole, Errors: "EntityAlreadyExists: The
    request was rejected because it attempted to create a resource that already exists."."""
    proxy.rules(account, {"operation": "CreateRole", "fault": "lost-answer", "times": 1})
    iam = through(proxy, account, "iam")
    document = json.dumps({"Version": "2012-10-17", "Statement": []})
    with pytest.raises(ConnectionClosedError):
        iam.create_role(RoleName="auth-task", AssumeRolePolicyDocument=document)
    assert account.client("iam").get_role(RoleName="auth-task")["Role"]["RoleName"] == "auth-task"
    response = error_of(iam.create_role, RoleName="auth-task", AssumeRolePolicyDocument=document)
    assert response["Error"]["Code"] == "EntityAlreadyExists"


def test_lost_answer_rest_xml_the_record_exists_and_the_retried_create_is_refused(
    proxy: Proxy, account: Account
) -> None:
    """Route53 (REST-XML): the CREATE happened; its retry is refused as Route53 refuses a CREATE of an
    existing record ("Tried to create resource record set ... but it already exists"); an UPSERT retry
    succeeds (API Reference, ChangeResourceRecordSets, UPSERT)."""
    zone_id = account.client("route53").create_hosted_zone(Name="acme.example", CallerReference="z")["HostedZone"][
        "Id"
    ]
    proxy.rules(account, {"operation": "ChangeResourceRecordSets", "fault": "lost-answer", "times": 1})
    route53 = through(proxy, account, "route53")

    def change(action: str) -> Any:
        record = {"Name": "api.acme.example", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"x"'}]}
        return route53.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": record}]}
        )

    with pytest.raises(ConnectionClosedError):
        change("CREATE")
    found = account.client("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    assert [record["Name"] for record in found if record["Type"] == "TXT"] == ["api.acme.example."]
    response = error_of(change, "CREATE")
    assert response["Error"]["Code"] == "InvalidChangeBatch"
    assert "but it already exists" in response["Error"]["Message"]
    change("UPSERT")


def test_lost_answer_of_an_idempotent_create_the_retry_answers_the_same_resource(
    proxy: Proxy, ecs_world: EcsWorld
) -> None:
    """ELBv2 CreateTargetGroup is idempotent (API Reference: "If you attempt to create multiple target
    groups with the same settings, each call succeeds."): the retry answers the group the lost call
    created."""
    account = ecs_world.account
    vpc_id = account.client("ec2").describe_vpcs()["Vpcs"][-1]["VpcId"]
    proxy.rules(account, {"operation": "CreateTargetGroup", "fault": "lost-answer", "times": 1})
    elbv2 = through(proxy, account, "elbv2")
    request = {"Name": "stage-auth", "Protocol": "HTTP", "Port": 8080, "VpcId": vpc_id, "TargetType": "ip"}
    with pytest.raises(ConnectionClosedError):
        elbv2.create_target_group(**request)
    [created] = account.client("elbv2").describe_target_groups(Names=["stage-auth"])["TargetGroups"]
    [again] = elbv2.create_target_group(**request)["TargetGroups"]
    assert again["TargetGroupArn"] == created["TargetGroupArn"]


def test_the_sdk_retries_a_throttled_and_a_lost_call(proxy: Proxy, account: Account) -> None:
    """With the SDK's retries on (botocore's standard mode, 3 attempts), one throttle and one lost
    answer are retried transparently; the log shows every attempt."""
    proxy.rules(
        account,
        {"operation": "PutItem", "fault": "throttle", "times": 1},
        {"operation": "PutItem", "fault": "lost-answer", "times": 1, "after": 1},
    )
    dynamodb = account.client("dynamodb")
    dynamodb.create_table(
        TableName="locks",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    retrying = through(proxy, account, "dynamodb", Config(retries={"mode": "standard", "total_max_attempts": 3}))
    answer = retrying.put_item(TableName="locks", Item={"pk": {"S": "stage"}})
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    assert proxy.faults(account) == [("PutItem", "throttle"), ("PutItem", "lost-answer"), ("PutItem", None)]
    assert dynamodb.get_item(TableName="locks", Key={"pk": {"S": "stage"}})["Item"] == {"pk": {"S": "stage"}}


# --- rpcv2Cbor (CloudWatch, as the AWS SDK for Rust speaks it) --------------------------------------------


def test_cbor_faults_use_the_rpcv2_error_shape(proxy: Proxy, account: Account) -> None:
    """rpcv2Cbor errors (Smithy RPC v2 CBOR spec): the status, `smithy-protocol: rpc-v2-cbor`, a CBOR
    map `{"__type", "message"}`; CloudWatch is awsQueryCompatible, so `x-amzn-query-error` carries the
    query code (`Throttling;Sender`, `InternalFailure;Receiver`), which the SDKs prefer."""
    client = cbor_through(proxy, account)
    proxy.rules(account, {"operation": "DescribeAlarms", "fault": "throttle", "times": 1})
    throttled = client.call("DescribeAlarms", {})
    assert throttled.status == 400
    assert throttled.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert throttled.headers["content-type"] == "application/cbor"
    assert throttled.headers["x-amzn-query-error"] == "Throttling;Sender"
    assert cbor2.loads(throttled.body) == {
        "__type": "com.amazon.coral.availability#ThrottlingException",
        "message": "Rate exceeded",
    }
    proxy.rules(account, {"operation": "DescribeAlarms", "fault": "http-500", "times": 1})
    failed = client.call("DescribeAlarms", {})
    assert failed.status == 500
    assert failed.headers["x-amzn-query-error"] == "InternalFailure;Receiver"
    assert cbor2.loads(failed.body)["__type"] == "com.amazon.coral.service#InternalFailure"
    assert client.ok("DescribeAlarms", {}) == {"CompositeAlarms": [], "MetricAlarms": []}


# --- rules: scope, times, after, probability -------------------------------------------------------------


def test_rules_of_an_access_key_do_not_touch_another_account(proxy: Proxy, account: Account, other_account: Account) -> None:
    proxy.rules(account, {"service": "sts", "fault": "http-500"})
    assert error_of(through(proxy, account, "sts").get_caller_identity)["Error"]["Code"] == "InternalFailure"
    assert through(proxy, other_account, "sts").get_caller_identity()["Account"] == other_account.account_id
    assert proxy.faults(other_account) == [("GetCallerIdentity", None)]


def test_global_rules_apply_to_every_account_after_their_own(
    clean: Proxy, account: Account, other_account: Account
) -> None:
    """Rules without an access key apply to every request, after the access key's own rules."""
    clean.rules(None, {"operation": "GetCallerIdentity", "fault": "throttle"})
    clean.rules(account, {"operation": "GetCallerIdentity", "fault": "http-500", "times": 1})
    assert error_of(through(clean, account, "sts").get_caller_identity)["Error"]["Code"] == "InternalFailure"
    assert error_of(through(clean, account, "sts").get_caller_identity)["Error"]["Code"] == "Throttling"
    assert error_of(through(clean, other_account, "sts").get_caller_identity)["Error"]["Code"] == "Throttling"
    status, rules = clean.call("GET", "/_fault/rules")
    assert status == 200
    assert [rule["fault"] for rule in rules["global"]] == ["throttle"]
    assert [rule["fired"] for rule in rules["by_access_key"][account.access_key_id]] == [1]
    clean.call("DELETE", f"/_fault/rules?access_key={account.access_key_id}")
    rules = clean.call("GET", "/_fault/rules")[1]
    assert account.access_key_id not in rules["by_access_key"]
    assert rules["global"]


def test_times_and_after(proxy: Proxy, account: Account) -> None:
    """`after`: the first N matching requests pass; `times`: then it fires at most that often."""
    proxy.rules(account, {"operation": "GetCallerIdentity", "fault": "throttle", "after": 1, "times": 2})
    sts = through(proxy, account, "sts")
    outcomes = []
    for _ in range(5):
        try:
            sts.get_caller_identity()
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes == ["ok", "Throttling", "Throttling", "ok", "ok"]
    [rule] = proxy.call("GET", "/_fault/rules")[1]["by_access_key"][account.access_key_id]
    assert (rule["seen"], rule["fired"], rule["remaining"]) == (5, 2, 0)


def test_rules_match_by_service_and_operation_lists(proxy: Proxy, account: Account) -> None:
    """`service` is the SigV4 signing name (aliases such as `elbv2` are accepted); `operation` a name,
    a list of names or `*`."""
    proxy.rules(
        account,
        {"service": "elbv2", "operation": ["DescribeLoadBalancers", "DescribeTargetGroups"], "fault": "http-500"},
    )
    elbv2 = through(proxy, account, "elbv2")
    assert error_of(elbv2.describe_load_balancers)["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert error_of(elbv2.describe_target_groups)["ResponseMetadata"]["HTTPStatusCode"] == 500
    through(proxy, account, "ec2").describe_vpcs()
    assert proxy.faults(account)[-1] == ("DescribeVpcs", None)


def test_probability_draws_are_deterministic_with_a_seed(
    emulator: Emulator, account: Account, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`--seed`: two proxies with the same seed fault the same requests of the same sequence."""
    patterns = []
    for attempt in range(2):
        proxy = start_proxy(tmp_path_factory.mktemp(f"seeded{attempt}"), emulator.endpoint, seed=42)
        try:
            proxy.rules(account, {"operation": "GetCallerIdentity", "fault": "throttle", "probability": 0.5})
            sts = through(proxy, account, "sts")
            pattern = []
            for _ in range(16):
                try:
                    sts.get_caller_identity()
                    pattern.append(0)
                except ClientError:
                    pattern.append(1)
            patterns.append(pattern)
        finally:
            stop_proxy(proxy)
    assert patterns[0] == patterns[1]
    assert 0 < sum(patterns[0]) < 16


# --- what is never faulted, and HTTP details ----------------------------------------------------------------


def test_control_api_data_plane_and_moto_api_pass_through_untouched(clean: Proxy, ecs_world: EcsWorld) -> None:
    """`/_ecsdeploy/...` (the control API, the ALB data plane) and `/moto-api/...` are forwarded
    untouched even when a rule faults every request."""
    from alb_world import make_alb_world, url_rewrite

    alb = make_alb_world(ecs_world)
    alb.forward_rule(transforms=[url_rewrite()])
    alb.set_app(service="auth", routes={"/health": 200})
    alb.running_service()
    clean.rules(None, {"fault": "http-500"})  # every AWS request

    status, created = clean.call("POST", "/_ecsdeploy/accounts", {})
    assert status == 201 and created["account_id"]
    endpoint = clean.endpoint.removeprefix("http://")
    host, port = endpoint.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", alb.base() + "/stage/auth/health?verbose=1", headers={"X-Test": "1"})
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200
        assert response.getheader("x-ecsdeploy-origin") == "target"
        assert json.loads(body)["path"] == "/health?verbose=1"
        connection.request("GET", "/moto-api/")
        moto = connection.getresponse()
        moto.read()
        assert moto.status == 200
    finally:
        connection.close()
    assert error_of(through(clean, ecs_world.account, "sts").get_caller_identity)["Error"]["Code"] == "InternalFailure"
    assert all(entry["path"].startswith("/") and not entry["path"].startswith("/_ecsdeploy") for entry in clean.log())


def test_keep_alive_and_chunked_request_bodies(proxy: Proxy, account: Account) -> None:
    """Two requests on one connection (HTTP/1.1 keep-alive), the second with a chunked body, which is
    forwarded de-chunked."""
    host, port = proxy.endpoint.removeprefix("http://").split(":")
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={account.access_key_id}/20260101/us-east-1/logs/aws4_request, "
        "SignedHeaders=host;x-amz-target, Signature=0"
    )
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Logs_20140328.CreateLogGroup",
        "Authorization": authorization,
    }
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", "/", body=json.dumps({"logGroupName": "/plain"}), headers=headers)
        first = connection.getresponse()
        first.read()
        assert first.status == 200
        sock = connection.sock
        chunks = iter([b'{"logGroup', b'Name": "/chunked"}'])
        connection.request("POST", "/", body=chunks, headers=headers, encode_chunked=True)
        second = connection.getresponse()
        second.read()
        assert second.status == 200
        assert connection.sock is sock  # the same connection
    finally:
        connection.close()
    names = [group["logGroupName"] for group in account.client("logs").describe_log_groups()["logGroups"]]
    assert names == ["/chunked", "/plain"]
    assert [entry["operation"] for entry in proxy.log(account)] == ["CreateLogGroup", "CreateLogGroup"]


def test_concurrent_requests(proxy: Proxy, account: Account) -> None:
    """Concurrent connections are served at once; a rule with `times` fires exactly that often."""
    proxy.rules(account, {"operation": "GetCallerIdentity", "fault": "drop", "times": 5})
    outcomes: list[str] = []
    lock = threading.Lock()

    def caller() -> None:
        sts = through(proxy, account, "sts")
        for _ in range(4):
            try:
                sts.get_caller_identity()
                outcome = "ok"
            except ConnectionClosedError:
                outcome = "dropped"
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes).count("dropped") == 5
    assert len(outcomes) == 32
    status, stats = proxy.call("GET", f"/_fault/stats?access_key={account.access_key_id}")
    assert status == 200
    assert stats["requests"] == 32
    assert stats["by_fault"] == {"drop": 5}
    assert stats["by_operation"]["sts:GetCallerIdentity"] == {
        "service": "sts",
        "operation": "GetCallerIdentity",
        "requests": 32,
        "faults": {"drop": 5},
    }


def test_control_api_refuses_bad_rules_and_names_the_problems(proxy: Proxy, account: Account) -> None:
    status, answer = proxy.call(
        "POST",
        "/_fault/rules",
        {
            "access_key": account.access_key_id,
            "rules": [
                {"operation": "PutItem", "fault": "explode"},
                {"operation": "PutItem", "fault": "delay"},
                {"operation": "PutItem", "fault": "throttle", "probability": 2, "times": -1, "color": "red"},
            ],
        },
    )
    assert status == 400
    problems = answer["problems"]
    assert any("rules[0].fault must be one of" in problem for problem in problems)
    assert "rules[1].delay_ms is required for the delay fault" in problems
    assert "rules[2].color: unknown field" in problems
    assert "rules[2].probability must be a number from 0 to 1" in problems
    assert any(problem.startswith("rules[2].times") for problem in problems)
    assert account.access_key_id not in proxy.call("GET", "/_fault/rules")[1]["by_access_key"]
    assert proxy.call("GET", "/_fault/nothing")[0] == 404


def test_the_access_key_may_be_named_in_the_rules(proxy: Proxy, account: Account, other_account: Account) -> None:
    """A body without `access_key` whose rules all name the same one is that key's rule set."""
    status, answer = proxy.call(
        "POST", "/_fault/rules", {"rules": [{"operation": "GetCallerIdentity", "fault": "throttle", "access_key": account.access_key_id}]}
    )
    assert status == 200 and answer["access_key"] == account.access_key_id
    assert error_of(through(proxy, account, "sts").get_caller_identity)["Error"]["Code"] == "Throttling"
    status, answer = proxy.call(
        "POST",
        "/_fault/rules",
        {
            "rules": [
                {"fault": "throttle", "access_key": account.access_key_id},
                {"fault": "throttle", "access_key": other_account.access_key_id},
            ]
        },
    )
    assert status == 400


def test_the_proxy_exits_when_its_parent_is_gone(emulator: Emulator, tmp_path: Path) -> None:
    """`--parent-pid`, as the emulator's: the proxy exits within a second or two of its parent."""
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    port_file = tmp_path / "port"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ecsdeploy_emulator.fault_proxy",
            "--upstream",
            emulator.endpoint,
            "--port-file",
            str(port_file),
            "--parent-pid",
            str(parent.pid),
        ],
        env={**os.environ, "PYTHONPATH": str(EMULATOR_DIR)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not (port_file.exists() and port_file.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert port_file.read_text().strip().isdigit()
        parent.kill()
        parent.wait()
        assert child.wait(timeout=5) == 0
    finally:
        for process in (parent, child):
            if process.poll() is None:
                process.kill()


def test_an_unreachable_upstream_is_a_502(account: Account, tmp_path: Path) -> None:
    """The proxy answers 502 `{"error": "upstream: ..."}` when the emulator cannot be reached; its
    control API keeps answering."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    proxy = start_proxy(tmp_path, f"http://127.0.0.1:{port}")
    try:
        response = error_of(through(proxy, account, "logs").describe_log_groups)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 502
        [entry] = proxy.log(account)
        assert entry["status"] == 502 and entry["error"]
    finally:
        stop_proxy(proxy)
