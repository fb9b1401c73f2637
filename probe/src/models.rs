//! `trainfit models`: the catalogue, or the entries matching a query.

use serde_json::json;
use trainfit_core::model;

use crate::render;

/// One listed entry.
pub struct Row {
    /// Catalogue id.
    pub id: &'static str,
    /// Hugging Face repository.
    pub repo: &'static str,
    /// Total parameters; `None` if the entry's config does not import.
    pub parameters: Option<u64>,
}

/// The entries matching every word of `query` (all of them for an empty query), as a table or as
/// a JSON array of `{"id", "repo", "parameters"}` with `json`.
pub fn run(query: &str, json: bool) -> anyhow::Result<String> {
    let rows: Vec<Row> = model::search(query)
        .iter()
        .map(|e| Row {
            id: e.id,
            repo: e.repo,
            parameters: model::from_hf_config(e.config)
                .and_then(|s| s.parameters())
                .map(|p| p.total)
                .ok(),
        })
        .collect();
    if json {
        let doc: Vec<_> = rows
            .iter()
            .map(|r| json!({"id": r.id, "repo": r.repo, "parameters": r.parameters}))
            .collect();
        Ok(serde_json::to_string_pretty(&doc)? + "\n")
    } else {
        Ok(render::models(&rows))
    }
}
