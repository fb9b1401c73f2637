//! The knob search for one model in one mode: the longest sequence, the least recomputation and
//! the largest micro-batch whose peak stays within the mode's memory target, with memory-saving
//! optimizer stages when nothing else fits.

use alloc::vec;
use alloc::vec::Vec;

use super::device::DeviceClass;
use super::modes::Mode;
use super::planner::Planner;
use crate::error::Result;
use crate::estimate::Estimate;
use crate::model::ModelSpec;
use crate::request::{Checkpointing, Offload, Optimizer, Sharding, Task};

/// Shortest sequence the search tries, tokens. A planner choice: below it a language model sees
/// too little context to be worth training, and the activation memory it saves is small.
pub(crate) const MIN_SEQUENCE: u64 = 128;

/// Largest micro-batch the search tries: a bound on the doubling, not a limit any mode reaches
/// (a planner choice; 65,536 sequences of the shortest sequence are 8M tokens per device).
const MAX_MICRO_BATCH: u64 = 1 << 16;

/// Most sequences one device serves at once when the goal gives no concurrency: a planner
/// choice that bounds the search, so a tiny model on a large device does not report an
/// unboundedly large batch.
const MAX_SERVE_SEQUENCES: u64 = 4096;

/// Micro-batches per optimizer step assumed while searching a training configuration. Any number
/// above 1 makes the estimate keep the gradients resident between micro-batches, the larger of
/// the two peaks, so a configuration found here still fits once the global batch sets the real
/// number.
const SEARCH_ACCUMULATION: u64 = 2;

/// The largest micro-batch up to `n` of the form 1, 2, 2^k or 3·2^(k-1) (k ≥ 2): 1, 2, 4, 6, 8,
/// 12, 16, 24, 32, ... Every such size above 1 is even, so half of it divides any whole number
/// of micro-batches and the out-of-memory ladder's `halve_micro_batch` keeps the global batch
/// exactly with a micro-batch exactly half as large (a prime such as 13 or 23 only allows a jump
/// to 1 or 2). A planner choice; it keeps at least two thirds of the largest micro-batch that
/// fits (3 becomes 2; above that the loss is under a third: 5 becomes 4, 23 becomes 16).
pub(super) fn gentle_micro_batch(n: u64) -> u64 {
    if n < 4 {
        return n.min(2);
    }
    let p = 1u64 << (63 - n.leading_zeros());
    if n >= p + p / 2 {
        p + p / 2
    } else {
        p
    }
}

/// The knobs of one candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Knobs {
    pub micro_batch: u64,
    pub sequence: u64,
    pub checkpointing: Checkpointing,
    pub optimizer: Optimizer,
    pub sharding: Sharding,
    pub offload: Offload,
    pub accumulation: u64,
}

/// A fitting candidate and its estimate, when one was found.
pub(super) type Found = Option<(Knobs, Estimate)>;

/// A micro-batch range, inclusive.
#[derive(Debug, Clone, Copy)]
struct MicroBatches {
    lo: u64,
    hi: u64,
}

