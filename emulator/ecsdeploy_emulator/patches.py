"""Wires the extension into moto's ECS and ELBv2 classes (called once, before the server starts).

Each patch wraps moto's own method and runs it unchanged; the extension only adds what moto lacks:

- CreateService (response level, since moto's backend method never sees the extra parameters):
  refuse a duplicate name, keep the fields moto drops, start the first deployment.
- UpdateService: store the task definition as a full ARN, merge deploymentConfiguration, and start a
  deployment when ECS would (new task definition, forceNewDeployment, network/load balancer/platform/
  capacity-provider change) or resize the PRIMARY when only desiredCount changed.
- DescribeServices: the account's rollouts are advanced to its simulated time first (`clock`).
- DeleteService: deregisters the service's targets.
- Every other call that observes or changes what the rollouts depend on (Create/Update/DeleteService;
  ELBv2 DescribeTargetHealth, ModifyTargetGroup, ModifyTargetGroupAttributes, Register/
  DeregisterTargets) advances the account's rollouts to now first; a change then settles at once.
- ListServices: leaves out INACTIVE services.
- Response `include` switches (DescribeServices include=TAGS) per request, not per class: see
  `response_keys`.
- Secrets Manager RotateSecret with RotateImmediately=false: configure rotation without invoking
  the function (moto's needs Docker), keep the rules as given (see `secret_rotation`).
- ECR DescribeImageScanFindings: per-account findings set through the control API (see
  `scan_findings`).
- Account lookup by access key: no longer creates IAM backends as a side effect (see `accounts`).
- ELBv2 target groups: per-target health overrides (see `targets`).
- CloudWatch DescribeAlarms (alarm types, name order, MaxRecords/NextToken pages), PutMetricAlarm
  (an update ignores tags), DeleteAlarms (drops the alarm's tags): see `cloudwatch_alarms`.
- Application Load Balancer attributes: AWS's defaults, validated changes (see `alb_attributes`).
- Idempotent creates: ELBv2 CreateLoadBalancer/CreateTargetGroup/CreateListener with the same
  settings answer the existing resource, ECS RunTask with a clientToken already used answers its
  tasks (see `idempotent_creates`); CreateService with the same clientToken and parameters (`service_fields`).
- Application Auto Scaling: a policy's target tracking alarms are replaced on update, not
  duplicated; DeregisterScalableTarget deletes its policies (see `scaling_policies`).
- Resource Groups Tagging API GetResources: a tag index that lags the services, for alarms, log
  groups, ECR repositories, target groups and load balancers (see `tagging_index`); DeleteLogGroup
  deletes the group's tags.
- IAM GetAccountAuthorizationDetails: MaxItems/Marker pages, checked Filter, URL-encoded trust
  policies (see `iam_details`).
- Validation AWS does and moto does not (rule priorities and condition limits, ALB quotas of rules
  and unique target groups per load balancer, Fargate task sizes, secret references, load balancer
  bindings, role names, policy sizes, log retention, `aws:` tag keys, security groups in use,
  deletion protection, Route53 change batches): see `validation`.
  Registered last, so the checks run before any other wrap.
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.models import CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult
from moto.ecs.models import EC2ContainerServiceBackend, Service
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.models import ELBv2Backend

from . import (
    accounts,
    alb_attributes,
    cloudwatch_alarms,
    idempotent_creates,
    response_keys,
    rollout,
    rule_transforms,
    scaling_policies,
    scan_findings,
    iam_details,
    secret_rotation,
    service_fields,
    tagging_index,
    targets,
    validation,
)
from .locking import EXTENSION_LOCK

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    accounts.install_fast_key_lookup()
    response_keys.install()
    scan_findings.install()
    secret_rotation.install()
    targets.install()
    rule_transforms.install()
    tagging_index.install()
    _wrap(EC2ContainerServiceResponse, "create_service", _create_service)
    _wrap(EC2ContainerServiceBackend, "update_service", _update_service)
    _wrap(EC2ContainerServiceBackend, "describe_services", _describe_services)
    _wrap(EC2ContainerServiceBackend, "delete_service", _delete_service)
    _wrap(EC2ContainerServiceBackend, "list_services", _list_services)
    _wrap(ELBv2Backend, "describe_target_health", _observing_elbv2)
    for name in ("modify_target_group", "modify_target_group_attributes", "register_targets", "deregister_targets"):
        _wrap(ELBv2Backend, name, _changing_elbv2)
    _wrap(CloudWatchResponse, "describe_alarms", cloudwatch_alarms.describe_alarms)
    _wrap(CloudWatchBackend, "put_metric_alarm", cloudwatch_alarms.put_metric_alarm)
    _wrap(CloudWatchBackend, "delete_alarms", cloudwatch_alarms.delete_alarms)
    for cls, name, replacement in [
        *alb_attributes.WRAPS,
        *idempotent_creates.WRAPS,
        *scaling_policies.WRAPS,
        *tagging_index.WRAPS,
        *iam_details.WRAPS,
        *validation.WRAPS,
    ]:
        _wrap(cls, name, replacement)


def _wrap(cls: type, name: str, replacement: Any) -> None:
    original = getattr(cls, name)

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with EXTENSION_LOCK:
            return replacement(original, self, *args, **kwargs)

    wrapper.__name__ = name
    wrapper.__doc__ = replacement.__doc__
    wrapper.__wrapped__ = original  # type: ignore[attr-defined]  # inspect.signature sees moto's
    setattr(cls, name, wrapper)


def _create_service(original: Any, response: EC2ContainerServiceResponse) -> Any:
    """CreateService: duplicate check (a repeat with the same clientToken answers the service),
    preserved fields, first deployment."""
    backend = response.ecs_backend
    cluster = response._get_param("cluster", "default")
    service_name = response._get_param("serviceName")
    params = dict(response._get_params())
    repeated = service_fields.refuse_duplicate(backend, cluster, service_name, params)
    rollout.advance_account(backend.account_id)
    if repeated is not None:  # the same clientToken and parameters: the service as it is now
        return ActionResult({"service": repeated})
    result = original(response)
    service = backend.services[f"{cluster.split('/')[-1]}:{service_name}"]
    service_fields.remember_create_request(service, params)
    service_fields.apply_create_fields(service, response._get_param)
    if service.deployment_controller.get("type") == "ECS" and service.task_definition:
        rollout.attach(service)
    return result


def _update_service(
    original: Any, backend: EC2ContainerServiceBackend, properties: dict[str, Any]
) -> Service:
    """UpdateService: full task definition ARN; a deployment only when ECS would start one."""
    given = dict(properties)  # moto pops from `properties`
    service = backend._get_service(given.get("cluster", "default"), given["service"].split("/")[-1])
    service_fields.refuse_inactive(service)
    rollout.advance_account(backend.account_id)  # what happened until now happened before the change
    before = service_fields.snapshot(service)
    previous_task_definition = service.task_definition
    previous_desired_count = service.desired_count
    previous_configuration = getattr(service, "deployment_configuration", None)
    task_definition = None
    if given.get("task_definition"):
        task_definition = backend.describe_task_definition(given["task_definition"]).arn

    service = original(backend, properties)

    if task_definition:
        service.task_definition = task_definition
    if given.get("deployment_configuration") is not None:
        service.deployment_configuration = service_fields.merge_deployment_configuration(
            previous_configuration, given["deployment_configuration"]
        )
    if given.get("capacity_provider_strategy"):
        service.launch_type = None
    model = rollout.rollout_of(service)
    if model is None:
        return service
    is_new_task_definition = task_definition is not None and task_definition != previous_task_definition
    if (
        given.get("force_new_deployment")
        or is_new_task_definition
        or service_fields.changed_deployment_settings(before, given)
    ):
        model.start_deployment()
    elif given.get("desired_count") is not None and service.desired_count != previous_desired_count:
        model.change_desired_count()
    model.settle()  # a new deployment launches at once; a shorter grace period may replace tasks now
    model.sync()
    return service


def _describe_services(
    original: Any, backend: EC2ContainerServiceBackend, cluster: str, names: list[str]
) -> tuple[list[Service], list[dict[str, str]]]:
    """DescribeServices: the account's rollouts as they are now, in simulated time."""
    rollout.advance_account(backend.account_id)
    return original(backend, cluster, names)


def _delete_service(
    original: Any, backend: EC2ContainerServiceBackend, cluster: str, service_name: str, force: bool
) -> Service:
    """DeleteService: moto marks the service INACTIVE; its targets are deregistered."""
    rollout.advance_account(backend.account_id)
    service = original(backend, cluster, service_name, force)
    model = rollout.rollout_of(service)
    if model is not None:
        model.tear_down()
        model.sync()
    return service


def _observing_elbv2(original: Any, backend: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
    """DescribeTargetHealth: the targets' health as it is now, in simulated time."""
    rollout.advance_account(backend.account_id)
    return original(backend, *args, **kwargs)


def _changing_elbv2(original: Any, backend: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
    """A change to target groups or their targets: after what happened until now, with effect now."""
    rollout.advance_account(backend.account_id)
    result = original(backend, *args, **kwargs)
    rollout.settle_account(backend.account_id)
    return result


def _list_services(
    original: Any, backend: EC2ContainerServiceBackend, *args: Any, **kwargs: Any
) -> list[str]:
    """ListServices: INACTIVE services are gone for AWS."""
    inactive = {s.arn for s in backend.services.values() if not service_fields.is_listed(s)}
    return [arn for arn in original(backend, *args, **kwargs) if arn not in inactive]
