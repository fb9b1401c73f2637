//! `trainfit model`: a model's architecture and parameter counts.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::json;
use trainfit_core::model;

use super::input::Origin;
use super::render;

/// Arguments of `trainfit model`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A Hugging Face `config.json` file, or `-` for standard input.
    #[arg(long, conflicts_with = "name", required_unless_present = "name")]
    hf_config: Option<PathBuf>,
    /// A model from the built-in catalogue (see `trainfit models`).
    #[arg(long)]
    name: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The model as a table, or as `{"schema_version", "spec", "parameters"}` with `--json`.
pub fn run(args: &Args) -> anyhow::Result<String> {
    let spec = match (&args.hf_config, &args.name) {
        (Some(path), _) => {
            let origin = Origin(path);
            model::from_hf_config(&origin.read()?).with_context(|| format!("{origin}"))?
        }
        (None, Some(name)) => model::find(name)?,
        (None, None) => anyhow::bail!("give --hf-config FILE or --name NAME"),
    };
    let params = spec.parameters()?;
    if args.json {
        let doc = json!({
            "schema_version": trainfit_core::SCHEMA_VERSION,
            "spec": spec,
            "parameters": params,
        });
        Ok(render::json("model", &doc)?)
    } else {
        Ok(render::model::model(&spec, &params))
    }
}
