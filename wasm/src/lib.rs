//! WebAssembly bindings of trainfit-core, the npm package's module: each export decodes its
//! input, calls the core and encodes the result; errors become JavaScript `Error`s with the
//! core's message, a stable `code` and the `field` path.
//!
//! Objects cross the boundary in the same JSON shape as the command line's output (snake_case
//! keys, maps as plain objects), through JSON text (the `boundary` module says why), and every
//! document argument may also be given as its JSON text. The TypeScript declarations come from the core
//! types' tsify derives (the core's `ts` feature). The one part of its own is reading WebGPU and
//! `navigator` (the `browser` module); the profile made of them is the core's.
//!
//! The `export` feature (on by default) adds `exportPlan` and `exportFormats` (the `export`
//! module). The web page's module is built without it; `wasm/export` builds the same source
//! into the small module the page loads when a "Run it" panel opens.

#![deny(missing_docs)]

// `name` reads only the exporter's arguments: unused in a module built without it.
#[cfg_attr(not(feature = "export"), allow(dead_code))]
mod boundary;
mod browser;
#[cfg(feature = "export")]
mod export;

use boundary::{decode, encode, error, json_text};
use trainfit_core::document::{self, Versions};
use trainfit_core::hardware::{self, AcceleratorSpec, BrowserHardware, HardwareProfile};
use trainfit_core::model::{self, CatalogueModel, ModelSpec};
use trainfit_core::plan::{self, Plan, PlanRequest};
use trainfit_core::{Error, Estimate, EstimateRequest};
use tsify::Ts;
use wasm_bindgen::prelude::*;

/// Estimates the peak memory of one device for a request (`schema/estimate-request.schema.json`,
/// or its JSON text), as `trainfit estimate --input FILE --json` does.
///
/// # Errors
/// An `Error` whose `code` is the core's error kind and whose `field` names the offending field.
#[wasm_bindgen]
pub fn estimate(
    #[wasm_bindgen(unchecked_param_type = "EstimateRequest | string")] request: Ts<EstimateRequest>,
) -> Result<Ts<Estimate>, JsValue> {
    let request: EstimateRequest = decode("request", &request.js_value())?;
    let estimate = trainfit_core::estimate(&request).map_err(error)?;
    encode("estimate", &estimate)
}

/// Plans the three configurations (or those of `modes`) for a plan request
/// (`schema/plan-request.schema.json`: a hardware profile and a goal, or its JSON text), as
/// `trainfit plan --input FILE --json` does.
///
/// # Errors
/// As [`estimate`].
#[wasm_bindgen]
pub fn plan(
    #[wasm_bindgen(unchecked_param_type = "PlanRequest | string")] request: Ts<PlanRequest>,
) -> Result<Ts<Plan>, JsValue> {
    let request: PlanRequest = decode("plan request", &request.js_value())?;
    let plan = plan::plan(&request).map_err(error)?;
    encode("plan", &plan)
}

/// Reads a hardware profile (what `trainfit probe --json` prints, as text or as an object),
/// completed: catalogue figures for each accelerator and the flat device summary. Newer schema
/// versions and numbers out of range are refused.
///
/// # Errors
/// As [`estimate`].
#[wasm_bindgen(js_name = parseProfile)]
pub fn parse_profile(
    #[wasm_bindgen(unchecked_param_type = "HardwareProfile | string")] profile: Ts<HardwareProfile>,
) -> Result<Ts<HardwareProfile>, JsValue> {
    let text = json_text("hardware profile", &profile.js_value())?;
    let profile = hardware::parse_profile(&text).map_err(error)?;
    encode("hardware profile", &profile)
}

/// The model spec of a Hugging Face `config.json` (its text, or the parsed object).
///
/// # Errors
/// As [`estimate`]: `unsupported_model_type`, `missing_field`, `invalid_field` or
/// `invalid_json`.
#[wasm_bindgen(js_name = modelFromHfConfig)]
pub fn model_from_hf_config(
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown> | string")] config: JsValue,
) -> Result<Ts<ModelSpec>, JsValue> {
    let text = json_text("config.json", &config)?;
    let spec = model::from_hf_config(&text).map_err(error)?;
    encode("model spec", &spec)
}

