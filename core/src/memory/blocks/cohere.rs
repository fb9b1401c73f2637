//! Cohere's decoder layer (`CohereDecoderLayer` and `Cohere2DecoderLayer` in transformers 5.23.0)
//! and its LayerNorm, written out in fp32 (`CohereLayerNorm`).

use super::{Builder, Dims, ROTATED};
use crate::error::Result;
use crate::memory::tape::{elems, V};
use crate::model::QkNorm;

impl Builder<'_> {
    /// Cohere block: one LayerNorm feeds attention and the gated MLP; the layer returns
    /// `residual + attention + mlp`.
    pub fn cohere_layer(&mut self, x: V, cos: V, sin: V) -> Result<V> {
        let spec = self.spec;
        let sh = self.sh;
        let Dims { rows, h, heads, qd } = self.dims()?;
        let (kv_heads, kd) = self.kv_dims();
        let n = self.norm(x, rows, h)?;
        let q = self.linear(n, "q_proj", h, qd, rows)?;
        let k = self.linear(n, "k_proj", h, kd, rows)?;
        let v = self.linear(n, "v_proj", h, kd, rows)?;
        let (q, k) = if spec.qk_norm == QkNorm::None {
            (q, k)
        } else {
            // q_norm / k_norm: CohereLayerNorm over each head, weights of shape (heads, head_dim).
            let q = self.norm(q, elems(&[rows, heads])?, qd)?;
            let k = self.norm(k, elems(&[rows, kv_heads])?, kd)?;
            (q, k)
        };
        let (q, k) = self.cohere_rope(q, k, cos, sin);
        let a = self.attention_core(q, k, v, heads, kv_heads, ROTATED)?;
        let o = self.linear(a, "o_proj", qd, h, rows)?;
        let m = self.gated_mlp(n, rows, spec.ffn.intermediate / sh.tp, false)?;
        self.t.hold(n);
        let s = self.t.add(x, o);
        Ok(self.t.add(s, m))
    }

    /// Cohere's `apply_rotary_pos_emb`: q and k `.float()` first (both stay referenced until it
    /// returns), `x * cos + rotate_half(x) * sin` with an interleaved `rotate_half`
    /// (`torch.stack([-x2, x1], -1).flatten(-2)`), both cast back at the end.
    fn cohere_rope(&mut self, q: V, k: V, cos: V, sin: V) -> (V, V) {
        let q32 = self.t.cast(q, 4);
        let k32 = self.t.cast(k, 4);
        let qe = self.cohere_rotate(q32, cos, sin);
        let ke = self.cohere_rotate(k32, cos, sin);
        self.t.hold(q32);
        self.t.hold(k32);
        (self.t.cast(qe, q.dt), self.t.cast(ke, k.dt))
    }

    /// `x * cos + rotate_half(x) * sin` on an fp32 `x`.
    fn cohere_rotate(&mut self, x32: V, cos: V, sin: V) -> V {
        let a = self.t.mul(x32, cos);
        let half = self.t.view(x32, x32.elems / 2);
        let _neg = self.t.scale(half);
        let stacked = self.t.copy(x32);
        let b = self.t.mul(stacked, sin);
        self.t.add(a, b)
    }

    /// `CohereLayerNorm`: in fp32, `(x - mean) * rsqrt(((x - mean) ** 2).mean() + eps)` times the
    /// fp32 weight, cast back to the input dtype; `width` is the weight's size.
    pub(super) fn cohere_norm(&mut self, x: V, rows: u64, width: u64) -> V {
        let x32 = self.t.cast(x, 4);
        let mean = self.t.reduce(x32, rows);
        // `hidden_states - mean` is computed twice, once for the variance and once to normalise.
        let centred = self.t.add(x32, mean);
        let sq = self.t.square(centred);
        let var = self.t.reduce(sq, rows);
        let eps = self.t.add_const(var);
        let r = self.t.unary_keep_output(eps, 4);
        let centred = self.t.add(x32, mean);
        let normed = self.t.mul(centred, r);
        let w = self.t.param(width, self.r.weights, self.r.full_train);
        let w32 = self.t.cast(w, 4);
        let y = self.t.mul(w32, normed);
        self.t.cast(y, x.dt)
    }
}
