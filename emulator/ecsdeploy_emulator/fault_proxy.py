"""A fault-injecting HTTP/1.1 reverse proxy in front of the emulator (`python -m ecsdeploy_emulator.fault_proxy`).

End-to-end tests point the AWS SDK at the proxy instead of the emulator; the proxy forwards every
request unchanged (method, path and query, headers including `Authorization` and `Host`, body) and
relays the emulator's answer, except where a rule injects a fault into an AWS request:

| fault         | what the client sees                                                                   |
|---------------|----------------------------------------------------------------------------------------|
| `http-500`    | not forwarded; HTTP 500 with the protocol's internal-error shape (InternalFailure, EC2 InternalError) |
| `throttle`    | not forwarded; the protocol's throttling error (awsJson ThrottlingException 400, awsQuery and Route53 Throttling 400, EC2 RequestLimitExceeded 503, rpcv2Cbor ThrottlingException 400 with `x-amzn-query-error: Throttling;Sender`) |
| `drop`        | the request is read, not forwarded, and the connection closed without an answer        |
| `delay`       | `delay_ms` later, forwarded and relayed as usual                                       |
| `lost-answer` | forwarded, the emulator's whole answer read (the change happened), then the connection closed without any of it: "AWS did it but the answer was lost" |

Each AWS request is identified by its SigV4 `Authorization` header (access key id, region and
service from the credential scope `AKID/date/region/service/aws4_request`) and its operation: the
`X-Amz-Target` header (awsJson: `DynamoDB_20120810.PutItem` is `PutItem`), `Action=` in the
form-encoded body or the query string (awsQuery, EC2), the path `/service/<S>/operation/<Op>`
(Smithy RPC v2 CBOR), or for REST protocols (Route53) the method and path matched against the
operation's HTTP binding in the botocore model (POST `/2013-04-01/hostedzone/<id>/rrset/` is
`ChangeResourceRecordSets`). Requests to `/_ecsdeploy/...` (the control API and the ALB data plane)
and `/moto-api/...` are forwarded untouched and never faulted.

The proxy's own control API lives under `/_fault/` (never forwarded); see `ControlApi` and the
README's "Fault proxy" section. Rules are scoped per access key, so tests sharing one proxy (one
emulator account each) do not interfere. `--seed` makes the probability draws deterministic (in the
order requests are matched).

Request bodies may be sent with Content-Length or chunked; a chunked body is forwarded de-chunked
with a Content-Length (the only change the proxy makes to a request). Answers are relayed with a
Content-Length; client connections are kept alive unless the client asks otherwise. Each request
opens its own connection to the upstream.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import functools
import http.client
import json
import logging
import random
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

log = logging.getLogger("ecsdeploy_emulator.fault_proxy")

CONTROL_PREFIX = "/_fault"
PASSTHROUGH_PREFIXES = ("/_ecsdeploy/", "/moto-api/")
PASSTHROUGH_EXACT = ("/_ecsdeploy", "/moto-api")
FAULTS = ("lost-answer", "http-500", "throttle", "drop", "delay")
RULE_FIELDS = {"operation", "service", "access_key", "fault", "probability", "times", "delay_ms", "after"}
MAX_DELAY_MS = 600_000
LOG_LIMIT = 20_000
UPSTREAM_TIMEOUT_SECONDS = 120
CLIENT_IDLE_TIMEOUT_SECONDS = 600
# Headers that describe one connection, not the message (RFC 9110, 7.6.1): not relayed to the client.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}

# Service names a rule may use for the SigV4 signing names (the credential scope's service).
SERVICE_ALIASES = {
    "elbv2": "elasticloadbalancing",
    "elasticloadbalancingv2": "elasticloadbalancing",
    "cloudwatch": "monitoring",
    "applicationautoscaling": "application-autoscaling",
    "autoscaling-plans": "autoscaling-plans",
    "cloudwatchlogs": "logs",
}
# X-Amz-Target prefixes -> signing name, for a request without a SigV4 Authorization header.
TARGET_PREFIXES = {
    "DynamoDB_20120810": "dynamodb",
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "Logs_20140328": "logs",
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
    "secretsmanager": "secretsmanager",
    "AnyScaleFrontendService": "application-autoscaling",
    "CertificateManager": "acm",
    "TrentService": "kms",
    "GraniteServiceVersion20100801": "monitoring",
    "AmazonSSM": "ssm",
}
# Signing name -> botocore service name, for REST operation lookup (when they differ).
BOTOCORE_NAMES = {"monitoring": "cloudwatch", "elasticloadbalancing": "elbv2"}
DYNAMODB_NAMESPACE = "com.amazonaws.dynamodb.v20120810"
_CBOR_PATH = re.compile(r"^(?:/.*)?/service/(?P<service>[^/]+)/operation/(?P<operation>[^/?]+)$")


# --- what a request is --------------------------------------------------------------------------


@dataclass(frozen=True)
class AwsCall:
    """An AWS request as the proxy understands it."""

    access_key: str | None
    region: str | None
    service: str | None  # the SigV4 signing name (`dynamodb`, `elasticloadbalancing`, `monitoring`...)
    operation: str | None
    protocol: str  # json, query, ec2, rest-xml, rest-json, cbor, unknown
    dynamodb: bool = False
    json_content_type: str = "application/x-amz-json-1.1"  # awsJson: the request's version


def credential_scope(authorization: str) -> tuple[str | None, str | None, str | None]:
    """(access key id, region, service) of a SigV4 Authorization header."""
    credential = authorization.partition("Credential=")[2].partition(",")[0].strip()
    parts = credential.split("/")
    if len(parts) < 5:
        return (parts[0] or None) if parts else None, None, None
    return parts[0] or None, parts[2] or None, parts[3] or None


def identify(method: str, target: str, headers: http.client.HTTPMessage, body: bytes) -> AwsCall:
    """Who calls which operation of which service, from the request alone."""
    access_key, region, service = credential_scope(headers.get("Authorization", ""))
    if access_key is None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        if "X-Amz-Credential" in query:  # a presigned URL
            access_key, region, service = credential_scope("Credential=" + query["X-Amz-Credential"][0] + ",")
    path = urllib.parse.urlsplit(target).path

    cbor = _CBOR_PATH.match(path)
    if cbor is not None and "x-amz-target" not in {k.lower() for k in headers.keys()}:
        return AwsCall(access_key, region, service, cbor.group("operation"), "cbor")

    amz_target = headers.get("X-Amz-Target")
    if amz_target:
        prefix, _, operation = amz_target.rpartition(".")
        service = service or TARGET_PREFIXES.get(prefix)
        content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
        return AwsCall(
            access_key,
            region,
            service,
            operation or None,
            "json",
            dynamodb=prefix.startswith("DynamoDB_") or service == "dynamodb",
            json_content_type=content_type
            if content_type.startswith("application/x-amz-json-")
            else "application/x-amz-json-1.1",
        )

    action = _query_action(target, headers, body)
    if action is not None:
        return AwsCall(access_key, region, service, action, "ec2" if service == "ec2" else "query")

    if service is not None:
        found = rest_operation(service, method, path)
        if found is not None:
            operation, protocol = found
            return AwsCall(access_key, region, service, operation, protocol)
    return AwsCall(access_key, region, service, None, "unknown")


def _query_action(target: str, headers: http.client.HTTPMessage, body: bytes) -> str | None:
    content_type = headers.get("Content-Type", "").lower()
    if body and content_type.startswith("application/x-www-form-urlencoded"):
        try:
            values = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            values = {}
        if values.get("Action"):
            return values["Action"][0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query, keep_blank_values=True)
    if query.get("Action"):
        return query["Action"][0]
    return None


@dataclass(frozen=True)
class RestBinding:
    operation: str
    method: str
    segments: tuple[str, ...]  # literal, "{label}" or "{label+}"
    query_literals: tuple[tuple[str, str], ...]


@functools.cache
def _rest_bindings(service: str) -> tuple[str, tuple[RestBinding, ...]]:
    """(protocol, bindings) of a REST service's operations, from the botocore model (loaded once)."""
    try:
        import botocore.session
    except ImportError:  # pragma: no cover - the emulator's venv has botocore
        return "unknown", ()
    name = BOTOCORE_NAMES.get(service, service)
    try:
        model = botocore.session.get_session().get_service_model(name)
    except Exception:  # noqa: BLE001 - an unknown service simply has no REST bindings
        return "unknown", ()
    protocol = model.protocol
    if protocol not in ("rest-xml", "rest-json"):
        return protocol, ()
    bindings = []
    for operation_name in model.operation_names:
        http_binding = model.operation_model(operation_name).http
        uri = http_binding.get("requestUri", "/")
        path, _, query = uri.partition("?")
        literals = tuple(
            (key, values[0] if values else "")
            for key, values in urllib.parse.parse_qs(query, keep_blank_values=True).items()
            if not (values and values[0].startswith("{"))
        )
        segments = tuple(segment for segment in path.split("/") if segment)
        bindings.append(RestBinding(operation_name, http_binding.get("method", "POST"), segments, literals))
    return protocol, tuple(bindings)


