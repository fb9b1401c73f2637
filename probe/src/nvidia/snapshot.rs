//! What NVML reported, as plain data: the snapshot a reader produces and the tests record.

use serde::{Deserialize, Serialize};

/// What NVML reported, as plain data, so tests can feed recorded values to [`read`](super::read).
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
    /// PCI address; normalised by [`normalize_pci_bus_id`](super::normalize_pci_bus_id) when read.
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
    /// NVML's `nvmlNvlinkVersion_t` code (6 is NVLink 4.0), see [`nvlink_generation`](super::nvlink_generation).
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
