//! Families of 2025 whose layers differ from Llama's in more than a flag: GLM-4-0414 (sandwich
//! norms, fused `gate_up_proj`), EXAONE 4.0 (post-norm, per-head query/key norms, hybrid
//! sliding windows) and gpt-oss (attention sinks, biased experts with a clamped SwiGLU).

use alloc::format;
use alloc::string::String;

use super::llama::layer_types;
use super::Cfg;
use crate::error::{Error, Result};
use crate::model::{
    Bias, Dropout, Family, Ffn, ModelSpec, Moe, Norm, NormKind, QkNorm, SlidingWindow,
};

/// The fields every family here reads alike: sizes, heads, the gated SiLU MLP, RMSNorm.
fn base(
    c: &Cfg,
    name: String,
    family: Family,
    default_kv_heads: u64,
    default_head_dim: Option<u64>,
) -> Result<ModelSpec> {
    let hidden = c.required(&["hidden_size"])?;
    let heads = c.required(&["num_attention_heads"])?;
    let kv_heads = c.size("num_key_value_heads")?.unwrap_or(default_kv_heads);
    if heads % kv_heads != 0 {
        return Err(Error::invalid(
            c.path("num_key_value_heads"),
            kv_heads,
            format!("a divisor of num_attention_heads ({heads})"),
        ));
    }
    let head_dim = match (c.size("head_dim")?, default_head_dim) {
        (Some(d), _) | (None, Some(d)) => d,
        (None, None) => c.exact_head_dim(hidden, heads, "num_attention_heads")?,
    };
    Ok(ModelSpec {
        name,
        family,
        layers: c.required(&["num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads,
        head_dim,
        mla: None,
        ffn: Ffn {
            activation: c.activation("hidden_act", "silu")?,
            gated: true,
            intermediate: c.required(&["intermediate_size"])?,
        },
        moe: None,
        vocab: c.required(&["vocab_size"])?,
        learned_positions: 0,
        max_positions: c.required(&["max_position_embeddings"])?,
        tied_embeddings: c.flag("tie_word_embeddings", false)?,
        norm: Norm {
            kind: NormKind::RmsNorm,
            bias: false,
            per_layer: 2,
            final_norm: true,
        },
        qk_norm: QkNorm::None,
        bias: Bias::default(),
        parallel_residual: false,
        sliding_window: None,
        dropout: Dropout {
            embedding: 0.0,
            attention: c.probability("attention_dropout", 0.0)?,
            residual: 0.0,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        rotary_dim: None,
        alibi: false,
        source: None,
    })
}

/// GLM-4-0414 (`Glm4Config`, `Glm4DecoderLayer`): `input_layernorm` before attention,
/// `post_self_attn_layernorm` on its output, `post_attention_layernorm` before the MLP and
/// `post_mlp_layernorm` on its output; one fused `gate_up_proj`; q, k and v biased by
/// `attention_bias` (default true), `o_proj` never; rotary on the first half of each head
/// (`partial_rotary_factor` 0.5), pairs interleaved. Class defaults: 2 key/value heads,
/// `head_dim` 128.
pub(super) fn glm4(c: &Cfg, name: String) -> Result<ModelSpec> {
    let mut spec = base(c, name, Family::Glm4, 2, Some(128))?;
    spec.norm.per_layer = 4;
    spec.bias.qkv = c.flag("attention_bias", true)?;
    Ok(spec)
}

/// EXAONE 4.0 (`Exaone4Config`, `Exaone4DecoderLayer`): OLMo-2's post-norm layout
/// (`post_attention_layernorm` on the attention output, `post_feedforward_layernorm` on the MLP
/// output, no norm on a layer's input), a `q_norm` and `k_norm` of width `head_dim` shared by the
/// heads, and sliding-window layers (`sliding_window`, default 4096; `layer_types`, else every
/// `sliding_window_pattern`-th layer is global, default 4). Global layers skip the rotary
/// embedding when a window is configured (NoPE), which changes no tensor's size. Class
/// defaults: 32 key/value heads.
pub(super) fn exaone4(c: &Cfg, name: String) -> Result<ModelSpec> {
    let mut spec = base(c, name, Family::Exaone4, 32, None)?;
    spec.qk_norm = QkNorm::PerHead;
    spec.sliding_window = exaone4_window(c, spec.layers)?;
    Ok(spec)
}

/// `Exaone4Config.__post_init__`: no window when `sliding_window` is null; else `layer_types`, or
/// layer `i` slides when `(i + 1) % sliding_window_pattern != 0`.
fn exaone4_window(c: &Cfg, layers: u64) -> Result<Option<SlidingWindow>> {
    let window = match c.m.get("sliding_window") {
        None => 4096,
        Some(_) => match c.size("sliding_window")? {
            Some(w) => w,
            None => return Ok(None),
        },
    };
    let (local, pattern) = match layer_types(c, layers)? {
        Some(group) => group,
        None => {
            let pattern = match c.get("sliding_window_pattern") {
                None => 4,
                Some(v) => v.as_u64().filter(|&p| p > 0).ok_or_else(|| {
                    Error::invalid(
                        c.path("sliding_window_pattern"),
                        v,
                        "a positive integer when layer_types is absent",
                    )
                })?,
            };
            (pattern - 1, pattern)
        }
    };
    Ok((local > 0).then_some(SlidingWindow {
        window,
        local_per_pattern: local,
        pattern,
    }))
}

/// gpt-oss (`GptOssConfig`, `GptOssDecoderLayer`): every layer a mixture of experts whose
/// `gate_up_proj`, `down_proj` and their biases are 3-D parameters (`num_local_experts`,
/// `num_experts_per_tok` routed, `intermediate_size` wide), a router with a bias, a learned
/// attention sink per head, biased attention projections (`attention_bias`, default true), and
/// sliding-window layers (`sliding_window`, default 128; `layer_types`, by default every other
/// layer starting with the first). Class defaults: 8 key/value heads, `head_dim` 64.
///
/// The published checkpoints carry `quantization_config` (MXFP4 experts); this describes the
/// model as transformers builds it from the config alone, in 16 bits, which is how it is trained
/// (the checkpoint is dequantised on load unless a Triton MXFP4 kernel is installed).
pub(super) fn gpt_oss(c: &Cfg, name: String) -> Result<ModelSpec> {
    let mut spec = base(c, name, Family::GptOss, 8, Some(64))?;
    let experts = c.required(&["num_local_experts"])?;
    let active = c.required(&["num_experts_per_tok"])?;
    if active > experts {
        return Err(Error::invalid(
            c.path("num_experts_per_tok"),
            active,
            format!("at most num_local_experts ({experts})"),
        ));
    }
    spec.moe = Some(Moe {
        experts,
        active,
        expert_intermediate: spec.ffn.intermediate,
        shared_experts: 0,
        shared_intermediate: 0,
        shared_expert_gate: false,
        dense_layers: 0,
        router_bias: false,
        input_jitter: false,
    });
    let attention_bias = c.flag("attention_bias", true)?;
    spec.bias = Bias {
        qkv: attention_bias,
        attn_out: attention_bias,
        mlp: true,
        lm_head: false,
    };
    let window = match c.m.get("sliding_window") {
        None => Some(128),
        Some(_) => c.size("sliding_window")?,
    };
    spec.sliding_window = match window {
        None => None,
        Some(window) => {
            let (local, pattern) = layer_types(c, spec.layers)?.unwrap_or((1, 2));
            (local > 0).then_some(SlidingWindow {
                window,
                local_per_pattern: local,
                pattern,
            })
        }
    };
    Ok(spec)
}
