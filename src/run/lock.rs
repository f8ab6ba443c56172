//! How `up`, `rollback`, `destroy` and `repositories` hold the environment's deploy lock: take
//! it (waiting with `--lock-wait`), keep it renewed while they run, release it when everything
//! they do is finished, and release it on the way out of an interrupted run (see
//! `crate::deploy_lock` for the lock itself).

use super::session::{Cloud, Session};
use super::{CommandError, StopKind};
use crate::cli::LockWaitArgs;
use crate::deploy_lock::LockStore;
use crate::deploy_lock::{DEFAULT_TTL, DeployLock, LockAttempt, LockRequest, now_epoch};
use crate::history::HistoryScope;
use crate::http_check::HttpCheck;
use crate::output::{Printer, lock_view};
use crate::poll::{Poll, Step};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a waiting run tries the lock again.
const WAIT_POLL: Duration = Duration::from_secs(1);

/// The locks this process holds, for [`release_at_exit`]: a run stopped at once (Ctrl-C outside
/// the gate, or a second Ctrl-C) releases them instead of leaving them to expire.
static HELD: Mutex<Vec<Registered>> = Mutex::new(Vec::new());

/// What releasing a held lock needs: its current holding, and the release itself (a rewrite as
/// released through the store it was taken in; true when the store accepted it).
type Registered = (Arc<Mutex<DeployLock>>, Box<dyn Fn(DeployLock) -> ReleaseFuture + Send>);

/// A release in flight.
type ReleaseFuture = std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>;

/// How long stopping at once waits for the release.
const EXIT_RELEASE_TIMEOUT: Duration = Duration::from_secs(3);

/// Releases the lock this process holds, if any, on the way out of an interrupted run; what was
/// in flight is left to ECS, but the next run need not wait for the lock to expire.
pub async fn release_at_exit(printer: &Printer) {
    // A poisoned registry still holds the locks to release.
    let held = std::mem::take(&mut *HELD.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    for (current, release) in held {
        let Ok(lock) = current.lock().map(|lock| lock.clone()) else { continue };
        match tokio::time::timeout(EXIT_RELEASE_TIMEOUT, release(lock.released())).await {
            Ok(true) => printer.info(&format!("released the deploy lock of {}", lock.environment)),
            _ => printer.warning(&format!(
                "could not release the deploy lock of {}; it expires at {}",
                lock.environment, lock.expires_at
            )),
        }
    }
}

/// A deploy lock this run holds, renewed in the background until [`HeldLock::release`].
pub struct HeldLock<C> {
    cloud: C,
    scope: HistoryScope,
    current: Arc<Mutex<DeployLock>>,
    lost: Arc<AtomicBool>,
    renewer: tokio::task::JoinHandle<()>,
    /// The holding this one replaced (released or expired), if known.
    pub previous: Previous,
}

/// What a run learns about the holding its lock replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Previous {
    /// The lock was never taken.
    Never,
    /// This holding (released or expired) came before.
    Holding(Box<DeployLock>),
    /// The answer to this run's PutItem was lost and the SDK's retry found the item already
    /// holding this run's token: what it replaced cannot be known, so the run must assume another
    /// run just finished.
    Unknown,
}

impl<C: LockStore> HeldLock<C> {
    /// Fails when this run no longer holds the lock: it expired (a laptop that slept through its
    /// renewals) or another run took it over. Called before each phase that changes AWS, so a
    /// run that lost its lock changes nothing more.
    pub fn ensure_held(&self) -> Result<(), CommandError> {
        let current = self.current.lock().map(|lock| lock.clone()).ok();
        let held = current.as_ref().is_some_and(|lock| lock.is_held(now_epoch())) && !self.lost.load(Ordering::SeqCst);
        if held {
            return Ok(());
        }
        let environment = current.map(|lock| lock.environment).unwrap_or_default();
        Err(CommandError::stopped(
            StopKind::LockLost,
            format!(
                "this run lost the deploy lock of {environment} (it expired, or another run took it over): stopped before changing anything more"
            ),
            vec![format!("see who holds it: ecsdeploy lock status --env {environment}; then run again")],
        ))
    }

    /// This run as its history records name it: host, pid and the lock's token.
    pub fn run_ref(&self) -> crate::history::RunRef {
        let lock = self.current.lock().map(|lock| lock.clone());
        let (host, pid, lock_token) = match lock {
            Ok(lock) => (lock.host, lock.pid, lock.token),
            Err(_) => (String::new(), std::process::id(), String::new()),
        };
        crate::history::RunRef { host, pid, lock_token }
    }