/// The catalogue models whose id or repository contains every word of `query` (all of them
/// without one), as `trainfit models --json` lists them (`schema/catalogue.schema.json`).
///
/// # Errors
/// `invalid_field` when `query` is neither a string nor absent.
#[wasm_bindgen]
pub fn models(
    #[wasm_bindgen(unchecked_optional_param_type = "string")] query: JsValue,
) -> Result<Vec<Ts<CatalogueModel>>, JsValue> {
    let listing = model::list(&query_words(&query)?).map_err(error)?;
    listing.iter().map(|m| encode("catalogue", m)).collect()
}

/// The accelerator catalogue's entries (published figures and their sources) whose name,
/// vendor or architecture contains every word of `query`; all of them without one.
///
/// # Errors
/// As [`models`].
#[wasm_bindgen]
pub fn accelerators(
    #[wasm_bindgen(unchecked_optional_param_type = "string")] query: JsValue,
) -> Result<Vec<Ts<AcceleratorSpec>>, JsValue> {
    let found = hardware::search(&query_words(&query)?);
    found
        .into_iter()
        .map(|spec| encode("accelerator catalogue", spec))
        .collect()
}

/// The versions of trainfit and of each document it reads and writes.
///
/// # Errors
/// None; the signature matches the other exports.
#[wasm_bindgen]
pub fn version() -> Result<Ts<Versions>, JsValue> {
    encode("versions", &document::versions())
}

/// What this browser tells about its machine: the WebGPU adapter and `navigator`'s hints as a
/// hardware profile (every figure `estimated`), the catalogue accelerators of the adapter's
/// vendor and architecture, best match first, and the adapter as read. A software adapter
/// (SwiftShader, llvmpipe, WARP) is a `cpu`-kind device; no WebGPU is a profile without
/// accelerators whose `errors` say why. Works in a Window and in a Worker.
///
/// # Errors
/// None from the browser's side (what cannot be read is left out).
#[wasm_bindgen(js_name = detectBrowserHardware)]
pub async fn detect_browser_hardware() -> Result<Ts<BrowserHardware>, JsValue> {
    let facts = browser::facts().await;
    encode("browser hardware", &hardware::from_browser(facts))
}

/// A search query: a string, or nothing for all entries.
fn query_words(query: &JsValue) -> Result<String, JsValue> {
    if query.is_undefined() || query.is_null() {
        return Ok(String::new());
    }
    if query.is_string() {
        return boundary::text("query", query);
    }
    let kind = query.js_typeof().as_string().unwrap_or_default();
    Err(error(Error::InvalidField {
        field: "query".into(),
        value: format!("of type {kind}"),
        expected: "a string of words to search for".into(),
    }))
}

/// What every export throws, declared for TypeScript: wasm-bindgen types a thrown value as
/// nothing, so the package says what its `Error`s carry.
#[wasm_bindgen(typescript_custom_section)]
const ERROR_TYPES: &str = r#"
/** The stable code of every error an export throws (the core's error kinds). */
export type ErrorCode = "invalid_field" | "missing_field" | "unsupported_model_type" | "unknown_model" | "invalid_json" | "schema_version" | "overflow" | "no_device" | "unsupported";

/** What every export throws: an `Error` whose `message` names the field, the value and what was
 * expected, with a `code` to branch on and, when it is about one, the `field`'s path
 * (`goal.model.hf_config.hidden_size`). */
export interface TrainfitError extends Error {
    code: ErrorCode;
    field?: string;
}
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn the_declared_error_codes_are_the_cores() {
        // The declarations as npm/build.sh generated and checked them.
        let union = include_str!("../../npm/types/trainfit.d.ts")
            .split("export type ErrorCode = ")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .expect("ErrorCode is declared");
        let declared: Vec<&str> = union.split(" | ").map(|c| c.trim_matches('"')).collect();
        assert_eq!(declared, trainfit_core::Error::CODES);
    }
}
