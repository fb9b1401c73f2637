//! Plans for devices of unequal memory and speed (seed 000's Macs; mixed GPUs in one box): a
//! pipeline whose layer ranges follow each device's speed, capped by its memory, and data
//! parallelism whose per-device batch follows its speed.
//!
//! Pipeline: each device is one stage, in the order given. A device's speed is the time model's
//! forward and backward of one decoder layer on its chip ([`step_time`] of the model and of a
//! copy with half its layers, differenced); layers go to devices in proportion to speed, the
//! first stage's embedding and the last stage's head counted as the layers of work they take.
//! A device short of memory keeps what fits and the excess goes to the devices with room, in
//! proportion to their speed (Metis' memory-adjusted partition, Um et al., ATC'24). The step is
//! `(m + p - 1)` micro-batch times of the slowest stage (1F1B), with each micro-batch's
//! activations and their gradients sent over the ring link, then the slowest optimizer step.
//!
//! A stage's memory comes from the core estimator, term by term (`stage`): per-layer and fixed
//! parts of each term from the model and a copy with half its layers, the embedding on the first
//! stage, the head and logits on the last, `min(p - i, m)` micro-batches in flight on stage `i`.
//!
//! Data parallelism (Cephalo, Guo et al., ICS'25), when every device holds the whole model: each
//! device's sequences per step follow its speed, its micro-batch is the largest that fits (the
//! estimator, directly) and its accumulation makes up its share; the gradients are summed over
//! the ring. Each device's loss is its sequences' summed loss over the global batch, so the sum
//! of gradients is the global mean: plain DDP averages the replicas equally and would weight a
//! small share as much as a large one.
//!
//! Every device takes part, so a slow or small one can slow the plan (one more stage to fill and
//! drain for few layers); the plan names each device without which the rest would be faster.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

mod stage;

use super::collective::{Collective, LinkSpeed};
use super::efficiency;
use super::search::Engine;
use super::time::{step_time, Chip, Fabric, Layout, Work};
use crate::error::{Error, Result};
use crate::estimate::{Estimate, Term};
use crate::model::ModelSpec;
use crate::plan::{frozen_weight_gradient_flops, model_flops_per_token, FLOPS_CONVENTION};
use crate::request::{EstimateRequest, Parallel, Sharding, Task};
use stage::{estimate_on, StageMemory};

/// One device of an unequal cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct HeteroDevice {
    /// Name, e.g. `Apple M4 Pro 48 GB`.
    pub name: String,
    /// Its speed.
    pub chip: Chip,
    /// Bytes the job may use on it (unified memory: the GPU's working-set limit).
    pub usable_bytes: u64,
}

/// What the heterogeneous planner works on.
#[derive(Debug, Clone)]
pub struct HeteroRequest {
    /// Model, task, precision, optimizer, sequence, recomputation, LoRA, runtime; the planner
    /// sets the micro-batch and the parallel fields.
    pub base: EstimateRequest,
    /// Sequences per optimizer step over all devices.
    pub global_batch: u64,
    /// The devices, in rank order (pipeline stage order).
    pub devices: Vec<HeteroDevice>,
    /// The slowest link between consecutive devices.
    pub ring: LinkSpeed,
    /// How the engine runs.
    pub engine: Engine,
}

/// The two layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum HeteroKind {
    /// Layers split into one pipeline stage per device.
    Pipeline,
    /// The whole model on each device, batch split by speed.
    Data,
}

/// What a device does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Rank 0: launches the job, holds the embedding (pipeline), gathers the metrics.
    Coordinator,
    /// Any other rank.
    Worker,
    /// Data parallelism: a device limited to micro-batch 1 that accumulates several.
    GradientAccumulator,
}

/// One device's part of a layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct DeviceShare {
    /// Rank.
    pub rank: u64,
    /// Device name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Pipeline: decoder layers `[first, end)` of the stage; `None` for data parallelism.
    pub layers: Option<[u64; 2]>,
    /// Pipeline: the stage holds the embedding.
    pub embedding: bool,
    /// Pipeline: the stage holds the output head and the loss.
    pub head: bool,
    /// Sequences this device computes per optimizer step.
    pub sequences: u64,
    /// Sequences per micro-batch.
    pub micro_batch: u64,
    /// Micro-batches per optimizer step (accumulation; pipeline micro-batches).
    pub accumulation: u64,
    /// Pipeline: micro-batches whose activations it holds at once under 1F1B.
    pub in_flight: u64,
    /// Peak memory, bytes.
    pub peak_bytes: u64,
    /// Bytes it may use.
    pub usable_bytes: u64,
    /// The terms of the peak; they add up to `peak_bytes`.
    pub breakdown: Vec<Term>,
    /// Time of one decoder layer's forward and backward for one micro-batch on it, s.
    pub layer_s: f64,
    /// Its compute per step: pipeline, one micro-batch of its stage (with the sends); data,
    /// all its micro-batches, s.
    pub busy_s: f64,
    /// Its optimizer step, s.
    pub optimizer_s: f64,
}

