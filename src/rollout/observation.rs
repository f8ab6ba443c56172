//! What the gate sees of a rollout at one moment: the ECS deployment it follows, the service's
//! targets in its target group, and the result of the service's own HTTP check.

use serde::Serialize;

/// One ECS deployment as `DescribeServices` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentView {
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    pub task_definition: String,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED` (empty when ECS does not say).
    pub rollout_state: String,
    pub rollout_state_reason: String,
    pub desired_count: i64,
    pub running_count: i64,
    pub failed_tasks: i64,
}

/// One registered target and its health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetView {
    pub id: String,
    pub port: i64,
    /// `initial`, `healthy`, `unhealthy`, `draining`, `unused`, `unavailable`.
    pub state: String,
    pub reason: String,
}

/// A service event (`(service x) has reached a steady state.`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceEvent {
    pub id: String,
    pub created_at: String,
    pub message: String,
}

/// The ECS side of one observation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ServiceObservation {
    pub deployments: Vec<DeploymentView>,
    /// The task definition the service is set to run now.
    pub task_definition: String,
    pub desired_count: i64,
    pub running_count: i64,
    /// Newest first, as ECS returns them.
    pub events: Vec<ServiceEvent>,
}

impl ServiceObservation {
    pub fn deployment(&self, id: &str) -> Option<&DeploymentView> {
        self.deployments.iter().find(|deployment| deployment.id == id)
    }

    pub fn primary(&self) -> Option<&DeploymentView> {
        self.deployments.iter().find(|deployment| deployment.status == "PRIMARY")
    }
}

/// The result of one request of the service's HTTP check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum HttpResult {
    Status(u16),
    /// No HTTP answer at all (connection refused, timeout, TLS), with why.
    Unreachable(String),
}

/// Everything seen at one poll.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observation {
    pub service: ServiceObservation,
    pub targets: Vec<TargetView>,
    /// `None` when there is no HTTP check (no URL), or it was not made this poll.
    pub http: Option<HttpResult>,
}
