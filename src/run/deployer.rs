//! Who deploys what, for the history: the operator (local user and AWS identity) and the git
//! commit of the manifest directory (marked `-dirty` with uncommitted changes).

use crate::rollout::runner::Deployer;
use std::path::Path;

pub fn deployer(identity_arn: &str, manifest_dir: &Path) -> Deployer {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|user| !user.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    Deployer { operator: format!("{user} ({identity_arn})"), git_commit: git_commit(manifest_dir), run: None }
}

fn git_commit(directory: &Path) -> Option<String> {
    let run = |args: &[&str]| super::git::git(directory, args).ok();
    let commit = run(&["rev-parse", "HEAD"])?;
    let dirty = run(&["status", "--porcelain"]).is_some_and(|status| !status.is_empty());
    Some(if dirty { format!("{commit}-dirty") } else { commit })
}
