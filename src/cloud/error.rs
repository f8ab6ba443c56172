//! AWS errors, classified once: users see the operation, the resource and what to do, never a
//! Debug dump of an SDK error.

use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::fmt;

/// An AWS call that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed for {resource}: {kind}")]
pub struct CloudError {
    /// The API operation, as IAM names its permission: `ecs:DescribeServices`.
    pub operation: String,
    /// What the call was about: `service stage-auth in cluster acme`.
    pub resource: String,
    pub kind: CloudErrorKind,
}

/// What went wrong, in the categories an operator acts on differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudErrorKind {
    /// The caller lacks the IAM permission named by the operation.
    AccessDenied { message: String },
    /// The credentials are missing, invalid or expired.
    Credentials { message: String },
    /// The endpoint could not be reached (network, DNS, emulator not running).
    Unreachable { endpoint: Option<String>, message: String },
    /// AWS kept throttling after the SDK's retries.
    Throttled,
    /// Anything else, with AWS's error code.
    Service { code: String, message: String },
}

impl fmt::Display for CloudErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloudErrorKind::AccessDenied { message } => write!(f, "access denied ({message})"),
            CloudErrorKind::Credentials { message } => write!(f, "the credentials were refused ({message})"),
            CloudErrorKind::Unreachable { endpoint: Some(endpoint), message } => {
                write!(f, "could not reach {endpoint} ({message})")
            }
            CloudErrorKind::Unreachable { endpoint: None, message } => write!(f, "could not reach AWS ({message})"),
            CloudErrorKind::Throttled => f.write_str("AWS throttled the request, also after retries"),
            CloudErrorKind::Service { code, message } if message.is_empty() => f.write_str(code),
            CloudErrorKind::Service { code, message } => write!(f, "{code}: {message}"),
        }
    }
}

impl CloudError {
    pub fn new(operation: impl Into<String>, resource: impl Into<String>, kind: CloudErrorKind) -> Self {
        CloudError { operation: operation.into(), resource: resource.into(), kind }
    }

    /// What the operator can do about it.
    pub fn hints(&self) -> Vec<String> {
        match &self.kind {
            CloudErrorKind::AccessDenied { .. } => {
                vec![format!("grant the IAM permission {} to the identity ecsdeploy runs as (see `ecsdeploy doctor`)", self.operation)]
            }
            CloudErrorKind::Credentials { .. } => vec![
                "check AWS_PROFILE / --profile, AWS_ACCESS_KEY_ID, or run `aws sso login`; `ecsdeploy doctor` shows which credentials are used".into(),
            ],
            CloudErrorKind::Unreachable { .. } => vec![
                "check the network, the region, and --endpoint-url / AWS_ENDPOINT_URL (for the local emulator: scripts/emulator-start)".into(),
            ],
            CloudErrorKind::Throttled => vec!["wait and run again; ecsdeploy changed nothing in this step".into()],
            CloudErrorKind::Service { .. } => Vec::new(),
        }
    }

    pub fn is_access_denied(&self) -> bool {
        matches!(self.kind, CloudErrorKind::AccessDenied { .. })
    }
}

const ACCESS_DENIED_CODES: &[&str] =
    &["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "UnauthorizedAccess"];
const CREDENTIAL_CODES: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "AuthFailure",
    "MissingAuthenticationToken",
];
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "PriorRequestNotComplete",
];

/// Classifies an SDK error of `operation` on `resource`.
pub fn classify<E, R>(error: &SdkError<E, R>, operation: &str, resource: &str, endpoint: Option<&str>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    let kind = match error {
        // Missing credentials surface as a dispatch failure: the SDK resolves identity just
        // before sending.
        SdkError::DispatchFailure(_) if mentions_credentials(error) => {
            CloudErrorKind::Credentials { message: last_cause(error) }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            CloudErrorKind::Unreachable { endpoint: endpoint.map(str::to_string), message: last_cause(error) }
        }
        SdkError::ConstructionFailure(_) if mentions_credentials(error) => {
            CloudErrorKind::Credentials { message: last_cause(error) }
        }
        SdkError::ConstructionFailure(_) => {
            CloudErrorKind::Service { code: "request not sent".into(), message: last_cause(error) }
        }
        SdkError::ResponseError(_) => CloudErrorKind::Service {
            code: "unreadable response".into(),
            message: "the endpoint answered with something that is not this AWS API's response".into(),
        },
        _ => {
            let code = error.code().unwrap_or("Unknown").to_string();
            let message = error.message().unwrap_or_default().to_string();
            if ACCESS_DENIED_CODES.contains(&code.as_str()) {
                CloudErrorKind::AccessDenied { message: if message.is_empty() { code } else { message } }
            } else if CREDENTIAL_CODES.contains(&code.as_str()) {
                CloudErrorKind::Credentials { message: if message.is_empty() { code } else { message } }
            } else if THROTTLING_CODES.contains(&code.as_str()) {
                CloudErrorKind::Throttled
            } else {
                CloudErrorKind::Service { code, message }
            }
        }
    };
    CloudError::new(operation, resource, kind)
}

fn mentions_credentials(error: &(dyn std::error::Error + 'static)) -> bool {
    let text = DisplayErrorContext(error).to_string().to_ascii_lowercase();
    text.contains("credential") || text.contains("resolve identity")
}

/// The innermost, most specific part of an error chain ("Connection refused (os error 111)").
fn last_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let full = DisplayErrorContext(error).to_string();
    full.rsplit(": ").next().unwrap_or(&full).trim().to_string()
}

/// Whether an SDK error says the resource does not exist (so callers can return `Ok(None)`).
pub fn is_not_found<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>, codes: &[&str]) -> bool {
    error.code().is_some_and(|code| codes.contains(&code))
}
