//! The health gate: a deploy succeeds only when the new revision is really serving. Pure
//! conditions ([`gate`]) judged by one poll loop ([`wait`]); the [`runner`] follows one rollout,
//! rolls back to the last good revision when the gate fails, and records both in the history.

pub mod gate;
pub mod observation;
pub mod runner;
pub mod wait;

pub use gate::{Failure, GateSettings, Stage, Verdict};
pub use observation::{DeploymentView, HttpResult, Observation, ServiceEvent, ServiceObservation, TargetView};

/// How the gate asks the service itself: one GET of its health URL.
#[allow(async_fn_in_trait)]
pub trait HttpCheck {
    async fn get(&self, url: &str) -> HttpResult;
}

/// What the gate needs from AWS: one look at a service, pointing it at a revision (a rollback),
/// and whether a revision can still be deployed.
#[allow(async_fn_in_trait)]
pub trait ServiceControl {
    /// One look at a service for the gate: its deployments and events, and the health of the
    /// targets in its target group.
    async fn observe_service(
        &self,
        cluster: &str,
        service: &str,
        target_group_arn: Option<&str>,
    ) -> Result<(ServiceObservation, Vec<TargetView>), crate::cloud::CloudError>;
    /// Points the service at another task definition (a rollback); returns the deployment's ID.
    async fn deploy_revision(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
    ) -> Result<String, crate::cloud::CloudError>;
    /// Whether a task definition revision is still registered (ACTIVE): only those can be
    /// rolled back to.
    async fn is_revision_active(&self, task_definition: &str) -> Result<bool, crate::cloud::CloudError>;
}
