//! Images against the emulator: the scan gate stops a deploy whose images have findings at or
//! above the environment's `block_findings_at` (before any change), and `--allow-vulnerable`
//! deploys anyway.

mod support;

use support::{TestAccount, push_image, run};

const SERVICES: [&str; 4] = ["auth", "gmail", "calendar", "ai-router"];

#[tokio::test]
async fn the_scan_gate_blocks_findings_at_the_threshold_and_allow_vulnerable_passes() {
    let account = TestAccount::new();
    account.create_world();
    let directory = support::manifest_copy();
    let stage = std::fs::read_to_string(directory.path().join("environments/stage.toml")).unwrap();
    support::write(directory.path(), "environments/stage.toml", &format!("block_findings_at = \"CRITICAL\"\n{stage}"));
    let dir = directory.path().to_str().unwrap();
    let repositories = run(&mut account.ecsdeploy(&["repositories", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(repositories.code, 0, "{}", repositories.transcript());
    let config = account.sdk_config().await;
    let mut digests = Vec::new();
    for service in SERVICES {
        digests.push(push_image(&config, &format!("acme/{service}"), "latest").await);
    }
    let findings = serde_json::json!({
        "repository": "acme/auth",
        "image_digest": digests[0],
        "findings": [{"name": "CVE-2026-1111", "severity": "CRITICAL", "package": "openssl"}, {"name": "CVE-2026-2222", "severity": "MEDIUM"}],
    });
    let (status, body) = support::http::post(
        &account.endpoint,
        &format!("/_ecsdeploy/accounts/{}/ecr/scan-findings", account.account_id),
        &findings.to_string(),
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");

    let blocked = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f", dir]));
    assert_eq!(blocked.code, 1, "{}", blocked.transcript());
    assert!(blocked.stderr.contains("nothing was changed"), "{}", blocked.stderr);
    assert!(
        blocked.stderr.contains("acme/auth@") && blocked.stderr.contains("CVE-2026-1111 CRITICAL (openssl)"),
        "{}",
        blocked.stderr
    );
    assert!(!blocked.stderr.contains("CVE-2026-2222"), "below the threshold: {}", blocked.stderr);
    assert!(
        !blocked.stderr.contains("acme/gmail@"),
        "moto's default finding is HIGH, below CRITICAL: {}",
        blocked.stderr
    );
    let ecs = aws_sdk_ecs::Client::new(&config);
    assert!(ecs.list_clusters().send().await.unwrap().cluster_arns().is_empty(), "no change at all");

    let allowed = run(&mut account.ecsdeploy(&["up", "--env", "stage", "--yes", "--allow-vulnerable", "-f", dir]));
    assert_eq!(allowed.code, 0, "{}", allowed.transcript());
    assert!(
        allowed.stderr.contains("--allow-vulnerable: deploying anyway") && allowed.stderr.contains("CVE-2026-1111"),
        "{}",
        allowed.stderr
    );
    let services = ecs.describe_services().cluster("acme").services("stage-auth").send().await.unwrap();
    let running = services.services()[0].task_definition().unwrap().to_string();
    let definition = ecs.describe_task_definition().task_definition(&running).send().await.unwrap();
    let image = definition.task_definition().unwrap().container_definitions()[0].image().unwrap().to_string();
    assert!(image.ends_with(&format!("/acme/auth@{}", digests[0])), "the scanned digest runs: {image}");
}

#[test]
fn an_unknown_severity_is_a_located_manifest_error() {
    let directory = support::manifest_copy();
    let stage = std::fs::read_to_string(directory.path().join("environments/stage.toml")).unwrap();
    support::write(directory.path(), "environments/stage.toml", &format!("block_findings_at = \"SEVERE\"\n{stage}"));
    let validate =
        run(support::ecsdeploy(&["validate", "-f", directory.path().to_str().unwrap()]).env("NO_COLOR", "1"));
    assert_eq!(validate.code, 1, "{}", validate.transcript());
    assert!(validate.stderr.contains("unknown severity `SEVERE`"), "{}", validate.stderr);
    assert!(validate.stderr.contains("stage.toml:1:"), "{}", validate.stderr);
}
