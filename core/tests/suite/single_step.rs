//! The time model in single-machine plans (issue 13, "make MFU an output"): a plan on one
//! profile prices each training configuration with the mesh's time model on its own devices and
//! links, QLoRA pays for dequantizing its weights, and host offload for the CPU's optimizer step
//! and the PCIe copies. Each figure is checked against the formula evaluated here.

use std::path::Path;

use serde_json::{json, Value};
use trainfit_core::mesh::{
    layout_time, AttentionKernel, Chip, Engine, Fabric, Layout, LinkSpeed, StepTime,
};
use trainfit_core::plan::{plan, PlanRequest};
use trainfit_core::request::Sharding;
use trainfit_core::EstimateRequest;

fn profile(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/profiles")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn plan_of(profile: Value, goal: Value, mode: &str) -> trainfit_core::plan::Plan {
    let req: PlanRequest =
        serde_json::from_value(json!({"profile": profile, "goal": goal, "modes": [mode]})).unwrap();
    plan(&req).unwrap()
}

/// Calculon's memory steps (`mem1` `MB_efficiency`: ≥ 100 MB 0.90, ≥ 10 MB 0.75, ≥ 1 MB 0.60,
/// below 0.30), as the time model applies them.
fn memory_share(bytes: f64) -> f64 {
    match bytes {
        b if b >= 100e6 => 0.90,
        b if b >= 10e6 => 0.75,
        b if b >= 1e6 => 0.60,
        _ => 0.30,
    }
}

/// Every configuration the time model prices on the fixtures keeps its utilisation below the
/// best matmul share any catalogue GPU reaches (A100's 0.869 in the MAMF table), and MFU below
/// HFU; a device without a memory bandwidth keeps the class efficiency and no breakdown.
#[test]
fn fixture_plans_are_priced_by_the_time_model_within_the_matmul_plateau() {
    let goals = [
        json!({"task": "lora", "model": {"catalogue": "llama-3.1-8b"}}),
        json!({"task": "qlora", "model": {"catalogue": "llama-3.1-8b"}}),
        json!({"task": "finetune", "model": {"catalogue": "qwen2.5-0.5b"}}),
        json!({"task": "pretrain"}),
    ];
    let mut priced = 0;
    for name in [
        "h100x8-node",
        "rtx4090-desktop",
        "m2-pro-32gb",
        "rtx3060-laptop-6gb",
        "cpu-laptop-16gb",
    ] {
        for goal in &goals {
            let p = plan_of(profile(name), goal.clone(), "balanced");
            let bandwidth =
                p.device.memory_bandwidth_gbs.is_some() && p.device.peak_tflops.is_some();
            for c in &p.configurations {
                let t = &c.time;
                match &t.breakdown {
                    Some(b) => {
                        priced += 1;
                        assert!(bandwidth, "{name}: priced without a memory bandwidth");
                        assert!(b.hfu > 0.0 && b.hfu < 0.869, "{name} {goal}: HFU {}", b.hfu);
                        assert!(b.mfu <= b.hfu, "{name} {goal}");
                        assert_eq!(t.mfu, Some(b.mfu));
                        let parts = b.compute_s
                            + b.recompute_s
                            + b.communication.iter().map(|a| a.exposed_s).sum::<f64>()
                            + b.bubble_s
                            + b.optimizer_s
                            + b.offload_s;
                        assert!(
                            (parts / b.step_s - 1.0).abs() < 1e-9,
                            "{name} {goal}: parts {parts} step {}",
                            b.step_s
                        );
                    }
                    None => assert!(
                        !bandwidth,
                        "{name} {goal}: a device with a bandwidth left unpriced"
                    ),
                }
            }
        }
    }
    // H100 node, RTX 4090 and M2 Pro: four goals each at one mode.
    assert_eq!(priced, 12);
}