def rest_operation(service: str, method: str, path: str) -> tuple[str, str] | None:
    """(operation, protocol) whose HTTP binding matches; the most literal segments win."""
    protocol, bindings = _rest_bindings(service)
    if not bindings:
        return None
    segments = [urllib.parse.unquote(segment) for segment in path.split("/") if segment]
    best: tuple[int, str] | None = None
    for binding in bindings:
        if binding.method != method.upper():
            continue
        score = _match_segments(binding.segments, segments)
        if score is not None and (best is None or score > best[0]):
            best = (score, binding.operation)
    return (best[1], protocol) if best else None


def _match_segments(template: tuple[str, ...], segments: list[str]) -> int | None:
    literal = 0
    for index, part in enumerate(template):
        if part.startswith("{") and part.endswith("+}"):
            return literal if len(segments) > index else None
        if index >= len(segments):
            return None
        if part.startswith("{"):
            continue
        if part != segments[index]:
            return None
        literal += 1
    return literal if len(template) == len(segments) else None


# --- fault answers, as each protocol words its errors ---------------------------------------------

QUERY_NAMESPACES = {
    "elasticloadbalancing": "https://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
    "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
}
QUERY_COMPATIBLE_JSON = {"monitoring"}  # awsJson services that also send x-amzn-query-error


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    json_type: str
    query_code: str
    ec2_code: str
    ec2_status: int
    message: str
    sender: bool


