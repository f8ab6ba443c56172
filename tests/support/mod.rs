//! The test harness: runs the real `ecsdeploy` binary, alone or against the local AWS emulator
//! with an isolated account per test.
//!
//! The emulator is the one `scripts/test` started (`ECSDEPLOY_EMULATOR_ENDPOINT`), or else a
//! private one this test process starts and that exits with it.

#![allow(dead_code)]

pub mod fault_proxy;
pub mod http;
pub mod http_server;
pub mod json_schema;
pub mod stage;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Exit code, stdout and stderr together, for snapshots.
    pub fn transcript(&self) -> String {
        format!("exit code: {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.transcript()))
    }
}

/// `ecsdeploy` with an environment that cannot reach a real AWS account: no inherited AWS
/// settings, a throw-away HOME (no ~/.aws), no colour.
pub fn ecsdeploy(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecsdeploy"));
    command.args(args);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("AWS_") || key.starts_with("ECSDEPLOY_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    let home = std::env::temp_dir().join("ecsdeploy-test-home");
    let _ = std::fs::create_dir_all(&home);
    command
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

/// Runs a prepared command and collects its outcome.
pub fn run(command: &mut Command) -> Run {
    let output = command.output().expect("run ecsdeploy");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A copy of the shipped manifest in a fresh directory, for tests that edit it.
pub fn manifest_copy() -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("temporary directory");
    std::fs::copy(root().join("services.toml"), directory.path().join("services.toml")).unwrap();
    std::fs::create_dir(directory.path().join("environments")).unwrap();
    for name in ["test", "stage", "prod"] {
        let file = format!("environments/{name}.toml");
        std::fs::copy(root().join(&file), directory.path().join(&file)).unwrap();
    }
    directory
}

/// Writes `text` to `relative` under `directory`.
pub fn write(directory: &Path, relative: &str, text: &str) {
    let path = directory.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// The running emulator's base URL.
pub fn emulator_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| match std::env::var("ECSDEPLOY_EMULATOR_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => start_private_emulator(&[]),
    })
}

/// An emulator that enforces IAM on every AWS request (`--enforce-iam`, see emulator/README.md),
/// shared by this test process's tests that need one.
pub fn iam_enforcing_emulator_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| start_private_emulator(&["--enforce-iam"]))
}

