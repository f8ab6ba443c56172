"""An ALB in front of the `EcsWorld` service, and an HTTP client for the emulator's ALB data plane."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conftest import FIRST_ROLLOUT, EcsWorld

HOST = "stage.api.acme.example"
AUTH_PATH = "/stage/auth/*"
STRIP_AUTH = {"Regex": "^/stage/auth/(.*)$", "Replace": "/$1"}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def origin(self) -> str:
        return self.headers.get("x-ecsdeploy-origin", "")

    @property
    def target(self) -> str | None:
        return self.headers.get("x-ecsdeploy-target")

    @property
    def path(self) -> str | None:
        return self.headers.get("x-ecsdeploy-path")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class AlbWorld:
    """Load balancer `acme` (active) with an HTTPS listener on 443 whose default action is a fixed 404.

    The EcsWorld target group's health check asks for `/health`.
    """

    ecs: EcsWorld
    load_balancer_arn: str
    listener_arn: str
    name: str = "acme"

    @property
    def elbv2(self) -> Any:
        return self.ecs.elbv2

    def base(self, host: str = HOST, name: str | None = None) -> str:
        account_id = self.ecs.account.account_id
        return f"/_ecsdeploy/accounts/{account_id}/alb/{name or self.name}/{host}"

    def request(
        self,
        path: str,
        host: str = HOST,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        name: str | None = None,
        body: bytes | None = None,
    ) -> Reply:
        """Sends `method base(host)+path` to the emulator; redirects are not followed."""
        endpoint = urlsplit(self.ecs.account.emulator.endpoint)
        connection = http.client.HTTPConnection(endpoint.hostname, endpoint.port, timeout=30)
        try:
            connection.request(method, self.base(host, name) + path, body=body, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            connection.close()

    def forward_rule(
        self,
        priority: int = 10,
        paths: tuple[str, ...] = (AUTH_PATH,),
        target_group_arn: str | None = None,
        transforms: list[dict[str, Any]] | None = None,
        conditions: list[dict[str, Any]] | None = None,
        actions: list[dict[str, Any]] | None = None,
    ) -> str:
        parameters: dict[str, Any] = {
            "ListenerArn": self.listener_arn,
            "Priority": priority,
            "Conditions": conditions
            if conditions is not None
            else [{"Field": "path-pattern", "PathPatternConfig": {"Values": list(paths)}}],
            "Actions": actions
            or [{"Type": "forward", "TargetGroupArn": target_group_arn or self.ecs.target_group_arn}],
        }
        if transforms is not None:
            parameters["Transforms"] = transforms
        return self.elbv2.create_rule(**parameters)["Rules"][0]["RuleArn"]

    def set_app(self, **app: Any) -> Any:
        return self.ecs.account.control("/apps", app)

    def running_service(self, **overrides: Any) -> dict[str, Any]:
        """The EcsWorld service `auth` (2 tasks), once its first deployment completed."""
        self.ecs.create_service(**overrides)
        return self.ecs.after(FIRST_ROLLOUT)


def url_rewrite(rewrite: dict[str, str] = STRIP_AUTH) -> dict[str, Any]:
    return {"Type": "url-rewrite", "UrlRewriteConfig": {"Rewrites": [dict(rewrite)]}}


def host_rewrite(regex: str, replace: str) -> dict[str, Any]:
    rewrites = [{"Regex": regex, "Replace": replace}]
    return {"Type": "host-header-rewrite", "HostHeaderRewriteConfig": {"Rewrites": rewrites}}


def make_alb_world(ecs_world: EcsWorld, name: str = "acme") -> AlbWorld:
    account = ecs_world.account
    acm = account.client("acm")
    certificate_arn = acm.request_certificate(DomainName="api.acme.example", ValidationMethod="DNS")[
        "CertificateArn"
    ]
    elbv2 = ecs_world.elbv2
    elbv2.modify_target_group(TargetGroupArn=ecs_world.target_group_arn, HealthCheckPath="/health")
    load_balancer_arn = elbv2.create_load_balancer(Name=name, Subnets=ecs_world.subnet_ids)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    elbv2.describe_load_balancers(LoadBalancerArns=[load_balancer_arn])  # provisioning -> active
    listener_arn = elbv2.create_listener(
        LoadBalancerArn=load_balancer_arn,
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": certificate_arn}],
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "no route"},
            }
        ],
    )["Listeners"][0]["ListenerArn"]
    return AlbWorld(ecs_world, load_balancer_arn, listener_arn, name)
