//! The `trainfit` binary end to end, on the example requests in `tests/data/requests/`.
//!
//! These tests live in the binary's own package because Cargo gives the path of a freshly built
//! binary (`CARGO_BIN_EXE_trainfit`) only to the integration tests of that package.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use serde_json::Value;

/// Every valid example request.
const EXAMPLES: [&str; 9] = [
    "gpt2-finetune-fp32",
    "llama3-8b-lora",
    "llama2-7b-qlora",
    "llama3-8b-prefill",
    "llama3-8b-decode-fp8kv",
    "llama3-8b-zero3-8gpu",
    "small-llama-pretrain",
    "qwen2.5-0.5b-config-file",
    "quickstart",
];

/// Llama-3-8B's published parameter count (meta-llama/Meta-Llama-3-8B model card: 8.03B), exact
/// from its config: 2 x 128,256 x 4,096 embeddings + 32 x 218,112,000 per layer + 4,096 final norm.
const LLAMA3_8B: u64 = 8_030_261_248;

/// An example request file (`tests/data/requests/NAME.json`).
fn request(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/requests")
        .join(format!("{name}.json"))
}

/// A Hugging Face config of the accuracy suite.
fn accuracy_config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/accuracy/configs")
        .join(name)
}

fn trainfit() -> Command {
    cargo_bin_cmd!("trainfit")
}

/// Runs a successful command and returns its standard output.
fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().expect("trainfit runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{cmd:?} wrote to stderr");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn estimate_json(name: &str) -> Value {
    let text = stdout(
        trainfit()
            .args(["estimate", "--json", "--input"])
            .arg(request(name)),
    );
    serde_json::from_str(&text).expect("estimate --json prints JSON")
}

