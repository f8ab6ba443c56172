"""What IAM authorizes for one AWS request: the actions, the resource ARNs and the context keys.

AWS authorizes a request as one or more (action, resource, context) checks, all of which must be
allowed (IAM User Guide, "Policy evaluation logic"; the Service Authorization Reference lists, per
action, the resource types it is authorized on and its condition keys). This module derives those
checks from the parsed request for the actions ecsdeploy calls (and the few the standard world
needs). For any other action it answers the action on resource `*`, which is what AWS evaluates for
an action without resource types and is never kinder than AWS for one with them (a statement whose
Resource is an ARN pattern cannot match `*`).

Beyond the call's own action, AWS also authorizes (the "dependent" checks below):

- iam:PassRole on every role the request hands to a service: the task definition's
  executionRoleArn and taskRoleArn (RegisterTaskDefinition, and CreateService/UpdateService for the
  task definition they run), passed to ecs-tasks.amazonaws.com; CreateService's `role` to
  ecs.amazonaws.com; Lambda CreateFunction's role to lambda.amazonaws.com (IAM User Guide, "Grant a
  user permissions to pass a role to an AWS service"; context key iam:PassedToService).
- Tag-on-create: ecs:TagResource when CreateCluster/CreateService/RegisterTaskDefinition carry tags
  (ECS Developer Guide, "Grant permission to tag resources on creation", context ecs:CreateAction);
  elasticloadbalancing:AddTags for CreateLoadBalancer/CreateTargetGroup/CreateListener/CreateRule
  with Tags (ELB User Guide, "ELB API permissions to tag resources during creation",
  elasticloadbalancing:CreateAction); ec2:CreateTags for TagSpecifications (EC2 User Guide, "Grant
  permission to tag Amazon EC2 resources during creation", ec2:CreateAction); cloudwatch:TagResource
  for PutMetricAlarm with Tags creating an alarm (API Reference, PutMetricAlarm `Tags`);
  logs:TagResource or logs:TagLogGroup for CreateLogGroup with tags (API Reference,
  CreateLogGroup `tags`); secretsmanager:TagResource for CreateSecret with Tags (API Reference,
  CreateSecret "Required permissions").
- lambda:InvokeFunction on the rotation function of RotateSecret (Secrets Manager API Reference,
  RotateSecret "Required permissions": "You also need lambda:InvokeFunction permissions on the
  rotation function").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .iam_policy import Request

# The IAM service prefix of a SigV4 signing name, where they differ: CloudWatch signs as
# `monitoring`, the Resource Groups Tagging API as `tagging` (its endpoint prefix; the AWS SDKs'
# signing name) while IAM knows their actions as `cloudwatch:*` and `tag:*` (Service Authorization
# Reference, "Actions, resources, and condition keys for Amazon Resource Group Tagging API":
# service prefix `tag`).
IAM_PREFIX_OF_SIGNING_NAME = {"monitoring": "cloudwatch", "tagging": "tag"}
# The IAM action of an API operation, where the names differ (Service Authorization Reference:
# Lambda's Invoke operation is authorized as lambda:InvokeFunction).
IAM_ACTION_OF_OPERATION = {("lambda", "Invoke"): "InvokeFunction", ("lambda", "InvokeAsync"): "InvokeFunction"}
PLACEHOLDER_ID = "0123456789abcdef"  # the id part of an ELBv2 ARN that does not exist yet


@dataclass(frozen=True)
class Scope:
    """Where a request runs, and its parameters as botocore names them."""

    prefix: str  # IAM service prefix: ecs, elasticloadbalancing, cloudwatch, ...
    operation: str  # ListClusters, CreateService, ...
    params: Mapping[str, Any]
    account_id: str
    region: str
    partition: str = "aws"
    # Context keys every check of the request carries (aws:PrincipalArn, aws:RequestedRegion, ...).
    base_context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return f"{self.prefix}:{self.operation}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:{resource}"

    def global_arn(self, service: str, resource: str, account: bool = True) -> str:
        return f"arn:{self.partition}:{service}::{self.account_id if account else ''}:{resource}"

    def param(self, name: str, default: Any = None) -> Any:
        value = self.params.get(name)
        return default if value is None else value

    def check(self, action: str, resource: str, **context: Any) -> Request:
        merged = {**self.base_context, **{k: v for k, v in context.items() if v is not None}}
        return Request(action, resource, merged)

    def own(self, resource: str, **context: Any) -> Request:
        return self.check(self.action, resource, **context)


Rule = Callable[[Scope], list[Request]]
RULES: dict[str, Rule] = {}


def rule(*actions: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        for action in actions:
            RULES[action] = function
        return function

    return register


def authorization_requests(scope: Scope) -> list[Request]:
    """Every check the request needs, the call's own action first."""
    function = RULES.get(scope.action)
    if function is None:
        return [scope.own("*", **request_tag_context(scope.params))]
    try:
        return function(scope)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        # A request too malformed to name its resource: authorize on `*` (the strict side) and let
        # the service answer the malformed request if that is allowed.
        return [scope.own("*")]


