//! The forward programs of each family's decoder layer, embedding and output head, written op by
//! op after the Hugging Face transformers 5.23.0 modeling code
//! (`models/<family>/modeling_<family>.py`) and PEFT 0.21.2's `lora.Linear.forward`, so that the
//! tape sees what autograd really saves: the versions `tests/accuracy` measures the peaks with.

use super::recipe::{AttnKernel, Recipe};
use super::tape::{elems, Tape, V};

mod bloom;
mod cohere;
mod experts;
mod falcon;
mod gptj;
pub(crate) use falcon::new_layout as falcon_new_layout;
mod stablelm;

/// The same storage seen with another number of elements (a view, a split, an expand).
fn resized(x: V, elems: u64) -> V {
    x.resized(elems)
}
use crate::error::Result;
use crate::model::{Activation, Family, ModelSpec, NormKind, QkNorm};

mod glm4;
mod gpt_oss;
mod llama4;

/// Which attention inputs are transposed views of a fused or per-token projection (not contiguous
/// per head), so that a batched matmul copies them.
#[derive(Debug, Clone, Copy)]
struct Strided {
    q: bool,
    k: bool,
    v: bool,
}

/// Q and K were rotated (new contiguous tensors); V is a view of its projection.
const ROTATED: Strided = Strided {
    q: false,
    k: false,
    v: true,
};
/// Q, K and V are all views of projections (GPT-2, OPT).
const VIEWS: Strided = Strided {
    q: true,
    k: true,
    v: true,
};

/// Per-layer sizes derived from the spec and the shape.
struct Dims {
    rows: u64,
    h: u64,
    heads: u64,
    qd: u64,
}

/// Shape of one micro-batch on one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Sequences.
    pub b: u64,
    /// Query tokens per sequence on this device.
    pub s: u64,
    /// Key/value tokens each query attends to (equals `s` in training and prefill).
    pub kv: u64,
    /// Tensor-parallel degree (heads and FFN columns are split).
    pub tp: u64,
}

impl Shape {
    fn tokens(&self) -> Result<u64> {
        elems(&[self.b, self.s])
    }
}

/// Builds one block program into a tape.
pub(crate) struct Builder<'a> {
    pub t: &'a mut Tape,
    pub spec: &'a ModelSpec,
    pub r: &'a Recipe,
    pub sh: Shape,
    head: &'static str,
    /// The attention probabilities of the last eager attention, which some layers keep
    /// referenced after the attention returns them (`attn_weights`).
    probs: Option<V>,
}

impl<'a> Builder<'a> {
    /// A builder writing into `t`, which is cleared first (its buffers are reused).
    pub fn new(spec: &'a ModelSpec, r: &'a Recipe, sh: Shape, t: &'a mut Tape) -> Self {
        t.reset(r.grad_bytes_override);
        // Only adapters care about the output layer's name.
        let head = r.lora.as_ref().map_or("lm_head", |l| l.head);
        Builder {
            t,
            spec,
            r,
            sh,
            head,
            probs: None,
        }
    }

    fn act(&self) -> u64 {
        self.r.compute
    }

    /// A linear layer named `module` (its Hugging Face leaf name), with LoRA when targeted.
    pub fn linear(
        &mut self,
        x: V,
        module: &str,
        d_in: u64,
        d_out: u64,
        count_rows: u64,
    ) -> Result<V> {
        let rows = count_rows;
        let out_elems = elems(&[rows, d_out])?;
        // bitsandbytes leaves the output layer unquantised (`get_keys_to_not_convert`).
        let quantized = self.r.quantized && module != self.head_module();
        let base = self.base_linear(x, d_in, d_out, rows, quantized)?;
        let Some(lora) = self.r.lora.as_ref() else {
            return Ok(base);
        };
        if !lora.targets(module, module != self.head_module()) {
            return Ok(base);
        }
        // PEFT: x cast to the adapter dtype, dropout, A, B, scaling, added to the base output in
        // the adapter dtype, then cast back to the base output dtype.
        let xa = self.t.cast(x, lora.dtype);
        let xd = if lora.dropout { self.t.dropout(xa) } else { xa };
        let rank_elems = elems(&[rows, lora.rank])?;
        let a_w = self.t.param(elems(&[d_in, lora.rank])?, lora.dtype, true);
        let b_w = self.t.param(elems(&[lora.rank, d_out])?, lora.dtype, true);
        let (xd, a_w, b_w) = if self.r.autocast {
            let xd = self.t.cast(xd, self.r.compute);
            let a_w = self.t.cast(a_w, self.r.compute);
            let b_w = self.t.cast(b_w, self.r.compute);
            (xd, a_w, b_w)
        } else {
            (xd, a_w, b_w)
        };
        let a = self.t.linear(xd, a_w, rank_elems);
        let bo = self.t.linear(a, b_w, out_elems);
        let scaled = self.t.scale(bo);
        let sum = self.t.add(base, scaled);
        Ok(self.t.cast(sum, base.dt))
    }

