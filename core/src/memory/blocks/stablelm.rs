//! StableLM's decoder layer (`StableLmDecoderLayer` in transformers 5.23.0).

use super::{Builder, Dims, ROTATED};
use crate::error::Result;
use crate::memory::tape::{elems, V};
use crate::model::QkNorm;

impl Builder<'_> {
    /// StableLM block: LayerNorm, q/k/v projections (optionally biased), optional per-head
    /// LayerNorms of queries and keys (`torch.cat` of one LayerNorm per head), partial rotary
    /// (`torch.cat((rot, pass))`), `o_proj`, then either a second LayerNorm and the gated MLP on the
    /// sum (sequential) or the gated MLP on the first LayerNorm's output (`use_parallel_residual`);
    /// `hidden_dropout` follows the MLP.
    pub fn stablelm_layer(&mut self, x: V, cos: V, sin: V) -> Result<V> {
        let spec = self.spec;
        let sh = self.sh;
        let Dims { rows, h, heads, qd } = self.dims()?;
        let (kv_heads, kd) = self.kv_dims();
        let n1 = self.norm(x, rows, h)?;
        let q = self.linear(n1, "q_proj", h, qd, rows)?;
        let k = self.linear(n1, "k_proj", h, kd, rows)?;
        let v = self.linear(n1, "v_proj", h, kd, rows)?;
        let (q, k) = if spec.qk_norm == QkNorm::None {
            (q, k)
        } else {
            // StableLmLayerNormPerHead: a LayerNorm per head over its slice, then `torch.cat`.
            let qn = self.norm(q, elems(&[rows, heads])?, qd)?;
            let kn = self.norm(k, elems(&[rows, kv_heads])?, kd)?;
            (self.t.copy(qn), self.t.copy(kn))
        };
        let q = self.rope(q, cos, sin);
        let k = self.rope(k, cos, sin);
        let a = self.attention_core(q, k, v, heads, kv_heads, ROTATED)?;
        let a = self.token_major(a);
        let o = self.linear(a, "o_proj", qd, h, rows)?;
        let f = spec.ffn.intermediate / sh.tp;
        if spec.parallel_residual {
            let m = self.gated_mlp(n1, rows, f, false)?;
            let m = self.residual_dropout(m);
            self.t.hold(n1);
            let s = self.t.add(x, o);
            return Ok(self.t.add(s, m));
        }
        let x2 = self.t.add(x, o);
        let n2 = self.norm(x2, rows, h)?;
        let m = self.gated_mlp(n2, rows, f, false)?;
        let m = self.residual_dropout(m);
        // The first norm's output (`hidden_states`) and `self_attn_output` stay referenced until
        // the layer returns.
        self.t.hold(n1);
        self.t.hold(o);
        self.t.hold(n2);
        Ok(self.t.add(x2, m))
    }
}