/// Starts an emulator (with `flags`) that exits when this test process does; returns its URL.
fn start_private_emulator(flags: &[&str]) -> String {
    let root = root();
    let python = root.join(".emulator/venv/bin/python");
    if !python.exists() {
        let status = Command::new(root.join("scripts/emulator-setup")).status().expect("run scripts/emulator-setup");
        assert!(status.success(), "scripts/emulator-setup failed");
    }
    let name = format!("ecsdeploy-emulator-{}{}", std::process::id(), flags.join(""));
    let port_file = std::env::temp_dir().join(format!("{name}.port"));
    let _ = std::fs::remove_file(&port_file);
    let log = std::fs::File::create(std::env::temp_dir().join(format!("{name}.log"))).expect("emulator log");
    // Not waited for: it exits by itself when this process does (--parent-pid).
    #[allow(clippy::zombie_processes)]
    let _emulator = Command::new(python)
        .args(["-m", "ecsdeploy_emulator"])
        .args(flags)
        .args(["--host", "127.0.0.1", "--port", "0", "--port-file"])
        .arg(&port_file)
        .args(["--parent-pid", &std::process::id().to_string()])
        .env("PYTHONPATH", root.join("emulator"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start the emulator");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(port) = std::fs::read_to_string(&port_file) {
            let endpoint = format!("http://127.0.0.1:{}", port.trim());
            if http::get(&endpoint, "/moto-api/").is_ok_and(|(status, _)| status == 200) {
                return endpoint;
            }
        }
        assert!(Instant::now() < deadline, "the emulator did not start within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An emulator account of this test's own, with an access key that maps to it.
#[derive(Clone)]
pub struct TestAccount {
    /// A stand-in for the services that answers what a test tells it, request by request; the
    /// gate's HTTP check reaches it only after [`TestAccount::with_stand_in_checks`].
    pub stand_in: http_server::StandIn,
    /// Where the gate's HTTP check goes: the emulator's ALB data plane for this account (its
    /// rules, rewrites and healthy targets, and the apps scripted behind them), or the stand-in.
    pub health_check_base_url: String,
    pub endpoint: String,
    pub account_id: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl TestAccount {
    pub fn new() -> Self {
        Self::at(emulator_endpoint())
    }

    /// An account in the emulator at `endpoint`.
    pub fn at(endpoint: &str) -> Self {
        let endpoint = endpoint.to_string();
        let (status, body) = http::post(&endpoint, "/_ecsdeploy/accounts", "{}").expect("create an emulator account");
        assert!((200..300).contains(&status), "creating an account ({status}): {body}");
        let account: serde_json::Value = serde_json::from_str(&body).expect("account JSON");
        let field = |name: &str| account[name].as_str().unwrap_or_else(|| panic!("{name} in {body}")).to_string();
        let account_id = field("account_id");
        TestAccount {
            stand_in: http_server::StandIn::start(),
            health_check_base_url: format!("{endpoint}/_ecsdeploy/accounts/{account_id}/alb/acme/api.acme.example"),
            account_id,
            access_key_id: field("access_key_id"),
            secret_access_key: field("secret_access_key"),
            endpoint,
        }
    }

    /// `ecsdeploy` pointed at the emulator with this account's credentials (through the
    /// standard environment variables, as an operator's shell would).
    pub fn ecsdeploy(&self, args: &[&str]) -> Command {
        let mut command = ecsdeploy(args);
        command
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", &self.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_access_key)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_MAX_ATTEMPTS", "2")
            // The emulator runs rollouts 100 times faster than AWS: 50 ms here is AWS's 5 s poll.
            .env("ECSDEPLOY_POLL_INTERVAL", "50ms")
            .env("ECSDEPLOY_HEALTH_CHECK_BASE_URL", &self.health_check_base_url);
        command
    }

    /// The gate's HTTP check goes to the stand-in, for tests that script its answers one request
    /// at a time (which the apps behind the emulator's ALB cannot).
    pub fn with_stand_in_checks(mut self) -> Self {
        self.health_check_base_url = self.stand_in.base_url.clone();
        self
    }

    /// The app behind ECS service `service` answers `routes` (`{"/health": 200}`), any other
    /// path 404 (see emulator/README.md, apps).
    pub fn script_app(&self, service: &str, routes: serde_json::Value) {
        let body = serde_json::json!({"service": service, "routes": routes});
        let path = format!("/_ecsdeploy/accounts/{}/apps", self.account_id);
        let (status, answer) = http::post(&self.endpoint, &path, &body.to_string()).expect("script an app");
        assert!((200..300).contains(&status), "scripting an app ({status}): {answer}");
    }

    /// Scripts the next rollout(s) of the emulator (see emulator/README.md, control API).
    pub fn script_rollout(&self, body: serde_json::Value) {
        let path = format!("/_ecsdeploy/accounts/{}/ecs/rollouts", self.account_id);
        let (status, answer) = http::post(&self.endpoint, &path, &body.to_string()).expect("script a rollout");
        assert!((200..300).contains(&status), "scripting a rollout ({status}): {answer}");
    }

    /// Sets the account's simulated clock to `factor` simulated seconds per real second (0
    /// freezes every rollout where it is; see emulator/README.md, Time).
    pub fn set_clock_factor(&self, factor: f64) {
        let path = format!("/_ecsdeploy/accounts/{}/clock", self.account_id);
        let body = serde_json::json!({ "factor": factor }).to_string();
        let (status, answer) = http::post(&self.endpoint, &path, &body).expect("set the clock");
        assert!((200..300).contains(&status), "setting the clock ({status}): {answer}");
    }

    /// Creates the standard test world (VPC, subnets, certificate, zone, secrets) in the account.
    pub fn create_world(&self) -> serde_json::Value {
        self.create_world_with(serde_json::json!({}))
    }

    /// The standard test world with options (`{"egress": "none"}`: see emulator/README.md).
    pub fn create_world_with(&self, options: serde_json::Value) -> serde_json::Value {
        // The shipped manifest's services in every environment serve their health path, and
        // only that, behind the account's ALB. (Checked through the stand-in, the scripted
        // target health of the rollouts stays in force: an app would decide it.)
        let apps =
            if self.health_check_base_url == self.stand_in.base_url { &[][..] } else { &["test-", "stage-", ""][..] };
        for prefix in apps {
            for service in SERVICES {
                self.script_app(&format!("{prefix}{service}"), serde_json::json!({"/health": 200}));
            }
        }
        let path = format!("/_ecsdeploy/accounts/{}/world", self.account_id);
        let (status, body) = http::post(&self.endpoint, &path, &options.to_string()).expect("world");
        assert!((200..300).contains(&status), "creating the world ({status}): {body}");
        serde_json::from_str(&body).expect("world JSON")
    }

    /// An SDK configuration for this account: the second client tests check AWS state with.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let credentials =
            aws_credential_types::Credentials::new(&self.access_key_id, &self.secret_access_key, None, None, "test");
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials)
            .load()
            .await
    }
}

/// The shipped manifest's services.
pub const SERVICES: [&str; 4] = ["auth", "gmail", "calendar", "ai-router"];

/// An account with the test world, the repositories created by ecsdeploy (from the shipped
/// manifest) and an image `latest` pushed for every service.
pub async fn prepared_account() -> (TestAccount, aws_config::SdkConfig) {
    prepared_account_with(serde_json::json!({})).await
}

/// [`prepared_account`] in a world made with `options` (see emulator/README.md).
pub async fn prepared_account_with(options: serde_json::Value) -> (TestAccount, aws_config::SdkConfig) {
    prepare(TestAccount::new(), options).await
}

/// [`prepared_account`] in the emulator at `endpoint`.
pub async fn prepared_account_at(endpoint: &str) -> (TestAccount, aws_config::SdkConfig) {
    prepare(TestAccount::at(endpoint), serde_json::json!({})).await
}

async fn prepare(account: TestAccount, options: serde_json::Value) -> (TestAccount, aws_config::SdkConfig) {
    account.create_world_with(options);
    let repositories = run(account.ecsdeploy(&["repositories", "--env", "stage", "--yes"]).current_dir(root()));
    assert_eq!(repositories.code, 0, "{}", repositories.transcript());
    let config = account.sdk_config().await;
    for service in SERVICES {
        push_image(&config, &format!("acme/{service}"), "latest").await;
    }
    (account, config)
}

/// Pushes a small image manifest as `repository:tag` through the ECR API (the second client);
/// returns the digest ECR reports.
pub async fn push_image(config: &aws_config::SdkConfig, repository: &str, tag: &str) -> String {
    let config_digest = format!("sha256:{:064x}", repository.len() * 7919 + tag.len());
    let layer_digest = format!("sha256:{:064x}", repository.len() * 104729 + tag.len());
    put_image(config, repository, tag, &config_digest, &layer_digest).await
}

/// Pushes a build of its own (`build` tells builds apart) as `repository:tag`, as CI pushes a new
/// `latest`; returns the digest ECR reports.
pub async fn push_build(config: &aws_config::SdkConfig, repository: &str, tag: &str, build: &str) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(format!("{repository}:{build}").as_bytes());
    let layer = format!("sha256:{}", hash.iter().map(|byte| format!("{byte:02x}")).collect::<String>());
    put_image(config, repository, tag, &layer, &layer).await
}

