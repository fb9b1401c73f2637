//! A slower step than predicted: what the time model's breakdown points at.

use alloc::format;
use alloc::string::String;

use super::assess::Context;
use super::decision::{Action, Changes, Decision};
use crate::error::Result;
use crate::request::Offload;

/// How much slower than predicted a step may be before it counts: 25 % (issue 15, "a step slower
/// than predicted by more than 25 %").
pub const SLOW_STEP: f64 = 0.25;

/// Within [`SLOW_STEP`]: nothing to change. Beyond it, the largest per-step cost of the time
/// model's breakdown that is paid once per optimizer step, exposed communication or the
/// offloaded optimizer step, when it is at least [`SLOW_STEP`] of the compute: doubling the
/// accumulation spreads it over twice the tokens (DDP all-reduces gradients once per optimizer
/// step when the other micro-batches run under `no_sync`, PyTorch DDP documentation; ZeRO-Offload
/// runs the CPU step once per optimizer step, Ren et al. 2021, §4). A smaller cost cannot by
/// itself make a step 25 % slower, so then the cause is outside the model.
pub(super) fn slow_step(
    cx: &Context<'_>,
    measured: f64,
    predicted: Option<f64>,
) -> Result<Decision> {
    let c = cx.c;
    let Some(predicted) = predicted.or(c.time.step_s) else {
        return Ok(cx.stay(
            Action::Continue,
            format!(
                "step of {measured:.2} s, but the plan predicts no step time (the device's speed \
                 is unknown)"
            ),
            Changes::default(),
        ));
    };
    let slower = measured / predicted - 1.0;
    if slower <= SLOW_STEP {
        return Ok(cx.stay(
            Action::Continue,
            format!(
                "step of {measured:.2} s against {predicted:.2} s predicted: {:.0} % slower, \
                 within {:.0} %",
                slower * 100.0,
                SLOW_STEP * 100.0
            ),
            Changes::default(),
        ));
    }
    let seen = format!(
        "step of {measured:.2} s against {predicted:.2} s predicted: {:.0} % slower",
        slower * 100.0
    );
    let Some(b) = c.time.breakdown.as_ref() else {
        return Ok(cx.stay(
            Action::Continue,
            format!("{seen}; the plan has no time breakdown to attribute it"),
            Changes::default(),
        ));
    };
    let communication: f64 = b.communication.iter().map(|a| a.exposed_s).sum();
    let offload = if c.offload.optimizer {
        b.optimizer_s + b.offload_s
    } else {
        b.offload_s
    };
    let compute = b.compute_s + b.recompute_s;
    let (what, cost) = if offload > communication {
        ("the offloaded optimizer step and copies", offload)
    } else {
        ("exposed gradient communication", communication)
    };
    if cost < SLOW_STEP * compute || cx.mesh() {
        return Ok(cx.stay(
            Action::Continue,
            format!(
                "{seen}; the time model puts {:.2} s in compute and {:.2} s in {what}, under \
                 {:.0} % of the compute: the cause is outside the model (input pipeline, \
                 throttling, other processes on the device)",
                compute,
                cost,
                SLOW_STEP * 100.0
            ),
            Changes::default(),
        ));
    }
    if offload > communication && c.offload.optimizer {
        // The device may hold the states within the mode's target: the CPU step disappears.
        let mut s = cx.setting();
        s.knobs.offload = Offload {
            optimizer: false,
            ..s.knobs.offload
        };
        let e = cx.estimate(&s)?;
        if e.peak_bytes <= c.memory_target_bytes {
            let reason = format!(
                "{seen}; the time model puts {cost:.2} s of it in {what}; on the device the \
                 optimizer states fit: peak {} within the {} target",
                super::gib(e.peak_bytes),
                super::gib(c.memory_target_bytes)
            );
            let next = cx.assess(&s, e)?;
            return Ok(cx.decide(Action::KeepOptimizerOnDevice, reason, next, None));
        }
    }
    let mut s = cx.setting();
    s.knobs.accumulation = s.knobs.accumulation.saturating_mul(2);
    s.global_batch = s
        .knobs
        .micro_batch
        .saturating_mul(s.devices)
        .saturating_mul(s.knobs.accumulation);
    let e = cx.estimate(&s)?;
    let next = cx.assess(&s, e)?;
    let reason = format!(
        "{seen}; the time model puts {cost:.2} s of it in {what}, paid once per optimizer step, \
         against {compute:.2} s of compute: {} accumulation steps (global batch {} → {}) spread \
         it over twice the tokens{}; keep the learning rate or rescale it for the larger batch",
        s.knobs.accumulation,
        c.global_batch,
        s.global_batch,
        tokens(next.time.tokens_per_s, c.time.tokens_per_s)
    );
    Ok(cx.decide(Action::MoreAccumulation, reason, next, None))
}

fn tokens(after: Option<f64>, before: Option<f64>) -> String {
    match (before, after) {
        (Some(a), Some(b)) => format!(" ({a:.0} → {b:.0} tokens/s predicted)"),
        _ => String::new(),
    }
}
