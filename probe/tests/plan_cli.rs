//! End to end: `trainfit` (this machine's analysis) and `trainfit plan`, on this machine and on the
//! fixture profiles of `tests/data/profiles/`.
//!
//! The fixture profiles are built here from the recorded machines of `tests/fixtures/` (see
//! `tests/data/profiles/README.md`); `TRAINFIT_BLESS=1` rewrites them. The reports of each profile
//! are golden files (insta) under `tests/snapshots/`; `INSTA_UPDATE=always` rewrites those.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::{json, Value};
use trainfit_core::hardware::{BatteryStatus, HardwareProfile};
use trainfit_core::math::GIB;
use trainfit_probe::apple::{self, AppleFacts, MetalFacts};
use trainfit_probe::nvidia::{self, NvmlSnapshot, RecordedNvml};
use trainfit_probe::redact::{self, Keep};
use trainfit_probe::root::Root;

fn manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn recordings() -> PathBuf {
    manifest().join("tests/fixtures")
}

fn profiles_dir() -> PathBuf {
    manifest().join("../tests/data/profiles")
}

// ---------------------------------------------------------------------------------------------
// Fixture profiles, built from the recordings.

/// A root file system of 1 TiB with 400 GiB free stands in for statvfs, which a recorded tree
/// cannot answer (the convention of `tests/machines.rs`); `/dev/shm` gets 64 MiB.
fn space(mount: &str) -> Option<(u64, u64)> {
    match mount {
        "/dev/shm" => Some((64 << 20, 64 << 20)),
        _ => Some((1024 * GIB, 400 * GIB)),
    }
}

fn linux_tree(tree: &str) -> HardwareProfile {
    let mut p = HardwareProfile::default();
    trainfit_probe::linux::read(&Root::at(recordings().join(tree)), &space, &mut p);
    p
}

