//! The out-of-memory fallback ladder: ordered adjustments, each on top of the earlier ones, with
//! the peak after it.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::device::DeviceClass;
use super::planner::Planner;
use super::search::{Knobs, MIN_SEQUENCE};
use super::{Fallback, FallbackAction};
use crate::model::ModelSpec;
use crate::request::{Checkpointing, Optimizer, Task};

impl Planner<'_> {
    /// Ordered adjustments from `start`, each applied on top of the earlier ones, with the peak
    /// after it; a step whose estimate fails is left out.
    pub fn fallbacks(&self, spec: &ModelSpec, start: Knobs, task: Task) -> Vec<Fallback> {
        self.ladder(start, task)
            .into_iter()
            .filter_map(|(action, description, k)| {
                self.estimate(spec, &k, task).ok().map(|e| Fallback {
                    action,
                    description,
                    peak_bytes: e.peak_bytes,
                })
            })
            .collect()
    }

    /// The ladder's steps from `start`: each adjustment with its description and the knobs after
    /// it and every earlier one.
    pub(crate) fn ladder(&self, start: Knobs, task: Task) -> Vec<(FallbackAction, String, Knobs)> {
        let mut out = Vec::new();
        let mut k = start;
        if k.micro_batch > 1 {
            // The largest micro-batch up to half the current one that divides the sequences each
            // device takes per step, so the global batch stays exactly the same.
            let per_device = k.micro_batch * k.accumulation;
            let half = k.micro_batch / 2;
            let mb = (1..=half).rev().find(|d| per_device % d == 0).unwrap_or(1);
            k.micro_batch = mb;
            k.accumulation = per_device / mb;
            out.push((
                FallbackAction::HalveMicroBatch,
                format!(
                    "micro-batch {} with {} accumulation steps (same global batch)",
                    k.micro_batch, k.accumulation
                ),
                k,
            ));
        }
        if k.checkpointing != Checkpointing::Full {
            k.checkpointing = Checkpointing::Full;
            out.push((
                FallbackAction::FullCheckpointing,
                String::from("recompute activations in the backward pass (about 1/3 more compute)"),
                k,
            ));
        }
        if k.optimizer == Optimizer::Adamw && task != Task::Decode {
            k.optimizer = Optimizer::Adamw8bit;
            out.push((
                FallbackAction::Adamw8bit,
                String::from(
                    "8-bit AdamW states (bitsandbytes): 2 bytes per parameter instead of 8",
                ),
                k,
            ));
        }
        // DeepSpeed's CPU Adam runs the offloaded step on fp32 AdamW states (8-bit AdamW is a
        // GPU kernel), with the model in 16 bits on the device (`offload_precision`).
        let adam = matches!(k.optimizer, Optimizer::Adamw | Optimizer::Adamw8bit);
        if !k.offload.optimizer && self.dev.class != DeviceClass::Cpu && adam {
            k.offload.optimizer = true;
            k.optimizer = Optimizer::Adamw;
            out.push((
                FallbackAction::OffloadOptimizer,
                String::from(
                    "optimizer states and fp32 master weights in host memory, the step on the CPU (DeepSpeed ZeRO-Offload, CPU Adam; 16-bit weights on the device)",
                ),
                k,
            ));
        }
        // Halved only while the result stays at the search's shortest sequence or above.
        if k.sequence >= 2 * MIN_SEQUENCE {
            k.sequence /= 2;
            out.push((
                FallbackAction::HalveSequence,
                format!("sequence {} tokens", k.sequence),
                k,
            ));
        }
        out
    }
}

/// Most layouts a mesh configuration's ladder lists.
const MESH_FALLBACKS: usize = 3;

/// A mesh configuration's ladder: the other layouts the search kept that need less memory per
/// device than the chosen one, the least change first (highest peak), each with its step time
/// against the chosen one's. Each replaces the layout, not adds to the earlier ones.
pub(super) fn mesh_fallbacks(mesh: &crate::mesh::MeshPlan) -> Vec<Fallback> {
    let Some(best) = mesh.candidates.first() else {
        return Vec::new();
    };
    let mut lower: Vec<&crate::mesh::MeshCandidate> = mesh.candidates[1..]
        .iter()
        .filter(|c| c.peak_bytes < best.peak_bytes)
        .collect();
    lower.sort_by_key(|c| core::cmp::Reverse(c.peak_bytes));
    lower
        .into_iter()
        .take(MESH_FALLBACKS)
        .map(|c| {
            let l = &c.layout;
            Fallback {
                action: FallbackAction::MeshLayout,
                description: format!(
                    "layout {} {} micro-batch {} recompute {}: step {:.2} s ({:+.0} %)",
                    l.axes(),
                    l.sharding.as_str(),
                    l.micro_batch,
                    c.recompute.as_str(),
                    c.time.step_s,
                    (c.time.step_s / best.time.step_s - 1.0) * 100.0
                ),
                peak_bytes: c.peak_bytes,
            }
        })
        .collect()
}
