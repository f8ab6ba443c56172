//! The manifest: `services.toml` and `environments/<env>.toml`, parsed, merged and checked.
//!
//! Pure: no AWS SDK and no async runtime. Every problem carries a file position; see
//! `docs/manifest.md` for the schema.

pub mod aws_names;
pub mod fargate;
mod load;
pub mod model;
pub mod node;
pub mod problem;
pub mod reader;
mod service_settings;
pub mod source;
pub mod units;
mod validate;

pub use load::{load, load_from_texts, Loaded, DEFAULT_SSL_POLICY};
pub use model::*;
pub use problem::{Problem, Problems, Severity};
pub use source::{FileId, LineColumn, Located, SourceMap, Span};
pub use validate::{project_name_is_valid, LOG_RETENTION_DAYS};

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
