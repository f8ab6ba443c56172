//! Ctrl-C, shared by `main` and the rollout gate. Before any rollout is gated, Ctrl-C stops the
//! run at once. While rollouts are gated, the first Ctrl-C asks them to stop waiting and roll
//! back what the run started; a second one stops the run at once.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use tokio::sync::Notify;

static GATING: AtomicBool = AtomicBool::new(false);
static REQUESTED: AtomicBool = AtomicBool::new(false);
static NOTIFY: Notify = Notify::const_new();
/// The exit code of the signal a gate took (130 SIGINT, 143 SIGTERM); 0 when none.
static SIGNAL_CODE: AtomicU8 = AtomicU8::new(0);

/// From now on the first Ctrl-C goes to the gates.
pub fn begin_gating() {
    GATING.store(true, Ordering::SeqCst);
}

/// Called by `main` at each Ctrl-C or SIGTERM (with its exit code, 130 or 143): true when a gate
/// takes this one (the first while gating), false when the run should stop at once.
pub fn take(code: u8) -> bool {
    if !GATING.load(Ordering::SeqCst) || REQUESTED.swap(true, Ordering::SeqCst) {
        return false;
    }
    SIGNAL_CODE.store(code, Ordering::SeqCst);
    NOTIFY.notify_waiters();
    true
}

/// The exit code of the signal the gates took, if one did: the run rolled back because it was
/// asked to stop, and a CI system must see 130/143 (documented), not the rollback's 3.
pub fn signal_exit_code() -> Option<u8> {
    Some(SIGNAL_CODE.load(Ordering::SeqCst)).filter(|code| *code != 0)
}

/// Resolves once a gate was asked to stop (immediately if it already was).
pub async fn requested() {
    loop {
        let notified = NOTIFY.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if REQUESTED.load(Ordering::SeqCst) {
            return;
        }
        notified.await;
    }
}
