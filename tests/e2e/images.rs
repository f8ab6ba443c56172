//! Images against the emulator: the scan gate stops a deploy whose images have findings at or
//! above the environment's `block_findings_at` (before any change), and `--allow-vulnerable`
//! deploys anyway.

use crate::support;

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

/// A stand-in `docker` on PATH: records each call (never a password) in `log`, "builds" by
/// remembering the context's content (failing when it holds FAIL_BUILD), and "pushes" by putting
/// an image manifest into the emulator's ECR with the credentials ecsdeploy passed down.
fn stand_in_docker(directory: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let bin = directory.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = directory.join("docker.log");
    let python = support::root().join(".emulator/venv/bin/python");
    let script = format!(
        r#"#!{python}
import hashlib, json, os, sys
args = sys.argv[1:]
state_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "built.json")
state = json.load(open(state_path)) if os.path.exists(state_path) else {{}}
entry = {{"args": args}}
def record():
    with open({log:?}, "a") as log:
        log.write(json.dumps(entry) + "\n")
if args[0] == "login":
    entry["password_on_stdin"] = bool(sys.stdin.read())
elif args[0] == "build":
    context = args[-1]
    if os.path.exists(os.path.join(context, "FAIL_BUILD")):
        print("step 2/2: RUN make: exit status 2", file=sys.stderr)
        entry["failed"] = True
        record()
        sys.exit(1)
    content = hashlib.sha256()
    for root, _, files in sorted(os.walk(context)):
        for name in sorted(files):
            content.update(open(os.path.join(root, name), "rb").read())
    state[args[args.index("--tag") + 1]] = content.hexdigest()
    json.dump(state, open(state_path, "w"))
    print("Successfully built " + content.hexdigest()[:12])
elif args[0] == "push":
    import boto3
    reference = args[1]
    _, rest = reference.split("/", 1)
    repository, tag = rest.rsplit(":", 1)
    manifest = {{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {{"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                           "digest": "sha256:" + state[reference]}}, "layers": []}}
    ecr = boto3.client("ecr", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])
    ecr.put_image(repositoryName=repository, imageTag=tag, imageManifest=json.dumps(manifest),
                  imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json")
record()
"#,
        python = python.display(),
        log = log.to_str().unwrap(),
    );
    let path = bin.join("docker");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, log)
}

fn docker_calls(log: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn git(directory: &std::path::Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(directory)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[tokio::test]
async fn up_build_tags_with_the_commit_pushes_once_and_deploys_that_digest() {
    let account = TestAccount::new();
    account.create_world();
    let directory = support::manifest_copy();
    let root = directory.path();
    let services = std::fs::read_to_string(root.join("services.toml")).unwrap();
    support::write(root, "services.toml", &format!("{services}\n[services.auth.build]\ncontext = \"services/auth\"\n"));
    support::write(root, "services/auth/Dockerfile", "FROM scratch\nCOPY app.txt /\n");
    support::write(root, "services/auth/app.txt", "version 1\n");
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "first"]);
    let commit = git(root, &["rev-parse", "HEAD"]);
    let tag = &commit[..12];
    let docker_directory = tempfile::tempdir().unwrap();
    let (bin, log) = stand_in_docker(docker_directory.path());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let ecsdeploy = |args: &[&str]| {
        let mut command = account.ecsdeploy(args);
        command.arg("-f").arg(root).env("PATH", &path);
        run(&mut command)
    };
    assert_eq!(ecsdeploy(&["repositories", "--env", "stage", "--yes"]).code, 0);
    let config = account.sdk_config().await;
    for service in &SERVICES[1..] {
        push_image(&config, &format!("acme/{service}"), "latest").await;
    }

    let unconfirmed = ecsdeploy(&["up", "--env", "stage", "--build"]);
    assert_eq!(unconfirmed.code, 1, "{}", unconfirmed.transcript());
    assert!(docker_calls(&log).is_empty(), "without --yes a script builds and pushes nothing");

    let up = ecsdeploy(&["up", "--env", "stage", "--build", "--yes"]);
    assert_eq!(up.code, 0, "{}", up.transcript());
    let calls = docker_calls(&log);
    let verbs: Vec<&str> = calls.iter().map(|call| call["args"][0].as_str().unwrap()).collect();
    assert_eq!(verbs, ["login", "build", "push"], "logged in first (a FROM may name this registry): {calls:?}");
    let registry = format!("{}.dkr.ecr.us-east-1.amazonaws.com", account.account_id);
    assert_eq!(calls[0]["args"], serde_json::json!(["login", "--username", "AWS", "--password-stdin", registry]));
    assert_eq!(calls[0]["password_on_stdin"], true);
    let tagged = format!("{registry}/acme/auth:{tag}");
    assert_eq!(
        calls[1]["args"],
        serde_json::json!(["build", "--platform", "linux/amd64", "--tag", tagged, "services/auth"])
    );
    let password = format!("{}-auth-token", account.account_id);
    assert!(!std::fs::read_to_string(&log).unwrap().contains(&password), "the password is never an argument");
    assert!(!up.stdout.contains(&password) && !up.stderr.contains(&password));
    assert!(up.stderr.contains("Successfully built"), "the build's output streams to stderr: {}", up.stderr);

    let ecr = aws_sdk_ecr::Client::new(&config);
    let pushed = ecr
        .describe_images()
        .repository_name("acme/auth")
        .image_ids(aws_sdk_ecr::types::ImageIdentifier::builder().image_tag(tag).build())
        .send()
        .await
        .unwrap();
    let digest = pushed.image_details()[0].image_digest().unwrap().to_string();
    let ecs = aws_sdk_ecs::Client::new(&config);
    let service = ecs.describe_services().cluster("acme").services("stage-auth").send().await.unwrap();
    let running = service.services()[0].task_definition().unwrap().to_string();
    let definition = ecs.describe_task_definition().task_definition(&running).send().await.unwrap();
    let image = definition.task_definition().unwrap().container_definitions()[0].image().unwrap().to_string();
    assert_eq!(image, format!("{registry}/acme/auth@{digest}"), "pinned to the pushed digest");

    // The same commit again: nothing is built or pushed, nothing changes.
    let again = ecsdeploy(&["up", "--env", "stage", "--build", "--yes"]);
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert_eq!(docker_calls(&log).len(), 3, "not rebuilt: {:?}", docker_calls(&log));
    assert!(again.stderr.contains("already in ECR: not rebuilt"), "{}", again.stderr);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);

    // A commit whose build fails: nothing is pushed, nothing in AWS changes.
    support::write(root, "services/auth/FAIL_BUILD", "");
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "broken"]);
    let broken_tag = git(root, &["rev-parse", "HEAD"])[..12].to_string();
    let failed = ecsdeploy(&["up", "--env", "stage", "--build", "--yes"]);
    assert_eq!(failed.code, 1, "{}", failed.transcript());
    assert!(failed.stderr.contains("nothing was pushed and nothing in AWS changed"), "{}", failed.stderr);
    let tags = ecr.list_images().repository_name("acme/auth").send().await.unwrap();
    assert!(tags.image_ids().iter().all(|id| id.image_tag() != Some(broken_tag.as_str())), "not pushed");
    let service = ecs.describe_services().cluster("acme").services("stage-auth").send().await.unwrap();
    assert_eq!(service.services()[0].task_definition(), Some(running.as_str()), "still on the good revision");

    // Uncommitted changes: prod refuses, stage warns and tags them apart.
    std::fs::remove_file(root.join("services/auth/FAIL_BUILD")).unwrap();
    let prod = ecsdeploy(&["build", "--env", "prod"]);
    assert_eq!(prod.code, 1, "{}", prod.transcript());
    assert!(prod.stderr.contains("uncommitted changes"), "{}", prod.stderr);
    let stage = ecsdeploy(&["build", "--env", "stage", "--output", "json"]);
    assert_eq!(stage.code, 0, "{}", stage.transcript());
    let built = stage.json();
    let dirty_tag = built["images"][0]["tag"].as_str().unwrap();
    assert!(dirty_tag.starts_with(&format!("{broken_tag}-dirty-")), "{built}");
    assert!(stage.stderr.contains("uncommitted changes"), "{}", stage.stderr);
}

