//! wgpu adapters: merge rules on recorded adapters, enumeration and the matmul kernel on this
//! machine (lavapipe when Mesa's Vulkan drivers are installed; skipped, saying so, otherwise).

use std::time::{Duration, Instant};

use trainfit_core::hardware::{
    Accelerator, AcceleratorKind, Backend, HardwareProfile, Reader, Vendor,
};
use trainfit_probe::gpu::{self, AdapterRecord};
use trainfit_probe::nvidia::{self, NvmlSnapshot, RecordedNvml};

fn record(
    name: &str,
    vendor_id: u32,
    device_id: u32,
    device_type: &str,
    backend: &str,
) -> AdapterRecord {
    AdapterRecord {
        name: name.to_string(),
        vendor_id,
        device_id,
        device_type: device_type.to_string(),
        backend: backend.to_string(),
        ..AdapterRecord::default()
    }
}

/// lavapipe as wgpu 30.0.1 reported it with Debian 12's mesa-vulkan-drivers 22.3.6 (our
/// recording: vendor 0x10005 is `VK_VENDOR_ID_MESA` in `vulkan_core.h`, max buffer `i32::MAX`).
fn lavapipe() -> AdapterRecord {
    AdapterRecord {
        driver: String::from("llvmpipe"),
        driver_info: String::from("Mesa 22.3.6 (LLVM 15.0.6)"),
        max_buffer_size: 2_147_483_647,
        ..record(
            "llvmpipe (LLVM 15.0.6, 256 bits)",
            0x10005,
            0,
            "cpu",
            "vulkan",
        )
    }
}

/// An RTX 4090 through NVIDIA's Vulkan driver (PCI device id 0x2684, as `lspci` shows in
/// geerlingguy/raspberry-pi-pcie-devices#504).
fn rtx4090_vulkan() -> AdapterRecord {
    AdapterRecord {
        driver: String::from("NVIDIA"),
        driver_info: String::from("550.163.01"),
        pci_bus_id: Some(String::from("0000:4e:00.0")),
        shader_f16: true,
        ..record(
            "NVIDIA GeForce RTX 4090",
            0x10de,
            0x2684,
            "discrete",
            "vulkan",
        )
    }
}

fn rtx4090_dx12() -> AdapterRecord {
    AdapterRecord {
        pci_bus_id: None,
        backend: String::from("dx12"),
        ..rtx4090_vulkan()
    }
}

