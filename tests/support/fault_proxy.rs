//! The emulator's fault-injecting proxy (emulator/README.md, "Fault proxy") in front of the test
//! emulator: one per test process, started on first use, exiting with it. Its rules and its log are
//! per access key, so each test (an emulator account of its own) sets and reads only its own.

use super::{TestAccount, emulator_endpoint, http, root};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The proxy's base URL; it forwards to [`emulator_endpoint`].
pub fn fault_proxy_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| start_proxy(emulator_endpoint()))
}

fn start_proxy(upstream: &str) -> String {
    let root = root();
    let name = format!("ecsdeploy-fault-proxy-{}", std::process::id());
    let port_file = std::env::temp_dir().join(format!("{name}.port"));
    let _ = std::fs::remove_file(&port_file);
    let log = std::fs::File::create(std::env::temp_dir().join(format!("{name}.log"))).expect("proxy log");
    // Not waited for: it exits by itself when this process does (--parent-pid).
    #[allow(clippy::zombie_processes)]
    let _proxy = Command::new(root.join(".emulator/venv/bin/python"))
        .args(["-m", "ecsdeploy_emulator.fault_proxy", "--upstream", upstream])
        .args(["--host", "127.0.0.1", "--port", "0", "--seed", "1", "--port-file"])
        .arg(&port_file)
        .args(["--parent-pid", &std::process::id().to_string()])
        .env("PYTHONPATH", root.join("emulator"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start the fault proxy");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(port) = std::fs::read_to_string(&port_file) {
            let endpoint = format!("http://127.0.0.1:{}", port.trim());
            if http::get(&endpoint, "/_fault/health").is_ok_and(|(status, _)| status == 200) {
                return endpoint;
            }
        }
        assert!(Instant::now() < deadline, "the fault proxy did not start within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One AWS request as the proxy logged it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ProxiedRequest {
    pub seq: u64,
    pub service: Option<String>,
    pub operation: Option<String>,
    /// The fault that fired (`lost-answer`...), if any.
    pub fault: Option<String>,
    /// What the emulator answered (also when the answer was then lost).
    pub upstream_status: Option<u16>,
}

impl ProxiedRequest {
    pub fn is(&self, operation: &str) -> bool {
        self.operation.as_deref() == Some(operation)
    }
}

impl TestAccount {
    /// This account with its AWS requests going through the fault proxy (its control API calls
    /// pass through it untouched; the gate's HTTP check still goes straight to the emulator).
    pub fn behind_fault_proxy(&self) -> TestAccount {
        TestAccount { endpoint: fault_proxy_endpoint().to_string(), ..self.clone() }
    }

    /// Replaces this account's fault rules (`[{"operation": "CreateRole", "fault": "lost-answer",
    /// "times": 1}]`; `[]` removes them).
    pub fn set_faults(&self, rules: serde_json::Value) {
        let body = serde_json::json!({"access_key": self.access_key_id, "rules": rules});
        let (status, answer) =
            http::post(fault_proxy_endpoint(), "/_fault/rules", &body.to_string()).expect("set fault rules");
        assert_eq!(status, 200, "setting fault rules: {answer}");
    }

    /// This account's AWS requests through the proxy so far, oldest first.
    pub fn proxied_requests(&self) -> Vec<ProxiedRequest> {
        let path = format!("/_fault/log?access_key={}", self.access_key_id);
        let (status, answer) = http::get(fault_proxy_endpoint(), &path).expect("read the fault log");
        assert_eq!(status, 200, "reading the fault log: {answer}");
        let log: serde_json::Value = serde_json::from_str(&answer).expect("fault log JSON");
        serde_json::from_value(log["requests"].clone()).expect("fault log entries")
    }
}