/// QLoRA's step is LoRA's plus dequantizing every decoder linear before its forward multiply
/// and again for the input gradient, and once more in a full recomputation's forward: per
/// weight of `e` elements, NF4 with double quantization read (4.127 bits, Dettmers et al. 2023
/// §3) and the bf16 copy written (2 bytes), at Calculon's memory share of that transfer.
/// Llama-3.1-8B's decoder linears per layer: q and o 4096×4096, k and v 4096×1024, gate and up
/// 4096×14336, down 14336×4096; 32 layers; one micro-batch.
#[test]
fn qlora_pays_for_dequantizing_its_weights() {
    let chip = Chip {
        peak_tflops: 165.2,
        matmul_share: 0.803,
        fp8: None,
        hopper_or_later: false,
        memory_gbs: 1008.0,
    };
    let link = LinkSpeed {
        bandwidth_gbs: f64::INFINITY,
        latency_us: 0.0,
    };
    let fabric = Fabric {
        per_machine: 1,
        intra: link,
        inter: link,
    };
    let engine = Engine {
        attention: AttentionKernel::Flash2,
        overlap_grad_reduce: true,
        overlap_tensor_comm: false,
        // Fused elementwise kernels: the two tasks' block programs differ (QLoRA's casts), so
        // they are left out to isolate the multiplies.
        eager: false,
        fp8_linears: false,
    };
    let layout = Layout::data_parallel(1, Sharding::None, 1, 1);
    let time = |task: &str, recompute: &str| -> StepTime {
        let base: EstimateRequest = serde_json::from_value(json!({
            "model": {"catalogue": "llama-3.1-8b"},
            "task": task,
            "sequence": 2048,
            "precision": "bf16",
            "checkpointing": recompute,
            "lora": {"rank": 16, "targets": ["all-linear"]},
            "quantization": if task == "qlora" { json!({"format": "nf4"}) } else { Value::Null },
        }))
        .unwrap();
        layout_time(&base, &layout, &chip, &fabric, &engine).unwrap()
    };
    let per_layer: f64 = [
        (4096.0, 4096.0),
        (4096.0, 4096.0),
        (4096.0, 1024.0),
        (4096.0, 1024.0),
        (4096.0, 14336.0),
        (4096.0, 14336.0),
        (14336.0, 4096.0),
    ]
    .iter()
    .map(|(i, o)| {
        let bytes = i * o * (4.127 / 8.0 + 2.0);
        bytes / (1008e9 * memory_share(bytes))
    })
    .sum();
    let pass = 32.0 * per_layer;
    for (recompute, passes) in [("none", 2.0), ("full", 3.0)] {
        let (lora, qlora) = (time("lora", recompute), time("qlora", recompute));
        let delta = qlora.step_s - lora.step_s;
        assert!(
            (delta / (passes * pass) - 1.0).abs() < 1e-3,
            "{recompute}: delta {delta} s, formula {} s",
            passes * pass
        );
        assert!(qlora.hfu < lora.hfu);
    }
}

/// Optimizer offload (ZeRO-Offload): the step runs on the CPU over host memory and the updated
/// weights cross PCIe. Qwen2.5-1.5B fully fine-tuned on the RTX 4090 fixture: the balanced mode
/// offloads the optimizer, which DeepSpeed runs as its CPU Adam with the model in bf16 on the
/// device and fp32 master weights on the host (`mixed_bf16`). With a measured host bandwidth of
/// 60 GB/s the CPU step moves, per trained parameter: the two fp32 AdamW states and the fp32
/// master weight, each read and written (2 × 12), the fp32 gradient read (4) and the bf16 copy
/// written (2), 30 bytes, at Calculon's 0.90 share for transfers over 100 MB; the bf16 weights
/// then cross the PCIe 4.0 ×16 link at 16 × 1.969 GB/s × 0.8 (NCCL's bus efficiency the planner
/// applies to the link). The fixture has no host bandwidth: dual-channel DDR4-3200 stands in.
#[test]
fn optimizer_offload_prices_the_cpu_step_and_the_copies() {
    let mut p = profile("rtx4090-desktop");
    let goal = json!({"task": "finetune", "model": {"catalogue": "qwen2.5-1.5b"}});
    // Without a host bandwidth, dual-channel DDR4-3200's 51.2 GB/s stands in.
    let without = plan_of(p.clone(), goal.clone(), "balanced");
    let c = &without.configurations[0];
    assert!(c.offload.optimizer, "the balanced mode offloads");
    assert_eq!(c.precision.as_str(), "mixed_bf16");
    assert_eq!(c.optimizer.map(|o| o.as_str()), Some("adamw"));
    let b = c.time.breakdown.as_ref().expect("priced");
    let n = c.model.trainable as f64;
    let pcie = n * 2.0 / (16.0 * 1.969 * 0.8 * 1e9);
    let cpu = n * 30.0 / (51.2e9 * 0.90);
    assert!((b.optimizer_s / (cpu + pcie) - 1.0).abs() < 1e-9);

    p["memory"]["bandwidth_gbs"] = json!({"value": 60.0, "source": "measured"});
    let with = plan_of(p, goal, "balanced");
    let c = &with.configurations[0];
    assert!(c.offload.optimizer);
    let b = c
        .time
        .breakdown
        .as_ref()
        .expect("priced with the host bandwidth");
    let cpu = n * 30.0 / (60e9 * 0.90);
    assert!(
        (b.optimizer_s / (cpu + pcie) - 1.0).abs() < 1e-9,
        "optimizer {} s, formula {} s",
        b.optimizer_s,
        cpu + pcie
    );
    assert_eq!(c.time.step_s, Some(b.step_s));
    assert!(
        (c.time.tokens_per_s.unwrap() * b.step_s / (c.global_batch * c.sequence) as f64 - 1.0)
            .abs()
            < 1e-9
    );
}

