"""ECS rolling-update deployments that progress one step per DescribeServices poll.

AWS: Developer Guide, "Deploy Amazon ECS services by replacing tasks" (rolling update) and "How the
Amazon ECS deployment circuit breaker detects failures". A new deployment becomes PRIMARY, the old
PRIMARY becomes ACTIVE. The PRIMARY launches tasks; when it reaches a steady state it is COMPLETED
and the older deployments' tasks are stopped and their targets drained. When the circuit breaker
trips the deployment is FAILED; with `rollback` on, ECS starts a new deployment of the task
definition of the last COMPLETED deployment.

Here wall-clock time is replaced by polls: each DescribeServices that returns the service advances
the PRIMARY deployment one step, following its scripted outcome (see `scripts`):

- complete: tasks launch over the first `steps - 1` polls (targets `initial` until the next poll,
  then the scripted health, or the app's health check when an app is scripted for the service:
  see `apps`); at poll `steps` all tasks run and the deployment is COMPLETED.
- fail: each poll the previous attempt's tasks fail (`failedTasks`) and new ones start; at poll
  `steps` the deployment is FAILED, followed by the rollback when the service asked for it.
- stuck: tasks start and stop every poll; the deployment stays IN_PROGRESS for ever.

Targets drained at one poll are deregistered at the next poll of the same service.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from moto.ec2 import ec2_backends
from moto.ecs.models import Service, ecs_backends

from . import apps, events, targets
from .deployment import (
    ACTIVE,
    CIRCUIT_BREAKER_REASON,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    PENDING,
    RUNNING,
    Deployment,
    SimulatedTask,
    TargetRegistration,
    allocate_private_ip,
    new_task_id,
    now,
)
from .scripts import queue_for

_USED_IPS: dict[str, set[str]] = {}


@dataclass
class ServiceRollout:
    """The deployments, events and draining targets of one ECS service (attached to moto's Service)."""

    service: Service
    deployments: list[Deployment] = field(default_factory=list)
    event_log: events.ServiceEventLog = field(default_factory=events.ServiceEventLog)
    draining: list[tuple[str, str]] = field(default_factory=list)
    last_completed_task_definition: str | None = None

    @property
    def account_id(self) -> str:
        return self.service._account_id

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def primary(self) -> Deployment:
        return self.deployments[0]

    # --- lifecycle entry points (called from `patches`, under the extension lock) -------------

    def start_deployment(self, task_definition: str | None = None) -> Deployment:
        """A new PRIMARY deployment of the service's current configuration; the old one turns ACTIVE."""
        for deployment in self.deployments:
            deployment.status = ACTIVE
        service = self.service
        deployment = Deployment(
            task_definition=task_definition or service.task_definition,
            desired_count=service.desired_count,
            script=queue_for(self.account_id).take(service.cluster_name, service.name),
            launch_type=service.launch_type,
            capacity_provider_strategy=getattr(service, "capacity_provider_strategy", None),
            platform_version=service.platform_version,
            network_configuration=service.network_configuration or None,
        )
        self.deployments.insert(0, deployment)
        return deployment

    def poll(self) -> None:
        """One DescribeServices poll: finish draining, settle target health, step the PRIMARY."""
        self._finish_draining()
        self._settle_target_health()
        primary = self.primary
        if primary.rollout_state == IN_PROGRESS:
            primary.step += 1
            primary.updated_at = now()
            is_last_step = primary.step >= primary.script.steps
            STEPPERS[primary.script.outcome](self, primary, is_last_step)

    def change_desired_count(self) -> None:
        """An UpdateService that changed only desiredCount: no deployment, the PRIMARY resizes."""
        primary = self.primary
        primary.desired_count = self.service.desired_count
        primary.updated_at = now()
        if primary.rollout_state == COMPLETED:
            self._scale(primary, primary.desired_count, status=RUNNING, is_settled=False)

    def tear_down(self) -> None:
        """DeleteService: every task stops and its targets are deregistered at once."""
        for deployment in self.deployments:
            for task in deployment.tasks:
                self._deregister(task)
            deployment.tasks = []
            deployment.desired_count = 0
        for target_group_arn, target_id in self.draining:
            target_group = targets.find_target_group(self.account_id, target_group_arn)
            if target_group is not None:
                targets.deregister(target_group, target_id)
            _USED_IPS.get(self.account_id, set()).discard(target_id)
        self.draining = []

    def sync(self) -> None:
        """Writes the model into the moto Service fields that DescribeServices serializes."""
        service = self.service
        service.deployments = [deployment.to_api() for deployment in self.deployments]
        service.running_count = sum(d.running_count for d in self.deployments)
        service.pending_count = sum(d.pending_count for d in self.deployments)
        service.events = list(self.event_log.events)

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.name,
            "cluster": self.service.cluster_name,
            "status": self.service.status,
            "task_definition": self.service.task_definition,
            "last_completed_task_definition": self.last_completed_task_definition,
            "deployments": [
                {
                    **_jsonable(deployment.to_api()),
                    "step": deployment.step,
                    "script": deployment.script.to_json(),
                    "tasks": [
                        {"task_id": t.task_id, "private_ip": t.private_ip, "status": t.status}
                        for t in deployment.tasks
                    ],
                }
                for deployment in self.deployments
            ],
            "draining_targets": [{"target_group_arn": arn, "target_id": ip} for arn, ip in self.draining],
        }

    # --- outcome steps ----------------------------------------------------------------------

    def _step_complete(self, deployment: Deployment, is_last_step: bool) -> None:
        for task in deployment.tasks:
            task.status = RUNNING
        steps, wanted = deployment.script.steps, deployment.desired_count
        if is_last_step:
            self._scale(deployment, wanted, status=RUNNING, is_settled=True)
            self._complete(deployment)
        else:
            # Every task is launched by poll `steps - 1`, so targets have settled when it completes.
            launched = math.ceil(wanted * deployment.step / (steps - 1))
            self._scale(deployment, launched, status=PENDING, is_settled=False)

    def _step_fail(self, deployment: Deployment, is_last_step: bool) -> None:
        self._fail_attempt(deployment)
        self._launch(deployment, max(deployment.desired_count, 1), status=PENDING, register=False)
        if not is_last_step:
            return
        self._fail_attempt(deployment)
        deployment.finish(FAILED, CIRCUIT_BREAKER_REASON)
        self.event_log.add(events.deployment_failed(self.name, deployment.id))
        if self._wants_rollback() and self.last_completed_task_definition:
            rollback = self.start_deployment(self.last_completed_task_definition)
            self.service.task_definition = self.last_completed_task_definition
            self.event_log.add(events.rolling_back(self.name, rollback.id))

    def _step_stuck(self, deployment: Deployment, is_last_step: bool) -> None:
        stopped = [task.task_id for task in deployment.tasks]
        if stopped:
            self.event_log.add(events.stopped_tasks(self.name, stopped))
        self._fail_attempt(deployment)
        self._launch(deployment, deployment.desired_count, status=PENDING, register=False)

    # --- helpers ----------------------------------------------------------------------------

    def _complete(self, deployment: Deployment) -> None:
        deployment.finish(COMPLETED, f"ECS deployment {deployment.id} completed.")
        self.last_completed_task_definition = deployment.task_definition
        for older in self.deployments[1:]:
            self._stop(older, older.tasks)
        self.deployments = [deployment]
        self.event_log.add(events.deployment_completed(self.name, deployment.id))
        self.event_log.add(events.steady_state(self.name))

    def _fail_attempt(self, deployment: Deployment) -> None:
        """The tasks of the previous attempt never reached a healthy RUNNING state."""
        deployment.failed_tasks += len(deployment.tasks)
        for task in deployment.tasks:
            self._deregister(task)
        deployment.tasks = []

    def _wants_rollback(self) -> bool:
        configuration = getattr(self.service, "deployment_configuration", None) or {}
        return bool((configuration.get("deploymentCircuitBreaker") or {}).get("rollback"))

    def _scale(self, deployment: Deployment, count: int, status: str, is_settled: bool) -> None:
        missing = count - len(deployment.tasks)
        if missing > 0:
            self._launch(deployment, missing, status=status, register=True, is_settled=is_settled)
        elif missing < 0:
            self._stop(deployment, deployment.tasks[count:])
        if status == RUNNING:
            for task in deployment.tasks:
                task.status = RUNNING

    def _launch(
        self, deployment: Deployment, count: int, status: str, register: bool, is_settled: bool = False
    ) -> None:
        if count <= 0:
            return
        used = _USED_IPS.setdefault(self.account_id, set())
        subnets = self._subnet_cidrs()
        new_tasks = [
            SimulatedTask(new_task_id(), allocate_private_ip(subnets, used), status) for _ in range(count)
        ]
        deployment.tasks.extend(new_tasks)
        self.event_log.add(events.started_tasks(self.name, [task.task_id for task in new_tasks]))
        if register:
            self._register(deployment, new_tasks, is_settled)

    def _register(self, deployment: Deployment, tasks: list[SimulatedTask], is_settled: bool) -> None:
        for target_group_arn, port in self._target_groups():
            target_group = targets.find_target_group(self.account_id, target_group_arn)
            if target_group is None:
                continue
            for task in tasks:
                health = targets.registration_in_progress()
                if is_settled:
                    health = self._target_health(deployment, target_group)
                    task.model_health[target_group_arn] = health
                else:
                    task.registration_health = health
                targets.register(target_group, task.private_ip, port, health)
                task.registrations.append(TargetRegistration(target_group_arn, port))
            self.event_log.add(events.registered_targets(self.name, len(tasks), target_group_arn))

    def _stop(self, deployment: Deployment, tasks: list[SimulatedTask]) -> None:
        """Stops running tasks: their targets start draining (deregistered at the next poll)."""
        if not tasks:
            return
        self.event_log.add(events.stopped_tasks(self.name, [task.task_id for task in tasks]))
        drained: dict[str, int] = {}
        for task in tasks:
            is_draining = False
            for registration in task.registrations:
                target_group = targets.find_target_group(self.account_id, registration.target_group_arn)
                if target_group is not None and task.private_ip in target_group.targets:
                    targets.set_health(target_group, task.private_ip, targets.DRAINING)
                    self.draining.append((registration.target_group_arn, task.private_ip))
                    drained[registration.target_group_arn] = drained.get(registration.target_group_arn, 0) + 1
                    is_draining = True
            if not is_draining:  # a draining target keeps its IP until it is deregistered
                _USED_IPS.get(self.account_id, set()).discard(task.private_ip)
        for target_group_arn, count in drained.items():
            self.event_log.add(events.deregistered_targets(self.name, count, target_group_arn))
        stopped_ids = {task.task_id for task in tasks}
        deployment.tasks = [task for task in deployment.tasks if task.task_id not in stopped_ids]

    def _deregister(self, task: SimulatedTask) -> None:
        for registration in task.registrations:
            target_group = targets.find_target_group(self.account_id, registration.target_group_arn)
            if target_group is not None:
                targets.deregister(target_group, task.private_ip)
        task.registrations = []
        _USED_IPS.get(self.account_id, set()).discard(task.private_ip)

    def _finish_draining(self) -> None:
        for target_group_arn, target_id in self.draining:
            target_group = targets.find_target_group(self.account_id, target_group_arn)
            if target_group is not None and targets.health_of(target_group, target_id) == targets.DRAINING:
                targets.deregister(target_group, target_id)
            _USED_IPS.get(self.account_id, set()).discard(target_id)
        self.draining = []

    def _settle_target_health(self, settle_new: bool = True) -> None:
        """Targets registered at an earlier poll leave `initial` for their health; settled ones follow it.

        A target's health is its app's health check when an app is scripted for the service (see
        `apps`), else the script's `target_health`. It is checked again at every poll (and when an
        app is set), as the ALB keeps checking. A target whose health the control API set keeps
        that health. With `settle_new` false, targets still registering are left alone.
        """
        for deployment in self.deployments:
            for task in deployment.tasks:
                settling = task.registration_health is not None
                if settling and not settle_new:
                    continue
                for registration in task.registrations:
                    target_group = targets.find_target_group(self.account_id, registration.target_group_arn)
                    if target_group is None:
                        continue
                    current = targets.health_of(target_group, task.private_ip)
                    ours = (
                        task.registration_health
                        if settling
                        else task.model_health.get(registration.target_group_arn)
                    )
                    if current is None or current is not ours:
                        continue
                    health = self._target_health(deployment, target_group)
                    if health == current:  # unchanged: keep the object, it stays ours
                        task.model_health[registration.target_group_arn] = current
                        continue
                    task.model_health[registration.target_group_arn] = health
                    targets.set_health(target_group, task.private_ip, health)
                    if health.state == "unhealthy":
                        self.event_log.add(
                            events.target_unhealthy(
                                self.name,
                                task.task_id,
                                registration.port,
                                registration.target_group_arn,
                                health.description or "",
                            )
                        )
                task.registration_health = None

    def refresh_target_health(self) -> None:
        """Settled targets follow a changed app at once (the control API set one)."""
        self._settle_target_health(settle_new=False)

    def _target_health(self, deployment: Deployment, target_group: Any) -> targets.TargetHealth:
        app = apps.app_for(self.account_id, self.name, self.service.region_name, deployment.task_definition)
        if app is not None:
            return apps.health_check(app, target_group)
        return dataclasses.replace(_scripted_health(deployment))  # a distinct object: see model_health

    def _target_groups(self) -> list[tuple[str, int]]:
        return [
            (item["targetGroupArn"], int(item["containerPort"]))
            for item in self.service.load_balancers or []
            if item.get("targetGroupArn") and item.get("containerPort") is not None
        ]

    def _subnet_cidrs(self) -> list[str]:
        configuration = (self.service.network_configuration or {}).get("awsvpcConfiguration") or {}
        subnet_ids = configuration.get("subnets") or []
        if not subnet_ids:
            return []
        ec2 = ec2_backends[self.account_id][self.service.region_name]
        try:
            return [subnet.cidr_block for subnet in ec2.describe_subnets(subnet_ids=subnet_ids)]
        except Exception:  # an unknown subnet: CreateService validated them, so only after deletion
            return []


