"""CloudWatch over Smithy RPC v2 CBOR (what the AWS SDK for Rust speaks), next to boto3's awsJson.

The second client here is a tiny rpcv2Cbor client (cbor2 + botocore's SigV4 signer + http.client)
that sends what aws-sdk-cloudwatch 1.140 sends; a third is botocore's own rpcv2Cbor implementation
(its CloudWatch model switched to that protocol). boto3's stock CloudWatch client (awsJson 1.0)
must see the same alarms.
"""

from __future__ import annotations

import datetime
import gzip
import http.client
import json
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.exceptions
import botocore.session
import cbor2
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from conftest import Account, Emulator

SERVICE = "GraniteServiceVersion20100801"
NAMESPACE = "com.amazonaws.cloudwatch"
TOPIC = "arn:aws:sns:us-east-1:123456789012:ops"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> Any:
        return cbor2.loads(self.body) if self.body else None


class CborClient:
    """Signs (SigV4, service `monitoring`) and posts rpcv2Cbor requests as aws-sdk-cloudwatch does."""

    def __init__(
        self, emulator: Emulator, access_key_id: str, secret_access_key: str, region: str = "us-east-1"
    ) -> None:
        self.endpoint = urllib.parse.urlsplit(emulator.endpoint)
        self.credentials = Credentials(access_key_id, secret_access_key)
        self.region = region

    @classmethod
    def of(cls, account: Account, region: str = "us-east-1") -> CborClient:
        return cls(account.emulator, account.access_key_id, account.secret_access_key, region)

    def call(self, operation: str, members: dict[str, Any] | None = None) -> Answer:
        # The Rust SDK writes the input structure as an indefinite-length map.
        body = cbor2.dumps(members or {}, indefinite_containers=True)
        return self.raw(operation, body)

    def ok(self, operation: str, members: dict[str, Any] | None = None) -> Any:
        answer = self.call(operation, members)
        assert answer.status == 200, (answer.status, answer.headers, answer.document)
        assert answer.headers["smithy-protocol"] == "rpc-v2-cbor"
        return answer.document

    def raw(
        self,
        operation: str,
        body: bytes,
        *,
        method: str = "POST",
        service: str = SERVICE,
        sign: bool = True,
        signing_name: str = "monitoring",
        extra_headers: dict[str, str] | None = None,
        drop_headers: tuple[str, ...] = (),
    ) -> Answer:
        path = f"/service/{service}/operation/{operation}"
        headers = {
            "smithy-protocol": "rpc-v2-cbor",
            "Content-Type": "application/cbor",
            "Accept": "application/cbor",
            "x-amzn-query-mode": "true",
            **(extra_headers or {}),
        }
        for name in drop_headers:
            headers.pop(name, None)
        request = AWSRequest(method=method, url=f"{self.endpoint.geturl()}{path}", data=body, headers=headers)
        if sign:
            SigV4Auth(self.credentials, signing_name, self.region).add_auth(request)
        connection = http.client.HTTPConnection(self.endpoint.hostname, self.endpoint.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=dict(request.headers.items()))
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()


def alarm_members(name: str, **overrides: Any) -> dict[str, Any]:
    """Every PutMetricAlarm member ecsdeploy sends."""
    members: dict[str, Any] = {
        "AlarmName": name,
        "AlarmDescription": f"{name}: CPU too high",
        "ActionsEnabled": True,
        "AlarmActions": [TOPIC],
        "OKActions": [TOPIC],
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/ECS",
        "Statistic": "Average",
        "Dimensions": [{"Name": "ClusterName", "Value": "acme"}, {"Name": "ServiceName", "Value": "auth"}],
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 80.5,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
        "Tags": [{"Key": "team", "Value": "core"}, {"Key": "env", "Value": "stage"}],
    }
    members.update(overrides)
    return members


def described(client: CborClient, *names: str) -> list[dict[str, Any]]:
    answer = client.ok("DescribeAlarms", {"AlarmNames": list(names)})
    assert answer["CompositeAlarms"] == []
    return answer["MetricAlarms"]


