//! One training or inference step through the whole model: embedding, layers and head run on the
//! tape, then stacked in the order autograd runs them to find the live bytes of each phase.

use super::blocks::{Builder, Shape};
use super::recipe::{AttnKernel, Recipe};
use super::tape::{elems, Profile, Tape, V};
use crate::error::Result;
use crate::model::{Family, ModelSpec};
use crate::request::{Checkpointing, LossImpl};

/// Activation-side bytes of each phase of one step on one device, on top of the persistent model states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StepPeaks {
    /// Peak during forward: activations and transients.
    pub forward: u64,
    /// Peak during backward: activations left, gradients in flight, parameter gradients so far.
    pub backward: u64,
    /// Parameter gradients at the end of backward (live through the optimizer step).
    pub param_grads: u64,
    /// Of `forward`/`backward`, the share that is logits and loss buffers at the backward peak.
    pub logits_at_backward: u64,
    /// Bytes of tables shared by every layer (rotary cos/sin, causal mask, token ids).
    pub shared: u64,
    /// Which of backward's peak is parameter gradients.
    pub grads_at_backward: u64,
    /// Inference: peak working set above weights and KV cache.
    pub inference: u64,
    /// Of `forward` and of `backward`, FSDP's unsharded copies at that peak.
    pub gathered_at_forward: u64,
    pub gathered_at_backward: u64,
}

/// What runs on this device.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    /// Decoder layers held by this device (pipeline stage).
    pub layers: u64,
    /// Of those, layers with a mixture-of-experts FFN.
    pub moe_layers: u64,
    /// Holds the embedding (first pipeline stage).
    pub embedding: bool,
    /// Holds the output head and loss (last pipeline stage).
    pub head: bool,
    /// Micro-batches whose activations are alive at once (1F1B first stage: the pipeline depth).
    pub in_flight: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Program {
    /// Layers by kind in the order they run, when a family has more kinds than a dense, a
    /// first and a mixture-of-experts layer (Llama 4); `None` otherwise.
    kinds: Option<alloc::vec::Vec<(Profile, u64)>>,
    layer: Profile,
    moe_layer: Option<Profile>,
    first: Option<Profile>,
    embed: Profile,
    head: Profile,
    shared: u64,
}

impl Program {
    /// Bytes the elementwise ops of one forward move: per decoder layer of `place` (its kinds
    /// weighted by their counts) and for the output head with the loss. Counted only in
    /// [`traffic_programs`]' programs (0 in the cache's).
    pub fn elementwise_bytes(&self, place: &Placement) -> (f64, u64) {
        let layers = place.layers.max(1);
        let total = match (&self.kinds, &self.moe_layer) {
            (Some(kinds), _) => kinds
                .iter()
                .map(|(p, n)| p.elementwise_bytes as f64 * *n as f64)
                .sum::<f64>(),
            (None, moe) => {
                let first = self.first.map_or(0.0, |p| p.elementwise_bytes as f64);
                let firsts = u64::from(self.first.is_some());
                let moe_layers = if moe.is_some() { place.moe_layers } else { 0 };
                let plain = layers.saturating_sub(moe_layers + firsts) as f64;
                first
                    + plain * self.layer.elementwise_bytes as f64
                    + moe.map_or(0.0, |p| p.elementwise_bytes as f64 * moe_layers as f64)
            }
        };
        (total / layers as f64, self.head.elementwise_bytes)
    }
}

/// One decoder layer's program. `moe` picks the mixture-of-experts kind; `rope` tells Llama 4's
/// chunked layers with rotary positions from its global ones (ignored by other families).
fn layer_program(
    tape: &mut Tape,
    spec: &ModelSpec,
    r: &Recipe,
    sh: Shape,
    in_grad: bool,
    moe: bool,
    rope: bool,
) -> Result<Profile> {
    let (_, out) = record_layer(tape, spec, r, sh, in_grad, moe, rope)?;
    Ok(tape.profile(out))
}

