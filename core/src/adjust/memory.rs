//! Memory observations: out of memory, memory pressure, swap. Each implies a budget for the
//! predicted peak per device; the first step of the fallback ladder whose re-estimated peak is
//! within it is the decision.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::assess::{none_left, Context, Setting};
use super::decision::{Action, Changes, Decision};
use super::gib;
use crate::error::Result;
use crate::estimate::Estimate;
use crate::plan::DeviceClass;
use crate::request::{Offload, Precision};

/// Share of device memory above which memory is under pressure: `trainfit watch` alerts above
/// 95 % of capacity (issue 15, "Alerts with numbers"), extreme mode's memory target (modes table).
pub const PRESSURE_SHARE: f64 = 0.95;

/// How far above the predicted peak memory may run before it counts as pressure: 10 % (issue 15,
/// "memory above the predicted peak by more than 10 %").
pub const ABOVE_PREDICTION: f64 = 0.10;

/// Out of memory: the real peak is at least what was held plus what was asked for, so the
/// prediction was short by that ratio; the budget for the next prediction is the capacity
/// scaled down by it, and always below the current prediction.
pub(super) fn out_of_memory(
    cx: &Context<'_>,
    requested: Option<u64>,
    used: Option<u64>,
    capacity: Option<u64>,
) -> Result<Decision> {
    let c = cx.c;
    let predicted = c.memory.peak_bytes;
    let capacity = capacity.unwrap_or(cx.plan.device.usable_bytes);
    let at_least = used.unwrap_or(0).saturating_add(requested.unwrap_or(0));
    let below = predicted.saturating_sub(1);
    let (budget, why) = if at_least > predicted {
        // capacity × predicted / real, in integers.
        let scaled = (u128::from(capacity) * u128::from(predicted) / u128::from(at_least)) as u64;
        let budget = scaled.min(below);
        (
            budget,
            format!(
                "out of memory: the job needed at least {} ({} held + {} requested) where {} \
                 was predicted, {:.3} times the prediction, so the {} device takes a predicted \
                 peak of {}",
                gib(at_least),
                gib(used.unwrap_or(0)),
                gib(requested.unwrap_or(0)),
                gib(predicted),
                at_least as f64 / predicted as f64,
                gib(capacity),
                gib(budget)
            ),
        )
    } else if capacity < predicted {
        (
            capacity,
            format!(
                "out of memory: the device holds {} but {} was predicted",
                gib(capacity),
                gib(predicted)
            ),
        )
    } else {
        (
            below,
            format!(
                "out of memory at the predicted peak of {}: any lower peak",
                gib(predicted)
            ),
        )
    };
    descend(cx, budget, why)
}

/// Memory pressure: above [`PRESSURE_SHARE`] of capacity, the budget is that share less what was
/// held beyond the prediction; above the prediction by more than [`ABOVE_PREDICTION`] but below
/// the share, nothing to change yet.
pub(super) fn pressure(
    cx: &Context<'_>,
    used: u64,
    capacity: u64,
    predicted: Option<u64>,
) -> Result<Decision> {
    let c = cx.c;
    let predicted = predicted.unwrap_or(c.memory.peak_bytes);
    let limit = (capacity as f64 * PRESSURE_SHARE) as u64;
    let beyond = used.saturating_sub(predicted);
    if used < limit {
        let above = used as f64 / predicted.max(1) as f64 - 1.0;
        let why = if above > ABOVE_PREDICTION {
            format!(
                "{} in use is {:.0} % above the predicted {} but below {:.0} % of the {} \
                 device ({}): the estimate is short, the job still fits",
                gib(used),
                above * 100.0,
                gib(predicted),
                PRESSURE_SHARE * 100.0,
                gib(capacity),
                gib(limit)
            )
        } else {
            format!(
                "{} in use is below {:.0} % of the {} device ({}) and within {:.0} % of the \
                 predicted {}",
                gib(used),
                PRESSURE_SHARE * 100.0,
                gib(capacity),
                gib(limit),
                ABOVE_PREDICTION * 100.0,
                gib(predicted)
            )
        };
        return Ok(cx.stay(Action::Continue, why, Changes::default()));
    }
    let budget = limit
        .saturating_sub(beyond)
        .min(c.memory.peak_bytes.saturating_sub(1));
    let why = format!(
        "memory pressure: {} in use of {} is above {:.0} % ({}); {} of it beyond the predicted \
         {}, so the predicted peak must stay within {}",
        gib(used),
        gib(capacity),
        PRESSURE_SHARE * 100.0,
        gib(limit),
        gib(beyond),
        gib(predicted),
        gib(budget)
    );
    descend(cx, budget, why)
}

