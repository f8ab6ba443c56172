//! `ecsdeploy lock status|acquire|release`: the environment's deploy lock by hand (a change
//! freeze, or releasing the lock of a run that is gone). How commands hold it while they run is
//! `crate::run::lock`.

use super::{CommandError, StopKind};
use crate::cli::{GlobalOptions, LockArgs, LockCommand};
use crate::deploy_lock::LockStore;
use crate::deploy_lock::{DEFAULT_MANUAL_TTL, DeployLock, now_epoch};
use crate::exit_status::ExitStatus;
use crate::output::{Printer, lock_view};
use crate::run::lock::{parse_duration, request, take};
use crate::run::session::Session;
use std::time::Duration;

pub async fn run(global: &GlobalOptions, args: &LockArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    match &args.command {
        LockCommand::Status { env } => {
            let session = Session::open(global, env, printer).await?;
            let lock = session.cloud.lock_read(&session.history_scope()).await?;
            print_lock(printer, env, lock.as_ref());
            Ok(ExitStatus::Success)
        }
        LockCommand::Acquire { env, message, ttl } => {
            let ttl = match ttl {
                Some(text) => parse_duration(text, "--ttl").and_then(|ttl| {
                    if ttl < Duration::from_secs(1) {
                        Err(CommandError::usage(format!("--ttl {text} is shorter than a second"), Vec::new()))
                    } else {
                        Ok(ttl)
                    }
                })?,
                None => DEFAULT_MANUAL_TTL,
            };
            let session = Session::open(global, env, printer).await?;
            let request = request(&session, "lock acquire", message.clone(), ttl);
            let (lock, _) = take(&session.cloud, &session.history_scope(), &request, None, printer).await?;
            print_lock(printer, env, Some(&lock));
            Ok(ExitStatus::Success)
        }
        LockCommand::Release { env, force } => release_by_hand(global, env, *force, printer).await,
    }
}

fn print_lock(printer: &Printer, environment: &str, lock: Option<&DeployLock>) {
    if printer.is_json() {
        printer.json(&lock_view::json(environment, lock));
    } else {
        printer.data(&lock_view::status_text(environment, lock));
    }
}

/// Releases a lock held now: the caller's own (same operator), or anyone's with `force`.
async fn release_by_hand(
    global: &GlobalOptions,
    env: &str,
    force: bool,
    printer: &Printer,
) -> Result<ExitStatus, CommandError> {
    let session = Session::open(global, env, printer).await?;
    let scope = session.history_scope();
    let operator = crate::run::deployer::deployer(&session.identity_arn, &session.checked_dir()).operator;
    let Some(lock) = session.cloud.lock_read(&scope).await?.filter(|lock| lock.is_held(now_epoch())) else {
        printer.info(&format!("{env} is not locked: nothing to release"));
        print_lock(printer, env, None);
        return Ok(ExitStatus::Success);
    };
    // Without --force only a lock taken by hand, by the same operator: a running command's
    // lock is released by that command when it is done.
    let yours = same_operator(&lock.owner, &operator);
    if !force && (!yours || lock.command != "lock acquire") {
        let whose = if yours { "a running command of yours" } else { "someone else, not by you" };
        return Err(CommandError::stopped(
            StopKind::Refused,
            format!("the lock of {env} is held by {} ({whose})", lock_view::holder_line(&lock)),
            vec![format!(
                "a running command releases its lock when it is done; release it anyway only if that run is gone: \
                 ecsdeploy lock release --env {env} --force"
            )],
        ));
    }
    let released = lock.released();
    if !session.cloud.lock_rewrite(&scope, &released).await? {
        printer.warning("the lock changed hands meanwhile: nothing was released");
        let current = session.cloud.lock_read(&scope).await?;
        print_lock(printer, env, current.as_ref());
        return Ok(ExitStatus::Failure);
    }
    printer.info(&format!("released the lock of {env} held by {}", lock_view::holder_line(&lock)));
    print_lock(printer, env, Some(&released));
    Ok(ExitStatus::Success)
}

/// Whether two operators (`user (identity ARN)`) are the same person: an assumed role's session
/// name differs from one process to the next, so it is left out.
fn same_operator(a: &str, b: &str) -> bool {
    fn without_session(operator: &str) -> String {
        match operator.find(":assumed-role/") {
            Some(start) => {
                let (head, tail) = operator.split_at(start);
                let role_end = tail.match_indices('/').nth(1).map_or(tail.len(), |(index, _)| index);
                let close = tail.find(')').unwrap_or(tail.len());
                format!("{head}{}{}", &tail[..role_end.min(close)], &tail[close..])
            }
            None => operator.to_string(),
        }
    }
    without_session(a) == without_session(b)
}

#[cfg(test)]
mod tests {
    use super::same_operator;

    #[test]
    fn an_assumed_role_is_the_same_operator_in_every_session() {
        let first = "ana (arn:aws:sts::123456789012:assumed-role/Deployer/ana-1700000000)";
        let second = "ana (arn:aws:sts::123456789012:assumed-role/Deployer/ana-1700000999)";
        assert!(same_operator(first, second));
        assert!(!same_operator(first, "bo (arn:aws:sts::123456789012:assumed-role/Deployer/ana-1700000000)"));
        assert!(!same_operator(first, "ana (arn:aws:sts::123456789012:assumed-role/Admin/ana-1700000000)"));
        assert!(same_operator("ana (arn:aws:iam::123456789012:user/ana)", "ana (arn:aws:iam::123456789012:user/ana)"));
    }
}