# --- tags -------------------------------------------------------------------------------------


def tags_of(params: Mapping[str, Any]) -> dict[str, str]:
    """The tags a request applies, from any of the shapes AWS APIs use."""
    found: dict[str, str] = {}
    for name in ("Tags", "tags"):
        value = params.get(name)
        if isinstance(value, Mapping):
            found.update({str(k): str(v) for k, v in value.items()})
        elif isinstance(value, list):
            for tag in value:
                if isinstance(tag, Mapping):
                    key = tag.get("Key", tag.get("key"))
                    if key is not None:
                        found[str(key)] = str(tag.get("Value", tag.get("value", "")))
    for specification in params.get("TagSpecifications") or []:
        if isinstance(specification, Mapping):
            found.update(tags_of({"Tags": specification.get("Tags") or []}))
    return found


def request_tag_context(params: Mapping[str, Any]) -> dict[str, Any]:
    tags = tags_of(params)
    if not tags:
        return {}
    return {"aws:TagKeys": sorted(tags), **{f"aws:RequestTag/{key}": value for key, value in tags.items()}}


# --- lookups in moto's state ------------------------------------------------------------------


def _name_of(value: str) -> str:
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def _ecs_backend(scope: Scope) -> Any:
    from moto.ecs.models import ecs_backends

    return dict.get(dict.get(ecs_backends, scope.account_id) or {}, scope.region)


def _iam_backend(scope: Scope) -> Any:
    from moto.iam.models import iam_backends

    return dict.get(dict.get(iam_backends, scope.account_id) or {}, scope.partition)


def task_definition_roles(scope: Scope, task_definition: str | None) -> list[str]:
    """The executionRoleArn and taskRoleArn of an existing task definition (ARN, family:rev, family)."""
    backend = _ecs_backend(scope)
    if not task_definition or backend is None:
        return []
    try:
        definition = backend.describe_task_definition(task_definition)
    except Exception:  # noqa: BLE001 - unknown: the service itself answers that
        return []
    return [role for role in (getattr(definition, "execution_role_arn", None), getattr(definition, "task_role_arn", None)) if role]


def role_arn(scope: Scope, name: str) -> str:
    """A role's ARN with its path when it exists; `role/<name>` (no path known) when it does not."""
    backend = _iam_backend(scope)
    if backend is not None:
        for role in list(backend.roles.values()):
            if role.name == name:
                return role.arn
    return scope.global_arn("iam", f"role/{name}")


def pass_role(scope: Scope, role: str, service: str) -> Request:
    arn = role if role.startswith("arn:") else role_arn(scope, role)
    return scope.check("iam:PassRole", arn, **{"iam:PassedToService": service})


# --- ECS ----------------------------------------------------------------------------------------


def _ecs_cluster(scope: Scope, value: str | None = None) -> tuple[str, str]:
    """(name, ARN) of the request's cluster (default `default`)."""
    value = value or scope.param("cluster") or "default"
    if value.startswith("arn:"):
        return value.rsplit("/", 1)[-1], value
    return value, scope.arn("ecs", f"cluster/{value}")


def _ecs_service_arn(scope: Scope, cluster: str, service: str) -> str:
    if service.startswith("arn:"):
        return service
    return scope.arn("ecs", f"service/{cluster}/{service}")


