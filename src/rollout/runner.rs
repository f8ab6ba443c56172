//! Gating the rollouts a run started, and rolling back the ones that fail: to the last good
//! revision in the history (never "the previous revision number"), gated again.

use super::HttpCheck;
use super::ServiceControl;
use super::gate::{Failure, GateSettings, Verdict};
use super::observation::Observation;
use super::wait::{Progress, wait_for_rollout};
use crate::cloud::CloudError;
use crate::history::{self, DeployRecord, HistoryScope, HistoryStore, Outcome, RecordKind};
use serde::Serialize;
use std::future::Future;
use std::time::Duration;

/// How long and how closely to watch one service, from the manifest and flags.
#[derive(Debug, Clone, PartialEq)]
pub struct GateTimings {
    pub deadline: Duration,
    pub interval: Duration,
    pub grace_period: Duration,
    pub matcher: String,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

/// One rollout to gate.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    /// The manifest's name (`auth`).
    pub service: String,
    /// The ECS service (`stage-auth`).
    pub full_name: String,
    pub cluster: String,
    pub target_group_arn: Option<String>,
    /// The deployment this run started.
    pub deployment_id: String,
    pub task_definition: String,
    /// What the service ran before this run (a starting point when there is no history yet).
    pub previous_task_definition: Option<String>,
    pub image_digests: Vec<String>,
    /// Secret name or ARN -> the current version ID the tasks start with.
    pub secret_versions: std::collections::BTreeMap<String, String>,
    pub config_hash: String,
    /// The service's health URL through the ALB; `None`: no HTTP check.
    pub http_url: Option<String>,
    pub timings: GateTimings,
    pub kind: RecordKind,
}

/// Who is deploying, for the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployer {
    pub operator: String,
    pub git_commit: Option<String>,
    /// The run (host, pid, lock token) its records name.
    pub run: Option<history::RunRef>,
}

/// How one service's rollout ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum ServiceOutcome {
    Passed {
        task_definition: String,
    },
    RolledBack {
        failure: Failure,
        to: String,
    },
    RollbackFailed {
        failure: Failure,
        reason: String,
    },
    /// Failed and left as it is (`--no-rollback`).
    Failed {
        failure: Failure,
    },
}

/// Something worth showing while rollouts run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum RolloutEvent {
    Progress { service: String, rollback: bool, progress: Progress },
    Failed { service: String, failure: Failure },
    RollingBack { service: String, to: String },
    Finished { service: String, outcome: ServiceOutcome },
}

/// The dependencies of a rollout: AWS, the HTTP check, where history goes, and who deploys.
pub struct Runner<'a, C, H> {
    pub cloud: &'a C,
    pub http: &'a H,
    pub history: &'a HistoryScope,
    pub deployer: &'a Deployer,
    pub report: &'a (dyn Fn(RolloutEvent) + Sync),
    pub now: &'a (dyn Fn() -> (String, u128) + Sync),
}

