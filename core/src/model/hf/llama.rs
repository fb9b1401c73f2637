//! The Llama-like families: rotary positions, RMSNorm, gated MLP, optionally GQA, sliding windows,
//! mixtures of experts (Mixtral, Qwen-MoE, DeepSeek) and latent attention (DeepSeek).

use alloc::format;
use alloc::string::String;

use super::Cfg;
use crate::error::{Echo, Error, Result};
use crate::model::{
    Bias, Dropout, Family, Ffn, Mla, ModelSpec, Moe, Norm, NormKind, QkNorm, SlidingWindow,
};

fn family(model_type: &str) -> Family {
    match model_type {
        "mistral" => Family::Mistral,
        "mixtral" => Family::Mixtral,
        "qwen2" => Family::Qwen2,
        "qwen2_moe" => Family::Qwen2Moe,
        "qwen3" => Family::Qwen3,
        "qwen3_moe" => Family::Qwen3Moe,
        "gemma" => Family::Gemma,
        "gemma2" => Family::Gemma2,
        "gemma3" | "gemma3_text" => Family::Gemma3,
        "phi3" => Family::Phi3,
        "olmo" => Family::Olmo,
        "olmo2" => Family::Olmo2,
        "deepseek_v2" => Family::DeepseekV2,
        "deepseek_v3" => Family::DeepseekV3,
        "granite" => Family::Granite,
        "granitemoe" => Family::Granitemoe,
        "olmoe" => Family::Olmoe,
        "phimoe" => Family::Phimoe,
        "smollm3" => Family::Smollm3,
        "ernie4_5" => Family::Ernie45,
        _ => Family::Llama,
    }
}

/// `num_key_value_heads` when absent: the config class's default (`None` there means `heads`).
fn default_kv_heads(family: Family, heads: u64) -> u64 {
    match family {
        Family::Mistral | Family::Mixtral | Family::Phimoe => 8,
        Family::Qwen2 | Family::Qwen3 => 32,
        Family::Qwen2Moe | Family::Gemma => 16,
        Family::Qwen3Moe | Family::Gemma2 | Family::Gemma3 | Family::Smollm3 => 4,
        Family::Ernie45 => 2,
        _ => heads,
    }
}

