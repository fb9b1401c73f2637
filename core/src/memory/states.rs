//! Model states: weights (quantised or not), adapters, gradients, master weights, optimizer states
//! and the temporaries of the optimizer step, per device after sharding.

use super::recipe::Recipe;
use super::tape::BLOCK;
use crate::error::{Error, Result};
use crate::math::round_up;
use crate::model::{Linear, ModelSpec};
use crate::request::{EstimateRequest, Optimizer, OptimizerImpl, QuantFormat, Sharding, Task};

/// bitsandbytes 4-bit block size (`quantize_4bit(blocksize=64)`, QLoRA paper Sec. 3).
const NF4_BLOCK: u64 = 64;
/// Blocks per second-level constant in double quantisation (QLoRA paper: "blocksize of 256").
const DQ_BLOCK: u64 = 256;
/// bitsandbytes 8-bit optimizer block size (`optim/optimizer.py`, `blocksize=2048`).
const ADAM8_BLOCK: u64 = 2048;
/// Tensors smaller than this keep 32-bit optimizer states in bitsandbytes (`min_8bit_size=4096`).
const ADAM8_MIN_SIZE: u64 = 4096;

/// Checked `a * b`.
pub(crate) fn mul(a: u64, b: u64, what: &str) -> Result<u64> {
    a.checked_mul(b).ok_or_else(|| Error::overflow(what))
}

/// Checked sum.
pub(crate) fn add(a: u64, b: u64, what: &str) -> Result<u64> {
    a.checked_add(b).ok_or_else(|| Error::overflow(what))
}

/// One parameter tensor kind: elements of one instance, and instances.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TensorKind {
    pub elems: u64,
    pub count: u64,
    /// A decoder linear weight (bitsandbytes quantises these).
    pub quantizable: bool,
    /// Two-dimensional (Adafactor factors its second moment).
    pub matrix: bool,
    /// Rows of the matrix (Adafactor's row statistics).
    pub rows: u64,
    /// Where a pipeline keeps it.
    pub role: Role,
}

/// Which pipeline stage holds a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Decoder layers: each stage holds its share.
    Layer,
    /// Token and position embeddings: the first stage.
    Embedding,
    /// The output projection: the last stage.
    Head,
}

/// Every parameter tensor of the model, grouped; norms, biases and other vectors as one vector kind
/// per instance where their sizes are known.
pub(crate) fn tensors(
    spec: &ModelSpec,
    params: &crate::model::Parameters,
    linears: &[Linear],
) -> Result<alloc::vec::Vec<TensorKind>> {
    let mut out = alloc::vec::Vec::with_capacity(24);
    let mut accounted: u64 = 0;
    for l in linears {
        let e = mul(l.d_in, l.d_out, "linear weight elements")?;
        let role = if l.in_decoder {
            Role::Layer
        } else {
            Role::Head
        };
        out.push(TensorKind {
            elems: e,
            count: l.count,
            // transformers 5 keeps routed experts as 3-D parameters, which bitsandbytes does not quantise.
            quantizable: l.in_decoder && !l.routed_expert,
            matrix: true,
            rows: l.d_out,
            role,
        });
        accounted = add(accounted, mul(e, l.count, "linear weights")?, "parameters")?;
        if l.bias {
            out.push(TensorKind {
                elems: l.d_out,
                count: l.count,
                quantizable: false,
                matrix: false,
                rows: 1,
                role,
            });
            accounted = add(accounted, mul(l.d_out, l.count, "biases")?, "parameters")?;
        }
    }
    for (elems, rows) in spec.bare_tensors()? {
        out.push(TensorKind {
            elems,
            count: spec.layers,
            quantizable: false,
            matrix: rows > 1,
            rows,
            role: Role::Layer,
        });
        accounted = add(
            accounted,
            mul(elems, spec.layers, "parameters")?,
            "parameters",
        )?;
    }
    let width = spec.embed_proj_dim.unwrap_or(spec.hidden);
    let table = mul(spec.vocab, width, "embedding elements")?;
    out.push(TensorKind {
        elems: table,
        count: 1,
        quantizable: false,
        matrix: true,
        rows: spec.vocab,
        role: Role::Embedding,
    });
    accounted = add(accounted, table, "parameters")?;
    if spec.learned_positions > 0 {
        let pos = mul(spec.learned_positions, spec.hidden, "position table")?;
        out.push(TensorKind {
            elems: pos,
            count: 1,
            quantizable: false,
            matrix: true,
            rows: spec.learned_positions,
            role: Role::Embedding,
        });
        accounted = add(accounted, pos, "parameters")?;
    }
    // What remains are norm weights and biases and similar vectors of width `hidden`.
    let rest = params.total.saturating_sub(accounted);
    if rest > 0 {
        let per = spec.hidden.max(1);
        let count = rest / per;
        if count > 0 {
            out.push(TensorKind {
                elems: per,
                count,
                quantizable: false,
                matrix: false,
                rows: 1,
                role: Role::Layer,
            });
        }
        let tail = rest % per;
        if tail > 0 {
            out.push(TensorKind {
                elems: tail,
                count: 1,
                quantizable: false,
                matrix: false,
                rows: 1,
                role: Role::Layer,
            });
        }
    }
    Ok(out)
}

