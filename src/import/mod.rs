//! `ecsdeploy import`: moving a running service (made in the console, by ecspresso or
//! Terraform) under ecsdeploy. Reads it ([`source`]), writes the manifest entry that reproduces
//! it ([`entry`], [`toml_text`]), and adopts its resources by tagging them, so that the next
//! plan is empty.

pub mod adopt;
pub mod adoption;
pub mod entry;
pub mod source;
pub mod toml_text;

pub use entry::{ImportRefusal, ImportedEntry, imported_entry};
pub use source::{AdoptedKind, Adoption, ImportRequest, ImportSource};
