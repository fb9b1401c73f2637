//! `plan` with a cluster: one kind of machine gets each training configuration's mesh from the
//! search (its memory within the mode's target, its time from the time model); machines of
//! unequal devices get the heterogeneous planner's layouts per mode; permuting machines changes
//! nothing; mistakes are named with their numbers.

use serde_json::{json, Value};
use trainfit_core::plan::{plan, PlanRequest};

fn fixture(path: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/../tests/data/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    serde_json::from_str(&text).expect("JSON")
}

fn request(v: Value) -> PlanRequest {
    serde_json::from_value(v).expect("plan request")
}

fn h100_cluster(machines: Value) -> Value {
    json!({"machines": machines, "links": [{"class": "infiniband",
        "bandwidth_gbs": {"value": 44.0, "source": "user"}}]})
}

#[test]
fn one_kind_of_machine_gets_a_mesh_per_training_configuration() {
    let node = fixture("profiles/h100x8-node.json");
    let r = request(json!({
        "cluster": h100_cluster(json!([{"name": "node", "count": 4, "profile": node}])),
        "goal": {"task": "finetune", "model": {"catalogue": "Llama-3.1-70B"},
                 "sequence": 4096, "global_batch": 128},
    }));
    let p = plan(&r).expect("70B fine-tunes on 32 H100s");
    let c = p.cluster.as_ref().expect("summary");
    assert_eq!((c.machines, c.devices_per_machine, c.devices), (4, 8, 32));
    assert_eq!(c.between.as_ref().map(|l| l.bandwidth_gbs), Some(44.0));
    assert_eq!(p.configurations.len(), 3);
    // Conservative (half of 79.6 GiB) holds no layout of a full 70B fine-tune: 16 bytes per
    // parameter of states alone are 35 GB per device over 32; it says so.
    let meshes = p.configurations.iter().filter(|c| c.mesh.is_some()).count();
    assert!(meshes >= 2, "{meshes}");
    for conf in &p.configurations {
        let Some(mesh) = conf.mesh.as_ref() else {
            assert!(!conf.fits);
            assert!(conf.warnings.iter().any(|w| w
                .message
                .starts_with("no parallel layout of the cluster fits")));
            continue;
        };
        let best = &mesh.candidates[0];
        assert!(conf.fits);
        assert!(best.peak_bytes <= conf.memory_target_bytes);
        assert_eq!(best.layout.devices(), 32);
        assert_eq!(best.layout.global_batch(), conf.global_batch);
        assert_eq!(conf.global_batch, 128);
        // The configuration's time is the time model's, its memory the layout's estimate.
        assert_eq!(conf.time.step_s, Some(best.time.step_s));
        assert_eq!(conf.time.mfu, Some(best.time.mfu));
        assert_eq!(conf.memory.peak_bytes, best.peak_bytes);
    }
}

#[test]
fn permuting_machines_changes_nothing() {
    let node = fixture("profiles/h100x8-node.json");
    let goal = json!({"task": "lora", "model": {"catalogue": "Llama-3.1-8B"}, "global_batch": 32});
    let a = json!({"name": "a", "count": 1, "profile": node});
    let b = json!({"name": "b", "count": 1, "profile": node});
    let one = plan(&request(
        json!({"cluster": h100_cluster(json!([a, b])), "goal": goal}),
    ))
    .expect("plans");
    let two = plan(&request(
        json!({"cluster": h100_cluster(json!([b, a])), "goal": goal}),
    ))
    .expect("plans");
    assert_eq!(one, two);
}

