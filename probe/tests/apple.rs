//! The macOS reader on output recorded from an M2 Pro MacBook Pro (32 GB), see
//! `fixtures/README.md`: sysctl, ioreg, pmset and the Metal device's numbers.

use std::path::Path;

use trainfit_core::hardware::{
    AcceleratorKind, BatteryStatus, CpuFlag, HardwareProfile, MemorySource, Os, Value, Vendor,
};
use trainfit_probe::apple::{self, AppleFacts, MetalFacts};

fn fixture(name: &str) -> AppleFacts {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let metal: MetalFacts = serde_json::from_str(&read("metal.json")).unwrap();
    AppleFacts {
        sysctl: read("sysctl.txt"),
        ioreg: read("ioreg.txt"),
        pmset: read("pmset.txt"),
        metal: Some(metal),
    }
}

#[test]
fn m2_pro_macbook() {
    let mut p = HardwareProfile::default();
    apple::apply(&fixture("apple-m2-pro"), &mut p);
    p.complete();

    assert_eq!(p.host.os, Some(Os::Macos));
    assert_eq!(p.host.os_name.as_deref(), Some("macOS 14.5"));
    assert_eq!(p.cpu.brand.as_deref(), Some("Apple M2 Pro"));
    assert_eq!(p.cpu.physical_cores, Some(Value::measured(12)));
    assert_eq!(p.cpu.performance_cores, Some(Value::measured(8)));
    assert_eq!(p.cpu.efficiency_cores, Some(Value::measured(4)));
    use CpuFlag::*;
    assert_eq!(p.cpu.flags, [Neon, Asimddp, Fp16, Bf16, I8mm]);
    assert_eq!(p.memory.total_bytes, Some(Value::measured(34_359_738_368)));
    assert_eq!(p.memory.unified, Some(true));
    // 2048.00M total, 1066.25M used.
    assert_eq!(p.memory.swap_total_bytes, Some(Value::measured(2048 << 20)));
    assert_eq!(
        p.memory.swap_used_bytes,
        Some(Value::measured(1_118_044_160))
    );
    assert_eq!(p.power.on_battery, Some(true));
    assert_eq!(p.power.battery_percent, Some(Value::measured(64.0)));
    assert_eq!(p.power.battery_status, Some(BatteryStatus::Discharging));

    let gpu = &p.accelerators[0];
    assert_eq!(gpu.vendor, Vendor::Apple);
    assert_eq!(gpu.kind, AcceleratorKind::Unified);
    assert_eq!(gpu.cores, Some(Value::measured(19)));
    assert_eq!(gpu.architecture.as_deref(), Some("apple-m2"));
    // The GPU's budget is the Metal working set, not the installed memory.
    assert_eq!(
        gpu.memory_total_bytes,
        Some(Value::measured(22_906_503_168))
    );
    assert_eq!(gpu.memory_source, Some(MemorySource::MetalWorkingSet));
    // apple.com: M2 Pro 200 GB/s; 16 Neural Engine cores.
    assert_eq!(gpu.memory_bandwidth_gbs, Some(Value::catalogue(200.0)));

    // The earlier device profile's fields.
    assert_eq!(p.model.as_deref(), Some("M2 Pro"));
    assert_eq!(p.memory_gb, Some(32.0));
    assert_eq!(p.gpu_cores, Some(19));
    assert_eq!(p.cpu_cores, Some(12));
    assert_eq!(p.cpu_performance_cores, Some(8));
    assert_eq!(p.cpu_efficiency_cores, Some(4));
    assert_eq!(p.neural_engine_cores, Some(16));
    assert_eq!(p.host.arch.as_deref(), Some("aarch64"));
    assert_eq!(p.mlx_metal_available, Some(true));
}

#[test]
fn a_desktop_mac_has_no_battery_and_missing_keys_stay_unknown() {
    let facts = AppleFacts {
        sysctl: "machdep.cpu.brand_string: Apple M2 Ultra\nhw.memsize: 206158430208\n".into(),
        ioreg: String::new(),
        pmset: "Now drawing from 'AC Power'\n".into(),
        metal: None,
    };
    let mut p = HardwareProfile::default();
    apple::apply(&facts, &mut p);
    assert_eq!(p.power.has_battery, Some(false));
    assert_eq!(p.power.on_battery, Some(false));
    assert_eq!(p.cpu.physical_cores, None);
    assert_eq!(p.cpu.performance_cores, None);
    assert!(p.accelerators.is_empty());
}

#[test]
fn parsers_reject_what_they_do_not_understand() {
    assert_eq!(apple::parse_swapusage("total = 1.5X used = 0M"), None);
    assert_eq!(apple::parse_gpu_cores("\"gpu-core-count\" = many"), None);
    assert!(apple::parse_pmset("").is_none());
}
