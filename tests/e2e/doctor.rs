//! `ecsdeploy doctor` against the emulator, checked with a second client (the AWS SDK for Rust).

use crate::support;

use support::{TestAccount, manifest_copy, root, run, write};

#[tokio::test]
async fn doctor_reports_the_account_it_runs_as_and_every_api_reachable() {
    let account = TestAccount::new();
    let result = run(account.ecsdeploy(&["doctor", "--output", "json"]).current_dir(root()));
    assert_eq!(result.code, 0, "{}", result.transcript());
    let report = result.json();
    // The second client: STS with the same credentials must name the same account.
    let sts = aws_sdk_sts::Client::new(&account.sdk_config().await);
    let identity = sts.get_caller_identity().send().await.expect("GetCallerIdentity");
    assert_eq!(identity.account(), Some(account.account_id.as_str()));
    assert_eq!(report["identity"]["account_id"], account.account_id);
    assert_eq!(report["endpoint"], account.endpoint);
    assert_eq!(report["region"], "us-east-1");
    assert_eq!(report["region_source"], "manifest");
    assert!(report["credentials"]["source"].as_str().unwrap().starts_with("environment variables"), "{report}");
    let checks = report["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    for operation in [
        "sts:GetCallerIdentity",
        "ecs:ListClusters",
        "elasticloadbalancing:DescribeLoadBalancers",
        "ec2:DescribeVpcs",
        "route53:ListHostedZones",
        "secretsmanager:ListSecrets",
    ] {
        assert!(names.contains(&operation), "{operation} not checked: {names:?}");
    }
    assert!(checks.iter().all(|c| c["ok"] == true), "{report}");

    let text = run(account.ecsdeploy(&["doctor"]).current_dir(root()));
    assert_eq!(text.code, 0, "{}", text.transcript());
    assert!(text.stdout.contains(&format!("account:     {}", account.account_id)), "{}", text.stdout);
    assert!(text.stdout.contains(&format!("endpoint:    {}", account.endpoint)), "{}", text.stdout);
    assert!(text.stdout.trim_end().ends_with("checks passed."), "{}", text.stdout);
}

#[test]
fn doctor_fails_when_the_manifest_pins_another_account() {
    let account = TestAccount::new();
    let directory = manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    write(
        directory.path(),
        "services.toml",
        &services.replace("# account_id = \"123456789012\"", "account_id = \"000000000000\""),
    );
    let result = run(account.ecsdeploy(&["doctor", "-f"]).arg(directory.path()));
    assert_eq!(result.code, 1, "{}", result.transcript());
    assert!(
        result
            .stdout
            .contains(&format!("error: the credentials are for account {}, not 000000000000", account.account_id)),
        "{}",
        result.stdout
    );
    assert!(result.stdout.contains("1 of "), "{}", result.stdout);
}

#[test]
fn doctor_names_the_operation_when_the_endpoint_is_unreachable() {
    let account = TestAccount::new();
    // Port 9 (discard) is closed on the loopback interface.
    let result = run(account.ecsdeploy(&["doctor", "--endpoint-url", "http://127.0.0.1:9"]).current_dir(root()));
    assert_eq!(result.code, 1, "{}", result.transcript());
    assert!(result.stdout.contains("FAIL sts:GetCallerIdentity"), "{}", result.stdout);
    assert!(result.stdout.contains("could not reach http://127.0.0.1:9"), "{}", result.stdout);
    assert!(result.stdout.contains("hint: check the network, the region, and --endpoint-url"), "{}", result.stdout);
    // The real cause from the error chain, not the tail of a Debug dump.
    assert!(result.stdout.contains("Connection refused"), "{}", result.stdout);
    assert!(!result.stdout.contains('}'), "{}", result.stdout);
    // Nothing can succeed: the other APIs are not probed (each would wait out the same retries).
    assert!(result.stdout.contains("not tried: could not reach"), "{}", result.stdout);
}

#[test]
fn a_silent_endpoint_is_a_timeout_that_names_the_call() {
    let account = TestAccount::new();
    // Accepts connections and never answers, like a black-holing proxy.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let mut command = account.ecsdeploy(&["plan", "--env", "stage", "--aws-timeout", "1s"]);
    command.env("AWS_ENDPOINT_URL", &endpoint);
    let result = run(command.current_dir(root()));
    assert_eq!(result.code, 1, "{}", result.transcript());
    assert!(result.stderr.contains("error: sts:GetCallerIdentity failed"), "{}", result.stderr);
    assert!(result.stderr.contains(&format!("{endpoint} did not answer in time")), "{}", result.stderr);
    assert!(result.stderr.contains("timeout"), "{}", result.stderr);

    let bad = run(account.ecsdeploy(&["plan", "--env", "stage", "--aws-timeout", "0s"]).current_dir(root()));
    assert_eq!(bad.code, 1, "{}", bad.transcript());
    assert!(bad.stderr.contains("--aws-timeout `0s` is not a duration"), "{}", bad.stderr);
}

#[test]
fn doctor_without_credentials_says_so_and_how_to_fix_it() {
    let account = TestAccount::new();
    let mut command = account.ecsdeploy(&["doctor"]);
    command.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
    let result = run(command.current_dir(root()));
    assert_eq!(result.code, 1, "{}", result.transcript());
    assert!(result.stdout.contains("credentials: none found"), "{}", result.stdout);
    assert!(result.stdout.contains("FAIL sts:GetCallerIdentity"), "{}", result.stdout);
    assert!(result.stdout.contains("no AWS credentials were found"), "{}", result.stdout);
    assert!(result.stdout.contains("hint: set AWS_PROFILE / --profile"), "{}", result.stdout);
    assert!(!result.stdout.contains("were refused"), "missing is not refused: {}", result.stdout);
    // The SDK's own warnings (one ~1 KB line per provider) stay out of the default output.
    assert!(!result.stderr.contains("WARN"), "{}", result.stderr);
}
