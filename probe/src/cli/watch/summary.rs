//! The comparison of a watched run with its plan: peak memory, average power, energy and time,
//! measured beside predicted, as JSON for the page and as text.

use std::fmt::Write as _;

use serde::Serialize;
use trainfit_core::plan::{Mode, Plan};
use trainfit_probe::watch::alerts::{memory, Alert};
use trainfit_probe::watch::progress::{Progress, Speed};
use trainfit_probe::watch::Sample;

use crate::cli::render::units::{duration, gib};

/// What the samples add up to.
#[derive(Debug, Default)]
pub struct Totals {
    gpu: bool,
    samples: u64,
    peak: Option<(u64, &'static str)>,
    peak_capacity: Option<u64>,
    /// `(elapsed_s, watts)` of the previous sample with a power reading.
    last_power: Option<(f64, f64)>,
    joules: f64,
    power_seconds: f64,
    power_source: Option<&'static str>,
    first_step: Option<u64>,
    last_step: Option<u64>,
    step_s: Option<f64>,
}

impl Totals {
    pub fn new(gpu: bool) -> Totals {
        Totals {
            gpu,
            ..Totals::default()
        }
    }

    /// Adds a sample: the peak memory, and the energy as the trapezoid rule over the power
    /// readings.
    pub fn add(&mut self, sample: &Sample, progress: Option<&Progress>, speed: Speed) {
        self.samples += 1;
        if let Some(m) = memory(sample, self.gpu) {
            if self.peak.is_none_or(|p| m.bytes > p.0) {
                self.peak = Some((m.bytes, m.source));
                self.peak_capacity = m.capacity;
            }
        }
        let gpu_watts: Vec<f64> = sample.gpus.iter().filter_map(|g| g.power_w).collect();
        let power = if !gpu_watts.is_empty() {
            Some((gpu_watts.iter().sum::<f64>(), "gpu_board"))
        } else {
            sample.host.battery_draw_w.map(|w| (w, "battery"))
        };
        if let Some((w, source)) = power {
            if let Some((t0, w0)) = self.last_power {
                let dt = sample.elapsed_s - t0;
                if dt > 0.0 {
                    self.joules += (w0 + w) / 2.0 * dt;
                    self.power_seconds += dt;
                }
            }
            self.last_power = Some((sample.elapsed_s, w));
            self.power_source = Some(source);
        }
        if let Some(p) = progress {
            self.first_step.get_or_insert(p.step);
            self.last_step = Some(p.step);
        }
        if speed.step_s.is_some() {
            self.step_s = speed.step_s;
        }
    }
}

/// The summary document (`trainfit.watch_summary/1`).
#[derive(Debug, Serialize)]
pub struct Summary {
    schema: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<Mode>,
    command: Vec<String>,
    /// The command's exit code as a shell reports it; absent without a command.
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<i32>,
    samples: u64,
    interval_s: f64,
    peak_memory: PeakMemory,
    power: PowerSummary,
    energy: EnergySummary,
    time: TimeSummary,
    alerts: Vec<AlertEntry>,
}

#[derive(Debug, Serialize)]
struct PeakMemory {
    measured_bytes: Option<u64>,
    predicted_bytes: Option<u64>,
    /// Measured over predicted.
    ratio: Option<f64>,
    capacity_bytes: Option<u64>,
    /// What was measured (see `watch::alerts::MemoryReading`).
    source: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct PowerSummary {
    /// Time-weighted mean of the readings, W.
    measured_average_w: Option<f64>,
    /// The plan's draw of all devices, W.
    predicted_w: Option<f64>,
    /// `gpu_board` (NVML or amdgpu, all GPUs) or `battery` (the battery's draw).
    source: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct EnergySummary {
    measured_kwh: Option<f64>,
    /// The plan's energy for the whole run.
    predicted_kwh: Option<f64>,
    /// The plan's energy for the steps the run did.
    predicted_kwh_for_steps_done: Option<f64>,
}

#[derive(Debug, Serialize)]
struct TimeSummary {
    measured_s: f64,
    /// The plan's time for the whole run.
    predicted_s: Option<f64>,
    /// The plan's time for the steps the run did.
    predicted_s_for_steps_done: Option<f64>,
    measured_step_s: Option<f64>,
    predicted_step_s: Option<f64>,
    steps_done: Option<u64>,
    steps_planned: Option<u64>,
}

#[derive(Debug, Serialize)]
struct AlertEntry {
    time: f64,
    #[serde(flatten)]
    alert: Alert,
}

/// The summary of a watch that lasted `elapsed_s`.
pub fn summary(
    plan: Option<(&Plan, Mode)>,
    command: &[String],
    exit_code: Option<i32>,
    totals: &Totals,
    alerts: &[(f64, Alert)],
    elapsed_s: f64,
    interval_s: f64,
) -> Summary {
    let config = plan.and_then(|(p, m)| p.configurations.iter().find(|c| c.mode == m));
    let predicted_peak = config.map(|c| c.memory.peak_bytes);
    let measured_peak = totals.peak.map(|p| p.0);
    let steps_planned = config.map(|c| c.time.steps);
    // Steps done: the last step logged (a run's log counts from 0).
    let steps_done = totals.last_step;
    let share = steps_done
        .zip(steps_planned)
        .filter(|(_, p)| *p > 0)
        .map(|(d, p)| d as f64 / p as f64);
    let predicted_kwh = config.and_then(|c| c.power.energy_kwh);
    let predicted_s = config.and_then(|c| c.time.total_s);
    let average = (totals.power_seconds > 0.0).then(|| totals.joules / totals.power_seconds);
    Summary {
        schema: "trainfit.watch_summary/1",
        mode: plan.map(|p| p.1),
        command: command.to_vec(),
        exit_code,
        samples: totals.samples,
        interval_s,
        peak_memory: PeakMemory {
            measured_bytes: measured_peak,
            predicted_bytes: predicted_peak,
            ratio: measured_peak
                .zip(predicted_peak.filter(|p| *p > 0))
                .map(|(m, p)| m as f64 / p as f64),
            capacity_bytes: totals.peak_capacity,
            source: totals.peak.map(|p| p.1),
        },
        power: PowerSummary {
            measured_average_w: average,
            predicted_w: config.and_then(|c| c.power.draw_w),
            source: totals.power_source,
        },
        energy: EnergySummary {
            // 1 kWh = 3.6e6 J.
            measured_kwh: (totals.power_seconds > 0.0).then(|| totals.joules / 3.6e6),
            predicted_kwh,
            predicted_kwh_for_steps_done: predicted_kwh.zip(share).map(|(e, s)| e * s),
        },
        time: TimeSummary {
            measured_s: elapsed_s,
            predicted_s,
            predicted_s_for_steps_done: predicted_s.zip(share).map(|(t, s)| t * s),
            measured_step_s: totals.step_s,
            predicted_step_s: config.and_then(|c| c.time.step_s),
            steps_done,
            steps_planned,
        },
        alerts: alerts
            .iter()
            .map(|(t, a)| AlertEntry {
                time: *t,
                alert: a.clone(),
            })
            .collect(),
    }
}

/// The summary as a few lines of text.
pub fn text(s: &Summary) -> String {
    let mut out = String::from("\ntrainfit watch: measured against predicted\n");
    let bytes = |b: Option<u64>| b.map_or("-".to_string(), |b| format!("{:.2} GiB", gib(b)));
    let m = &s.peak_memory;
    let _ = writeln!(
        out,
        "  peak memory  {} measured ({}), {} predicted{}",
        bytes(m.measured_bytes),
        m.source.unwrap_or("-"),
        bytes(m.predicted_bytes),
        m.ratio.map_or(String::new(), |r| format!(", ratio {r:.2}"))
    );
    let w = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0} W"));
    let _ = writeln!(
        out,
        "  power        {} average measured ({}), {} predicted",
        w(s.power.measured_average_w),
        s.power.source.unwrap_or("no reading"),
        w(s.power.predicted_w)
    );
    let kwh = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4} kWh"));
    let _ = writeln!(
        out,
        "  energy       {} measured, {} predicted for the steps done ({} for the run)",
        kwh(s.energy.measured_kwh),
        kwh(s.energy.predicted_kwh_for_steps_done),
        kwh(s.energy.predicted_kwh)
    );
    let secs = |v: Option<f64>| v.map_or("-".to_string(), duration);
    let t = &s.time;
    let _ = writeln!(
        out,
        "  time         {} measured, {} predicted for the steps done ({} for the run); step {} measured, {} predicted",
        duration(t.measured_s),
        secs(t.predicted_s_for_steps_done),
        secs(t.predicted_s),
        t.measured_step_s.map_or("-".to_string(), |v| format!("{v:.3} s")),
        t.predicted_step_s.map_or("-".to_string(), |v| format!("{v:.3} s")),
    );
    let _ = writeln!(out, "  alerts       {}", s.alerts.len());
    if let Some(code) = s.exit_code {
        let _ = writeln!(out, "  exit code    {code}");
    }
    out
}