def _ecs_task_definition_arn(scope: Scope, value: str | None) -> str | None:
    if not value:
        return None
    if value.startswith("arn:"):
        return value
    backend = _ecs_backend(scope)
    if backend is not None:
        try:
            return backend.describe_task_definition(value).arn
        except Exception:  # noqa: BLE001
            pass
    return scope.arn("ecs", f"task-definition/{value}")


def _ecs_tag_on_create(scope: Scope, resource: str) -> list[Request]:
    if not tags_of(scope.params):
        return []
    return [scope.check("ecs:TagResource", resource, **{"ecs:CreateAction": scope.operation}, **request_tag_context(scope.params))]


@rule("ecs:CreateCluster")
def _create_cluster(scope: Scope) -> list[Request]:
    _, arn = _ecs_cluster(scope, scope.param("clusterName"))
    return [scope.own(arn, **request_tag_context(scope.params)), *_ecs_tag_on_create(scope, arn)]


@rule("ecs:DeleteCluster", "ecs:PutClusterCapacityProviders", "ecs:UpdateCluster", "ecs:UpdateClusterSettings")
def _cluster(scope: Scope) -> list[Request]:
    return [scope.own(_ecs_cluster(scope)[1])]


@rule("ecs:DescribeClusters")
def _describe_clusters(scope: Scope) -> list[Request]:
    return [scope.own(_ecs_cluster(scope, name)[1]) for name in (scope.param("clusters") or ["default"])]


@rule("ecs:CreateService", "ecs:UpdateService")
def _create_or_update_service(scope: Scope) -> list[Request]:
    cluster, cluster_arn = _ecs_cluster(scope)
    name = scope.param("serviceName") if scope.operation == "CreateService" else scope.param("service")
    arn = _ecs_service_arn(scope, cluster, name)
    task_definition = scope.param("taskDefinition")
    checks = [
        scope.own(
            arn,
            **{"ecs:cluster": cluster_arn, "ecs:task-definition": _ecs_task_definition_arn(scope, task_definition)},
            **request_tag_context(scope.params),
        )
    ]
    checks += [pass_role(scope, role, "ecs-tasks.amazonaws.com") for role in task_definition_roles(scope, task_definition)]
    if scope.param("role"):
        checks.append(pass_role(scope, scope.param("role"), "ecs.amazonaws.com"))
    if scope.operation == "CreateService":
        checks += _ecs_tag_on_create(scope, arn)
    return checks


@rule("ecs:DeleteService")
def _delete_service(scope: Scope) -> list[Request]:
    cluster, cluster_arn = _ecs_cluster(scope)
    return [scope.own(_ecs_service_arn(scope, cluster, scope.param("service")), **{"ecs:cluster": cluster_arn})]


@rule("ecs:DescribeServices")
def _describe_services(scope: Scope) -> list[Request]:
    cluster, cluster_arn = _ecs_cluster(scope)
    return [
        scope.own(_ecs_service_arn(scope, cluster, service), **{"ecs:cluster": cluster_arn})
        for service in scope.param("services") or []
    ] or [scope.own("*")]


@rule("ecs:ListServices")
def _list_services(scope: Scope) -> list[Request]:
    return [scope.own("*", **{"ecs:cluster": _ecs_cluster(scope)[1]})]


@rule("ecs:RegisterTaskDefinition")
def _register_task_definition(scope: Scope) -> list[Request]:
    family = scope.param("family")
    backend = _ecs_backend(scope)
    revisions = (backend.task_definitions.get(family) or {}) if backend is not None else {}
    arn = scope.arn("ecs", f"task-definition/{family}:{max(revisions, default=0) + 1}")
    checks = [scope.own(arn, **request_tag_context(scope.params))]
    for role in (scope.param("executionRoleArn"), scope.param("taskRoleArn")):
        if role:
            checks.append(pass_role(scope, role, "ecs-tasks.amazonaws.com"))
    return checks + _ecs_tag_on_create(scope, arn)


@rule("ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource")
def _ecs_tags(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("resourceArn"), **request_tag_context(scope.params))]


# --- Elastic Load Balancing v2 ------------------------------------------------------------------

_LB_TYPE = {"application": "app", "network": "net", "gateway": "gwy"}


