//! `plan` on one RTX 4090 (24,564 MiB, compute capability 8.9, as NVML reports it): all three
//! modes of pretraining (the planner sizes the model), and LoRA of Llama-3.1-8B from the catalogue.
//! The profile is parsed once, outside the loop; the catalogue lookup and the search are inside.
//!
//! Run with `cargo bench -p trainfit-core --bench plan`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use trainfit_core::plan::{plan, PlanRequest};

fn request(goal: serde_json::Value) -> PlanRequest {
    serde_json::from_value(json!({
        "profile": {"accelerators": [{
            "vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "kind": "discrete",
            "compute_capability": "8.9",
            "memory_total_bytes": {"value": 24_564u64 << 20, "source": "measured"},
        }]},
        "goal": goal,
    }))
    .expect("the benchmark request parses")
}

fn bench(c: &mut Criterion) {
    let pretrain = request(json!({"task": "pretrain"}));
    let p = plan(&pretrain).expect("the pretraining request plans");
    assert_eq!(p.configurations.len(), 3);
    c.bench_function("plan rtx-4090 pretrain, three modes", |b| {
        b.iter(|| plan(black_box(&pretrain)))
    });

    let lora = request(json!({"task": "lora", "model": {"catalogue": "llama-3.1-8b"}}));
    let p = plan(&lora).expect("the LoRA request plans");
    assert_eq!(p.configurations.len(), 3);
    c.bench_function("plan rtx-4090 lora llama-3.1-8b, three modes", |b| {
        b.iter(|| plan(black_box(&lora)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
