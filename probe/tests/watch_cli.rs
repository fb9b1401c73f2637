//! `trainfit watch` end to end: it wraps a real process that allocates memory step by step and
//! exits with a chosen code, and the samples, the alerts, the decisions, the summary and the
//! exit code are checked; SIGINT and SIGTERM sent to the watcher reach the child.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use trainfit_core::plan::{plan, Mode, PlanRequest};

const MIB: u64 = 1 << 20;

/// A plan as the planner writes it: LoRA of Pythia-70M (sequence 128, micro-batch 1) on one RTX
/// 4090, the profile of the core's documentation example. Its balanced peak is about 549 MiB
/// and its step about 0.04 s, so the child below, which holds 48 MiB more at each 0.2 s step
/// (768 MiB after 16), exceeds both. Returns the path, the peak and the step.
fn write_plan(dir: &Path) -> (std::path::PathBuf, u64, f64) {
    let request: PlanRequest = serde_json::from_str(
        r#"{"profile": {"accelerators": [{
        "vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "kind": "discrete",
        "compute_capability": "8.9",
        "memory_total_bytes": {"value": 25757220864, "source": "user"}}]},
        "goal": {"task": "lora", "model": {"catalogue": "pythia-70m"}, "sequence": 128,
                 "micro_batch": 1}}"#,
    )
    .unwrap();
    let p = plan(&request).unwrap();
    let c = p
        .configurations
        .iter()
        .find(|c| c.mode == Mode::Balanced)
        .unwrap();
    let (peak, step) = (c.memory.peak_bytes, c.time.step_s.unwrap());
    assert!(peak < 600 * MIB && step < 0.15, "{peak} {step}");
    let path = dir.join("plan.json");
    std::fs::write(&path, serde_json::to_string(&p).unwrap()).unwrap();
    (path, peak, step)
}

/// The child: 16 steps, each holding 48 MiB more (written, so resident), logging its step to
/// `metrics.jsonl`, then exiting with 7.
const CHILD: &str = r#"
import json, sys, time
held = []
with open(sys.argv[1], "a") as log:
    for step in range(1, 17):
        held.append(bytearray(b"\x01") * (48 << 20))
        log.write(json.dumps({"step": step, "loss": 4.0 / step, "tokens": step * 4096,
                              "max_steps": 100000000}) + "\n")
        log.flush()
        time.sleep(0.2)
sys.exit(7)
"#;