def _elb_tag_on_create(scope: Scope, resource: str) -> list[Request]:
    if not tags_of(scope.params):
        return []
    return [
        scope.check(
            "elasticloadbalancing:AddTags",
            resource,
            **{"elasticloadbalancing:CreateAction": scope.operation},
            **request_tag_context(scope.params),
        )
    ]


@rule("elasticloadbalancing:CreateLoadBalancer")
def _create_load_balancer(scope: Scope) -> list[Request]:
    kind = _LB_TYPE.get(scope.param("Type", "application"), "app")
    arn = scope.arn("elasticloadbalancing", f"loadbalancer/{kind}/{scope.param('Name')}/{PLACEHOLDER_ID}")
    return [scope.own(arn, **request_tag_context(scope.params)), *_elb_tag_on_create(scope, arn)]


@rule(
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:SetIpAddressType",
)
def _load_balancer(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("LoadBalancerArn"))]


@rule("elasticloadbalancing:CreateListener")
def _create_listener(scope: Scope) -> list[Request]:
    load_balancer = scope.param("LoadBalancerArn")
    listener = load_balancer.replace(":loadbalancer/", ":listener/", 1) + f"/{PLACEHOLDER_ID}"
    return [scope.own(load_balancer, **request_tag_context(scope.params)), *_elb_tag_on_create(scope, listener)]


@rule("elasticloadbalancing:DeleteListener", "elasticloadbalancing:ModifyListener")
def _listener(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("ListenerArn"))]


@rule("elasticloadbalancing:CreateRule")
def _create_rule(scope: Scope) -> list[Request]:
    listener = scope.param("ListenerArn")
    rule_arn = listener.replace(":listener/", ":listener-rule/", 1) + f"/{PLACEHOLDER_ID}"
    return [scope.own(listener, **request_tag_context(scope.params)), *_elb_tag_on_create(scope, rule_arn)]


@rule("elasticloadbalancing:ModifyRule", "elasticloadbalancing:DeleteRule")
def _rule(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("RuleArn"))]


@rule("elasticloadbalancing:SetRulePriorities")
def _set_rule_priorities(scope: Scope) -> list[Request]:
    return [scope.own(pair["RuleArn"]) for pair in scope.param("RulePriorities") or []] or [scope.own("*")]


@rule("elasticloadbalancing:CreateTargetGroup")
def _create_target_group(scope: Scope) -> list[Request]:
    arn = scope.arn("elasticloadbalancing", f"targetgroup/{scope.param('Name')}/{PLACEHOLDER_ID}")
    return [scope.own(arn, **request_tag_context(scope.params)), *_elb_tag_on_create(scope, arn)]


@rule(
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
)
def _target_group(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("TargetGroupArn"))]


@rule("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags")
def _elb_tags(scope: Scope) -> list[Request]:
    context = request_tag_context(scope.params)
    if scope.operation == "RemoveTags":
        context = {"aws:TagKeys": sorted(scope.param("TagKeys") or [])}
    return [scope.own(arn, **context) for arn in scope.param("ResourceArns") or []] or [scope.own("*")]


# --- EC2 ----------------------------------------------------------------------------------------

_EC2_ID_PREFIXES = {
    "sg-": "security-group",
    "vpc-": "vpc",
    "subnet-": "subnet",
    "rtb-": "route-table",
    "igw-": "internet-gateway",
    "nat-": "natgateway",
    "eipalloc-": "elastic-ip",
    "vpce-": "vpc-endpoint",
    "i-": "instance",
    "eni-": "network-interface",
}


def _ec2_arn(scope: Scope, resource_id: str) -> str:
    for prefix, kind in _EC2_ID_PREFIXES.items():
        if resource_id.startswith(prefix):
            return scope.arn("ec2", f"{kind}/{resource_id}")
    return "*"


@rule("ec2:CreateSecurityGroup")
def _create_security_group(scope: Scope) -> list[Request]:
    group = scope.arn("ec2", "security-group/*")
    context = request_tag_context(scope.params)
    checks = [scope.own(group, **context)]
    if scope.param("VpcId"):
        checks.append(scope.own(scope.arn("ec2", f"vpc/{scope.param('VpcId')}"), **{"ec2:VpcID": scope.param("VpcId")}))
    if tags_of(scope.params):
        checks.append(scope.check("ec2:CreateTags", group, **{"ec2:CreateAction": "CreateSecurityGroup"}, **context))
    return checks


