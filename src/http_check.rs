//! The service's own HTTP check: a GET of its health path through the public URL (the ALB),
//! judged by the gate. The gate declares the [`HttpCheck`] trait it asks through (so that its
//! tests script the answers); this is the real one.

pub use crate::rollout::HttpCheck;
use crate::rollout::HttpResult;
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// The real check: HTTP or HTTPS (system roots), one request, a short timeout, no redirects
/// followed (a redirect is an answer like any other, judged by the matcher).
#[derive(Clone)]
pub struct HyperHttpCheck {
    client: Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Empty<Bytes>>,
    timeout: Duration,
}

impl HyperHttpCheck {
    /// `None` when the system's certificate store cannot be read.
    pub fn new(timeout: Duration) -> Option<Self> {
        let connector =
            hyper_rustls::HttpsConnectorBuilder::new().with_native_roots().ok()?.https_or_http().enable_http1().build();
        Some(HyperHttpCheck { client: Client::builder(TokioExecutor::new()).build(connector), timeout })
    }
}

impl HttpCheck for HyperHttpCheck {
    async fn get(&self, url: &str) -> HttpResult {
        let uri: hyper::Uri = match url.parse() {
            Ok(uri) => uri,
            // Not the URL itself: a base URL may carry credentials.
            Err(error) => return HttpResult::Unreachable(format!("invalid health check URL: {error}")),
        };
        match tokio::time::timeout(self.timeout, self.client.get(uri)).await {
            Ok(Ok(response)) => HttpResult::Status(response.status().as_u16()),
            Ok(Err(error)) => HttpResult::Unreachable(describe(&error)),
            Err(_) => HttpResult::Unreachable(format!("no answer within {}s", self.timeout.as_secs())),
        }
    }
}

/// The innermost cause ("Connection refused (os error 111)").
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}