/// One layout for the devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct HeteroLayout {
    /// Pipeline or data parallelism.
    pub kind: HeteroKind,
    /// Each device's part, by rank.
    pub devices: Vec<DeviceShare>,
    /// Rank of the device that sets the pace (the slowest stage, or the last to finish its
    /// share).
    pub pace_rank: u64,
    /// Its name and why, in words.
    pub pace: String,
    /// Pipeline fill and drain, s.
    pub bubble_s: f64,
    /// Time waiting on the ring per step (sends between stages, or the gradient sum), s.
    pub communication_s: f64,
    /// One optimizer step, s.
    pub step_s: f64,
    /// Tokens per second over all devices.
    pub tokens_per_s: f64,
    /// Model FLOPs utilisation against the sum of the devices' peaks.
    pub mfu: f64,
    /// How the engine must run it.
    pub engine_note: String,
}

/// The layouts that fit, fastest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct HeteroPlan {
    /// Layouts that fit, fastest first.
    pub layouts: Vec<HeteroLayout>,
    /// Layouts left out, with the reason and the numbers.
    pub refused: Vec<String>,
    /// Devices whose removal would make the best plan faster (a slow device adds a pipeline
    /// stage or holds back the data-parallel step: exo #803, a cluster slower than one node).
    pub slower_with: Vec<String>,
    /// Sum of the devices' 16-bit peaks, TFLOP/s (the MFU denominator).
    pub peak_tflops: f64,
    /// FLOP counting convention of `mfu`.
    pub convention: String,
}

const GIB: f64 = (1u64 << 30) as f64;

fn gib(bytes: u64) -> f64 {
    bytes as f64 / GIB
}

/// Largest micro-batch tried, sequences (the mesh search's bound for sizes that are not powers
/// of two).
const MAX_MICRO_BATCH: u64 = 64;

/// Plans `req` as a pipeline and as data parallelism, returning those that fit, fastest first,
/// and the devices whose removal would make the best of them faster (each the plan of the
/// others).
///
/// # Errors
/// No devices, a device without memory or speed, a zero global batch, a task that does not
/// train, a model the estimator rejects, or a model that no layout holds (naming each device
/// with the layers it can hold).
pub fn plan_hetero(req: &HeteroRequest) -> Result<HeteroPlan> {
    let (found, refused) = layouts(req)?;
    let best = found[0].step_s;
    let mut slower_with = Vec::new();
    if req.devices.len() > 1 {
        for (i, d) in req.devices.iter().enumerate() {
            let rest = HeteroRequest {
                devices: req
                    .devices
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, d)| d.clone())
                    .collect(),
                ..req.clone()
            };
            if let Ok((without, _)) = layouts(&rest) {
                if without[0].step_s < best {
                    slower_with.push(format!(
                        "{} (rank {i}) slows the plan: the other devices take {:.2} s per step ({:?}) against {best:.2} s with it",
                        d.name, without[0].step_s, without[0].kind
                    ));
                }
            }
        }
    }
    Ok(HeteroPlan {
        layouts: found,
        refused,
        slower_with,
        peak_tflops: req.devices.iter().map(|d| d.chip.peak_tflops).sum(),
        convention: String::from(FLOPS_CONVENTION),
    })
}