@rule(
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:DeleteSecurityGroup",
)
def _security_group(scope: Scope) -> list[Request]:
    group = scope.param("GroupId")
    if not group:
        return [scope.own("*")]
    return [scope.own(scope.arn("ec2", f"security-group/{group}"), **{"ec2:SecurityGroupID": group})]


@rule("ec2:CreateTags", "ec2:DeleteTags")
def _ec2_tags(scope: Scope) -> list[Request]:
    context = request_tag_context(scope.params)
    return [scope.own(_ec2_arn(scope, resource), **context) for resource in scope.param("Resources") or []] or [
        scope.own("*")
    ]


# --- IAM ----------------------------------------------------------------------------------------


@rule("iam:CreateRole")
def _create_role(scope: Scope) -> list[Request]:
    path = scope.param("Path") or "/"
    return [scope.own(scope.global_arn("iam", f"role{path}{scope.param('RoleName')}"), **request_tag_context(scope.params))]


@rule(
    "iam:GetRole",
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:GetRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:ListRoleTags",
)
def _role(scope: Scope) -> list[Request]:
    context = request_tag_context(scope.params)
    if scope.operation == "UntagRole":
        context = {"aws:TagKeys": sorted(scope.param("TagKeys") or [])}
    return [scope.own(role_arn(scope, scope.param("RoleName")), **context)]


@rule("iam:GetAccountAuthorizationDetails")
def _account_authorization_details(scope: Scope) -> list[Request]:
    # Service Authorization Reference (IAM): GetAccountAuthorizationDetails has no resource types,
    # so it is authorized on `*` only.
    return [scope.own("*")]


@rule("iam:PassRole")
def _pass_role_call(scope: Scope) -> list[Request]:  # not an API call; listed for completeness
    return [scope.own("*")]


@rule("iam:CreateServiceLinkedRole")
def _create_service_linked_role(scope: Scope) -> list[Request]:
    service = scope.param("AWSServiceName")
    return [scope.own(scope.global_arn("iam", f"role/aws-service-role/{service}/*"), **{"iam:AWSServiceName": service})]


# --- CloudWatch Logs ----------------------------------------------------------------------------


def _log_group(scope: Scope, name: str) -> str:
    # The ARN AWS names in a log-group action's denial: "...:log-group:<name>:log-stream:".
    return scope.arn("logs", f"log-group:{name}:log-stream:")


@rule("logs:CreateLogGroup")
def _create_log_group(scope: Scope) -> list[Request]:
    arn = _log_group(scope, scope.param("logGroupName"))
    context = request_tag_context(scope.params)
    checks = [scope.own(arn, **context)]
    if tags_of(scope.params):
        checks.append(_any_of(scope.check("logs:TagResource", arn, **context), scope.check("logs:TagLogGroup", arn, **context)))
    return checks


@rule("logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:DescribeLogStreams")
def _log_group_action(scope: Scope) -> list[Request]:
    return [scope.own(_log_group(scope, scope.param("logGroupName")))]


@rule("logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource")
def _logs_tags(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("resourceArn"), **request_tag_context(scope.params))]


# --- CloudWatch ---------------------------------------------------------------------------------


def _alarm(scope: Scope, name: str) -> str:
    return scope.arn("cloudwatch", f"alarm:{name}")


@rule("cloudwatch:PutMetricAlarm")
def _put_metric_alarm(scope: Scope) -> list[Request]:
    name = scope.param("AlarmName")
    arn = _alarm(scope, name)
    context = request_tag_context(scope.params)
    checks = [scope.own(arn, **context)]
    if tags_of(scope.params) and not _alarm_exists(scope, name):
        checks.append(scope.check("cloudwatch:TagResource", arn, **context))
    return checks


def _alarm_exists(scope: Scope, name: str) -> bool:
    from moto.cloudwatch.models import cloudwatch_backends

    backend = dict.get(dict.get(cloudwatch_backends, scope.account_id) or {}, scope.region)
    return backend is not None and name in backend.alarms


@rule("cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms")
def _alarms(scope: Scope) -> list[Request]:
    names = scope.param("AlarmNames") or []
    return [scope.own(_alarm(scope, name)) for name in names] or [scope.own(_alarm(scope, "*"))]


