//! Trying again until something is ready: the one poll loop of ecsdeploy, for AWS resources that
//! settle in their own time (a table becoming active, a load balancer provisioning, a role that
//! IAM has not spread yet, a security group still in use) and for anything else that waits.
//!
//! Time comes from `tokio::time` (its `sleep` and `Instant`), so a test with paused time
//! (`#[tokio::test(start_paused = true)]`) runs a ten-minute wait at once and exactly.
//!
//! A [`Poll`] says how long to pause between attempts and when to stop trying; an attempt says
//! whether it is done ([`Step::Done`]) or not yet ([`Step::NotYet`], with why). Failures that
//! waiting does not cure are part of what is done: with `T = Result<_, E>`, `Done(Err(error))`
//! ends the poll with that error at once.
//!
//! ```no_run
//! # async fn table_is_active() -> Result<bool, String> { Ok(true) }
//! # async fn example() -> Result<(), String> {
//! use ecsdeploy::poll::{Poll, Step};
//! use std::time::Duration;
//! // Every 5 s for up to 10 minutes; `Err(())` when the time ran out.
//! let _waited = Poll::every(Duration::from_secs(5))
//!     .within(Duration::from_secs(600))
//!     .until(|_| async {
//!         match table_is_active().await {
//!             Ok(true) => Step::Done(Ok(())),
//!             Ok(false) => Step::NotYet(()),
//!             Err(error) => Step::Done(Err(error)),
//!         }
//!     })
//!     .await;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::time::Duration;
use tokio::time::{Instant, sleep};

/// When a poll pauses between attempts, and when it stops trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Poll {
    first_pause: Duration,
    max_pause: Duration,
    deadline: Option<Duration>,
}

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T, W> {
    /// Finished: the poll returns `T`, a success or a failure that waiting does not cure.
    Done(T),
    /// Not yet: the poll pauses and tries again. `W` says why: it goes to the next attempt, and
    /// the poll returns it if its time is up.
    NotYet(W),
}

impl Poll {
    /// The same pause between all attempts, and no deadline (see [`Poll::within`]).
    pub const fn every(pause: Duration) -> Self {
        Poll { first_pause: pause, max_pause: pause, deadline: None }
    }

    /// A pause of `first`, doubled after each attempt up to `max` (an API that is busy or
    /// throttling is asked less and less often), and no deadline (see [`Poll::within`]).
    pub const fn backoff(first: Duration, max: Duration) -> Self {
        Poll { first_pause: first, max_pause: max, deadline: None }
    }

    /// No attempt starts later than `deadline` after the poll started: once the next pause
    /// would end after it, the poll stops with the last attempt's [`Step::NotYet`] value. A
    /// deadline of zero makes one attempt. Without a deadline the attempts decide when to stop.
    pub const fn within(self, deadline: Duration) -> Self {
        Poll { deadline: Some(deadline), ..self }
    }

    /// Runs `attempt` until it is [`Step::Done`] (then `Ok` with its value) or the deadline
    /// stops the poll (then `Err` with the last [`Step::NotYet`] value). Each attempt gets the
    /// previous attempt's `NotYet` value (`None` the first time), so that it can follow up on
    /// what that one left open without state shared between attempts.
    pub async fn until<T, W, F, Fut>(&self, attempt: F) -> Result<T, W>
    where
        F: FnMut(Option<W>) -> Fut,
        Fut: Future<Output = Step<T, W>>,
    {
        self.until_noting(attempt, |_, _| {}).await
    }

    /// [`Poll::until`], calling `before_pause` with the `NotYet` value and the pause before each
    /// pause: to tell the operator once that it waits, or to log why it waits.
    pub async fn until_noting<T, W, F, Fut>(
        &self,
        mut attempt: F,
        mut before_pause: impl FnMut(&W, Duration),
    ) -> Result<T, W>
    where
        F: FnMut(Option<W>) -> Fut,
        Fut: Future<Output = Step<T, W>>,
    {
        let started = Instant::now();
        let mut pause = self.first_pause;
        let mut previous = None;
        loop {
            match attempt(previous.take()).await {
                Step::Done(done) => return Ok(done),
                Step::NotYet(why) if self.deadline.is_none_or(|deadline| started.elapsed() + pause <= deadline) => {
                    before_pause(&why, pause);
                    sleep(pause).await;
                    pause = (pause * 2).min(self.max_pause);
                    previous = Some(why);
                }
                Step::NotYet(why) => return Err(why),
            }
        }
    }

