//! The heterogeneous planner (issue 13, "Unequal devices"; seed 000): seed 000's three Macs as a
//! golden plan, its invariants, and its errors. Regenerate the snapshot after a deliberate change
//! with `INSTA_UPDATE=always cargo test -p trainfit-core --test suite hetero::` and read the diff.

use std::fmt::Write as _;

use serde_json::json;
use trainfit_core::hardware::find_accelerator;
use trainfit_core::mesh::{
    plan_hetero, AttentionKernel, Chip, Engine, HeteroDevice, HeteroKind, HeteroPlan,
    HeteroRequest, LinkSpeed, Role,
};
use trainfit_core::{estimate, Error, EstimateRequest};

const GIB: u64 = 1 << 30;

/// Thunderbolt between Macs as MLX's ring backend sees it: about 6 GB/s per ring (48 Gb/s
/// counting both directions, mlx PR #1985, parallel-anchors §8) and 0.4-1 ms round trips over
/// the Thunderbolt bridge (exo #2295, parallel-anchors §7): half the midpoint one way, 350 µs.
const THUNDERBOLT: LinkSpeed = LinkSpeed {
    bandwidth_gbs: 6.0,
    latency_us: 350.0,
};

/// MLX as mlx-lm's LoRA trainer runs it: unfused elementwise operations (no `mx.compile` of the
/// step), attention whose backward runs as separate multiplies, and the gradients summed with
/// `mx.distributed.all_sum` after `value_and_grad` returns, not overlapped with the backward.
const MLX: Engine = Engine {
    attention: AttentionKernel::Eager,
    overlap_grad_reduce: false,
    overlap_tensor_comm: false,
    eager: true,
    fp8_linears: false,
};

/// The Metal working set macOS lets the GPU wire: two thirds of RAM up to 36 GiB, three quarters
/// above (`recommendedMaxWorkingSetSize` as MLX and llama.cpp report it; the estimator's `fit`).
fn metal_usable(ram_gib: u64) -> u64 {
    let ram = ram_gib * GIB;
    if ram <= 36 * GIB {
        ram / 3 * 2
    } else {
        ram / 4 * 3
    }
}

fn mac(name: &str, ram_gib: u64) -> HeteroDevice {
    let spec = find_accelerator(name, None, None).expect("catalogue entry");
    HeteroDevice {
        name: format!("{name} {ram_gib} GB"),
        chip: Chip::catalogue(spec, None, None).expect("bf16 peak"),
        usable_bytes: metal_usable(ram_gib),
    }
}

fn seed_macs() -> Vec<HeteroDevice> {
    vec![
        mac("Apple M4", 16),
        mac("Apple M4 Pro", 48),
        mac("Apple M2 Ultra", 192),
    ]
}

/// LoRA rank 16 on the attention's query and value projections (the LoRA paper's choice), bf16
/// weights, 2,048 tokens, layers recomputed (mlx-lm `--grad-checkpoint`), MLX's allocator.
fn lora(model: &str) -> EstimateRequest {
    serde_json::from_value(json!({
        "model": {"catalogue": model}, "task": "lora", "precision": "bf16", "sequence": 2048,
        "checkpointing": "full",
        "lora": {"rank": 16, "targets": ["q_proj", "v_proj"]},
        "runtime": {"framework": "mlx", "unified_memory": true}
    }))
    .unwrap()
}

fn request(model: &str, devices: Vec<HeteroDevice>, global_batch: u64) -> HeteroRequest {
    HeteroRequest {
        base: lora(model),
        global_batch,
        devices,
        ring: THUNDERBOLT,
        engine: MLX,
    }
}