def tags_of(client: CborClient, arn: str) -> dict[str, str]:
    answer = client.ok("ListTagsForResource", {"ResourceARN": arn})
    return {tag["Key"]: tag["Value"] for tag in answer["Tags"]}


def test_an_alarm_put_is_described_back_as_put(account: Account) -> None:
    client = CborClient.of(account)
    put = client.call("PutMetricAlarm", alarm_members("auth-cpu-high"))
    # PutMetricAlarm's output is Unit: no body and no Content-Type.
    assert (put.status, put.body) == (200, b"")
    assert put.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert "content-type" not in put.headers

    answer = client.call("DescribeAlarms", {"AlarmNames": ["auth-cpu-high"]})
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/cbor"
    assert answer.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert answer.headers.get("x-amzn-requestid")
    (alarm,) = answer.document["MetricAlarms"]
    expected = alarm_members("auth-cpu-high")
    del expected["Tags"]  # not part of MetricAlarm
    assert {key: alarm[key] for key in expected} == expected
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:{account.account_id}:alarm:auth-cpu-high"
    assert answer.document["CompositeAlarms"] == []
    assert "NextToken" not in answer.document
    # Typed as the Rust SDK decodes them: double as a CBOR float, integers as integers,
    # timestamps as tag 1 (cbor2 turns a tag-1 epoch into an aware datetime).
    assert type(alarm["Threshold"]) is float and type(alarm["Period"]) is int
    for key in ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp"):
        assert isinstance(alarm[key], datetime.datetime) and alarm[key].tzinfo is not None
    assert alarm["StateValue"] in ("OK", "ALARM", "INSUFFICIENT_DATA")


def test_an_integral_threshold_is_still_a_float(account: Account) -> None:
    client = CborClient.of(account)
    client.ok("PutMetricAlarm", alarm_members("round", Threshold=90.0, Tags=[]))
    (alarm,) = described(client, "round")
    assert alarm["Threshold"] == 90.0 and type(alarm["Threshold"]) is float


def test_tags_round_trip(account: Account) -> None:
    client = CborClient.of(account)
    client.ok("PutMetricAlarm", alarm_members("tagged"))
    (alarm,) = described(client, "tagged")
    arn = alarm["AlarmArn"]
    assert tags_of(client, arn) == {"team": "core", "env": "stage"}

    assert client.ok("TagResource", {"ResourceARN": arn, "Tags": [{"Key": "owner", "Value": "ops"}]}) == {}
    assert tags_of(client, arn) == {"team": "core", "env": "stage", "owner": "ops"}
    assert client.ok("UntagResource", {"ResourceARN": arn, "TagKeys": ["env", "owner"]}) == {}
    assert tags_of(client, arn) == {"team": "core"}

    # CloudWatch ignores the Tags of a PutMetricAlarm that updates an existing alarm.
    update = alarm_members("tagged", Threshold=95.0, Tags=[{"Key": "team", "Value": "other"}])
    client.ok("PutMetricAlarm", update)
    assert described(client, "tagged")[0]["Threshold"] == 95.0
    assert tags_of(client, arn) == {"team": "core"}


def test_delete_then_describe_is_empty(account: Account) -> None:
    client = CborClient.of(account)
    client.ok("PutMetricAlarm", alarm_members("doomed"))
    client.ok("PutMetricAlarm", alarm_members("kept"))
    arn = described(client, "doomed")[0]["AlarmArn"]

    deleted = client.call("DeleteAlarms", {"AlarmNames": ["doomed"]})
    assert (deleted.status, deleted.body) == (200, b"")
    assert described(client, "doomed") == []
    assert [alarm["AlarmName"] for alarm in client.ok("DescribeAlarms")["MetricAlarms"]] == ["kept"]
    # The tags went with the alarm: a re-created alarm starts with only its own.
    client.ok("PutMetricAlarm", alarm_members("doomed", Tags=[{"Key": "new", "Value": "yes"}]))
    assert tags_of(client, arn) == {"new": "yes"}


