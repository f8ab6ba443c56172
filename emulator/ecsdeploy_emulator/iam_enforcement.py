"""IAM enforcement (`--enforce-iam`): every AWS request is authorized against the caller's policies.

Off by default; `python -m ecsdeploy_emulator --enforce-iam` turns it on for the process. Then
every request that reaches one of moto's services (all go through `BaseResponse.call_action`) and
every CloudWatch rpcv2Cbor request (`cbor_gateway`) is, in order:

1. authenticated: a SigV4 `Authorization` header (else MissingAuthenticationToken), an access key
   of a user (or an assumed-role session) of the request's account (else InvalidClientTokenId /
   UnrecognizedClientException / AuthFailure), and a signature that verifies with that key's
   secret (else SignatureDoesNotMatch / InvalidSignatureException / AuthFailure): moto's own
   `IAMRequest` does these;
2. authorized: `iam_resources` turns the request into the checks AWS makes (the call's action on
   the resource ARNs it acts on, iam:PassRole on the roles it hands over, tag-on-create
   permissions, lambda:InvokeFunction for RotateSecret), each with its request context; each check
   is evaluated by `iam_policy` against every policy of the caller (inline and attached, the user's
   groups' too): an explicit Deny wins, otherwise an Allow is needed;
3. refused as the service refuses it (`_denial`): ECS, ECR, Logs, DynamoDB, Secrets Manager, ACM,
   Application Auto Scaling `AccessDeniedException` (400); ELBv2, IAM, STS, Route 53 `AccessDenied`
   (403); EC2 `UnauthorizedOperation` (403); Lambda `AccessDeniedException` (403); CloudWatch
   `AccessDenied` (403, awsQuery) or `AccessDeniedException` with `x-amzn-query-error:
   AccessDenied;Sender` (awsJson, rpcv2Cbor). The message is AWS's: "User: <arn> is not authorized
   to perform: <action> on resource: <arn> because no identity-based policy allows the <action>
   action" ("... with an explicit deny in an identity-based policy" for a Deny).

moto's own enforcement (`INITIAL_NO_AUTH_ACTION_COUNT`) is not used: it evaluates every action on
resource `*` only, so a statement scoped to ARNs never allows anything, it ignores conditions of
identity policies (a statement with a Condition is treated as a Deny), derives
`monitoring:<Action>` for CloudWatch, never checks iam:PassRole, answers JSON services with an XML
body, and cannot see the CloudWatch rpcv2Cbor requests (the gateway re-issues them, so the
signature would no longer verify). It stays off (infinite) in this mode too; see README.md,
"IAM enforcement", for what is and is not enforced.

Requests the emulator makes to itself on a caller's behalf (the CBOR gateway's re-issued awsJson
request) run under `already_authorized()`; the control API's own AWS calls (the standard world)
use the account's administrator key (see `accounts.admin_credentials`).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from . import iam_policy, iam_resources
from .iam_policy import ALLOW, DENY

log = logging.getLogger("ecsdeploy_emulator.iam")

_enabled = False
_local = threading.local()
_installed = False

# Condition keys whose absence from a request context is modelled (AWS leaves them out too when the
# request does not set them): a statement conditioned on them is evaluated normally. A condition on
# any other key the context lacks is one this emulator does not model: an Allow statement with it
# does not apply and a Deny statement applies regardless, never kinder than AWS.
MODELLED_WHEN_ABSENT = frozenset(
    {
        "iam:passedtoservice",
        "iam:awsservicename",
        "ecs:createaction",
        "elasticloadbalancing:createaction",
        "ec2:createaction",
        "aws:tagkeys",
        "secretsmanager:rotationlambdaarn",
        "secretsmanager:rotateimmediately",
    }
)
MODELLED_PREFIXES_WHEN_ABSENT = ("aws:requesttag/",)

# Actions AWS allows whatever the policies say (STS API Reference, GetCallerIdentity: "No
# permissions are required to perform this operation ... even if ... explicitly denies").
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})


def enable() -> None:
    """Turns enforcement on for this process (before the server starts)."""
    global _enabled
    _enabled = True


def enabled() -> bool:
    return _enabled


@contextmanager
def already_authorized() -> Iterator[None]:
    """Requests handled by this thread inside the block skip authorization (already done)."""
    previous = getattr(_local, "bypass", False)
    _local.bypass = True
    try:
        yield
    finally:
        _local.bypass = previous


def install() -> None:
    """Wraps moto's `BaseResponse.call_action` with the authorization above (enforcing mode only)."""
    global _installed
    if not _enabled or _installed:
        return
    _installed = True
    from moto import settings
    from moto.core.responses import BaseResponse

    # Ours replaces moto's coarse check; keep moto's off even if the environment turned it on.
    settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    original = BaseResponse.call_action

    def call_action(self: Any) -> Any:
        if getattr(_local, "bypass", False):
            return original(self)
        denial = authorize_moto_request(self)
        if denial is not None:
            return denial
        return original(self)

    call_action.__wrapped__ = original  # type: ignore[attr-defined]
    BaseResponse.call_action = call_action  # type: ignore[method-assign]


