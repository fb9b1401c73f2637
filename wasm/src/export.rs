//! What reads a whole plan back: the exporter (a configuration as the files of an engine, and
//! the list of formats) and `adjust` (the next configuration for an observation of the running
//! job). The page needs neither until the user asks, so both live in the module it loads late.
//!
//! Part of the npm package's module (the `export` feature, on by default) and, on its own, of
//! the exporter module `wasm/export` builds from this same file: the web page loads that one
//! only when a "Run it" panel opens.

use crate::boundary::{decode, encode, error, name};
use trainfit_core::adjust::{Decision, Observation};
use trainfit_core::export::{self as engine, ExportFile, ExportOptions, Format, FormatInfo};
use trainfit_core::plan::{Mode, Plan};
use tsify::Ts;
use wasm_bindgen::prelude::*;

/// The files of an engine `format` (`"deepspeed"`, `"slurm"`, ... as `exportFormats()` lists them) for
/// the `mode` configuration of a plan (or its JSON text), as `trainfit export --plan FILE --mode
/// MODE --format FORMAT` writes them; `options` fill in what the plan does not know (model and
/// dataset paths, master address, container image), placeholders such as `<MODEL_PATH>` where
/// absent.
///
/// # Errors
/// As [`estimate`]; `unsupported` when the format cannot express a value of the configuration,
/// with the `field` and why.
#[wasm_bindgen(js_name = exportPlan)]
pub fn export_plan(
    #[wasm_bindgen(unchecked_param_type = "Plan | string")] plan: Ts<Plan>,
    mode: Ts<Mode>,
    format: Ts<Format>,
    #[wasm_bindgen(unchecked_optional_param_type = "ExportOptions")] options: JsValue,
) -> Result<Vec<Ts<ExportFile>>, JsValue> {
    let plan: Plan = decode("plan", &plan.js_value())?;
    let mode: Mode = name("mode", &mode.js_value())?;
    let format: Format = name("format", &format.js_value())?;
    let options: ExportOptions = if options.is_undefined() || options.is_null() {
        ExportOptions::default()
    } else {
        decode("options", &options)?
    };
    let files = engine::export(&plan, mode, format, &options).map_err(error)?;
    files.iter().map(|f| encode("export", f)).collect()
}

/// Every export format with its kind (`training` or `serving`) and a one-line description, as
/// `trainfit export --list-formats` prints them.
///
/// # Errors
/// None; the signature matches the other exports.
#[wasm_bindgen(js_name = exportFormats)]
pub fn export_formats() -> Result<Vec<Ts<FormatInfo>>, JsValue> {
    engine::formats()
        .iter()
        .map(|f| encode("formats", f))
        .collect()
}

/// The decision for an observation of a running job (`schema/observation.schema.json`, or its
/// JSON text) on the `mode` configuration of a plan (or its JSON text), as `trainfit adjust
/// --plan FILE --mode MODE --observation FILE` prints it (`schema/decision.schema.json`).
///
/// # Errors
/// As [`estimate`].
#[wasm_bindgen]
pub fn adjust(
    #[wasm_bindgen(unchecked_param_type = "Plan | string")] plan: Ts<Plan>,
    mode: Ts<Mode>,
    #[wasm_bindgen(unchecked_param_type = "Observation | string")] observation: Ts<Observation>,
) -> Result<Ts<Decision>, JsValue> {
    let plan: Plan = decode("plan", &plan.js_value())?;
    let mode: Mode = name("mode", &mode.js_value())?;
    let observation: Observation = decode("observation", &observation.js_value())?;
    let decision = trainfit_core::adjust::adjust(&plan, mode, &observation).map_err(error)?;
    encode("decision", &decision)
}
