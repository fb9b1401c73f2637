//! The Llama 4 text decoder layer (`Llama4TextDecoderLayer` in transformers 5.23.0): attention
//! with complex-valued rotary positions and weightless query/key norms on the chunked layers, and
//! temperature-tuned queries on the global ones; a dense MLP or the dense-over-all-experts
//! `Llama4TextMoe`.

use super::{resized, Builder, Dims, ROTATED};
use crate::error::Result;
use crate::memory::tape::{elems, V};
use crate::model::QkNorm;

impl Builder<'_> {
    /// `input_layernorm`, attention, residual; `post_attention_layernorm`, the feed-forward block
    /// (`moe`: `Llama4TextMoe`, else `Llama4TextMLP` of `intermediate_size_mlp`), residual.
    ///
    /// `rope` layers (`no_rope_layers[i] == 1`, the chunked ones) rotate queries and keys by the
    /// shared complex table `freqs` and, with `use_qk_norm`, normalise them; the others scale the
    /// queries by the position-dependent attention temperature (`attn_temperature_tuning`, on in
    /// every published config: when off, only the short-lived fp32 product below is missing).
    pub fn llama4_layer(&mut self, x: V, freqs: V, moe: bool, rope: bool) -> Result<V> {
        let spec = self.spec;
        let Dims { rows, h, heads, qd } = self.dims()?;
        let (kv_heads, kd) = self.kv_dims();

        let n1 = self.norm(x, rows, h)?;
        let q = self.linear(n1, "q_proj", h, qd, rows)?;
        let k = self.linear(n1, "k_proj", h, kd, rows)?;
        let v = self.linear(n1, "v_proj", h, kd, rows)?;
        let (q, k) = if rope {
            let q = self.rope_complex(q, freqs);
            let k = self.rope_complex(k, freqs);
            if spec.qk_norm == QkNorm::L2 {
                let q = self.l2_norm(q, elems(&[rows, heads])?)?;
                let k = self.l2_norm(k, elems(&[rows, kv_heads])?)?;
                (q, k)
            } else {
                (q, k)
            }
        } else {
            // `attn_scales`: log1p(floor((positions + 1) / floor_scale)) * attn_scale + 1, one
            // fp32 value per position, broadcast over the batch and heads; the product is fp32
            // and cast back to the queries' dtype. It keeps the scales for the queries' gradient.
            let scales = self.t.constant(self.sh.s, 4);
            let scaled = self.t.mul(q, scales);
            (self.t.cast(scaled, q.dt), k)
        };
        let a = self.attention_core(q, k, v, heads, kv_heads, ROTATED)?;
        let o = self.linear(a, "o_proj", qd, h, rows)?;
        self.t.hold(n1);
        let x2 = self.t.add(x, o);

        let n2 = self.norm(x2, rows, h)?;
        let m = if moe {
            self.llama4_moe(n2, rows)?
        } else {
            self.gated_mlp(n2, rows, spec.ffn.intermediate / self.sh.tp, false)?
        };
        self.t.hold(n2);
        Ok(self.t.add(x2, m))
    }

    /// `apply_rotary_emb`: the fp32 copy of `x` (`x.float()`) viewed as complex pairs, times the
    /// complex64 `freqs_cis` (which the product keeps: the shared table), viewed back as real
    /// and cast to `x`'s dtype (`type_as`).
    fn rope_complex(&mut self, x: V, freqs: V) -> V {
        let x32 = self.t.cast(x, 4);
        let rotated = self.t.mul(x32, freqs);
        self.t.cast(rotated, x.dt)
    }

    /// `Llama4TextL2Norm`: `x.float()`, `x * rsqrt(x.pow(2).mean(-1) + eps)` over each head,
    /// `type_as(x)`; no weight.
    fn l2_norm(&mut self, x: V, rows: u64) -> Result<V> {
        let x32 = self.t.cast(x, 4);
        let normed = self.rms_core(x32, rows)?;
        Ok(self.t.cast(normed, x.dt))
    }

    /// `Llama4TextMoe.forward`: the router (`Llama4Router`: linear, top-k, the k logits
    /// scattered into a `-inf` tensor of all experts, sigmoid in fp32, cast back), every token
    /// repeated once per expert (`hidden_states.repeat(num_experts, 1)`) and multiplied by its
    /// score column (`router_scores.transpose(0, 1).reshape(-1, 1)`, a copy), then
    /// `Llama4TextExperts`: two batched matmuls over all experts (`torch.bmm` with the 3-D
    /// `gate_up_proj` and `down_proj`, dense: every expert sees every token, weighted by a zero
    /// score where it was not picked) around `up * act(gate)`; the shared expert, and the routed
    /// outputs summed over the experts and added into it in place.
    fn llama4_moe(&mut self, x: V, rows: u64) -> Result<V> {
        let Some(moe) = self.spec.moe else {
            return self.gated_mlp(x, rows, self.spec.ffn.intermediate, false);
        };
        let h = self.spec.hidden;
        let e = moe.experts;
        let f = moe.expert_intermediate / self.sh.tp;
        let logits = self.linear(x, "router", h, e, rows)?;
        // `topk` keeps its int64 indices, which the scatter's backward reads too.
        let top = self
            .t
            .gather(logits, elems(&[rows, moe.active])?, elems(&[rows, moe.active])?);
        let scores = self.t.copy(resized(top, elems(&[rows, e])?));
        let s32 = self.t.cast(scores, 4);
        let sig = self.t.unary_keep_output(s32, 4);
        let scores = self.t.cast(sig, logits.dt);
        let column = self.t.copy(scores);
        let pairs = elems(&[e, rows])?;
        let repeated = self.t.copy(resized(x, elems(&[pairs, h])?));
        let routed_in = self.t.mul(repeated, column);
        let trainable = self.r.full_train;
        let dt = self.r.weights;
        let gate_up_w = self.t.param(elems(&[e, h, 2 * f])?, dt, trainable);
        let gate_up = self
            .t
            .linear(routed_in, gate_up_w, elems(&[pairs, 2 * f])?);
        let gate = self.t.view(gate_up, elems(&[pairs, f])?);
        let up = self.t.view(gate_up, elems(&[pairs, f])?);
        let act = self.activation(gate);
        let gated = self.t.mul(up, act);
        let down_w = self.t.param(elems(&[e, f, h])?, dt, trainable);
        let down = self.t.linear(gated, down_w, elems(&[pairs, h])?);
        // `gate` and `up` (views of `gate_up`) stay referenced until the experts return.
        self.t.hold(gate_up);
        let shared = self.gated_mlp(x, rows, moe.shared_intermediate / self.sh.tp, false)?;
        let summed = self.t.reduce(down, elems(&[rows, h])?);
        let out = self.t.add(shared, summed);
        // `routed_in` and `router_scores` stay referenced until the block returns.
        self.t.hold(routed_in);
        self.t.hold(scores);
        Ok(out)
    }
}
