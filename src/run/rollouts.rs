//! After `up` applied a plan: the rollouts it started, gated in parallel, rolled back on
//! failure, with progress on stderr and one result per service.

use super::session::Cloud;
use super::session::Session;
use super::{CommandError, StopKind};
use crate::apply::ApplyOutcome;
use crate::cli::GateArgs;
use crate::desired::task_definition::{SecretIdentity, container_images};
use crate::desired::{DesiredService, Reference};
use crate::exit_status::ExitStatus;
use crate::history::{self, DeployRecord, HistoryScope, RecordKind};
use crate::http_check::HttpCheck;
use crate::manifest::units::parse_duration_millis;
use crate::manifest::{Environment, Service, path_rewrite};
use crate::output::{Printer, rollout_view};
use crate::plan::address::ServicePart;
use crate::plan::values::Values;
use crate::plan::{Action, Plan};
use crate::rollout::runner::{Deployer, GateTimings, Rollout, RolloutEvent, Runner, ServiceOutcome};
use futures_util::StreamExt;
use std::time::Duration;

/// The rollouts `outcome` started: services whose ECS service was created or got a new PRIMARY
/// deployment (a settings- or tag-only change starts none and is not gated).
pub fn started_rollouts<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    plan: &Plan,
    outcome: &ApplyOutcome,
    gate: &GateArgs,
) -> Result<Vec<Rollout>, CommandError> {
    let environment = session.checked.manifest.environment(&session.environment).ok_or_else(|| {
        CommandError::stopped(StopKind::Internal, "the environment vanished from the manifest", Vec::new())
    })?;
    let mut rollouts = Vec::new();
    for change in &plan.changes {
        let applied = outcome.steps.iter().any(|step| step.address == change.address && step.error.is_none());
        let is_service = change.address.part() == Some(ServicePart::EcsService);
        if !is_service || !applied || !matches!(change.action(), Action::Create | Action::Update) {
            continue;
        }
        let Some(name) = change.address.service_name() else { continue };
        let (Some(desired), Some(manifest)) = (session.desired.service(name), environment.service(name)) else {
            continue;
        };
        let deployment = Reference::DeploymentId { service: desired.full_name.clone() };
        let Some(started) = outcome.values.one(&deployment) else { continue };
        if plan.values.one(&deployment) == Some(started) {
            continue;
        }
        rollouts.push(rollout(environment, manifest, desired, started, change.before(), &outcome.values, gate)?);
    }
    Ok(rollouts)
}

/// The rollout that puts `service` back on `record`'s task definition (a rollback, gated like
/// a deploy).
pub fn rollback_rollout<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    values: &Values,
    service: &str,
    record: &DeployRecord,
    gate: &GateArgs,
) -> Result<Rollout, CommandError> {
    let (environment, manifest, desired) = service_of(session, service)?;
    Ok(Rollout {
        task_definition: record.task_definition.clone(),
        image_digests: record.image_digests.clone(),
        config_hash: record.config_hash.clone(),
        kind: RecordKind::Rollback,
        ..service_rollout(environment, manifest, desired, values, gate)?
    })
}

/// The rollout that gates `service`'s current deployment `deployment_id` of `task_definition`,
/// which a run that stopped started (its record is `record`, if it wrote one) and nobody judged; `previous` is the last revision
/// that passed a gate (where ECS's circuit breaker would go).
#[allow(clippy::too_many_arguments)]
pub fn adopted_rollout<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    values: &Values,
    service: &str,
    task_definition: &str,
    record: Option<&DeployRecord>,
    deployment_id: &str,
    previous: Option<String>,
    gate: &GateArgs,
) -> Result<Rollout, CommandError> {
    let (environment, manifest, desired) = service_of(session, service)?;
    let base = service_rollout(environment, manifest, desired, values, gate)?;
    Ok(Rollout {
        deployment_id: deployment_id.to_string(),
        task_definition: task_definition.to_string(),
        previous_task_definition: previous,
        image_digests: record.map(|record| record.image_digests.clone()).unwrap_or_default(),
        secret_versions: record.map(|record| record.secret_versions.clone()).unwrap_or_default(),
        config_hash: record.map(|record| record.config_hash.clone()).unwrap_or_default(),
        kind: record.map_or(RecordKind::Deploy, |record| record.kind),
        ..base
    })
}