/// Reads a config of one of the Llama-like families.
pub(super) fn import(c: &Cfg, name: String) -> Result<ModelSpec> {
    let family = family(c.model_type);
    let hidden = c.required(&["hidden_size"])?;
    let heads = c.required(&["num_attention_heads"])?;
    let layers = c.required(&["num_hidden_layers"])?;
    let mla = mla(c, family)?;
    // MLA has no grouped key/value heads: every head gets its own keys and values from kv_b_proj.
    let kv_heads = match (mla, c.size("num_key_value_heads")?) {
        (Some(_), _) => heads,
        (None, Some(k)) => k,
        (None, None) => default_kv_heads(family, heads),
    };
    if heads % kv_heads != 0 {
        let value = if c.get("num_key_value_heads").is_some() {
            format!("{kv_heads}")
        } else {
            format!(
                "absent, so {kv_heads} (the default of model_type {})",
                c.model_type
            )
        };
        return Err(Error::invalid(
            c.path("num_key_value_heads"),
            value,
            format!("a divisor of num_attention_heads ({heads})"),
        ));
    }
    let head_dim = match mla {
        Some(m) => m.qk_nope_head_dim + m.qk_rope_head_dim,
        None => head_dim(c, family, hidden, heads)?,
    };
    let gemma = matches!(family, Family::Gemma | Family::Gemma2 | Family::Gemma3);
    // GemmaMLP reads `hidden_act`; Gemma2MLP and Gemma3MLP read `hidden_activation`.
    let activation = match family {
        Family::Gemma => c.activation("hidden_act", "gelu_pytorch_tanh")?,
        Family::Gemma2 | Family::Gemma3 => {
            c.activation("hidden_activation", "gelu_pytorch_tanh")?
        }
        _ => c.activation("hidden_act", "silu")?,
    };
    let moe = moe(c, family, layers)?;
    let max_positions = c.required(&["max_position_embeddings"])?;
    Ok(ModelSpec {
        name,
        family,
        layers,
        hidden,
        heads,
        kv_heads,
        head_dim,
        mla,
        ffn: Ffn {
            activation,
            gated: true,
            intermediate: c.required(&["intermediate_size"])?,
        },
        moe,
        vocab: c.required(&["vocab_size"])?,
        learned_positions: 0,
        max_positions,
        // Gemma, SmolLM3 and ERNIE 4.5 tie by default.
        tied_embeddings: c.flag(
            "tie_word_embeddings",
            gemma || matches!(family, Family::Smollm3 | Family::Ernie45),
        )?,
        norm: Norm {
            // OlmoLayerNorm is LayerNorm without weight or bias; Phi-MoE uses nn.LayerNorm.
            kind: match family {
                Family::Olmo => NormKind::None,
                Family::Phimoe => NormKind::LayerNorm,
                _ => NormKind::RmsNorm,
            },
            bias: family == Family::Phimoe,
            // Gemma-2/3 add post_attention and pre/post_feedforward norms to the input norm.
            per_layer: if matches!(family, Family::Gemma2 | Family::Gemma3) {
                4
            } else {
                2
            },
            final_norm: true,
        },
        qk_norm: match family {
            Family::Qwen3 | Family::Qwen3Moe | Family::Gemma3 => QkNorm::PerHead,
            // OlmoeAttention normalises all query heads and all key heads together, as OLMo-2 does.
            Family::Olmo2 | Family::Olmoe => QkNorm::Full,
            _ => QkNorm::None,
        },
        bias: bias(c, family)?,
        parallel_residual: false,
        sliding_window: sliding_window(c, family, layers)?,
        dropout: Dropout {
            embedding: 0.0,
            attention: c.probability("attention_dropout", 0.0)?,
            // Phi3DecoderLayer drops each residual branch with resid_pdrop.
            residual: if family == Family::Phi3 {
                c.probability("resid_pdrop", 0.0)?
            } else {
                0.0
            },
        },
        // Gemma2Config caps by default (30 and 50), Gemma3TextConfig does not; null turns capping off.
        final_logit_softcap: match family {
            Family::Gemma2 => c.softcap("final_logit_softcapping", Some(30.0))?,
            Family::Gemma3 => c.softcap("final_logit_softcapping", None)?,
            _ => None,
        },
        attn_logit_softcap: match family {
            Family::Gemma2 => c.softcap("attn_logit_softcapping", Some(50.0))?,
            Family::Gemma3 => c.softcap("attn_logit_softcapping", None)?,
            _ => None,
        },
        embed_proj_dim: None,
        rotary_dim: None,
        alibi: false,
        source: None,
    })
}

/// `head_dim` if given, else the config class's default (Qwen3 128, Gemma 256), else
/// `hidden_size // num_attention_heads` as the attention modules compute it.
fn head_dim(c: &Cfg, family: Family, hidden: u64, heads: u64) -> Result<u64> {
    if let Some(d) = c.size("head_dim")? {
        return Ok(d);
    }
    match family {
        Family::Qwen3 | Family::Ernie45 => return Ok(128),
        Family::Gemma | Family::Gemma2 | Family::Gemma3 => return Ok(256),
        _ => {}
    }
    if heads > hidden {
        return Err(Error::invalid(
            c.path("num_attention_heads"),
            heads,
            format!("at most hidden_size ({hidden}) when head_dim is not given"),
        ));
    }
    Ok(hidden / heads)
}

/// Which projections carry biases, per family's modeling code.
fn bias(c: &Cfg, family: Family) -> Result<Bias> {
    let (qkv, out, mlp) = match family {
        // Qwen2Attention: q, k and v with bias, o without.
        Family::Qwen2 => (true, false, false),
        Family::Qwen2Moe => (c.flag("qkv_bias", true)?, false, false),
        Family::Mistral | Family::Mixtral | Family::Phi3 => (false, false, false),
        Family::Llama | Family::DeepseekV2 | Family::Granite | Family::Smollm3 => {
            let a = c.flag("attention_bias", false)?;
            (a, a, c.flag("mlp_bias", false)?)
        }
        // Ernie4_5Attention and Ernie4_5MLP: `use_bias` on every projection.
        Family::Ernie45 => {
            let b = c.flag("use_bias", false)?;
            (b, b, b)
        }
        _ => {
            let a = c.flag("attention_bias", false)?;
            (a, a, false)
        }
    };
    Ok(Bias {
        qkv,
        attn_out: out,
        mlp,
        // PhimoeForCausalLM: `lm_head_bias`.
        lm_head: family == Family::Phimoe && c.flag("lm_head_bias", false)?,
    })
}

