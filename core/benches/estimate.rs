//! `estimate` on one configuration: Llama-3-8B from the catalogue (resolved once, outside the
//! loop), LoRA rank 16 on q and v, bf16, micro-batch 4 x 2048 tokens, full checkpointing; and
//! `from_hf_config` on the same model's `config.json` text.
//!
//! Run with `cargo bench -p trainfit-core --bench estimate`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use trainfit_core::{estimate, model, EstimateRequest};

const MODEL: &str = "llama-3-8b";

fn bench(c: &mut Criterion) {
    let spec = model::find(MODEL).expect("llama-3-8b is in the catalogue");
    let request: EstimateRequest = serde_json::from_value(json!({
        "model": {"spec": spec},
        "task": "lora",
        "precision": "bf16",
        "micro_batch": 4,
        "sequence": 2048,
        "checkpointing": "full",
        "lora": {"rank": 16, "targets": ["q_proj", "v_proj"]},
    }))
    .expect("the benchmark request parses");
    estimate(&request).expect("the benchmark request estimates");
    c.bench_function(
        "estimate llama-3-8b lora r16 q,v bf16 b4 s2048 full ckpt",
        |b| b.iter(|| estimate(black_box(&request))),
    );

    let config = model::catalogue()
        .iter()
        .find(|e| e.id == MODEL)
        .expect("llama-3-8b is in the catalogue")
        .config;
    c.bench_function("from_hf_config llama-3-8b", |b| {
        b.iter(|| model::from_hf_config(black_box(config)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
