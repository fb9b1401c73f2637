//! A snapshot's GPU as a profile accelerator, and the links between its GPUs.

use trainfit_core::hardware::{
    Accelerator, AcceleratorKind, AcceleratorLink, Backend, LinkLevel, MemorySource, Pcie, Reader,
    Value, Vendor,
};

use super::snapshot::{NvmlGpu, NvmlSnapshot};
use super::tables::{
    cores_per_sm, cuda_version, dtypes, nvlink_generation, throttle_reason_names, topology_level,
};

/// The sysfs form of a PCI address: lowercase, 4-hex-digit domain (`0000:01:00.0`). NVML writes
/// an 8-digit domain (`00000000:01:00.0`); an address without a domain gets domain 0.
pub fn normalize_pci_bus_id(id: &str) -> String {
    let id = id.trim().to_ascii_lowercase();
    let parts: Vec<&str> = id.split(':').collect();
    match parts.as_slice() {
        [domain, bus, devfn] => {
            let domain = u32::from_str_radix(domain, 16)
                .map(|d| format!("{d:04x}"))
                .unwrap_or_else(|_| (*domain).to_string());
            format!("{domain}:{bus}:{devfn}")
        }
        [bus, devfn] => format!("0000:{bus}:{devfn}"),
        _ => id,
    }
}

/// The accelerator entry for one GPU of a snapshot.
pub(super) fn accelerator(snap: &NvmlSnapshot, gpu: &NvmlGpu) -> Accelerator {
    let name = gpu
        .name
        .clone()
        .unwrap_or_else(|| String::from("NVIDIA GPU"));
    let kind = kind_of(&name, gpu.memory_total_bytes);
    let cc = gpu.cc_major.zip(gpu.cc_minor);
    let mut acc = Accelerator {
        vendor: Vendor::Nvidia,
        kind,
        pci_bus_id: Some(normalize_pci_bus_id(&gpu.pci_bus_id)),
        uuid: gpu.uuid.clone(),
        backend: Some(Backend::Cuda),
        architecture: gpu.architecture.as_ref().map(|a| a.to_lowercase()),
        compute_capability: cc.map(|(major, minor)| format!("{major}.{minor}")),
        memory_total_bytes: gpu.memory_total_bytes.map(Value::measured),
        memory_free_bytes: gpu.memory_free_bytes.map(Value::measured),
        memory_source: gpu.memory_total_bytes.map(|_| MemorySource::Nvml),
        vram_bytes: match kind {
            AcceleratorKind::Discrete => gpu.memory_total_bytes.map(Value::measured),
            _ => None,
        },
        compute_units: sm_count(gpu),
        cores: gpu.num_cores.map(Value::measured),
        dtypes: cc
            .map(|(major, minor)| dtypes(major, minor))
            .unwrap_or_default(),
        memory_bandwidth_gbs: bandwidth_gbs(gpu).map(Value::estimated),
        memory_bus_width_bits: gpu.memory_bus_width_bits.map(Value::measured),
        memory_max_mhz: gpu.max_mem_clock_mhz.map(Value::measured),
        sm_max_mhz: gpu.max_sm_clock_mhz.map(Value::measured),
        sm_mhz: gpu.sm_clock_mhz.map(Value::measured),
        pcie: match kind {
            // GB10 reports its NVLink-C2C attachment as PCIe Gen1 x1
            // (https://github.com/leptonai/gpud/pull/1170).
            AcceleratorKind::Unified => None,
            _ => pcie(gpu),
        },
        nvlink_links: nvlink_count(gpu),
        nvlink_version: nvlink_version(gpu),
        power_limit_w: gpu.power_limit_mw.map(watts),
        power_default_limit_w: gpu.power_default_limit_mw.map(watts),
        power_min_limit_w: gpu.power_min_limit_mw.map(watts),
        power_max_limit_w: gpu.power_max_limit_mw.map(watts),
        power_draw_w: gpu.power_usage_mw.map(watts),
        temperature_c: gpu.temperature_c.map(celsius),
        temperature_slowdown_c: gpu.temperature_slowdown_c.map(celsius),
        temperature_shutdown_c: gpu.temperature_shutdown_c.map(celsius),
        throttle_reasons: gpu
            .throttle_reasons
            .map(throttle_reason_names)
            .unwrap_or_default(),
        ecc_enabled: gpu.ecc_enabled,
        ecc_uncorrected_errors: gpu.ecc_uncorrected_volatile.map(Value::measured),
        mig_enabled: gpu.mig_mode_current.map(|m| m == 1),
        mig_instances: gpu.mig_instances,
        driver_version: snap.driver_version.clone(),
        runtime_version: snap.cuda_driver_version.and_then(cuda_version),
        numa_node: gpu.numa_node,
        sources: vec![Reader::Nvml],
        name,
        ..Accelerator::default()
    };
    acc.peak_tflops.fp32 = fp32_tflops(gpu).map(Value::estimated);
    acc
}

