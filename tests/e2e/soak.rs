//! The seeded soak (`scripts/soak`; not in CI: `#[ignore]`): for a while (30 minutes by
//! default), against one emulator account behind the fault proxy, random changes to the manifest,
//! random faults and lost answers on random AWS operations, scripted failing rollouts and kill -9
//! at random moments, each followed by what an operator would do next. Then, without faults, the
//! environment must converge: `up` succeeds, the plan is empty, no history record is left in
//! progress, and the account holds what a clean deploy of the final manifest makes in a second
//! account. The report (stdout, and `ECSDEPLOY_SOAK_REPORT` when set) gives runs, exits, kills,
//! faults injected and every invariant violation.
//!
//! Settings: `ECSDEPLOY_FAULT_PROXY` (the proxy's endpoint, required), `ECSDEPLOY_SOAK_MINUTES`
//! (default 30), `ECSDEPLOY_SOAK_SEED` (default 1).

use crate::inventory::{Inventory, inventory, records_in_progress};
use crate::support;

use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::stage::Seeded;
use support::{TestAccount, prepared_account, run};

/// Every choice of the soak comes from the seed.
struct Choices(Seeded);

impl Choices {
    fn below(&mut self, bound: u64) -> u64 {
        self.0.below(bound)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Operations the faults land on: the lock and history, the read, and every kind of write a
/// change of a service makes.
const OPERATIONS: [&str; 16] = [
    "PutItem",
    "GetItem",
    "Query",
    "RegisterTaskDefinition",
    "UpdateService",
    "DescribeServices",
    "DescribeTargetHealth",
    "DescribeTaskDefinition",
    "ListTagsForResource",
    "DescribeRules",
    "DescribeLoadBalancers",
    "DescribeTargetGroups",
    "PutScalingPolicy",
    "DescribeAlarms",
    "ListResourceRecordSets",
    "GetRole",
];
const FAULTS: [&str; 5] = ["lost-answer", "http-500", "throttle", "drop", "delay"];
const SERVICES: [&str; 4] = ["auth", "gmail", "calendar", "ai-router"];
const LEVELS: [&str; 4] = ["info", "debug", "warn", "error"];

fn set_faults(proxy: &str, account: &TestAccount, rules: serde_json::Value) {
    let body = json!({"access_key": account.access_key_id, "rules": rules});
    let (status, answer) = support::http::post(proxy, "/_fault/rules", &body.to_string()).expect("fault rules");
    assert_eq!(status, 200, "setting fault rules: {answer}");
}

/// The stage overrides of one soak step: each service's LOG_LEVEL (a new revision when it changes).
fn write_manifest(directory: &std::path::Path, original: &str, levels: &BTreeMap<&str, &str>) {
    let mut text = original.to_string();
    for (service, level) in levels {
        text.push_str(&format!("\n[services.{service}.env]\nLOG_LEVEL = \"{level}\"\n"));
    }
    support::write(directory, "environments/stage.toml", &text);
}

fn ecsdeploy(account: &TestAccount, proxy: &str, directory: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut command = account.ecsdeploy(args);
    command.arg("-f").arg(directory).env("AWS_ENDPOINT_URL", proxy).env("AWS_MAX_ATTEMPTS", "4");
    command
}

/// An `up` killed (SIGKILL) `after` into it when still running: its exit code, or `None` when killed.
fn up_killed_after(command: &mut std::process::Command, after: Option<Duration>) -> Option<i32> {
    let mut child =
        command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().expect("spawn up");
    if let Some(after) = after {
        let deadline = Instant::now() + after;
        while Instant::now() < deadline {
            if child.try_wait().expect("wait").is_some() {
                return child.wait().expect("wait").code();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
    }
    child.wait_with_output().expect("wait").status.code()
}

fn comparable(mut inventory: Inventory) -> Inventory {
    // Revisions pile up with every change: their number is the soak's history, not a leak.
    inventory.remove("active task definition revisions");
    if let Some(services) = inventory.get_mut("ecs services (name = revision)") {
        for service in services.iter_mut() {
            *service = service.split(':').next().unwrap_or_default().to_string();
        }
    }
    inventory
}

#[tokio::test]
#[ignore = "the soak runs for half an hour: scripts/soak"]
async fn soak() {
    let proxy = std::env::var("ECSDEPLOY_FAULT_PROXY").expect("ECSDEPLOY_FAULT_PROXY: the fault proxy's endpoint");
    let minutes: u64 = std::env::var("ECSDEPLOY_SOAK_MINUTES").ok().and_then(|text| text.parse().ok()).unwrap_or(30);
    let seed: u64 = std::env::var("ECSDEPLOY_SOAK_SEED").ok().and_then(|text| text.parse().ok()).unwrap_or(1);
    let mut choices = Choices(Seeded::new(seed));
    let (account, config) = prepared_account().await;
    let directory = support::manifest_copy();
    let original = std::fs::read_to_string(directory.path().join("environments/stage.toml")).unwrap();
    let mut levels: BTreeMap<&str, &str> = SERVICES.iter().map(|service| (*service, "info")).collect();
    write_manifest(directory.path(), &original, &levels);

    let started = Instant::now();
    let (mut runs, mut kills, mut scripted_failures) = (0u64, 0u64, 0u64);
    let mut exits: BTreeMap<String, u64> = BTreeMap::new();
    let mut violations: Vec<String> = Vec::new();
    while started.elapsed() < Duration::from_secs(minutes * 60) {
        runs += 1;
        // The change: one service's log level, now and then none.
        if choices.chance(80) {
            let service = *choices.pick(&SERVICES);
            levels.insert(service, *choices.pick(&LEVELS));
            write_manifest(directory.path(), &original, &levels);
        }
        if choices.chance(10) {
            scripted_failures += 1;
            let service = format!("stage-{}", choices.pick(&SERVICES));
            account.script_rollout(json!({"service": service, "outcome": "fail", "steps": 2}));
        }
        let mut rules = Vec::new();
        if choices.chance(70) {
            for _ in 0..=choices.below(3) {
                let fault = *choices.pick(&FAULTS);
                rules.push(json!({
                    "operation": choices.pick(&OPERATIONS),
                    "fault": fault,
                    "probability": 0.2 + (choices.below(60) as f64) / 100.0,
                    "delay_ms": 200 + choices.below(1500),
                }));
            }
        }
        set_faults(&proxy, &account, json!(rules));
        let kill_after = choices.chance(20).then(|| Duration::from_millis(choices.below(4000)));
        let mut up = ecsdeploy(&account, &proxy, directory.path(), &["up", "--env", "stage", "--yes"]);
        let code = up_killed_after(&mut up, kill_after);
        set_faults(&proxy, &account, json!([]));
        let label = code.map_or("killed".to_string(), |code| code.to_string());
        *exits.entry(label.clone()).or_default() += 1;
        match code {
            None => {
                kills += 1;
                // The operator frees the dead run's lock rather than wait two minutes.
                let release = run(&mut ecsdeploy(
                    &account,
                    &account.endpoint,
                    directory.path(),
                    &["lock", "release", "--env", "stage", "--force"],
                ));
                if release.code != 0 {
                    violations.push(format!("run {runs}: lock release --force exit {}", release.code));
                }
            }
            // Green: the rollouts were verified and nothing is left to do.
            Some(0) => {
                let plan = run(&mut ecsdeploy(
                    &account,
                    &account.endpoint,
                    directory.path(),
                    &["plan", "--env", "stage", "--detailed-exitcode"],
                ));
                let unfinished = records_in_progress(&config, "stage").await;
                if plan.code != 0 || !unfinished.is_empty() {
                    violations.push(format!(
                        "run {runs}: exit 0, then plan exit {} and records in progress {unfinished:?}",
                        plan.code
                    ));
                }
            }
            Some(_) => {}
        }
    }

    // Converge without faults: a scripted failure may still wait for a deployment (exit 3 once).
    set_faults(&proxy, &account, json!([]));
    let mut converge = Vec::new();
    for _ in 0..3 {
        let up = run(&mut ecsdeploy(&account, &account.endpoint, directory.path(), &["up", "--env", "stage", "--yes"]));
        converge.push(up.code);
        if up.code == 0 {
            break;
        }
    }
    let plan = run(&mut ecsdeploy(
        &account,
        &account.endpoint,
        directory.path(),
        &["plan", "--env", "stage", "--detailed-exitcode"],
    ));
    let unfinished = records_in_progress(&config, "stage").await;
    let (baseline_account, baseline_config) = prepared_account().await;
    let clean = run(baseline_account.ecsdeploy(&["up", "--env", "stage", "--yes", "-f"]).arg(directory.path()));
    assert_eq!(clean.code, 0, "the baseline: {}", clean.transcript());
    let (soaked, baseline) = (comparable(inventory(&config).await), comparable(inventory(&baseline_config).await));
    let differences: Vec<String> = baseline
        .keys()
        .chain(soaked.keys())
        .filter(|kind| baseline.get(*kind) != soaked.get(*kind))
        .map(|kind| format!("{kind}: soaked {:?}, clean {:?}", soaked.get(kind), baseline.get(kind)))
        .collect();
    let (status, stats) =
        support::http::get(&proxy, &format!("/_fault/stats?access_key={}", account.access_key_id)).expect("stats");
    assert_eq!(status, 200, "{stats}");
    let converged = converge.last() == Some(&0) && plan.code == 0 && unfinished.is_empty() && differences.is_empty();
    let report = json!({
        "seed": seed,
        "minutes": started.elapsed().as_secs_f64() / 60.0,
        "runs": runs,
        "kills": kills,
        "scripted_failing_rollouts": scripted_failures,
        "exits": exits,
        "faults": serde_json::from_str::<serde_json::Value>(&stats).unwrap_or_default(),
        "violations": violations,
        "converge_exits": converge,
        "final_plan_exit": plan.code,
        "records_in_progress": unfinished,
        "differences_from_a_clean_deploy": differences,
        "converged": converged,
    });
    let text = serde_json::to_string_pretty(&report).unwrap();
    println!("{text}");
    if let Ok(path) = std::env::var("ECSDEPLOY_SOAK_REPORT") {
        std::fs::write(path, &text).expect("write the report");
    }
    assert!(violations.is_empty() && converged, "{text}");
}
