"""IAM enforcement (`python -m ecsdeploy_emulator --enforce-iam`): what it authorizes and how it refuses.

One emulator process for this module, started in enforcing mode. Each test gets a fresh account
(its own user holds AdministratorAccess, so setup works) and makes principals through
`POST /_ecsdeploy/accounts/{id}/principals` that hold only the policy under test. AWS references:
IAM User Guide "Policy evaluation logic"; the Service Authorization Reference for each action's
resource types and condition keys; the pages cited per test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from conftest import Account, Emulator, make_ecs_world, start_emulator, stop_emulator
from test_cloudwatch_cbor import CborClient, alarm_members

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ASSUME_BY_ECS_TASKS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def start_enforcing_emulator(tmp_path: Path) -> Emulator:
    """`python -m ecsdeploy_emulator --enforce-iam`, as a Rust harness would start it."""
    return start_emulator(tmp_path, os.getpid(), ("--enforce-iam",))


@pytest.fixture(scope="module")
def enforcing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    started = start_enforcing_emulator(tmp_path_factory.mktemp("enforcing-emulator"))
    yield started
    stop_emulator(started)


@pytest.fixture
def admin(enforcing: Emulator) -> Account:
    """A fresh account; its own user holds AdministratorAccess in enforcing mode."""
    created = enforcing.post("/_ecsdeploy/accounts", {})
    return Account(enforcing, created["account_id"], created["access_key_id"], created["secret_access_key"])


PrincipalFactory = Callable[..., Account]


@pytest.fixture
def principal(admin: Account) -> PrincipalFactory:
    """principal(*statements, name=...) -> an Account whose user holds exactly those statements."""
    counter = iter(range(1, 1000))

    def make(*statements: dict[str, Any], name: str | None = None) -> Account:
        body = {
            "name": name or f"deployer-{next(counter)}",
            "policy": {"Version": "2012-10-17", "Statement": list(statements)},
        }
        created = admin.control("/principals", body)
        assert created["user_arn"] == f"arn:aws:iam::{admin.account_id}:user/{body['name']}"
        assert created["iam_enforced"] is True
        return Account(admin.emulator, admin.account_id, created["access_key_id"], created["secret_access_key"])

    return make


def allow(actions: str | list[str], resources: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def deny(actions: str | list[str], resources: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": actions, "Resource": resources, **extra}


def refusal(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    error = raised.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


def not_authorized(who: Account, user: str, action: str, resource: str) -> str:
    return (
        f"User: arn:aws:iam::{who.account_id}:user/{user} is not authorized to perform: {action} on resource: "
        f"{resource} because no identity-based policy allows the {action} action"
    )


# --- the mode itself --------------------------------------------------------------------------


def test_the_default_server_does_not_enforce_iam(account: Account) -> None:
    """Without --enforce-iam a user with no permission at all may still call anything (moto's default)."""
    created = account.control("/principals", {"name": "nobody", "policy": {"Version": "2012-10-17", "Statement": [deny("*")]}})
    assert created["iam_enforced"] is False
    nobody = Account(account.emulator, account.account_id, created["access_key_id"], created["secret_access_key"])
    assert nobody.client("ecs").list_clusters()["clusterArns"] == []


def test_the_account_user_is_an_administrator_and_the_world_builds(admin: Account) -> None:
    world = admin.control("/world", {})
    assert world["vpc_id"].startswith("vpc-") and len(world["secrets"]) == 12
    assert admin.client("ec2").describe_vpcs(VpcIds=[world["vpc_id"]])["Vpcs"]
    attached = admin.client("iam").list_attached_user_policies(UserName="ecsdeploy-test-1")["AttachedPolicies"]
    assert [policy["PolicyName"] for policy in attached] == ["AdministratorAccess"]


def test_a_principal_holds_exactly_its_policy_as_a_managed_policy(admin: Account, principal: PrincipalFactory) -> None:
    principal(allow("ecs:ListClusters"), name="reader")
    iam = admin.client("iam")
    attached = iam.list_attached_user_policies(UserName="reader")["AttachedPolicies"]
    assert [policy["PolicyName"] for policy in attached] == ["reader-policy"]
    assert iam.list_user_policies(UserName="reader")["PolicyNames"] == []
    version = iam.get_policy(PolicyArn=attached[0]["PolicyArn"])["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=attached[0]["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
    assert document["Statement"] == [allow("ecs:ListClusters")]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"name": "a b", "policy": ALLOW_ALL}, "name must be"),
        ({"name": "x", "policy": "not json"}, "policy must be an IAM policy document"),
        ({"name": "x", "policy": {"Statement": [{"Effect": "Allow"}]}}, "policy is not a valid IAM policy document"),
        ({"name": "x"}, "policy is required"),
        ({"name": "x", "policy": ALLOW_ALL, "extra": 1}, "unknown field 'extra'"),
        (
            {"name": "x", "policy": {"Version": "2012-10-17", "Statement": [allow("s3:GetObject", [f"arn:aws:s3:::b/{i:05}" for i in range(300)])]}},
            "a managed policy may have at most 6144",
        ),
    ],
)
def test_principals_refuse_bad_input(admin: Account, body: dict[str, Any], problem: str) -> None:
    status, answer = admin.emulator.request("POST", f"/_ecsdeploy/accounts/{admin.account_id}/principals", body)
    assert status == 400 and problem in answer["error"], answer