fn summary(plan: &HeteroPlan) -> String {
    let mut out = String::new();
    for l in &plan.layouts {
        writeln!(
            out,
            "{:?}: step {:.2} s, {:.1} tokens/s, MFU {:.1} % of {:.1} TFLOP/s, bubble {:.2} s, ring {:.3} s",
            l.kind,
            l.step_s,
            l.tokens_per_s,
            l.mfu * 100.0,
            plan.peak_tflops,
            l.bubble_s,
            l.communication_s
        )
        .unwrap();
        writeln!(out, "  pace: {}", l.pace).unwrap();
        for d in &l.devices {
            writeln!(
                out,
                "  rank {} {:<22} {:<20} layers {:?} micro-batch {} x {} in flight {} peak {:.2} / {:.2} GiB, layer {:.3} s, busy {:.3} s",
                d.rank,
                d.name,
                format!("{:?}", d.role),
                d.layers,
                d.micro_batch,
                d.accumulation,
                d.in_flight,
                d.peak_bytes as f64 / GIB as f64,
                d.usable_bytes as f64 / GIB as f64,
                d.layer_s,
                d.busy_s
            )
            .unwrap();
            for t in &d.breakdown {
                writeln!(
                    out,
                    "      {:?} {:.3} GiB",
                    t.term,
                    t.bytes as f64 / GIB as f64
                )
                .unwrap();
            }
        }
        writeln!(out, "  engine: {}", l.engine_note).unwrap();
    }
    for r in &plan.refused {
        writeln!(out, "refused: {r}").unwrap();
    }
    for r in &plan.slower_with {
        writeln!(out, "slower with: {r}").unwrap();
    }
    out
}

#[test]
fn metal_working_set_matches_the_estimator() {
    // The usable memory above is what the estimator's fit reports for unified memory.
    for ram in [16, 48, 192] {
        let mut req = lora("llama-3.2-1b");
        req.runtime.device_memory_bytes = Some(ram * GIB);
        let fit = estimate(&req).unwrap().fit.unwrap();
        assert_eq!(fit.usable_bytes, metal_usable(ram), "{ram} GB");
    }
    // 16 GB: 10.67 GiB; 48 GB: 36 GiB; 192 GB: 144 GiB.
    assert_eq!(metal_usable(48), 36 * GIB);
    assert_eq!(metal_usable(192), 144 * GIB);
}

#[test]
fn seed_000_three_macs_lora_70b() {
    let model = "llama-3.1-70b";
    // Fits none of the Macs alone: even the M2 Ultra's 144 GiB is short of the 70.6 B bf16
    // weights (131.4 GiB) with the rest of a step and MLX's allocator.
    for d in seed_macs() {
        let err = plan_hetero(&request(model, vec![d.clone()], 8)).unwrap_err();
        assert!(
            matches!(err, Error::InvalidField { .. }),
            "{}: {err}",
            d.name
        );
    }
    let plan = plan_hetero(&request(model, seed_macs(), 8)).unwrap();
    // Only the pipeline fits: data parallelism needs the whole model on the M4.
    assert_eq!(plan.layouts.len(), 1);
    assert!(
        plan.refused[0].contains("data parallel"),
        "{:?}",
        plan.refused
    );
    let p = &plan.layouts[0];
    assert_eq!(p.kind, HeteroKind::Pipeline);
    let roles: Vec<Role> = p.devices.iter().map(|d| d.role).collect();
    assert_eq!(roles, [Role::Coordinator, Role::Worker, Role::Worker]);
    // Layers cover 0..80 in order, at least one each; embedding first, head last.
    let mut next = 0;
    for d in &p.devices {
        let [a, b] = d.layers.unwrap();
        assert_eq!(a, next);
        assert!(b > a);
        next = b;
        assert!(d.peak_bytes <= d.usable_bytes, "{}", d.name);
    }
    assert_eq!(next, 80);
    assert!(p.devices[0].embedding && p.devices[2].head);
    // The stages' weights add up to the model's: 70,553,706,496 parameters x 2 bytes (Llama
    // 3.1 70B's published safetensors size, 141.1 GB), to the rounding of three stages.
    let weights: u64 = p
        .devices
        .iter()
        .flat_map(|d| &d.breakdown)
        .filter(|t| t.term == trainfit_core::TermKind::Weights)
        .map(|t| t.bytes)
        .sum();
    assert!(
        (weights as f64 - 141_107_412_992.0).abs() < 1e6,
        "weights {weights}"
    );
    // One layer of the M2 Ultra: LoRA with recomputation runs each frozen weight's multiply three
    // times (forward, recomputed forward, input gradient): 6 x 856 M parameters x 2,048 tokens
    // = 10.5 TFLOP, plus attention's 12 x 8,192 x 2,048 x 2,048 x (3/2 with the recompute: 4
    // of 12 per pass) = 0.6 TFLOP; at 27.2 TFLOP/s x 0.803 (the matmul plateau the time model
    // uses for unlisted chips) that is 0.51 s. The memory-bound passes add to it.
    let ultra = &p.devices[2];
    assert!(
        ultra.layer_s > 0.51 && ultra.layer_s < 0.51 * 1.5,
        "layer {:.3} s",
        ultra.layer_s
    );
    // The M4 has a seventh of the M2 Ultra's peak (4.0 vs 27.2 TFLOP/s) and can hold only a few
    // layers; the M2 Ultra takes most.
    assert!(p.devices[0].layers.unwrap()[1] <= 8);
    assert!(ultra.layers.unwrap()[1] - ultra.layers.unwrap()[0] >= 50);
    // The M4 takes 4 of 80 layers but adds a stage to fill and drain: 10 micro-batch times of
    // the slowest stage instead of 9, each about 32 s. The plan says so (exo #803: a cluster
    // slower than its parts).
    assert_eq!(plan.slower_with.len(), 1, "{:?}", plan.slower_with);
    assert!(plan.slower_with[0].starts_with("Apple M4 16 GB (rank 0)"));
    insta::assert_snapshot!(summary(&plan));
}

