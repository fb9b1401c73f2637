//! `trainfit estimate`: the peak memory of one device for a request file.

use std::path::Path;

use anyhow::Context;
use serde_json::Value;
use trainfit_core::EstimateRequest;

use crate::input::Origin;
use crate::render;

/// The estimate for the request at `input` (`-`: standard input), pretty JSON with `json`, else a
/// table.
pub fn run(input: &Path, json: bool) -> anyhow::Result<String> {
    let origin = Origin(input);
    let request = request(&origin.read()?, &origin)?;
    let estimate = trainfit_core::estimate(&request)?;
    if json {
        Ok(serde_json::to_string_pretty(&estimate)? + "\n")
    } else {
        Ok(render::estimate(&estimate))
    }
}

/// Parses a request. Errors name the JSON path of the offending value and, when it was read
/// straight from the text, its line and column.
///
/// Besides the core's format, the command line accepts `"model": {"hf_config_file": "config.json"}`,
/// a path relative to the request file, and inlines that file as `hf_config` (the core does no I/O).
fn request(text: &str, origin: &Origin) -> anyhow::Result<EstimateRequest> {
    let invalid = || format!("request {origin} is not valid");
    let mut value: Value = serde_json::from_str(text).with_context(invalid)?;
    if inline_config_file(&mut value, origin)? {
        return serde_path_to_error::deserialize(value)
            .map_err(at_path)
            .with_context(invalid);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de)
        .map_err(at_path)
        .with_context(invalid)
}

/// The parser's message prefixed with the place it concerns: the value's path, or for an
/// unknown field the object holding it (the message names the field itself).
pub(crate) fn at_path(e: serde_path_to_error::Error<serde_json::Error>) -> anyhow::Error {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let place = if inner.to_string().starts_with("unknown field") {
        path.rsplit_once('.').map_or("", |(parent, _)| parent)
    } else {
        path.as_str()
    };
    if place.is_empty() || place == "." {
        anyhow::Error::new(inner)
    } else {
        anyhow::anyhow!("at `{place}`: {inner}")
    }
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
    let config: Value = serde_json::from_str(&text)
        .with_context(|| format!("config {} is not valid JSON", path.display()))?;
    model.insert("hf_config".into(), config);
    Ok(true)
}
