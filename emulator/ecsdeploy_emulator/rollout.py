"""ECS rolling-update deployments that progress in simulated time.

AWS: Developer Guide, "Deploy Amazon ECS services by replacing tasks" (rolling update) and "How the
Amazon ECS deployment circuit breaker detects failures". A new deployment becomes PRIMARY, the old
PRIMARY becomes ACTIVE. The PRIMARY launches tasks; when all its tasks run and pass their load
balancer health checks, the older deployments' tasks are deregistered from their target groups and
stopped once their targets have drained ("Amazon ECS monitors the load balancer, and waits for the
load balancer to report that the keep alive connection is closed (the target is in an UNUSED
state)", Developer Guide, "Optimize load balancer connection draining parameters"); then the service
is in a steady state and the deployment is COMPLETED ("When the service reaches a steady state, the
deployment transitions to a COMPLETED state", API Reference, `Deployment.rolloutState`).

Time. Everything runs on the account's simulated clock (`clock`: real time times a factor, or
stepped by the control API). A service's model is advanced to the clock's time whenever the account
is observed (DescribeServices, DescribeTargetHealth, the ALB data plane, the control API's state
dump) or changed (Create/Update/DeleteService, target group changes, the control API's health and
apps): `advance_to` processes every event in the order of its simulated time, and each change
settles at the instant it is made. What happens therefore depends only on simulated time, never on
when or how often anyone looks. The durations, all simulated:

- a task's start: from its launch (PENDING, "has started N tasks") to RUNNING takes the script's
  `start_seconds` (default 30 s; AWS documents no figure). ECS registers the task in every target
  group of the service as it turns RUNNING (task lifecycle: ACTIVATING "registers load balancer
  target groups"); a task that cannot start (`task_start`) or whose essential container exits (the
  `fail` script) stops instead at that time.
- health checks (ALB guide, "Health checks for Application Load Balancer target groups"): every
  HealthCheckIntervalSeconds from the registration; a target leaves `initial` (Elb.RegistrationInProgress,
  then Elb.InitialHealthChecking) for `healthy` after HealthyThresholdCount consecutive successes
  and for `unhealthy` after UnhealthyThresholdCount consecutive failures, and changes between them
  likewise. What a check finds: the app scripted for the service (`apps`), else the script's
  `target_health` (`initial`: no check ever decides).
- the grace period: a RUNNING task whose target is unhealthy is stopped and replaced once
  `healthCheckGracePeriodSeconds` have passed since it started running.
- the deregistration delay (`deregistration_delay.timeout_seconds`, AWS's default 300 s): a
  replaced task's targets drain that long, then are deregistered.

Task starts. Every task a deployment launches goes through `task_start` (Fargate: network egress,
execution role, image, secrets, logs). A task that cannot start stops before RUNNING: it counts as a
failed task of the deployment (`failedTasks`), ECS says "(service X) was unable to place a task.
Reason: <stoppedReason>." (once per cause until a task is healthy again), and after two such
failures in a row "is unable to consistently start tasks successfully" (Developer Guide, "Service
throttle logic"). The deployment launches a replacement at once (the throttle's growing delay is not
modelled); a task ECS could not launch at all (its execution role) is tried again after 10 s.

Health. A RUNNING task whose target is `unhealthy` in a target group of the service, once the grace
period has passed since it started, is stopped ("Task failed ELB health checks in (target-group
...)"), its targets drain, and it is replaced; it counts as a failed task. The deployment is not
COMPLETED while any of its tasks' targets is not `healthy`.

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

- complete: tasks start in `start_seconds` and run; their targets answer as scripted.
- fail: each task's essential container exits before RUNNING, `start_seconds` after its launch
  (stoppedReason "Essential container in task exited"), so the deployment fails as ECS makes it fail.
- stuck: tasks stay PENDING for ever; the deployment stays IN_PROGRESS (AWS would eventually stop such
  tasks; here they never finish starting).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ecs.models import Service, ecs_backends

from . import apps, circuit_breaker, clock, events, targets, task_start
from .deployment import (
    ACTIVE,
    CIRCUIT_BREAKER_REASON,
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    MAX_STOPPED_TASKS,
    PENDING,
    PRIMARY,
    ROLLBACK_REASON,
    RUNNING,
    Deployment,
    SimulatedTask,
    TargetRegistration,
    allocate_private_ip,
    new_task_id,
)
from .scripts import queue_for

# Start failures in a row after which ECS reports that it throttles the service's task launches
# (AWS documents "repeatedly", not a number: our choice).
THROTTLE_AFTER = 2
ESSENTIAL_CONTAINER_EXITED = "Essential container in task exited"
# A task ECS could not launch at all is tried again this much later (our choice; AWS documents the
# throttle's growing delays, not this first one).
LAUNCH_RETRY_MS = 10_000
# Guards against a model that would never settle (a bug): passes at one instant, instants per advance.
MAX_PASSES_PER_INSTANT = 1_000
MAX_INSTANTS_PER_ADVANCE = 2_000_000

_USED_IPS: dict[str, set[str]] = {}


@dataclass
class DrainingTarget:
    """A deregistering target: `draining` until `until_ms`, then deregistered."""

    target_group_arn: str
    target_id: str
    until_ms: int


@dataclass
class ServiceRollout:
    """The deployments, events and draining targets of one ECS service (attached to moto's Service).

    `now_ms` is the simulated time the model has been advanced to (see `clock`)."""

    service: Service
    deployments: list[Deployment] = field(default_factory=list)
    event_log: events.ServiceEventLog = field(default_factory=events.ServiceEventLog)
    draining: list[DrainingTarget] = field(default_factory=list)
    last_completed_task_definition: str | None = None
    now_ms: int = 0
    # The last stopped tasks of every deployment, kept when their deployment is gone (state dump).
    stopped_tasks: list[dict[str, Any]] = field(default_factory=list)
    _changes: int = 0  # counts changes, so that an instant is settled until nothing changes

    @property
    def account_id(self) -> str:
        return self.service._account_id

    @property
    def name(self) -> str:
        return self.service.name

    @property
    def primary(self) -> Deployment:
        return self.deployments[0]

    def at(self) -> datetime:
        """The model's current simulated time as a datetime (event and deployment timestamps)."""
        return clock.datetime_at(self.account_id, self.now_ms)

    # --- lifecycle entry points (called from `patches` and the control API, under the lock) ----

    def start_deployment(self, task_definition: str | None = None) -> Deployment:
        """A new PRIMARY deployment of the service's current configuration; the old one turns ACTIVE.

        The caller settles the model afterwards (the deployment launches its tasks at once)."""
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
            created_at=self.at(),
            updated_at=self.at(),
        )
        self.deployments.insert(0, deployment)
        self._changes += 1
        return deployment

    def change_desired_count(self) -> None:
        """An UpdateService that changed only desiredCount: no deployment, the PRIMARY resizes.

        At the next settle a PRIMARY that is not FAILED launches the missing tasks (they start like any
        task) or stops the surplus (pending ones first, then the newest)."""
        primary = self.primary
        primary.desired_count = self.service.desired_count
        self._touch(primary)

    def advance_to(self, t_ms: int) -> None:
        """Processes every event up to simulated time `t_ms`, in time order."""
        if t_ms < self.now_ms:
            return
        for _ in range(MAX_INSTANTS_PER_ADVANCE):
            due = self._next_event_ms()
            if due is None or due > t_ms:
                break
            self.now_ms = due
            self.settle()
        else:
            raise RuntimeError(f"service {self.name}: too many events before {t_ms} ms")
        self.now_ms = t_ms
        self._run_health_checks()  # checks that change nothing catch up to now

    def settle(self) -> None:
        """Everything that happens at the current instant, until nothing more does."""
        for _ in range(MAX_PASSES_PER_INSTANT):
            before = self._changes
            self._pass()
            if self._changes == before:
                return
        raise RuntimeError(f"service {self.name}: the model does not settle at {self.now_ms} ms")

    def tear_down(self) -> None:
        """DeleteService: every task stops and its targets are deregistered at once."""
        for deployment in self.deployments:
            for task in deployment.tasks:
                self._deregister(task)
            deployment.tasks = []
            deployment.desired_count = 0
        for draining in self.draining:
            target_group = targets.find_target_group(self.account_id, draining.target_group_arn)
            if target_group is not None:
                targets.deregister(target_group, draining.target_id)
            _USED_IPS.get(self.account_id, set()).discard(draining.target_id)
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
            "now_seconds": self.now_ms / 1000,
            "circuit_breaker": {
                **dataclasses.asdict(breaker),
                "threshold": breaker.threshold(self.service.desired_count),
            },
            "deployments": [
                {
                    **_jsonable(deployment.to_api()),
                    "script": deployment.script.to_json(),
                    "tasks": [self._task_json(task) for task in deployment.tasks],
                    "stopped_tasks": list(deployment.stopped_tasks),
                }
                for deployment in self.deployments
            ],
            "stopped_tasks": list(self.stopped_tasks),
            "draining_targets": [
                {
                    "target_group_arn": draining.target_group_arn,
                    "target_id": draining.target_id,
                    "until_seconds": draining.until_ms / 1000,
                }
                for draining in self.draining
            ],
        }

    def _task_json(self, task: SimulatedTask) -> dict[str, Any]:
        return {
            "task_id": task.task_id,
            "private_ip": task.private_ip,
            "subnet_id": task.subnet_id,
            "status": task.status,
            "launched_at_seconds": task.launched_ms / 1000,
            "ready_at_seconds": _seconds(task.ready_ms),
            "running_since_seconds": _seconds(task.running_since_ms),
            "stop_at_seconds": _seconds(task.stop_at_ms),
            "targets": [
                {
                    "target_group_arn": registration.target_group_arn,
                    "port": registration.port,
                    "registered_at_seconds": registration.registered_ms / 1000,
                    "state": self._health(task, registration.target_group_arn),
                    "consecutive_passes": registration.passes,
                    "consecutive_failures": registration.fails,
                }
                for registration in task.registrations
            ],
        }

    # --- one instant ------------------------------------------------------------------------

    def _pass(self) -> None:
        """One pass over what may happen now: drains end, checks run, starts end, ECS reacts."""
        self._finish_draining()
        self._run_health_checks()
        for deployment in self.deployments[1:]:
            self._resolve_starts(deployment)  # tasks already starting finish starting
        primary = self.primary
        self._resolve_starts(primary)
        if primary.rollout_state == FAILED:
            return  # "A deployment in FAILED state doesn't launch any new tasks."
        self._replace_unhealthy(primary)
        self._note_healthy(primary)
        if self._breaker_trips(primary):
            return
        self._launch_missing(primary)
        if primary.rollout_state == IN_PROGRESS:
            self._progress(primary)

    def _next_event_ms(self) -> int | None:
        """The earliest time after now at which something will happen without anyone acting."""
        now = self.now_ms
        times = [draining.until_ms for draining in self.draining]
        primary = self.primary
        watching = primary.rollout_state != FAILED
        grace = self._grace_period_ms()
        for deployment in self.deployments:
            for task in deployment.tasks:
                if task.status == PENDING and task.ready_ms is not None:
                    times.append(task.ready_ms)
                if task.stop_at_ms is not None:
                    times.append(task.stop_at_ms)
                for registration in task.registrations:
                    check = self._next_check_ms(deployment, task, registration)
                    if check is not None:
                        times.append(check)
                if (
                    watching
                    and deployment is primary
                    and task.status == RUNNING
                    and task.running_since_ms is not None
                    and self._failing_registration(task) is not None
                ):
                    times.append(task.running_since_ms + grace)
        if watching and primary.launch_retry_ms is not None:
            times.append(primary.launch_retry_ms)
        later = [time for time in times if time > now]
        return min(later) if later else None

    # --- tasks ------------------------------------------------------------------------------

    def _resolve_starts(self, deployment: Deployment) -> None:
        """Tasks whose start ends now run (and register their targets), or stop before RUNNING."""
        running: list[SimulatedTask] = []
        for task in list(deployment.tasks):
            if task.status != PENDING or task.ready_ms is None or task.ready_ms > self.now_ms:
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
                task.running_since_ms = self.now_ms
                deployment.start_failures_in_a_row = 0
                running.append(task)
        if running:
            self._touch(deployment)
            self._register(running)

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
            self._record_stop(deployment, task, reason, stop_code)
        if deployment.rollout_state != COMPLETED:  # a steady deployment's replacements are not failures of it
            deployment.failed_tasks += 1
        deployment.start_failures_in_a_row += 1
        self._touch(deployment)
        if announce and cause not in deployment.reported_causes:
            deployment.reported_causes.add(cause)
            message = (
                events.unable_to_place_task(self.name, reason)
                if launched
                else events.failed_to_launch_task(self.name, reason)
            )
            self._event(message)
        if deployment.start_failures_in_a_row == THROTTLE_AFTER and "throttled" not in deployment.reported_causes:
            deployment.reported_causes.add("throttled")
            self._event(events.unable_to_consistently_start(self.name))

    def _replace_unhealthy(self, deployment: Deployment) -> None:
        """RUNNING tasks failing their load balancer health checks after the grace period stop."""
        grace = self._grace_period_ms()
        for task in list(deployment.tasks):
            if task.status != RUNNING or task.running_since_ms is None or task.stop_at_ms is not None:
                continue
            if self.now_ms < task.running_since_ms + grace:
                continue  # "the Amazon ECS service scheduler ignores unhealthy ... health checks"
            failing = self._failing_registration(task)
            if failing is None:
                continue
            reason = f"Task failed ELB health checks in (target-group {failing.target_group_arn})"
            self._stop(deployment, [task], reason)
            if deployment.rollout_state != COMPLETED:
                deployment.failed_tasks += 1

    def _note_healthy(self, deployment: Deployment) -> None:
        """A healthy task resets the failure count (resetOnHealthyTask) and ends a failure episode."""
        if not any(self._is_healthy(task) for task in deployment.tasks):
            return
        resets = circuit_breaker.settings_of(self.service).reset_on_healthy_task and deployment.failed_tasks != 0
        if resets or deployment.reported_causes or deployment.start_failures_in_a_row:
            if resets:
                deployment.failed_tasks = 0
            deployment.reported_causes.clear()
            deployment.start_failures_in_a_row = 0
            self._changes += 1

    def _breaker_trips(self, deployment: Deployment) -> bool:
        if deployment.rollout_state != IN_PROGRESS:
            return False
        breaker = circuit_breaker.settings_of(self.service)
        if not breaker.enable or deployment.failed_tasks < breaker.threshold(self.service.desired_count):
            return False
        deployment.finish(FAILED, CIRCUIT_BREAKER_REASON, self.at())
        self._event(events.deployment_failed(self.name, deployment.id))
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
        target.script = queue_for(self.account_id).take(self.service.cluster_name, self.name)
        self._touch(target)
        self.service.task_definition = target.task_definition
        self._event(events.rolling_back(self.name, target.id))

    def _launch_missing(self, deployment: Deployment) -> None:
        """Launches tasks up to the deployment's desired count (or stops the surplus)."""
        if deployment.launch_retry_ms is not None:
            if deployment.launch_retry_ms > self.now_ms:
                return
            deployment.launch_retry_ms = None
            self._changes += 1
        active = [
            task for task in deployment.tasks if task.status in (PENDING, RUNNING) and task.stop_at_ms is None
        ]
        surplus = len(active) - deployment.desired_count
        if surplus > 0:  # pending ones first, then the newest
            victims = sorted(active, key=lambda t: (t.status == RUNNING, -t.launched_ms))[:surplus]
            self._stop(deployment, victims, f"Scaling activity initiated by (deployment {deployment.id})")
            return
        missing = deployment.desired_count - len(active)
        if missing > 0:
            self._launch(deployment, missing)

    def _progress(self, deployment: Deployment) -> None:
        """All desired tasks RUNNING and healthy: the older tasks drain and stop, then COMPLETED."""
        running = [task for task in deployment.tasks if task.status == RUNNING]
        if len(running) != deployment.desired_count or len(running) != len(deployment.tasks):
            return
        if not all(self._is_healthy(task) for task in running):
            return
        if any(older.tasks for older in self.deployments[1:]):
            self._retire_older(deployment)
            return
        self._complete(deployment)

    def _retire_older(self, primary: Deployment) -> None:
        """The older deployments' tasks leave: pending ones stop, running ones drain and then stop."""
        reason = f"Scaling activity initiated by (deployment {primary.id})"
        for older in self.deployments[1:]:
            pending = [task for task in older.tasks if task.status == PENDING]
            for task in pending:
                self._record_stop(older, task, reason, "ServiceSchedulerInitiated")
                self._deregister(task)
            if pending:
                older.tasks = [task for task in older.tasks if task.status != PENDING]
                self._touch(older)
            leaving = [task for task in older.tasks if task.stop_at_ms is None]
            if not leaving:
                continue
            for task, until in zip(leaving, self._drain(leaving)):
                task.stop_at_ms = until
                task.stop_reason = reason
            self._touch(older)

    def _complete(self, deployment: Deployment) -> None:
        deployment.finish(COMPLETED, f"ECS deployment {deployment.id} completed.", self.at())
        self.last_completed_task_definition = deployment.task_definition
        self.deployments = [deployment]
        self._event(events.deployment_completed(self.name, deployment.id))
        self._event(events.steady_state(self.name))

    def _launch(self, deployment: Deployment, count: int) -> None:
        script = deployment.script
        now = self.now_ms
        used = _USED_IPS.setdefault(self.account_id, set())
        started: list[SimulatedTask] = []
        for _ in range(count):
            subnet_id, cidr = self._next_subnet(deployment)
            task = SimulatedTask(
                new_task_id(),
                allocate_private_ip([cidr] if cidr else self._subnet_cidrs(deployment), used),
                PENDING,
                subnet_id=subnet_id,
                launched_ms=now,
                ready_ms=None if script.outcome == "stuck" else now + script.start_ms,
                scripted_failure=script.outcome == "fail",
            )
            deployment.launches += 1
            failure = self._start_check(deployment, task)
            if failure is not None and not failure.launched:
                _USED_IPS.get(self.account_id, set()).discard(task.private_ip)
                self._failed_start(
                    deployment, None, failure.reason, failure.stop_code, failure.cause, True, launched=False
                )
                deployment.launch_retry_ms = now + LAUNCH_RETRY_MS
                continue
            task.start_failure = failure
            if failure is not None and task.ready_ms is None:
                task.ready_ms = now + script.start_ms  # a failing start ends even when stuck
            deployment.tasks.append(task)
            started.append(task)
        if started:
            self._touch(deployment)
            self._event(events.started_tasks(self.name, [task.task_id for task in started]))

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

    def _stop(self, deployment: Deployment, tasks: list[SimulatedTask], reason: str) -> None:
        """Stops tasks now; the targets of running ones start draining."""
        if not tasks:
            return
        running = [task for task in tasks if task.status == RUNNING]
        if running:
            self._event(events.stopped_tasks(self.name, [task.task_id for task in running]))
        self._drain(tasks)
        for task in tasks:
            self._record_stop(deployment, task, reason, "ServiceSchedulerInitiated")
            if not any(draining.target_id == task.private_ip for draining in self.draining):
                _USED_IPS.get(self.account_id, set()).discard(task.private_ip)
        stopped_ids = {task.task_id for task in tasks}
        deployment.tasks = [task for task in deployment.tasks if task.task_id not in stopped_ids]
        self._touch(deployment)

    def _drain(self, tasks: list[SimulatedTask]) -> list[int]:
        """Deregisters the tasks' targets: each drains for its target group's deregistration delay.

        Returns, per task, when its last target is deregistered (now when it has none)."""
        ends: list[int] = []
        drained: dict[str, int] = {}
        for task in tasks:
            until = self.now_ms
            for registration in task.registrations:
                target_group = targets.find_target_group(self.account_id, registration.target_group_arn)
                if target_group is None or task.private_ip not in target_group.targets:
                    continue
                end = self.now_ms + targets.deregistration_delay_ms(target_group)
                targets.set_health(target_group, task.private_ip, targets.DRAINING)
                self.draining.append(DrainingTarget(registration.target_group_arn, task.private_ip, end))
                drained[registration.target_group_arn] = drained.get(registration.target_group_arn, 0) + 1
                until = max(until, end)
            task.registrations = []
            ends.append(until)
        for target_group_arn, count in drained.items():
            self._event(events.deregistered_targets(self.name, count, target_group_arn))
        return ends

    def _deregister(self, task: SimulatedTask) -> None:
        for registration in task.registrations:
            target_group = targets.find_target_group(self.account_id, registration.target_group_arn)
            if target_group is not None:
                targets.deregister(target_group, task.private_ip)
        task.registrations = []
        _USED_IPS.get(self.account_id, set()).discard(task.private_ip)

    def _finish_draining(self) -> None:
        """Targets whose deregistration delay ended are deregistered; their drained tasks stop."""
        now = self.now_ms
        done = [draining for draining in self.draining if draining.until_ms <= now]
        if done:
            self.draining = [draining for draining in self.draining if draining.until_ms > now]
            for draining in done:
                target_group = targets.find_target_group(self.account_id, draining.target_group_arn)
                if target_group is not None and targets.health_of(target_group, draining.target_id) == targets.DRAINING:
                    targets.deregister(target_group, draining.target_id)
                if not any(other.target_id == draining.target_id for other in self.draining):
                    _USED_IPS.get(self.account_id, set()).discard(draining.target_id)
            self._changes += 1
        for deployment in self.deployments:
            stopping = [task for task in deployment.tasks if task.stop_at_ms is not None and task.stop_at_ms <= now]
            if not stopping:
                continue
            for task in stopping:
                self._record_stop(deployment, task, task.stop_reason or "", "ServiceSchedulerInitiated")
                if not any(draining.target_id == task.private_ip for draining in self.draining):
                    _USED_IPS.get(self.account_id, set()).discard(task.private_ip)
            stopped_ids = {task.task_id for task in stopping}
            deployment.tasks = [task for task in deployment.tasks if task.task_id not in stopped_ids]
            self._event(events.stopped_tasks(self.name, [task.task_id for task in stopping]))
            self._touch(deployment)

    # --- target health ----------------------------------------------------------------------

    def _register(self, tasks: list[SimulatedTask]) -> None:
        """Registers tasks turning RUNNING in every target group of the service (`initial`)."""
        for target_group_arn, port in self._target_groups():
            target_group = targets.find_target_group(self.account_id, target_group_arn)
            if target_group is None:
                continue
            for task in tasks:
                health = targets.registration_in_progress()
                targets.register(target_group, task.private_ip, port, health)
                task.registrations.append(
                    TargetRegistration(
                        target_group_arn,
                        port,
                        registered_ms=self.now_ms,
                        last_check_ms=self.now_ms,
                        model_health=health,
                    )
                )
            self._event(events.registered_targets(self.name, len(tasks), target_group_arn))

    def _run_health_checks(self) -> None:
        """Every health check due by now, in order (checks that would change nothing are skipped)."""
        for deployment in self.deployments:
            for task in deployment.tasks:
                for registration in task.registrations:
                    self._check_until_now(deployment, task, registration)

    def _check_until_now(self, deployment: Deployment, task: SimulatedTask, registration: TargetRegistration) -> None:
        target_group = targets.find_target_group(self.account_id, registration.target_group_arn)
        if target_group is None:
            return
        interval = targets.interval_ms(target_group)
        while registration.last_check_ms + interval <= self.now_ms:
            found = self._decisive_check(deployment, task, registration, target_group)
            if found is None:  # no check changes anything now: catch up at once
                skipped = (self.now_ms - registration.last_check_ms) // interval
                registration.last_check_ms += skipped * interval
                return
            registration.last_check_ms += interval
            self._apply_check(task, registration, target_group, found)

    def _next_check_ms(
        self, deployment: Deployment, task: SimulatedTask, registration: TargetRegistration
    ) -> int | None:
        """When the next check that may change the target's health is due (None: none would)."""
        target_group = targets.find_target_group(self.account_id, registration.target_group_arn)
        if target_group is None or self._decisive_check(deployment, task, registration, target_group) is None:
            return None
        return registration.last_check_ms + targets.interval_ms(target_group)

    def _decisive_check(
        self, deployment: Deployment, task: SimulatedTask, registration: TargetRegistration, target_group: Any
    ) -> targets.TargetHealth | None:
        """What a check finds now, if checking can change anything (else None).

        Nothing changes for a target the control API set (or deregistered), for a script whose
        targets stay `initial`, or for a target whose state already is what the checks find."""
        current = targets.health_of(target_group, task.private_ip)
        if current is None or current is not registration.model_health:
            return None
        found = self._probe(deployment, target_group)
        if found is None:
            return None
        if found.state == "healthy":
            if current.state == "healthy" and registration.fails == 0:
                return None
        elif current == found and registration.passes == 0:
            return None
        return found

    def _apply_check(
        self, task: SimulatedTask, registration: TargetRegistration, target_group: Any, found: targets.TargetHealth
    ) -> None:
        """One health check's result; the state changes once a threshold of results in a row is met."""
        current = registration.model_health
        if found.state == "healthy":
            registration.passes += 1
            registration.fails = 0
            if current.state != "healthy" and registration.passes >= targets.healthy_threshold(target_group):
                self._set_model_health(task, registration, target_group, targets.TargetHealth("healthy"))
            elif current.reason == "Elb.RegistrationInProgress":
                self._set_model_health(task, registration, target_group, targets.initial_health_checking())
            return
        registration.fails += 1
        registration.passes = 0
        if current.state == "unhealthy":
            if current != found:  # still unhealthy, for the latest failure's reason
                self._set_model_health(task, registration, target_group, dataclasses.replace(found))
        elif registration.fails >= targets.unhealthy_threshold(target_group):
            self._set_model_health(task, registration, target_group, dataclasses.replace(found))
            self._event(
                events.target_unhealthy(
                    self.name, task.task_id, registration.port, registration.target_group_arn, found.description or ""
                )
            )
        elif current.reason == "Elb.RegistrationInProgress":
            self._set_model_health(task, registration, target_group, targets.initial_health_checking())

    def _set_model_health(
        self, task: SimulatedTask, registration: TargetRegistration, target_group: Any, health: targets.TargetHealth
    ) -> None:
        registration.model_health = health
        targets.set_health(target_group, task.private_ip, health)
        self._changes += 1

    def _probe(self, deployment: Deployment, target_group: Any) -> targets.TargetHealth | None:
        """What the target group's health check finds at a task of `deployment` (None: no answer).

        The app scripted for the service (`apps`), else the script's `target_health`."""
        app = apps.app_for(self.account_id, self.name, self.service.region_name, deployment.task_definition)
        if app is not None:
            return apps.health_check(app, target_group)
        script = deployment.script
        if script.target_health == "healthy":
            return targets.TargetHealth("healthy")
        if script.target_health == "unhealthy":
            return targets.unhealthy(script.unhealthy_reason)
        return None  # `initial`: the checks never decide

    def _failing_registration(self, task: SimulatedTask) -> TargetRegistration | None:
        for registration in task.registrations:
            if self._health(task, registration.target_group_arn) == "unhealthy":
                return registration
        return None

    def _is_healthy(self, task: SimulatedTask) -> bool:
        if task.status != RUNNING or task.stop_at_ms is not None:
            return False
        return all(self._health(task, r.target_group_arn) == "healthy" for r in task.registrations)

    def _health(self, task: SimulatedTask, target_group_arn: str) -> str | None:
        target_group = targets.find_target_group(self.account_id, target_group_arn)
        if target_group is None:
            return None
        health = targets.health_of(target_group, task.private_ip)
        return health.state if health is not None else None

    # --- helpers ----------------------------------------------------------------------------

    def _record_stop(self, deployment: Deployment, task: SimulatedTask, reason: str, stop_code: str) -> None:
        deployment.record_stop(task, reason, stop_code)
        self.stopped_tasks.append(
            {**deployment.stopped_tasks[-1], "deployment_id": deployment.id, "stopped_at_seconds": self.now_ms / 1000}
        )
        del self.stopped_tasks[:-MAX_STOPPED_TASKS]

    def _event(self, message: str) -> None:
        self.event_log.add(message, self.at())
        self._changes += 1

    def _touch(self, deployment: Deployment) -> None:
        deployment.updated_at = self.at()
        self._changes += 1

    def _grace_period_ms(self) -> int:
        value = getattr(self.service, "health_check_grace_period_seconds", None)
        return int(value * 1000) if isinstance(value, (int, float)) and value > 0 else 0

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


def _seconds(milliseconds: int | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


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


def models_of(account_id: str) -> list[ServiceRollout]:
    """The rollout models of the account's ACTIVE services, every region."""
    found = []
    for backend in list((dict.get(ecs_backends, account_id) or {}).values()):
        for service in list(backend.services.values()):
            model = rollout_of(service)
            if model is not None and service.status == "ACTIVE":
                found.append(model)
    return found


def advance_account(account_id: str) -> None:
    """Every service of the account advanced to the account's simulated time (before it is observed)."""
    now = clock.now_ms(account_id)
    for model in models_of(account_id):
        model.advance_to(now)
        model.sync()


def settle_account(account_id: str) -> None:
    """After a change made now (an app, a target's health, a target group's settings): its effects."""
    advance_account(account_id)
    for model in models_of(account_id):
        model.settle()
        model.sync()


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


def attach(service: Service) -> ServiceRollout:
    """Gives a freshly created service its rollout model and first deployment (now, on the account's clock)."""
    rollout = ServiceRollout(service, now_ms=clock.now_ms(service._account_id))
    service.ecsdeploy_rollout = rollout
    rollout.start_deployment()
    rollout.settle()
    rollout.sync()
    return rollout
