//! Routed experts stored as 3-D parameters and run by transformers 5's default
//! `grouped_mm_experts_forward` (`integrations/moe.py`), with the routers of OLMoE, GraniteMoE
//! and Phi-MoE.

use super::Builder;
use crate::error::Result;
use crate::memory::tape::{elems, V};
use crate::model::Family;

impl Builder<'_> {
    /// `OlmoeSparseMoeBlock` / `GraniteMoeMoE` / `PhimoeSparseMoeBlock`: each family's router,
    /// then [`Builder::routed_experts`].
    pub(super) fn grouped_experts(&mut self, x: V, rows: u64) -> Result<V> {
        let Some(moe) = self.spec.moe else {
            return self.gated_mlp(x, rows, self.spec.ffn.intermediate, false);
        };
        let h = self.spec.hidden;
        let pairs = elems(&[rows, moe.active])?;
        let mut x = x;
        if moe.input_jitter && self.r.training {
            // PhimoeSparseMoeBlock and PhimoeTopKRouter each `hidden_states *= empty_like(..)
            // .uniform_(..)`: the product keeps its noise tensor for backward.
            for _ in 0..2 {
                let noise = self.t.noise(x.elems, x.dt);
                x = self.t.mul(x, noise);
            }
        }
        // `topk` keeps its int64 indices for backward; the scores are cast back to bf16/fp16.
        let top = if self.spec.family == Family::Phimoe {
            // PhimoeTopKRouter's `sparsemixer`: the top expert and then the next, each from a
            // masked softmax over the experts (kept for backward) and a gather of its weight;
            // the two weights concatenated.
            let logits = self.linear(x, "gate", h, moe.experts, rows)?;
            let first = self.t.unary_keep_output(logits, logits.dt);
            let second = self.t.unary_keep_output(logits, logits.dt);
            let w1 = self.t.gather(first, rows, rows);
            let w2 = self.t.gather(second, rows, rows);
            self.t.add(w1.resized(pairs), w2.resized(pairs))
        } else if self.spec.family == Family::Granitemoe {
            // GraniteMoeTopKRouter: fp32 copy of the logits, top-k of them, softmax over the k.
            let logits = self.linear(x, "layer", h, moe.experts, rows)?;
            let l32 = self.t.cast(logits, 4);
            let top = self.t.gather(l32, pairs, pairs);
            let p = self.t.unary_keep_output(top, 4);
            self.t.cast(p, x.dt)
        } else {
            // OlmoeTopKRouter: fp32 softmax over all experts, top-k of the probabilities.
            let logits = self.linear(x, "gate", h, moe.experts, rows)?;
            let probs = self.t.unary_keep_output(logits, 4);
            let top = self.t.gather(probs, pairs, pairs);
            self.t.cast(top, logits.dt)
        };
        let scores = self.t.gather(top, pairs, pairs);
        self.routed_experts(x, scores, rows)
    }

    /// The routed experts of transformers 5.23's default `grouped_mm_experts_forward`
    /// (`integrations/moe.py`), given the top-k routing `scores` of each token: the token-expert
    /// pairs gathered in expert order (`hidden_states[perm // top_k]`), one grouped matmul into the
    /// fused `gate_up_proj` (whose output stays referenced while `act(gate) * up` forms), one
    /// through `down_proj`, weighted by the scores (in their dtype: fp32 routers promote the
    /// product), put back in token order (`weighted_out[inv_perm]`), summed over the top-k and cast
    /// to the hidden dtype. The gathered input and the down projection's output stay referenced by
    /// Python variables until the function returns. The experts are 3-D parameters, not
    /// `nn.Linear`: PEFT's `target_modules` and bitsandbytes leave them alone.
    pub(super) fn routed_experts(&mut self, x: V, scores: V, rows: u64) -> Result<V> {
        let Some(moe) = self.spec.moe else {
            return self.gated_mlp(x, rows, self.spec.ffn.intermediate, false);
        };
        let h = self.spec.hidden;
        let f = moe.expert_intermediate / self.sh.tp;
        let pairs = elems(&[rows, moe.active])?;
        let selected = self.t.gather(x, elems(&[pairs, h])?, pairs);
        let gate_up = self.experts_matmul(selected, h, 2 * f, pairs, moe.experts)?;
        let gate = self.t.view(gate_up, elems(&[pairs, f])?);
        let up = self.t.view(gate_up, elems(&[pairs, f])?);
        let act = self.activation(gate);
        let gated = self.t.mul(act, up);
        let down = self.experts_matmul(gated, f, h, pairs, moe.experts)?;
        let weighted = self.t.mul(down, scores);
        let ordered = self.t.gather(weighted, weighted.elems, pairs);
        self.t.hold(selected);
        self.t.hold(down);
        let summed = self.t.reduce(ordered, elems(&[rows, h])?);
        Ok(self.t.cast(summed, x.dt))
    }

    /// One grouped matmul over all `experts` weights of `d_in x d_out` (`torch._grouped_mm`):
    /// keeps its input when the experts train.
    fn experts_matmul(
        &mut self,
        x: V,
        d_in: u64,
        d_out: u64,
        pairs: u64,
        experts: u64,
    ) -> Result<V> {
        let weights = elems(&[experts, d_in, d_out])?;
        let w = self.t.param(weights, self.r.weights, self.r.full_train);
        Ok(self.t.linear(x, w, elems(&[pairs, d_out])?))
    }
}
