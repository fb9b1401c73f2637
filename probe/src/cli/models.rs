//! `trainfit models`: the catalogue, or the entries matching a query.

use serde_json::json;
use trainfit_core::model;

use super::render::{self, model::Row};

/// Arguments of `trainfit models`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Words to match in the id or repository.
    query: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The entries matching every word of the query (all of them for none), as a table or as a
/// JSON array of `{"id", "repo", "parameters"}` with `--json`.
pub fn run(args: &Args) -> anyhow::Result<String> {
    let rows: Vec<Row> = model::search(&args.query.join(" "))
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
    if args.json {
        let doc: Vec<_> = rows
            .iter()
            .map(|r| json!({"id": r.id, "repo": r.repo, "parameters": r.parameters}))
            .collect();
        Ok(render::json(&doc)?)
    } else {
        Ok(render::model::catalogue(&rows))
    }
}
