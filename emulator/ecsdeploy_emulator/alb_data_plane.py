"""An ALB data plane: an HTTP request routed the way the account's Application Load Balancer would.

    {endpoint}/_ecsdeploy/accounts/{account_id}/alb/{load_balancer_name}/{host}/{request path}?{query}

A client sets its base URL to `.../alb/acme/stage.api.acme.example` and appends the request path
(`/stage/auth/health`). The request goes to the load balancer's listener on port 443 (the HTTPS
listener ecsdeploy's rules live on; no other listener is reachable here), then, as the ALB guide
("Listener rules for your Application Load Balancer") describes: "When a listener receives a
request, it evaluates the request against each rule in priority order, starting with the lowest
numbered rule"; "If none of the conditions for any other rules are met, then the action for the
default rule is performed."

Conditions (all of a rule's conditions must match; any one value of a condition):
- path-pattern: "The comparison is case sensitive", `*` and `?` wildcards, "The path pattern is
  compared only to the path of the URL, not to its query string" (ELBv2 API Reference,
  `PathPatternConditionConfig`);
- host-header: "The comparison is case insensitive", `*` and `?` (`HostHeaderConditionConfig`);
- http-request-method: exact, case sensitive (`HttpRequestMethodConditionConfig`);
- http-header: name and values case insensitive, wildcards (`HttpHeaderConditionConfig`);
- query-string: key/value pairs, case insensitive, wildcards, `\\*`/`\\?` literal
  (`QueryStringConditionConfig`).
`source-ip`, `RegexValues` and authenticate actions are not modelled: such a request answers 501
from the emulator (header `x-ecsdeploy-error`), never a guess.

Then the rule's transforms (see `rule_transforms`) rewrite the host and the path the target gets
(ALB guide, "Transforms for listener rules"; a failed transform is the ALB's 500), and the action:
- fixed-response: its status, Content-Type and body;
- redirect: its status (301/302) and a Location built from `#{protocol}`, `#{host}`, `#{port}`,
  `#{path}` (without its leading "/") and `#{query}` (ELBv2 API Reference, `RedirectActionConfig`);
  the Location always names the port (`https://host:443/path`; AWS does not document whether a
  default port is left out);
- forward: to one target group, or to weighted target groups chosen by smooth weighted round
  robin (deterministic: weights 80/20 give exactly 8 of every 10 requests to the first); inside
  the target group round robin (the default `load_balancing.algorithm.type`) over the targets that
  may receive requests. "Each load balancer node routes requests only to the healthy targets";
  "If a target group contains only unhealthy registered targets, the load balancer routes requests
  to all those targets, regardless of their health status" (ALB guide, "Health checks for
  Application Load Balancer target groups"). No registered targets: 503 ("The target groups for
  the load balancer have no registered targets", ALB guide, troubleshooting, HTTP 503). Registered
  targets none of which is healthy and not all unhealthy (initial, draining, ...): 503 as well.
  The target answers with its scripted app (see `apps`).

Every answer carries `x-ecsdeploy-origin`: `load-balancer` (the ALB answered: fixed response,
redirect, 5xx), `target` (the app answered) or `emulator` (no ALB would: unknown load balancer,
no listener on 443, something not modelled; body `{"error": ...}`). Debugging headers:
`x-ecsdeploy-rule` (rule ARN), `x-ecsdeploy-target-group`, `x-ecsdeploy-target` (target id),
`x-ecsdeploy-host` and `x-ecsdeploy-path` (host and path+query the target received),
`x-ecsdeploy-service`, `x-ecsdeploy-task`, `x-ecsdeploy-task-definition`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from moto.elbv2.models import elbv2_backends
from werkzeug.wrappers import Request, Response

from . import accounts, apps, rollout, rule_transforms, targets
from .locking import EXTENSION_LOCK

_URL = re.compile(
    r"^/_ecsdeploy/accounts/(?P<account>[^/?]*)/alb/(?P<load_balancer>[^/?]*)/(?P<host>[^/?]*)"
    r"(?P<path>/[^?]*)?(?:\?(?P<query>.*))?$",
    re.DOTALL,
)
HTTPS_PORT = 443
REASONS = {
    405: "405 Method Not Allowed",
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
}
# Smooth weighted round robin per (account, rule) and round robin per (account, target group).
_WEIGHTED: dict[tuple[str, str], dict[str, int]] = {}
_ROUND_ROBIN: dict[tuple[str, str], int] = {}


def handles(path: str) -> bool:
    return bool(re.match(r"^/_ecsdeploy/accounts/[^/]+/alb/", path))


class NotRouted(Exception):
    """No ALB would answer this (unknown load balancer, ...) or the emulator does not model it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class AlbRequest:
    method: str
    host: str
    path: str
    query: str
    headers: list[tuple[str, str]]


