//! Peak memory of one device, term by term.
//!
//! The model has three layers. `states` counts the model states (weights, gradients, optimizer
//! states and the step's temporaries) from the exact parameter tensors. `blocks` writes each
//! family's layer, embedding and head as the ops PyTorch runs, and `tape` replays them to find
//! what autograd saves and what is live at every op. `step` stacks those programs in execution
//! order (forward, backward from the top, optimizer step) to find each phase's peak. Overheads
//! that `torch.cuda.max_memory_allocated()` does not see are separate terms (`overhead`).

mod blocks;
mod overhead;
mod recipe;
mod validate;

pub use validate::{MAX_DEVICES, MAX_GPUS_PER_NODE, MAX_SEQUENCES};

/// Largest peak an estimate reports, bytes: 2^53, so the command line and JavaScript (whose
/// numbers hold integers exactly up to 2^53) print the same number. No device has a thousandth
/// of it.
pub const MAX_REPORTED_BYTES: u64 = 1 << 53;
mod states;
mod step;
mod tape;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::Result;
use crate::estimate::{Estimate, Phase, PhasePeak, Term, TermKind};
use crate::request::{EstimateRequest, LossImpl, Sharding, Task};
use crate::text::Text;
use crate::warning::Warning;
use blocks::Shape;
use recipe::Recipe;
pub(crate) use states::REDUCE_BUCKET;
use step::Placement;
pub(crate) use step::ProgramCache;

/// Estimates the peak memory of one device for `request`.
///
/// # Errors
/// An `InvalidField` or `MissingField` naming the request field, a model import error, or
/// `Overflow` when a size exceeds 64 bits.
///
/// # Example
/// ```
/// use trainfit_core::{estimate, EstimateRequest};
/// // Llama-3-8B's config, LoRA rank 16 on q_proj and v_proj.
/// let req: EstimateRequest = serde_json::from_str(
///     r#"{"model": {"hf_config": {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
///                                  "num_hidden_layers": 32, "num_attention_heads": 32,
///                                  "num_key_value_heads": 8, "vocab_size": 128256,
///                                  "max_position_embeddings": 8192}},
///         "task": "lora", "micro_batch": 1, "sequence": 2048, "checkpointing": "full",
///         "lora": {"rank": 16, "targets": ["q_proj", "v_proj"]}}"#).unwrap();
/// let e = estimate(&req).unwrap();
/// // 32 layers x 16 x ((4096 + 4096) + (4096 + 1024)) adapter parameters.
/// assert_eq!(e.parameters.trainable, 6_815_744);
/// ```
pub fn estimate(request: &EstimateRequest) -> Result<Estimate> {
    estimate_with(request, None)
}

/// Bytes the elementwise operations (norms, activations, residual adds, casts, softmax,
/// rotary, the loss) of one micro-batch's forward read and write on one device, as the block
/// programs of `request` run them in eager PyTorch, each divided by the share of bandwidth its
/// size reaches: per decoder layer, averaged over the model's layers, and for the output head
/// with the loss. The time model prices them at memory bandwidth.
///
/// # Errors
/// As [`estimate`].
pub fn elementwise_traffic(request: &EstimateRequest) -> Result<(f64, u64)> {
    let spec = request.model.resolved()?;
    // The linear kinds, built once for validation and the recipe (as in `estimate_with`).
    let linears = spec.linear_kinds();
    validate::validate(request, &spec, &linears.list)?;
    let r = Recipe::with_linears(request, &spec, &linears.list);
    let par = &request.parallel;
    let sh = Shape {
        b: request.micro_batch,
        s: request.sequence.div_ceil(par.context.max(1)),
        kv: request.sequence,
        tp: par.tensor.max(1),
    };
    let place = Placement {
        layers: spec.layers,
        moe_layers: spec.moe_layers(),
        embedding: true,
        head: true,
        in_flight: 1,
    };
    let programs =
        step::traffic_programs(&spec, &r, sh, request.checkpointing, request.loss, &place)?;
    Ok(programs.elementwise_bytes(&place))
}