/// Bytes of `elems` elements of `bytes_per` each in one allocation.
fn alloc_bytes(elems: u64, bytes_per: u64) -> u64 {
    round_up(elems.saturating_mul(bytes_per), BLOCK)
}

/// DeepSpeed's `reduce_bucket_size` default, in elements (docs, ZeRO optimizations: "Number of
/// elements reduced/allreduced at a time", default 5e8). ZeRO-1/2 allocate their gradient
/// buckets whole when backward starts, one of this many elements in the model's dtype, two with
/// `overlap_comm` (DeepSpeedZeroOptimizer.backward, `buf_0` and `buf_1`, stage_1_and_2.py),
/// however small the model: the DeepSpeed export sizes them to what the estimate counts.
pub(crate) const REDUCE_BUCKET: u64 = 500_000_000;

/// Bytes of the stored weights of one instance of a tensor kind.
fn weight_bytes(t: &TensorKind, dt: u64, quant: Option<(QuantFormat, bool)>) -> u64 {
    match (quant, t.quantizable) {
        (Some((QuantFormat::Nf4 | QuantFormat::Fp4, dq)), true) => {
            // Packed 4-bit codes, then the absmax per 64-block: uint8 plus an fp32 constant per 256
            // blocks with double quantisation, fp32 without (QLoRA Sec. 3).
            let packed = alloc_bytes(t.elems.div_ceil(2), 1);
            let blocks = t.elems.div_ceil(NF4_BLOCK);
            let absmax = if dq {
                alloc_bytes(blocks, 1) + alloc_bytes(blocks.div_ceil(DQ_BLOCK), 4)
            } else {
                alloc_bytes(blocks, 4)
            };
            packed + absmax
        }
        (Some((QuantFormat::Int8, _)), true) => {
            // LLM.int8(): int8 weight plus one fp32 scale per output row (`SCB`).
            alloc_bytes(t.elems, 1) + alloc_bytes(t.rows, 4)
        }
        _ => alloc_bytes(t.elems, dt),
    }
}

/// Model states of one device.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct States {
    pub weights: u64,
    pub adapters: u64,
    pub gradients: u64,
    /// Gradients kept between micro-batches of gradient accumulation.
    pub accumulated_gradients: u64,
    pub master: u64,
    pub optimizer: u64,
    pub step_temporaries: u64,
    pub sharding_buffers: u64,
    /// FSDP's unsharded copies, which come and go with the step's phases.
    pub gathered: Gathered,
    pub host: u64,
    pub trainable_params: u64,
}

