//! The answer to an observation: the next configuration, the knobs that change, and why.

use alloc::string::String;
use serde::{Deserialize, Serialize};

use crate::plan::Configuration;
use crate::request::{Checkpointing, Optimizer, Precision};
use crate::wire::wire_names;

/// What to do about an observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Stable identifier of the change.
    pub action: Action,
    /// Why, with the numbers: the observation, the budget it implies and what the change gives.
    pub reason: String,
    /// The knobs that change, and only those; absent for `none_left`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<Changes>,
    /// The next configuration, re-estimated; absent for `none_left`. Pass it back (in the plan,
    /// or to [`crate::adjust::adjust_configuration`]) for the next observation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Configuration>,
    /// Predicted peak of one device of the next configuration, bytes; absent for `none_left`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_bytes: Option<u64>,
    /// Memory budget per device the observation implies, bytes, for the memory observations
    /// (out of memory, memory pressure, swap on unified memory, a lost device); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_bytes: Option<u64>,
}

/// The change a decision makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Half the micro-batch (or the nearest divisor below), with more accumulation.
    HalveMicroBatch,
    /// Recompute every layer's activations in the backward pass.
    FullCheckpointing,
    /// 8-bit AdamW states (bitsandbytes).
    #[serde(rename = "adamw_8bit")]
    Adamw8bit,
    /// Optimizer states in host memory, the step on the CPU.
    OffloadOptimizer,
    /// Half the sequence.
    HalveSequence,
    /// On a cluster: another layout of the mesh search.
    MeshLayout,
    /// A recipe with fewer bytes per value (pure bf16 instead of fp32 weights with bf16 compute).
    LowerPrecision,
    /// Optimizer states back on the device, freeing host memory.
    KeepOptimizerOnDevice,
    /// Double the gradient accumulation (and the global batch) to spread a per-step cost.
    MoreAccumulation,
    /// A lower power limit per device.
    PowerCap,
    /// Stop for a while, then resume.
    Pause,
    /// Re-planned on the devices left, the global batch kept through accumulation.
    FewerDevices,
    /// Re-planned on the CPU.
    Cpu,
    /// Nothing to change.
    Continue,
    /// Nothing left to try; `reason` says why.
    NoneLeft,
}

wire_names!(Action, "action", {
    HalveMicroBatch => "halve_micro_batch",
    FullCheckpointing => "full_checkpointing",
    Adamw8bit => "adamw_8bit",
    OffloadOptimizer => "offload_optimizer",
    HalveSequence => "halve_sequence",
    MeshLayout => "mesh_layout",
    LowerPrecision => "lower_precision",
    KeepOptimizerOnDevice => "keep_optimizer_on_device",
    MoreAccumulation => "more_accumulation",
    PowerCap => "power_cap",
    Pause => "pause",
    FewerDevices => "fewer_devices",
    Cpu => "cpu",
    Continue => "continue",
    NoneLeft => "none_left",
});

impl From<crate::plan::FallbackAction> for Action {
    fn from(a: crate::plan::FallbackAction) -> Self {
        use crate::plan::FallbackAction as F;
        match a {
            F::HalveMicroBatch => Action::HalveMicroBatch,
            F::FullCheckpointing => Action::FullCheckpointing,
            F::Adamw8bit => Action::Adamw8bit,
            F::OffloadOptimizer => Action::OffloadOptimizer,
            F::HalveSequence => Action::HalveSequence,
            F::MeshLayout => Action::MeshLayout,
        }
    }
}

/// The knobs a decision changes, each absent when it stays.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Changes {
    /// Sequences per device per step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub micro_batch: Option<u64>,
    /// Micro-batches accumulated per optimizer step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gradient_accumulation: Option<u64>,
    /// Sequences per optimizer step over all devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_batch: Option<u64>,
    /// Tokens per sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// Activation recomputation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpointing: Option<Checkpointing>,
    /// Optimizer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimizer: Option<Optimizer>,
    /// Optimizer states in host memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offload_optimizer: Option<bool>,
    /// Numeric recipe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// Devices used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<u64>,
    /// Power limit per device, W (`nvidia-smi -pl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_cap_w: Option<f64>,
    /// Seconds to pause before resuming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_s: Option<f64>,
    /// The device to train on instead: `cpu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<TargetDevice>,
}

/// A device to move the job to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum TargetDevice {
    /// The host's CPU.
    Cpu,
}

impl Changes {
    /// The knobs that differ between two configurations.
    pub fn between(before: &Configuration, after: &Configuration) -> Changes {
        fn differ<T: PartialEq + Copy>(a: T, b: T) -> Option<T> {
            (a != b).then_some(b)
        }
        Changes {
            micro_batch: differ(before.micro_batch, after.micro_batch),
            gradient_accumulation: differ(
                before.gradient_accumulation,
                after.gradient_accumulation,
            ),
            global_batch: differ(before.global_batch, after.global_batch),
            sequence: differ(before.sequence, after.sequence),
            checkpointing: differ(before.checkpointing, after.checkpointing),
            optimizer: match (before.optimizer, after.optimizer) {
                (a, Some(b)) if a != Some(b) => Some(b),
                _ => None,
            },
            offload_optimizer: differ(before.offload.optimizer, after.offload.optimizer),
            precision: differ(before.precision, after.precision),
            devices: differ(before.devices, after.devices),
            power_cap_w: match (before.power.power_cap_w, after.power.power_cap_w) {
                (a, Some(b)) if a != Some(b) => Some(b),
                _ => None,
            },
            pause_s: None,
            device: None,
        }
    }
}