@rule("cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource")
def _cloudwatch_tags(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("ResourceARN"), **request_tag_context(scope.params))]


# --- DynamoDB -----------------------------------------------------------------------------------


@rule(
    "dynamodb:CreateTable",
    "dynamodb:DescribeTable",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:UpdateTimeToLive",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:UpdateContinuousBackups",
)
def _table(scope: Scope) -> list[Request]:
    name = scope.param("TableName")
    arn = name if name.startswith("arn:") else scope.arn("dynamodb", f"table/{name}")
    return [scope.own(arn, **request_tag_context(scope.params))]


@rule("dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:ListTagsOfResource")
def _dynamodb_tags(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("ResourceArn"), **request_tag_context(scope.params))]


# --- ECR ----------------------------------------------------------------------------------------


def _repository(scope: Scope, name: str) -> str:
    registry = scope.param("registryId") or scope.account_id
    return f"arn:{scope.partition}:ecr:{scope.region}:{registry}:repository/{name}"


@rule(
    "ecr:CreateRepository",
    "ecr:DeleteRepository",
    "ecr:PutImageTagMutability",
    "ecr:PutImageScanningConfiguration",
    "ecr:PutLifecyclePolicy",
    "ecr:GetLifecyclePolicy",
    "ecr:DeleteLifecyclePolicy",
    "ecr:DescribeImages",
    "ecr:DescribeImageScanFindings",
    "ecr:BatchGetImage",
    "ecr:PutImage",
    "ecr:ListImages",
    "ecr:BatchDeleteImage",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:SetRepositoryPolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:StartImageScan",
)
def _repository_action(scope: Scope) -> list[Request]:
    return [scope.own(_repository(scope, scope.param("repositoryName")), **request_tag_context(scope.params))]


@rule("ecr:DescribeRepositories")
def _describe_repositories(scope: Scope) -> list[Request]:
    names = scope.param("repositoryNames") or []
    return [scope.own(_repository(scope, name)) for name in names] or [scope.own(_repository(scope, "*"))]


@rule("ecr:TagResource", "ecr:UntagResource", "ecr:ListTagsForResource")
def _ecr_tags(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("resourceArn"), **request_tag_context(scope.params))]


# --- Route 53 -----------------------------------------------------------------------------------


def _zone_id(value: str) -> str:
    return value.rsplit("/", 1)[-1]


@rule(
    "route53:ChangeResourceRecordSets",
    "route53:ListResourceRecordSets",
    "route53:GetHostedZone",
    "route53:DeleteHostedZone",
    "route53:ChangeTagsForResource",
)
def _hosted_zone(scope: Scope) -> list[Request]:
    zone = scope.param("HostedZoneId") or scope.param("Id") or scope.param("ResourceId")
    return [scope.own(f"arn:{scope.partition}:route53:::hostedzone/{_zone_id(zone)}")]


@rule("route53:GetChange")
def _change(scope: Scope) -> list[Request]:
    return [scope.own(f"arn:{scope.partition}:route53:::change/{_zone_id(scope.param('Id'))}")]


# --- Secrets Manager ----------------------------------------------------------------------------


def _secret_arn(scope: Scope, secret_id: str) -> str:
    from moto.secretsmanager.models import secretsmanager_backends

    backend = dict.get(dict.get(secretsmanager_backends, scope.account_id) or {}, scope.region)
    if backend is not None:
        try:
            return backend.secrets[secret_id].arn
        except (KeyError, Exception):  # noqa: BLE001 - not found: the service answers that
            pass
    if secret_id.startswith("arn:"):
        return secret_id
    return scope.arn("secretsmanager", f"secret:{secret_id}")


@rule("secretsmanager:CreateSecret")
def _create_secret(scope: Scope) -> list[Request]:
    arn = scope.arn("secretsmanager", f"secret:{scope.param('Name')}-??????")
    context = request_tag_context(scope.params)
    checks = [scope.own(arn, **context)]
    if tags_of(scope.params):
        checks.append(scope.check("secretsmanager:TagResource", arn, **context))
    return checks


