//! A manifest checked end to end: parsed, validated, and its desired state checked across every
//! environment. Every command starts here, so `validate` and `up` can never disagree.

use crate::desired::checks;
use crate::manifest::{self, Manifest, ManifestError, Problem, SourceMap};
use std::path::Path;

/// A manifest without errors, with its warnings and the files they point into.
#[derive(Debug)]
pub struct CheckedManifest {
    pub sources: SourceMap,
    pub manifest: Manifest,
    pub warnings: Vec<Problem>,
}

/// Loads the manifest in `directory` and runs every check; all problems come back together.
pub fn load(directory: &Path) -> Result<CheckedManifest, ManifestError> {
    finish(manifest::load(directory)?)
}

/// [`load`] for a manifest held in memory.
pub fn load_from_texts(services: &str, environments: &[(&str, &str)]) -> Result<CheckedManifest, ManifestError> {
    finish(manifest::load_from_texts(services, environments))
}

/// Runs the checks across environments on a loaded manifest.
pub fn finish(loaded: manifest::Loaded) -> Result<CheckedManifest, ManifestError> {
    let manifest::Loaded { sources, manifest, problems } = loaded;
    if let Some(manifest) = &manifest {
        checks::check(manifest, &problems);
    }
    let has_errors = problems.has_errors();
    let problems = problems.into_vec();
    match manifest {
        Some(manifest) if !has_errors => Ok(CheckedManifest { sources, manifest, warnings: problems }),
        _ => Err(ManifestError::Invalid { sources, problems }),
    }
}
