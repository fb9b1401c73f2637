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
    let mut profile: HardwareProfile = crate::document::from_json("hardware profile", json)
        .map_err(|shape| {
            // A newer document may hold fields this build does not know: say it is newer
            // rather than name the first unknown field.
            let version = serde_json::from_str::<serde_json::Value>(json)
                .ok()
                .and_then(|v| v.get("schema_version")?.as_u64());
            match version {
                Some(v) if v > u64::from(PROFILE_SCHEMA_VERSION) => Error::schema_version(
                    "schema_version",
                    u32::try_from(v).unwrap_or(u32::MAX),
                    PROFILE_SCHEMA_VERSION,
                ),
                _ => shape,
            }
        })?;
    profile.check_sizes()?;
    profile.complete();
    profile.validate()?;
    Ok(profile)
}

/// Reads a profile as its derived `Deserialize` does, then completes it: the `profile` of a
/// [`crate::plan::PlanRequest`] is complete however the request was decoded. Its numbers are
/// checked by [`crate::plan::plan`], whose errors carry the field's path and code.
/// [`deserialize_complete`] of an optional profile (a plan request's, which a cluster replaces).
pub(crate) fn deserialize_complete_opt<'de, D>(
    deserializer: D,
) -> Result<Option<HardwareProfile>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    deserialize_complete(deserializer).map(Some)
}

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
