//! The built-in catalogue of popular models.

use alloc::vec::Vec;

use super::ModelSpec;
use crate::error::Result;

/// One catalogue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// Lookup key, lowercase, e.g. `llama-3-8b`.
    pub id: &'static str,
    /// Hugging Face repository, e.g. `meta-llama/Meta-Llama-3-8B`.
    pub repo: &'static str,
    /// The `config.json` text.
    pub config: &'static str,
}

/// Every entry of the catalogue.
pub fn catalogue() -> &'static [CatalogueEntry] {
    &[]
}

/// The model named `name` (case-insensitive id or repository).
///
/// # Errors
/// `UnknownModel` with the closest names.
pub fn find(name: &str) -> Result<ModelSpec> {
    Err(crate::error::Error::new(
        crate::error::ErrorKind::UnknownModel {
            name: name.into(),
            suggestions: alloc::string::String::new(),
        },
    ))
}

/// Entries whose id or repository contains every word of `query`.
pub fn search(query: &str) -> Vec<&'static CatalogueEntry> {
    let _ = query;
    Vec::new()
}
