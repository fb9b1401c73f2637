//! The GLM-4-0414 decoder layer (`Glm4DecoderLayer` in transformers 5.23.0).

use super::{resized, Builder, Dims, ROTATED};
use crate::error::Result;
use crate::memory::recipe::AttnKernel;
use crate::memory::tape::{elems, V};

impl Builder<'_> {
    /// `input_layernorm`, attention with interleaved partial rotary, `post_self_attn_layernorm`,
    /// residual; `post_attention_layernorm`, the fused `gate_up_proj` MLP, `post_mlp_layernorm`,
    /// residual.
    pub fn glm4_layer(&mut self, x: V, cos: V, sin: V) -> Result<V> {
        let spec = self.spec;
        let sh = self.sh;
        let Dims { rows, h, heads, qd } = self.dims()?;
        let (kv_heads, kd) = self.kv_dims();

        let n1 = self.norm(x, rows, h)?;
        let q = self.linear(n1, "q_proj", h, qd, rows)?;
        let k = self.linear(n1, "k_proj", h, kd, rows)?;
        let v = self.linear(n1, "v_proj", h, kd, rows)?;
        // `apply_rotary_pos_emb` repeats the first half of cos and sin pairwise
        // (`repeat_interleave(2)`) into new (1, 1, s, rotary) tensors, kept by the products with
        // them. Every GLM-4-0414 config rotates half of each head (`partial_rotary_factor` 0.5,
        // `Glm4Config.__post_init__`).
        let rotary = spec.head_dim / 2;
        let table = elems(&[sh.s, rotary])?;
        let cos_r = self.t.copy(resized(cos, table));
        let sin_r = self.t.copy(resized(sin, table));
        let q = self.glm4_rope(q, heads, rotary, cos_r, sin_r)?;
        let k = self.glm4_rope(k, kv_heads, rotary, cos_r, sin_r)?;
        let a = self.attention_core(q, k, v, heads, kv_heads, ROTATED)?;
        // `torch.cat([q_embed, q_pass])` leaves q head-major, so FlashAttention's output is too
        // and `transpose(1, 2).contiguous()` copies it.
        let a = if self.r.kernel == AttnKernel::Flash {
            self.t.copy(a)
        } else {
            a
        };
        let o = self.linear(a, "o_proj", qd, h, rows)?;
        self.t.hold(n1);
        let o = self.norm(o, rows, h)?;
        let x2 = self.t.add(x, o);

        let n2 = self.norm(x2, rows, h)?;
        let m = self.gated_mlp(n2, rows, spec.ffn.intermediate / sh.tp, true)?;
        self.t.hold(n2);
        let m = self.norm(m, rows, h)?;
        Ok(self.t.add(x2, m))
    }

    /// GLM's `apply_rotary_pos_emb` on one of q or k (`heads` heads): the rotary part
    /// `q_rot * cos + rotate_half(q_rot) * sin`, where `rotate_half` negates the odd elements
    /// and stacks them with the even ones, then `torch.cat` with the part that is not rotated.
    fn glm4_rope(&mut self, x: V, heads: u64, rotary: u64, cos: V, sin: V) -> Result<V> {
        let part = elems(&[self.sh.b, self.sh.s, heads, rotary])?;
        let rot = self.t.view(x, part);
        let a = self.t.mul(rot, cos);
        let neg = self.t.scale(resized(rot, part / 2));
        let stacked = self.t.copy(resized(neg, part));
        let b = self.t.mul(stacked, sin);
        let embed = self.t.add(a, b);
        Ok(self.t.copy(resized(embed, x.elems)))
    }
}