/// [`estimate`], reusing the block programs in `cache` when given one (the planner's search).
pub(crate) fn estimate_with(
    request: &EstimateRequest,
    programs: Option<&mut ProgramCache>,
) -> Result<Estimate> {
    let spec = request.model.resolved()?;
    // Every linear kind of the model: validation, the recipe, the parameter count and the model
    // states each read them.
    let linears = spec.linear_kinds();
    validate::validate(request, &spec, &linears.list)?;
    let r = Recipe::with_linears(request, &spec, &linears.list);
    let par = &request.parallel;
    let pp = par.pipeline.max(1);
    let tp = par.tensor.max(1);
    let cp = par.context.max(1);
    let layers_per_stage = spec.layers.div_ceil(pp);
    let moe_fraction = |layers: u64| -> u64 {
        spec.moe_layers()
            .saturating_mul(layers)
            .checked_div(spec.layers)
            .unwrap_or(0)
    };
    let (b, s, kv) = match (request.task, request.inference) {
        (Task::Decode, Some(inf)) => (
            request.micro_batch,
            1,
            inf.prompt.saturating_add(inf.generate),
        ),
        (Task::Prefill, Some(inf)) => (request.micro_batch, inf.prompt, inf.prompt),
        _ => (request.micro_batch, request.sequence, request.sequence),
    };
    let sh = Shape {
        b,
        s: s.div_ceil(cp),
        kv,
        tp,
    };
    let params = spec.parameters_of(&linears)?;
    let states = states::states(request, &spec, &params, &r, layers_per_stage, &linears.list)?;

    // Pipeline stages differ: the first holds the embedding and `pp` micro-batches in flight, the
    // last holds the head and logits. Evaluate both and report the larger.
    let in_flight = pp.min(par.micro_batches.max(1));
    let (single, pair);
    let stages: &[Placement] = if pp == 1 {
        single = [Placement {
            layers: spec.layers,
            moe_layers: spec.moe_layers(),
            embedding: true,
            head: true,
            in_flight: 1,
        }];
        &single
    } else {
        pair = [
            Placement {
                layers: layers_per_stage,
                moe_layers: moe_fraction(layers_per_stage),
                embedding: true,
                head: false,
                in_flight,
            },
            Placement {
                layers: spec.layers
                    - layers_per_stage * (pp - 1).min(spec.layers / layers_per_stage.max(1)),
                moe_layers: moe_fraction(layers_per_stage),
                embedding: false,
                head: true,
                in_flight: 1,
            },
        ];
        &pair
    };

    let persistent = states.weights
        + states.adapters
        + states.master
        + states.optimizer
        + states.sharding_buffers;
    let mut phases: Vec<PhasePeak> = Vec::with_capacity(3);
    let mut terms: Vec<Term> = Vec::with_capacity(16);
    let mut warnings: Vec<Warning> = Vec::new();
    let cache = match (request.task, request.inference) {
        (Task::Prefill | Task::Decode, Some(inf)) => {
            let generate = if request.task == Task::Decode {
                inf.generate
            } else {
                0
            };
            overhead::kv_cache(request, &spec, &r, b, inf.prompt, generate)?
        }
        _ => overhead::KvCache {
            bytes: 0,
            growth: 0,
        },
    };
    let kv_cache = cache.bytes;

    let (peak_phase, peak_alloc) = if request.task.trains() {
        // Gradients: reduce-scattered bucket by bucket under ZeRO-2/3 and FSDP; with gradient
        // accumulation they stay allocated from one micro-batch to the next.
        let divisor = match par.sharding {
            Sharding::Zero2
            | Sharding::Zero3
            | Sharding::FsdpShardGradOp
            | Sharding::FsdpFullShard => par.data,
            _ => 1,
        };
        let accumulating = par.micro_batches > 1 && pp == 1;
        let grads = step::Grads {
            divisor,
            resident: if accumulating {
                states.accumulated_gradients
            } else {
                0
            },
            gathered: states.gathered,
        };
        // Without a cache from the caller, keep what a later pipeline stage can reuse.
        let mut own;
        let programs = match programs {
            Some(c) => c,
            None => {
                own = ProgramCache::new(stages.len() - 1);
                &mut own
            }
        };
        let mut best: Option<step::StepPeaks> = None;
        for place in stages {
            let blocks =
                programs.programs(&spec, &r, sh, request.checkpointing, request.loss, place)?;
            let p = step::training(&blocks, &spec, request.checkpointing, place, grads);
            let p = if par.sequence_parallel && tp > 1 {
                divide_activations(p, tp)
            } else {
                p
            };
            if best.is_none_or(|bp| p.backward.max(p.forward) > bp.backward.max(bp.forward)) {
                best = Some(p);
            }
        }
        let peaks = best.unwrap_or_default();
        let forward = persistent + peaks.forward;
        let backward = persistent + peaks.backward;
        let optimizer = persistent + states.gradients + states.step_temporaries;
        phases.push(PhasePeak {
            phase: Phase::Forward,
            allocated_bytes: forward,
        });
        phases.push(PhasePeak {
            phase: Phase::Backward,
            allocated_bytes: backward,
        });
        phases.push(PhasePeak {
            phase: Phase::OptimizerStep,
            allocated_bytes: optimizer,
        });
        let (phase, bytes) = [
            (Phase::Forward, forward),
            (Phase::Backward, backward),
            (Phase::OptimizerStep, optimizer),
        ]
        .into_iter()
        .fold(
            (Phase::Forward, 0u64),
            |acc, x| if x.1 > acc.1 { x } else { acc },
        );
        let grads_kept = grads.resident;
        push_states(&mut terms, &states, &r, request);
        match phase {
            Phase::Forward => {
                push(
                    &mut terms,
                    TermKind::Gradients,
                    grads_kept,
                    "kept between micro-batches (gradient accumulation)",
                );
                push(
                    &mut terms,
                    TermKind::ShardingBuffers,
                    peaks.gathered_at_forward,
                    GATHERED,
                );
                push(
                    &mut terms,
                    TermKind::Activations,
                    peaks.forward - grads_kept - peaks.gathered_at_forward,
                    activation_detail(request, &sh, &r),
                );
            }
            Phase::Backward => {
                let g = peaks.grads_at_backward;
                push(
                    &mut terms,
                    TermKind::Gradients,
                    g,
                    "parameter gradients held at that point of backward",
                );
                let act = peaks.backward - g - peaks.gathered_at_backward;
                push(
                    &mut terms,
                    TermKind::ShardingBuffers,
                    peaks.gathered_at_backward,
                    GATHERED,
                );
                push(
                    &mut terms,
                    TermKind::LogitsAndLoss,
                    peaks.logits_at_backward,
                    logits_detail(&spec, &sh, &r, request.loss),
                );
                push(
                    &mut terms,
                    TermKind::Activations,
                    act - peaks.logits_at_backward,
                    activation_detail(request, &sh, &r),
                );
            }
            _ => {
                push(
                    &mut terms,
                    TermKind::Gradients,
                    states.gradients,
                    Text::new()
                        .n(states.trainable_params)
                        .s(" trainable parameters")
                        .done(),
                );
                push(
                    &mut terms,
                    TermKind::OptimizerTemporaries,
                    states.step_temporaries,
                    step_detail(request),
                );
            }
        }
        (phase, bytes)
    } else {
        let place = stages[0];
        let p = step::inference(&spec, &r, sh, &place)?;
        // Decoding appends to each layer's cache with `torch.cat`, which allocates the grown
        // storage before the old one is freed.
        let growing = cache.growth;
        let total = persistent + kv_cache + p.inference + growing;
        let phase = if request.task == Task::Decode {
            Phase::Decode
        } else {
            Phase::Prefill
        };
        phases.push(PhasePeak {
            phase,
            allocated_bytes: total,
        });
        push_states(&mut terms, &states, &r, request);
        push(
            &mut terms,
            TermKind::KvCache,
            kv_cache,
            overhead::kv_detail(request, &spec, b, kv),
        );
        push(
            &mut terms,
            TermKind::Activations,
            p.inference + growing,
            "working set of one layer, rotary tables, the last position's logits and, when decoding, one layer's grown cache",
        );
        (phase, total)
    };

    // Overheads outside max_memory_allocated.
    let over = overhead::overheads(request, &spec, &r, &sh, peak_alloc, peak_phase)?;
    let mut peak_bytes = peak_alloc;
    for (kind, bytes, detail) in over {
        peak_bytes = peak_bytes.saturating_add(bytes);
        push(&mut terms, kind, bytes, detail);
    }
    if peak_bytes > MAX_REPORTED_BYTES {
        return Err(crate::error::Error::Overflow {
            quantity: format!("the peak of {peak_bytes} bytes"),
            bound: "2^53 bytes (8 PiB), the largest integer a JavaScript number holds exactly",
        });
    }
    let fit = request
        .runtime
        .device_memory_bytes
        .map(|device| overhead::fit(device, peak_bytes, request.runtime.unified_memory));
    if let Some(f) = fit {
        if !f.fits {
            warnings.push(Warning::exceeds_device(peak_bytes, f.usable_bytes));
        }
    }
    overhead::warnings(request, &spec, &terms, peak_bytes, &mut warnings);
    let trainable = if request.task.trains() {
        states.trainable_params
    } else {
        0
    };
    Ok(Estimate {
        schema_version: crate::request::SCHEMA_VERSION,
        model: spec.name.clone(),
        parameters: crate::model::Parameters {
            trainable,
            ..params
        },
        model_states: crate::estimate::ModelStates {
            weights_bytes: states.weights,
            adapter_bytes: states.adapters,
            gradients_bytes: states.gradients,
            master_weights_bytes: states.master,
            optimizer_states_bytes: states.optimizer,
        },
        peak_allocated_bytes: peak_alloc,
        peak_bytes,
        peak_phase,
        breakdown: terms,
        phases,
        host_bytes: states.host,
        fit,
        warnings,
    })
}

