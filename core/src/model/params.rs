//! Parameter counts and the list of linear layers of a model.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::{Family, ModelSpec, NormKind, QkNorm};
use crate::error::{Error, Result};

/// Parameter counts of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Parameters {
    /// Every parameter, tied weights counted once.
    pub total: u64,
    /// Token embedding, learned positions and an untied output projection.
    pub embedding: u64,
    /// `total - embedding`.
    pub non_embedding: u64,
    /// Parameters that receive gradients (all of them for the model alone; adapters for LoRA).
    pub trainable: u64,
    /// Parameters used per token (MoE: shared and top-k routed experts only; equals `total` when dense).
    pub active: u64,
}

/// One linear layer kind of the model, with how many instances it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Linear {
    /// The Hugging Face leaf module name (`q_proj`, `c_attn`, `query_key_value`, `lm_head`, ...), which LoRA targets match.
    pub module: &'static str,
    /// Input features.
    pub d_in: u64,
    /// Output features.
    pub d_out: u64,
    /// Carries a bias vector.
    pub bias: bool,
    /// Instances in the whole model (e.g. `layers`, or `layers * experts`).
    pub count: u64,
    /// Inside the decoder blocks (quantised by bitsandbytes, adaptable by `all-linear`); false for `lm_head`.
    pub in_decoder: bool,
}