def test_describe_alarms_by_prefix_in_pages(account: Account) -> None:
    client = CborClient.of(account)
    for name in ("svc-c", "svc-a", "other", "svc-b"):
        client.ok("PutMetricAlarm", alarm_members(name, Tags=[]))

    first = client.ok("DescribeAlarms", {"AlarmNamePrefix": "svc-", "MaxRecords": 2})
    assert [alarm["AlarmName"] for alarm in first["MetricAlarms"]] == ["svc-a", "svc-b"]
    second = client.ok(
        "DescribeAlarms", {"AlarmNamePrefix": "svc-", "MaxRecords": 2, "NextToken": first["NextToken"]}
    )
    assert [alarm["AlarmName"] for alarm in second["MetricAlarms"]] == ["svc-c"]
    assert "NextToken" not in second
    everything = client.ok("DescribeAlarms")
    names = [alarm["AlarmName"] for alarm in everything["MetricAlarms"]]
    assert names == ["other", "svc-a", "svc-b", "svc-c"]


def test_describe_alarms_max_records_is_1_to_100(account: Account) -> None:
    """CloudWatch API Reference, DescribeAlarms `MaxRecords`: "Valid Range: Minimum value of 1.
    Maximum value of 100." Outside it is the constraint error (ValidationError, 400; moto took 0 as
    no limit and 101 as given), for the Rust SDK's CBOR and boto3's awsJson alike; 100 pages."""
    client = CborClient.of(account)
    for value, bound in ((0, "greater than or equal to 1"), (101, "less than or equal to 100")):
        answer = client.call("DescribeAlarms", {"MaxRecords": value})
        assert answer.status == 400
        assert answer.headers["x-amzn-query-error"] == "ValidationError;Sender"
        assert answer.document["message"] == (
            f"1 validation error detected: Value '{value}' at 'maxRecords' failed to satisfy constraint: "
            f"Member must have value {bound}"
        )
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            account.unvalidated_client("cloudwatch").describe_alarms(MaxRecords=value)
        assert raised.value.response["Error"]["Code"] == "ValidationError"
    for number in range(101):
        client.ok("PutMetricAlarm", alarm_members(f"a{number:03d}", Tags=[]))
    page = client.ok("DescribeAlarms", {"MaxRecords": 100})
    assert len(page["MetricAlarms"]) == 100 and page["NextToken"]
    rest = client.ok("DescribeAlarms", {"MaxRecords": 100, "NextToken": page["NextToken"]})
    assert [alarm["AlarmName"] for alarm in rest["MetricAlarms"]] == ["a100"] and "NextToken" not in rest


def test_errors_are_cbor_with_the_shape_id_and_the_query_code(account: Account) -> None:
    client = CborClient.of(account)
    missing = f"arn:aws:cloudwatch:us-east-1:{account.account_id}:alarm:missing"
    answer = client.call("TagResource", {"ResourceARN": missing, "Tags": [{"Key": "a", "Value": "b"}]})
    assert answer.status == 404
    assert answer.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert answer.headers["content-type"] == "application/cbor"
    assert answer.headers["x-amzn-query-error"] == "ResourceNotFoundException;Sender"
    assert answer.document["__type"] == f"{NAMESPACE}#ResourceNotFoundException"
    assert isinstance(answer.document["message"], str)

    answer = client.call("DescribeAlarms", {"NextToken": "not-a-token"})
    assert answer.status == 400
    assert answer.headers["x-amzn-query-error"] == "InvalidNextToken;Sender"
    assert answer.document == {
        "__type": f"{NAMESPACE}#InvalidNextToken",
        "message": "The next token specified is invalid.",
    }


@pytest.mark.parametrize("operation", ["GetDashboard", "PutMetricData", "NoSuchOperation"])
def test_an_unsupported_operation_is_a_clean_cbor_error(account: Account, operation: str) -> None:
    answer = CborClient.of(account).call(operation, {"DashboardName": "x"})
    assert answer.status == 400
    assert answer.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert answer.headers["content-type"] == "application/cbor"
    assert answer.document["__type"] == "UnknownOperationException"
    assert operation in answer.document["message"]


