//! What `trainfit watch` shows on standard error: bars redrawn in place on a terminal
//! (indicatif), plain lines otherwise. Standard output stays the wrapped command's.

use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use trainfit_probe::watch::alerts::{memory, Alert};
use trainfit_probe::watch::progress::{Progress, Speed};
use trainfit_probe::watch::Sample;

use crate::cli::render::units::{duration, gib};

/// Plain lines at most this often: a 100 ms interval would otherwise print ten lines a second.
const PLAIN_EVERY: Duration = Duration::from_secs(1);

/// The display.
pub enum View {
    /// Bars on a terminal.
    Live(Live),
    /// One line per second and one per alert.
    Plain { last: Option<Instant> },
}

/// The terminal's bars: one per GPU, the host's memory, the run's progress.
pub struct Live {
    multi: MultiProgress,
    gpus: Vec<ProgressBar>,
    /// Added at the first sample, so the notes before it print on a clear screen.
    host: Option<ProgressBar>,
    /// Added when the run's log is first read.
    steps: Option<ProgressBar>,
}

impl View {
    /// Bars when standard error is a terminal, else plain lines.
    pub fn new(terminal: bool) -> View {
        if !terminal {
            return View::Plain { last: None };
        }
        View::Live(Live {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)),
            gpus: Vec::new(),
            host: None,
            steps: None,
        })
    }

    /// Shows `sample` with the plan's peak beside the measured memory.
    pub fn sample(
        &mut self,
        sample: &Sample,
        predicted_peak: Option<u64>,
        gpu_plan: bool,
        progress: Option<&Progress>,
        speed: Speed,
    ) {
        match self {
            View::Live(live) => live.draw(sample, predicted_peak, progress, speed),
            View::Plain { last } => {
                if last.is_some_and(|l| l.elapsed() < PLAIN_EVERY) {
                    return;
                }
                *last = Some(Instant::now());
                eprintln!(
                    "{}",
                    line(sample, predicted_peak, gpu_plan, progress, speed)
                );
            }
        }
    }

    /// An alert, and the adjustment that answers it.
    pub fn alert(&self, alert: &Alert, adjustment: Option<&str>) {
        let mut text = format!("alert {}: {}", alert.code, alert.message);
        if let Some(a) = adjustment {
            text += &format!("\n  adjust: {a}");
        }
        self.note(&text);
    }

    /// A line above the bars, or on its own.
    pub fn note(&self, text: &str) {
        match self {
            // Before the first bar, straight to standard error: the bars start below it.
            View::Live(live) if live.host.is_some() => {
                let _ = live.multi.println(text);
            }
            _ => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
        }
    }

    /// Clears the bars before the summary.
    pub fn finish(&self) {
        if let View::Live(live) = self {
            for b in live.gpus.iter().chain(&live.host).chain(&live.steps) {
                b.finish_and_clear();
            }
            let _ = live.multi.clear();
        }
    }
}

