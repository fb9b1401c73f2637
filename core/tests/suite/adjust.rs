//! Auto-adjustment through the public API: every observation kind on the fixture machines
//! (`tests/data/profiles`) under three goals and the three modes yields a configuration whose
//! re-estimated peak is within the budget the observation implies, or `none_left`; applying the
//! decision's configuration again with the same observation moves forward and stops; the numbers
//! in the reasons are the formulas' evaluated here; the JSON is issue 15's wire format.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Value};
use trainfit_core::adjust::{adjust, adjust_configuration, Action, Decision, Observation};
use trainfit_core::plan::{plan, Configuration, Mode, Plan, PlanRequest};

fn profile(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../tests/data/profiles/{name}"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn profiles() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/profiles");
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
}

fn plan_of(profile: Value, goal: Value) -> Plan {
    let r: PlanRequest = serde_json::from_value(json!({"profile": profile, "goal": goal})).unwrap();
    plan(&r).unwrap()
}

/// The fixture plans: every profile under pretraining, full fine-tuning and LoRA.
fn plans() -> &'static Vec<(String, Plan)> {
    static PLANS: OnceLock<Vec<(String, Plan)>> = OnceLock::new();
    PLANS.get_or_init(|| {
        let goals = [
            ("pretrain", json!({"task": "pretrain"})),
            (
                "finetune",
                json!({"task": "finetune", "model": {"catalogue": "qwen2.5-0.5b"}}),
            ),
            (
                "lora",
                json!({"task": "lora", "model": {"catalogue": "llama-3.1-8b"}}),
            ),
        ];
        let mut out = Vec::new();
        for path in profiles() {
            let p: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
            for (name, goal) in &goals {
                out.push((format!("{stem}/{name}"), plan_of(p.clone(), goal.clone())));
            }
        }
        out
    })
}

/// One observation of every kind for a configuration, with numbers from its own prediction.
fn observations(c: &Configuration, usable: u64) -> Vec<Observation> {
    let p = c.memory.peak_bytes;
    let step = c.time.step_s.unwrap_or(1.0);
    vec![
        Observation::OutOfMemory {
            step: Some(120),
            requested_bytes: Some(1 << 28),
            used_bytes: Some(p + p / 10),
            capacity_bytes: Some(usable),
        },
        Observation::OutOfMemory {
            step: None,
            requested_bytes: None,
            used_bytes: None,
            capacity_bytes: None,
        },
        Observation::MemoryPressure {
            used_bytes: usable - usable / 50,
            capacity_bytes: usable,
            predicted_bytes: None,
        },
        Observation::MemoryPressure {
            used_bytes: p + p / 5,
            capacity_bytes: p * 4,
            predicted_bytes: Some(p),
        },
        Observation::Throttling {
            reason: trainfit_core::adjust::ThrottleCause::Thermal,
            temperature_c: Some(88.0),
            clock_share: Some(0.7),
        },
        Observation::Throttling {
            reason: trainfit_core::adjust::ThrottleCause::Power,
            temperature_c: None,
            clock_share: None,
        },
        Observation::SlowStep {
            measured_step_s: step * 1.1,
            predicted_step_s: None,
        },
        Observation::SlowStep {
            measured_step_s: step * 2.0,
            predicted_step_s: None,
        },
        Observation::DeviceLost {
            devices_left: c.devices - 1,
        },
        Observation::Swap {
            swap_used_bytes: 1 << 30,
        },
        Observation::Battery {},
    ]
}

/// The decision's invariants: `none_left` carries no configuration; any other carries one whose
/// peak is the decision's, within the budget when there is one.
fn check(id: &str, o: &Observation, d: &Decision) {
    let what = format!("{id} {}: {:?} {}", o.kind(), d.action, d.reason);
    assert!(!d.reason.is_empty(), "{what}");
    if d.action == Action::NoneLeft {
        assert!(d.configuration.is_none() && d.set.is_none(), "{what}");
        return;
    }
    let c = d.configuration.as_ref().expect("a configuration");
    assert_eq!(d.peak_bytes, Some(c.memory.peak_bytes), "{what}");
    if let Some(budget) = d.budget_bytes {
        assert!(c.memory.peak_bytes <= budget, "{what}");
    }
    // Sequences per optimizer step are the micro-batches of every device and micro-step.
    assert_eq!(
        c.global_batch,
        c.micro_batch * c.devices * c.gradient_accumulation,
        "{what}"
    );
}

