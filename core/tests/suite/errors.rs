//! Every kind of bad input, through the public entry points, with the message and code it gets.
//!
//! The messages are pinned in one insta snapshot (`core/tests/suite/snapshots/suite__errors__messages.snap`),
//! so a reworded message is a reviewed diff; regenerate with `INSTA_UPDATE=always cargo test -p
//! trainfit-core --test suite errors::` (or `cargo insta review`). Each message must also name its field
//! when it is about one, stay on one line, and keep its code.

use std::fmt::Write;

use trainfit_core::document::from_json;
use trainfit_core::hardware::parse_profile;
use trainfit_core::plan::{plan, PlanRequest};
use trainfit_core::{estimate, model, Error, EstimateRequest};

/// An estimate request around `fields` (a JSON object's inside), for GPT-2.
fn estimate_text(fields: &str) -> String {
    let sep = if fields.is_empty() { "" } else { ", " };
    format!(r#"{{"model": {{"catalogue": "gpt2"}}{sep}{fields}}}"#)
}

fn run_estimate(text: &str) -> Result<(), Error> {
    let request: EstimateRequest = from_json("request", text)?;
    estimate(&request).map(|_| ())
}

/// A plan request on one RTX 4090 with `goal` and `extra` top-level fields.
fn plan_text(goal: &str, extra: &str) -> String {
    format!(
        r#"{{"profile": {{"accelerators": [{{"vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090",
            "kind": "discrete", "memory_total_bytes": {{"value": 25757220864, "source": "user"}}}}]}},
           "goal": {goal}{extra}}}"#
    )
}

fn run_plan(text: &str) -> Result<(), Error> {
    let request: PlanRequest = from_json("plan request", text)?;
    plan(&request).map(|_| ())
}

fn run_profile(text: &str) -> Result<(), Error> {
    parse_profile(text).map(|_| ())
}

fn run_config(text: &str) -> Result<(), Error> {
    model::from_hf_config(text).map(|_| ())
}

/// An entry point over text.
type Entry = fn(&str) -> Result<(), Error>;