/// Multi-head latent attention dimensions of DeepSeek-V2/V3.
fn mla(c: &Cfg, family: Family) -> Result<Option<Mla>> {
    if !matches!(family, Family::DeepseekV2 | Family::DeepseekV3) {
        return Ok(None);
    }
    // `q_lora_rank: null` projects queries directly (V2-Lite); absent means the class default 1536.
    let q_lora_rank = match c.m.get("q_lora_rank") {
        None => Some(1536),
        Some(_) => c.size("q_lora_rank")?,
    };
    Ok(Some(Mla {
        q_lora_rank,
        kv_lora_rank: c.required(&["kv_lora_rank"])?,
        qk_nope_head_dim: c.required(&["qk_nope_head_dim"])?,
        qk_rope_head_dim: c.required(&["qk_rope_head_dim"])?,
        v_head_dim: c.required(&["v_head_dim"])?,
    }))
}

/// Mixture-of-experts layers of Mixtral, Phi-MoE, Qwen-MoE, OLMoE, GraniteMoE and DeepSeek.
fn moe(c: &Cfg, family: Family, layers: u64) -> Result<Option<Moe>> {
    let base = |experts, expert_intermediate| Moe {
        experts,
        active: 0,
        expert_intermediate,
        shared_experts: 0,
        shared_intermediate: 0,
        shared_expert_gate: false,
        dense_layers: 0,
        router_bias: false,
        input_jitter: false,
    };
    let mut m = match family {
        // MixtralBlockSparseTop2MLP is as wide as the dense MLP would be.
        Family::Mixtral => base(
            c.required(&["num_local_experts"])?,
            c.required(&["intermediate_size"])?,
        ),
        // PhimoeSparseMoeBlock: Mixtral's layout; `input_jitter_noise` (default 0) scales the
        // input by noise in training.
        Family::Phimoe => {
            let mut m = base(
                c.required(&["num_local_experts"])?,
                c.required(&["intermediate_size"])?,
            );
            m.input_jitter = c.probability("input_jitter_noise", 0.0)? > 0.0;
            m
        }
        // GraniteMoeMoE: every layer sparse, experts as wide as `intermediate_size`.
        Family::Granitemoe => base(
            c.required(&["num_local_experts"])?,
            c.required(&["intermediate_size"])?,
        ),
        // OlmoeSparseMoeBlock: every layer sparse, experts as wide as `intermediate_size`, no
        // shared expert.
        Family::Olmoe => base(
            c.required(&["num_experts"])?,
            c.required(&["intermediate_size"])?,
        ),
        Family::Qwen2Moe | Family::Qwen3Moe => {
            let mut m = base(
                c.required(&["num_experts"])?,
                c.required(&["moe_intermediate_size"])?,
            );
            m.dense_layers = layers - qwen_sparse_layers(c, layers)?;
            // Qwen2MoeSparseMoeBlock always has one shared expert with a sigmoid gate; Qwen3-MoE has none.
            if family == Family::Qwen2Moe {
                m.shared_experts = 1;
                m.shared_intermediate = c.required(&["shared_expert_intermediate_size"])?;
                m.shared_expert_gate = true;
            }
            m
        }
        Family::DeepseekV2 | Family::DeepseekV3 => {
            let per = c.required(&["moe_intermediate_size"])?;
            let mut m = base(c.required(&["n_routed_experts"])?, per);
            // `n_shared_experts: null` means none; absent means the class default.
            m.shared_experts = match c.m.get("n_shared_experts") {
                None if family == Family::DeepseekV2 => 2,
                None => 1,
                Some(_) => c.count("n_shared_experts")?.unwrap_or(0),
            };
            m.shared_intermediate = m.shared_experts * per;
            // Layers before first_k_dense_replace keep the dense MLP (class default V2 0, V3 3).
            let first_dense = c
                .count("first_k_dense_replace")?
                .unwrap_or(if family == Family::DeepseekV2 { 0 } else { 3 });
            m.dense_layers = first_dense.min(layers);
            // DeepseekV3TopkRouter keeps `e_score_correction_bias` per expert.
            m.router_bias = family == Family::DeepseekV3;
            m
        }
        _ => return Ok(None),
    };
    m.active = c.required(&["num_experts_per_tok"])?;
    if m.active > m.experts {
        return Err(Error::invalid(
            c.path("num_experts_per_tok"),
            m.active,
            format!("at most the number of experts ({})", m.experts),
        ));
    }
    Ok(Some(m))
}

