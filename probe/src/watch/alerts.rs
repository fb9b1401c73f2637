//! The alerts of `trainfit watch`: each a condition on the samples with its threshold and
//! source, raised once when it starts to hold, and carried as the [`Observation`] the core's
//! `adjust` turns into the change that fixes it.

use std::collections::BTreeSet;

use serde::Serialize;
use trainfit_core::hardware::ThrottleReason;

use super::progress::{Progress, Speed};
use super::Sample;

/// Measured memory above the predicted peak by more than this share raises an alert (issue 15:
/// "memory above the predicted peak by more than 10 %", the accuracy bar the estimates are
/// tested to in `docs/accuracy.md`).
pub const OVER_PREDICTION: f64 = 0.10;
/// Memory above this share of capacity raises an alert (issue 15: 95 %): PyTorch's caching
/// allocator needs contiguous free blocks, and fragmentation makes an allocation fail before
/// the device is full (PyTorch docs, "CUDA semantics", memory management).
pub const NEAR_CAPACITY: f64 = 0.95;
/// A step slower than predicted by more than this share raises an alert (issue 15: 25 %).
pub const SLOW_STEP: f64 = 0.25;
/// Fewest step readings a growth fit needs.
pub const LEAK_MIN_POINTS: usize = 10;
/// Most recent step readings the growth fit uses.
pub const LEAK_WINDOW: usize = 50;
/// Least coefficient of determination of the fit for "steady" growth: memory that rises and
/// falls around a level (the allocator caching, evaluation passes) fits a line poorly.
pub const LEAK_MIN_R2: f64 = 0.9;
/// Readings of the first steps left out of the growth fit: the optimizer's states appear at the
/// first step and the caching allocator grows its pool over the first few (PyTorch docs, "CUDA
/// semantics", memory management), which is not a leak.
pub const LEAK_WARMUP_STEPS: u64 = 3;

/// What an observed condition implies, as the core's `adjust` reads it (the wire format shared
/// with the Python helpers: `"kind"`-tagged, snake_case); `ThrottleCause` is its
/// `thermal`/`power` reason.
pub use trainfit_core::adjust::{Observation, ThrottleCause};

/// What the plan predicts for the run, as the alerts need it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Expectation {
    /// Peak memory of one device, bytes.
    pub peak_bytes: Option<u64>,
    /// Seconds per optimizer step.
    pub step_s: Option<f64>,
    /// Optimizer steps of the run.
    pub steps: Option<u64>,
    /// Whether the plan trains on GPUs (else on the CPU, whose memory is the process tree's).
    pub gpu: bool,
}

/// The memory an alert compares: one device's, or the process tree's on the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MemoryReading {
    /// Bytes in use.
    pub bytes: u64,
    /// Bytes there are.
    pub capacity: Option<u64>,
    /// Bytes the whole device has in use (other processes too), for the capacity alert.
    pub device_bytes: u64,
    /// `gpu_process` (NVML or fdinfo per process), `gpu_device` (the device's total use),
    /// `process_rss` (the tree's resident memory) or `host` (the host's use).
    pub source: &'static str,
}

/// The memory of `sample` to compare with the plan's peak: on GPUs the fullest device, the
/// watched processes' share where the driver tells it; on the CPU the process tree's resident
/// memory, else the host's.
pub fn memory(sample: &Sample, gpu: bool) -> Option<MemoryReading> {
    if gpu {
        let fullest = sample
            .gpus
            .iter()
            .filter_map(|g| {
                let device = g.memory_used_bytes?;
                Some(match g.process_memory_bytes {
                    Some(p) => (p, device, g.memory_total_bytes, "gpu_process"),
                    None => (device, device, g.memory_total_bytes, "gpu_device"),
                })
            })
            .max_by_key(|m| m.1);
        if let Some((bytes, device, capacity, source)) = fullest {
            return Some(MemoryReading {
                bytes,
                capacity,
                device_bytes: device,
                source,
            });
        }
    }
    let h = &sample.host;
    let capacity = match (h.memory_total_bytes, h.memory_limit_bytes) {
        (Some(t), Some(l)) => Some(t.min(l)),
        (t, l) => t.or(l),
    };
    let host_used = h
        .memory_total_bytes
        .zip(h.memory_available_bytes)
        .map(|(t, a)| t.saturating_sub(a));
    match (&sample.process, host_used) {
        (Some(p), used) => Some(MemoryReading {
            bytes: p.rss_bytes,
            capacity,
            device_bytes: used.unwrap_or(p.rss_bytes).max(p.rss_bytes),
            source: "process_rss",
        }),
        (None, Some(used)) => Some(MemoryReading {
            bytes: used,
            capacity,
            device_bytes: used,
            source: "host",
        }),
        (None, None) => None,
    }
}