/// The environment, and `service`'s manifest entry and desired state in it.
fn service_of<'a, C: Cloud, H: HttpCheck>(
    session: &'a Session<C, H>,
    service: &str,
) -> Result<(&'a Environment, &'a Service, &'a DesiredService), CommandError> {
    let environment = session.checked.manifest.environment(&session.environment).ok_or_else(|| {
        CommandError::stopped(StopKind::Internal, "the environment vanished from the manifest", Vec::new())
    })?;
    match (environment.service(service), session.desired.service(service)) {
        (Some(manifest), Some(desired)) => Ok((environment, manifest, desired)),
        _ => Err(CommandError::usage(
            format!("no service `{service}` in environment {}", session.environment),
            Vec::new(),
        )),
    }
}

/// What every rollout of `desired` shares (its service, target group, secrets, health URL and
/// timings); the revision, deployment and record fields are the caller's.
fn service_rollout(
    environment: &Environment,
    manifest: &Service,
    desired: &DesiredService,
    values: &Values,
    gate: &GateArgs,
) -> Result<Rollout, CommandError> {
    Ok(Rollout {
        service: desired.name.clone(),
        full_name: desired.full_name.clone(),
        cluster: desired.service.cluster.clone(),
        target_group_arn: values.one(&Reference::TargetGroupArn(desired.target_group.name.clone())).map(str::to_string),
        deployment_id: String::new(),
        task_definition: String::new(),
        previous_task_definition: None,
        image_digests: Vec::new(),
        secret_versions: secret_versions(desired, values),
        config_hash: String::new(),
        http_url: health_url(environment, manifest, gate),
        timings: timings(manifest, gate)?,
        kind: RecordKind::Deploy,
    })
}

#[allow(clippy::too_many_arguments)]
fn rollout(
    environment: &Environment,
    manifest: &Service,
    desired: &DesiredService,
    deployment_id: &str,
    before: Option<&crate::plan::resources::Payload>,
    values: &Values,
    gate: &GateArgs,
) -> Result<Rollout, CommandError> {
    let family = desired.task_definition.family.clone();
    // Never a rollout of "" (the gate would follow nothing, the history record nothing).
    let task_definition = values.one(&Reference::TaskDefinitionArn { family: family.clone() }).ok_or_else(|| {
        CommandError::stopped(
            StopKind::Internal,
            format!("the revision of {family} that apply registered is not known: its rollout cannot be followed"),
            Vec::new(),
        )
    })?;
    let definition = serde_json::to_value(&desired.task_definition)
        .map_err(|error| CommandError::stopped(StopKind::Internal, error.to_string(), Vec::new()))?;
    let resolved = values.resolve(&definition);
    Ok(Rollout {
        deployment_id: deployment_id.to_string(),
        task_definition: task_definition.to_string(),
        previous_task_definition: match before {
            Some(crate::plan::resources::Payload::EcsService(service)) => Some(service.task_definition.to_string()),
            _ => None,
        },
        image_digests: container_images(&resolved),
        config_hash: history::config_hash(&resolved),
        ..service_rollout(environment, manifest, desired, values, gate)?
    })
}

/// The current version of each secret `service` uses, as read before the run.
fn secret_versions(service: &DesiredService, values: &Values) -> std::collections::BTreeMap<String, String> {
    let secrets = service.task_definition.container_definitions.iter().flat_map(|container| &container.secrets);
    secrets
        .filter_map(|secret| {
            let key = match &secret.secret {
                SecretIdentity::Name(key) | SecretIdentity::Arn(key) => key.clone(),
            };
            let version = values.one(&Reference::SecretVersionId(key.clone()))?;
            Some((key, version.to_string()))
        })
        .collect()
}

