"""Scripted apps: what the simulated tasks of an ECS service answer, per path, through the ALB.

A test sets, per account, per ECS service name and optionally per image, which paths the app
serves and with which status (control API `POST /_ecsdeploy/accounts/{id}/apps`):

    {"service": "stage-auth", "image": "auth@sha256:abc", "routes": {"/health": 200}, "default_status": 404}

A target in a target group is either a simulated task of a deployment (see `rollout`): it answers
with the app scripted for its service and for the image of the deployment's task definition (the
entry naming an image that is a substring of one of the task definition's container images, or of
the task definition ARN, wins over the entry without an image; among equals the newest), or with
404 to every path when no app is scripted for it (never kinder than a real app). A target registered by hand with RegisterTargets has no process
behind it: the ALB's connection fails, which AWS answers with 502 ("The load balancer received a
TCP RST from the target when attempting to establish a connection", ALB guide, "Troubleshoot your
Application Load Balancers", HTTP 502).

The same app decides the target health of the service's simulated tasks (see `rollout`): the
target group's health check asks the app for `HealthCheckPath` and compares the status with
`Matcher.HttpCode` (ALB guide, "Health checks for Application Load Balancer target groups";
ELBv2 API Reference, `Matcher`: "You can specify multiple values (for example, "200,202") or a
range of values (for example, "200-299")").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from moto.ecs.models import ecs_backends

from . import targets
from .locking import EXTENSION_LOCK

APP_FIELDS = {"service", "image", "routes", "default_status"}
DEFAULT_STATUS = 404
_sequence = itertools.count()


class AppError(ValueError):
    """The request body is invalid; the message lists every problem."""


@dataclass(frozen=True)
class App:
    service: str
    image: str | None
    routes: dict[str, int]
    default_status: int = DEFAULT_STATUS
    sequence: int = field(default_factory=lambda: next(_sequence), compare=False)

    def status_for(self, path: str) -> int:
        """The status for a request path (the query string is not part of the route)."""
        return self.routes.get(path.split("?", 1)[0], self.default_status)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "image": self.image,
            "routes": dict(self.routes),
            "default_status": self.default_status,
        }


# account id -> apps in the order they were set
_APPS: dict[str, list[App]] = {}


def parse(body: dict[str, Any]) -> App:
    problems = [f"unknown field {name!r}" for name in sorted(set(body) - APP_FIELDS)]
    service = body.get("service")
    if not isinstance(service, str) or not service:
        problems.append("service (the ECS service name) is required")
    image = body.get("image")
    if image is not None and (not isinstance(image, str) or not image):
        problems.append("image must be a non-empty string (a substring of the image or task definition ARN)")
    routes = body.get("routes", {})
    if not isinstance(routes, dict):
        problems.append('routes must be an object {"/path": status}')
        routes = {}
    for path, status in routes.items():
        if not path.startswith("/"):
            problems.append(f"route {path!r} must start with /")
        if "?" in path:
            problems.append(f"route {path!r} must be a path without a query string")
        if not _is_status(status):
            problems.append(f"route {path!r}: status must be an integer 100-599")
    default_status = body.get("default_status", DEFAULT_STATUS)
    if not _is_status(default_status):
        problems.append("default_status must be an integer 100-599")
    if problems:
        raise AppError("; ".join(problems))
    return App(service, image, dict(routes), default_status)


def _is_status(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599


def set_app(account_id: str, app: App) -> None:
    """Adds the app, replacing the one for the same service and image."""
    apps = _APPS.setdefault(account_id, [])
    apps[:] = [old for old in apps if (old.service, old.image) != (app.service, app.image)]
    apps.append(app)


def apps_of(account_id: str) -> list[App]:
    return list(_APPS.get(account_id, []))


def app_for(account_id: str, service_name: str, region: str, task_definition_arn: str) -> App | None:
    """The app a task of `service_name` running `task_definition_arn` answers with, if scripted."""
    candidates = [app for app in _APPS.get(account_id, []) if app.service == service_name]
    if not candidates:
        return None
    keys = [task_definition_arn, *_images(account_id, region, task_definition_arn)]
    by_image = [app for app in candidates if app.image and any(app.image in key for key in keys)]
    if by_image:
        return max(by_image, key=lambda app: app.sequence)
    general = [app for app in candidates if app.image is None]
    return max(general, key=lambda app: app.sequence) if general else None


def _images(account_id: str, region: str, task_definition_arn: str) -> list[str]:
    backend = (dict.get(ecs_backends, account_id) or {}).get(region)
    if backend is None:
        return []
    try:
        task_definition = backend.describe_task_definition(task_definition_arn)
    except Exception:  # deregistered or unknown: no image to match
        return []
    return [c.get("image", "") for c in task_definition.container_definitions or []]


# --- health checks ----------------------------------------------------------------------------


def matcher_accepts(http_code: str, status: int) -> bool:
    """Whether `status` is a success for `Matcher.HttpCode` ("200", "200,202", "200-299")."""
    for part in http_code.split(","):
        part = part.strip()
        if "-" in part:
            low, _, high = part.partition("-")
            if low.strip().isdigit() and high.strip().isdigit() and int(low) <= status <= int(high):
                return True
        elif part.isdigit() and int(part) == status:
            return True
    return False


def health_check(app: App, target_group: Any) -> targets.TargetHealth:
    """The health the target group's health check finds for a task answering with `app`."""
    path = getattr(target_group, "health_check_path", None) or "/"
    status = app.status_for(path)
    matcher = (getattr(target_group, "matcher", None) or {}).get("HttpCode") or "200"
    if matcher_accepts(matcher, status):
        return targets.TargetHealth("healthy")
    return targets.TargetHealth(
        "unhealthy", "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{status}]"
    )


def to_json(account_id: str) -> dict[str, Any]:
    with EXTENSION_LOCK:
        return {"account_id": account_id, "apps": [app.to_json() for app in apps_of(account_id)]}
