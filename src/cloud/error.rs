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
    /// No credentials were found anywhere in the standard chain (nothing was sent).
    NoCredentials { message: String },
    /// AWS refused the credentials it was sent: invalid, expired or for another partition.
    Credentials { message: String },
    /// The endpoint could not be reached (network, DNS, emulator not running).
    Unreachable { endpoint: Option<String>, message: String },
    /// The endpoint took a connection but did not answer in time (see `sdk_config` for the
    /// timeouts); the request may or may not have been carried out.
    TimedOut { endpoint: Option<String>, message: String },
    /// AWS kept throttling after the SDK's retries.
    Throttled,
    /// Anything else, with AWS's error code.
    Service { code: String, message: String },
}

impl fmt::Display for CloudErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloudErrorKind::AccessDenied { message } => write!(f, "access denied ({message})"),
            CloudErrorKind::NoCredentials { message } => write!(f, "no AWS credentials were found ({message})"),
            CloudErrorKind::Credentials { message } => write!(f, "the credentials were refused ({message})"),
            CloudErrorKind::TimedOut { endpoint: Some(endpoint), message } => {
                write!(f, "{endpoint} did not answer in time ({message})")
            }
            CloudErrorKind::TimedOut { endpoint: None, message } => write!(f, "AWS did not answer in time ({message})"),
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
            CloudErrorKind::AccessDenied { message } => {
                let permission = denied_action(message).unwrap_or(&self.operation);
                vec![format!(
                    "grant the IAM permission {permission} to the identity ecsdeploy runs as (`ecsdeploy policy --env E` prints all it needs)"
                )]
            }
            CloudErrorKind::NoCredentials { .. } => vec![
                "set AWS_PROFILE / --profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`".into(),
            ],
            CloudErrorKind::Credentials { .. } => vec![
                "check AWS_PROFILE / --profile, AWS_ACCESS_KEY_ID, or run `aws sso login`; `ecsdeploy doctor` shows which credentials are used".into(),
            ],
            CloudErrorKind::TimedOut { .. } => vec![
                "check the network and --endpoint-url / AWS_ENDPOINT_URL; a write that timed out may have been carried out: run `ecsdeploy plan` to see".into(),
            ],
            CloudErrorKind::Unreachable { .. } => vec![
                "check the network, the region, and --endpoint-url / AWS_ENDPOINT_URL (for the local emulator: scripts/emulator-start)".into(),
            ],
            CloudErrorKind::Throttled => vec!["wait and run again; ecsdeploy changed nothing in this step".into()],
            CloudErrorKind::Service { .. } => Vec::new(),
        }
    }

    /// Whether AWS answered with one of `codes` (the error is a [`CloudErrorKind::Service`]).
    pub fn has_code(&self, codes: &[&str]) -> bool {
        matches!(&self.kind, CloudErrorKind::Service { code, .. } if codes.contains(&code.as_str()))
    }

    pub fn is_access_denied(&self) -> bool {
        matches!(self.kind, CloudErrorKind::AccessDenied { .. })
    }

    /// Whether the call may succeed if made again, and may already have been carried out: no
    /// answer in time, a connection lost on the way (the request may have reached AWS and only
    /// its answer been lost), throttling, an answer that could not be read, or a server error.
    /// A write that is not idempotent checks what it may already have done before repeating.
    pub fn is_transient(&self) -> bool {
        match &self.kind {
            CloudErrorKind::TimedOut { .. } | CloudErrorKind::Unreachable { .. } | CloudErrorKind::Throttled => true,
            CloudErrorKind::Service { code, .. } => {
                SERVER_ERROR_CODES.contains(&code.as_str()) || code.starts_with("HTTP 5")
            }
            CloudErrorKind::AccessDenied { .. }
            | CloudErrorKind::NoCredentials { .. }
            | CloudErrorKind::Credentials { .. } => false,
        }
    }
}

