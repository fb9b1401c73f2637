//! Architecture descriptions of decoder-only transformers and their parameter counts.

use alloc::string::String;
use serde::{Deserialize, Serialize};

use crate::wire::wire_names;

pub mod catalogue;
pub mod hf;
pub mod params;
pub mod source;

pub use catalogue::{catalogue, find, list, search, CatalogueEntry, CatalogueModel};
pub use hf::from_hf_config;
pub use params::{Linear, Parameters};
pub use source::ModelSource;

/// One decoder-only transformer, described by what determines its memory and compute.
///
/// Every field is read from (or implied by) the model's Hugging Face `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Display name, e.g. `Llama-3-8B`.
    pub name: String,
    /// Architecture family; decides the shape of the block.
    pub family: Family,
    /// Number of decoder layers (`num_hidden_layers`).
    pub layers: u64,
    /// Residual stream width (`hidden_size`).
    pub hidden: u64,
    /// Query heads (`num_attention_heads`).
    pub heads: u64,
    /// Key/value heads (`num_key_value_heads`); equals `heads` without GQA/MQA.
    pub kv_heads: u64,
    /// Width of one attention head (`head_dim`, else `hidden / heads`).
    pub head_dim: u64,
    /// Multi-head latent attention (DeepSeek-V2/V3); `None` for ordinary attention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mla: Option<Mla>,
    /// The feed-forward block of dense layers.
    pub ffn: Ffn,
    /// Mixture-of-experts layers; `None` for a dense model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moe: Option<Moe>,
    /// Rows of the token embedding (`vocab_size`, padded as in the checkpoint).
    pub vocab: u64,
    /// Rows of a learned absolute position table (GPT-2 `n_positions`, OPT `max_position_embeddings + 2`); 0 for rotary or ALiBi.
    #[serde(default)]
    pub learned_positions: u64,
    /// Longest context the checkpoint was trained for (`max_position_embeddings`).
    pub max_positions: u64,
    /// Whether the output projection shares the token embedding (`tie_word_embeddings`).
    pub tied_embeddings: bool,
    /// Normalisation layers.
    pub norm: Norm,
    /// Per-head normalisation of queries and keys (Qwen3, OLMo-2, Gemma-3).
    #[serde(default)]
    pub qk_norm: QkNorm,
    /// Which projections carry a bias vector.
    pub bias: Bias,
    /// Attention and MLP read the same input and are summed (GPT-NeoX, GPT-J, Phi-2).
    #[serde(default)]
    pub parallel_residual: bool,
    /// Sliding-window attention: window length in tokens, and which layers use it. Llama 4's
    /// chunked attention is described here too (chunk length, chunked layers): it caches and masks
    /// as a window does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sliding_window: Option<SlidingWindow>,
    /// Dropout probabilities as configured (0 for most modern checkpoints).
    #[serde(default)]
    pub dropout: Dropout,
    /// Gemma-2 style `final_logit_softcapping`: logits pass through `tanh(x / c) * c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_logit_softcap: Option<f64>,
    /// Gemma-2 style `attn_logit_softcapping`: attention scores pass through `tanh(x / c) * c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attn_logit_softcap: Option<f64>,
    /// OPT-350m style projection between a narrower embedding and the residual stream (`word_embed_proj_dim`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embed_proj_dim: Option<u64>,
    /// Channels of each head that the rotary embedding rotates when the family's block program
    /// depends on it (GPT-J `rotary_dim`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotary_dim: Option<u64>,
    /// Attention biased by ALiBi's per-head linear distance penalties instead of rotary or learned
    /// positions (BLOOM; Falcon with `alibi: true`).
    #[serde(default, skip_serializing_if = "is_false")]
    #[cfg_attr(feature = "schema", schemars(extend("default" = false)))]
    pub alibi: bool,
    /// Where the configuration came from (URL of the `config.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Architecture family, as named by Hugging Face `model_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Family {
    Gpt2,
    GptNeox,
    Opt,
    Llama,
    Mistral,
    Mixtral,
    Qwen2,
    Qwen2Moe,
    Qwen3,
    Qwen3Moe,
    Gemma,
    Gemma2,
    Gemma3,
    Phi3,
    Olmo,
    Olmo2,
    DeepseekV2,
    DeepseekV3,
    Phi,
    Starcoder2,
    GptBigcode,
    Granite,
    Granitemoe,
    Olmoe,
    Phimoe,
    Smollm3,
    #[serde(rename = "ernie4_5")]
    Ernie45,
    Glm4,
    Exaone4,
    GptOss,
    Stablelm,
    Cohere,
    Cohere2,
    Gptj,
    Bloom,
    Falcon,
    Llama4,
}

