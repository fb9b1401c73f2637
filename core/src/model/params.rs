//! Parameter counts and the linear layers of a model.
//!
//! Module names and shapes follow the Hugging Face transformers 4.57.6 modeling code of each family
//! (`modeling_<family>.py`); `core/tests/data/transformers_linears.json` holds what that version
//! builds for every catalogue model, and `core/tests/suite/models.rs` compares against it.
//! transformers 5 stores a mixture-of-experts layer's experts as 3-D parameters instead of one
//! `nn.Linear` each (see [`ModelSpec::linears`]) with the same parameter counts, which the
//! accuracy suite counts with transformers 5.23.0 (`tests/accuracy/README.md`).

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::{Family, ModelSpec, Moe, NormKind, QkNorm};
use crate::error::{Error, Result};

/// Parameter counts of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Parameters {
    /// Every parameter, tied weights counted once.
    pub total: u64,
    /// Token embedding, learned positions and an untied output projection (the Pythia convention:
    /// its published non-embedding counts exclude both `embed_in` and `embed_out`).
    pub embedding: u64,
    /// `total - embedding`.
    pub non_embedding: u64,
    /// Parameters that receive gradients (all of them for the model alone; adapters for LoRA).
    pub trainable: u64,
    /// Parameters used per token (MoE: shared and top-k routed experts only; equals `total` when dense).
    pub active: u64,
}

/// One linear layer kind of the model, with how many instances it has.
///
/// GPT-2's `Conv1D` layers are listed too: they hold the same parameters as an `nn.Linear`, and
/// PEFT and bitsandbytes treat them as linear layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Linear {
    /// The Hugging Face leaf module name (`q_proj`, `c_attn`, `query_key_value`, `w1`, `lm_head`, `embed_out`, ...),
    /// which PEFT's `target_modules` match. Several kinds may share a name (GPT-2's two `c_proj`, the
    /// dense, routed and shared `gate_proj` of Qwen-MoE), exactly as in the module tree.
    pub module: &'static str,
    /// Input features.
    pub d_in: u64,
    /// Output features.
    pub d_out: u64,
    /// Carries a bias vector.
    pub bias: bool,
    /// Instances in the whole model (e.g. `layers`, or `moe_layers * experts`).
    pub count: u64,
    /// Inside the decoder (quantised by bitsandbytes, adapted by PEFT's `all-linear`); false only for
    /// the output layer (`lm_head`, GPT-NeoX `embed_out`), which both leave alone.
    pub in_decoder: bool,
    /// One of the routed experts of a mixture-of-experts layer, of which each token uses only
    /// `Moe::active` out of `Moe::experts`.
    pub routed_expert: bool,
}

impl Linear {
    /// Weight elements of one instance, `d_in * d_out`.
    fn weight(&self) -> Option<u64> {
        self.d_in.checked_mul(self.d_out)
    }

    /// Weight and bias elements of one instance.
    fn elements(&self) -> Option<u64> {
        self.weight()?
            .checked_add(if self.bias { self.d_out } else { 0 })
    }
}

/// Collects linear kinds, remembering whether any width overflowed 64 bits.
pub(crate) struct Layers {
    pub list: Vec<Linear>,
    overflow: bool,
}

impl Layers {
    /// `Overflow` when a width did not fit in 64 bits.
    fn checked(&self) -> Result<&[Linear]> {
        if self.overflow {
            return Err(Error::overflow("linear layer width"));
        }
        Ok(&self.list)
    }

    fn mul(&mut self, a: u64, b: u64) -> u64 {
        a.checked_mul(b).unwrap_or_else(|| {
            self.overflow = true;
            u64::MAX
        })
    }

    fn add(&mut self, a: u64, b: u64) -> u64 {
        a.checked_add(b).unwrap_or_else(|| {
            self.overflow = true;
            u64::MAX
        })
    }

    fn push(&mut self, module: &'static str, d_in: u64, d_out: u64, bias: bool, count: u64) {
        self.push_kind(module, d_in, d_out, bias, count, false);
    }

