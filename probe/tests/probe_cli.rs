//! End to end: the real `trainfit probe` binary on this machine. Its JSON must satisfy the
//! committed JSON Schema and agree with independent readings (`nproc`, `/proc/meminfo`).

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn probe(args: &[&str]) -> Value {
    let out = cargo_bin_cmd!("trainfit")
        .arg("probe")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "trainfit probe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("probe --json prints JSON")
}

fn schema_errors(instance: &Value) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/hardware-profile.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("hardware-profile.schema.json", schema)
        .unwrap();
    let id = compiler
        .compile("hardware-profile.schema.json", &mut schemas)
        .unwrap();
    schemas
        .validate(instance, id)
        .err()
        .map(|e| format!("{e:#}"))
}

fn command_output(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn profile_of_this_machine_matches_the_schema_and_the_system() {
    let p = probe(&["--json"]);
    if let Some(errors) = schema_errors(&p) {
        panic!("profile does not satisfy schema/hardware-profile.schema.json:\n{errors}");
    }
    assert_eq!(p["schema_version"], 2);
    assert_eq!(p["probe"]["kind"], "native");

    if cfg!(target_os = "linux") {
        // `nproc --all`: every CPU the kernel brought up; `nproc`: those this process may use.
        let all: u64 = command_output("nproc", &["--all"]).parse().unwrap();
        let usable: u64 = command_output("nproc", &[]).parse().unwrap();
        assert_eq!(p["cpu"]["logical_cores"]["value"], all);
        assert_eq!(p["cpu"]["available_parallelism"]["value"], usable);
        assert_eq!(p["cpu"]["logical_cores"]["source"], "measured");

        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
        let kib: u64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        assert_eq!(p["memory"]["total_bytes"]["value"], kib * 1024);
    }
    // The flat summary is filled and consistent with the details.
    assert!(p["device_id"].as_str().is_some_and(|id| id.len() == 16));
    assert_eq!(p["cpu_cores"], p["cpu"]["physical_cores"]["value"]);
    assert!(p["max_recommended_model_size_gb"].as_f64().unwrap() > 0.0);
    // Identifiers withheld by default, and nothing shaped like a MAC address anywhere.
    let redactions = p["redactions"].as_array().unwrap();
    assert!(redactions.iter().any(|r| r == "mac_addresses"));
    let text = p.to_string();
    let mac = text.as_bytes().windows(17).any(|w| {
        w.iter().enumerate().all(|(i, c)| {
            if i % 3 == 2 {
                *c == b':'
            } else {
                c.is_ascii_hexdigit()
            }
        })
    });
    assert!(!mac, "a MAC address escaped into the profile");
}

#[test]
fn hostname_can_be_withheld_and_output_written_to_a_file() {
    let dir = std::env::temp_dir().join(format!("trainfit-probe-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("profile.json");
    let out = cargo_bin_cmd!("trainfit")
        .args(["probe", "--redact-hostname", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(p["hostname"].is_null());
    assert!(p["redactions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "hostname"));
    // The same profile parses in the core, as the page and the planner read it.
    trainfit_core::hardware::parse_profile(&p.to_string()).unwrap();
}

#[test]
fn readable_summary_names_each_section() {
    let out = cargo_bin_cmd!("trainfit").arg("probe").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for section in ["host ", "cpu ", "memory ", "summary "] {
        assert!(
            text.lines().any(|l| l.starts_with(section)),
            "no `{section}` line in:\n{text}"
        );
    }
    assert!(text.is_ascii(), "summary must be plain ASCII:\n{text}");
}

#[test]
fn bad_budget_is_refused_with_the_value() {
    let out = cargo_bin_cmd!("trainfit")
        .args(["probe", "--benchmark", "--budget=-3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--budget") && err.contains("-3"), "{err}");
}

#[test]
fn a_failed_benchmark_is_recorded_in_the_profile_errors() {
    // A directory that does not exist: the storage benchmark cannot write its test file.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("probe-cli-{}", std::process::id()))
        .join("absent");
    let out = cargo_bin_cmd!("trainfit")
        .args([
            "probe",
            "--json",
            "--benchmark",
            "--budget",
            "1",
            "--bench-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema_errors(&p), None);
    let errors = p["errors"].as_array().unwrap();
    let storage: Vec<&Value> = errors
        .iter()
        .filter(|e| e["section"] == "benchmarks.storage")
        .collect();
    assert_eq!(storage.len(), 1, "{errors:?}");
    assert_eq!(storage[0]["source"], dir.display().to_string());
    let message = storage[0]["message"].as_str().unwrap();
    let file = dir.join(".trainfit-bench-");
    assert!(
        message.starts_with(&format!("cannot write {}", file.display())),
        "{message}"
    );
    assert_eq!(p["benchmarks"]["storage"], Value::Array(Vec::new()));
    // Standard error still shows it with the progress.
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.lines()
            .any(|l| l.starts_with("benchmark: storage in ") && l.contains("failed: cannot write")),
        "{err}"
    );
}

#[test]
fn open_prints_the_page_address_with_this_machines_profile() {
    let out = cargo_bin_cmd!("trainfit")
        .args(["open", "--print", "--site", "https://example.org/calc/"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8(out.stdout).unwrap();
    let url = url.trim_end();
    assert_eq!(url.lines().count(), 1, "{url}");
    let encoded = url
        .strip_prefix("https://example.org/calc/#profile=")
        .expect("the profile is in the fragment");
    // base64url without padding (RFC 4648 §5), so the fragment needs no escaping.
    assert!(encoded
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // A profile is a few kilobytes of JSON; gzipped and encoded it stays a short address.
    assert!(url.len() < 16_000, "{} bytes", url.len());
}
