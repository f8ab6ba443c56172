"""The ALB data plane: requests routed by the account's listener rules to the scripted apps of simulated tasks."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from alb_world import HOST, AlbWorld, host_rewrite, make_alb_world, url_rewrite
from conftest import HEALTHY_AFTER, START, Account, EcsWorld


@pytest.fixture
def alb(ecs_world: EcsWorld) -> AlbWorld:
    return make_alb_world(ecs_world)


def fixed_response(body: str = "", status: str = "200") -> list[dict[str, Any]]:
    config = {"StatusCode": status, "ContentType": "text/plain", "MessageBody": body}
    return [{"Type": "fixed-response", "FixedResponseConfig": config}]


def task_ips(alb: AlbWorld) -> set[str]:
    return set(alb.ecs.target_health())


def test_forwards_by_path_and_the_app_gets_the_rewritten_path(alb: AlbWorld) -> None:
    """ALB guide, "Listener rules for your Application Load Balancer": "When a listener receives a
    request, it evaluates the request against each rule in priority order"; "Transforms for listener
    rules": "A rule transform rewrites inbound requests before they are routed to targets." The query
    string passes through."""
    alb.forward_rule(transforms=[url_rewrite()])
    alb.set_app(service="auth", routes={"/health": 200})
    alb.running_service()

    reply = alb.request("/stage/auth/health?verbose=1")
    assert reply.status == 200, reply
    assert reply.origin == "target"
    assert reply.path == "/health?verbose=1"
    assert reply.target in task_ips(alb)
    assert reply.headers["x-ecsdeploy-service"] == "auth"
    assert reply.headers["x-ecsdeploy-host"] == HOST
    assert reply.headers["x-ecsdeploy-target-group"] == alb.ecs.target_group_arn
    assert reply.json() == {"service": "auth", "path": "/health?verbose=1", "status": 200, "scripted": True}
    assert alb.request("/stage/auth/missing").status == 404  # the app's default_status


def test_an_unmatched_request_gets_the_default_rule(alb: AlbWorld) -> None:
    """ALB guide, "Listener rules": "If none of the conditions for any other rules are met, then the
    action for the default rule is performed." (Here a fixed-response: status, Content-Type, body.)"""
    alb.forward_rule()
    reply = alb.request("/stage/billing/health")
    assert (reply.status, reply.origin, reply.body) == (404, "load-balancer", b"no route")
    assert reply.headers["content-type"].startswith("text/plain")
    assert reply.headers["x-ecsdeploy-rule"].startswith(alb.listener_arn.replace(":listener/", ":listener-rule/"))


def test_rules_are_evaluated_from_the_lowest_priority_number(alb: AlbWorld) -> None:
    """ALB guide, "Listener rules": "Rules are evaluated in priority order, from the lowest value to the
    highest value." """
    later = alb.forward_rule(priority=20, paths=("/stage/*",), actions=fixed_response("twenty"))
    first = alb.forward_rule(priority=5, paths=("/stage/auth/*",), actions=fixed_response("five"))
    assert alb.request("/stage/auth/x").body == b"five"
    assert alb.request("/stage/other").body == b"twenty"
    alb.elbv2.set_rule_priorities(
        RulePriorities=[{"RuleArn": later, "Priority": 1}, {"RuleArn": first, "Priority": 30}]
    )
    assert alb.request("/stage/auth/x").body == b"twenty"


