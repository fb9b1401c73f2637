//! Golden estimates: the full result of `estimate` (every term, detail string, phase and warning)
//! for every catalogue model under twelve recipes, and for every request of the accuracy suite
//! (`tests/accuracy/measured.json`), against `tests/data/golden_estimates.json`. The fixture holds,
//! per case, the peak in clear and a 64-bit FNV-1a digest of the estimate's JSON text (or of the
//! error message), so a change of any byte of any result fails. `tests/data/golden_plans.json`
//! does the same for the plans of every profile of `tests/data/profiles` under six goals (the
//! sixth with a dataset, a power supply and two phases). They
//! guard refactors that must not change results (issue 12's speed work); a deliberate change of
//! the model regenerates both with `TRAINFIT_BLESS=1 cargo test -p trainfit-core --test suite golden::`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use trainfit_core::{estimate, model, EstimateRequest};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden_estimates.json")
}

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/accuracy")
}

/// FNV-1a, 64 bits (Fowler, Noll and Vo; offset basis and prime from the IETF draft
/// `draft-eastlake-fnv`, section 2).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[test]
fn fnv1a_matches_published_vectors() {
    // Test vectors of the FNV reference code (`test_fnv.c`, FNV-1a 64): "" and "a".
    assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
}

/// Twelve recipes over the paths of `estimate`: every task, eager/fused attention, the three
/// checkpointing modes, fused loss, quantisation, tensor/pipeline/context parallelism, sequence
/// parallelism, sharding, accumulation, offload and a device fit.
fn recipes() -> Vec<(&'static str, Value)> {
    vec![
        (
            "pretrain-fp32-eager",
            json!({"task": "pretrain", "precision": "fp32", "attention": "eager",
                   "checkpointing": "none", "micro_batch": 2, "sequence": 256}),
        ),
        (
            "finetune-mixed-bf16-sdpa-selective",
            json!({"task": "finetune", "precision": "mixed_bf16", "attention": "sdpa",
                   "checkpointing": "selective", "optimizer_impl": "fused",
                   "micro_batch": 4, "sequence": 1024}),
        ),
        (
            "finetune-amp-fp16-eager-selective",
            json!({"task": "finetune", "precision": "amp_fp16", "attention": "eager",
                   "checkpointing": "selective", "micro_batch": 2, "sequence": 512}),
        ),
        (
            "pretrain-bf16-flash-full-fused-loss",
            json!({"task": "pretrain", "precision": "bf16", "attention": "flash",
                   "checkpointing": "full", "loss": "fused", "micro_batch": 8, "sequence": 2048}),
        ),
        (
            "lora-bf16-full",
            json!({"task": "lora", "precision": "bf16", "checkpointing": "full",
                   "micro_batch": 4, "sequence": 2048,
                   "lora": {"rank": 16, "targets": ["q_proj", "v_proj"]}}),
        ),
        (
            "lora-all-linear-dropout-eager",
            json!({"task": "lora", "precision": "bf16", "attention": "eager",
                   "checkpointing": "none", "micro_batch": 1, "sequence": 512,
                   "lora": {"rank": 8, "targets": ["all-linear"], "dropout": 0.05}}),
        ),
        (
            "qlora-nf4-prepared",
            json!({"task": "qlora", "precision": "bf16", "attention": "sdpa",
                   "checkpointing": "full", "micro_batch": 2, "sequence": 1024,
                   "lora": {"rank": 16, "targets": ["all-linear"]},
                   "quantization": {"format": "nf4", "prepare_for_training": true}}),
        ),
        (
            "prefill-bf16",
            json!({"task": "prefill", "precision": "bf16", "micro_batch": 2, "sequence": 1024,
                   "inference": {"prompt": 1024}}),
        ),
        (
            "decode-fp16-eager-int8",
            json!({"task": "decode", "precision": "fp16", "attention": "eager",
                   "micro_batch": 4, "sequence": 512,
                   "inference": {"prompt": 512, "generate": 128},
                   "quantization": {"format": "int8"}}),
        ),
        (
            "pretrain-tp2-pp2-sp-zero1",
            json!({"task": "pretrain", "precision": "mixed_bf16", "checkpointing": "selective",
                   "micro_batch": 2, "sequence": 2048,
                   "parallel": {"data": 2, "tensor": 2, "pipeline": 2, "sequence_parallel": true,
                                "micro_batches": 4, "sharding": "zero1"}}),
        ),
        (
            "finetune-zero3-accumulate-fit",
            json!({"task": "finetune", "precision": "bf16", "checkpointing": "full",
                   "micro_batch": 1, "sequence": 4096,
                   "parallel": {"data": 8, "micro_batches": 4, "sharding": "zero3",
                                "offload": {"optimizer": true}},
                   "runtime": {"device_memory_bytes": 85_899_345_920u64,
                               "expandable_segments": true}}),
        ),
        (
            "pretrain-cp2-pp4-fsdp",
            json!({"task": "pretrain", "precision": "mixed_fp16", "optimizer": "adamw8bit",
                   "checkpointing": "none", "micro_batch": 1, "sequence": 4096,
                   "parallel": {"data": 4, "context": 2, "pipeline": 4, "micro_batches": 8,
                                "sharding": "fsdp_shard_grad_op"},
                   "runtime": {"device_memory_bytes": 25_757_220_864u64,
                               "unified_memory": true}}),
        ),
    ]
}