fn u64_at(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` is not an integer in {v}"))
}

/// Bytes of one breakdown term (0 when absent).
fn term(e: &Value, kind: &str) -> u64 {
    e["breakdown"]
        .as_array()
        .expect("breakdown is an array")
        .iter()
        .filter(|t| t["term"] == kind)
        .map(|t| u64_at(t, "bytes"))
        .sum()
}

/// Runs a command expected to fail on bad input: exit status 2, nothing on stdout, one line
/// `error: ...` on stderr, which is returned.
fn failure(cmd: &mut Command) -> String {
    let out = cmd.output().expect("trainfit runs");
    assert_eq!(out.status.code(), Some(2), "{cmd:?}");
    assert!(out.stdout.is_empty(), "{cmd:?} printed to stdout");
    let err = String::from_utf8(out.stderr).expect("UTF-8 error");
    assert_eq!(err.trim_end().lines().count(), 1, "{cmd:?}: {err}");
    assert!(err.starts_with("error: "), "{cmd:?}: {err}");
    err
}

#[test]
fn every_example_has_the_documented_shape_and_its_terms_add_up() {
    for name in EXAMPLES {
        let e = estimate_json(name);
        assert_eq!(e["schema_version"], 1, "{name}");
        let peak = u64_at(&e, "peak_bytes");
        let allocated = u64_at(&e, "peak_allocated_bytes");
        assert!(0 < allocated && allocated <= peak, "{name}");
        let sum: u64 = e["breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                assert!(t["term"].is_string() && t["detail"].is_string(), "{name}");
                u64_at(t, "bytes")
            })
            .sum();
        assert_eq!(sum, peak, "{name}: the breakdown adds up to peak_bytes");
        let phase = e["peak_phase"].as_str().unwrap();
        assert!(
            ["forward", "backward", "optimizer_step", "prefill", "decode"].contains(&phase),
            "{name}: {phase}"
        );
        // The peak phase's tensor peak is the allocated peak, and no phase exceeds it.
        let phases = e["phases"].as_array().unwrap();
        assert!(phases
            .iter()
            .any(|p| p["phase"] == phase && u64_at(p, "allocated_bytes") == allocated));
        assert!(phases
            .iter()
            .all(|p| u64_at(p, "allocated_bytes") <= allocated));
        let p = &e["parameters"];
        assert!(u64_at(p, "total") > 0, "{name}");
        assert_eq!(
            u64_at(p, "embedding") + u64_at(p, "non_embedding"),
            u64_at(p, "total")
        );
        assert!(u64_at(p, "trainable") <= u64_at(p, "total"));
        for key in [
            "weights_bytes",
            "adapter_bytes",
            "gradients_bytes",
            "master_weights_bytes",
            "optimizer_states_bytes",
        ] {
            u64_at(&e["model_states"], key);
        }
        assert!(e["warnings"].is_array());
    }
}

#[test]
fn gpt2_parameters_and_fp32_model_states() {
    // GPT-2: 124,439,808 parameters (openai-community/gpt2, as transformers builds it); fp32 AdamW
    // keeps weights, gradients and two states: 16 B per parameter.
    let e = estimate_json("gpt2-finetune-fp32");
    assert_eq!(e["parameters"]["total"], 124_439_808u64);
    let s = &e["model_states"];
    let states = u64_at(s, "weights_bytes")
        + u64_at(s, "gradients_bytes")
        + u64_at(s, "optimizer_states_bytes");
    // Each of the 148 tensors rounds up to the allocator's 512 B, in each of 4 copies.
    let exact = 124_439_808u64 * 16;
    assert!(
        states >= exact && states - exact <= 148 * 4 * 512,
        "{states}"
    );
}

#[test]
fn prefill_kv_cache() {
    // Llama-3-8B in bf16: 2 (k, v) x 32 layers x 8 kv heads x 128 head_dim x 2 B = 131,072 B per
    // token; 8 sequences x 4,096 tokens = 32,768 tokens: exactly 4 GiB.
    let e = estimate_json("llama3-8b-prefill");
    assert_eq!(term(&e, "kv_cache"), 131_072 * 32_768);
    assert_eq!(term(&e, "kv_cache"), 4 << 30);
    assert_eq!(e["peak_phase"], "prefill");
    assert_eq!(e["parameters"]["trainable"], 0);
    assert_eq!(term(&e, "gradients"), 0);
    assert_eq!(term(&e, "optimizer_states"), 0);
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
fn qlora_nf4_weights_and_fp32_adapters() {
    // Llama-2-7B, rank 64 on all linears: per layer 4 x 64 x (4096+4096) + 2 x 64 x (4096+11008)
    // + 64 x (11008+4096) = 4,997,120; 32 layers: 159,907,840 adapter parameters, in fp32.
    let e = estimate_json("llama2-7b-qlora");
    let adapters = 32 * 4_997_120u64;
    assert_eq!(e["parameters"]["trainable"], adapters);
    assert_eq!(e["model_states"]["adapter_bytes"], adapters * 4);
    // The decoder linears, 32 x (4 x 4096^2 + 3 x 4096 x 11008), take 4.127 bits per parameter in
    // NF4 with double quantisation (QLoRA paper, section 3); embeddings, head and the 65 norms
    // stay in 2 bytes.
    let linears = 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008u64);
    let rest = (2 * 32_000 * 4096 + 65 * 4096) * 2u64;
    let weights = u64_at(&e["model_states"], "weights_bytes");
    let bits = (weights - rest) as f64 * 8.0 / linears as f64;
    assert!((bits - 4.127).abs() < 0.01, "{bits} bits per parameter");
    assert_eq!(e["fit"]["device_bytes"], 17_179_869_184u64);
}

#[test]
fn zero3_shards_every_model_state_over_8_ranks() {
    // Mixed bf16 with AdamW (ZeRO paper, section 3: 2 + 2 + 12 bytes per parameter), each state
    // divided by the 8 data-parallel ranks; N is a multiple of 8, so the shards are exact.
    let e = estimate_json("llama3-8b-zero3-8gpu");
    let n = LLAMA3_8B;
    let s = &e["model_states"];
    assert_eq!(u64_at(s, "weights_bytes"), 2 * n / 8);
    assert_eq!(u64_at(s, "gradients_bytes"), 2 * n / 8);
    assert_eq!(u64_at(s, "master_weights_bytes"), 4 * n / 8);
    assert_eq!(u64_at(s, "optimizer_states_bytes"), 8 * n / 8);
    assert!(term(&e, "sharding_buffers") > 0);
    assert!(term(&e, "communication_buffers") > 0);
    assert_eq!(e["fit"]["fits"], true);
}

#[test]
fn inline_config_and_catalogue_agree_on_parameters() {
    // The pasted small Llama: 2 x 32,000 x 512 embeddings, 8 layers of
    // 512 x (512 + 256 + 256 + 512) + 3 x 512 x 1536 + 2 x 512 = 3,146,752, and a 512 final norm.
    let e = estimate_json("small-llama-pretrain");
    assert_eq!(
        e["parameters"]["total"],
        2 * 32_000 * 512 + 8 * 3_146_752 + 512u64
    );
    assert_eq!(e["parameters"]["trainable"], e["parameters"]["total"]);
    let q = estimate_json("quickstart");
    assert_eq!(q["parameters"]["total"], LLAMA3_8B);
}

#[test]
fn standard_input_gives_the_same_estimate_as_the_file() {
    let path = request("llama3-8b-lora");
    let text = std::fs::read(&path).unwrap();
    let piped = stdout(
        trainfit()
            .args(["estimate", "--json", "--input", "-"])
            .write_stdin(text),
    );
    let from_file = stdout(
        trainfit()
            .args(["estimate", "--json", "--input"])
            .arg(&path),
    );
    assert_eq!(piped, from_file);
}

#[test]
fn table_shows_every_term_with_exact_bytes_in_plain_ascii() {
    for name in EXAMPLES {
        let e = estimate_json(name);
        let text = stdout(trainfit().args(["estimate", "--input"]).arg(request(name)));
        assert!(text.is_ascii(), "{name}: non-ASCII output\n{text}");
        let grouped = |n: u64| {
            let s = n.to_string();
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        };
        for key in ["peak_bytes", "peak_allocated_bytes"] {
            assert!(
                text.contains(&grouped(u64_at(&e, key))),
                "{name}: {key} missing\n{text}"
            );
        }
        for t in e["breakdown"].as_array().unwrap() {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("{} ", t["term"].as_str().unwrap())))
                .unwrap_or_else(|| panic!("{name}: no line for {}\n{text}", t["term"]));
            assert!(line.contains(&grouped(u64_at(t, "bytes"))), "{line}");
            assert!(line.contains('%'), "{line}");
        }
        assert!(text.contains(e["peak_phase"].as_str().unwrap()));
    }
    let text = stdout(
        trainfit()
            .args(["estimate", "--input"])
            .arg(request("llama3-8b-lora")),
    );
    assert!(text.contains("does not fit"), "{text}");
    assert!(text.contains("warning [does_not_fit]"), "{text}");
}

#[test]
fn model_command_prints_parameters() {
    let from_config: Value = serde_json::from_str(&stdout(
        trainfit()
            .args(["model", "--json", "--hf-config"])
            .arg(accuracy_config("llama-3-8b.json")),
    ))
    .unwrap();
    assert_eq!(from_config["schema_version"], 1);
    assert_eq!(from_config["parameters"]["total"], LLAMA3_8B);
    assert_eq!(from_config["parameters"]["trainable"], LLAMA3_8B);
    assert_eq!(
        from_config["parameters"]["embedding"],
        2 * 128_256u64 * 4096
    );
    assert_eq!(from_config["spec"]["layers"], 32);
    let from_catalogue: Value = serde_json::from_str(&stdout(trainfit().args([
        "model",
        "--json",
        "--name",
        "llama-3-8b",
    ])))
    .unwrap();
    assert_eq!(from_catalogue["parameters"], from_config["parameters"]);
    let table = stdout(trainfit().args(["model", "--name", "Meta-Llama-3-8B"]));
    assert!(table.contains("8,030,261,248"), "{table}");
}

#[test]
fn models_lists_and_filters_the_catalogue() {
    let all: Value = serde_json::from_str(&stdout(trainfit().args(["models", "--json"]))).unwrap();
    let all = all.as_array().unwrap();
    assert!(all.len() > 20, "{} entries", all.len());
    let gpt2 = all.iter().find(|m| m["id"] == "gpt2").expect("gpt2 listed");
    assert_eq!(gpt2["repo"], "openai-community/gpt2");
    assert_eq!(gpt2["parameters"], 124_439_808u64);
    let hits: Value = serde_json::from_str(&stdout(
        trainfit().args(["models", "--json", "llama", "3-8b"]),
    ))
    .unwrap();
    assert!(hits
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["id"].as_str().unwrap().contains("llama")));
    assert!(hits
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "llama-3-8b"));
    let table = stdout(trainfit().args(["models", "qwen2.5"]));
    assert!(
        table.lines().count() > 1 && table.contains("Qwen/Qwen2.5-7B"),
        "{table}"
    );
}

/// Every kind of bad input the command line reads, with the one line it prints: pinned in one
/// insta snapshot (`probe/tests/snapshots/cli__bad_input.snap`), so a reworded message is a
/// reviewed diff. Paths are relative to the repository root, where the commands run.
#[test]
fn bad_input_fails_with_one_line_naming_the_field() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let requests = "tests/data/requests";
    let estimate_stdin = |text: &str| -> Invocation {
        (
            vec!["estimate".into(), "--input".into(), "-".into()],
            Some(text.to_string()),
        )
    };
    // (name, (arguments, standard input))
    type Invocation = (Vec<String>, Option<String>);
    let mut cases: Vec<(String, Invocation)> = Vec::new();
    for name in [
        "bad-unknown-field",
        "bad-model-type",
        "bad-zero-batch",
        "bad-catalogue",
        "bad-lora-target",
    ] {
        let file = format!("{requests}/{name}.json");
        cases.push((
            name.to_string(),
            (
                vec!["estimate".into(), "--json".into(), "--input".into(), file],
                None,
            ),
        ));
    }
    for (name, text) in [
        (
            "string for a number",
            "{\"model\": {\"catalogue\": \"gpt2\"},\n \"parallel\": {\"data\": \"8\"}}",
        ),
        (
            "unknown nested field",
            "{\"model\": {\"catalogue\": \"gpt2\"}, \"lora\": {\"rank\": 8, \"rnak\": 8}}",
        ),
        (
            "unknown variant",
            "{\"model\": {\"catalogue\": \"gpt2\"}, \"precision\": \"fp8\"}",
        ),
        (
            "misspelt model source",
            "{\"model\": {\"catalog\": \"gpt2\"}}",
        ),
        (
            "negative count",
            "{\"model\": {\"catalogue\": \"gpt2\"}, \"micro_batch\": -1}",
        ),
        ("cut short", "{\"model\": {\"catalogue\": \"gpt2\"},"),
        ("not JSON", "model: gpt2"),
        ("empty", ""),
        (
            "config file missing",
            "{\"model\": {\"hf_config_file\": \"/nonexistent/config.json\"}}",
        ),
        (
            "config file endless",
            "{\"model\": {\"hf_config_file\": \"/dev/zero\"}}",
        ),
    ] {
        cases.push((format!("estimate: {name}"), estimate_stdin(text)));
    }
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    cases.push((
        "estimate: request file missing".into(),
        (
            args(&["estimate", "--input", "/nonexistent/request.json"]),
            None,
        ),
    ));
    cases.push((
        "model: unknown name".into(),
        (args(&["model", "--name", "llama-9-900b"]), None),
    ));
    cases.push((
        "model: config missing a field".into(),
        (
            args(&["model", "--hf-config", "-"]),
            Some("{\"model_type\": \"llama\"}".into()),
        ),
    ));
    cases.push((
        "model: unsupported type".into(),
        (
            args(&["model", "--hf-config", "-"]),
            Some("{\"model_type\": \"t5\"}".into()),
        ),
    ));
    cases.push((
        "model: a named config file".into(),
        (
            args(&["model", "--hf-config", "probe/tests/fixtures/README.md"]),
            None,
        ),
    ));
    cases.push((
        "plan: unknown model for a task".into(),
        (
            args(&[
                "--task",
                "lora",
                "--model",
                "no-such-model-xyz",
                "--profile-only",
            ]),
            None,
        ),
    ));
    cases.push((
        "plan: missing model file".into(),
        (
            args(&["--task", "lora", "--model", "missing/config.json"]),
            None,
        ),
    ));
    cases.push((
        "plan: request without a profile".into(),
        (
            args(&["plan", "--input", "-"]),
            Some("{\"goal\": {}}".into()),
        ),
    ));
    let mut out = String::new();
    for (name, (args, stdin)) in &cases {
        let mut cmd = trainfit();
        cmd.current_dir(&root).args(args);
        if let Some(text) = stdin {
            cmd.write_stdin(text.as_str());
        }
        out.push_str(&format!("{name}\n  {}", failure(&mut cmd)));
    }
    insta::assert_snapshot!("bad_input", out);
}

#[test]
fn config_file_path_is_read_relative_to_the_request() {
    // The accuracy suite measured this exact step at 29,246,185,472 B
    // (tests/accuracy/measured.json, qwen2.5-0.5b_bf16_ft_adamw_b8_s1024_sdpa).
    let e = estimate_json("qwen2.5-0.5b-config-file");
    assert_eq!(e["parameters"]["total"], 494_032_768u64);
    let peak = u64_at(&e, "peak_allocated_bytes") as f64;
    assert!((peak / 29_246_185_472.0 - 1.0).abs() < 0.01, "{peak}");
}
