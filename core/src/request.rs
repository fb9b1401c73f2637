//! The estimate request: what is trained or served, how, and on how many devices.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::wire::wire_names;

use crate::model::ModelSource;

/// Version of the request and estimate documents this build writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 1;

fn schema_version() -> u32 {
    SCHEMA_VERSION
}
fn one() -> u64 {
    1
}
fn default_sequence() -> u64 {
    2048
}

/// Everything `estimate` needs.
///
/// Fields with a default may be omitted from the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct EstimateRequest {
    /// Document version. Default: the current version (1).
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// The model: a catalogue name, a pasted Hugging Face `config.json`, or a full spec.
    pub model: ModelSource,
    /// What is done with the model. Default: `finetune`.
    #[serde(default)]
    pub task: Task,
    /// Sequences per device per forward pass (micro-batch). Default: 1.
    #[serde(default = "one")]
    pub micro_batch: u64,
    /// Tokens per sequence; for inference, the prompt length. Default: 2048.
    #[serde(default = "default_sequence")]
    pub sequence: u64,
    /// Numeric recipe of weights, gradients and compute. Default: `bf16`.
    #[serde(default)]
    pub precision: Precision,
    /// Gradient dtype when it differs from the weights (`fp32` main grads as in Megatron-LM). Default: the weights' dtype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grad_dtype: Option<Dtype>,
    /// Optimizer. Default: `adamw`.
    #[serde(default)]
    pub optimizer: Optimizer,
    /// How the optimizer step is executed; decides its temporaries. Default: `foreach` (PyTorch's CUDA default).
    #[serde(default)]
    pub optimizer_impl: OptimizerImpl,
    /// Attention kernel. Default: `sdpa`.
    #[serde(default)]
    pub attention: AttentionImpl,
    /// Activation recomputation. Default: `none`.
    #[serde(default)]
    pub checkpointing: Checkpointing,
    /// Cross-entropy implementation. Default: `upcast` (Hugging Face: fp32 logits, then the loss).
    #[serde(default)]
    pub loss: LossImpl,
    /// LoRA adapters; required for tasks `lora` and `qlora`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora: Option<Lora>,
    /// Quantisation of the frozen base weights; required for `qlora`, allowed for inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization: Option<Quantization>,
    /// Serving shape; required for tasks `prefill` and `decode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<Inference>,
    /// Parallelism and sharding. Default: one device.
    #[serde(default)]
    pub parallel: Parallel,
    /// Framework and device overheads. Default: PyTorch on CUDA.
    #[serde(default)]
    pub runtime: Runtime,
}

/// What is done with the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Training from scratch: every parameter trains.
    Pretrain,
    /// Full fine-tuning: every parameter trains (same memory as pretraining).
    #[default]
    Finetune,
    /// LoRA: the base is frozen, adapters train.
    Lora,
    /// QLoRA: the base is frozen and quantised (see `quantization`), adapters train.
    Qlora,
    /// Inference: process a prompt and fill the KV cache.
    Prefill,
    /// Inference: generate tokens one at a time against a full KV cache.
    Decode,
}

wire_names!(Task, "task", {
    Pretrain => "pretrain",
    Finetune => "finetune",
    Lora => "lora",
    Qlora => "qlora",
    Prefill => "prefill",
    Decode => "decode",
});

impl Task {
    /// Whether the task runs backward and an optimizer.
    pub fn trains(self) -> bool {
        !matches!(self, Task::Prefill | Task::Decode)
    }
}

/// Numeric recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Everything in fp32.
    Fp32,
    /// Weights, gradients, optimizer states and compute in bf16 (a model loaded with `torch_dtype=bfloat16`).
    #[default]
    Bf16,
    /// As `bf16` with fp16.
    Fp16,
    /// fp32 weights, gradients and states; forward under `torch.autocast(bf16)` (HF Trainer `bf16=True` on an fp32 model).
    AmpBf16,
    /// As `amp_bf16` with fp16 autocast and a loss scaler.
    AmpFp16,
    /// bf16 weights and gradients with fp32 master weights in the optimizer (DeepSpeed, Megatron-LM).
    MixedBf16,
    /// As `mixed_bf16` with fp16.
    MixedFp16,
}

wire_names!(Precision, "precision", {
    Fp32 => "fp32",
    Bf16 => "bf16",
    Fp16 => "fp16",
    AmpBf16 => "amp_bf16",
    AmpFp16 => "amp_fp16",
    MixedBf16 => "mixed_bf16",
    MixedFp16 => "mixed_fp16",
});

/// Element types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Dtype {
    /// 32-bit float.
    Fp32,
    /// bfloat16.
    Bf16,
    /// IEEE half.
    Fp16,
    /// 8-bit float (e4m3/e5m2).
    Fp8,
    /// 8-bit integer.
    Int8,
}

wire_names!(Dtype, "dtype", {
    Fp32 => "fp32",
    Bf16 => "bf16",
    Fp16 => "fp16",
    Fp8 => "fp8",
    Int8 => "int8",
});

