//! Counting AWS API calls per service and operation, for `--stats` and the no-op-is-read-only
//! guarantee: an interceptor on every SDK client counts each attempt (retries included).
//!
//! It also measures the depth of the calls, the latency proxy: on AWS a call costs tens of
//! milliseconds, so what a command waits for is the longest chain of calls that each started
//! only after another had answered, not the count. A call's depth is one more than the deepest
//! call that had finished when it started; the command's `sequential_rounds` is the deepest call.
//! With every call taking the same time and local work free, wall time is rounds x call time.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Calls made so far, by `(service, operation)`, and their depth.
#[derive(Debug, Default, Clone)]
pub struct ApiCalls(Arc<Mutex<Tally>>);

#[derive(Debug, Default)]
struct Tally {
    counts: BTreeMap<(String, String), u64>,
    /// The depth of the deepest call that has finished.
    finished_depth: u64,
    /// The depth of the deepest call started.
    deepest: u64,
}

/// The depth of one call in flight, kept in its config bag between attempt start and end.
#[derive(Debug, Clone, Copy)]
struct CallDepth(u64);

impl aws_smithy_types::config_bag::Storable for CallDepth {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

/// One line of the call count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallCount {
    pub service: String,
    pub operation: String,
    pub calls: u64,
}

/// Operations that change nothing, by prefix: a no-op run must make only these.
const READ_PREFIXES: &[&str] = &["Describe", "List", "Get", "BatchGet", "BatchCheck"];

impl ApiCalls {
    /// Counts one call that finishes at once (the in-memory fake's calls).
    pub fn record(&self, service: &str, operation: &str) {
        let depth = self.start(service, operation);
        self.finish(depth);
    }

    /// Counts a call that starts now, and returns its depth.
    pub fn start(&self, service: &str, operation: &str) -> u64 {
        let Ok(mut tally) = self.0.lock() else { return 0 };
        *tally.counts.entry((service.to_string(), operation.to_string())).or_default() += 1;
        let depth = tally.finished_depth + 1;
        tally.deepest = tally.deepest.max(depth);
        tracing::debug!(target: "ecsdeploy::calls", "{service}:{operation} starts in round {depth}");
        depth
    }

    /// A call of depth `depth` has answered (or failed).
    pub fn finish(&self, depth: u64) {
        if let Ok(mut tally) = self.0.lock() {
            tally.finished_depth = tally.finished_depth.max(depth);
        }
    }

    /// The longest chain of calls each waiting for an earlier answer (see the module's doc).
    pub fn sequential_rounds(&self) -> u64 {
        self.0.lock().map(|tally| tally.deepest).unwrap_or_default()
    }

    pub fn counts(&self) -> Vec<CallCount> {
        let counts = self.0.lock().map(|tally| tally.counts.clone()).unwrap_or_default();
        counts.into_iter().map(|((service, operation), calls)| CallCount { service, operation, calls }).collect()
    }

    pub fn total(&self) -> u64 {
        self.counts().iter().map(|count| count.calls).sum()
    }

    /// Calls of operations that may change something.
    pub fn writes(&self) -> Vec<CallCount> {
        self.counts().into_iter().filter(|count| !is_read(&count.operation)).collect()
    }

    /// An interceptor that records into these counts.
    pub fn interceptor(&self) -> CallCounter {
        CallCounter(self.clone())
    }
}

pub fn is_read(operation: &str) -> bool {
    READ_PREFIXES.iter().any(|prefix| operation.starts_with(prefix))
}

/// The interceptor installed on every client.
#[derive(Debug, Clone)]
pub struct CallCounter(ApiCalls);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "ecsdeploy-call-counter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let depth = self.0.start(metadata.service(), metadata.name());
            cfg.interceptor_state().store_put(CallDepth(depth));
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(CallDepth(depth)) = cfg.load::<CallDepth>().copied() {
            self.0.finish(depth);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ApiCalls;

    #[test]
    fn rounds_are_the_longest_chain_of_calls_that_waited_for_an_answer() {
        let calls = ApiCalls::default();
        // Three calls at once: one round.
        let first: Vec<u64> = (0..3).map(|_| calls.start("ECS", "DescribeServices")).collect();
        assert_eq!(calls.sequential_rounds(), 1);
        first.into_iter().for_each(|depth| calls.finish(depth));
        // Then one that waited for them, and one after it: three rounds, five calls.
        let second = calls.start("ECS", "DescribeTaskDefinition");
        calls.finish(second);
        calls.record("ECS", "DescribeTaskDefinition");
        assert_eq!(calls.sequential_rounds(), 3);
        assert_eq!(calls.total(), 5);
    }

    #[test]
    fn a_call_started_before_another_finished_does_not_wait_for_it() {
        let calls = ApiCalls::default();
        let slow = calls.start("IAM", "GetAccountAuthorizationDetails");
        let quick = calls.start("ECS", "ListServices");
        calls.finish(quick);
        let after_quick = calls.start("ECS", "DescribeServices");
        calls.finish(slow);
        calls.finish(after_quick);
        assert_eq!(calls.sequential_rounds(), 2);
    }
}