/// The action AWS says was denied ("... is not authorized to perform: iam:PassRole on resource:
/// ..."): for a call that needs a second permission, that one, not the call's own.
fn denied_action(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("to perform: ")?;
    let action = rest.split(|c: char| c.is_whitespace() || c == ',').next()?;
    action.contains(':').then_some(action)
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

/// AWS's codes for a failure on its side (HTTP 5xx), across the APIs ecsdeploy calls, and the
/// code [`classify`] gives an answer that is not the API's response.
const SERVER_ERROR_CODES: &[&str] = &[
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "InternalServerErrorException",
    "InternalServiceError",
    "InternalServiceErrorException",
    "ServerException",
    "ServiceException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceFailure",
    "Unavailable",
    "unreadable response",
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
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) if mentions_credentials(error) => {
            CloudErrorKind::NoCredentials { message: cause_chain(error) }
        }
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            CloudErrorKind::TimedOut { endpoint: endpoint.map(str::to_string), message: cause_chain(error) }
        }
        SdkError::TimeoutError(_) => {
            CloudErrorKind::TimedOut { endpoint: endpoint.map(str::to_string), message: cause_chain(error) }
        }
        SdkError::DispatchFailure(_) => {
            CloudErrorKind::Unreachable { endpoint: endpoint.map(str::to_string), message: cause_chain(error) }
        }
        SdkError::ConstructionFailure(_) => {
            CloudErrorKind::Service { code: "request not sent".into(), message: cause_chain(error) }
        }
        SdkError::ResponseError(_) => CloudErrorKind::Service {
            code: "unreadable response".into(),
            message: "the endpoint answered with something that is not this AWS API's response".into(),
        },
        _ => {
            // An answer without an AWS error code (a proxy's or load balancer's 502, say) is
            // named by its HTTP status, so that a server error reads as one.
            let code = match (error.code(), http_status(error)) {
                (Some(code), _) => code.to_string(),
                (None, Some(status)) => format!("HTTP {status}"),
                (None, None) => "Unknown".to_string(),
            };
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

/// The HTTP status of the answer an SDK error carries, if any.
fn http_status<E, R: 'static>(error: &SdkError<E, R>) -> Option<u16> {
    let raw: &dyn std::any::Any = error.raw_response()?;
    raw.downcast_ref::<aws_smithy_runtime_api::client::orchestrator::HttpResponse>()
        .map(|response| response.status().as_u16())
}

fn mentions_credentials(error: &(dyn std::error::Error + 'static)) -> bool {
    let text = DisplayErrorContext(error).to_string().to_ascii_lowercase();
    text.contains("credential") || text.contains("resolve identity")
}

/// The error's chain of causes, outermost first, each said once: "io error: client error
/// (Connect): tcp connect error: Connection refused (os error 111)".
///
/// Built from `source()` and each cause's `Display`, never from a `Debug` dump (which is how the
/// SDK's own `DisplayErrorContext` ends). The SDK's outermost words ("dispatch failure") are left
/// out: the kind of error already says that. Each message that merely repeats its cause's text
/// is dropped, so a wrapper that prints its source does not say things twice.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut messages: Vec<String> = Vec::new();
    let mut cause = error.source();
    while let Some(current) = cause {
        messages.push(current.to_string());
        cause = current.source();
    }
    if messages.is_empty() {
        messages.push(error.to_string());
    }
    let mut kept: Vec<String> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let message = message.trim();
        let repeated_below = messages[index + 1..].iter().any(|inner| inner.trim() == message);
        let is_new = !kept.last().is_some_and(|previous| previous.contains(message));
        if !message.is_empty() && !repeated_below && is_new {
            kept.push(message.to_string());
        }
    }
    let chain = kept.join(": ");
    // A chain can carry a whole response body; keep messages readable.
    if chain.chars().count() > 400 { format!("{}...", chain.chars().take(400).collect::<String>()) } else { chain }
}

/// Whether an SDK error carries one of AWS's error `codes`, whatever they mean: a condition
/// that failed, a name already taken, a resource in use, an API's catch-all `ClientException`.
/// For the codes that say the resource does not exist, [`is_not_found`] says so by its name.
pub fn has_code<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>, codes: &[&str]) -> bool {
    error.code().is_some_and(|code| codes.contains(&code))
}