/// Records one decoder layer's program (as [`layer_program`]) into `tape` and returns its input
/// and output, so that it can be profiled with and without a gradient for its input.
fn record_layer(
    tape: &mut Tape,
    spec: &ModelSpec,
    r: &Recipe,
    sh: Shape,
    in_grad: bool,
    moe: bool,
    rope: bool,
) -> Result<(V, V)> {
    let global;
    let r = if spec.family == Family::Llama4 && !rope && r.global_kernel != r.kernel {
        let mut g = r.clone();
        g.kernel = g.global_kernel;
        global = g;
        &global
    } else {
        r
    };
    let (mut b, tokens, x) = block_input(tape, spec, r, sh, in_grad)?;
    if spec.family == Family::Llama4 {
        // `freqs_cis`: one complex64 (1, s, head_dim / 2) table for every layer.
        let freqs = b.t.shared(elems(&[sh.s, spec.head_dim])?, 4);
        let out = b.llama4_layer(x, freqs, moe, rope)?;
        return Ok((x, out));
    }
    let rot = elems(&[tokens, spec.head_dim])?;
    let cos = b.t.shared(rot, rotary_bytes(spec, r));
    let sin = b.t.shared(rot, rotary_bytes(spec, r));
    let out = match spec.family {
        Family::Gpt2 => b.gpt2_layer(x)?,
        Family::Opt => b.opt_layer(x)?,
        Family::GptNeox => b.neox_layer(x, cos, sin)?,
        Family::Phi => b.phi_layer(x, cos, sin)?,
        Family::Starcoder2 => b.starcoder2_layer(x, cos, sin)?,
        Family::GptBigcode => b.gpt_bigcode_layer(x)?,
        Family::Glm4 => b.glm4_layer(x, cos, sin)?,
        Family::GptOss => b.gpt_oss_layer(x, cos, sin)?,
        Family::Stablelm => b.stablelm_layer(x, cos, sin)?,
        Family::Gptj => b.gptj_layer(x, cos)?,
        Family::Bloom => b.bloom_layer(x, cos)?,
        Family::Falcon => b.falcon_layer(x, cos, sin)?,
        Family::Cohere | Family::Cohere2 => b.cohere_layer(x, cos, sin)?,
        Family::DeepseekV2 | Family::DeepseekV3 => b.mla_layer(x, cos, sin, moe)?,
        _ => b.llama_layer(x, cos, sin, moe)?,
    };
    Ok((x, out))
}

/// A builder for a block whose input is the residual stream of `tokens` tokens.
fn block_input<'a>(
    tape: &'a mut Tape,
    spec: &'a ModelSpec,
    r: &'a Recipe,
    sh: Shape,
    in_grad: bool,
) -> Result<(Builder<'a>, u64, V)> {
    let b = Builder::new(spec, r, sh, tape);
    let tokens = elems(&[sh.b, sh.s])?;
    let x =
        b.t.external(elems(&[tokens, spec.hidden])?, stream_bytes(r), in_grad);
    Ok((b, tokens, x))
}

/// Dtype of the residual stream: the embedding's weights (fp32 under autocast).
fn stream_bytes(r: &Recipe) -> u64 {
    r.weights
}

/// Dtype of the rotary cos/sin tables: cast to the hidden states' dtype (`cos.to(dtype=x.dtype)`,
/// fp32 under autocast), except ERNIE 4.5's, which `Ernie4_5RotaryEmbedding` keeps in fp32.
fn rotary_bytes(spec: &ModelSpec, r: &Recipe) -> u64 {
    if spec.family == Family::Ernie45 {
        4
    } else {
        stream_bytes(r)
    }
}

/// Bytes of the rotary tables every layer reads: cos and sin per token, except Llama 4's one
/// complex64 `freqs_cis` of `(1, s, head_dim / 2)` (its position ids are one row).
fn rotary_tables(spec: &ModelSpec, r: &Recipe, sh: Shape) -> Result<u64> {
    if spec.family == Family::Llama4 {
        return elems(&[sh.s, spec.head_dim, 4]);
    }
    elems(&[sh.b, sh.s, spec.head_dim, rotary_bytes(spec, r), 2])
}

fn embed_program(tape: &mut Tape, spec: &ModelSpec, r: &Recipe, sh: Shape) -> Result<Profile> {
    let mut b = Builder::new(spec, r, sh, tape);
    let tokens = elems(&[sh.b, sh.s])?;
    let th = elems(&[tokens, spec.hidden])?;
    let width = spec.embed_proj_dim.unwrap_or(spec.hidden);
    let table =
        b.t.param(elems(&[spec.vocab, width])?, r.weights, r.full_train);
    let ids = b.t.external(tokens, 8, false);
    let mut x = b.t.embedding(ids, table, elems(&[tokens, width])?);
    if spec.tied_embeddings && r.full_train {
        // Autograd sums the tied weight's two gradients (the head's, waiting in the input buffer
        // since the head's backward, and this lookup's dense one) out of place: the head's arrives
        // as the transposed view of a matmul's output, which `InputBuffer::accumulate` cannot add
        // into (torch/csrc/autograd/input_buffer.cpp, `can_accumulate_inplace`).
        b.t.last_bwd_temp(elems(&[spec.vocab, width, r.weights])?);
    }
    if let Some(p) = spec.embed_proj_dim.filter(|&p| p != spec.hidden) {
        x = b.linear(x, "project_in", p, spec.hidden, tokens)?;
    }
    if spec.family == Family::Bloom {
        // BloomModel.word_embeddings_layernorm on the embedding output.
        x = b.norm(x, tokens, spec.hidden)?;
    }
    if spec.learned_positions > 0 {
        let pos = b.t.param(
            elems(&[spec.learned_positions, spec.hidden])?,
            r.weights,
            r.full_train,
        );
        let pid = b.t.external(tokens, 8, false);
        let p = b.t.embedding(pid, pos, th);
        x = b.t.add(x, p);
    }
    if matches!(
        spec.family,
        Family::Gemma | Family::Gemma2 | Family::Gemma3 | Family::Granite | Family::Granitemoe
    ) {
        // `inputs_embeds * normalizer` with a constant tensor; Granite's `* embedding_multiplier`.
        x = b.t.scale(x);
    }
    if spec.dropout.embedding > 0.0 && r.training {
        x = b.t.dropout(x);
    }
    Ok(b.t.profile(x))
}