/// Swap in use. Where the device's memory is the host's (a CPU, unified memory), the job's
/// working set exceeds RAM by at least the swapped bytes: the budget is the predicted peak less
/// them. On a discrete GPU the host holds offloaded optimizer states: keep them on the device
/// when it has room within the mode's target.
pub(super) fn swap(cx: &Context<'_>, swap_used: u64) -> Result<Decision> {
    let c = cx.c;
    let d = &cx.plan.device;
    if swap_used == 0 {
        return Ok(cx.stay(
            Action::Continue,
            String::from("no swap in use"),
            Changes::default(),
        ));
    }
    if d.unified_memory || d.class == DeviceClass::Cpu {
        let budget = c.memory.peak_bytes.saturating_sub(swap_used);
        let why = format!(
            "{} of swap in use: the job's memory is the host's, so its {} peak exceeds RAM by \
             at least that much, which leaves a predicted peak of {}",
            gib(swap_used),
            gib(c.memory.peak_bytes),
            gib(budget)
        );
        return descend(cx, budget, why);
    }
    if c.offload.optimizer && !cx.mesh() {
        let mut s = cx.setting();
        s.knobs.offload = Offload {
            optimizer: false,
            ..s.knobs.offload
        };
        let e = cx.estimate(&s)?;
        if e.peak_bytes <= c.memory_target_bytes {
            let freed = c.memory.host_bytes.saturating_sub(e.host_bytes);
            let why = format!(
                "{} of swap in use while the optimizer states hold {} of host memory: on the \
                 device the peak is {}, within the {} target",
                gib(swap_used),
                gib(freed),
                gib(e.peak_bytes),
                gib(c.memory_target_bytes)
            );
            let next = cx.assess(&s, e)?;
            return Ok(cx.decide(Action::KeepOptimizerOnDevice, why, next, None));
        }
        return Ok(none_left(
            format!(
                "{} of swap in use; the offloaded optimizer states hold {} of host memory but on \
                 the device the peak would be {}, above the {} target: free host memory \
                 (fewer DataLoader workers, other processes)",
                gib(swap_used),
                gib(c.memory.host_bytes),
                gib(e.peak_bytes),
                gib(c.memory_target_bytes)
            ),
            None,
        ));
    }
    Ok(cx.stay(
        Action::Continue,
        format!(
            "{} of swap in use, but the configuration keeps only {} on the host: the swapped \
             memory belongs to what the plan does not model (DataLoader workers, the dataset in \
             memory, other processes); lower the DataLoader's num_workers",
            gib(swap_used),
            gib(c.memory.host_bytes)
        ),
        Changes::default(),
    ))
}

/// The recipe with fewer bytes per value that keeps the compute dtype: bf16 weights instead of
/// fp32 weights under bf16 autocast or bf16 compute with an fp32 master copy (the device runs
/// bf16 already). None from fp16 recipes: pure fp16 training loses small updates without an fp32
/// master copy (Micikevicius et al. 2018, "Mixed Precision Training", §3.1), nor from fp32,
/// where the plan does not say whether the device has bf16.
fn lower_precision(p: Precision) -> Option<Precision> {
    match p {
        Precision::AmpBf16 | Precision::MixedBf16 => Some(Precision::Bf16),
        _ => None,
    }
}

/// The ladder from the configuration with the lower recipe before the shorter sequence: every
/// step on top of the earlier ones.
fn steps(cx: &Context<'_>, now: Setting) -> Vec<(Action, String, Setting)> {
    let serving = matches!(cx.task(), crate::request::Task::Decode);
    let mut out: Vec<(Action, String, Setting)> = Vec::new();
    let mut lowered = false;
    for (action, description, mut s) in cx.ladder(&now) {
        if serving && !matches!(action, Action::HalveMicroBatch | Action::HalveSequence) {
            continue;
        }
        if action == Action::HalveSequence && !lowered {
            lowered = true;
            push_lower(cx, &mut out, &now);
        }
        if lowered {
            if let Some(p) = lower_precision(now.precision).filter(|_| !serving) {
                s.precision = p;
            }
        }
        out.push((action, description, s));
    }
    if !lowered {
        push_lower(cx, &mut out, &now);
    }
    out
}

fn push_lower(cx: &Context<'_>, out: &mut Vec<(Action, String, Setting)>, now: &Setting) {
    if matches!(cx.task(), crate::request::Task::Decode) {
        return;
    }
    if let Some(p) = lower_precision(now.precision) {
        let mut s = out.last().map_or(*now, |l| l.2);
        s.precision = p;
        out.push((
            Action::LowerPrecision,
            format!(
                "{} weights instead of {} (no fp32 copy of the weights)",
                p.as_str(),
                now.precision.as_str()
            ),
            s,
        ));
    }
}

/// The first step from `start` whose re-estimated peak is within `budget`: its action, the
/// descriptions of the steps taken, its setting and estimate; else the lowest peak of the ladder.
pub(super) fn first_fit(
    cx: &Context<'_>,
    start: Setting,
    budget: u64,
) -> core::result::Result<(Action, String, Setting, Estimate), Option<u64>> {
    let mut lowest: Option<u64> = None;
    let mut taken: Vec<String> = Vec::new();
    for (action, description, s) in steps(cx, start) {
        taken.push(description);
        let Ok(e) = cx.estimate(&s) else { continue };
        lowest = Some(lowest.map_or(e.peak_bytes, |l| l.min(e.peak_bytes)));
        if e.peak_bytes <= budget {
            return Ok((action, taken.join(", then "), s, e));
        }
    }
    Err(lowest)
}

/// The first step whose re-estimated peak is within `budget`, or `none_left`.
fn descend(cx: &Context<'_>, budget: u64, why: String) -> Result<Decision> {
    if cx.mesh() {
        return Ok(none_left(
            format!(
                "{why}; a cluster configuration's fallbacks are other mesh layouts ({}): re-plan \
                 with `trainfit plan` and a memory target below {}",
                cx.c.fallbacks.len(),
                gib(budget)
            ),
            Some(budget),
        ));
    }
    let lowest = match first_fit(cx, cx.setting(), budget) {
        Ok((action, taken, s, e)) => {
            let reason = format!(
                "{why}; {taken}: predicted peak {} (was {})",
                gib(e.peak_bytes),
                gib(cx.c.memory.peak_bytes)
            );
            let next = cx.assess(&s, e)?;
            return Ok(cx.decide(action, reason, next, Some(budget)));
        }
        Err(lowest) => lowest,
    };
    Ok(none_left(
        match lowest {
            Some(l) => format!(
                "{why}; the whole fallback ladder gets the peak down to {} at least, above the \
                 budget",
                gib(l)
            ),
            None => format!("{why}; the configuration has no fallback step left"),
        },
        Some(budget),
    ))
}
