//! The error document: what every command prints on stdout with `--output json` when it stops
//! on an error, so that a script always gets one document.

use serde::Serialize;

/// Version of the JSON shape of the error document. 2: `kind` gained `confirmation`, `refused`,
/// `io`, `git`, `lock-lost`, `build`, `system` and `internal` besides `usage`.
pub const ERROR_SCHEMA_VERSION: u32 = 2;

/// `{"schema_version": 2, "ok": false, "error": {kind, message, hints, operation, resource}}`.
#[derive(Debug, Serialize)]
pub struct ErrorDocument<'a> {
    pub schema_version: u32,
    pub ok: bool,
    pub error: ErrorBody<'a>,
}

/// What stopped the command.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// `manifest`, `aws`, `plan`, `usage`, `confirmation`, `refused`, `io`, `git`, `lock-lost`,
    /// `build`, `system` or `internal`.
    pub kind: &'a str,
    pub message: &'a str,
    pub hints: &'a [String],
    /// For `aws`: the failed operation, as its IAM permission.
    pub operation: Option<&'a str>,
    /// For `aws`: what the call was about.
    pub resource: Option<&'a str>,
}

impl<'a> ErrorDocument<'a> {
    pub fn new(
        kind: &'a str,
        message: &'a str,
        hints: &'a [String],
        cloud: Option<&'a crate::cloud::CloudError>,
    ) -> Self {
        ErrorDocument {
            schema_version: ERROR_SCHEMA_VERSION,
            ok: false,
            error: ErrorBody {
                kind,
                message,
                hints,
                operation: cloud.map(|cloud| cloud.operation.as_str()),
                resource: cloud.map(|cloud| cloud.resource.as_str()),
            },
        }
    }
}
