//! The numeric recipe of a request: dtypes of weights, activations and gradients, what trains,
//! and which attention kernel runs.

use alloc::string::String;
use alloc::vec::Vec;

use super::blocks::falcon_new_layout as new_layout;
use crate::model::{Family, Linear, ModelSpec};
use crate::request::{AttentionImpl, EstimateRequest, Precision, Task};

/// Attention kernel that actually runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttnKernel {
    /// FlashAttention-2 (or cuDNN attention, same footprint): keeps q, k, v, output, fp32 log-sum-exp.
    Flash,
    /// xFormers-style memory-efficient kernel: as flash, without grouped-query support.
    MemEfficient,
    /// PyTorch's math fallback (`_scaled_dot_product_attention_math`): scaled q and k, repeated
    /// k and v, and the softmax output are kept.
    Math,
    /// Hugging Face `eager_attention_forward`: scores materialised and kept as softmax output.
    Eager,
}

/// LoRA adapters as the tape needs them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LoraPlan {
    pub rank: u64,
    pub dtype: u64,
    pub dropout: bool,
    all_linear: bool,
    names: Vec<String>,
    /// The Hugging Face name of the output projection (`lm_head`, NeoX's `embed_out`).
    pub head: &'static str,
}

impl LoraPlan {
    /// Whether PEFT would wrap the linear `module`; `in_decoder` is false for the output layer,
    /// which `all-linear` leaves out whatever its name (`lm_head`, NeoX's `embed_out`).
    pub fn targets(&self, module: &str, in_decoder: bool) -> bool {
        (self.all_linear && in_decoder) || self.names.iter().any(|n| n == module)
    }
}

/// Dtypes and training flags of one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recipe {
    /// Bytes per element of the stored (unquantised) weights.
    pub weights: u64,
    /// Bytes per element of activations.
    pub compute: u64,
    /// `torch.autocast` casts each linear's weight and input to `compute`.
    pub autocast: bool,
    /// Every base parameter trains.
    pub full_train: bool,
    /// Decoder linears are stored quantised (bitsandbytes) and dequantised per use.
    pub quantized: bool,
    /// Adapters, when the task uses them.
    pub lora: Option<LoraPlan>,
    /// Attention kernel.
    pub kernel: AttnKernel,
    /// Attention kernel of the layers that take no mask where the others need one: SDPA runs
    /// Llama 4's global layers unmasked (`create_causal_mask` skips the mask for `is_causal`)
    /// while its chunked layers need one once the sequence outgrows the chunk. Equals `kernel`
    /// for every other model.
    pub global_kernel: AttnKernel,
    /// Parameter gradients in another dtype than the weights.
    pub grad_bytes_override: Option<u64>,
    /// Backward runs.
    pub training: bool,
    /// A QLoRA model prepared by PEFT's `prepare_model_for_kbit_training` (fp32 outside the 4-bit linears).
    pub kbit_prepared: bool,
    /// The 16-bit type is fp16 (CUDA softmax reads fp16 into fp32 without a copy; bf16 is copied first).
    pub fp16: bool,
}

impl Recipe {
    /// Derives the recipe; the request has been validated (tests: the estimate builds the linear
    /// kinds once and calls [`Recipe::with_linears`]).
    #[cfg(test)]
    pub fn new(req: &EstimateRequest, spec: &ModelSpec) -> Recipe {
        Recipe::with_linears(req, spec, &spec.linears())
    }