wire_names!(Family, "family", {
    Gpt2 => "gpt2",
    GptNeox => "gpt_neox",
    Opt => "opt",
    Llama => "llama",
    Mistral => "mistral",
    Mixtral => "mixtral",
    Qwen2 => "qwen2",
    Qwen2Moe => "qwen2_moe",
    Qwen3 => "qwen3",
    Qwen3Moe => "qwen3_moe",
    Gemma => "gemma",
    Gemma2 => "gemma2",
    Gemma3 => "gemma3",
    Phi3 => "phi3",
    Olmo => "olmo",
    Olmo2 => "olmo2",
    DeepseekV2 => "deepseek_v2",
    DeepseekV3 => "deepseek_v3",
    Phi => "phi",
    Starcoder2 => "starcoder2",
    GptBigcode => "gpt_bigcode",
    Granite => "granite",
    Granitemoe => "granitemoe",
    Olmoe => "olmoe",
    Phimoe => "phimoe",
    Smollm3 => "smollm3",
    Ernie45 => "ernie4_5",
    Glm4 => "glm4",
    Exaone4 => "exaone4",
    GptOss => "gpt_oss",
    Stablelm => "stablelm",
    Cohere => "cohere",
    Cohere2 => "cohere2",
    Gptj => "gptj",
    Bloom => "bloom",
    Falcon => "falcon",
    Llama4 => "llama4",
});

impl Family {
    /// Uses rotary position embeddings (everything here except GPT-2, OPT, GPT-BigCode and
    /// BLOOM; Falcon unless its config asks for ALiBi, see [`ModelSpec::alibi`]).
    pub fn rotary(self) -> bool {
        !matches!(
            self,
            Family::Gpt2 | Family::Opt | Family::GptBigcode | Family::Bloom
        )
    }
}

/// Feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Ffn {
    /// Activation function.
    pub activation: Activation,
    /// Gated (SwiGLU/GeGLU: `down(act(gate(x)) * up(x))`) or plain (`down(act(up(x)))`).
    pub gated: bool,
    /// Width of the hidden layer (`intermediate_size`, `n_inner`, `ffn_dim`).
    pub intermediate: u64,
}

/// Activation function of the feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// Exact GELU (erf).
    Gelu,
    /// Tanh-approximated GELU as one fused kernel (`gelu_pytorch_tanh`; Gemma).
    GeluTanh,
    /// Tanh-approximated GELU written out elementwise in Python (`gelu_new`; GPT-2), which saves several intermediates.
    GeluNew,
    /// ReLU.
    Relu,
    /// SiLU / swish.
    Silu,
}

wire_names!(Activation, "ffn.activation", {
    Gelu => "gelu",
    GeluTanh => "gelu_tanh",
    GeluNew => "gelu_new",
    Relu => "relu",
    Silu => "silu",
});

/// Mixture-of-experts feed-forward layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Moe {
    /// Routed experts per MoE layer.
    pub experts: u64,
    /// Experts each token is routed to (`num_experts_per_tok`, top-k).
    pub active: u64,
    /// Width of one routed expert (`moe_intermediate_size`).
    pub expert_intermediate: u64,
    /// Always-on shared experts (DeepSeek `n_shared_experts`; Qwen-MoE has one).
    #[serde(default)]
    pub shared_experts: u64,
    /// Total width of the shared expert block (Qwen-MoE `shared_expert_intermediate_size`, DeepSeek `n_shared_experts * moe_intermediate_size`).
    #[serde(default)]
    pub shared_intermediate: u64,
    /// Qwen-MoE gates the shared expert with a `Linear(hidden, 1)` and a sigmoid.
    #[serde(default)]
    pub shared_expert_gate: bool,
    /// Layers whose feed-forward block stays dense (`ffn`): DeepSeek's first `first_k_dense_replace`,
    /// Qwen-MoE's `mlp_only_layers` and those skipped by `decoder_sparse_step`.
    #[serde(default)]
    pub dense_layers: u64,
    /// Router has a per-expert bias vector (DeepSeek-V3 `e_score_correction_bias`, stored in the checkpoint).
    #[serde(default)]
    pub router_bias: bool,
    /// In training, each MoE layer's input is multiplied in place by uniform noise twice, once by
    /// the block and once by the router, each noise tensor kept for backward (Phi-MoE
    /// `input_jitter_noise` above 0). Default: false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub input_jitter: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Multi-head latent attention dimensions (DeepSeek-V2/V3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Mla {
    /// Rank of the query compression; `None` projects queries directly.
    #[serde(default)]
    pub q_lora_rank: Option<u64>,
    /// Rank of the joint key/value compression (what the KV cache stores).
    pub kv_lora_rank: u64,
    /// Per-head query/key width without rotary.
    pub qk_nope_head_dim: u64,
    /// Per-head query/key width with rotary (shared key part is cached).
    pub qk_rope_head_dim: u64,
    /// Per-head value width.
    pub v_head_dim: u64,
}

