"""The Smithy RPC v2 CBOR wire protocol (`smithy.protocols#rpcv2Cbor`), server side.

What the AWS SDKs that speak it send and expect (Smithy spec "Smithy RPC v2 CBOR protocol"; the
AWS SDK for Rust's CloudWatch client is the one ecsdeploy uses):

- request: `POST {prefix?}/service/{ServiceName}/operation/{OperationName}` with headers
  `smithy-protocol: rpc-v2-cbor`, `Content-Type: application/cbor` (absent with no body),
  `Accept: application/cbor`; the body is a CBOR map of the input members (the Rust SDK writes an
  indefinite-length map). Only the last four path segments route; the service segment may also be
  the absolute shape id with `#` written as `.`. A request carrying `X-Amz-Target` is malformed.
- values: timestamps are tag 1 (epoch seconds, integer or float), blobs byte strings, null means
  absent, `undefined` decodes as null.
- success: HTTP 200, `smithy-protocol: rpc-v2-cbor`, `Content-Type: application/cbor` and a CBOR map
  of the output members; an operation whose output is Unit has no body and no Content-Type.
- error: the error's status (400 client, 500 server, or its httpError), the same smithy-protocol
  header, a CBOR map `{"__type": "<absolute shape id>", "message": "...", ...members}`. A service
  with `awsQueryCompatible` (CloudWatch) also sends `x-amzn-query-error: <query code>;Sender|Receiver`,
  which the SDKs prefer over `__type` to name the error.

This module only frames and encodes; `cbor_gateway` decides what a request means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import cbor2

PROTOCOL_HEADER = "smithy-protocol"
PROTOCOL = "rpc-v2-cbor"
CONTENT_TYPE = "application/cbor"
QUERY_ERROR_HEADER = "x-amzn-query-error"

_PATH = re.compile(r"^(?:/.*)?/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)$")


class ProtocolError(ValueError):
    """A request that is not well-formed rpcv2Cbor; answered as a client error."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.status = status


def parse_path(path: str) -> tuple[str, str] | None:
    """(service segment, operation) of an rpcv2Cbor request path, or None if it is not one."""
    match = _PATH.match(path)
    if match is None:
        return None
    return match.group("service"), match.group("operation")


def decode_input(body: bytes) -> dict[str, Any]:
    """The input members of a request body; an empty body is an empty input."""
    if not body:
        return {}
    try:
        value = cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError, TypeError) as error:
        raise ProtocolError("SerializationException", f"The request body is not CBOR: {error}") from error
    if not isinstance(value, dict):
        raise ProtocolError("SerializationException", "The request body must be a CBOR map of input members.")
    return value


@dataclass
class CborResponse:
    """A finished response: status, headers and body bytes."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def wsgi_status(self) -> str:
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Unknown"
        return f"{self.status} {phrase}"


def success(output: dict[str, Any] | None, request_id: str | None = None) -> CborResponse:
    """HTTP 200 with the output members; `None` for an operation whose output is Unit (no body)."""
    headers = [(PROTOCOL_HEADER, PROTOCOL)]
    body = b""
    if output is not None:
        body = cbor2.dumps(output)
        headers.append(("Content-Type", CONTENT_TYPE))
    return _finish(CborResponse(200, headers, body), request_id)


def error(
    status: int,
    shape_id: str,
    message: str,
    members: dict[str, Any] | None = None,
    query_error: str | None = None,
    request_id: str | None = None,
) -> CborResponse:
    """An error response: `{"__type": shape_id, <members>, "message": message}`."""
    document: dict[str, Any] = {"__type": shape_id}
    document.update(members or {})
    if not any(key in document for key in ("message", "Message")):
        document["message"] = message
    headers = [(PROTOCOL_HEADER, PROTOCOL), ("Content-Type", CONTENT_TYPE)]
    if query_error:
        headers.append((QUERY_ERROR_HEADER, query_error))
    return _finish(CborResponse(status, headers, cbor2.dumps(document)), request_id)


def _finish(response: CborResponse, request_id: str | None) -> CborResponse:
    if request_id:
        response.headers.append(("x-amzn-RequestId", request_id))
    response.headers.append(("Content-Length", str(len(response.body))))
    return response