def test_a_principal_name_is_taken_once(admin: Account, principal: PrincipalFactory) -> None:
    principal(allow("ecs:ListClusters"), name="once")
    status, answer = admin.emulator.request(
        "POST", f"/_ecsdeploy/accounts/{admin.account_id}/principals", {"name": "once", "policy": ALLOW_ALL}
    )
    assert status == 400 and "already exists" in answer["error"]


# --- allowed and refused, per service -----------------------------------------------------------


def test_an_allowed_action_succeeds_and_a_missing_one_is_refused(principal: PrincipalFactory) -> None:
    who = principal(allow("ecs:ListClusters"), name="lister")
    assert who.client("ecs").list_clusters()["clusterArns"] == []
    status, code, message = refusal(lambda: who.client("ecs").list_services(cluster="acme"))
    assert (status, code) == (400, "AccessDeniedException")
    assert message == not_authorized(who, "lister", "ecs:ListServices", "*")


# (service, operation, parameters, HTTP status, error code, IAM action, resource suffix after the account)
REFUSALS = [
    ("ecs", "create_cluster", {"clusterName": "acme"}, 400, "AccessDeniedException", "ecs:CreateCluster", "arn:aws:ecs:us-east-1:{a}:cluster/acme"),
    ("elbv2", "describe_load_balancers", {}, 403, "AccessDenied", "elasticloadbalancing:DescribeLoadBalancers", "*"),
    ("elbv2", "create_target_group", {"Name": "acme-stage-auth", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "TargetType": "ip"}, 403, "AccessDenied", "elasticloadbalancing:CreateTargetGroup", "arn:aws:elasticloadbalancing:us-east-1:{a}:targetgroup/acme-stage-auth/0123456789abcdef"),
    ("ec2", "describe_vpcs", {}, 403, "UnauthorizedOperation", "ec2:DescribeVpcs", "*"),
    ("ec2", "delete_security_group", {"GroupId": "sg-12345678"}, 403, "UnauthorizedOperation", "ec2:DeleteSecurityGroup", "arn:aws:ec2:us-east-1:{a}:security-group/sg-12345678"),
    ("ecr", "create_repository", {"repositoryName": "acme/auth"}, 400, "AccessDeniedException", "ecr:CreateRepository", "arn:aws:ecr:us-east-1:{a}:repository/acme/auth"),
    ("ecr", "get_authorization_token", {}, 400, "AccessDeniedException", "ecr:GetAuthorizationToken", "*"),
    ("iam", "get_role", {"RoleName": "acme-stage-auth"}, 403, "AccessDenied", "iam:GetRole", "arn:aws:iam::{a}:role/acme-stage-auth"),
    ("logs", "create_log_group", {"logGroupName": "/ecs/acme/stage/auth"}, 400, "AccessDeniedException", "logs:CreateLogGroup", "arn:aws:logs:us-east-1:{a}:log-group:/ecs/acme/stage/auth:log-stream:"),
    ("cloudwatch", "delete_alarms", {"AlarmNames": ["acme-stage-auth-cpu"]}, 403, "AccessDenied", "cloudwatch:DeleteAlarms", "arn:aws:cloudwatch:us-east-1:{a}:alarm:acme-stage-auth-cpu"),
    ("application-autoscaling", "describe_scalable_targets", {"ServiceNamespace": "ecs"}, 400, "AccessDeniedException", "application-autoscaling:DescribeScalableTargets", "*"),
    ("secretsmanager", "describe_secret", {"SecretId": "stage/auth/db"}, 400, "AccessDeniedException", "secretsmanager:DescribeSecret", "arn:aws:secretsmanager:us-east-1:{a}:secret:stage/auth/db"),
    ("route53", "list_resource_record_sets", {"HostedZoneId": "Z0123"}, 403, "AccessDenied", "route53:ListResourceRecordSets", "arn:aws:route53:::hostedzone/Z0123"),
    ("acm", "list_certificates", {}, 400, "AccessDeniedException", "acm:ListCertificates", "*"),
    ("dynamodb", "describe_table", {"TableName": "ecsdeploy-history-acme"}, 400, "AccessDeniedException", "dynamodb:DescribeTable", "arn:aws:dynamodb:us-east-1:{a}:table/ecsdeploy-history-acme"),
    ("dynamodb", "update_continuous_backups", {"TableName": "ecsdeploy-history-acme", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}}, 400, "AccessDeniedException", "dynamodb:UpdateContinuousBackups", "arn:aws:dynamodb:us-east-1:{a}:table/ecsdeploy-history-acme"),
    ("lambda", "invoke", {"FunctionName": "acme-secret-rotation"}, 403, "AccessDeniedException", "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:{a}:function:acme-secret-rotation"),
    ("sts", "assume_role", {"RoleArn": "arn:aws:iam::{a}:role/x", "RoleSessionName": "deploy"}, 403, "AccessDenied", "sts:AssumeRole", "arn:aws:iam::{a}:role/x"),
    ("resourcegroupstaggingapi", "get_resources", {"TagFilters": [{"Key": "ecsdeploy:project", "Values": ["acme"]}], "ResourceTypeFilters": ["logs:log-group"]}, 400, "AccessDeniedException", "tag:GetResources", "*"),
    ("iam", "get_account_authorization_details", {"Filter": ["Role"]}, 403, "AccessDenied", "iam:GetAccountAuthorizationDetails", "*"),
]


