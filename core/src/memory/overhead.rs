//! The KV cache of serving, and the memory outside `torch.cuda.max_memory_allocated()`: runtime
//! context, communicators, kernel workspaces and allocator fragmentation.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::blocks::Shape;
use super::recipe::{AttnKernel, Recipe};
use super::states::{add, mul};
use super::tape::BLOCK;
use crate::error::Result;
use crate::estimate::{Fit, Phase, Term, TermKind};
use crate::math::round_up;
use crate::model::ModelSpec;
use crate::request::{EstimateRequest, Framework, LossImpl};
use crate::text::Text;
use crate::warning::Warning;

/// CUDA context with lazy module loading: 287,047,680 B of device memory measured for a fresh
/// PyTorch process holding one 6.4 MB tensor (pytorch/pytorch#86509), less the 20 MiB segment the
/// caching allocator reserves for that tensor (`kLargeBuffer`).
const CUDA_CONTEXT: u64 = 287_047_680 - 20 * 1024 * 1024;
/// cuBLAS workspace PyTorch allocates per handle on Hopper (`CUBLAS_WORKSPACE_CONFIG` default `:4096:8`, 32 MiB).
const CUBLAS_WORKSPACE: u64 = 32 * 1024 * 1024;
/// NCCL buffers per process group on A100: 544 MiB for 2 ranks, 688 MiB for more (NVIDIA/nccl#964).
const NCCL_TWO_RANKS: u64 = 544 * 1024 * 1024;
const NCCL_MANY_RANKS: u64 = 688 * 1024 * 1024;

/// The key/value cache of an inference request as transformers 5.23's default `DynamicCache` holds
/// it (`cache_utils.py`), at the moment of the request's peak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KvCache {
    /// Bytes held by every layer's cache at the peak.
    pub bytes: u64,
    /// Bytes of the new storage one layer's update allocates while the old one is still held.
    pub growth: u64,
}

/// The KV cache of a prefill of `prompt` tokens, or of decoding `generate` tokens after it.
///
/// What transformers 5.23 keeps, per layer:
/// - a full-attention layer (`DynamicLayer`) concatenates every new token:
///   `keys = cat([keys, new])`, then values; the old keys are freed before the values are
///   concatenated, so an update grows by one of the two at a time;
/// - a sliding-window layer (`DynamicSlidingWindowLayer`) concatenates keys and values, then keeps
///   a *view* of their last `window - 1` tokens: the storage of the whole concatenation stays. After
///   the prefill it still holds every prompt token; from the first decoding step on, `window`.
///   Its update holds the new keys and values and the old storage at once;
/// - multi-head latent attention (DeepSeek-V2/V3) caches the compressed latent
///   (`kv_lora_rank` wide, after its norm) and the shared rotary key (`qk_rope_head_dim`), one
///   "head" for all query heads, not the expanded per-head keys and values.
///
/// Decoding's peak is either the first step (every layer still at the prompt's length) or the
/// last (full layers at `prompt + generate`, sliding ones at the window). Heads are split by tensor
/// parallelism but never below one per rank (vLLM/TensorRT-LLM replicate them).
pub(crate) fn kv_cache(
    req: &EstimateRequest,
    spec: &ModelSpec,
    r: &Recipe,
    b: u64,
    prompt: u64,
    generate: u64,
) -> Result<KvCache> {
    let dt = req
        .inference
        .and_then(|i| i.kv_dtype)
        .map_or(r.compute, |d| d.bytes());
    let tp = req.parallel.tensor.max(1);
    let (k_width, v_width) = match spec.mla {
        Some(m) => (m.kv_lora_rank, m.qk_rope_head_dim),
        None => {
            // Falcon's new layout repeats each key/value group over its query heads before the
            // cache stores them (`FalconAttention._split_heads`, then `layer_past.update`).
            let heads = if crate::memory::blocks::falcon_new_layout(spec) {
                spec.heads
            } else {
                spec.kv_heads
            };
            let kvh = (heads / tp).max(1);
            (kvh * spec.head_dim, kvh * spec.head_dim)
        }
    };
    let layers = spec.layers.div_ceil(req.parallel.pipeline.max(1));
    let local = spec.sliding_window.map_or(0, |w| w.local_layers(layers));
    let global = layers - local;
    let tensor = |t: u64, width: u64| -> Result<u64> {
        Ok(round_up(
            mul(
                mul(mul(b, t, "kv tokens")?, width, "kv elements")?,
                dt,
                "kv bytes",
            )?,
            BLOCK,
        ))
    };
    let layer =
        |t: u64| -> Result<u64> { add(tensor(t, k_width)?, tensor(t, v_width)?, "kv bytes") };
    let all = |g: u64, l: u64| -> Result<u64> {
        add(
            mul(layer(g)?, global, "kv cache")?,
            mul(layer(l)?, local, "kv cache")?,
            "kv cache",
        )
    };
    if generate == 0 {
        // Prefill: sliding layers too hold the whole prompt.
        return Ok(KvCache {
            bytes: all(prompt, prompt)?,
            growth: 0,
        });
    }
    let window = spec.sliding_window.map_or(u64::MAX, |w| w.window);
    let end = add(prompt, generate, "kv tokens")?;
    let first = all(prompt, prompt)?;
    let last = all(end, window.min(end))?;
    // The first group of layers is the sliding one (Gemma-2/3, Mistral, Phi-3, Cohere-2).
    let growth = if first >= last {
        if local > 0 {
            layer(window.min(prompt + 1))?
        } else {
            tensor(prompt + 1, k_width.max(v_width))?
        }
    } else {
        tensor(end, k_width.max(v_width))?
    };
    Ok(KvCache {
        bytes: first.max(last),
        growth,
    })
}

