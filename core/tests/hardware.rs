//! The accelerator catalogue and the profile summary, against names as drivers really report
//! them and figures from vendor datasheets.

use trainfit_core::hardware::{
    find_accelerator, parse_profile, summarize, Accelerator, AcceleratorKind, HardwareProfile,
    Source, Value, Vendor,
};

use trainfit_core::math::GIB;

/// Name the catalogue matches for a device name and reported memory.
fn matched(name: &str, memory: Option<u64>, cores: Option<u32>) -> Option<&'static str> {
    find_accelerator(name, memory, cores).map(|s| s.name)
}

#[test]
fn nvml_names_find_their_datasheet_entry() {
    // Names as `nvidia-smi --query-gpu=name,memory.total` prints them, memory in MiB as NVML reports.
    let cases = [
        ("NVIDIA GeForce RTX 4090", 24_564, "NVIDIA GeForce RTX 4090"),
        ("NVIDIA H100 80GB HBM3", 81_559, "NVIDIA H100 SXM5 80GB"),
        ("NVIDIA H100 PCIe", 81_559, "NVIDIA H100 PCIe 80GB"),
        ("NVIDIA A100-SXM4-80GB", 81_920, "NVIDIA A100 SXM4 80GB"),
        ("NVIDIA A100-SXM4-40GB", 40_960, "NVIDIA A100 SXM4 40GB"),
        ("NVIDIA A100 80GB PCIe", 81_920, "NVIDIA A100 PCIe 80GB"),
        ("Tesla T4", 15_360, "NVIDIA T4"),
        ("Tesla V100-SXM2-32GB", 32_768, "NVIDIA V100 SXM2 32GB"),
        ("NVIDIA H200", 143_771, "NVIDIA H200 SXM 141GB"),
        ("NVIDIA L4", 23_034, "NVIDIA L4"),
        (
            "NVIDIA GeForce RTX 3060",
            12_288,
            "NVIDIA GeForce RTX 3060 12GB",
        ),
    ];
    for (name, mib, want) in cases {
        assert_eq!(
            matched(name, Some(mib << 20), None),
            Some(want),
            "{name} with {mib} MiB"
        );
    }
}

#[test]
fn variants_and_memory_sizes_never_borrow_another_parts_figures() {
    // A laptop 3060 (6 GiB) is a different part from the desktop 3060 12GB.
    assert_eq!(
        matched("NVIDIA GeForce RTX 3060 Laptop GPU", Some(6 * GIB), None),
        None
    );
    // The Ti and SUPER cards are not the plain ones.
    assert_eq!(
        matched("NVIDIA GeForce RTX 4070 Ti", Some(12 * GIB), None),
        None
    );
    assert_eq!(
        matched("NVIDIA GeForce RTX 4080 SUPER", Some(16 * GIB), None),
        None
    );
    assert_eq!(
        matched("NVIDIA GeForce RTX 3090 Ti", Some(24 * GIB), None),
        None
    );
    // A100 40GB PCIe has 1555 GB/s, not the 80GB part's 1935: no entry rather than a wrong one.
    assert_eq!(matched("NVIDIA A100-PCIE-40GB", Some(40 * GIB), None), None);
    // Without a memory reading, a size in the name decides.
    assert_eq!(
        matched("NVIDIA A100-SXM4-40GB", None, None),
        Some("NVIDIA A100 SXM4 40GB")
    );
    assert_eq!(
        matched("NVIDIA A100-SXM4-80GB", None, None),
        Some("NVIDIA A100 SXM4 80GB")
    );
    // An A10 is not an A100.
    assert_eq!(
        matched("NVIDIA A10", Some(24 * GIB), None),
        Some("NVIDIA A10")
    );
    assert_eq!(matched("NVIDIA A10G", Some(24 * GIB), None), None);
    // Apple: Pro/Max/Ultra are separate chips.
    assert_eq!(matched("Apple M2 Max", None, None), Some("Apple M2 Max"));
    assert_eq!(matched("Apple M2", None, None), Some("Apple M2"));
    assert_eq!(
        matched("Apple M2 Ultra", None, None),
        Some("Apple M2 Ultra")
    );
}

#[test]
fn binned_apple_chips_take_their_own_bandwidth() {
    // apple.com tech specs: M3 Max with 30-core GPU 300 GB/s, 40-core 400 GB/s; M4 Max 32-core
    // 410 GB/s, 40-core 546 GB/s.
    let bw = |name: &str, cores| {
        find_accelerator(name, None, Some(cores))
            .unwrap()
            .bandwidth_gbs
    };
    assert_eq!(bw("Apple M3 Max", 30), 300.0);
    assert_eq!(bw("Apple M3 Max", 40), 400.0);
    assert_eq!(bw("Apple M4 Max", 32), 410.0);
    assert_eq!(bw("Apple M4 Max", 40), 546.0);
}

fn gpu(name: &str, memory: u64) -> Accelerator {
    Accelerator {
        vendor: Vendor::Nvidia,
        name: name.into(),
        kind: AcceleratorKind::Discrete,
        memory_total_bytes: Some(Value::measured(memory)),
        memory_source: Some("nvml".into()),
        ..Accelerator::default()
    }
}

