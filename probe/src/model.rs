//! `trainfit model`: a model's architecture and parameter counts.

use std::path::PathBuf;

use serde_json::json;
use trainfit_core::model;

use crate::input::Origin;
use crate::render;

/// Where the model comes from.
pub enum Source {
    /// A Hugging Face `config.json` file (`-`: standard input).
    HfConfig(PathBuf),
    /// A catalogue name.
    Catalogue(String),
}

/// The model as a table, or as `{"schema_version", "spec", "parameters"}` with `json`.
pub fn run(source: Source, json: bool) -> anyhow::Result<String> {
    let spec = match source {
        Source::HfConfig(path) => model::from_hf_config(&Origin(&path).read()?)?,
        Source::Catalogue(name) => model::find(&name)?,
    };
    let params = spec.parameters()?;
    if json {
        let doc = json!({
            "schema_version": trainfit_core::SCHEMA_VERSION,
            "spec": spec,
            "parameters": params,
        });
        Ok(serde_json::to_string_pretty(&doc)? + "\n")
    } else {
        Ok(render::model(&spec, &params))
    }
}
