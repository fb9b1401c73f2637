//! A run's progress from what the training writes: a Hugging Face `trainer_state.json` or a
//! JSON-lines metrics file; steps per second, tokens per second and the time left from the
//! readings over time.

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

/// Where the run stands, as its log says.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Progress {
    /// Optimizer steps done.
    pub step: u64,
    /// Steps the run will take, when the log says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<u64>,
    /// The last loss logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// Tokens trained on so far, when logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// When the last record was written (seconds since the epoch), when the log says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
}

/// A Hugging Face `TrainerState` as `Trainer` saves it (transformers 4.57,
/// `trainer_callback.py`: `global_step`, `max_steps`, `num_input_tokens_seen`, and
/// `log_history`, a list of the logged dicts each with its `step` and, on training steps,
/// `loss`). `None` when the text is not one.
pub fn trainer_state(text: &str) -> Option<Progress> {
    let v: Value = serde_json::from_str(text).ok()?;
    let step = v.get("global_step")?.as_u64()?;
    let history = v.get("log_history").and_then(Value::as_array);
    let loss = history.and_then(|h| h.iter().rev().find_map(|e| e.get("loss")?.as_f64()));
    let tokens = v
        .get("num_input_tokens_seen")
        .and_then(Value::as_u64)
        .filter(|t| *t > 0)
        .or_else(|| {
            history.and_then(|h| {
                h.iter()
                    .rev()
                    .find_map(|e| e.get("num_input_tokens_seen")?.as_u64())
            })
        });
    Some(Progress {
        step,
        max_steps: v
            .get("max_steps")
            .and_then(Value::as_u64)
            .filter(|m| *m > 0),
        loss,
        tokens,
        time: None,
    })
}

/// The last record of a JSON-lines metrics file holding a `step`: each line an object with
/// `step` and any of `loss`, `tokens` (cumulative), `max_steps` and `time` (seconds since the
/// epoch). Lines that are not such objects (a partly written last line) are skipped.
pub fn metrics_jsonl(text: &str) -> Option<Progress> {
    let mut found: Option<Progress> = None;
    let mut max_steps = None;
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(step) = v.get("step").and_then(Value::as_u64) else {
            continue;
        };
        max_steps = v.get("max_steps").and_then(Value::as_u64).or(max_steps);
        let last = found.take();
        found = Some(Progress {
            step,
            max_steps,
            loss: v
                .get("loss")
                .and_then(Value::as_f64)
                .or(last.as_ref().and_then(|l| l.loss)),
            tokens: v
                .get("tokens")
                .and_then(Value::as_u64)
                .or(last.as_ref().and_then(|l| l.tokens)),
            time: v.get("time").and_then(Value::as_f64),
        });
    }
    found
}

/// Tail of a metrics file read at each sample: enough for the last records, not the whole
/// history of a long run.
const TAIL_BYTES: u64 = 64 * 1024;

/// The progress file the user named: a `trainer_state.json`, a JSON-lines metrics file, or a
/// Trainer output folder (its newest `checkpoint-N/trainer_state.json`: `Trainer` writes the
/// state with each checkpoint).
#[derive(Debug, Clone)]
pub struct ProgressFile {
    path: PathBuf,
}

impl ProgressFile {
    /// The file or folder at `path`.
    pub fn new(path: impl Into<PathBuf>) -> ProgressFile {
        ProgressFile { path: path.into() }
    }

    /// Where the run stands now; `None` before the training has written anything.
    pub fn read(&self) -> Option<Progress> {
        if self.path.is_dir() {
            let newest = newest_checkpoint(&self.path)?;
            return trainer_state(&std::fs::read_to_string(newest).ok()?);
        }
        let text = tail(&self.path, TAIL_BYTES)?;
        trainer_state(&text).or_else(|| metrics_jsonl(&text))
    }
}

/// The whole file when small, else its last `bytes` (a JSON-lines tail starting mid-line loses
/// that line only).
fn tail(path: &Path, bytes: u64) -> Option<String> {
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    if len > bytes {
        f.seek(SeekFrom::Start(len - bytes)).ok()?;
    }
    let mut buf = Vec::new();
    f.take(bytes).read_to_end(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// `DIR/checkpoint-N/trainer_state.json` with the largest N.
fn newest_checkpoint(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n: u64 = name.strip_prefix("checkpoint-")?.parse().ok()?;
            let state = e.path().join("trainer_state.json");
            state.is_file().then_some((n, state))
        })
        .max_by_key(|(n, _)| *n)
        .map(|(_, p)| p)
}

