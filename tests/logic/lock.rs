//! Taking the deploy lock over the in-memory fake, with paused time: a free lock is taken, a live
//! one turns the run away naming the holder, `--lock-wait` takes it once it is released, and an
//! expired holding is taken over (and reported as the previous holding).

use crate::fake::FakeCloud;
use ecsdeploy::commands::CommandError;
use ecsdeploy::deploy_lock::LockStore;
use ecsdeploy::deploy_lock::{LockAttempt, LockRequest, now_epoch};
use ecsdeploy::history::HistoryScope;
use ecsdeploy::output::{ColorChoice, OutputFormat, Printer};
use ecsdeploy::run::lock::{Previous, take};
use std::time::Duration;

fn request(owner: &str) -> LockRequest {
    LockRequest {
        environment: "stage".into(),
        owner: owner.into(),
        command: "up".into(),
        git_commit: None,
        message: Some(format!("{owner}'s deploy")),
        ttl: Duration::from_secs(120),
    }
}

fn quiet() -> Printer {
    Printer::new(OutputFormat::Text, ColorChoice::Never, true)
}

/// The fake with `owner` holding stage's lock until `expires_epoch`.
async fn held_by(owner: &str, expires_epoch: u64) -> (FakeCloud, HistoryScope) {
    let cloud = FakeCloud::with_account("123456789012");
    let scope = HistoryScope::new("acme", "stage");
    let mut holding = request(owner).holding(now_epoch());
    holding.expires_epoch = expires_epoch;
    let attempt = cloud.lock_acquire(&scope, &holding, now_epoch()).await.unwrap();
    assert!(matches!(attempt, LockAttempt::Acquired { .. }));
    (cloud, scope)
}

#[tokio::test(start_paused = true)]
async fn a_free_lock_is_taken() {
    let cloud = FakeCloud::with_account("123456789012");
    let scope = HistoryScope::new("acme", "stage");
    let (lock, previous) = take(&cloud, &scope, &request("ana"), None, &quiet()).await.unwrap();
    assert_eq!((lock.owner.as_str(), previous), ("ana", Previous::Never));
    assert_eq!(cloud.lock_read(&scope).await.unwrap(), Some(lock));
}

#[tokio::test(start_paused = true)]
async fn a_live_lock_turns_the_run_away_naming_the_holder() {
    let (cloud, scope) = held_by("bo", now_epoch() + 600).await;
    match take(&cloud, &scope, &request("ana"), None, &quiet()).await {
        Err(CommandError::Locked(holder)) => assert_eq!(holder.owner, "bo"),
        other => panic!("expected Locked, got {other:?}"),
    }
    // Waiting does not help while it stays held: turned away at the deadline.
    let started = tokio::time::Instant::now();
    let waited = take(&cloud, &scope, &request("ana"), Some(Duration::from_secs(30)), &quiet()).await;
    assert!(matches!(waited, Err(CommandError::Locked(_))), "{waited:?}");
    assert!(started.elapsed() >= Duration::from_secs(29), "it waited: {:?}", started.elapsed());
}

#[tokio::test(start_paused = true)]
async fn a_waiting_run_takes_the_lock_once_it_is_released() {
    let (cloud, scope) = held_by("bo", now_epoch() + 600).await;
    let release = async {
        tokio::time::sleep(Duration::from_secs(20)).await;
        let holding = cloud.lock_read(&scope).await.unwrap().unwrap();
        assert!(cloud.lock_rewrite(&scope, &holding.released()).await.unwrap());
    };
    let (ana, printer) = (request("ana"), quiet());
    let wait = take(&cloud, &scope, &ana, Some(Duration::from_secs(60)), &printer);
    let (taken, ()) = tokio::join!(wait, release);
    let (lock, previous) = taken.unwrap();
    assert_eq!(lock.owner, "ana");
    let Previous::Holding(previous) = previous else { panic!("the released holding: {previous:?}") };
    assert_eq!(previous.owner, "bo");
    assert!(previous.released_millis.is_some(), "released, not expired");
}

#[tokio::test(start_paused = true)]
async fn an_expired_holding_is_taken_over() {
    let (cloud, scope) = held_by("bo", now_epoch().saturating_sub(1)).await;
    let (lock, previous) = take(&cloud, &scope, &request("ana"), None, &quiet()).await.unwrap();
    assert_eq!(lock.owner, "ana");
    let Previous::Holding(previous) = previous else { panic!("the expired holding: {previous:?}") };
    assert!(previous.owner == "bo" && previous.released_millis.is_none(), "{previous:?}");
    // The old holder can neither renew nor release the new holding.
    let stale = cloud.lock_read(&scope).await.unwrap().unwrap();
    assert_eq!(stale.owner, "ana");
    let mut old = previous.clone();
    old.expires_epoch = now_epoch() + 120;
    assert!(!cloud.lock_rewrite(&scope, &old).await.unwrap(), "the token is not the holder's any more");
}

/// A put (or rewrite) that the SDK retried after its answer was lost finds its own holding: taken
/// (the previous holding is then this very one, which `take` reports as unknown), never refused.
#[tokio::test(start_paused = true)]
async fn a_retried_put_finds_its_own_holding_and_takes_it() {
    let cloud = FakeCloud::with_account("123456789012");
    let scope = HistoryScope::new("acme", "stage");
    let holding = request("ana").holding(now_epoch());
    cloud.lock_acquire(&scope, &holding, now_epoch()).await.unwrap();
    match cloud.lock_acquire(&scope, &holding, now_epoch()).await.unwrap() {
        LockAttempt::Acquired { previous: Some(previous), .. } => assert_eq!(previous.token, holding.token),
        other => panic!("the retry is refused by its own lock: {other:?}"),
    }
    let released = holding.released();
    assert!(cloud.lock_rewrite(&scope, &released).await.unwrap());
    assert!(cloud.lock_rewrite(&scope, &released).await.unwrap(), "a retried release is not 'lost'");
}