impl Planner<'_> {
    /// The largest micro-batch in `range` whose peak stays within `target` and whose host memory
    /// within `host_target`, with its estimate.
    fn largest_micro_batch(
        &self,
        spec: &ModelSpec,
        base: Knobs,
        task: Task,
        range: MicroBatches,
        (target, host_target): (u64, Option<u64>),
    ) -> Result<Found> {
        let fits = |mb: u64| -> Result<Option<Estimate>> {
            let k = Knobs {
                micro_batch: mb,
                ..base
            };
            let e = self.estimate(spec, &k, task)?;
            let host_fits = host_target.is_none_or(|h| e.host_bytes <= h);
            Ok((e.peak_bytes <= target && host_fits).then_some(e))
        };
        let Some(mut best) = fits(range.lo)? else {
            return Ok(None);
        };
        let mut good = range.lo;
        // Double until it no longer fits, then bisect between the last fit and the first miss.
        let mut bad = None;
        while good < range.hi {
            let next = good.saturating_mul(2).min(range.hi).min(MAX_MICRO_BATCH);
            if next == good {
                break;
            }
            match fits(next)? {
                Some(e) => {
                    good = next;
                    best = e;
                }
                None => {
                    bad = Some(next);
                    break;
                }
            }
        }
        if let Some(mut miss) = bad {
            while miss - good > 1 {
                let mid = good + (miss - good) / 2;
                match fits(mid)? {
                    Some(e) => {
                        good = mid;
                        best = e;
                    }
                    None => miss = mid,
                }
            }
        }
        // A training micro-batch is taken down to the nearest gentle size, so the out-of-memory
        // ladder's first step halves it exactly; a micro-batch the goal fixes stays.
        let gentle = gentle_micro_batch(good);
        if task.trains() && self.goal.micro_batch.is_none() && gentle != good && gentle >= range.lo
        {
            if let Some(e) = fits(gentle)? {
                good = gentle;
                best = e;
            }
        }
        Ok(Some((
            Knobs {
                micro_batch: good,
                ..base
            },
            best,
        )))
    }

    /// The sequences to try, longest first: the goal's, else the mode's range within the model's
    /// positions, halving to one step below the range but never under [`MIN_SEQUENCE`].
    fn sequences(&self, spec: &ModelSpec, mode: Mode) -> Vec<u64> {
        let s = mode.settings();
        let max_seq = spec.max_positions.max(1);
        if let Some(seq) = self.goal.sequence {
            return vec![seq];
        }
        let mut v = Vec::new();
        let mut seq = s.sequence.1.min(max_seq);
        while seq >= MIN_SEQUENCE {
            v.push(seq);
            if seq < s.sequence.0.min(max_seq) {
                // One step below the range before giving up.
                break;
            }
            seq /= 2;
        }
        if v.is_empty() {
            v.push(max_seq);
        }
        v
    }

    /// The micro-batch range of the mode, the goal's micro-batch, or serving's concurrency.
    fn micro_batches(&self, mode: Mode, task: Task) -> MicroBatches {
        let (lo, hi) = match (self.goal.micro_batch, self.goal.concurrency, task) {
            (Some(mb), _, _) => (mb, mb),
            // Serving: the concurrency asked for, else as many sequences as fit.
            (None, Some(c), Task::Decode) => {
                let per_device = c.div_ceil(self.dev.count);
                (per_device, per_device)
            }
            (None, None, Task::Decode) => (1, MAX_SERVE_SEQUENCES),
            (None, _, _) => mode.settings().micro_batch,
        };
        MicroBatches { lo, hi }
    }

    /// Optimizer stages, tried in order, each only when the earlier ones do not fit: the plain
    /// optimizer; then, when memory saving is allowed, 8-bit AdamW states and those states in
    /// host memory. A given model needs them to fit at all; for pretraining only extreme trades
    /// them for a larger model, the other modes keep them in the fallback ladder.
    fn optimizer_stages(&self, mode: Mode, task: Task) -> Vec<(Optimizer, Offload)> {
        let g = self.goal;
        let optimizer = g.optimizer.unwrap_or(Optimizer::Adamw);
        let mut stages = vec![(optimizer, Offload::default())];
        if task.trains() && (self.given.is_some() || mode == Mode::Extreme) {
            let saving = if g.optimizer.is_none() && optimizer == Optimizer::Adamw {
                Optimizer::Adamw8bit
            } else {
                optimizer
            };
            if saving != optimizer {
                stages.push((saving, Offload::default()));
            }
            // DeepSpeed's offloaded step is its CPU Adam on fp32 states (`DeepSpeedCPUAdam`;
            // 8-bit AdamW is a GPU kernel of bitsandbytes), so the states go to the host as
            // AdamW's; another optimizer the user fixed is not offloaded. On a cluster the mesh
            // search (tensor, pipeline, sharding layouts) comes first, and it plans no offload.
            let offloadable = self.dev.class != DeviceClass::Cpu && self.cluster.is_none();
            if offloadable && optimizer == Optimizer::Adamw {
                let offload = Offload {
                    optimizer: true,
                    parameters: false,
                };
                stages.push((Optimizer::Adamw, offload));
            }
        }
        stages
    }

    /// The best knobs for a model within the mode: the longest sequence of the mode's range, no
    /// recomputation when possible, the largest micro-batch of the range. Falls below the ranges
    /// (micro-batch 1, shorter sequences) before giving up; `None` when nothing fits.
    pub fn fit_model(
        &self,
        spec: &ModelSpec,
        mode: Mode,
        task: Task,
        target: u64,
    ) -> Result<Found> {
        let s = mode.settings();
        let g = self.goal;
        let max_seq = spec.max_positions.max(1);
        let sequences = self.sequences(spec, mode);
        let checkpointing: Vec<Checkpointing> = match g.checkpointing {
            Some(c) => vec![c],
            // `prepare_model_for_kbit_training(use_gradient_checkpointing=True)`: QLoRA recomputes.
            None if task == Task::Qlora => vec![Checkpointing::Full],
            None => vec![Checkpointing::None, Checkpointing::Full],
        };
        let shardings: Vec<Sharding> = match (g.sharding, self.dev.count) {
            (Some(sh), _) => vec![sh],
            (None, 1) => vec![Sharding::None],
            (None, _) => vec![Sharding::None, Sharding::Zero2, Sharding::Zero3],
        };
        let range = self.micro_batches(mode, task);
        // Below the range: micro-batches from 1 up to just under the range's lower end, when the
        // goal fixes neither the micro-batch nor the concurrency.
        let below = (range.lo > 1 && g.micro_batch.is_none() && g.concurrency.is_none()).then_some(
            MicroBatches {
                lo: 1,
                hi: range.lo - 1,
            },
        );
        // For each stage and sequence (longest first): the mode's micro-batch range with each
        // sharding and recomputation choice, then below the range, down to 1. Extreme takes,
        // among the sequences of its range, the fit that uses the most memory ("the largest
        // that fits"); the other modes the longest sequence that fits.
        let widest = mode == Mode::Extreme && g.sequence.is_none();
        let accumulation = if task.trains() {
            SEARCH_ACCUMULATION
        } else {
            1
        };
        let targets = (target, self.host_target(mode));
        for (optimizer, offload) in self.optimizer_stages(mode, task) {
            let mut best: Found = None;
            'sequence: for &sequence in &sequences {
                if widest && sequence < s.sequence.0.min(max_seq) && best.is_some() {
                    break;
                }
                for r in core::iter::once(range).chain(below) {
                    for &sharding in &shardings {
                        for &ckpt in &checkpointing {
                            let k = Knobs {
                                micro_batch: r.lo,
                                sequence,
                                checkpointing: ckpt,
                                optimizer,
                                sharding,
                                offload,
                                accumulation,
                            };
                            let Some(found) =
                                self.largest_micro_batch(spec, k, task, r, targets)?
                            else {
                                continue;
                            };
                            if !widest {
                                return Ok(Some(found));
                            }
                            let better = best
                                .as_ref()
                                .is_none_or(|(_, b)| found.1.peak_bytes > b.peak_bytes);
                            if better {
                                best = Some(found);
                            }
                            continue 'sequence;
                        }
                    }
                }
            }
            if best.is_some() {
                return Ok(best);
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::gentle_micro_batch;

    #[test]
    fn gentle_micro_batches_halve_exactly() {
        // The plans that motivated the rule: 23 (global batch 46 = 2 x 23) and 13 (26 = 2 x 13)
        // left the ladder a jump to 2; 16 and 12 halve to 8 and 6.
        assert_eq!(gentle_micro_batch(23), 16);
        assert_eq!(gentle_micro_batch(13), 12);
        assert_eq!(gentle_micro_batch(5), 4);
        assert_eq!(gentle_micro_batch(3), 2);
        assert_eq!(gentle_micro_batch(1), 1);
        assert_eq!(gentle_micro_batch(0), 0);
        assert_eq!(gentle_micro_batch(48), 48);
        assert_eq!(gentle_micro_batch(47), 32);
        for n in 1..5000u64 {
            let g = gentle_micro_batch(n);
            assert!(g <= n && 3 * g >= 2 * n, "{n} -> {g}");
            // Half of it divides every multiple of it.
            assert!(g == 1 || g % 2 == 0, "{n} -> {g}");
        }
    }
}