THROTTLE = ErrorSpec(400, "ThrottlingException", "Throttling", "RequestLimitExceeded", 503, "Rate exceeded", True)
INTERNAL = ErrorSpec(
    500,
    "InternalFailure",
    "InternalFailure",
    "InternalError",
    500,
    "The request processing has failed because of an unknown error, exception or failure.",
    False,
)


def fault_answer(call: AwsCall, fault: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of an injected `throttle` or `http-500`, in the call's protocol."""
    spec = THROTTLE if fault == "throttle" else INTERNAL
    request_id = str(uuid.uuid4())
    kind = "Sender" if spec.sender else "Receiver"
    if call.protocol == "ec2":
        message = "Request limit exceeded." if spec is THROTTLE else "An internal error has occurred"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{spec.ec2_code}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
        return spec.ec2_status, [("Content-Type", "text/xml;charset=UTF-8"), ("x-amzn-RequestId", request_id)], body
    if call.protocol in ("query", "rest-xml"):
        namespace = QUERY_NAMESPACES.get(call.service or "", "")
        xmlns = f' xmlns="{namespace}"' if namespace else ""
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse{xmlns}><Error><Type>{kind}</Type>'
            f"<Code>{spec.query_code}</Code><Message>{escape(spec.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return spec.status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
    if call.protocol == "cbor":
        from . import rpcv2_cbor  # cbor2 only; no moto

        shape = (
            "com.amazon.coral.availability#ThrottlingException"
            if spec is THROTTLE
            else "com.amazon.coral.service#InternalFailure"
        )
        answer = rpcv2_cbor.error(
            spec.status, shape, spec.message, query_error=f"{spec.query_code};{kind}", request_id=request_id
        )
        headers = [(name, value) for name, value in answer.headers if name.lower() != "content-length"]
        return answer.status, headers, answer.body
    if call.protocol == "rest-json":
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", spec.json_type),
        ]
        return spec.status, headers, json.dumps({"message": spec.message}).encode()
    # awsJson 1.0/1.1 (and anything not recognised, which only a non-SDK client sends)
    error_type = spec.json_type
    if call.dynamodb:
        error_type = f"{DYNAMODB_NAMESPACE}#{'ThrottlingException' if spec is THROTTLE else 'InternalServerError'}"
    headers = [("Content-Type", call.json_content_type), ("x-amzn-RequestId", request_id)]
    if call.service in QUERY_COMPATIBLE_JSON:
        headers.append(("x-amzn-query-error", f"{spec.query_code};{kind}"))
    return spec.status, headers, json.dumps({"__type": error_type, "message": spec.message}).encode()


