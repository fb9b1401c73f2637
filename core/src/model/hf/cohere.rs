//! Cohere Command-R (`cohere`) and Command-R7B (`cohere2`): one bias-free LayerNorm feeding attention
//! and a gated SiLU MLP in parallel, tied embeddings, logits scaled by `logit_scale`; Command-R7B
//! adds a sliding window on three of every four layers and no rotary embedding on the others.

use alloc::format;
use alloc::string::String;

use super::llama::layer_types;
use super::Cfg;
use crate::error::{Error, Result};
use crate::model::{Bias, Dropout, Family, Ffn, ModelSpec, Norm, NormKind, QkNorm, SlidingWindow};

/// `CohereConfig` / `Cohere2Config`.
pub(super) fn import(c: &Cfg, name: String, family: Family) -> Result<ModelSpec> {
    let hidden = c.required(&["hidden_size"])?;
    let heads = c.required(&["num_attention_heads"])?;
    let layers = c.required(&["num_hidden_layers"])?;
    let kv_heads = c.size("num_key_value_heads")?.unwrap_or(heads);
    if heads % kv_heads != 0 {
        return Err(Error::invalid(
            c.path("num_key_value_heads"),
            kv_heads,
            format!("a divisor of num_attention_heads ({heads})"),
        ));
    }
    // CohereAttention: `getattr(config, "head_dim", hidden_size // num_attention_heads)`;
    // Cohere2Config always sets `head_dim = hidden_size // num_attention_heads`.
    let head_dim = match (family, c.size("head_dim")?) {
        (Family::Cohere, Some(d)) => d,
        _ => hidden / heads,
    };
    let attention_bias = c.flag("attention_bias", false)?;
    let sliding_window = if family == Family::Cohere2 {
        cohere2_window(c, layers)?
    } else {
        None
    };
    // Only CohereAttention reads `use_qk_norm`.
    let qk_norm = if family == Family::Cohere && c.flag("use_qk_norm", false)? {
        QkNorm::Full
    } else {
        QkNorm::None
    };
    Ok(ModelSpec {
        name,
        family,
        layers,
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
        tied_embeddings: c.flag("tie_word_embeddings", true)?,
        // CohereLayerNorm: a weight, no bias; input_layernorm per layer and the final norm.
        norm: Norm {
            kind: NormKind::LayerNorm,
            bias: false,
            per_layer: 1,
            final_norm: true,
        },
        qk_norm,
        bias: Bias {
            qkv: attention_bias,
            attn_out: attention_bias,
            mlp: false,
            lm_head: false,
        },
        parallel_residual: true,
        sliding_window,
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

/// `Cohere2Config`: a 4096-token window by default; `layer_types`, else `sliding_window_pattern`
/// (default 4: layer i slides unless `(i + 1) % 4 == 0`).
fn cohere2_window(c: &Cfg, layers: u64) -> Result<Option<SlidingWindow>> {
    let window = match c.m.get("sliding_window") {
        None => Some(4096),
        Some(_) => c.size("sliding_window")?,
    };
    let Some(window) = window else {
        return Ok(None);
    };
    if let Some((local, pattern)) = layer_types(c, layers)? {
        return Ok((local > 0).then_some(SlidingWindow {
            window,
            local_per_pattern: local,
            pattern,
        }));
    }
    let pattern = c.size("sliding_window_pattern")?.unwrap_or(4);
    Ok((pattern > 1).then_some(SlidingWindow {
        window,
        local_per_pattern: pattern - 1,
        pattern,
    }))
}