/// The gate's HTTP check URL: `<base>` and the public path that reaches the app as
/// `health_check.path` through the rule's rewrite (`/stage/auth/health` for `/auth/*` in stage,
/// which the app receives as `/health`), so that the gate and the target group ask the app for
/// the same path. Where no public path does (validation warned, `path_rewrite = "none"`), the
/// health path under the service's route, as the ALB forwards it.
pub fn health_url(environment: &Environment, service: &Service, gate: &GateArgs) -> Option<String> {
    let base = match (&gate.health_check_base_url, &environment.domain) {
        (Some(base), _) => base.trim_end_matches('/').to_string(),
        (None, Some(domain)) => format!("https://{}", domain.value.trim_end_matches('.')),
        (None, None) => return None,
    };
    let prefix = &environment.path_prefix.value;
    let health = &service.health_check.path.value;
    let path = path_rewrite::public_health_path(service.path_rewrite.value, prefix, &service.path.value, health)
        .unwrap_or_else(|_| {
            let route = service.path.value.trim_end_matches('*').trim_end_matches('/');
            format!("{prefix}{route}{health}")
        });
    Some(format!("{base}{path}"))
}

pub fn timings(service: &Service, gate: &GateArgs) -> Result<GateTimings, CommandError> {
    let interval = duration_flag(gate.poll_interval.as_deref(), "poll-interval")?
        .unwrap_or_else(|| Duration::from_secs(service.deployment.poll_interval_seconds.max(1) as u64));
    let deadline = duration_flag(gate.rollout_timeout.as_deref(), "rollout-timeout")?
        .unwrap_or_else(|| Duration::from_secs(service.deployment.timeout_seconds.max(1) as u64));
    let check = &service.health_check;
    Ok(GateTimings {
        deadline,
        interval,
        grace_period: Duration::from_secs(check.grace_period_seconds.max(0) as u64),
        matcher: check.matcher.value.clone(),
        healthy_threshold: check.healthy_threshold.max(1) as u32,
        unhealthy_threshold: check.unhealthy_threshold.max(1) as u32,
    })
}

/// Checks every gate flag and variable (`--poll-interval`, `--rollout-timeout`, their
/// `ECSDEPLOY_*` variables, `--health-check-base-url`) before anything changes: a value refused
/// after the plan was applied would leave a rollout live that nobody gates or records.
pub fn check_gate_flags(gate: &GateArgs) -> Result<(), CommandError> {
    let interval = duration_flag(gate.poll_interval.as_deref(), "poll-interval")?;
    let deadline = duration_flag(gate.rollout_timeout.as_deref(), "rollout-timeout")?;
    if let (Some(interval), Some(deadline)) = (interval, deadline)
        && interval > deadline
    {
        return Err(CommandError::usage(
            format!(
                "--poll-interval {} is longer than --rollout-timeout {}: the gate would never look",
                gate.poll_interval.as_deref().unwrap_or_default(),
                gate.rollout_timeout.as_deref().unwrap_or_default()
            ),
            vec![
                "poll more often than the deadline, e.g. --poll-interval 5s --rollout-timeout 15m; nothing was changed"
                    .into(),
            ],
        ));
    }
    if let Some(base) = &gate.health_check_base_url {
        let scheme_ok = base.starts_with("http://") || base.starts_with("https://");
        let host_ok = base.split_once("://").is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
        if !scheme_ok || !host_ok || base.chars().any(char::is_whitespace) {
            return Err(CommandError::usage(
                format!("--health-check-base-url `{base}` is not an http(s) URL"),
                vec!["write e.g. --health-check-base-url https://stage.example.com".into()],
            ));
        }
    }
    Ok(())
}