def test_malformed_requests_are_refused(account: Account) -> None:
    client = CborClient.of(account)
    empty = cbor2.dumps({})
    cases = {
        "no protocol header": client.raw("DescribeAlarms", empty, drop_headers=("smithy-protocol",)),
        "not a map": client.raw("DescribeAlarms", cbor2.dumps(["AlarmNames"])),
        "not CBOR": client.raw("DescribeAlarms", b"\xff\xfe"),
        "with X-Amz-Target": client.raw(
            "DescribeAlarms", empty, extra_headers={"X-Amz-Target": f"{SERVICE}.DescribeAlarms"}
        ),
        "unsigned": client.raw("DescribeAlarms", empty, sign=False),
        "signed for another service": client.raw("DescribeAlarms", empty, signing_name="logs"),
        "GET": client.raw("DescribeAlarms", b"", method="GET"),
    }
    got = {case: (answer.status, answer.document["__type"]) for case, answer in cases.items()}
    assert got == {
        "no protocol header": (400, "SerializationException"),
        "not a map": (400, "SerializationException"),
        "not CBOR": (400, "SerializationException"),
        "with X-Amz-Target": (400, "SerializationException"),
        "unsigned": (403, "MissingAuthenticationToken"),
        "signed for another service": (403, "SignatureDoesNotMatch"),
        "GET": (405, "MethodNotAllowed"),
    }
    for answer in cases.values():
        assert answer.headers["smithy-protocol"] == "rpc-v2-cbor"


def test_an_empty_body_is_an_empty_input_and_a_shape_id_service_segment_routes(account: Account) -> None:
    client = CborClient.of(account)
    client.ok("PutMetricAlarm", alarm_members("any", Tags=[]))
    answer = client.raw("DescribeAlarms", b"", drop_headers=("Content-Type",))
    assert answer.status == 200
    assert [alarm["AlarmName"] for alarm in answer.document["MetricAlarms"]] == ["any"]
    answer = client.raw("DescribeAlarms", cbor2.dumps({}), service=f"{NAMESPACE}.{SERVICE}")
    assert answer.status == 200 and len(answer.document["MetricAlarms"]) == 1


def test_accounts_are_isolated(emulator: Emulator, account: Account) -> None:
    created = emulator.post("/_ecsdeploy/accounts", {})
    other = Account(emulator, created["account_id"], created["access_key_id"], created["secret_access_key"])
    CborClient.of(account).ok("PutMetricAlarm", alarm_members("mine"))

    assert described(CborClient.of(other), "mine") == []
    assert CborClient.of(other).ok("DescribeAlarms")["MetricAlarms"] == []
    assert other.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert [alarm["AlarmName"] for alarm in described(CborClient.of(account), "mine")] == ["mine"]


def test_the_region_comes_from_the_credential_scope(account: Account) -> None:
    CborClient.of(account, region="eu-west-1").ok("PutMetricAlarm", alarm_members("in-ireland", Tags=[]))

    (alarm,) = described(CborClient.of(account, region="eu-west-1"), "in-ireland")
    assert alarm["AlarmArn"].startswith("arn:aws:cloudwatch:eu-west-1:")
    assert described(CborClient.of(account), "in-ireland") == []
    ireland = boto3.session.Session(region_name="eu-west-1").client(
        "cloudwatch",
        endpoint_url=account.emulator.endpoint,
        aws_access_key_id=account.access_key_id,
        aws_secret_access_key=account.secret_access_key,
    )
    assert [a["AlarmName"] for a in ireland.describe_alarms()["MetricAlarms"]] == ["in-ireland"]