@pytest.mark.parametrize(
    ("service", "operation", "parameters", "status", "code", "action", "resource"),
    REFUSALS,
    ids=[f"{row[0]}-{row[1]}" for row in REFUSALS],
)
def test_each_service_refuses_a_missing_permission_in_its_own_error_shape(
    principal: PrincipalFactory,
    service: str,
    operation: str,
    parameters: dict[str, Any],
    status: int,
    code: str,
    action: str,
    resource: str,
) -> None:
    """ECS, ECR, Logs, DynamoDB, Secrets Manager, ACM, Application Auto Scaling: AccessDeniedException
    (awsJson, 400); ELBv2, IAM, STS, Route 53, CloudWatch: AccessDenied (403); EC2:
    UnauthorizedOperation; Lambda: AccessDeniedException (403). The message names the action and
    the resource as AWS does."""
    who = principal(allow("sts:GetCallerIdentity"), name="nobody")
    resource = resource.format(a=who.account_id)
    parameters = json.loads(json.dumps(parameters).replace("{a}", who.account_id))
    got_status, got_code, message = refusal(lambda: getattr(who.client(service), operation)(**parameters))
    assert (got_status, got_code) == (status, code)
    expected = not_authorized(who, "nobody", action, resource)
    if service == "ec2":
        assert message.startswith(f"You are not authorized to perform this operation. {expected}. Encoded authorization failure message: ")
    else:
        assert message == expected


def test_get_caller_identity_needs_no_permission_even_when_denied(principal: PrincipalFactory) -> None:
    """STS API Reference, GetCallerIdentity: no permissions are required, an explicit deny does not apply."""
    who = principal(deny("*"), name="denied")
    assert who.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{who.account_id}:user/denied"


def test_cloudwatch_actions_are_cloudwatch_not_the_signing_name_monitoring(admin: Account, principal: PrincipalFactory) -> None:
    """CloudWatch signs as `monitoring` but its IAM actions are `cloudwatch:*` (moto derived monitoring:*)."""
    admin.client("cloudwatch").put_metric_alarm(**boto_alarm("acme-stage-auth-cpu"))
    who = principal(allow("cloudwatch:DescribeAlarms"), allow("monitoring:*"))
    assert [alarm["AlarmName"] for alarm in who.client("cloudwatch").describe_alarms()["MetricAlarms"]] == ["acme-stage-auth-cpu"]
    status, code, message = refusal(lambda: who.client("cloudwatch").delete_alarms(AlarmNames=["acme-stage-auth-cpu"]))
    assert (status, code) == (403, "AccessDenied") and "cloudwatch:DeleteAlarms" in message


