//! GPT-2, GPT-BigCode (StarCoder 1, SantaCoder), GPT-NeoX (Pythia), OPT, Phi (1, 1.5, 2) and
//! StarCoder2: learned or rotary positions, LayerNorm, biased linears.

use alloc::format;
use alloc::string::String;

use super::Cfg;
use crate::error::{Error, Result};
use crate::model::{Bias, Dropout, Family, Ffn, ModelSpec, Norm, NormKind, QkNorm, SlidingWindow};

/// `GPT2Config`: `n_embd`, `n_layer`, `n_head`, `n_positions`, `n_inner` (null: 4 x `n_embd`).
pub(super) fn gpt2(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.required(&["n_embd", "hidden_size"])?;
    let heads = c.required(&["n_head", "num_attention_heads"])?;
    let positions = c.required(&["n_positions", "max_position_embeddings"])?;
    let intermediate = match c.size("n_inner")? {
        Some(n) => n,
        None => hidden * 4,
    };
    Ok(ModelSpec {
        name,
        family: Family::Gpt2,
        layers: c.required(&["n_layer", "num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads: heads,
        // GPT2Attention raises unless n_embd is a multiple of n_head.
        head_dim: c.exact_head_dim(hidden, heads, "n_head")?,
        mla: None,
        ffn: Ffn {
            activation: c.activation("activation_function", "gelu_new")?,
            gated: false,
            intermediate,
        },
        moe: None,
        vocab: c.required(&["vocab_size"])?,
        learned_positions: positions,
        max_positions: positions,
        tied_embeddings: c.flag("tie_word_embeddings", true)?,
        norm: Norm {
            kind: NormKind::LayerNorm,
            bias: true,
            per_layer: 2,
            final_norm: true,
        },
        qk_norm: QkNorm::None,
        // Conv1D always carries a bias.
        bias: Bias {
            qkv: true,
            attn_out: true,
            mlp: true,
            lm_head: false,
        },
        parallel_residual: false,
        sliding_window: None,
        dropout: Dropout {
            embedding: c.probability("embd_pdrop", 0.1)?,
            attention: c.probability("attn_pdrop", 0.1)?,
            residual: c.probability("resid_pdrop", 0.1)?,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        rotary_dim: None,
        alibi: false,
        source: None,
    })
}

/// `GPTNeoXConfig` (Pythia): fused `query_key_value`, parallel residual, untied `embed_out`.
pub(super) fn neox(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.required(&["hidden_size"])?;
    let heads = c.required(&["num_attention_heads"])?;
    let attention_bias = c.flag("attention_bias", true)?;
    Ok(ModelSpec {
        name,
        family: Family::GptNeox,
        layers: c.required(&["num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads: heads,
        head_dim: c.exact_head_dim(hidden, heads, "num_attention_heads")?,
        mla: None,
        ffn: Ffn {
            activation: c.activation("hidden_act", "gelu")?,
            gated: false,
            intermediate: c.required(&["intermediate_size"])?,
        },
        moe: None,
        vocab: c.required(&["vocab_size"])?,
        learned_positions: 0,
        max_positions: c.required(&["max_position_embeddings"])?,
        tied_embeddings: c.flag("tie_word_embeddings", false)?,
        norm: Norm {
            kind: NormKind::LayerNorm,
            bias: true,
            per_layer: 2,
            final_norm: true,
        },
        qk_norm: QkNorm::None,
        bias: Bias {
            qkv: attention_bias,
            attn_out: attention_bias,
            mlp: true,
            lm_head: false,
        },
        parallel_residual: c.flag("use_parallel_residual", true)?,
        sliding_window: None,
        // GPTNeoXModel.emb_dropout and the two post-branch dropouts all use hidden_dropout.
        dropout: Dropout {
            embedding: c.probability("hidden_dropout", 0.0)?,
            attention: c.probability("attention_dropout", 0.0)?,
            residual: c.probability("hidden_dropout", 0.0)?,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        rotary_dim: None,
        alibi: false,
        source: None,
    })
}

/// `OPTConfig`: learned positions with an offset of 2, optional `word_embed_proj_dim` projections.
pub(super) fn opt(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.required(&["hidden_size"])?;
    let heads = c.required(&["num_attention_heads"])?;
    let max_positions = c.required(&["max_position_embeddings"])?;
    let bias = c.flag("enable_bias", true)?;
    let projection = c.size("word_embed_proj_dim")?.filter(|&p| p != hidden);
    let affine = c.flag("layer_norm_elementwise_affine", true)?;
    Ok(ModelSpec {
        name,
        family: Family::Opt,
        layers: c.required(&["num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads: heads,
        head_dim: c.exact_head_dim(hidden, heads, "num_attention_heads")?,
        mla: None,
        ffn: Ffn {
            activation: c.activation("activation_function", "relu")?,
            gated: false,
            intermediate: c.required(&["ffn_dim"])?,
        },
        moe: None,
        vocab: c.required(&["vocab_size"])?,
        // OPTLearnedPositionalEmbedding keeps two extra rows (its `offset`).
        learned_positions: max_positions + 2,
        max_positions,
        tied_embeddings: c.flag("tie_word_embeddings", true)?,
        norm: Norm {
            kind: if affine {
                NormKind::LayerNorm
            } else {
                NormKind::None
            },
            bias: affine,
            per_layer: 2,
            // OPTDecoder keeps a final LayerNorm only for pre-norm layers (OPT-350m has none).
            final_norm: c.flag("do_layer_norm_before", true)?
                && !c.flag("_remove_final_layer_norm", false)?,
        },
        qk_norm: QkNorm::None,
        bias: Bias {
            qkv: bias,
            attn_out: bias,
            mlp: bias,
            lm_head: false,
        },
        parallel_residual: false,
        sliding_window: None,
        // OPT applies `dropout` after attention and after fc2, none to the embeddings.
        dropout: Dropout {
            embedding: 0.0,
            attention: c.probability("attention_dropout", 0.0)?,
            residual: c.probability("dropout", 0.1)?,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: projection,
        rotary_dim: None,
        alibi: false,
        source: None,
    })
}

/// `PhiConfig` (Phi-1, Phi-1.5, Phi-2): one LayerNorm feeding attention and MLP in parallel
/// (`attn_outputs + feed_forward_hidden_states + residual`), partial rotary, biased `lm_head`.
pub(super) fn phi(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.required(&["hidden_size"])?;
    let heads = c.required(&["num_attention_heads"])?;
    let kv_heads = c.size("num_key_value_heads")?.unwrap_or(heads);
    // PhiAttention: `getattr(config, "head_dim", hidden_size // num_attention_heads)`.
    let head_dim = match c.size("head_dim")? {
        Some(d) => d,
        None => c.exact_head_dim(hidden, heads, "num_attention_heads")?,
    };
    if heads % kv_heads != 0 {
        return Err(Error::invalid(
            c.path("num_key_value_heads"),
            kv_heads,
            format!("a divisor of num_attention_heads ({heads})"),
        ));
    }
    let residual = c.probability("resid_pdrop", 0.0)?;
    Ok(ModelSpec {
        name,
        family: Family::Phi,
        layers: c.required(&["num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads,
        head_dim,
        mla: None,
        ffn: Ffn {
            activation: c.activation("hidden_act", "gelu_new")?,
            gated: false,
            intermediate: c.required(&["intermediate_size"])?,
        },
        moe: None,
        vocab: c.required(&["vocab_size"])?,
        learned_positions: 0,
        max_positions: c.required(&["max_position_embeddings"])?,
        tied_embeddings: c.flag("tie_word_embeddings", false)?,
        // PhiDecoderLayer.input_layernorm and PhiModel.final_layernorm.
        norm: Norm {
            kind: NormKind::LayerNorm,
            bias: true,
            per_layer: 1,
            final_norm: true,
        },
        qk_norm: if c.flag("qk_layernorm", false)? {
            QkNorm::PerHead
        } else {
            QkNorm::None
        },
        // PhiForCausalLM.lm_head is `nn.Linear(hidden_size, vocab_size, bias=True)`.
        bias: Bias {
            qkv: true,
            attn_out: true,
            mlp: true,
            lm_head: true,
        },
        parallel_residual: true,
        sliding_window: None,
        dropout: Dropout {
            embedding: c.probability("embd_pdrop", 0.0)?,
            attention: c.probability("attention_dropout", 0.0)?,
            residual,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        rotary_dim: None,
        alibi: false,
        source: None,
    })
}

/// `Starcoder2Config`: Llama-style attention with grouped key/value heads and an optional window on
/// every layer, LayerNorm with bias, a plain `c_fc`/`c_proj` MLP, `use_bias` on every projection.
pub(super) fn starcoder2(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.required(&["hidden_size"])?;
    let heads = c.required(&["num_attention_heads"])?;
    // Starcoder2Config.num_key_value_heads defaults to 2.
    let kv_heads = c.size("num_key_value_heads")?.unwrap_or(2);
    if heads % kv_heads != 0 {
        return Err(Error::invalid(
            c.path("num_key_value_heads"),
            kv_heads,
            format!("a divisor of num_attention_heads ({heads})"),
        ));
    }
    let bias = c.flag("use_bias", true)?;
    Ok(ModelSpec {
        name,
        family: Family::Starcoder2,
        layers: c.required(&["num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads,
        // Starcoder2Attention: `hidden_size // num_attention_heads`.
        head_dim: c.exact_head_dim(hidden, heads, "num_attention_heads")?,
        mla: None,
        ffn: Ffn {
            activation: c.activation("hidden_act", "gelu_pytorch_tanh")?,
            gated: false,
            intermediate: c.required(&["intermediate_size"])?,
        },
        moe: None,
        vocab: c.required(&["vocab_size"])?,
        learned_positions: 0,
        max_positions: c.required(&["max_position_embeddings"])?,
        tied_embeddings: c.flag("tie_word_embeddings", true)?,
        norm: Norm {
            kind: NormKind::LayerNorm,
            bias: true,
            per_layer: 2,
            final_norm: true,
        },
        qk_norm: QkNorm::None,
        bias: Bias {
            qkv: bias,
            attn_out: bias,
            mlp: bias,
            lm_head: false,
        },
        parallel_residual: false,
        // `sliding_window` (default null) applies to every layer.
        sliding_window: c.size("sliding_window")?.map(|window| SlidingWindow {
            window,
            local_per_pattern: 1,
            pattern: 1,
        }),
        dropout: Dropout {
            embedding: c.probability("embedding_dropout", 0.0)?,
            attention: c.probability("attention_dropout", 0.0)?,
            residual: c.probability("residual_dropout", 0.0)?,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        rotary_dim: None,
        alibi: false,
        source: None,
    })
}

/// `GPTBigCodeConfig` (StarCoder, SantaCoder): GPT-2's names, shapes and learned positions, with
/// one shared key/value head when `multi_query` (the default) and `gelu_pytorch_tanh` as the
/// activation's default.
pub(super) fn gpt_bigcode(c: &Cfg, name: String) -> Result<ModelSpec> {
    let mut spec = gpt2(c, name)?;
    spec.family = Family::GptBigcode;
    if c.flag("multi_query", true)? {
        // GPTBigCodeAttention: `embed_dim // num_heads` per head, one key/value head.
        spec.kv_heads = 1;
    }
    spec.ffn.activation = c.activation("activation_function", "gelu_pytorch_tanh")?;
    Ok(spec)
}

/// `StableLmConfig` (StableLM-3B-4E1T, StableLM-2): LayerNorm with bias, partial rotary, a gated
/// MLP without biases, optional `use_qkv_bias`, `use_parallel_residual` (one LayerNorm feeding both
/// branches) and `qk_layernorm` (a bias-free LayerNorm per head).
pub(super) fn stablelm(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.required(&["hidden_size"])?;
    let heads = c.required(&["num_attention_heads"])?;
    // StableLmConfig.num_key_value_heads defaults to 32.
    let kv_heads = c.size("num_key_value_heads")?.unwrap_or(32);
    if heads % kv_heads != 0 {
        return Err(Error::invalid(
            c.path("num_key_value_heads"),
            kv_heads,
            format!("a divisor of num_attention_heads ({heads})"),
        ));
    }
    let parallel = c.flag("use_parallel_residual", false)?;
    Ok(ModelSpec {
        name,
        family: Family::Stablelm,
        layers: c.required(&["num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads,
        // StableLmAttention raises unless hidden_size is a multiple of num_attention_heads.
        head_dim: c.exact_head_dim(hidden, heads, "num_attention_heads")?,
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
        // StableLmDecoderLayer drops post_attention_layernorm under the parallel residual.
        norm: Norm {
            kind: NormKind::LayerNorm,
            bias: true,
            per_layer: if parallel { 1 } else { 2 },
            final_norm: true,
        },
        qk_norm: if c.flag("qk_layernorm", false)? {
            QkNorm::Full
        } else {
            QkNorm::None
        },
        bias: Bias {
            qkv: c.flag("use_qkv_bias", false)?,
            attn_out: false,
            mlp: false,
            lm_head: false,
        },
        parallel_residual: parallel,
        sliding_window: None,
        // `hidden_dropout` follows the MLP only (StableLmDecoderLayer.dropout).
        dropout: Dropout {
            embedding: 0.0,
            attention: c.probability("attention_dropout", 0.0)?,
            residual: c.probability("hidden_dropout", 0.0)?,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        rotary_dim: None,
        alibi: false,
        source: None,
    })
}

/// `GPTJConfig`: GPT-2's field names, one LayerNorm feeding attention and MLP in parallel, rotary
/// on the first `rotary_dim` channels of each head, bias-free attention projections, an untied
/// `lm_head` with a bias.
pub(super) fn gptj(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.required(&["n_embd", "hidden_size"])?;
    let heads = c.required(&["n_head", "num_attention_heads"])?;
    // GPTJAttention raises unless n_embd is a multiple of n_head.
    let head_dim = c.exact_head_dim(hidden, heads, "n_head")?;
    let intermediate = match c.size("n_inner")? {
        Some(n) => n,
        None => hidden * 4,
    };
    Ok(ModelSpec {
        name,
        family: Family::Gptj,
        layers: c.required(&["n_layer", "num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads: heads,
        head_dim,
        mla: None,
        ffn: Ffn {
            activation: c.activation("activation_function", "gelu_new")?,
            gated: false,
            intermediate,
        },
        moe: None,
        vocab: c.required(&["vocab_size"])?,
        learned_positions: 0,
        max_positions: c.required(&["n_positions", "max_position_embeddings"])?,
        tied_embeddings: c.flag("tie_word_embeddings", false)?,
        norm: Norm {
            kind: NormKind::LayerNorm,
            bias: true,
            per_layer: 1,
            final_norm: true,
        },
        qk_norm: QkNorm::None,
        // GPTJForCausalLM.lm_head is `nn.Linear(n_embd, vocab_size)`, biased.
        bias: Bias {
            qkv: false,
            attn_out: false,
            mlp: true,
            lm_head: true,
        },
        parallel_residual: true,
        sliding_window: None,
        dropout: Dropout {
            embedding: c.probability("embd_pdrop", 0.0)?,
            attention: c.probability("attn_pdrop", 0.0)?,
            residual: c.probability("resid_pdrop", 0.0)?,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        // GPTJConfig.rotary_dim defaults to 64; null rotates whole heads.
        alibi: false,
        rotary_dim: Some(match c.m.get("rotary_dim") {
            None => 64,
            Some(_) => c.size("rotary_dim")?.unwrap_or(head_dim),
        }),
        source: None,
    })
}