fn head_program(
    tape: &mut Tape,
    spec: &ModelSpec,
    r: &Recipe,
    sh: Shape,
    in_grad: bool,
    loss: LossImpl,
    rows_out: u64,
) -> Result<Profile> {
    let (mut b, tokens, x) = block_input(tape, spec, r, sh, in_grad)?;
    let n = if spec.norm.final_norm {
        b.norm(x, tokens, spec.hidden)?
    } else {
        x
    };
    let n = match spec.embed_proj_dim.filter(|&p| p != spec.hidden) {
        Some(p) => b.linear(n, "project_out", spec.hidden, p, tokens)?,
        None => n,
    };
    let width = spec.embed_proj_dim.unwrap_or(spec.hidden);
    // Inference keeps only the last position's logits (`logits_to_keep=1` in `generate`).
    let n = if rows_out < tokens {
        b.t.view(n, elems(&[rows_out, width])?)
    } else {
        n
    };
    let vocab = spec.vocab / sh.tp;
    if !r.training {
        let head = b.head_module();
        let logits = b.linear(n, head, width, vocab, rows_out)?;
        let logits = logits_scaled(&mut b, logits);
        let logits = b.t.cast(logits, 4);
        return Ok(b.t.profile(logits));
    }
    if loss == LossImpl::Fused {
        // Chunked linear cross-entropy (Liger): about one hidden-sized chunk of fp32 logits at a time.
        let w = b.t.param(elems(&[width, vocab])?, r.weights, r.full_train);
        b.t.fwd_scratch(elems(&[tokens, width, 8])?);
        let l = b.t.linear(n, w, 1);
        return Ok(b.t.profile(l));
    }
    let head = b.head_module();
    let mut logits = b.linear(n, head, width, vocab, rows_out)?;
    logits = logits_scaled(&mut b, logits);
    if spec.final_logit_softcap.is_some() {
        let d = b.t.scale(logits);
        let th = b.t.unary_keep_output(d, d.dt);
        logits = b.t.scale(th);
    }
    // `ForCausalLMLoss`: `logits.float()`, then `cross_entropy` = log_softmax (keeps its output) + nll_loss.
    let l32 = b.t.cast(logits, 4);
    let lsm = b.t.unary_keep_output(l32, 4);
    if sh.tp > 1 {
        // Logits sharded by vocabulary under `loss_parallel` (torch/distributed/tensor/parallel/
        // loss.py): `_log_softmax` keeps `shifted = x - max` while `exp(shifted)` and then the
        // output are made; the backward of nll_loss makes the whole log-softmax gradient
        // (`(zeros_like(x) + exp(x)) * grad`, two of its temporaries live beside the result) and
        // log_softmax's backward passes it on.
        b.t.last_fwd_temp(l32.bytes());
        b.t.last_passes_grad();
    }
    let loss_v = b.t.reduce(lsm, 1);
    if sh.tp > 1 {
        b.t.last_bwd_temp(2 * lsm.bytes());
    }
    // The model's `logits` and the loss function's fp32 `logits` stay referenced until the loss returns.
    b.t.hold(logits);
    b.t.hold(l32);
    Ok(b.t.profile(loss_v))
}

/// GraniteForCausalLM and GraniteMoeForCausalLM divide the logits by `logits_scaling`,
/// CohereForCausalLM multiplies them by `logit_scale` (Python floats): a second logits tensor that
/// saves nothing, while the first is freed.
fn logits_scaled(b: &mut Builder<'_>, logits: V) -> V {
    if matches!(
        b.spec.family,
        Family::Granite | Family::Granitemoe | Family::Cohere | Family::Cohere2
    ) {
        b.t.scale(logits)
    } else {
        logits
    }
}

/// Block programs already profiled, each with everything [`programs`] reads: a configuration
/// that differs only in what the programs do not see (optimizer, sharding, offload, accumulation,
/// full or no checkpointing, another pipeline stage of the same kind) reuses them. The planner
/// keeps one over its search; a single estimate keeps one across its pipeline stages.
#[derive(Debug, Default)]
pub(crate) struct ProgramCache {
    entries: alloc::vec::Vec<(ProgramKey, Program)>,
    /// Most entries kept; the oldest goes first. Zero keeps none.
    limit: usize,
}