# --- the caller -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    arn: str
    account_id: str
    kind: str  # "User" or "AssumedRole"
    name: str
    documents: list[Any]


class Refusal(Exception):
    """A request refused before or by authorization: the error code per protocol, and the message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "denied", "missing", "invalid-key", "signature"
        self.message = message


def _caller_from(iam_request: Any, account_id: str) -> Caller:
    key = iam_request._access_key
    arn = key.arn
    kind = "AssumedRole" if ":assumed-role/" in arn else "User"
    return Caller(arn, account_id, kind, arn.rsplit("/", 1)[-1], list(key.collect_policies()))


def _documents(caller: Caller) -> list[dict[str, Any]]:
    from moto.iam.models import Policy

    statements: list[dict[str, Any]] = []
    for policy in caller.documents:
        if isinstance(policy, Policy):
            document = next(version.document for version in policy.versions if version.is_default)
        elif isinstance(policy, Mapping):
            document = policy.get("policy_document")
        else:
            document = policy
        statements.extend(iam_policy.parse(document))
    return statements


def _authenticate(
    account_id: str, method: str, path: str, data: Any, body: Any, headers: Any, operation: str
) -> Any:
    """moto's IAMRequest for the request (resolves the key, verifies the signature); Refusal else."""
    from moto.core.exceptions import AuthFailureError, InvalidClientTokenIdError, SignatureDoesNotMatchError
    from moto.iam.access_control import IAMRequest

    authorization = headers.get("Authorization") or ""
    if not authorization.startswith("AWS4-HMAC-SHA256 ") or "Credential=" not in authorization:
        raise Refusal("missing", "Missing Authentication Token")
    try:
        iam_request = IAMRequest(
            account_id=account_id, method=method, path=path, data=data, body=body, headers=headers, action=operation
        )
        iam_request.check_signature()
    except InvalidClientTokenIdError as error:
        raise Refusal("invalid-key", "The security token included in the request is invalid.") from error
    except SignatureDoesNotMatchError as error:
        raise Refusal(
            "signature",
            "The request signature we calculated does not match the signature you provided. Check your "
            "AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ) from error
    except AuthFailureError as error:  # EC2's word for both
        raise Refusal("invalid-key", "AWS was not able to validate the provided access credentials") from error
    return iam_request


def credential_scope(authorization: str) -> tuple[str, str, str]:
    """(access key id, region, signing name) of a SigV4 Authorization header."""
    scope = authorization.partition("Credential=")[2].partition(",")[0].split("/")
    if len(scope) < 4:
        return scope[0] if scope else "", "us-east-1", ""
    return scope[0], scope[2], scope[3]


# --- deciding -----------------------------------------------------------------------------------


def _understood(key: str, context: Mapping[str, Any]) -> bool:
    lowered = key.lower()
    if any(name.lower() == lowered for name in context):
        return True
    return lowered in MODELLED_WHEN_ABSENT or lowered.startswith(MODELLED_PREFIXES_WHEN_ABSENT)


def _strict_statements(statements: Iterable[Mapping[str, Any]], context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Statements as evaluated here: an unmodelled condition key drops an Allow, voids a Deny's condition."""
    result = []
    for statement in statements:
        condition = statement.get("Condition")
        if isinstance(condition, Mapping):
            keys = [key for block in condition.values() if isinstance(block, Mapping) for key in block]
            if not all(_understood(str(key), context) for key in keys):
                if statement.get("Effect") == ALLOW:
                    continue
                statement = {name: value for name, value in statement.items() if name != "Condition"}
        result.append(dict(statement))
    return result


def decide(statements: list[dict[str, Any]], request: iam_policy.Request) -> str:
    return iam_policy.evaluate(_strict_statements(statements, request.context), request)


def evaluate_checks(caller: Caller, checks: list[Any]) -> None:
    """Raises Refusal("denied") naming the first check the caller's policies do not allow."""
    statements = _documents(caller)
    log.debug("IAM: %s asks for %s", caller.arn, iam_resources.describe(checks))
    for check in checks:
        alternatives = check.requests if isinstance(check, iam_resources.AnyOf) else (check,)
        decisions = [decide(statements, request) for request in alternatives]
        if any(decision == ALLOW for decision in decisions):
            continue
        explicit = DENY in decisions
        reason = (
            "with an explicit deny in an identity-based policy"
            if explicit
            else f"because no identity-based policy allows the {check.action} action"
        )
        message = f"User: {caller.arn} is not authorized to perform: {check.action} on resource: {check.resource} {reason}"
        log.info("IAM: denied %s", message)
        raise Refusal("denied", message)


def base_context(caller: Caller, region: str) -> dict[str, Any]:
    context = {
        "aws:PrincipalArn": caller.arn,
        "aws:PrincipalAccount": caller.account_id,
        "aws:PrincipalType": caller.kind,
        "aws:RequestedRegion": region,
    }
    if caller.kind == "User":
        context["aws:username"] = caller.name
    return context


def authorize(
    caller: Caller, iam_request: Any, prefix: str, operation: str, params: Mapping[str, Any], region: str
) -> None:
    """Raises Refusal when the caller may not make the request."""
    from moto.utilities.utils import get_partition

    operation = iam_resources.IAM_ACTION_OF_OPERATION.get((prefix, operation), operation)
    action = f"{prefix}:{operation}"
    if action in ALWAYS_ALLOWED:
        return
    scope = iam_resources.Scope(
        prefix=prefix,
        operation=operation,
        params=params,
        account_id=caller.account_id,
        region=region,
        partition=get_partition(region),
        base_context=base_context(caller, region),
    )
    checks = iam_resources.authorization_requests(scope)
    evaluate_checks(caller, checks)
    if action == "sts:AssumeRole":
        role_arn = str(params.get("RoleArn") or "")
        try:
            trusted = iam_request._check_role_trust_relationship(role_arn)
        except Exception:  # noqa: BLE001 - an unknown role: moto answers NoSuchEntity
            trusted = True
        if not trusted:
            raise Refusal(
                "denied",
                f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            )


# --- moto's requests ----------------------------------------------------------------------------


def _params(response: Any, operation: str) -> dict[str, Any]:
    """The request's parameters by botocore member name (moto's own parsers); {} when unparsable."""
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import determine_request_protocol
    from moto.core.utils import get_service_model

    try:
        service_model = get_service_model(response.boto3_service_name)
        operation_model = service_model.operation_model(operation)
        request = response.normalized_request
        protocol = determine_request_protocol(service_model, request.content_type)
        parser = PROTOCOL_PARSERS[protocol](operation_model, map_type=dict)
        parsed = parser.parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": response.raw_body if response.raw_body is not None else request.data,
                "url_path": request.path,
                "url_params": getattr(response, "uri_match", {}) or {},
            }
        )
        return dict(parsed)
    except Exception as error:  # noqa: BLE001 - authorization then falls back to resource `*`
        log.debug("IAM: could not parse %s parameters: %s", operation, error)
        return {}


