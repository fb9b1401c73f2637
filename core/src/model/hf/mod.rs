//! Import of a Hugging Face `config.json`.
//!
//! Field names, defaults and module shapes follow each family's `configuration_<family>.py` and
//! `modeling_<family>.py` in transformers 4.57.6, which builds every catalogue config in
//! `core/tests/data/transformers_linears.json`; the accuracy suite (`tests/accuracy`) imports its
//! configs with transformers 5.23.0. Fields that size the model (`hidden_size`,
//! `num_hidden_layers`, `num_attention_heads`, `vocab_size`, `intermediate_size`, expert counts and
//! widths, MLA ranks) are required: transformers would silently substitute a default model's size,
//! which for a hand-written config is almost never what was meant. Every other field takes the
//! default of the family's config class when absent (`num_key_value_heads` = heads, `head_dim`,
//! `tie_word_embeddings`, biases, dropout, sliding windows). The one exception is the text part of a
//! Gemma 3 multimodal config: transformers writes only the values that differ from
//! `Gemma3TextConfig`'s defaults there, so those defaults fill it in.

use alloc::format;
use alloc::string::{String, ToString};

use serde_json::{Map, Value};

use super::{Activation, Family, ModelSpec};
use crate::error::{one_line, Error, Result, ECHO_CHARS};

mod alibi;
mod classic;
mod cohere;
mod llama;
mod llama4;
mod recent;

/// Largest size any config field may hold, so that one layer's shape (a product of two sizes)
/// always fits in 64 bits; larger products are checked where they are counted.
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
    "phi",
    "starcoder2",
    "gpt_bigcode",
    "granite",
    "granitemoe",
    "olmoe",
    "phimoe",
    "smollm3",
    "ernie4_5",
    "glm4",
    "exaone4",
    "gpt_oss",
    "stablelm",
    "cohere",
    "cohere2",
    "gptj",
    "bloom",
    "falcon",
    "llama4",
    "llama4_text",
];

/// `Gemma3TextConfig`'s defaults for the size fields a multimodal config leaves out of `text_config`.
const GEMMA3_TEXT_DEFAULTS: &[(&str, u64)] = &[
    ("vocab_size", 262_208),
    ("hidden_size", 2304),
    ("intermediate_size", 9216),
    ("num_hidden_layers", 26),
    ("num_attention_heads", 8),
    ("num_key_value_heads", 4),
    ("head_dim", 256),
    ("max_position_embeddings", 131_072),
];

/// Reads a model description from the text of a Hugging Face `config.json`.
///
/// # Errors
/// `Json` for text that is not JSON, `UnsupportedModelType` for an unknown `model_type`,
/// `MissingField` or `InvalidField` naming the field.
///
/// # Example
/// ```
/// let spec = trainfit_core::model::from_hf_config(
///     r#"{"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 22,
///         "num_attention_heads": 32, "num_key_value_heads": 4, "intermediate_size": 5632,
///         "vocab_size": 32000, "max_position_embeddings": 2048}"#,
/// )
/// .unwrap();
/// assert_eq!(spec.parameters().unwrap().total, 1_100_048_384); // TinyLlama-1.1B
/// ```
pub fn from_hf_config(text: &str) -> Result<ModelSpec> {
    let value: Value = serde_json::from_str(text).map_err(|e| Error::json("config.json", e))?;
    from_hf_value(&value)
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
    if !SUPPORTED.contains(&model_type) {
        return Err(Error::UnsupportedModelType {
            field: String::from("model_type"),
            model_type: one_line(model_type, ECHO_CHARS),
            supported: SUPPORTED,
        });
    }
    let name = match root.get("_name_or_path") {
        None | Some(Value::Null) => model_type.to_string(),
        Some(Value::String(s)) if s.is_empty() => model_type.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => return Err(Error::invalid("_name_or_path", v, "a string")),
    };
    // Gemma 3 multimodal checkpoints (Gemma3ForConditionalGeneration) nest the language model
    // under `text_config`; the vision tower is not described here.
    if model_type == "gemma3" {
        if let Some(text) = root.get("text_config") {
            let Some(text) = text.as_object() else {
                return Err(Error::invalid("text_config", text, "a JSON object"));
            };
            let mut inner = text.clone();
            for (key, default) in GEMMA3_TEXT_DEFAULTS {
                if inner.get(*key).is_none_or(Value::is_null) {
                    inner.insert((*key).into(), Value::from(*default));
                }
            }
            let c = Cfg {
                m: &inner,
                model_type: "gemma3_text",
                prefix: "text_config.",
            };
            return llama::import(&c, name);
        }
    }
    // Llama 4 checkpoints (Llama4ForConditionalGeneration) nest the language model under
    // `text_config` too; transformers writes it out in full there.
    if model_type == "llama4" {
        let Some(text) = root.get("text_config") else {
            return Err(Error::missing(
                "text_config",
                "config.json of model_type llama4",
            ));
        };
        let Some(text) = text.as_object() else {
            return Err(Error::invalid("text_config", text, "a JSON object"));
        };
        let c = Cfg {
            m: text,
            model_type: "llama4_text",
            prefix: "text_config.",
        };
        return llama4::import(&c, name);
    }
    let c = Cfg {
        m: root,
        model_type,
        prefix: "",
    };
    match model_type {
        "gpt2" => classic::gpt2(&c, name),
        "gpt_neox" => classic::neox(&c, name),
        "opt" => classic::opt(&c, name),
        "phi" => classic::phi(&c, name),
        "starcoder2" => classic::starcoder2(&c, name),
        "gpt_bigcode" => classic::gpt_bigcode(&c, name),
        "glm4" => recent::glm4(&c, name),
        "exaone4" => recent::exaone4(&c, name),
        "gpt_oss" => recent::gpt_oss(&c, name),
        "stablelm" => classic::stablelm(&c, name),
        "gptj" => classic::gptj(&c, name),
        "bloom" => alibi::bloom(&c, name),
        "falcon" => alibi::falcon(&c, name),
        "cohere" => cohere::import(&c, name, Family::Cohere),
        "cohere2" => cohere::import(&c, name, Family::Cohere2),
        "llama4_text" => llama4::import(&c, name),
        _ => llama::import(&c, name),
    }
}

