//! `trainfit_probe::watch` on recorded trees and NVML readings (`tests/fixtures/watch/`, whose
//! README gives each figure's source): the sampler's readings, and the alerts they raise.

use std::path::PathBuf;

use trainfit_core::hardware::ThrottleReason;
use trainfit_probe::root::Root;
use trainfit_probe::watch::alerts::{growth, Expectation, Monitor, Observation, ThrottleCause};
use trainfit_probe::watch::progress::{Progress, Speed};
use trainfit_probe::watch::{GpuReading, NoGpus, RecordedGpus, Sample, Sampler};

const GIB: u64 = 1 << 30;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn nvml() -> RecordedGpus {
    let text = std::fs::read_to_string(fixture("watch/nvml-h100-training.json")).unwrap();
    let samples: Vec<Vec<GpuReading>> = serde_json::from_str(&text).unwrap();
    RecordedGpus::new(samples)
}

fn no_disk(_: &str) -> Option<(u64, u64)> {
    None
}

/// Three samples of the recorded training: the tree at t0, t1, t1, with NVML's three readings.
fn samples() -> Vec<Sample> {
    let mut s = Sampler::new(Box::new(nvml()), Some(4242), "/", no_disk);
    let t0 = Root::at(fixture("watch/linux-t0"));
    let t1 = Root::at(fixture("watch/linux-t1"));
    vec![
        s.sample(&t0, 1000.0, 0.0),
        s.sample(&t1, 1001.0, 1.0),
        s.sample(&t1, 1002.0, 2.0),
    ]
}

#[test]
fn host_and_process_tree() {
    let s = samples();
    let (a, b) = (&s[0], &s[1]);
    // No CPU share before a second reading; then /proc/stat's busy jiffies (all but idle and
    // iowait) over all: t0 busy 923500 - 802000 = 121500 of 923500, t1 123300 of 925500,
    // so 1800 / 2000 = 90 %.
    assert_eq!(a.host.cpu_busy_percent, None);
    assert_eq!(b.host.cpu_busy_percent, Some(90.0));
    assert_eq!(b.host.load_1m, Some(8.02));
    assert_eq!(b.host.memory_total_bytes, Some(65536000 * 1024));
    // SwapTotal 8388604 kB - SwapFree 8388092 kB = 512 kB.
    assert_eq!(b.host.swap_used_bytes, Some(512 * 1024));
    // pid 4242 and its worker 4243; bash 4300 (parent 1) is not in the tree.
    let p = b.process.as_ref().unwrap();
    assert_eq!(p.processes, 2);
    // VmRSS 6815744 kB + 1048576 kB = 7864320 kB = 7.5 GiB.
    assert_eq!(p.rss_bytes, 7864320 * 1024);
    assert_eq!(p.swap_bytes, 512 * 1024);
    assert_eq!(b.host.on_battery, Some(false));
    // A pid that is not running: no tree.
    let mut gone = Sampler::new(Box::new(NoGpus), Some(99999), "/", no_disk);
    assert!(gone
        .sample(&Root::at(fixture("watch/linux-t0")), 0.0, 0.0)
        .process
        .is_none());
}

#[test]
fn nvidia_counters_and_the_runs_share() {
    let s = samples();
    let g = &s[0].gpus[0];
    assert_eq!(g.vendor, "nvidia");
    assert_eq!(g.pci_bus_id.as_deref(), Some("0000:1b:00.0"));
    // 70 GiB of pid 4242 counts; pid 5001's 1 GiB is another process's.
    assert_eq!(g.process_memory_bytes, Some(70 * GIB));
    assert_eq!(g.memory_used_bytes, Some(70 * GIB + GIB + GIB / 2));
    assert_eq!(g.power_w, Some(612.0));
    assert_eq!(g.power_limit_w, Some(700.0));
    assert!(g.throttle.is_empty());
    // 0x4 is sw_power_cap, 0x40 hw_thermal_slowdown (nvml.h).
    assert_eq!(s[1].gpus[0].throttle, [ThrottleReason::SwPowerCap]);
    assert_eq!(s[2].gpus[0].throttle, [ThrottleReason::HwThermalSlowdown]);
}

#[test]
fn amdgpu_files_and_fdinfo() {
    let s = samples();
    let a = s[1].gpus.iter().find(|g| g.vendor == "amd").unwrap();
    assert_eq!(a.name, "card1");
    assert_eq!(a.pci_bus_id.as_deref(), Some("0000:03:00.0"));
    assert_eq!(a.memory_total_bytes, Some(25753026560));
    assert_eq!(a.memory_used_bytes, Some(21 * GIB));
    // Client 12 is open in 4242 and in its worker 4243: counted once, 22020096 KiB = 21 GiB.
    assert_eq!(a.process_memory_bytes, Some(21 * GIB));
    assert_eq!(a.gtt_used_bytes, Some(GIB));
    assert_eq!(a.utilization_percent, Some(99));
    // power1_average 352000000 µW, power1_cap 355000000 µW, temp1_input 74000 m°C,
    // freq1_input 2304000000 Hz.
    assert_eq!(a.power_w, Some(352.0));
    assert_eq!(a.power_limit_w, Some(355.0));
    assert_eq!(a.temperature_c, Some(74.0));
    assert_eq!(a.clock_mhz, Some(2304.0));
}