def test_path_patterns_are_case_sensitive_wildcards_on_the_path_only(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "PathPatternConditionConfig": "The comparison is case sensitive. The
    following wildcard characters are supported: * (matches 0 or more characters) and ? (matches
    exactly 1 character)." "The path pattern is compared only to the path of the URL, not to its query
    string." """
    fixed = fixed_response()
    alb.forward_rule(paths=("/v?/items", "/exact"), actions=fixed)
    assert alb.request("/v1/items").status == 200
    assert alb.request("/v12/items").status == 404
    assert alb.request("/V1/items").status == 404
    assert alb.request("/exact?x=/v1/items").status == 200
    assert alb.request("/other?p=/exact").status == 404


def test_host_conditions_are_case_insensitive_wildcards(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "HostHeaderConditionConfig": "The comparison is case insensitive. The
    following wildcard characters are supported: * (matches 0 or more characters) and ? (matches exactly
    1 character)." All conditions of a rule must match ("Listener rules")."""
    fixed = fixed_response()
    alb.forward_rule(
        conditions=[
            {"Field": "host-header", "HostHeaderConfig": {"Values": ["*.API.acme.example"]}},
            {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/stage/*"]}},
        ],
        actions=fixed,
    )
    assert alb.request("/stage/x", host="Stage.api.ACME.example").status == 200
    assert alb.request("/stage/x", host="api.acme.example").status == 404
    assert alb.request("/prod/x", host="stage.api.acme.example").status == 404


def test_method_header_and_query_conditions(alb: AlbWorld) -> None:
    """ELBv2 API Reference: "HttpRequestMethodConditionConfig" (case sensitive, no wildcards),
    "HttpHeaderConditionConfig" ("The header name is case insensitive"; values case insensitive with
    wildcards), "QueryStringConditionConfig" (key/value pairs, case insensitive, wildcards)."""
    fixed = fixed_response()
    alb.forward_rule(
        priority=1,
        conditions=[{"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["POST"]}}],
        actions=fixed,
    )
    alb.forward_rule(
        priority=2,
        conditions=[{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["y*"]}}],
        actions=fixed,
    )
    alb.forward_rule(
        priority=3,
        conditions=[{"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}}],
        actions=fixed,
    )
    assert alb.request("/a", method="POST", body=b'{"a": 1}', headers={"content-type": "application/json"}).status == 200
    assert alb.request("/a", method="GET").status == 404
    assert alb.request("/a", headers={"x-canary": "YES"}).status == 200
    assert alb.request("/a", headers={"x-canary": "no"}).status == 404
    assert alb.request("/a?v=2").status == 200
    assert alb.request("/a?v=3").status == 404


def test_host_header_rewrite_and_an_unmatched_url_rewrite(alb: AlbWorld) -> None:
    """ALB guide, "Transforms for listener rules": host-header-rewrite "Rewrites the host header in the
    request"; "If there is no pattern match, the original request is sent to the target." """
    alb.forward_rule(
        paths=("/stage/*",),
        transforms=[
            host_rewrite("^stage\\.api\\.(.+)$", "internal.$1"),
            url_rewrite({"Regex": "^/stage/auth/(.*)$", "Replace": "/$1"}),
        ],
    )
    alb.running_service()
    reply = alb.request("/stage/billing/health")
    assert reply.headers["x-ecsdeploy-host"] == "internal.acme.example"
    assert reply.path == "/stage/billing/health"


def test_a_failed_transform_answers_500(alb: AlbWorld) -> None:
    """ALB guide, "Transforms for listener rules": "If there is a pattern match but the transform fails,
    we return an HTTP 500 error." (Replace names a group the regex does not have.)"""
    alb.forward_rule(transforms=[url_rewrite({"Regex": "^/stage/auth/(.*)$", "Replace": "/$2"})])
    alb.running_service()
    reply = alb.request("/stage/auth/health")
    assert (reply.status, reply.origin) == (500, "load-balancer")
    assert b"500 Internal Server Error" in reply.body


def test_redirect_actions_build_the_location(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "RedirectActionConfig": "#{host}, #{path}, and #{port}" and "#{query}" reuse
    the request's parts, Path "The absolute path, starting with the leading "/"", StatusCode "either
    permanent (HTTP 301) or temporary (HTTP 302)"."""
    alb.forward_rule(
        priority=1,
        paths=("/old/*",),
        actions=[{"Type": "redirect", "RedirectConfig": {"Path": "/new/#{path}", "StatusCode": "HTTP_301"}}],
    )
    alb.forward_rule(
        priority=2,
        paths=("/elsewhere",),
        actions=[
            {
                "Type": "redirect",
                "RedirectConfig": {"Host": "www.acme.example", "Query": "from=#{host}", "StatusCode": "HTTP_302"},
            }
        ],
    )
    reply = alb.request("/old/a?b=c")
    assert (reply.status, reply.headers["location"]) == (301, f"https://{HOST}:443/new/old/a?b=c")
    reply = alb.request("/elsewhere")
    assert (reply.status, reply.headers["location"]) == (302, f"https://www.acme.example:443/elsewhere?from={HOST}")


def test_no_registered_targets_answers_503(alb: AlbWorld) -> None:
    """ALB guide, "Troubleshoot your Application Load Balancers", HTTP 503: "The target groups for the
    load balancer have no registered targets." """
    alb.forward_rule()
    reply = alb.request("/stage/auth/health")
    assert (reply.status, reply.origin) == (503, "load-balancer")
    assert b"503 Service Temporarily Unavailable" in reply.body


def test_targets_still_registering_receive_nothing(alb: AlbWorld) -> None:
    """ALB guide, "Health checks for Application Load Balancer target groups": "After your target is
    registered, it must pass one health check to be considered healthy" (here HealthyThresholdCount
    checks: stricter) and "Each load balancer node routes requests only to the healthy targets". All
    targets `initial`: 503. The data plane sees the targets as they are at the account's simulated
    time, without any DescribeServices."""
    alb.forward_rule(transforms=[url_rewrite()])
    alb.set_app(service="auth", routes={"/health": 200})
    alb.ecs.create_service()
    alb.ecs.account.advance(START)  # tasks running, targets initial
    assert {h["State"] for h in alb.ecs.target_health().values()} == {"initial"}
    assert alb.request("/stage/auth/health").status == 503
    alb.ecs.account.advance(HEALTHY_AFTER)
    assert alb.request("/stage/auth/health").status == 200


def test_only_healthy_targets_receive_requests_in_turn(alb: AlbWorld) -> None:
    """ALB guide, "Health checks for Application Load Balancer target groups": "Each load balancer node
    routes requests only to the healthy targets"; the target group's default routing algorithm is
    round robin (`load_balancing.algorithm.type`)."""
    alb.forward_rule(transforms=[url_rewrite()])
    alb.set_app(service="auth", routes={"/health": 200})
    alb.running_service(desiredCount=3)
    ips = sorted(task_ips(alb))
    assert Counter(alb.request("/stage/auth/health").target for _ in range(6)) == {ip: 2 for ip in ips}

    alb.ecs.account.control(
        "/elbv2/target-health",
        {"target_group_arn": alb.ecs.target_group_arn, "target_id": ips[0], "state": "unhealthy"},
    )
    assert {alb.request("/stage/auth/health").target for _ in range(6)} == set(ips[1:])


def test_all_targets_unhealthy_fails_open(alb: AlbWorld) -> None:
    """ALB guide, "Health checks for Application Load Balancer target groups": "If a target group
    contains only unhealthy registered targets, the load balancer routes requests to all those targets,
    regardless of their health status." """
    alb.forward_rule(transforms=[url_rewrite()])
    alb.set_app(service="auth", routes={"/health": 200, "/work": 200})
    alb.running_service(healthCheckGracePeriodSeconds=600)  # ECS keeps the unhealthy tasks meanwhile
    alb.ecs.account.control(
        "/elbv2/target-health", {"target_group_arn": alb.ecs.target_group_arn, "state": "unhealthy"}
    )
    replies = [alb.request("/stage/auth/work") for _ in range(4)]
    assert {reply.status for reply in replies} == {200}
    assert {reply.target for reply in replies} == task_ips(alb)


def test_unhealthy_and_draining_targets_without_a_healthy_one_get_503(alb: AlbWorld) -> None:
    """ALB guide, "Health checks for Application Load Balancer target groups": failing open needs "only
    unhealthy registered targets"; a draining target is still registered and gets no new requests."""
    alb.forward_rule(transforms=[url_rewrite()])
    alb.running_service()
    ips = sorted(task_ips(alb))
    for ip, state in zip(ips, ("unhealthy", "draining")):
        alb.ecs.account.control(
            "/elbv2/target-health",
            {"target_group_arn": alb.ecs.target_group_arn, "target_id": ip, "state": state},
        )
    assert alb.request("/stage/auth/health").status == 503


def test_a_target_registered_by_hand_answers_502(alb: AlbWorld) -> None:
    """ALB guide, "Troubleshoot your Application Load Balancers", HTTP 502: "The load balancer received a
    TCP RST from the target when attempting to establish a connection." Nothing listens behind a
    target that is no simulated task."""
    alb.elbv2.register_targets(
        TargetGroupArn=alb.ecs.target_group_arn, Targets=[{"Id": "10.0.10.200", "Port": 8080}]
    )
    alb.forward_rule()
    reply = alb.request("/stage/auth/health")
    assert (reply.status, reply.origin, reply.target) == (502, "load-balancer", "10.0.10.200")


def test_a_service_without_a_scripted_app_answers_404_everywhere(alb: AlbWorld) -> None:
    """Not an AWS rule: an emulated task serves nothing unless a test scripts its app (never kinder
    than a real app). Its targets keep the scripted health, so the ALB routes to them."""
    alb.forward_rule(transforms=[url_rewrite()])
    alb.running_service()
    for path in ("/stage/auth/health", "/stage/auth/"):
        reply = alb.request(path)
        assert (reply.status, reply.origin) == (404, "target")
        assert reply.json()["scripted"] is False


def test_each_deployment_answers_with_the_app_of_its_image(alb: AlbWorld) -> None:
    """Not an AWS rule: the app is chosen by the image of the task definition each task runs, so during
    a rolling update old and new tasks answer differently (ECS Developer Guide, rolling update: the old
    tasks keep running until the new deployment completes)."""
    alb.forward_rule(transforms=[url_rewrite()])
    alb.set_app(service="auth", routes={"/health": 200, "/v1": 200})
    alb.set_app(service="auth", image="auth:2", routes={"/health": 200, "/v2": 200})
    alb.running_service()
    assert alb.request("/stage/auth/v1").status == 200
    assert alb.request("/stage/auth/v2").status == 404

    alb.ecs.ecs.update_service(cluster="acme", service="auth", taskDefinition="auth:2")
    alb.ecs.account.advance(START)  # new tasks registering; the old ones serve
    assert {alb.request("/stage/auth/v1").status for _ in range(4)} == {200}
    alb.ecs.account.advance(HEALTHY_AFTER)  # new ones healthy, old ones draining (no new requests)
    replies = [alb.request("/stage/auth/v2") for _ in range(4)]
    assert {reply.status for reply in replies} == {200}
    task_definitions = {reply.headers["x-ecsdeploy-task-definition"] for reply in replies}
    assert task_definitions == {alb.ecs.task_definition_arns[1]}
    assert alb.request("/stage/auth/v1").status == 404


def test_weighted_target_groups_share_requests_by_weight(alb: AlbWorld) -> None:
    """ELBv2 API Reference, "ForwardActionConfig"/"TargetGroupTuple": a forward action distributes
    requests among target groups by `Weight`; here in exact proportion (smooth weighted round robin)."""
    [main] = alb.elbv2.describe_target_groups(TargetGroupArns=[alb.ecs.target_group_arn])["TargetGroups"]
    [canary_group] = alb.elbv2.create_target_group(
        Name="canary", Protocol="HTTP", Port=8080, VpcId=main["VpcId"], TargetType="ip"
    )["TargetGroups"]
    canary = canary_group["TargetGroupArn"]
    for arn, ip in ((alb.ecs.target_group_arn, "10.0.10.200"), (canary, "10.0.10.201")):
        alb.elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": ip, "Port": 8080}])
    alb.forward_rule(
        actions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": alb.ecs.target_group_arn, "Weight": 3},
                        {"TargetGroupArn": canary, "Weight": 1},
                    ]
                },
            }
        ]
    )
    groups = Counter(alb.request("/stage/auth/x").headers["x-ecsdeploy-target-group"] for _ in range(8))
    assert groups == {alb.ecs.target_group_arn: 6, canary: 2}


def test_trace_is_refused_by_the_load_balancer(alb: AlbWorld) -> None:
    """ALB guide, "Troubleshoot your Application Load Balancers", HTTP 405: "The client used the TRACE
    method, which is not supported by Application Load Balancers." """
    assert alb.request("/anything", method="TRACE").status == 405


def test_what_no_alb_would_answer_is_an_emulator_error(alb: AlbWorld) -> None:
    """Not AWS answers: an unknown load balancer, no listener on 443, a load balancer still
    provisioning, conditions the data plane does not model. They carry `x-ecsdeploy-origin: emulator`
    and `x-ecsdeploy-error`."""
    reply = alb.request("/x", name="nope")
    assert (reply.status, reply.origin) == (404, "emulator")
    assert "no load balancer 'nope'" in reply.headers["x-ecsdeploy-error"]

    elbv2 = alb.elbv2
    [other] = elbv2.create_load_balancer(Name="other", Subnets=alb.ecs.subnet_ids)["LoadBalancers"]
    assert "provisioning" in alb.request("/x", name="other").json()["error"]
    elbv2.describe_load_balancers(LoadBalancerArns=[other["LoadBalancerArn"]])
    assert "no listener on port 443" in alb.request("/x", name="other").json()["error"]

    alb.forward_rule(conditions=[{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}])
    reply = alb.request("/x")
    assert (reply.status, reply.origin) == (501, "emulator")
    assert "source-ip" in reply.json()["error"]


def test_other_accounts_albs_are_not_reachable(alb: AlbWorld, other_account: Account) -> None:
    """Isolation: the URL names the account; another account has no load balancer `acme`."""
    path = f"/_ecsdeploy/accounts/{other_account.account_id}/alb/acme/{HOST}/x"
    status, answer = other_account.emulator.request("GET", path)
    assert status == 404 and "no load balancer" in answer["error"]