pub(crate) fn kv_detail(req: &EstimateRequest, spec: &ModelSpec, b: u64, tokens: u64) -> String {
    let dt = req
        .inference
        .and_then(|i| i.kv_dtype)
        .map_or("compute dtype", |d| match d {
            crate::request::Dtype::Fp32 => "fp32",
            crate::request::Dtype::Bf16 => "bf16",
            crate::request::Dtype::Fp16 => "fp16",
            crate::request::Dtype::Fp8 => "fp8",
            crate::request::Dtype::Int8 => "int8",
        });
    let window = match spec.sliding_window {
        Some(w) if w.local_layers(spec.layers) > 0 && req.task == crate::request::Task::Decode => {
            // Llama 4's chunked layers are cached as sliding ones (`DynamicSlidingWindowLayer`).
            let kind = if spec.family == crate::model::Family::Llama4 {
                "chunked"
            } else {
                "sliding"
            };
            format!(
                "; {} {kind} layers keep {} tokens once decoding starts",
                w.local_layers(spec.layers),
                w.window
            )
        }
        _ => String::new(),
    };
    match spec.mla {
        Some(m) => format!(
            "{} layers x ({} latent + {} rotary) x {} tokens x {} sequences in {}{window}",
            spec.layers, m.kv_lora_rank, m.qk_rope_head_dim, tokens, b, dt
        ),
        None => format!(
            "2 x {} layers x {} kv heads x {} head_dim x {} tokens x {} sequences in {}{window}",
            spec.layers, spec.kv_heads, spec.head_dim, tokens, b, dt
        ),
    }
}

