"""ECS rolling-update deployments that progress one step per DescribeServices poll.

AWS: Developer Guide, "Deploy Amazon ECS services by replacing tasks" (rolling update) and "How the
Amazon ECS deployment circuit breaker detects failures". A new deployment becomes PRIMARY, the old
PRIMARY becomes ACTIVE. The PRIMARY launches tasks; when all its tasks run and pass their load
balancer health checks it is COMPLETED ("When the service reaches a steady state, the deployment
transitions to a COMPLETED state") and the older deployments' tasks are stopped and their targets
drained.

Time. Wall-clock time is replaced by polls: each DescribeServices that returns the service is one
poll of that service. A task's start takes one poll (launched PENDING at one poll, RUNNING or
stopped at the next); a poll stands for `SECONDS_PER_POLL` seconds where AWS counts seconds, which
is only the service's `healthCheckGracePeriodSeconds` (a grace period of 30 s lasts 3 polls).

Task starts. Every task a deployment launches goes through `task_start` (Fargate: network egress,
execution role, image, secrets, logs). A task that cannot start stops before RUNNING: it counts as a
failed task of the deployment (`failedTasks`), ECS says "(service X) was unable to place a task.
Reason: <stoppedReason>." (once per cause until a task is healthy again), and after two such
failures in a row "is unable to consistently start tasks successfully" (Developer Guide, "Service
throttle logic"). The deployment launches a replacement at the next poll.

Health. A RUNNING task whose target is `unhealthy` in a target group of the service, once the grace
period has passed since it started, is stopped ("Task failed ELB health checks in (target-group
...)") and replaced; it counts as a failed task. The deployment is not COMPLETED while any of its
tasks' targets is not `healthy`.

Circuit breaker (`circuit_breaker`). Only when `deploymentCircuitBreaker.enable` is true: when the
deployment's failed tasks reach the threshold it is FAILED ("ECS deployment circuit breaker: tasks
failed to start.") and launches nothing more. A task that is healthy (RUNNING, every target healthy)
resets the count to 0 unless `resetOnHealthyTask` is false (API Reference, `Deployment.failedTasks`:
"Once a service deployment has one or more successfully running tasks, the failed task count resets
to zero"). Without the breaker a failing deployment stays IN_PROGRESS and keeps replacing tasks, and
`failedTasks` keeps growing. With `rollback` too, the breaker "looks for the most recent deployment
that is in a COMPLETED state ... When the rollback starts, the deployment changes from a COMPLETED to
IN_PROGRESS": that deployment (same id, its tasks still running) becomes PRIMARY again with the
rolloutStateReason "ECS deployment circuit breaker: rolling back to deploymentId <its id>." and the
service's task definition goes back to it; it then completes like any deployment. With no COMPLETED
deployment the failed one stays PRIMARY: "the circuit breaker does not launch new tasks and the
deployment is stalled".

Scripts (`scripts`) decide what the application does, not what ECS does:

- complete: tasks start and run; the launches are spread over the first `steps - 1` polls and the
  deployment completes at poll `steps` at the earliest (targets `initial` until the poll after
  registration, then the scripted health, or the app's health check when an app is scripted for the
  service: see `apps`).
- fail: each task's essential container exits before RUNNING (`steps - 1` polls after its launch;
  stoppedReason "Essential container in task exited"), so the deployment fails as ECS makes it fail.
- stuck: tasks stay PENDING for ever; the deployment stays IN_PROGRESS (AWS would eventually stop such
  tasks; here they never finish starting).

Targets drained at one poll are deregistered at the next poll of the same service.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ecs.models import Service, ecs_backends

from . import apps, circuit_breaker, events, targets, task_start
from .deployment import (
    ACTIVE,
    CIRCUIT_BREAKER_REASON,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    PENDING,
    PRIMARY,
    ROLLBACK_REASON,
    RUNNING,
    Deployment,
    SimulatedTask,
    TargetRegistration,
    allocate_private_ip,
    new_task_id,
    now,
)
from .scripts import queue_for

SECONDS_PER_POLL = 10
# Start failures in a row after which ECS reports that it throttles the service's task launches
# (AWS documents "repeatedly", not a number: our choice).
THROTTLE_AFTER = 2
ESSENTIAL_CONTAINER_EXITED = "Essential container in task exited"

_USED_IPS: dict[str, set[str]] = {}


@dataclass
class ServiceRollout:
    """The deployments, events and draining targets of one ECS service (attached to moto's Service)."""

    service: Service
    deployments: list[Deployment] = field(default_factory=list)
    event_log: events.ServiceEventLog = field(default_factory=events.ServiceEventLog)
    draining: list[tuple[str, str]] = field(default_factory=list)
    last_completed_task_definition: str | None = None
    clock: int = 0  # polls of this service so far

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
        """One DescribeServices poll: drains finish, targets are checked, the PRIMARY takes a step."""
        self.clock += 1
        self._finish_draining()
        self._settle_target_health()
        for deployment in self.deployments[1:]:
            self._resolve_starts(deployment)  # tasks already starting finish starting
        primary = self.primary
        if primary.rollout_state == FAILED:
            self._resolve_starts(primary)
            return  # "A deployment in FAILED state doesn't launch any new tasks."
        if primary.rollout_state == IN_PROGRESS:
            primary.step += 1
            primary.updated_at = now()
        self._resolve_starts(primary)
        self._replace_unhealthy(primary)
        self._note_healthy(primary)
        if self._breaker_trips(primary):
            return
        self._launch_missing(primary)
        self._resolve_starts(primary)  # tasks whose start takes no poll
        self._note_healthy(primary)
        if self._breaker_trips(primary):
            return
        if primary.rollout_state == IN_PROGRESS:
            self._complete_if_steady(primary)

    def change_desired_count(self) -> None:
        """An UpdateService that changed only desiredCount: no deployment, the PRIMARY resizes.

        A COMPLETED PRIMARY starts or stops tasks at once (tasks that cannot start stop at once and
        are replaced at the next polls); an IN_PROGRESS one reaches the new count as it progresses."""
        primary = self.primary
        primary.desired_count = self.service.desired_count
        primary.updated_at = now()
        if primary.rollout_state == COMPLETED:
            self._launch_missing(primary, immediate=True)
            self._resolve_starts(primary)

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
        breaker = circuit_breaker.settings_of(self.service)
        return {
            "service": self.name,
            "cluster": self.service.cluster_name,
            "status": self.service.status,
            "task_definition": self.service.task_definition,
            "last_completed_task_definition": self.last_completed_task_definition,
            "polls": self.clock,
            "circuit_breaker": {
                **dataclasses.asdict(breaker),
                "threshold": breaker.threshold(self.service.desired_count),
            },
            "deployments": [
                {
                    **_jsonable(deployment.to_api()),
                    "step": deployment.step,
                    "script": deployment.script.to_json(),
                    "tasks": [
                        {
                            "task_id": t.task_id,
                            "private_ip": t.private_ip,
                            "subnet_id": t.subnet_id,
                            "status": t.status,
                            "launched_poll": t.launched_poll,
                            "running_since": t.running_since,
                        }
                        for t in deployment.tasks
                    ],
                    "stopped_tasks": list(deployment.stopped_tasks),
                }
                for deployment in self.deployments
            ],
            "draining_targets": [{"target_group_arn": arn, "target_id": ip} for arn, ip in self.draining],
        }

    # --- one step of a deployment -----------------------------------------------------------

    def _resolve_starts(self, deployment: Deployment) -> None:
        """Tasks whose start ends now run, or stop before RUNNING with their reason."""
        for task in list(deployment.tasks):
            if task.status != PENDING or task.ready_poll is None or task.ready_poll > self.clock:
                continue
            if task.start_failure is not None:
                failure = task.start_failure
                self._failed_start(deployment, task, failure.reason, failure.stop_code, failure.cause, announce=True)
            elif task.scripted_failure:
                self._failed_start(
                    deployment, task, ESSENTIAL_CONTAINER_EXITED, "EssentialContainerExited", "scripted-fail", False
                )
            else:
                task.status = RUNNING
                task.running_since = self.clock
                deployment.start_failures_in_a_row = 0

    def _failed_start(
        self,
        deployment: Deployment,
        task: SimulatedTask | None,
        reason: str,
        stop_code: str,
        cause: str,
        announce: bool,
        launched: bool = True,
    ) -> None:
        """A task stopped before RUNNING (or, `launched` false, ECS could not launch it at all)."""
        if task is not None:
            self._deregister(task)
            deployment.tasks = [t for t in deployment.tasks if t.task_id != task.task_id]
            deployment.record_stop(task, reason, stop_code)
        if deployment.rollout_state != COMPLETED:  # a steady deployment's replacements are not failures of it
            deployment.failed_tasks += 1
        deployment.start_failures_in_a_row += 1
        deployment.updated_at = now()
        if announce and cause not in deployment.reported_causes:
            deployment.reported_causes.add(cause)
            message = (
                events.unable_to_place_task(self.name, reason)
                if launched
                else events.failed_to_launch_task(self.name, reason)
            )
            self.event_log.add(message)
        if deployment.start_failures_in_a_row == THROTTLE_AFTER and "throttled" not in deployment.reported_causes:
            deployment.reported_causes.add("throttled")
            self.event_log.add(events.unable_to_consistently_start(self.name))

    def _replace_unhealthy(self, deployment: Deployment) -> None:
        """RUNNING tasks failing their load balancer health checks after the grace period stop."""
        grace_polls = math.ceil(self._grace_period_seconds() / SECONDS_PER_POLL)
        for task in list(deployment.tasks):
            if task.status != RUNNING or task.running_since is None:
                continue
            if self.clock - task.running_since < grace_polls:
                continue  # "the Amazon ECS service scheduler ignores unhealthy ... health checks"
            failing = [r for r in task.registrations if self._health(task, r.target_group_arn) == "unhealthy"]
            if not failing:
                continue
            reason = f"Task failed ELB health checks in (target-group {failing[0].target_group_arn})"
            self._stop(deployment, [task])
            deployment.record_stop(task, reason, "ServiceSchedulerInitiated")
            if deployment.rollout_state != COMPLETED:
                deployment.failed_tasks += 1
            deployment.updated_at = now()

    def _note_healthy(self, deployment: Deployment) -> None:
        """A healthy task resets the failure count (resetOnHealthyTask) and ends a failure episode."""
        if not any(self._is_healthy(task) for task in deployment.tasks):
            return
        if circuit_breaker.settings_of(self.service).reset_on_healthy_task:
            deployment.failed_tasks = 0
        deployment.reported_causes.clear()
        deployment.start_failures_in_a_row = 0

    def _breaker_trips(self, deployment: Deployment) -> bool:
        if deployment.rollout_state != IN_PROGRESS:
            return False
        breaker = circuit_breaker.settings_of(self.service)
        if not breaker.enable or deployment.failed_tasks < breaker.threshold(self.service.desired_count):
            return False
        deployment.finish(FAILED, CIRCUIT_BREAKER_REASON)
        self.event_log.add(events.deployment_failed(self.name, deployment.id))
        if breaker.rollback:
            self._roll_back(deployment)
        return True

    def _roll_back(self, failed: Deployment) -> None:
        """The most recent COMPLETED deployment becomes PRIMARY and IN_PROGRESS again."""
        target = next((d for d in self.deployments if d is not failed and d.rollout_state == COMPLETED), None)
        if target is None:
            return  # "the circuit breaker does not launch new tasks and the deployment is stalled"
        for deployment in self.deployments:
            deployment.status = ACTIVE
        self.deployments.remove(target)
        self.deployments.insert(0, target)
        target.status = PRIMARY
        target.rollout_state = IN_PROGRESS
        target.rollout_state_reason = ROLLBACK_REASON.format(deployment_id=target.id)
        target.desired_count = self.service.desired_count
        target.step = 0
        target.script = queue_for(self.account_id).take(self.service.cluster_name, self.name)
        target.updated_at = now()
        self.service.task_definition = target.task_definition
        self.event_log.add(events.rolling_back(self.name, target.id))

    def _launch_missing(self, deployment: Deployment, immediate: bool = False) -> None:
        """Launches tasks up to what the deployment wants now (or stops the surplus)."""
        active = [task for task in deployment.tasks if task.status in (PENDING, RUNNING)]
        surplus = len(active) - deployment.desired_count
        if surplus > 0:  # pending ones first, then the newest
            self._stop(deployment, sorted(active, key=lambda t: (t.status == RUNNING, -t.launched_poll))[:surplus])
            return
        missing = self._wanted(deployment) - len(active)
        if missing > 0:
            self._launch(deployment, missing, immediate)

    def _wanted(self, deployment: Deployment) -> int:
        script, wanted = deployment.script, deployment.desired_count
        if deployment.rollout_state == IN_PROGRESS and script.outcome == "complete" and script.steps > 1:
            return min(wanted, math.ceil(wanted * deployment.step / (script.steps - 1)))
        return wanted

    def _complete_if_steady(self, deployment: Deployment) -> None:
        script = deployment.script
        if script.outcome == "stuck" or deployment.step < script.steps:
            return
        running = [task for task in deployment.tasks if task.status == RUNNING]
        if len(running) != deployment.desired_count or len(running) != len(deployment.tasks):
            return
        if all(self._is_healthy(task) for task in running):
            self._complete(deployment)

    # --- helpers ----------------------------------------------------------------------------

    def _complete(self, deployment: Deployment) -> None:
        deployment.finish(COMPLETED, f"ECS deployment {deployment.id} completed.")
        self.last_completed_task_definition = deployment.task_definition
        for older in self.deployments[1:]:
            reason = f"Scaling activity initiated by (deployment {deployment.id})"
            for task in older.tasks:
                older.record_stop(task, reason, "ServiceSchedulerInitiated")
            self._stop(older, older.tasks)
        self.deployments = [deployment]
        self.event_log.add(events.deployment_completed(self.name, deployment.id))
        self.event_log.add(events.steady_state(self.name))

    def _launch(self, deployment: Deployment, count: int, immediate: bool) -> None:
        script = deployment.script
        delay = 0 if immediate else self._start_delay(deployment)
        used = _USED_IPS.setdefault(self.account_id, set())
        started: list[SimulatedTask] = []
        for _ in range(count):
            subnet_id, cidr = self._next_subnet(deployment)
            task = SimulatedTask(
                new_task_id(),
                allocate_private_ip([cidr] if cidr else self._subnet_cidrs(deployment), used),
                PENDING,
                subnet_id=subnet_id,
                launched_poll=self.clock,
                ready_poll=None if script.outcome == "stuck" else self.clock + delay,
                scripted_failure=script.outcome == "fail",
            )
            deployment.launches += 1
            failure = self._start_check(deployment, task)
            if failure is not None and not failure.launched:
                _USED_IPS.get(self.account_id, set()).discard(task.private_ip)
                self._failed_start(
                    deployment, None, failure.reason, failure.stop_code, failure.cause, True, launched=False
                )
                continue
            task.start_failure = failure
            if failure is not None and task.ready_poll is None:
                task.ready_poll = self.clock + max(delay, 1)  # a failing start ends even when stuck
            deployment.tasks.append(task)
            started.append(task)
        if not started:
            return
        self.event_log.add(events.started_tasks(self.name, [task.task_id for task in started]))
        registering = [
            task
            for task in started
            if task.start_failure is None and not task.scripted_failure and task.ready_poll is not None
        ]
        if registering:
            self._register(deployment, registering, is_settled=delay == 0 and not immediate)

    def _start_delay(self, deployment: Deployment) -> int:
        script = deployment.script
        if script.outcome == "fail":
            return script.steps - 1
        return 1 if script.steps > 1 or deployment.rollout_state != IN_PROGRESS else 0

    def _start_check(self, deployment: Deployment, task: SimulatedTask) -> task_start.StartFailure | None:
        if not deployment.is_fargate:
            return None  # EC2 and external capacity: not modelled
        vpc = (deployment.network_configuration or {}).get("awsvpcConfiguration") or {}
        return task_start.check(
            task_start.TaskLaunch(
                account_id=self.account_id,
                region=self.service.region_name,
                cluster_name=self.service.cluster_name,
                task_id=task.task_id,
                task_definition_arn=deployment.task_definition,
                subnet_id=task.subnet_id,
                security_group_ids=list(vpc.get("securityGroups") or []),
                assign_public_ip=str(vpc.get("assignPublicIp") or "DISABLED").upper() == "ENABLED",
            )
        )

    def _next_subnet(self, deployment: Deployment) -> tuple[str | None, str | None]:
        """The subnet with the fewest of the service's tasks (ECS spreads tasks across zones)."""
        subnets = self._subnets(deployment)
        if not subnets:
            return None, None
        load = {subnet_id: 0 for subnet_id, _ in subnets}
        for other in self.deployments:
            for task in other.tasks:
                if task.subnet_id in load:
                    load[task.subnet_id] += 1
        start = deployment.launches % len(subnets)
        ordered = subnets[start:] + subnets[:start]
        return min(ordered, key=lambda subnet: load[subnet[0]])

    def _is_healthy(self, task: SimulatedTask) -> bool:
        if task.status != RUNNING:
            return False
        return all(self._health(task, r.target_group_arn) == "healthy" for r in task.registrations)

    def _health(self, task: SimulatedTask, target_group_arn: str) -> str | None:
        target_group = targets.find_target_group(self.account_id, target_group_arn)
        if target_group is None:
            return None
        health = targets.health_of(target_group, task.private_ip)
        return health.state if health is not None else None

    def _grace_period_seconds(self) -> int:
        value = getattr(self.service, "health_check_grace_period_seconds", None)
        return int(value) if isinstance(value, (int, float)) else 0

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
        """Stops tasks: the targets of running ones start draining (deregistered at the next poll)."""
        if not tasks:
            return
        running = [task for task in tasks if task.status == RUNNING]
        if running:
            self.event_log.add(events.stopped_tasks(self.name, [task.task_id for task in running]))
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
            task.registrations = []
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

    def _subnets(self, deployment: Deployment) -> list[tuple[str, str]]:
        """(subnet id, CIDR) of the deployment's awsvpc subnets, in the order given."""
        configuration = (deployment.network_configuration or {}).get("awsvpcConfiguration") or {}
        subnet_ids = configuration.get("subnets") or []
        if not subnet_ids:
            return []
        ec2 = ec2_backends[self.account_id][self.service.region_name]
        found = []
        for subnet_id in subnet_ids:
            try:
                found.append((subnet_id, ec2.get_subnet(subnet_id).cidr_block))
            except Exception:  # deleted after CreateService validated it
                continue
        return found

    def _subnet_cidrs(self, deployment: Deployment) -> list[str]:
        return [cidr for _, cidr in self._subnets(deployment)]


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