/// Everything [`programs`] reads, so that equal keys give equal programs.
#[derive(Debug, Clone, PartialEq)]
struct ProgramKey {
    spec: ModelSpec,
    r: Recipe,
    sh: Shape,
    /// The layers' attention kernel (selective recomputation runs eager attention fused).
    layer_kernel: AttnKernel,
    loss: LossImpl,
    layers: LayerKinds,
}

/// Which layer programs a stage needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LayerKinds {
    /// Every layer of the stage has a mixture-of-experts FFN.
    all_moe: bool,
    /// The stage mixes dense and mixture-of-experts layers.
    mixed: bool,
    /// Llama 4's layers of the stage by kind ([`llama4_kinds`]); all counts 0 for other families.
    llama4: [(bool, bool, u64); 4],
}

impl ProgramCache {
    /// A cache of at most `limit` configurations.
    pub fn new(limit: usize) -> Self {
        ProgramCache {
            entries: alloc::vec::Vec::new(),
            limit,
        }
    }

    /// The programs of one configuration, from the cache or profiled now.
    pub fn programs(
        &mut self,
        spec: &ModelSpec,
        r: &Recipe,
        sh: Shape,
        ckpt: Checkpointing,
        loss: LossImpl,
        place: &Placement,
    ) -> Result<Program> {
        let (layer_kernel, layers) = layer_kinds(spec, r, ckpt, place);
        let hit = self.entries.iter().find(|(k, _)| {
            k.sh == sh
                && k.layer_kernel == layer_kernel
                && k.loss == loss
                && k.layers == layers
                && k.r == *r
                && k.spec == *spec
        });
        if let Some((_, p)) = hit {
            return Ok(p.clone());
        }
        let p = programs(spec, r, sh, layer_kernel, loss, layers, Tape::new())?;
        if self.limit > 0 {
            if self.entries.len() == self.limit {
                self.entries.remove(0);
            }
            let key = ProgramKey {
                spec: spec.clone(),
                r: r.clone(),
                sh,
                layer_kernel,
                loss,
                layers,
            };
            self.entries.push((key, p.clone()));
        }
        Ok(p)
    }
}

/// The layers' attention kernel and the layer programs a stage of `place` needs.
fn layer_kinds(
    spec: &ModelSpec,
    r: &Recipe,
    ckpt: Checkpointing,
    place: &Placement,
) -> (AttnKernel, LayerKinds) {
    // Selective recomputation drops the attention scores; with a fused kernel there are none to drop.
    let layer_kernel = if ckpt == Checkpointing::Selective && r.kernel == AttnKernel::Eager {
        AttnKernel::Flash
    } else {
        r.kernel
    };
    let dense_layers = place.layers.saturating_sub(place.moe_layers);
    let layers = LayerKinds {
        all_moe: place.moe_layers > 0 && dense_layers == 0,
        mixed: place.moe_layers > 0 && dense_layers > 0,
        llama4: llama4_kinds(spec, place),
    };
    (layer_kernel, layers)
}

/// The programs of one configuration with what their elementwise ops move counted
/// ([`Program::elementwise_bytes`]) for the time model; the cache's programs skip the count.
pub(crate) fn traffic_programs(
    spec: &ModelSpec,
    r: &Recipe,
    sh: Shape,
    ckpt: Checkpointing,
    loss: LossImpl,
    place: &Placement,
) -> Result<Program> {
    let (layer_kernel, layers) = layer_kinds(spec, r, ckpt, place);
    programs(
        spec,
        r,
        sh,
        layer_kernel,
        loss,
        layers,
        Tape::counting_traffic(),
    )
}

