//! The hardware profile: the document the probe (or the browser) writes and every plan reads,
//! the accelerator catalogue that fills published figures by name, and the summary derived
//! from both.
//!
//! ```
//! use trainfit_core::hardware::{parse_profile, summarize};
//!
//! // A profile as a user might type it: one RTX 4090 with its memory as the driver reports it.
//! let mut p = parse_profile(r#"{"accelerators": [{"vendor": "nvidia",
//!     "name": "NVIDIA GeForce RTX 4090", "kind": "discrete",
//!     "memory_total_bytes": {"value": 25757220864, "source": "user"}}]}"#).unwrap();
//! summarize(&mut p);
//! let gpu = &p.accelerators[0];
//! // The Ada whitepaper's 165.2 dense bf16 TFLOP/s, and 80 % of 25.76 GB as the seed tooling recommends.
//! assert_eq!(gpu.peak_tflops.bf16.unwrap().value, 165.2);
//! assert_eq!(p.max_recommended_model_size_gb.unwrap(), 25757220864.0 * 0.8 / 1e9);
//! ```

mod catalogue;
mod profile;
mod summary;

pub use catalogue::{accelerators, find_accelerator, AcceleratorSpec, SpecTflops};
pub use profile::*;
pub use summary::{
    apply_catalogue, primary_accelerators, summarize, system_memory_bytes, usable_memory_bytes,
    RECOMMENDED_MODEL_SHARE,
};

use crate::error::{Error, Result};

/// Reads a profile from JSON, refusing documents of a newer schema version.
///
/// Errors name the JSON path of the offending field.
pub fn parse_profile(json: &str) -> Result<HardwareProfile> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| Error::json("hardware profile", e))?;
    if let Some(v) = value.get("schema_version").and_then(|v| v.as_u64()) {
        if v > u64::from(PROFILE_SCHEMA_VERSION) {
            return Err(Error::schema_version(
                "schema_version",
                u32::try_from(v).unwrap_or(u32::MAX),
                PROFILE_SCHEMA_VERSION,
            ));
        }
    }
    let profile: HardwareProfile = crate::document::from_value("hardware profile", value)?;
    Error::check_version(
        "schema_version",
        profile.schema_version,
        PROFILE_SCHEMA_VERSION,
    )?;
    Ok(profile)
}