    /// Runs `attempt` until it succeeds, fails in a way `retryable` does not accept, or the
    /// deadline stops the poll; returns the last result. Each retry is logged (debug) with its
    /// error and pause.
    pub async fn retry<T, E, F, Fut>(&self, retryable: impl Fn(&E) -> bool, mut attempt: F) -> Result<T, E>
    where
        E: std::fmt::Display,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let retryable = &retryable;
        let polled = self
            .until_noting(
                |_| {
                    let attempted = attempt();
                    async move {
                        match attempted.await {
                            Err(error) if retryable(&error) => Step::NotYet(error),
                            result => Step::Done(result),
                        }
                    }
                },
                |error, pause| tracing::debug!(%error, "not ready; retrying in {pause:?}"),
            )
            .await;
        polled.unwrap_or_else(Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    const SECOND: Duration = Duration::from_secs(1);

    /// The seconds since `started` at which each attempt began.
    fn seconds(starts: &RefCell<Vec<Duration>>) -> Vec<u64> {
        starts.borrow().iter().map(Duration::as_secs).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn a_fixed_pause_polls_until_done() {
        let started = Instant::now();
        let starts = RefCell::new(Vec::new());
        let done = Poll::every(5 * SECOND)
            .until(|_| async {
                starts.borrow_mut().push(started.elapsed());
                if starts.borrow().len() == 4 { Step::Done("active") } else { Step::NotYet(()) }
            })
            .await;
        assert_eq!(done, Ok("active"));
        assert_eq!(seconds(&starts), [0, 5, 10, 15]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_pause_doubles_up_to_its_maximum() {
        let started = Instant::now();
        let starts = RefCell::new(Vec::new());
        let done: Result<(), u32> = Poll::backoff(2 * SECOND, 30 * SECOND)
            .within(120 * SECOND)
            .until(|_| async {
                starts.borrow_mut().push(started.elapsed());
                Step::NotYet(starts.borrow().len() as u32)
            })
            .await;
        // 2, 4, 8, 16, 30, 30: the next pause of 30 s would end at 120 s, which is still allowed.
        assert_eq!(seconds(&starts), [0, 2, 6, 14, 30, 60, 90, 120]);
        assert_eq!(done, Err(8), "the last attempt's value");
    }

    #[tokio::test(start_paused = true)]
    async fn no_attempt_starts_after_the_deadline() {
        let started = Instant::now();
        let starts = RefCell::new(Vec::new());
        let done: Result<(), &str> = Poll::every(5 * SECOND)
            .within(12 * SECOND)
            .until(|_| async {
                starts.borrow_mut().push(started.elapsed());
                Step::NotYet("provisioning")
            })
            .await;
        assert_eq!(done, Err("provisioning"));
        assert_eq!(seconds(&starts), [0, 5, 10]);
        assert_eq!(started.elapsed(), 10 * SECOND, "it gives up at once, without a last pause");
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_deadline_makes_one_attempt() {
        let attempts = RefCell::new(0);
        let done: Result<(), ()> = Poll::every(SECOND)
            .within(Duration::ZERO)
            .until(|_| async {
                *attempts.borrow_mut() += 1;
                Step::NotYet(())
            })
            .await;
        assert_eq!(done, Err(()));
        assert_eq!(*attempts.borrow(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn time_spent_in_attempts_counts_toward_the_deadline() {
        let started = Instant::now();
        let starts = RefCell::new(Vec::new());
        let _: Result<(), ()> = Poll::every(SECOND)
            .within(10 * SECOND)
            .until(|_| async {
                starts.borrow_mut().push(started.elapsed());
                sleep(3 * SECOND).await;
                Step::NotYet(())
            })
            .await;
        assert_eq!(seconds(&starts), [0, 4, 8]);
    }

    #[tokio::test(start_paused = true)]
    async fn each_attempt_gets_what_the_previous_one_left_open() {
        let seen = RefCell::new(Vec::new());
        let done = Poll::every(SECOND)
            .until(|previous: Option<u32>| {
                seen.borrow_mut().push(previous);
                async move {
                    match previous {
                        Some(3) => Step::Done("third"),
                        Some(count) => Step::NotYet(count + 1),
                        None => Step::NotYet(1),
                    }
                }
            })
            .await;
        assert_eq!(done, Ok("third"));
        assert_eq!(*seen.borrow(), [None, Some(1), Some(2), Some(3)]);
    }

    #[tokio::test(start_paused = true)]
    async fn before_pause_hears_of_every_pause() {
        let mut noted = Vec::new();
        let _: Result<(), &str> = Poll::backoff(SECOND, 3 * SECOND)
            .within(6 * SECOND)
            .until_noting(|_| async { Step::NotYet("busy") }, |why, pause| noted.push((*why, pause.as_secs())))
            .await;
        assert_eq!(noted, [("busy", 1), ("busy", 2), ("busy", 3)]);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_stops_at_success_at_a_final_error_and_at_the_deadline() {
        let poll = Poll::backoff(2 * SECOND, 30 * SECOND).within(60 * SECOND);
        let retryable = |error: &String| error == "busy";

        let attempts = RefCell::new(0);
        let succeeded = poll
            .retry(retryable, || async {
                *attempts.borrow_mut() += 1;
                if *attempts.borrow() < 3 { Err("busy".to_string()) } else { Ok(7) }
            })
            .await;
        assert_eq!((succeeded, *attempts.borrow()), (Ok(7), 3));

        let attempts = RefCell::new(0);
        let refused: Result<(), String> = poll
            .retry(retryable, || async {
                *attempts.borrow_mut() += 1;
                Err("denied".to_string())
            })
            .await;
        assert_eq!((refused, *attempts.borrow()), (Err("denied".to_string()), 1));

        let started = Instant::now();
        let attempts = RefCell::new(0);
        let busy: Result<(), String> = poll
            .retry(retryable, || async {
                *attempts.borrow_mut() += 1;
                Err("busy".to_string())
            })
            .await;
        // Attempts at 0, 2, 6, 14, 30 s; the next would start at 60 s, which is still allowed,
        // and the one after at 90 s, which is not.
        assert_eq!((busy, *attempts.borrow()), (Err("busy".to_string()), 6));
        assert_eq!(started.elapsed(), 60 * SECOND);
    }
}