    fn push_kind(
        &mut self,
        module: &'static str,
        d_in: u64,
        d_out: u64,
        bias: bool,
        count: u64,
        routed_expert: bool,
    ) {
        if count > 0 {
            self.list.push(Linear {
                module,
                d_in,
                d_out,
                bias,
                count,
                in_decoder: true,
                routed_expert,
            });
        }
    }
}

impl ModelSpec {
    /// Every linear layer of the model, grouped by kind, named as in the Hugging Face module tree.
    ///
    /// DeepSeek's router is a bare `nn.Parameter`, not a linear layer, so it is not listed (it is
    /// counted by [`ModelSpec::parameters`]). Mixture-of-experts layers are listed as transformers 4.x
    /// builds them, one `nn.Linear` per expert (transformers 5 fuses the experts into 3-D parameters).
    pub fn linears(&self) -> Vec<Linear> {
        self.linear_kinds().list
    }

    /// [`ModelSpec::linears`], or `Overflow` when a width does not fit in 64 bits.
    fn checked_linears(&self) -> Result<Vec<Linear>> {
        let l = self.linear_kinds();
        l.checked()?;
        Ok(l.list)
    }

    /// The linear kinds with whether a width overflowed: an estimate reads them five times
    /// (validation, recipe, parameters, model states, adapters) and builds them once.
    pub(crate) fn linear_kinds(&self) -> Layers {
        let mut v = Layers {
            list: Vec::with_capacity(20),
            overflow: false,
        };
        let h = self.hidden;
        let l = self.layers;
        let q = v.mul(self.heads, self.head_dim);
        let kv = v.mul(self.kv_heads, self.head_dim);
        let f = self.ffn.intermediate;
        let b = self.bias;
        match self.family {
            // GPT2Attention / GPT2MLP (Conv1D): c_attn h -> 3h, c_proj, c_fc, c_proj.
            Family::Gpt2 => {
                let qkv = v.mul(q, 3);
                v.push("c_attn", h, qkv, b.qkv, l);
                v.push("c_proj", q, h, b.attn_out, l);
                v.push("c_fc", h, f, b.mlp, l);
                v.push("c_proj", f, h, b.mlp, l);
            }
            Family::GptNeox => {
                let qkv = v.mul(q, 3);
                v.push("query_key_value", h, qkv, b.qkv, l);
                v.push("dense", q, h, b.attn_out, l);
                v.push("dense_h_to_4h", h, f, b.mlp, l);
                v.push("dense_4h_to_h", f, h, b.mlp, l);
            }
            // PhiAttention / PhiMLP: every projection carries a bias.
            Family::Phi => {
                v.push("q_proj", h, q, b.qkv, l);
                v.push("k_proj", h, kv, b.qkv, l);
                v.push("v_proj", h, kv, b.qkv, l);
                v.push("dense", q, h, b.attn_out, l);
                v.push("fc1", h, f, b.mlp, l);
                v.push("fc2", f, h, b.mlp, l);
            }
            // GPTBigCodeAttention: `c_attn` projects to the queries and one (multi-query) or all
            // key/value heads at once; GPTBigCodeMLP `c_fc`, `c_proj`; all biased.
            Family::GptBigcode => {
                let kv2 = v.mul(kv, 2);
                let qkv = v.add(q, kv2);
                v.push("c_attn", h, qkv, b.qkv, l);
                v.push("c_proj", q, h, b.attn_out, l);
                v.push("c_fc", h, f, b.mlp, l);
                v.push("c_proj", f, h, b.mlp, l);
            }
            // Starcoder2Attention / Starcoder2MLP: `use_bias` on every projection.
            Family::Starcoder2 => {
                v.push("q_proj", h, q, b.qkv, l);
                v.push("k_proj", h, kv, b.qkv, l);
                v.push("v_proj", h, kv, b.qkv, l);
                v.push("o_proj", q, h, b.attn_out, l);
                v.push("c_fc", h, f, b.mlp, l);
                v.push("c_proj", f, h, b.mlp, l);
            }
            // BloomAttention / FalconAttention: one fused projection to the queries and the
            // key/value heads (Falcon: one under multi_query, `num_kv_heads` in the new layout).
            Family::Bloom | Family::Falcon => {
                let kv2 = v.mul(kv, 2);
                let qkv = v.add(q, kv2);
                v.push("query_key_value", h, qkv, b.qkv, l);
                v.push("dense", q, h, b.attn_out, l);
                v.push("dense_h_to_4h", h, f, b.mlp, l);
                v.push("dense_4h_to_h", f, h, b.mlp, l);
            }
            // GPTJAttention: q/k/v/out_proj without bias; GPTJMLP: fc_in, fc_out with bias.
            Family::Gptj => {
                v.push("q_proj", h, q, b.qkv, l);
                v.push("k_proj", h, kv, b.qkv, l);
                v.push("v_proj", h, kv, b.qkv, l);
                v.push("out_proj", q, h, b.attn_out, l);
                v.push("fc_in", h, f, b.mlp, l);
                v.push("fc_out", f, h, b.mlp, l);
            }
            Family::Opt => {
                v.push("q_proj", h, q, b.qkv, l);
                v.push("k_proj", h, kv, b.qkv, l);
                v.push("v_proj", h, kv, b.qkv, l);
                v.push("out_proj", q, h, b.attn_out, l);
                v.push("fc1", h, f, b.mlp, l);
                v.push("fc2", f, h, b.mlp, l);
                // OPTDecoder: project_out and project_in exist when word_embed_proj_dim != hidden_size.
                if let Some(p) = self.embed_proj_dim.filter(|&p| p != h) {
                    v.push("project_out", h, p, false, 1);
                    v.push("project_in", p, h, false, 1);
                }
            }
            _ => {
                self.attention(&mut v, q, kv);
                self.feed_forward(&mut v);
            }
        }
        if !self.tied_embeddings {
            // GPTNeoXForCausalLM calls its output layer `embed_out`; the others `lm_head`.
            let module = if self.family == Family::GptNeox {
                "embed_out"
            } else {
                "lm_head"
            };
            let width = self.embed_proj_dim.unwrap_or(h);
            v.list.push(Linear {
                module,
                d_in: width,
                d_out: self.vocab,
                bias: b.lm_head,
                count: 1,
                in_decoder: false,
                routed_expert: false,
            });
        }
        v
    }

