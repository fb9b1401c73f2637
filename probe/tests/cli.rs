//! The `trainfit` binary end to end, on the example requests in `tests/data/requests/`.
//! (It lives here because Cargo builds a binary for the integration tests of its own package.)

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The shared test data of the workspace (`tests/data/`).
fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
}

/// The Hugging Face configs of the accuracy suite.
fn accuracy_config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/accuracy/configs")
        .join(name)
}

fn trainfit() -> Command {
    Command::cargo_bin("trainfit").expect("the trainfit binary is built")
}

fn estimate_json(request: &str) -> Value {
    let out = trainfit()
        .args(["estimate", "--json", "--input"])
        .arg(data(&format!("requests/{request}.json")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{request}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn term(e: &Value, kind: &str) -> u64 {
    e["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["term"] == kind)
        .map(|t| t["bytes"].as_u64().unwrap())
        .sum()
}

#[test]
fn every_example_estimates_and_its_terms_add_up() {
    for req in [
        "gpt2-finetune-fp32",
        "llama3-8b-lora",
        "llama2-7b-qlora",
        "llama3-8b-prefill",
        "llama3-8b-decode-fp8kv",
        "llama3-8b-zero3-8gpu",
        "small-llama-pretrain",
    ] {
        let e = estimate_json(req);
        let sum: u64 = e["breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["bytes"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, e["peak_bytes"].as_u64().unwrap(), "{req}");
        assert!(e["peak_allocated_bytes"].as_u64().unwrap() <= e["peak_bytes"].as_u64().unwrap());
        assert!(
            ["forward", "backward", "optimizer_step", "prefill", "decode"]
                .contains(&e["peak_phase"].as_str().unwrap())
        );
        assert_eq!(e["schema_version"], 1);
        assert!(e["parameters"]["total"].as_u64().unwrap() > 0);
    }
}

#[test]
fn gpt2_parameters_and_fp32_model_states() {
    // GPT-2: 124,439,808 parameters; fp32 AdamW keeps weights, gradients and two states: 16 B each.
    let e = estimate_json("gpt2-finetune-fp32");
    assert_eq!(e["parameters"]["total"], 124_439_808u64);
    let s = &e["model_states"];
    let states = s["weights_bytes"].as_u64().unwrap()
        + s["gradients_bytes"].as_u64().unwrap()
        + s["optimizer_states_bytes"].as_u64().unwrap();
    // Each of the 148 tensors rounds up to 512 B per copy.
    let exact = 124_439_808u64 * 16;
    assert!(
        states >= exact && states - exact <= 148 * 4 * 512,
        "{states}"
    );
}

#[test]
fn decode_kv_cache_in_fp8() {
    // Llama-3-8B: 2 x 32 layers x 8 kv heads x 128 x 1 byte per token = 65,536 B;
    // 16 sequences x (2048 + 1024) tokens.
    let e = estimate_json("llama3-8b-decode-fp8kv");
    assert_eq!(term(&e, "kv_cache"), 65_536 * 16 * 3072);
    assert_eq!(e["parameters"]["trainable"], 0);
}

#[test]
fn lora_trainable_parameters() {
    // Rank 16 on q, k, v, o of Llama-3-8B: 32 x 16 x ((4096+4096) + (4096+1024) x 2 + (4096+4096)).
    let e = estimate_json("llama3-8b-lora");
    assert_eq!(
        e["parameters"]["trainable"],
        32u64 * 16 * (8192 + 5120 * 2 + 8192)
    );
    assert_eq!(e["fit"]["fits"], false);
    assert!(e["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["code"] == "does_not_fit"));
}

#[test]
fn model_command_prints_parameters() {
    let out = trainfit()
        .args(["model", "--json", "--hf-config"])
        .arg(accuracy_config("llama-3-8b.json"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["parameters"]["total"], 8_030_261_248u64);
    assert_eq!(v["parameters"]["trainable"], 8_030_261_248u64);
    assert_eq!(v["parameters"]["embedding"], 2 * 128_256u64 * 4096);
    let table = trainfit()
        .args(["model", "--hf-config"])
        .arg(accuracy_config("llama-3-8b.json"))
        .output()
        .unwrap();
    assert!(String::from_utf8(table.stdout)
        .unwrap()
        .contains("8,030,261,248"));
}

#[test]
fn table_output_names_every_term() {
    let out = trainfit()
        .args(["estimate", "--input"])
        .arg(data("requests/llama3-8b-lora.json"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for word in [
        "weights",
        "adapter_weights",
        "logits_and_loss",
        "activations",
        "runtime_context",
        "does not fit",
    ] {
        assert!(text.contains(word), "missing {word} in\n{text}");
    }
}

#[test]
fn bad_inputs_fail_with_one_line_naming_the_field() {
    for (req, needle) in [
        ("bad-unknown-field", "sequnce"),
        ("bad-model-type", "model_type `t5`"),
        ("bad-zero-batch", "micro_batch"),
        ("bad-catalogue", "llama-9-900b"),
        ("bad-lora-target", "lora.targets"),
    ] {
        let out = trainfit()
            .args(["estimate", "--json", "--input"])
            .arg(data(&format!("requests/{req}.json")))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{req}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{req}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{req}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn missing_file_is_an_error() {
    let out = trainfit()
        .args(["estimate", "--input", "/nonexistent/request.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("/nonexistent/request.json"));
}

#[test]
fn config_file_path_is_read_relative_to_the_request() {
    // The accuracy suite measured this exact step at 29,246,185,472 B
    // (tests/accuracy/measured.json, qwen2.5-0.5b_bf16_ft_adamw_b8_s1024_sdpa).
    let e = estimate_json("qwen2.5-0.5b-config-file");
    assert_eq!(e["parameters"]["total"], 494_032_768u64);
    let peak = e["peak_allocated_bytes"].as_u64().unwrap() as f64;
    assert!((peak / 29_246_185_472.0 - 1.0).abs() < 0.01, "{peak}");
}