/// The seed's way of working: push `latest`, deploy; push a new `latest`, deploy again. Every
/// other tag stays immutable, and each image a deploy ran keeps a tag of ecsdeploy's own, so the
/// lifecycle policy (which expires untagged images) never takes a rollback target away.
#[tokio::test]
async fn latest_can_be_pushed_and_deployed_again_and_every_deployed_image_stays_tagged() {
    let (account, config) = support::prepared_account().await;
    let ecr = aws_sdk_ecr::Client::new(&config);
    let repository = ecr.describe_repositories().repository_names("acme/auth").send().await.unwrap();
    let repository = &repository.repositories()[0];
    assert_eq!(repository.image_tag_mutability().map(|m| m.as_str()), Some("IMMUTABLE_WITH_EXCLUSION"));
    let filters: Vec<&str> =
        repository.image_tag_mutability_exclusion_filters().iter().map(|filter| filter.filter()).collect();
    assert_eq!(filters, ["latest"]);

    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(support::root()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let first = image_of(&config, "stage-auth").await;

    let second_digest = support::push_build(&config, "acme/auth", "latest", "build 2").await;
    assert!(!first.ends_with(&second_digest), "a new image");
    let up = run(account.ecsdeploy(&["up", "--env", "stage", "--yes"]).current_dir(support::root()));
    assert_eq!(up.code, 0, "{}", up.transcript());
    let second = image_of(&config, "stage-auth").await;
    assert!(second.ends_with(&second_digest), "{second} runs the new latest");

    // Both images carry their pin tag; the first one lost `latest` and stays tagged.
    for image in [&first, &second] {
        let digest = image.rsplit('@').next().unwrap();
        let found = ecr
            .describe_images()
            .repository_name("acme/auth")
            .image_ids(aws_sdk_ecr::types::ImageIdentifier::builder().image_digest(digest).build())
            .send()
            .await
            .unwrap();
        let tags = found.image_details()[0].image_tags().to_vec();
        let pin = format!("ecsdeploy-{}", digest.trim_start_matches("sha256:"));
        assert!(tags.contains(&pin), "{digest}: {tags:?}");
    }
    // Other tags stay immutable: a tag naming another image is refused.
    let again = ecr
        .put_image()
        .repository_name("acme/auth")
        .image_tag(format!("ecsdeploy-{}", second_digest.trim_start_matches("sha256:")))
        .image_manifest(r#"{"schemaVersion": 2, "layers": []}"#)
        .send()
        .await;
    assert!(again.is_err(), "a pin tag cannot be moved");

    let plan = run(account.ecsdeploy(&["plan", "--env", "stage", "--detailed-exitcode"]).current_dir(support::root()));
    assert_eq!(plan.code, 0, "a second plan must be empty:\n{}", plan.transcript());
}

/// The image the service's current task definition runs.
async fn image_of(config: &aws_config::SdkConfig, service: &str) -> String {
    let ecs = aws_sdk_ecs::Client::new(config);
    let services = ecs.describe_services().cluster("acme").services(service).send().await.unwrap();
    let task_definition = services.services()[0].task_definition().unwrap().to_string();
    let definition = ecs.describe_task_definition().task_definition(task_definition).send().await.unwrap();
    definition.task_definition().unwrap().container_definitions()[0].image().unwrap().to_string()
}