#[test]
fn alerts_on_the_recorded_run() {
    let s = samples();
    // A plan that predicted 60 GiB: the run's 70 GiB is 16.7 % above, over the 10 % bar;
    // the device's 71.5 GiB of 79.6 GiB (89.8 %) is under 95 %.
    let mut m = Monitor::new(Expectation {
        peak_bytes: Some(60 * GIB),
        gpu: true,
        ..Expectation::default()
    });
    let first = m.observe(&s[0], None, Speed::default());
    let codes: Vec<&str> = first.iter().map(|a| a.code).collect();
    assert_eq!(codes, ["memory_over_prediction"]);
    assert_eq!(
        first[0].observation,
        Observation::MemoryPressure {
            used_bytes: 70 * GIB,
            capacity_bytes: 85520809984,
            predicted_bytes: Some(60 * GIB),
        }
    );
    // Second sample: power capped (raised once), the run's 512 kB in swap; memory still over,
    // not raised again.
    let second = m.observe(&s[1], None, Speed::default());
    let codes: Vec<&str> = second.iter().map(|a| a.code).collect();
    assert_eq!(codes, ["power_throttling", "swap"]);
    match &second[0].observation {
        Observation::Throttling {
            reason,
            clock_share,
            ..
        } => {
            assert_eq!(*reason, ThrottleCause::Power);
            // 1755 of 1980 MHz.
            assert!((clock_share.unwrap() - 1755.0 / 1980.0).abs() < 1e-12);
        }
        other => panic!("{other:?}"),
    }
    let third = m.observe(&s[2], None, Speed::default());
    let codes: Vec<&str> = third.iter().map(|a| a.code).collect();
    assert_eq!(codes, ["thermal_throttling"]);
}

#[test]
fn slow_steps_and_a_cpu_plan() {
    let s = samples();
    // The CPU plan compares the tree's 7.5 GiB with a 4 GiB prediction (87.5 % over).
    let mut m = Monitor::new(Expectation {
        peak_bytes: Some(4 * GIB),
        step_s: Some(0.4),
        ..Expectation::default()
    });
    // 0.5 s measured against 0.4 s is 25 % slower: not more than 25 %, no alert (the GPU's
    // power cap still raises its own).
    let at = |step_s| Speed {
        step_s: Some(step_s),
        ..Speed::default()
    };
    let p = Progress {
        step: 5,
        ..Progress::default()
    };
    let codes: Vec<&str> = m
        .observe(&s[1], Some(&p), at(0.5))
        .iter()
        .map(|a| a.code)
        .collect();
    assert_eq!(
        codes,
        ["memory_over_prediction", "power_throttling", "swap"]
    );
    let slow = m.observe(&s[1], Some(&p), at(0.51));
    assert_eq!(slow.len(), 1);
    assert_eq!(
        slow[0].observation,
        Observation::SlowStep {
            measured_step_s: 0.51,
            predicted_step_s: Some(0.4)
        }
    );
}

#[test]
fn battery_from_the_laptop_tree() {
    // laptop-battery: discharging at 64 %.
    let mut s = Sampler::new(Box::new(NoGpus), None, "/", no_disk);
    let sample = s.sample(&Root::at(fixture("laptop-battery")), 0.0, 0.0);
    assert_eq!(sample.host.on_battery, Some(true));
    assert_eq!(sample.host.battery_percent, Some(64.0));
    let mut m = Monitor::new(Expectation::default());
    let alerts = m.observe(&sample, None, Speed::default());
    assert!(alerts
        .iter()
        .any(|a| a.code == "battery" && a.observation == Observation::Battery {}));
}

#[test]
fn growth_fit_and_the_leak_alert() {
    // y = 1 GiB + 16 MiB × step exactly: slope 16 MiB, R² 1.
    let line: Vec<(u64, u64)> = (10..30).map(|s| (s, GIB + s * (16 << 20))).collect();
    let g = growth(&line).unwrap();
    assert!((g.slope - (16u64 << 20) as f64).abs() < 1e-3);
    assert!((g.r2 - 1.0).abs() < 1e-12);
    // Memory that alternates between two levels has no trend: slope 0 over whole cycles.
    let flat: Vec<(u64, u64)> = (0..20).map(|s| (s, GIB + (s % 2) * (64 << 20))).collect();
    assert!(growth(&flat).unwrap().r2 < 0.1);
    assert!(growth(&line[..9]).is_none());

    // A run growing 16 MiB a step on a 24 GiB host, from 8 GiB at step 0, to end at step
    // 2000: 8 GiB + 2000 × 16 MiB = 39.25 GiB at the end, over 24 GiB: it runs out at step
    // (24 - 8) GiB / 16 MiB = 1024.
    let mut m = Monitor::new(Expectation {
        steps: Some(2000),
        ..Expectation::default()
    });
    let mut raised = Vec::new();
    for step in 0..20u64 {
        let mut s = Sample::default();
        s.host.memory_total_bytes = Some(24 * GIB);
        s.host.memory_available_bytes = Some(12 * GIB);
        s.process = Some(trainfit_probe::watch::ProcessSample {
            pid: 1,
            processes: 1,
            rss_bytes: 8 * GIB + step * (16 << 20),
            ..Default::default()
        });
        let p = Progress {
            step,
            ..Progress::default()
        };
        for a in m.observe(&s, Some(&p), Speed::default()) {
            raised.push((step, a));
        }
    }
    // Steps 0-2 are warm-up; the fit needs 10 readings (steps 3-12).
    assert_eq!(raised.len(), 1);
    let (step, a) = &raised[0];
    assert_eq!((*step, a.code), (12, "memory_growth"));
    assert!(
        a.message.contains("runs out near step 1024"),
        "{}",
        a.message
    );
}