    /// Attention projections of the Llama-like families.
    fn attention(&self, v: &mut Layers, q: u64, kv: u64) {
        let (h, l, b) = (self.hidden, self.layers, self.bias);
        if let Some(m) = self.mla {
            // DeepseekV2Attention / DeepseekV3Attention.
            let qk_head = v.add(m.qk_nope_head_dim, m.qk_rope_head_dim);
            let q_out = v.mul(self.heads, qk_head);
            match m.q_lora_rank {
                Some(r) => {
                    v.push("q_a_proj", h, r, b.qkv, l);
                    v.push("q_b_proj", r, q_out, false, l);
                }
                None => v.push("q_proj", h, q_out, false, l),
            }
            let kv_a = v.add(m.kv_lora_rank, m.qk_rope_head_dim);
            v.push("kv_a_proj_with_mqa", h, kv_a, b.qkv, l);
            let kv_b_head = v.add(m.qk_nope_head_dim, m.v_head_dim);
            let kv_b = v.mul(self.heads, kv_b_head);
            v.push("kv_b_proj", m.kv_lora_rank, kv_b, false, l);
            let o_in = v.mul(self.heads, m.v_head_dim);
            v.push("o_proj", o_in, h, b.attn_out, l);
        } else if self.family == Family::Phi3 {
            // Phi3Attention fuses q, k and v into one projection.
            let kv2 = v.mul(kv, 2);
            let qkv = v.add(q, kv2);
            v.push("qkv_proj", h, qkv, b.qkv, l);
            v.push("o_proj", q, h, b.attn_out, l);
        } else {
            v.push("q_proj", h, q, b.qkv, l);
            v.push("k_proj", h, kv, b.qkv, l);
            v.push("v_proj", h, kv, b.qkv, l);
            v.push("o_proj", q, h, b.attn_out, l);
        }
    }