/// Normalisation layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Norm {
    /// RMSNorm or LayerNorm.
    pub kind: NormKind,
    /// LayerNorm carries a bias vector.
    pub bias: bool,
    /// Norm layers per decoder layer (2 for most, 1 for parallel-residual GPT-J/Phi-2 style, 4 for Gemma-2/3).
    pub per_layer: u64,
    /// A norm after the last layer (absent in OPT-350m, `do_layer_norm_before: false`). Default: true.
    #[serde(default = "yes")]
    pub final_norm: bool,
}

fn yes() -> bool {
    true
}

/// Kind of normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum NormKind {
    /// Root-mean-square norm (Llama family); HF computes it in fp32.
    RmsNorm,
    /// LayerNorm (GPT-2, NeoX, OPT).
    LayerNorm,
    /// LayerNorm without weights (OLMo 1: `elementwise_affine=False`).
    None,
}

/// Query/key normalisation inside attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum QkNorm {
    /// None.
    #[default]
    None,
    /// One norm of the model's kind and width `head_dim` shared by all heads (Qwen3 and Gemma-3:
    /// RMSNorm; Phi with `qk_layernorm`: LayerNorm with bias).
    PerHead,
    /// Norm weights across all query heads and all key heads (`(heads + kv_heads) * head_dim`):
    /// OLMo-2's RMSNorm of the whole projection, StableLM's bias-free LayerNorm per head
    /// (`qk_layernorm`), Cohere's LayerNorm of shape `(heads, head_dim)` (`use_qk_norm`).
    Full,
    /// An RMS norm of each head without weights, on the layers with rotary positions only
    /// (Llama 4's `Llama4TextL2Norm`, `use_qk_norm`).
    L2,
}

/// Which linear layers carry biases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Bias {
    /// Query, key and value projections.
    pub qkv: bool,
    /// Attention output projection.
    pub attn_out: bool,
    /// Feed-forward projections.
    pub mlp: bool,
    /// Output (LM head) projection.
    #[serde(default)]
    pub lm_head: bool,
}

/// Sliding-window attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct SlidingWindow {
    /// Window length in tokens.
    pub window: u64,
    /// Layers using the window out of each group of `pattern` layers; the rest are global.
    /// Mistral v0.1: every layer (`local_per_pattern = pattern = 1`); Gemma-2: 1 of 2; Gemma-3: 5 of 6.
    pub local_per_pattern: u64,
    /// Size of the repeating layer group.
    pub pattern: u64,
}

impl SlidingWindow {
    /// How many of `layers` layers use the window.
    pub fn local_layers(&self, layers: u64) -> u64 {
        if self.pattern == 0 {
            return 0;
        }
        let full = layers / self.pattern * self.local_per_pattern;
        let rest = (layers % self.pattern).min(self.local_per_pattern);
        full + rest
    }
}

/// Dropout probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Dropout {
    /// On the embedding output (`embd_pdrop`).
    #[serde(default)]
    pub embedding: f64,
    /// On the attention probabilities (`attn_pdrop`, `attention_dropout`).
    #[serde(default)]
    pub attention: f64,
    /// On each residual branch (`resid_pdrop`, `hidden_dropout`).
    #[serde(default)]
    pub residual: f64,
}

impl ModelSpec {
    /// Width of all query heads together.
    pub fn q_dim(&self) -> u64 {
        self.heads.saturating_mul(self.head_dim)
    }

    /// Width of all key (or value) heads together.
    pub fn kv_dim(&self) -> u64 {
        self.kv_heads.saturating_mul(self.head_dim)
    }

    /// Number of layers with a mixture-of-experts feed-forward block.
    pub fn moe_layers(&self) -> u64 {
        match &self.moe {
            Some(m) => self.layers.saturating_sub(m.dense_layers),
            None => 0,
        }
    }
}