#[test]
fn small_model_on_the_macs_has_both_layouts_and_weights_the_loss() {
    let plan = plan_hetero(&request("llama-3.2-1b", seed_macs(), 16)).unwrap();
    assert_eq!(plan.layouts.len(), 2);
    assert!(plan.layouts[0].step_s <= plan.layouts[1].step_s);
    let data = plan
        .layouts
        .iter()
        .find(|l| l.kind == HeteroKind::Data)
        .unwrap();
    let seqs: Vec<u64> = data.devices.iter().map(|d| d.sequences).collect();
    assert_eq!(seqs.iter().sum::<u64>(), 16);
    // Shares follow speed: the M2 Ultra (27.2 TFLOP/s, 800 GB/s) computes more than the M4 Pro
    // (8.1, 273), which computes at least as much as the M4 (4.0, 120).
    assert!(seqs[2] > seqs[1] && seqs[1] >= seqs[0], "{seqs:?}");
    assert!(data.engine_note.contains("all_sum"));
    for d in &data.devices {
        assert_eq!(d.micro_batch * d.accumulation, d.sequences);
        assert!(d.peak_bytes <= d.usable_bytes);
        if d.rank > 0 && d.micro_batch == 1 && d.accumulation > 1 {
            assert_eq!(d.role, Role::GradientAccumulator);
        }
    }
    for l in &plan.layouts {
        assert!(l.step_s.is_finite() && l.step_s > 0.0);
        assert!(l.mfu > 0.0 && l.mfu < 1.0);
    }
}

/// A device whose chip is `speed` times the M4 Pro's, with `usable` GiB.
fn scaled(name: &str, speed: f64, usable: u64) -> HeteroDevice {
    let mut d = mac("Apple M4 Pro", 48);
    d.name = name.to_string();
    d.chip.peak_tflops *= speed;
    d.chip.memory_gbs *= speed;
    d.usable_bytes = usable * GIB;
    d
}

