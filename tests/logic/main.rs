//! Tests of the logic without AWS: the planner, apply, the rollout gate and the deploy lock over
//! the in-memory fake, the architecture rules, and the manifest reader on arbitrary input.
//!
//! One test binary for all of them: every test binary links the whole AWS SDK, and on a two-core
//! CI machine each one costs seconds of linking.

mod apply;
mod architecture;
mod doctor;
#[path = "../support/fake.rs"]
mod fake;
mod fake_contract;
mod import;
mod lock;
mod manifest_never_panics;
mod plan;
mod rollout_gate;
mod rollout_runner;
mod up;