/// Applies the decision's configuration again with the same observation until it stops: at
/// `none_left` or at a decision that leaves the configuration as it is (`continue`, a pause at
/// the lowest cap). Memory observations never raise the peak, throttling never raises the cap.
/// Each re-application also checks the configuration: its re-estimated peak must equal its own
/// `memory.peak_bytes` byte for byte, or `adjust_configuration` refuses it.
fn run_to_end(id: &str, p: &Plan, c: &Configuration, o: &Observation) -> usize {
    let mut current = c.clone();
    for n in 1..=64 {
        let d = adjust_configuration(p, &current, o)
            .unwrap_or_else(|e| panic!("{id} {} step {n}: {e}", o.kind()));
        check(id, o, &d);
        let Some(next) = d.configuration else {
            return n;
        };
        if next == current {
            return n;
        }
        match o {
            Observation::OutOfMemory { .. }
            | Observation::MemoryPressure { .. }
            | Observation::Swap { .. } => {
                assert!(
                    next.memory.peak_bytes < current.memory.peak_bytes,
                    "{id} {}: the peak goes down",
                    o.kind()
                )
            }
            Observation::Throttling { .. } | Observation::Battery {} => {
                let cap = |c: &Configuration| c.power.power_cap_w.unwrap_or(f64::INFINITY);
                assert!(cap(&next) < cap(&current), "{id}: the cap goes down");
            }
            Observation::DeviceLost { .. } => {
                assert!(
                    next.devices < current.devices || n == 1,
                    "{id}: fewer devices"
                )
            }
            Observation::SlowStep { .. } => {}
        }
        current = next;
    }
    panic!("{id} {}: no end after 64 applications", o.kind());
}

#[test]
fn every_observation_on_every_fixture_fits_its_budget_or_says_none_left() {
    let mut decided = 0;
    let mut seen = std::collections::BTreeMap::new();
    for (id, p) in plans() {
        for c in &p.configurations {
            let id = format!("{id}/{}", c.mode);
            for o in observations(c, p.device.usable_bytes) {
                let d = adjust(p, c.mode, &o).unwrap_or_else(|e| panic!("{id} {}: {e}", o.kind()));
                check(&id, &o, &d);
                if std::env::var("ADJUST_TRACE").is_ok() {
                    eprintln!("{id} {} -> {} | {}", o.kind(), d.action, d.reason);
                }
                *seen.entry(d.action.as_str()).or_insert(0) += 1;
                if let Observation::OutOfMemory { .. } = o {
                    assert_ne!(d.action, Action::Continue, "{id}: an OOM always changes");
                }
                run_to_end(&id, p, c, &o);
                decided += 1;
            }
        }
    }
    // 5 profiles × 3 goals × 3 modes × 11 observations.
    assert_eq!(decided, 5 * 3 * 3 * 11);
}

fn rtx4090(goal: Value) -> Plan {
    let mut p = profile("rtx4090-desktop.json");
    // A settable lower limit, as NVML reports one (`power_min_limit_w`); the fixture has none.
    p["accelerators"][0]["power_min_limit_w"] = json!({"value": 150.0, "source": "measured"});
    plan_of(p, goal)
}

fn balanced(p: &Plan) -> &Configuration {
    p.configurations
        .iter()
        .find(|c| c.mode == Mode::Balanced)
        .unwrap()
}

fn gib(b: u64) -> String {
    format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64)
}

#[test]
fn out_of_memory_scales_the_budget_by_the_shortfall() {
    let p = rtx4090(json!({"task": "finetune", "model": {"catalogue": "qwen2.5-0.5b"}}));
    let c = balanced(&p);
    let predicted = c.memory.peak_bytes;
    let capacity = 25_757_220_864u64;
    // A real out-of-memory: what was held plus what was asked for exceeds the card.
    let used = capacity - (1u64 << 30);
    let requested = 2u64 << 30;
    let d = adjust(
        &p,
        Mode::Balanced,
        &Observation::OutOfMemory {
            step: Some(120),
            requested_bytes: Some(requested),
            used_bytes: Some(used),
            capacity_bytes: Some(capacity),
        },
    )
    .unwrap();
    // The real peak is at least used + requested; the budget is the capacity scaled by
    // predicted / (used + requested).
    let budget = (capacity as u128 * predicted as u128 / (used + requested) as u128) as u64;
    assert!(budget < predicted);
    assert_eq!(d.budget_bytes, Some(budget));
    assert!(d.reason.contains(&gib(budget)), "{}", d.reason);
    assert!(d.reason.contains(&gib(used + requested)), "{}", d.reason);
    let ratio = format!("{:.3} times", (used + requested) as f64 / predicted as f64);
    assert!(d.reason.contains(&ratio), "{}", d.reason);
    assert!(d.peak_bytes.unwrap() <= budget);
    assert!(
        d.reason.contains(&gib(d.peak_bytes.unwrap())),
        "{}",
        d.reason
    );
}