async fn put_image(
    config: &aws_config::SdkConfig,
    repository: &str,
    tag: &str,
    config_digest: &str,
    layer_digest: &str,
) -> String {
    let ecr = aws_sdk_ecr::Client::new(config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": config_digest},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654, "digest": layer_digest}],
    });
    let output = ecr
        .put_image()
        .repository_name(repository)
        .image_tag(tag)
        .image_manifest(manifest.to_string())
        .image_manifest_media_type("application/vnd.docker.distribution.manifest.v2+json")
        .send()
        .await
        .unwrap_or_else(|error| panic!("push {repository}:{tag}: {error:?}"));
    output.image().and_then(|image| image.image_id()).and_then(|id| id.image_digest()).expect("digest").to_string()
}

/// The newest history record of `service` in stage (project acme) as stored, read with the SDK;
/// `None` when there is none (or no table yet).
pub async fn newest_stage_record(config: &aws_config::SdkConfig, service: &str) -> Option<String> {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let partition = aws_sdk_dynamodb::types::AttributeValue::S(format!("acme/stage/{service}"));
    let output = dynamodb
        .query()
        .table_name("ecsdeploy-history-acme")
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", partition)
        .scan_index_forward(false)
        .send()
        .await
        .ok()?;
    output.items().first()?.get("record")?.as_s().ok().cloned()
}
