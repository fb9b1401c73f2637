//! NVIDIA GPUs through NVML, the library the driver ships (`libnvidia-ml.so.1`, `nvml.dll`).
//!
//! Reading is split in two so the tests run on recorded values: an [`NvmlSource`] produces an
//! [`NvmlSnapshot`] (plain data, what NVML reported), and [`read`] turns a snapshot into
//! accelerator entries and topology links of a [`HardwareProfile`]. [`SystemNvml`] asks the
//! driver; [`RecordedNvml`] replays a snapshot, e.g. one of `tests/fixtures/nvml/*.json`.
//!
//! GPUs are keyed by PCI bus id in the sysfs form `0000:01:00.0`, never by NVML index: NVML and
//! CUDA number GPUs differently (research/probe-anchors.md §1.3).

use serde::{Deserialize, Serialize};
use trainfit_core::hardware::{
    Accelerator, AcceleratorKind, AcceleratorLink, Backend, HardwareProfile, LinkLevel,
    MatrixDtype, MemorySource, Pcie, ProbeError, Reader, ThrottleReason, Value, Vendor,
};

/// What NVML reported, as plain data, so tests can feed recorded values to [`read`].
///
/// Every reading is optional: a getter that fails (`NotSupported`, a symbol missing from an
/// older driver) leaves its field `None` and the rest of the device is still read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NvmlSnapshot {
    /// Kernel driver version, e.g. `570.124.06`.
    pub driver_version: Option<String>,
    /// Newest CUDA version the driver supports, NVML's integer form (12080 is 12.8).
    pub cuda_driver_version: Option<i32>,
    /// NVML library version, e.g. `12.570.124.06`.
    pub nvml_version: Option<String>,
    /// One entry per GPU that NVML could open.
    pub gpus: Vec<NvmlGpu>,
    /// Common PCIe ancestor of each pair of GPUs (Linux only).
    pub topology: Vec<NvmlPair>,
    /// GPUs NVML counted but could not open, and why.
    pub errors: Vec<String>,
}

/// One GPU as NVML reported it, in NVML's units (bytes, MHz, mW, °C).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NvmlGpu {
    /// PCI address; normalised by [`normalize_pci_bus_id`] when read.
    pub pci_bus_id: String,
    /// Marketing name, e.g. `NVIDIA H100 80GB HBM3`.
    pub name: Option<String>,
    /// `GPU-…` UUID (identifying; the profile writer redacts it).
    pub uuid: Option<String>,
    /// Framebuffer size (`nvmlDeviceGetMemoryInfo_v2`); `None` on unified-memory parts (GB10).
    pub memory_total_bytes: Option<u64>,
    /// Framebuffer free now.
    pub memory_free_bytes: Option<u64>,
    /// CUDA compute capability, major part.
    pub cc_major: Option<i32>,
    /// CUDA compute capability, minor part.
    pub cc_minor: Option<i32>,
    /// Architecture in lowercase: `volta`, `turing`, `ampere`, `ada`, `hopper`, `blackwell` …
    pub architecture: Option<String>,
    /// CUDA cores.
    pub num_cores: Option<u32>,
    /// Streaming multiprocessors (`nvmlDeviceGetAttributes_v2`; many drivers answer it only for MIG handles).
    pub sm_count: Option<u32>,
    /// Memory bus width in bits.
    pub memory_bus_width_bits: Option<u32>,
    /// Highest memory clock.
    pub max_mem_clock_mhz: Option<u32>,
    /// Highest SM clock.
    pub max_sm_clock_mhz: Option<u32>,
    /// SM clock now.
    pub sm_clock_mhz: Option<u32>,
    /// PCIe generation now.
    pub pcie_gen_current: Option<u32>,
    /// Highest PCIe generation of the link.
    pub pcie_gen_max: Option<u32>,
    /// PCIe lanes now.
    pub pcie_width_current: Option<u32>,
    /// Most PCIe lanes of the link.
    pub pcie_width_max: Option<u32>,
    /// NVLink links, in link order, up to the first one NVML refused.
    pub nvlinks: Vec<NvmlLink>,
    /// Power limit in force (`nvmlDeviceGetEnforcedPowerLimit`).
    pub power_limit_mw: Option<u32>,
    /// Default power limit.
    pub power_default_limit_mw: Option<u32>,
    /// Lowest settable power limit.
    pub power_min_limit_mw: Option<u32>,
    /// Highest settable power limit.
    pub power_max_limit_mw: Option<u32>,
    /// Board power now.
    pub power_usage_mw: Option<u32>,
    /// GPU temperature now.
    pub temperature_c: Option<u32>,
    /// Slowdown temperature threshold.
    pub temperature_slowdown_c: Option<u32>,
    /// Shutdown temperature threshold.
    pub temperature_shutdown_c: Option<u32>,
    /// Current clocks-event ("throttle") reasons, NVML's bit mask.
    pub throttle_reasons: Option<u64>,
    /// ECC currently enabled.
    pub ecc_enabled: Option<bool>,
    /// Uncorrected ECC errors since the driver loaded (volatile counter).
    pub ecc_uncorrected_volatile: Option<u64>,
    /// Current MIG mode (1 = enabled).
    pub mig_mode_current: Option<u32>,
    /// MIG devices present (0 when MIG is off).
    pub mig_instances: Option<u32>,
    /// NUMA node the GPU is attached to.
    pub numa_node: Option<u32>,
}