fn nvml_profile() -> HardwareProfile {
    let path = format!(
        "{}/tests/fixtures/nvml/workstation-rtx4090.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let snap: NvmlSnapshot = serde_json::from_str(&text).expect("fixture parses");
    let mut profile = HardwareProfile::default();
    nvidia::read(&RecordedNvml(snap), &mut profile);
    profile
}

fn merged(records: &[AdapterRecord]) -> Vec<Accelerator> {
    let mut profile = HardwareProfile::default();
    gpu::merge_adapters(records, &mut profile);
    profile.accelerators
}

#[test]
fn llvmpipe_is_a_cpu_renderer_not_a_gpu() {
    let accs = merged(&[lavapipe()]);
    assert_eq!(
        accs,
        vec![Accelerator {
            vendor: Vendor::Other,
            name: String::from("llvmpipe (LLVM 15.0.6, 256 bits)"),
            kind: AcceleratorKind::Cpu,
            backend: Some(Backend::Vulkan),
            sources: vec![Reader::Wgpu],
            ..Accelerator::default()
        }]
    );
}

#[test]
fn swiftshader_and_warp_are_software_whatever_type_they_claim() {
    // SwiftShader's Vulkan device (vendor 0x1ae0 Google, device 0xc0de).
    let swiftshader = AdapterRecord {
        driver: String::from("SwiftShader driver"),
        ..record(
            "SwiftShader Device (Subzero)",
            0x1ae0,
            0xc0de,
            "cpu",
            "vulkan",
        )
    };
    // WARP, Windows' software rasteriser, through DX12.
    let warp = record(
        "Microsoft Basic Render Driver",
        0x1414,
        0x008c,
        "cpu",
        "dx12",
    );
    for r in [&swiftshader, &warp, &lavapipe()] {
        assert!(r.is_software(), "{r:?}");
        let claims_gpu = AdapterRecord {
            device_type: String::from("integrated"),
            ..r.clone()
        };
        assert!(claims_gpu.is_software(), "{claims_gpu:?}");
        let unknown_ids = AdapterRecord {
            vendor_id: 0,
            device_id: 0,
            ..claims_gpu
        };
        assert!(unknown_ids.is_software(), "by name: {unknown_ids:?}");
    }
    assert!(!rtx4090_vulkan().is_software());
    // "warp" must be a word of its own.
    assert!(!record("Warpspeed 9000", 0x1234, 1, "discrete", "vulkan").is_software());

    let accs = merged(&[swiftshader, warp]);
    assert_eq!(accs.len(), 2);
    assert!(accs
        .iter()
        .all(|a| a.kind == AcceleratorKind::Cpu && a.vendor == Vendor::Other));
}

#[test]
fn a_vulkan_adapter_joins_the_nvml_entry_by_bus_id() {
    let mut profile = nvml_profile();
    gpu::merge_adapters(&[rtx4090_vulkan(), lavapipe()], &mut profile);
    assert_eq!(profile.accelerators.len(), 2);
    let gpu = &profile.accelerators[0];
    assert_eq!(gpu.sources, [Reader::Nvml, Reader::Wgpu]);
    // NVML's CUDA backend stays; the adapter only fills a missing one.
    assert_eq!(gpu.backend, Some(Backend::Cuda));
    assert_eq!(gpu.kind, AcceleratorKind::Discrete);
    assert_eq!(profile.accelerators[1].kind, AcceleratorKind::Cpu);
}

#[test]
fn the_same_card_through_vulkan_and_dx12_appears_once() {
    // Windows: NVML and both backends see the card; DX12 gives no bus id, so it matches by name.
    let mut profile = nvml_profile();
    gpu::merge_adapters(&[rtx4090_vulkan(), rtx4090_dx12()], &mut profile);
    assert_eq!(profile.accelerators.len(), 1);
    assert_eq!(
        profile.accelerators[0].sources,
        [Reader::Nvml, Reader::Wgpu]
    );

    // Without any other reader.
    let accs = merged(&[rtx4090_vulkan(), rtx4090_dx12()]);
    assert_eq!(accs.len(), 1);
    assert_eq!(accs[0].backend, Some(Backend::Vulkan));
    assert_eq!(accs[0].pci_bus_id.as_deref(), Some("0000:4e:00.0"));
}

#[test]
fn two_identical_cards_stay_two() {
    let accs = merged(&[rtx4090_dx12(), rtx4090_dx12()]);
    assert_eq!(accs.len(), 2);

    let second = AdapterRecord {
        pci_bus_id: Some(String::from("0000:4f:00.0")),
        ..rtx4090_vulkan()
    };
    let accs = merged(&[rtx4090_vulkan(), second, rtx4090_dx12(), rtx4090_dx12()]);
    assert_eq!(accs.len(), 2);
    assert!(accs.iter().all(|a| a.backend == Some(Backend::Vulkan)));
}

#[test]
fn an_unknown_card_is_added_without_memory() {
    // A DX12 card on Windows that no other reader reported.
    let radeon = record("AMD Radeon RX 7900 XTX", 0x1002, 0x744c, "discrete", "dx12");
    let accs = merged(&[radeon]);
    assert_eq!(
        accs,
        vec![Accelerator {
            vendor: Vendor::Amd,
            name: String::from("AMD Radeon RX 7900 XTX"),
            kind: AcceleratorKind::Discrete,
            backend: Some(Backend::Dx12),
            sources: vec![Reader::Wgpu],
            ..Accelerator::default()
        }]
    );
}

#[test]
fn an_apple_metal_adapter_is_added_as_unified() {
    // Metal gives no PCI ids (wgpu-hal `AdapterInfo::new` leaves them 0).
    let m2 = AdapterRecord {
        max_buffer_size: 9_663_676_416,
        shader_f16: true,
        ..record("Apple M2", 0, 0, "integrated", "metal")
    };
    let accs = merged(std::slice::from_ref(&m2));
    assert_eq!(
        accs,
        vec![Accelerator {
            vendor: Vendor::Apple,
            name: String::from("Apple M2"),
            kind: AcceleratorKind::Unified,
            backend: Some(Backend::Metal),
            sources: vec![Reader::Wgpu],
            ..Accelerator::default()
        }]
    );
    // The macOS reader's entry for the same chip is joined instead.
    let mut profile = HardwareProfile::default();
    profile.accelerators.push(Accelerator {
        vendor: Vendor::Apple,
        name: String::from("Apple M2"),
        kind: AcceleratorKind::Unified,
        backend: Some(Backend::Metal),
        sources: vec![Reader::Metal],
        ..Accelerator::default()
    });
    gpu::merge_adapters(&[m2], &mut profile);
    assert_eq!(profile.accelerators.len(), 1);
    assert_eq!(
        profile.accelerators[0].sources,
        [Reader::Metal, Reader::Wgpu]
    );
}

#[test]
fn same_device_compares_bus_ids_first() {
    let a = rtx4090_vulkan();
    assert!(a.same_device(&rtx4090_dx12()));
    let other_slot = AdapterRecord {
        pci_bus_id: Some(String::from("0000:4f:00.0")),
        ..rtx4090_vulkan()
    };
    assert!(!a.same_device(&other_slot));
}

#[test]
fn records_round_trip_through_serde() {
    let r = rtx4090_vulkan();
    let json = serde_json::to_string(&r).expect("serialises");
    assert_eq!(
        serde_json::from_str::<AdapterRecord>(&json).expect("parses"),
        r
    );
}

#[test]
fn adapters_on_this_machine_answer_within_the_timeout() {
    let timeout = Duration::from_secs(20);
    let start = Instant::now();
    let result = gpu::adapters(timeout);
    // The deadline plus a little for thread start-up.
    assert!(start.elapsed() < timeout + Duration::from_secs(2));
    match result {
        Ok(records) => {
            println!("{} adapter(s) in {:?}", records.len(), start.elapsed());
            for r in &records {
                println!("  {r:?}");
                assert!(
                    ["vulkan", "metal", "dx12"].contains(&r.backend.as_str()),
                    "no GL: {r:?}"
                );
            }
        }
        Err(e) => println!("no answer from wgpu: {e}"),
    }
}

#[test]
fn matmul_kernel_is_correct_on_a_software_adapter() {
    // Small sides keep lavapipe quick: 100 leaves partial tiles at the edges.
    let runs = gpu::matmul_on_adapters(|r| r.is_software(), 100, Duration::from_millis(200), true)
        .expect("adapters listed");
    if runs.is_empty() {
        println!("skipped: no adapter (install mesa-vulkan-drivers for lavapipe)");
        return;
    }
    for run in runs {
        let result = run
            .result
            .unwrap_or_else(|e| panic!("{}: {e}", run.adapter.name));
        println!(
            "{}: {} TFLOP/s at n = {}",
            result.adapter, result.tflops.value, result.n
        );
        assert_eq!(result.n, 100);
        assert!(result.tflops.value > 0.0);
        assert_eq!(result.backend, Some(run.adapter.profile_backend()));
    }
}

#[test]
fn matmul_benchmark_skips_software_and_returns() {
    let budget = Duration::from_millis(300);
    let start = Instant::now();
    let runs = gpu::matmul_benchmark(budget).unwrap_or_default();
    println!("{runs:?} in {:?}", start.elapsed());
    assert!(runs.iter().all(|r| !r.adapter.is_software()), "{runs:?}");
    let adapters = gpu::adapters(Duration::from_secs(20)).unwrap_or_default();
    let real = adapters.iter().filter(|r| !r.is_software()).count();
    assert!(runs.len() <= real);
    if real == 0 {
        assert!(runs.is_empty());
        println!("no real GPU adapter here: nothing benchmarked");
    }
}

#[test]
fn wgpu_backend_names_become_the_profiles() {
    // `wgpu_types::Backend::to_str`: vulkan, metal, dx12, gl, webgpu, noop.
    let backend = |name: &str| {
        let mut r = rtx4090_vulkan();
        r.backend = name.into();
        r.profile_backend()
    };
    assert_eq!(backend("vulkan"), Backend::Vulkan);
    assert_eq!(backend("metal"), Backend::Metal);
    assert_eq!(backend("dx12"), Backend::Dx12);
    assert_eq!(backend("gl"), Backend::Other);
}
