//! The mesh planner: every legal layout of a cluster's devices (Calculon's and Megatron-LM's
//! search), pruned by memory first with the core's per-rank estimate, then ranked by the time
//! model's step time.
//!
//! Axes are placed innermost-fastest, as Llama 3 places them: tensor, context, expert, pipeline,
//! data (Dubey et al. 2024, §3.3.2). Tensor parallelism stays inside a machine and divides the
//! attention and key/value heads; context parallelism divides the sequence into `2·cp` chunks
//! (the load-balanced causal split); pipeline stages divide the layers evenly, or with one layer
//! fewer on both end stages; experts divide by the expert axis, which divides the data axis; the
//! global batch divides into whole micro-batches per data-parallel replica.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::efficiency::AttentionKernel;
use super::time::{step_time, Chip, Fabric, Layout, StepTime, Work};
use crate::error::{Error, Result};
use crate::memory::{estimate_with, ProgramCache};
use crate::model::ModelSpec;
use crate::request::{Checkpointing, EstimateRequest, Parallel, Sharding};
use crate::warning::Warning;

/// Choices the user fixes; the search fills in the rest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct MeshConstraints {
    /// Seed 003's `mesh_shape`: `[data, model]`, the model axis being tensor parallelism; or
    /// `[data, tensor, pipeline]`. Named axes below take priority over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<Vec<u64>>,
    /// Data-parallel replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<u64>,
    /// Tensor-parallel degree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tensor: Option<u64>,
    /// Pipeline stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<u64>,
    /// Context-parallel degree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<u64>,
    /// Expert-parallel degree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expert: Option<u64>,
    /// Model chunks per pipeline stage (interleaved 1F1B).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_stages: Option<u64>,
    /// Sharding across the data axis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<Sharding>,
    /// Activation recomputation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recompute: Option<Checkpointing>,
    /// Sequences per micro-batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub micro_batch: Option<u64>,
}

/// How the training engine runs: what the time model cannot see in the layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Engine {
    /// Attention kernel.
    pub attention: AttentionKernel,
    /// Gradient reduction overlaps the backward.
    pub overlap_grad_reduce: bool,
    /// Tensor-parallel collectives overlap the multiplies.
    pub overlap_tensor_comm: bool,
    /// Elementwise operations run as eager PyTorch runs the block programs (not fused).
    pub eager: bool,
    /// The decoder's linears multiply in fp8.
    pub fp8_linears: bool,
}

/// What the search works on.
#[derive(Debug, Clone)]
pub struct MeshRequest {
    /// The estimate each layout is priced from (model, task, precision, optimizer, attention,
    /// loss, LoRA); the search sets its micro-batch, sequence, recomputation and parallel axes.
    pub base: EstimateRequest,
    /// Sequences per optimizer step over all replicas.
    pub global_batch: u64,
    /// Devices of the cluster.
    pub devices: u64,
    /// One device's speed.
    pub chip: Chip,
    /// Its links.
    pub fabric: Fabric,
    /// Bytes one device may use.
    pub memory_limit_bytes: u64,
    /// What the user fixed.
    pub fixed: MeshConstraints,
    /// How the engine runs.
    pub engine: Engine,
    /// Layouts to return.
    pub keep: usize,
}

/// One layout the search keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct MeshCandidate {
    /// The layout.
    pub layout: Layout,
    /// Activation recomputation.
    pub recompute: Checkpointing,
    /// Peak memory of the most loaded device, bytes.
    pub peak_bytes: u64,
    /// Its step time, broken down.
    pub time: StepTime,
}

/// The searched layouts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct MeshPlan {
    /// Devices planned on.
    pub devices: u64,
    /// Bytes one device may use.
    pub memory_limit_bytes: u64,
    /// The fastest layouts that fit, fastest first.
    pub candidates: Vec<MeshCandidate>,
    /// Layouts whose memory was estimated.
    pub considered: u64,
    /// Of those, layouts that did not fit.
    pub rejected_for_memory: u64,
    /// What limits the best layout, in words.
    pub binding: String,
    /// Throughput against device count at the same global batch, the best layout's tensor,
    /// context and pipeline degrees kept where they fit: one point per power-of-two share of
    /// the machines, the whole cluster last.
    pub scaling: Vec<ScalingPoint>,
    /// Warnings with their numbers.
    pub warnings: Vec<Warning>,
}