const GATHERED: &str = "FSDP's unsharded copies at that point: the root's embedding and head, gathered layers, the head's gradient and reduce-scatter inputs";

/// Megatron sequence parallelism splits every remaining activation across the tensor-parallel
/// group (Korthikanti et al. 2022, Table 2: `sbh(34/t + 5as/(ht))`).
fn divide_activations(p: step::StepPeaks, tp: u64) -> step::StepPeaks {
    let f = |x: u64| x.div_ceil(tp);
    let (gf, gb) = (p.gathered_at_forward, p.gathered_at_backward);
    step::StepPeaks {
        forward: f(p.forward - gf) + gf,
        backward: f(p.backward - p.grads_at_backward - gb) + p.grads_at_backward + gb,
        logits_at_backward: f(p.logits_at_backward),
        ..p
    }
}

/// Adds a term unless it is empty; a formatted detail moves in, a fixed one is copied only then.
fn push(terms: &mut Vec<Term>, term: TermKind, bytes: u64, detail: impl Into<String>) {
    if bytes == 0 {
        return;
    }
    terms.push(Term {
        term,
        bytes,
        detail: detail.into(),
    });
}

fn push_states(terms: &mut Vec<Term>, s: &states::States, r: &Recipe, req: &EstimateRequest) {
    let weights = match req.quantization {
        Some(q) => format!(
            "decoder linears in {} ({}), embeddings, head and norms in {} bytes",
            match q.format {
                crate::request::QuantFormat::Nf4 => "NF4",
                crate::request::QuantFormat::Fp4 => "FP4",
                crate::request::QuantFormat::Int8 => "int8 with fp32 row scales",
            },
            if q.double_quant {
                "double-quantised block constants"
            } else {
                "fp32 block constants"
            },
            if r.kbit_prepared {
                r.weights
            } else {
                r.compute
            }
        ),
        None => Text::new().n(r.weights).s(" bytes per weight").done(),
    };
    push(terms, TermKind::Weights, s.weights, weights);
    push(
        terms,
        TermKind::AdapterWeights,
        s.adapters,
        "LoRA A and B matrices",
    );
    push(
        terms,
        TermKind::MasterWeights,
        s.master,
        "fp32 copy of the trainable weights",
    );
    push(
        terms,
        TermKind::OptimizerStates,
        s.optimizer,
        "optimizer state tensors of the trainable parameters",
    );
    push(
        terms,
        TermKind::ShardingBuffers,
        s.sharding_buffers,
        "gathered weights and gradient buckets of the sharded data-parallel engine",
    );
}