/// Unified when NVML has no framebuffer size and the part is one that shares system memory:
/// GB10 (DGX Spark) and Grace superchips return `NOT_SUPPORTED` for `nvmlDeviceGetMemoryInfo`
/// (<https://github.com/leptonai/gpud/pull/1170>, <https://github.com/XuehaiPan/nvitop/pull/208>).
fn kind_of(name: &str, memory_total: Option<u64>) -> AcceleratorKind {
    let lower = name.to_lowercase();
    let shares_memory = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| word == "gb10" || word == "grace");
    if memory_total.is_none() && shares_memory {
        AcceleratorKind::Unified
    } else {
        AcceleratorKind::Discrete
    }
}

fn watts(mw: u32) -> Value<f64> {
    Value::measured(f64::from(mw) / 1000.0)
}

fn celsius(c: u32) -> Value<f64> {
    Value::measured(f64::from(c))
}

/// Streaming multiprocessors: NVML's count when it gave one, else CUDA cores divided by the
/// cores per SM of the compute capability (an estimate).
fn sm_count(gpu: &NvmlGpu) -> Option<Value<u32>> {
    if let Some(n) = gpu.sm_count {
        return Some(Value::measured(n));
    }
    let per_sm = cores_per_sm(gpu.cc_major?, gpu.cc_minor?)?;
    let cores = gpu.num_cores?;
    (cores > 0 && cores % per_sm == 0).then(|| Value::estimated(cores / per_sm))
}

/// Theoretical bandwidth from NVML: max memory clock × 2 (double data rate) × bus width / 8,
/// in GB/s; matches the published 1008 GB/s of the RTX 4090 (NVIDIA Ada GPU architecture
/// whitepaper) and 3.35 TB/s of the H100 SXM (NVIDIA H100 Tensor Core GPU datasheet).
fn bandwidth_gbs(gpu: &NvmlGpu) -> Option<f64> {
    let mhz = f64::from(gpu.max_mem_clock_mhz?);
    let bits = f64::from(gpu.memory_bus_width_bits?);
    (mhz > 0.0 && bits > 0.0).then(|| mhz * 2.0 * bits / 8.0 / 1000.0)
}

/// Peak FP32 from NVML: CUDA cores × 2 FLOP (one fused multiply-add) × highest SM clock, the
/// formula of NVIDIA's architecture whitepapers. NVML's highest clock is the board's ceiling,
/// which on GeForce cards is above the rated boost clock, so this is an estimate.
fn fp32_tflops(gpu: &NvmlGpu) -> Option<f64> {
    let cores = f64::from(gpu.num_cores?);
    let mhz = f64::from(gpu.max_sm_clock_mhz?);
    (cores > 0.0 && mhz > 0.0).then(|| cores * 2.0 * mhz / 1e6)
}