    /// The frozen or trained matmul of a linear layer, without adapters; `quantized` when
    /// bitsandbytes stores its weight.
    fn base_linear(
        &mut self,
        x: V,
        d_in: u64,
        d_out: u64,
        rows: u64,
        quantized: bool,
    ) -> Result<V> {
        let out_elems = elems(&[rows, d_out])?;
        let w_elems = elems(&[d_in, d_out])?;
        let trainable = self.r.full_train;
        Ok(if quantized && !trainable {
            let w = self.t.param(w_elems, 1, false);
            if self.r.kbit_prepared {
                // `Linear4bit.forward`: `x.to(compute_dtype)`, the 4-bit matmul, `out.to(inp_dtype)`.
                let xc = self.t.cast(x, self.act());
                let out = self
                    .t
                    .quantized_linear(xc, w, out_elems, elems(&[w_elems, self.act()])?);
                self.t.cast(out, x.dt)
            } else {
                self.t
                    .quantized_linear(x, w, out_elems, elems(&[w_elems, self.act()])?)
            }
        } else {
            let w = self.t.param(w_elems, self.r.weights, trainable);
            if self.r.autocast {
                let wc = self.t.cast(w, self.r.compute);
                let xc = self.t.cast(x, self.r.compute);
                self.t.linear(xc, wc, out_elems)
            } else {
                self.t.linear(x, w, out_elems)
            }
        })
    }