fn activation_detail(req: &EstimateRequest, sh: &Shape, r: &Recipe) -> String {
    Text::new()
        .s("saved tensors and transients, micro-batch ")
        .n(sh.b)
        .s(" x ")
        .n(sh.s)
        .s(" tokens, ")
        .s(names::kernel(r.kernel))
        .s(" attention, ")
        .s(names::checkpointing(req.checkpointing))
        .s(" checkpointing, ")
        .n(r.compute)
        .s(" bytes per activation")
        .done()
}

fn logits_detail(spec: &crate::ModelSpec, sh: &Shape, r: &Recipe, loss: LossImpl) -> String {
    match loss {
        LossImpl::Upcast => Text::new()
            .s("logits ")
            .n(sh.b * sh.s)
            .s(" x ")
            .n(spec.vocab)
            .s(" in ")
            // An fp32 output layer (k-bit preparation) computes fp32 logits.
            .n(if r.kbit_prepared {
                r.weights
            } else {
                r.compute
            })
            .s(" bytes, their fp32 copy, log-softmax output and gradients")
            .done(),
        LossImpl::Fused => String::from("chunked cross-entropy buffers"),
    }
}

fn step_detail(req: &EstimateRequest) -> String {
    Text::new()
        .s(names::optimizer(req.optimizer))
        .s(" optimizer step, ")
        .s(names::optimizer_impl(req.optimizer_impl))
        .s(" implementation")
        .done()
}