    /// Derives the recipe from the request, which has been validated, and the model's linear
    /// kinds.
    pub fn with_linears(req: &EstimateRequest, spec: &ModelSpec, linears: &[Linear]) -> Recipe {
        let (weights, compute, autocast) = match req.precision {
            Precision::Fp32 => (4, 4, false),
            Precision::Bf16 | Precision::Fp16 | Precision::MixedBf16 | Precision::MixedFp16 => {
                (2, 2, false)
            }
            Precision::AmpBf16 | Precision::AmpFp16 => (4, 2, true),
        };
        let kbit_prepared =
            req.task == Task::Qlora && req.quantization.is_some_and(|q| q.prepare_for_training);
        // Prepared for k-bit training, the unquantised parameters and so the activations between
        // the 4-bit linears are fp32; the linears still compute in `compute`.
        let weights = if kbit_prepared { 4 } else { weights };
        let training = req.task.trains();
        let lora = match (&req.lora, req.task) {
            (Some(l), Task::Lora | Task::Qlora) => {
                let all_linear = l.targets.iter().any(|t| t == "all-linear");
                Some(LoraPlan {
                    rank: l.rank,
                    dtype: l.dtype.bytes(),
                    dropout: l.dropout > 0.0,
                    all_linear,
                    names: l.targets.clone(),
                    head: linears
                        .iter()
                        .find(|l| !l.in_decoder)
                        .map_or("lm_head", |l| l.module),
                })
            }
            _ => None,
        };
        let kernel = match req.attention {
            AttentionImpl::Eager => AttnKernel::Eager,
            AttentionImpl::Flash => AttnKernel::Flash,
            // transformers refuses SDPA for attention soft-capping (Gemma-2) and runs it eagerly.
            AttentionImpl::Sdpa if spec.attn_logit_softcap.is_some() => AttnKernel::Eager,
            // GptOssForCausalLM sets `_supports_sdpa = False` (its attention sinks need the scores):
            // transformers 5.23 refuses an explicit `sdpa` and picks eager by default.
            AttentionImpl::Sdpa if spec.family == Family::GptOss => AttnKernel::Eager,
            // GPT-J has only its own eager attention (and FlashAttention-2), no SDPA path; BLOOM
            // runs its own eager attention whatever is asked.
            AttentionImpl::Sdpa if spec.family == Family::Gptj => AttnKernel::Eager,
            _ if spec.family == Family::Bloom => AttnKernel::Eager,
            // FalconModel always passes a mask, and calls SDPA itself without `enable_gqa`: the
            // RW layout's one key/value head cannot go to a fused kernel.
            AttentionImpl::Sdpa if spec.family == Family::Falcon => {
                let head_aligned = spec.head_dim % (16 / compute) == 0;
                if (spec.kv_heads < spec.heads && !new_layout(spec)) || !head_aligned {
                    AttnKernel::Math
                } else {
                    AttnKernel::MemEfficient
                }
            }
            AttentionImpl::Sdpa => {
                sdpa_kernel(spec, if kbit_prepared { 4 } else { compute }, req.sequence)
            }
        };
        let global_kernel = match req.attention {
            AttentionImpl::Sdpa if spec.family == Family::Llama4 => {
                sdpa_kernel(spec, if kbit_prepared { 4 } else { compute }, 0)
            }
            _ => kernel,
        };
        Recipe {
            weights,
            compute,
            autocast,
            full_train: matches!(req.task, Task::Pretrain | Task::Finetune),
            quantized: req.task == Task::Qlora || req.quantization.is_some(),
            lora,
            kernel,
            global_kernel,
            grad_bytes_override: req.grad_dtype.map(|d| d.bytes()),
            training,
            kbit_prepared,
            fp16: matches!(
                req.precision,
                Precision::Fp16 | Precision::AmpFp16 | Precision::MixedFp16
            ),
        }
    }
}

/// The backend PyTorch's `scaled_dot_product_attention` picks on an sm80+ GPU
/// (`aten/src/ATen/native/transformers/cuda/sdp_utils.cpp`) for the call Hugging Face makes
/// (`integrations/sdpa_attention.py`): without a mask and with a head width up to 256 it passes
/// `enable_gqa`, otherwise it repeats k and v. Flash needs 16-bit inputs and no mask; the
/// memory-efficient kernel needs as many k/v heads as query heads and aligned query/key and value
/// widths (16 bytes, `check_head_dim_size_mem_efficient`); anything else runs the math fallback.
fn sdpa_kernel(spec: &ModelSpec, compute: u64, sequence: u64) -> AttnKernel {
    let masked = spec
        .sliding_window
        .is_some_and(|w| w.local_per_pattern > 0 && sequence > w.window);
    let (head, v_head, kv_heads) = match spec.mla {
        Some(m) => (
            m.qk_nope_head_dim + m.qk_rope_head_dim,
            m.v_head_dim,
            spec.heads,
        ),
        None => (spec.head_dim, spec.head_dim, spec.kv_heads),
    };
    let gqa_in_sdpa = !masked && head == v_head && head <= 256;
    let same_heads = kv_heads == spec.heads || !gqa_in_sdpa;
    if compute == 2 && !masked && head <= 256 && head == v_head {
        AttnKernel::Flash
    } else if same_heads && head % (16 / compute) == 0 && v_head % (16 / compute) == 0 {
        // Keys and values may differ in width here (DeepSeek's MLA: 192 and 128).
        AttnKernel::MemEfficient
    } else {
        AttnKernel::Math
    }
}