/// Every case: `(id, request as JSON)`.
fn cases() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for entry in model::catalogue() {
        let spec = model::find(entry.id).expect("a catalogue entry resolves");
        let spec = serde_json::to_value(spec).unwrap();
        for (name, recipe) in recipes() {
            let mut req = recipe;
            req["model"] = json!({"spec": spec});
            out.push((format!("{}/{name}", entry.id), req));
        }
    }
    let text = std::fs::read_to_string(suite().join("measured.json")).expect("measured.json");
    let doc: Value = serde_json::from_str(&text).unwrap();
    for c in doc["cases"].as_array().unwrap() {
        let mut req = c["request"].clone();
        let file = req["model"]["hf_config_file"].as_str().unwrap().to_string();
        let cfg: Value =
            serde_json::from_str(&std::fs::read_to_string(suite().join(&file)).unwrap()).unwrap();
        req["model"] = json!({ "hf_config": cfg });
        out.push((format!("accuracy/{}", c["id"].as_str().unwrap()), req));
    }
    out
}

/// What the fixture records of one result.
fn record(req: &Value) -> Value {
    let r: EstimateRequest = match serde_json::from_value(req.clone()) {
        Ok(r) => r,
        Err(e) => panic!("a golden request does not parse: {e}"),
    };
    match estimate(&r) {
        Ok(e) => {
            let text = serde_json::to_string(&e).unwrap();
            json!({"peak_bytes": e.peak_bytes, "digest": format!("{:016x}", fnv1a(text.as_bytes()))})
        }
        Err(e) => {
            let text = e.to_string();
            json!({"error": text, "digest": format!("{:016x}", fnv1a(text.as_bytes()))})
        }
    }
}

#[test]
fn estimates_match_golden_file() {
    let got: BTreeMap<String, Value> = cases()
        .into_iter()
        .map(|(id, req)| {
            let r = record(&req);
            (id, r)
        })
        .collect();
    let path = fixture();
    if std::env::var("TRAINFIT_BLESS").is_ok_and(|v| v == "1") {
        let mut text = serde_json::to_string_pretty(&got).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; write it with `TRAINFIT_BLESS=1 cargo test -p trainfit-core --test suite golden::`",
            path.display()
        )
    });
    let want: BTreeMap<String, Value> = serde_json::from_str(&text).unwrap();
    // A few hundred errors would hide nothing; the ids of the changed cases say where to look.
    let changed: Vec<&String> = want
        .keys()
        .chain(got.keys().filter(|id| !want.contains_key(*id)))
        .filter(|id| want.get(*id) != got.get(*id))
        .collect();
    assert!(
        changed.is_empty(),
        "{} of {} golden estimates changed, first {:?}: want {:?}, got {:?}; if the change is \
         meant, regenerate with `TRAINFIT_BLESS=1 cargo test -p trainfit-core --test suite golden::`",
        changed.len(),
        want.len(),
        &changed[..changed.len().min(10)],
        want.get(changed[0]),
        got.get(changed[0]),
    );
    // The fixture covers successes on every recipe, not only errors.
    let ok = want
        .values()
        .filter(|v| v.get("peak_bytes").is_some())
        .count();
    assert!(
        ok * 10 >= want.len() * 8,
        "{ok} of {} cases estimate",
        want.len()
    );
}

/// Every profile of `tests/data/profiles` under six goals: `(id, plan request as JSON)`.
fn plan_cases() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/profiles");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    let goals = [
        ("pretrain", json!({"task": "pretrain"})),
        (
            "finetune",
            json!({"task": "finetune", "model": {"catalogue": "qwen2.5-0.5b"}}),
        ),
        (
            "lora",
            json!({"task": "lora", "model": {"catalogue": "llama-3.1-8b"}}),
        ),
        (
            "qlora",
            json!({"task": "qlora", "model": {"catalogue": "mistral-7b-v0.1"}}),
        ),
        (
            "serve",
            json!({"task": "serve", "model": {"catalogue": "llama-3.1-8b"}}),
        ),
        // The data path of a dataset of the table on a network mount, the power supply's
        // headroom and phase B.
        (
            "pretrain-two-phase-openwebtext-psu",
            json!({"task": "pretrain",
                   "dataset": {"name": "openwebtext", "location": "network_mount"},
                   "psu_w": 850, "phases": 2}),
        ),
    ];
    let mut out = Vec::new();
    for path in names {
        let profile: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        for (name, goal) in &goals {
            out.push((
                format!("plan/{stem}/{name}"),
                json!({"profile": profile, "goal": goal}),
            ));
        }
    }
    out
}

#[test]
fn plans_match_golden_file() {
    let got: BTreeMap<String, Value> = plan_cases()
        .into_iter()
        .map(|(id, req)| {
            let r: trainfit_core::plan::PlanRequest = serde_json::from_value(req).unwrap();
            let text = match trainfit_core::plan::plan(&r) {
                Ok(p) => serde_json::to_string(&p).unwrap(),
                Err(e) => format!("error: {e}"),
            };
            let digest = format!("{:016x}", fnv1a(text.as_bytes()));
            (id, json!({"bytes": text.len(), "digest": digest}))
        })
        .collect();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden_plans.json");
    if std::env::var("TRAINFIT_BLESS").is_ok_and(|v| v == "1") {
        let mut text = serde_json::to_string_pretty(&got).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        return;
    }
    let want: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let changed: Vec<&String> = want
        .keys()
        .chain(got.keys().filter(|id| !want.contains_key(*id)))
        .filter(|id| want.get(*id) != got.get(*id))
        .collect();
    assert!(
        changed.is_empty(),
        "{} of {} golden plans changed: {changed:?}; if the change is meant, regenerate with \
         `TRAINFIT_BLESS=1 cargo test -p trainfit-core --test suite golden::`",
        changed.len(),
        want.len(),
    );
}