/// Qwen2MoeDecoderLayer: a layer is sparse unless listed in `mlp_only_layers`, and when
/// `(index + 1) % decoder_sparse_step == 0`.
fn qwen_sparse_layers(c: &Cfg, layers: u64) -> Result<u64> {
    let step = c.size("decoder_sparse_step")?.unwrap_or(1);
    let mut dense_only = alloc::vec::Vec::new();
    if let Some(v) = c.get("mlp_only_layers") {
        let invalid = || Error::invalid(c.path("mlp_only_layers"), v, "an array of layer indices");
        for i in v.as_array().ok_or_else(invalid)? {
            dense_only.push(i.as_u64().ok_or_else(invalid)?);
        }
    }
    dense_only.sort_unstable();
    dense_only.dedup();
    let skipped = dense_only
        .iter()
        .filter(|&&i| i < layers && (i + 1) % step == 0)
        .count() as u64;
    Ok(layers / step - skipped)
}

/// Which layers use sliding-window attention, per family.
fn sliding_window(c: &Cfg, family: Family, layers: u64) -> Result<Option<SlidingWindow>> {
    let all = |window| SlidingWindow {
        window,
        local_per_pattern: 1,
        pattern: 1,
    };
    let window = |default: Option<u64>| -> Result<Option<u64>> {
        match c.m.get("sliding_window") {
            None => Ok(default),
            Some(_) => c.size("sliding_window"),
        }
    };
    Ok(match family {
        // MistralConfig defaults to a 4096-token window; null turns it off (v0.2 on).
        Family::Mistral => window(Some(4096))?.map(all),
        Family::Mixtral | Family::Phi3 | Family::Phimoe => window(None)?.map(all),
        Family::Qwen2 | Family::Qwen2Moe | Family::Qwen3 | Family::Qwen3Moe => {
            if !c.flag("use_sliding_window", false)? {
                return Ok(None);
            }
            let Some(w) = window(Some(4096))? else {
                return Ok(None);
            };
            if let Some((local, pattern)) = layer_types(c, layers)? {
                return Ok((local > 0).then_some(SlidingWindow {
                    window: w,
                    local_per_pattern: local,
                    pattern,
                }));
            }
            if family == Family::Qwen3Moe {
                Some(all(w))
            } else {
                // Layers from max_window_layers on use the window.
                let full = c.count("max_window_layers")?.unwrap_or(28).min(layers);
                Some(SlidingWindow {
                    window: w,
                    local_per_pattern: layers - full,
                    pattern: layers,
                })
            }
        }
        Family::Smollm3 => {
            // SmolLM3Config: with `use_sliding_window` and a window, the layers without rotary
            // slide (`layer_types` when given).
            if !c.flag("use_sliding_window", false)? {
                return Ok(None);
            }
            let Some(w) = window(None)? else {
                return Ok(None);
            };
            let (local, pattern) = match layer_types(c, layers)? {
                Some(group) => group,
                None => sliding_group(&no_rope_layers(c, layers)?),
            };
            (local > 0).then_some(SlidingWindow {
                window: w,
                local_per_pattern: local,
                pattern,
            })
        }
        Family::Gemma2 | Family::Gemma3 => {
            let Some(w) = window(Some(4096))? else {
                return Ok(None);
            };
            if let Some((local, pattern)) = layer_types(c, layers)? {
                return Ok((local > 0).then_some(SlidingWindow {
                    window: w,
                    local_per_pattern: local,
                    pattern,
                }));
            }
            // Layer i slides when (i + 1) % pattern != 0: Gemma-2 alternates, Gemma-3 has 5 local of 6.
            let pattern = if family == Family::Gemma2 {
                2
            } else {
                c.size("sliding_window_pattern")?.unwrap_or(6)
            };
            Some(SlidingWindow {
                window: w,
                local_per_pattern: pattern - 1,
                pattern,
            })
        }
        _ => None,
    })
}

