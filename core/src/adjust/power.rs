//! Throttling and battery: a pause, a lower power limit, and what it costs in time.

use alloc::format;
use alloc::string::String;

use super::assess::Context;
use super::decision::{Action, Changes, Decision};
use super::observation::ThrottleCause;
use crate::error::Result;
use crate::plan::{speed_at_power, Mode};

/// Seconds to pause on a thermal limit before resuming at a lower cap. A planner choice, not a
/// measurement: a cooler's thermal time constant (Newton's law of cooling, T − T_ambient falling
/// as e^(−t/τ)) is not in the plan; a minute lets the temperature fall well below the slowdown
/// threshold for heat sinks whose τ is tens of seconds, and costs under 2 % of an hour's run.
pub const THERMAL_PAUSE_S: f64 = 60.0;

/// The power limits an adjustment steps through, as shares of TDP: the modes' power fractions
/// (modes table: extreme 90–100 %, balanced 60–80 %, conservative under 40 %), highest first,
/// then the device's lowest settable limit.
fn cap_ladder() -> [f64; 3] {
    [
        Mode::Extreme.settings().power_fraction,
        Mode::Balanced.settings().power_fraction,
        Mode::Conservative.settings().power_fraction,
    ]
}

/// The next lower power limit per device than the configuration's, W: the next of
/// [`cap_ladder`] below it, else the device's lowest settable limit; `None` when the limit
/// cannot be set (no NVML power limits in the profile) or is at its lowest.
fn next_cap(cx: &Context<'_>) -> Option<f64> {
    let d = &cx.plan.device;
    if cx.cpu {
        return None;
    }
    let tdp = d.tdp_w?;
    let min = d.power_min_w?;
    let now = cx.c.power.power_cap_w.unwrap_or(tdp);
    cap_ladder()
        .iter()
        .map(|f| (tdp * f).max(min))
        .find(|&w| w < now)
        .or((min < now).then_some(min))
}

/// Thermal: pause, then resume at the next lower cap when one can be set; power: the next lower
/// cap, or nothing to change at the lowest.
pub(super) fn throttling(
    cx: &Context<'_>,
    reason: ThrottleCause,
    temperature_c: Option<f64>,
) -> Result<Decision> {
    let at = temperature_c.map_or(String::new(), |t| format!(" at {t:.0} °C"));
    let cap = next_cap(cx);
    match (reason, cap) {
        (ThrottleCause::Thermal, Some(w)) => {
            let (next, cost) = capped(cx, w)?;
            let mut d = cx.decide(
                Action::Pause,
                format!(
                    "thermal throttling{at}: pause {THERMAL_PAUSE_S:.0} s to cool, then resume \
                     at a {w:.0} W limit per device{cost}"
                ),
                next,
                None,
            );
            if let Some(set) = d.set.as_mut() {
                set.pause_s = Some(THERMAL_PAUSE_S);
            }
            Ok(d)
        }
        (ThrottleCause::Thermal, None) => Ok(cx.stay(
            Action::Pause,
            format!(
                "thermal throttling{at}: pause {THERMAL_PAUSE_S:.0} s to cool; {}",
                no_cap(cx)
            ),
            Changes {
                pause_s: Some(THERMAL_PAUSE_S),
                ..Changes::default()
            },
        )),
        (ThrottleCause::Power, Some(w)) => {
            let (next, cost) = capped(cx, w)?;
            Ok(cx.decide(
                Action::PowerCap,
                format!(
                    "power throttling{at}: a {w:.0} W limit per device holds the clock steady \
                     below the limit it hits{cost}"
                ),
                next,
                None,
            ))
        }
        (ThrottleCause::Power, None) => Ok(cx.stay(
            Action::Continue,
            format!("power throttling{at}: {}", no_cap(cx)),
            Changes::default(),
        )),
    }
}

/// On battery: the conservative mode's power share, the lowest of the modes (seed 001 §8,
/// "battery detection with training adaptation for laptops"), when the limit can be set and is
/// above it; else a pause until the machine is on mains power.
pub(super) fn battery(cx: &Context<'_>) -> Result<Decision> {
    let d = &cx.plan.device;
    let share = Mode::Conservative.settings().power_fraction;
    if let (Some(tdp), Some(min), false) = (d.tdp_w, d.power_min_w, cx.cpu) {
        let w = (tdp * share).max(min);
        if cx.c.power.power_cap_w.unwrap_or(tdp) > w {
            let (next, cost) = capped(cx, w)?;
            return Ok(cx.decide(
                Action::PowerCap,
                format!(
                    "on battery: a {w:.0} W limit per device ({:.0} % of the {tdp:.0} W TDP, \
                     the conservative mode's share){cost}",
                    share * 100.0
                ),
                next,
                None,
            ));
        }
    }
    Ok(cx.stay(
        Action::Pause,
        format!(
            "on battery: {}; pause until the machine is on mains power",
            no_cap(cx)
        ),
        Changes::default(),
    ))
}

/// The configuration at a cap of `w` per device, and its cost in time as a clause.
fn capped(cx: &Context<'_>, w: f64) -> Result<(crate::plan::Configuration, String)> {
    let mut s = cx.setting();
    s.power_cap_w = Some(w);
    let next = cx.assess(&s, cx.c.memory.clone())?;
    let tdp = cx.plan.device.tdp_w.unwrap_or(w);
    let speed_now = speed_at_power(cx.c.power.power_cap_w.unwrap_or(tdp) / tdp);
    let speed = speed_at_power(w / tdp);
    let cost = match (cx.c.time.step_s, next.time.step_s) {
        (Some(a), Some(b)) => format!(
            ": {:.0} % of full speed instead of {:.0} % (f ∝ P^(1/3)), step {a:.2} s → {b:.2} s",
            speed * 100.0,
            speed_now * 100.0
        ),
        _ => format!(
            ": {:.0} % of full speed instead of {:.0} % (f ∝ P^(1/3))",
            speed * 100.0,
            speed_now * 100.0
        ),
    };
    Ok((next, cost))
}

/// Why no lower cap is available, with the numbers.
fn no_cap(cx: &Context<'_>) -> String {
    let d = &cx.plan.device;
    if cx.cpu {
        return String::from("a CPU's power limit is not set from here");
    }
    match (d.tdp_w, d.power_min_w) {
        (Some(_), Some(min)) => format!(
            "the limit is already the device's lowest settable, {min:.0} W; improve the cooling \
             or lower the room temperature"
        ),
        _ => format!(
            "the power limit of {} cannot be set (the profile reports no settable limit)",
            d.name
        ),
    }
}