STEPPERS = {
    "complete": ServiceRollout._step_complete,
    "fail": ServiceRollout._step_fail,
    "stuck": ServiceRollout._step_stuck,
}


def _scripted_health(deployment: Deployment) -> targets.TargetHealth:
    script = deployment.script
    if script.target_health == "unhealthy":
        return targets.unhealthy(script.unhealthy_reason)
    return targets.DEFAULT_HEALTH[script.target_health]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def rollout_of(service: Service) -> ServiceRollout | None:
    return getattr(service, "ecsdeploy_rollout", None)


def find_task(
    account_id: str, target_group_arn: str, target_id: str
) -> tuple[ServiceRollout, Deployment, SimulatedTask] | None:
    """The simulated task registered as `target_id` in the target group, with its service and deployment."""
    for backend in list((dict.get(ecs_backends, account_id) or {}).values()):
        for service in list(backend.services.values()):
            model = rollout_of(service)
            if model is None:
                continue
            for deployment in model.deployments:
                for task in deployment.tasks:
                    if task.private_ip == target_id and any(
                        registration.target_group_arn == target_group_arn for registration in task.registrations
                    ):
                        return model, deployment, task
    return None


def refresh_target_health(account_id: str) -> None:
    """Every service of the account re-checks its settled targets (after an app changed)."""
    for backend in list((dict.get(ecs_backends, account_id) or {}).values()):
        for service in list(backend.services.values()):
            model = rollout_of(service)
            if model is not None and service.status == "ACTIVE":
                model.refresh_target_health()
                model.sync()


def attach(service: Service) -> ServiceRollout:
    """Gives a freshly created service its rollout model and first deployment."""
    rollout = ServiceRollout(service)
    service.ecsdeploy_rollout = rollout
    rollout.start_deployment()
    rollout.sync()
    return rollout