# --- rules and what happened ----------------------------------------------------------------------


class RuleError(ValueError):
    """A control API request that names its problems."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Rule:
    fault: str
    operation: tuple[str, ...] | None = None  # None: every operation
    service: str | None = None
    access_key: str | None = None
    probability: float = 1.0
    times: int | None = None
    delay_ms: int = 0
    after: int = 0
    seen: int = 0  # matching requests so far
    fired: int = 0

    def matches(self, call: AwsCall) -> bool:
        if self.access_key is not None and call.access_key != self.access_key:
            return False
        if self.service is not None and normalise_service(call.service) != self.service:
            return False
        return self.operation is None or call.operation in self.operation

    def to_json(self) -> dict[str, Any]:
        operation: Any = None
        if self.operation is not None:
            operation = self.operation[0] if len(self.operation) == 1 else list(self.operation)
        return {
            "operation": operation,
            "service": self.service,
            "access_key": self.access_key,
            "fault": self.fault,
            "probability": self.probability,
            "times": self.times,
            "delay_ms": self.delay_ms,
            "after": self.after,
            "seen": self.seen,
            "fired": self.fired,
            "remaining": None if self.times is None else max(0, self.times - self.fired),
        }


def normalise_service(name: str | None) -> str | None:
    if name is None:
        return None
    lowered = name.lower()
    return SERVICE_ALIASES.get(lowered, lowered)


def parse_rule(value: Any, index: int, scope: str | None) -> Rule:
    where = f"rules[{index}]"
    if not isinstance(value, dict):
        raise RuleError([f"{where} must be an object"])
    problems = [f"{where}.{key}: unknown field" for key in sorted(set(value) - RULE_FIELDS)]
    fault = value.get("fault")
    if fault not in FAULTS:
        problems.append(f"{where}.fault must be one of {', '.join(FAULTS)} (got {fault!r})")
    operation = value.get("operation")
    operations: tuple[str, ...] | None = None
    if operation is None or operation == "*":
        operations = None
    elif isinstance(operation, str) and operation:
        operations = (operation,)
    elif isinstance(operation, list) and operation and all(isinstance(item, str) and item for item in operation):
        operations = tuple(operation)
    else:
        problems.append(f"{where}.operation must be an operation name, a list of them, or \"*\"")
    service = value.get("service")
    if service is not None and not (isinstance(service, str) and service):
        problems.append(f"{where}.service must be a service name (the SigV4 signing name, e.g. dynamodb)")
    access_key = value.get("access_key", scope)
    if access_key is not None and not (isinstance(access_key, str) and access_key):
        problems.append(f"{where}.access_key must be an access key id")
    if scope is not None and access_key != scope:
        problems.append(f"{where}.access_key {access_key!r} is not the rule set's access key {scope!r}")
    probability = value.get("probability", 1.0)
    if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
        problems.append(f"{where}.probability must be a number from 0 to 1")
    times = value.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 0):
        problems.append(f"{where}.times must be a whole number >= 0 (absent: unlimited)")
    after = value.get("after", 0)
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        problems.append(f"{where}.after must be a whole number >= 0")
    delay_ms = value.get("delay_ms", 0 if fault != "delay" else None)
    if fault == "delay" and delay_ms is None:
        problems.append(f"{where}.delay_ms is required for the delay fault")
    elif delay_ms is not None and (
        isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or not 0 <= delay_ms <= MAX_DELAY_MS
    ):
        problems.append(f"{where}.delay_ms must be a whole number from 0 to {MAX_DELAY_MS}")
    if problems:
        raise RuleError(problems)
    return Rule(
        fault=fault,
        operation=operations,
        service=normalise_service(service),
        access_key=access_key,
        probability=float(probability),
        times=times,
        delay_ms=int(delay_ms or 0),
        after=after,
    )


@dataclass
class Decision:
    fault: str | None
    rule: Rule | None = None
    rule_index: int | None = None
    scope: str | None = None


@dataclass
class FaultState:
    """Rules per scope (an access key, or None: every request), the request log and counters."""

    seed: int | None = None
    rules: dict[str | None, list[Rule]] = field(default_factory=dict)
    entries: collections.deque[dict[str, Any]] = field(default_factory=lambda: collections.deque(maxlen=LOG_LIMIT))
    sequence: int = 0
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # stats[access key][(service, operation)] = {"requests": n, "faults": {kind: n}}
    stats: dict[str | None, dict[tuple[str | None, str | None], dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def set_rules(self, scope: str | None, rules: list[Rule]) -> None:
        with self.lock:
            if rules:
                self.rules[scope] = rules
            else:
                self.rules.pop(scope, None)

    def clear_rules(self, scope: str | None, everything: bool) -> None:
        with self.lock:
            if everything:
                self.rules.clear()
            else:
                self.rules.pop(scope, None)

    def decide(self, call: AwsCall) -> Decision:
        """The fault for this request: the access key's rules first, then the global ones, in order.

        Every rule that matches counts the request (`seen`); the first one past its `after`, not
        used up (`times`) and whose probability draw succeeds fires."""
        with self.lock:
            scopes: list[str | None] = []
            if call.access_key is not None and call.access_key in self.rules:
                scopes.append(call.access_key)
            if None in self.rules:
                scopes.append(None)
            chosen = Decision(None)
            for scope in scopes:
                for index, rule in enumerate(self.rules[scope]):
                    if not rule.matches(call):
                        continue
                    rule.seen += 1
                    if chosen.fault is not None or rule.seen <= rule.after:
                        continue
                    if rule.times is not None and rule.fired >= rule.times:
                        continue
                    if rule.probability < 1.0 and not self.rng.random() < rule.probability:
                        continue
                    rule.fired += 1
                    chosen = Decision(rule.fault, rule, index, scope)
            return chosen

    def record(self, call: AwsCall, method: str, target: str, decision: Decision, **outcome: Any) -> None:
        now = time.monotonic()
        with self.lock:
            self.sequence += 1
            entry = {
                "seq": self.sequence,
                "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
                "t": round(now - self.started, 3),
                "access_key": call.access_key,
                "region": call.region,
                "service": call.service,
                "operation": call.operation,
                "protocol": call.protocol,
                "method": method,
                "path": urllib.parse.urlsplit(target).path,
                "fault": decision.fault,
                "rule": None
                if decision.rule is None
                else {"scope": decision.scope, "index": decision.rule_index},
                "status": None,
                "upstream_status": None,
                "duration_ms": None,
                "error": None,
            }
            entry.update(outcome)
            self.entries.append(entry)
            by_key = self.stats.setdefault(call.access_key, {})
            counts = by_key.setdefault((call.service, call.operation), {"requests": 0, "faults": {}})
            counts["requests"] += 1
            if decision.fault is not None:
                counts["faults"][decision.fault] = counts["faults"].get(decision.fault, 0) + 1

    def log_entries(self, access_key: str | None, since: int) -> list[dict[str, Any]]:
        with self.lock:
            return [
                dict(entry)
                for entry in self.entries
                if entry["seq"] > since and (access_key is None or entry["access_key"] == access_key)
            ]

    def clear_log(self, access_key: str | None) -> None:
        with self.lock:
            if access_key is None:
                self.entries.clear()
                self.stats.clear()
            else:
                kept = [entry for entry in self.entries if entry["access_key"] != access_key]
                self.entries.clear()
                self.entries.extend(kept)
                self.stats.pop(access_key, None)

    def stats_json(self, access_key: str | None) -> dict[str, Any]:
        with self.lock:
            keys = [access_key] if access_key is not None else list(self.stats)
            by_operation: dict[str, dict[str, Any]] = {}
            by_fault: dict[str, int] = {}
            requests = faulted = 0
            for key in keys:
                for (service, operation), counts in self.stats.get(key, {}).items():
                    name = f"{service or '?'}:{operation or '?'}"
                    merged = by_operation.setdefault(
                        name, {"service": service, "operation": operation, "requests": 0, "faults": {}}
                    )
                    merged["requests"] += counts["requests"]
                    requests += counts["requests"]
                    for kind, number in counts["faults"].items():
                        merged["faults"][kind] = merged["faults"].get(kind, 0) + number
                        by_fault[kind] = by_fault.get(kind, 0) + number
                        faulted += number
            return {
                "access_key": access_key,
                "requests": requests,
                "faulted": faulted,
                "by_fault": by_fault,
                "by_operation": dict(sorted(by_operation.items())),
            }

    def rules_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "global": [rule.to_json() for rule in self.rules.get(None, [])],
                "by_access_key": {
                    key: [rule.to_json() for rule in rules] for key, rules in self.rules.items() if key is not None
                },
            }


# --- the control API --------------------------------------------------------------------------------


class ControlApi:
    """`/_fault/...`: JSON in, JSON out. Answers (status, document)."""

    def __init__(self, state: FaultState, upstream: str) -> None:
        self.state = state
        self.upstream = upstream

    def handle(self, method: str, target: str, body: bytes) -> tuple[int, Any]:
        parts = urllib.parse.urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        access_key = query.get("access_key", [None])[0] or None
        if path in (CONTROL_PREFIX, f"{CONTROL_PREFIX}/health") and method == "GET":
            return 200, {"ok": True, "upstream": self.upstream, "seed": self.state.seed}
        if path == f"{CONTROL_PREFIX}/rules":
            if method == "GET":
                return 200, self.state.rules_json()
            if method == "POST":
                return self._set_rules(body, access_key)
            if method == "DELETE":
                self.state.clear_rules(access_key, everything=access_key is None)
                return 200, self.state.rules_json()
            return 405, {"error": f"{method} not allowed on {path}"}
        if path == f"{CONTROL_PREFIX}/log":
            if method == "GET":
                try:
                    since = int(query.get("since", ["0"])[0])
                except ValueError:
                    return 400, {"error": "since must be a whole number", "problems": ["since must be a whole number"]}
                return 200, {"access_key": access_key, "requests": self.state.log_entries(access_key, since)}
            if method == "DELETE":
                self.state.clear_log(access_key)
                return 200, {"access_key": access_key, "requests": []}
            return 405, {"error": f"{method} not allowed on {path}"}
        if path == f"{CONTROL_PREFIX}/stats" and method == "GET":
            return 200, self.state.stats_json(access_key)
        return 404, {"error": f"no control endpoint {method} {path}"}

    def _set_rules(self, body: bytes, query_key: str | None) -> tuple[int, Any]:
        try:
            document = json.loads(body or b"{}")
        except ValueError as error:
            return 400, {"error": "the body is not JSON", "problems": [str(error)]}
        if not isinstance(document, dict):
            return 400, {"error": "the body must be an object", "problems": ["the body must be an object"]}
        problems = [f"{key}: unknown field" for key in sorted(set(document) - {"rules", "access_key"})]
        rules = document.get("rules")
        if not isinstance(rules, list):
            problems.append("rules must be a list (empty: no rules)")
            rules = []
        scope = document.get("access_key", query_key)
        if scope is not None and not (isinstance(scope, str) and scope):
            problems.append("access_key must be an access key id")
        if query_key is not None and scope != query_key:
            problems.append("access_key in the body and the query differ")
        if scope is None:
            named = {rule.get("access_key") for rule in rules if isinstance(rule, dict)}
            if len(named) == 1 and None not in named:
                scope = named.pop()
            elif len(named - {None}) > 0:
                problems.append("rules name different access keys: post one rule set per access key")
        parsed = []
        for index, rule in enumerate(rules):
            try:
                parsed.append(parse_rule(rule, index, scope))
            except RuleError as error:
                problems += error.problems
        if problems:
            return 400, {"error": "invalid rules", "problems": problems}
        self.state.set_rules(scope, parsed)
        return 200, {"access_key": scope, "rules": [rule.to_json() for rule in parsed]}


# --- HTTP --------------------------------------------------------------------------------------------


class Dropped(Exception):
    """The client connection is to be closed without an answer."""


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], upstream: str, seed: int | None) -> None:
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"--upstream must be http://HOST:PORT, not {upstream!r}")
        self.upstream = f"http://{parts.hostname}:{parts.port}"
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port
        self.state = FaultState(seed=seed)
        self.control = ControlApi(self.state, self.upstream)
        super().__init__(address, ProxyHandler)

    @property
    def endpoint(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ProxyServer
    timeout = CLIENT_IDLE_TIMEOUT_SECONDS

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.address_string(), format % args)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except Dropped:
            self.close_connection = True
        except (ConnectionError, socket.timeout):
            self.close_connection = True

    def _serve(self) -> None:
        method = self.command
        target = self.path
        body = self._read_body()
        path = urllib.parse.urlsplit(target).path
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            status, document = self.server.control.handle(method, target, body)
            self._send(status, [("Content-Type", "application/json")], json.dumps(document).encode())
            return
        if path in PASSTHROUGH_EXACT or path.startswith(PASSTHROUGH_PREFIXES):
            self._relay(method, target, body)
            return
        call = identify(method, target, self.headers, body)
        decision = self.server.state.decide(call)
        started = time.monotonic()

        def finished(**outcome: Any) -> None:
            outcome["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
            self.server.state.record(call, method, target, decision, **outcome)

        if decision.fault in ("http-500", "throttle"):
            status, headers, answer = fault_answer(call, decision.fault)
            finished(status=status)
            self._send(status, headers, answer)
            return
        if decision.fault == "drop":
            finished()
            raise Dropped
        if decision.fault == "delay":
            assert decision.rule is not None
            time.sleep(decision.rule.delay_ms / 1000)
        try:
            status, reason, headers, answer = self._forward(method, target, body)
        except OSError as error:
            finished(status=502, error=str(error))
            self._upstream_failed(error)
            return
        if decision.fault == "lost-answer":
            finished(upstream_status=status)
            raise Dropped
        finished(status=status, upstream_status=status)
        self._send(status, headers, answer, reason=reason, head=method == "HEAD")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve

    def _relay(self, method: str, target: str, body: bytes) -> None:
        try:
            status, reason, headers, answer = self._forward(method, target, body)
        except OSError as error:
            self._upstream_failed(error)
            return
        self._send(status, headers, answer, reason=reason, head=method == "HEAD")

    def _upstream_failed(self, error: OSError) -> None:
        body = json.dumps({"error": f"upstream: {error}"}).encode()
        self._send(502, [("Content-Type", "application/json")], body)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            self.close_connection = True
            return b""
        return self.rfile.read(size) if size > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            line = self.rfile.readline(65537)
            if not line:
                raise Dropped
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(65537)  # the CRLF after the chunk

    def _upstream_headers(self, body: bytes) -> list[tuple[str, str]]:
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        headers = []
        for name, value in self.headers.items():
            if chunked and name.lower() in ("transfer-encoding", "content-length"):
                continue
            headers.append((name, value))
        if chunked:
            headers.append(("Content-Length", str(len(body))))
        return headers

    def _forward(self, method: str, target: str, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(
            self.server.upstream_host, self.server.upstream_port, timeout=UPSTREAM_TIMEOUT_SECONDS
        )
        try:
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in self._upstream_headers(body):
                connection.putheader(name, value)
            connection.endheaders(body if body else None)
            response = connection.getresponse()
            answer = response.read()
            headers = [(name, value) for name, value in response.getheaders()]
            return response.status, response.reason, headers, answer
        finally:
            connection.close()

    def _send(
        self,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        reason: str | None = None,
        head: bool = False,
    ) -> None:
        self.send_response_only(status, reason)
        has_length = False
        for name, value in headers:
            lowered = name.lower()
            if lowered in HOP_BY_HOP:
                continue
            if lowered == "content-length":
                if not head:
                    continue
                has_length = True
            self.send_header(name, value)
        if not head and not (100 <= status < 200 or status in (204, 304)):
            self.send_header("Content-Length", str(len(body)))
        elif head and not has_length:
            self.send_header("Content-Length", "0")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head and body:
            self.wfile.write(body)
        self.wfile.flush()


def make_proxy_server(host: str, port: int, upstream: str, seed: int | None = None) -> ProxyServer:
    """A bound (not yet serving) proxy; port 0 lets the kernel choose a free port."""
    return ProxyServer((host, port), upstream, seed)


# --- CLI ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ecsdeploy_emulator.fault_proxy", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--upstream", required=True, help="the emulator, http://127.0.0.1:PORT")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 = a free one (default)")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    parser.add_argument("--seed", type=int, default=None, help="seed of the probability draws (default: random)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # The emulator's own helpers: the same atomic port file and parent watch.
    from .__main__ import watch_parent, write_port_file

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server = make_proxy_server(args.host, args.port, args.upstream, args.seed)
    except ValueError as error:
        print(f"fault_proxy: {error}", file=sys.stderr)
        return 2
    if args.port_file:
        write_port_file(args.port_file, server.server_port)
    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()
    log.info("fault proxy listening on %s, forwarding to %s (seed %s)", server.endpoint, server.upstream, args.seed)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