/// The layouts of `req` that fit, fastest first, and why the others do not.
fn layouts(req: &HeteroRequest) -> Result<(Vec<HeteroLayout>, Vec<String>)> {
    check(req)?;
    let spec = req.base.model.resolve()?;
    let ctx = Context::new(req, &spec)?;
    let mut layouts = Vec::with_capacity(2);
    let mut refused = Vec::new();
    let mut pipeline_error = None;
    match pipeline(&ctx) {
        Ok(l) => layouts.push(l),
        Err(e) => {
            refused.push(format!("pipeline: {e}"));
            pipeline_error = Some(e);
        }
    }
    match data(&ctx) {
        Ok(l) => layouts.push(l),
        Err(e) => refused.push(format!("data parallel: {e}")),
    }
    if layouts.is_empty() {
        return Err(pipeline_error.unwrap_or_else(|| {
            Error::invalid("devices", req.devices.len() as u64, "a layout that fits")
        }));
    }
    layouts.sort_by(|a, b| a.step_s.total_cmp(&b.step_s));
    Ok((layouts, refused))
}

fn check(req: &HeteroRequest) -> Result<()> {
    if req.devices.is_empty() {
        return Err(Error::invalid("devices", 0u64, "at least one device"));
    }
    if req.global_batch == 0 {
        return Err(Error::invalid("global_batch", 0u64, "a positive integer"));
    }
    if !req.base.task.trains() {
        return Err(Error::invalid(
            "task",
            format!("{:?}", req.base.task).to_lowercase(),
            "a training task for the heterogeneous planner",
        ));
    }
    for (i, d) in req.devices.iter().enumerate() {
        if d.usable_bytes == 0 {
            return Err(Error::invalid(
                format!("devices[{i}].usable_bytes"),
                0u64,
                format!(
                    "positive bytes: device {i} ({}) has no usable memory",
                    d.name
                ),
            ));
        }
        let c = &d.chip;
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !(positive(c.peak_tflops) && positive(c.memory_gbs) && positive(c.matmul_share)) {
            return Err(Error::invalid(
                format!("devices[{i}].chip"),
                d.name.as_str(),
                format!(
                    "a positive peak, matmul share and memory bandwidth (got {} TFLOP/s, share {}, {} GB/s)",
                    c.peak_tflops, c.matmul_share, c.memory_gbs
                ),
            ));
        }
    }
    if req.devices.len() > 1
        && !(req.ring.bandwidth_gbs.is_finite()
            && req.ring.bandwidth_gbs > 0.0
            && req.ring.latency_us.is_finite()
            && req.ring.latency_us >= 0.0)
    {
        return Err(Error::invalid(
            "ring",
            req.ring.bandwidth_gbs,
            "a positive bandwidth in GB/s and a latency of at least 0 µs",
        ));
    }
    Ok(())
}

/// A copy of `spec` with `layers` decoder layers.
fn with_layers(spec: &ModelSpec, layers: u64) -> ModelSpec {
    ModelSpec {
        layers,
        ..spec.clone()
    }
}

/// What both layouts share: the model, its parameter counts and the bytes per gradient and
/// optimizer state the estimator uses.
#[derive(Clone)]
struct Context<'a> {
    req: &'a HeteroRequest,
    spec: &'a ModelSpec,
    half: ModelSpec,
    active: u64,
    total: u64,
    trainable: u64,
    grad_bytes: u64,
    state_bytes: u64,
    flops_per_token: f64,
}

impl<'a> Context<'a> {
    fn new(req: &'a HeteroRequest, spec: &'a ModelSpec) -> Result<Self> {
        let params = spec.parameters()?;
        let one = estimate_on(req, &req.base.model, 1, 1, 1)?;
        let trainable = one.parameters.trainable.max(1);
        let states = one.model_states;
        // Bytes per trained parameter of its gradient, and of its optimizer states with the
        // master copy, as the estimator holds them.
        let grad_bytes = states.gradients_bytes.div_ceil(trainable);
        let state_bytes =
            (states.optimizer_states_bytes + states.master_weights_bytes).div_ceil(trainable);
        let lora = matches!(req.base.task, Task::Lora | Task::Qlora);
        let flops_per_token = model_flops_per_token(spec, params.active, req.base.sequence)
            - if lora {
                frozen_weight_gradient_flops(spec, params.active)
            } else {
                0.0
            };
        Ok(Context {
            req,
            spec,
            half: with_layers(spec, (spec.layers / 2).max(1)),
            active: params.active,
            total: params.total,
            trainable: one.parameters.trainable,
            grad_bytes,
            state_bytes,
            flops_per_token,
        })
    }

