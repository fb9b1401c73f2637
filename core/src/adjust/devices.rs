//! A lost device: the configuration re-planned on the devices left, or on the CPU (seed 001 §8,
//! "Hardware Failure: Graceful degradation (GPU failure → CPU fallback)").

use alloc::format;
use alloc::string::String;

use super::assess::{none_left, Context};
use super::decision::{Action, Changes, Decision, TargetDevice};
use super::gib;
use super::memory::first_fit;
use crate::error::Result;
use crate::plan::DeviceClass;
use crate::request::{Offload, Precision, Sharding};

/// Devices left: the same global batch through more accumulation on each, re-estimated, and
/// walked down the fallback ladder when the devices' larger share no longer fits the mode's
/// target; none left: the CPU.
pub(super) fn lost(cx: &Context<'_>, left: u64) -> Result<Decision> {
    let c = cx.c;
    if left >= c.devices {
        return Ok(cx.stay(
            Action::Continue,
            format!(
                "{left} devices left and the configuration uses {}",
                c.devices
            ),
            Changes::default(),
        ));
    }
    if cx.cpu || cx.plan.device.class == DeviceClass::Cpu {
        return Ok(none_left(
            String::from("the job already runs on the CPU: no device left to fall back to"),
            None,
        ));
    }
    if cx.mesh() {
        return Ok(none_left(
            format!(
                "{left} of {} devices left: a cluster's mesh layout does not shrink by device; \
                 re-plan the remaining machines with `trainfit plan`",
                c.devices
            ),
            None,
        ));
    }
    let mut s = cx.setting();
    if left == 0 {
        s.cpu = true;
        s.devices = 1;
        s.precision = Precision::Fp32;
        s.knobs.offload = Offload::default();
        s.knobs.sharding = Sharding::None;
    } else {
        s.devices = left;
    }
    // The same global batch, or the next multiple of the device count when it does not divide
    // it: each device takes `per_device` sequences per step, as the largest micro-batch up to
    // the current one that divides them times the accumulation.
    let per_device = c.global_batch.div_ceil(s.devices).max(1);
    let mb = (1..=s.knobs.micro_batch.min(per_device))
        .rev()
        .find(|mb| per_device % mb == 0)
        .unwrap_or(1);
    s.knobs.micro_batch = mb;
    s.knobs.accumulation = per_device / mb;
    s.global_batch = per_device.saturating_mul(s.devices);
    let kept = if s.global_batch == c.global_batch {
        format!("global batch {} kept", c.global_batch)
    } else {
        format!(
            "global batch {} → {}, the next multiple of the {} devices",
            c.global_batch, s.global_batch, s.devices
        )
    };
    if s.cpu {
        let e = cx.estimate(&s)?;
        let reason = format!(
            "no device left: training on the CPU in fp32 with micro-batch {} and {} \
             accumulation steps ({kept}); predicted peak {} of host memory; the plan holds no \
             figures for the CPU's speed or memory, so `trainfit plan` on this machine gives \
             its time",
            s.knobs.micro_batch,
            s.knobs.accumulation,
            gib(e.peak_bytes)
        );
        let mut next = cx.assess(&s, e)?;
        next.memory.fit = None;
        let mut d = cx.decide(Action::Cpu, reason, next, None);
        if let Some(set) = d.set.as_mut() {
            set.device = Some(TargetDevice::Cpu);
        }
        return Ok(d);
    }
    let target = c.memory_target_bytes;
    let e = cx.estimate(&s)?;
    let head = format!(
        "{left} of {} devices left: micro-batch {} with {} accumulation steps ({kept})",
        c.devices, s.knobs.micro_batch, s.knobs.accumulation
    );
    let (s, e, how) = if e.peak_bytes <= target {
        let how = format!("predicted peak {}", gib(e.peak_bytes));
        (s, e, how)
    } else {
        match first_fit(cx, s, target) {
            Ok((_, taken, s2, e2)) => {
                let how = format!(
                    "predicted peak {} above the {} target, so {taken}: predicted peak {}",
                    gib(e.peak_bytes),
                    gib(target),
                    gib(e2.peak_bytes)
                );
                (s2, e2, how)
            }
            Err(lowest) => {
                return Ok(none_left(
                    format!(
                        "{head}: predicted peak {} above the {} target, and the fallback ladder \
                         gets it down to {} at least",
                        gib(e.peak_bytes),
                        gib(target),
                        gib(lowest.unwrap_or(e.peak_bytes))
                    ),
                    Some(target),
                ))
            }
        }
    };
    let next = cx.assess(&s, e)?;
    let time = match (c.time.step_s, next.time.step_s) {
        (Some(a), Some(b)) => format!(", step {a:.2} s → {b:.2} s"),
        _ => String::new(),
    };
    Ok(cx.decide(
        Action::FewerDevices,
        format!("{head}; {how}{time}"),
        next,
        Some(target),
    ))
}