fn programs(
    spec: &ModelSpec,
    r: &Recipe,
    sh: Shape,
    layer_kernel: AttnKernel,
    loss: LossImpl,
    layers: LayerKinds,
    mut tape: Tape,
) -> Result<Program> {
    let layer_recipe;
    let r_layers = if layer_kernel == r.kernel {
        r
    } else {
        // Selective recomputation: every layer, Llama 4's global ones too, runs the fused kernel.
        let mut r2 = r.clone();
        r2.kernel = layer_kernel;
        r2.global_kernel = layer_kernel;
        layer_recipe = r2;
        &layer_recipe
    };
    let embed = embed_program(&mut tape, spec, r, sh)?;
    let embed_grad = embed.out_grad;
    let kind_moe = layers.all_moe;
    let first_rope = layers.llama4.iter().any(|k| k.1 && k.2 > 0);
    // The first layer and the others run the same program; only the first one's input may need
    // no gradient (a frozen embedding), so one recording gives both profiles.
    let (input, out) = record_layer(
        &mut tape, spec, r_layers, sh, embed_grad, kind_moe, first_rope,
    )?;
    let first = tape.profile(out);
    let layer = if first.out_grad == embed_grad {
        first
    } else {
        tape.set_requires_grad(input, first.out_grad);
        tape.profile(out)
    };
    let moe_layer = if layers.mixed {
        Some(layer_program(
            &mut tape,
            spec,
            r_layers,
            sh,
            layer.out_grad,
            true,
            first_rope,
        )?)
    } else {
        None
    };
    let kinds = if spec.family == Family::Llama4 {
        let mut kinds = alloc::vec::Vec::with_capacity(5);
        let mut counts = layers.llama4;
        // Llama 4's counts add up to the stage's layers.
        if counts.iter().any(|k| k.2 > 0) {
            // The first layer's input may need no gradient (adapters, frozen embedding).
            let (moe, rope) = llama4_kind(spec, 0);
            let p = layer_program(&mut tape, spec, r_layers, sh, embed_grad, moe, rope)?;
            if p.out_grad != embed_grad {
                kinds.push((p, 1));
                if let Some(k) = counts.iter_mut().find(|k| (k.0, k.1) == (moe, rope)) {
                    k.2 -= 1;
                }
            }
        }
        for (moe, rope, count) in counts {
            if count > 0 {
                let p = layer_program(&mut tape, spec, r_layers, sh, layer.out_grad, moe, rope)?;
                kinds.push((p, count));
            }
        }
        Some(kinds)
    } else {
        None
    };
    let tokens = elems(&[sh.b, sh.s])?;
    let head = head_program(&mut tape, spec, r, sh, layer.out_grad, loss, tokens)?;
    let rot = rotary_tables(spec, r, sh)?;
    let mask = mask_bytes(spec, r, sh)?;
    let ids = elems(&[tokens, 8, 2])?;
    Ok(Program {
        kinds,
        layer,
        moe_layer,
        first: (first != layer).then_some(first),
        embed,
        head,
        shared: rot + mask + ids,
    })
}

/// Bytes of the attention masks the model builds once per forward: eager attention adds a
/// `(batch, 1, q, kv)` mask in the compute dtype per kind of layer; fused kernels need none, except
/// in Falcon, which always materialises one (a `(1, 1, q, kv)` boolean mask for SDPA) and with
/// ALiBi folds the bias into a `(batch, heads, q, kv)` mask of the embedding's dtype that every
/// layer's attention reads (`FalconModel.forward`, `torch.masked_fill(alibi / sqrt(head_dim), ...)`).
fn mask_bytes(spec: &ModelSpec, r: &Recipe, sh: Shape) -> Result<u64> {
    let mut bytes = if r.kernel == AttnKernel::Eager {
        elems(&[sh.b, sh.s, sh.kv, r.compute, mask_kinds(spec)])?
    } else if spec.family == Family::Falcon {
        // One boolean `(1, 1, q, kv)` mask broadcast over the batch.
        elems(&[sh.s, sh.kv])?
    } else if spec.family == Family::Llama4 && spec.sliding_window.is_some_and(|w| sh.kv > w.window)
    {
        // `create_chunked_causal_mask` builds a boolean `(batch, 1, q, kv)` mask for SDPA once the
        // keys outnumber the chunk; the global layers' causal mask is skipped (`is_causal`).
        elems(&[sh.b, sh.s, sh.kv])?
    } else {
        0
    };
    if spec.family == Family::Falcon && spec.alibi {
        let heads = spec.heads / sh.tp.max(1);
        bytes = bytes.saturating_add(elems(&[sh.b, heads, sh.s, sh.kv, stream_bytes(r)])?);
    }
    Ok(bytes)
}

/// Eager attention masks the model builds once per forward: one per kind of layer
/// (`create_causal_mask` and `create_sliding_window_causal_mask` in transformers' `masking_utils`),
/// so two when full and sliding-window layers alternate (Gemma-2/3, Cohere-2, GPT-OSS).
fn mask_kinds(spec: &ModelSpec) -> u64 {
    match spec.sliding_window {
        Some(w) if w.local_layers(spec.layers) > 0 && w.local_layers(spec.layers) < spec.layers => {
            2
        }
        _ => 1,
    }
}

/// How parameter gradients stay on the device during backward.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grads {
    /// ZeRO-2/3 and FSDP reduce-scatter each bucket as it fills: a device keeps `1 / divisor` of them.
    pub divisor: u64,
    /// Bytes of gradients already allocated when backward starts (accumulation over micro-batches);
    /// new gradients are then added in place instead of growing.
    pub resident: u64,
    /// FSDP's unsharded copies by moment of the step.
    pub gathered: super::states::Gathered,
}