    /// The time model's work for `spec` (the model or its half copy).
    fn work<'s>(&self, spec: &'s ModelSpec, elementwise: Option<(f64, u64)>) -> Work<'s> {
        Work {
            spec,
            active: self.active,
            total: self.total,
            trainable: self.trainable,
            sequence: self.req.base.sequence,
            recompute: self.req.base.checkpointing,
            attention: self.req.engine.attention,
            compute_bytes: super::search::compute_bytes(&self.req.base),
            fp8_linears: self.req.engine.fp8_linears,
            weight_bits: super::search::weight_bits(&self.req.base),
            grad_bytes: self.grad_bytes,
            state_bytes: self.state_bytes,
            elementwise,
        }
    }

    fn elementwise(&self, micro_batch: u64) -> Result<Option<(f64, u64)>> {
        if !self.req.engine.eager {
            return Ok(None);
        }
        let r = EstimateRequest {
            micro_batch,
            parallel: Parallel::default(),
            ..self.req.base.clone()
        };
        crate::memory::elementwise_traffic(&r).map(Some)
    }

    /// One device's run of `micro_batches` micro-batches of `micro_batch` on the whole model:
    /// (compute, optimizer step), s.
    fn single(
        &self,
        spec: &ModelSpec,
        chip: &Chip,
        micro_batch: u64,
        micro_batches: u64,
        elementwise: Option<(f64, u64)>,
    ) -> (f64, f64) {
        let layout = Layout {
            overlap_grad_reduce: self.req.engine.overlap_grad_reduce,
            ..Layout::data_parallel(1, Sharding::None, micro_batch, micro_batches)
        };
        let fabric = Fabric {
            per_machine: 1,
            intra: self.req.ring,
            inter: self.req.ring,
        };
        let t = step_time(&self.work(spec, elementwise), &layout, chip, &fabric);
        (t.step_s - t.optimizer_s, t.optimizer_s)
    }

    /// Per micro-batch on `chip`: one decoder layer's forward and backward (with recomputation),
    /// the embedding's, and the head's with the loss, s. The model and its half copy differ by
    /// their layers only.
    fn pieces(&self, chip: &Chip, micro_batch: u64, elementwise: Option<(f64, u64)>) -> Pieces {
        let (full, _) = self.single(self.spec, chip, micro_batch, 1, elementwise);
        let (half, _) = self.single(&self.half, chip, micro_batch, 1, elementwise);
        let dl = (self.spec.layers - self.half.layers).max(1) as f64;
        let layer = if self.spec.layers > self.half.layers {
            (full - half) / dl
        } else {
            full
        };
        let ends = (full - layer * self.spec.layers as f64).max(0.0);
        // The embedding lookup writes one row per token and its backward scatters as many, as
        // the time model prices it (one memory-bound pass each way).
        let row_bytes = (micro_batch * self.req.base.sequence * self.spec.hidden * 2) as f64;
        let embed =
            (2.0 * row_bytes / (chip.memory_gbs * 1e9 * efficiency::memory(row_bytes))).min(ends);
        Pieces {
            layer,
            embed,
            head: ends - embed,
        }
    }
}

/// Times of one micro-batch's parts on one chip, s.
#[derive(Debug, Clone, Copy)]
struct Pieces {
    layer: f64,
    embed: f64,
    head: f64,
}

/// Splits `total` units in proportion to `weights`, each between 1 and its `cap`, by water
/// filling (devices over their cap keep the cap, the rest is spread over the others) and then the
/// largest remainders. `None` when the caps cannot hold `total`.
fn split(total: u64, weights: &[f64], offsets: &[f64], caps: &[u64]) -> Option<Vec<u64>> {
    let n = weights.len();
    if caps.iter().sum::<u64>() < total || caps.contains(&0) || (n as u64) > total {
        return None;
    }
    let mut fixed: Vec<Option<f64>> = alloc::vec![None; n];
    let mut target = alloc::vec![0.0; n];
    loop {
        let free_w: f64 = (0..n)
            .filter(|&i| fixed[i].is_none())
            .map(|i| weights[i])
            .sum();
        let left = total as f64 - fixed.iter().flatten().sum::<f64>()
            + (0..n)
                .filter(|&i| fixed[i].is_none())
                .map(|i| offsets[i])
                .sum::<f64>();
        let mut changed = false;
        for i in 0..n {
            if fixed[i].is_none() {
                target[i] = left * weights[i] / free_w - offsets[i];
                if target[i] > caps[i] as f64 {
                    fixed[i] = Some(caps[i] as f64);
                    target[i] = caps[i] as f64;
                    changed = true;
                }
            }
        }
        if !changed || fixed.iter().all(Option::is_some) {
            break;
        }
    }
    let mut counts: Vec<u64> = (0..n)
        .map(|i| (target[i].max(1.0) as u64).clamp(1, caps[i]))
        .collect();
    let mut sum: u64 = counts.iter().sum();
    while sum > total {
        // Take from the device furthest above its target.
        let i = (0..n).filter(|&i| counts[i] > 1).max_by(|&a, &b| {
            (counts[a] as f64 - target[a]).total_cmp(&(counts[b] as f64 - target[b]))
        })?;
        counts[i] -= 1;
        sum -= 1;
    }
    while sum < total {
        // Give to the device with room furthest below its target; ties to the lower rank.
        let i = (0..n).filter(|&i| counts[i] < caps[i]).max_by(|&a, &b| {
            (target[a] - counts[a] as f64)
                .total_cmp(&(target[b] - counts[b] as f64))
                .then(b.cmp(&a))
        })?;
        counts[i] += 1;
        sum += 1;
    }
    Some(counts)
}