fn bar(prefix: &str) -> ProgressBar {
    let style = ProgressStyle::with_template("{prefix:>8} [{bar:24}] {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    // Hidden until `MultiProgress::add` gives it the terminal: drawn straight to standard
    // error first, it would leave a line the bars below never clear.
    let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_style(style);
    b.set_prefix(prefix.to_string());
    b
}

impl Live {
    fn draw(
        &mut self,
        sample: &Sample,
        predicted_peak: Option<u64>,
        progress: Option<&Progress>,
        speed: Speed,
    ) {
        while self.gpus.len() < sample.gpus.len() {
            let b = self
                .multi
                .insert(self.gpus.len(), bar(&format!("gpu{}", self.gpus.len())));
            self.gpus.push(b);
        }
        for (b, g) in self.gpus.iter().zip(&sample.gpus) {
            b.set_length(g.memory_total_bytes.unwrap_or(0));
            b.set_position(g.memory_used_bytes.unwrap_or(0));
            b.set_message(gpu_text(g, predicted_peak));
        }
        let h = &sample.host;
        let multi = &self.multi;
        let host = self.host.get_or_insert_with(|| multi.add(bar("RAM")));
        if let Some(total) = h.memory_total_bytes {
            host.set_length(total);
            host.set_position(total.saturating_sub(h.memory_available_bytes.unwrap_or(total)));
        }
        let rss = sample.process.as_ref().map(|p| p.rss_bytes);
        host.set_message(host_text(sample, rss, predicted_peak));
        if let Some(p) = progress {
            let steps = self.steps.get_or_insert_with(|| multi.add(bar("steps")));
            if let Some(m) = p.max_steps {
                steps.set_length(m);
            }
            steps.set_position(p.step);
            steps.set_message(progress_text(p, speed));
        }
    }
}

fn gpu_text(g: &trainfit_probe::watch::GpuSample, predicted: Option<u64>) -> String {
    let mut s = format!(
        "{:.1}/{:.1} GiB",
        gib(g.memory_used_bytes.unwrap_or(0)),
        gib(g.memory_total_bytes.unwrap_or(0))
    );
    if let Some(p) = g.process_memory_bytes {
        s += &format!(" run {:.1}", gib(p));
    }
    if let Some(p) = predicted {
        s += &format!(" predicted {:.1}", gib(p));
    }
    if let Some(u) = g.utilization_percent {
        s += &format!(" | {u} %");
    }
    if let Some(w) = g.power_w {
        s += &format!(" {w:.0} W");
    }
    if let Some(t) = g.temperature_c {
        s += &format!(" {t:.0} °C");
    }
    if let Some(c) = g.clock_mhz {
        s += &format!(" {c:.0} MHz");
    }
    if !g.throttle.is_empty() {
        let names: Vec<&str> = g.throttle.iter().map(|r| r.as_str()).collect();
        s += &format!(" throttled: {}", names.join(","));
    }
    s
}

fn host_text(sample: &Sample, rss: Option<u64>, predicted: Option<u64>) -> String {
    let h = &sample.host;
    let used = h
        .memory_total_bytes
        .zip(h.memory_available_bytes)
        .map(|(t, a)| t.saturating_sub(a));
    let mut s = format!(
        "{:.1}/{:.1} GiB",
        gib(used.unwrap_or(0)),
        gib(h.memory_total_bytes.unwrap_or(0))
    );
    if let Some(r) = rss {
        s += &format!(" run {:.2}", gib(r));
    }
    if sample.gpus.is_empty() {
        if let Some(p) = predicted {
            s += &format!(" predicted {:.2}", gib(p));
        }
    }
    if let Some(sw) = h.swap_used_bytes.filter(|s| *s > 0) {
        s += &format!(" swap {:.2}", gib(sw));
    }
    if let Some(c) = h.cpu_busy_percent {
        s += &format!(" | CPU {c:.0} %");
    }
    if h.on_battery == Some(true) {
        s += " | on battery";
        if let Some(b) = h.battery_percent {
            s += &format!(" {b:.0} %");
        }
    }
    s
}

fn progress_text(p: &Progress, speed: Speed) -> String {
    let mut s = match p.max_steps {
        Some(m) => format!("step {}/{m}", p.step),
        None => format!("step {}", p.step),
    };
    if let Some(l) = p.loss {
        s += &format!(" loss {l:.4}");
    }
    if let Some(t) = speed.tokens_per_s {
        s += &format!(" {t:.0} tok/s");
    }
    if let Some(st) = speed.step_s {
        s += &format!(" {st:.3} s/step");
    }
    if let Some(e) = speed.eta_s {
        s += &format!(" ETA {}", duration(e));
    }
    s
}

/// One plain line: time, each GPU, the host, the run's progress.
fn line(
    sample: &Sample,
    predicted: Option<u64>,
    gpu_plan: bool,
    progress: Option<&Progress>,
    speed: Speed,
) -> String {
    let mut parts = vec![format!("watch {:.1} s", sample.elapsed_s)];
    for (i, g) in sample.gpus.iter().enumerate() {
        parts.push(format!("gpu{i} {}", gpu_text(g, predicted)));
    }
    let rss = sample.process.as_ref().map(|p| p.rss_bytes);
    parts.push(format!("ram {}", host_text(sample, rss, predicted)));
    if let Some(m) = memory(sample, gpu_plan) {
        parts.push(format!("measured {:.2} GiB ({})", gib(m.bytes), m.source));
    }
    if let Some(p) = progress {
        parts.push(progress_text(p, speed));
    }
    parts.join(" | ")
}
