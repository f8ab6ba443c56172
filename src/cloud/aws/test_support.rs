//! For tests of the readers and writers of this module: an [`AwsCloud`] in a fresh account of
//! the local emulator (the one `scripts/test` started, or `scripts/emulator-start`'s).

use super::AwsCloud;
use crate::actual::scope::ReadScope;
use crate::cloud::sdk_config::LoadedConfig;
use crate::desired::{Context, DesiredService};
use std::io::{Read, Write};

/// An emulator account's credentials and a cloud using them.
pub(crate) struct TestCloud {
    pub cloud: AwsCloud,
    pub account_id: String,
    /// The emulator's URL, for the control API.
    #[allow(dead_code)]
    pub endpoint: String,
}

fn endpoint() -> String {
    if let Ok(endpoint) = std::env::var("ECSDEPLOY_EMULATOR_ENDPOINT")
        && !endpoint.is_empty()
    {
        return endpoint;
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/emulator-start");
    let output = std::process::Command::new(script).output().expect("scripts/emulator-start");
    assert!(output.status.success(), "scripts/emulator-start failed");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// `(status, body)` of a POST to the emulator's control API.
pub(crate) fn post(endpoint: &str, path: &str, body: &str) -> (u16, String) {
    let address = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the emulator");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, body.to_string())
}

/// A cloud in a new emulator account; with `world`, the standard test world exists in it.
pub(crate) async fn test_cloud(world: bool) -> TestCloud {
    let endpoint = endpoint();
    let (status, body) = post(&endpoint, "/_ecsdeploy/accounts", "{}");
    assert!((200..300).contains(&status), "create account: {body}");
    let account: serde_json::Value = serde_json::from_str(&body).expect("account JSON");
    let text = |key: &str| account[key].as_str().expect("account field").to_string();
    let account_id = text("account_id");
    if world {
        let (status, body) = post(&endpoint, &format!("/_ecsdeploy/accounts/{account_id}/world"), "{}");
        assert!((200..300).contains(&status), "create world: {body}");
    }
    let credentials =
        aws_credential_types::Credentials::new(text("access_key_id"), text("secret_access_key"), None, None, "test");
    let sdk_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(credentials)
        .load()
        .await;
    let loaded = LoadedConfig { sdk_config, region_source: crate::cloud::sdk_config::RegionSource::Flag };
    TestCloud { cloud: AwsCloud::new(&loaded), account_id, endpoint }
}

/// The read scope of the repository's own manifest's `stage` environment in `account_id`, and
/// that environment's desired services.
pub(crate) fn stage_scope(account_id: &str) -> (ReadScope, Vec<DesiredService>) {
    let checked = crate::checked::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).expect("manifest");
    let environment = checked.manifest.environment("stage").expect("stage");
    let desired =
        crate::desired::build(&checked.manifest, environment, &Context::new("us-east-1", Some(account_id.into())));
    (ReadScope::new(&checked.manifest, environment, &desired), desired.services)
}
