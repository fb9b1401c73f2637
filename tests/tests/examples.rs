//! The example requests of `tests/data/requests/`, through the core's public API only. (That the
//! docs document every request field is checked in `docs.rs`.)

use std::path::{Path, PathBuf};

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