impl Dtype {
    /// Bytes per element.
    pub fn bytes(self) -> u64 {
        match self {
            Dtype::Fp32 => 4,
            Dtype::Bf16 | Dtype::Fp16 => 2,
            Dtype::Fp8 | Dtype::Int8 => 1,
        }
    }
}

/// Optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Optimizer {
    /// `torch.optim.AdamW` (same memory as Adam): two states per parameter.
    #[default]
    Adamw,
    /// bitsandbytes 8-bit AdamW: two uint8 states plus block-wise fp32 scales.
    Adamw8bit,
    /// Plain SGD: no state.
    Sgd,
    /// SGD with momentum: one state per parameter.
    SgdMomentum,
    /// Adafactor (Hugging Face transformers): factored second moment, no first moment.
    Adafactor,
    /// Lion: one state per parameter.
    Lion,
}

wire_names!(Optimizer, "optimizer", {
    Adamw => "adamw",
    Adamw8bit => "adamw8bit",
    Sgd => "sgd",
    SgdMomentum => "sgd_momentum",
    Adafactor => "adafactor",
    Lion => "lion",
});

/// How the optimizer step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum OptimizerImpl {
    /// Multi-tensor `foreach` kernels (PyTorch's default on CUDA); AdamW allocates a temporary the size of all parameters.
    #[default]
    Foreach,
    /// Single fused kernel (`fused=True`); no parameter-sized temporary.
    Fused,
    /// One parameter at a time; temporaries the size of the largest parameter.
    ForLoop,
}

wire_names!(OptimizerImpl, "optimizer_impl", {
    Foreach => "foreach",
    Fused => "fused",
    ForLoop => "for_loop",
});

/// Attention kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum AttentionImpl {
    /// Matmul, softmax, matmul: the `heads x s x s` scores are materialised and saved.
    Eager,
    /// `torch.nn.functional.scaled_dot_product_attention` with the backend an sm80+ GPU picks (flash for 16-bit, memory-efficient for fp32).
    #[default]
    Sdpa,
    /// FlashAttention-2 kernels (`flash_attention_2`).
    Flash,
}

wire_names!(AttentionImpl, "attention", {
    Eager => "eager",
    Sdpa => "sdpa",
    Flash => "flash",
});

/// Activation recomputation (gradient checkpointing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Checkpointing {
    /// Keep every activation autograd saves.
    #[default]
    None,
    /// Recompute the attention core only (Korthikanti et al. 2022 selective recomputation).
    Selective,
    /// Keep each layer's input, recompute the layer in backward (Hugging Face `gradient_checkpointing_enable()`).
    Full,
}

wire_names!(Checkpointing, "checkpointing", {
    None => "none",
    Selective => "selective",
    Full => "full",
});

/// Cross-entropy implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum LossImpl {
    /// Hugging Face `ForCausalLMLoss`: logits upcast to fp32, then `cross_entropy`.
    #[default]
    Upcast,
    /// Chunked or fused linear cross-entropy (Liger, Apple CCE): logits never materialised whole.
    Fused,
}

wire_names!(LossImpl, "loss", {
    Upcast => "upcast",
    Fused => "fused",
});

/// LoRA adapters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Lora {
    /// Rank `r`.
    pub rank: u64,
    /// Scaling numerator `lora_alpha`; does not change memory. Default: `2 * rank`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Adapted modules by their Hugging Face names (`q_proj`, `v_proj`, `c_attn`, `query_key_value`, ...) or `all-linear`. Default: `["q_proj", "v_proj"]`.
    #[serde(default = "default_lora_targets")]
    pub targets: Vec<String>,
    /// Adapter weight dtype. Default: `fp32` (PEFT's `autocast_adapter_dtype=True`).
    #[serde(default = "default_lora_dtype")]
    pub dtype: Dtype,
    /// `lora_dropout` probability; above 0 each adapted input is copied through dropout. Default: 0.
    #[serde(default)]
    pub dropout: f64,
}

fn default_lora_targets() -> Vec<String> {
    alloc::vec![String::from("q_proj"), String::from("v_proj")]
}
fn default_lora_dtype() -> Dtype {
    Dtype::Fp32
}

/// Quantised storage of the frozen base linears.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Quantization {
    /// Storage format of the decoder's linear weights.
    pub format: QuantFormat,
    /// bitsandbytes double quantisation of the 4-bit block constants. Default: true.
    #[serde(default = "yes")]
    pub double_quant: bool,
    /// QLoRA training prepared as PEFT's `prepare_model_for_kbit_training` does (`peft/utils/other.py`):
    /// every parameter bitsandbytes leaves unquantised (embeddings, norms, the output layer) is cast
    /// to fp32, so the residual stream and the logits are fp32 and each 4-bit linear casts its input
    /// to the compute dtype and its output back. Only for task `qlora`. Default: false.
    #[serde(default)]
    pub prepare_for_training: bool,
}

fn yes() -> bool {
    true
}

/// Storage formats of quantised linear weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum QuantFormat {
    /// bitsandbytes 4-bit NormalFloat, blocks of 64.
    Nf4,
    /// bitsandbytes 4-bit float, blocks of 64.
    Fp4,
    /// bitsandbytes LLM.int8(): int8 weights with one fp32 scale per row.
    Int8,
}

