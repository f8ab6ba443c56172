"""The test-only control API: JSON endpoints under `/_ecsdeploy/`, scoped per account.

    POST /_ecsdeploy/accounts                                  a fresh account and access key
    POST /_ecsdeploy/accounts/{account_id}/principals          a user holding only a given policy
    POST /_ecsdeploy/accounts/{account_id}/ecs/rollouts        queue scripted rollout outcomes
    POST /_ecsdeploy/accounts/{account_id}/elbv2/target-health set target health directly
    GET  /_ecsdeploy/accounts/{account_id}/ecs/state           debug dump: services, deployments, queue
    GET  /_ecsdeploy/accounts/{account_id}/clock               the account's simulated time and factor
    POST /_ecsdeploy/accounts/{account_id}/clock               set its factor, or step it forward
    POST /_ecsdeploy/accounts/{account_id}/world               create the standard test world
    POST /_ecsdeploy/accounts/{account_id}/ecr/scan-findings   set one image's scan findings
    POST /_ecsdeploy/accounts/{account_id}/apps                script what a service's tasks answer
    GET  /_ecsdeploy/accounts/{account_id}/apps                the account's scripted apps
    GET  /_ecsdeploy/accounts/{account_id}/tagging-index       the Tagging API index: lag, events
    PUT  /_ecsdeploy/accounts/{account_id}/tagging-index       set the index's lag (simulated s)
    GET  /_ecsdeploy/accounts/{account_id}/alb-quotas          the account's ALB quotas (rules, target groups)
    PUT  /_ecsdeploy/accounts/{account_id}/alb-quotas          lower them (at most AWS's default 100)

The ALB data plane (`/_ecsdeploy/accounts/{account_id}/alb/...`) is `alb_data_plane`, not JSON.

Bad input answers 400 `{"error": "..."}`; an unknown target group or target 404. See README.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from moto.ecs.models import ecs_backends
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import accounts, apps, clock, iam_enforcement, rollout, scan_findings, scripts, tagging_index, targets, world
from .locking import EXTENSION_LOCK
from .validation import elbv2_quotas

PREFIX = "/_ecsdeploy/"
TARGET_HEALTH_FIELDS = {"target_group_arn", "target_id", "state", "reason", "description"}
CLOCK_FIELDS = {"factor", "advance_seconds"}
TAGGING_INDEX_FIELDS = {"lag_seconds"}


class BadRequest(ValueError):
    """The request body or path is invalid; the message says how."""


class Missing(LookupError):
    """A named resource (target group, target) does not exist in the account."""


class ControlApi:
    """A WSGI app for the `/_ecsdeploy/` paths; `endpoint` is this server's own URL (for `world`)."""

    def __init__(self, endpoint: Callable[[], str]) -> None:
        self._endpoint = endpoint
        self._routes = Map(
            [
                Rule("/_ecsdeploy/accounts", methods=["POST"], endpoint=self.create_account),
                Rule(
                    "/_ecsdeploy/accounts/<account_id>/principals",
                    methods=["POST"],
                    endpoint=self.create_principal,
                ),
                Rule(
                    "/_ecsdeploy/accounts/<account_id>/ecs/rollouts",
                    methods=["POST"],
                    endpoint=self.queue_rollouts,
                ),
                Rule(
                    "/_ecsdeploy/accounts/<account_id>/elbv2/target-health",
                    methods=["POST"],
                    endpoint=self.set_target_health,
                ),
                Rule("/_ecsdeploy/accounts/<account_id>/ecs/state", methods=["GET"], endpoint=self.ecs_state),
                Rule("/_ecsdeploy/accounts/<account_id>/clock", methods=["GET"], endpoint=self.get_clock),
                Rule("/_ecsdeploy/accounts/<account_id>/clock", methods=["POST"], endpoint=self.set_clock),
                Rule("/_ecsdeploy/accounts/<account_id>/world", methods=["POST"], endpoint=self.create_world),
                Rule(
                    "/_ecsdeploy/accounts/<account_id>/ecr/scan-findings",
                    methods=["POST"],
                    endpoint=self.set_scan_findings,
                ),
                Rule("/_ecsdeploy/accounts/<account_id>/apps", methods=["POST"], endpoint=self.set_app),
                Rule("/_ecsdeploy/accounts/<account_id>/apps", methods=["GET"], endpoint=self.list_apps),
                Rule(
                    "/_ecsdeploy/accounts/<account_id>/tagging-index",
                    methods=["GET"],
                    endpoint=self.get_tagging_index,
                ),
                Rule(
                    "/_ecsdeploy/accounts/<account_id>/tagging-index",
                    methods=["PUT"],
                    endpoint=self.set_tagging_index,
                ),
                Rule("/_ecsdeploy/accounts/<account_id>/alb-quotas", methods=["GET"], endpoint=self.get_alb_quotas),
                Rule("/_ecsdeploy/accounts/<account_id>/alb-quotas", methods=["PUT"], endpoint=self.set_alb_quotas),
            ],
            strict_slashes=False,
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            handler, arguments = self._routes.bind_to_environ(environ).match()
            if "account_id" in arguments:
                _check_account_id(arguments["account_id"])
            status, body = handler(request, **arguments)
        except BadRequest as error:
            status, body = 400, {"error": str(error)}
        except Missing as error:
            status, body = 404, {"error": str(error)}
        except NotFound:
            status, body = 404, {"error": f"no control endpoint at {request.path}"}
        except HTTPException as error:
            status, body = error.code or 500, {"error": error.description}
        response = Response(
            json.dumps(body, indent=2, default=str), status=status, mimetype="application/json"
        )
        return response(environ, start_response)

    def create_account(self, request: Request) -> tuple[int, Any]:
        body = _json_body(request)
        unknown = set(body) - {"account_id"}
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
        try:
            credentials = accounts.create_account(body.get("account_id"))
        except accounts.AccountError as error:
            raise BadRequest(str(error)) from error
        return 201, credentials.to_json()

    def create_principal(self, request: Request, account_id: str) -> tuple[int, Any]:
        body = _json_body(request)
        problems = [f"unknown field {name!r}" for name in sorted(set(body) - {"name", "policy"})]
        problems += [f"{name} is required" for name in ("name", "policy") if name not in body]
        if problems:
            raise BadRequest("; ".join(problems))
        try:
            credentials = accounts.create_principal(account_id, body["name"], body["policy"])
        except accounts.AccountError as error:
            raise BadRequest(str(error)) from error
        return 201, {**credentials.to_json(), "iam_enforced": iam_enforcement.enabled()}

    def queue_rollouts(self, request: Request, account_id: str) -> tuple[int, Any]:
        try:
            entry = scripts.parse_entry(_json_body(request))
        except scripts.ScriptError as error:
            raise BadRequest(str(error)) from error
        with EXTENSION_LOCK:
            queue = scripts.queue_for(account_id)
            queue.push(entry)
            return 201, {"queued": entry.to_json(), "queue": queue.to_json()}

    def set_target_health(self, request: Request, account_id: str) -> tuple[int, Any]:
        body = _json_body(request)
        health = _parse_target_health(body)
        with EXTENSION_LOCK:
            rollout.advance_account(account_id)  # the health is set now, after what happened until now
            target_group = targets.find_target_group(account_id, body["target_group_arn"])
            if target_group is None:
                raise Missing(f"target group {body['target_group_arn']} not found in account {account_id}")
            target_ids = [body["target_id"]] if "target_id" in body else list(target_group.targets)
            for target_id in target_ids:
                if target_id not in target_group.targets:
                    raise Missing(f"target {target_id} is not registered in {body['target_group_arn']}")
                targets.set_health(target_group, target_id, health)
            rollout.settle_account(account_id)  # ECS reacts now (e.g. replaces an unhealthy task)
            return 200, {
                "target_group_arn": body["target_group_arn"],
                "targets": targets.registered_targets(target_group),
            }

    def ecs_state(self, request: Request, account_id: str) -> tuple[int, Any]:
        with EXTENSION_LOCK:
            rollout.advance_account(account_id)
            services = []
            for region, backend in list((dict.get(ecs_backends, account_id) or {}).items()):
                for service in list(backend.services.values()):
                    model = rollout.rollout_of(service)
                    if model is not None:
                        services.append({"region": region, **model.to_json()})
            return 200, {
                "account_id": account_id,
                "clock": clock.clock_for(account_id).to_json(account_id),
                "services": services,
                "queue": scripts.queue_for(account_id).to_json(),
            }

    def get_clock(self, request: Request, account_id: str) -> tuple[int, Any]:
        with EXTENSION_LOCK:
            return 200, clock.clock_for(account_id).to_json(account_id)

    def set_clock(self, request: Request, account_id: str) -> tuple[int, Any]:
        body = _json_body(request)
        problems = [f"unknown field {name!r}" for name in sorted(set(body) - CLOCK_FIELDS)]
        if not set(body) & CLOCK_FIELDS:
            problems.append("give factor (a number, or null for the server's default) and/or advance_seconds")
        factor = body.get("factor")
        if factor is not None:
            try:
                clock.check_factor(factor)
            except ValueError as error:
                problems.append(str(error))
        advance = body.get("advance_seconds", 0)
        if (
            isinstance(advance, bool)
            or not isinstance(advance, (int, float))
            or not 0 <= advance <= clock.MAX_ADVANCE_SECONDS
        ):
            problems.append(f"advance_seconds must be a number from 0 to {clock.MAX_ADVANCE_SECONDS}")
        if problems:
            raise BadRequest("; ".join(problems))
        with EXTENSION_LOCK:
            account_clock = clock.clock_for(account_id)
            if "factor" in body:
                account_clock.set_factor(factor)
            if advance:
                account_clock.advance(clock.seconds_to_ms(advance))
            return 200, account_clock.to_json(account_id)

    def set_scan_findings(self, request: Request, account_id: str) -> tuple[int, Any]:
        try:
            repository, digest, findings = scan_findings.parse(_json_body(request))
        except scan_findings.FindingsError as error:
            raise BadRequest(str(error)) from error
        with EXTENSION_LOCK:
            scan_findings.set_findings(account_id, repository, digest, findings)
        return 200, findings.response(account_id, repository, digest)

    def set_app(self, request: Request, account_id: str) -> tuple[int, Any]:
        try:
            app = apps.parse(_json_body(request))
        except apps.AppError as error:
            raise BadRequest(str(error)) from error
        with EXTENSION_LOCK:
            rollout.advance_account(account_id)  # the health checks until now saw the app before
            apps.set_app(account_id, app)
            rollout.settle_account(account_id)  # the next health checks see the new app
            return 201, {"app": app.to_json(), **apps.to_json(account_id)}

    def list_apps(self, request: Request, account_id: str) -> tuple[int, Any]:
        return 200, apps.to_json(account_id)

    def get_tagging_index(self, request: Request, account_id: str) -> tuple[int, Any]:
        with EXTENSION_LOCK:
            return 200, tagging_index.to_json(account_id)

    def set_tagging_index(self, request: Request, account_id: str) -> tuple[int, Any]:
        body = _json_body(request)
        problems = [f"unknown field {name!r}" for name in sorted(set(body) - TAGGING_INDEX_FIELDS)]
        if "lag_seconds" not in body:
            problems.append("lag_seconds is required (a number of simulated seconds, or null for the default)")
        else:
            try:
                tagging_index.check_lag(body["lag_seconds"])
            except ValueError as error:
                problems.append(str(error))
        if problems:
            raise BadRequest("; ".join(problems))
        with EXTENSION_LOCK:
            tagging_index.set_lag(account_id, body["lag_seconds"])
            return 200, tagging_index.to_json(account_id)

    def get_alb_quotas(self, request: Request, account_id: str) -> tuple[int, Any]:
        with EXTENSION_LOCK:
            return 200, elbv2_quotas.to_json(account_id)

    def set_alb_quotas(self, request: Request, account_id: str) -> tuple[int, Any]:
        body = _json_body(request)
        fields = elbv2_quotas.QUOTA_FIELDS
        problems = [f"unknown field {name!r}" for name in sorted(set(body) - set(fields))]
        if not set(body) & set(fields):
            problems.append(f"give {' and/or '.join(fields)} (an integer, or null for the default)")
        for name in fields:
            if name in body:
                try:
                    elbv2_quotas.check_quota(name, body[name])
                except ValueError as error:
                    problems.append(str(error))
        if problems:
            raise BadRequest("; ".join(problems))
        with EXTENSION_LOCK:
            elbv2_quotas.set_quotas(account_id, {name: body[name] for name in fields if name in body})
            return 200, elbv2_quotas.to_json(account_id)

    def create_world(self, request: Request, account_id: str) -> tuple[int, Any]:
        try:
            options = world.parse_options(_json_body(request))
        except ValueError as error:
            raise BadRequest(str(error)) from error
        # Through the HTTP API, in other server threads: never hold the extension lock here.
        if iam_enforcement.enabled():
            # Every request is authorized: the world is built with the account's administrator key.
            admin = accounts.admin_credentials(account_id)
            clients = world.clients_for(
                self._endpoint(), access_key_id=admin.access_key_id, secret_access_key=admin.secret_access_key
            )
        else:
            clients = world.clients_for(self._endpoint(), account_id=account_id)
        created = world.build_world(clients, **options)
        return 201, {"account_id": account_id, **created}


def _check_account_id(account_id: str) -> None:
    if not accounts.ACCOUNT_ID_PATTERN.match(account_id):
        raise BadRequest(f"account id {account_id!r} is not 12 digits")


def _json_body(request: Request) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise BadRequest(f"the body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _parse_target_health(body: dict[str, Any]) -> targets.TargetHealth:
    problems = [f"unknown field {name!r}" for name in sorted(set(body) - TARGET_HEALTH_FIELDS)]
    if not isinstance(body.get("target_group_arn"), str) or not body.get("target_group_arn"):
        problems.append("target_group_arn is required")
    if "target_id" in body and (not isinstance(body["target_id"], str) or not body["target_id"]):
        problems.append("target_id must be a non-empty string")
    state = body.get("state")
    if state not in targets.TARGET_STATES:
        problems.append(f"state must be one of {', '.join(targets.TARGET_STATES)}")
    for name in ("reason", "description"):
        if body.get(name) is not None and not isinstance(body[name], str):
            problems.append(f"{name} must be a string")
    if state == "healthy" and (body.get("reason") or body.get("description")):
        problems.append("a healthy target has no reason or description (ELBv2 TargetHealth)")
    if problems:
        raise BadRequest("; ".join(problems))
    default = targets.DEFAULT_HEALTH[state]
    reason = body.get("reason") or default.reason
    description = body.get("description") or targets.UNHEALTHY_DESCRIPTIONS.get(
        reason or "", default.description
    )
    return targets.TargetHealth(state, reason, description)
