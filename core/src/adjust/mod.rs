//! Auto-adjustment: the next configuration of a running job, and why, from an observation.
//!
//! [`adjust`] answers one [`Observation`] (out of memory, memory pressure, throttling, a slow
//! step, a lost device, swap, battery) for one configuration of a [`Plan`] with a [`Decision`]:
//! the action, the knobs that change, the next configuration re-estimated by the core's memory
//! and time models, and a reason with its numbers. The rules and their sources are in
//! `docs/adjust.md`.
//!
//! ```
//! use trainfit_core::adjust::{adjust, Action, Observation};
//! use trainfit_core::plan::{plan, Mode, PlanRequest};
//!
//! let request: PlanRequest = serde_json::from_str(r#"{"profile": {"accelerators": [{
//!     "vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "kind": "discrete",
//!     "compute_capability": "8.9",
//!     "memory_total_bytes": {"value": 25757220864, "source": "user"}}]}}"#).unwrap();
//! let p = plan(&request).unwrap();
//! let predicted = p.configurations[1].memory.peak_bytes;
//! // The job held 10 % more than predicted when a 256 MiB allocation failed on the 24 GiB card.
//! let oom = Observation::OutOfMemory {
//!     step: Some(120),
//!     requested_bytes: Some(256 << 20),
//!     used_bytes: Some(predicted + predicted / 10),
//!     capacity_bytes: Some(25757220864),
//! };
//! let d = adjust(&p, Mode::Balanced, &oom).unwrap();
//! assert_ne!(d.action, Action::Continue);
//! if let (Some(peak), Some(budget)) = (d.peak_bytes, d.budget_bytes) {
//!     assert!(peak <= budget);
//! }
//! ```
//!
//! Decisions move forward: passing the next configuration back with the same observation takes
//! the next step of the same ladder (a smaller micro-batch, a lower cap), never an earlier one,
//! until nothing is left. It does not watch the job; `trainfit watch` does.

mod assess;
mod decision;
mod devices;
mod memory;
mod observation;
mod power;
mod speed;

use alloc::format;
use alloc::string::String;

pub use decision::{Action, Changes, Decision, TargetDevice};
pub use observation::{Observation, ThrottleCause};

use crate::error::{Error, Result};
use crate::plan::{Configuration, Mode, Plan};
use assess::Context;

/// The decision for `observation` on the plan's configuration of `mode`.
///
/// # Errors
///
/// `InvalidField` when the plan has no configuration of `mode` (a plan of unequal devices has
/// none), when the observation's numbers are out of range (a negative or non-finite time, a
/// clock share outside 0 to 1), or when the configuration's model cannot be rebuilt to re-estimate
/// it (a model given by its `config.json` that is not in the catalogue); the memory model's
/// errors for a changed configuration.
///
/// # Example
///
/// See the [module documentation](self).
pub fn adjust(plan: &Plan, mode: Mode, observation: &Observation) -> Result<Decision> {
    let configuration = plan.configuration(mode)?;
    adjust_configuration(plan, configuration, observation)
}

/// As [`adjust`], for a configuration given apart from the plan: the `configuration` of an
/// earlier decision, passed back for the next observation. `plan` supplies the devices.
///
/// # Errors
///
/// As [`adjust`].
pub fn adjust_configuration(
    plan: &Plan,
    configuration: &Configuration,
    observation: &Observation,
) -> Result<Decision> {
    check(observation)?;
    let cx = Context::new(plan, configuration)?;
    match *observation {
        Observation::OutOfMemory {
            requested_bytes,
            used_bytes,
            capacity_bytes,
            ..
        } => memory::out_of_memory(&cx, requested_bytes, used_bytes, capacity_bytes),
        Observation::MemoryPressure {
            used_bytes,
            capacity_bytes,
            predicted_bytes,
        } => memory::pressure(&cx, used_bytes, capacity_bytes, predicted_bytes),
        Observation::Swap { swap_used_bytes } => memory::swap(&cx, swap_used_bytes),
        Observation::Throttling {
            reason,
            temperature_c,
            ..
        } => power::throttling(&cx, reason, temperature_c),
        Observation::Battery {} => power::battery(&cx),
        Observation::SlowStep {
            measured_step_s,
            predicted_step_s,
        } => speed::slow_step(&cx, measured_step_s, predicted_step_s),
        Observation::DeviceLost { devices_left } => devices::lost(&cx, devices_left),
    }
}

/// Refuses numbers no sampler reports.
fn check(o: &Observation) -> Result<()> {
    match *o {
        Observation::Throttling {
            temperature_c,
            clock_share,
            ..
        } => {
            if let Some(t) = temperature_c.filter(|t| !t.is_finite()) {
                return Err(Error::invalid("temperature_c", t, "a finite temperature"));
            }
            if let Some(s) = clock_share.filter(|s| !(0.0..=1.0).contains(s)) {
                return Err(Error::invalid("clock_share", s, "a share from 0 to 1"));
            }
        }
        Observation::SlowStep {
            measured_step_s,
            predicted_step_s,
        } => {
            for (field, v) in [
                ("measured_step_s", Some(measured_step_s)),
                ("predicted_step_s", predicted_step_s),
            ] {
                if let Some(v) = v.filter(|v| !(v.is_finite() && *v > 0.0)) {
                    return Err(Error::invalid(field, v, "a positive number of seconds"));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Bytes as GiB with two decimals, as every reason prints them.
pub(crate) fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / (1u64 << 30) as f64)
}