/// An alert: what holds, with its numbers, and the observation for `adjust`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Stable code: `memory_over_prediction`, `memory_near_capacity`, `memory_growth`,
    /// `thermal_throttling`, `power_throttling`, `swap`, `battery`, `slow_step`, `device_lost`.
    pub code: &'static str,
    /// What was measured against what, with the numbers.
    pub message: String,
    /// The training step when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// What the core's `adjust` is asked about.
    pub observation: Observation,
}

/// The alert rules and what they remember between samples.
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    expect: Expectation,
    /// Codes holding at the last sample: an alert is raised when its condition starts to hold.
    active: BTreeSet<&'static str>,
    /// `(step, bytes)` at each new step, for the growth fit.
    by_step: Vec<(u64, u64)>,
    first_step: Option<u64>,
    gpus_at_start: Option<usize>,
    swap_at_start: Option<u64>,
}

impl Monitor {
    /// Rules against what `expect` predicts.
    pub fn new(expect: Expectation) -> Monitor {
        Monitor {
            expect,
            ..Monitor::default()
        }
    }

    /// The alerts that start to hold at `sample`, given the run's progress and speed.
    pub fn observe(
        &mut self,
        sample: &Sample,
        progress: Option<&Progress>,
        speed: Speed,
    ) -> Vec<Alert> {
        let step = progress.map(|p| p.step);
        let mut holding: Vec<(&'static str, String, Observation)> = Vec::new();
        let mem = memory(sample, self.expect.gpu);
        if let Some(m) = mem {
            self.memory_rules(m, step, progress, &mut holding);
        }
        throttling(sample, &mut holding);
        let gpus = sample.gpus.len();
        let at_start = *self.gpus_at_start.get_or_insert(gpus);
        if gpus < at_start {
            holding.push((
                "device_lost",
                format!("{} of {at_start} GPUs left since the watch began", gpus),
                Observation::DeviceLost {
                    devices_left: gpus as u64,
                },
            ));
        }
        self.swap_rule(sample, &mut holding);
        if sample.host.on_battery == Some(true) {
            let charge = sample
                .host
                .battery_percent
                .map(|c| format!(" at {c:.0} %"))
                .unwrap_or_default();
            holding.push((
                "battery",
                format!(
                    "running on battery{charge}: laptops lower their power limits off the charger"
                ),
                Observation::Battery {},
            ));
        }
        if let (Some(measured), Some(predicted)) = (speed.step_s, self.expect.step_s) {
            if measured > predicted * (1.0 + SLOW_STEP) {
                holding.push((
                    "slow_step",
                    format!(
                        "a step takes {measured:.3} s, {:.0} % over the predicted {predicted:.3} s (alert above {:.0} %)",
                        (measured / predicted - 1.0) * 100.0,
                        SLOW_STEP * 100.0
                    ),
                    Observation::SlowStep {
                        measured_step_s: measured,
                        predicted_step_s: Some(predicted),
                    },
                ));
            }
        }
        let now: BTreeSet<&'static str> = holding.iter().map(|h| h.0).collect();
        let raised = holding
            .into_iter()
            .filter(|h| !self.active.contains(h.0))
            .map(|(code, message, observation)| Alert {
                code,
                message,
                step,
                observation,
            })
            .collect();
        self.active = now;
        raised
    }

    fn memory_rules(
        &mut self,
        m: MemoryReading,
        step: Option<u64>,
        progress: Option<&Progress>,
        holding: &mut Vec<(&'static str, String, Observation)>,
    ) {
        let what = match m.source {
            "gpu_process" => "the run's GPU memory",
            "gpu_device" => "GPU memory in use",
            "process_rss" => "the run's resident memory",
            _ => "memory in use",
        };
        if let Some(p) = self.expect.peak_bytes.filter(|p| *p > 0) {
            if m.bytes as f64 > p as f64 * (1.0 + OVER_PREDICTION) {
                holding.push((
                    "memory_over_prediction",
                    format!(
                        "{what} is {}, {:.0} % above the predicted peak {} (alert above {:.0} %)",
                        gib(m.bytes),
                        (m.bytes as f64 / p as f64 - 1.0) * 100.0,
                        gib(p),
                        OVER_PREDICTION * 100.0
                    ),
                    Observation::MemoryPressure {
                        used_bytes: m.bytes,
                        capacity_bytes: m.capacity.unwrap_or(m.bytes),
                        predicted_bytes: Some(p),
                    },
                ));
            }
        }
        if let Some(c) = m.capacity.filter(|c| *c > 0) {
            if m.device_bytes as f64 > c as f64 * NEAR_CAPACITY {
                holding.push((
                    "memory_near_capacity",
                    format!(
                        "{} of {} in use ({:.1} %, alert above {:.0} %)",
                        gib(m.device_bytes),
                        gib(c),
                        m.device_bytes as f64 / c as f64 * 100.0,
                        NEAR_CAPACITY * 100.0
                    ),
                    Observation::MemoryPressure {
                        used_bytes: m.device_bytes,
                        capacity_bytes: c,
                        predicted_bytes: self.expect.peak_bytes,
                    },
                ));
            }
        }
        let Some(step) = step else {
            return;
        };
        let first = *self.first_step.get_or_insert(step);
        if step >= first + LEAK_WARMUP_STEPS && self.by_step.last().is_none_or(|l| l.0 < step) {
            self.by_step.push((step, m.bytes));
            if self.by_step.len() > LEAK_WINDOW {
                self.by_step.remove(0);
            }
        }
        let end = progress.and_then(|p| p.max_steps).or(self.expect.steps);
        if let (Some(fit), Some(end), Some(c)) = (growth(&self.by_step), end, m.capacity) {
            let at_end = m.bytes as f64 + fit.slope * end.saturating_sub(step) as f64;
            if fit.slope > 0.0 && fit.r2 >= LEAK_MIN_R2 && at_end > c as f64 {
                let out_at = step as f64 + (c.saturating_sub(m.bytes)) as f64 / fit.slope;
                holding.push((
                    "memory_growth",
                    format!(
                        "{what} grows {} per step over {} steps (R² {:.2}): {} at step {end} exceeds the {} there is, which runs out near step {:.0}",
                        mib(fit.slope),
                        self.by_step.len(),
                        fit.r2,
                        gib(at_end as u64),
                        gib(c),
                        out_at
                    ),
                    Observation::MemoryPressure {
                        used_bytes: at_end.min(u64::MAX as f64) as u64,
                        capacity_bytes: c,
                        predicted_bytes: self.expect.peak_bytes,
                    },
                ));
            }
        }
    }

    fn swap_rule(
        &mut self,
        sample: &Sample,
        holding: &mut Vec<(&'static str, String, Observation)>,
    ) {
        let host_swap = sample.host.swap_used_bytes;
        let start = *self.swap_at_start.get_or_insert(host_swap.unwrap_or(0));
        let (bytes, whose) = match &sample.process {
            // The run's own pages in swap (`VmSwap`): the measure that matters.
            Some(p) if cfg!(target_os = "linux") => (p.swap_bytes, "of the run's memory"),
            // Elsewhere, and without a process: swap that grew since the watch began.
            _ => (
                host_swap.unwrap_or(0).saturating_sub(start),
                "more swap in use than at the start",
            ),
        };
        if bytes > 0 {
            holding.push((
                "swap",
                format!(
                    "{} {whose} is in swap: each page read back costs a disk access",
                    mib(bytes as f64)
                ),
                Observation::Swap {
                    swap_used_bytes: bytes,
                },
            ));
        }
    }
}

/// Thermal and power throttling from NVML's clocks-event reasons (nvml.h
/// `nvmlClocksEventReason*`): `sw_thermal_slowdown` and `hw_thermal_slowdown` are heat,
/// `sw_power_cap` and `hw_power_brake` the power limit; `hw_slowdown` is either (nvml.h: "HW
/// Slowdown ... temperature being too high, external power brake assertion, power draw too
/// high"), so it counts as heat at or above the slowdown temperature and as power below it.
fn throttling(sample: &Sample, holding: &mut Vec<(&'static str, String, Observation)>) {
    for g in &sample.gpus {
        let hot = g
            .temperature_c
            .zip(g.temperature_slowdown_c)
            .is_some_and(|(t, s)| t >= s);
        let thermal = g.throttle.iter().any(|r| {
            matches!(
                r,
                ThrottleReason::SwThermalSlowdown | ThrottleReason::HwThermalSlowdown
            ) || (*r == ThrottleReason::HwSlowdown && hot)
        });
        let power = g.throttle.iter().any(|r| {
            matches!(r, ThrottleReason::SwPowerCap | ThrottleReason::HwPowerBrake)
                || (*r == ThrottleReason::HwSlowdown && !hot)
        });
        let cause = match (thermal, power) {
            (true, _) => ThrottleCause::Thermal,
            (false, true) => ThrottleCause::Power,
            (false, false) => continue,
        };
        let clock_share = g
            .clock_mhz
            .zip(g.max_clock_mhz)
            .filter(|(_, m)| *m > 0.0)
            .map(|(c, m)| c / m);
        let mut message = format!(
            "{} is throttled ({}):",
            g.name,
            match cause {
                ThrottleCause::Thermal => "thermal",
                ThrottleCause::Power => "power",
            }
        );
        if let Some(t) = g.temperature_c {
            message += &format!(" {t:.0} °C");
        }
        if let (Some(c), Some(m)) = (g.clock_mhz, g.max_clock_mhz) {
            message += &format!(" clock {c:.0} of {m:.0} MHz");
        }
        if let (Some(p), Some(l)) = (g.power_w, g.power_limit_w) {
            message += &format!(" drawing {p:.0} of {l:.0} W");
        }
        holding.push((
            match cause {
                ThrottleCause::Thermal => "thermal_throttling",
                ThrottleCause::Power => "power_throttling",
            },
            message,
            Observation::Throttling {
                reason: cause,
                temperature_c: g.temperature_c,
                clock_share,
            },
        ));
        return;
    }
}

/// A least-squares line through `(step, bytes)`: slope in bytes per step and R².
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Growth {
    /// Bytes per step.
    pub slope: f64,
    /// Coefficient of determination.
    pub r2: f64,
}

/// The least-squares fit of `points` (ordinary least squares: slope = Sxy / Sxx, R² = Sxy² /
/// (Sxx·Syy)); `None` with fewer than [`LEAK_MIN_POINTS`] or no spread in steps. Flat memory
/// (Syy = 0) has slope 0 and R² 0.
pub fn growth(points: &[(u64, u64)]) -> Option<Growth> {
    if points.len() < LEAK_MIN_POINTS {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0 as f64).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1 as f64).sum::<f64>() / n;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in points {
        let (dx, dy) = (x as f64 - mx, y as f64 - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if sxx == 0.0 {
        return None;
    }
    let r2 = if syy == 0.0 {
        0.0
    } else {
        sxy * sxy / (sxx * syy)
    };
    Some(Growth {
        slope: sxy / sxx,
        r2,
    })
}

fn gib(b: u64) -> String {
    format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64)
}

fn mib(b: f64) -> String {
    format!("{:.1} MiB", b / (1u64 << 20) as f64)
}
