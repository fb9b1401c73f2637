//! Serving at scale: tensor- and pipeline-parallel replicas of a model, the KV-cache pool each
//! device has left after its weights, the most sequences one replica serves at a context
//! length, and decode speed per sequence and in total.
//!
//! Memory is the core's estimate of a decode step (weights, KV cache, activations, overheads) at
//! each concurrency. A decode step reads every weight and every cached key and value once
//! (memory-bound at batch sizes where `2·N·batch` FLOPs stay below the bandwidth's worth: the
//! roofline of Williams et al. 2009; "LLM inference is memory-bound", Pope et al. 2022, §2),
//! so its time is the larger of those bytes at memory bandwidth and its FLOPs at the matmul
//! share, plus the tensor axis's two all-reduces per layer, which at one token per sequence are
//! latency-bound. A pipeline passes each token through its stages in turn.

use alloc::format;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::collective::Collective;
use super::efficiency;
use super::time::{axis_link, Chip, Fabric};
use crate::error::{Error, Result};
use crate::estimate::TermKind;
use crate::memory::estimate;
use crate::request::{EstimateRequest, Inference, Parallel, Task};

/// What to serve.
#[derive(Debug, Clone)]
pub struct ServeRequest {
    /// The model and its serving dtype (task, micro-batch and parallel axes are the search's).
    pub base: EstimateRequest,
    /// Tokens of context per sequence (prompt and generated).
    pub context: u64,
    /// Devices of the cluster.
    pub devices: u64,
    /// One device's speed.
    pub chip: Chip,
    /// Its links.
    pub fabric: Fabric,
    /// Bytes one device may use.
    pub memory_limit_bytes: u64,
}

/// One serving layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ServeLayout {
    /// Tensor-parallel degree of a replica.
    pub tensor: u64,
    /// Pipeline stages of a replica.
    pub pipeline: u64,
    /// Replicas over the cluster.
    pub replicas: u64,
    /// Weights on one device, bytes.
    pub weights_bytes: u64,
    /// KV cache of one device at `concurrency`, bytes: the pool its memory leaves.
    pub kv_pool_bytes: u64,
    /// Peak memory of one device at `concurrency`, bytes.
    pub peak_bytes: u64,
    /// Most sequences of the full context one replica serves at once.
    pub concurrency: u64,
    /// One decode step of a replica, s.
    pub step_s: f64,
    /// Decode tokens per second of one sequence.
    pub tokens_per_s_per_sequence: f64,
    /// Decode tokens per second over the cluster.
    pub tokens_per_s: f64,
}

/// The serving layouts that fit, by total decode throughput, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ServePlan {
    /// Context per sequence.
    pub context: u64,
    /// The layouts.
    pub layouts: Vec<ServeLayout>,
}

/// Largest concurrency a layout may report, so a search over it stays short.
const MAX_CONCURRENCY: u64 = 1 << 16;

fn decode_request(req: &ServeRequest, tp: u64, pp: u64, batch: u64) -> EstimateRequest {
    EstimateRequest {
        task: Task::Decode,
        micro_batch: batch,
        sequence: req.context.saturating_sub(1).max(1),
        inference: Some(Inference {
            prompt: req.context.saturating_sub(1).max(1),
            generate: 1,
            kv_dtype: req.base.inference.and_then(|i| i.kv_dtype),
        }),
        parallel: Parallel {
            tensor: tp,
            pipeline: pp,
            ..Parallel::default()
        },
        lora: None,
        quantization: req.base.quantization,
        ..req.base.clone()
    }
}

/// Peak, weights and KV-cache bytes of one device at `batch` sequences.
fn memory(req: &ServeRequest, tp: u64, pp: u64, batch: u64) -> Result<(u64, u64, u64)> {
    let e = estimate(&decode_request(req, tp, pp, batch))?;
    let kv = e
        .breakdown
        .iter()
        .filter(|t| t.term == TermKind::KvCache)
        .map(|t| t.bytes)
        .sum();
    Ok((e.peak_bytes, e.model_states.weights_bytes, kv))
}

