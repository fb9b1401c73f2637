//! The accelerator catalogue and the profile summary, against names as drivers really report
//! them and figures from vendor datasheets.

use trainfit_core::hardware::{
    find_accelerator, parse_profile, Accelerator, AcceleratorKind, Backend, HardwareProfile,
    MatrixDtype, MemorySource, Os, Source, Value, Vendor,
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
        memory_source: Some(MemorySource::Nvml),
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
    p.complete();
    let a = &p.accelerators[0];
    // H100 SXM5 datasheet: 989.4 dense bf16 TFLOP/s (1979 with sparsity), 3.35 TB/s, 700 W.
    assert_eq!(a.peak_tflops.bf16, Some(Value::catalogue(989.4)));
    assert_eq!(a.memory_bandwidth_gbs, Some(Value::catalogue(3350.0)));
    assert_eq!(a.tdp_w, Some(Value::catalogue(700.0)));
    use MatrixDtype::*;
    assert_eq!(a.dtypes, [Fp32, Tf32, Fp16, Bf16, Fp8, Int8]);
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
    p.complete();
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
    p.complete();
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
    p.host.os = Some(Os::Macos);
    p.host.arch = Some("aarch64".into());
    p.memory.total_bytes = Some(Value::measured(32 * GIB));
    p.accelerators.push(Accelerator {
        vendor: Vendor::Apple,
        name: "Apple M2 Pro".into(),
        kind: AcceleratorKind::Unified,
        backend: Some(Backend::Metal),
        cores: Some(Value::measured(19)),
        memory_total_bytes: Some(Value::measured(22_906_503_168)),
        ..Accelerator::default()
    });
    p.complete();
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
fn an_apple_gpu_nobody_measured_gets_the_smallest_default_working_set() {
    // An M4 Max of 128 GiB from the catalogue or typed by hand, with no Metal figure: the GPU
    // may use 2/3 of the memory (85.3 GiB), the smallest default share observed (an M4 with
    // 16 GB: 10.67 GB), not all 128 GiB; a Mac measures 107.52 GiB (84 %), so the estimate errs
    // on the side of fitting.
    let mut p = HardwareProfile::default();
    p.memory.total_bytes = Some(Value {
        value: 128 * GIB,
        source: Source::User,
    });
    p.accelerators.push(Accelerator {
        vendor: Vendor::Apple,
        name: "Apple M4 Max".into(),
        kind: AcceleratorKind::Unified,
        ..Accelerator::default()
    });
    p.complete();
    let acc = &p.accelerators[0];
    assert_eq!(
        acc.memory_total_bytes,
        Some(Value::estimated(((128 * GIB) as f64 * 2.0 / 3.0) as u64))
    );
    assert_eq!(acc.memory_source, Some(MemorySource::MetalWorkingSet));
    // What a Mac read is kept.
    let mut measured = p.clone();
    measured.accelerators[0].memory_total_bytes = Some(Value::measured(115_448_725_504));
    measured.complete();
    assert_eq!(
        measured.accelerators[0].memory_total_bytes,
        Some(Value::measured(115_448_725_504))
    );
}

#[test]
fn profiles_round_trip_and_newer_versions_are_refused() {
    let mut p = HardwareProfile::default();
    p.accelerators.push(gpu("NVIDIA L4", 23_034 << 20));
    p.complete();
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(parse_profile(&json).unwrap(), p);

    let err = parse_profile(r#"{"schema_version": 3}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains('3') && err.contains('2'), "{err}");
    let err = parse_profile(r#"{"memory": {"total_byte": 1}}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("total_byte"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Completion: once where a profile enters, and idempotent.

fn fixture_profiles() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/profiles");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert_eq!(out.len(), 5, "the fixture profiles of tests/data/profiles");
    out
}

#[test]
fn completing_a_fixture_profile_twice_equals_completing_it_once() {
    for (name, text) in fixture_profiles() {
        // The derived Deserialize alone: the document as written.
        let raw: HardwareProfile = serde_json::from_str(&text).unwrap();
        let mut once = raw.clone();
        once.complete();
        let mut twice = once.clone();
        twice.complete();
        assert_eq!(twice, once, "{name}");
        // The fixtures were written complete, and parse_profile completes exactly once.
        assert_eq!(once, raw, "{name}");
        assert_eq!(parse_profile(&text).unwrap(), once, "{name}");
    }
}

#[test]
fn completing_any_catalogue_part_twice_equals_completing_it_once() {
    // Every catalogue entry by name, with and without a memory reading and a core count, so the
    // second pass (which sees the catalogue's own memory and cores) picks the same entry.
    for spec in trainfit_core::hardware::accelerators() {
        for (memory, cores) in [
            (None, None),
            (Some((spec.memory_gib * GIB as f64) as u64), None),
            (None, spec.gpu_cores),
        ] {
            let mut p = HardwareProfile::default();
            p.accelerators.push(Accelerator {
                vendor: spec.vendor,
                name: spec.name.into(),
                kind: if spec.vendor == Vendor::Apple {
                    AcceleratorKind::Unified
                } else {
                    AcceleratorKind::Discrete
                },
                memory_total_bytes: memory.map(Value::measured),
                cores: cores.map(Value::measured),
                ..Accelerator::default()
            });
            p.complete();
            let mut twice = p.clone();
            twice.complete();
            assert_eq!(twice, p, "{} {memory:?} {cores:?}", spec.name);
        }
    }
}

#[test]
fn a_plan_request_completes_its_profile_as_it_is_read() {
    let request: trainfit_core::plan::PlanRequest = serde_json::from_value(serde_json::json!({
        "profile": {"accelerators": [{"vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090",
            "kind": "discrete", "memory_total_bytes": {"value": 25_757_220_864u64, "source": "user"}}]}
    }))
    .unwrap();
    let profile = request.profile.as_ref().expect("a profile");
    let gpu = &profile.accelerators[0];
    // Ada whitepaper, RTX 4090 column: 165.2 dense bf16 TFLOP/s.
    assert_eq!(gpu.peak_tflops.bf16, Some(Value::catalogue(165.2)));
    assert_eq!(profile.model.as_deref(), Some("NVIDIA GeForce RTX 4090"));
}

#[test]
fn summing_gpu_cores_saturates() {
    let mut p = HardwareProfile::default();
    for _ in 0..2 {
        let mut a = gpu("Some Accelerator", 16 * GIB);
        a.cores = Some(Value::measured(u32::MAX));
        p.accelerators.push(a);
    }
    p.complete();
    assert_eq!(p.gpu_cores, Some(u32::MAX));
}

// ---------------------------------------------------------------------------------------------
// Validation: numbers the planner computes with are refused out of range, with their path.

/// One RTX 4090 with `patch` merged into its accelerator entry.
fn rtx_4090_with(patch: serde_json::Value) -> String {
    let mut acc = serde_json::json!({"vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090",
        "kind": "discrete", "memory_total_bytes": {"value": 25_757_220_864u64, "source": "measured"}});
    for (k, v) in patch.as_object().unwrap() {
        acc[k] = v.clone();
    }
    serde_json::json!({"accelerators": [acc]}).to_string()
}

fn refusal(profile: &str) -> (String, String) {
    let e = parse_profile(profile).unwrap_err();
    assert_eq!(e.code(), "invalid_field", "{e}");
    (e.field().unwrap().to_string(), e.to_string())
}

#[test]
fn peaks_of_zero_negative_or_huge_are_refused_with_their_path() {
    for bad in [0.0, -5.0, 1e308] {
        let (field, message) = refusal(&rtx_4090_with(
            serde_json::json!({"peak_tflops": {"bf16": {"value": bad, "source": "user"}}}),
        ));
        assert_eq!(field, "accelerators[0].peak_tflops.bf16", "{message}");
    }
    let (_, message) = refusal(&rtx_4090_with(
        serde_json::json!({"peak_tflops": {"fp8": {"value": 0.0, "source": "user"}}}),
    ));
    assert_eq!(
        message,
        "field `accelerators[0].peak_tflops.fp8` is 0, expected a peak throughput from 0.001 to 100000 TFLOP/s"
    );
}

#[test]
fn negative_or_huge_power_is_refused() {
    for (field, bad) in [
        ("tdp_w", -1.0),
        ("tdp_w", 1e308),
        ("power_default_limit_w", 0.0),
        ("power_min_limit_w", -300.0),
    ] {
        let (got, message) = refusal(&rtx_4090_with(
            serde_json::json!({field: {"value": bad, "source": "user"}}),
        ));
        assert_eq!(got, format!("accelerators[0].{field}"), "{message}");
    }
    let (_, message) = refusal(&rtx_4090_with(
        serde_json::json!({"tdp_w": {"value": 1e308, "source": "user"}}),
    ));
    assert_eq!(
        message,
        "field `accelerators[0].tdp_w` is 1e308, expected a power from 1 to 10000 W"
    );
}

#[test]
fn a_one_byte_gpu_and_a_zero_byte_machine_are_refused() {
    let (field, message) = refusal(&rtx_4090_with(
        serde_json::json!({"memory_total_bytes": {"value": 1, "source": "user"}}),
    ));
    assert_eq!(field, "accelerators[0].memory_total_bytes");
    assert_eq!(
        message,
        "field `accelerators[0].memory_total_bytes` is 1, expected a memory size from 1048576 bytes (1 MiB) to 1125899906842624 bytes (1 PiB); leave an unknown size out"
    );
    let (field, _) = refusal(r#"{"memory": {"total_bytes": {"value": 0, "source": "user"}}}"#);
    assert_eq!(field, "memory.total_bytes");
    let (field, _) = refusal(
        r#"{"memory": {"cgroup_limit_bytes": {"value": 18446744073709551615, "source": "user"}}}"#,
    );
    assert_eq!(field, "memory.cgroup_limit_bytes");
}

#[test]
fn a_cpu_clock_of_zero_and_other_cpu_nonsense_are_refused() {
    let (_, message) = refusal(r#"{"cpu": {"max_mhz": {"value": 0, "source": "user"}}}"#);
    assert_eq!(
        message,
        "field `cpu.max_mhz` is 0, expected a clock from 100 to 20000 MHz"
    );
    let (field, _) = refusal(r#"{"cpu": {"physical_cores": {"value": 0, "source": "user"}}}"#);
    assert_eq!(field, "cpu.physical_cores");
    let (field, _) =
        refusal(r#"{"benchmarks": {"cpu_matmul_gflops": {"value": -1.0, "source": "measured"}}}"#);
    assert_eq!(field, "benchmarks.cpu_matmul_gflops");
    let (field, _) = refusal(
        r#"{"benchmarks": {"storage": [{"path": "/", "size_bytes": 1, "read_mbs": {"value": 0.0, "source": "measured"}}]}}"#,
    );
    assert_eq!(field, "benchmarks.storage[0].read_mbs");
    let (field, _) =
        refusal(r#"{"power": {"battery_percent": {"value": 1e300, "source": "measured"}}}"#);
    assert_eq!(field, "power.battery_percent");
}

#[test]
fn every_fixture_profile_is_valid() {
    for (name, text) in fixture_profiles() {
        let p: HardwareProfile = serde_json::from_str(&text).unwrap();
        assert_eq!(p.validate(), Ok(()), "{name}");
    }
}

#[test]
fn a_plan_refuses_an_invalid_profile_naming_the_path_within_the_request() {
    let request = |profile: &str| -> trainfit_core::plan::PlanRequest {
        serde_json::from_str(&format!(r#"{{"profile": {profile}}}"#)).unwrap()
    };
    let e = trainfit_core::plan::plan(&request(&rtx_4090_with(
        serde_json::json!({"peak_tflops": {"bf16": {"value": -1.0, "source": "user"}}}),
    )))
    .unwrap_err();
    assert_eq!(e.code(), "invalid_field");
    assert_eq!(e.field(), Some("profile.accelerators[0].peak_tflops.bf16"));
    for version in [0, 999] {
        let e = trainfit_core::plan::plan(&request(&format!(r#"{{"schema_version": {version}}}"#)))
            .unwrap_err();
        assert_eq!(e.code(), "schema_version", "{e}");
        assert_eq!(e.field(), Some("profile.schema_version"));
    }
}
