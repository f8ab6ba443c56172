"""EC2 DeleteSecurityGroup: a group still in use is not deleted.

EC2 API Reference, DeleteSecurityGroup: "If you attempt to delete a security group that is
associated with an instance or network interface, is referenced by another security group in the
same VPC, or has a VPC association, the operation fails with DependencyViolation." AWS's message is
`resource sg-... has a dependent object` (as the AWS CLI, Terraform and cloud-nuke record it).
moto 5.2.5 deleted any group.

In use, here:

- referenced by another security group's ingress or egress rule (`UserIdGroupPairs`); a group's
  rules that name the group itself do not count;
- a network interface in moto's EC2 model with the group (instances, interface VPC endpoints,
  moto's own RunTask tasks while they are not STOPPED) or an interface VPC endpoint that is not
  deleted;
- a load balancer (ELBv2, and classic ELB) whose security groups include it: an ALB's nodes are
  network interfaces with the load balancer's groups;
- an ECS service's tasks: the emulator's simulated tasks create no ENIs in moto, so the live
  service stands for their network interfaces. A service that is ACTIVE or DRAINING whose
  `awsvpcConfiguration.securityGroups` names the group and whose desired count is above 0, or that
  still has a simulated task (PENDING or RUNNING, in any deployment) whose deployment's network
  configuration names it.

Kinder in time than AWS, never in outcome: AWS releases the network interfaces of a deleted load
balancer or of stopped tasks minutes later (until then it still answers DependencyViolation); here
the group is free as soon as the load balancer is deleted or the service has no task and no
desired count.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.exceptions import DependencyViolationError
from moto.ec2.models import EC2Backend

from .common import Wrap, before


def _group_of(backend: EC2Backend, arguments: dict[str, Any]) -> Any:
    group_id = arguments.get("group_id")
    if group_id:
        return backend.get_security_group_from_id(group_id)
    name = arguments.get("name")
    return backend.get_security_group_by_name_or_id(name) if name else None


def dependents(backend: EC2Backend, group: Any) -> list[str]:
    """What still uses `group`, each as '<kind> <id>' (empty: it may be deleted)."""
    found: list[str] = []
    found += _referencing_groups(backend, group)
    found += _network_interfaces(backend, group)
    found += _load_balancers(backend, group)
    found += _ecs_services(backend, group)
    return found


def _referencing_groups(backend: EC2Backend, group: Any) -> list[str]:
    found = []
    for groups in list(backend.groups.values()):
        for other in list(groups.values()):
            if other.id == group.id:
                continue
            for rule in [*other.ingress_rules, *other.egress_rules]:
                source = rule.source_group or {}
                if source.get("GroupId") == group.id or (
                    not source.get("GroupId") and source.get("GroupName") == group.name and other.vpc_id == group.vpc_id
                ):
                    found.append(f"security group {other.id}")
                    break
    return found


def _stopped_task_interfaces(backend: EC2Backend) -> set[str]:
    """ENIs of moto's own RunTask tasks that have stopped (moto never deletes them)."""
    from moto.ecs.models import ecs_backends

    ecs = (dict.get(ecs_backends, backend.account_id) or {}).get(backend.region_name)
    released: set[str] = set()
    if ecs is None:
        return released
    for tasks in list(ecs.tasks.values()):
        for task in list(tasks.values()):
            if task.last_status != "STOPPED":
                continue
            for attachment in task.attachments or []:
                for detail in attachment.get("details", []):
                    if detail.get("name") == "networkInterfaceId":
                        released.add(detail.get("value"))
    return released


def _network_interfaces(backend: EC2Backend, group: Any) -> list[str]:
    found = []
    released = None
    for eni in list(backend.enis.values()):
        groups = {getattr(item, "id", item) for item in eni.group_set or []}
        if group.id not in groups:
            continue
        if released is None:
            released = _stopped_task_interfaces(backend)
        if eni.id not in released:
            found.append(f"network interface {eni.id}")
    for endpoint in list(backend.vpc_end_points.values()):
        if endpoint.state != "deleted" and group.id in (endpoint.security_group_ids or []):
            found.append(f"VPC endpoint {endpoint.id}")
    return found


def _load_balancers(backend: EC2Backend, group: Any) -> list[str]:
    from moto.elb.models import elb_backends
    from moto.elbv2.models import elbv2_backends

    found = []
    elbv2 = (dict.get(elbv2_backends, backend.account_id) or {}).get(backend.region_name)
    for load_balancer in list(elbv2.load_balancers.values()) if elbv2 is not None else []:
        if group.id in (load_balancer.security_groups or []):
            found.append(f"load balancer {load_balancer.arn}")
    elb = (dict.get(elb_backends, backend.account_id) or {}).get(backend.region_name)
    for load_balancer in list(elb.load_balancers.values()) if elb is not None else []:
        if group.id in (getattr(load_balancer, "security_groups", None) or []):
            found.append(f"load balancer {load_balancer.name}")
    return found


def _awsvpc_groups(network_configuration: Any) -> list[str]:
    if not isinstance(network_configuration, dict):
        return []
    return list((network_configuration.get("awsvpcConfiguration") or {}).get("securityGroups") or [])


def _ecs_services(backend: EC2Backend, group: Any) -> list[str]:
    from moto.ecs.models import ecs_backends

    from .. import rollout

    found = []
    ecs = (dict.get(ecs_backends, backend.account_id) or {}).get(backend.region_name)
    if ecs is not None:
        rollout.advance_account(backend.account_id)  # the tasks as they are now, in simulated time
    for service in list(ecs.services.values()) if ecs is not None else []:
        if service.status not in ("ACTIVE", "DRAINING"):
            continue
        uses = group.id in _awsvpc_groups(service.network_configuration) and (service.desired_count or 0) > 0
        model = rollout.rollout_of(service)
        if model is not None and not uses:
            uses = any(
                deployment.tasks and group.id in _awsvpc_groups(deployment.network_configuration)
                for deployment in model.deployments
            )
        if uses:
            found.append(f"ECS service {service.arn}")
    return found


def _delete_security_group(backend: EC2Backend, arguments: dict[str, Any]) -> None:
    """DeleteSecurityGroup: DependencyViolation while anything uses the group."""
    group = _group_of(backend, arguments)
    if group is None:
        return  # moto answers InvalidGroup.NotFound
    if dependents(backend, group):
        raise DependencyViolationError(f"resource {group.id} has a dependent object")


WRAPS: list[Wrap] = [(EC2Backend, "delete_security_group", before(_delete_security_group))]