/// Overhead terms outside the allocator's count of live tensors.
pub(crate) fn overheads(
    req: &EstimateRequest,
    spec: &ModelSpec,
    r: &Recipe,
    sh: &Shape,
    peak_alloc: u64,
    phase: Phase,
) -> Result<Vec<(TermKind, u64, String)>> {
    let mut out = Vec::with_capacity(4);
    let cuda_like = matches!(
        req.runtime.framework,
        Framework::PytorchCuda | Framework::PytorchRocm
    );
    if cuda_like {
        out.push((
            TermKind::RuntimeContext,
            CUDA_CONTEXT,
            String::from("CUDA context and kernel images with lazy loading (pytorch#86509)"),
        ));
        let mut ws = CUBLAS_WORKSPACE;
        let mut detail = Text::new().s("cuBLAS workspace 32 MiB");
        if phase == Phase::Backward && matches!(r.kernel, AttnKernel::Flash) && req.task.trains() {
            // FlashAttention-2 backward accumulates dq in fp32 (`dq_accum`, b x s x heads x head_dim x 4 B).
            let dq = mul(
                mul(mul(sh.b, sh.s, "tokens")?, spec.q_dim() / sh.tp, "dq")?,
                4,
                "dq",
            )?;
            ws = add(ws, dq, "workspace")?;
            detail = detail
                .s(", FlashAttention fp32 dq accumulator ")
                .n(dq)
                .s(" B");
        }
        out.push((TermKind::KernelWorkspaces, ws, detail.done()));
        let p = &req.parallel;
        let groups = [p.data, p.tensor, p.pipeline, p.context]
            .iter()
            .filter(|&&d| d > 1)
            .count() as u64;
        let world = p.data * p.tensor * p.pipeline * p.context;
        if groups > 0 {
            let per = if world == 2 {
                NCCL_TWO_RANKS
            } else {
                NCCL_MANY_RANKS
            };
            out.push((
                TermKind::CommunicationBuffers,
                per * groups,
                Text::new()
                    .n(groups)
                    .s(" NCCL process group(s) of ")
                    .n(world)
                    .s(" ranks (NVIDIA/nccl#964)")
                    .done(),
            ));
        }
    }
    if req.runtime.framework != Framework::None {
        // The caching allocator reserves more than is live: reserved exceeds allocated by 5-30 % in
        // training loops (measured reserved/allocated gaps, ground-truth notes; ZeRO paper Sec. 3 on
        // fragmentation). 10 % without expandable segments, 5 % with them.
        let pct = if req.runtime.expandable_segments {
            5
        } else {
            10
        };
        out.push((
            TermKind::AllocatorFragmentation,
            peak_alloc / 100 * pct,
            Text::new()
                .n(pct)
                .s(" % of the allocated peak kept by the caching allocator")
                .done(),
        ));
    }
    Ok(out)
}

/// Fit on a device of `device` bytes. On unified memory the GPU may wire about 2/3 of RAM up to
/// 36 GiB and 3/4 above (macOS `recommendedMaxWorkingSetSize`, as reported by MLX and llama.cpp).
pub(crate) fn fit(device: u64, peak: u64, unified: bool) -> Fit {
    let usable = if unified {
        if device <= 36 * 1024 * 1024 * 1024 {
            device / 3 * 2
        } else {
            device / 4 * 3
        }
    } else {
        device
    };
    let headroom = if usable >= peak {
        i64::try_from(usable - peak).unwrap_or(i64::MAX)
    } else {
        -i64::try_from(peak - usable).unwrap_or(i64::MAX)
    };
    Fit {
        device_bytes: device,
        usable_bytes: usable,
        os_reserve_bytes: device - usable,
        headroom_bytes: headroom,
        fits: peak <= usable,
    }
}

/// Warnings that carry their numbers.
pub(crate) fn warnings(
    req: &EstimateRequest,
    spec: &ModelSpec,
    terms: &[Term],
    peak: u64,
    out: &mut Vec<Warning>,
) {
    let tokens = req
        .inference
        .map_or(req.sequence, |i| i.prompt.saturating_add(i.generate));
    if tokens > spec.max_positions {
        out.push(Warning::sequence_beyond_context(
            tokens,
            spec.max_positions,
            &spec.name,
        ));
    }
    if req.attention == crate::request::AttentionImpl::Sdpa && spec.attn_logit_softcap.is_some() {
        out.push(Warning::attention_runs_eager(
            &spec.name,
            req.sequence.saturating_mul(8),
        ));
    }
    let logits: u64 = terms
        .iter()
        .filter(|t| t.term == TermKind::LogitsAndLoss)
        .map(|t| t.bytes)
        .sum();
    if req.loss == LossImpl::Upcast && peak > 0 && logits > peak / 4 {
        out.push(Warning::logits_dominate(logits, logits * 100 / peak));
    }
    let temp: u64 = terms
        .iter()
        .filter(|t| t.term == TermKind::OptimizerTemporaries)
        .map(|t| t.bytes)
        .sum();
    if temp > 0 && temp > peak / 10 {
        out.push(Warning::optimizer_step_peak(temp));
    }
}
