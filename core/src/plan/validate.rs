//! Checks of a plan request beyond its types: versions, zero counts, the budget's range and the
//! batch's divisibility.

use alloc::format;

use super::{PlanRequest, PLAN_SCHEMA_VERSION};
use crate::error::{Error, Result};

/// The request's own consistency, before anything is planned.
pub(super) fn validate(r: &PlanRequest) -> Result<()> {
    Error::check_version("schema_version", r.schema_version, PLAN_SCHEMA_VERSION)?;
    if r.modes.is_empty() {
        return Err(Error::invalid(
            "modes",
            "[]",
            "one or more of conservative, balanced, extreme",
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
    if let Some(h) = g.hours {
        if !(h.is_finite() && h > 0.0 && h <= 24.0 * 365.0) {
            return Err(Error::invalid(
                "goal.hours",
                h,
                "a number of hours above 0 and at most a year",
            ));
        }
    }
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