#[test]
fn memory_pressure_budget_is_95_percent_less_the_excess() {
    let p = rtx4090(json!({"task": "pretrain"}));
    let c = balanced(&p);
    let capacity = 25_757_220_864u64;
    let predicted = c.memory.peak_bytes;
    let used = capacity - capacity / 100; // 99 % of the card
    let d = adjust(
        &p,
        Mode::Balanced,
        &Observation::MemoryPressure {
            used_bytes: used,
            capacity_bytes: capacity,
            predicted_bytes: None,
        },
    )
    .unwrap();
    // 0.95 × 25,757,220,864 = 24,469,359,820.8 → 24,469,359,820 bytes, less what ran beyond the
    // prediction.
    let limit = 24_469_359_820u64;
    let budget = (limit - used.saturating_sub(predicted)).min(predicted - 1);
    assert_eq!(d.budget_bytes, Some(budget));
    assert!(d.reason.contains(&gib(limit)), "{}", d.reason);
    if d.action != Action::NoneLeft {
        assert!(d.peak_bytes.unwrap() <= budget);
    }
    // Below 95 %, with the use 20 % over the prediction: nothing to change, and it says so.
    let d = adjust(
        &p,
        Mode::Balanced,
        &Observation::MemoryPressure {
            used_bytes: predicted + predicted / 5,
            capacity_bytes: predicted * 4,
            predicted_bytes: Some(predicted),
        },
    )
    .unwrap();
    assert_eq!(d.action, Action::Continue);
    assert!(d.reason.contains("20 % above"), "{}", d.reason);
}

#[test]
fn thermal_throttling_pauses_then_caps_at_the_next_mode_share() {
    let p = rtx4090(json!({"task": "pretrain"}));
    let c = balanced(&p);
    // Balanced caps the 450 W card at 80 %: 360 W.
    assert_eq!(c.power.power_cap_w, Some(360.0));
    let o = Observation::Throttling {
        reason: trainfit_core::adjust::ThrottleCause::Thermal,
        temperature_c: Some(88.0),
        clock_share: None,
    };
    let d = adjust(&p, Mode::Balanced, &o).unwrap();
    assert_eq!(d.action, Action::Pause);
    let set = d.set.as_ref().unwrap();
    // Conservative's share: 0.4 × 450 W = 180 W, above the 150 W minimum.
    assert_eq!(set.power_cap_w, Some(180.0));
    assert_eq!(set.pause_s, Some(60.0));
    // Speed at a cap, (P/TDP)^(1/3): 0.4^(1/3) = 0.737, 0.8^(1/3) = 0.928.
    assert!(
        d.reason.contains("74 % of full speed instead of 93 %"),
        "{}",
        d.reason
    );
    let next = d.configuration.unwrap();
    let (a, b) = (c.time.step_s.unwrap(), next.time.step_s.unwrap());
    let want = a * 0.8f64.cbrt() / 0.4f64.cbrt();
    assert!((b - want).abs() < 1e-9 * want, "{b} against {want}");
    // The draw is the cap: 180 W on the one card.
    assert_eq!(next.power.draw_w, Some(180.0));
    // Again at 180 W: the 150 W minimum; then a pause alone, the configuration kept.
    let d = adjust_configuration(&p, &next, &o).unwrap();
    assert_eq!(d.set.as_ref().unwrap().power_cap_w, Some(150.0));
    let last = d.configuration.unwrap();
    let d = adjust_configuration(&p, &last, &o).unwrap();
    assert_eq!(d.action, Action::Pause);
    assert_eq!(d.configuration.as_ref(), Some(&last));
    assert!(d.reason.contains("150 W"), "{}", d.reason);
}

#[test]
fn battery_caps_at_the_conservative_share_then_pauses() {
    let p = rtx4090(json!({"task": "pretrain"}));
    let d = adjust(&p, Mode::Extreme, &Observation::Battery {}).unwrap();
    assert_eq!(d.action, Action::PowerCap);
    assert_eq!(d.set.as_ref().unwrap().power_cap_w, Some(180.0));
    let next = d.configuration.unwrap();
    let d = adjust_configuration(&p, &next, &Observation::Battery {}).unwrap();
    assert_eq!(d.action, Action::Pause);
}