/// One point of the scaling curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ScalingPoint {
    /// Devices.
    pub devices: u64,
    /// Data-parallel replicas.
    pub data: u64,
    /// Tokens per second over all devices.
    pub tokens_per_s: f64,
    /// Model FLOPs utilisation.
    pub mfu: f64,
    /// Step time, s.
    pub step_s: f64,
}

/// What the elementwise traffic of a layout depends on: micro-batch, tensor and context
/// degrees, recomputation.
type TrafficKey = (u64, u64, u64, Checkpointing);

/// Powers of two and the machine size's divisors up to `n`, ascending.
fn divisors(n: u64) -> Vec<u64> {
    (1..=n).filter(|d| n % d == 0).collect()
}

/// Applies the fixed shape to the named axes, checking it against the cluster.
fn resolve_fixed(req: &MeshRequest) -> Result<MeshConstraints> {
    let mut f = req.fixed.clone();
    if let Some(shape) = &req.fixed.shape {
        let (data, tensor, pipeline) = match shape.as_slice() {
            [d, m] => (*d, *m, 1),
            [d, t, p] => (*d, *t, *p),
            _ => {
                return Err(Error::invalid(
                    "mesh.shape",
                    format!("{} axes", shape.len()),
                    "two axes [data, model] or three [data, tensor, pipeline]",
                ))
            }
        };
        let need = data.saturating_mul(tensor).saturating_mul(pipeline);
        if need != req.devices {
            let text: Vec<String> = shape.iter().map(|v| format!("{v}")).collect();
            return Err(Error::invalid(
                "mesh.shape",
                text.join("x"),
                format!(
                    "a shape whose product is the cluster's {} devices: {} needs {need} devices but the cluster has {}",
                    req.devices,
                    text.join("x"),
                    req.devices
                ),
            ));
        }
        f.data = f.data.or(Some(data));
        f.tensor = f.tensor.or(Some(tensor));
        f.pipeline = f.pipeline.or(Some(pipeline));
    }
    Ok(f)
}

/// Checks a fixed axis against the model and the cluster.
fn check_fixed(spec: &ModelSpec, f: &MeshConstraints, req: &MeshRequest) -> Result<()> {
    let positive = |field: &str, v: Option<u64>| -> Result<()> {
        match v {
            Some(0) => Err(Error::invalid(field, 0, "a positive integer")),
            _ => Ok(()),
        }
    };
    positive("mesh.data", f.data)?;
    positive("mesh.tensor", f.tensor)?;
    positive("mesh.pipeline", f.pipeline)?;
    positive("mesh.context", f.context)?;
    positive("mesh.expert", f.expert)?;
    positive("mesh.virtual_stages", f.virtual_stages)?;
    positive("mesh.micro_batch", f.micro_batch)?;
    if let Some(t) = f.tensor {
        if spec.heads % t != 0 || spec.kv_heads % t != 0 {
            let what = if spec.heads % t != 0 {
                format!("{} attention heads", spec.heads)
            } else {
                format!("{} key/value heads", spec.kv_heads)
            };
            return Err(Error::invalid(
                "mesh.tensor",
                t,
                format!(
                    "a degree that divides the model's heads: tensor {t} does not divide {what}"
                ),
            ));
        }
    }
    if let Some(p) = f.pipeline {
        if p > spec.layers {
            return Err(Error::invalid(
                "mesh.pipeline",
                p,
                format!("at most the model's {} layers", spec.layers),
            ));
        }
    }
    if let Some(e) = f.expert {
        let experts = spec.moe.map_or(1, |m| m.experts);
        if experts % e != 0 {
            return Err(Error::invalid(
                "mesh.expert",
                e,
                format!("a degree that divides the model's {experts} experts"),
            ));
        }
    }
    let fixed_product = [f.data, f.tensor, f.pipeline, f.context]
        .iter()
        .map(|v| v.unwrap_or(1))
        .fold(1u64, |a, b| a.saturating_mul(b));
    if req.devices % fixed_product != 0 {
        return Err(Error::invalid(
            "mesh",
            fixed_product,
            format!(
                "fixed axes whose product divides the cluster's {} devices",
                req.devices
            ),
        ));
    }
    Ok(())
}