fn nvml(name: &str) -> NvmlSnapshot {
    let text = std::fs::read_to_string(recordings().join("nvml").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// What `trainfit probe` does after reading: withhold identifiers, complete the profile.
fn finish(mut p: HardwareProfile) -> HardwareProfile {
    redact::redact(
        &mut p,
        Keep {
            hostname: true,
            ids: false,
        },
    );
    p.complete();
    // Completion is idempotent: a complete profile completed again is unchanged.
    let mut again = p.clone();
    again.complete();
    assert_eq!(again, p);
    p
}

/// The Ryzen 9 7950X workstation tree with the RTX 4090's NVML snapshot, the card moved to the
/// tree's slot (as `tests/machines.rs` does).
fn rtx4090_desktop() -> HardwareProfile {
    let mut snapshot = nvml("workstation-rtx4090.json");
    snapshot.gpus[0].pci_bus_id = "00000000:01:00.0".into();
    let mut p = linux_tree("nvidia-workstation");
    nvidia::read(&RecordedNvml(snapshot), &mut p);
    finish(p)
}

/// The i7-1260P laptop tree (16 GB), plugged in, with an RTX 3060 Laptop GPU as NVML reports it.
fn rtx3060_laptop() -> HardwareProfile {
    // NVIDIA GeForce RTX 30 Series laptops specifications page: RTX 3060 Laptop GPU, 3840 CUDA
    // cores, boost clock 1283-1703 MHz (the top of the range as the highest SM clock), 6 GB GDDR6
    // on a 192-bit bus. 6 GB reads 6144 MiB in NVML. CUDA C++ Programming Guide: GA106 is
    // compute capability 8.6. Power limits are left out: laptop GPUs run at the maker's TGP
    // (60-115 W for this part), and NVML often answers "N/A".
    let snapshot: NvmlSnapshot = serde_json::from_value(json!({
        "driver_version": "550.54.14",
        "cuda_driver_version": 12040,
        "gpus": [{
            "pci_bus_id": "00000000:01:00.0",
            "name": "NVIDIA GeForce RTX 3060 Laptop GPU",
            "memory_total_bytes": 6_442_450_944u64,
            "cc_major": 8,
            "cc_minor": 6,
            "architecture": "ampere",
            "num_cores": 3840,
            "max_sm_clock_mhz": 1703,
            "memory_bus_width_bits": 192,
            "pcie_gen_max": 4,
            "pcie_width_max": 16
        }]
    }))
    .unwrap();
    let mut p = linux_tree("laptop-battery");
    nvidia::read(&RecordedNvml(snapshot), &mut p);
    p.power.on_battery = Some(false);
    p.power.ac_online = Some(true);
    p.power.battery_status = Some(BatteryStatus::Charging);
    p.power.battery_draw_w = None;
    finish(p)
}

/// The recorded M2 Pro MacBook Pro (32 GB, 19-core GPU), as `apple::apply` reads it.
fn m2_pro() -> HardwareProfile {
    let dir = recordings().join("apple-m2-pro");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let metal: MetalFacts = serde_json::from_str(&read("metal.json")).unwrap();
    let facts = AppleFacts {
        sysctl: read("sysctl.txt"),
        ioreg: read("ioreg.txt"),
        pmset: read("pmset.txt"),
        metal: Some(metal),
    };
    let mut p = HardwareProfile::default();
    apple::apply(&facts, &mut p);
    finish(p)
}

/// The i7-1260P laptop tree as recorded (16 GB, Iris Xe with no memory of its own, on battery).
fn cpu_laptop() -> HardwareProfile {
    finish(linux_tree("laptop-battery"))
}

/// The host of the 8-GPU node tree (2 x EPYC 7742, 1 TiB) with the DGX H100 NVML snapshot in
/// place of the tree's A100s.
fn h100_node() -> HardwareProfile {
    let mut p = linux_tree("nvidia-8gpu-node");
    p.accelerators.clear();
    p.topology = Default::default();
    nvidia::read(&RecordedNvml(nvml("dgx-h100-8gpu.json")), &mut p);
    finish(p)
}

/// The fixture profiles, by file stem.
fn fixture_profiles() -> Vec<(&'static str, HardwareProfile)> {
    vec![
        ("rtx4090-desktop", rtx4090_desktop()),
        ("rtx3060-laptop-6gb", rtx3060_laptop()),
        ("m2-pro-32gb", m2_pro()),
        ("cpu-laptop-16gb", cpu_laptop()),
        ("h100x8-node", h100_node()),
    ]
}

fn profile_text(p: &HardwareProfile) -> String {
    serde_json::to_string_pretty(p).unwrap() + "\n"
}

#[test]
fn fixture_profiles_are_built_from_the_recordings() {
    let bless = std::env::var("TRAINFIT_BLESS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (name, profile) in fixture_profiles() {
        let path = profiles_dir().join(format!("{name}.json"));
        let want = profile_text(&profile);
        if bless {
            std::fs::write(&path, &want).unwrap();
        } else if std::fs::read_to_string(&path).unwrap_or_default() != want {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale fixture profiles {stale:?}; rewrite with `TRAINFIT_BLESS=1 cargo test -p trainfit-probe --test plan_cli`"
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// A plan request for a fixture profile and a goal (JSON), as `trainfit plan` reads it.
fn request(profile: &str, goal: Value) -> String {
    let path = profiles_dir().join(format!("{profile}.json"));
    let profile: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json!({"profile": profile, "goal": goal}).to_string()
}

/// `trainfit ARGS` with `stdin` and the environment variables `env`; (exit code, stdout, stderr).
fn trainfit(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = cargo_bin_cmd!("trainfit");
    cmd.args(args)
        .write_stdin(stdin)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `trainfit plan --input -` on a request; the report, or with `json` the plan.
fn plan(request: &str, json: bool) -> String {
    let mut args = vec!["plan", "--input", "-"];
    if json {
        args.push("--json");
    }
    let (code, out, err) = trainfit(&args, request, &[]);
    assert_eq!(code, 0, "trainfit plan failed: {err}");
    out
}

/// Errors of `instance` against the committed schema `schema/NAME`, if any.
fn schema_errors(name: &str, instance: &Value) -> Option<String> {
    let path = manifest().join("../schema").join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource(name, schema).unwrap();
    let id = compiler.compile(name, &mut schemas).unwrap();
    schemas
        .validate(instance, id)
        .err()
        .map(|e| format!("{e:#}"))
}

fn assert_plain_ascii(text: &str) {
    assert!(text.is_ascii(), "output is not ASCII:\n{text}");
    assert!(!text.contains('\x1b'), "escape codes in:\n{text}");
}

// ---------------------------------------------------------------------------------------------
// Golden reports.

/// The goals of the golden reports: (snapshot name, profile, goal).
fn goldens() -> Vec<(&'static str, &'static str, Value)> {
    let pretrain = |name, profile| (name, profile, json!({}));
    vec![
        pretrain("pretrain-rtx4090-desktop", "rtx4090-desktop"),
        pretrain("pretrain-rtx3060-laptop-6gb", "rtx3060-laptop-6gb"),
        pretrain("pretrain-m2-pro-32gb", "m2-pro-32gb"),
        pretrain("pretrain-cpu-laptop-16gb", "cpu-laptop-16gb"),
        pretrain("pretrain-h100x8-node", "h100x8-node"),
        (
            "lora-qwen2.5-0.5b-rtx3060-laptop-6gb",
            "rtx3060-laptop-6gb",
            json!({"task": "lora", "model": {"catalogue": "qwen2.5-0.5b"}}),
        ),
        (
            "serve-llama-3.1-8b-rtx4090-desktop",
            "rtx4090-desktop",
            json!({"task": "serve", "model": {"catalogue": "llama-3.1-8b"}}),
        ),
        // The data path (a dataset of the table on a network mount), the power supply and
        // phase B together.
        (
            "pretrain-two-phase-openwebtext-psu-rtx4090-desktop",
            "rtx4090-desktop",
            json!({"task": "pretrain",
                   "dataset": {"name": "openwebtext", "location": "network_mount"},
                   "psu_w": 850, "phases": 2}),
        ),
    ]
}

#[test]
fn reports_of_the_fixture_profiles() {
    for (name, profile, goal) in goldens() {
        let report = plan(&request(profile, goal), false);
        assert_plain_ascii(&report);
        insta::assert_snapshot!(name, report);
    }
}

#[test]
fn plans_satisfy_the_schema_and_read_back() {
    for (name, profile, goal) in goldens() {
        let text = plan(&request(profile, goal), true);
        let value: Value = serde_json::from_str(&text).unwrap();
        if let Some(errors) = schema_errors("plan.schema.json", &value) {
            panic!("{name}: the plan does not satisfy schema/plan.schema.json:\n{errors}");
        }
        let plan: trainfit_core::plan::Plan = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&plan).unwrap(), value, "{name}");
        assert_eq!(plan.configurations.len(), 3, "{name}");
    }
}

#[test]
fn requests_satisfy_the_request_schema() {
    for (name, profile, goal) in goldens() {
        let value: Value = serde_json::from_str(&request(profile, goal)).unwrap();
        if let Some(errors) = schema_errors("plan-request.schema.json", &value) {
            panic!(
                "{name}: the request does not satisfy schema/plan-request.schema.json:\n{errors}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Colour.

#[test]
fn colour_only_when_asked_for_and_never_under_no_color() {
    let req = request("rtx4090-desktop", json!({}));
    let args = ["plan", "--input", "-"];
    let (_, piped, _) = trainfit(&args, &req, &[]);
    assert_plain_ascii(&piped);
    let (_, forced, _) = trainfit(&args, &req, &[("CLICOLOR_FORCE", "1")]);
    assert!(forced.contains("\x1b["), "CLICOLOR_FORCE=1 gives colour");
    let (_, no_color, _) = trainfit(&args, &req, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert_plain_ascii(&no_color);
    assert_eq!(no_color, piped);
    // Without the escapes the coloured report is the plain one.
    let mut stripped = String::new();
    let mut rest = forced.as_str();
    while let Some(i) = rest.find('\x1b') {
        stripped.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find('m').unwrap();
        rest = &rest[end + 1..];
    }
    stripped.push_str(rest);
    assert_eq!(stripped, piped);
}

// ---------------------------------------------------------------------------------------------
// Errors.

#[test]
fn request_errors_name_the_json_path() {
    let (code, _, err) = trainfit(
        &["plan", "--input", "-"],
        &request(
            "rtx4090-desktop",
            json!({"task": "lora", "micro_batch": "four"}),
        ),
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("goal.micro_batch"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let (code, _, err) = trainfit(
        &["plan", "--input", "-"],
        &request("rtx4090-desktop", json!({"taks": "lora"})),
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("`goal`") && err.contains("taks"), "{err}");

    let (code, _, err) = trainfit(
        &["plan", "--input", "-"],
        &request("rtx4090-desktop", json!({"task": "serve"})),
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("goal.model"), "{err}");

    let (code, _, err) = trainfit(&["plan", "--input", "no-such-request.json"], "", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-request.json"), "{err}");
}

#[test]
fn flag_errors_name_the_flag_before_probing() {
    for (args, flag) in [
        (&["--task", "finetune"][..], "--model"),
        (
            &["--task", "lora", "--model", "no-such-model-xyz"][..],
            "--model",
        ),
        (&["--model", "missing/config.json"][..], "--model"),
        (&["--mode", "reckless"][..], "--mode"),
        (&["--budget=-3"][..], "--budget"),
    ] {
        let (code, out, err) = trainfit(args, "", &[]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains(flag), "{args:?}: {err}");
    }
    // The analysis's flags do not mix with a subcommand.
    let (code, _, _) = trainfit(&["--json", "models"], "", &[]);
    assert_eq!(code, 2);
}

// ---------------------------------------------------------------------------------------------
// This machine.

#[test]
fn analysis_of_this_machine() {
    let (code, out, err) = trainfit(&[], "", &[]);
    assert_eq!(code, 0, "{err}");
    assert_plain_ascii(&out);
    for section in [
        "This machine",
        "host ",
        "Device",
        "score",
        "Configurations (pretrain)",
        "conservative",
        "balanced",
        "extreme",
    ] {
        assert!(out.contains(section), "no {section:?} in:\n{out}");
    }
}

#[test]
fn profile_only_prints_the_probe_summary() {
    let (code, out, err) = trainfit(&["--profile-only"], "", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().any(|l| l.starts_with("host ")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("summary ")), "{out}");
    assert!(!out.contains("Configurations"), "{out}");
    assert!(out.is_ascii());

    let (code, out, err) = trainfit(&["--profile-only", "--json"], "", &[]);
    assert_eq!(code, 0, "{err}");
    let profile: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        schema_errors("hardware-profile.schema.json", &profile),
        None
    );
}

#[test]
fn json_of_this_machine_holds_the_profile_and_the_plan() {
    let (code, out, err) = trainfit(
        &["--json", "--mode", "extreme", "--mode", "conservative"],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let both: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        schema_errors("hardware-profile.schema.json", &both["profile"]),
        None
    );
    assert_eq!(schema_errors("plan.schema.json", &both["plan"]), None);
    let modes: Vec<&str> = both["plan"]["configurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["extreme", "conservative"]);
}

#[test]
fn a_config_json_as_the_model() {
    let config = manifest().join("../tests/accuracy/configs/llama-tiny-60m.json");
    let (code, out, err) = trainfit(
        &[
            "--json",
            "--task",
            "lora",
            "--mode",
            "balanced",
            "--model",
            config.to_str().unwrap(),
        ],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let both: Value = serde_json::from_str(&out).unwrap();
    let c = &both["plan"]["configurations"][0];
    assert_eq!(c["task"], "lora");
    assert_eq!(c["model"]["origin"], "given");
    assert!(c["model"]["trainable"].as_u64() < c["model"]["parameters"].as_u64());
}

/// The README's cluster request: four 8 x H100 nodes, Llama-3.1-70B fully fine-tuned. The report
/// shows the cluster, the configuration's mesh and the search's layouts with their breakdown,
/// and the JSON plan follows the committed schema.
#[test]
fn a_cluster_request_reports_its_mesh() {
    let path = manifest().join("../tests/data/plan-requests/h100x32-llama70b.json");
    let text = std::fs::read_to_string(path).unwrap();
    let report = plan(&text, false);
    for needle in [
        "Cluster",
        "4 x 8 devices = 32 devices",
        "infiniband 44.0 GB/s per device",
        "Mesh, balanced:",
        "binds",
        "x 4 replicas = 128",
    ] {
        assert!(report.contains(needle), "{needle} missing from:\n{report}");
    }
    let plan_json: Value = serde_json::from_str(&plan(&text, true)).unwrap();
    assert_eq!(schema_errors("plan.schema.json", &plan_json), None);
    let mesh = &plan_json["configurations"][0]["mesh"];
    assert!(mesh["candidates"].as_array().is_some_and(|c| !c.is_empty()));
}

/// `trainfit adjust`: the plan from `trainfit plan --json` and an observation file give the
/// core's decision as JSON, valid against `schema/decision.schema.json`; an out-of-memory with
/// the numbers of issue 15's wire example takes a step whose peak is within the budget.
#[test]
fn adjust_prints_the_cores_decision() {
    let text = plan(
        &request("rtx4090-desktop", json!({"task": "pretrain"})),
        true,
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("adjust-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let plan_path = dir.join("plan.json");
    std::fs::write(&plan_path, &text).unwrap();
    let obs = r#"{"kind":"out_of_memory","step":120,"requested_bytes":2147483648,"used_bytes":23622320128,"capacity_bytes":25757220864}"#;
    let obs_path = dir.join("obs.json");
    std::fs::write(&obs_path, obs).unwrap();
    let (code, out, err) = trainfit(
        &[
            "adjust",
            "--plan",
            plan_path.to_str().unwrap(),
            "--mode",
            "balanced",
            "--observation",
            obs_path.to_str().unwrap(),
        ],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let got: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema_errors("decision.schema.json", &got), None);
    let p: trainfit_core::plan::Plan = serde_json::from_str(&text).unwrap();
    let o: trainfit_core::adjust::Observation = serde_json::from_str(obs).unwrap();
    let want = trainfit_core::adjust::adjust(&p, trainfit_core::plan::Mode::Balanced, &o).unwrap();
    assert_eq!(got, serde_json::to_value(&want).unwrap());
    if let (Some(peak), Some(budget)) = (got["peak_bytes"].as_u64(), got["budget_bytes"].as_u64()) {
        assert!(peak <= budget);
    }
    // A mode the plan lacks is refused with the field named.
    let r = request("rtx4090-desktop", json!({"task": "pretrain"}));
    let mut v: Value = serde_json::from_str(&r).unwrap();
    v["modes"] = json!(["conservative"]);
    let only = plan(&v.to_string(), true);
    std::fs::write(&plan_path, only).unwrap();
    let (code, _, err) = trainfit(
        &[
            "adjust",
            "--plan",
            plan_path.to_str().unwrap(),
            "--mode",
            "extreme",
            "--observation",
            obs_path.to_str().unwrap(),
        ],
        "",
        &[],
    );
    assert_ne!(code, 0);
    assert!(err.contains("mode"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Two-phase pretraining from the command line.

#[test]
fn phases_flag_plans_phase_b() {
    let req = request("rtx4090-desktop", json!({"task": "pretrain"}));
    // One phase unless asked.
    let (code, out, err) = trainfit(&["plan", "--input", "-"], &req, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("phase B"), "{out}");
    // --phases 2: the report prints phase B's rows and its memory.
    let (code, out, err) = trainfit(&["plan", "--input", "-", "--phases", "2"], &req, &[]);
    assert_eq!(code, 0, "{err}");
    assert_plain_ascii(&out);
    for row in [
        "phase B tokens",
        "phase B sequence",
        "A + B / budget",
        "linear decay, no warm-up",
        "Memory of one device, balanced phase B",
    ] {
        assert!(out.contains(row), "no {row:?} in:\n{out}");
    }
    // --phase-b-share and --phase-b-sequence fix phase B (and imply two phases).
    let (code, out, err) = trainfit(
        &[
            "plan",
            "--input",
            "-",
            "--json",
            "--phase-b-share",
            "0.2",
            "--phase-b-sequence",
            "4096",
        ],
        &req,
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema_errors("plan.schema.json", &plan), None);
    for c in plan["configurations"].as_array().unwrap() {
        let b = &c["phase_b"];
        assert_eq!(b["share"], 0.2, "{}", c["mode"]);
        assert_eq!(b["sequence"], 4096);
        assert_eq!(b["training"]["schedule"], "linear");
        assert_eq!(b["training"]["warmup_steps"], 0);
        // 20 % of the run's tokens in phase B: tokens_B / (tokens_A + tokens_B) = 0.2, up to
        // the whole optimizer steps each phase rounds its tokens to.
        let (ta, tb) = (
            c["time"]["tokens"].as_f64().unwrap(),
            b["time"]["tokens"].as_f64().unwrap(),
        );
        let step =
            |x: &Value| x["global_batch"].as_f64().unwrap() * x["sequence"].as_f64().unwrap();
        let slack = (step(c) + step(b)) / (ta + tb);
        assert!((tb / (ta + tb) - 0.2).abs() <= slack, "{ta} {tb} {slack}");
    }
    // The flag overrides the request's goal.phases, and the export carries phase B.
    let (code, out, err) = trainfit(
        &[
            "plan", "--input", "-", "--phases", "2", "--export", "megatron",
        ],
        &req,
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("pretrain_gpt.py").count(), 2, "{out}");
    assert!(out.contains("--finetune"), "{out}");
}

#[test]
fn phases_flag_errors_name_the_flag() {
    let req = request("rtx4090-desktop", json!({"task": "pretrain"}));
    let (code, _, err) = trainfit(&["plan", "--input", "-", "--phases", "3"], &req, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--phases"), "{err}");
    let (code, _, err) = trainfit(
        &[
            "plan",
            "--input",
            "-",
            "--phases",
            "1",
            "--phase-b-share",
            "0.2",
        ],
        &req,
        &[],
    );
    assert_ne!(code, 0);
    assert!(err.contains("--phases 1"), "{err}");
    // Two phases are for pretraining; the planner says so.
    let lora = request(
        "rtx4090-desktop",
        json!({"task": "lora", "model": {"catalogue": "qwen2.5-0.5b"}}),
    );
    let (code, _, err) = trainfit(&["plan", "--input", "-", "--phases", "2"], &lora, &[]);
    assert_ne!(code, 0);
    assert!(err.contains("goal.phases"), "{err}");
}