#[test]
fn a_lost_gpu_keeps_the_global_batch_on_the_others_and_none_left_means_the_cpu() {
    let p = plan_of(
        profile("h100x8-node.json"),
        json!({"task": "finetune", "model": {"catalogue": "qwen2.5-0.5b"}}),
    );
    let c = balanced(&p);
    assert_eq!(c.devices, 8);
    let d = adjust(
        &p,
        Mode::Balanced,
        &Observation::DeviceLost { devices_left: 4 },
    )
    .unwrap();
    assert_eq!(d.action, Action::FewerDevices);
    let next = d.configuration.as_ref().unwrap();
    assert_eq!(next.devices, 4);
    // Half the devices: twice the micro-batches per device for the same global batch, when the
    // new per-step count divides it.
    if c.global_batch % (next.micro_batch * 4) == 0 {
        assert_eq!(next.global_batch, c.global_batch);
    }
    assert_eq!(d.set.as_ref().unwrap().devices, Some(4));
    assert!(next.memory.peak_bytes <= c.memory_target_bytes);
    assert!(d.reason.contains("4 of 8 devices left"), "{}", d.reason);
    let d = adjust(
        &p,
        Mode::Balanced,
        &Observation::DeviceLost { devices_left: 0 },
    )
    .unwrap();
    assert_eq!(d.action, Action::Cpu);
    let set = d.set.unwrap();
    assert_eq!(set.device, Some(trainfit_core::adjust::TargetDevice::Cpu));
    assert_eq!(set.precision.map(|p| p.as_str()), Some("fp32"));
    let next = d.configuration.unwrap();
    assert_eq!(next.devices, 1);
    assert_eq!(next.global_batch % c.global_batch, 0);
}

#[test]
fn a_slow_step_within_25_percent_continues() {
    let p = rtx4090(json!({"task": "pretrain"}));
    let c = balanced(&p);
    let s = c.time.step_s.unwrap();
    let d = adjust(
        &p,
        Mode::Balanced,
        &Observation::SlowStep {
            measured_step_s: s * 1.2,
            predicted_step_s: None,
        },
    )
    .unwrap();
    assert_eq!(d.action, Action::Continue);
    assert!(d.reason.contains("20 % slower"), "{}", d.reason);
}