    /// Dense and mixture-of-experts feed-forward projections of the Llama-like families.
    fn feed_forward(&self, v: &mut Layers) {
        if self.family == Family::GptOss {
            // GptOssExperts and GptOssTopKRouter hold bare parameters: see `gpt_oss_moe`.
            return;
        }
        let (h, f, b) = (self.hidden, self.ffn.intermediate, self.bias);
        let dense = self.layers - self.moe_layers();
        // Phi3MLP and Glm4MLP fuse the gate and up projections.
        if matches!(self.family, Family::Phi3 | Family::Glm4) {
            let f2 = v.mul(f, 2);
            v.push("gate_up_proj", h, f2, b.mlp, dense);
            v.push("down_proj", f, h, b.mlp, dense);
        } else if self.ffn.gated {
            v.push("gate_proj", h, f, b.mlp, dense);
            v.push("up_proj", h, f, b.mlp, dense);
            v.push("down_proj", f, h, b.mlp, dense);
        } else {
            v.push("up_proj", h, f, b.mlp, dense);
            v.push("down_proj", f, h, b.mlp, dense);
        }
        let Some(m) = self.moe else {
            return;
        };
        let ml = self.moe_layers();
        let all = v.mul(ml, m.experts);
        let e = m.expert_intermediate;
        let deepseek = matches!(self.family, Family::DeepseekV2 | Family::DeepseekV3);
        if self.family == Family::Granitemoe {
            // GraniteMoeMoE: the router's `layer` is an nn.Linear; the experts are two
            // GraniteMoeParallelExperts 3-D parameters, no linear layers (see `parallel_expert`).
            v.push("layer", h, m.experts, false, ml);
            return;
        }
        if self.family == Family::Llama4 {
            // Llama4TextMoe: the router is an nn.Linear (`Llama4Router`), the routed experts are
            // the 3-D `gate_up_proj` and `down_proj` of Llama4TextExperts, no linear layers (see
            // `parallel_expert`), and `shared_expert` is a Llama4TextMLP as wide as one expert.
            v.push("router", h, m.experts, false, ml);
            let s = m.shared_intermediate;
            v.push("gate_proj", h, s, false, ml);
            v.push("up_proj", h, s, false, ml);
            v.push("down_proj", s, h, false, ml);
            return;
        }
        if matches!(self.family, Family::Mixtral | Family::Phimoe) {
            // MixtralSparseMoeBlock / PhimoeSparseMoeBlock: router `gate`; each
            // MixtralBlockSparseTop2MLP / PhimoeBlockSparseTop2MLP expert has w1 (gate), w3 (up)
            // and w2 (down).
            v.push("gate", h, m.experts, false, ml);
            v.push_kind("w1", h, e, false, all, true);
            v.push_kind("w3", h, e, false, all, true);
            v.push_kind("w2", e, h, false, all, true);
            return;
        }
        if !deepseek {
            // Qwen2MoeSparseMoeBlock / Qwen3MoeSparseMoeBlock: router `gate` is an nn.Linear.
            v.push("gate", h, m.experts, false, ml);
        }
        // DeepseekV2MLP honours `mlp_bias`; the other expert MLPs have no biases.
        let eb = b.mlp && self.family == Family::DeepseekV2;
        v.push_kind("gate_proj", h, e, eb, all, true);
        v.push_kind("up_proj", h, e, eb, all, true);
        v.push_kind("down_proj", e, h, eb, all, true);
        let s = m.shared_intermediate;
        if s > 0 {
            // Qwen-MoE `shared_expert`; DeepSeek `shared_experts`, one MLP of
            // n_shared_experts * moe_intermediate_size.
            v.push("gate_proj", h, s, eb, ml);
            v.push("up_proj", h, s, eb, ml);
            v.push("down_proj", s, h, eb, ml);
        }
        if m.shared_expert_gate {
            v.push("shared_expert_gate", h, 1, false, ml);
        }
    }