def test_get_resources_is_tag_get_resources_not_the_signing_name_tagging(principal: PrincipalFactory) -> None:
    """The Resource Groups Tagging API signs as `tagging` but its IAM actions are `tag:*` (Service
    Authorization Reference, "Actions, resources, and condition keys for Amazon Resource Group
    Tagging API", service prefix `tag`; GetResources has no resource types, so `*`). A caller
    without tag:GetResources is refused naming it (ecsdeploy then reads per resource)."""
    request = {"TagFilters": [{"Key": "ecsdeploy:project", "Values": ["acme"]}], "ResourceTypeFilters": ["logs:log-group"]}
    wrong = principal(allow(["tagging:*", "logs:*"]), name="wrong-prefix")
    status, code, message = refusal(lambda: wrong.client("resourcegroupstaggingapi").get_resources(**request))
    assert (status, code) == (400, "AccessDeniedException")
    assert message == not_authorized(wrong, "wrong-prefix", "tag:GetResources", "*")
    scoped = principal(allow("tag:GetResources", "arn:aws:logs:*:*:log-group:*"), name="scoped-tagging")
    assert refusal(lambda: scoped.client("resourcegroupstaggingapi").get_resources(**request))[1] == "AccessDeniedException"
    right = principal(allow("tag:GetResources"), name="tagging-reader")
    page = right.client("resourcegroupstaggingapi").get_resources(**request)
    assert page["ResourceTagMappingList"] == [] and page["PaginationToken"] == ""


def test_get_account_authorization_details_needs_its_own_action(admin: Account, principal: PrincipalFactory) -> None:
    """IAM GetAccountAuthorizationDetails is authorized as iam:GetAccountAuthorizationDetails on `*`
    (Service Authorization Reference, IAM: no resource types); per-role read permissions do not
    grant it, and its refusal names it (403 AccessDenied)."""
    admin.client("iam").create_role(RoleName="acme-stage-auth", AssumeRolePolicyDocument=ASSUME_BY_ECS_TASKS)
    reader = principal(allow(["iam:GetRole", "iam:ListRoles", "iam:GetRolePolicy", "iam:ListRoleTags"]), name="role-reader")
    status, code, message = refusal(lambda: reader.client("iam").get_account_authorization_details(Filter=["Role"]))
    assert (status, code) == (403, "AccessDenied")
    assert message == not_authorized(reader, "role-reader", "iam:GetAccountAuthorizationDetails", "*")
    auditor = principal(allow("iam:GetAccountAuthorizationDetails"), name="auditor")
    roles = auditor.client("iam").get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    assert [role["RoleName"] for role in roles] == ["acme-stage-auth"]


# --- what a statement's Resource, Condition and Effect do ------------------------------------------


def test_resource_scoping_allows_only_matching_arns(principal: PrincipalFactory) -> None:
    who = principal(allow("ecs:CreateCluster", "arn:aws:ecs:us-east-1:*:cluster/acme"), name="scoped")
    assert who.client("ecs").create_cluster(clusterName="acme")["cluster"]["clusterName"] == "acme"
    _, code, message = refusal(lambda: who.client("ecs").create_cluster(clusterName="other"))
    assert code == "AccessDeniedException"
    assert message == not_authorized(who, "scoped", "ecs:CreateCluster", f"arn:aws:ecs:us-east-1:{who.account_id}:cluster/other")


def test_a_statement_scoped_to_arns_does_not_grant_an_action_without_resource_types(principal: PrincipalFactory) -> None:
    """ListClusters has no resource type: AWS evaluates it on `*`, which an ARN pattern never matches."""
    who = principal(allow("ecs:ListClusters", "arn:aws:ecs:us-east-1:*:cluster/*"))
    _, code, _ = refusal(lambda: who.client("ecs").list_clusters())
    assert code == "AccessDeniedException"


def test_actions_match_with_wildcards_and_case_insensitively(principal: PrincipalFactory) -> None:
    who = principal(allow("ElasticLoadBalancing:describe*"))
    assert who.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert who.client("elbv2").describe_target_groups()["TargetGroups"] == []


def test_an_explicit_deny_wins_and_says_so(principal: PrincipalFactory) -> None:
    who = principal(allow("ecs:*"), deny("ecs:DeleteCluster"), name="careful")
    who.client("ecs").create_cluster(clusterName="acme")
    _, code, message = refusal(lambda: who.client("ecs").delete_cluster(cluster="acme"))
    assert code == "AccessDeniedException"
    assert message == (
        f"User: arn:aws:iam::{who.account_id}:user/careful is not authorized to perform: ecs:DeleteCluster on "
        f"resource: arn:aws:ecs:us-east-1:{who.account_id}:cluster/acme with an explicit deny in an identity-based policy"
    )


def test_not_action_and_not_resource_are_honoured(principal: PrincipalFactory) -> None:
    who = principal(
        {"Effect": "Allow", "NotAction": "ecs:DeleteCluster", "Resource": "*"},
        {"Effect": "Deny", "Action": "ecs:CreateCluster", "NotResource": "arn:aws:ecs:us-east-1:*:cluster/acme"},
    )
    who.client("ecs").create_cluster(clusterName="acme")
    assert refusal(lambda: who.client("ecs").create_cluster(clusterName="other"))[1] == "AccessDeniedException"
    assert refusal(lambda: who.client("ecs").delete_cluster(cluster="acme"))[1] == "AccessDeniedException"