/// Readings of the step over time, for the rates and the time left.
#[derive(Debug, Clone, Default)]
pub struct Rates {
    /// `(time, step, tokens)` of each new step seen, oldest first.
    points: VecDeque<(f64, u64, Option<u64>)>,
}

/// How many step readings the rates are taken over: enough to smooth a logging interval's
/// jitter, few enough to follow a change of speed within minutes.
const WINDOW: usize = 20;

/// What the rates say now.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Speed {
    /// Seconds per optimizer step over the window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_s: Option<f64>,
    /// Tokens per second over the window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_s: Option<f64>,
    /// Seconds until the last step at `step_s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_s: Option<f64>,
}

impl Rates {
    /// Records `progress` read at `now` (seconds since the epoch); the log's own time is used
    /// when it has one. Only a new step adds a point.
    pub fn push(&mut self, progress: &Progress, now: f64) {
        match self.points.back() {
            Some(p) if p.1 == progress.step => return,
            // A log that starts again (a new run writing the same file, a resumed run's
            // earlier checkpoint) starts the rates again.
            Some(p) if p.1 > progress.step => self.points.clear(),
            _ => {}
        }
        self.points
            .push_back((progress.time.unwrap_or(now), progress.step, progress.tokens));
        while self.points.len() > WINDOW {
            self.points.pop_front();
        }
    }

    /// The speed over the window, and the time left to `max_steps`.
    pub fn speed(&self, step: u64, max_steps: Option<u64>) -> Speed {
        let (Some(first), Some(last)) = (self.points.front(), self.points.back()) else {
            return Speed::default();
        };
        let dt = last.0 - first.0;
        let steps = last.1.saturating_sub(first.1);
        if dt <= 0.0 || steps == 0 {
            return Speed::default();
        }
        let step_s = dt / steps as f64;
        let tokens_per_s = match (first.2, last.2) {
            (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / dt),
            _ => None,
        };
        Speed {
            step_s: Some(step_s),
            tokens_per_s,
            eta_s: max_steps.map(|m| m.saturating_sub(step) as f64 * step_s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hugging_face_state() {
        // The shape `TrainerState.save_to_json` writes (transformers 4.57), trimmed.
        let t = r#"{"best_metric": null, "epoch": 0.5, "global_step": 40, "max_steps": 80,
            "num_input_tokens_seen": 163840, "log_history": [
            {"epoch": 0.25, "grad_norm": 1.2, "learning_rate": 4e-5, "loss": 2.5, "step": 20},
            {"epoch": 0.5, "grad_norm": 1.1, "learning_rate": 3e-5, "loss": 2.25, "step": 40}]}"#;
        let p = trainer_state(t).unwrap();
        assert_eq!(p.step, 40);
        assert_eq!(p.max_steps, Some(80));
        assert_eq!(p.loss, Some(2.25));
        assert_eq!(p.tokens, Some(163840));
        assert!(metrics_jsonl("{\"loss\": 1}").is_none());
    }

    #[test]
    fn jsonl_keeps_the_last_step_and_skips_a_torn_line() {
        let t = "{\"step\":1,\"loss\":3.0,\"tokens\":4096,\"max_steps\":10}\n\
                 {\"step\":2,\"loss\":2.5,\"tokens\":8192}\n{\"step\":3,\"lo";
        let p = metrics_jsonl(t).unwrap();
        assert_eq!(
            (p.step, p.loss, p.tokens, p.max_steps),
            (2, Some(2.5), Some(8192), Some(10))
        );
    }

    #[test]
    fn rates_and_time_left() {
        let mut r = Rates::default();
        // Steps 10, 20, 30 seen at t = 100, 105, 110 s with 4096 tokens per step: 0.5 s per
        // step, 8192 tokens/s; 70 steps left of 100 take 35 s.
        for (t, s) in [(100.0, 10), (105.0, 20), (110.0, 30), (111.0, 30)] {
            let p = Progress {
                step: s,
                tokens: Some(s * 4096),
                ..Progress::default()
            };
            r.push(&p, t);
        }
        let v = r.speed(30, Some(100));
        assert_eq!(v.step_s, Some(0.5));
        assert_eq!(v.tokens_per_s, Some(8192.0));
        assert_eq!(v.eta_s, Some(35.0));
        // The log starts again at step 1: nothing to measure until a second step.
        r.push(
            &Progress {
                step: 1,
                ..Progress::default()
            },
            112.0,
        );
        assert_eq!(r.speed(1, None), Speed::default());
    }
}