    /// Exact parameter counts.
    ///
    /// # Errors
    /// `Overflow` when a count exceeds 64 bits.
    ///
    /// # Example
    /// ```
    /// let spec = trainfit_core::model::find("llama-2-7b").unwrap();
    /// assert_eq!(spec.parameters().unwrap().total, 6_738_415_616);
    /// ```
    pub fn parameters(&self) -> Result<Parameters> {
        self.parameters_of(&self.linear_kinds())
    }

    /// [`ModelSpec::parameters`] from the model's linear kinds, built once by the caller.
    pub(crate) fn parameters_of(&self, linears: &Layers) -> Result<Parameters> {
        let mut total = Count::default();
        let mut lm_head = 0u64;
        let mut routed_per_expert = 0u64;
        for lin in linears.checked()? {
            let per = lin
                .elements()
                .ok_or_else(|| Error::overflow("linear layer size"))?;
            let all = total.add_times(per, lin.count)?;
            if !lin.in_decoder {
                lm_head = all;
            }
            if lin.routed_expert {
                routed_per_expert = routed_per_expert
                    .checked_add(per)
                    .ok_or_else(|| Error::overflow("expert size"))?;
            }
        }
        let token = total.add_times(self.vocab, self.embed_proj_dim.unwrap_or(self.hidden))?;
        let positions = total.add_times(self.learned_positions, self.hidden)?;
        let norm = self.norm_width()?;
        let per_layer = norm
            .checked_mul(self.norm.per_layer)
            .ok_or_else(|| Error::overflow("norm parameters"))?;
        total.add_times(per_layer, self.layers)?;
        if self.norm.final_norm {
            total.add_times(norm, 1)?;
        }
        if self.family == Family::Bloom {
            // BloomModel.word_embeddings_layernorm.
            total.add_times(norm, 1)?;
        }
        total.add_times(self.qk_norm_width()?, self.layers)?;
        if let Some(m) = self.mla {
            // q_a_layernorm (when queries are compressed) and kv_a_layernorm: RMSNorm weights.
            total.add_times(m.q_lora_rank.unwrap_or(0), self.layers)?;
            total.add_times(m.kv_lora_rank, self.layers)?;
        }
        let mut inactive = 0u64;
        if let Some((m, per_expert, router)) = self.gpt_oss_moe()? {
            let all = per_expert
                .checked_mul(m.experts)
                .and_then(|e| e.checked_add(router))
                .ok_or_else(|| Error::overflow("expert parameters"))?;
            total.add_times(all, self.layers)?;
            // GptOssAttention's `sinks`: one learned logit per head.
            total.add_times(self.heads, self.layers)?;
            routed_per_expert = per_expert;
        }
        if let Some(m) = self.moe {
            let ml = self.moe_layers();
            if let Some(per) = self.parallel_expert()? {
                let all = per
                    .checked_mul(m.experts)
                    .ok_or_else(|| Error::overflow("expert parameters"))?;
                total.add_times(all, ml)?;
                routed_per_expert = routed_per_expert
                    .checked_add(per)
                    .ok_or_else(|| Error::overflow("expert size"))?;
            }
            if self.deepseek_router() {
                total.add_times(self.hidden.saturating_mul(m.experts), ml)?;
            }
            if m.router_bias {
                total.add_times(m.experts, ml)?;
            }
            inactive = idle_experts(&m, ml, routed_per_expert)?;
        }
        let embedding = [token, positions, lm_head]
            .iter()
            .try_fold(0u64, |a, &x| a.checked_add(x))
            .ok_or_else(|| Error::overflow("embedding parameters"))?;
        let total = total.0;
        Ok(Parameters {
            total,
            embedding,
            non_embedding: total - embedding,
            trainable: total,
            active: total - inactive,
        })
    }