impl<C: ServiceControl + HistoryStore, H: HttpCheck> Runner<'_, C, H> {
    /// Gates `rollout`; on failure (unless `roll_back` is false) returns the service to its last
    /// good revision and gates that. `interrupted` ends the first wait (Ctrl-C).
    pub async fn run(
        &self,
        rollout: &Rollout,
        roll_back: bool,
        interrupted: impl Future<Output = ()>,
    ) -> Result<ServiceOutcome, CloudError> {
        let records = self.history_with_baseline(rollout).await?;
        let mut record = self.begin(rollout).await?;
        let verdict = match self.gate(rollout, &rollout.deployment_id, false, interrupted).await {
            Ok(verdict) => verdict,
            Err(error) => {
                // Best effort: the record should not stay "in progress" for ever.
                let reason = format!("could not follow the rollout: {error}");
                let _ = self.finish(&mut record, Outcome::RollbackFailed, Some(reason)).await;
                return Err(error);
            }
        };
        let failure = match verdict {
            Verdict::Passed => {
                self.finish(&mut record, Outcome::Succeeded, None).await?;
                return Ok(ServiceOutcome::Passed { task_definition: rollout.task_definition.clone() });
            }
            Verdict::Failed(failure) => failure,
            Verdict::Waiting(_) => Failure::Interrupted,
        };
        (self.report)(RolloutEvent::Failed { service: rollout.service.clone(), failure: failure.clone() });
        if !roll_back || matches!(failure, Failure::Superseded { .. }) {
            self.finish(&mut record, Outcome::Failed, Some(failure.to_string())).await?;
            return Ok(ServiceOutcome::Failed { failure });
        }
        self.roll_back(rollout, &records, &mut record, failure).await
    }

    /// Rolls `rollout`'s service back to its last good revision (its record is `record`).
    async fn roll_back(
        &self,
        rollout: &Rollout,
        records: &[DeployRecord],
        record: &mut DeployRecord,
        failure: Failure,
    ) -> Result<ServiceOutcome, CloudError> {
        if rollout.previous_task_definition.as_deref() == Some(rollout.task_definition.as_str()) {
            // Same revision restarted (a secret's new version): older code would not help.
            let reason = "the revision did not change (a restart to read new secret versions), so there is no revision to go back to: \
                 make the previous secret version current again (aws secretsmanager update-secret-version-stage; \
                 the history records the versions each deploy started with) and run up"
                .to_string();
            self.finish(record, Outcome::RollbackFailed, Some(format!("{failure}; {reason}"))).await?;
            return Ok(ServiceOutcome::RollbackFailed { failure, reason });
        }
        let Some(good) = self.last_good(records, &record.id, &rollout.task_definition).await? else {
            let reason =
                "there is no earlier good revision to return to (the service has never passed a gate)".to_string();
            self.finish(record, Outcome::RollbackFailed, Some(format!("{failure}; {reason}"))).await?;
            return Ok(ServiceOutcome::RollbackFailed { failure, reason });
        };
        (self.report)(RolloutEvent::RollingBack { service: rollout.service.clone(), to: good.task_definition.clone() });
        let back = back_to(rollout, &good);
        let outcome = self.redeploy(&back).await;
        let (outcome, reason) = match outcome {
            Ok(Verdict::Passed) => (Outcome::RolledBack, None),
            Ok(verdict) => {
                (Outcome::RollbackFailed, Some(format!("the rollback failed its gate too: {}", describe(&verdict))))
            }
            Err(error) => (Outcome::RollbackFailed, Some(format!("the rollback failed: {error}"))),
        };
        self.finish(record, outcome, Some(failure.to_string())).await?;
        Ok(match reason {
            None => ServiceOutcome::RolledBack { failure, to: good.task_definition },
            Some(reason) => ServiceOutcome::RollbackFailed { failure, reason },
        })
    }

    /// `--atomic`: `rollout` passed, but another service of the run failed: back to the good
    /// revision before it.
    pub async fn roll_back_passed(&self, rollout: &Rollout) -> Result<ServiceOutcome, CloudError> {
        if rollout.previous_task_definition.as_deref() == Some(rollout.task_definition.as_str()) {
            // A restart on the same revision (new secret versions): there is no older code to
            // return to, and it passed.
            return Ok(ServiceOutcome::Passed { task_definition: rollout.task_definition.clone() });
        }
        let records = self.cloud.history_list(self.history, &rollout.service).await?;
        let passed = records.iter().find(|record| record.task_definition == rollout.task_definition);
        let passed_id = passed.map(|record| record.id.clone()).unwrap_or_default();
        let failure = Failure::DeploymentFailed { reason: "another service of this run failed (--atomic)".into() };
        let Some(good) = self.last_good(&records, &passed_id, &rollout.task_definition).await? else {
            return Ok(ServiceOutcome::RollbackFailed { failure, reason: "there is no earlier good revision".into() });
        };
        (self.report)(RolloutEvent::RollingBack { service: rollout.service.clone(), to: good.task_definition.clone() });
        let back = back_to(rollout, &good);
        Ok(match self.redeploy(&back).await? {
            Verdict::Passed => ServiceOutcome::RolledBack { failure, to: good.task_definition },
            verdict => ServiceOutcome::RollbackFailed {
                failure,
                reason: format!("the rollback failed its gate: {}", describe(&verdict)),
            },
        })
    }

    /// Points the service at `rollout.task_definition`, gates it, and records it.
    pub async fn redeploy(&self, rollout: &Rollout) -> Result<Verdict, CloudError> {
        let mut record = self.begin(rollout).await?;
        let deployment =
            self.cloud.deploy_revision(&rollout.cluster, &rollout.full_name, &rollout.task_definition).await;
        let verdict = match deployment {
            Ok(deployment) => self.gate(rollout, &deployment, true, std::future::pending()).await,
            Err(error) => Err(error),
        };
        let (outcome, reason) = match &verdict {
            Ok(Verdict::Passed) => (Outcome::Succeeded, None),
            Ok(other) => (Outcome::RollbackFailed, Some(describe(other))),
            Err(error) => (Outcome::RollbackFailed, Some(error.to_string())),
        };
        self.finish(&mut record, outcome, reason).await?;
        verdict
    }

    async fn gate(
        &self,
        rollout: &Rollout,
        deployment_id: &str,
        rollback: bool,
        interrupted: impl Future<Output = ()>,
    ) -> Result<Verdict, CloudError> {
        let timings = &rollout.timings;
        let settings = GateSettings {
            deployment_id: deployment_id.to_string(),
            task_definition: rollout.task_definition.clone(),
            previous_task_definition: rollout.previous_task_definition.clone(),
            deadline: timings.deadline,
            grace_period: timings.grace_period,
            http_url: rollout.http_url.clone(),
            matcher: timings.matcher.clone(),
            healthy_threshold: timings.healthy_threshold,
            unhealthy_threshold: timings.unhealthy_threshold,
        };
        let observe = || async {
            let (service, targets) = self
                .cloud
                .observe_service(&rollout.cluster, &rollout.full_name, rollout.target_group_arn.as_deref())
                .await?;
            let http = match &rollout.http_url {
                Some(url) if targets_ready(&service, &targets, deployment_id) => Some(self.http.get(url).await),
                _ => None,
            };
            Ok(Observation { service, targets, http })
        };
        let report = |progress: &Progress| {
            (self.report)(RolloutEvent::Progress {
                service: rollout.service.clone(),
                rollback,
                progress: progress.clone(),
            })
        };
        wait_for_rollout(&settings, timings.interval, observe, interrupted, &report).await
    }

    /// The service's records; when it has no good one yet but ran a revision before this run,
    /// that revision is recorded first as the baseline to return to.
    async fn history_with_baseline(&self, rollout: &Rollout) -> Result<Vec<DeployRecord>, CloudError> {
        let records = self.cloud.history_list(self.history, &rollout.service).await?;
        // Only for a service with no history at all: a revision still running after a failed
        // deploy is not known to be good.
        let Some(previous) = rollout.previous_task_definition.as_ref().filter(|_| records.is_empty()) else {
            return Ok(records);
        };
        let (started_at, millis) = (self.now)();
        let baseline = DeployRecord {
            id: history::new_id(millis.saturating_sub(1)),
            service: rollout.service.clone(),
            kind: RecordKind::Baseline,
            started_at: started_at.clone(),
            finished_at: Some(started_at),
            operator: self.deployer.operator.clone(),
            git_commit: None,
            task_definition: previous.clone(),
            image_digests: Vec::new(),
            secret_versions: Default::default(),
            config_hash: String::new(),
            outcome: Outcome::Succeeded,
            reason: Some("running before ecsdeploy kept history for this service".into()),
            deployment_id: None,
            run: self.deployer.run.clone(),
        };
        self.cloud.history_append(self.history, &baseline).await?;
        let mut records = records;
        records.insert(0, baseline);
        Ok(records)
    }

    async fn begin(&self, rollout: &Rollout) -> Result<DeployRecord, CloudError> {
        let (started_at, millis) = (self.now)();
        let record = DeployRecord {
            id: history::new_id(millis),
            service: rollout.service.clone(),
            kind: rollout.kind,
            started_at,
            finished_at: None,
            operator: self.deployer.operator.clone(),
            git_commit: self.deployer.git_commit.clone(),
            task_definition: rollout.task_definition.clone(),
            image_digests: rollout.image_digests.clone(),
            secret_versions: rollout.secret_versions.clone(),
            config_hash: rollout.config_hash.clone(),
            outcome: Outcome::InProgress,
            reason: None,
            deployment_id: Some(rollout.deployment_id.clone()).filter(|id| !id.is_empty()),
            run: self.deployer.run.clone(),
        };
        self.cloud.history_append(self.history, &record).await?;
        Ok(record)
    }

    async fn finish(
        &self,
        record: &mut DeployRecord,
        outcome: Outcome,
        reason: Option<String>,
    ) -> Result<(), CloudError> {
        record.outcome = outcome;
        record.reason = reason;
        record.finished_at = Some((self.now)().0);
        self.cloud.history_finish(self.history, record).await
    }

    /// The newest good record other than `excluding` whose revision is not `failed_revision`
    /// (the one being rolled back from) and is still registered.
    pub async fn last_good(
        &self,
        records: &[DeployRecord],
        excluding: &str,
        failed_revision: &str,
    ) -> Result<Option<DeployRecord>, CloudError> {
        let candidates = records.iter().filter(|record| {
            record.outcome == Outcome::Succeeded && record.id != excluding && record.task_definition != failed_revision
        });
        for record in candidates {
            if self.cloud.is_revision_active(&record.task_definition).await? {
                return Ok(Some(record.clone()));
            }
        }
        Ok(None)
    }
}

/// The rollout that returns `rollout`'s service to `good` (its digests and configuration).
fn back_to(rollout: &Rollout, good: &DeployRecord) -> Rollout {
    Rollout {
        task_definition: good.task_definition.clone(),
        previous_task_definition: Some(rollout.task_definition.clone()),
        image_digests: good.image_digests.clone(),
        config_hash: good.config_hash.clone(),
        kind: RecordKind::Rollback,
        ..rollout.clone()
    }
}

/// The HTTP check is only asked once ECS has finished and the targets answer the ALB.
fn targets_ready(service: &super::ServiceObservation, targets: &[super::TargetView], deployment_id: &str) -> bool {
    let completed = service.deployment(deployment_id).is_some_and(|deployment| deployment.rollout_state == "COMPLETED");
    completed && targets.iter().filter(|target| target.state != "draining").all(|target| target.state == "healthy")
}

fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Passed => "passed".into(),
        Verdict::Failed(failure) => failure.to_string(),
        Verdict::Waiting(_) => "unfinished".into(),
    }
}
