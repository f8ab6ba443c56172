//! Counting AWS API calls per service and operation, for `--stats` and the no-op-is-read-only
//! guarantee: an interceptor on every SDK client counts each attempt (retries included).

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Calls made so far, by `(service, operation)`.
#[derive(Debug, Default, Clone)]
pub struct ApiCalls(Arc<Mutex<BTreeMap<(String, String), u64>>>);

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
    pub fn record(&self, service: &str, operation: &str) {
        if let Ok(mut counts) = self.0.lock() {
            *counts.entry((service.to_string(), operation.to_string())).or_default() += 1;
        }
    }

    pub fn counts(&self) -> Vec<CallCount> {
        let counts = self.0.lock().map(|counts| counts.clone()).unwrap_or_default();
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
            self.0.record(metadata.service(), metadata.name());
        }
        Ok(())
    }
}