    /// Elements of the largest single parameter tensor (usually the token embedding or `lm_head`).
    ///
    /// DeepSpeed ZeRO-3 gathers one layer's parameters at a time, and optimizers that step one
    /// tensor at a time allocate temporaries of this size.
    ///
    /// # Errors
    /// `Overflow` when a size exceeds 64 bits.
    pub fn largest_tensor(&self) -> Result<u64> {
        let of = || Error::overflow("tensor size");
        let mut largest = self
            .vocab
            .checked_mul(self.embed_proj_dim.unwrap_or(self.hidden))
            .ok_or_else(of)?;
        largest = largest.max(
            self.learned_positions
                .checked_mul(self.hidden)
                .ok_or_else(of)?,
        );
        for lin in self.checked_linears()? {
            largest = largest.max(lin.weight().ok_or_else(of)?);
        }
        if let (Some(m), true) = (self.moe, self.deepseek_router()) {
            largest = largest.max(m.experts.checked_mul(self.hidden).ok_or_else(of)?);
        }
        if let (Some(m), Some(per)) = (self.moe, self.parallel_expert()?) {
            // `input_linear` / `gate_up_proj`: experts x 2 * intermediate x hidden, two thirds
            // of each expert.
            let input = m.experts.checked_mul(per / 3 * 2).ok_or_else(of)?;
            largest = largest.max(input);
        }
        if let Some((m, _, _)) = self.gpt_oss_moe()? {
            // GptOssExperts.gate_up_proj: (experts, hidden, 2 * intermediate).
            let gate_up = m
                .experts
                .checked_mul(self.hidden)
                .and_then(|n| n.checked_mul(m.expert_intermediate))
                .and_then(|n| n.checked_mul(2))
                .ok_or_else(of)?;
            largest = largest.max(gate_up);
        }
        // Norms, biases and MLA ranks are vectors no longer than the widths above.
        Ok(largest)
    }

    /// Weight elements of the decoder's linear layers (those with `in_decoder`), biases excluded.
    ///
    /// This is what bitsandbytes stores in 4 or 8 bits when a model is loaded quantised: every
    /// `nn.Linear` (and GPT-2 `Conv1D`) except the output layer (transformers'
    /// `get_keys_to_not_convert`); biases, norms and embeddings stay in 16 bits.
    ///
    /// # Errors
    /// `Overflow` when the count exceeds 64 bits.
    pub fn decoder_linear_weights(&self) -> Result<u64> {
        let mut n = Count::default();
        for lin in self.checked_linears()? {
            if lin.in_decoder {
                let w = lin
                    .weight()
                    .ok_or_else(|| Error::overflow("linear layer size"))?;
                n.add_times(w, lin.count)?;
            }
        }
        Ok(n.0)
    }

    /// Parameters of one norm layer: RMSNorm has a weight, LayerNorm a weight and maybe a bias,
    /// OLMo's non-parametric LayerNorm none.
    fn norm_width(&self) -> Result<u64> {
        let n = match (self.norm.kind, self.norm.bias) {
            (NormKind::None, _) => Some(0),
            (NormKind::LayerNorm, true) => self.hidden.checked_mul(2),
            _ => Some(self.hidden),
        };
        n.ok_or_else(|| Error::overflow("norm parameters"))
    }

    /// Query and key norm weights of one layer.
    fn qk_norm_width(&self) -> Result<u64> {
        let n = match self.qk_norm {
            // Llama4TextL2Norm has no weight.
            QkNorm::None | QkNorm::L2 => Some(0),
            // Qwen3RMSNorm(head_dim) / Gemma3RMSNorm(head_dim), shared by all heads; Phi's
            // q_layernorm and k_layernorm are nn.LayerNorm(head_dim) with a bias each.
            QkNorm::PerHead => {
                let per = if self.norm.kind == NormKind::LayerNorm && self.norm.bias {
                    2
                } else {
                    1
                };
                self.head_dim.checked_mul(2 * per)
            }
            // Olmo2RMSNorm(heads * head_dim) and Olmo2RMSNorm(kv_heads * head_dim).
            QkNorm::Full => self
                .heads
                .checked_add(self.kv_heads)
                .and_then(|n| n.checked_mul(self.head_dim)),
        };
        n.ok_or_else(|| Error::overflow("query/key norm parameters"))
    }

