//! WebAssembly bindings of trainfit-core: each export decodes its input, calls the core and
//! encodes the result; errors become JavaScript `Error`s with the core's message.
//!
//! The npm package and the web page are built on these exports (later work); the TypeScript
//! types come from the committed JSON Schemas of the same core types.

use serde::Serialize;
use wasm_bindgen::prelude::*;

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    // Maps as plain objects so the output equals the CLI's JSON.
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&ser)
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Estimates peak memory per device for a request object (the format of `trainfit estimate`).
#[wasm_bindgen]
pub fn estimate(request: JsValue) -> Result<JsValue, JsError> {
    let request: trainfit_core::EstimateRequest = serde_wasm_bindgen::from_value(request)?;
    let estimate = trainfit_core::estimate(&request).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&estimate)
}

/// Reads a Hugging Face `config.json` text into a model spec.
#[wasm_bindgen(js_name = modelFromHfConfig)]
pub fn model_from_hf_config(text: &str) -> Result<JsValue, JsError> {
    let spec =
        trainfit_core::model::from_hf_config(text).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&spec)
}

/// Catalogue entries whose id or repository contains every word of `query`: `[{id, repo}]`.
#[wasm_bindgen(js_name = searchModels)]
pub fn search_models(query: &str) -> Result<JsValue, JsError> {
    let found: Vec<(&str, &str)> = trainfit_core::model::search(query)
        .iter()
        .map(|e| (e.id, e.repo))
        .collect();
    to_js(&found)
}