RAW_BODY_KEY = "ecsdeploy.raw_body"


def keep_raw_body(environ: dict[str, Any]) -> None:
    """Reads the request body once and keeps the bytes in the environ (`RAW_BODY_KEY`): werkzeug
    parses a form POST (awsQuery, EC2) into fields, and a signature is over the bytes as sent (the
    AWS SDK for Rust escapes a space as %20, Python as +). The app then reads the same bytes."""
    from werkzeug.wsgi import get_input_stream

    if RAW_BODY_KEY in environ:
        return
    body = get_input_stream(environ).read()
    environ[RAW_BODY_KEY] = body
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.input_terminated"] = False
    environ["CONTENT_LENGTH"] = str(len(body))


def _signed_payload(response: Any) -> tuple[Any, bytes]:
    """(data, body) for moto's signature check: the bytes as sent (see `keep_raw_body`); never
    moto's `data`, which falls back to the request headers for a REST GET."""
    environ = getattr(response.normalized_request, "environ", {}) or {}
    if RAW_BODY_KEY in environ:
        return {}, environ[RAW_BODY_KEY]
    content_type = str(response.headers.get("Content-Type") or "")
    if not response.raw_body and content_type.startswith("application/x-www-form-urlencoded"):
        return response.data, b""
    return {}, response.raw_body or b""


def _protocol(response: Any) -> tuple[str, bool]:
    """(protocol, awsQueryCompatible) of the request, as the client spoke it."""
    from moto.core.request import determine_request_protocol
    from moto.core.utils import get_service_model

    try:
        model = get_service_model(response.boto3_service_name)
        protocol = determine_request_protocol(model, response.normalized_request.content_type)
        return protocol, "awsQueryCompatible" in model.metadata
    except Exception:  # noqa: BLE001
        content_type = str(response.headers.get("Content-Type") or "")
        return ("json" if "json" in content_type else "query"), False