/// Stacks the block programs `p` of a training step on this device in execution order and
/// returns the activation-side peaks of each phase.
pub(crate) fn training(
    p: &Program,
    spec: &ModelSpec,
    ckpt: Checkpointing,
    place: &Placement,
    g: Grads,
) -> StepPeaks {
    // Layer list in execution order: (profile, count).
    let dense = place.layers.saturating_sub(place.moe_layers);
    let mut order: alloc::vec::Vec<(Profile, u64)> = alloc::vec::Vec::with_capacity(4);
    let mut rest_dense = dense;
    if let Some(f) = p.first {
        if place.layers > 0 {
            order.push((f, 1));
            rest_dense = rest_dense.saturating_sub(1);
        }
    }
    match (&p.kinds, p.moe_layer) {
        (Some(kinds), _) => order.clone_from(kinds),
        (None, Some(m)) => {
            order.push((p.layer, rest_dense));
            order.push((m, place.moe_layers));
        }
        (None, None) => order.push((p.layer, place.layers.saturating_sub(order.len() as u64))),
    }
    let retained = |l: &Profile| -> u64 {
        match ckpt {
            // The checkpoint keeps the layer's input; everything else is recomputed in backward.
            Checkpointing::Full => l.out_bytes,
            _ => l.saved,
        }
    };
    let inflight = place.in_flight.max(1);
    let embed_retained = if place.embedding { p.embed.saved } else { 0 };
    let stream = p.layer.out_bytes;

    // Forward. Hugging Face keeps the embedding output in `inputs_embeds` for the whole forward.
    let embeds_held = if place.embedding && p.layer.input_saved == 0 {
        stream
    } else {
        0
    };
    let mut cache = 0u64;
    let mut held = p.shared + embed_retained + embeds_held;
    let mut forward = if place.embedding {
        p.shared + p.embed.fwd_peak
    } else {
        p.shared
    };
    for (l, count) in &order {
        if *count == 0 {
            continue;
        }
        // The last layer of this kind runs on top of all earlier ones, and in_flight micro-batches.
        let earlier = retained(l).saturating_mul(count - 1);
        let peak = match ckpt {
            Checkpointing::Full => l.fwd_peak_unsaved,
            _ => l.fwd_peak,
        };
        forward = forward.max(held + cache + earlier + stream + peak);
        held += retained(l).saturating_mul(*count);
        // With checkpointing, autocast's weight cache still holds every cast made in this forward.
        if ckpt == Checkpointing::Full {
            cache += l.autocast_weights.saturating_mul(*count);
        }
    }
    let held_one = held;
    // Other micro-batches in flight hold their activations as well (1F1B warm-up).
    let others = (held_one - p.shared).saturating_mul(inflight - 1);
    forward = forward
        .saturating_add(others)
        .saturating_add(g.resident)
        .saturating_add(g.gathered.forward);
    let mut gathered_at_forward = g.gathered.forward;
    held = held.saturating_add(others);
    let head_saved = if place.head { p.head.saved } else { 0 };
    if place.head {
        let at = held + cache + stream + p.head.fwd_peak + g.resident + g.gathered.forward_head;
        if at > forward {
            forward = at;
            gathered_at_forward = g.gathered.forward_head;
        }
    }
    held -= embeds_held;

    // Backward: head, then layers from the top, then the embedding.
    let keep = |bytes: u64| {
        if g.resident > 0 {
            0
        } else {
            bytes / g.divisor.max(1)
        }
    };
    let mut grads = g.resident;
    let mut backward = 0u64;
    let mut logits_at_backward = 0u64;
    let mut grads_at_backward = 0u64;
    let mut gathered_at_backward = 0u64;
    if place.head {
        let at = held + grads + p.head.bwd_peak + g.gathered.head_backward;
        if at > backward {
            backward = at;
            logits_at_backward = p.head.bwd_peak.saturating_sub(p.head.param_grads);
            grads_at_backward = grads + p.head.param_grads;
            gathered_at_backward = g.gathered.head_backward;
        }
        grads += keep(p.head.param_grads);
    }
    let _ = head_saved;
    let in_grad = if place.head {
        p.head.input_grad
    } else {
        stream
    };
    let mut layers_below = place.layers;
    for (l, count) in order.iter().rev() {
        if *count == 0 {
            continue;
        }
        layers_below = layers_below.saturating_sub(*count);
        let below_group = held.saturating_sub(retained(l).saturating_mul(*count));
        // The live bytes are linear in the layer index: check the top and the bottom layer.
        for k in [*count, 1] {
            let lower = below_group + retained(l).saturating_mul(k - 1);
            // Layers still gathered (shard-grad-op reshards each after its backward).
            let gathered = g.gathered.layer_backward
                + g.gathered
                    .per_gathered_layer
                    .saturating_mul(layers_below + k);
            let upper_grads = grads + keep(l.param_grads.saturating_mul(*count - k));
            let work = match ckpt {
                // Recompute the layer (its saves live again, the output gradient waits), then backward.
                Checkpointing::Full => {
                    let own = l.out_bytes.saturating_sub(l.input_saved);
                    own + (in_grad + l.fwd_peak).max(l.bwd_peak)
                }
                _ => l.bwd_peak,
            };
            let at = lower + upper_grads + work + gathered;
            if at > backward {
                backward = at;
                logits_at_backward = 0;
                grads_at_backward = upper_grads + l.param_grads;
                gathered_at_backward = gathered;
            }
        }
        held = below_group;
        grads += keep(l.param_grads.saturating_mul(*count));
    }
    if place.embedding {
        // With tied embeddings the lookup's dense gradient is a temporary added into the head's
        // gradient; `bwd_peak` counts it while it lives either way.
        let at = held.saturating_sub(embed_retained)
            + grads
            + p.embed.bwd_peak
            + g.gathered.embed_backward;
        if at > backward {
            backward = at;
            logits_at_backward = 0;
            grads_at_backward = grads + p.embed.param_grads;
            gathered_at_backward = g.gathered.embed_backward;
        }
        if !(spec.tied_embeddings && place.head) {
            grads += keep(p.embed.param_grads);
        }
    }
    StepPeaks {
        forward,
        backward,
        param_grads: grads,
        logits_at_backward,
        shared: p.shared,
        grads_at_backward,
        inference: 0,
        gathered_at_forward,
        gathered_at_backward,
    }
}