    /// Elements of one GraniteMoE or Llama 4 expert: its rows of `input_linear` /
    /// `gate_up_proj` (gate and up, 2 * intermediate x hidden) and `output_linear` / `down_proj`
    /// (hidden x intermediate), which GraniteMoeParallelExperts and Llama4TextExperts keep as 3-D
    /// parameters rather than linear layers.
    fn parallel_expert(&self) -> Result<Option<u64>> {
        match self.moe {
            Some(m) if matches!(self.family, Family::Granitemoe | Family::Llama4) => m
                .expert_intermediate
                .checked_mul(self.hidden)
                .and_then(|n| n.checked_mul(3))
                .map(Some)
                .ok_or_else(|| Error::overflow("expert size")),
            _ => Ok(None),
        }
    }

    /// gpt-oss's experts and router, which are bare parameters rather than linear layers:
    /// the mixture, the elements of one expert (`gate_up_proj` hidden x 2 intermediate and its
    /// bias, `down_proj` intermediate x hidden and its bias) and of one layer's router (weight and
    /// bias).
    fn gpt_oss_moe(&self) -> Result<Option<(Moe, u64, u64)>> {
        let Some(m) = self.moe.filter(|_| self.family == Family::GptOss) else {
            return Ok(None);
        };
        let (h, f) = (self.hidden, m.expert_intermediate);
        let per_expert = h
            .checked_mul(f)
            .and_then(|w| w.checked_mul(3))
            .and_then(|w| w.checked_add(2 * f))
            .and_then(|w| w.checked_add(h))
            .ok_or_else(|| Error::overflow("expert parameters"))?;
        let router = h
            .checked_add(1)
            .and_then(|r| r.checked_mul(m.experts))
            .ok_or_else(|| Error::overflow("router parameters"))?;
        Ok(Some((m, per_expert, router)))
    }

    /// gpt-oss's parameters that are neither linear layers nor vectors of the hidden width, one
    /// layer's worth each, as (elements, rows): the 3-D `gate_up_proj` and `down_proj` of the
    /// experts and their 2-D biases, the router's weight and bias, the attention sinks.
    /// Empty for every other family.
    ///
    /// # Errors
    /// `Overflow` when a size exceeds 64 bits.
    pub(crate) fn bare_tensors(&self) -> Result<Vec<(u64, u64)>> {
        let Some((m, _, _)) = self.gpt_oss_moe()? else {
            return Ok(Vec::new());
        };
        let of = || Error::overflow("expert parameters");
        let (e, h, f) = (m.experts, self.hidden, m.expert_intermediate);
        let eh = e.checked_mul(h).ok_or_else(of)?;
        let ef2 = e
            .checked_mul(f)
            .and_then(|n| n.checked_mul(2))
            .ok_or_else(of)?;
        let gate_up = eh.checked_mul(2 * f).ok_or_else(of)?;
        let down = eh.checked_mul(f).ok_or_else(of)?;
        Ok(alloc::vec![
            (gate_up, e * h),
            (ef2, e),
            (down, e * f),
            (eh, e),
            (eh, e),
            (e, 1),
            (self.heads, 1),
        ])
    }

    /// DeepSeek's `MoEGate` / `DeepseekV3TopkRouter` keeps its weight as a bare parameter.
    fn deepseek_router(&self) -> bool {
        self.moe.is_some() && matches!(self.family, Family::DeepseekV2 | Family::DeepseekV3)
    }
}

/// Parameters of the routed experts a token does not use: `experts - active` per MoE layer.
fn idle_experts(m: &Moe, moe_layers: u64, per_expert: u64) -> Result<u64> {
    let idle = m.experts.saturating_sub(m.active);
    moe_layers
        .checked_mul(idle)
        .and_then(|n| n.checked_mul(per_expert))
        .ok_or_else(|| Error::overflow("expert parameters"))
}

/// A running parameter count that fails on overflow.
#[derive(Default)]
struct Count(u64);

impl Count {
    /// Adds `per * count` and returns it.
    fn add_times(&mut self, per: u64, count: u64) -> Result<u64> {
        let of = || Error::overflow("parameter count");
        let x = per.checked_mul(count).ok_or_else(of)?;
        self.0 = self.0.checked_add(x).ok_or_else(of)?;
        Ok(x)
    }
}