@dataclass
class Answer:
    status: int
    origin: str
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class AlbDataPlane:
    """A WSGI app for `/_ecsdeploy/accounts/{account_id}/alb/...`."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        Request(environ).get_data()  # read the body: the connection may carry the next request
        try:
            account_id, load_balancer_name, request = _parse(environ)
            with EXTENSION_LOCK:
                rollout.advance_account(account_id)  # target health as it is now, in simulated time
                answer = route(account_id, load_balancer_name, request)
        except NotRouted as error:
            answer = Answer(
                error.status,
                "emulator",
                json.dumps({"error": str(error)}).encode(),
                "application/json",
                {"x-ecsdeploy-error": str(error).encode("ascii", "replace").decode()},
            )
        response = Response(answer.body, status=answer.status)
        if answer.content_type:
            response.headers["Content-Type"] = answer.content_type
        else:
            response.headers.pop("Content-Type", None)
        response.headers["x-ecsdeploy-origin"] = answer.origin
        if answer.origin == "load-balancer":
            response.headers["Server"] = "awselb/2.0"
        for name, value in answer.headers.items():
            response.headers[name] = value
        if environ.get("REQUEST_METHOD") == "HEAD":
            response.set_data(b"")
        return response(environ, start_response)


def _parse(environ: dict[str, Any]) -> tuple[str, str, AlbRequest]:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        raw = quote(environ.get("PATH_INFO", ""))
        if environ.get("QUERY_STRING"):
            raw += "?" + environ["QUERY_STRING"]
    match = _URL.match(raw)
    if match is None or not match["load_balancer"] or not match["host"]:
        raise NotRouted(
            400, "use /_ecsdeploy/accounts/{account_id}/alb/{load_balancer_name}/{host}/{path}"
        )
    if not accounts.ACCOUNT_ID_PATTERN.match(match["account"]):
        raise NotRouted(400, f"account id {match['account']!r} is not 12 digits")
    headers = [
        (key[5:].replace("_", "-").lower(), value)
        for key, value in environ.items()
        if key.startswith("HTTP_") and key != "HTTP_HOST"
    ]
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers.append((key.replace("_", "-").lower(), environ[key]))
    request = AlbRequest(
        method=environ.get("REQUEST_METHOD", "GET"),
        host=match["host"],
        path=match["path"] or "/",
        query=match["query"] or "",
        headers=headers,
    )
    return match["account"], match["load_balancer"], request


# --- routing ----------------------------------------------------------------------------------


def route(account_id: str, load_balancer_name: str, request: AlbRequest) -> Answer:
    listener = _https_listener(account_id, load_balancer_name)
    if request.method == "TRACE":  # ALB guide, troubleshooting: HTTP 405, the TRACE method
        return _alb_error(405)
    rules = sorted(
        (rule for rule in listener.rules.values() if not getattr(rule, "is_default", False)),
        key=lambda rule: int(rule.priority),
    )
    chosen = next((rule for rule in rules if _matches(rule.conditions or [], request)), None)
    if chosen is None:
        chosen = next(rule for rule in listener.rules.values() if getattr(rule, "is_default", False))
    answer = _perform(account_id, chosen, request)
    answer.headers.setdefault("x-ecsdeploy-rule", chosen.arn)
    return answer


def _https_listener(account_id: str, load_balancer_name: str) -> Any:
    found = [
        balancer
        for backend in (dict.get(elbv2_backends, account_id) or {}).values()
        for balancer in list(backend.load_balancers.values())
        if balancer.name == load_balancer_name
    ]
    if not found:
        raise NotRouted(404, f"no load balancer {load_balancer_name!r} in account {account_id}")
    if len(found) > 1:
        raise NotRouted(400, f"load balancer {load_balancer_name!r} exists in several regions")
    [balancer] = found
    if balancer.type != "application":
        raise NotRouted(501, f"{load_balancer_name} is a {balancer.type} load balancer; only ALBs are modelled")
    if balancer.state != "active":
        raise NotRouted(
            404, f"load balancer {load_balancer_name} is {balancer.state} (describe it until it is active)"
        )
    for listener in list(balancer.listeners.values()):
        if int(listener.port) == HTTPS_PORT:
            return listener
    raise NotRouted(404, f"load balancer {load_balancer_name} has no listener on port {HTTPS_PORT}")


def _matches(conditions: list[dict[str, Any]], request: AlbRequest) -> bool:
    return all(_condition_matches(condition, request) for condition in conditions)


def _condition_matches(condition: dict[str, Any], request: AlbRequest) -> bool:
    field_name = condition.get("Field")
    config_key = {
        "host-header": "HostHeaderConfig",
        "path-pattern": "PathPatternConfig",
        "http-request-method": "HttpRequestMethodConfig",
        "http-header": "HttpHeaderConfig",
        "query-string": "QueryStringConfig",
    }.get(field_name or "")
    if config_key is None:
        raise NotRouted(501, f"the ALB data plane does not model {field_name} conditions")
    config = condition.get(config_key) or {}
    if condition.get("RegexValues") or config.get("RegexValues"):
        raise NotRouted(501, f"the ALB data plane does not model RegexValues in {field_name} conditions")
    values = config.get("Values") or condition.get("Values") or []
    if field_name == "path-pattern":
        return any(_wildcard(value).fullmatch(request.path) for value in values)
    if field_name == "host-header":
        host = request.host.rsplit(":", 1)[0] if ":" in request.host else request.host
        return any(_wildcard(value, re.IGNORECASE).fullmatch(host) for value in values)
    if field_name == "http-request-method":
        return request.method in values
    if field_name == "http-header":
        name = (config.get("HttpHeaderName") or "").lower()
        sent = [value for key, value in request.headers if key == name]
        return any(_wildcard(value, re.IGNORECASE).fullmatch(header) for value in values for header in sent)
    pairs = parse_qsl(request.query, keep_blank_values=True)
    return any(
        (pair.get("Key") is None or _wildcard(pair["Key"], re.IGNORECASE, escapes=True).fullmatch(key))
        and _wildcard(pair.get("Value", ""), re.IGNORECASE, escapes=True).fullmatch(value)
        for pair in values
        for key, value in pairs
    )


def _wildcard(pattern: str, flags: int = 0, escapes: bool = False) -> re.Pattern[str]:
    parts, index = [], 0
    while index < len(pattern):
        character = pattern[index]
        if escapes and character == "\\" and index + 1 < len(pattern) and pattern[index + 1] in "*?\\":
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if character == "*" else "." if character == "?" else re.escape(character))
        index += 1
    return re.compile("".join(parts), flags | re.DOTALL)


# --- actions ----------------------------------------------------------------------------------


def _perform(account_id: str, rule: Any, request: AlbRequest) -> Answer:
    actions = sorted(
        (action.data for action in rule.actions or []),
        key=lambda data: int(data.get("Order") or 0),
    )
    if not actions:
        raise NotRouted(501, f"rule {rule.arn} has no action")
    if len(actions) > 1:
        raise NotRouted(501, f"the ALB data plane does not model {actions[0].get('Type')} actions")
    action = actions[-1]
    kind = action.get("Type")
    if kind == "fixed-response":
        config = action.get("FixedResponseConfig") or {}
        return Answer(
            int(config.get("StatusCode") or 200),
            "load-balancer",
            (config.get("MessageBody") or "").encode(),
            config.get("ContentType"),
        )
    if kind == "redirect":
        return _redirect(action.get("RedirectConfig") or {}, request)
    if kind == "forward":
        return _forward(account_id, rule, action, request)
    raise NotRouted(501, f"the ALB data plane does not model {kind} actions")


def _redirect(config: dict[str, Any], request: AlbRequest) -> Answer:
    values = {
        "#{protocol}": "HTTPS",
        "#{host}": request.host,
        "#{port}": str(HTTPS_PORT),
        "#{path}": request.path[1:],
        "#{query}": request.query,
    }

    def fill(template: str) -> str:
        for key, value in values.items():
            template = template.replace(key, value)
        return template

    protocol = fill(config.get("Protocol") or "#{protocol}").lower()
    host = fill(config.get("Host") or "#{host}")
    port = fill(config.get("Port") or "#{port}")
    path = fill(config.get("Path") or "/#{path}")
    query = fill(config.get("Query") if config.get("Query") is not None else "#{query}")
    location = f"{protocol}://{host}:{port}{path}" + (f"?{query}" if query else "")
    status = 301 if config.get("StatusCode") == "HTTP_301" else 302
    return Answer(status, "load-balancer", headers={"Location": location})


def _forward(account_id: str, rule: Any, action: dict[str, Any], request: AlbRequest) -> Answer:
    transforms = rule_transforms.transforms_of(rule)
    try:
        host = rule_transforms.apply(
            rule_transforms.rewrite_of(transforms, rule_transforms.HOST_HEADER_REWRITE), request.host
        )
        path = rule_transforms.apply(rule_transforms.rewrite_of(transforms, rule_transforms.URL_REWRITE), request.path)
    except rule_transforms.TransformFailed as error:
        return _alb_error(500, str(error))
    if not path.startswith("/") or not host:
        return _alb_error(500, f"the transforms produced host {host!r} and path {path!r}")
    received = path + (("&" if "?" in path else "?") + request.query if request.query else "")
    target_group_arn = _choose_target_group(account_id, rule.arn, action)
    if target_group_arn is None:
        return _alb_error(503, "no target group with a weight above 0")
    target_group = targets.find_target_group(account_id, target_group_arn)
    if target_group is None:
        raise NotRouted(404, f"target group {target_group_arn} not found")
    headers = {"x-ecsdeploy-target-group": target_group_arn}
    target_id = _choose_target(account_id, target_group)
    if target_id is None:
        return _alb_error(503, "no target may receive requests", headers)
    headers.update({"x-ecsdeploy-target": target_id, "x-ecsdeploy-host": host, "x-ecsdeploy-path": received})
    found = rollout.find_task(account_id, target_group_arn, target_id)
    if found is None:
        return _alb_error(502, "a target registered by hand has no app behind it", headers)
    model, deployment, task = found
    headers.update(
        {
            "x-ecsdeploy-service": model.name,
            "x-ecsdeploy-task": task.task_id,
            "x-ecsdeploy-task-definition": deployment.task_definition,
        }
    )
    app = apps.app_for(account_id, model.name, model.service.region_name, deployment.task_definition)
    status = app.status_for(path) if app is not None else apps.DEFAULT_STATUS
    body = {"service": model.name, "path": received, "status": status, "scripted": app is not None}
    return Answer(status, "target", json.dumps(body).encode(), "application/json", headers)


def _choose_target_group(account_id: str, rule_arn: str, action: dict[str, Any]) -> str | None:
    groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
    weights = {item["TargetGroupArn"]: int(item.get("Weight", 1)) for item in groups if item.get("TargetGroupArn")}
    if not weights and action.get("TargetGroupArn"):
        weights = {action["TargetGroupArn"]: 1}
    weights = {arn: weight for arn, weight in weights.items() if weight > 0}
    if not weights:
        return None
    current = _WEIGHTED.setdefault((account_id, rule_arn), {})
    for arn, weight in weights.items():
        current[arn] = current.get(arn, 0) + weight
    chosen = max(weights, key=lambda arn: current[arn])
    current[chosen] -= sum(weights.values())
    return chosen


def _choose_target(account_id: str, target_group: Any) -> str | None:
    registered = sorted(target_group.targets)
    health = {
        target_id: (targets.health_of(target_group, target_id) or targets.HEALTHY).state
        for target_id in registered
    }
    eligible = [target_id for target_id in registered if health[target_id] == "healthy"]
    if not eligible and registered and all(state == "unhealthy" for state in health.values()):
        eligible = registered  # fail open
    if not eligible:
        return None
    key = (account_id, target_group.arn)
    index = _ROUND_ROBIN.get(key, 0)
    _ROUND_ROBIN[key] = index + 1
    return eligible[index % len(eligible)]


def _alb_error(status: int, detail: str = "", headers: dict[str, str] | None = None) -> Answer:
    reason = REASONS[status]
    body = (
        f"<html>\r\n<head><title>{reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()
    extra = dict(headers or {})
    if detail:
        extra["x-ecsdeploy-detail"] = detail.encode("ascii", "replace").decode()
    return Answer(status, "load-balancer", body, "text/html", extra)