#[test]
fn summary_of_an_eight_gpu_node() {
    let mut p = HardwareProfile::default();
    p.memory.total_bytes = Some(Value::measured(2048 * GIB));
    p.cpu.physical_cores = Some(Value::measured(112));
    for _ in 0..8 {
        p.accelerators
            .push(gpu("NVIDIA H100 80GB HBM3", 85_520_809_984));
    }
    summarize(&mut p);
    let a = &p.accelerators[0];
    // H100 SXM5 datasheet: 989.4 dense bf16 TFLOP/s (1979 with sparsity), 3.35 TB/s, 700 W.
    assert_eq!(a.peak_tflops.bf16, Some(Value::catalogue(989.4)));
    assert_eq!(a.memory_bandwidth_gbs, Some(Value::catalogue(3350.0)));
    assert_eq!(a.tdp_w, Some(Value::catalogue(700.0)));
    assert_eq!(a.dtypes, ["fp32", "tf32", "fp16", "bf16", "fp8", "int8"]);
    assert_eq!(p.model.as_deref(), Some("NVIDIA H100 80GB HBM3"));
    assert_eq!(p.memory_gb, Some(2048.0));
    assert_eq!(p.cpu_cores, Some(112));
    // One device's memory, 80 %: 85,520,809,984 × 0.8 / 1e9.
    assert!((p.max_recommended_model_size_gb.unwrap() - 68.416_647_987_2).abs() < 1e-9);
    assert_eq!(p.neural_engine_cores, None);
}

#[test]
fn user_values_win_over_the_catalogue_and_the_catalogue_over_estimates() {
    let mut a = gpu("NVIDIA GeForce RTX 4090", 25_757_220_864);
    let user = Value {
        value: 950.0,
        source: Source::User,
    };
    a.memory_bandwidth_gbs = Some(user);
    // NVML's cores x 2 x maximum clock (3105 MHz) overstates the rated 2520 MHz boost.
    a.peak_tflops.fp32 = Some(Value::estimated(16_384.0 * 2.0 * 3.105e9 / 1e12));
    let mut p = HardwareProfile {
        accelerators: vec![a],
        ..HardwareProfile::default()
    };
    summarize(&mut p);
    assert_eq!(p.accelerators[0].memory_bandwidth_gbs, Some(user));
    // Ada whitepaper (RTX 4090 column): 82.6 fp32 TFLOP/s.
    assert_eq!(
        p.accelerators[0].peak_tflops.fp32,
        Some(Value::catalogue(82.6))
    );
}

#[test]
fn cpu_only_machine_recommends_from_its_cgroup_limit() {
    let mut p = HardwareProfile::default();
    p.memory.total_bytes = Some(Value::measured(64 * GIB));
    p.memory.cgroup_limit_bytes = Some(Value::measured(8 * GIB));
    p.cpu.brand = Some("AMD EPYC 7B13".into());
    // A software renderer is not an accelerator to plan on.
    p.accelerators.push(Accelerator {
        name: "llvmpipe (LLVM 15.0.6, 256 bits)".into(),
        kind: AcceleratorKind::Cpu,
        ..Accelerator::default()
    });
    summarize(&mut p);
    assert_eq!(p.model.as_deref(), Some("AMD EPYC 7B13"));
    assert_eq!(p.memory_gb, Some(8.0));
    assert_eq!(
        p.max_recommended_model_size_gb,
        Some(8.0 * GIB as f64 * 0.8 / 1e9)
    );
    assert_eq!(p.gpu_cores, None);
}

#[test]
fn apple_summary_uses_the_metal_working_set() {
    // An M2 Pro with 32 GB: llama.cpp logs `recommendedMaxWorkingSetSize = 21845.34 MB` (MiB),
    // i.e. 22,906,503,168 bytes, two thirds of 32 GiB.
    let mut p = HardwareProfile::default();
    p.host.os = Some("macos".into());
    p.host.arch = Some("aarch64".into());
    p.memory.total_bytes = Some(Value::measured(32 * GIB));
    p.accelerators.push(Accelerator {
        vendor: Vendor::Apple,
        name: "Apple M2 Pro".into(),
        kind: AcceleratorKind::Unified,
        backend: Some("metal".into()),
        cores: Some(Value::measured(19)),
        memory_total_bytes: Some(Value::measured(22_906_503_168)),
        ..Accelerator::default()
    });
    summarize(&mut p);
    assert_eq!(p.model.as_deref(), Some("M2 Pro"));
    assert_eq!(p.gpu_cores, Some(19));
    assert_eq!(p.neural_engine_cores, Some(16));
    assert_eq!(p.mlx_metal_available, Some(true));
    assert_eq!(p.memory_gb, Some(32.0));
    assert_eq!(
        p.max_recommended_model_size_gb,
        Some(22_906_503_168.0 * 0.8 / 1e9)
    );
    // metal-benchmarks: 19 cores × 128 ALUs × 2 × 1.398 GHz = 6.8 TFLOP/s.
    assert_eq!(
        p.accelerators[0].peak_tflops.fp32,
        Some(Value::catalogue(6.8))
    );
    assert_eq!(
        p.accelerators[0].memory_bandwidth_gbs.unwrap().source,
        Source::Catalogue
    );
}

#[test]
fn profiles_round_trip_and_newer_versions_are_refused() {
    let mut p = HardwareProfile::default();
    p.accelerators.push(gpu("NVIDIA L4", 23_034 << 20));
    summarize(&mut p);
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(parse_profile(&json).unwrap(), p);

    let err = parse_profile(r#"{"schema_version": 2}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains('2') && err.contains('1'), "{err}");
    let err = parse_profile(r#"{"memory": {"total_byte": 1}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("total_byte"), "{err}");
}
