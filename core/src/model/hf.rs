//! Import of a Hugging Face `config.json`.

use super::ModelSpec;
use crate::error::{Error, Result};

/// Reads a model description from the text of a Hugging Face `config.json`.
///
/// # Errors
/// `Json` for text that is not JSON, `UnsupportedModelType` for an unknown `model_type`,
/// `MissingField` or `InvalidField` naming the field.
pub fn from_hf_config(text: &str) -> Result<ModelSpec> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Error::json("config.json", e))?;
    from_hf_value(&value)
}

/// As [`from_hf_config`], from an already parsed JSON value.
///
/// # Errors
/// As [`from_hf_config`].
pub fn from_hf_value(value: &serde_json::Value) -> Result<ModelSpec> {
    let _ = value;
    Err(Error::missing("model_type", "config.json"))
}