def test_a_condition_on_a_key_the_emulator_does_not_model_never_allows_and_always_denies(principal: PrincipalFactory) -> None:
    """aws:SourceIp is not in the emulator's request context: an Allow conditioned on it does not
    apply (AWS might allow), a Deny conditioned on it applies (AWS might not deny): never kinder."""
    allowed_by_ip = principal(allow("ecs:ListClusters", Condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}))
    assert refusal(lambda: allowed_by_ip.client("ecs").list_clusters())[1] == "AccessDeniedException"
    denied_by_ip = principal(allow("ecs:*"), deny("ecs:*", Condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    assert refusal(lambda: denied_by_ip.client("ecs").list_clusters())[1] == "AccessDeniedException"


def test_request_context_keys_the_emulator_models_are_evaluated(principal: PrincipalFactory) -> None:
    who = principal(allow("ecs:ListClusters", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}))
    assert who.client("ecs").list_clusters()["clusterArns"] == []
    elsewhere = principal(allow("ecs:ListClusters", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))
    assert refusal(lambda: elsewhere.client("ecs").list_clusters())[1] == "AccessDeniedException"


def test_group_and_inline_policies_count_too(admin: Account, principal: PrincipalFactory) -> None:
    who = principal(allow("ecs:ListClusters"), name="grouped")
    iam = admin.client("iam")
    iam.create_group(GroupName="readers")
    iam.put_group_policy(GroupName="readers", PolicyName="elb", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow("elasticloadbalancing:DescribeLoadBalancers")]}))
    iam.add_user_to_group(GroupName="readers", UserName="grouped")
    iam.put_user_policy(UserName="grouped", PolicyName="logs", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow("logs:DescribeLogGroups")]}))
    assert who.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert who.client("logs").describe_log_groups()["logGroups"] == []


# --- iam:PassRole -------------------------------------------------------------------------------


def make_role(admin: Account, name: str, path: str = "/ecsdeploy/") -> str:
    return admin.client("iam").create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=ASSUME_BY_ECS_TASKS)["Role"]["Arn"]


def task_definition(**overrides: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "family": "stage-auth",
        "containerDefinitions": [{"name": "app", "image": "auth:1", "memory": 512, "portMappings": [{"containerPort": 8080}]}],
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
    }
    definition.update(overrides)
    return definition


PASS_OWN_ROLES = {
    "Effect": "Allow",
    "Action": "iam:PassRole",
    "Resource": "arn:aws:iam::*:role/ecsdeploy/acme-stage-*",
    "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
}


def test_register_task_definition_needs_pass_role_on_its_roles(admin: Account, principal: PrincipalFactory) -> None:
    """Passing a role to ECS needs iam:PassRole on it (IAM User Guide, "Grant a user permissions to
    pass a role to an AWS service"); ECS refuses RegisterTaskDefinition with AccessDeniedException
    naming iam:PassRole and the role."""
    execution = make_role(admin, "acme-stage-auth-execution")
    task = make_role(admin, "acme-stage-auth-task")
    without = principal(allow("ecs:RegisterTaskDefinition"), name="no-pass")
    status, code, message = refusal(
        lambda: without.client("ecs").register_task_definition(**task_definition(executionRoleArn=execution, taskRoleArn=task))
    )
    assert (status, code) == (400, "AccessDeniedException")
    assert message == not_authorized(without, "no-pass", "iam:PassRole", execution)
    # No role named: no PassRole needed.
    without.client("ecs").register_task_definition(**task_definition())

    passer = principal(allow("ecs:RegisterTaskDefinition"), PASS_OWN_ROLES)
    registered = passer.client("ecs").register_task_definition(**task_definition(executionRoleArn=execution, taskRoleArn=task))
    assert registered["taskDefinition"]["executionRoleArn"] == execution


