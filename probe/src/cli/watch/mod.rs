//! `trainfit watch`: samples the hardware while a training runs, compares it with the plan,
//! raises alerts with the adjustment that answers each, and at exit compares the run with the
//! prediction.

mod child;
mod summary;
mod view;

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde_json::{json, Value};
use trainfit_core::adjust::{adjust, adjust_configuration};
use trainfit_core::plan::{Configuration, DeviceClass, Mode, Plan};
use trainfit_probe::root::Root;
use trainfit_probe::watch::alerts::{Alert, Expectation, Monitor};
use trainfit_probe::watch::progress::{ProgressFile, Rates};
use trainfit_probe::watch::{Sample, Sampler, SystemGpus};

use super::args::one_of;
use super::input::{self, Origin};
use summary::Totals;
use view::View;

/// Shortest sampling interval: one NVML and `/proc` round takes a few milliseconds
/// (docs/watch.md, "Cost"), so 10 ms would leave the watcher busy half the time.
const MIN_INTERVAL: Duration = Duration::from_millis(50);
/// How often the child is checked between samples, so the exit is seen promptly.
const POLL: Duration = Duration::from_millis(10);

/// Arguments of `trainfit watch`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The plan, as `trainfit plan --json` prints it (or `trainfit --json`'s analysis), JSON or
    /// YAML: its predicted peak, step time, power and energy are compared with the run's.
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// The plan's configuration the run follows.
    #[arg(long, default_value = "balanced", value_parser = one_of(Mode::ALL, Mode::as_str, mode_help))]
    mode: Mode,
    /// Time between samples: `1s`, `500ms`, `0.2` (seconds); at least 50 ms.
    #[arg(long, default_value = "1s", value_parser = interval)]
    interval: Duration,
    /// Write every sample as a JSON line to FILE.
    #[arg(long, value_name = "FILE")]
    jsonl: Option<PathBuf>,
    /// Write the comparison of the run with the plan as JSON to FILE at exit.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// Write each alert's adjustment as a JSON line (`trainfit.decision/1`) to FILE, for the
    /// training loop to read.
    #[arg(long, value_name = "FILE")]
    decisions: Option<PathBuf>,
    /// The run's progress: a Hugging Face trainer_state.json (or the Trainer's output folder)
    /// or a JSON-lines metrics file with `step` and any of `loss`, `tokens`, `max_steps`, `time`.
    #[arg(long, value_name = "FILE")]
    progress: Option<PathBuf>,
    /// The command to run and watch, after `--`; without one, the machine is watched until
    /// SIGINT or SIGTERM.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

fn mode_help(mode: Mode) -> &'static str {
    match mode {
        Mode::Conservative => "Half the memory, short runs",
        Mode::Balanced => "Three quarters of the memory, a few hours",
        Mode::Extreme => "Nearly all the memory, long runs",
    }
}