#[test]
fn wire_format_round_trips() {
    // The example of issue 15's wire file, verbatim.
    let text = r#"{"kind":"out_of_memory","step":120,"requested_bytes":2147483648,"used_bytes":23622320128,"capacity_bytes":25757220864}"#;
    let o: Observation = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_string(&o).unwrap(), text);
    for text in [
        r#"{"kind":"out_of_memory"}"#,
        r#"{"kind":"memory_pressure","used_bytes":1,"capacity_bytes":2,"predicted_bytes":1}"#,
        r#"{"kind":"throttling","reason":"thermal","temperature_c":87.0,"clock_share":0.6}"#,
        r#"{"kind":"throttling","reason":"power"}"#,
        r#"{"kind":"slow_step","measured_step_s":1.5,"predicted_step_s":1.0}"#,
        r#"{"kind":"device_lost","devices_left":0}"#,
        r#"{"kind":"swap","swap_used_bytes":1073741824}"#,
        r#"{"kind":"battery"}"#,
    ] {
        let o: Observation = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&o).unwrap(), text);
    }
    assert!(serde_json::from_str::<Observation>(r#"{"kind":"battery","x":1}"#).is_err());
    assert!(serde_json::from_str::<Observation>(r#"{"kind":"fire"}"#).is_err());

    let p = rtx4090(json!({"task": "pretrain"}));
    let o: Observation = serde_json::from_str(text).unwrap();
    let d = adjust(&p, Mode::Balanced, &o).unwrap();
    let v = serde_json::to_value(&d).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for k in ["action", "reason", "set", "configuration", "peak_bytes"] {
        assert!(keys.contains(&k), "{k} in {keys:?}");
    }
    let back: Decision = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, d);
    // `set` holds only what changes, under the request's wire names.
    for (k, _) in v["set"].as_object().unwrap() {
        assert!(
            [
                "micro_batch",
                "gradient_accumulation",
                "global_batch",
                "sequence",
                "checkpointing",
                "optimizer",
                "offload_optimizer",
                "precision",
                "devices",
                "power_cap_w",
                "pause_s",
                "device"
            ]
            .contains(&k.as_str()),
            "{k}"
        );
    }
    // `none_left` has neither `set` nor `configuration`.
    let none = Decision {
        action: Action::NoneLeft,
        reason: "nothing".into(),
        set: None,
        configuration: None,
        peak_bytes: None,
        budget_bytes: None,
    };
    assert_eq!(
        serde_json::to_string(&none).unwrap(),
        r#"{"action":"none_left","reason":"nothing"}"#
    );
}

#[test]
fn unknown_modes_and_bad_numbers_are_refused_with_their_field() {
    let p = rtx4090(json!({"task": "pretrain"}));
    let r: PlanRequest = serde_json::from_value(json!({"profile": profile("rtx4090-desktop.json"),
        "goal": {"task": "pretrain"}, "modes": ["balanced"]}))
    .unwrap();
    let only = plan(&r).unwrap();
    let e = adjust(&only, Mode::Extreme, &Observation::Battery {}).unwrap_err();
    assert_eq!(e.field(), Some("mode"));
    let e = adjust(
        &p,
        Mode::Balanced,
        &Observation::SlowStep {
            measured_step_s: f64::NAN,
            predicted_step_s: None,
        },
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("measured_step_s"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any out-of-memory or pressure numbers on any fixture configuration: every decision fits
    /// its budget and repeated application ends.
    #[test]
    fn repeated_application_terminates(
        i in 0usize..15,
        mode in 0usize..3,
        used_share in 0.0f64..3.0,
        requested in 0u64..(8u64 << 30),
        pressure in any::<bool>(),
    ) {
        let (id, p) = &plans()[i];
        let c = &p.configurations[mode];
        let used = (c.memory.peak_bytes as f64 * used_share) as u64;
        let o = if pressure {
            Observation::MemoryPressure {
                used_bytes: used,
                capacity_bytes: p.device.usable_bytes,
                predicted_bytes: None,
            }
        } else {
            Observation::OutOfMemory {
                step: None,
                requested_bytes: Some(requested),
                used_bytes: Some(used),
                capacity_bytes: Some(p.device.usable_bytes),
            }
        };
        let n = run_to_end(id, p, c, &o);
        prop_assert!(n <= 64);
    }
}

/// A step 50 % slower whose breakdown shows exposed communication of half the compute: twice the
/// accumulation and global batch (the all-reduce runs once per optimizer step), re-timed.
#[test]
fn exposed_communication_asks_for_more_accumulation() {
    let p = plan_of(
        profile("h100x8-node.json"),
        json!({"task": "finetune", "model": {"catalogue": "qwen2.5-0.5b"}}),
    );
    let mut c = balanced(&p).clone();
    let b = c.time.breakdown.as_mut().expect("a time breakdown");
    let compute = b.compute_s + b.recompute_s;
    assert!(!b.communication.is_empty(), "eight devices all-reduce");
    // Half the compute exposed, as a slower link than the profile's would give.
    let extra = compute / 2.0 - b.communication.iter().map(|a| a.exposed_s).sum::<f64>();
    b.communication[0].exposed_s += extra;
    let step = c.time.step_s.unwrap();
    let d = adjust_configuration(
        &p,
        &c,
        &Observation::SlowStep {
            measured_step_s: step * 1.5,
            predicted_step_s: None,
        },
    )
    .unwrap();
    assert_eq!(d.action, Action::MoreAccumulation, "{}", d.reason);
    let set = d.set.as_ref().unwrap();
    assert_eq!(set.gradient_accumulation, Some(2 * c.gradient_accumulation));
    assert_eq!(set.global_batch, Some(2 * c.global_batch));
    assert!(d.reason.contains("50 % slower"), "{}", d.reason);
    assert!(
        d.reason.contains(&format!(
            "{:.2} s of it in exposed gradient communication",
            compute / 2.0
        )),
        "{}",
        d.reason
    );
    // Twice the tokens per step in less than twice the time: more tokens per second.
    let next = d.configuration.unwrap();
    assert!(next.time.step_s.unwrap() < 2.0 * step);
    assert!(next.time.tokens_per_s.unwrap() > c.time.tokens_per_s.unwrap());
}

/// On a CPU-only machine a lost device leaves nothing to fall back to.
#[test]
fn a_cpu_plan_has_no_device_to_fall_back_to() {
    let p = plan_of(profile("cpu-laptop-16gb.json"), json!({"task": "pretrain"}));
    let d = adjust(
        &p,
        Mode::Balanced,
        &Observation::DeviceLost { devices_left: 0 },
    )
    .unwrap();
    assert_eq!(d.action, Action::NoneLeft);
    assert!(d.reason.contains("already runs on the CPU"), "{}", d.reason);
}