#[test]
fn wraps_a_run_that_outgrows_its_plan() {
    let dir = tempdir("run");
    let (plan, peak, step) = write_plan(&dir);
    let metrics = dir.join("metrics.jsonl");
    let (jsonl, summary, decisions) = (
        dir.join("samples.jsonl"),
        dir.join("summary.json"),
        dir.join("decisions.jsonl"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_trainfit"))
        .arg("watch")
        .arg("--plan")
        .arg(&plan)
        .args(["--mode", "balanced", "--interval", "100ms"])
        .arg("--jsonl")
        .arg(&jsonl)
        .arg("--summary")
        .arg(&summary)
        .arg("--decisions")
        .arg(&decisions)
        .arg("--progress")
        .arg(&metrics)
        .args(["--", "python3", "-c", CHILD])
        .arg(&metrics)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The child's code, unchanged.
    assert_eq!(out.status.code(), Some(7), "{stderr}");

    // Samples: about one per 100 ms over the child's 3.2 s, its tree's memory growing by the
    // 15 × 48 MiB = 720 MiB added after the first step.
    let samples: Vec<Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(samples.len() >= 20, "{} samples\n{stderr}", samples.len());
    let rss: Vec<u64> = samples
        .iter()
        .filter_map(|s| s["process"]["rss_bytes"].as_u64())
        .collect();
    let (lo, hi) = (rss.iter().min().unwrap(), rss.iter().max().unwrap());
    assert!(hi - lo >= 600 * MIB, "rss from {lo} to {hi}\n{stderr}");
    assert!(samples[0]["host"]["memory_total_bytes"].as_u64().unwrap() > 0);

    // Alerts: above the predicted peak, growing every step towards 1e8 steps, slower than the
    // predicted step.
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let codes: Vec<&str> = s["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    for code in ["memory_over_prediction", "memory_growth", "slow_step"] {
        assert!(
            codes.contains(&code),
            "{code} missing from {codes:?}\n{stderr}"
        );
    }
    assert!(stderr.contains("alert memory_over_prediction"), "{stderr}");

    // The summary: measured beside predicted.
    assert_eq!(s["schema"], "trainfit.watch_summary/1");
    assert_eq!(s["exit_code"], 7);
    assert_eq!(s["mode"], "balanced");
    assert_eq!(s["peak_memory"]["predicted_bytes"], peak);
    assert_eq!(s["peak_memory"]["source"], "process_rss");
    assert!(s["peak_memory"]["measured_bytes"].as_u64().unwrap() >= 768 * MIB);
    assert!(s["peak_memory"]["ratio"].as_f64().unwrap() > 1.3);
    assert_eq!(s["time"]["steps_done"], 16);
    assert_eq!(s["time"]["predicted_step_s"], step);
    // 0.2 s steps (the sleep, plus writing 48 MiB, which a loaded 2-core machine can stretch),
    // measured from the watcher's readings of the log: far from the plan's 0.04 s.
    let step_s = s["time"]["measured_step_s"].as_f64().unwrap();
    assert!((0.15..0.6).contains(&step_s), "{step_s}\n{stderr}");
    assert!(s["time"]["measured_s"].as_f64().unwrap() >= 3.2);
    assert!(stderr.contains("exit code    7"), "{stderr}");

    // Decisions: one line per alert, with the wire format's fields.
    let lines: Vec<Value> = std::fs::read_to_string(&decisions)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), codes.len());
    // The core's action codes (issue 15's wire file).
    let actions = [
        "halve_micro_batch",
        "full_checkpointing",
        "adamw_8bit",
        "offload_optimizer",
        "halve_sequence",
        "mesh_layout",
        "lower_precision",
        "power_cap",
        "pause",
        "fewer_devices",
        "cpu",
        "continue",
        "none_left",
    ];
    for d in &lines {
        assert_eq!(d["schema"], "trainfit.decision/1");
        assert!(d["time"].as_f64().unwrap() > 1.7e9);
        assert!(d["step"].as_u64().is_some());
        let action = d["action"].as_str().unwrap();
        assert!(actions.contains(&action), "{action}");
        assert!(!d["reason"].as_str().unwrap().is_empty());
        assert!(d["observation"]["kind"].is_string());
    }
    let pressure = lines
        .iter()
        .find(|d| d["observation"]["kind"] == "memory_pressure")
        .unwrap();
    assert_eq!(pressure["observation"]["predicted_bytes"], peak);
}

/// Starts `trainfit watch -- python3 -c CODE`, waits for the child's `ready`, sends `signal`
/// to the watcher (not the child) with kill(1), and returns the watcher's exit code.
fn signalled(signal: &str, code: &str) -> Option<i32> {
    let mut watch = Command::new(env!("CARGO_BIN_EXE_trainfit"))
        .args(["watch", "--interval", "100ms", "--", "python3", "-c", code])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(watch.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    let status = Command::new("kill")
        .args([format!("-{signal}"), watch.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = std::time::Instant::now();
    loop {
        if let Some(s) = watch.try_wait().unwrap() {
            return s.code();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "watch did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigint_reaches_the_child() {
    // The child's handler exits 43: the code comes back only if SIGINT reached it.
    let code = "import signal, sys, time\n\
                signal.signal(signal.SIGINT, lambda *a: sys.exit(43))\n\
                print('ready', flush=True)\ntime.sleep(30)\nsys.exit(1)";
    assert_eq!(signalled("INT", code), Some(43));
}

#[test]
fn sigterm_reaches_the_child_and_its_death_reads_as_a_shell_reports_it() {
    // No handler: SIGTERM (15) kills the child and the watcher exits 128 + 15.
    let code = "import time\nprint('ready', flush=True)\ntime.sleep(30)";
    assert_eq!(signalled("TERM", code), Some(143));
}

/// A fresh folder under the target directory's tmp.
fn tempdir(name: &str) -> std::path::PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("watch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
