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

/// KV cache bytes: `2 * layers * kv_heads * head_dim * tokens * batch * dtype`, with sliding-window
/// layers capped at their window (transformers `DynamicSlidingWindowLayer`) and KV heads split by
/// tensor parallelism but never below one per rank (vLLM/TensorRT-LLM replicate them).
pub(crate) fn kv_cache(
    req: &EstimateRequest,
    spec: &ModelSpec,
    r: &Recipe,
    b: u64,
    tokens: u64,
) -> Result<u64> {
    let dt = req
        .inference
        .and_then(|i| i.kv_dtype)
        .map_or(r.compute, |d| d.bytes());
    let tp = req.parallel.tensor.max(1);
    let (k_width, v_width) = match spec.mla {
        // transformers' DeepSeek-V2/V3 cache the decompressed per-head keys and values.
        Some(m) => {
            let heads = (spec.heads / tp).max(1);
            (
                heads * (m.qk_nope_head_dim + m.qk_rope_head_dim),
                heads * m.v_head_dim,
            )
        }
        None => {
            let kvh = (spec.kv_heads / tp).max(1);
            (kvh * spec.head_dim, kvh * spec.head_dim)
        }
    };
    let layers = spec.layers.div_ceil(req.parallel.pipeline.max(1));
    let local = spec.sliding_window.map_or(0, |w| w.local_layers(layers));
    let window_tokens = spec.sliding_window.map_or(tokens, |w| w.window.min(tokens));
    let per_layer = |t: u64| -> Result<u64> {
        let k = round_up(
            mul(
                mul(mul(b, t, "kv tokens")?, k_width, "kv elements")?,
                dt,
                "kv bytes",
            )?,
            BLOCK,
        );
        let v = round_up(
            mul(
                mul(mul(b, t, "kv tokens")?, v_width, "kv elements")?,
                dt,
                "kv bytes",
            )?,
            BLOCK,
        );
        add(k, v, "kv bytes")
    };
    let global = mul(per_layer(tokens)?, layers - local, "kv cache")?;
    let windowed = mul(per_layer(window_tokens)?, local, "kv cache")?;
    add(global, windowed, "kv cache")
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
    format!(
        "2 x {} layers x {} kv heads x {} head_dim x {} tokens x {} sequences in {}",
        spec.layers, spec.kv_heads, spec.head_dim, tokens, b, dt
    )
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
        let mut detail = String::from("cuBLAS workspace 32 MiB");
        if phase == Phase::Backward && matches!(r.kernel, AttnKernel::Flash) && req.task.trains() {
            // FlashAttention-2 backward accumulates dq in fp32 (`dq_accum`, b x s x heads x head_dim x 4 B).
            let dq = mul(
                mul(mul(sh.b, sh.s, "tokens")?, spec.q_dim() / sh.tp, "dq")?,
                4,
                "dq",
            )?;
            ws = add(ws, dq, "workspace")?;
            detail = format!("{detail}, FlashAttention fp32 dq accumulator {dq} B");
        }
        out.push((TermKind::KernelWorkspaces, ws, detail));
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
                format!("{groups} NCCL process group(s) of {world} ranks (NVIDIA/nccl#964)"),
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
            format!("{pct} % of the allocated peak kept by the caching allocator"),
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