@rule(
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:RestoreSecret",
    "secretsmanager:CancelRotateSecret",
    "secretsmanager:TagResource",
    "secretsmanager:UntagResource",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:DeleteResourcePolicy",
    "secretsmanager:ListSecretVersionIds",
    "secretsmanager:UpdateSecretVersionStage",
)
def _secret(scope: Scope) -> list[Request]:
    secret_id = scope.param("SecretId")
    return [scope.own(_secret_arn(scope, secret_id), **{"secretsmanager:SecretId": _secret_arn(scope, secret_id)}, **request_tag_context(scope.params))]


@rule("secretsmanager:RotateSecret")
def _rotate_secret(scope: Scope) -> list[Request]:
    arn = _secret_arn(scope, scope.param("SecretId"))
    function = scope.param("RotationLambdaARN")
    immediately = scope.param("RotateImmediately")
    checks = [
        scope.own(
            arn,
            **{
                "secretsmanager:SecretId": arn,
                "secretsmanager:RotationLambdaARN": function,
                "secretsmanager:RotateImmediately": None if immediately is None else str(bool(immediately)).lower(),
            },
        )
    ]
    if function:
        checks.append(scope.check("lambda:InvokeFunction", _function_arn(scope, function)))
    return checks


# --- Lambda -------------------------------------------------------------------------------------


def _function_arn(scope: Scope, name: str) -> str:
    if name.startswith("arn:"):
        return name
    if ":" in name:  # 123456789012:function:name
        return f"arn:{scope.partition}:lambda:{scope.region}:{name}"
    return scope.arn("lambda", f"function:{name}")


@rule(
    "lambda:InvokeFunction",
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:DeleteFunction",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "lambda:AddPermission",
    "lambda:RemovePermission",
    "lambda:GetPolicy",
)
def _function(scope: Scope) -> list[Request]:
    return [scope.own(_function_arn(scope, scope.param("FunctionName")))]


@rule("lambda:CreateFunction")
def _create_function(scope: Scope) -> list[Request]:
    checks = [scope.own(_function_arn(scope, scope.param("FunctionName")), **request_tag_context(scope.params))]
    if scope.param("Role"):
        checks.append(pass_role(scope, scope.param("Role"), "lambda.amazonaws.com"))
    return checks


# --- Resource Groups Tagging API ----------------------------------------------------------------


@rule("tag:GetResources", "tag:GetTagKeys", "tag:GetTagValues")
def _tagging_reads(scope: Scope) -> list[Request]:
    # Service Authorization Reference, Resource Group Tagging API (prefix `tag`): these actions have
    # no resource types, so they are authorized on `*` only. Only the tag: action is checked.
    return [scope.own("*")]


# --- ACM, Application Auto Scaling, STS ---------------------------------------------------------


@rule("acm:DescribeCertificate", "acm:GetCertificate", "acm:DeleteCertificate", "acm:ListTagsForCertificate")
def _certificate(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("CertificateArn"))]


@rule(
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:DeleteScalingPolicy",
)
def _scalable_target(scope: Scope) -> list[Request]:
    # AWS authorizes these on the scalable target's own ARN (`scalable-target/<opaque id>`), which
    # moto does not model: authorized on `*`, so only a statement with Resource `*` grants them.
    return [
        scope.own(
            "*",
            **{
                "application-autoscaling:service-namespace": scope.param("ServiceNamespace"),
                "application-autoscaling:scalable-dimension": scope.param("ScalableDimension"),
            },
            **request_tag_context(scope.params),
        )
    ]


@rule("sts:AssumeRole")
def _assume_role(scope: Scope) -> list[Request]:
    return [scope.own(scope.param("RoleArn"))]


# --- a check that any one of several actions allows -----------------------------------------------


@dataclass(frozen=True)
class AnyOf:
    """A check satisfied when any one of `requests` is allowed (e.g. logs:TagResource or TagLogGroup)."""

    requests: tuple[Request, ...]

    @property
    def action(self) -> str:
        return self.requests[0].action

    @property
    def resource(self) -> str:
        return self.requests[0].resource


def _any_of(*requests: Request) -> Any:
    return AnyOf(tuple(requests))


def describe(requests: Iterable[Any]) -> str:
    """For logs: the checks as `action on resource` lines."""
    return json.dumps([f"{request.action} on {request.resource}" for request in requests])