/// Bytes per element of the compute copy of weights and activations: 4 for fp32 training, 2
/// for the 16-bit recipes.
pub(crate) fn compute_bytes(req: &EstimateRequest) -> u64 {
    if req.precision == crate::request::Precision::Fp32 {
        4
    } else {
        2
    }
}

/// Bits per stored element of the decoder linears a QLoRA multiply dequantizes: NF4 or FP4
/// codes, 4 bits, plus the absmax per 64-element block, 8 bits with double quantization (and
/// an fp32 constant per 256 blocks) or 32 without (Dettmers et al. 2023, §3: 4.127 and 4.5
/// bits); LLM.int8(), 8 bits (its fp32 scale per row is negligible). `None` when the linears
/// keep their 16-bit weights.
pub(crate) fn weight_bits(req: &EstimateRequest) -> Option<f64> {
    use crate::request::QuantFormat;
    if req.task != crate::request::Task::Qlora {
        return None;
    }
    let q = req.quantization.as_ref()?;
    Some(match (q.format, q.double_quant) {
        (QuantFormat::Nf4 | QuantFormat::Fp4, true) => 4.0 + 8.0 / 64.0 + 32.0 / (64.0 * 256.0),
        (QuantFormat::Nf4 | QuantFormat::Fp4, false) => 4.0 + 32.0 / 64.0,
        (QuantFormat::Int8, _) => 8.0,
    })
}

/// Bytes of a gradient as reduced and of the optimizer's states per parameter.
pub(crate) fn grad_and_state_bytes(req: &EstimateRequest) -> (u64, u64) {
    use crate::request::{Optimizer, Precision};
    let master = matches!(
        req.precision,
        Precision::MixedBf16 | Precision::MixedFp16 | Precision::AmpBf16 | Precision::AmpFp16
    ) || req.precision == Precision::Fp32;
    let grad = if master { 4 } else { 2 };
    let states = match req.optimizer {
        Optimizer::Adamw => 8,
        Optimizer::Adamw8bit => 2,
        Optimizer::Sgd => 0,
        Optimizer::SgdMomentum | Optimizer::Lion => 4,
        Optimizer::Adafactor => 1,
    };
    let master_copy = if matches!(req.precision, Precision::MixedBf16 | Precision::MixedFp16) {
        4
    } else {
        0
    };
    (grad, states + master_copy)
}

/// Parameters that train: the adapters for LoRA and QLoRA (from a small estimate of the same
/// request), else all `total`.
fn trainable(base: &EstimateRequest, total: u64) -> Result<u64> {
    match base.task {
        crate::request::Task::Lora | crate::request::Task::Qlora => {
            let e = crate::memory::estimate(&EstimateRequest {
                parallel: Parallel::default(),
                micro_batch: 1,
                sequence: base.sequence.min(128),
                ..base.clone()
            })?;
            Ok(e.parameters.trainable)
        }
        _ => Ok(total),
    }
}

/// The step time of `base` (model, task, precision, micro-batch, sequence, recomputation) under
/// `layout` on `chip` devices joined by `fabric`, run by `engine`: the time model of one layout
/// the caller chose, as the search prices each of its candidates.
///
/// # Errors
/// A model that cannot be resolved, or an estimate that fails.
pub fn layout_time(
    base: &EstimateRequest,
    layout: &Layout,
    chip: &Chip,
    fabric: &Fabric,
    engine: &Engine,
) -> Result<StepTime> {
    let spec = base.model.resolve()?;
    let params = spec.parameters()?;
    let (grad_bytes, state_bytes) = grad_and_state_bytes(base);
    let elementwise = if engine.eager {
        Some(crate::memory::elementwise_traffic(base)?)
    } else {
        None
    };
    let work = Work {
        spec: &spec,
        active: params.active,
        total: params.total,
        trainable: trainable(base, params.total)?,
        sequence: base.sequence,
        recompute: base.checkpointing,
        attention: engine.attention,
        compute_bytes: compute_bytes(base),
        fp8_linears: engine.fp8_linears,
        weight_bits: weight_bits(base),
        grad_bytes,
        state_bytes,
        elementwise,
    };
    Ok(step_time(&work, layout, chip, fabric))
}

