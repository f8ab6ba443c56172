//! Git hooks against the emulator: a real repository with the manifest, a bare remote, the hook
//! installed by `ecsdeploy hook install` over an existing one; pushing the stage branch deploys
//! the pushed commit to stage (recorded in the history), pushing another branch deploys nothing,
//! a deploy that fails its gate fails the push (the remote keeps the old commit), and `hook
//! uninstall` puts the old hook back.

use crate::support;

use std::path::Path;
use std::process::Command;
use support::{TestAccount, prepared_account};

/// `git` in `directory`, with the account's AWS settings in the environment (as the hook will
/// see them) and a fixed identity.
fn git(account: &TestAccount, directory: &Path, args: &[&str]) -> support::Run {
    let template = account.ecsdeploy(&[]);
    let mut command = Command::new("git");
    for (key, value) in template.get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    command
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .arg("-C")
        .arg(directory)
        .args(args);
    support::run(&mut command)
}

fn git_ok(account: &TestAccount, directory: &Path, args: &[&str]) -> String {
    let run = git(account, directory, args);
    assert_eq!(run.code, 0, "git {args:?}: {}", run.transcript());
    run.stdout.trim().to_string()
}

async fn newest_history_commit(config: &aws_config::SdkConfig) -> Option<String> {
    let record: serde_json::Value = serde_json::from_str(&support::newest_stage_record(config, "auth").await?).ok()?;
    record["git_commit"].as_str().map(str::to_string)
}

#[tokio::test]
async fn pushing_the_stage_branch_deploys_it_and_a_failing_deploy_fails_the_push() {
    let (account, config) = prepared_account().await;
    let work = tempfile::tempdir().unwrap();
    let repository = work.path().join("repo");
    let remote = work.path().join("remote.git");
    let manifest = support::manifest_copy();
    std::fs::create_dir(&repository).unwrap();
    for file in ["services.toml", "environments/test.toml", "environments/stage.toml", "environments/prod.toml"] {
        support::write(&repository, file, &std::fs::read_to_string(manifest.path().join(file)).unwrap());
    }
    git_ok(&account, work.path(), &["init", "--bare", "-b", "main", remote.to_str().unwrap()]);
    git_ok(&account, &repository, &["init", "-b", "main"]);
    git_ok(&account, &repository, &["add", "."]);
    git_ok(&account, &repository, &["commit", "-m", "manifest"]);
    git_ok(&account, &repository, &["remote", "add", "origin", remote.to_str().unwrap()]);
    // A hook the team already had: kept, run first, and put back by uninstall.
    let old_hook = "#!/bin/sh\necho old hook ran >> \"$(git rev-parse --git-dir)/old-hook.log\"\n";
    let hooks = repository.join(".git/hooks");
    support::write(&hooks, "pre-push", old_hook);
    make_executable(&hooks.join("pre-push"));

    let install = support::run(&mut account.ecsdeploy(&["hook", "install", "-f", repository.to_str().unwrap()]));
    assert_eq!(install.code, 0, "{}", install.transcript());
    let installed = std::fs::read_to_string(hooks.join("pre-push")).unwrap();
    assert!(installed.contains("# ecsdeploy pre-push hook"), "{installed}");

    // A feature branch is no environment's branch: pushed, nothing deployed.
    git_ok(&account, &repository, &["checkout", "-b", "feature/docs"]);
    let pushed_feature = git(&account, &repository, &["push", "origin", "feature/docs"]);
    assert_eq!(pushed_feature.code, 0, "{}", pushed_feature.transcript());
    assert!(pushed_feature.stderr.contains("branch feature/docs deploys no environment"), "{}", pushed_feature.stderr);
    assert_eq!(newest_history_commit(&config).await, None);

    git_ok(&account, &repository, &["checkout", "-b", "stage"]);
    let commit = git_ok(&account, &repository, &["rev-parse", "HEAD"]);
    let pushed = git(&account, &repository, &["push", "origin", "stage"]);
    assert_eq!(pushed.code, 0, "{}", pushed.transcript());
    assert!(pushed.stderr.contains("deploys environment stage"), "{}", pushed.stderr);
    assert_eq!(newest_history_commit(&config).await, Some(commit.clone()), "the pushed commit was deployed");
    assert_eq!(git_ok(&account, &remote, &["rev-parse", "stage"]), commit);
    let ran = std::fs::read_to_string(repository.join(".git/old-hook.log")).unwrap();
    assert_eq!(ran.lines().count(), 2, "the old hook ran before each push");

    // A push of stage to another remote (a mirror) deploys nothing.
    let mirror = work.path().join("mirror.git");
    git_ok(&account, work.path(), &["init", "--bare", "-b", "main", mirror.to_str().unwrap()]);
    git_ok(&account, &repository, &["remote", "add", "mirror", mirror.to_str().unwrap()]);
    let mirrored = git(&account, &repository, &["push", "mirror", "stage"]);
    assert_eq!(mirrored.code, 0, "{}", mirrored.transcript());
    assert!(!mirrored.stderr.contains("deploys environment"), "{}", mirrored.stderr);

    // A change whose rollout fails: the push fails and the remote keeps the deployed commit.
    let services = std::fs::read_to_string(repository.join("services.toml")).unwrap();
    support::write(
        &repository,
        "services.toml",
        &services.replace("LOG_LEVEL = \"info\"\nTOKEN_TTL", "LOG_LEVEL = \"debug\"\nTOKEN_TTL"),
    );
    git_ok(&account, &repository, &["commit", "-am", "debug logging"]);
    account.script_rollout(serde_json::json!({"service": "stage-auth", "outcome": "fail", "steps": 2}));
    let failed = git(&account, &repository, &["push", "origin", "stage"]);
    assert_ne!(failed.code, 0, "{}", failed.transcript());
    assert!(failed.transcript().contains("rolling back to stage-auth:1"), "{}", failed.transcript());
    assert_eq!(git_ok(&account, &remote, &["rev-parse", "stage"]), commit, "the push did not land");

    let uninstall = support::run(&mut account.ecsdeploy(&["hook", "uninstall", "-f", repository.to_str().unwrap()]));
    assert_eq!(uninstall.code, 0, "{}", uninstall.transcript());
    assert_eq!(std::fs::read_to_string(hooks.join("pre-push")).unwrap(), old_hook);
    assert!(!hooks.join("pre-push.ecsdeploy-replaced").exists());

    // The deployed commit, named while HEAD is elsewhere: checked out apart (a temporary
    // worktree, removed after), found to be what runs. The same from the bare remote, as a
    // server-side hook would run it.
    let repository_dir = repository.to_str().unwrap();
    let again = ["up", "--git-ref", "refs/heads/stage", "--commit", &commit, "--yes", "-f", repository_dir];
    let again = support::run(&mut account.ecsdeploy(&again));
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert!(again.stdout.contains("No changes"), "{}", again.transcript());
    assert_eq!(git_ok(&account, &repository, &["worktree", "list"]).lines().count(), 1, "the worktree is gone");
    let server =
        support::run(&mut account.ecsdeploy(&["up", "--git-ref", "stage", "--yes", "-f", remote.to_str().unwrap()]));
    assert_eq!(server.code, 0, "{}", server.transcript());
    assert!(server.stderr.contains("deploys environment stage"), "{}", server.transcript());
    assert_eq!(git_ok(&account, &remote, &["worktree", "list"]).lines().count(), 1);
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