fn divisors(n: u64) -> Vec<u64> {
    (1..=n.min(MAX_MICRO_BATCH))
        .filter(|d| n % d == 0)
        .collect()
}

/// The pipeline layout: the fastest micro-batch size whose memory-capped split fits.
fn pipeline(ctx: &Context<'_>) -> Result<HeteroLayout> {
    let req = ctx.req;
    let p = req.devices.len() as u64;
    let layers = ctx.spec.layers;
    if p > layers {
        return Err(Error::invalid(
            "devices",
            p,
            format!("at most one device per layer: the model has {layers} layers"),
        ));
    }
    let mut best: Option<HeteroLayout> = None;
    let mut smallest_error = None;
    for b in divisors(req.global_batch) {
        match pipeline_at(ctx, b) {
            Ok(l) => {
                if best.as_ref().is_none_or(|x| l.step_s < x.step_s) {
                    best = Some(l);
                }
            }
            Err(e) => {
                if smallest_error.is_none() {
                    smallest_error = Some(e);
                }
                // Larger micro-batches need more memory still.
                break;
            }
        }
    }
    best.ok_or_else(|| smallest_error.unwrap_or_else(|| Error::invalid("global_batch", 0u64, "")))
}

fn pipeline_at(ctx: &Context<'_>, b: u64) -> Result<HeteroLayout> {
    let req = ctx.req;
    let p = req.devices.len() as u64;
    let layers = ctx.spec.layers;
    let m = req.global_batch / b;
    let elementwise = ctx.elementwise(b)?;
    let memory = StageMemory::new(ctx, b, m, p)?;
    let pieces: Vec<Pieces> = req
        .devices
        .iter()
        .map(|d| ctx.pieces(&d.chip, b, elementwise))
        .collect();
    let ends = |i: usize| (i == 0, i + 1 == p as usize);
    let in_flight = |i: usize| (p - i as u64).min(m);
    let caps: Vec<u64> = (0..req.devices.len())
        .map(|i| {
            let (e, h) = ends(i);
            memory.capacity(req.devices[i].usable_bytes, e, h, in_flight(i), layers)
        })
        .collect();
    // Speed: layers per second; the end stages' embedding and head count as the layers of work
    // they take on that device.
    let weights: Vec<f64> = pieces.iter().map(|x| 1.0 / x.layer).collect();
    let offsets: Vec<f64> = (0..pieces.len())
        .map(|i| {
            let (e, h) = ends(i);
            let extra =
                if e { pieces[i].embed } else { 0.0 } + if h { pieces[i].head } else { 0.0 };
            extra / pieces[i].layer
        })
        .collect();
    if weights.iter().any(|w| !w.is_finite() || *w <= 0.0) {
        return Err(Error::invalid(
            "devices",
            p,
            "devices whose time model gives a positive layer time",
        ));
    }
    let Some(counts) = split(layers, &weights, &offsets, &caps) else {
        let per: Vec<String> = req
            .devices
            .iter()
            .zip(&caps)
            .map(|(d, c)| format!("{} {c} in {:.1} GiB", d.name, gib(d.usable_bytes)))
            .collect();
        let empty = if caps.contains(&0) {
            "; a device that holds no layer cannot be a stage"
        } else {
            ""
        };
        return Err(Error::invalid(
            "devices",
            format!("{p} devices"),
            format!(
                "devices that hold the model's {layers} layers as a pipeline at micro-batch {b}: they hold {}, {} layers in all{empty}",
                per.join(", "),
                caps.iter().sum::<u64>()
            ),
        ));
    };
    let a = 2.0;
    let message = (b * req.base.sequence * ctx.spec.hidden) as f64 * a;
    let p2p = if p > 1 {
        2.0 * Collective::PointToPoint.seconds(message, 2, req.ring)
    } else {
        0.0
    };
    let mut shares = Vec::with_capacity(req.devices.len());
    let mut first = 0u64;
    for (i, d) in req.devices.iter().enumerate() {
        let (e, h) = ends(i);
        let n = counts[i];
        let x = pieces[i];
        let busy =
            n as f64 * x.layer + if e { x.embed } else { 0.0 } + if h { x.head } else { 0.0 } + p2p;
        let (peak, breakdown) = memory.stage(n, e, h, in_flight(i));
        // The stage's trained parameters, for its optimizer step.
        let trained = stage_trainable(ctx, n, e, h);
        let sub = Context {
            trainable: trained,
            ..ctx.clone()
        };
        let (_, opt) = sub.single(ctx.spec, &d.chip, b, 1, elementwise);
        shares.push(DeviceShare {
            rank: i as u64,
            name: d.name.clone(),
            role: if i == 0 {
                Role::Coordinator
            } else {
                Role::Worker
            },
            layers: Some([first, first + n]),
            embedding: e,
            head: h,
            sequences: req.global_batch,
            micro_batch: b,
            accumulation: m,
            in_flight: in_flight(i),
            peak_bytes: peak,
            usable_bytes: d.usable_bytes,
            breakdown,
            layer_s: x.layer,
            busy_s: busy,
            optimizer_s: opt,
        });
        first += n;
    }
    let pace = pace_of(&shares);
    let slowest = shares[pace].busy_s;
    let optimizer = shares.iter().map(|s| s.optimizer_s).fold(0.0, f64::max);
    let step = (m + p - 1) as f64 * slowest + optimizer;
    let bubble = (p - 1) as f64 * slowest;
    let pace_text = format!(
        "{} (rank {pace}): {} layers{}{} at {:.3} s per micro-batch, the slowest stage",
        shares[pace].name,
        counts[pace],
        if shares[pace].embedding {
            ", the embedding"
        } else {
            ""
        },
        if shares[pace].head {
            ", the head and loss"
        } else {
            ""
        },
        slowest
    );
    Ok(finish(
        ctx,
        HeteroKind::Pipeline,
        shares,
        pace,
        pace_text,
        bubble,
        (m + p - 1) as f64 * p2p,
        step,
        String::from(
            "1F1B pipeline, one stage per device in rank order; each stage sends its activations to the next and their gradients back over the ring link (MLX: `mx.distributed.send`/`recv`; PyTorch: `torch.distributed.pipelining` with uneven stage modules)",
        ),
    ))
}