impl ModelSpec {
    /// Every linear layer of the model, grouped by kind, named as in the Hugging Face module tree.
    pub fn linears(&self) -> Vec<Linear> {
        let mut v = Vec::with_capacity(16);
        let h = self.hidden;
        let l = self.layers;
        let q = self.q_dim();
        let kv = self.kv_dim();
        let b = self.bias;
        let mut push = |module: &'static str, d_in: u64, d_out: u64, bias: bool, count: u64| {
            if count > 0 {
                v.push(Linear {
                    module,
                    d_in,
                    d_out,
                    bias,
                    count,
                    in_decoder: module != "lm_head",
                });
            }
        };
        match self.family {
            Family::Gpt2 => {
                push("c_attn", h, q.saturating_mul(3), b.qkv, l);
                push("c_proj", q, h, b.attn_out, l);
                push("c_fc", h, self.ffn.intermediate, b.mlp, l);
                push("c_proj", self.ffn.intermediate, h, b.mlp, l);
            }
            Family::GptNeox => {
                push("query_key_value", h, q.saturating_mul(3), b.qkv, l);
                push("dense", q, h, b.attn_out, l);
                push("dense_h_to_4h", h, self.ffn.intermediate, b.mlp, l);
                push("dense_4h_to_h", self.ffn.intermediate, h, b.mlp, l);
            }
            Family::Opt => {
                push("q_proj", h, q, b.qkv, l);
                push("k_proj", h, kv, b.qkv, l);
                push("v_proj", h, kv, b.qkv, l);
                push("out_proj", q, h, b.attn_out, l);
                push("fc1", h, self.ffn.intermediate, b.mlp, l);
                push("fc2", self.ffn.intermediate, h, b.mlp, l);
                if let Some(p) = self.embed_proj_dim.filter(|&p| p != h) {
                    push("project_in", p, h, false, 1);
                    push("project_out", h, p, false, 1);
                }
            }
            _ => {
                match self.mla {
                    Some(m) => {
                        let qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
                        match m.q_lora_rank {
                            Some(r) => {
                                push("q_a_proj", h, r, b.qkv, l);
                                push("q_b_proj", r, self.heads * qk, false, l);
                            }
                            None => push("q_proj", h, self.heads * qk, false, l),
                        }
                        push(
                            "kv_a_proj_with_mqa",
                            h,
                            m.kv_lora_rank + m.qk_rope_head_dim,
                            b.qkv,
                            l,
                        );
                        push(
                            "kv_b_proj",
                            m.kv_lora_rank,
                            self.heads * (m.qk_nope_head_dim + m.v_head_dim),
                            false,
                            l,
                        );
                        push("o_proj", self.heads * m.v_head_dim, h, b.attn_out, l);
                    }
                    None if self.family == Family::Phi3 => {
                        push("qkv_proj", h, q + 2 * kv, b.qkv, l);
                        push("o_proj", q, h, b.attn_out, l);
                    }
                    None => {
                        push("q_proj", h, q, b.qkv, l);
                        push("k_proj", h, kv, b.qkv, l);
                        push("v_proj", h, kv, b.qkv, l);
                        push("o_proj", q, h, b.attn_out, l);
                    }
                }
                let dense = l - self.moe_layers();
                let f = self.ffn.intermediate;
                if self.family == Family::Phi3 {
                    push("gate_up_proj", h, f.saturating_mul(2), b.mlp, dense);
                    push("down_proj", f, h, b.mlp, dense);
                } else if self.ffn.gated {
                    push("gate_proj", h, f, b.mlp, dense);
                    push("up_proj", h, f, b.mlp, dense);
                    push("down_proj", f, h, b.mlp, dense);
                } else {
                    push("up_proj", h, f, b.mlp, dense);
                    push("down_proj", f, h, b.mlp, dense);
                }
                if let Some(m) = self.moe {
                    let ml = self.moe_layers();
                    let e = m.expert_intermediate;
                    push("gate", h, m.experts, false, ml);
                    push("experts.gate_proj", h, e, false, ml * m.experts);
                    push("experts.up_proj", h, e, false, ml * m.experts);
                    push("experts.down_proj", e, h, false, ml * m.experts);
                    if m.shared_intermediate > 0 {
                        push(
                            "shared_expert.gate_proj",
                            h,
                            m.shared_intermediate,
                            false,
                            ml,
                        );
                        push("shared_expert.up_proj", h, m.shared_intermediate, false, ml);
                        push(
                            "shared_expert.down_proj",
                            m.shared_intermediate,
                            h,
                            false,
                            ml,
                        );
                    }
                    if m.shared_expert_gate {
                        push("shared_expert_gate", h, 1, false, ml);
                    }
                }
            }
        }
        if !self.tied_embeddings {
            let width = self.embed_proj_dim.unwrap_or(h);
            push("lm_head", width, self.vocab, b.lm_head, 1);
        }
        v
    }

    /// Exact parameter counts.
    ///
    /// # Errors
    /// `Overflow` when a count exceeds 64 bits.
    pub fn parameters(&self) -> Result<Parameters> {
        let of = || Error::overflow("parameter count");
        let mul = |a: u64, b: u64| a.checked_mul(b).ok_or_else(of);
        let mut total: u64 = 0;
        let mut add = |x: u64| -> Result<()> {
            total = total.checked_add(x).ok_or_else(of)?;
            Ok(())
        };
        let mut lm_head = 0u64;
        let mut inactive = 0u64;
        for lin in self.linears() {
            let per = mul(lin.d_in, lin.d_out)?
                .checked_add(if lin.bias { lin.d_out } else { 0 })
                .ok_or_else(of)?;
            let all = mul(per, lin.count)?;
            add(all)?;
            if lin.module == "lm_head" {
                lm_head = all;
            }
            if let (Some(m), true) = (self.moe, lin.module.starts_with("experts.")) {
                inactive = inactive
                    .checked_add(mul(
                        per,
                        self.moe_layers()
                            .checked_mul(m.experts - m.active.min(m.experts))
                            .ok_or_else(of)?,
                    )?)
                    .ok_or_else(of)?;
            }
        }
        let h = self.hidden;
        let width = self.embed_proj_dim.unwrap_or(h);
        let embedding = mul(self.vocab, width)?;
        let positions = mul(self.learned_positions, h)?;
        add(embedding)?;
        add(positions)?;
        let norm_width = match (self.norm.kind, self.norm.bias) {
            (NormKind::None, _) => 0,
            (NormKind::LayerNorm, true) => h.saturating_mul(2),
            _ => h,
        };
        add(mul(mul(norm_width, self.norm.per_layer)?, self.layers)?)?;
        if self.norm.final_norm {
            add(norm_width)?;
        }
        let qk = match self.qk_norm {
            QkNorm::None => 0,
            QkNorm::PerHead => 2 * self.head_dim,
            QkNorm::Full => self.q_dim() + self.kv_dim(),
        };
        add(mul(qk, self.layers)?)?;
        if let Some(m) = self.mla {
            add(mul(
                m.q_lora_rank.unwrap_or(0) + m.kv_lora_rank,
                self.layers,
            )?)?;
        }
        if let Some(m) = self.moe {
            if m.router_bias {
                add(mul(m.experts, self.moe_layers())?)?;
            }
        }
        let emb = embedding + positions + lm_head;
        Ok(Parameters {
            total,
            embedding: emb,
            non_embedding: total - emb,
            trainable: total,
            active: total - inactive,
        })
    }
}