#[test]
fn messages() {
    let long = "x".repeat(500);
    let cases: Vec<(&str, String, Entry)> = vec![
        // Estimate requests.
        ("estimate: not JSON", "{".into(), run_estimate),
        ("estimate: trailing text", estimate_text("") + " x", run_estimate),
        (
            "estimate: unknown field",
            estimate_text(r#""sequnce": 5"#),
            run_estimate,
        ),
        (
            "estimate: wrong type",
            estimate_text(r#""micro_batch": "8""#),
            run_estimate,
        ),
        (
            "estimate: unknown variant",
            estimate_text(r#""precision": "fp8""#),
            run_estimate,
        ),
        ("estimate: zero", estimate_text(r#""sequence": 0"#), run_estimate),
        (
            "estimate: newer version",
            estimate_text(r#""schema_version": 999"#),
            run_estimate,
        ),
        (
            "estimate: version 0",
            estimate_text(r#""schema_version": 0"#),
            run_estimate,
        ),
        (
            "estimate: unknown catalogue name",
            r#"{"model": {"catalogue": "llama-3-9b"}}"#.into(),
            run_estimate,
        ),
        (
            "estimate: a long unknown name is cut",
            format!(r#"{{"model": {{"catalogue": "{long}"}}}}"#),
            run_estimate,
        ),
        (
            "estimate: hf_config of the wrong type",
            r#"{"model": {"hf_config": 5}}"#.into(),
            run_estimate,
        ),
        (
            "estimate: unsupported model_type",
            r#"{"model": {"hf_config": {"model_type": "t5"}}}"#.into(),
            run_estimate,
        ),
        (
            "estimate: missing config field",
            r#"{"model": {"hf_config": {"model_type": "llama", "hidden_size": 64}}}"#.into(),
            run_estimate,
        ),
        (
            "estimate: too many devices",
            estimate_text(r#""parallel": {"data": 18446744073709551615}"#),
            run_estimate,
        ),
        (
            "estimate: gpus per node",
            estimate_text(r#""runtime": {"gpus_per_node": 4294967296}"#),
            run_estimate,
        ),
        (
            "estimate: tensor parallel not a divisor",
            estimate_text(r#""parallel": {"tensor": 5}"#),
            run_estimate,
        ),
        (
            "estimate: sharding on one device",
            estimate_text(r#""parallel": {"sharding": "zero3"}"#),
            run_estimate,
        ),
        (
            "estimate: lora without adapters",
            estimate_text(r#""task": "lora""#),
            run_estimate,
        ),
        (
            "estimate: lora rank above the widest layer",
            estimate_text(r#""task": "lora", "lora": {"rank": 1000000000000, "targets": ["c_attn"]}"#),
            run_estimate,
        ),
        (
            "estimate: lora target the model lacks",
            estimate_text(r#""task": "lora", "lora": {"rank": 8, "targets": ["q_proj"]}"#),
            run_estimate,
        ),
        (
            "estimate: lora dropout",
            estimate_text(r#""task": "lora", "lora": {"rank": 8, "targets": ["c_attn"], "dropout": 7}"#),
            run_estimate,
        ),
        (
            "estimate: prefill without inference",
            estimate_text(r#""task": "prefill""#),
            run_estimate,
        ),
        (
            "estimate: peak beyond 2^53 bytes",
            estimate_text(r#""micro_batch": 10000000, "sequence": 1024"#),
            run_estimate,
        ),
        (
            "estimate: sizes beyond 64 bits",
            estimate_text(r#""micro_batch": 4000000000000000, "sequence": 1000000"#),
            run_estimate,
        ),
        // Plan requests.
        ("plan: no modes", plan_text("{}", r#", "modes": []"#), run_plan),
        (
            "plan: repeated modes",
            plan_text("{}", r#", "modes": ["balanced", "balanced"]"#),
            run_plan,
        ),
        (
            "plan: goal without a model",
            plan_text(r#"{"task": "lora"}"#, ""),
            run_plan,
        ),
        (
            "plan: more devices than the profile",
            plan_text(r#"{"devices": 2}"#, ""),
            run_plan,
        ),
        (
            "plan: hours 1e308",
            plan_text(r#"{"hours": 1e308}"#, ""),
            run_plan,
        ),
        (
            "plan: global batch not a multiple",
            plan_text(r#"{"micro_batch": 3, "global_batch": 10}"#, ""),
            run_plan,
        ),
        (
            "plan: global batch beyond the bound",
            plan_text(r#"{"global_batch": 1000000000000000000}"#, ""),
            run_plan,
        ),
        (
            "plan: unknown catalogue name in the goal",
            plan_text(r#"{"task": "lora", "model": {"catalogue": "gtp2"}}"#, ""),
            run_plan,
        ),
        (
            "plan: nothing to plan on",
            r#"{"profile": {}}"#.into(),
            run_plan,
        ),
        (
            "plan: profile version inside the request",
            r#"{"profile": {"schema_version": 999}}"#.into(),
            run_plan,
        ),
        // Hardware profiles.
        ("profile: not an object", "[1]".into(), run_profile),
        (
            "profile: newer version",
            r#"{"schema_version": 3}"#.into(),
            run_profile,
        ),
        (
            "profile: wrong type at a path",
            r#"{"accelerators": [{"name": "x", "memory_total_bytes": 5}]}"#.into(),
            run_profile,
        ),
        (
            "profile: zero peak",
            r#"{"accelerators": [{"name": "x", "peak_tflops": {"bf16": {"value": 0, "source": "user"}}}]}"#
                .into(),
            run_profile,
        ),
        (
            "profile: one-byte GPU",
            r#"{"accelerators": [{"name": "x", "memory_total_bytes": {"value": 1, "source": "user"}}]}"#
                .into(),
            run_profile,
        ),
        (
            "profile: CPU clock 0",
            r#"{"cpu": {"max_mhz": {"value": 0, "source": "measured"}}}"#.into(),
            run_profile,
        ),
        (
            "profile: negative TDP",
            r#"{"accelerators": [{"name": "x", "tdp_w": {"value": -5, "source": "user"}}]}"#.into(),
            run_profile,
        ),
        (
            "profile: a value with a newline",
            "{\"host\": {\"form_factor\": \"tab\\nlet\"}}".into(),
            run_profile,
        ),
        // Hugging Face configs.
        ("config: not JSON", "model_type: llama".into(), run_config),
        ("config: not an object", "[]".into(), run_config),
        ("config: no model_type", r#"{"hidden_size": 5}"#.into(), run_config),
        (
            "config: model_type not a string",
            r#"{"model_type": 7}"#.into(),
            run_config,
        ),
        (
            "config: negative size",
            r#"{"model_type": "llama", "hidden_size": -3}"#.into(),
            run_config,
        ),
        (
            "config: heads not dividing",
            r#"{"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
                "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 3,
                "vocab_size": 100}"#
                .into(),
            run_config,
        ),
        (
            "config: unknown activation",
            r#"{"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
                "num_hidden_layers": 2, "num_attention_heads": 8, "vocab_size": 100,
                "hidden_act": "swishy"}"#
                .into(),
            run_config,
        ),
        (
            "config: layer_types of the wrong length",
            r#"{"model_type": "gemma2", "hidden_size": 64, "intermediate_size": 128,
                "num_hidden_layers": 2, "num_attention_heads": 8, "vocab_size": 100,
                "max_position_embeddings": 512, "layer_types": ["sliding_attention"]}"#
                .into(),
            run_config,
        ),
    ];
    let mut out = String::new();
    for (name, text, run) in &cases {
        let e = run(text).expect_err(name);
        let message = e.to_string();
        assert!(!message.contains('\n'), "{name}: {message}");
        assert!(message.chars().count() <= 700, "{name}: {message}");
        let fieldless = matches!(
            e,
            Error::Json { .. } | Error::Overflow { .. } | Error::NoDevice
        );
        assert!(
            e.field().is_some() || fieldless || name.starts_with("config: not"),
            "{name} names no field: {message}"
        );
        let _ = writeln!(out, "{name}\n  [{}] {message}", e.code());
    }
    insta::assert_snapshot!(out);
}