/// Trained parameters of a stage: its layers' share, and the embedding's or head's when those
/// train (full fine-tuning and pretraining; LoRA adapters sit in the layers).
fn stage_trainable(ctx: &Context<'_>, layers: u64, embedding: bool, head: bool) -> u64 {
    if ctx.trainable >= ctx.total {
        let spec = ctx.spec;
        let input = (spec.vocab + spec.learned_positions) * spec.hidden;
        let head_params = spec.vocab * spec.embed_proj_dim.unwrap_or(spec.hidden);
        let body = ctx
            .total
            .saturating_sub(input)
            .saturating_sub(if spec.tied_embeddings { 0 } else { head_params });
        body / spec.layers.max(1) * layers
            + if embedding { input } else { 0 }
            + if head { head_params } else { 0 }
    } else {
        (ctx.trainable as u128 * layers as u128 / ctx.spec.layers.max(1) as u128) as u64
    }
}

/// Data parallelism with each device's batch share by its speed.
fn data(ctx: &Context<'_>) -> Result<HeteroLayout> {
    let req = ctx.req;
    let n = req.devices.len() as u64;
    let g = req.global_batch;
    if n == 1 {
        return Err(Error::invalid(
            "devices",
            1u64,
            "two or more devices: on one device data parallelism is the one-stage pipeline",
        ));
    }
    if g < n {
        return Err(Error::invalid(
            "global_batch",
            g,
            format!("at least one sequence per device for data parallelism over {n} devices"),
        ));
    }
    let elementwise = ctx.elementwise(1)?;
    // Whole model on each device at micro-batch 1: the smallest footprint data parallelism has.
    let one = estimate_on(req, &req.base.model, 1, 1, n)?;
    let short: Vec<String> = req
        .devices
        .iter()
        .filter(|d| one.peak_bytes > d.usable_bytes)
        .map(|d| format!("{} ({:.1} GiB)", d.name, gib(d.usable_bytes)))
        .collect();
    if !short.is_empty() {
        return Err(Error::invalid(
            "devices",
            format!("{n} devices"),
            format!(
                "devices that each hold the whole model: it needs {:.1} GiB at micro-batch 1, more than {}",
                gib(one.peak_bytes),
                short.join(", ")
            ),
        ));
    }
    let per_sequence: Vec<f64> = req
        .devices
        .iter()
        .map(|d| ctx.single(ctx.spec, &d.chip, 1, 1, elementwise).0)
        .collect();
    if per_sequence.iter().any(|t| !t.is_finite() || *t <= 0.0) {
        return Err(Error::invalid(
            "devices",
            n,
            "devices whose time model gives a positive time per sequence",
        ));
    }
    let weights: Vec<f64> = per_sequence.iter().map(|t| 1.0 / t).collect();
    let zeros = alloc::vec![0.0; n as usize];
    let caps = alloc::vec![g; n as usize];
    let counts = split(g, &weights, &zeros, &caps)
        .ok_or_else(|| Error::invalid("global_batch", g, "a batch the devices can share"))?;
    let trained_bytes = ctx.trainable as f64 * ctx.grad_bytes as f64;
    let all_reduce = Collective::AllReduce.seconds(trained_bytes, n, req.ring);
    let mut shares = Vec::with_capacity(n as usize);
    for (i, d) in req.devices.iter().enumerate() {
        let s = counts[i];
        // The largest micro-batch dividing the share that fits; larger ones need more memory.
        let mut chosen: Option<(u64, Estimate)> = None;
        for mb in divisors(s) {
            let e = estimate_on(req, &req.base.model, mb, s / mb, n)?;
            if e.peak_bytes > d.usable_bytes {
                break;
            }
            chosen = Some((mb, e));
        }
        let Some((mb, e)) = chosen else {
            return Err(Error::invalid(
                format!("devices[{i}]"),
                d.name.as_str(),
                format!(
                    "room for micro-batch 1: it needs {:.1} GiB with {s} accumulated, {:.1} GiB usable",
                    gib(one.peak_bytes),
                    gib(d.usable_bytes)
                ),
            ));
        };
        let el = ctx.elementwise(mb)?;
        let (busy, opt) = ctx.single(ctx.spec, &d.chip, mb, s / mb, el);
        let (layer_s, accumulation) = (ctx.pieces(&d.chip, mb, el).layer, s / mb);
        shares.push(DeviceShare {
            rank: i as u64,
            name: d.name.clone(),
            role: if i == 0 {
                Role::Coordinator
            } else if mb == 1 && accumulation > 1 {
                Role::GradientAccumulator
            } else {
                Role::Worker
            },
            layers: None,
            embedding: true,
            head: true,
            sequences: s,
            micro_batch: mb,
            accumulation,
            in_flight: 1,
            peak_bytes: e.peak_bytes,
            usable_bytes: d.usable_bytes,
            breakdown: e.breakdown,
            layer_s,
            busy_s: busy,
            optimizer_s: opt,
        });
    }
    let pace = pace_of(&shares);
    let slowest = shares[pace].busy_s;
    // The sum overlaps the last micro-batch's backward when the engine does that: the backward
    // is two thirds of a micro-batch (4N of 6N FLOPs per token, Kaplan et al. 2020, §2.1).
    let exposed = if req.engine.overlap_grad_reduce {
        let last = 2.0 / 3.0 * slowest / shares[pace].accumulation.max(1) as f64;
        (all_reduce - last).max(0.0)
    } else {
        all_reduce
    };
    let optimizer = shares.iter().map(|s| s.optimizer_s).fold(0.0, f64::max);
    let step = slowest + exposed + optimizer;
    let pace_text = format!(
        "{} (rank {pace}): {} sequences as {} x {} at {:.3} s, the last to finish its share",
        shares[pace].name,
        shares[pace].sequences,
        shares[pace].micro_batch,
        shares[pace].accumulation,
        slowest
    );
    let weights: Vec<String> = shares
        .iter()
        .map(|s| format!("{}/{g}", s.sequences))
        .collect();
    Ok(finish(
        ctx,
        HeteroKind::Data,
        shares,
        pace,
        pace_text,
        0.0,
        exposed,
        step,
        format!(
            "uneven data parallelism: plain DDP averages replicas equally, so each device scales its summed loss by its share of the global batch ({}) and the gradients are summed, not averaged (MLX: `mx.distributed.all_sum` of the pre-scaled gradients; PyTorch: all-reduce with SUM after scaling)",
            weights.join(", ")
        ),
    ))
}