/// Runs a prefill or a decode step and returns the working set above weights and KV cache.
pub(crate) fn inference(
    spec: &ModelSpec,
    r: &Recipe,
    sh: Shape,
    place: &Placement,
) -> Result<StepPeaks> {
    let moe = place.moe_layers > 0;
    let mut tape = Tape::new();
    let mut layer = layer_program(&mut tape, spec, r, sh, false, moe, false)?;
    // Llama 4: the largest working set of its kinds of layers.
    for (moe, rope, count) in llama4_kinds(spec, place) {
        if count == 0 {
            continue;
        }
        let p = layer_program(&mut tape, spec, r, sh, false, moe, rope)?;
        if p.fwd_peak > layer.fwd_peak {
            layer = p;
        }
    }
    let tokens = elems(&[sh.b, sh.s])?;
    let head = head_program(&mut tape, spec, r, sh, false, LossImpl::Upcast, sh.b)?;
    let rot = rotary_tables(spec, r, sh)?;
    let mask = mask_bytes(spec, r, sh)?;
    let shared = rot + mask + elems(&[tokens, 8])?;
    let stream = layer.out_bytes;
    // The embedding output stays referenced (`inputs_embeds`) while the layers run.
    let work = stream + (stream + layer.fwd_peak).max(stream + head.fwd_peak);
    let _: Option<V> = None;
    Ok(StepPeaks {
        inference: shared + work,
        shared,
        ..StepPeaks::default()
    })
}

/// Llama 4's layers on this device by kind, as (mixture of experts, rotary and chunked, count);
/// all counts 0 for other families. The layers are counted from the model's first: the chunked
/// ones are the first `local_per_pattern` of each group of `pattern` (the `no_rope_layers`
/// pattern), and the `moe_layers` of the model's `layers` are taken as evenly interleaved
/// (`interleave_moe_layer_step`: layer `i` is sparse when `(i + 1) * moe / layers` steps up),
/// which is how every published config places them.
fn llama4_kinds(spec: &ModelSpec, place: &Placement) -> [(bool, bool, u64); 4] {
    let mut kinds = [
        (false, true, 0),
        (false, false, 0),
        (true, true, 0),
        (true, false, 0),
    ];
    if spec.family != Family::Llama4 {
        return kinds;
    }
    let n = place.layers;
    let (all, sparse) = (spec.layers.max(n).max(1), spec.moe_layers());
    // Past any real model's depth, spread the chunked layers evenly over both kinds instead of
    // visiting every layer.
    let visited = n.min(1 << 12);
    for i in 0..visited {
        let (moe, rope) = llama4_kind(spec, i);
        let k = usize::from(moe) * 2 + usize::from(!rope);
        kinds[k].2 += 1;
    }
    if visited < n {
        let sparse_here = n.saturating_mul(sparse) / all;
        let dense_here = n - sparse_here;
        let chunked = spec.sliding_window.map_or(0, |w| w.local_layers(n));
        let sparse_chunked = (chunked as u128 * sparse_here as u128 / n as u128) as u64;
        kinds[0].2 = chunked.saturating_sub(sparse_chunked).min(dense_here);
        kinds[1].2 = dense_here - kinds[0].2;
        kinds[2].2 = sparse_chunked.min(sparse_here);
        kinds[3].2 = sparse_here - kinds[2].2;
    }
    kinds
}