/// ZeRO-Offload keeps the fp32 master weights, the two fp32 AdamW states and fp32 gradients on the
/// host: 16 bytes per trained parameter (Ren et al. 2021, §4.1). Qwen2.5-0.5B (494M parameters)
/// fully fine-tuned on the 6 GB RTX 3060 laptop fixture (16 GB of memory) offloads in the
/// balanced mode: 494M x 16 B = 7.9 GB, within 75 % of (15.26 GiB - 2 GiB) = 9.9 GiB. With 8 GiB
/// of memory the host may take 75 % of 6 GiB = 4.5 GiB, so no configuration offloads and the
/// mode does not fit.
#[test]
fn offload_keeps_its_states_within_the_hosts_memory() {
    let goal = json!({"task": "finetune", "model": {"catalogue": "qwen2.5-0.5b"}});
    let p = profile("rtx3060-laptop-6gb");
    let roomy = plan_of(p.clone(), goal.clone(), "balanced");
    let c = &roomy.configurations[0];
    assert!(c.fits && c.offload.optimizer, "offloads on 16 GB");
    assert_eq!(c.precision.as_str(), "mixed_bf16");
    let host = c.memory.host_bytes as f64;
    let n = c.model.trainable as f64;
    assert!(
        (host / (16.0 * n) - 1.0).abs() < 0.01,
        "{host} B for {n} parameters"
    );
    let system = 16_383_905_792.0_f64;
    assert!(host <= 0.75 * (system - 2.0 * (1u64 << 30) as f64));

    let mut small = p;
    small["memory"]["total_bytes"] = json!({"value": 8u64 << 30, "source": "measured"});
    let tight = plan_of(small, goal, "balanced");
    let c = &tight.configurations[0];
    assert!(!c.fits, "offload needs {host} B of host memory");
    assert!(!c.offload.optimizer || c.memory.host_bytes <= (6u64 << 30) * 3 / 4);
}

/// ZeRO-Offload's staging buffer on the device: DeepSpeed keeps one buffer of the largest
/// trainable parameter in the model's dtype under ZeRO-1/2 (`temp_grad_buffer_for_gpu_offload`,
/// stage_1_and_2.py) and two of the largest partition under ZeRO-3 (stage3.py). Qwen2.5-0.5B's
/// largest is its tied embedding, 151,936 x 896 = 136,134,656 elements: 272,269,312 B in bf16
/// (a whole number of 512-byte blocks), and a quarter of it, 34,033,664 elements, per rank of
/// four under ZeRO-3: 2 x 68,067,328 = 136,134,656 B.
#[test]
fn offload_stages_the_largest_parameter_on_the_device() {
    let buffers = |parallel: Value| -> (u64, u64) {
        let req: EstimateRequest = serde_json::from_value(json!({
            "model": {"catalogue": "qwen2.5-0.5b"}, "task": "finetune",
            "precision": "mixed_bf16", "micro_batch": 1, "sequence": 512,
            "parallel": parallel,
        }))
        .unwrap();
        let e = trainfit_core::estimate(&req).unwrap();
        let term = |k: &str| {
            e.breakdown
                .iter()
                .filter(|t| t.term.as_str() == k)
                .map(|t| t.bytes)
                .sum::<u64>()
        };
        (term("sharding_buffers"), e.host_bytes)
    };
    let (none, host) = buffers(json!({}));
    assert_eq!((none, host), (0, 0));
    let (one, host) = buffers(json!({"offload": {"optimizer": true}}));
    assert_eq!(one, 272_269_312);
    assert!(host > 0);
    let (zero3, _) = buffers(json!({
        "data": 4, "sharding": "zero3", "offload": {"optimizer": true},
    }));
    let (zero3_kept, _) = buffers(json!({"data": 4, "sharding": "zero3"}));
    assert_eq!(zero3 - zero3_kept, 136_134_656);
}