def test_boto3_and_the_cbor_client_see_the_same_alarms(account: Account) -> None:
    client = CborClient.of(account)
    boto = account.client("cloudwatch")
    client.ok("PutMetricAlarm", alarm_members("from-cbor"))
    boto.put_metric_alarm(**alarm_members("from-boto3", Tags=[{"Key": "via", "Value": "boto3"}]))

    by_boto = {alarm["AlarmName"]: alarm for alarm in boto.describe_alarms()["MetricAlarms"]}
    by_cbor = {alarm["AlarmName"]: alarm for alarm in client.ok("DescribeAlarms")["MetricAlarms"]}
    assert set(by_boto) == set(by_cbor) == {"from-cbor", "from-boto3"}
    for name in by_boto:
        expected = alarm_members(name)
        del expected["Tags"]
        assert {key: by_boto[name][key] for key in expected} == expected
        assert {key: by_cbor[name][key] for key in expected} == expected
        assert by_boto[name]["AlarmArn"] == by_cbor[name]["AlarmArn"]
    assert tags_of(client, by_cbor["from-boto3"]["AlarmArn"]) == {"via": "boto3"}
    boto_tags = boto.list_tags_for_resource(ResourceARN=by_boto["from-cbor"]["AlarmArn"])["Tags"]
    assert {tag["Key"]: tag["Value"] for tag in boto_tags} == {"team": "core", "env": "stage"}

    boto.delete_alarms(AlarmNames=["from-cbor"])
    client.ok("DeleteAlarms", {"AlarmNames": ["from-boto3"]})
    assert client.ok("DescribeAlarms")["MetricAlarms"] == []
    assert boto.describe_alarms()["MetricAlarms"] == []
    # boto3 (awsJson) gets the same pages.
    for name in ("p1", "p2", "p3"):
        boto.put_metric_alarm(**alarm_members(name, Tags=[]))
    page = boto.describe_alarms(MaxRecords=2)
    assert [alarm["AlarmName"] for alarm in page["MetricAlarms"]] == ["p1", "p2"]
    rest = boto.describe_alarms(MaxRecords=2, NextToken=page["NextToken"])
    assert [alarm["AlarmName"] for alarm in rest["MetricAlarms"]] == ["p3"] and "NextToken" not in rest


@pytest.fixture(scope="module")
def cbor_boto3_session(tmp_path_factory: pytest.TempPathFactory) -> boto3.session.Session:
    """A boto3 session whose CloudWatch model offers only rpcv2Cbor, so botocore speaks it."""
    source = Path(botocore.__file__).parent / "data" / "cloudwatch"
    version = max(path.name for path in source.iterdir() if path.is_dir())
    with gzip.open(source / version / "service-2.json.gz") as model_file:
        model = json.load(model_file)
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    data_path = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    (data_path / "cloudwatch" / version).mkdir(parents=True)
    (data_path / "cloudwatch" / version / "service-2.json").write_text(json.dumps(model))
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, str(data_path))
    return boto3.session.Session(botocore_session=session, region_name="us-east-1")


def test_botocores_own_rpcv2_cbor_client_works(
    account: Account, cbor_boto3_session: boto3.session.Session
) -> None:
    sent: list[tuple[str, str]] = []
    cloudwatch = cbor_boto3_session.client(
        "cloudwatch",
        endpoint_url=account.emulator.endpoint,
        aws_access_key_id=account.access_key_id,
        aws_secret_access_key=account.secret_access_key,
    )
    cloudwatch.meta.events.register(
        "before-send", lambda request, **_: sent.append((request.url, request.headers["smithy-protocol"]))
    )
    cloudwatch.put_metric_alarm(**alarm_members("via-botocore-cbor"))
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=["via-botocore-cbor"])["MetricAlarms"]
    assert alarm["Threshold"] == 80.5 and alarm["Dimensions"][1] == {"Name": "ServiceName", "Value": "auth"}
    assert isinstance(alarm["StateUpdatedTimestamp"], datetime.datetime)
    with pytest.raises(cloudwatch.exceptions.ResourceNotFoundException):
        cloudwatch.untag_resource(ResourceARN=alarm["AlarmArn"] + "-missing", TagKeys=["team"])
    cloudwatch.delete_alarms(AlarmNames=["via-botocore-cbor"])
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []
    prefix = f"{account.emulator.endpoint}/service/{SERVICE}/operation/"
    assert len(sent) == 5 and all(url.startswith(prefix) for url, _ in sent)
    protocols = {protocol if isinstance(protocol, str) else protocol.decode() for _, protocol in sent}
    assert protocols == {"rpc-v2-cbor"}
