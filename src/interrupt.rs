//! Ctrl-C, shared by `main` and the rollout gate. Before any rollout is gated, Ctrl-C stops the
//! run at once. While rollouts are gated, the first Ctrl-C asks them to stop waiting and roll
//! back what the run started; a second one stops the run at once.

use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

static GATING: AtomicBool = AtomicBool::new(false);
static REQUESTED: AtomicBool = AtomicBool::new(false);
static NOTIFY: Notify = Notify::const_new();

/// From now on the first Ctrl-C goes to the gates.
pub fn begin_gating() {
    GATING.store(true, Ordering::SeqCst);
}

/// Called by `main` at each Ctrl-C: true when a gate takes this one (the first while gating),
/// false when the run should stop at once.
pub fn take() -> bool {
    if !GATING.load(Ordering::SeqCst) || REQUESTED.swap(true, Ordering::SeqCst) {
        return false;
    }
    NOTIFY.notify_waiters();
    true
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