#[test]
fn unequal_macs_get_roles_layers_and_memory() {
    let macs: Vec<Value> = ["m4-16gb", "m4-pro-48gb", "m2-ultra-192gb"]
        .iter()
        .map(|m| json!({"profile": fixture(&format!("clusters/{m}.json"))}))
        .collect();
    let r = request(json!({
        "cluster": {"machines": macs, "links": [{"class": "thunderbolt"}]},
        "goal": {"task": "lora", "model": {"catalogue": "Llama-3.1-70B"}, "sequence": 2048,
                 "global_batch": 8},
    }));
    let p = plan(&r).expect("the extreme mode fits");
    assert!(p.configurations.is_empty());
    assert_eq!(p.hetero.len(), 3);
    // 70B at bf16 (141 GB of weights) fits none of them alone, nor all three within 50 % or 75 %
    // of their memory; within 95 % as a pipeline.
    let extreme = p
        .hetero
        .iter()
        .find(|m| m.mode.as_str() == "extreme")
        .expect("extreme");
    let layout = &extreme.plan.as_ref().expect("a layout").layouts[0];
    let layers: u64 = layout
        .devices
        .iter()
        .map(|d| d.layers.map_or(0, |[a, b]| b - a))
        .sum();
    assert_eq!(layers, 80);
    for d in &layout.devices {
        assert!(d.peak_bytes <= d.usable_bytes, "{}", d.name);
    }
    let conservative = p
        .hetero
        .iter()
        .find(|m| m.mode.as_str() == "conservative")
        .expect("mode");
    let why = conservative.refused.as_deref().expect("refused");
    assert!(why.contains("80 layers"), "{why}");
}

#[test]
fn a_cluster_and_a_profile_together_are_refused() {
    let node = fixture("profiles/h100x8-node.json");
    let r = request(json!({
        "profile": node,
        "cluster": h100_cluster(json!([{"profile": node}])),
    }));
    let e = plan(&r).expect_err("both");
    assert_eq!(e.field(), Some("cluster"));
}

#[test]
fn a_mesh_shape_for_other_devices_is_named_with_its_numbers() {
    let node = fixture("profiles/h100x8-node.json");
    let r = request(json!({
        "cluster": h100_cluster(json!([{"profile": node}])),
        "goal": {"task": "finetune", "model": {"catalogue": "Llama-3.1-8B"},
                 "mesh": {"shape": [2, 8]}},
        "modes": ["balanced"],
    }));
    let e = plan(&r).expect_err("2x8 on 8");
    assert_eq!(e.field(), Some("goal.mesh.shape"));
    assert!(
        e.to_string()
            .contains("2x8 needs 16 devices but the cluster has 8"),
        "{e}"
    );
}

/// Serving a model no single H100 holds (Llama-3.1-70B in bf16: 141 GB of weights against
/// 79.6 GiB) on two 8-GPU nodes: the configuration fits through its tensor- and
/// pipeline-parallel layouts, and says so (no `does_not_fit` warning next to layouts that fit).
#[test]
fn serving_on_a_cluster_fits_through_its_layouts() {
    let node = fixture("profiles/h100x8-node.json");
    let r = request(json!({
        "cluster": h100_cluster(json!([{"name": "node", "count": 2, "profile": node}])),
        "goal": {"task": "serve", "model": {"catalogue": "Llama-3.1-70B"}, "sequence": 8192},
    }));
    let p = plan(&r).expect("serving plan");
    for c in &p.configurations {
        let layouts = c
            .serving_layouts
            .as_ref()
            .expect("serving layouts on a cluster");
        assert!(!layouts.layouts.is_empty(), "{:?}", c.mode);
        assert!(layouts.layouts.iter().all(|l| l.tensor * l.pipeline > 1));
        assert!(c.fits, "{:?}: layouts fit but the verdict says no", c.mode);
        assert!(
            c.warnings.iter().all(|w| w.code.as_str() != "does_not_fit"),
            "{:?}",
            c.warnings
        );
    }
}

/// A mesh configuration's out-of-memory fallbacks are the search's other layouts that need less
/// memory per device, the least change first, each with its own peak and step time.
#[test]
fn mesh_configurations_fall_back_to_smaller_layouts() {
    let r = request(fixture("plan-requests/h100x32-llama70b.json"));
    let p = plan(&r).expect("plan");
    let c = &p.configurations[0];
    let m = c.mesh.as_ref().expect("mesh");
    let best = &m.candidates[0];
    assert!(!c.fallbacks.is_empty(), "a smaller layout was kept");
    let mut last = best.peak_bytes;
    for f in &c.fallbacks {
        assert_eq!(f.action.as_str(), "mesh_layout");
        assert!(f.peak_bytes < best.peak_bytes && f.peak_bytes <= last);
        last = f.peak_bytes;
        let same = m
            .candidates
            .iter()
            .find(|k| k.peak_bytes == f.peak_bytes && f.description.contains(&k.layout.axes()))
            .expect("a kept layout");
        assert!(f
            .description
            .contains(&format!("{:.2} s", same.time.step_s)));
    }
}
