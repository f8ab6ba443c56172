"""CloudWatch over Smithy RPC v2 CBOR, answered by moto's own CloudWatch handlers.

The AWS SDK for Rust's CloudWatch client (aws-sdk-cloudwatch 1.140) speaks rpcv2Cbor:
`POST /service/GraniteServiceVersion20100801/operation/<Operation>`, SigV4 with signing name
`monitoring`. moto 5.2.5 serves CloudWatch only over awsQuery and awsJson 1.0 (boto3 uses the
latter). Each rpcv2Cbor request is re-issued inside the process to moto's WSGI app as the awsJson
1.0 request boto3 would send for the same call (same members, `X-Amz-Target:
GraniteServiceVersion20100801.<Operation>`), and moto's answer is re-encoded as rpcv2Cbor:

- Account and region: the SigV4 `Authorization` header is passed on unchanged, so moto resolves
  them exactly as for every other request: the access key's account (see `accounts`), the
  credential scope's region. The operation runs in `cloudwatch_backends[account][region]`, the
  same state boto3 sees. The signature itself is not checked (moto does not check it either),
  except with `--enforce-iam`: then the original rpcv2Cbor request is authenticated and authorized
  here (`iam_enforcement.authorize_cbor_request`: signature, cloudwatch:<Operation> on the alarm
  ARNs) before it is re-issued, and a refusal is answered as an rpcv2Cbor error.
- Values: typed by the botocore model (`cbor_values`); errors get CloudWatch's absolute shape id in
  `__type` and the awsQuery code in `x-amzn-query-error` (CloudWatch is `awsQueryCompatible`).
- Operations: only `OPERATIONS` (what ecsdeploy calls, each covered by the emulator's tests). Any
  other operation answers `UnknownOperationException` (400), so a client gets a clean error rather
  than a half-tested answer. Adding one is adding its name, if moto implements it.
- Malformed requests: wrong method (405), no `smithy-protocol: rpc-v2-cbor` header, an
  `X-Amz-Target` header or a body that is not a CBOR map (400 `SerializationException`), no SigV4
  signature (403 `MissingAuthenticationToken`) or one scoped to another service (403
  `SignatureDoesNotMatch`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.wsgi import get_input_stream

from . import cbor_values, iam_enforcement, rpcv2_cbor
from .rpcv2_cbor import CborResponse, ProtocolError

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class CborService:
    """An AWS service that SDKs call over rpcv2Cbor and moto serves over awsJson 1.0."""

    smithy_name: str  # path segment, and the awsJson X-Amz-Target prefix
    namespace: str  # Smithy namespace of its shapes (error `__type`)
    botocore_name: str  # its botocore model
    signing_name: str  # SigV4 credential scope service
    operations: frozenset[str]


CLOUDWATCH = CborService(
    smithy_name="GraniteServiceVersion20100801",
    namespace="com.amazonaws.cloudwatch",
    botocore_name="cloudwatch",
    signing_name="monitoring",
    operations=frozenset(
        {
            "PutMetricAlarm",
            "DescribeAlarms",
            "DeleteAlarms",
            "ListTagsForResource",
            "TagResource",
            "UntagResource",
        }
    ),
)
# The spec lets the service segment be the absolute shape id with `#` written as `.`.
SERVICES = {
    CLOUDWATCH.smithy_name: CLOUDWATCH,
    f"{CLOUDWATCH.namespace}.{CLOUDWATCH.smithy_name}": CLOUDWATCH,
}
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
# Headers of the rpcv2Cbor request that mean nothing (or something else) to an awsJson handler.
DROPPED_ENVIRON_KEYS = (
    "HTTP_SMITHY_PROTOCOL",
    "HTTP_ACCEPT",
    "HTTP_X_AMZN_QUERY_MODE",
    "HTTP_TRANSFER_ENCODING",
    "HTTP_CONTENT_ENCODING",
)


def handles(path: str) -> bool:
    """Whether `path` is an rpcv2Cbor request to a service this gateway serves."""
    parsed = rpcv2_cbor.parse_path(path)
    return parsed is not None and parsed[0] in SERVICES


class CborGateway:
    """A WSGI app for rpcv2Cbor requests that delegates to moto's app (`moto`)."""

    def __init__(self, moto: WsgiApp) -> None:
        self.moto = moto

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self.answer(environ)
        start_response(response.wsgi_status(), response.headers)
        return [response.body]

    def answer(self, environ: dict[str, Any]) -> CborResponse:
        parsed = rpcv2_cbor.parse_path(environ.get("PATH_INFO", ""))
        assert parsed is not None and parsed[0] in SERVICES, "route only paths that `handles`"
        service, operation = SERVICES[parsed[0]], parsed[1]
        try:
            _check_request(environ, service)
            known = cbor_values.operation_model(service.botocore_name, operation) is not None
            if operation not in service.operations or not known:
                raise ProtocolError(
                    "UnknownOperationException",
                    f"Operation {operation} is not supported by the emulator's rpc-v2-cbor layer "
                    f"for {service.smithy_name}.",
                )
            raw_body = get_input_stream(environ).read()
            members = cbor_values.input_to_json(rpcv2_cbor.decode_input(raw_body))
            json_body = _json_input(members)
        except ProtocolError as problem:
            return rpcv2_cbor.error(problem.status, problem.error_type, str(problem))
        if iam_enforcement.enabled():
            refusal = iam_enforcement.authorize_cbor_request(environ, raw_body, operation, members)
            if refusal is not None:
                status, error_type, message, query_error = iam_enforcement.cbor_denial(refusal)
                return rpcv2_cbor.error(status, error_type, message, query_error=query_error)
        # Authorized above (the re-issued awsJson request no longer carries a verifiable signature).
        with iam_enforcement.already_authorized():
            status, headers, body = self._call_moto(environ, service, operation, json_body)
        request_id = headers.get("x-amzn-requestid")
        if 200 <= status < 300:
            return _success(service, operation, body, request_id)
        return _failure(service, operation, status, headers, body, request_id)

    def _call_moto(
        self, environ: dict[str, Any], service: CborService, operation: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """moto's answer to the awsJson 1.0 request `body`: status, lower-cased headers, body."""
        inner = {key: value for key, value in environ.items() if key not in DROPPED_ENVIRON_KEYS}
        inner.update(
            {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/",
                "RAW_URI": "/",
                "REQUEST_URI": "/",
                "QUERY_STRING": "",
                "CONTENT_TYPE": JSON_CONTENT_TYPE,
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_X_AMZ_TARGET": f"{service.smithy_name}.{operation}",
                "wsgi.input": io.BytesIO(body),
                "wsgi.input_terminated": False,
            }
        )
        answer: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            answer["status"] = int(status.split(" ", 1)[0])
            answer["headers"] = {name.lower(): value for name, value in headers}
            return chunks.append

        result = self.moto(inner, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return answer["status"], answer["headers"], b"".join(chunks)


def _check_request(environ: dict[str, Any], service: CborService) -> None:
    if environ.get("REQUEST_METHOD") != "POST":
        raise ProtocolError("MethodNotAllowed", "rpc-v2-cbor requests must use POST.", 405)
    if environ.get("HTTP_SMITHY_PROTOCOL", "").strip().lower() != rpcv2_cbor.PROTOCOL:
        raise ProtocolError("SerializationException", "The smithy-protocol: rpc-v2-cbor header is missing.")
    if environ.get("HTTP_X_AMZ_TARGET") or environ.get("HTTP_X_AMZN_TARGET"):
        raise ProtocolError("SerializationException", "An rpc-v2-cbor request must not carry X-Amz-Target.")
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        raise ProtocolError("MissingAuthenticationToken", "Missing Authentication Token", 403)
    try:
        scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        signing_name = scope[3]
    except IndexError:
        signing_name = ""
    if signing_name != service.signing_name:
        raise ProtocolError(
            "SignatureDoesNotMatch",
            f"Credential should be scoped to correct service: '{service.signing_name}'.",
            403,
        )


def _json_input(members: dict[str, Any]) -> bytes:
    try:
        return json.dumps(members).encode()
    except (TypeError, ValueError) as problem:
        raise ProtocolError(
            "SerializationException", f"An input value has no JSON form: {problem}"
        ) from problem


def _success(service: CborService, operation: str, body: bytes, request_id: str | None) -> CborResponse:
    model = cbor_values.operation_model(service.botocore_name, operation)
    assert model is not None
    if model.output_shape is None:
        return rpcv2_cbor.success(None, request_id)
    document = json.loads(body) if body.strip() else {}
    return rpcv2_cbor.success(cbor_values.output_to_cbor(model.output_shape, document), request_id)


def _failure(
    service: CborService,
    operation: str,
    status: int,
    headers: dict[str, str],
    body: bytes,
    request_id: str | None,
) -> CborResponse:
    """moto's awsJson error as CloudWatch's rpcv2Cbor error."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return rpcv2_cbor.error(
            status if status >= 400 else 500,
            "InternalFailure",
            f"The emulator (moto) answered HTTP {status} without an error document; see its log.",
            request_id=request_id,
        )
    query_code = headers.get(rpcv2_cbor.QUERY_ERROR_HEADER, "").split(";", 1)[0]
    type_code = str(document.get("__type", "")).split(":", 1)[0].rsplit("#", 1)[-1]
    code = query_code or type_code or str(status)
    message = str(document.get("message") or document.get("Message") or "")
    members = {key: value for key, value in document.items() if key != "__type"}
    shape = cbor_values.error_shape(service.botocore_name, operation, code)
    if shape is None:
        shape_name, members, is_sender = code, {"message": message}, status < 500
    else:
        shape_name, code = shape.name, shape.error_code
        members = cbor_values.output_to_cbor(shape, members)
        is_sender = shape.metadata.get("error", {}).get("senderFault", status < 500)
    return rpcv2_cbor.error(
        status,
        f"{service.namespace}#{shape_name}",
        message,
        members,
        query_error=f"{code};{'Sender' if is_sender else 'Receiver'}",
        request_id=request_id,
    )
