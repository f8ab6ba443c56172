//! An in-memory [`Cloud`] for tests of the logic above the seam: scripted identity and failures.

use super::{Api, CallerIdentity, Cloud, CloudError, CloudErrorKind};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A cloud whose answers a test sets; it records the calls it receives.
#[derive(Debug, Default)]
pub struct FakeCloud {
    pub identity: Option<CallerIdentity>,
    /// APIs whose probe fails, and how.
    pub failing: BTreeMap<Api, CloudErrorKind>,
    calls: Mutex<Vec<String>>,
}

impl FakeCloud {
    pub fn with_account(account_id: &str) -> Self {
        FakeCloud {
            identity: Some(CallerIdentity {
                account_id: account_id.to_string(),
                arn: format!("arn:aws:iam::{account_id}:user/fake"),
                user_id: "AIDAFAKE".into(),
            }),
            ..FakeCloud::default()
        }
    }

    /// The operations called so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|calls| calls.clone()).unwrap_or_default()
    }

    fn record(&self, operation: &str) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(operation.to_string());
        }
    }
}

impl Cloud for FakeCloud {
    async fn caller_identity(&self) -> Result<CallerIdentity, CloudError> {
        self.record("sts:GetCallerIdentity");
        self.identity.clone().ok_or_else(|| {
            CloudError::new(
                "sts:GetCallerIdentity",
                "region us-east-1",
                CloudErrorKind::Credentials { message: "no credentials".into() },
            )
        })
    }

    async fn probe(&self, api: Api) -> Result<(), CloudError> {
        self.record(api.probe_operation());
        match self.failing.get(&api) {
            Some(kind) => Err(CloudError::new(api.probe_operation(), "region us-east-1", kind.clone())),
            None => Ok(()),
        }
    }
}
