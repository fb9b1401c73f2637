//! Whole machines: each recorded Linux tree (with NVML values where the machine has NVIDIA GPUs)
//! through every reader, the catalogue and the summary, as `trainfit probe` assembles them. Each
//! profile must satisfy the committed JSON Schema and read back unchanged through the core.

use std::path::{Path, PathBuf};

use trainfit_core::hardware::{parse_profile, HardwareProfile, LinkLevel, Reader};
use trainfit_core::math::GIB;
use trainfit_probe::linux;
use trainfit_probe::nvidia::{self, NvmlSnapshot, RecordedNvml};
use trainfit_probe::root::Root;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A root file system of 1 TiB with 400 GiB free and a 64 MiB `/dev/shm` (Docker's default) stand
/// in for statvfs, which a recorded tree cannot answer.
fn space(mount: &str) -> Option<(u64, u64)> {
    match mount {
        "/dev/shm" => Some((64 << 20, 64 << 20)),
        _ => Some((1024 * GIB, 400 * GIB)),
    }
}

fn machine(tree: &str, nvml: Option<NvmlSnapshot>) -> HardwareProfile {
    let mut p = HardwareProfile::default();
    linux::read(&Root::at(fixtures().join(tree)), &space, &mut p);
    if let Some(snapshot) = nvml {
        nvidia::read(&RecordedNvml(snapshot), &mut p);
    }
    p.complete();
    check_schema_and_round_trip(&p);
    // Completion is idempotent: completing again changes nothing.
    let mut again = p.clone();
    again.complete();
    assert_eq!(again, p);
    p
}

fn nvml(name: &str) -> NvmlSnapshot {
    let text = std::fs::read_to_string(fixtures().join("nvml").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn check_schema_and_round_trip(p: &HardwareProfile) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/hardware-profile.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("profile.json", schema).unwrap();
    let id = compiler.compile("profile.json", &mut schemas).unwrap();
    let instance = serde_json::to_value(p).unwrap();
    if let Err(e) = schemas.validate(&instance, id) {
        panic!("profile does not satisfy the schema: {e:#}");
    }
    let text = serde_json::to_string(p).unwrap();
    assert_eq!(&parse_profile(&text).unwrap(), p);
}

fn gb(bytes: u64) -> f64 {
    bytes as f64 * 0.8 / 1e9
}

#[test]
fn workstation_sysfs_and_nvml_make_one_gpu() {
    // The two recordings come from different RTX 4090 machines; the NVML card is moved to the
    // sysfs tree's slot so both describe one card, as they do on a real machine.
    let mut snapshot = nvml("workstation-rtx4090.json");
    snapshot.gpus[0].pci_bus_id = "00000000:01:00.0".into();
    let p = machine("nvidia-workstation", Some(snapshot));
    let real: Vec<_> = p.accelerators.iter().collect();
    assert_eq!(real.len(), 1, "{:#?}", p.accelerators);
    let g = real[0];
    assert_eq!(g.pci_bus_id.as_deref(), Some("0000:01:00.0"));
    assert!(g.sources.contains(&Reader::Nvml));
    assert!(g.sources.contains(&Reader::Sysfs));
    assert_eq!(g.catalogue_name.as_deref(), Some("NVIDIA GeForce RTX 4090"));
    assert_eq!(g.memory_total_bytes.unwrap().value, 25_757_220_864);
    // Ada whitepaper, RTX 4090 column: 165.2 dense bf16 TFLOP/s (fp32 accumulate).
    assert_eq!(g.peak_tflops.bf16.unwrap().value, 165.2);
    assert_eq!(p.model.as_deref(), Some("NVIDIA GeForce RTX 4090"));
    assert_eq!(p.max_recommended_model_size_gb, Some(gb(25_757_220_864)));
    assert_eq!(
        p.uuid_count(),
        1,
        "the orchestrator, not the reader, redacts"
    );
}

trait Uuids {
    fn uuid_count(&self) -> usize;
}
impl Uuids for HardwareProfile {
    fn uuid_count(&self) -> usize {
        self.accelerators
            .iter()
            .filter(|a| a.uuid.is_some())
            .count()
    }
}

#[test]
fn dgx_node_plans_on_eight_gpus_with_nvlink_between_every_pair() {
    let p = machine("cpu-only", Some(nvml("dgx-h100-8gpu.json")));
    let gpus: Vec<_> = p
        .accelerators
        .iter()
        .filter(|a| a.catalogue_name.as_deref() == Some("NVIDIA H100 SXM5 80GB"))
        .collect();
    assert_eq!(gpus.len(), 8);
    assert_eq!(p.topology.links.len(), 8 * 7 / 2);
    assert!(p
        .topology
        .links
        .iter()
        .all(|l| l.level == LinkLevel::Nvlink));
    assert_eq!(trainfit_core::hardware::primary_accelerators(&p).len(), 8);
}

#[test]
fn every_linux_tree_yields_a_valid_profile() {
    // (tree, expected summary model, expected usable bytes behind max_recommended_model_size_gb)
    let cases: [(&str, &str, Option<u64>); 8] = [
        (
            "amd-discrete",
            "AMD Radeon RX 7900 XTX",
            Some(25_753_026_560),
        ),
        ("amd-apu", "AMD Radeon 780M Graphics", None),
        ("intel-arc", "Intel Arc A770 Graphics", Some(16 * GIB)),
        ("laptop-battery", "", None),
        ("container-cgroup", "", Some(8 * GIB)),
        ("vm-virtio", "", None),
        ("cpu-only", "", None),
        // Without NVML the A100s are sized from the catalogue (80 GiB, named in the model string).
        ("nvidia-8gpu-node", "NVIDIA A100-SXM4-80GB", Some(80 * GIB)),
    ];
    for (tree, model, usable) in cases {
        let p = machine(tree, None);
        if !model.is_empty() {
            assert_eq!(p.model.as_deref(), Some(model), "{tree}");
        }
        if let Some(bytes) = usable {
            assert_eq!(p.max_recommended_model_size_gb, Some(gb(bytes)), "{tree}");
        }
        assert!(p.max_recommended_model_size_gb.is_some(), "{tree}");
        assert!(p.cpu_cores.is_some(), "{tree}");
        println!(
            "{tree}: model {:?}, {:?} GB recommended, {} accelerators, errors {:?}",
            p.model,
            p.max_recommended_model_size_gb,
            p.accelerators.len(),
            p.errors
        );
    }
}
