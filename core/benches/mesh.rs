//! `plan` on clusters of the 8 x H100 node fixture (`tests/data/profiles/h100x8-node.json`):
//! pretraining Llama-3.1-405B on 2,048 nodes (16,384 GPUs) over a 44 GB/s-per-GPU InfiniBand
//! fabric, and fine-tuning Llama-3.1-8B on one node; one mode each, so the time is one mesh
//! search with its scaling curve, plus the data-parallel planner it refines. The request is
//! parsed once, outside the loop.
//!
//! Run with `cargo bench -p trainfit-core --bench mesh`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use trainfit_core::plan::{plan, PlanRequest};

fn request(machines: u64, goal: serde_json::Value) -> PlanRequest {
    let node: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/data/profiles/h100x8-node.json"))
            .expect("the node fixture parses");
    serde_json::from_value(json!({
        "cluster": {
            "machines": [{"name": "node", "count": machines, "profile": node}],
            "links": [{"class": "infiniband", "bandwidth_gbs": {"value": 44.0, "source": "user"}}],
        },
        "goal": goal,
        "modes": ["balanced"],
    }))
    .expect("the benchmark request parses")
}

fn bench(c: &mut Criterion) {
    let big = request(
        2048,
        json!({"task": "pretrain", "model": {"catalogue": "Llama-3.1-405B"},
               "sequence": 8192, "global_batch": 2048}),
    );
    let p = plan(&big).expect("405B plans on 16,384 GPUs");
    assert!(p.configurations[0].mesh.is_some());
    c.bench_function("plan 405B on 2,048 x 8 H100 (one mode)", |b| {
        b.iter(|| plan(black_box(&big)))
    });

    let node = request(
        1,
        json!({"task": "finetune", "model": {"catalogue": "Llama-3.1-8B"},
               "sequence": 4096, "global_batch": 64}),
    );
    let p = plan(&node).expect("8B plans on one node");
    assert!(p.configurations[0].mesh.is_some());
    c.bench_function("plan 8B fine-tuning on 1 x 8 H100 (one mode)", |b| {
        b.iter(|| plan(black_box(&node)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