/// One NVLink link of a GPU.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NvmlLink {
    /// Link number.
    pub link: u32,
    /// Whether the link is up.
    pub active: Option<bool>,
    /// NVML's `nvmlNvlinkVersion_t` code (6 is NVLink 4.0), see [`nvlink_generation`].
    pub version: Option<u32>,
    /// PCI address of the other end: a GPU, or an NVSwitch on HGX boards.
    pub remote_pci_bus_id: Option<String>,
}

/// The closest common PCIe ancestor of two GPUs (`nvmlDeviceGetTopologyCommonAncestor`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NvmlPair {
    /// PCI bus id of one GPU.
    pub a: String,
    /// PCI bus id of the other.
    pub b: String,
    /// `internal`, `single`, `multiple`, `hostbridge`, `node` or `system` (NVML's levels).
    pub level: String,
}

/// Where NVML readings come from.
pub trait NvmlSource {
    /// What NVML reports, or why it could not be asked.
    fn snapshot(&self) -> Result<NvmlSnapshot, String>;
}

/// The NVML library of this machine's driver.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemNvml;

/// A recorded snapshot, for tests and fixtures.
#[derive(Debug, Clone, Default)]
pub struct RecordedNvml(pub NvmlSnapshot);

impl NvmlSource for RecordedNvml {
    fn snapshot(&self) -> Result<NvmlSnapshot, String> {
        Ok(self.0.clone())
    }
}

impl NvmlSource for SystemNvml {
    #[cfg(any(target_os = "linux", target_os = "windows"))]
    fn snapshot(&self) -> Result<NvmlSnapshot, String> {
        system::snapshot()
    }

    // nvml-wrapper looks for `nvml.dll` on every OS but Linux, so elsewhere it can only fail
    // (research/probe-anchors.md §12, pitfall 1).
    #[cfg(not(any(target_os = "linux", target_os = "windows")))]
    fn snapshot(&self) -> Result<NvmlSnapshot, String> {
        Err(String::from("NVML is not available on this OS"))
    }
}

/// Adds what `source` reports to `profile`: one accelerator per GPU (filling an entry another
/// reader made for the same PCI bus id instead of adding a second one), and the links between
/// GPUs. When NVML cannot be asked, records one error and nothing else.
pub fn read(source: &dyn NvmlSource, profile: &mut HardwareProfile) {
    let snap = match source.snapshot() {
        Ok(snap) => snap,
        Err(message) => {
            profile.errors.push(nvml_error(message));
            return;
        }
    };
    profile
        .errors
        .extend(snap.errors.iter().cloned().map(nvml_error));
    for gpu in &snap.gpus {
        merge_accelerator(profile, accelerator(&snap, gpu));
    }
    for link in topology_links(&snap) {
        upsert_link(profile, link);
    }
}

