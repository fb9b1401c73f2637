//! trainfit's peak against the peaks measured by the accuracy suite (`tests/accuracy/`): real
//! Hugging Face training and inference steps under PyTorch fake tensors with CUDA's allocator
//! rounding, attention backends and autocast rules emulated. The measured data is committed, so
//! this needs no Python.
//!
//! Bar (issue 12): median absolute relative error at most 0.5 %, worst case at most 3 %, over
//! training, LoRA, prefill, decoding and gradient accumulation.

use std::path::{Path, PathBuf};

use serde_json::Value;
use trainfit_core::{estimate, EstimateRequest};

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/accuracy")
}

struct Row {
    id: String,
    measured: u64,
    predicted: u64,
    phase_measured: String,
    phase_predicted: String,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(suite().join("measured.json")).expect("measured.json");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for c in doc["cases"].as_array().unwrap() {
        let mut req = c["request"].clone();
        let file = req["model"]["hf_config_file"].as_str().unwrap().to_string();
        let cfg: Value =
            serde_json::from_str(&std::fs::read_to_string(suite().join(&file)).unwrap()).unwrap();
        req["model"] = serde_json::json!({ "hf_config": cfg });
        let r: EstimateRequest = serde_json::from_value(req)
            .unwrap_or_else(|e| panic!("{}: request does not parse: {e}", c["id"]));
        let e = estimate(&r).unwrap_or_else(|e| panic!("{}: {e}", c["id"]));
        out.push(Row {
            id: c["id"].as_str().unwrap().to_string(),
            measured: c["measured"]["peak_bytes"].as_u64().unwrap(),
            predicted: e.peak_allocated_bytes,
            phase_measured: c["measured"]["peak_phase"].as_str().unwrap().to_string(),
            phase_predicted: serde_json::to_value(e.peak_phase)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string(),
        });
    }
    out
}

fn rel(r: &Row) -> f64 {
    (r.predicted as f64 - r.measured as f64) / r.measured as f64
}

#[test]
fn peak_allocated_matches_measured_pytorch() {
    let rows = rows();
    assert!(!rows.is_empty());
    let mut errs: Vec<f64> = rows.iter().map(|r| rel(r).abs()).collect();
    for r in &rows {
        println!(
            "{:<60} measured {:>14} predicted {:>14} {:+7.2}%  {} / {}",
            r.id,
            r.measured,
            r.predicted,
            rel(r) * 100.0,
            r.phase_measured,
            r.phase_predicted
        );
    }
    errs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = errs[errs.len() / 2];
    let max = *errs.last().unwrap();
    let within5 = errs.iter().filter(|e| **e <= 0.05).count();
    println!(
        "cases {} median {:.2}% max {:.2}% within 5%: {} within 10%: {}",
        errs.len(),
        median * 100.0,
        max * 100.0,
        within5,
        errs.iter().filter(|e| **e <= 0.10).count()
    );
    assert!(
        median <= 0.005,
        "median error {:.2}% above 0.5%",
        median * 100.0
    );
    assert!(max <= 0.03, "worst error {:.2}% above 3%", max * 100.0);
}
