//! The example requests of `tests/data/requests/` and the README's request reference, through the
//! core's public API only.

use std::path::{Path, PathBuf};

use serde_json::Value;
use trainfit_core::EstimateRequest;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The example requests the core reads as they are (the `bad-*` ones are for error tests; a
/// `model.hf_config_file` is a command-line extension the core does not read).
fn examples() -> Vec<(String, String)> {
    let dir = root().join("tests/data/requests");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/data/requests exists") {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        if name.starts_with("bad-") || text.contains("hf_config_file") {
            continue;
        }
        out.push((name, text));
    }
    assert!(
        out.len() >= 7,
        "{} examples in {}",
        out.len(),
        dir.display()
    );
    out
}

#[test]
fn examples_round_trip_through_the_wire_format() {
    for (name, text) in examples() {
        let request: EstimateRequest =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again: EstimateRequest =
            serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
        assert_eq!(again, request, "{name}");
        let estimate = trainfit_core::estimate(&request).unwrap_or_else(|e| panic!("{name}: {e}"));
        let json = serde_json::to_value(&estimate).unwrap();
        assert_eq!(
            serde_json::from_value::<trainfit_core::Estimate>(json).unwrap(),
            estimate,
            "{name}"
        );
    }
}

#[test]
fn examples_are_deterministic() {
    for (name, text) in examples() {
        let request: EstimateRequest = serde_json::from_str(&text).unwrap();
        let a = trainfit_core::estimate(&request).unwrap();
        let b = trainfit_core::estimate(&request.clone()).unwrap();
        assert_eq!(a, b, "{name}");
    }
}

/// The part of the README from `heading` to the next heading.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README.md has no heading {heading:?}"))
        + heading.len()
        + 2;
    let rest = &readme[start..];
    &rest[..rest.find("\n#").unwrap_or(rest.len())]
}

#[test]
fn readme_documents_every_request_field() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/estimate-request.schema.json")).unwrap(),
    )
    .unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut missing = Vec::new();
    for (heading, properties) in [
        ("## Request format", &schema["properties"]),
        ("### `lora`", &schema["$defs"]["Lora"]["properties"]),
        (
            "### `quantization`",
            &schema["$defs"]["Quantization"]["properties"],
        ),
        (
            "### `inference`",
            &schema["$defs"]["Inference"]["properties"],
        ),
        ("### `parallel`", &schema["$defs"]["Parallel"]["properties"]),
        (
            "### `parallel.offload`",
            &schema["$defs"]["Offload"]["properties"],
        ),
        ("### `runtime`", &schema["$defs"]["Runtime"]["properties"]),
    ] {
        let text = section(&readme, heading);
        let properties = properties
            .as_object()
            .unwrap_or_else(|| panic!("no properties in the schema for {heading}"));
        for field in properties.keys() {
            if !text.contains(&format!("| `{field}` |")) {
                missing.push(format!("{heading}: {field}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README.md has no table row for {missing:?}"
    );
}
