//! The exports through the JavaScript boundary, in Node (`cargo test -p trainfit-wasm --target
//! wasm32-unknown-unknown`, run by wasm-bindgen-test-runner as `.cargo/config.toml` sets).
#![cfg(target_arch = "wasm32")]

use serde_json::Value;
use wasm_bindgen::{JsError, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

/// A JavaScript object parsed from JSON text, as a page would pass it.
fn js(text: &str) -> JsValue {
    js_sys::JSON::parse(text).expect("valid JSON")
}

/// A returned JavaScript value as JSON.
fn json(value: JsValue) -> Value {
    let text: String = js_sys::JSON::stringify(&value).unwrap().into();
    serde_json::from_str(&text).unwrap()
}

/// The message of a returned JavaScript `Error`.
fn message(error: JsError) -> String {
    js_sys::Error::from(JsValue::from(error)).message().into()
}

fn estimate_error(request: &str) -> String {
    message(trainfit_wasm::estimate(js(request)).expect_err("the request is rejected"))
}

#[wasm_bindgen_test]
fn estimate_returns_the_cli_shape() {
    let request = include_str!("../../tests/data/requests/gpt2-finetune-fp32.json");
    let e = json(trainfit_wasm::estimate(js(request)).unwrap());
    // GPT-2 (openai-community/gpt2): 124,439,808 parameters.
    assert_eq!(e["parameters"]["total"], 124_439_808u64);
    let sum: u64 = e["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(e["peak_bytes"].as_u64(), Some(sum));
    assert_eq!(e["peak_phase"], "backward");
}

#[wasm_bindgen_test]
fn unknown_fields_are_errors() {
    let err = estimate_error(include_str!(
        "../../tests/data/requests/bad-unknown-field.json"
    ));
    assert!(err.contains("unknown field `sequnce`"), "{err}");
    let err = estimate_error(
        r#"{"model": {"catalogue": "gpt2"}, "task": "lora", "lora": {"rank": 8, "rnak": 8}}"#,
    );
    assert!(err.contains("lora") && err.contains("`rnak`"), "{err}");
}

#[wasm_bindgen_test]
fn wrong_types_name_the_path() {
    let err = estimate_error(r#"{"model": {"catalogue": "gpt2"}, "parallel": {"data": "8"}}"#);
    assert!(err.contains("parallel.data"), "{err}");
    let err = estimate_error(r#"{"model": {"catalogue": "gpt2"}, "micro_batch": 1.5}"#);
    assert!(err.contains("micro_batch"), "{err}");
    let err = message(trainfit_wasm::estimate(JsValue::NULL).unwrap_err());
    assert!(err.contains("EstimateRequest"), "{err}");
}

#[wasm_bindgen_test]
fn core_errors_keep_their_message() {
    let err = estimate_error(include_str!(
        "../../tests/data/requests/bad-zero-batch.json"
    ));
    assert_eq!(
        err,
        "field `micro_batch` is 0, expected an integer of at least 1"
    );
}

#[wasm_bindgen_test]
fn model_from_hf_config_and_search() {
    let spec = json(
        trainfit_wasm::model_from_hf_config(include_str!(
            "../../tests/accuracy/configs/llama-3-8b.json"
        ))
        .unwrap(),
    );
    assert_eq!(spec["layers"], 32);
    assert_eq!(spec["kv_heads"], 8);
    let err = message(trainfit_wasm::model_from_hf_config("{").unwrap_err());
    assert!(err.contains("line 1"), "{err}");
    let found = json(trainfit_wasm::models("llama 3-8b").unwrap());
    // The same listing as `trainfit models --json`, with Meta's published 8.03B parameters.
    assert!(found
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "llama-3-8b"
            && m["repo"] == "meta-llama/Meta-Llama-3-8B"
            && m["family"] == "llama"
            && m["parameters"] == 8_030_261_248u64));
}

/// One RTX 4090 as a user would type it.
const RTX4090: &str = r#"{"accelerators": [{"vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090",
    "kind": "discrete", "compute_capability": "8.9",
    "memory_total_bytes": {"value": 25757220864, "source": "user"}}]}"#;

#[wasm_bindgen_test]
fn plan_gives_three_configurations_within_their_targets() {
    let request = format!(r#"{{"profile": {RTX4090}}}"#);
    let p = json(trainfit_wasm::plan(js(&request)).unwrap());
    let configs = p["configurations"].as_array().unwrap();
    let modes: Vec<&str> = configs
        .iter()
        .map(|c| c["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["conservative", "balanced", "extreme"]);
    for c in configs {
        assert!(c["memory"]["peak_bytes"].as_u64() <= c["memory_target_bytes"].as_u64());
    }
    // Ampere and newer: bf16 autocast (compute capability 8.9).
    assert_eq!(p["device"]["precision"], "amp_bf16");
}

#[wasm_bindgen_test]
fn plan_errors_name_the_field() {
    let request = format!(r#"{{"profile": {RTX4090}, "goal": {{"task": "lora"}}}}"#);
    let err = message(trainfit_wasm::plan(js(&request)).unwrap_err());
    assert!(err.contains("goal.model"), "{err}");
}

#[wasm_bindgen_test]
fn parse_profile_fills_the_catalogue_and_summary() {
    let p = json(trainfit_wasm::parse_profile(RTX4090).unwrap());
    // Ada whitepaper, RTX 4090: 165.2 dense bf16 TFLOP/s; 80 % of 25,757,220,864 bytes in GB.
    assert_eq!(p["accelerators"][0]["peak_tflops"]["bf16"]["value"], 165.2);
    assert_eq!(
        p["accelerators"][0]["peak_tflops"]["bf16"]["source"],
        "catalogue"
    );
    let gb = p["max_recommended_model_size_gb"].as_f64().unwrap();
    assert!((gb - 25_757_220_864.0 * 0.8 / 1e9).abs() < 1e-9);
    let err = message(trainfit_wasm::parse_profile(r#"{"schema_version": 9}"#).unwrap_err());
    assert!(err.contains('9'), "{err}");
    let err = message(
        trainfit_wasm::parse_profile(r#"{"cpu": {"max_mhz": {"value": 0, "source": "user"}}}"#)
            .unwrap_err(),
    );
    assert!(err.contains("cpu.max_mhz"), "{err}");
}
