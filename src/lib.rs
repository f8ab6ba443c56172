//! ecsdeploy: plan, apply and health-gate deployments of containerized services on Amazon ECS
//! with Fargate, from one manifest for many services and environments.
//!
//! Data flows one way: [`manifest`] (parse and check) -> [`desired`] (what one environment should
//! look like, as the AWS APIs would receive it) -> plan -> apply -> rollout gate -> [`output`].
//! [`manifest`] and [`desired`] are pure: no AWS SDK type and no async runtime.

pub mod actual;
pub mod apply;
pub mod checked;
pub mod cli;
pub mod cloud;
pub mod commands;
pub mod deploy_lock;
pub mod deployer_policy;
pub mod desired;
pub mod doctor;
pub mod exit_status;
pub mod history;
pub mod http_check;
pub mod images;
pub mod import;
pub mod interrupt;
pub mod manifest;
pub mod output;
pub mod plan;
pub mod poll;
pub mod resource;
pub mod rollout;
pub mod run;
pub mod secret_store;
