//! The gpt-oss decoder layer (`GptOssDecoderLayer` in transformers 5.23.0), its experts run by
//! the default `grouped_mm` implementation (`integrations/moe.py`).

use super::{resized, Builder, Dims, ROTATED};
use crate::error::Result;
use crate::memory::recipe::AttnKernel;
use crate::memory::tape::{elems, V};

impl Builder<'_> {
    /// `input_layernorm`, attention with sinks, residual; `post_attention_layernorm`, the mixture
    /// of experts, residual.
    pub fn gpt_oss_layer(&mut self, x: V, cos: V, sin: V) -> Result<V> {
        let Dims { rows, h, heads, qd } = self.dims()?;
        let (kv_heads, kd) = self.kv_dims();

        let n1 = self.norm(x, rows, h)?;
        let q = self.linear(n1, "q_proj", h, qd, rows)?;
        let k = self.linear(n1, "k_proj", h, kd, rows)?;
        let v = self.linear(n1, "v_proj", h, kd, rows)?;
        // `_apply_rotary_emb`: both halves times cos and sin, concatenated head-major.
        let q = self.rope(q, cos, sin);
        let k = self.rope(k, cos, sin);
        let a = if self.r.kernel == AttnKernel::Eager {
            self.sink_attention(q, k, v, heads, kv_heads)?
        } else {
            let a = self.attention_core(q, k, v, heads, kv_heads, ROTATED)?;
            self.token_major(a)
        };
        let o = self.linear(a, "o_proj", qd, h, rows)?;
        self.t.hold(n1);
        let x2 = self.t.add(x, o);

        let n2 = self.norm(x2, rows, h)?;
        let m = self.gpt_oss_experts(n2, rows)?;
        self.t.hold(n2);
        Ok(self.t.add(x2, m))
    }

    /// `eager_attention_forward` of gpt-oss: the scores, with each head's sink logit
    /// concatenated as one more column, minus their row maximum, softmax in the scores' dtype
    /// (kept, sink column included), the sink column dropped by a view, times the values.
    fn sink_attention(&mut self, q: V, k: V, v: V, heads: u64, kv_heads: u64) -> Result<V> {
        let sh = self.sh;
        let rep = heads / kv_heads.max(1);
        let (q, k, v) = if self.r.autocast {
            let c = self.r.compute;
            (self.t.cast(q, c), self.t.cast(k, c), self.t.cast(v, c))
        } else {
            (q, k, v)
        };
        let scores = elems(&[sh.b, heads, sh.s, sh.kv])?;
        let with_sink = elems(&[sh.b, heads, sh.s, sh.kv + 1])?;
        // `repeat_kv` of the keys and of the values both run before the scores.
        let kr = self.expanded_kv(k, q.elems, rep > 1, false);
        let vr = self.expanded_kv(v, q.elems, rep > 1, ROTATED.v);
        let raw = self.t.bmm(q, kr, scores);
        let scaled = self.t.scale(raw);
        let masked = self.t.add_const(scaled);
        let combined = self.t.copy(resized(masked, with_sink));
        // `combined.max(dim=-1)` keeps its int64 indices (b x heads x s x 8 bytes), left out.
        let max = self.t.reduce(combined, elems(&[sh.b, heads, sh.s])?);
        let shifted = self.t.add(combined, max);
        let probs = self.t.unary_keep_output(shifted, shifted.dt);
        // The masked scores stay referenced (`attn_weights`) until the dropout line rebinds it.
        self.t.hold(masked);
        let kept = self.t.view(probs, scores);
        Ok(self.weigh_values(kept, vr, q.elems, false))
    }

    /// `GptOssMLP` through `grouped_mm_experts_forward`: the router (`F.linear` with a bias,
    /// top-k, softmax of the k logits), the token rows gathered per expert, `gate_up_proj` as one
    /// grouped matmul over the whole 3-D parameter (its bias added in place from a gathered
    /// copy), the clamped SwiGLU of interleaved gate and up columns, `down_proj` likewise, the
    /// routing weights, the rows put back in token order and summed over the k experts.
    fn gpt_oss_experts(&mut self, x: V, rows: u64) -> Result<V> {
        let Some(moe) = self.spec.moe else {
            return self.gated_mlp(x, rows, self.spec.ffn.intermediate, false);
        };
        let h = self.spec.hidden;
        let f = moe.expert_intermediate / self.sh.tp;
        let logits = self.linear(x, "router", h, moe.experts, rows)?;
        let top = self.t.reduce(logits, elems(&[rows, moe.active])?);
        let weights = self.t.unary_keep_output(top, top.dt);
        let routed = elems(&[rows, moe.active])?;
        let gathered = self.t.copy(resized(x, elems(&[routed, h])?));
        let sample = self.t.copy(weights);
        let trainable = self.r.full_train;
        let dt = self.r.weights;
        let gate_up_w = self
            .t
            .param(elems(&[moe.experts, h, 2 * f])?, dt, trainable);
        let gate_up = self.t.linear(gathered, gate_up_w, elems(&[routed, 2 * f])?);
        // `gate_up_proj_bias[expert_ids_g]` is a gathered copy, added in place and dropped.
        self.t.fwd_scratch(elems(&[routed, 2 * f, dt])?);
        let one = elems(&[routed, f])?;
        // `gate.clamp(max=limit)` and `up.clamp(-limit, limit)` keep their strided inputs, so
        // the whole `gate_up` output stays.
        let gate = self.t.unary_keep_input(resized(gate_up, one), gate_up.dt);
        let up = self.t.unary_keep_input(resized(gate_up, one), gate_up.dt);
        let scaled = self.t.scale(gate);
        let sig = self.t.unary_keep_output(scaled, scaled.dt);
        let glu = self.t.mul(gate, sig);
        let up1 = self.t.add_const(up);
        let gated = self.t.mul(up1, glu);
        let down_w = self.t.param(elems(&[moe.experts, f, h])?, dt, trainable);
        let down = self.t.linear(gated, down_w, elems(&[routed, h])?);
        self.t.fwd_scratch(elems(&[routed, h, dt])?);
        let weighted = self.t.mul(down, sample);
        let unsorted = self.t.copy(weighted);
        // `selected_hidden_states_g` and the last `proj_out` stay referenced until the function
        // returns.
        self.t.hold(gathered);
        self.t.hold(down);
        Ok(self.t.reduce(unsorted, elems(&[rows, h])?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Builder, Shape};
    use crate::memory::recipe::Recipe;
    use crate::memory::tape::Tape;
    use crate::model::from_hf_config;
    use crate::request::EstimateRequest;

    #[test]
    fn gpt_oss_layer_saves_what_the_accuracy_suite_measured() {
        // tests/accuracy/configs/gpt-oss-tiny.json: gpt-oss-20b's widths, 8 experts, top-4.
        let spec = from_hf_config(
            r#"{"model_type": "gpt_oss", "hidden_size": 2880, "num_hidden_layers": 4,
                "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
                "intermediate_size": 2880, "vocab_size": 201088, "max_position_embeddings": 131072,
                "num_local_experts": 8, "num_experts_per_tok": 4}"#,
        )
        .unwrap();
        let req: EstimateRequest = serde_json::from_str(
            r#"{"model":{"catalogue":"x"},"precision":"bf16","attention":"eager"}"#,
        )
        .unwrap();
        let r = Recipe::new(&req, &spec);
        let sh = Shape {
            b: 4,
            s: 512,
            kv: 512,
            tp: 1,
        };
        let mut tape = Tape::new();
        let mut bl = Builder::new(&spec, &r, sh, &mut tape);
        let x = bl.t.external(4 * 512 * 2880, 2, true);
        let cos = bl.t.shared(4 * 512 * 64, 2);
        let sin = bl.t.shared(4 * 512 * 64, 2);
        let out = bl.gpt_oss_layer(x, cos, sin).unwrap();
        let p = bl.t.profile(out);
        // Measured (inventory.py gpt-oss-tiny_bf16_ft_sgd_b4_s512_eager, layer 0): 745,718,272 B
        // of new saved tensors. Left out here: the int64 indices of `max` (1,048,576 B), of
        // `topk`, the sort and the inverse permutation (5 x 65,536 B), the int32 expert offsets
        // (512 B) and the two per-layer bf16 copies of the (1, 1, s, 32) cos/sin (2 x 32,768 B).
        let left_out = 1_048_576 + 5 * 65_536 + 512 + 2 * 32_768;
        assert_eq!(p.saved, 745_718_272 - left_out);
    }
}