/// One config object being read, with what error messages need to say where a field lives.
struct Cfg<'a> {
    m: &'a Map<String, Value>,
    model_type: &'a str,
    /// Path of the object inside `config.json` (`text_config.` for a nested text model).
    prefix: &'a str,
}

impl Cfg<'_> {
    /// Where a field is looked for, for messages.
    fn context(&self) -> String {
        format!("config.json of model_type {}", self.model_type)
    }

    /// The field's path, for messages.
    fn path(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// The field's value; JSON `null` counts as absent, as transformers reads it (`None`).
    fn get(&self, key: &str) -> Option<&Value> {
        self.m.get(key).filter(|v| !v.is_null())
    }

    /// A non-negative integer of at most [`MAX_DIM`], or `None` when absent.
    fn count(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if n <= MAX_DIM => Ok(Some(n)),
                _ => Err(Error::invalid(
                    self.path(key),
                    v,
                    "a non-negative integer of at most 2^31",
                )),
            },
        }
    }

    /// A positive integer of at most [`MAX_DIM`], or `None` when absent.
    fn size(&self, key: &str) -> Result<Option<u64>> {
        match self.count(key)? {
            Some(0) => Err(Error::invalid(
                self.path(key),
                0,
                "an integer from 1 to 2^31",
            )),
            n => Ok(n),
        }
    }

    /// A required size, under its name or one of its aliases (GPT-2's `n_embd` is `hidden_size`).
    fn required(&self, keys: &[&str]) -> Result<u64> {
        for k in keys {
            if let Some(v) = self.size(k)? {
                return Ok(v);
            }
        }
        let key = keys.first().copied().unwrap_or("");
        Err(Error::missing(self.path(key), self.context()))
    }

    fn flag(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(Error::invalid(self.path(key), v, "true or false")),
        }
    }

    /// A dropout probability in `[0, 1]`.
    fn probability(&self, key: &str, default: f64) -> Result<f64> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| Error::invalid(self.path(key), v, "a probability from 0 to 1")),
        }
    }

    /// A soft-capping constant: `default` when absent, `None` when null, else a positive number.
    fn softcap(&self, key: &str, default: Option<f64>) -> Result<Option<f64>> {
        match self.m.get(key) {
            None => Ok(default),
            Some(Value::Null) => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) if x.is_finite() && x > 0.0 => Ok(Some(x)),
                _ => Err(Error::invalid(
                    self.path(key),
                    v,
                    "a positive number or null",
                )),
            },
        }
    }

    fn text<'b>(&'b self, key: &str, default: &'b str) -> Result<&'b str> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::String(s)) => Ok(s.as_str()),
            Some(v) => Err(Error::invalid(self.path(key), v, "a string")),
        }
    }

    /// The activation function named by `key` (transformers' `ACT2FN` names).
    fn activation(&self, key: &str, default: &str) -> Result<Activation> {
        Ok(match self.text(key, default)? {
            "silu" | "swish" => Activation::Silu,
            "gelu" => Activation::Gelu,
            // Both are the tanh approximation written out elementwise in Python.
            "gelu_new" | "gelu_fast" => Activation::GeluNew,
            "gelu_pytorch_tanh" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            other => {
                return Err(Error::invalid(
                    self.path(key),
                    format!("\"{other}\""),
                    "one of silu, swish, gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, relu",
                ))
            }
        })
    }

    /// Per-head width when `head_dim` is not given: transformers divides (classic families refuse a
    /// hidden size that the heads do not divide).
    fn exact_head_dim(&self, hidden: u64, heads: u64, heads_key: &str) -> Result<u64> {
        if hidden % heads != 0 {
            return Err(Error::invalid(
                self.path(heads_key),
                heads,
                format!("a divisor of the hidden size {hidden}"),
            ));
        }
        Ok(hidden / heads)
    }
}