def test_pass_role_is_checked_against_the_passed_to_service_condition(admin: Account, principal: PrincipalFactory) -> None:
    execution = make_role(admin, "acme-stage-auth-execution")
    to_lambda = principal(
        allow("ecs:RegisterTaskDefinition"),
        allow("iam:PassRole", "*", Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
        name="lambda-passer",
    )
    _, code, message = refusal(lambda: to_lambda.client("ecs").register_task_definition(**task_definition(executionRoleArn=execution)))
    assert code == "AccessDeniedException"
    assert message == not_authorized(to_lambda, "lambda-passer", "iam:PassRole", execution)


def test_pass_role_resource_includes_the_role_path(admin: Account, principal: PrincipalFactory) -> None:
    outside = make_role(admin, "acme-stage-auth-execution", path="/")
    passer = principal(allow("ecs:RegisterTaskDefinition"), PASS_OWN_ROLES, name="path-passer")
    _, code, message = refusal(lambda: passer.client("ecs").register_task_definition(**task_definition(executionRoleArn=outside)))
    assert code == "AccessDeniedException"
    assert message == not_authorized(passer, "path-passer", "iam:PassRole", f"arn:aws:iam::{admin.account_id}:role/acme-stage-auth-execution")


def test_create_and_update_service_need_pass_role_for_the_task_definition_roles(admin: Account, principal: PrincipalFactory) -> None:
    """A service starts tasks that assume the task definition's roles: ECS checks that the caller may
    pass them (as it does for RunTask: ECS Developer Guide, "Amazon ECS EventBridge IAM role": "you
    must add iam:PassRole permissions for each task execution role, task role ...")."""
    world = make_ecs_world(admin)
    execution = make_role(admin, "acme-stage-auth-execution")
    with_role = admin.client("ecs").register_task_definition(
        **task_definition(family="auth", executionRoleArn=execution)
    )["taskDefinition"]["taskDefinitionArn"]
    services = allow(["ecs:CreateService", "ecs:UpdateService"], "arn:aws:ecs:us-east-1:*:service/acme/*")
    without = principal(services, name="no-pass")
    world.ecs = without.client("ecs")
    status, code, message = refusal(lambda: world.create_service("auth", taskDefinition=with_role))
    assert (status, code) == (400, "AccessDeniedException")
    assert message == not_authorized(without, "no-pass", "iam:PassRole", execution)
    world.create_service("auth", taskDefinition="auth:1")  # no roles: nothing to pass
    _, code, message = refusal(lambda: world.ecs.update_service(cluster="acme", service="auth", taskDefinition=with_role))
    assert message == not_authorized(without, "no-pass", "iam:PassRole", execution)

    passer = principal(services, PASS_OWN_ROLES)
    updated = passer.client("ecs").update_service(cluster="acme", service="auth", taskDefinition=with_role)
    assert updated["service"]["taskDefinition"] == with_role


def test_create_service_is_authorized_on_the_service_arn_with_the_ecs_cluster_condition(admin: Account, principal: PrincipalFactory) -> None:
    world = make_ecs_world(admin)
    who = principal(
        allow("ecs:CreateService", "arn:aws:ecs:us-east-1:*:service/acme/stage-*",
              Condition={"ArnEquals": {"ecs:cluster": f"arn:aws:ecs:us-east-1:{admin.account_id}:cluster/acme"}}),
        name="stage-only",
    )
    world.ecs = who.client("ecs")
    assert world.create_service("stage-auth")["serviceName"] == "stage-auth"
    _, code, message = refusal(lambda: world.create_service("prod-auth"))
    assert message == not_authorized(who, "stage-only", "ecs:CreateService", f"arn:aws:ecs:us-east-1:{admin.account_id}:service/acme/prod-auth")


# --- tag-on-create ------------------------------------------------------------------------------


def test_elbv2_tags_on_create_need_add_tags(admin: Account, principal: PrincipalFactory) -> None:
    """ELB User Guide, "ELB API permissions to tag resources during creation"."""
    vpc_id = admin.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    arguments = {"Protocol": "HTTP", "Port": 8080, "VpcId": vpc_id, "TargetType": "ip", "Tags": [{"Key": "env", "Value": "stage"}]}
    create_only = principal(allow("elasticloadbalancing:CreateTargetGroup"), name="untagger")
    status, code, message = refusal(lambda: create_only.client("elbv2").create_target_group(Name="acme-stage-auth", **arguments))
    assert (status, code) == (403, "AccessDenied")
    assert message == not_authorized(
        create_only, "untagger", "elasticloadbalancing:AddTags",
        f"arn:aws:elasticloadbalancing:us-east-1:{admin.account_id}:targetgroup/acme-stage-auth/0123456789abcdef",
    )
    tagger = principal(
        allow("elasticloadbalancing:CreateTargetGroup"),
        allow("elasticloadbalancing:AddTags", Condition={"StringEquals": {"elasticloadbalancing:CreateAction": "CreateTargetGroup"}}),
    )
    assert tagger.client("elbv2").create_target_group(Name="acme-stage-auth", **arguments)["TargetGroups"]
    # The same condition does not let it tag an existing resource.
    assert refusal(lambda: tagger.client("elbv2").add_tags(ResourceArns=["arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1"], Tags=[{"Key": "a", "Value": "b"}]))[1] == "AccessDenied"


def test_ecs_tags_on_create_need_tag_resource(principal: PrincipalFactory) -> None:
    """ECS Developer Guide, "Grant permission to tag resources on creation"."""
    who = principal(allow("ecs:CreateCluster"), name="cluster-maker")
    who.client("ecs").create_cluster(clusterName="plain")
    _, code, message = refusal(lambda: who.client("ecs").create_cluster(clusterName="tagged", tags=[{"key": "env", "value": "stage"}]))
    assert message == not_authorized(who, "cluster-maker", "ecs:TagResource", f"arn:aws:ecs:us-east-1:{who.account_id}:cluster/tagged")
    tagger = principal(allow("ecs:CreateCluster"), allow("ecs:TagResource", Condition={"StringEquals": {"ecs:CreateAction": "CreateCluster"}}))
    tagger.client("ecs").create_cluster(clusterName="tagged", tags=[{"key": "env", "value": "stage"}])


def test_ec2_tag_specifications_need_create_tags(admin: Account, principal: PrincipalFactory) -> None:
    vpc_id = admin.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    arguments = {"GroupName": "acme-stage-auth", "Description": "auth", "VpcId": vpc_id}
    tagged = {**arguments, "TagSpecifications": [{"ResourceType": "security-group", "Tags": [{"Key": "env", "Value": "stage"}]}]}
    who = principal(allow("ec2:CreateSecurityGroup", ["arn:aws:ec2:us-east-1:*:security-group/*", "arn:aws:ec2:us-east-1:*:vpc/*"]), name="sg")
    status, code, message = refusal(lambda: who.client("ec2").create_security_group(**tagged))
    assert (status, code) == (403, "UnauthorizedOperation") and "ec2:CreateTags" in message
    assert who.client("ec2").create_security_group(**arguments)["GroupId"].startswith("sg-")


def test_log_group_tags_on_create_need_tag_resource_or_tag_log_group(principal: PrincipalFactory) -> None:
    """CloudWatch Logs API Reference, CreateLogGroup `tags`: logs:TagResource or logs:TagLogGroup."""
    group = "arn:aws:logs:us-east-1:*:log-group:/ecs/acme/stage/*"
    who = principal(allow("logs:CreateLogGroup", group), name="logger")
    _, code, message = refusal(lambda: who.client("logs").create_log_group(logGroupName="/ecs/acme/stage/auth", tags={"env": "stage"}))
    assert code == "AccessDeniedException" and "logs:TagResource" in message
    either = principal(allow(["logs:CreateLogGroup", "logs:TagLogGroup"], group))
    either.client("logs").create_log_group(logGroupName="/ecs/acme/stage/auth", tags={"env": "stage"})


def test_alarm_tags_on_create_need_cloudwatch_tag_resource(principal: PrincipalFactory) -> None:
    """CloudWatch API Reference, PutMetricAlarm `Tags`."""
    who = principal(allow("cloudwatch:PutMetricAlarm", "arn:aws:cloudwatch:us-east-1:*:alarm:acme-stage-*"), name="alarmist")
    _, code, message = refusal(lambda: who.client("cloudwatch").put_metric_alarm(**boto_alarm("acme-stage-auth-cpu")))
    assert code == "AccessDenied" and "cloudwatch:TagResource" in message
    untagged = boto_alarm("acme-stage-auth-cpu")
    del untagged["Tags"]
    who.client("cloudwatch").put_metric_alarm(**untagged)
    # An update ignores Tags (API Reference), so it needs no TagResource.
    who.client("cloudwatch").put_metric_alarm(**boto_alarm("acme-stage-auth-cpu"))
    _, code, _ = refusal(lambda: who.client("cloudwatch").put_metric_alarm(**boto_alarm("acme-prod-auth-cpu")))
    assert code == "AccessDenied"


def test_rotate_secret_needs_invoke_function_on_the_rotation_function(admin: Account, principal: PrincipalFactory) -> None:
    """Secrets Manager API Reference, RotateSecret: "You also need lambda:InvokeFunction permissions
    on the rotation function"."""
    world = admin.control("/world", {})
    function = world["rotation_function_arn"]
    rotate = {"SecretId": "stage/auth/db", "RotationLambdaARN": function, "RotationRules": {"AutomaticallyAfterDays": 30}, "RotateImmediately": False}
    secrets_only = principal(allow("secretsmanager:RotateSecret", "arn:aws:secretsmanager:us-east-1:*:secret:stage/*"), name="rotator")
    _, code, message = refusal(lambda: secrets_only.client("secretsmanager").rotate_secret(**rotate))
    assert code == "AccessDeniedException"
    assert message == not_authorized(secrets_only, "rotator", "lambda:InvokeFunction", function)
    both = principal(allow("secretsmanager:RotateSecret", "arn:aws:secretsmanager:us-east-1:*:secret:stage/*"), allow("lambda:InvokeFunction", function))
    assert both.client("secretsmanager").rotate_secret(**rotate)["Name"] == "stage/auth/db"


def test_secrets_are_authorized_on_their_full_arn(admin: Account, principal: PrincipalFactory) -> None:
    world = admin.control("/world", {})
    arn = world["secrets"]["stage/auth/db"]
    who = principal(allow("secretsmanager:DescribeSecret", "arn:aws:secretsmanager:us-east-1:*:secret:stage/*"), name="reader")
    assert who.client("secretsmanager").describe_secret(SecretId="stage/auth/db")["ARN"] == arn
    _, _, message = refusal(lambda: who.client("secretsmanager").describe_secret(SecretId="prod/auth/db"))
    assert message == not_authorized(who, "reader", "secretsmanager:DescribeSecret", world["secrets"]["prod/auth/db"])


def test_route53_hosted_zone_arns_have_no_account(admin: Account, principal: PrincipalFactory) -> None:
    """Service Authorization Reference, Route 53 `hostedzone`: arn:${Partition}:route53:::hostedzone/${Id}.
    A policy that writes the account into the ARN matches no hosted zone."""
    zone = admin.control("/world", {})["hosted_zone_id"]
    good = principal(allow("route53:ListResourceRecordSets", "arn:aws:route53:::hostedzone/*"))
    assert good.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    with_account = principal(allow("route53:ListResourceRecordSets", f"arn:aws:route53::{admin.account_id}:hostedzone/*"), name="zoned")
    _, code, message = refusal(lambda: with_account.client("route53").list_resource_record_sets(HostedZoneId=zone))
    assert code == "AccessDenied"
    assert message == not_authorized(with_account, "zoned", "route53:ListResourceRecordSets", f"arn:aws:route53:::hostedzone/{zone}")


# --- authentication -----------------------------------------------------------------------------


def test_an_unknown_key_or_a_bad_signature_is_refused(admin: Account) -> None:
    stranger = Account(admin.emulator, admin.account_id, "AKIAUNKNOWNKEY000000", "secret")
    assert refusal(lambda: stranger.client("ecs").list_clusters())[:2] == (400, "UnrecognizedClientException")
    assert refusal(lambda: stranger.client("iam").list_roles())[:2] == (403, "InvalidClientTokenId")
    assert refusal(lambda: stranger.client("ec2").describe_vpcs())[:2] == (401, "AuthFailure")
    forged = Account(admin.emulator, admin.account_id, admin.access_key_id, "not-the-secret")
    assert refusal(lambda: forged.client("ecs").list_clusters())[:2] == (400, "InvalidSignatureException")
    assert refusal(lambda: forged.client("elbv2").describe_load_balancers())[:2] == (403, "SignatureDoesNotMatch")


# --- CloudWatch over rpcv2Cbor (the Rust SDK) ------------------------------------------------------


def test_cbor_cloudwatch_requests_are_authorized_too(principal: PrincipalFactory) -> None:
    alarms = "arn:aws:cloudwatch:us-east-1:*:alarm:acme-stage-*"
    who = principal(allow(["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:DescribeAlarms"], alarms), name="cbor")
    client = CborClient.of(who)
    client.ok("PutMetricAlarm", alarm_members("acme-stage-auth-cpu"))
    denied = client.call("PutMetricAlarm", alarm_members("acme-prod-auth-cpu"))
    assert denied.status == 403
    assert denied.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert denied.headers["x-amzn-query-error"] == "AccessDenied;Sender"
    assert denied.document["__type"] == "com.amazon.coral.service#AccessDeniedException"
    assert denied.document["message"] == not_authorized(
        who, "cbor", "cloudwatch:PutMetricAlarm", f"arn:aws:cloudwatch:us-east-1:{who.account_id}:alarm:acme-prod-auth-cpu"
    )
    # DescribeAlarms without names is authorized on alarm:* (granted here only on acme-stage-*).
    assert client.call("DescribeAlarms", {}).status == 403
    assert [a["AlarmName"] for a in client.ok("DescribeAlarms", {"AlarmNames": ["acme-stage-auth-cpu"]})["MetricAlarms"]] == ["acme-stage-auth-cpu"]


def test_cbor_requests_with_a_bad_signature_are_refused(admin: Account) -> None:
    forged = CborClient(admin.emulator, admin.access_key_id, "not-the-secret")
    answer = forged.call("DescribeAlarms", {})
    assert answer.status == 403
    assert answer.headers["x-amzn-query-error"] == "SignatureDoesNotMatch;Sender"


# --- helpers --------------------------------------------------------------------------------------


def boto_alarm(name: str) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/ECS",
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 3,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Tags": [{"Key": "env", "Value": "stage"}],
    }
