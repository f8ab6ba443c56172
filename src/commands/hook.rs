//! `ecsdeploy hook install|uninstall`: a client-side `pre-push` hook that deploys what is pushed
//! to an environment's branch (`up --git-ref`), and fails the push when that deploy fails.
//!
//! A hook already there is kept: renamed to `pre-push.ecsdeploy-replaced`, run first by ours,
//! and put back by `uninstall`. The server-side variant (`post-receive`) is documented in
//! README.md; it needs no installer.

use super::{CommandError, StopKind};
use crate::cli::{GlobalOptions, HookArgs, HookCommand};
use crate::exit_status::ExitStatus;
use crate::output::Printer;
use crate::run::git::git;
use std::path::{Path, PathBuf};

/// The line that marks a hook as ecsdeploy's.
const MARKER: &str = "# ecsdeploy pre-push hook";
const HOOK: &str = "pre-push";
const REPLACED: &str = "pre-push.ecsdeploy-replaced";

pub fn run(global: &GlobalOptions, args: &HookArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let directory = &global.manifest_dir;
    let hooks = hooks_dir(directory)?;
    match &args.command {
        HookCommand::Install { remote } => install(directory, &hooks, remote, printer),
        HookCommand::Uninstall => uninstall(&hooks, printer),
    }
}

/// Where git runs hooks from for this repository (honours `core.hooksPath`).
fn hooks_dir(directory: &Path) -> Result<PathBuf, CommandError> {
    let path = git(directory, &["rev-parse", "--git-path", "hooks"]).map_err(|error| {
        CommandError::stopped(
            StopKind::Git,
            format!("{} is not in a git repository: {error}", directory.display()),
            vec!["run `ecsdeploy hook install` in the repository that holds the manifest (or pass -f DIR)".into()],
        )
    })?;
    let path = PathBuf::from(path);
    Ok(if path.is_absolute() { path } else { directory.join(path) })
}

fn install(directory: &Path, hooks: &Path, remote: &str, printer: &Printer) -> Result<ExitStatus, CommandError> {
    // A core.hooksPath outside the repository (often set globally) is shared with other
    // repositories: installing there would make their pushes run this hook (and move their
    // pre-push hook aside). Refused; the hook can be installed for this repository alone.
    let top = git(directory, &["rev-parse", "--show-toplevel"]).ok().map(PathBuf::from);
    let common = git(directory, &["rev-parse", "--git-common-dir"]).ok().map(|dir| directory.join(dir));
    let inside = |root: &Option<PathBuf>| {
        root.as_ref().is_some_and(|root| {
            let root = root.canonicalize().unwrap_or_else(|_| root.clone());
            hooks.canonicalize().unwrap_or_else(|_| hooks.to_path_buf()).starts_with(root)
        })
    };
    if !inside(&top) && !inside(&common) {
        return Err(CommandError::stopped(StopKind::Refused,
            format!(
                "git runs hooks from {} (core.hooksPath), outside this repository: other repositories share it",
                hooks.display()
            ),
            vec![
                "give this repository hooks of its own: git config --local core.hooksPath .git/hooks, then install again"
                    .into(),
            ],
        ));
    }
    let io =
        |error: std::io::Error, what: &str| CommandError::stopped(StopKind::Io, format!("{what}: {error}"), Vec::new());
    std::fs::create_dir_all(hooks).map_err(|error| io(error, &format!("cannot create {}", hooks.display())))?;
    let hook = hooks.join(HOOK);
    let replaced = hooks.join(REPLACED);
    if hook.exists() && !is_ours(&hook) {
        if replaced.exists() {
            return Err(CommandError::stopped(
                StopKind::Refused,
                format!("{} exists and so does {}: not overwriting either", hook.display(), replaced.display()),
                vec!["merge or remove one of them by hand, then install again".into()],
            ));
        }
        std::fs::rename(&hook, &replaced).map_err(|error| io(error, "cannot keep the existing hook"))?;
        printer.info(&format!("kept the existing pre-push hook as {} (it runs first)", replaced.display()));
    }
    // Where the manifest sits in the repository: a wrong answer would deploy another directory.
    let prefix = git(directory, &["rev-parse", "--show-prefix"]).map_err(|error| {
        CommandError::stopped(
            StopKind::Git,
            format!("cannot tell where {} is in its repository: {error}", directory.display()),
            Vec::new(),
        )
    })?;
    let manifest = if prefix.is_empty() { ".".to_string() } else { prefix.trim_end_matches('/').to_string() };
    let executable = std::env::current_exe().map_err(|error| io(error, "cannot tell where ecsdeploy is"))?;
    std::fs::write(&hook, script(&executable, &manifest, remote))
        .map_err(|error| io(error, "cannot write the hook"))?;
    make_executable(&hook).map_err(|error| io(error, "cannot make the hook executable"))?;
    printer.info(&format!(
        "installed {}: pushing an environment's branch to {remote} deploys the pushed commit there (manifest: \
         {manifest}); a failed deploy fails the push",
        hook.display()
    ));
    Ok(ExitStatus::Success)
}

