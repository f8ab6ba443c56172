//! End-to-end tests: the real `ecsdeploy` binary against the emulator, each test in an emulated
//! account of its own, the resulting AWS state checked with a second client (the SDK).
//!
//! One test binary for all of them: every test binary links the whole AWS SDK, and on a two-core
//! CI machine each one costs seconds of linking.

#[path = "../support/mod.rs"]
mod support;

mod crash_safety;
mod dns_ownership;
mod doctor;
mod environment_security_group;
mod hooks;
mod images;
mod import;
mod inventory;
mod json_contract;
mod kill_nine;
mod load_balancer;
mod lock;
mod lost_answers;
mod lost_lock_and_history;
mod network;
mod policy;
mod rollout;
mod routing;
mod secrets;
mod shared_resources;
mod soak;
mod up;
