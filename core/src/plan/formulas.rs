//! The closed-form models a plan is built from: FLOPs per token, step time, token budgets,
//! compute-optimal size, learning rate and batch, checkpoint interval, power. Each cites the
//! paper or document it comes from; the tests evaluate them against those sources' tables.

use crate::math::{cbrt, pow, sqrt};
use crate::model::ModelSpec;
use crate::request::Checkpointing;

/// Name of the FLOP-counting convention used for MFU.
pub const FLOPS_CONVENTION: &str = "6N + 12·L·d_attn·s per token (PaLM, Chowdhery et al. 2022, \
     Appendix B); N excludes the input embedding; HFU adds the recomputed forward; for LoRA and \
     QLoRA both leave out the frozen weights' gradients (2N)";

/// Parameters that do matrix multiplies per token: all active parameters except the input
/// embedding lookup (the output projection is a matmul and counts, tied or not).
pub fn matmul_parameters(spec: &ModelSpec, active: u64) -> f64 {
    let input_embedding = spec.vocab * spec.hidden + spec.learned_positions * spec.hidden;
    let n = active.saturating_sub(input_embedding);
    // A tied output projection shares the embedding's parameters but still multiplies.
    let tied_head = if spec.tied_embeddings {
        spec.vocab * spec.hidden
    } else {
        0
    };
    (n + tied_head) as f64
}

/// Model FLOPs per trained token: `6N + 12·L·(heads·head_dim)·s` (PaLM App. B: the attention
/// score and value matmuls, forward and backward, counted over the full sequence without the
/// causal mask's halving, as PaLM counts them).
pub fn model_flops_per_token(spec: &ModelSpec, active: u64, sequence: u64) -> f64 {
    let attn = 12.0 * spec.layers as f64 * (spec.heads * spec.head_dim) as f64 * sequence as f64;
    6.0 * matmul_parameters(spec, active) + attn
}

/// Hardware FLOPs per trained token: model FLOPs plus what recomputation repeats. Full
/// checkpointing reruns the decoder layers' forward (2·N_layers + 4·L·d·s), not the output
/// projection, which Hugging Face and Megatron-LM checkpoint per layer (Megatron's
/// 96·B·s·l·h²·(1 + s/6h + V/16lh) counts the head three times, the layers four); selective reruns
/// attention's score and value products only (4·L·d·s) (Korthikanti et al. 2022, §5).
pub fn hardware_flops_per_token(
    spec: &ModelSpec,
    active: u64,
    sequence: u64,
    checkpointing: Checkpointing,
) -> f64 {
    let attn_fwd = 4.0 * spec.layers as f64 * (spec.heads * spec.head_dim) as f64 * sequence as f64;
    let extra = match checkpointing {
        Checkpointing::None => 0.0,
        Checkpointing::Selective => attn_fwd,
        Checkpointing::Full => {
            let head = (spec.vocab * spec.embed_proj_dim.unwrap_or(spec.hidden)) as f64;
            2.0 * (matmul_parameters(spec, active) - head) + attn_fwd
        }
    };
    model_flops_per_token(spec, active, sequence) + extra
}

/// FLOPs per token that adapter training (LoRA, QLoRA) skips: the frozen weights need no weight
/// gradients, one of the backward's two matmuls per weight, `2N` (LoRA paper, Hu et al. 2021,
/// §4.2: training is about 25 % faster than full fine-tuning for this reason). The adapters'
/// own FLOPs are negligible at the usual ranks.
pub fn frozen_weight_gradient_flops(spec: &ModelSpec, active: u64) -> f64 {
    2.0 * matmul_parameters(spec, active)
}

/// Forward-only FLOPs per token of inference: `2N + 4·L·d·s`.
pub fn inference_flops_per_token(spec: &ModelSpec, active: u64, context: u64) -> f64 {
    2.0 * matmul_parameters(spec, active)
        + 4.0 * spec.layers as f64 * (spec.heads * spec.head_dim) as f64 * context as f64
}

/// Time of a ring all-reduce of `bytes` over `n` ranks at bus bandwidth `bus_gbs`:
/// `2·(n-1)/n · bytes / busbw` (nccl-tests PERFORMANCE.md, "bus bandwidth").
pub fn all_reduce_s(bytes: f64, n: u64, bus_gbs: f64) -> f64 {
    if n <= 1 || bus_gbs <= 0.0 {
        return 0.0;
    }
    2.0 * (n - 1) as f64 / n as f64 * bytes / (bus_gbs * 1e9)
}

/// Chinchilla's compute-optimal tokens per parameter, about 20 (Hoffmann et al. 2022, "Training
/// Compute-Optimal Large Language Models", Table 3: 67B parameters for 1.5T tokens, 175B for
/// 3.7T).
pub const CHINCHILLA_TOKENS_PER_PARAMETER: u64 = 20;

/// Training FLOPs of `tokens` through a model of `active` parameters: `C = 6·N·D` (Kaplan et al.
/// 2020, "Scaling Laws for Neural Language Models", §2.1; Chinchilla uses the same).
pub fn training_flops(active: u64, tokens: u64) -> f64 {
    6.0 * active as f64 * tokens as f64
}

