//! Llama 4's text decoder (`Llama4TextConfig`, `Llama4TextDecoderLayer`): dense layers and
//! mixture-of-experts layers interleaved, chunked attention with rotary positions on most layers
//! and global attention without them on the rest.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::llama::sliding_group;
use super::Cfg;
use crate::error::{Error, Result};
use crate::model::{
    Bias, Dropout, Family, Ffn, ModelSpec, Moe, Norm, NormKind, QkNorm, SlidingWindow,
};

/// Reads a `llama4_text` config (or the `text_config` of a `llama4` one).
///
/// Per `Llama4TextConfig` in transformers 5.23.0: dense layers are `Llama4TextMLP`s of
/// `intermediate_size_mlp`; the layers in `moe_layers` (by default every
/// `interleave_moe_layer_step`-th, counted from the step's last layer) are `Llama4TextMoe`s:
/// a router `Linear(hidden, num_local_experts)`, `num_experts_per_tok` experts kept as the 3-D
/// parameters `gate_up_proj` and `down_proj` of width `intermediate_size`, and one
/// `shared_expert` MLP of the same width. Layer `i` uses rotary positions when
/// `no_rope_layers[i]` is 1 (by default all but every `no_rope_layer_interval`-th); those layers
/// attend within chunks of `attention_chunk_size` tokens (`layer_types`: `chunked_attention`),
/// and with `use_qk_norm` normalise each query and key head without weights. Chunked attention
/// is described as a window of `attention_chunk_size` tokens on those layers: transformers keeps
/// the same cache for both (`DynamicSlidingWindowLayer`, "sliding and chunked are the same in how
/// they should behave, only the mask differs" in `cache_utils.py`) and SDPA needs a mask on them
/// once the sequence is longer than the chunk. Class defaults: 8 key/value heads, `head_dim`
/// 128, `attention_bias` false (transformers 4.57.6 ignores the field and never adds biases).
pub(super) fn import(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.required(&["hidden_size"])?;
    let heads = c.required(&["num_attention_heads"])?;
    let layers = c.required(&["num_hidden_layers"])?;
    let kv_heads = c.size("num_key_value_heads")?.unwrap_or(8);
    if heads % kv_heads != 0 {
        return Err(Error::invalid(
            c.path("num_key_value_heads"),
            kv_heads,
            format!("a divisor of num_attention_heads ({heads})"),
        ));
    }
    let head_dim = c.size("head_dim")?.unwrap_or(128);
    let experts = c.required(&["num_local_experts"])?;
    let active = c.size("num_experts_per_tok")?.unwrap_or(1);
    if active > experts {
        return Err(Error::invalid(
            c.path("num_experts_per_tok"),
            active,
            format!("at most num_local_experts ({experts})"),
        ));
    }
    let expert_intermediate = c.required(&["intermediate_size"])?;
    let moe_layers = moe_layers(c, layers)?;
    let rope = rope_layers(c, layers)?;
    let chunked = chunked_layers(c, &rope)?;
    let sliding_window = if chunked.iter().any(|&x| x) {
        // `create_chunked_causal_mask` raises without a chunk size.
        let window = match c.m.get("attention_chunk_size") {
            None => 8192,
            Some(v) => c.size("attention_chunk_size")?.ok_or_else(|| {
                Error::invalid(
                    c.path("attention_chunk_size"),
                    v,
                    "a positive integer when some layers attend in chunks",
                )
            })?,
        };
        let (local, pattern) = sliding_group(&chunked);
        Some(SlidingWindow {
            window,
            local_per_pattern: local,
            pattern,
        })
    } else {
        None
    };
    let attention_bias = c.flag("attention_bias", false)?;
    Ok(ModelSpec {
        name,
        family: Family::Llama4,
        layers,
        hidden,
        heads,
        kv_heads,
        head_dim,
        mla: None,
        ffn: Ffn {
            activation: c.activation("hidden_act", "silu")?,
            gated: true,
            intermediate: c.required(&["intermediate_size_mlp"])?,
        },
        moe: (moe_layers > 0).then_some(Moe {
            experts,
            active,
            expert_intermediate,
            shared_experts: 1,
            shared_intermediate: expert_intermediate,
            shared_expert_gate: false,
            dense_layers: layers - moe_layers,
            router_bias: false,
            input_jitter: false,
        }),
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
        qk_norm: if c.flag("use_qk_norm", true)? && rope.iter().any(|&r| r) {
            QkNorm::L2
        } else {
            QkNorm::None
        },
        bias: Bias {
            qkv: attention_bias,
            attn_out: attention_bias,
            mlp: false,
            lm_head: false,
        },
        parallel_residual: false,
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

/// A list of layer indices or flags, as integers.
fn integers(c: &Cfg, key: &str, what: &str) -> Result<Option<Vec<u64>>> {
    let Some(v) = c.get(key) else {
        return Ok(None);
    };
    let invalid = || Error::invalid(c.path(key), v, what);
    let list = v.as_array().ok_or_else(invalid)?;
    list.iter()
        .map(|x| x.as_u64().ok_or_else(invalid))
        .collect::<Result<Vec<u64>>>()
        .map(Some)
}

/// How many layers are mixtures of experts: the distinct indices below `num_hidden_layers` in
/// `moe_layers`, else `range(step - 1, layers, step)` for `interleave_moe_layer_step`.
fn moe_layers(c: &Cfg, layers: u64) -> Result<u64> {
    if let Some(mut list) = integers(c, "moe_layers", "an array of layer indices")? {
        list.sort_unstable();
        list.dedup();
        return Ok(list.iter().filter(|&&i| i < layers).count() as u64);
    }
    let step = c.size("interleave_moe_layer_step")?.unwrap_or(1);
    Ok((layers + 1).saturating_sub(step).div_ceil(step))
}

/// Which layers use rotary positions: `no_rope_layers` (1 for rotary) when given and not
/// empty, else all but every `no_rope_layer_interval`-th layer (default 4).
fn rope_layers(c: &Cfg, layers: u64) -> Result<Vec<bool>> {
    let what = format!("{layers} entries, each 0 or 1");
    if let (Some(v), Some(list)) = (
        c.get("no_rope_layers"),
        integers(c, "no_rope_layers", &what)?,
    ) {
        if !list.is_empty() {
            if list.len() as u64 != layers || list.iter().any(|&x| x > 1) {
                return Err(Error::invalid(c.path("no_rope_layers"), v, what));
            }
            return Ok(list.iter().map(|&x| x == 1).collect());
        }
    }
    let interval = c.size("no_rope_layer_interval")?.unwrap_or(4);
    Ok((0..layers).map(|i| (i + 1) % interval != 0).collect())
}

/// Which layers attend in chunks: `layer_types` when given (`chunked_attention` or
/// `full_attention`), else the layers with rotary positions, as `Llama4TextConfig` derives them.
/// The block programs tie chunking to rotary (as every published config does), so a
/// `layer_types` that chunks other layers is refused.
fn chunked_layers(c: &Cfg, rope: &[bool]) -> Result<Vec<bool>> {
    let Some(v) = c.get("layer_types") else {
        return Ok(rope.to_vec());
    };
    let expected = format!(
        "{} entries, \"chunked_attention\" exactly where no_rope_layers is 1 and \
         \"full_attention\" elsewhere",
        rope.len()
    );
    let invalid = || Error::invalid(c.path("layer_types"), v, &expected);
    let list = v.as_array().ok_or_else(invalid)?;
    if list.len() != rope.len() {
        return Err(invalid());
    }
    let mut chunked = Vec::with_capacity(list.len());
    for (t, &r) in list.iter().zip(rope) {
        let is_chunked = match t.as_str() {
            Some("chunked_attention") => true,
            Some("full_attention") => false,
            _ => return Err(invalid()),
        };
        if is_chunked != r {
            return Err(invalid());
        }
        chunked.push(is_chunked);
    }
    Ok(chunked)
}