/// The bounds of a gate duration flag: 0 never waits (and floods the APIs; 10 ms is for an
/// emulator whose clock runs fast); a gate longer than a day is a typo, not a rollout.
const FLAG_BOUNDS: [(&str, Duration, Duration); 2] = [
    ("poll-interval", Duration::from_millis(10), Duration::from_secs(600)),
    ("rollout-timeout", Duration::from_secs(1), Duration::from_secs(24 * 3600)),
];

/// A duration flag's value (`500ms`, `5s`, `10m`), when given, within [`FLAG_BOUNDS`].
fn duration_flag(text: Option<&str>, flag: &str) -> Result<Option<Duration>, CommandError> {
    let Some(text) = text else { return Ok(None) };
    let (_, low, high) = FLAG_BOUNDS.iter().find(|(name, _, _)| *name == flag).copied().unwrap_or((
        flag,
        Duration::from_millis(1),
        Duration::MAX,
    ));
    let variable = format!("ECSDEPLOY_{}", flag.to_uppercase().replace('-', "_"));
    match parse_duration_millis(text).map(Duration::from_millis) {
        Some(value) if value >= low && value <= high => Ok(Some(value)),
        Some(_) => Err(CommandError::usage(
            format!("--{flag} `{text}` is out of range (from {} to {})", show(low), show(high)),
            vec![format!("pass --{flag} (or set {variable}) within that range; nothing was changed")],
        )),
        None => Err(CommandError::usage(
            format!("--{flag} `{text}` is not a duration"),
            vec![format!("write e.g. --{flag} 500ms, 5s or 10m (or fix {variable}); nothing was changed")],
        )),
    }
}

/// `100ms`, `1s`, `10m`, `24h`: a bound as the flags are written.
fn show(duration: Duration) -> String {
    let millis = duration.as_millis();
    match millis {
        _ if millis.is_multiple_of(3_600_000) => format!("{}h", millis / 3_600_000),
        _ if millis.is_multiple_of(60_000) => format!("{}m", millis / 60_000),
        _ if millis.is_multiple_of(1000) => format!("{}s", millis / 1000),
        _ => format!("{millis}ms"),
    }
}

/// Before `up` changes a service: the history must be readable, or a failed rollout would have
/// nowhere known to go back to. (A missing table is fine: the first record creates it.)
pub async fn check_history_reachable<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    plan: &Plan,
) -> Result<(), CommandError> {
    let changes_a_service = plan.changes.iter().find(|change| {
        change.address.part() == Some(ServicePart::EcsService)
            && matches!(change.action(), Action::Create | Action::Update)
    });
    let Some(service) = changes_a_service.and_then(|change| change.address.service_name()) else { return Ok(()) };
    let scope = session.history_scope();
    session.cloud.history_list(&scope, service).await?;
    Ok(())
}

/// What to do when a gate fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailurePolicy {
    /// Return the service to its last good revision (off with `--no-rollback`).
    pub roll_back: bool,
    /// A failure rolls back every service of the run (`--atomic`).
    pub atomic: bool,
    /// Part of the apply failed: with `atomic`, that too rolls back the services that passed.
    pub apply_failed: bool,
}

/// What a [`Runner`] borrows besides the session, made once per command.
pub struct RunnerParts<'s, H> {
    http: &'s H,
    history: HistoryScope,
    deployer: Deployer,
}

impl<'s, H: HttpCheck> RunnerParts<'s, H> {
    /// Fails when the session has no HTTP check (the system's TLS certificates are unreadable).
    pub fn new<C: Cloud>(session: &'s Session<C, H>) -> Result<Self, CommandError> {
        let http = session.http.as_ref().ok_or_else(|| {
            CommandError::stopped(
                StopKind::System,
                "cannot read the system's TLS certificates for the HTTP check",
                Vec::new(),
            )
        })?;
        let mut deployer = super::deployer::deployer(&session.identity_arn, &session.checked_dir());
        deployer.run = session.run.clone();
        Ok(RunnerParts { http, history: session.history_scope(), deployer })
    }

    pub fn history(&self) -> &HistoryScope {
        &self.history
    }

