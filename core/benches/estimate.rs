//! `estimate` on one configuration: Llama-3-8B (parsed once), LoRA rank 16 on q and v, bf16,
//! micro-batch 4 x 2048 tokens, full checkpointing. Budget: under 5 us per call natively.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use trainfit_core::request::ModelSource;
use trainfit_core::{estimate, model, EstimateRequest};

const LLAMA3_8B: &str = r#"{"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
    "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
    "vocab_size": 128256, "max_position_embeddings": 8192, "tie_word_embeddings": false}"#;

fn bench(c: &mut Criterion) {
    let spec = model::from_hf_config(LLAMA3_8B).unwrap();
    let request: EstimateRequest = serde_json::from_str(
        r#"{"model": {"catalogue": "unused"}, "task": "lora", "precision": "bf16", "micro_batch": 4,
            "sequence": 2048, "checkpointing": "full", "lora": {"rank": 16, "targets": ["q_proj", "v_proj"]}}"#,
    )
    .unwrap();
    let request = EstimateRequest {
        model: ModelSource::Spec(Box::new(spec)),
        ..request
    };
    c.bench_function("estimate llama-3-8b lora r16 b4 s2048 ckpt", |b| {
        b.iter(|| estimate(black_box(&request)).unwrap())
    });
    c.bench_function("from_hf_config llama-3-8b", |b| {
        b.iter(|| model::from_hf_config(black_box(LLAMA3_8B)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