/// Searches the layouts of `req`.
///
/// # Errors
/// A fixed axis the model or the cluster cannot take (named with its numbers), a model that
/// cannot be resolved, or no layout that fits.
pub fn search(req: &MeshRequest) -> Result<MeshPlan> {
    search_inner(req, true)
}

/// The fastest layouts of `req` alone, without the scaling curve.
fn search_layouts(req: &MeshRequest) -> Result<Vec<MeshCandidate>> {
    search_inner(req, false).map(|p| p.candidates)
}

fn search_inner(req: &MeshRequest, with_scaling: bool) -> Result<MeshPlan> {
    let spec = req.base.model.resolve()?;
    let params = spec.parameters()?;
    let fixed = resolve_fixed(req)?;
    check_fixed(&spec, &fixed, req)?;
    let sequence = req.base.sequence;
    let (grad_bytes, state_bytes) = grad_and_state_bytes(&req.base);
    let trains = req.base.task.trains();
    if !trains {
        return Err(Error::invalid(
            "goal.task",
            format!("{:?}", req.base.task).to_lowercase(),
            "a training task for the mesh planner (serving plans use the serving search)",
        ));
    }
    let trainable = trainable(&req.base, params.total)?;
    let mut programs = ProgramCache::new(8);
    let mut traffic: Vec<(TrafficKey, (f64, u64))> = Vec::new();

    let per_machine = req.fabric.per_machine.max(1);
    let pick = |fixed: Option<u64>, all: Vec<u64>| -> Vec<u64> {
        match fixed {
            Some(v) => alloc::vec![v],
            None => all,
        }
    };
    let tensors = pick(
        fixed.tensor,
        divisors(per_machine.min(req.devices))
            .into_iter()
            .filter(|t| spec.heads % t == 0 && spec.kv_heads % t == 0)
            .collect(),
    );
    let contexts = pick(
        fixed.context,
        [1u64, 2, 4, 8, 16, 32]
            .into_iter()
            .filter(|c| *c == 1 || sequence % (2 * c) == 0)
            .collect(),
    );
    let pipelines = pick(
        fixed.pipeline,
        (1..=spec.layers)
            .filter(|p| spec.layers % p == 0 || (*p > 2 && (spec.layers + 2) % p == 0))
            .collect(),
    );
    let experts = spec.moe.map_or(1, |m| m.experts);
    let shardings = |dp: u64| -> Vec<Sharding> {
        match (fixed.sharding, dp) {
            (Some(s), _) => alloc::vec![s],
            (None, 1) => alloc::vec![Sharding::None],
            (None, _) => alloc::vec![
                Sharding::None,
                Sharding::Zero1,
                Sharding::FsdpShardGradOp,
                Sharding::FsdpFullShard
            ],
        }
    };
    let recomputes = match fixed.recompute {
        Some(r) => alloc::vec![r],
        None => alloc::vec![
            Checkpointing::None,
            Checkpointing::Selective,
            Checkpointing::Full
        ],
    };

    let mut kept: Vec<MeshCandidate> = Vec::new();
    let (mut considered, mut rejected) = (0u64, 0u64);
    // The smallest model-parallel group (tensor x pipeline x context) that fits.
    let mut smallest_fitting_model: Option<u64> = None;
    for &tp in &tensors {
        for &cp in &contexts {
            for &pp in &pipelines {
                let model = tp.saturating_mul(cp).saturating_mul(pp);
                if model == 0 || req.devices % model != 0 {
                    continue;
                }
                let dp = req.devices / model;
                if fixed.data.is_some_and(|d| d != dp) || req.global_batch % dp != 0 {
                    continue;
                }
                let lighter = spec.layers % pp != 0;
                let eps: Vec<u64> = match fixed.expert {
                    Some(e) => alloc::vec![e],
                    None => divisors(dp)
                        .into_iter()
                        .filter(|e| experts % e == 0)
                        .collect(),
                };
                for &sharding in &shardings(dp) {
                    for &recompute in &recomputes {
                        let per_replica = req.global_batch / dp;
                        let mbs: Vec<u64> = match fixed.micro_batch {
                            Some(m) => alloc::vec![m],
                            None => divisors(per_replica)
                                .into_iter()
                                .filter(|m| *m <= 64 || m.is_power_of_two())
                                .collect(),
                        };
                        for &mb in &mbs {
                            if per_replica % mb != 0 {
                                continue;
                            }
                            let micro_batches = per_replica / mb;
                            let estimate_req = EstimateRequest {
                                micro_batch: mb,
                                sequence,
                                checkpointing: recompute,
                                parallel: Parallel {
                                    data: dp,
                                    tensor: tp,
                                    pipeline: pp,
                                    context: cp,
                                    sequence_parallel: tp > 1,
                                    micro_batches,
                                    sharding,
                                    offload: req.base.parallel.offload,
                                },
                                ..req.base.clone()
                            };
                            considered += 1;
                            let peak =
                                estimate_with(&estimate_req, Some(&mut programs))?.peak_bytes;
                            if peak > req.memory_limit_bytes {
                                rejected += 1;
                                // Larger micro-batches need more memory still.
                                break;
                            }
                            smallest_fitting_model =
                                Some(smallest_fitting_model.map_or(model, |m| m.min(model)));
                            let key = (mb, tp, cp, recompute);
                            let elementwise = if req.engine.eager {
                                match traffic.iter().find(|(k, _)| *k == key) {
                                    Some((_, t)) => Some(*t),
                                    None => {
                                        let t = crate::memory::elementwise_traffic(&estimate_req)?;
                                        traffic.push((key, t));
                                        Some(t)
                                    }
                                }
                            } else {
                                None
                            };
                            let work = Work {
                                spec: &spec,
                                active: params.active,
                                total: params.total,
                                trainable,
                                sequence,
                                recompute,
                                attention: req.engine.attention,
                                compute_bytes: compute_bytes(&req.base),
                                fp8_linears: req.engine.fp8_linears,
                                weight_bits: weight_bits(&req.base),
                                grad_bytes,
                                state_bytes,
                                elementwise,
                            };
                            let slots = if lighter {
                                spec.layers + 2
                            } else {
                                spec.layers
                            };
                            let vs: Vec<u64> = match fixed.virtual_stages {
                                Some(v) => alloc::vec![v],
                                None if pp == 1 => alloc::vec![1],
                                None => [1u64, 2, 4, 8]
                                    .into_iter()
                                    .filter(|v| slots % (pp * v) == 0)
                                    .collect(),
                            };
                            for &ep in &eps {
                                if dp % ep != 0 {
                                    continue;
                                }
                                for &v in &vs {
                                    let layout = Layout {
                                        data: dp,
                                        tensor: tp,
                                        pipeline: pp,
                                        context: cp,
                                        expert: ep,
                                        virtual_stages: v,
                                        sequence_parallel: tp > 1,
                                        overlap_tensor_comm: req.engine.overlap_tensor_comm,
                                        lighter_ends: lighter,
                                        sharding,
                                        micro_batch: mb,
                                        micro_batches,
                                        overlap_grad_reduce: req.engine.overlap_grad_reduce,
                                    };
                                    let time = step_time(&work, &layout, &req.chip, &req.fabric);
                                    keep(
                                        &mut kept,
                                        MeshCandidate {
                                            layout,
                                            recompute,
                                            peak_bytes: peak,
                                            time,
                                        },
                                        req.keep.max(1),
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let Some(best) = kept.first() else {
        return Err(Error::invalid(
            "mesh",
            format!("{} devices", req.devices),
            format!(
                "a layout that fits {:.1} GiB per device: none of the {considered} layouts tried does",
                req.memory_limit_bytes as f64 / (1u64 << 30) as f64
            ),
        ));
    };
    let binding = binding(best, smallest_fitting_model, rejected > 0, req);
    let scaling = if with_scaling && req.fixed.shape.is_none() && fixed.data.is_none() {
        scaling(req, best)
    } else {
        Vec::new()
    };
    let mut warnings = Vec::new();
    if let (Some(first), Some(last)) = (scaling.first(), scaling.last()) {
        // Utilisation lost to the fixed batch beyond a fifth: the playbook's collapse (1B on 1
        // to 64 nodes: 44 % to 5 %), Megatron-LM's 47 % to 42 % (H100, 175B).
        if last.devices > first.devices && last.mfu < 0.8 * first.mfu {
            warnings.push(Warning::fixed_batch_scaling(
                req.global_batch,
                first.devices,
                first.mfu,
                last.devices,
                last.mfu,
            ));
        }
    }
    Ok(MeshPlan {
        devices: req.devices,
        memory_limit_bytes: req.memory_limit_bytes,
        candidates: kept,
        considered,
        rejected_for_memory: rejected,
        binding,
        scaling,
        warnings,
    })
}

/// The scaling curve: the same search on a power-of-two share of the machines, with the best
/// layout's tensor, context and pipeline degrees (and the rest searched), so each point costs a
/// few estimates.
fn scaling(req: &MeshRequest, best: &MeshCandidate) -> Vec<ScalingPoint> {
    let per_machine = req.fabric.per_machine.max(1);
    let machines = req.devices.div_ceil(per_machine);
    let model = best.layout.tensor * best.layout.context * best.layout.pipeline;
    let mut points = Vec::new();
    let mut n = 1u64;
    loop {
        let devices = if n >= machines {
            req.devices
        } else {
            n * per_machine
        };
        if devices % model == 0 && req.global_batch % (devices / model) == 0 {
            let sub = MeshRequest {
                devices,
                fixed: MeshConstraints {
                    tensor: Some(best.layout.tensor),
                    context: Some(best.layout.context),
                    pipeline: Some(best.layout.pipeline),
                    expert: Some(best.layout.expert),
                    shape: None,
                    data: None,
                    ..req.fixed.clone()
                },
                keep: 1,
                ..req.clone()
            };
            if let Ok(plan) = search_layouts(&sub) {
                if let Some(c) = plan.first() {
                    points.push(ScalingPoint {
                        devices,
                        data: c.layout.data,
                        tokens_per_s: c.time.tokens_per_s,
                        mfu: c.time.mfu,
                        step_s: c.time.step_s,
                    });
                }
            }
        }
        if devices >= req.devices {
            break;
        }
        n *= 2;
    }
    points
}

/// Inserts `c` among the `n` fastest, fastest first; equal times keep the earlier (the
/// enumeration order is deterministic, so the result does not depend on anything else).
fn keep(kept: &mut Vec<MeshCandidate>, c: MeshCandidate, n: usize) {
    let at = kept
        .iter()
        .position(|k| c.time.step_s < k.time.step_s)
        .unwrap_or(kept.len());
    if at < n {
        kept.insert(at, c);
        kept.truncate(n);
    }
}

/// What limits the best layout.
fn binding(
    best: &MeshCandidate,
    smallest_fitting: Option<u64>,
    any_rejected: bool,
    req: &MeshRequest,
) -> String {
    let l = &best.layout;
    let model = l.tensor * l.pipeline * l.context;
    let exposed: f64 = best
        .time
        .communication
        .iter()
        .map(|a| a.exposed_s)
        .fold(0.0, |s, x| s + x);
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    if model > 1 && any_rejected && smallest_fitting == Some(model) {
        format!(
            "memory: smaller model-parallel groups than tensor {} x pipeline {} x context {} do not fit {:.1} GiB per device",
            l.tensor,
            l.pipeline,
            l.context,
            gib(req.memory_limit_bytes)
        )
    } else if l.micro_batches < 4 * l.pipeline.max(1) && l.pipeline > 1 {
        format!(
            "global batch: {} sequences leave {} micro-batches per replica for {} pipeline stages (the bubble is {:.0} % of the step)",
            req.global_batch,
            l.micro_batches,
            l.pipeline,
            100.0 * best.time.bubble_s / best.time.step_s
        )
    } else if exposed > 0.2 * best.time.step_s {
        format!(
            "communication: {:.0} % of the step waits on collectives",
            100.0 * exposed / best.time.step_s
        )
    } else {
        format!(
            "compute: {:.0} % of the step is forward, backward and recomputation",
            100.0 * (best.time.compute_s + best.time.recompute_s) / best.time.step_s
        )
    }
}