/// Chinchilla's compute-optimal parameters for a compute budget `flops` at `tokens_per_param`:
/// from C = 6·N·D and D = r·N, N = sqrt(C / (6·r)) (Hoffmann et al. 2022, Table 3: r about 20).
pub fn compute_optimal_parameters(flops: f64, tokens_per_param: f64) -> f64 {
    if flops <= 0.0 || tokens_per_param <= 0.0 {
        return 0.0;
    }
    sqrt(flops / (6.0 * tokens_per_param))
}

/// Learning rate and batch (tokens) that DeepSeek LLM's scaling study fits for a compute budget
/// `flops`: η = 0.3118·C^-0.1250, B = 0.2920·C^0.3271 (DeepSeek-AI 2024, §3.1, eq. 1).
pub fn deepseek_lr_and_batch(flops: f64) -> (f64, f64) {
    let lr = 0.3118 * pow(flops, -0.1250);
    let batch = 0.2920 * pow(flops, 0.3271);
    (lr, batch)
}

/// Checkpoint interval that minimises lost work: Young's first-order optimum
/// `τ = sqrt(2·δ·M)`, for a checkpoint taking `delta_s` and a mean time between failures `mtbf_s`
/// (Young 1974; Daly 2006 refines it for δ comparable to M).
pub fn young_daly_interval_s(delta_s: f64, mtbf_s: f64) -> f64 {
    sqrt(2.0 * delta_s * mtbf_s)
}

/// Mean time between job interruptions of `devices` accelerators, seconds. Llama 3 saw 419
/// unexpected interruptions in 54 days on 16,384 H100s (Llama 3 paper, §3.3.4), i.e. one per
/// 16,384·54·24/419 = 50,676 GPU-hours; failures of independent devices add up.
pub fn mtbf_s(devices: u64) -> f64 {
    const GPU_HOURS_PER_INTERRUPTION: f64 = 16_384.0 * 54.0 * 24.0 / 419.0;
    GPU_HOURS_PER_INTERRUPTION * 3600.0 / devices.max(1) as f64
}

/// Throughput left at a power cap, as a share of full power: dynamic power goes as C·V²·f and
/// voltage scales with frequency in the DVFS range, so P ∝ f³ and f ∝ P^(1/3) (CMOS power
/// model; Hennessy & Patterson, §1.5). An estimate: memory-bound phases slow down less.
pub fn speed_at_power(fraction: f64) -> f64 {
    cbrt(fraction.clamp(0.0, 1.0))
}

/// Bytes per stored token of a tokenised dataset: `uint16` ids when the vocabulary fits in
/// 65,536 (nanoGPT's `.bin` shards, Megatron's indexed datasets choose the smallest integer
/// type), else `uint32`.
pub fn bytes_per_token(vocab: u64) -> u64 {
    if vocab <= 1 << 16 {
        2
    } else {
        4
    }
}

/// Raw text per token, bytes: about 4 characters of English per token for GPT-style BPE
/// (OpenAI tokenizer documentation, "a helpful rule of thumb").
pub const TEXT_BYTES_PER_TOKEN: f64 = 4.0;

/// Vocabulary size that Tao et al. 2024 ("Scaling Laws with Vocabulary: Larger Models Deserve
/// Larger Vocabularies", NeurIPS 2024, §4, approach 2) predict as compute-optimal for a model of
/// `non_vocab` non-embedding parameters and width `hidden`: vocabulary parameters
/// N_v = 3,145,728 · (N_nv / 33M)^0.8354 (the fit of their code, `optimal_Nv_predict.py`,
/// `approach2_derivative`), divided by the width since N_v = V·d. Their runs cover 33M to 3B
/// parameters and vocabularies of 4K to 96K; outside that range it is an extrapolation.
pub fn optimal_vocabulary(non_vocab: f64, hidden: u64) -> f64 {
    const VOCAB_PARAMETERS_AT_33M: f64 = 3_145_728.0;
    const EXPONENT: f64 = 0.835_397_403_522_802_5;
    if non_vocab <= 0.0 || hidden == 0 {
        return 0.0;
    }
    VOCAB_PARAMETERS_AT_33M * pow(non_vocab / 33e6, EXPONENT) / hidden as f64
}

/// Chinchilla's parametric loss L(N, D) = E + A/N^α + B/D^β, nats per token, with Hoffmann et al.
/// 2022's fit (§3.3, eq. 10 and App. D.2): E = 1.69, A = 406.4, B = 410.7, α = 0.34, β = 0.28.
/// The planner uses differences of it, the loss a run gives up by training on fewer tokens.
pub fn chinchilla_loss(parameters: f64, tokens: f64) -> f64 {
    const E: f64 = 1.69;
    const A: f64 = 406.4;
    const B: f64 = 410.7;
    const ALPHA: f64 = 0.34;
    const BETA: f64 = 0.28;
    E + A / pow(parameters.max(1.0), ALPHA) + B / pow(tokens.max(1.0), BETA)
}