    /// The Hugging Face name of the output projection (`lm_head`, NeoX's `embed_out`).
    pub fn head_module(&self) -> &'static str {
        self.head
    }

    /// A norm layer of the family applied to `x` (rows of width `width`).
    pub fn norm(&mut self, x: V, rows: u64, width: u64) -> Result<V> {
        let trainable = self.r.full_train;
        match (self.spec.norm.kind, self.spec.family) {
            (NormKind::None, _) | (NormKind::LayerNorm, Family::Olmo) => {
                // OLMo: non-parametric LayerNorm computed in fp32.
                let x32 = self.t.cast(x, 4);
                let y = self.t.layer_norm(x32, None, rows);
                Ok(self.t.cast(y, x.dt))
            }
            (NormKind::LayerNorm, Family::Cohere | Family::Cohere2) => {
                Ok(self.cohere_norm(x, rows, width))
            }
            (NormKind::LayerNorm, _) => {
                let w = self.t.param(width, self.r.weights, trainable);
                // Autocast runs layer_norm in fp32.
                let xin = if self.r.autocast {
                    self.t.cast(x, 4)
                } else {
                    x
                };
                Ok(self.t.layer_norm(xin, Some(w), rows))
            }
            (NormKind::RmsNorm, Family::Gemma | Family::Gemma2 | Family::Gemma3) => {
                // GemmaRMSNorm: everything in fp32, `* (1 + weight.float())`, then cast back.
                let x32 = self.t.cast(x, 4);
                let normed = self.rms_core(x32, rows)?;
                let w = self.t.param(width, self.r.weights, trainable);
                let w32 = self.t.cast(w, 4);
                let w1 = self.t.add_const(w32);
                let y = self.t.mul(normed, w1);
                Ok(self.t.cast(y, x.dt))
            }
            (NormKind::RmsNorm, Family::GptOss) => {
                // GptOssRMSNorm: `(weight * normed).to(input_dtype)`, the product in fp32.
                let x32 = self.t.cast(x, 4);
                let normed = self.rms_core(x32, rows)?;
                let w = self.t.param(width, self.r.weights, trainable);
                let y = self.t.mul(w, normed);
                Ok(self.t.cast(y, x.dt))
            }
            (NormKind::RmsNorm, _) => {
                // LlamaRMSNorm: fp32 statistics, `weight * normed.to(input_dtype)`.
                let x32 = self.t.cast(x, 4);
                let normed = self.rms_core(x32, rows)?;
                let back = self.t.cast(normed, x.dt);
                let w = self.t.param(width, self.r.weights, trainable);
                Ok(self.t.mul(w, back))
            }
        }
    }

    /// `x * rsqrt(x.pow(2).mean(-1) + eps)` on an fp32 input.
    fn rms_core(&mut self, x32: V, rows: u64) -> Result<V> {
        let sq = self.t.square(x32);
        let mean = self.t.reduce(sq, rows);
        let eps = self.t.add_const(mean);
        let r = self.t.unary_keep_output(eps, 4);
        Ok(self.t.mul(x32, r))
    }

    /// Rotary embedding of `x` (`q * cos + rotate_half(q) * sin`): keeps only the shared cos/sin.
    fn rope(&mut self, x: V, cos: V, sin: V) -> V {
        let a = self.t.mul(x, cos);
        let half = self.t.view(x, x.elems / 2);
        let neg = self.t.scale(half);
        let cat = self.t.copy(x);
        let _ = neg;
        let b = self.t.mul(cat, sin);
        self.t.add(a, b)
    }

    /// The attention core on per-head tensors; returns the `(tokens, heads * head_dim)` input of
    /// the output projection. `v_strided` says that `v` is a transposed view of its projection's
    /// output, which a matmul has to copy before it can batch it.
    fn attention_core(
        &mut self,
        q: V,
        k: V,
        v: V,
        heads: u64,
        kv_heads: u64,
        strided: Strided,
    ) -> Result<V> {
        let sh = self.sh;
        let rep = heads / kv_heads.max(1);
        let scores = elems(&[sh.b, heads, sh.s, sh.kv])?;
        // Under autocast, SDPA and matmul take their inputs in the lower precision: rotary embedding
        // with the fp32 cos/sin tables made q and k fp32, so they are cast (copied) back.
        let (q, k, v) = if self.r.autocast {
            let c = self.r.compute;
            (self.t.cast(q, c), self.t.cast(k, c), self.t.cast(v, c))
        } else {
            (q, k, v)
        };
        match self.r.kernel {
            AttnKernel::Flash => {
                let lse = elems(&[sh.b, heads, sh.s])?;
                // FlashAttention-2 backward accumulates dq in fp32 inside the kernel; that workspace is
                // reported as a separate term, not as allocated tensor memory.
                Ok(self.t.fused_attention(q, k, v, lse, 0, None))
            }
            AttnKernel::MemEfficient => {
                // Hugging Face repeats k and v when it cannot pass `enable_gqa` (a mask is present).
                let k = self.expanded_kv(k, q.elems, rep > 1, false);
                let v = self.expanded_kv(v, q.elems, rep > 1, false);
                // Log-sum-exp rows are padded to 32 (`kAlignLSE` in PyTorch's mem-efficient kernel).
                let lse = elems(&[sh.b, heads, sh.s.div_ceil(32) * 32])?;
                Ok(self.t.fused_attention(q, k, v, lse, 0, None))
            }
            AttnKernel::Math => {
                // `q * sqrt(scale)`, `repeat_interleave` of k and v for grouped heads, `k * sqrt(scale)`,
                // matmul, in-place causal mask, softmax (kept), matmul with v (kept, copied if strided).
                let qs = self.t.scale(q);
                let kr = self.expanded_kv(k, q.elems, rep > 1, false);
                let ks = self.t.scale(kr);
                let raw = self.t.bmm(qs, ks, scores);
                let probs = self.t.unary_keep_output(raw, raw.dt);
                Ok(self.weigh_kv_values(probs, v, q.elems, rep > 1, strided.v))
            }
            AttnKernel::Eager => {
                let kr = self.expanded_kv(k, q.elems, rep > 1, strided.k);
                let qm = self.expanded(q, q.elems, strided.q);
                let raw = self.t.bmm(qm, kr, scores);
                let mut scaled = self.t.scale(raw);
                if self.spec.attn_logit_softcap.is_some() {
                    // Gemma-2: `tanh(scores / cap) * cap`; tanh keeps its output.
                    let d = self.t.scale(scaled);
                    let th = self.t.unary_keep_output(d, d.dt);
                    scaled = self.t.scale(th);
                }
                let masked = self.t.add_const(scaled);
                // Llama-family code asks softmax for fp32 and casts back; GPT-2 softmaxes in the input
                // dtype, which autocast raises to fp32.
                // Llama 4's `eager_attention_forward` softmaxes in the scores' dtype too.
                let fp32 =
                    !matches!(self.spec.family, Family::Gpt2 | Family::Llama4) || self.r.autocast;
                let probs = if fp32 {
                    // `softmax(x, dtype=float32)`: CUDA reads fp16 straight into fp32
                    // (`half_to_float`); a bf16 input is converted to fp32 first.
                    let input = if masked.dt == 2 && !self.r.fp16 {
                        self.t.cast(masked, 4)
                    } else {
                        masked
                    };
                    let p32 = self.t.unary_keep_output(input, 4);
                    // `attn_weights` still names the masked scores until the softmax returns.
                    self.t.hold(masked);
                    self.t.cast(p32, q.dt)
                } else {
                    self.t.unary_keep_output(masked, masked.dt)
                };
                self.probs = Some(probs);
                Ok(self.weigh_kv_values(probs, v, q.elems, rep > 1, strided.v))
            }
        }
    }

    /// `weigh_values` with the values of the whole (cached) sequence, repeated or made contiguous
    /// as `expanded_kv` says.
    fn weigh_kv_values(
        &mut self,
        probs: V,
        v: V,
        q_elems: u64,
        repeated: bool,
        strided: bool,
    ) -> V {
        let (v_elems, copy) = self.kv_copy(q_elems, repeated, strided);
        self.weigh_expanded_values(probs, v, q_elems, v_elems, copy)
    }

    /// `x` as a matmul sees it: copied when it has to be repeated over query heads or made
    /// contiguous per head, else the same storage.
    fn expanded(&mut self, x: V, elems: u64, copy: bool) -> V {
        if copy {
            self.t.copy(resized(x, elems))
        } else {
            x
        }
    }

    /// Keys or values as a matmul sees them: repeated over the query heads (`repeat_kv` copies the
    /// whole cached sequence, `kv` tokens, at every decoding step) or made contiguous per head
    /// (only without a cache: a cached sequence is already one contiguous tensor). `q_elems` is
    /// the size of the queries, whose head width they share.
    fn expanded_kv(&mut self, x: V, q_elems: u64, repeated: bool, strided: bool) -> V {
        let (elems, copy) = self.kv_copy(q_elems, repeated, strided);
        self.expanded(x, elems, copy)
    }

    /// Size and whether keys or values are copied for the matmul. SDPA with a single query token
    /// folds the query heads onto the key/value heads instead of repeating them (`pack_gqa` in
    /// transformers 5.23 `sdpa_attention_forward`); eager attention always repeats.
    fn kv_copy(&self, q_elems: u64, repeated: bool, strided: bool) -> (u64, bool) {
        let cached = self.sh.kv > self.sh.s;
        let packed = self.sh.s == 1 && self.r.kernel != AttnKernel::Eager;
        let elems = q_elems / self.sh.s.max(1) * self.sh.kv;
        (elems, (repeated && !packed) || (strided && !cached))
    }

    /// Dropout on the attention probabilities, `probs @ v` (the values copied to `v_elems` when
    /// `copy_v`), and the token-major copy of the result.
    fn weigh_values(&mut self, probs: V, v: V, q_elems: u64, copy_v: bool) -> V {
        self.weigh_expanded_values(probs, v, q_elems, q_elems, copy_v)
    }

    fn weigh_expanded_values(
        &mut self,
        probs: V,
        v: V,
        q_elems: u64,
        v_elems: u64,
        copy_v: bool,
    ) -> V {
        let probs = if self.spec.dropout.attention > 0.0 {
            self.t.dropout(probs)
        } else {
            probs
        };
        let vr = self.expanded(v, v_elems, copy_v);
        let out = self.t.bmm(probs, vr, q_elems);
        self.t.copy(out)
    }

    /// NeoX, Phi, Phi-3 and DeepSeek rotate part of each head and concatenate (`torch.cat([q_rot, q_pass])`),
    /// which leaves q head-major; FlashAttention allocates its output in q's layout, so Hugging Face's
    /// `transpose(1, 2).contiguous()` copies it. Llama-style rotation keeps q token-major, and the
    /// memory-efficient kernel always writes token-major: no copy there.
    fn token_major(&mut self, a: V) -> V {
        let concat = matches!(
            self.spec.family,
            Family::GptNeox
                | Family::Phi
                | Family::Phi3
                | Family::DeepseekV2
                | Family::DeepseekV3
                | Family::Stablelm
        );
        if concat && self.r.kernel == AttnKernel::Flash {
            self.t.copy(a)
        } else {
            a
        }
    }

    /// Key/value heads of this tensor-parallel rank (never below one: they are replicated) and
    /// their total width.
    fn kv_dims(&self) -> (u64, u64) {
        let kv_heads = (self.spec.kv_heads / self.sh.tp).max(1);
        (kv_heads, kv_heads * self.spec.head_dim)
    }

    /// The second half of a pre-norm layer with a plain MLP (GPT-2, GPT-BigCode, StarCoder2,
    /// Falcon's sequential layout): norm, `up`, activation, `down`, residual dropout, residual sum;
    /// the norm's output stays referenced until the layer returns.
    fn mlp_branch(&mut self, x2: V, up: &str, down: &str) -> Result<V> {
        let (rows, h) = (self.sh.tokens()?, self.spec.hidden);
        let f = self.spec.ffn.intermediate / self.sh.tp;
        let n2 = self.norm(x2, rows, h)?;
        let fc = self.linear(n2, up, h, f, rows)?;
        let act = self.activation(fc);
        let pr = self.linear(act, down, f, h, rows)?;
        let pr = self.residual_dropout(pr);
        self.t.hold(n2);
        Ok(self.t.add(x2, pr))
    }

    /// Sizes every layer starts from: tokens on this device, the hidden width, the query heads
    /// of this tensor-parallel rank and their total width.
    fn dims(&self) -> Result<Dims> {
        let heads = self.spec.heads / self.sh.tp;
        Ok(Dims {
            rows: self.sh.tokens()?,
            h: self.spec.hidden,
            heads,
            qd: heads * self.spec.head_dim,
        })
    }

    /// A Llama-style decoder layer (Llama, Mistral, Qwen2/3, Gemma 1/2/3, Phi-3, OLMo 1/2, EXAONE 4.0,
    /// Mixtral, Qwen-MoE, Granite, GraniteMoE, OLMoE, Phi-MoE, SmolLM3, ERNIE 4.5).
    ///
    /// SmolLM3's layers without rotary (`no_rope_layers`) are not told apart: attention then keeps
    /// the projections' outputs where the others keep the rotated copies, tensors of the same
    /// sizes, and only the rotation's short-lived temporaries differ.
    pub fn llama_layer(&mut self, x: V, cos: V, sin: V, moe: bool) -> Result<V> {
        let spec = self.spec;
        let sh = self.sh;
        let Dims { rows, h, heads, qd } = self.dims()?;
        let (kv_heads, kd) = self.kv_dims();
        // OLMo-2 and EXAONE 4.0 normalise each branch's output instead of the layer's input.
        let post_norm = matches!(spec.family, Family::Olmo2 | Family::Exaone4);
        let sandwich = matches!(spec.family, Family::Gemma2 | Family::Gemma3);

        let n1 = if post_norm { x } else { self.norm(x, rows, h)? };
        let (q, k, v) = if spec.family == Family::Phi3 {
            let qkv = self.linear(n1, "qkv_proj", h, qd + 2 * kd, rows)?;
            let q = self.t.view(qkv, elems(&[rows, qd])?);
            let k = self.t.view(qkv, elems(&[rows, kd])?);
            let v = self.t.view(qkv, elems(&[rows, kd])?);
            (q, k, v)
        } else {
            let q = self.linear(n1, "q_proj", h, qd, rows)?;
            let k = self.linear(n1, "k_proj", h, kd, rows)?;
            let v = self.linear(n1, "v_proj", h, kd, rows)?;
            (q, k, v)
        };
        let (q, k) = match spec.qk_norm {
            // Llama 4 has its own program (`llama4_layer`).
            QkNorm::None | QkNorm::L2 => (q, k),
            QkNorm::PerHead => {
                let q = self.norm(q, elems(&[rows, heads])?, spec.head_dim)?;
                let k = self.norm(k, elems(&[rows, kv_heads])?, spec.head_dim)?;
                (q, k)
            }
            QkNorm::Full => {
                let q = self.norm(q, rows, qd)?;
                let k = self.norm(k, rows, kd)?;
                (q, k)
            }
        };
        let (q, k) = if spec.family == Family::Ernie45 {
            self.rope_interleaved(q, k, cos, sin)
        } else {
            (self.rope(q, cos, sin), self.rope(k, cos, sin))
        };
        let a = self.attention_core(q, k, v, heads, kv_heads, ROTATED)?;
        let a = self.token_major(a);
        let o = self.linear(a, "o_proj", qd, h, rows)?;
        self.t.hold(n1);
        let o = if post_norm || sandwich {
            self.norm(o, rows, h)?
        } else {
            o
        };
        let o = self.residual_scale(o);
        let x2 = self.t.add(x, o);

        let n2 = if post_norm {
            x2
        } else {
            self.norm(x2, rows, h)?
        };
        let grouped = matches!(
            spec.family,
            Family::Olmoe | Family::Granitemoe | Family::Phimoe
        );
        let m = if moe && grouped {
            self.grouped_experts(n2, rows)?
        } else if moe {
            self.moe_mlp(n2, rows)?
        } else {
            self.gated_mlp(
                n2,
                rows,
                spec.ffn.intermediate / sh.tp,
                spec.family == Family::Phi3,
            )?
        };
        self.t.hold(n2);
        let m = if post_norm || sandwich {
            self.norm(m, rows, h)?
        } else {
            m
        };
        let m = self.residual_scale(m);
        Ok(self.t.add(x2, m))
    }

    /// GraniteDecoderLayer and GraniteMoeDecoderLayer multiply each branch by
    /// `residual_multiplier` before adding it: a new tensor that saves nothing (the factor is a
    /// Python float).
    fn residual_scale(&mut self, x: V) -> V {
        if matches!(self.spec.family, Family::Granite | Family::Granitemoe) {
            self.t.scale(x)
        } else {
            x
        }
    }

    /// ERNIE 4.5's rotary embedding (`apply_rotary_pos_emb` in `modeling_ernie4_5.py`): the
    /// first half of the fp32 cos and sin tables `repeat_interleave`d to the head width (two new
    /// tensors per layer of one sequence's positions, which the products with q and k keep for
    /// backward), interleaved `rotate_half` (`stack` of the odd and even elements), everything in
    /// fp32, cast back to q's dtype. The projections' outputs stay referenced by `query_states`
    /// and `key_states` until both are rotated.
    fn rope_interleaved(&mut self, q: V, k: V, cos: V, sin: V) -> (V, V) {
        let positions = self.sh.s * self.spec.head_dim;
        let cos = self.t.copy(resized(cos, positions));
        let sin = self.t.copy(resized(sin, positions));
        let mut rotate = |x: V| {
            let x32 = self.t.cast(x, 4);
            let a = self.t.mul(x32, cos);
            let odd = self.t.view(x, x.elems / 2);
            let _neg = self.t.scale(odd);
            let stacked = self.t.copy(x);
            let s32 = self.t.cast(stacked, 4);
            let b = self.t.mul(s32, sin);
            let sum = self.t.add(a, b);
            self.t.cast(sum, x.dt)
        };
        let qr = rotate(q);
        let kr = rotate(k);
        self.t.hold(q);
        self.t.hold(k);
        (qr, kr)
    }

    fn activation(&mut self, x: V) -> V {
        match self.spec.ffn.activation {
            Activation::Relu => self.t.unary_keep_output(x, x.dt),
            Activation::Silu | Activation::Gelu | Activation::GeluTanh => {
                self.t.unary_keep_input(x, x.dt)
            }
            Activation::GeluNew => {
                // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))); autocast runs pow in fp32.
                let xin = if self.r.autocast {
                    self.t.cast(x, 4)
                } else {
                    x
                };
                let cube = self.t.unary_keep_input(xin, xin.dt);
                let c1 = self.t.scale(cube);
                let inner = self.t.add(x, c1);
                let c2 = self.t.scale(inner);
                let th = self.t.unary_keep_output(c2, c2.dt);
                let one = self.t.add_const(th);
                let half = self.t.scale(x);
                self.t.mul(half, one)
            }
        }
    }

    /// `down(act(gate(x)) * up(x))`, or Phi-3's fused `gate_up_proj` split in two.
    fn gated_mlp(&mut self, x: V, rows: u64, f: u64, fused: bool) -> Result<V> {
        let h = self.spec.hidden;
        let (gate, up) = if fused {
            let gu = self.linear(x, "gate_up_proj", h, 2 * f, rows)?;
            let g = self.t.view(gu, elems(&[rows, f])?);
            let u = self.t.view(gu, elems(&[rows, f])?);
            (g, u)
        } else {
            let g = self.linear(x, "gate_proj", h, f, rows)?;
            let u = self.linear(x, "up_proj", h, f, rows)?;
            (g, u)
        };
        if !self.spec.ffn.gated {
            let a = self.activation(gate);
            return self.linear(a, "down_proj", f, h, rows);
        }
        let a = self.activation(gate);
        let p = self.t.mul(a, up);
        self.linear(p, "down_proj", f, h, rows)
    }

    /// Mixture of experts: router, top-k routed experts (tokens spread evenly), shared experts.
    fn moe_mlp(&mut self, x: V, rows: u64) -> Result<V> {
        let Some(moe) = self.spec.moe else {
            return self.gated_mlp(x, rows, self.spec.ffn.intermediate, false);
        };
        let h = self.spec.hidden;
        let logits = self.linear(x, "gate", h, moe.experts, rows)?;
        let probs = self.t.unary_keep_output(logits, 4);
        // Each token visits `active` experts: as many routed rows as tokens times top-k.
        let routed_rows = elems(&[rows, moe.active])?;
        // The top-k routing weights: Mixtral's and DeepSeek's routers leave them in fp32, Qwen-MoE's
        // cast them back to the logits' dtype (`router_top_value.to(router_logits.dtype)`).
        let fp32_routing = matches!(
            self.spec.family,
            Family::Mixtral | Family::DeepseekV2 | Family::DeepseekV3
        );
        let weights = self.t.gather(probs, routed_rows, routed_rows);
        let weights = self
            .t
            .cast(weights, if fp32_routing { 4 } else { self.act() });
        let mut out = self.routed_experts(x, weights, rows)?;
        if moe.shared_intermediate > 0 {
            let s = self.gated_mlp(x, rows, moe.shared_intermediate / self.sh.tp, false)?;
            out = self.t.add(out, s);
        }
        Ok(out)
    }

    /// GPT-2 block: LayerNorm, fused `c_attn`, attention, `c_proj`, residual dropout, GELU MLP.
    pub fn gpt2_layer(&mut self, x: V) -> Result<V> {
        let Dims { rows, h, heads, qd } = self.dims()?;
        let n1 = self.norm(x, rows, h)?;
        let (q, k, v) = self.fused_qkv(n1, "c_attn", rows, qd)?;
        let a = self.attention_core(q, k, v, heads, heads, VIEWS)?;
        let o = self.linear(a, "c_proj", qd, h, rows)?;
        let o = self.residual_dropout(o);
        self.t.hold(n1);
        let x2 = self.t.add(x, o);
        self.mlp_branch(x2, "c_fc", "c_proj")
    }

    /// One projection to queries, keys and values of equal width, split into views of its output
    /// (GPT-2 `c_attn`, NeoX `query_key_value`): whatever keeps one of them keeps the whole output.
    fn fused_qkv(&mut self, x: V, module: &str, rows: u64, qd: u64) -> Result<(V, V, V)> {
        let qkv = self.linear(x, module, self.spec.hidden, 3 * qd, rows)?;
        let one = elems(&[rows, qd])?;
        Ok((resized(qkv, one), resized(qkv, one), resized(qkv, one)))
    }

    fn residual_dropout(&mut self, x: V) -> V {
        if self.spec.dropout.residual > 0.0 {
            self.t.dropout(x)
        } else {
            x
        }
    }

    /// GPT-NeoX block (Pythia): fused `query_key_value`, partial rotary, parallel residual.
    pub fn neox_layer(&mut self, x: V, cos: V, sin: V) -> Result<V> {
        let spec = self.spec;
        let sh = self.sh;
        let Dims { rows, h, heads, qd } = self.dims()?;
        let n1 = self.norm(x, rows, h)?;
        let (q, k, v) = self.fused_qkv(n1, "query_key_value", rows, qd)?;
        let q = self.rope(q, cos, sin);
        let k = self.rope(k, cos, sin);
        let a = self.attention_core(q, k, v, heads, heads, ROTATED)?;
        let a = self.token_major(a);
        let o = self.linear(a, "dense", qd, h, rows)?;
        let f = spec.ffn.intermediate / sh.tp;
        let mlp_in = if spec.parallel_residual {
            x
        } else {
            self.t.add(x, o)
        };
        let n2 = self.norm(mlp_in, rows, h)?;
        let up = self.linear(n2, "dense_h_to_4h", h, f, rows)?;
        let act = self.activation(up);
        let down = self.linear(act, "dense_4h_to_h", f, h, rows)?;
        if spec.parallel_residual {
            let s = self.t.add(o, down);
            Ok(self.t.add(s, x))
        } else {
            Ok(self.t.add(mlp_in, down))
        }
    }

    /// Phi block (`PhiDecoderLayer`): one LayerNorm feeds both branches, separate q/k/v
    /// projections with optional per-head LayerNorms, partial rotary, `dense`, and a `fc1`/`fc2` MLP;
    /// both branches pass `resid_dropout` and are summed with the residual.
    pub fn phi_layer(&mut self, x: V, cos: V, sin: V) -> Result<V> {
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
            let q = self.norm(q, elems(&[rows, heads])?, spec.head_dim)?;
            let k = self.norm(k, elems(&[rows, kv_heads])?, spec.head_dim)?;
            (q, k)
        };
        let q = self.rope(q, cos, sin);
        let k = self.rope(k, cos, sin);
        let a = self.attention_core(q, k, v, heads, kv_heads, ROTATED)?;
        let a = self.token_major(a);
        let o = self.linear(a, "dense", qd, h, rows)?;
        let o = self.residual_dropout(o);
        let f = spec.ffn.intermediate / sh.tp;
        let up = self.linear(n, "fc1", h, f, rows)?;
        let act = self.activation(up);
        let down = self.linear(act, "fc2", f, h, rows)?;
        let down = self.residual_dropout(down);
        self.t.hold(n);
        let s = self.t.add(o, down);
        Ok(self.t.add(s, x))
    }

    /// GPT-BigCode block: GPT-2's, with `c_attn` split into the queries and `kv_heads` key/value
    /// heads (one under multi-query), which the attention repeats over the query heads.
    pub fn gpt_bigcode_layer(&mut self, x: V) -> Result<V> {
        let Dims { rows, h, heads, qd } = self.dims()?;
        let (kv_heads, kd) = self.kv_dims();
        let n1 = self.norm(x, rows, h)?;
        let qkv = self.linear(n1, "c_attn", h, qd + 2 * kd, rows)?;
        let q = resized(qkv, elems(&[rows, qd])?);
        let k = resized(qkv, elems(&[rows, kd])?);
        let v = resized(qkv, elems(&[rows, kd])?);
        let a = self.attention_core(q, k, v, heads, kv_heads, VIEWS)?;
        let o = self.linear(a, "c_proj", qd, h, rows)?;
        let o = self.residual_dropout(o);
        self.t.hold(n1);
        let x2 = self.t.add(x, o);
        self.mlp_branch(x2, "c_fc", "c_proj")
    }

    /// StarCoder2 block (`Starcoder2DecoderLayer`): LayerNorm, Llama-style rotary attention with
    /// grouped key/value heads, `o_proj` and the MLP's `c_proj` each followed by `residual_dropout`.
    pub fn starcoder2_layer(&mut self, x: V, cos: V, sin: V) -> Result<V> {
        let Dims { rows, h, heads, qd } = self.dims()?;
        let (kv_heads, kd) = self.kv_dims();
        let n1 = self.norm(x, rows, h)?;
        let q = self.linear(n1, "q_proj", h, qd, rows)?;
        let k = self.linear(n1, "k_proj", h, kd, rows)?;
        let v = self.linear(n1, "v_proj", h, kd, rows)?;
        let q = self.rope(q, cos, sin);
        let k = self.rope(k, cos, sin);
        let a = self.attention_core(q, k, v, heads, kv_heads, ROTATED)?;
        let o = self.linear(a, "o_proj", qd, h, rows)?;
        let o = self.residual_dropout(o);
        self.t.hold(n1);
        let x2 = self.t.add(x, o);
        self.mlp_branch(x2, "c_fc", "c_proj")
    }

    /// OPT block: pre-LayerNorm, separate projections, ReLU MLP.
    pub fn opt_layer(&mut self, x: V) -> Result<V> {
        let spec = self.spec;
        let sh = self.sh;
        let Dims { rows, h, heads, qd } = self.dims()?;
        let n1 = self.norm(x, rows, h)?;
        let q = self.linear(n1, "q_proj", h, qd, rows)?;
        let q = self.t.scale(q);
        let k = self.linear(n1, "k_proj", h, qd, rows)?;
        let v = self.linear(n1, "v_proj", h, qd, rows)?;
        let a = self.attention_core(q, k, v, heads, heads, VIEWS)?;
        let o = self.linear(a, "out_proj", qd, h, rows)?;
        let o = self.residual_dropout(o);
        let x2 = self.t.add(x, o);
        let n2 = self.norm(x2, rows, h)?;
        let f = spec.ffn.intermediate / sh.tp;
        let up = self.linear(n2, "fc1", h, f, rows)?;
        let act = self.activation(up);
        let down = self.linear(act, "fc2", f, h, rows)?;
        let down = self.residual_dropout(down);
        Ok(self.t.add(x2, down))
    }

    /// Multi-head latent attention layer (DeepSeek-V2/V3), with a dense or MoE feed-forward.
    pub fn mla_layer(&mut self, x: V, cos: V, sin: V, moe: bool) -> Result<V> {
        let spec = self.spec;
        let Some(mla) = spec.mla else {
            return self.llama_layer(x, cos, sin, moe);
        };
        let sh = self.sh;
        let Dims { rows, h, heads, .. } = self.dims()?;
        let qk = mla.qk_nope_head_dim + mla.qk_rope_head_dim;
        let n1 = self.norm(x, rows, h)?;
        let q = match mla.q_lora_rank {
            Some(r) => {
                let qa = self.linear(n1, "q_a_proj", h, r, rows)?;
                let qa = self.norm(qa, rows, r)?;
                self.linear(qa, "q_b_proj", r, heads * qk, rows)?
            }
            None => self.linear(n1, "q_proj", h, heads * qk, rows)?,
        };
        let kva = self.linear(
            n1,
            "kv_a_proj_with_mqa",
            h,
            mla.kv_lora_rank + mla.qk_rope_head_dim,
            rows,
        )?;
        let c = self.norm(kva, rows, mla.kv_lora_rank)?;
        // transformers 5.23 expands the keys and values from the latent after the cache update
        // (`expand_kv`): when decoding, every cached token of the sequence is expanded again at
        // each step. The cached latent itself is counted in the KV cache.
        let kv_rows = elems(&[sh.b, sh.kv])?;
        let latent = if kv_rows > rows {
            self.t.shared(elems(&[kv_rows, mla.kv_lora_rank])?, c.dt)
        } else {
            c
        };
        let kv = self.linear(
            latent,
            "kv_b_proj",
            mla.kv_lora_rank,
            heads * (mla.qk_nope_head_dim + mla.v_head_dim),
            kv_rows,
        )?;
        let k = self.t.copy(resized(kv, elems(&[kv_rows, heads * qk])?));
        let v = self.t.view(kv, elems(&[kv_rows, heads * mla.v_head_dim])?);
        let q = self.rope(q, cos, sin);
        let a = self.attention_core(q, k, v, heads, heads, ROTATED)?;
        let a = self.token_major(a);
        let o = self.linear(a, "o_proj", heads * mla.v_head_dim, h, rows)?;
        let x2 = self.t.add(x, o);
        let n2 = self.norm(x2, rows, h)?;
        let m = if moe {
            self.moe_mlp(n2, rows)?
        } else {
            self.gated_mlp(n2, rows, spec.ffn.intermediate / sh.tp, false)?
        };
        Ok(self.t.add(x2, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Bias, Dropout, Ffn, Norm};
    use crate::request::EstimateRequest;

    fn llama3_8b() -> ModelSpec {
        ModelSpec {
            name: "llama-3-8b".into(),
            family: Family::Llama,
            layers: 32,
            hidden: 4096,
            heads: 32,
            kv_heads: 8,
            head_dim: 128,
            mla: None,
            ffn: Ffn {
                activation: Activation::Silu,
                gated: true,
                intermediate: 14336,
            },
            moe: None,
            vocab: 128256,
            learned_positions: 0,
            max_positions: 8192,
            tied_embeddings: false,
            norm: Norm {
                kind: NormKind::RmsNorm,
                bias: false,
                per_layer: 2,
                final_norm: true,
            },
            qk_norm: QkNorm::None,
            bias: Bias::default(),
            parallel_residual: false,
            sliding_window: None,
            dropout: Dropout::default(),
            final_logit_softcap: None,
            attn_logit_softcap: None,
            embed_proj_dim: None,
            rotary_dim: None,
            alibi: false,
            source: None,
        }
    }

    fn recipe(json: &str, spec: &ModelSpec) -> Recipe {
        let req: EstimateRequest = serde_json::from_str(json).unwrap();
        Recipe::new(&req, spec)
    }

    fn layer(
        spec: &ModelSpec,
        r: &Recipe,
        b: u64,
        s: u64,
        in_grad: bool,
    ) -> super::super::tape::Profile {
        let sh = Shape { b, s, kv: s, tp: 1 };
        let mut tape = Tape::new();
        let mut bl = Builder::new(spec, r, sh, &mut tape);
        let x = bl.t.external(b * s * spec.hidden, r.weights, in_grad);
        let cos = bl.t.shared(b * s * spec.head_dim, r.compute);
        let sin = bl.t.shared(b * s * spec.head_dim, r.compute);
        let out = bl.llama_layer(x, cos, sin, false).unwrap();
        bl.t.profile(out)
    }

    #[test]
    fn llama_bf16_flash_layer_saves_what_autograd_keeps() {
        // Per token: two RMSNorms keep the fp32 input (4h) and the normalised bf16 tensor (2h),
        // their outputs feed the projections (2h each); flash keeps q, k, v and the output
        // (2q + 2k + 2k + 2q); the SwiGLU MLP keeps gate, act, up and their product (8f).
        // 16h + 4q + 4k + 8f = 65536 + 16384 + 4096 + 114688 = 200704 B per token.
        // Plus the fp32 log-sum-exp (32 heads x 2048 x 4 B), two rsqrt outputs (2048 x 4 B) and
        // the Philox seed and offset of the flash kernel (one 512 B block each).
        let spec = llama3_8b();
        let r = recipe(r#"{"model":{"catalogue":"x"},"precision":"bf16"}"#, &spec);
        let p = layer(&spec, &r, 1, 2048, true);
        assert_eq!(
            p.saved,
            200_704 * 2048 + 32 * 2048 * 4 + 2 * 2048 * 4 + 2 * 512
        );
    }

    fn gpt2() -> ModelSpec {
        ModelSpec {
            name: "gpt2".into(),
            family: Family::Gpt2,
            layers: 12,
            hidden: 768,
            heads: 12,
            kv_heads: 12,
            head_dim: 64,
            ffn: Ffn {
                activation: Activation::GeluNew,
                gated: false,
                intermediate: 3072,
            },
            vocab: 50257,
            learned_positions: 1024,
            max_positions: 1024,
            tied_embeddings: true,
            norm: Norm {
                kind: NormKind::LayerNorm,
                bias: true,
                per_layer: 2,
                final_norm: true,
            },
            bias: Bias {
                qkv: true,
                attn_out: true,
                mlp: true,
                lm_head: false,
            },
            dropout: Dropout {
                embedding: 0.1,
                attention: 0.1,
                residual: 0.1,
            },
            ..llama3_8b()
        }
    }

    #[test]
    fn gpt2_fp32_eager_layer_matches_measured_saves() {
        // Measured (accuracy suite, gpt2 fp32 eager b8 s512): 142,848 B per token per layer.
        // By hand: 8 fp32 tensors of width h (layer input, ln_1 output, the matmul copies of q and k,
        // the copy of v, the contiguous attention output, the residual, ln_2 output) = 32h; two
        // one-byte residual dropout masks = 2h; gelu_new keeps its input, tanh output, 0.5x and
        // 1 + tanh, and c_proj keeps the product: 20f; softmax output, dropout mask and dropout
        // output over heads x s scores: 9 x 12 x 512. Plus LayerNorm mean and rstd: 4 x 4 B.
        let spec = gpt2();
        let r = recipe(
            r#"{"model":{"catalogue":"x"},"precision":"fp32","attention":"eager"}"#,
            &spec,
        );
        let sh = Shape {
            b: 8,
            s: 512,
            kv: 512,
            tp: 1,
        };
        let mut tape = Tape::new();
        let mut bl = Builder::new(&spec, &r, sh, &mut tape);
        let x = bl.t.external(8 * 512 * 768, 4, true);
        let out = bl.gpt2_layer(x).unwrap();
        let p = bl.t.profile(out);
        let per_token = 32 * 768 + 2 * 768 + 20 * 3072 + 9 * 12 * 512 + 16;
        assert_eq!(p.saved, per_token * 4096);
    }

    #[test]
    fn frozen_layer_without_adapters_saves_nothing() {
        let spec = llama3_8b();
        let r = recipe(
            r#"{"model":{"catalogue":"x"},"task":"lora","lora":{"rank":8,"targets":["lm_head"]}}"#,
            &spec,
        );
        let p = layer(&spec, &r, 1, 128, false);
        assert_eq!(p.saved, 0);
        assert!(!p.out_grad);
    }
}