#[test]
fn every_layout_fits_and_faster_devices_get_more_layers() {
    // Equal memory, speeds 1, 3, 2, 1.5: the faster of two stages gets at least as many layers
    // (the last stage, which also runs the head, is left out of the comparison).
    let devices = vec![
        scaled("a", 1.0, 30),
        scaled("b", 3.0, 30),
        scaled("c", 2.0, 30),
        scaled("d", 1.5, 30),
    ];
    let plan = plan_hetero(&request("llama-3.1-8b", devices.clone(), 8)).unwrap();
    for l in &plan.layouts {
        for d in &l.devices {
            assert!(d.peak_bytes <= d.usable_bytes, "{:?} {}", l.kind, d.name);
        }
    }
    let p = plan
        .layouts
        .iter()
        .find(|l| l.kind == HeteroKind::Pipeline)
        .unwrap();
    let count = |i: usize| {
        let [a, b] = p.devices[i].layers.unwrap();
        b - a
    };
    for i in 0..3 {
        for j in 0..3 {
            if devices[i].chip.peak_tflops > devices[j].chip.peak_tflops {
                assert!(
                    count(i) >= count(j),
                    "{} vs {}",
                    devices[i].name,
                    devices[j].name
                );
            }
        }
    }
    // Memory binds: with 12 GiB the fast device keeps what fits and the rest moves.
    let mut tight = devices.clone();
    tight[1].usable_bytes = 12 * GIB;
    let plan = plan_hetero(&request("llama-3.1-8b", tight, 8)).unwrap();
    for l in &plan.layouts {
        for d in &l.devices {
            assert!(d.peak_bytes <= d.usable_bytes, "{:?} {}", l.kind, d.name);
        }
    }
}

#[test]
fn permuting_equal_chips_keeps_the_step_time() {
    let base = vec![
        scaled("x1", 1.0, 40),
        scaled("y", 2.0, 40),
        scaled("x2", 1.0, 40),
    ];
    let swapped = vec![base[2].clone(), base[1].clone(), base[0].clone()];
    let a = plan_hetero(&request("llama-3.1-8b", base, 8)).unwrap();
    let b = plan_hetero(&request("llama-3.1-8b", swapped, 8)).unwrap();
    assert_eq!(a.layouts.len(), b.layouts.len());
    for (x, y) in a.layouts.iter().zip(&b.layouts) {
        assert_eq!(x.kind, y.kind);
        assert_eq!(x.step_s, y.step_s);
    }
}

/// The seed's Macs, where the largest device is also the fastest and holds most layers: without
/// it the plan is slower or impossible (see `a_slow_last_stage_is_named` for where this fails).
#[test]
fn removing_the_largest_device_never_speeds_up() {
    // The seed's 70B: impossible without the M2 Ultra.
    let mut two = seed_macs();
    two.pop();
    assert!(plan_hetero(&request("llama-3.1-70b", two, 8)).is_err());
    // An 8B model fits the rest; the M2 Ultra's removal must not make it faster.
    for model in ["llama-3.2-1b", "llama-3.1-8b"] {
        let all = plan_hetero(&request(model, seed_macs(), 8)).unwrap();
        let mut two = seed_macs();
        two.pop();
        match plan_hetero(&request(model, two, 8)) {
            Ok(rest) => assert!(
                rest.layouts[0].step_s >= all.layouts[0].step_s,
                "{model}: {} s without vs {} s with",
                rest.layouts[0].step_s,
                all.layouts[0].step_s
            ),
            Err(e) => assert!(matches!(e, Error::InvalidField { .. })),
        }
    }
}