/// SmolLM3's layers without rotary positions, one flag per layer: `no_rope_layers` (0 for no
/// rotary) when given, else every `no_rope_layer_interval`-th layer (default 4).
fn no_rope_layers(c: &Cfg, layers: u64) -> Result<alloc::vec::Vec<bool>> {
    let Some(v) = c.get("no_rope_layers") else {
        let interval = c.size("no_rope_layer_interval")?.unwrap_or(4);
        return Ok((0..layers).map(|i| (i + 1) % interval == 0).collect());
    };
    let invalid = || {
        Error::invalid(
            c.path("no_rope_layers"),
            v,
            format!("{layers} entries, each 0 or 1"),
        )
    };
    let list = v.as_array().ok_or_else(invalid)?;
    if list.len() as u64 != layers {
        return Err(invalid());
    }
    list.iter()
        .map(|x| match x.as_u64() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(invalid()),
        })
        .collect()
}

/// `layer_types`, when given, as (sliding layers, layers) of the shortest repeating group.
pub(super) fn layer_types(c: &Cfg, layers: u64) -> Result<Option<(u64, u64)>> {
    let Some(v) = c.get("layer_types") else {
        return Ok(None);
    };
    let expected = |given: alloc::string::String| {
        Error::invalid(
            c.path("layer_types"),
            given,
            format!("{layers} entries, each \"sliding_attention\" or \"full_attention\""),
        )
    };
    let Some(list) = v.as_array() else {
        let mut given = alloc::string::String::new();
        v.echo(&mut given);
        return Err(expected(given));
    };
    if list.len() as u64 != layers {
        return Err(expected(format!("a list of {} entries", list.len())));
    }
    let mut sliding = alloc::vec::Vec::with_capacity(list.len());
    for t in list {
        match t.as_str() {
            Some("sliding_attention") => sliding.push(true),
            Some("full_attention") => sliding.push(false),
            _ => {
                let mut given = alloc::string::String::from("a list holding ");
                t.echo(&mut given);
                return Err(expected(given));
            }
        }
    }
    Ok(Some(sliding_group(&sliding)))
}

/// (sliding layers, layers) of the shortest repeating group of sliding layers followed by full
/// ones; for an irregular sequence, (sliding layers, all layers), since the count is what
/// matters for memory.
pub(super) fn sliding_group(sliding: &[bool]) -> (u64, u64) {
    // The shortest period whose group is some sliding layers followed by full ones. The periods
    // of a sequence are its length minus each of its borders, shortest period first along the
    // chain of the prefix function (Knuth, Morris and Pratt 1977), so this is linear in the
    // layers where trying every period would be quadratic.
    let n = sliding.len();
    let mut border = alloc::vec![0usize; n];
    for i in 1..n {
        let mut b = border[i - 1];
        while b > 0 && sliding[i] != sliding[b] {
            b = border[b - 1];
        }
        border[i] = b + usize::from(sliding[i] == sliding[b]);
    }
    // A group of p layers is sliding then full when its leading sliding run and the full run
    // after it cover it.
    let lead = sliding.iter().take_while(|&&s| s).count();
    let full_after = sliding[lead..].iter().take_while(|&&s| !s).count();
    let mut b = border.last().copied().unwrap_or(0);
    loop {
        let p = n - b;
        if p <= lead + full_after {
            return (p.min(lead) as u64, p as u64);
        }
        if b == 0 {
            break;
        }
        b = border[b - 1];
    }
    // Irregular: the count is what matters for memory.
    let local = sliding.iter().filter(|&&s| s).count() as u64;
    (local, n as u64)
}

#[cfg(test)]
mod tests {
    use super::sliding_group;

    /// The definition, trying every period: quadratic, but obviously right.
    fn by_definition(sliding: &[bool]) -> (u64, u64) {
        let n = sliding.len();
        for p in 1..=n {
            let k = sliding[..p].iter().take_while(|&&s| s).count();
            let shape = sliding[k..p].iter().all(|&s| !s);
            if shape && (0..n).all(|i| sliding[i] == sliding[i % p]) {
                return (k as u64, p as u64);
            }
        }
        (sliding.iter().filter(|&&s| s).count() as u64, n as u64)
    }

    #[test]
    fn linear_search_agrees_with_the_definition_on_every_short_sequence() {
        for n in 1..=12u32 {
            for bits in 0..1u32 << n {
                let s: alloc::vec::Vec<bool> = (0..n).map(|i| bits >> i & 1 == 1).collect();
                assert_eq!(sliding_group(&s), by_definition(&s), "{s:?}");
            }
        }
    }
}