/// Whether Llama 4's layer `i` is a mixture of experts and whether it is chunked with rotary
/// positions, as [`llama4_kinds`] places them.
fn llama4_kind(spec: &ModelSpec, i: u64) -> (bool, bool) {
    let (all, sparse) = (spec.layers.max(i + 1), spec.moe_layers());
    let moe = (i + 1).saturating_mul(sparse) / all > i.saturating_mul(sparse) / all;
    let rope = spec
        .sliding_window
        .is_some_and(|w| w.pattern > 0 && i % w.pattern < w.local_per_pattern);
    (moe, rope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::EstimateRequest;

    #[test]
    fn program_cache_reuses_only_what_the_programs_read() {
        let spec = crate::model::find("llama-3-8b").unwrap();
        let req: EstimateRequest = serde_json::from_str(
            r#"{"model": {"catalogue": "llama-3-8b"}, "task": "lora", "micro_batch": 1,
                "sequence": 512, "attention": "eager", "lora": {"rank": 8}}"#,
        )
        .unwrap();
        let r = Recipe::new(&req, &spec);
        let place = Placement {
            layers: 32,
            moe_layers: 0,
            embedding: true,
            head: true,
            in_flight: 1,
        };
        let sh = |s| Shape {
            b: 1,
            s,
            kv: s,
            tp: 1,
        };
        let fresh = |s, ckpt| {
            ProgramCache::new(0)
                .programs(&spec, &r, sh(s), ckpt, LossImpl::Upcast, &place)
                .unwrap()
        };
        let mut cache = ProgramCache::new(2);
        let mut cached = |s, ckpt| {
            let p = cache
                .programs(&spec, &r, sh(s), ckpt, LossImpl::Upcast, &place)
                .unwrap();
            (p, cache.entries.len())
        };
        // No and full checkpointing run the same programs: the second is a hit.
        let (none, n) = cached(512, Checkpointing::None);
        assert_eq!(n, 1);
        let (full, n) = cached(512, Checkpointing::Full);
        assert_eq!(n, 1);
        // Selective recomputation runs eager attention fused, which keeps no scores: at least two
        // 1 x 32 heads x 512 x 512 bf16 tensors (scores and probabilities) less per layer.
        let (selective, n) = cached(512, Checkpointing::Selective);
        assert_eq!(n, 2);
        assert!(selective.layer.saved + 2 * 32 * 512 * 512 * 2 <= none.layer.saved);
        // A third configuration evicts the oldest.
        let (long, n) = cached(1024, Checkpointing::None);
        assert_eq!(n, 2);
        assert!(long.layer.saved > none.layer.saved);
        assert_eq!(cache.entries[0].0.layer_kernel, AttnKernel::Flash);
        assert_eq!(cache.entries[1].0.sh.s, 1024);
        // Every answer is what the programs give without a cache.
        assert_eq!(none, fresh(512, Checkpointing::None));
        assert_eq!(full, fresh(512, Checkpointing::Full));
        assert_eq!(full, none);
        assert_eq!(selective, fresh(512, Checkpointing::Selective));
        assert_eq!(long, fresh(1024, Checkpointing::None));
    }

    #[test]
    fn program_cache_tells_llama4_stages_apart_by_their_kinds_of_layer() {
        // Maverick: 48 layers, every second one a mixture of experts, three chunked layers of four.
        let spec = crate::model::find("llama-4-maverick-17b-128e").unwrap();
        let req: EstimateRequest = serde_json::from_str(
            r#"{"model": {"catalogue": "llama-4-maverick-17b-128e"}, "task": "pretrain",
                "micro_batch": 1, "sequence": 512, "attention": "sdpa"}"#,
        )
        .unwrap();
        let r = Recipe::new(&req, &spec);
        let place = |layers| Placement {
            layers,
            moe_layers: layers / 2,
            embedding: false,
            head: false,
            in_flight: 1,
        };
        let sh = Shape {
            b: 1,
            s: 512,
            kv: 512,
            tp: 1,
        };
        let fresh = |layers| {
            ProgramCache::new(0)
                .programs(
                    &spec,
                    &r,
                    sh,
                    Checkpointing::None,
                    LossImpl::Upcast,
                    &place(layers),
                )
                .unwrap()
        };
        let mut cache = ProgramCache::new(4);
        let mut cached = |layers| {
            let p = cache
                .programs(
                    &spec,
                    &r,
                    sh,
                    Checkpointing::None,
                    LossImpl::Upcast,
                    &place(layers),
                )
                .unwrap();
            (p, cache.entries.len())
        };
        // Twelve layers (layers 0-11: 6 dense, 6 sparse; 9 chunked) and ten (0-9: 5 and 5; 8
        // chunked): the same dense/sparse mix, other counts of each kind, so two entries.
        let (twelve, n) = cached(12);
        assert_eq!(n, 1);
        let (ten, n) = cached(10);
        assert_eq!(n, 2);
        let (again, n) = cached(12);
        assert_eq!(n, 2);
        let count = |p: &Program| p.kinds.as_ref().unwrap().iter().map(|k| k.1).sum::<u64>();
        assert_eq!(count(&twelve), 12);
        assert_eq!(count(&ten), 10);
        assert_eq!(twelve, again);
        assert_eq!(twelve, fresh(12));
        assert_eq!(ten, fresh(10));
        assert_ne!(twelve, ten);
    }
}