def authorize_moto_request(response: Any) -> tuple[int, dict[str, str], str] | None:
    """None when `response`'s request may proceed; else the refusal as moto's (status, headers, body)."""
    operation = response._get_action()
    if not operation:
        return None  # moto answers an unknown operation itself
    headers = response.headers
    authorization = headers.get("Authorization") or ""
    _, region, signing_name = credential_scope(authorization)
    prefix = iam_resources.IAM_PREFIX_OF_SIGNING_NAME.get(signing_name, signing_name)
    protocol, query_compatible = _protocol(response)
    try:
        path = response.raw_path
        query = response.parsed_url.query
        iam_request = _authenticate(
            response.current_account,
            response.method,
            path + ("?" + query if query else ""),
            *_signed_payload(response),
            headers,
            operation,
        )
        caller = _caller_from(iam_request, response.current_account)
        authorize(caller, iam_request, prefix, operation, _params(response, operation), region)
    except Refusal as refusal:
        return _denial(protocol, prefix, query_compatible, refusal)
    return None


# --- CloudWatch rpcv2Cbor requests (cbor_gateway) ------------------------------------------------


def authorize_cbor_request(
    environ: Mapping[str, Any], body: bytes, operation: str, members: Mapping[str, Any]
) -> Refusal | None:
    """None when the rpcv2Cbor request may proceed; else the Refusal (the gateway renders it)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from
    from werkzeug.datastructures import EnvironHeaders

    headers = EnvironHeaders(dict(environ))
    authorization = headers.get("Authorization") or ""
    key, region, signing_name = credential_scope(authorization)
    account_id = headers.get("x-moto-account-id") or (get_account_id_from(key) if key else DEFAULT_ACCOUNT_ID)
    path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
    try:
        iam_request = _authenticate(account_id, environ.get("REQUEST_METHOD", "POST"), path, {}, body, headers, operation)
        caller = _caller_from(iam_request, account_id)
        prefix = iam_resources.IAM_PREFIX_OF_SIGNING_NAME.get(signing_name, signing_name)
        authorize(caller, iam_request, prefix, operation, members, region)
    except Refusal as refusal:
        return refusal
    return None


# --- refusals as each protocol words them ---------------------------------------------------------

# (code, HTTP status) per protocol and refusal kind.
_JSON_CODES = {
    "denied": ("AccessDeniedException", 400),
    "missing": ("MissingAuthenticationTokenException", 403),
    "invalid-key": ("UnrecognizedClientException", 400),
    "signature": ("InvalidSignatureException", 400),
}
_QUERY_CODES = {
    "denied": ("AccessDenied", 403),
    "missing": ("MissingAuthenticationToken", 403),
    "invalid-key": ("InvalidClientTokenId", 403),
    "signature": ("SignatureDoesNotMatch", 403),
}
_EC2_CODES = {
    "denied": ("UnauthorizedOperation", 403),
    "missing": ("MissingAuthenticationToken", 401),
    "invalid-key": ("AuthFailure", 401),
    "signature": ("AuthFailure", 401),
}
_QUERY_NAMESPACES = {
    "elasticloadbalancing": "https://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "cloudwatch": "http://monitoring.amazonaws.com/doc/2010-08-01/",
    "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
}


def cbor_denial(refusal: Refusal) -> tuple[int, str, str, str]:
    """(status, error type, message, x-amzn-query-error) of a refused CloudWatch rpcv2Cbor request."""
    code, status = _JSON_CODES[refusal.kind]
    query_code, query_status = _QUERY_CODES[refusal.kind]
    return query_status, f"com.amazon.coral.service#{code}", refusal.message, f"{query_code};Sender"


def _denial(protocol: str, prefix: str, query_compatible: bool, refusal: Refusal) -> tuple[int, dict[str, str], str]:
    request_id = str(uuid.uuid4())
    message = refusal.message
    if protocol == "ec2":
        code, status = _EC2_CODES[refusal.kind]
        if refusal.kind == "denied":
            encoded = base64.b64encode(json.dumps({"denied": message}).encode()).decode()
            message = f"You are not authorized to perform this operation. {message}. Encoded authorization failure message: {encoded}"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body
    if protocol in ("query", "rest-xml"):
        code, status = _QUERY_CODES[refusal.kind]
        namespace = _QUERY_NAMESPACES.get(prefix, "")
        xmlns = f' xmlns="{namespace}"' if namespace else ""
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse{xmlns}><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body
    if protocol == "rest-json":
        code, status = _JSON_CODES[refusal.kind]
        if refusal.kind == "denied":
            status = 403
        headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id, "x-amzn-ErrorType": code}
        return status, headers, json.dumps({"Type": "User", "Message": message, "message": message})
    # awsJson 1.0 / 1.1
    code, status = _JSON_CODES[refusal.kind]
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id}
    if query_compatible:
        query_code, status = _QUERY_CODES[refusal.kind]
        headers["x-amzn-query-error"] = f"{query_code};Sender"
        headers["Content-Type"] = "application/x-amz-json-1.0"
    return status, headers, json.dumps({"__type": code, "message": message})