/// The names the details give variants: as `{:?}` writes them, which the details were first
/// written with.
mod names {
    use super::recipe::AttnKernel;
    use crate::request::{Checkpointing, Optimizer, OptimizerImpl};

    pub(super) fn kernel(k: AttnKernel) -> &'static str {
        match k {
            AttnKernel::Flash => "Flash",
            AttnKernel::MemEfficient => "MemEfficient",
            AttnKernel::Math => "Math",
            AttnKernel::Eager => "Eager",
        }
    }

    pub(super) fn checkpointing(c: Checkpointing) -> &'static str {
        match c {
            Checkpointing::None => "None",
            Checkpointing::Selective => "Selective",
            Checkpointing::Full => "Full",
        }
    }

    pub(super) fn optimizer(o: Optimizer) -> &'static str {
        match o {
            Optimizer::Adamw => "Adamw",
            Optimizer::Adamw8bit => "Adamw8bit",
            Optimizer::Sgd => "Sgd",
            Optimizer::SgdMomentum => "SgdMomentum",
            Optimizer::Adafactor => "Adafactor",
            Optimizer::Lion => "Lion",
        }
    }

    pub(super) fn optimizer_impl(o: OptimizerImpl) -> &'static str {
        match o {
            OptimizerImpl::Foreach => "Foreach",
            OptimizerImpl::Fused => "Fused",
            OptimizerImpl::ForLoop => "ForLoop",
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use alloc::format;

        #[test]
        fn names_are_what_debug_writes() {
            use AttnKernel::*;
            for k in [Flash, MemEfficient, Math, Eager] {
                assert_eq!(kernel(k), format!("{k:?}"));
            }
            for &c in Checkpointing::ALL {
                assert_eq!(checkpointing(c), format!("{c:?}"));
            }
            for &o in Optimizer::ALL {
                assert_eq!(optimizer(o), format!("{o:?}"));
            }
            for &o in OptimizerImpl::ALL {
                assert_eq!(optimizer_impl(o), format!("{o:?}"));
            }
        }
    }
}