    pub fn runner<'a, C: Cloud>(
        &'a self,
        session: &'a Session<C, H>,
        report: &'a (dyn Fn(RolloutEvent) + Sync),
    ) -> Runner<'a, C, H> {
        Runner {
            cloud: &session.cloud,
            http: self.http,
            history: &self.history,
            deployer: &self.deployer,
            report,
            now: &history::time::now,
        }
    }
}

/// Gates every rollout, all at once, rolling back failures as `policy` says. Returns each
/// outcome. Ctrl-C ends the waits (and, unless `--no-rollback`, rolls back).
///
/// Not bounded by `--parallelism` (how many services the apply changes at once): by the time
/// the gates start, ECS rolls every started deployment out at once, and a gate held back in a
/// queue would only judge later, leaving a failing revision serving longer before its
/// rollback. Their polls share `DescribeServices` calls (`cloud::aws::service_looks`), so
/// gating 40 services costs 4 of them per poll.
pub async fn run_rollouts<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    rollouts: &[Rollout],
    policy: FailurePolicy,
    printer: &Printer,
) -> Result<Vec<(String, ServiceOutcome)>, CommandError> {
    let parts = RunnerParts::new(session)?;
    for rollout in rollouts.iter().filter(|rollout| rollout.http_url.is_none()) {
        printer.warning(&format!(
            "{}: no HTTP check (the environment has no domain and no --health-check-base-url was given): the gate judges ECS and target health only",
            rollout.service
        ));
    }
    let report = |event: RolloutEvent| rollout_view::show_event(printer, &event);
    let runner = parts.runner(session, &report);
    crate::interrupt::begin_gating();
    let mut outcomes: Vec<(String, ServiceOutcome)> = futures_util::stream::iter(rollouts)
        .map(|rollout| {
            let runner = &runner;
            async move {
                let outcome = runner.run(rollout, policy.roll_back, crate::interrupt::requested()).await;
                (rollout.service.clone(), outcome.unwrap_or_else(unjudged))
            }
        })
        .buffer_unordered(rollouts.len().max(1))
        .collect()
        .await;
    let failed =
        policy.apply_failed || outcomes.iter().any(|(_, outcome)| !matches!(outcome, ServiceOutcome::Passed { .. }));
    if policy.atomic && failed && policy.roll_back {
        for (service, outcome) in
            outcomes.iter_mut().filter(|(_, outcome)| matches!(outcome, ServiceOutcome::Passed { .. }))
        {
            if let Some(rollout) = rollouts.iter().find(|rollout| &rollout.service == service) {
                *outcome = runner.roll_back_passed(rollout).await.unwrap_or_else(unjudged);
            }
        }
    }
    for (service, outcome) in &outcomes {
        report(RolloutEvent::Finished { service: service.clone(), outcome: outcome.clone() });
    }
    Ok(outcomes)
}

/// An AWS error stopped the runner (after its own retries): the service was neither judged nor
/// rolled back, and a person must look.
fn unjudged(error: crate::cloud::CloudError) -> ServiceOutcome {
    ServiceOutcome::RollbackFailed {
        failure: crate::rollout::Failure::Unobserved { error: error.to_string() },
        reason: "ecsdeploy could not finish following it, so it was not rolled back".into(),
    }
}

/// 0 all passed; 3 something was rolled back; 4 a rollback failed; 1 a failure was left as is.
pub fn exit_status(outcomes: &[(String, ServiceOutcome)]) -> ExitStatus {
    let any = |test: fn(&ServiceOutcome) -> bool| outcomes.iter().any(|(_, outcome)| test(outcome));
    if any(|outcome| matches!(outcome, ServiceOutcome::RollbackFailed { .. })) {
        ExitStatus::RollbackFailed
    } else if any(|outcome| matches!(outcome, ServiceOutcome::Failed { .. })) {
        ExitStatus::Failure
    } else if any(|outcome| matches!(outcome, ServiceOutcome::RolledBack { .. })) {
        ExitStatus::RolledBack
    } else {
        ExitStatus::Success
    }
}