fn pcie(gpu: &NvmlGpu) -> Option<Pcie> {
    let p = Pcie {
        gen_current: gpu.pcie_gen_current,
        gen_max: gpu.pcie_gen_max,
        width_current: gpu.pcie_width_current,
        width_max: gpu.pcie_width_max,
    };
    (p != Pcie::default()).then_some(p)
}

/// Active links; `None` when NVML reported no NVLink at all.
fn nvlink_count(gpu: &NvmlGpu) -> Option<Value<u32>> {
    if gpu.nvlinks.is_empty() {
        return None;
    }
    let active = gpu
        .nvlinks
        .iter()
        .filter(|l| l.active == Some(true))
        .count();
    u32::try_from(active).ok().map(Value::measured)
}

fn nvlink_version(gpu: &NvmlGpu) -> Option<u32> {
    gpu.nvlinks
        .iter()
        .filter(|l| l.active == Some(true))
        .filter_map(|l| l.version.and_then(nvlink_generation))
        .max()
}

/// One link per pair of GPUs: `nvlink` when NVLink joins them, else NVML's PCIe level.
pub(super) fn topology_links(snap: &NvmlSnapshot) -> Vec<AcceleratorLink> {
    let ids: Vec<String> = snap
        .gpus
        .iter()
        .map(|g| normalize_pci_bus_id(&g.pci_bus_id))
        .collect();
    let mut links = Vec::new();
    for (i, a) in snap.gpus.iter().enumerate() {
        for (j, b) in snap.gpus.iter().enumerate().skip(i + 1) {
            let nvlinks = nvlinks_between(a, b, &ids);
            let level = if nvlinks > 0 {
                Some(LinkLevel::Nvlink)
            } else {
                pcie_level(snap, &ids[i], &ids[j])
            };
            if let Some(level) = level {
                links.push(AcceleratorLink {
                    a: ids[i].clone(),
                    b: ids[j].clone(),
                    level,
                    nvlink_links: (nvlinks > 0).then_some(nvlinks),
                });
            }
        }
    }
    links
}

fn pcie_level(snap: &NvmlSnapshot, a: &str, b: &str) -> Option<LinkLevel> {
    snap.topology
        .iter()
        .find(|p| {
            let (pa, pb) = (normalize_pci_bus_id(&p.a), normalize_pci_bus_id(&p.b));
            (pa == a && pb == b) || (pa == b && pb == a)
        })
        .and_then(|p| topology_level(&p.level))
}

/// NVLink links joining two GPUs: direct links from `a` to `b`, or else, on NVSwitch boards
/// (HGX, DGX) where every link ends at a switch, the smaller of the two GPUs' link counts to
/// the switches both reach. A remote end that is not one of the GPUs counts as a switch.
fn nvlinks_between(a: &NvmlGpu, b: &NvmlGpu, gpu_ids: &[String]) -> u32 {
    let b_id = normalize_pci_bus_id(&b.pci_bus_id);
    let a_remotes = active_remotes(a);
    let direct = a_remotes.iter().filter(|r| **r == b_id).count();
    if direct > 0 {
        return count_u32(direct);
    }
    let b_remotes = active_remotes(b);
    let shared_switch = |r: &&String| !gpu_ids.contains(r);
    let a_switches: Vec<&String> = a_remotes.iter().filter(shared_switch).collect();
    let b_switches: Vec<&String> = b_remotes.iter().filter(shared_switch).collect();
    let via_a = a_switches.iter().filter(|r| b_switches.contains(r)).count();
    let via_b = b_switches.iter().filter(|r| a_switches.contains(r)).count();
    count_u32(via_a.min(via_b))
}

fn active_remotes(gpu: &NvmlGpu) -> Vec<String> {
    gpu.nvlinks
        .iter()
        .filter(|l| l.active == Some(true))
        .filter_map(|l| l.remote_pci_bus_id.as_deref().map(normalize_pci_bus_id))
        .collect()
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
