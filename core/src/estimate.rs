//! The estimate document: peak memory per device, term by term.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::model::Parameters;
use crate::warning::Warning;
use crate::wire::wire_names;

/// Peak memory of one device for one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Estimate {
    /// Document version.
    pub schema_version: u32,
    /// Name of the model.
    pub model: String,
    /// Parameter counts of the model; `trainable` reflects the task (adapters only for LoRA).
    pub parameters: Parameters,
    /// Bytes of live tensors at the peak: what `torch.cuda.max_memory_allocated()` reports.
    pub peak_allocated_bytes: u64,
    /// `peak_allocated_bytes` plus the overhead terms: what the device must have free.
    pub peak_bytes: u64,
    /// Phase in which the peak happens.
    pub peak_phase: Phase,
    /// Model states of one device after sharding and offload, whatever the phase.
    pub model_states: ModelStates,
    /// Every term live at the peak, tensors first, then overheads; they add up to `peak_bytes`.
    pub breakdown: Vec<Term>,
    /// Peak of live tensors in each phase of a step.
    pub phases: Vec<PhasePeak>,
    /// Host memory the job needs besides the device (offloaded states, pinned buffers).
    pub host_bytes: u64,
    /// Whether the peak fits the device, when the device's memory is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<Fit>,
    /// Conditions worth acting on, each with its numbers.
    pub warnings: Vec<Warning>,
}

/// Weights, gradients and optimizer states of one device (the ZeRO paper's "model states").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ModelStates {
    /// Stored weights (quantised where requested).
    pub weights_bytes: u64,
    /// LoRA adapter weights.
    pub adapter_bytes: u64,
    /// Gradients of the trainable parameters.
    pub gradients_bytes: u64,
    /// fp32 master weights of mixed precision.
    pub master_weights_bytes: u64,
    /// Optimizer states.
    pub optimizer_states_bytes: u64,
}

/// A phase of a training or inference step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Forward pass, up to the loss.
    Forward,
    /// Backward pass.
    Backward,
    /// Optimizer step.
    OptimizerStep,
    /// Inference: prompt processing.
    Prefill,
    /// Inference: one generated token.
    Decode,
}

wire_names!(Phase, "phase", {
    Forward => "forward",
    Backward => "backward",
    OptimizerStep => "optimizer_step",
    Prefill => "prefill",
    Decode => "decode",
});

/// One named term of the memory at the peak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Term {
    /// What the bytes are.
    pub term: TermKind,
    /// Bytes on one device.
    pub bytes: u64,
    /// How the number was obtained, with the formula's inputs.
    pub detail: String,
}

/// Kinds of memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// Model weights held on the device (quantised linears with their constants).
    Weights,
    /// fp32 master copy of 16-bit weights kept by the optimizer.
    MasterWeights,
    /// Gradients of trainable weights.
    Gradients,
    /// Optimizer states (moments, momentum, factored second moments).
    OptimizerStates,
    /// Temporaries of the optimizer step (foreach AdamW's `sqrt(v)`, Adafactor's fp32 copies).
    OptimizerTemporaries,
    /// LoRA adapter weights.
    AdapterWeights,
    /// Tensors saved by autograd for the backward pass, and the working set of the current layer.
    Activations,
    /// Logits, their fp32 upcast, and the cross-entropy buffers and gradient.
    LogitsAndLoss,
    /// Key/value cache for serving.
    KvCache,
    /// Gathered weights and gradient buckets of ZeRO-3/FSDP.
    ShardingBuffers,
    /// CUDA/ROCm context and kernel images, outside the caching allocator.
    RuntimeContext,
    /// Workspaces that kernels allocate inside themselves (cuBLAS workspace, FlashAttention's fp32 `dq` accumulator).
    KernelWorkspaces,
    /// NCCL/RCCL communicator buffers.
    CommunicationBuffers,
    /// Memory the caching allocator reserves beyond live tensors.
    AllocatorFragmentation,
}

wire_names!(TermKind, "term", {
    Weights => "weights",
    MasterWeights => "master_weights",
    Gradients => "gradients",
    OptimizerStates => "optimizer_states",
    OptimizerTemporaries => "optimizer_temporaries",
    AdapterWeights => "adapter_weights",
    Activations => "activations",
    LogitsAndLoss => "logits_and_loss",
    KvCache => "kv_cache",
    ShardingBuffers => "sharding_buffers",
    RuntimeContext => "runtime_context",
    KernelWorkspaces => "kernel_workspaces",
    CommunicationBuffers => "communication_buffers",
    AllocatorFragmentation => "allocator_fragmentation",
});

/// Live tensor bytes at the peak of one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct PhasePeak {
    /// The phase.
    pub phase: Phase,
    /// Live tensor bytes at its peak.
    pub allocated_bytes: u64,
}

/// The fit of the peak on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Fit {
    /// Memory of the device as given.
    pub device_bytes: u64,
    /// What the job may use of it (unified memory: the GPU's working-set limit).
    pub usable_bytes: u64,
    /// What the operating system keeps from the job: on unified memory the RAM beyond the GPU's
    /// working-set limit; 0 on a discrete GPU, whose reported memory is already net of the driver.
    pub os_reserve_bytes: u64,
    /// `usable_bytes - peak_bytes`; negative when it does not fit.
    pub headroom_bytes: i64,
    /// `peak_bytes <= usable_bytes`.
    pub fits: bool,
}
