//! End to end: `trainfit export` and `trainfit plan --export` on the fixture profiles and the
//! cluster request of `tests/data/`.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::{json, Value};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

/// `trainfit ARGS` with `stdin`; (exit code, stdout, stderr).
fn trainfit(args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = cargo_bin_cmd!("trainfit")
        .args(args)
        .write_stdin(stdin)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn request(profile: &str, goal: Value) -> String {
    let path = data().join(format!("profiles/{profile}.json"));
    let profile: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json!({"profile": profile, "goal": goal}).to_string()
}

/// A scratch folder of this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trainfit-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The files of `trainfit export`'s output: `==> name <==` then the text.
fn printed(out: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in out.split_inclusive('\n') {
        if let Some(name) = line
            .strip_prefix("==> ")
            .and_then(|l| l.trim_end().strip_suffix(" <=="))
        {
            files.push((name.to_string(), String::new()));
        } else {
            files.last_mut().expect("a header first").1.push_str(line);
        }
    }
    // The blank line between files belongs to neither.
    for f in &mut files {
        if f.1.ends_with("\n\n") {
            f.1.pop();
        }
    }
    files
}

#[test]
fn list_formats_names_every_format() {
    let (code, out, err) = trainfit(&["export", "--list-formats"], "");
    assert_eq!(code, 0, "{err}");
    let names: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let want: Vec<&str> = trainfit_core::export::Format::ALL
        .iter()
        .map(|f| f.as_str())
        .collect();
    assert_eq!(names, want);
}

#[test]
fn export_reads_the_plan_json_and_prints_the_files() {
    let req = request(
        "h100x8-node",
        json!({"task": "lora", "model": {"catalogue": "llama-3.1-8b"}}),
    );
    let (code, plan_json, err) = trainfit(&["plan", "--input", "-", "--json"], &req);
    assert_eq!(code, 0, "{err}");
    let plan: Value = serde_json::from_str(&plan_json).unwrap();
    let balanced = plan["configurations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["mode"] == "balanced")
        .unwrap()
        .clone();
    let (code, out, err) = trainfit(
        &[
            "export",
            "--plan",
            "-",
            "--format",
            "deepspeed",
            "--dataset",
            "/data/set",
        ],
        &plan_json,
    );
    assert_eq!(code, 0, "{err}");
    let files = printed(&out);
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["ds_config.json", "launch.sh"]);
    let ds: Value = serde_json::from_str(&files[0].1).unwrap();
    assert_eq!(ds["train_batch_size"], balanced["global_batch"]);
    assert_eq!(
        ds["train_micro_batch_size_per_gpu"],
        balanced["micro_batch"]
    );
    assert!(
        files[1].1.contains("--dataset_name /data/set"),
        "{}",
        files[1].1
    );

    // The analysis document (`trainfit --json`) holds the plan under "plan".
    let analysis = json!({"profile": {}, "plan": plan}).to_string();
    let (code, out2, err) = trainfit(
        &[
            "export",
            "--plan",
            "-",
            "--format",
            "deepspeed",
            "--dataset",
            "/data/set",
        ],
        &analysis,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out2, out);
}

#[test]
fn plan_export_writes_a_slurm_job_for_the_cluster() {
    let dir = scratch("slurm");
    let req = data().join("plan-requests/h100x32-llama70b.json");
    let (code, out, err) = trainfit(
        &[
            "plan",
            "--input",
            req.to_str().unwrap(),
            "--export",
            "slurm",
            "--out",
            dir.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    let sbatch = std::fs::read_to_string(dir.join("train.sbatch")).unwrap();
    // 32 H100s in machines of 8: 4 nodes, 8 processes each.
    assert!(sbatch.contains("#SBATCH --nodes=4\n"), "{sbatch}");
    assert!(sbatch.contains("--nproc_per_node 8"), "{sbatch}");
    let toml = std::fs::read_to_string(dir.join("torchtitan.toml")).unwrap();
    assert!(toml.contains("tensor_parallel_degree = 2\n"), "{toml}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("train.sbatch"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refusal_names_the_format_and_field_and_fails() {
    let req = request(
        "rtx4090-desktop",
        json!({"task": "serve", "model": {"catalogue": "llama-3.1-8b"}}),
    );
    let (code, out, err) = trainfit(&["plan", "--input", "-", "--export", "deepspeed"], &req);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("format `deepspeed` cannot express field `task`"),
        "{err}"
    );
    let (code, _, err) = trainfit(
        &[
            "plan", "--input", "-", "--export", "vllm", "--mode", "extreme",
        ],
        &req,
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = trainfit(&["export", "--format", "vllm"], "");
    assert_eq!(code, 2);
    assert!(err.contains("--plan"), "{err}");
}
