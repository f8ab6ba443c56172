//! `ecsdeploy import`: moving a running service (made in the console, by ecspresso or
//! Terraform) under ecsdeploy. Reads it ([`source`]), writes the manifest entry that reproduces
//! it ([`entry`], [`toml_text`]), and adopts its resources by tagging them, so that the next
//! plan is empty.

pub mod adopt;
pub mod adoption;
pub mod entry;
pub mod source;
pub mod toml_text;

/// What `import` needs from AWS: the running service and its resources, and tagging them.
#[allow(async_fn_in_trait)]
pub trait ImportAccess {
    /// The running service `request` names and what belongs to it, whoever made it (`None`
    /// when the cluster has no such active service). Reads only.
    async fn read_import_source(
        &self,
        request: &ImportRequest,
    ) -> Result<Option<ImportSource>, crate::cloud::CloudError>;
    /// Adds the adoption's tags to its resource (none are removed).
    async fn adopt(&self, adoption: &Adoption) -> Result<(), crate::cloud::CloudError>;
    /// Takes back an adoption: removes the tag `keys` it added.
    async fn unadopt(&self, adoption: &Adoption, keys: &[String]) -> Result<(), crate::cloud::CloudError>;
}

pub use entry::{ImportRefusal, ImportedEntry, imported_entry};
pub use source::{AdoptedKind, Adoption, ImportRequest, ImportSource};
