//! BLOOM's decoder layer (`BloomBlock` in transformers 5.23.0): its attention is always its own
//! eager code (`alibi.baddbmm`), whatever the attention implementation asked for.

use super::{Builder, Dims};
use crate::error::Result;
use crate::memory::tape::{elems, V};

impl Builder<'_> {
    /// BLOOM block: LayerNorm, fused `query_key_value` split into per-head views, scores as
    /// `alibi.baddbmm(q, k^T)` on contiguous copies of q and k, `+ mask`, softmax in fp32 cast back,
    /// `bmm` with a contiguous copy of v, merged heads, `dense`, `dropout_add`, LayerNorm, the
    /// BLOOM GELU MLP and `dropout_add`.
    pub fn bloom_layer(&mut self, x: V, table: V) -> Result<V> {
        let spec = self.spec;
        let sh = self.sh;
        let Dims { rows, h, heads, qd } = self.dims()?;
        let scores = elems(&[sh.b, heads, sh.s, sh.kv])?;
        let previous = self.previous_probs(table, scores);
        let n1 = self.norm(x, rows, h)?;
        let (q, k, v) = self.fused_qkv(n1, "query_key_value", rows, qd)?;
        let qc = self.t.copy(q);
        let kc = self.t.copy(k);
        let raw = self.t.bmm(qc, kc, scores);
        let masked = self.t.add_const(raw);
        let input = if masked.dt == 2 && !self.r.fp16 {
            self.t.cast(masked, 4)
        } else {
            masked
        };
        let p32 = self.t.unary_keep_output(input, 4);
        let probs = self.t.cast(p32, q.dt);
        let a = self.weigh_values(probs, v, q.elems, true);
        // `attention_scores` and the masked `attn_weights` stay referenced until the attention
        // returns.
        self.t.hold(raw);
        self.t.hold(masked);
        let o = self.linear(a, "dense", qd, h, rows)?;
        let o = self.residual_dropout(o);
        let x2 = self.t.add(x, o);
        let n2 = self.norm(x2, rows, h)?;
        self.t.hold(n1);
        let f = spec.ffn.intermediate / sh.tp;
        let up = self.linear(n2, "dense_h_to_4h", h, f, rows)?;
        let act = self.bloom_gelu(up);
        let down = self.linear(act, "dense_4h_to_h", f, h, rows)?;
        let down = self.residual_dropout(down);
        self.t.hold(n2);
        if let Some(p) = previous {
            self.t.hold(p);
        }
        Ok(self.t.add(x2, down))
    }

    /// `BloomGelu`: an autograd Function that saves only its input; its forward
    /// `x * 0.5 * (1 + tanh(0.79788456 * x * (1 + 0.044715 * x * x)))` holds at most four
    /// temporaries of the input's size at once (`x * 0.5`, `0.79788456 * x`, `0.044715 * x`, its
    /// product with x), its backward `bloom_gelu_back` five (`tanh_out`, `0.5 * x`,
    /// `1 - tanh_out ** 2`, the polynomial, their product) besides the gradient it returns.
    fn bloom_gelu(&mut self, x: V) -> V {
        self.t.fwd_scratch(4 * x.bytes());
        let y = self.t.unary_keep_input(x, x.dt);
        // Counted only when its backward runs, that is when `x` requires a gradient.
        self.t.last_bwd_temp(5 * x.bytes());
        y
    }
}
