//! `up --git-ref REF [--commit SHA]`: what a git push delivers, deployed where its branch says.
//!
//! The environment is the one whose `branch` is REF's branch (`refs/heads/stage` -> `stage`). The
//! manifest is read as of the commit: when the manifest directory's checkout is at that commit
//! and clean it is used as it is; otherwise the commit is checked out into a temporary git
//! worktree (which also works from a bare repository, for a server-side hook) and removed after
//! the run. So the history records the pushed commit, and a build uses its sources.

use super::git::git;
use super::{CommandError, StopKind};
use crate::cli::GlobalOptions;
use crate::output::Printer;
use std::path::PathBuf;

/// The manifest of one commit, and the environment its branch deploys to.
#[derive(Debug)]
pub struct Checkout {
    pub environment: String,
    pub manifest_dir: PathBuf,
    /// The temporary worktree, removed when the checkout is dropped.
    worktree: Option<Worktree>,
}

impl Checkout {
    /// `global` reading the manifest from this checkout.
    pub fn global(&self, global: &GlobalOptions) -> GlobalOptions {
        GlobalOptions { manifest_dir: self.manifest_dir.clone(), ..global.clone() }
    }

    /// Whether the commit was checked out apart from the manifest directory.
    pub fn is_separate(&self) -> bool {
        self.worktree.is_some()
    }
}

#[derive(Debug)]
struct Worktree {
    repository: PathBuf,
    path: PathBuf,
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let removed = git(&self.repository, &["worktree", "remove", "--force", &self.path.to_string_lossy()]);
        if removed.is_err() {
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = git(&self.repository, &["worktree", "prune"]);
        }
    }
}

/// The checkout for `git_ref`, or `None` (said on stderr) when no environment deploys from its
/// branch.
pub fn checkout(
    global: &GlobalOptions,
    git_ref: &str,
    commit: Option<&str>,
    printer: &Printer,
) -> Result<Option<Checkout>, CommandError> {
    let directory = &global.manifest_dir;
    let branch = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
    if git_ref.starts_with("refs/") && !git_ref.starts_with("refs/heads/") {
        printer.info(&format!("{git_ref} is not a branch: no environment deploys from it"));
        return Ok(None);
    }
    let commit = match commit {
        Some(commit) => git(directory, &["rev-parse", "--verify", &format!("{commit}^{{commit}}")]),
        None => git(directory, &["rev-parse", "--verify", &format!("{git_ref}^{{commit}}")]),
    }
    .map_err(|error| {
        CommandError::stopped(
            StopKind::Git,
            format!("cannot resolve {git_ref} in {}: {error}", directory.display()),
            vec!["run from the repository holding the manifest (or pass -f DIR), with the commit fetched".into()],
        )
    })?;
    let bare = git(directory, &["rev-parse", "--is-bare-repository"]).is_ok_and(|answer| answer == "true");
    // Where the manifest sits in the repository: a wrong answer would deploy another directory.
    let prefix = match bare {
        true => String::new(),
        false => git(directory, &["rev-parse", "--show-prefix"]).map_err(|error| {
            CommandError::stopped(
                StopKind::Git,
                format!("cannot tell where {} is in its repository: {error}", directory.display()),
                Vec::new(),
            )
        })?,
    };
    let head = git(directory, &["rev-parse", "HEAD"]).ok();
    let clean = !bare && git(directory, &["status", "--porcelain", "--", "."]).is_ok_and(|status| status.is_empty());
    let (manifest_dir, worktree) = if head.as_deref() == Some(commit.as_str()) && clean {
        (directory.clone(), None)
    } else {
        let path =
            std::env::temp_dir().join(format!("ecsdeploy-{}-{}", &commit[..12.min(commit.len())], std::process::id()));
        git(directory, &["worktree", "add", "--detach", &path.to_string_lossy(), &commit]).map_err(|error| {
            CommandError::stopped(StopKind::Git, format!("cannot check out {commit} to deploy it: {error}"), Vec::new())
        })?;
        let repository = directory.clone();
        (path.join(&prefix), Some(Worktree { repository, path }))
    };
    let checked =
        super::load_manifest(&GlobalOptions { manifest_dir: manifest_dir.clone(), ..global.clone() }, printer)?;
    let environment = checked.manifest.environments.iter().find(|environment| environment.branch.value == branch);
    let Some(environment) = environment else {
        let branches: Vec<String> = checked
            .manifest
            .environments
            .iter()
            .map(|environment| format!("{} -> {}", environment.branch.value, environment.name.value))
            .collect();
        printer.info(&format!(
            "branch {branch} deploys no environment (branches: {}): nothing to do",
            branches.join(", ")
        ));
        return Ok(None);
    };
    printer.info(&format!(
        "{git_ref} at {} deploys environment {}",
        &commit[..12.min(commit.len())],
        environment.name.value
    ));
    Ok(Some(Checkout { environment: environment.name.value.clone(), manifest_dir, worktree }))
}