#[test]
fn errors_name_the_devices_and_numbers() {
    // Llama 3.1 405B needs 756 GiB of bf16 weights; the Macs offer 191 GiB together.
    let err = plan_hetero(&request("llama-3.1-405b", seed_macs(), 8)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Apple M4 16 GB") && text.contains("126 layers"),
        "{text}"
    );
    assert!(text.contains("Apple M2 Ultra 192 GB"), "{text}");

    let err = plan_hetero(&request("llama-3.2-1b", vec![], 8)).unwrap_err();
    assert!(err.to_string().contains("at least one device"), "{err}");

    let mut devices = seed_macs();
    devices[1].usable_bytes = 0;
    let err = plan_hetero(&request("llama-3.2-1b", devices, 8)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("devices[1].usable_bytes") && text.contains("Apple M4 Pro 48 GB"),
        "{text}"
    );

    let err = plan_hetero(&request("llama-3.2-1b", seed_macs(), 0)).unwrap_err();
    assert!(err.to_string().contains("global_batch"), "{err}");

    let mut devices = seed_macs();
    devices[0].chip.peak_tflops = f64::NAN;
    assert!(plan_hetero(&request("llama-3.2-1b", devices, 8)).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Two to four devices of speed 0.5-4 x an M4 Pro and 3-40 GiB, in any order.
    fn devices() -> impl Strategy<Value = Vec<HeteroDevice>> {
        prop::collection::vec((1u32..=8, 3u64..=40), 2..=4).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (speed, gib))| scaled(&format!("d{i}"), f64::from(speed) / 2.0, gib))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Whatever the devices: a plan whose every device fits, whose layers cover the model
        /// once, with finite times; or an `invalid_field` error. Never a panic or NaN.
        #[test]
        fn plans_fit_or_fail_cleanly(devs in devices(), batch in prop::sample::select(vec![4u64, 8, 16])) {
            match plan_hetero(&request("llama-3.1-8b", devs, batch)) {
                Ok(plan) => {
                    for l in &plan.layouts {
                        prop_assert!(l.step_s.is_finite() && l.step_s > 0.0);
                        prop_assert!(l.mfu.is_finite() && l.mfu > 0.0 && l.mfu < 1.0);
                        let mut next = 0;
                        for d in &l.devices {
                            prop_assert!(d.peak_bytes <= d.usable_bytes, "{:?} {}", l.kind, d.name);
                            if let Some([a, b]) = d.layers {
                                prop_assert_eq!(a, next);
                                prop_assert!(b > a);
                                next = b;
                            } else {
                                prop_assert_eq!(d.micro_batch * d.accumulation, d.sequences);
                            }
                        }
                        if l.kind == HeteroKind::Pipeline {
                            prop_assert_eq!(next, 32);
                        }
                    }
                }
                Err(e) => prop_assert!(matches!(e, Error::InvalidField { .. }), "{e}"),
            }
        }
    }
}

/// Every device is a stage in the given order, so a device can slow the plan: here the slow d3
/// (4 TFLOP/s) sits last with the head and sets the pace at about 3.1 s per micro-batch whatever
/// the others do, and each further stage adds a micro-batch time of fill and drain. Removing
/// even the largest and fastest device, d0, then shortens the step, (8 + 2) x 3.2 s against
/// (8 + 3) x 3.1 s: the brief's "removing the largest device never makes the plan faster" holds
/// only where the removed device's layers slow the others more than its stage costs. The plan
/// names the devices whose removal would be faster, d3 first among them.
#[test]
fn a_slow_last_stage_is_named() {
    let mut devs = vec![
        scaled("d0", 4.0, 19),
        scaled("d1", 2.5, 9),
        scaled("d2", 2.5, 8),
        scaled("d3", 0.5, 5),
    ];
    let all = plan_hetero(&request("llama-3.1-8b", devs.clone(), 8)).unwrap();
    let p = &all.layouts[0];
    assert_eq!(p.kind, HeteroKind::Pipeline);
    assert_eq!(p.pace_rank, 3);
    // 11 micro-batch times of d3's stage, (8 + 4 - 1) x its busy time, then the slowest
    // optimizer step.
    let optimizer = p.devices.iter().map(|d| d.optimizer_s).fold(0.0, f64::max);
    assert!((p.step_s - 11.0 * p.devices[3].busy_s - optimizer).abs() < 1e-9 * p.step_s);
    let named: Vec<&str> = all
        .slower_with
        .iter()
        .map(|s| s.split(' ').next().unwrap())
        .collect();
    assert!(
        named.contains(&"d3") && named.contains(&"d0"),
        "{:?}",
        all.slower_with
    );
    devs.remove(0);
    let rest = plan_hetero(&request("llama-3.1-8b", devs, 8)).unwrap();
    assert!(rest.layouts[0].step_s < p.step_s);
}
