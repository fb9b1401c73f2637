//! The Llama 4 text decoder layer (`Llama4TextDecoderLayer` in transformers 5.23.0): attention
//! with complex-valued rotary positions and weightless query/key norms on the chunked layers, and
//! temperature-tuned queries on the global ones; a dense MLP or the dense-over-all-experts
//! `Llama4TextMoe`.

use super::{resized, Builder, Dims, ROTATED};
use crate::error::Result;
use crate::memory::recipe::AttnKernel;
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
        self.probs = None;
        let masked = rope && spec.sliding_window.is_some_and(|w| self.sh.kv > w.window);
        let a = if masked && self.r.kernel == AttnKernel::MemEfficient {
            self.chunk_masked_attention(q, k, v, heads, kv_heads)?
        } else {
            self.attention_core(q, k, v, heads, kv_heads, ROTATED)?
        };
        let probs = self.probs.take();
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
        let out = self.t.add(x2, m);
        // `attention_states, _ = self.self_attn(...)`: the attention output and, from eager
        // attention, its probabilities stay referenced until the layer returns.
        self.t.hold(o);
        if let Some(p) = probs {
            self.t.hold(p);
        }
        Ok(out)
    }

    /// `torch.bmm` of `x` with a 3-D expert parameter of `weight` elements: under autocast both
    /// are cast to the compute dtype first (the weight's copy cached for the forward), and the
    /// matmul keeps the casts.
    fn experts_bmm(&mut self, x: V, weight: u64, out: u64) -> V {
        let w = self.t.param(weight, self.r.weights, self.r.full_train);
        if self.r.autocast {
            let xc = self.t.cast(x, self.r.compute);
            let wc = self.t.cast(w, self.r.compute);
            self.t.linear(xc, wc, out)
        } else {
            self.t.linear(x, w, out)
        }
    }

    /// SDPA on a chunked layer once the sequence outgrows the chunk: Hugging Face passes the
    /// boolean chunk mask, so it repeats the key/value heads itself (no `enable_gqa`), and
    /// `scaled_dot_product_attention` turns the mask into an additive one in the queries' dtype
    /// (`where`, one `(batch, 1, q, kv)` tensor per call), which the memory-efficient kernel keeps
    /// for its backward beside q, k, v, the output and the log-sum-exp (padded to 32 rows).
    fn chunk_masked_attention(&mut self, q: V, k: V, v: V, heads: u64, kv_heads: u64) -> Result<V> {
        let sh = self.sh;
        let rep = heads / kv_heads.max(1) > 1;
        let k = self.expanded_kv(k, q.elems, rep, false);
        let v = self.expanded_kv(v, q.elems, rep, false);
        let bias = self.t.constant(elems(&[sh.b, sh.s, sh.kv])?, q.dt);
        let lse = elems(&[sh.b, heads, sh.s.div_ceil(32) * 32])?;
        Ok(self.t.fused_attention(q, k, v, lse, 0, Some(bias)))
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
        let top = self.t.gather(
            logits,
            elems(&[rows, moe.active])?,
            elems(&[rows, moe.active])?,
        );
        let scores = self.t.copy(resized(top, elems(&[rows, e])?));
        let s32 = self.t.cast(scores, 4);
        let sig = self.t.unary_keep_output(s32, 4);
        let scores = self.t.cast(sig, logits.dt);
        let column = self.t.copy(scores);
        let pairs = elems(&[e, rows])?;
        let repeated = self.t.copy(resized(x, elems(&[pairs, h])?));
        let routed_in = self.t.mul(repeated, column);
        let gate_up = self.experts_bmm(routed_in, elems(&[e, h, 2 * f])?, elems(&[pairs, 2 * f])?);
        let gate = self.t.view(gate_up, elems(&[pairs, f])?);
        let up = self.t.view(gate_up, elems(&[pairs, f])?);
        let act = self.activation(gate);
        let gated = self.t.mul(up, act);
        let down = self.experts_bmm(gated, elems(&[e, f, h])?, elems(&[pairs, h])?);
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

#[cfg(test)]
mod tests {
    use super::super::{Builder, Shape};
    use crate::memory::recipe::Recipe;
    use crate::memory::tape::Tape;
    use crate::model::from_hf_config;
    use crate::request::EstimateRequest;

    const TINY: &str = include_str!("../../../../tests/accuracy/configs/llama4-tiny.json");

    /// Saved bytes of one layer of `tests/accuracy/configs/llama4-tiny.json`, bf16, SDPA,
    /// two sequences of 1024 tokens (four 256-token chunks).
    fn saved(moe: bool, rope: bool) -> u64 {
        saved_with(moe, rope, "sdpa")
    }

    fn saved_with(moe: bool, rope: bool, attention: &str) -> u64 {
        saved_in(moe, rope, attention, "bf16")
    }

    fn saved_in(moe: bool, rope: bool, attention: &str, precision: &str) -> u64 {
        let spec = from_hf_config(TINY).unwrap();
        let req: EstimateRequest = serde_json::from_str(&format!(
            r#"{{"model":{{"catalogue":"x"}},"precision":"{precision}","sequence":1024,
                "attention":"{attention}"}}"#
        ))
        .unwrap();
        let mut r = Recipe::new(&req, &spec);
        if !rope {
            r.kernel = r.global_kernel;
        }
        let sh = Shape {
            b: 2,
            s: 1024,
            kv: 1024,
            tp: 1,
        };
        let mut tape = Tape::new();
        let mut bl = Builder::new(&spec, &r, sh, &mut tape);
        let x = bl.t.external(2 * 1024 * 1024, r.weights, true);
        let freqs = bl.t.shared(1024 * 64, 4);
        let out = bl.llama4_layer(x, freqs, moe, rope).unwrap();
        bl.t.profile(out).saved
    }

    #[test]
    fn each_kind_of_layer_saves_what_the_accuracy_suite_measured() {
        // Measured: inventory.py llama4-tiny_bf16_ft_adamw_b2_s1024_sdpa, "Unique saved
        // activation bytes per layer". Layer 0 (rotary, chunked, dense) also saves the shared
        // complex64 `freqs_cis` first (1 x 1024 x 32 x 8 B = 262,144 B), accounted once per model
        // outside the layers here.
        assert_eq!(saved(false, true), 132_695_040 - 262_144);
        assert_eq!(saved(true, true), 283_542_528);
        assert_eq!(saved(false, false), 111_301_632);
        assert_eq!(saved(true, false), 262_411_264);
    }

    #[test]
    fn eager_layers_save_what_the_accuracy_suite_measured() {
        // Measured: inventory.py llama4-tiny_bf16_ft_sgd_b2_s1024_eager, per layer; layer 0 again
        // includes the shared `freqs_cis`.
        for (moe, rope, want) in [
            (false, true, 195_477_504 - 262_144),
            (true, true, 346_324_992),
            (false, false, 184_569_856),
            (true, false, 335_679_488),
        ] {
            let got = saved_with(moe, rope, "eager");
            assert_eq!(got, want, "moe {moe} rope {rope}: {got} - {want}");
        }
    }

    #[test]
    fn autocast_layers_save_what_the_accuracy_suite_measured() {
        // Measured: inventory.py llama4-tiny_amp_bf16_ft_adamw_b2_s1024_sdpa, per layer (fp32
        // residual stream; each bmm keeps bf16 copies of its input and of the 3-D experts).
        for (moe, rope, want) in [
            (false, true, 184_075_264 - 262_144),
            (true, true, 404_145_152),
            (false, false, 162_681_856),
            (true, false, 383_013_888),
        ] {
            let got = saved_in(moe, rope, "sdpa", "amp_bf16");
            assert_eq!(got, want, "moe {moe} rope {rope}: {got} - {want}");
        }
    }
}