#[allow(clippy::too_many_arguments)]
fn finish(
    ctx: &Context<'_>,
    kind: HeteroKind,
    devices: Vec<DeviceShare>,
    pace: usize,
    pace_text: String,
    bubble_s: f64,
    communication_s: f64,
    step_s: f64,
    engine_note: String,
) -> HeteroLayout {
    let req = ctx.req;
    let tokens_per_s = (req.global_batch * req.base.sequence) as f64 / step_s;
    let peak: f64 = req.devices.iter().map(|d| d.chip.peak_tflops * 1e12).sum();
    HeteroLayout {
        kind,
        devices,
        pace_rank: pace as u64,
        pace: pace_text,
        bubble_s,
        communication_s,
        step_s,
        tokens_per_s,
        mfu: tokens_per_s * ctx.flops_per_token / peak,
        engine_note,
    }
}

/// The rank that sets the pace: the busiest device, the first of equals.
fn pace_of(shares: &[DeviceShare]) -> usize {
    (0..shares.len())
        .max_by(|&a, &b| {
            shares[a]
                .busy_s
                .total_cmp(&shares[b].busy_s)
                .then(b.cmp(&a))
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::AttentionKernel;

    pub(super) fn request(model: &str, task: &str, devices: u64) -> HeteroRequest {
        let mut doc = serde_json::json!({
            "model": {"catalogue": model}, "task": task, "sequence": 2048,
            "precision": "mixed_bf16", "checkpointing": "none"
        });
        if task == "lora" {
            doc["lora"] = serde_json::json!({"rank": 16, "targets": ["q_proj", "v_proj"]});
        }
        let base: EstimateRequest = serde_json::from_value(doc).unwrap();
        // An H100 SXM's catalogue figures; only the memory model is under test here.
        let chip = Chip {
            peak_tflops: 989.0,
            matmul_share: 0.803,
            fp8: None,
            hopper_or_later: true,
            memory_gbs: 3350.0,
        };
        HeteroRequest {
            base,
            global_batch: 8,
            devices: (0..devices)
                .map(|i| HeteroDevice {
                    name: format!("gpu{i}"),
                    chip,
                    usable_bytes: 80 << 30,
                })
                .collect(),
            ring: LinkSpeed {
                bandwidth_gbs: 370.0,
                latency_us: 5.0,
            },
            engine: Engine {
                attention: AttentionKernel::Flash2,
                overlap_grad_reduce: true,
                overlap_tensor_comm: false,
                eager: true,
                fp8_linears: false,
            },
        }
    }

    #[test]
    fn split_follows_weights_then_caps() {
        // 80 units over weights 1:2:5 -> 10, 20, 50; a cap of 6 on the first moves its 4 to
        // the others in proportion 2:5 -> 20 + 8/7·... = 21.14, 52.86 -> 21, 53.
        assert_eq!(
            split(80, &[1.0, 2.0, 5.0], &[0.0; 3], &[80, 80, 80]),
            Some(vec![10, 20, 50])
        );
        assert_eq!(
            split(80, &[1.0, 2.0, 5.0], &[0.0; 3], &[6, 80, 80]),
            Some(vec![6, 21, 53])
        );
        // Caps below the total, a zero cap, more devices than units.
        assert_eq!(split(80, &[1.0, 1.0], &[0.0; 2], &[40, 39]), None);
        assert_eq!(split(8, &[1.0, 1.0], &[0.0; 2], &[0, 39]), None);
        assert_eq!(split(1, &[1.0, 1.0], &[0.0; 2], &[9, 9]), None);
        // An offset (the head's work) takes units from that device: (10 + 2) / 2 - 2 = 4.
        assert_eq!(
            split(10, &[1.0, 1.0], &[0.0, 2.0], &[10, 10]),
            Some(vec![6, 4])
        );
    }
}