/// What FSDP2 (`fully_shard` on every decoder layer, then on the root, as the Hugging Face
/// Trainer wraps a model through Accelerate) holds unsharded beside the shards, by moment of the
/// step (torch/distributed/fsdp/_fully_shard, torch 2.15):
/// - the root's parameters (embedding, head, final norm) are gathered in the root's pre-forward and
///   not resharded after forward (`FSDPState._lazy_init`: the root keeps `reshard_after_forward`
///   false), so they stay gathered until the root's post-backward;
/// - forward, full shard: the running layer's parameters plus the flat all-gather result kept for
///   the next copy-out (`AllGatherState`); shard-grad-op keeps every gathered layer until backward;
/// - backward: the root's head gradient stays unsharded until the root's post-backward reduce-scatter;
///   beside the running layer, the next layer is prefetched (`backward_prefetch` of one) and the
///   previous layer's reduce-scatter input is kept (`ReduceScatterState`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Gathered {
    /// While the decoder layers run forward.
    pub forward: u64,
    /// While the head and the loss run forward (every layer has run).
    pub forward_head: u64,
    /// While the head and the loss run backward (the root's gradients not made yet).
    pub head_backward: u64,
    /// While the decoder layers run backward, plus `per_gathered_layer` for each layer still
    /// gathered (the running one and those below it).
    pub layer_backward: u64,
    pub per_gathered_layer: u64,
    /// While the embedding runs backward (every layer resharded).
    pub embed_backward: u64,
}

/// LoRA adapter matrices for the request's targets: `A` is `r x d_in`, `B` is `d_out x r`, so
/// `r * (d_in + d_out)` parameters per adapted linear (LoRA paper, Sec. 4).
pub(crate) fn adapter_tensors(
    linears: &[Linear],
    r: &Recipe,
) -> Result<alloc::vec::Vec<TensorKind>> {
    let mut out = alloc::vec::Vec::new();
    let Some(lora) = r.lora.as_ref() else {
        return Ok(out);
    };
    for l in linears {
        // Routed experts are 3-D parameters in transformers 5, not modules PEFT can adapt.
        if l.routed_expert || !lora.targets(l.module, l.in_decoder) {
            continue;
        }
        let a = mul(lora.rank, l.d_in, "lora parameters")?;
        let b = mul(lora.rank, l.d_out, "lora parameters")?;
        out.push(TensorKind {
            elems: a,
            count: l.count,
            quantizable: false,
            matrix: true,
            rows: lora.rank,
            role: if l.in_decoder {
                Role::Layer
            } else {
                Role::Head
            },
        });
        out.push(TensorKind {
            elems: b,
            count: l.count,
            quantizable: false,
            matrix: true,
            rows: l.d_out,
            role: if l.in_decoder {
                Role::Layer
            } else {
                Role::Head
            },
        });
    }
    Ok(out)
}

fn sum_elems(ts: &[TensorKind]) -> Result<u64> {
    let mut n = 0u64;
    for t in ts {
        n = add(n, mul(t.elems, t.count, "parameters")?, "parameters")?;
    }
    Ok(n)
}

/// The most loaded pipeline stage: its share of the decoder layers plus the token embedding (the
/// last stage's output projection is the same size as the embedding; Megatron-LM's
/// `theoretical_memory_usage` counts the first stage the same way).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stage {
    pub pipeline: u64,
    pub layers_here: u64,
    pub layers: u64,
}

impl Stage {
    fn share(&self, role: Role, bytes: u64) -> u64 {
        if self.pipeline <= 1 {
            return bytes;
        }
        match role {
            Role::Layer => bytes.saturating_mul(self.layers_here) / self.layers.max(1),
            Role::Embedding => bytes,
            Role::Head => 0,
        }
    }
}

/// Bytes over every tensor on this pipeline stage, `f` giving one instance's bytes.
fn per_tensor(ts: &[TensorKind], stage: Stage, f: impl Fn(&TensorKind) -> u64) -> Result<u64> {
    let mut b = 0u64;
    for t in ts {
        let all = mul(f(t), t.count, "optimizer states")?;
        b = add(b, stage.share(t.role, all), "optimizer states")?;
    }
    Ok(b)
}

/// Divides `x` over `n` shards, rounding up.
fn shard(x: u64, n: u64) -> u64 {
    x.div_ceil(n.max(1))
}

