//! Which path the app sees: the listener rules take the environment's prefix and the service's
//! path off (`path_rewrite = "service"`, the default), so an app that answers only its health
//! path passes the gate in test, stage and prod, checked through the emulator's ALB data plane
//! (rules, transforms, healthy targets) with scripted apps behind it.

use crate::support;

use support::{SERVICES, TestAccount, http, manifest_copy, prepared_account, root, run, write};

/// Every service of `environment` (names prefixed `prefix`) answers 200 at `/health` and 404
/// anywhere else, whatever revision runs.
fn serve_only_health(account: &TestAccount, prefix: &str) {
    for service in SERVICES {
        let body = serde_json::json!({"service": format!("{prefix}{service}"), "routes": {"/health": 200}});
        let path = format!("/_ecsdeploy/accounts/{}/apps", account.account_id);
        let (status, answer) = http::post(&account.endpoint, &path, &body.to_string()).unwrap();
        assert_eq!(status, 201, "{answer}");
    }
}

/// The base URL of the account's ALB `acme` for requests to `host`.
fn load_balancer_url(account: &TestAccount, host: &str) -> String {
    format!("{}/_ecsdeploy/accounts/{}/alb/acme/{host}", account.endpoint, account.account_id)
}

#[tokio::test]
async fn an_app_serving_only_its_health_path_passes_the_gate_in_every_environment() {
    let (account, config) = prepared_account().await;
    for (environment, prefix, path_prefix, host) in [
        ("test", "test-", "/test", "test.api.acme.example"),
        ("stage", "stage-", "/stage", "stage.api.acme.example"),
        ("prod", "", "", "api.acme.example"),
    ] {
        serve_only_health(&account, prefix);
        let base = load_balancer_url(&account, host);
        let mut up = account.ecsdeploy(&["up", "--env", environment, "--yes", "--allow-vulnerable"]);
        up.env("ECSDEPLOY_HEALTH_CHECK_BASE_URL", &base);
        let up = run(up.current_dir(root()));
        assert_eq!(up.code, 0, "{environment}: {}", up.transcript());

        // What a user's request reaches: the app sees paths relative to its service.
        let health = alb_path(&account, host, &format!("{path_prefix}/auth/health"));
        let (status, headers, _) = http::get_with_headers(&account.endpoint, &health).unwrap();
        assert_eq!(status, 200, "{environment}: {headers}");
        assert!(headers.contains("x-ecsdeploy-path: /health"), "{environment}: {headers}");
        let login = alb_path(&account, host, &format!("{path_prefix}/auth/login"));
        let (status, headers, _) = http::get_with_headers(&account.endpoint, &login).unwrap();
        assert_eq!(status, 404, "{environment}: {headers}");
        assert!(headers.contains("x-ecsdeploy-path: /login"), "{environment}: {headers}");
    }

    // The second client: the rules carry the rewrite.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let load_balancer = elb.describe_load_balancers().names("acme").send().await.unwrap();
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(load_balancer.load_balancers()[0].load_balancer_arn().unwrap())
        .send()
        .await
        .unwrap();
    let https = listeners.listeners().iter().find(|listener| listener.port() == Some(443)).unwrap();
    let rules = elb.describe_rules().listener_arn(https.listener_arn().unwrap()).send().await.unwrap();
    let mut rewrites: Vec<(String, String)> = rules
        .rules()
        .iter()
        .flat_map(|rule| rule.transforms())
        .filter_map(|transform| transform.url_rewrite_config())
        .flat_map(|config| config.rewrites())
        .map(|rewrite| (rewrite.regex().unwrap().to_string(), rewrite.replace().unwrap().to_string()))
        .collect();
    rewrites.sort();
    assert_eq!(rewrites.len(), 12, "{rewrites:?}");
    assert!(rewrites.contains(&("^/stage/auth/(.*)$".to_string(), "/$1".to_string())), "{rewrites:?}");
    assert!(rewrites.contains(&("^/auth/(.*)$".to_string(), "/$1".to_string())), "{rewrites:?}");
}

/// The data plane path of `request_path` sent to `host` on the account's ALB.
fn alb_path(account: &TestAccount, host: &str, request_path: &str) -> String {
    format!("/_ecsdeploy/accounts/{}/alb/acme/{host}{request_path}", account.account_id)
}

#[tokio::test]
async fn a_path_the_gate_cannot_reach_is_refused_by_validate_or_named_when_the_check_fails() {
    let directory = manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    // `environment` keeps the service's path: a health path outside it cannot be reached.
    let environment_rewrite =
        services.replace("path = \"/auth/*\"", "path = \"/auth/*\"\npath_rewrite = \"environment\"");
    write(directory.path(), "services.toml", &environment_rewrite);
    let validate = run(support::ecsdeploy(&["validate", "-f"]).arg(directory.path()));
    assert_eq!(validate.code, 1, "{}", validate.transcript());
    assert!(validate.stderr.contains("the rollout gate could not check `/health`"), "{}", validate.stderr);
    assert!(validate.stderr.contains("health_check.path = \"/auth/health\""), "{}", validate.stderr);
    assert!(validate.stderr.contains("in environment stage"), "{}", validate.stderr);

    // `none` (what import writes for a rule without a rewrite) is a warning, and a failing check
    // names the URL it asked for.
    let no_rewrite = services.replace("path = \"/auth/*\"", "path = \"/auth/*\"\npath_rewrite = \"none\"");
    write(directory.path(), "services.toml", &no_rewrite);
    let validate = run(support::ecsdeploy(&["validate", "-f"]).arg(directory.path()));
    assert_eq!(validate.code, 0, "{}", validate.transcript());
    assert!(validate.stderr.contains("the rollout gate could not check `/health`"), "{}", validate.stderr);
    assert!(validate.stderr.contains("⚠"), "a warning, not an error: {}", validate.stderr);

    let (account, _config) = prepared_account().await;
    serve_only_health(&account, "stage-");
    let mut up = account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f"]);
    up.arg(directory.path())
        .env("ECSDEPLOY_HEALTH_CHECK_BASE_URL", load_balancer_url(&account, "stage.api.acme.example"));
    let up = run(&mut up);
    assert_ne!(up.code, 0, "{}", up.transcript());
    assert!(
        up.stderr.contains("the service's HTTP check kept failing (GET http://")
            && up.stderr.contains("/stage/auth/health, last: HTTP 404)"),
        "{}",
        up.stderr
    );
}