fn uninstall(hooks: &Path, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let hook = hooks.join(HOOK);
    let replaced = hooks.join(REPLACED);
    if hook.exists() && !is_ours(&hook) {
        return Err(CommandError::stopped(
            StopKind::Refused,
            format!("{} is not ecsdeploy's hook: left alone", hook.display()),
            Vec::new(),
        ));
    }
    let io = |error: std::io::Error| {
        CommandError::stopped(StopKind::Io, format!("cannot change {}: {error}", hook.display()), Vec::new())
    };
    if !hook.exists() && !replaced.exists() {
        printer.info(&format!("no ecsdeploy pre-push hook in {}: nothing to remove", hooks.display()));
        return Ok(ExitStatus::Success);
    }
    if hook.exists() {
        std::fs::remove_file(&hook).map_err(io)?;
    }
    if replaced.exists() {
        std::fs::rename(&replaced, &hook).map_err(io)?;
        printer
            .info(&format!("removed ecsdeploy's pre-push hook and put back the one it replaced ({})", hook.display()));
    } else {
        printer.info(&format!("removed ecsdeploy's pre-push hook ({})", hook.display()));
    }
    Ok(ExitStatus::Success)
}

fn is_ours(hook: &Path) -> bool {
    std::fs::read_to_string(hook).is_ok_and(|text| text.lines().any(|line| line == MARKER))
}

/// The hook: git passes the remote's name and URL as arguments and one line per pushed ref on
/// stdin, `<local ref> <local sha> <remote ref> <remote sha>`; on a push to `remote` each pushed
/// branch is deployed (deletions are skipped), and the first failure stops the push.
fn script(executable: &Path, manifest: &str, remote: &str) -> String {
    let executable = shell_quote(&executable.to_string_lossy());
    let manifest = shell_quote(manifest);
    let remote = shell_quote(remote);
    format!(
        r#"#!/bin/sh
{MARKER}
# Installed by `ecsdeploy hook install`; `ecsdeploy hook uninstall` removes it (and puts back a
# hook it replaced). Pushing an environment's branch deploys the pushed commit to it with
# `ecsdeploy up --git-ref`; a failed deploy fails the push. Other branches, and pushes to other
# remotes, deploy nothing. `git push --no-verify` skips it; note that `git push --dry-run` runs it.
hooks_dir=$(dirname "$0")
input=$(cat)
if [ -x "$hooks_dir/{REPLACED}" ]; then
  printf '%s\n' "$input" | "$hooks_dir/{REPLACED}" "$@" || exit $?
fi
[ "$1" = {remote} ] || exit 0
# A repository without this manifest (a core.hooksPath shared with others) deploys nothing.
[ -f {manifest}/services.toml ] || exit 0
zero=0000000000000000000000000000000000000000
printf '%s\n' "$input" | while read -r local_ref local_sha remote_ref remote_sha; do
  [ -n "$local_sha" ] || continue
  [ "$local_sha" = "$zero" ] && continue
  {executable} up --git-ref "$remote_ref" --commit "$local_sha" --yes -f {manifest} </dev/null || exit 1
done || exit 1
"#
    )
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
