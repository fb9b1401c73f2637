//! WebAssembly bindings of trainfit-core: each export decodes its input, calls the core and
//! encodes the result; errors become JavaScript `Error`s with the core's message.
//!
//! Objects cross the boundary in the same JSON shape as the command line's output (snake_case
//! keys, maps as plain objects). The npm package and the web page are built on these exports
//! (later work); the TypeScript types come from the committed JSON Schemas of the same core types.
//! This crate holds no logic of its own.

#![deny(missing_docs)]

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// A JavaScript value as a core type; the error names the path of the offending field.
///
/// It goes through a JSON value because serde-wasm-bindgen reads only the properties a struct
/// names, which would let unknown fields (a misspelt `sequnce`) pass silently; a JSON value keeps
/// every property for the core's `deny_unknown_fields`.
fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, JsError> {
    let json: serde_json::Value = serde_wasm_bindgen::from_value(value)?;
    serde_path_to_error::deserialize(json).map_err(|e| JsError::new(&e.to_string()))
}

/// A core value as a plain JavaScript object, equal to the command line's JSON.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&ser)
        .map_err(|e| JsError::new(&e.to_string()))
}

/// Estimates the peak memory of one device for a request object (the format of
/// `trainfit estimate`, `schema/estimate-request.schema.json`); returns the estimate object
/// (`schema/estimate.schema.json`).
///
/// # Errors
/// A JavaScript `Error` naming the field when the request does not decode or the core rejects it.
#[wasm_bindgen]
pub fn estimate(request: JsValue) -> Result<JsValue, JsError> {
    let request: trainfit_core::EstimateRequest = from_js(request)?;
    let estimate = trainfit_core::estimate(&request).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&estimate)
}

/// Reads the text of a Hugging Face `config.json` into a model spec
/// (`schema/model-spec.schema.json`).
///
/// # Errors
/// A JavaScript `Error` when the text is not JSON, the `model_type` is not supported or a field
/// is missing or out of range.
#[wasm_bindgen(js_name = modelFromHfConfig)]
pub fn model_from_hf_config(text: &str) -> Result<JsValue, JsError> {
    let spec =
        trainfit_core::model::from_hf_config(text).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&spec)
}

/// The catalogue entries whose id or repository contains every word of `query` (all of them for
/// an empty query), as `trainfit models --json` lists them (`schema/catalogue.schema.json`).
///
/// # Errors
/// None for the built-in catalogue; the signature matches the other exports.
#[wasm_bindgen]
pub fn models(query: &str) -> Result<JsValue, JsError> {
    let listing = trainfit_core::model::list(query).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&listing)
}

/// Plans the three configurations (or those of `modes`) for a plan request object
/// (`schema/plan-request.schema.json`: a hardware profile and a goal); returns the plan object
/// (`schema/plan.schema.json`), the same as `trainfit plan --input FILE --json`.
///
/// # Errors
/// A JavaScript `Error` naming the field when the request does not decode or the core rejects it.
#[wasm_bindgen]
pub fn plan(request: JsValue) -> Result<JsValue, JsError> {
    let request: trainfit_core::plan::PlanRequest = from_js(request)?;
    let plan = trainfit_core::plan::plan(&request).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&plan)
}

/// Reads a hardware profile (the JSON `trainfit probe --json` prints, as text), completed:
/// catalogue figures for each accelerator and the flat device summary. Newer schema versions and
/// numbers out of range are refused.
///
/// # Errors
/// A JavaScript `Error` naming the field when the text is not a valid profile.
#[wasm_bindgen(js_name = parseProfile)]
pub fn parse_profile(text: &str) -> Result<JsValue, JsError> {
    let profile =
        trainfit_core::hardware::parse_profile(text).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&profile)
}
