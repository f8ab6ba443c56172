//! Adopting an imported service's resources, all or nothing.
//!
//! A resource tagged as the environment's while the manifest lacks the service would be deleted
//! by the next `up`; one left untagged while the manifest has it stops every plan. So when one
//! tag cannot be added, the tags this run added are taken off again, newest first, and the values
//! it overwrote are put back.

use super::ImportAccess;
use super::adoption::undoing;
use super::source::{Adoption, ImportSource};
use crate::cloud::CloudError;

/// Why adoption stopped, and the undoing that failed too (empty: everything was taken back).
#[derive(Debug)]
pub struct AdoptFailure<E> {
    pub cause: E,
    pub not_undone: Vec<CloudError>,
}

/// Tags each of `adoptions` in turn; `check` runs before each (is the deploy lock still held?)
/// and `adopted` is told of each success.
pub async fn adopt_all<C: ImportAccess, E: From<CloudError>>(
    cloud: &C,
    source: &ImportSource,
    adoptions: &[Adoption],
    check: impl Fn() -> Result<(), E>,
    adopted: impl Fn(&Adoption),
) -> Result<(), AdoptFailure<E>> {
    let mut done: Vec<&Adoption> = Vec::new();
    for adoption in adoptions {
        let result = match check() {
            Ok(()) => cloud.adopt(adoption).await.map_err(E::from),
            Err(error) => Err(error),
        };
        if let Err(cause) = result {
            let mut not_undone = Vec::new();
            for earlier in done.iter().rev() {
                let (added, overwritten) = undoing(source, earlier);
                if let Err(error) = cloud.unadopt(earlier, &added).await {
                    not_undone.push(error);
                }
                if !overwritten.is_empty() {
                    let restore = Adoption { tags: overwritten, ..(*earlier).clone() };
                    if let Err(error) = cloud.adopt(&restore).await {
                        not_undone.push(error);
                    }
                }
            }
            return Err(AdoptFailure { cause, not_undone });
        }
        adopted(adoption);
        done.push(adoption);
    }
    Ok(())
}
