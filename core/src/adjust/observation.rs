//! What a running job reports: the observation an adjustment answers.

use serde::{Deserialize, Serialize};

use crate::wire::wire_names;

/// One observation of a running job, as `trainfit watch` reports it (issue 15's wire format).
/// Optional fields may be left out; each rule says what it assumes then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Observation {
    /// An allocation failed: the device ran out of memory.
    OutOfMemory {
        /// Training step at which it happened. Default: unknown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<u64>,
        /// Bytes the failed allocation asked for. Default: unknown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requested_bytes: Option<u64>,
        /// Bytes the job held on the device when it failed. Default: unknown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        used_bytes: Option<u64>,
        /// Memory of the device, bytes. Default: the plan's usable memory per device.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        capacity_bytes: Option<u64>,
    },
    /// Device memory in use close to the capacity or well above the prediction.
    MemoryPressure {
        /// Bytes the job holds on the device.
        used_bytes: u64,
        /// Memory of the device, bytes.
        capacity_bytes: u64,
        /// The peak the plan predicted, bytes. Default: the configuration's `memory.peak_bytes`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        predicted_bytes: Option<u64>,
    },
    /// The device slows its clocks.
    Throttling {
        /// Why: its temperature or its power limit.
        reason: ThrottleCause,
        /// Temperature of the device, degrees Celsius. Default: unknown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        temperature_c: Option<f64>,
        /// Clock as a share of its unthrottled clock, 0 to 1. Default: unknown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock_share: Option<f64>,
    },
    /// A training step took longer than the plan predicted.
    SlowStep {
        /// Measured seconds per optimizer step.
        measured_step_s: f64,
        /// Predicted seconds per optimizer step. Default: the configuration's `time.step_s`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        predicted_step_s: Option<f64>,
    },
    /// One or more devices of the job stopped answering.
    DeviceLost {
        /// Devices still working (0: none, training falls back to the CPU).
        devices_left: u64,
    },
    /// The host swaps.
    Swap {
        /// Swap in use, bytes.
        swap_used_bytes: u64,
    },
    /// The machine runs on battery power.
    Battery {},
}

impl Observation {
    /// The observation's kind, as its `kind` tag spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Observation::OutOfMemory { .. } => "out_of_memory",
            Observation::MemoryPressure { .. } => "memory_pressure",
            Observation::Throttling { .. } => "throttling",
            Observation::SlowStep { .. } => "slow_step",
            Observation::DeviceLost { .. } => "device_lost",
            Observation::Swap { .. } => "swap",
            Observation::Battery {} => "battery",
        }
    }
}

/// Why a device throttles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum ThrottleCause {
    /// Its temperature reached the slowdown threshold.
    Thermal,
    /// Its draw reached the power limit.
    Power,
}

wire_names!(ThrottleCause, "throttling reason", {
    Thermal => "thermal",
    Power => "power",
});