    /// Stops renewing and releases the lock (warning, not failing, when it was lost: the run's
    /// own outcome is what its exit code reports).
    pub async fn release(self, printer: &Printer) {
        self.renewer.abort();
        if let Ok(mut held) = HELD.lock() {
            held.retain(|(current, _)| !Arc::ptr_eq(current, &self.current));
        }
        let current = self.current.lock().map(|lock| lock.clone());
        let Ok(current) = current else { return };
        match self.cloud.lock_rewrite(&self.scope, &current.released()).await {
            Ok(true) if !self.lost.load(Ordering::SeqCst) => {}
            Ok(_) => printer.warning(&format!(
                "the deploy lock of {} was lost during this run (it expired and another run may have taken it)",
                current.environment
            )),
            Err(error) => printer
                .warning(&format!("could not release the deploy lock ({error}); it expires at {}", current.expires_at)),
        }
    }
}

/// Takes the environment's lock for `command` (waiting up to `--lock-wait`), and keeps it renewed.
pub async fn hold<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    command: &str,
    wait: &LockWaitArgs,
    printer: &Printer,
) -> Result<HeldLock<C>, CommandError> {
    let wait = lock_wait(wait)?;
    hold_in(session, &session.history_scope(), command, wait, printer).await
}

/// `--lock-wait`, when given.
pub fn lock_wait(wait: &LockWaitArgs) -> Result<Option<Duration>, CommandError> {
    match &wait.lock_wait {
        Some(text) => Ok(Some(parse_duration(text, "--lock-wait")?)),
        None => Ok(None),
    }
}

/// Takes the lock of `scope` (an environment's, or the shared resources') for `command`, waiting
/// up to `wait`, and keeps it renewed.
pub async fn hold_in<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    scope: &HistoryScope,
    command: &str,
    wait: Option<Duration>,
    printer: &Printer,
) -> Result<HeldLock<C>, CommandError> {
    // No message: the holding names the command; the command line may carry what others need
    // not see (a URL with credentials).
    let mut request = request(session, command, None, DEFAULT_TTL);
    request.environment = scope.environment.clone();
    let (lock, previous) = take(&session.cloud, scope, &request, wait, printer).await?;
    let current = Arc::new(Mutex::new(lock));
    let lost = Arc::new(AtomicBool::new(false));
    let renewer = tokio::spawn(renew(session.cloud.clone(), scope.clone(), current.clone(), lost.clone()));
    if let Ok(mut held) = HELD.lock() {
        let (cloud, scope) = (session.cloud.clone(), scope.clone());
        let release = move |released: DeployLock| -> ReleaseFuture {
            let (cloud, scope) = (cloud.clone(), scope.clone());
            Box::pin(async move { matches!(cloud.lock_rewrite(&scope, &released).await, Ok(true)) })
        };
        held.push((current.clone(), Box::new(release)));
    }
    Ok(HeldLock { cloud: session.cloud.clone(), scope: scope.clone(), current, lost, renewer, previous })
}

pub fn request<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    command: &str,
    message: Option<String>,
    ttl: Duration,
) -> LockRequest {
    let deployer = super::deployer::deployer(&session.identity_arn, &session.checked_dir());
    LockRequest {
        environment: session.environment.clone(),
        owner: deployer.operator,
        command: command.to_string(),
        git_commit: deployer.git_commit,
        message,
        ttl,
    }
}

/// Why a run that read the environment while the lock was `seen` (read just before the plan's
/// read) must read it again now that it holds the lock with `previous` before it; `None` when
/// no run can have changed it in between. Only a released holding (or none) proves that: its run
/// finished every change before it released, and the same holding still being the one this run
/// replaced means nobody took the lock since. A live or expired holding may still be changing
/// things. No clocks are compared, so a skewed clock never costs a second read.
pub fn replan_reason(seen: Option<&DeployLock>, previous: &Previous) -> Option<&'static str> {
    match (seen, previous) {
        (_, Previous::Unknown) => Some(
            "the answer to taking the deploy lock of {env} was lost (the retry found it already taken by this run), \
             so another run may have changed it since this plan was read: planning again",
        ),
        (None, Previous::Never) => None,
        (Some(seen), _) if seen.released_epoch.is_none() => {
            Some("another run held the deploy lock of {env} while this plan was read: planning again")
        }
        (Some(seen), Previous::Holding(previous)) if previous.token == seen.token => None,
        _ => Some("another run took the deploy lock of {env} after this plan was read: planning again"),
    }
}

