//! Invariants of `estimate` over generated models and requests.

use proptest::prelude::*;
use serde_json::{json, Value};
use trainfit_core::{estimate, EstimateRequest};

fn spec(
    layers: u64,
    heads: u64,
    group: u64,
    head_dim: u64,
    ffn_mult: u64,
    vocab: u64,
    family: &str,
) -> Value {
    let kv = (heads / group).max(1);
    let hidden = heads * head_dim;
    json!({"spec": {
        "name": "generated", "family": family, "layers": layers, "hidden": hidden, "heads": heads,
        "kv_heads": kv, "head_dim": head_dim,
        "ffn": {"activation": "silu", "gated": true, "intermediate": hidden * ffn_mult},
        "vocab": vocab, "max_positions": 1 << 20, "tied_embeddings": false,
        "norm": {"kind": "rms_norm", "bias": false, "per_layer": 2},
        "bias": {"qkv": false, "attn_out": false, "mlp": false}
    }})
}

fn model() -> impl Strategy<Value = Value> {
    (
        1u64..6,
        prop::sample::select(vec![1u64, 2, 4, 8]),
        1u64..3,
        prop::sample::select(vec![32u64, 64, 128]),
        1u64..5,
        100u64..70_000,
    )
        .prop_map(|(layers, heads, group, hd, mult, vocab)| {
            spec(layers, heads * group, group, hd, mult, vocab, "llama")
        })
}

fn request() -> impl Strategy<Value = Value> {
    (
        model(),
        prop::sample::select(vec!["pretrain", "finetune", "lora"]),
        prop::sample::select(vec!["fp32", "bf16", "fp16", "amp_bf16", "mixed_bf16"]),
        prop::sample::select(vec!["adamw", "adamw8bit", "sgd", "sgd_momentum", "adafactor", "lion"]),
        prop::sample::select(vec!["eager", "sdpa", "flash"]),
        1u64..9,
        1u64..2049,
    )
        .prop_map(|(m, task, precision, optimizer, attention, b, s)| {
            let mut r = json!({"model": m, "task": task, "precision": precision, "optimizer": optimizer,
                               "attention": attention, "micro_batch": b, "sequence": s});
            if task == "lora" {
                r["lora"] = json!({"rank": 8, "targets": ["q_proj", "v_proj"]});
            }
            r
        })
}

fn run(v: &Value) -> trainfit_core::Estimate {
    let r: EstimateRequest = serde_json::from_value(v.clone()).unwrap();
    estimate(&r).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_term_adds_up_and_nothing_is_nan(req in request()) {
        let e = run(&req);
        let sum: u64 = e.breakdown.iter().map(|t| t.bytes).sum();
        prop_assert_eq!(sum, e.peak_bytes);
        prop_assert!(e.peak_allocated_bytes <= e.peak_bytes);
        prop_assert!(e.peak_allocated_bytes > 0);
        let text = serde_json::to_string(&e).unwrap();
        prop_assert!(!text.contains("NaN") && !text.contains("inf"));
    }

    #[test]
    fn larger_batch_or_sequence_never_uses_less(req in request(), extra_b in 1u64..4, extra_s in 1u64..512) {
        let base = run(&req).peak_allocated_bytes;
        let mut more_b = req.clone();
        more_b["micro_batch"] = json!(req["micro_batch"].as_u64().unwrap() + extra_b);
        prop_assert!(run(&more_b).peak_allocated_bytes >= base);
        let mut more_s = req.clone();
        more_s["sequence"] = json!(req["sequence"].as_u64().unwrap() + extra_s);
        prop_assert!(run(&more_s).peak_allocated_bytes >= base);
    }

    // Checkpointing keeps each layer's input (b x s x hidden, at most 4 bytes) and recomputes the
    // rest. When the peak is set by gradients or model states rather than activations (tiny
    // sequences), those kept inputs can add a few kilobytes, as in PyTorch; beyond them it must
    // never cost memory.
    #[test]
    fn checkpointing_never_uses_more_than_the_inputs_it_keeps(req in request()) {
        let none = run(&req).peak_allocated_bytes;
        let mut full = req.clone();
        full["checkpointing"] = json!("full");
        let spec = &req["model"]["spec"];
        let kept = spec["layers"].as_u64().unwrap() * req["micro_batch"].as_u64().unwrap()
            * req["sequence"].as_u64().unwrap() * spec["hidden"].as_u64().unwrap() * 4 + 512 * 64;
        prop_assert!(run(&full).peak_allocated_bytes <= none + kept);
    }

    #[test]
    fn sharding_never_raises_per_device_memory(req in request(), dp in 2u64..64) {
        let mut plain = req.clone();
        plain["parallel"] = json!({"data": dp});
        let replicated = run(&plain).model_states;
        let mut last = u64::MAX;
        for stage in ["zero1", "zero2", "zero3"] {
            let mut z = req.clone();
            z["parallel"] = json!({"data": dp, "sharding": stage});
            let s = run(&z).model_states;
            let total = s.weights_bytes + s.gradients_bytes + s.optimizer_states_bytes + s.master_weights_bytes;
            let base = replicated.weights_bytes + replicated.gradients_bytes
                + replicated.optimizer_states_bytes + replicated.master_weights_bytes;
            prop_assert!(total <= base);
            prop_assert!(total <= last);
            last = total;
        }
    }
}

#[test]
fn huge_inputs_are_errors_not_panics() {
    let mut req = json!({"model": spec(4, 8, 1, 64, 4, 32000, "llama"), "micro_batch": u64::MAX / 2,
                         "sequence": u64::MAX / 2});
    let r: EstimateRequest = serde_json::from_value(req.clone()).unwrap();
    let err = estimate(&r).unwrap_err().to_string();
    assert!(err.contains("64 bits"), "{err}");
    req["micro_batch"] = json!(0);
    let r: EstimateRequest = serde_json::from_value(req).unwrap();
    let err = estimate(&r).unwrap_err().to_string();
    assert!(err.contains("micro_batch") && err.contains('0'), "{err}");
}