wire_names!(QuantFormat, "quantization.format", {
    Nf4 => "nf4",
    Fp4 => "fp4",
    Int8 => "int8",
});

/// Serving shape.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Inference {
    /// Prompt tokens per sequence.
    pub prompt: u64,
    /// Tokens generated per sequence. Default: 0.
    #[serde(default)]
    pub generate: u64,
    /// KV cache element type. Default: the compute dtype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_dtype: Option<Dtype>,
}

/// Parallelism and sharding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Parallel {
    /// Data-parallel replicas (the ZeRO/FSDP sharding degree). Default: 1.
    #[serde(default = "one")]
    pub data: u64,
    /// Tensor-parallel degree (Megatron-style column/row split). Default: 1.
    #[serde(default = "one")]
    pub tensor: u64,
    /// Pipeline stages (1F1B schedule). Default: 1.
    #[serde(default = "one")]
    pub pipeline: u64,
    /// Context-parallel degree (sequence split across ranks in attention). Default: 1.
    #[serde(default = "one")]
    pub context: u64,
    /// Megatron sequence parallelism alongside tensor parallelism. Default: false.
    #[serde(default)]
    pub sequence_parallel: bool,
    /// Micro-batches per optimizer step (gradient accumulation; pipeline micro-batches). Default: 1.
    #[serde(default = "one")]
    pub micro_batches: u64,
    /// Sharding of model states across the data-parallel group. Default: `none`.
    #[serde(default)]
    pub sharding: Sharding,
    /// What is offloaded to host memory. Default: nothing.
    #[serde(default)]
    pub offload: Offload,
}

impl Default for Parallel {
    fn default() -> Self {
        Parallel {
            data: 1,
            tensor: 1,
            pipeline: 1,
            context: 1,
            sequence_parallel: false,
            micro_batches: 1,
            sharding: Sharding::None,
            offload: Offload::default(),
        }
    }
}

/// Sharding of model states across data-parallel ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Sharding {
    /// Plain data parallelism (DDP): every rank holds everything.
    #[default]
    None,
    /// ZeRO-1: optimizer states sharded.
    Zero1,
    /// ZeRO-2: optimizer states and gradients sharded.
    Zero2,
    /// ZeRO-3: optimizer states, gradients and weights sharded.
    Zero3,
    /// FSDP `SHARD_GRAD_OP` (FSDP2 `reshard_after_forward=False`): weights, gradients and optimizer
    /// states sharded at rest; each layer stays gathered from its forward to its backward.
    FsdpShardGradOp,
    /// FSDP `FULL_SHARD` (FSDP2 `reshard_after_forward=True`): layers gathered only while they run.
    FsdpFullShard,
}

wire_names!(Sharding, "sharding", {
    None => "none",
    Zero1 => "zero1",
    Zero2 => "zero2",
    Zero3 => "zero3",
    FsdpShardGradOp => "fsdp_shard_grad_op",
    FsdpFullShard => "fsdp_full_shard",
});

/// Offload of model states to host memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Offload {
    /// Optimizer states (and fp32 master weights) live in host memory, the step runs on the CPU.
    #[serde(default)]
    pub optimizer: bool,
    /// Weights live in host memory between uses (ZeRO-3 / FSDP only).
    #[serde(default)]
    pub parameters: bool,
}

/// Framework and device overheads added on top of tensor memory.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Runtime {
    /// The framework and backend. Default: `pytorch_cuda`.
    #[serde(default)]
    pub framework: Framework,
    /// Total memory of one device, to check the fit. Default: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_memory_bytes: Option<u64>,
    /// The device shares memory with the host (Apple silicon, integrated GPUs). Default: false.
    #[serde(default)]
    pub unified_memory: bool,
    /// PyTorch `expandable_segments:True`, which shrinks allocator fragmentation. Default: false.
    #[serde(default)]
    pub expandable_segments: bool,
    /// GPUs per node, for the communication buffers of multi-node jobs. Default: 8.
    #[serde(default = "eight")]
    pub gpus_per_node: u64,
}

fn eight() -> u64 {
    8
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime {
            framework: Framework::default(),
            device_memory_bytes: None,
            unified_memory: false,
            expandable_segments: false,
            gpus_per_node: 8,
        }
    }
}

/// Framework and backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Framework {
    /// PyTorch with CUDA (NVIDIA).
    #[default]
    PytorchCuda,
    /// PyTorch with ROCm (AMD).
    PytorchRocm,
    /// PyTorch on Apple's MPS backend.
    PytorchMps,
    /// Apple MLX.
    Mlx,
    /// PyTorch on the CPU.
    PytorchCpu,
    /// Tensor memory only: no context, communicator or allocator terms.
    None,
}

wire_names!(Framework, "runtime.framework", {
    PytorchCuda => "pytorch_cuda",
    PytorchRocm => "pytorch_rocm",
    PytorchMps => "pytorch_mps",
    Mlx => "mlx",
    PytorchCpu => "pytorch_cpu",
    None => "none",
});