/// Takes the lock: one attempt, or attempts every second until `wait` is over; the holding it
/// replaced (released or expired), if known. Another run's live holding is
/// [`CommandError::Locked`].
pub async fn take<C: LockStore>(
    cloud: &C,
    scope: &HistoryScope,
    request: &LockRequest,
    wait: Option<Duration>,
    printer: &Printer,
) -> Result<(DeployLock, Previous), CommandError> {
    // Without --lock-wait, one attempt (a deadline of zero).
    let mut told = false;
    let taken = Poll::every(WAIT_POLL)
        .within(wait.unwrap_or(Duration::ZERO))
        .until_noting(
            |_| async {
                let now = now_epoch();
                match cloud.lock_acquire(scope, &request.holding(now), now).await {
                    Ok(LockAttempt::Acquired { lock, previous }) => Step::Done(Ok((lock, previous))),
                    Ok(LockAttempt::Held(holder)) => Step::NotYet(holder),
                    Err(error) => Step::Done(Err(error)),
                }
            },
            |holder, _| {
                if !told {
                    printer.info(&format!(
                        "waiting for the deploy lock of {}, held by {}",
                        request.environment,
                        lock_view::holder_line(holder)
                    ));
                    told = true;
                }
            },
        )
        .await;
    let (lock, previous) = match taken {
        Ok(acquired) => acquired?,
        Err(holder) => return Err(CommandError::Locked(Box::new(holder))),
    };
    let previous = match previous {
        None => Previous::Never,
        Some(previous) if previous.token == lock.token => Previous::Unknown,
        Some(previous) => Previous::Holding(previous),
    };
    if let Previous::Holding(previous) = &previous
        && previous.released_epoch.is_none()
    {
        printer.warning(&format!(
            "took over the expired deploy lock of {} held by {}",
            request.environment,
            lock_view::holder_line(previous)
        ));
    }
    Ok((lock, previous))
}

/// Renews the holding every third of its time to live; stops when it is lost.
async fn renew<C: LockStore>(cloud: C, scope: HistoryScope, current: Arc<Mutex<DeployLock>>, lost: Arc<AtomicBool>) {
    let every = DEFAULT_TTL / 3;
    let mut wait = every;
    loop {
        tokio::time::sleep(wait).await;
        let Ok(lock) = current.lock().map(|lock| lock.clone()) else { return };
        let renewed = lock.renewed(now_epoch(), DEFAULT_TTL);
        match cloud.lock_rewrite(&scope, &renewed).await {
            Ok(true) => {
                if let Ok(mut current) = current.lock() {
                    *current = renewed;
                }
                wait = every;
            }
            Ok(false) => {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            // A failed renewal (AWS unreachable for a moment) is tried again soon: the lock
            // outlives several tries, and the run checks it still holds it before each change.
            Err(_) => wait = every / 4,
        }
    }
}

pub fn parse_duration(text: &str, flag: &str) -> Result<Duration, CommandError> {
    crate::manifest::units::parse_duration_millis(text)
        .filter(|millis| *millis > 0)
        .map(Duration::from_millis)
        .ok_or_else(|| {
            CommandError::usage(
                format!("{flag} {text} is not a duration"),
                vec!["write e.g. \"90s\", \"10m\" or \"1h\"".into()],
            )
        })
}

#[cfg(test)]
mod tests {
    use super::{Previous, replan_reason};
    use crate::deploy_lock::{DeployLock, LockRequest};
    use std::time::Duration;

    fn holding(owner: &str) -> DeployLock {
        let request = LockRequest {
            environment: "stage".into(),
            owner: owner.into(),
            command: "up".into(),
            git_commit: None,
            message: None,
            ttl: Duration::from_secs(120),
        };
        request.holding(1_700_000_000)
    }

    #[test]
    fn only_the_same_released_holding_or_none_spares_a_second_read() {
        let ana = holding("ana");
        let released = ana.released();
        // Never taken, and still never taken when this run took it: nobody changed anything.
        assert_eq!(replan_reason(None, &Previous::Never), None);
        // The run before this one had finished and released; nobody took the lock since.
        assert_eq!(replan_reason(Some(&released), &Previous::Holding(Box::new(released.clone()))), None);
        // Another run took (and released) the lock after the plan was read.
        let bo = holding("bo").released();
        assert!(replan_reason(Some(&released), &Previous::Holding(Box::new(bo.clone()))).is_some());
        assert!(replan_reason(None, &Previous::Holding(Box::new(bo))).is_some());
        // A run held it while the plan was read: it may have been changing things.
        let reason = replan_reason(Some(&ana), &Previous::Holding(Box::new(released.clone())));
        assert!(reason.is_some_and(|reason| reason.contains("while this plan was read")), "{reason:?}");
        // The answer to taking it was lost: what came before is not known.
        assert!(replan_reason(Some(&released), &Previous::Unknown).is_some());
    }
}
