//! Checks of a plan request beyond its types: versions, zero counts, the budget's range and the
//! batch's divisibility.

use alloc::format;

use super::{PlanRequest, PLAN_SCHEMA_VERSION};
use crate::error::{at_most, Error, Result};
use crate::memory::{MAX_DEVICES, MAX_SEQUENCES};

/// Longest sequence a goal may ask for, tokens: 2^24, beyond the longest context any released
/// model reads (Llama 4 Scout: 10M tokens, Meta AI, "The Llama 4 herd", April 2025).
pub const MAX_SEQUENCE: u64 = 1 << 24;

/// Most training tokens a goal may ask for: 2^53, the largest integer a JavaScript number holds
/// exactly, and about 580 times Llama 3's 15.6T tokens.
pub const MAX_TOKENS: u64 = 1 << 53;

/// Largest dataset a goal may name, bytes: 2^53, as `MAX_TOKENS` (about 9 PB, 200 times
/// FineWeb's 44 TB).
pub const MAX_DATASET_BYTES: u64 = 1 << 53;

/// Highest power supply rating a goal may give, W: a planner bound far above any one machine's
/// supply (a DGX H100 has six 3.3 kW supplies, NVIDIA DGX H100 User Guide).
pub const MAX_PSU_W: f64 = 100_000.0;

/// The request's own consistency, before anything is planned.
pub(super) fn validate(r: &PlanRequest) -> Result<()> {
    Error::check_version("schema_version", r.schema_version, PLAN_SCHEMA_VERSION)?;
    match (&r.cluster, &r.profile) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "cluster",
                "a cluster and a profile",
                "one of them: a cluster lists its machines' profiles itself",
            ))
        }
        (Some(c), None) => c.validate().map_err(|e| e.within("cluster"))?,
        (None, Some(p)) => p.validate().map_err(|e| e.within("profile"))?,
        (None, None) => {
            return Err(Error::missing(
                "profile",
                "a plan request (or `cluster`, for several machines)",
            ))
        }
    }
    let repeated = r
        .modes
        .iter()
        .enumerate()
        .any(|(i, m)| r.modes[..i].contains(m));
    if r.modes.is_empty() || repeated {
        return Err(Error::invalid(
            "modes",
            format!("a list of {} modes", r.modes.len()),
            "one or more of conservative, balanced, extreme, each at most once",
        ));
    }
    let g = &r.goal;
    for (field, v) in [
        ("goal.sequence", g.sequence),
        ("goal.micro_batch", g.micro_batch),
        ("goal.global_batch", g.global_batch),
        ("goal.devices", g.devices),
        ("goal.lora_rank", g.lora_rank),
        ("goal.tokens", g.tokens),
        ("goal.concurrency", g.concurrency),
    ] {
        if v == Some(0) {
            return Err(Error::invalid(field, 0, "a positive integer"));
        }
    }
    for (field, v, max, what) in [
        ("goal.sequence", g.sequence, MAX_SEQUENCE, "tokens"),
        (
            "goal.micro_batch",
            g.micro_batch,
            MAX_SEQUENCES,
            "sequences",
        ),
        (
            "goal.global_batch",
            g.global_batch,
            MAX_SEQUENCES,
            "sequences",
        ),
        (
            "goal.concurrency",
            g.concurrency,
            MAX_SEQUENCES,
            "sequences",
        ),
        ("goal.devices", g.devices, MAX_DEVICES, "devices"),
        ("goal.tokens", g.tokens, MAX_TOKENS, "tokens"),
    ] {
        if let Some(v) = v {
            at_most(field, v, max, what)?;
        }
    }
    if let Some(h) = g.hours {
        if !(h.is_finite() && h > 0.0 && h <= 24.0 * 365.0) {
            return Err(Error::invalid(
                "goal.hours",
                h,
                "a number of hours above 0 and at most a year",
            ));
        }
    }
    if let Some(d) = &g.dataset {
        for (field, v) in [
            ("goal.dataset.tokens", d.tokens),
            ("goal.dataset.bytes", d.bytes),
        ] {
            if v == Some(0) {
                return Err(Error::invalid(field, 0, "a positive integer"));
            }
        }
        if let Some(t) = d.tokens {
            at_most("goal.dataset.tokens", t, MAX_TOKENS, "tokens")?;
        }
        if let Some(b) = d.bytes {
            at_most("goal.dataset.bytes", b, MAX_DATASET_BYTES, "bytes")?;
        }
    }
    if let Some(w) = g.psu_w {
        if !(w.is_finite() && w > 0.0 && w <= MAX_PSU_W) {
            return Err(Error::invalid(
                "goal.psu_w",
                w,
                "a power supply rating in watts above 0 and at most 100,000",
            ));
        }
    }
    super::phases::validate(g)?;
    if let (Some(gb), Some(mb)) = (g.global_batch, g.micro_batch) {
        if gb % mb != 0 {
            return Err(Error::invalid(
                "goal.global_batch",
                gb,
                format!("a multiple of goal.micro_batch ({mb})"),
            ));
        }
    }
    Ok(())
}
