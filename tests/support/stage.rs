//! What the tests of one environment's runs share: a manifest copy with a change to deploy,
//! runs in the background, a seeded choice of moments, and the stored lock, history and running
//! revision of stage (project acme), read with the SDK as a second client.

use aws_sdk_dynamodb::types::AttributeValue;
use std::process::{Child, Command, Stdio};

/// A manifest copy whose auth service logs at `level` (`"debug"`: a new revision of auth only).
pub fn auth_logging_at(level: &str) -> tempfile::TempDir {
    let directory = super::manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let services = services.replace("LOG_LEVEL = \"info\"\nTOKEN_TTL", &format!("LOG_LEVEL = \"{level}\"\nTOKEN_TTL"));
    assert!(services.contains(&format!("LOG_LEVEL = \"{level}\"")));
    super::write(directory.path(), "services.toml", &services);
    directory
}

/// `command` started in the background, its output captured.
pub fn spawn(command: &mut Command) -> Child {
    command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Waits for a [`spawn`]ed run; a run killed by a signal has code -1.
pub fn finish(child: Child) -> super::Run {
    let output = child.wait_with_output().unwrap();
    super::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// xorshift64*: seeded, reproducible choices (kill moments, soak steps).
pub struct Seeded(u64);

impl Seeded {
    pub fn new(seed: u64) -> Self {
        Seeded(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number below `bound` (at least 1).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound.max(1)
    }
}

/// The stored lock of stage: `(released, holding as JSON)`; `None` before any.
pub async fn stored_lock(config: &aws_config::SdkConfig) -> Option<(bool, serde_json::Value)> {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let output = dynamodb
        .get_item()
        .table_name("ecsdeploy-history-acme")
        .key("pk", AttributeValue::S("acme/stage".into()))
        .key("sk", AttributeValue::S("lock".into()))
        .consistent_read(true)
        .send()
        .await
        .ok()?;
    let item = output.item()?;
    let released = *item["released"].as_bool().unwrap();
    let record = serde_json::from_str(item["record"].as_s().unwrap()).unwrap();
    Some((released, record))
}

/// Every history record of `service` in stage, newest first (a consistent read).
pub async fn stage_records(config: &aws_config::SdkConfig, service: &str) -> Vec<serde_json::Value> {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let output = dynamodb
        .query()
        .table_name("ecsdeploy-history-acme")
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("acme/stage/{service}")))
        .scan_index_forward(false)
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    output.items().iter().map(|item| serde_json::from_str(item["record"].as_s().unwrap()).unwrap()).collect()
}

/// The task definition ECS service `service` (`stage-auth`) runs.
pub async fn running_task_definition(config: &aws_config::SdkConfig, service: &str) -> String {
    let ecs = aws_sdk_ecs::Client::new(config);
    let output = ecs.describe_services().cluster("acme").services(service).send().await.unwrap();
    output.services()[0].task_definition().unwrap().to_string()
}
