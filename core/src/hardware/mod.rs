//! The hardware profile: the document the probe (or the browser) writes and every plan reads,
//! the accelerator catalogue that fills published figures by name, the summary derived
//! from both, and the profile a web page can make from WebGPU.
//!
//! ```
//! use trainfit_core::hardware::parse_profile;
//!
//! // A profile as a user might type it: one RTX 4090 with its memory as the driver reports it.
//! // Reading it completes it: catalogue figures for the card, then the flat summary.
//! let p = parse_profile(r#"{"accelerators": [{"vendor": "nvidia",
//!     "name": "NVIDIA GeForce RTX 4090", "kind": "discrete",
//!     "memory_total_bytes": {"value": 25757220864, "source": "user"}}]}"#).unwrap();
//! let gpu = &p.accelerators[0];
//! // The Ada whitepaper's 165.2 dense bf16 TFLOP/s, and 80 % of 25.76 GB as the seed tooling recommends.
//! assert_eq!(gpu.peak_tflops.bf16.unwrap().value, 165.2);
//! assert_eq!(p.max_recommended_model_size_gb.unwrap(), 25757220864.0 * 0.8 / 1e9);
//! ```

mod browser;
mod catalogue;
mod profile;
mod summary;
mod validate;
mod vocabulary;

pub use browser::{
    from_browser, is_software_renderer, BrowserFacts, BrowserHardware, WebGpuAdapter, WebGpuLimits,
};
pub use catalogue::{accelerators, find_accelerator, search, AcceleratorSpec, SpecTflops};
pub use profile::*;
pub use summary::{
    apply_catalogue, primary_accelerators, system_memory_bytes, usable_memory_bytes,
    RECOMMENDED_MODEL_SHARE,
};
pub use validate::*;
pub use vocabulary::*;

use crate::error::{Error, Result};

/// Reads a profile from JSON, refusing documents of a newer schema version, completes it
/// ([`HardwareProfile::complete`]) and checks its numbers ([`HardwareProfile::validate`]).
///
/// # Errors
/// `Json` naming the JSON path of a field of the wrong shape, `SchemaVersion`, or
/// `InvalidField` naming the path of a number out of range.
pub fn parse_profile(json: &str) -> Result<HardwareProfile> {
    crate::document::check_length("hardware profile", json.len())?;
    // One pass reads the version and checks the text is JSON (what is not is reported as such,
    // before any field is looked at); a newer version is refused before its fields, which this
    // build may not know, are read.
    match serde_json::from_str::<Peek>(json) {
        Ok(Peek {
            schema_version: Some(v),
        }) if v > u64::from(PROFILE_SCHEMA_VERSION) => {
            return Err(Error::schema_version(
                "schema_version",
                u32::try_from(v).unwrap_or(u32::MAX),
                PROFILE_SCHEMA_VERSION,
            ));
        }
        Err(e) if e.is_syntax() || e.is_eof() => return Err(Error::json("hardware profile", e)),
        // Anything else (not an object) is for the full read to refuse, with its path.
        _ => {}
    }
    // No line and column: the path names the field, whatever the layout of the text.
    let mut profile: HardwareProfile =
        crate::document::from_generated_json("hardware profile", json)?;
    profile.check_sizes()?;
    profile.complete();
    profile.validate()?;
    Ok(profile)
}

/// The version of a profile, read before the rest; any other field is skipped unread.
#[derive(serde::Deserialize)]
struct Peek {
    #[serde(default, deserialize_with = "version_number")]
    schema_version: Option<u64>,
}

/// A version that is a whole number; anything else is left to the full read to refuse.
fn version_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let value = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
    Ok(value.as_u64())
}

/// Reads a profile as its derived `Deserialize` does, then completes it: the `profile` of a
/// [`crate::plan::PlanRequest`] is complete however the request was decoded. Its numbers are
/// checked by [`crate::plan::plan`], whose errors carry the field's path and code.
pub(crate) fn deserialize_complete<'de, D>(deserializer: D) -> Result<HardwareProfile, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let mut profile = <HardwareProfile as serde::Deserialize>::deserialize(deserializer)?;
    // An oversized profile is left as read: `plan` refuses it by its list's name before it
    // looks at anything else.
    if profile.check_sizes().is_ok() {
        profile.complete();
    }
    Ok(profile)
}
