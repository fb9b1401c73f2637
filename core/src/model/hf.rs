//! Import of a Hugging Face `config.json`.
//!
//! Field names and defaults follow each family's `configuration_<family>.py` in transformers 5.

use alloc::format;
use alloc::string::{String, ToString};

use serde_json::{Map, Value};

use super::{
    Activation, Bias, Dropout, Family, Ffn, Mla, ModelSpec, Moe, Norm, NormKind, QkNorm,
    SlidingWindow,
};
use crate::error::{Error, ErrorKind, Result};

/// Largest size any config field may hold: products of three such sizes stay within 64 bits.
pub const MAX_DIM: u64 = 1 << 31;

/// The `model_type` values the importer reads.
pub const SUPPORTED: &[&str] = &[
    "gpt2",
    "gpt_neox",
    "opt",
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen2_moe",
    "qwen3",
    "qwen3_moe",
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3_text",
    "phi3",
    "olmo",
    "olmo2",
    "deepseek_v2",
    "deepseek_v3",
];

/// Reads a model description from the text of a Hugging Face `config.json`.
///
/// # Errors
/// `Json` for text that is not JSON, `UnsupportedModelType` for an unknown `model_type`,
/// `MissingField` or `InvalidField` naming the field.
pub fn from_hf_config(text: &str) -> Result<ModelSpec> {
    let value: Value = serde_json::from_str(text).map_err(|e| Error::json("config.json", e))?;
    from_hf_value(&value)
}

struct Cfg<'a> {
    m: &'a Map<String, Value>,
    model_type: &'a str,
}

impl Cfg<'_> {
    fn context(&self) -> String {
        format!("config.json (model_type {})", self.model_type)
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if n <= MAX_DIM => Ok(Some(n)),
                _ => Err(Error::invalid(
                    key,
                    v,
                    "a non-negative integer of at most 2^31",
                )),
            },
        }
    }

    fn u64_any(&self, keys: &[&str]) -> Result<u64> {
        for k in keys {
            if let Some(v) = self.opt_u64(k)? {
                if v == 0 {
                    return Err(Error::invalid(*k, v, "an integer of at least 1"));
                }
                return Ok(v);
            }
        }
        Err(Error::missing(keys[0], self.context()))
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(Error::invalid(key, v, "true or false")),
        }
    }

    fn f64_or(&self, key: &str, default: f64) -> Result<f64> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| Error::invalid(key, v, "a number")),
        }
    }

    fn str_or<'b>(&'b self, key: &str, default: &'b str) -> Result<&'b str> {
        match self.m.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::String(s)) => Ok(s.as_str()),
            Some(v) => Err(Error::invalid(key, v, "a string")),
        }
    }
}

fn activation(name: &str, key: &str) -> Result<Activation> {
    Ok(match name {
        "silu" | "swish" => Activation::Silu,
        "gelu" => Activation::Gelu,
        "gelu_new" | "gelu_fast" => Activation::GeluNew,
        "gelu_pytorch_tanh" => Activation::GeluTanh,
        "relu" => Activation::Relu,
        other => {
            return Err(Error::invalid(
                key,
                format!("\"{other}\""),
                "one of silu, swish, gelu, gelu_new, gelu_pytorch_tanh, relu",
            ))
        }
    })
}

/// As [`from_hf_config`], from an already parsed JSON value.
///
/// # Errors
/// As [`from_hf_config`].
pub fn from_hf_value(value: &Value) -> Result<ModelSpec> {
    let Some(root) = value.as_object() else {
        return Err(Error::json("config.json", "expected a JSON object"));
    };
    let model_type = match root.get("model_type") {
        Some(Value::String(s)) => s.as_str(),
        Some(v) => return Err(Error::invalid("model_type", v, "a string")),
        None => return Err(Error::missing("model_type", "config.json")),
    };
    // Gemma 3 multimodal checkpoints nest the language model under `text_config`.
    if model_type == "gemma3" {
        if let Some(text) = root.get("text_config").and_then(Value::as_object) {
            let mut inner = text.clone();
            inner.insert("model_type".into(), Value::String("gemma3_text".into()));
            if let Some(n) = root.get("_name_or_path") {
                inner.entry("_name_or_path").or_insert(n.clone());
            }
            return from_hf_value(&Value::Object(inner));
        }
    }
    let c = Cfg {
        m: root,
        model_type,
    };
    let family = match model_type {
        "gpt2" => Family::Gpt2,
        "gpt_neox" => Family::GptNeox,
        "opt" => Family::Opt,
        "llama" => Family::Llama,
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
        other => {
            return Err(Error::new(ErrorKind::UnsupportedModelType {
                model_type: other.into(),
                supported: SUPPORTED.join(", "),
            }))
        }
    };
    let name = c.str_or("_name_or_path", model_type)?.to_string();
    let name = if name.is_empty() {
        model_type.to_string()
    } else {
        name
    };
    match family {
        Family::Gpt2 => gpt2(&c, name),
        Family::GptNeox => neox(&c, name),
        Family::Opt => opt(&c, name),
        _ => llama_like(&c, family, name),
    }
}

