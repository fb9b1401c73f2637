//! GPT-J's decoder layer (`GPTJBlock` in transformers 5.23.0), whose attention is its own eager
//! code: there is no SDPA path (`GPTJPreTrainedModel` does not declare `_supports_sdpa`).

use super::{Builder, Dims};
use crate::error::Result;
use crate::memory::tape::{elems, V};

impl Builder<'_> {
    /// GPT-J block: `ln_1` feeds attention and the MLP; the block returns
    /// `attention + mlp + residual`.
    pub fn gptj_layer(&mut self, x: V, table: V) -> Result<V> {
        let spec = self.spec;
        let sh = self.sh;
        let Dims { rows, h, heads, qd } = self.dims()?;
        let d = spec.head_dim;
        let r = spec.rotary_dim.unwrap_or(d).min(d);
        let scores = elems(&[sh.b, heads, sh.s, sh.kv])?;
        let previous = self.previous_probs(table, scores);
        let n = self.norm(x, rows, h)?;
        let q = self.linear(n, "q_proj", h, qd, rows)?;
        let k = self.linear(n, "k_proj", h, qd, rows)?;
        let v = self.linear(n, "v_proj", h, qd, rows)?;
        // `torch.gather` of the sinusoid buffer, cast to the key's dtype and split into sin and cos.
        let sincos = self.t.copy(table.resized(elems(&[rows, r])?));
        let sincos = self.t.cast(sincos, q.dt);
        let k = self.gptj_rotate(k, sincos, heads, r)?;
        let q = self.gptj_rotate(q, sincos, heads, r)?;
        // `_attn`: q and k in fp32, scores, `/ scale_attn`, `+ mask`, softmax in fp32, cast to v's
        // dtype, `@ v`; matmul copies the token-major q, k and v into batched layouts.
        let q32 = self.t.cast(q, 4);
        let k32 = self.t.cast(k, 4);
        let qc = self.t.copy(q32);
        let kc = self.t.copy(k32);
        let raw = self.t.bmm(qc, kc, scores);
        let scaled = self.t.scale(raw);
        let masked = self.t.add_const(scaled);
        let p32 = self.t.unary_keep_output(masked, 4);
        let probs = self.t.cast(p32, v.dt);
        let a = self.weigh_values(probs, v, q.elems, true);
        // `_attn` rebinds `query` and `key` to their fp32 copies, which live until it returns; the
        // caller's rotated q and k live until the layer's attention returns.
        self.t.hold(q32);
        self.t.hold(k32);
        self.t.hold(q);
        self.t.hold(k);
        let o = self.linear(a, "out_proj", qd, h, rows)?;
        let o = self.residual_dropout(o);
        let f = spec.ffn.intermediate / sh.tp;
        let up = self.linear(n, "fc_in", h, f, rows)?;
        let act = self.activation(up);
        let down = self.linear(act, "fc_out", f, h, rows)?;
        let down = self.residual_dropout(down);
        self.t.hold(n);
        if let Some(p) = previous {
            self.t.hold(p);
        }
        let s = self.t.add(o, down);
        Ok(self.t.add(s, x))
    }

    /// Without autograd (prefill), the previous block's attention probabilities, which the block
    /// returns and the model's loop keeps in `outputs` until the next block returns, as a tensor
    /// live over this whole block (the caller holds it at the end); in training the previous
    /// block saved them anyway.
    pub(super) fn previous_probs(&mut self, table: V, scores: u64) -> Option<V> {
        if self.r.training {
            return None;
        }
        let like = table.resized(scores);
        Some(self.t.copy(like))
    }

    /// GPT-J's `apply_rotary_pos_emb` on the first `r` channels of each head: sin and cos
    /// `repeat_interleave`d (new tensors, which the products keep), `x * cos +
    /// rotate_every_two(x) * sin`, then `torch.cat` with the channels that pass.
    fn gptj_rotate(&mut self, x: V, sincos: V, heads: u64, r: u64) -> Result<V> {
        let rows = elems(&[self.sh.b, self.sh.s])?;
        let wide = elems(&[rows, r])?;
        let sin = self.t.copy(sincos.resized(wide));
        let cos = self.t.copy(sincos.resized(wide));
        let part = self.t.view(x, elems(&[rows, heads, r])?);
        let a = self.t.mul(part, cos);
        let half = self.t.view(part, part.elems / 2);
        let _neg = self.t.scale(half);
        let stacked = self.t.copy(part);
        let b = self.t.mul(stacked, sin);
        let rotated = self.t.add(a, b);
        Ok(self.t.copy(rotated.resized(x.elems)))
    }
}