/// Model states per device for the request.
pub(crate) fn states(
    req: &EstimateRequest,
    spec: &ModelSpec,
    params: &crate::model::Parameters,
    r: &Recipe,
    layers_here: u64,
    linears: &[Linear],
) -> Result<States> {
    let tensors = tensors(spec, params, linears)?;
    let par = &req.parallel;
    let tp = par.tensor.max(1);
    let pp = par.pipeline.max(1);
    let dp = par.data.max(1);
    let quant = match (req.task, req.quantization) {
        (Task::Qlora, Some(q)) | (Task::Prefill | Task::Decode, Some(q)) => {
            Some((q.format, q.double_quant))
        }
        _ => None,
    };
    // bitsandbytes loads what it does not quantise in the compute dtype; k-bit preparation then
    // casts it to fp32 (`r.weights`).
    let stored_dt = if quant.is_some() && !r.kbit_prepared {
        r.compute
    } else {
        r.weights
    };
    let stage = Stage {
        pipeline: pp,
        layers_here,
        layers: spec.layers,
    };
    let weights = shard(
        per_tensor(&tensors, stage, |t| weight_bytes(t, stored_dt, quant))?,
        tp,
    );

    let training = req.task.trains();
    let adapter_list = adapter_tensors(linears, r)?;
    let adapter_dt = r.lora.as_ref().map_or(4, |l| l.dtype);
    let adapters = shard(
        per_tensor(&adapter_list, stage, |t| alloc_bytes(t.elems, adapter_dt))?,
        tp,
    );
    let full = r.full_train;
    let train_list: &[TensorKind] = if full { &tensors } else { &adapter_list };
    let trainable = sum_elems(train_list)?;
    let largest = train_list.iter().map(|t| t.elems).max().unwrap_or(0);
    if !training {
        return Ok(States {
            weights,
            adapters,
            ..States::default()
        });
    }
    // Dtypes of what the optimizer keeps.
    let param_dt = if full { r.weights } else { adapter_dt };
    let grad_dt = r.grad_bytes_override.unwrap_or(param_dt);
    let master_dt = match req.precision {
        crate::request::Precision::MixedBf16 | crate::request::Precision::MixedFp16 if full => 4,
        _ => 0,
    };
    // torch.optim keeps states in the parameter's dtype (`zeros_like(p)`); with master weights
    // they are kept in fp32 beside them.
    let state_dt = if master_dt > 0 { 4 } else { param_dt };
    let here = |x: u64| shard(x, tp);
    let opt_bytes = here(match req.optimizer {
        Optimizer::Adamw => per_tensor(train_list, stage, |t| 2 * alloc_bytes(t.elems, state_dt))?,
        Optimizer::Lion | Optimizer::SgdMomentum => {
            per_tensor(train_list, stage, |t| alloc_bytes(t.elems, state_dt))?
        }
        Optimizer::Sgd => 0,
        // Two uint8 states plus an fp32 absmax per 2048-block each; small tensors stay 32-bit.
        Optimizer::Adamw8bit => per_tensor(train_list, stage, |t| {
            if t.elems < ADAM8_MIN_SIZE {
                2 * alloc_bytes(t.elems, 4)
            } else {
                2 * (alloc_bytes(t.elems, 1) + alloc_bytes(t.elems.div_ceil(ADAM8_BLOCK), 4))
            }
        })?,
        // transformers Adafactor: fp32 row and column statistics for matrices, a full fp32
        // second moment for vectors (`factored = len(shape) >= 2`), no first moment by default.
        Optimizer::Adafactor => per_tensor(train_list, stage, |t| {
            if t.matrix {
                alloc_bytes(t.rows, 4) + alloc_bytes(t.elems / t.rows.max(1), 4)
            } else {
                alloc_bytes(t.elems, 4)
            }
        })?,
    });
    let n = here(per_tensor(train_list, stage, |t| t.elems)?);
    let mut grads = here(per_tensor(train_list, stage, |t| {
        alloc_bytes(t.elems, grad_dt)
    })?);
    if tp > 1 && full {
        // A vocabulary-parallel embedding (`RowwiseParallel` of torch's tensor parallelism) gets
        // its gradient as a whole-table tensor (the lookup's backward yields a partial sum over the
        // full table), and AccumulateGrad stores it as it comes: each rank keeps the whole table's
        // gradient, as measured (tests/accuracy, `*_tp*` cases).
        let table = per_tensor(train_list, stage, |t| {
            if t.role == Role::Embedding {
                alloc_bytes(t.elems, grad_dt)
            } else {
                0
            }
        })?;
        grads = add(grads, table - shard(table, tp), "gradients")?;
    }
    let master = here(per_tensor(train_list, stage, |t| {
        if master_dt > 0 {
            alloc_bytes(t.elems, master_dt)
        } else {
            0
        }
    })?);
    let temp = match (req.optimizer, req.optimizer_impl) {
        (Optimizer::Adamw, OptimizerImpl::Foreach) => {
            // `_foreach_sqrt(exp_avg_sq)` materialises sqrt(v) for the whole parameter group
            // (torch/optim/adamw.py `_multi_tensor_adamw`; PyTorch PR #132336).
            here(per_tensor(train_list, stage, |t| {
                alloc_bytes(t.elems, state_dt)
            })?)
        }
        // `exp_avg_sq.sqrt() / bias_correction2_sqrt`: two temporaries of the parameter at hand.
        (Optimizer::Adamw, OptimizerImpl::ForLoop) => 2 * alloc_bytes(largest, state_dt),
        (Optimizer::Adafactor, _) => {
            // Per-parameter loop: fp32 copies of grad and weight for 16-bit parameters, the update,
            // and one more temporary while it is formed (transformers `Adafactor.step`).
            let copies = if param_dt < 4 { 4 } else { 2 };
            alloc_bytes(largest, 4) * copies
        }
        // lion-pytorch `update_fn`: `exp_avg.clone().mul_(beta1).add(grad, ...)` per parameter.
        (Optimizer::Lion, _) => 2 * alloc_bytes(largest, state_dt),
        _ => 0,
    };

    // Sharding across the data-parallel group.
    let (mut weights_d, mut grads_d, mut opt_d, mut master_d, mut temp_d) =
        (weights, grads, opt_bytes, master, temp);
    let zero = match par.sharding {
        Sharding::None => 0,
        Sharding::Zero1 => 1,
        Sharding::Zero2 | Sharding::FsdpShardGradOp => 2,
        Sharding::Zero3 | Sharding::FsdpFullShard => 3,
    };
    if zero >= 1 {
        opt_d = shard(opt_d, dp);
        master_d = shard(master_d, dp);
        temp_d = shard(temp_d, dp);
    }
    if zero >= 2 {
        grads_d = shard(grads_d, dp);
    }
    // FSDP's shard-grad-op shards the weights at rest as well: the gathered copies live from a
    // layer's forward to its backward (`reshard_after_forward=False`), counted in `gathered`.
    if zero >= 3 || par.sharding == Sharding::FsdpShardGradOp {
        weights_d = shard(weights_d, dp);
    }
    let layer_weights = weights.checked_div(spec.layers).unwrap_or(weights);
    let fsdp = matches!(
        par.sharding,
        Sharding::FsdpFullShard | Sharding::FsdpShardGradOp
    );
    let accumulates = par.micro_batches > 1 && pp == 1;
    let gathered = if dp > 1 && fsdp {
        let weights_of = |t: &TensorKind| weight_bytes(t, stored_dt, quant);
        let root = shard(
            per_tensor(&tensors, stage, |t| {
                if t.role == Role::Layer {
                    0
                } else {
                    weights_of(t)
                }
            })?,
            tp,
        );
        let layer = shard(
            per_tensor(&tensors, stage, |t| {
                if t.role == Role::Layer {
                    weights_of(t)
                } else {
                    0
                }
            })?,
            tp,
        )
        .checked_div(layers_here.max(1))
        .unwrap_or(0);
        // The head's gradient, whole: the output projection's, or the tied embedding's.
        let has_head = tensors.iter().any(|t| t.role == Role::Head);
        let head_role = if has_head {
            Role::Head
        } else {
            Role::Embedding
        };
        let whole = Stage {
            pipeline: 1,
            ..stage
        };
        let head_grad = if full {
            shard(
                per_tensor(&tensors, whole, |t| {
                    if t.role == head_role {
                        alloc_bytes(t.elems, grad_dt)
                    } else {
                        0
                    }
                })?,
                tp,
            )
        } else {
            0
        };
        // The device's own shard of it is counted with the gradients already.
        // With gradient accumulation it is kept whole with the other accumulated gradients.
        let head_grad = if accumulates {
            0
        } else {
            head_grad - shard(head_grad, dp)
        };
        let all = (layers_here + 1).saturating_mul(layer);
        // Layers gathered: while the layers run forward; while the head runs forward and
        // backward; beside the running layer in backward; per layer still gathered in backward.
        // Full shard: the running layer and the kept all-gather result; then that result alone
        // (the last layer resharded), the prefetched last layer; the running layer, the prefetched
        // one and the kept reduce-scatter input. Shard-grad-op: every layer gathered until its own
        // backward, beside the kept reduce-scatter input.
        let (forward, at_head, beside, per_gathered_layer) = match par.sharding {
            Sharding::FsdpFullShard => (2 * layer, layer, 3 * layer, 0),
            _ => (all, all, layer, layer),
        };
        Gathered {
            forward: root + forward,
            forward_head: root + at_head,
            head_backward: root + forward - layer,
            layer_backward: root + head_grad + beside,
            per_gathered_layer,
            embed_backward: root + head_grad,
        }
    } else {
        Gathered::default()
    };
    let mut sharding_buffers = match par.sharding {
        Sharding::None => 0,
        // DeepSpeed defaults: reduce and all-gather buckets of 5e8 elements (docs: `reduce_bucket_size`,
        // `allgather_bucket_size`, default 5e8), in the gradient dtype, capped by the model. The
        // DeepSpeed export sizes `reduce_bucket_size` to this (its buckets are allocated whole).
        Sharding::Zero1 | Sharding::Zero2 => (REDUCE_BUCKET * grad_dt).min(grads),
        // ZeRO-3: prefetch bucket (`stage3_prefetch_bucket_size` 5e7 elements) plus the gathered
        // largest layer's 16-bit weights and gradients (`estimate_zero3_model_states_mem_needs`: 4 x largest layer).
        Sharding::Zero3 => (50_000_000u64 * param_dt).min(weights) + 2 * layer_weights,
        // FSDP: by phase, in `gathered`.
        Sharding::FsdpShardGradOp | Sharding::FsdpFullShard => 0,
    };
    let mut host = 0u64;
    if par.offload.optimizer {
        // ZeRO-Offload: fp32 master, states and fp32 gradients live in host memory; the step runs there.
        host = add(
            host,
            opt_d + master_d + shard(mul(n, 4, "host gradients")?, if zero >= 2 { dp } else { 1 }),
            "host memory",
        )?;
        opt_d = 0;
        master_d = 0;
        temp_d = 0;
        // Where the gradients are staged for the host: ZeRO-1/2 keep a device buffer of the
        // largest trainable parameter in the model's dtype (`temp_grad_buffer_for_gpu_offload`,
        // DeepSpeedZeroOptimizer.__init__ under cpu_offload, deepspeed/runtime/zero/
        // stage_1_and_2.py), ZeRO-3 two of the largest partition (`temp_grad_buffer_for_gpu_offload`
        // and `temp_grad_gpu_buffer`, stage3.py). A single device offloads with stage 2.
        let staging = if zero >= 3 {
            2 * alloc_bytes(largest.div_ceil(dp), param_dt)
        } else {
            alloc_bytes(largest, param_dt)
        };
        sharding_buffers = add(sharding_buffers, here(staging), "offload staging buffer")?;
    }
    if par.offload.parameters && zero >= 3 {
        host = add(host, weights_d, "host memory")?;
        weights_d = 0;
    }
    Ok(States {
        weights: weights_d,
        adapters,
        gradients: grads_d,
        // Accelerate runs every micro-batch but the last under `no_sync`, which for FSDP2 is
        // `set_requires_gradient_sync(False)`: the gradients add up unsharded, and only the last
        // micro-batch reduce-scatters them (measured: tests/accuracy `*_acc*_fsdp*`).
        accumulated_gradients: if accumulates && fsdp { grads } else { grads_d },
        master: master_d,
        optimizer: opt_d,
        step_temporaries: temp_d,
        sharding_buffers,
        gathered,
        host,
        trainable_params: trainable,
    })
}
