//! `trainfit estimate`: the peak memory of one device for a request file.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::Value;
use trainfit_core::EstimateRequest;

use super::input::{self, Origin};
use super::render;

/// Arguments of `trainfit estimate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The request file, JSON or YAML (`.yaml`, `.yml`), or `-` for standard input.
    #[arg(long)]
    input: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The estimate for the request at `input` (`-`: standard input), pretty JSON with `json`, else a
/// table.
pub fn run(args: &Args) -> anyhow::Result<String> {
    let origin = Origin(&args.input);
    let request = request(&origin.read()?, &origin)?;
    let estimate = trainfit_core::estimate(&request)?;
    if args.json {
        Ok(render::json("estimate", &estimate)?)
    } else {
        Ok(render::estimate::estimate(&estimate))
    }
}

/// Parses a request, JSON or YAML. Errors name the path of the offending value and, when it was
/// read straight from JSON text, its line and column.
///
/// Besides the core's format, the command line accepts `"model": {"hf_config_file": "config.json"}`,
/// a path relative to the request file, and inlines that file as `hf_config` (the core does no I/O).
fn request(text: &str, origin: &Origin) -> anyhow::Result<EstimateRequest> {
    let what = format!("request {origin}");
    let mut value: Value = input::document(&what, origin, text)?;
    let inlined = inline_config_file(&mut value, origin)?;
    if origin.is_yaml() {
        return input::from_yaml_value(&what, text, value);
    }
    if inlined {
        return input::from_value(&what, value);
    }
    input::parse(&what, text)
}

/// Replaces `model.hf_config_file` by the file's JSON as `model.hf_config`; whether it did.
fn inline_config_file(request: &mut Value, origin: &Origin) -> anyhow::Result<bool> {
    let Some(model) = request.get_mut("model").and_then(Value::as_object_mut) else {
        return Ok(false);
    };
    let Some(file) = model.remove("hf_config_file") else {
        return Ok(false);
    };
    let Some(file) = file.as_str() else {
        anyhow::bail!("field `model.hf_config_file` is {file}, expected a path string");
    };
    let path = origin.resolve(file);
    let text = Origin(&path)
        .read()
        .context("field `model.hf_config_file`")?;
    let config: Value = input::parse(&format!("config {}", path.display()), &text)?;
    model.insert("hf_config".into(), config);
    Ok(true)
}
