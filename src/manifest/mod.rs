//! The manifest: `services.toml` and `environments/<env>.toml`, parsed, merged and checked.
//!
//! Pure: no AWS SDK and no async runtime. Every problem carries a file position; see
//! `docs/manifest.md` for the schema.

pub mod aws_names;
mod environment_settings;
pub mod fargate;
mod load;
pub mod model;
pub mod node;
pub mod path_rewrite;
pub mod problem;
mod project_settings;
pub mod reader;
pub mod secret_settings;
mod service_settings;
pub mod source;
pub mod units;
mod validate;

pub use environment_settings::SEVERITIES;
pub use load::{FILE_SIZE_LIMIT, Loaded, load, load_from_bytes, load_from_texts};
pub use model::*;
pub use problem::{Problem, Problems, Severity};
pub use project_settings::DEFAULT_SSL_POLICY;
pub use source::{FileId, LineColumn, Located, SourceMap, Span};
pub use validate::{ENVIRONMENT_VALUE_LIMIT, LOG_RETENTION_DAYS, VARIABLES_HELP, project_name_is_valid};

use std::path::PathBuf;

/// Why a manifest could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The directory has no `services.toml` (or an environment file vanished while reading).
    #[error("no manifest at {}", path.display())]
    NotFound { path: PathBuf },
    /// A manifest file exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    /// The manifest was read and has problems; each has a position in `sources`.
    #[error("the manifest has {} problem(s)", problems.len())]
    Invalid { sources: SourceMap, problems: Vec<Problem> },
}