/// Whether an SDK error says the resource does not exist (so callers can return `Ok(None)`):
/// `codes` are the API's not-found codes (`NoSuchEntity`, `TargetGroupNotFound`, ...). Any other
/// code is [`has_code`]'s.
pub fn is_not_found<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>, codes: &[&str]) -> bool {
    has_code(error, codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_the_permission_aws_names() {
        let message = "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/ecsdeploy/acme-stage-auth-execution";
        let error = CloudError::new(
            "ecs:CreateService",
            "service stage-auth in cluster acme",
            CloudErrorKind::AccessDenied { message: message.into() },
        );
        assert!(error.hints()[0].starts_with("grant the IAM permission iam:PassRole "), "{:?}", error.hints());
        let plain =
            CloudError::new("ecs:CreateService", "x", CloudErrorKind::AccessDenied { message: "denied".into() });
        assert!(plain.hints()[0].starts_with("grant the IAM permission ecs:CreateService "), "{:?}", plain.hints());
    }

    #[test]
    fn transient_failures_are_the_ones_a_repeat_may_cure() {
        let kind = |code: &str| CloudErrorKind::Service { code: code.into(), message: String::new() };
        let cases = [
            (CloudErrorKind::TimedOut { endpoint: None, message: "read timeout".into() }, true),
            (CloudErrorKind::Unreachable { endpoint: None, message: "connection closed".into() }, true),
            (CloudErrorKind::Throttled, true),
            (kind("ServerException"), true),
            (kind("InternalFailure"), true),
            (kind("ServiceUnavailable"), true),
            (kind("unreadable response"), true),
            (kind("HTTP 502"), true),
            (kind("HTTP 404"), false),
            (kind("ClientException"), false),
            (kind("EntityAlreadyExists"), false),
            (CloudErrorKind::AccessDenied { message: "denied".into() }, false),
            (CloudErrorKind::Credentials { message: "expired".into() }, false),
            (CloudErrorKind::NoCredentials { message: "none".into() }, false),
        ];
        for (kind, expected) in cases {
            let error = CloudError::new("ecs:RegisterTaskDefinition", "task definition stage-auth", kind);
            assert_eq!(error.is_transient(), expected, "{error}");
        }
    }

    #[test]
    fn codes_are_matched_only_on_answers_of_the_service() {
        let service = |code: &str| CloudErrorKind::Service { code: code.into(), message: "gone".into() };
        let error = |kind| CloudError::new("iam:DeleteRole", "role acme-stage-auth-task", kind);
        assert!(error(service("NoSuchEntity")).has_code(&["EntityAlreadyExists", "NoSuchEntity"]));
        assert!(!error(service("NoSuchEntity")).has_code(&["EntityAlreadyExists"]));
        assert!(!error(service("NoSuchEntity")).has_code(&[]));
        // A throttled or denied call names no code of the API, whatever its message says.
        assert!(!error(CloudErrorKind::Throttled).has_code(&["Throttling", "ThrottlingException"]));
        let denied = CloudErrorKind::AccessDenied { message: "NoSuchEntity".into() };
        assert!(!error(denied).has_code(&["NoSuchEntity"]));
    }

    #[test]
    fn sdk_errors_are_matched_by_their_code() {
        use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
        use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
        let answer = || {
            let status = aws_smithy_runtime_api::http::StatusCode::try_from(400).expect("status");
            HttpResponse::new(status, aws_smithy_types::body::SdkBody::empty())
        };
        let with_code = |code: &str| {
            let metadata = aws_smithy_types::error::ErrorMetadata::builder().code(code).build();
            SdkError::service_error(GetCallerIdentityError::generic(metadata), answer())
        };
        let taken = with_code("ResourceInUseException");
        assert!(has_code(&taken, &["ResourceNotFoundException", "ResourceInUseException"]));
        assert!(!has_code(&taken, &["ResourceNotFoundException"]));
        assert!(is_not_found(&with_code("ResourceNotFoundException"), &["ResourceNotFoundException"]));
        let without_code = SdkError::service_error(
            GetCallerIdentityError::generic(aws_smithy_types::error::ErrorMetadata::builder().build()),
            answer(),
        );
        assert!(!has_code(&without_code, &["ResourceNotFoundException", ""]));
    }

    #[test]
    fn an_answer_without_an_error_code_is_named_by_its_status() {
        use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
        use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
        let answer = |status: u16| {
            let status = aws_smithy_runtime_api::http::StatusCode::try_from(status).expect("status");
            HttpResponse::new(status, aws_smithy_types::body::SdkBody::empty())
        };
        let generic = || GetCallerIdentityError::generic(aws_smithy_types::error::ErrorMetadata::builder().build());
        let bad_gateway =
            classify(&SdkError::service_error(generic(), answer(502)), "sts:GetCallerIdentity", "x", None);
        assert_eq!(bad_gateway.kind, CloudErrorKind::Service { code: "HTTP 502".into(), message: String::new() });
        assert!(bad_gateway.is_transient());
        let not_found = classify(&SdkError::service_error(generic(), answer(404)), "sts:GetCallerIdentity", "x", None);
        assert!(!not_found.is_transient(), "{not_found}");
    }

    #[test]
    fn a_cause_chain_says_each_cause_once() {
        #[derive(Debug)]
        struct Layer(&'static str, Option<Box<Layer>>);
        impl std::fmt::Display for Layer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for Layer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|inner| inner as &(dyn std::error::Error + 'static))
            }
        }
        let refused = Layer("Connection refused (os error 111)", None);
        let connect = Layer("tcp connect error: Connection refused (os error 111)", Some(Box::new(refused)));
        let io = Layer("io error", Some(Box::new(connect)));
        let top = Layer("dispatch failure", Some(Box::new(io)));
        assert_eq!(cause_chain(&top), "io error: tcp connect error: Connection refused (os error 111)");
    }
}