/// The serving layouts of `req`.
///
/// # Errors
/// A model that cannot be resolved, or no layout that holds one sequence of the context.
pub fn plan_serving(req: &ServeRequest) -> Result<ServePlan> {
    let spec = req.base.model.resolve()?;
    let params = spec.parameters()?;
    let per_machine = req.fabric.per_machine.max(1);
    let mut layouts = Vec::new();
    for tp in (1..=per_machine.min(req.devices))
        .filter(|t| per_machine % t == 0 && spec.heads % t == 0 && spec.kv_heads % t == 0)
    {
        for pp in (1..=spec.layers).filter(|p| spec.layers % p == 0) {
            let group = tp * pp;
            if group > req.devices || req.devices % group != 0 {
                continue;
            }
            // The most sequences that fit: doubling, then bisection.
            let fits = |b: u64| -> Result<bool> {
                Ok(memory(req, tp, pp, b)?.0 <= req.memory_limit_bytes)
            };
            if !fits(1)? {
                continue;
            }
            let mut lo = 1;
            let mut hi = 2;
            while hi <= MAX_CONCURRENCY && fits(hi)? {
                lo = hi;
                hi *= 2;
            }
            let hi = hi.min(MAX_CONCURRENCY + 1);
            let (mut lo, mut hi) = (lo, hi);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if fits(mid)? {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let concurrency = lo;
            let (peak, weights, kv) = memory(req, tp, pp, concurrency)?;
            // One decode step on one stage: its weights and its sequences' cache read once, or
            // its FLOPs, whichever takes longer.
            let bytes = (weights + kv) as f64;
            let read_s = bytes / (req.chip.memory_gbs * 1e9 * efficiency::memory(bytes));
            let flops = 2.0 * params.active as f64 * concurrency as f64 / group as f64;
            let compute_s = flops
                / (req.chip.peak_tflops * 1e12 * req.chip.matmul_share * efficiency::matrix(flops)
                    / efficiency::MATRIX_PLATEAU);
            let (link, _) = axis_link(&req.fabric, 1, tp);
            let message = concurrency as f64 * spec.hidden as f64 * 2.0;
            let tp_s =
                2.0 * (spec.layers / pp) as f64 * Collective::AllReduce.seconds(message, tp, link);
            let stage_s = read_s.max(compute_s) + tp_s;
            let p2p = if pp > 1 {
                let (plink, _) = axis_link(&req.fabric, tp, pp);
                Collective::PointToPoint.seconds(message, 2, plink)
            } else {
                0.0
            };
            // A token crosses every stage in turn. Splitting the sequences into groups that keep
            // every stage busy (vLLM's pipeline parallelism) would do better; not counted.
            let step_s = pp as f64 * (stage_s + p2p);
            let replicas = req.devices / group;
            layouts.push(ServeLayout {
                tensor: tp,
                pipeline: pp,
                replicas,
                weights_bytes: weights,
                kv_pool_bytes: kv,
                peak_bytes: peak,
                concurrency,
                step_s,
                tokens_per_s_per_sequence: 1.0 / step_s,
                tokens_per_s: replicas as f64 * concurrency as f64 / step_s,
            });
        }
    }
    if layouts.is_empty() {
        return Err(Error::invalid(
            "goal.sequence",
            req.context,
            format!(
                "a context whose cache and weights fit: no tensor x pipeline layout of {} devices holds one sequence of {} tokens in {:.1} GiB per device",
                req.devices,
                req.context,
                req.memory_limit_bytes as f64 / (1u64 << 30) as f64
            ),
        ));
    }
    layouts.sort_by(|a, b| b.tokens_per_s.total_cmp(&a.tokens_per_s));
    layouts.truncate(5);
    Ok(ServePlan {
        context: req.context,
        layouts,
    })
}