/// `1s`, `250ms`, `2m` or plain seconds.
fn interval(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let seconds = number
        .trim()
        .parse::<f64>()
        .map_err(|_| format!("`{text}` is not a duration such as 1s or 200ms"))?
        * scale;
    if !(seconds.is_finite() && seconds >= MIN_INTERVAL.as_secs_f64() && seconds <= 3600.0) {
        return Err(format!("{text} is outside 50ms to 1h"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The plan's configuration for the mode, with what the alerts need.
struct Planned {
    plan: Plan,
    mode: Mode,
}

impl Planned {
    fn configuration(&self) -> Option<&Configuration> {
        self.plan
            .configurations
            .iter()
            .find(|c| c.mode == self.mode)
    }

    fn expectation(&self) -> Expectation {
        let c = self.configuration();
        Expectation {
            peak_bytes: c.map(|c| c.memory.peak_bytes),
            step_s: c.and_then(|c| c.time.step_s),
            steps: c.map(|c| c.time.steps),
            gpu: self.plan.device.class != DeviceClass::Cpu,
        }
    }
}

fn read_plan(path: &Path, mode: Mode) -> anyhow::Result<Planned> {
    let origin = Origin(path);
    let text = origin.read()?;
    let what = format!("plan {origin}");
    let value: Value = if origin.is_yaml() {
        input::yaml(&what, &text)?
    } else {
        input::parse(&what, &text)?
    };
    // `trainfit --json` prints {"profile": ..., "plan": ...}: take its plan.
    let value = match value.get("plan") {
        Some(p) if value.get("configurations").is_none() => p.clone(),
        _ => value,
    };
    let plan: Plan = input::from_value(&what, value)?;
    let planned = Planned { plan, mode };
    if planned.configuration().is_none() {
        let modes: Vec<&str> = planned
            .plan
            .configurations
            .iter()
            .map(|c| c.mode.as_str())
            .collect();
        anyhow::bail!(
            "{what} has no {mode} configuration (it has: {})",
            if modes.is_empty() {
                "none".to_string()
            } else {
                modes.join(", ")
            }
        );
    }
    Ok(planned)
}

fn create(path: &Option<PathBuf>) -> anyhow::Result<Option<BufWriter<File>>> {
    path.as_ref()
        .map(|p| {
            File::create(p)
                .map(BufWriter::new)
                .with_context(|| format!("cannot write {}", p.display()))
        })
        .transpose()
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Runs the watch. Prints to standard error; returns when the command exits (or, without one,
/// at SIGINT or SIGTERM) and ends the process with the command's exit code.
///
/// # Errors
///
/// An unreadable plan, a plan without the mode, an output file that cannot be created, a
/// command that cannot be started.
pub fn run(args: &Args) -> anyhow::Result<String> {
    let planned = args
        .plan
        .as_ref()
        .map(|p| read_plan(p, args.mode))
        .transpose()?;
    let expect = planned
        .as_ref()
        .map(Planned::expectation)
        .unwrap_or(Expectation {
            gpu: true,
            ..Expectation::default()
        });
    let mut jsonl = create(&args.jsonl)?;
    let mut decisions = create(&args.decisions)?;
    let progress_file = args.progress.as_ref().map(ProgressFile::new);

    let signals = Arc::new(child::Signals::default());
    child::catch(Arc::clone(&signals))?;
    let mut running = if args.command.is_empty() {
        None
    } else {
        let c = child::spawn(&args.command)?;
        signals.child.store(c.id(), Ordering::SeqCst);
        Some(c)
    };

    let root = Root::system();
    let mut sampler = Sampler::new(
        Box::new(SystemGpus::default()),
        running.as_ref().map(std::process::Child::id),
        ".",
        trainfit_probe::linux::statvfs_space,
    );
    let mut monitor = Monitor::new(expect);
    let mut rates = Rates::default();
    let mut view = View::new(std::io::stderr().is_terminal());
    let mut totals = Totals::new(expect.gpu);
    let mut alerts: Vec<(f64, Alert)> = Vec::new();
    let mut current: Option<Configuration> = None;
    let start = Instant::now();
    let mut exit = None;
    loop {
        let t = now();
        let sample: Sample = sampler.sample(&root, t, start.elapsed().as_secs_f64());
        for e in &sample.errors {
            view.note(&format!("note: {e}"));
        }
        let progress = progress_file.as_ref().and_then(ProgressFile::read);
        if let Some(p) = &progress {
            rates.push(p, t);
        }
        let speed = progress
            .as_ref()
            .map(|p| rates.speed(p.step, p.max_steps.or(expect.steps)))
            .unwrap_or_default();
        for alert in monitor.observe(&sample, progress.as_ref(), speed) {
            let decision = match planned.as_ref().map(|p| decide(p, &mut current, &alert)) {
                Some(Ok(d)) => Some(d),
                Some(Err(e)) => {
                    view.note(&format!("note: no adjustment for {}: {e:#}", alert.code));
                    None
                }
                None => None,
            };
            let adjustment = decision.as_ref().map(describe);
            view.alert(&alert, adjustment.as_deref());
            if let (Some(out), Some(d)) = (decisions.as_mut(), decision) {
                let line = decision_line(d, &alert, t);
                writeln!(out, "{line}").and_then(|()| out.flush())?;
            }
            alerts.push((t, alert));
        }
        if let Some(out) = jsonl.as_mut() {
            serde_json::to_writer(&mut *out, &sample)?;
            writeln!(out)?;
            out.flush()?;
        }
        view.sample(
            &sample,
            expect.peak_bytes,
            expect.gpu,
            progress.as_ref(),
            speed,
        );
        totals.add(&sample, progress.as_ref(), speed);

        // Wait for the next sample, watching the child and the stop request.
        let next = Instant::now() + args.interval;
        while Instant::now() < next {
            if let Some(c) = running.as_mut() {
                if let Some(status) = c.try_wait().context("cannot wait for the command")? {
                    exit = Some(child::exit_code(status));
                    break;
                }
            } else if signals.stop.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(POLL.min(next.saturating_duration_since(Instant::now())));
        }
        if exit.is_some() || (running.is_none() && signals.stop.load(Ordering::SeqCst)) {
            break;
        }
    }
    running.take();
    view.finish();
    let code = exit.unwrap_or(0);
    let report = summary::summary(
        planned.as_ref().map(|p| (&p.plan, p.mode)),
        &args.command,
        exit,
        &totals,
        &alerts,
        start.elapsed().as_secs_f64(),
        args.interval.as_secs_f64(),
    );
    eprint!("{}", summary::text(&report));
    if let Some(path) = &args.summary {
        let text = serde_json::to_string_pretty(&report)? + "\n";
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if code != 0 {
        std::io::stderr().flush()?;
        std::process::exit(code);
    }
    Ok(String::new())
}

/// The adjustment for an alert: the core's `adjust` on the plan's configuration, or on the
/// configuration of the last decision once there is one (a loop that applied it runs that one
/// now, and asking from the plan's again would repeat the same step of the ladder).
///
/// # Errors
///
/// What the core refuses (an observation whose numbers contradict each other).
fn decide(
    planned: &Planned,
    current: &mut Option<Configuration>,
    alert: &Alert,
) -> anyhow::Result<Value> {
    let decision = match current.as_ref() {
        Some(c) => adjust_configuration(&planned.plan, c, &alert.observation)?,
        None => adjust(&planned.plan, planned.mode, &alert.observation)?,
    };
    if let Some(c) = &decision.configuration {
        *current = Some(c.clone());
    }
    Ok(serde_json::to_value(&decision)?)
}

/// One line for the display: the action and its reason.
fn describe(decision: &Value) -> String {
    let action = decision
        .get("action")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let reason = decision.get("reason").and_then(Value::as_str).unwrap_or("");
    format!("{action}: {reason}")
}

/// A decisions-file line (`trainfit.decision/1`, docs/watch.md): the decision with the schema,
/// the time, the step and the observation.
fn decision_line(mut decision: Value, alert: &Alert, time: f64) -> String {
    if let Some(obj) = decision.as_object_mut() {
        obj.insert("schema".into(), json!("trainfit.decision/1"));
        obj.insert("time".into(), json!(time));
        if let Some(step) = alert.step {
            obj.insert("step".into(), json!(step));
        }
        obj.insert(
            "observation".into(),
            serde_json::to_value(&alert.observation).unwrap_or(Value::Null),
        );
    }
    decision.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_line_has_the_wire_fields() {
        use trainfit_probe::watch::alerts::Observation;
        let alert = Alert {
            code: "swap",
            message: "m".into(),
            step: Some(12),
            observation: Observation::Swap {
                swap_used_bytes: 4096,
            },
        };
        let d = json!({"action": "pause", "reason": "r", "set": {"pause_s": 60}});
        let line: Value = serde_json::from_str(&decision_line(d, &alert, 1.5e9)).unwrap();
        assert_eq!(
            line,
            json!({"action": "pause", "reason": "r", "set": {"pause_s": 60},
                   "schema": "trainfit.decision/1", "time": 1.5e9, "step": 12,
                   "observation": {"kind": "swap", "swap_used_bytes": 4096}})
        );
    }

    #[test]
    fn intervals() {
        assert_eq!(interval("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(interval("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(interval("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(interval("2m"), Ok(Duration::from_secs(120)));
        assert!(interval("10ms").is_err());
        assert!(interval("fast").is_err());
    }
}