fn nvml_error(message: String) -> ProbeError {
    ProbeError {
        section: String::from("accelerators"),
        source: String::from("nvml"),
        message,
    }
}

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
fn accelerator(snap: &NvmlSnapshot, gpu: &NvmlGpu) -> Accelerator {
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
            // GB10 reports its NVLink-C2C attachment as PCIe Gen1 x1 (probe-anchors.md §1.3).
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
/// (probe-anchors.md §1.3: leptonai/gpud#1170, XuehaiPan/nvitop#208).
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

/// CUDA version text from NVML's integer: 12080 is `12.8` (major·1000 + minor·10, the rule of
/// nvml-wrapper's `cuda_driver_version_major/minor` and of `nvidia-smi`).
pub fn cuda_version(v: i32) -> Option<String> {
    (v > 0).then(|| format!("{}.{}", v / 1000, (v % 1000) / 10))
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

/// FP32 CUDA cores per SM by compute capability, from `_ConvertSMVer2Cores` in NVIDIA's
/// cuda-samples `Common/helper_cuda.h`.
pub fn cores_per_sm(major: i32, minor: i32) -> Option<u32> {
    match (major, minor) {
        (3, _) => Some(192),
        (5, _) => Some(128),
        (6, 0) => Some(64),
        (6, 1 | 2) => Some(128),
        (7, _) => Some(64),
        (8, 0) => Some(64),
        (8, 6 | 7 | 9) => Some(128),
        (9, 0) => Some(128),
        (10..=12, _) => Some(128),
        _ => None,
    }
}

/// Types the tensor cores take, by compute capability, from the CUDA C++ Programming Guide's
/// warp matrix (WMMA) element types: `__half` from sm_70, `u8`/`s8` from sm_72, `__nv_bfloat16`
/// and `tf32` from sm_80; FP8 (`e4m3`/`e5m2` MMA) needs sm_89 (PTX ISA). FP32 runs everywhere.
pub fn dtypes(major: i32, minor: i32) -> Vec<MatrixDtype> {
    let cc = (major, minor);
    let mut out = vec![MatrixDtype::Fp32];
    let rules: [(MatrixDtype, (i32, i32)); 5] = [
        (MatrixDtype::Tf32, (8, 0)),
        (MatrixDtype::Fp16, (7, 0)),
        (MatrixDtype::Bf16, (8, 0)),
        (MatrixDtype::Fp8, (8, 9)),
        (MatrixDtype::Int8, (7, 2)),
    ];
    for (dtype, since) in rules {
        if cc >= since {
            out.push(dtype);
        }
    }
    out
}

/// Theoretical bandwidth from NVML: max memory clock × 2 (double data rate) × bus width / 8,
/// in GB/s; matches the published 1008 GB/s of the RTX 4090 and 3352 GB/s of the H100 SXM
/// (probe-anchors.md §1.2).
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

/// NVLink generation of an `nvmlNvlinkVersion_t` code (nvml.h: 1 = 1.0, 2 = 2.0, 3 = 2.2,
/// 4 = 3.0, 5 = 3.1, 6 = 4.0, 7 = 5.0).
pub fn nvlink_generation(code: u32) -> Option<u32> {
    match code {
        1 => Some(1),
        2 | 3 => Some(2),
        4 | 5 => Some(3),
        6 => Some(4),
        7 => Some(5),
        _ => None,
    }
}

/// Snake-case names of the clocks-event ("throttle") reasons set in NVML's mask, without
/// `gpu_idle`. Bits from nvml.h `nvmlClocksEventReason*` (nvml-wrapper-sys bindings).
pub fn throttle_reason_names(bits: u64) -> Vec<ThrottleReason> {
    const REASONS: [(u64, ThrottleReason); 8] = [
        (0x2, ThrottleReason::ApplicationsClocksSetting),
        (0x4, ThrottleReason::SwPowerCap),
        (0x8, ThrottleReason::HwSlowdown),
        (0x10, ThrottleReason::SyncBoost),
        (0x20, ThrottleReason::SwThermalSlowdown),
        (0x40, ThrottleReason::HwThermalSlowdown),
        (0x80, ThrottleReason::HwPowerBrake),
        (0x100, ThrottleReason::DisplayClockSetting),
    ];
    REASONS
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, reason)| *reason)
        .collect()
}

/// The profile's level for an NVML topology level.
pub fn topology_level(nvml_level: &str) -> Option<LinkLevel> {
    match nvml_level {
        "internal" => Some(LinkLevel::Board),
        "single" => Some(LinkLevel::PcieSwitch),
        "multiple" => Some(LinkLevel::PcieSwitches),
        "hostbridge" => Some(LinkLevel::HostBridge),
        "node" => Some(LinkLevel::NumaNode),
        "system" => Some(LinkLevel::System),
        _ => None,
    }
}