fn gpt2(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.u64_any(&["n_embd", "hidden_size"])?;
    let heads = c.u64_any(&["n_head", "num_attention_heads"])?;
    let positions = c.u64_any(&["n_positions", "max_position_embeddings"])?;
    let intermediate = c.opt_u64("n_inner")?.unwrap_or(hidden.saturating_mul(4));
    Ok(ModelSpec {
        name,
        family: Family::Gpt2,
        layers: c.u64_any(&["n_layer", "num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads: heads,
        head_dim: divide(hidden, heads, "n_head")?,
        mla: None,
        ffn: Ffn {
            activation: activation(
                c.str_or("activation_function", "gelu_new")?,
                "activation_function",
            )?,
            gated: false,
            intermediate,
        },
        moe: None,
        vocab: c.u64_any(&["vocab_size"])?,
        learned_positions: positions,
        max_positions: positions,
        tied_embeddings: c.bool_or("tie_word_embeddings", true)?,
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
            embedding: c.f64_or("embd_pdrop", 0.1)?,
            attention: c.f64_or("attn_pdrop", 0.1)?,
            residual: c.f64_or("resid_pdrop", 0.1)?,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        source: None,
    })
}

fn neox(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.u64_any(&["hidden_size"])?;
    let heads = c.u64_any(&["num_attention_heads"])?;
    let bias = c.bool_or("attention_bias", true)?;
    Ok(ModelSpec {
        name,
        family: Family::GptNeox,
        layers: c.u64_any(&["num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads: heads,
        head_dim: divide(hidden, heads, "num_attention_heads")?,
        mla: None,
        ffn: Ffn {
            activation: activation(c.str_or("hidden_act", "gelu")?, "hidden_act")?,
            gated: false,
            intermediate: c.u64_any(&["intermediate_size"])?,
        },
        moe: None,
        vocab: c.u64_any(&["vocab_size"])?,
        learned_positions: 0,
        max_positions: c.u64_any(&["max_position_embeddings"])?,
        tied_embeddings: c.bool_or("tie_word_embeddings", false)?,
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
            mlp: true,
            lm_head: false,
        },
        parallel_residual: c.bool_or("use_parallel_residual", true)?,
        sliding_window: None,
        dropout: Dropout {
            embedding: c.f64_or("hidden_dropout", 0.0)?,
            attention: c.f64_or("attention_dropout", 0.0)?,
            residual: c.f64_or("hidden_dropout", 0.0)?,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: None,
        source: None,
    })
}

fn opt(c: &Cfg, name: String) -> Result<ModelSpec> {
    let hidden = c.u64_any(&["hidden_size"])?;
    let heads = c.u64_any(&["num_attention_heads"])?;
    let max_pos = c.u64_any(&["max_position_embeddings"])?;
    let bias = c.bool_or("enable_bias", true)?;
    let proj = c.opt_u64("word_embed_proj_dim")?.filter(|&p| p != hidden);
    Ok(ModelSpec {
        name,
        family: Family::Opt,
        layers: c.u64_any(&["num_hidden_layers"])?,
        hidden,
        heads,
        kv_heads: heads,
        head_dim: divide(hidden, heads, "num_attention_heads")?,
        mla: None,
        ffn: Ffn {
            activation: activation(
                c.str_or("activation_function", "relu")?,
                "activation_function",
            )?,
            gated: false,
            intermediate: c.u64_any(&["ffn_dim"])?,
        },
        moe: None,
        vocab: c.u64_any(&["vocab_size"])?,
        // OPTLearnedPositionalEmbedding keeps an offset of 2 rows.
        learned_positions: max_pos.saturating_add(2),
        max_positions: max_pos,
        tied_embeddings: c.bool_or("tie_word_embeddings", true)?,
        norm: Norm {
            kind: NormKind::LayerNorm,
            bias: true,
            per_layer: 2,
            // OPTDecoder has a final LayerNorm only with pre-norm layers (`do_layer_norm_before`).
            final_norm: c.bool_or("do_layer_norm_before", true)?
                && !c.bool_or("_remove_final_layer_norm", false)?,
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
        dropout: Dropout {
            embedding: c.f64_or("dropout", 0.1)?,
            attention: c.f64_or("attention_dropout", 0.0)?,
            residual: c.f64_or("dropout", 0.1)?,
        },
        final_logit_softcap: None,
        attn_logit_softcap: None,
        embed_proj_dim: proj,
        source: None,
    })
}

fn divide(hidden: u64, heads: u64, field: &str) -> Result<u64> {
    if heads == 0 || hidden % heads != 0 {
        return Err(Error::invalid(
            field,
            heads,
            format!("a divisor of the hidden size {hidden}"),
        ));
    }
    Ok(hidden / heads)
}

fn llama_like(c: &Cfg, family: Family, name: String) -> Result<ModelSpec> {
    let hidden = c.u64_any(&["hidden_size"])?;
    let heads = c.u64_any(&["num_attention_heads"])?;
    let kv_heads = c
        .opt_u64("num_key_value_heads")?
        .filter(|&k| k > 0)
        .unwrap_or(heads);
    if heads % kv_heads != 0 {
        return Err(Error::invalid(
            "num_key_value_heads",
            kv_heads,
            format!("a divisor of num_attention_heads ({heads})"),
        ));
    }
    let layers = c.u64_any(&["num_hidden_layers"])?;
    let gemma = matches!(family, Family::Gemma | Family::Gemma2 | Family::Gemma3);
    let act_key = if gemma && c.m.contains_key("hidden_activation") {
        "hidden_activation"
    } else {
        "hidden_act"
    };
    let act_default = if gemma { "gelu_pytorch_tanh" } else { "silu" };
    let attention_bias = c.bool_or(
        "attention_bias",
        matches!(family, Family::Qwen2 | Family::Qwen2Moe),
    )?;
    let (qkv_bias, o_bias) = match family {
        // Qwen2 has biases on q, k and v only.
        Family::Qwen2 | Family::Qwen2Moe => (true, false),
        _ => (attention_bias, attention_bias),
    };
    let mla = match family {
        Family::DeepseekV2 | Family::DeepseekV3 => Some(Mla {
            q_lora_rank: c.opt_u64("q_lora_rank")?,
            kv_lora_rank: c.u64_any(&["kv_lora_rank"])?,
            qk_nope_head_dim: c.u64_any(&["qk_nope_head_dim"])?,
            qk_rope_head_dim: c.u64_any(&["qk_rope_head_dim"])?,
            v_head_dim: c.u64_any(&["v_head_dim"])?,
        }),
        _ => None,
    };
    let head_dim = match mla {
        Some(m) => m.qk_nope_head_dim + m.qk_rope_head_dim,
        None => match c.opt_u64("head_dim")? {
            Some(d) if d > 0 => d,
            _ => divide(hidden, heads, "num_attention_heads")?,
        },
    };
    let moe = match family {
        Family::Mixtral => Some(Moe {
            experts: c.u64_any(&["num_local_experts"])?,
            active: c.u64_any(&["num_experts_per_tok"])?,
            expert_intermediate: c.u64_any(&["intermediate_size"])?,
            shared_experts: 0,
            shared_intermediate: 0,
            shared_expert_gate: false,
            dense_layers: 0,
            router_bias: false,
        }),
        Family::Qwen2Moe | Family::Qwen3Moe => {
            let shared = c.opt_u64("shared_expert_intermediate_size")?.unwrap_or(0);
            Some(Moe {
                experts: c.u64_any(&["num_experts"])?,
                active: c.u64_any(&["num_experts_per_tok"])?,
                expert_intermediate: c.u64_any(&["moe_intermediate_size"])?,
                shared_experts: u64::from(shared > 0),
                shared_intermediate: shared,
                shared_expert_gate: shared > 0,
                dense_layers: 0,
                router_bias: false,
            })
        }
        Family::DeepseekV2 | Family::DeepseekV3 => {
            let per = c.u64_any(&["moe_intermediate_size"])?;
            let shared = c.opt_u64("n_shared_experts")?.unwrap_or(0);
            Some(Moe {
                experts: c.u64_any(&["n_routed_experts"])?,
                active: c.u64_any(&["num_experts_per_tok"])?,
                expert_intermediate: per,
                shared_experts: shared,
                shared_intermediate: shared.saturating_mul(per),
                shared_expert_gate: false,
                dense_layers: c.opt_u64("first_k_dense_replace")?.unwrap_or(0).min(layers),
                router_bias: family == Family::DeepseekV3,
            })
        }
        _ => None,
    };
    let max_positions = c.u64_any(&["max_position_embeddings"])?;
    let window = c.opt_u64("sliding_window")?;
    let sliding_window = match (family, window) {
        (_, None) => None,
        (Family::Qwen2 | Family::Qwen2Moe | Family::Qwen3 | Family::Qwen3Moe, Some(_))
            if !c.bool_or("use_sliding_window", false)? =>
        {
            None
        }
        (Family::Gemma2, Some(w)) => Some(SlidingWindow {
            window: w,
            local_per_pattern: 1,
            pattern: 2,
        }),
        (Family::Gemma3, Some(w)) => {
            let pattern = c.opt_u64("sliding_window_pattern")?.unwrap_or(6).max(1);
            Some(SlidingWindow {
                window: w,
                local_per_pattern: pattern - 1,
                pattern,
            })
        }
        (_, Some(w)) if w < max_positions => Some(SlidingWindow {
            window: w,
            local_per_pattern: 1,
            pattern: 1,
        }),
        _ => None,
    };
    let norm = match family {
        Family::Olmo => Norm {
            kind: NormKind::None,
            bias: false,
            per_layer: 2,
            final_norm: true,
        },
        Family::Gemma2 | Family::Gemma3 => Norm {
            kind: NormKind::RmsNorm,
            bias: false,
            per_layer: 4,
            final_norm: true,
        },
        _ => Norm {
            kind: NormKind::RmsNorm,
            bias: false,
            per_layer: 2,
            final_norm: true,
        },
    };
    let qk_norm = match family {
        Family::Qwen3 | Family::Qwen3Moe | Family::Gemma3 => QkNorm::PerHead,
        Family::Olmo2 => QkNorm::Full,
        _ => QkNorm::None,
    };
    let intermediate = match (c.opt_u64("intermediate_size")?, moe) {
        (Some(f), _) if f > 0 => f,
        (_, Some(m)) => m.expert_intermediate,
        _ => return Err(Error::missing("intermediate_size", c.context())),
    };
    Ok(ModelSpec {
        name,
        family,
        layers,
        hidden,
        heads,
        kv_heads: if mla.is_some() { heads } else { kv_heads },
        head_dim,
        mla,
        ffn: Ffn {
            activation: activation(c.str_or(act_key, act_default)?, act_key)?,
            gated: true,
            intermediate,
        },
        moe,
        vocab: c.u64_any(&["vocab_size"])?,
        learned_positions: 0,
        max_positions,
        tied_embeddings: c.bool_or("tie_word_embeddings", gemma)?,
        norm,
        qk_norm,
        bias: Bias {
            qkv: qkv_bias,
            attn_out: o_bias,
            mlp: c.bool_or("mlp_bias", false)?,
            lm_head: false,
        },
        parallel_residual: false,
        sliding_window,
        dropout: Dropout {
            embedding: 0.0,
            attention: c.f64_or("attention_dropout", 0.0)?,
            residual: 0.0,
        },
        final_logit_softcap: match c.f64_or("final_logit_softcapping", 0.0)? {
            x if x > 0.0 => Some(x),
            _ => None,
        },
        attn_logit_softcap: match c.f64_or("attn_logit_softcapping", 0.0)? {
            x if x > 0.0 => Some(x),
            _ => None,
        },
        embed_proj_dim: None,
        source: None,
    })
}
