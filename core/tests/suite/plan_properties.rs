//! Invariants of `plan()` over generated machines: one NVIDIA GPU (4–192 GiB, compute capability
//! 7.5, 8.0, 8.9 or 9.0), a CPU-only box (4–256 GiB) and an Apple chip (8–192 GiB unified).

use proptest::prelude::*;
use serde_json::{json, Value};
use trainfit_core::plan::{plan, Configuration, Mode, Plan, PlanRequest};
use trainfit_core::{estimate, EstimateRequest};

use trainfit_core::math::GIB;

/// A machine, without its memory (so the same machine can be tried with more).
#[derive(Debug, Clone)]
enum Machine {
    Nvidia { cc: &'static str, peak: f64 },
    Cpu { bf16: bool, cores: u32 },
    Apple { chip: &'static str },
}

impl Machine {
    /// The memory range of this kind of machine, GiB.
    fn range(&self) -> (u64, u64) {
        match self {
            Machine::Nvidia { .. } => (4, 192),
            Machine::Cpu { .. } => (4, 256),
            Machine::Apple { .. } => (8, 192),
        }
    }

    fn profile(&self, memory: u64) -> Value {
        match self {
            // A name the catalogue does not know, so the GPU is exactly what is written here.
            Machine::Nvidia { cc, peak } => json!({"accelerators": [{
                "vendor": "nvidia", "name": "Synthetic Test GPU", "kind": "discrete",
                "compute_capability": cc,
                "memory_total_bytes": {"value": memory, "source": "user"},
                "memory_bandwidth_gbs": {"value": 1000.0, "source": "user"},
                "peak_tflops": {
                    "fp32": {"value": peak / 8.0, "source": "user"},
                    "fp16": {"value": peak, "source": "user"},
                    "bf16": {"value": peak, "source": "user"},
                },
                "tdp_w": {"value": 350.0, "source": "user"},
                "power_min_limit_w": {"value": 100.0, "source": "user"},
            }]}),
            Machine::Cpu { bf16, cores } => {
                let mut flags = vec!["avx2", "fma", "avx512f"];
                if *bf16 {
                    flags.push("avx512_bf16");
                }
                json!({
                    "cpu": {"brand": "Synthetic Test CPU", "flags": flags,
                            "physical_cores": {"value": cores, "source": "measured"},
                            "max_mhz": {"value": 3000, "source": "measured"}},
                    "memory": {"total_bytes": {"value": memory, "source": "measured"}},
                })
            }
            // The Metal working set is about three quarters of the unified memory.
            Machine::Apple { chip } => json!({
                "memory": {"total_bytes": {"value": memory, "source": "measured"}, "unified": true},
                "accelerators": [{
                    "vendor": "apple", "name": chip, "kind": "unified", "backend": "metal",
                    "memory_total_bytes": {"value": memory / 4 * 3, "source": "measured"},
                    "memory_source": "metal_working_set",
                }],
            }),
        }
    }
}

fn machine() -> impl Strategy<Value = Machine> {
    prop_oneof![
        (
            prop::sample::select(vec!["7.5", "8.0", "8.9", "9.0"]),
            prop::sample::select(vec![30.0, 65.0, 165.0, 990.0]),
        )
            .prop_map(|(cc, peak)| Machine::Nvidia { cc, peak }),
        (any::<bool>(), prop::sample::select(vec![4u32, 16, 64]))
            .prop_map(|(bf16, cores)| Machine::Cpu { bf16, cores }),
        prop::sample::select(vec!["Apple M1", "Apple M2 Max", "Apple M3 Pro", "Apple M4"])
            .prop_map(|chip| Machine::Apple { chip }),
    ]
}

/// A machine with a memory in its range, bytes (whole GiB and some MiB, so not all round).
fn machine_with_memory() -> impl Strategy<Value = (Machine, u64)> {
    machine().prop_flat_map(|m| {
        let (lo, hi) = m.range();
        (Just(m), (lo * 1024)..=(hi * 1024)).prop_map(|(m, mib)| (m, mib << 20))
    })
}

/// LoRA base model: 1.2B parameters, so it fits some machines of the range and not others.
const LORA_MODEL: &str = "llama-3.2-1b";

fn goals() -> Vec<Value> {
    vec![
        json!({"task": "pretrain"}),
        json!({"task": "lora", "model": {"catalogue": LORA_MODEL}}),
    ]
}

fn run(machine: &Machine, memory: u64, goal: &Value) -> Plan {
    let r: PlanRequest =
        serde_json::from_value(json!({"profile": machine.profile(memory), "goal": goal})).unwrap();
    plan(&r).unwrap_or_else(|e| panic!("{machine:?} {memory} {goal}: {e}"))
}

fn describe(c: &Configuration) -> String {
    format!(
        "{} bytes ({}, b{} s{} {:?} {:?})",
        c.memory.peak_bytes, c.model.name, c.micro_batch, c.sequence, c.checkpointing, c.optimizer
    )
}

fn mode(p: &Plan, m: Mode) -> &Configuration {
    p.configurations.iter().find(|c| c.mode == m).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// (a) What fits stays within the mode's memory target, for pretraining and for LoRA.
    #[test]
    fn fitting_configurations_stay_within_their_target((m, memory) in machine_with_memory()) {
        for goal in goals() {
            let p = run(&m, memory, &goal);
            prop_assert_eq!(p.configurations.len(), 3);
            for c in p.configurations.iter().filter(|c| c.fits) {
                prop_assert!(
                    c.memory.peak_bytes <= c.memory_target_bytes,
                    "{:?} {} {}: {:?} peak {} > target {}",
                    m, memory, goal, c.mode, c.memory.peak_bytes, c.memory_target_bytes
                );
                // The target is the mode's share of the device's usable memory (the modes table
                // in core/src/plan/modes.rs: 50 %, 75 %, 95 %).
                let share = match c.mode {
                    Mode::Conservative => 0.50,
                    Mode::Balanced => 0.75,
                    Mode::Extreme => 0.95,
                };
                let want = p.device.usable_bytes as f64 * share;
                prop_assert!((c.memory_target_bytes as f64 - want).abs() <= 1.0);
            }
        }
    }

    /// (b) When all three fit, a higher mode uses at least as much memory as a lower one that
    /// trains the same model. Only pretraining's modes may train different models, each sized
    /// by its own time budget (property (c) is why a higher mode does not adopt a lower one's).
    #[test]
    fn modes_order_their_memory((m, memory) in machine_with_memory()) {
        for goal in goals() {
            let p = run(&m, memory, &goal);
            if !p.configurations.iter().all(|c| c.fits) {
                continue;
            }
            for (i, lo) in Mode::ALL.iter().enumerate() {
                for hi in &Mode::ALL[i + 1..] {
                    let (l, h) = (mode(&p, *lo), mode(&p, *hi));
                    if l.model.name != h.model.name {
                        prop_assert_eq!(&goal["task"], "pretrain");
                        continue;
                    }
                    prop_assert!(
                        h.memory.peak_bytes >= l.memory.peak_bytes,
                        "{:?} {} {}: {:?} {}, {:?} {}",
                        m, memory, goal, lo, describe(l), hi, describe(h)
                    );
                }
            }
        }
    }

    /// (c) More memory on the same machine never yields a smaller pretraining model, per mode.
    #[test]
    fn more_memory_never_shrinks_the_pretraining_model(
        (m, a, b) in machine().prop_flat_map(|m| {
            let (lo, hi) = m.range();
            (Just(m), lo..=hi, lo..=hi)
        })
    ) {
        let (small, large) = (a.min(b) * GIB, a.max(b) * GIB);
        let goal = json!({"task": "pretrain"});
        let ps = run(&m, small, &goal);
        let pl = run(&m, large, &goal);
        for &mode_ in Mode::ALL {
            let (s, l) = (mode(&ps, mode_), mode(&pl, mode_));
            prop_assert!(
                l.model.parameters >= s.model.parameters,
                "{:?} {:?}: {} GiB -> {} ({}), {} GiB -> {} ({})",
                m, mode_, small / GIB, s.model.name, s.model.parameters,
                large / GIB, l.model.name, l.model.parameters
            );
        }
    }

    /// (d) No NaN or infinity anywhere in the plan. serde_json writes non-finite floats as `null`
    /// rather than failing, so the check is a round trip: a non-finite `f64` does not parse back
    /// from `null`, a non-finite `Option<f64>` comes back `None`, and NaN is unequal to itself.
    #[test]
    fn plans_are_finite_and_survive_a_json_round_trip(
        (m, memory) in machine_with_memory(),
        task in prop::sample::select(vec!["pretrain", "finetune", "lora", "qlora", "serve"]),
    ) {
        let goal = if task == "pretrain" {
            json!({"task": task})
        } else {
            json!({"task": task, "model": {"catalogue": "smollm2-135m"}})
        };
        let p = run(&m, memory, &goal);
        let text = serde_json::to_string(&p).unwrap();
        let back: Result<Plan, _> = serde_json::from_str(&text);
        prop_assert!(back.is_ok(), "{:?} {} {}: {:?}", m, memory, goal, back.err());
        prop_assert!(back.unwrap() == p, "{:?} {} {}: a number did not survive: {}", m, memory, goal, text);
    }
}

/// The 16-bit dtype LoRA loads its frozen base in (the training recipe's compute dtype).
fn adapter_precision(p: &Value) -> Value {
    match p.as_str().unwrap() {
        "amp_bf16" | "mixed_bf16" | "bf16" => json!("bf16"),
        "amp_fp16" | "mixed_fp16" | "fp16" => json!("fp16"),
        _ => p.clone(),
    }
}

/// The configuration as `estimate` sees it, with its own gradient accumulation.
fn own_request(p: &Plan, c: &Configuration, goal: &Value) -> EstimateRequest {
    let cv = serde_json::to_value(c).unwrap();
    let lora = goal["task"] == "lora";
    let model = if lora {
        goal["model"].clone()
    } else {
        let s = c.model.shape.unwrap();
        // Llama architecture, untied head, no GQA (the `Shape` documentation).
        json!({"hf_config": {
            "model_type": "llama", "hidden_size": s.hidden, "num_hidden_layers": s.layers,
            "num_attention_heads": s.heads, "num_key_value_heads": s.heads,
            "intermediate_size": s.intermediate, "vocab_size": s.vocab,
            "max_position_embeddings": 8192, "tie_word_embeddings": false}})
    };
    let mut r = json!({
        "model": model, "task": goal["task"],
        "micro_batch": c.micro_batch, "sequence": c.sequence,
        "precision": if lora { adapter_precision(&cv["precision"]) } else { cv["precision"].clone() },
        "optimizer": cv["optimizer"], "attention": cv["attention"],
        "checkpointing": cv["checkpointing"],
        "parallel": {"data": c.devices, "micro_batches": c.gradient_accumulation,
                     "sharding": cv["sharding"], "offload": cv["offload"]},
        "runtime": {"framework": p.device.framework, "device_memory_bytes": p.device.usable_bytes},
    });
    if lora {
        r["lora"] =
            json!({"rank": c.lora_rank.unwrap(), "targets": ["all-linear"], "dtype": "fp32"});
    }
    serde_json::from_value(r).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// (a, strict) A configuration that fits still fits when estimated as it will run: with its
    /// reported gradient accumulation, whose gradients stay allocated across micro-batches.
    #[test]
    fn fitting_configurations_fit_as_they_will_run((m, memory) in machine_with_memory()) {
        for goal in goals() {
            let p = run(&m, memory, &goal);
            for c in p.configurations.iter().filter(|c| c.fits) {
                let e = estimate(&own_request(&p, c, &goal)).unwrap();
                prop_assert!(
                    e.peak_bytes <= c.memory_target_bytes,
                    "{:?} {} {}: {:?} {} b{} s{} accumulation {}: peak {} > target {} (reported {})",
                    m, memory, goal, c.mode, c.model.name, c.micro_batch, c.sequence,
                    c.gradient_accumulation, e.peak_bytes, c.memory_target_bytes, c.memory.peak_bytes
                );
            }
        }
    }
}

/// The smallest case of (b) in whole GiB for pretraining on an Ada-class GPU (compute
/// capability 8.9, 165 TFLOP/s bf16, 10 GiB): balanced trains a smaller model at micro-batch 4 ×
/// 2048 tokens, extreme a larger one at micro-batch 1 × 4096 (the longest sequence of its range,
/// taken before the micro-batch), and extreme's peak comes out below balanced's.
#[test]
fn extreme_uses_at_least_the_memory_of_balanced_on_a_10_gib_ada_gpu() {
    let m = Machine::Nvidia {
        cc: "8.9",
        peak: 165.0,
    };
    let p = run(&m, 10 * GIB, &json!({"task": "pretrain"}));
    assert!(p.configurations.iter().all(|c| c.fits));
    let (b, e) = (mode(&p, Mode::Balanced), mode(&p, Mode::Extreme));
    assert!(
        e.memory.peak_bytes >= b.memory.peak_bytes,
        "balanced {}, extreme {}",
        describe(b),
        describe(e)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Two-phase pretraining: phase B, when it fits, stays within its mode's memory target, is
    /// no shorter than phase A, and takes its share of the tokens; both phases' time adds up.
    #[test]
    fn phase_b_fits_its_mode((m, memory) in machine_with_memory()) {
        let goal = json!({"task": "pretrain", "phases": 2});
        let p = run(&m, memory, &goal);
        for c in &p.configurations {
            let b = c.phase_b.as_ref().expect("two phases were asked for");
            if b.fits {
                prop_assert!(
                    b.memory.peak_bytes <= c.memory_target_bytes,
                    "{:?} {}: {:?} phase B s{} b{}: peak {} > target {}",
                    m, memory, c.mode, b.sequence, b.micro_batch, b.memory.peak_bytes,
                    c.memory_target_bytes
                );
            }
            prop_assert!(b.sequence >= c.sequence);
            // 10 % of the tokens by default (MiniCPM's decay stage), in whole steps.
            let all = (b.time.tokens + c.time.tokens) as f64;
            let step_b = (b.global_batch * b.sequence) as f64;
            prop_assert!((b.time.tokens as f64 - 0.1 * all).abs() <= step_b + 0.01 * all);
            if let (Some(a), Some(bt), Some(t)) = (c.time.total_s, b.time.total_s, b.total_s) {
                prop_assert!((a + bt - t).abs() <= 1e-6 * t.max(1.0));
            }
        }
    }

    /// The out-of-memory ladder's first step never more than halves the micro-batch the planner
    /// chose, and keeps the global batch: every chosen micro-batch above 1 is even.
    #[test]
    fn ladder_halves_the_micro_batch_gently((m, memory) in machine_with_memory()) {
        for goal in goals() {
            let p = run(&m, memory, &goal);
            for c in &p.configurations {
                let Some(f) = c.fallbacks.first().filter(|f| {
                    f.action == trainfit_core::plan::FallbackAction::HalveMicroBatch
                }) else {
                    continue;
                };
                // "micro-batch N with M accumulation steps (same global batch)"
                let words: Vec<&str> = f.description.split(' ').collect();
                let mb: u64 = words[1].parse().unwrap();
                let acc: u64 = words[3].parse().unwrap();
                prop_assert!(2 * mb >= c.micro_batch, "{:?} {}: {} -> {}", m, memory, c.micro_batch, mb);
                prop_assert_eq!(mb * acc * c.devices, c.global_batch);
            }
        }
    }
}