/// One link per pair of GPUs: `nvlink` when NVLink joins them, else NVML's PCIe level.
fn topology_links(snap: &NvmlSnapshot) -> Vec<AcceleratorLink> {
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

/// Adds `acc`, or fills the entry another reader already made for the same PCI bus id.
fn merge_accelerator(profile: &mut HardwareProfile, acc: Accelerator) {
    let existing = profile
        .accelerators
        .iter_mut()
        .find(|e| e.pci_bus_id.as_deref().map(normalize_pci_bus_id) == acc.pci_bus_id);
    match existing {
        Some(entry) => fill(entry, acc),
        None => profile.accelerators.push(acc),
    }
}

/// Overwrites `entry` with every reading NVML has (the driver knows its GPU better than sysfs
/// or a name table) and keeps the entry's own readings where NVML has none.
fn fill(entry: &mut Accelerator, nvml: Accelerator) {
    macro_rules! prefer_nvml {
        ($($field:ident),* $(,)?) => {
            $( if nvml.$field.is_some() { entry.$field = nvml.$field; } )*
        };
    }
    prefer_nvml!(
        pci_bus_id,
        uuid,
        backend,
        architecture,
        compute_capability,
        memory_total_bytes,
        memory_free_bytes,
        memory_source,
        vram_bytes,
        compute_units,
        cores,
        memory_bandwidth_gbs,
        memory_bus_width_bits,
        memory_max_mhz,
        sm_max_mhz,
        sm_mhz,
        nvlink_links,
        nvlink_version,
        power_limit_w,
        power_default_limit_w,
        power_min_limit_w,
        power_max_limit_w,
        power_draw_w,
        temperature_c,
        temperature_slowdown_c,
        temperature_shutdown_c,
        ecc_enabled,
        ecc_uncorrected_errors,
        mig_enabled,
        mig_instances,
        driver_version,
        runtime_version,
        numa_node,
    );
    entry.pcie = match nvml.kind {
        // The PCIe link a unified part reports is not how it attaches (see `accelerator`).
        AcceleratorKind::Unified => None,
        _ => merge_pcie(entry.pcie, nvml.pcie),
    };
    if nvml.peak_tflops.fp32.is_some() {
        entry.peak_tflops.fp32 = nvml.peak_tflops.fp32;
    }
    entry.vendor = Vendor::Nvidia;
    entry.name = nvml.name;
    entry.kind = nvml.kind;
    if !nvml.dtypes.is_empty() {
        entry.dtypes = nvml.dtypes;
    }
    if !nvml.throttle_reasons.is_empty() {
        entry.throttle_reasons = nvml.throttle_reasons;
    }
    for source in nvml.sources {
        if !entry.sources.contains(&source) {
            entry.sources.push(source);
        }
    }
}

/// NVML's link readings over the entry's, field by field.
fn merge_pcie(old: Option<Pcie>, nvml: Option<Pcie>) -> Option<Pcie> {
    let Some(new) = nvml else {
        return old;
    };
    let old = old.unwrap_or_default();
    Some(Pcie {
        gen_current: new.gen_current.or(old.gen_current),
        gen_max: new.gen_max.or(old.gen_max),
        width_current: new.width_current.or(old.width_current),
        width_max: new.width_max.or(old.width_max),
    })
}

/// Adds `link`, replacing a link another reader recorded for the same pair.
fn upsert_link(profile: &mut HardwareProfile, link: AcceleratorLink) {
    let same_pair =
        |l: &AcceleratorLink| (l.a == link.a && l.b == link.b) || (l.a == link.b && l.b == link.a);
    match profile.topology.links.iter_mut().find(|l| same_pair(l)) {
        Some(existing) => *existing = link,
        None => profile.topology.links.push(link),
    }
}

/// The live reader, over nvml-wrapper.
#[cfg(any(target_os = "linux", target_os = "windows"))]
mod system {
    use super::{normalize_pci_bus_id, NvmlGpu, NvmlLink, NvmlPair, NvmlSnapshot};
    use nvml_wrapper::enum_wrappers::device::{
        Clock, EccCounter, MemoryError, TemperatureSensor, TemperatureThreshold,
    };
    use nvml_wrapper::enums::device::DeviceArchitecture;
    use nvml_wrapper::error::NvmlError;
    use nvml_wrapper::{Device, Nvml};

    /// `NVML_NVLINK_MAX_LINKS` in the NVML 12 headers (nvml-wrapper-sys 0.10 bindings).
    const MAX_NVLINKS: u32 = 18;

    pub(super) fn snapshot() -> Result<NvmlSnapshot, String> {
        let nvml = init()?;
        let count = nvml
            .device_count()
            .map_err(|e| format!("NVML could not count GPUs: {e}"))?;
        let mut snap = NvmlSnapshot {
            driver_version: nvml.sys_driver_version().ok(),
            cuda_driver_version: nvml.sys_cuda_driver_version().ok(),
            nvml_version: nvml.sys_nvml_version().ok(),
            ..NvmlSnapshot::default()
        };
        let mut devices = Vec::new();
        for index in 0..count {
            let opened = nvml.device_by_index(index).and_then(|d| {
                let id = d.pci_info()?.bus_id;
                Ok((d, id))
            });
            match opened {
                Ok((device, id)) => {
                    snap.gpus.push(gpu(&device, &id));
                    devices.push(device);
                }
                Err(e) => snap.errors.push(format!("GPU {index}: {e}")),
            }
        }
        snap.topology = topology(&nvml, &devices, &snap.gpus);
        Ok(snap)
    }

    /// Loads NVML; on WSL the library sits outside the loader path in some distributions
    /// (probe-anchors.md §1.3, pitfall 4).
    fn init() -> Result<Nvml, String> {
        match Nvml::init() {
            Ok(nvml) => Ok(nvml),
            Err(NvmlError::LibloadingError(_)) if cfg!(target_os = "linux") => {
                let wsl = "/usr/lib/wsl/lib/libnvidia-ml.so.1";
                if std::path::Path::new(wsl).exists() {
                    Nvml::builder()
                        .lib_path(std::ffi::OsStr::new(wsl))
                        .init()
                        .map_err(|e| init_message(&e))
                } else {
                    Err(init_message(&NvmlError::LibraryNotFound))
                }
            }
            Err(e) => Err(init_message(&e)),
        }
    }

    fn init_message(e: &NvmlError) -> String {
        match e {
            NvmlError::LibloadingError(_) | NvmlError::LibraryNotFound => {
                String::from("NVML library not found (no NVIDIA driver installed)")
            }
            NvmlError::DriverNotLoaded => String::from("NVIDIA kernel driver not loaded"),
            NvmlError::NoPermission => String::from("no permission to open the NVIDIA devices"),
            other => format!("NVML failed to start: {other}"),
        }
    }

    fn gpu(d: &Device, pci_bus_id: &str) -> NvmlGpu {
        let memory = d.memory_info().ok();
        let cc = d.cuda_compute_capability().ok();
        let limits = d.power_management_limit_constraints().ok();
        let mig_mode = d.mig_mode().ok().map(|m| m.current);
        NvmlGpu {
            pci_bus_id: normalize_pci_bus_id(pci_bus_id),
            name: d.name().ok(),
            uuid: d.uuid().ok(),
            memory_total_bytes: memory.as_ref().map(|m| m.total),
            memory_free_bytes: memory.as_ref().map(|m| m.free),
            cc_major: cc.as_ref().map(|c| c.major),
            cc_minor: cc.as_ref().map(|c| c.minor),
            architecture: d.architecture().ok().and_then(architecture),
            num_cores: d.num_cores().ok(),
            sm_count: d
                .attributes()
                .ok()
                .map(|a| a.multiprocessor_count)
                .filter(|n| *n > 0),
            memory_bus_width_bits: d.memory_bus_width().ok(),
            max_mem_clock_mhz: d.max_clock_info(Clock::Memory).ok(),
            max_sm_clock_mhz: d.max_clock_info(Clock::SM).ok(),
            sm_clock_mhz: d.clock_info(Clock::SM).ok(),
            pcie_gen_current: d.current_pcie_link_gen().ok(),
            pcie_gen_max: d.max_pcie_link_gen().ok(),
            pcie_width_current: d.current_pcie_link_width().ok(),
            pcie_width_max: d.max_pcie_link_width().ok(),
            nvlinks: nvlinks(d),
            power_limit_mw: d.enforced_power_limit().ok(),
            power_default_limit_mw: d.power_management_limit_default().ok(),
            power_min_limit_mw: limits.as_ref().map(|l| l.min_limit),
            power_max_limit_mw: limits.as_ref().map(|l| l.max_limit),
            power_usage_mw: d.power_usage().ok(),
            temperature_c: d.temperature(TemperatureSensor::Gpu).ok(),
            temperature_slowdown_c: d.temperature_threshold(TemperatureThreshold::Slowdown).ok(),
            temperature_shutdown_c: d.temperature_threshold(TemperatureThreshold::Shutdown).ok(),
            throttle_reasons: d.current_throttle_reasons().ok().map(|r| r.bits()),
            ecc_enabled: d.is_ecc_enabled().ok().map(|e| e.currently_enabled),
            ecc_uncorrected_volatile: d
                .total_ecc_errors(MemoryError::Uncorrected, EccCounter::Volatile)
                .ok(),
            mig_mode_current: mig_mode,
            mig_instances: mig_instances(d, mig_mode),
            numa_node: d.numa_node_id().ok(),
        }
    }

    fn architecture(a: DeviceArchitecture) -> Option<String> {
        let name = match a {
            DeviceArchitecture::Kepler => "kepler",
            DeviceArchitecture::Maxwell => "maxwell",
            DeviceArchitecture::Pascal => "pascal",
            DeviceArchitecture::Volta => "volta",
            DeviceArchitecture::Turing => "turing",
            DeviceArchitecture::Ampere => "ampere",
            DeviceArchitecture::Ada => "ada",
            DeviceArchitecture::Hopper => "hopper",
            DeviceArchitecture::Blackwell => "blackwell",
            DeviceArchitecture::Unknown => return None,
        };
        Some(String::from(name))
    }

    /// Links from 0 up to the first one NVML refuses (`InvalidArg` past the last link,
    /// `NotSupported` on GPUs without NVLink).
    fn nvlinks(d: &Device) -> Vec<NvmlLink> {
        let mut out = Vec::new();
        for link in 0..MAX_NVLINKS {
            let l = d.link_wrapper_for(link);
            let Ok(active) = l.is_active() else {
                break;
            };
            out.push(NvmlLink {
                link,
                active: Some(active),
                version: l.version().ok(),
                remote_pci_bus_id: l
                    .remote_pci_info()
                    .ok()
                    .map(|p| normalize_pci_bus_id(&p.bus_id)),
            });
        }
        out
    }

    /// MIG devices present; NVML only says how many there may be, so count the handles.
    fn mig_instances(d: &Device, mig_mode: Option<u32>) -> Option<u32> {
        match mig_mode? {
            1 => {
                let max = d.mig_device_count().ok()?;
                let present = (0..max)
                    .filter(|i| d.mig_device_by_index(*i).is_ok())
                    .count();
                u32::try_from(present).ok()
            }
            _ => Some(0),
        }
    }

    #[cfg(target_os = "linux")]
    fn topology(nvml: &Nvml, devices: &[Device], gpus: &[NvmlGpu]) -> Vec<NvmlPair> {
        use nvml_wrapper::enum_wrappers::device::TopologyLevel;
        let both: Vec<(&Device, &NvmlGpu)> = devices.iter().zip(gpus).collect();
        let mut pairs = Vec::new();
        for (i, (a, gpu_a)) in both.iter().enumerate() {
            for (b, gpu_b) in both.iter().skip(i + 1) {
                let Ok(level) = nvml.topology_common_ancestor(a, b) else {
                    continue;
                };
                let level = match level {
                    TopologyLevel::Internal => "internal",
                    TopologyLevel::Single => "single",
                    TopologyLevel::Multiple => "multiple",
                    TopologyLevel::HostBridge => "hostbridge",
                    TopologyLevel::Node => "node",
                    TopologyLevel::System => "system",
                };
                pairs.push(NvmlPair {
                    a: gpu_a.pci_bus_id.clone(),
                    b: gpu_b.pci_bus_id.clone(),
                    level: String::from(level),
                });
            }
        }
        pairs
    }

    /// NVML's topology calls exist on Linux only.
    #[cfg(not(target_os = "linux"))]
    fn topology(_nvml: &Nvml, _devices: &[Device], _gpus: &[NvmlGpu]) -> Vec<NvmlPair> {
        Vec::new()
    }
}
