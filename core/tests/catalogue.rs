//! Parameter counts of the catalogue and of the reference configs against published numbers, and
//! the import's errors.

use proptest::prelude::*;
use serde_json::{json, Value};
use trainfit_core::model::{self, catalogue};
use trainfit_core::{estimate, ErrorKind, EstimateRequest};

fn published() -> Value {
    serde_json::from_str(include_str!("../data/models/published.json")).unwrap()
}

#[test]
fn catalogue_has_forty_models_or_more() {
    assert!(catalogue().len() >= 40, "{}", catalogue().len());
}

#[test]
fn every_catalogue_entry_matches_its_published_count() {
    let published = published();
    for e in catalogue() {
        let spec = model::find(e.id).unwrap_or_else(|err| panic!("{}: {err}", e.id));
        let p = spec.parameters().unwrap();
        let want = &published[e.id];
        if let Some(total) = want["total"].as_u64() {
            assert_eq!(p.total, total, "{}", e.id);
        } else {
            // Model cards print billions to the shown precision (e.g. 0.6B total, 0.44B non-embedding).
            let round = |x: u64, digits: i32| {
                let scale = 10f64.powi(digits);
                (x as f64 / 1e9 * scale).round() / scale
            };
            let t = want["total_billions"]
                .as_f64()
                .unwrap_or_else(|| panic!("{} has no published count", e.id));
            // As many decimals as the card prints (671, 30.5, 0.44).
            let digits = |x: f64| {
                (0..3)
                    .find(|&d| (x * 10f64.powi(d)).fract().abs() < 1e-9)
                    .unwrap_or(3)
            };
            assert_eq!(round(p.total, digits(t)), t, "{}", e.id);
            if let Some(ne) = want["non_embedding_billions"].as_f64() {
                assert_eq!(round(p.non_embedding, digits(ne)), ne, "{}", e.id);
            }
            if let Some(a) = want["active_billions"].as_f64() {
                assert_eq!(round(p.active, digits(a)), a, "{}", e.id);
            }
        }
        assert_eq!(p.total, p.embedding + p.non_embedding);
    }
}

#[test]
fn reference_param_count_cases() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("data/memory_cases.json")).unwrap();
    let ids = [
        ("PC-gpt2", "gpt2"),
        ("PC-llama2-7b", "llama-2-7b"),
        ("PC-llama3-8b", "llama-3-8b"),
        ("PC-mistral-7b", "mistral-7b-v0.1"),
        ("PC-qwen25-0.5b", "qwen2.5-0.5b"),
        ("PC-tinyllama", "tinyllama-1.1b"),
        ("PC-smollm2-135m", "smollm2-135m"),
        ("PC-pythia-70m", "pythia-70m"),
        ("PC-phi3-mini", "phi-3-mini-4k"),
    ];
    for (case, id) in ids {
        let c = cases.iter().find(|c| c["id"] == case).unwrap();
        let want = c["expected"]["params"].as_u64().unwrap();
        assert_eq!(
            model::find(id).unwrap().parameters().unwrap().total,
            want,
            "{case}"
        );
    }
}

#[test]
fn pythia_non_embedding_counts() {
    // Pythia README, "Non-Embedding Params": both embed_in and embed_out are embeddings.
    for (id, want) in [
        ("pythia-70m", 18_915_328u64),
        ("pythia-160m", 85_056_000),
        ("pythia-410m", 302_311_424),
        ("pythia-1b", 805_736_448),
    ] {
        assert_eq!(
            model::find(id).unwrap().parameters().unwrap().non_embedding,
            want,
            "{id}"
        );
    }
}

#[test]
fn mixture_of_experts_active_parameters() {
    // Model cards: Mixtral-8x7B uses 12.9B parameters per token, Qwen1.5-MoE-A2.7B 2.7B (both with
    // embeddings). DeepSeek-V2-Lite's "2.4B activated" follows another convention (2.66B with
    // embeddings, 2.45B without the input embedding), so it is not asserted here.
    for (id, billions) in [("mixtral-8x7b", 12.9), ("qwen1.5-moe-a2.7b", 2.7)] {
        let active = model::find(id).unwrap().parameters().unwrap().active as f64 / 1e9;
        assert!((active - billions).abs() < 0.05, "{id}: {active}");
    }
}

#[test]
fn lora_trainable_count_of_the_reference_case() {
    // QL-lora-llama2-7b-r8-qv-trainable: r x (d_in + d_out) per adapted linear, 32 x 2 x 8 x 8192.
    let req: EstimateRequest = serde_json::from_value(json!({
        "model": {"catalogue": "llama-2-7b"}, "task": "lora", "sequence": 16,
        "lora": {"rank": 8, "targets": ["q_proj", "v_proj"]}
    }))
    .unwrap();
    assert_eq!(estimate(&req).unwrap().parameters.trainable, 4_194_304);
}

#[test]
fn import_errors_name_what_is_wrong() {
    let err = model::from_hf_config(r#"{"model_type": "t5", "d_model": 512}"#).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::UnsupportedModelType { .. }));
    assert!(err.to_string().contains("t5") && err.to_string().contains("llama"));
    let err = model::from_hf_config(r#"{"model_type": "llama", "hidden_size": 512}"#).unwrap_err();
    assert!(err.to_string().contains("num_attention_heads"), "{err}");
    let err = model::from_hf_config(r#"{"model_type": "llama", "hidden_size": -3}"#).unwrap_err();
    assert!(
        err.to_string().contains("hidden_size") && err.to_string().contains("-3"),
        "{err}"
    );
    let err = model::from_hf_config("{not json").unwrap_err();
    assert!(err.to_string().contains("config.json"), "{err}");
    let err = model::find("llama-3-9b").unwrap_err();
    assert!(err.to_string().contains("llama-3-8b"), "{err}");
}

#[test]
fn search_matches_every_word() {
    let hits: Vec<_> = model::search("qwen2.5 7b").iter().map(|e| e.id).collect();
    assert_eq!(hits, ["qwen2.5-7b"]);
    assert_eq!(model::search("").len(), catalogue().len());
}

fn field() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..100_000).prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z_]{0,12}".prop_map(Value::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn import_never_panics(
        model_type in prop::sample::select(model::hf::SUPPORTED.to_vec()),
        fields in prop::collection::vec((prop::sample::select(vec![
            "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
            "intermediate_size", "vocab_size", "max_position_embeddings", "tie_word_embeddings", "n_embd",
            "n_layer", "n_head", "n_positions", "ffn_dim", "num_local_experts", "num_experts_per_tok",
            "num_experts", "moe_intermediate_size", "sliding_window", "kv_lora_rank", "qk_nope_head_dim",
            "qk_rope_head_dim", "v_head_dim", "n_routed_experts", "first_k_dense_replace", "hidden_act",
        ]), field()), 0..26)
    ) {
        let mut obj = serde_json::Map::new();
        obj.insert("model_type".into(), Value::from(model_type));
        for (k, v) in fields {
            obj.insert(k.into(), v);
        }
        if let Ok(spec) = model::hf::from_hf_value(&Value::Object(obj)) {
            // Whatever imports has countable parameters or a clean overflow error.
            let _ = spec.parameters();
        }
    }
}
