//! BLOOM and Falcon: fused `query_key_value`, LayerNorm with bias, and ALiBi (BLOOM always, Falcon
//! with `alibi: true`) instead of rotary positions.

use alloc::format;
use alloc::string::String;

use super::Cfg;
use crate::error::{Error, Result};
use crate::model::{Bias, Dropout, Family, Ffn, ModelSpec, Norm, NormKind, QkNorm};

/// BLOOM was trained on 2048-token sequences; its config has no position limit (ALiBi).
const BLOOM_CONTEXT: u64 = 2048;

/// `BloomConfig`: `n_layer`, `n_head`, `hidden_size` (or the older `n_embed`); a LayerNorm after the
/// embedding (`word_embeddings_layernorm`), a 4 x hidden GELU MLP, every linear biased, tied head.
pub(super) fn bloom(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.required(&["hidden_size", "n_embed"])?;
    let heads = c.required(&["n_head", "num_attention_heads"])?;
    let hidden_dropout = c.probability("hidden_dropout", 0.0)?;
    Ok(ModelSpec {
        name,
        family: Family::Bloom,
        layers: c.required(&["n_layer", "num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads: heads,
        // BloomAttention raises unless hidden_size is a multiple of n_head.
        head_dim: c.exact_head_dim(hidden, heads, "n_head")?,
        mla: None,
        // BloomMLP: dense_h_to_4h is always 4 x hidden_size; BloomGelu is the tanh approximation.
        ffn: Ffn {
            activation: crate::model::Activation::GeluTanh,
            gated: false,
            intermediate: hidden * 4,
        },
        moe: None,
        vocab: c.required(&["vocab_size"])?,
        learned_positions: 0,
        max_positions: c.size("seq_length")?.unwrap_or(BLOOM_CONTEXT),
        tied_embeddings: c.flag("tie_word_embeddings", true)?,
        // input_layernorm and post_attention_layernorm per block, ln_f; word_embeddings_layernorm
        // is counted by the family (see `ModelSpec::parameters`).
        norm: Norm {
            kind: NormKind::LayerNorm,
            bias: true,
            per_layer: 2,
            final_norm: true,
        },
        qk_norm: QkNorm::None,
        bias: Bias {
            qkv: true,
            attn_out: true,
            mlp: true,
            lm_head: false,
        },
        parallel_residual: false,
        sliding_window: None,
        dropout: Dropout {
            embedding: 0.0,
            attention: c.probability("attention_dropout", 0.0)?,
            residual: hidden_dropout,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        rotary_dim: None,
        alibi: true,
        source: None,
    })
}

/// `FalconConfig`: the RW layout (`new_decoder_architecture: false`; Falcon-7B, Falcon-RW) with one
/// shared key/value head under `multi_query` and one LayerNorm under `parallel_attn`, or the
/// Falcon-40B/180B layout with `num_kv_heads` key/value groups and two LayerNorms (`ln_attn`,
/// `ln_mlp`); rotary positions unless `alibi`; `bias` on every linear but the head.
pub(super) fn falcon(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.required(&["hidden_size", "n_embed"])?;
    let heads = c.required(&["num_attention_heads", "n_head"])?;
    let new_arch = c.flag("new_decoder_architecture", false)?;
    let parallel = c.flag("parallel_attn", true)?;
    let bias = c.flag("bias", false)?;
    // FalconAttention: grouped key/value heads in the new layout, one under multi_query, else as
    // many as query heads (its fused projection is then 3 x hidden_size).
    let kv_heads = if new_arch {
        let kv = c.size("num_kv_heads")?.unwrap_or(heads);
        if heads % kv != 0 {
            return Err(Error::invalid(
                c.path("num_kv_heads"),
                kv,
                format!("a divisor of num_attention_heads ({heads})"),
            ));
        }
        kv
    } else if c.flag("multi_query", true)? {
        1
    } else {
        heads
    };
    // FalconDecoderLayer: under `parallel_attn`, `num_ln_in_parallel_attn` LayerNorms (default 2
    // in the new layout, one in RW's; Falcon2-11B sets 1), else two in sequence.
    let per_layer = if parallel {
        let default = if new_arch { 2 } else { 1 };
        match c.count("num_ln_in_parallel_attn")?.unwrap_or(default) {
            2 => 2,
            _ => 1,
        }
    } else {
        2
    };
    Ok(ModelSpec {
        name,
        family: Family::Falcon,
        layers: c.required(&["num_hidden_layers", "n_layer"])?,
        hidden,
        heads,
        kv_heads,
        head_dim: c.exact_head_dim(hidden, heads, "num_attention_heads")?,
        mla: None,
        ffn: Ffn {
            activation: c.activation("activation", "gelu")?,
            gated: false,
            intermediate: c.size("ffn_hidden_size")?.unwrap_or(hidden * 4),
        },
        moe: None,
        vocab: c.required(&["vocab_size"])?,
        learned_positions: 0,
        max_positions: c.size("max_position_embeddings")?.unwrap_or(2048),
        tied_embeddings: c.flag("tie_word_embeddings", true)?,
        norm: Norm {
            kind: NormKind::LayerNorm,
            bias: true,
            per_layer,
            final_norm: true,
        },
        qk_norm: QkNorm::None,
        bias: Bias {
            qkv: bias,
            attn_out: bias,
            mlp: bias,
            lm_head: false,
        },
        // Both branches read the block input in the new layout, and under `parallel_attn`.
        parallel_residual: new_arch || parallel,
        sliding_window: None,
        dropout: Dropout {
            embedding: 0.0,
            attention: c.probability("attention_dropout", 0.0)?,
            residual: c.probability("hidden_dropout", 0.0)?,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        rotary_dim: None,
        alibi: c.flag("alibi", false)?,
        source: None,
    })
}
