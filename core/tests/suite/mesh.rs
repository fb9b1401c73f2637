//! The mesh planner and the serving search: fixed axes checked with their numbers, every returned
//! layout fits, more identical devices at a fixed per-device batch never lower the throughput,
//! and the decode step against the roofline evaluated by hand.

use trainfit_core::hardware::find_accelerator;
use trainfit_core::mesh::{
    plan_serving, search, AttentionKernel, Chip, Engine, Fabric, LinkSpeed, MeshConstraints,
    MeshRequest, ServeRequest,
};
use trainfit_core::{Error, EstimateRequest};

/// 8 H100s per machine: NVSwitch at 370 GB/s bus bandwidth (nccl-tests #212, ring all-reduce),
/// 400 Gb/s InfiniBand per GPU at 44 GB/s (parallel-anchors §8: 40–48 GB/s per NDR NIC).
fn h100_fabric() -> (Chip, Fabric) {
    let acc = find_accelerator("NVIDIA H100 SXM5 80GB", None, None).expect("catalogue");
    (
        Chip::catalogue(acc, None, None).expect("peak"),
        Fabric {
            per_machine: 8,
            intra: LinkSpeed {
                bandwidth_gbs: 370.0,
                latency_us: 10.0,
            },
            inter: LinkSpeed {
                bandwidth_gbs: 44.0,
                latency_us: 20.0,
            },
        },
    )
}

fn request(model: &str, devices: u64, global_batch: u64, sequence: u64) -> MeshRequest {
    let (chip, fabric) = h100_fabric();
    let base: EstimateRequest = serde_json::from_value(serde_json::json!({
        "model": {"catalogue": model}, "task": "pretrain", "sequence": sequence,
        "precision": "mixed_bf16", "attention": "flash"}))
    .expect("request");
    MeshRequest {
        base,
        global_batch,
        devices,
        chip,
        fabric,
        memory_limit_bytes: 76 << 30,
        fixed: MeshConstraints::default(),
        engine: Engine {
            attention: AttentionKernel::Flash2,
            overlap_grad_reduce: true,
            overlap_tensor_comm: false,
            eager: true,
            fp8_linears: false,
        },
        keep: 4,
    }
}

fn message(e: Error) -> String {
    e.to_string()
}

#[test]
fn a_shape_that_needs_other_devices_is_refused_with_its_numbers() {
    let mut r = request("Llama-3.1-8B", 4, 64, 4096);
    r.fixed.shape = Some(vec![2, 4]);
    let m = message(search(&r).expect_err("2x4 on 4 devices"));
    assert!(m.contains("mesh.shape"), "{m}");
    assert!(
        m.contains("2x4 needs 8 devices but the cluster has 4"),
        "{m}"
    );
}

#[test]
fn a_tensor_degree_that_splits_a_head_is_refused() {
    let mut r = request("Llama-3.1-8B", 6, 60, 4096);
    r.fixed.tensor = Some(3);
    let m = message(search(&r).expect_err("tensor 3"));
    assert!(
        m.contains("tensor 3 does not divide 32 attention heads"),
        "{m}"
    );
}

#[test]
fn seed_003_shape_data_by_model_is_the_tensor_axis() {
    let mut r = request("Llama-3.1-8B", 8, 64, 4096);
    r.fixed.shape = Some(vec![4, 2]);
    let plan = search(&r).expect("4x2 fits");
    for c in &plan.candidates {
        assert_eq!((c.layout.data, c.layout.tensor), (4, 2));
    }
}

#[test]
fn every_layout_fits_and_the_best_comes_first() {
    let r = request("Llama-3.1-70B", 32, 128, 4096);
    let plan = search(&r).expect("70B on 32 H100s");
    assert!(!plan.candidates.is_empty());
    for c in &plan.candidates {
        assert!(c.peak_bytes <= r.memory_limit_bytes);
        assert_eq!(c.layout.devices(), 32);
        assert_eq!(c.layout.global_batch(), 128);
        assert!(c.time.step_s.is_finite() && c.time.step_s > 0.0);
        assert!(c.time.mfu > 0.0 && c.time.mfu < 1.0, "{}", c.time.mfu);
    }
    for w in plan.candidates.windows(2) {
        assert!(w[0].time.step_s <= w[1].time.step_s);
    }
    // 70B does not fit one H100 without splitting: some layouts were rejected for memory.
    assert!(plan.rejected_for_memory > 0);
}

#[test]
fn identical_devices_added_at_a_fixed_per_device_batch_never_lower_throughput() {
    let mut last = 0.0;
    for devices in [8u64, 16, 32, 64] {
        // 4 sequences per device per step.
        let plan = search(&request("Llama-3.1-8B", devices, 4 * devices, 4096)).expect("fits");
        let tps = plan.candidates[0].time.tokens_per_s;
        assert!(tps >= last, "{devices} devices: {tps} after {last}");
        last = tps;
    }
}

#[test]
fn the_scaling_curve_ends_at_the_cluster_and_a_fixed_batch_warns() {
    // The Ultra-Scale Playbook's setting: a 1B model, 4096-token sequences, a global batch of
    // 1M tokens (256 sequences) on 1 to 64 nodes of 8 H100s; its best MFU fell from 44.3 % on
    // one node to 5.2 % on 64 (parallel-anchors §5, from its benchmark data).
    let plan = search(&request("Llama-3.2-1B", 512, 256, 4096)).expect("fits");
    println!("{:?}", plan.scaling);
    let last = plan.scaling.last().expect("points");
    assert_eq!(last.devices, 512);
    assert_eq!(plan.scaling.first().map(|p| p.devices), Some(8));
    assert!(plan.scaling.windows(2).all(|w| w[0].devices < w[1].devices));
    let first = plan.scaling[0];
    assert!(last.mfu < first.mfu, "{first:?} {last:?}");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.code == trainfit_core::WarningCode::FixedBatchScaling),
        "{:?}",
        plan.scaling
    );
}

#[test]
fn one_device_decode_is_the_weights_and_cache_read_at_bandwidth() {
    let (chip, fabric) = h100_fabric();
    let base: EstimateRequest = serde_json::from_value(serde_json::json!({
        "model": {"catalogue": "Llama-3.1-8B"}, "task": "decode", "precision": "bf16",
        "inference": {"prompt": 2048}}))
    .expect("request");
    let req = ServeRequest {
        base,
        context: 4096,
        devices: 1,
        chip,
        fabric,
        memory_limit_bytes: 76 << 30,
    };
    let plan = plan_serving(&req).expect("8B fits one H100");
    let l = &plan.layouts[0];
    assert_eq!((l.tensor, l.pipeline, l.replicas), (1, 1, 1));
    // Roofline by hand: (weights + cache) / (3350 GB/s x 0.90, Calculon's share for transfers
    // of 100 MB and more), the FLOPs (2 x 8.0e9 x batch) taking less time at this batch.
    let bytes = (l.weights_bytes + l.kv_pool_bytes) as f64;
    let by_hand = bytes / (3350e9 * 0.90);
    assert!(
        (l.step_s / by_hand - 1.0).abs() < 1e-9,
        "{} vs {by_hand}",
        l.step_s
    );
    assert!(l.peak_bytes <= req.memory_limit_bytes);
    // One more sequence would not fit: the pool is what memory leaves.
    assert!(l.concurrency > 1);
    assert!((l.tokens_per_s - l.concurrency as f64 / l.step_s).abs() < 1e-6);
}
