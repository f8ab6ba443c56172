//! The health gate: a deploy succeeds only when the new revision is really serving. Pure
//! conditions ([`gate`]) judged by one poll loop ([`wait`]); rollback to the last good revision
//! lives in `rollback`.

pub mod gate;
pub mod observation;
pub mod runner;
pub mod wait;

pub use gate::{Failure, GateSettings, Stage, Verdict};
pub use observation::{DeploymentView, HttpResult, Observation, ServiceEvent, ServiceObservation, TargetView};
