//! Falcon's decoder layer (`FalconDecoderLayer` and `FalconAttention` in transformers 5.23.0), in
//! both layouts: RW (Falcon-7B: one LayerNorm, one shared key/value head, parallel branches; or
//! sequential with as many key/value heads as queries) and the new decoder architecture
//! (Falcon-40B/180B: key/value groups, `ln_attn` and `ln_mlp`).

use super::{Builder, Dims};
use crate::error::Result;
use crate::memory::recipe::AttnKernel;
use crate::memory::tape::{elems, V};
use crate::model::{Family, ModelSpec};

/// Falcon's new decoder architecture, as its key/value groups show: the RW layout has either one
/// shared key/value head (`multi_query`) or one per query head.
pub(crate) fn new_layout(spec: &ModelSpec) -> bool {
    spec.family == Family::Falcon && spec.kv_heads > 1 && spec.kv_heads < spec.heads
}

impl Builder<'_> {
    /// Falcon block. `FalconModel` always materialises a mask (`allow_is_causal_skip=False`), so
    /// SDPA never runs the flash kernel here; with ALiBi the mask is the `(batch, heads, q, kv)`
    /// bias that the model builds once (counted with the shared tables).
    pub fn falcon_layer(&mut self, x: V, cos: V, sin: V) -> Result<V> {
        let spec = self.spec;
        let sh = self.sh;
        let Dims { rows, h, heads, qd } = self.dims()?;
        let (kv_heads, kd) = self.kv_dims();
        let new = new_layout(spec);
        let scores = elems(&[sh.b, heads, sh.s, sh.kv])?;
        // Only the eager path returns attention weights, which the model's loop keeps.
        let previous = if self.r.kernel == AttnKernel::Eager {
            self.previous_probs(cos, scores)
        } else {
            None
        };
        let n_attn = self.norm(x, rows, h)?;
        // `ln_mlp` of the new layout (`num_ln_in_parallel_attn: 2`).
        let n_mlp = if spec.parallel_residual && spec.norm.per_layer == 2 {
            Some(self.norm(x, rows, h)?)
        } else {
            None
        };
        let fused = self.linear(n_attn, "query_key_value", h, qd + 2 * kd, rows)?;
        let (q, k, v, kv_heads) = if new {
            // `_split_heads`: the key/value of each group broadcast to its query heads, and all three
            // flattened, which copies them.
            let q = self.t.copy(fused.resized(elems(&[rows, qd])?));
            let k = self.t.copy(fused.resized(elems(&[rows, qd])?));
            let v = self.t.copy(fused.resized(elems(&[rows, qd])?));
            (q, k, v, heads)
        } else if kv_heads < heads {
            // `fused_qkv[..., [-2], :]`: advanced indexing copies the one key/value head.
            let q = fused.resized(elems(&[rows, qd])?);
            let k = self.t.copy(fused.resized(elems(&[rows, kd])?));
            let v = self.t.copy(fused.resized(elems(&[rows, kd])?));
            (q, k, v, kv_heads)
        } else {
            let one = elems(&[rows, qd])?;
            (
                fused.resized(one),
                fused.resized(one),
                fused.resized(one),
                heads,
            )
        };
        let (q, k) = if spec.alibi {
            (q, k)
        } else {
            (self.rope(q, cos, sin), self.rope(k, cos, sin))
        };
        let a = self.falcon_attention(q, k, v, heads, kv_heads, scores);
        let o = self.linear(a, "dense", qd, h, rows)?;
        let f = spec.ffn.intermediate / sh.tp;
        let out = if spec.parallel_residual {
            let n = n_mlp.unwrap_or(n_attn);
            let up = self.linear(n, "dense_h_to_4h", h, f, rows)?;
            let act = self.activation(up);
            let down = self.linear(act, "dense_4h_to_h", f, h, rows)?;
            // `mlp_output += attention_output`, then `dropout_add(mlp_output, residual)`.
            let s = self.t.add(down, o);
            let s = self.residual_dropout(s);
            self.t.hold(n);
            self.t.add(x, s)
        } else {
            let o = if spec.dropout.attention > 0.0 {
                self.t.dropout(o)
            } else {
                o
            };
            let x2 = self.t.add(x, o);
            self.mlp_branch(x2, "dense_h_to_4h", "dense_4h_to_h")?
        };
        self.t.hold(n_attn);
        if let Some(p) = previous {
            self.t.hold(p);
        }
        Ok(out)
    }

    /// Falcon's attention on per-head q (token-major view or rotated copy), k and v; returns the
    /// input of `dense`.
    fn falcon_attention(&mut self, q: V, k: V, v: V, heads: u64, kv_heads: u64, scores: u64) -> V {
        let shared_kv = kv_heads < heads;
        match self.r.kernel {
            AttnKernel::Eager if self.spec.alibi => {
                // `q @ k^T` on batched copies, `.to(float32)`, `+ alibi`, `*= 1/sqrt(d)` in place,
                // `softmax(logits + mask, dtype=bf16)`, which converts its input first.
                let qc = self.t.copy(q);
                let kc = self.t.copy(k.resized(q.elems));
                let raw = self.t.bmm(qc, kc, scores);
                let r32 = self.t.cast(raw, 4);
                let biased = self.t.add_const(r32);
                let masked = self.t.add_const(biased);
                let input = self.t.cast(masked, q.dt);
                let probs = self.t.unary_keep_output(input, q.dt);
                self.weigh_values(probs, v, q.elems, true)
            }
            AttnKernel::Eager => {
                // `q @ k^T` (k broadcast over the heads), `/=` in place,
                // `softmax(scores + mask, dtype=hidden_states.dtype)`, `@ v`.
                // Folding (batch, heads) into one batch dimension is a view for one sequence, a
                // copy of q, k and v for more.
                let many = self.sh.b > 1;
                let qc = self.expanded(q, q.elems, many);
                let kc = self.expanded(k, q.elems, many);
                let raw = self.t.bmm(qc, kc, scores);
                let masked = self.t.add_const(raw);
                let probs = self.t.unary_keep_output(masked, q.dt);
                self.weigh_values(probs, v, q.elems, many)
            }
            AttnKernel::Math => {
                // PyTorch's math SDPA runs 16-bit inputs in fp32: q, k and v upcast, `q * sqrt(scale)`,
                // `k * sqrt(scale)`, the matmul broadcasting the shared key/value head (a stride-0
                // view, no copy), `+ mask`, `_safe_softmax` (keeps its output), `@ v`,
                // cast back, then the heads merged (a copy).
                let q32 = self.t.cast(q, 4);
                let k32 = self.t.cast(k, 4);
                let v32 = self.t.cast(v, 4);
                let qs = self.t.scale(q32);
                let ks = self.t.scale(k32);
                // Folding (batch, heads) into one batch dimension is a view for one sequence; for
                // more, q (rotated token-major) and the broadcast k and v are copied whole.
                let many = self.sh.b > 1;
                let qs = self.expanded(qs, q.elems, many);
                let ks = self.expanded(ks, q.elems, many && shared_kv);
                let v32 = self.expanded(v32, q.elems, many && shared_kv);
                let raw = self.t.bmm(qs, ks, scores);
                let masked = self.t.add_const(raw);
                let probs = self.t.unary_keep_output(masked, 4);
                let out = self.t.bmm(probs, v32, q.elems);
                // The upcast and scaled query are locals of the math kernel until it returns.
                self.t.hold(q32);
                self.t.hold(qs);
                let out = self.t.cast(out, q.dt);
                self.t.copy(out)
            }
            _ => {
                let sh = self.sh;
                let lse = sh.b * heads * sh.s.div_ceil(32) * 32;
                self.t.fused_attention(q, k, v, lse, 0, None)
            }
        }
    }
}
