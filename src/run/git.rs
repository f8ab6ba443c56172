//! Running git on the manifest's repository.

use std::path::Path;
use std::process::Command;

/// Variables git sets for hooks (and users set by hand) that would point `git -C DIR` at another
/// repository or index than DIR's: a pre-push or post-receive hook runs ecsdeploy with them set.
const REDIRECTING_VARIABLES: [&str; 4] = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX"];

/// Runs `git -C directory args`; its trimmed stdout, or its stderr as the error.
pub fn git(directory: &Path, args: &[&str]) -> Result<String, String> {
    let mut command = Command::new("git");
    for variable in REDIRECTING_VARIABLES {
        command.env_remove(variable);
    }
    let output =
        command.arg("-C").arg(directory).args(args).output().map_err(|error| format!("git could not run: {error}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}
