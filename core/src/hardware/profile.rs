//! The hardware profile document (schema v1): what the probe read about one machine.
//!
//! Conventions, the same in every document trainfit reads and writes: snake_case keys, units in field names
//! (`*_bytes` integers, `*_gbs` GB/s decimal, `*_tflops`, `*_w`, `*_c`, `*_mhz`, `*_mbps` megabits
//! per second), unknown is `null` and never `0`. Every hardware number is a [`Value`] that says
//! where it came from.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::vocabulary::*;
use crate::wire::wire_names;

/// Version of the profile document this build writes and the newest it reads. 2 added the power
/// supply's `power.psu_w` and `power.psu_atx3`; version 1 profiles still read.
pub const PROFILE_SCHEMA_VERSION: u32 = 2;

fn profile_schema_version() -> u32 {
    PROFILE_SCHEMA_VERSION
}

/// Where a number came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The probe read it from the operating system, a driver, or a benchmark it ran.
    Measured,
    /// Looked up in trainfit's accelerator catalogue by the device's name.
    Catalogue,
    /// Inferred from indirect evidence (a browser's WebGPU hints, a rule of thumb).
    Estimated,
    /// Typed by the user.
    User,
}

/// A number and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Value<T> {
    /// The number, in the unit its field name says.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

impl<T> Value<T> {
    /// A value the probe read or measured.
    pub fn measured(value: T) -> Self {
        Value {
            value,
            source: Source::Measured,
        }
    }
    /// A value from the accelerator catalogue.
    pub fn catalogue(value: T) -> Self {
        Value {
            value,
            source: Source::Catalogue,
        }
    }
    /// A value inferred from indirect evidence.
    pub fn estimated(value: T) -> Self {
        Value {
            value,
            source: Source::Estimated,
        }
    }
}

/// Everything about one machine that matters for training and serving models.
///
/// The fields from `device_id` to `max_recommended_model_size_gb` are the flat device summary of
/// the earlier MLX cluster tooling, kept at the top level so its readers work unchanged; they are
/// derived from the detailed sections when the profile is completed.
///
/// Every profile the core reads from JSON is complete: `parse_profile` completes and checks it,
/// a plan request completes its `profile` as it is read and `plan` checks it, and the probe
/// completes what it collects. Completing is idempotent, so a complete profile written out and
/// read back is unchanged. Only the derived `Deserialize` on its own, or a profile built in code,
/// is as written: call `HardwareProfile::complete` on it before planning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct HardwareProfile {
    /// Document version. Default: the current version (1).
    #[serde(default = "profile_schema_version")]
    pub schema_version: u32,
    /// Who wrote this profile, when, and how long it took.
    #[serde(default)]
    pub probe: ProbeInfo,
    /// Stable identifier of this machine: a one-way hash of its machine id (or, where it has none,
    /// of its host name, CPU and memory), so the machine id itself is not revealed.
    #[serde(default)]
    pub device_id: Option<String>,
    /// Host name; `null` when redacted.
    #[serde(default)]
    pub hostname: Option<String>,
    /// Short name of the machine's main compute part, e.g. `M4 Pro`, `NVIDIA GeForce RTX 4090`, or the CPU brand on a CPU-only box.
    #[serde(default)]
    pub model: Option<String>,
    /// System memory in GiB (the cgroup limit when lower).
    #[serde(default)]
    pub memory_gb: Option<f64>,
    /// GPU cores: Apple GPU cores, NVIDIA CUDA cores, AMD compute units; summed over accelerators.
    #[serde(default)]
    pub gpu_cores: Option<u32>,
    /// Physical CPU cores.
    #[serde(default)]
    pub cpu_cores: Option<u32>,
    /// Performance cores on a hybrid CPU (Apple P-cores, Intel P-cores).
    #[serde(default)]
    pub cpu_performance_cores: Option<u32>,
    /// Efficiency cores on a hybrid CPU.
    #[serde(default)]
    pub cpu_efficiency_cores: Option<u32>,
    /// Apple Neural Engine cores (from the chip table); `null` elsewhere.
    #[serde(default)]
    pub neural_engine_cores: Option<u32>,
    /// Network bandwidth to other hosts in Gbit/s: the measured `trainfit net test` figure when
    /// present, else the fastest active interface's link speed.
    #[serde(default)]
    pub bandwidth_gbps: Option<f64>,
    /// Whether Apple's Metal (and so MLX) can run here: an Apple-silicon Mac with a Metal device.
    #[serde(default)]
    pub mlx_metal_available: Option<bool>,
    /// 80 % of the memory the main accelerator (or the CPU, without one) can use, in GB (1e9 bytes).
    #[serde(default)]
    pub max_recommended_model_size_gb: Option<f64>,
    /// Operating system, container and virtualisation.
    #[serde(default)]
    pub host: Host,
    /// The CPU.
    #[serde(default)]
    pub cpu: Cpu,
    /// System memory.
    #[serde(default)]
    pub memory: Memory,
    /// GPUs and other accelerators; software renderers appear with kind `cpu`.
    #[serde(default)]
    pub accelerators: Vec<Accelerator>,
    /// Links between accelerators.
    #[serde(default)]
    pub topology: Topology,
    /// Mounted file systems that can hold datasets and checkpoints.
    #[serde(default)]
    pub storage: Vec<Storage>,
    /// Battery, mains and CPU package power.
    #[serde(default)]
    pub power: Power,
    /// Temperature sensors.
    #[serde(default)]
    pub thermal: Vec<ThermalSensor>,
    /// Network interfaces.
    #[serde(default)]
    pub network: Vec<NetworkInterface>,
    /// Results of `trainfit probe --benchmark` and `trainfit net test`.
    #[serde(default)]
    pub benchmarks: Benchmarks,
    /// Fields withheld for privacy, as dotted paths (`hostname`, `accelerators[].uuid`).
    #[serde(default)]
    pub redactions: Vec<String>,
    /// Readers that failed, and why; the rest of the profile is still valid.
    #[serde(default)]
    pub errors: Vec<ProbeError>,
}

impl Default for HardwareProfile {
    /// An empty profile of the current version: everything unknown.
    fn default() -> Self {
        HardwareProfile {
            schema_version: PROFILE_SCHEMA_VERSION,
            probe: ProbeInfo::default(),
            device_id: None,
            hostname: None,
            model: None,
            memory_gb: None,
            gpu_cores: None,
            cpu_cores: None,
            cpu_performance_cores: None,
            cpu_efficiency_cores: None,
            neural_engine_cores: None,
            bandwidth_gbps: None,
            mlx_metal_available: None,
            max_recommended_model_size_gb: None,
            host: Host::default(),
            cpu: Cpu::default(),
            memory: Memory::default(),
            accelerators: Vec::new(),
            topology: Topology::default(),
            storage: Vec::new(),
            power: Power::default(),
            thermal: Vec::new(),
            network: Vec::new(),
            benchmarks: Benchmarks::default(),
            redactions: Vec::new(),
            errors: Vec::new(),
        }
    }
}

/// Who wrote the profile.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ProbeInfo {
    /// How the profile was made.
    #[serde(default)]
    pub kind: ProbeKind,
    /// Version of the program that wrote it.
    #[serde(default)]
    pub version: Option<String>,
    /// When it was collected, RFC 3339 in UTC.
    #[serde(default)]
    pub collected_at: Option<String>,
    /// Time spent collecting it, in milliseconds.
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

/// How a profile was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    /// The native `trainfit probe`.
    Native,
    /// The browser, from WebGPU and `navigator`.
    Browser,
    /// Typed or assembled by hand.
    #[default]
    Manual,
}

/// Operating system and environment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Operating system.
    #[serde(default)]
    pub os: Option<Os>,
    /// Distribution or product name with version, e.g. `Debian GNU/Linux 12 (bookworm)`.
    #[serde(default)]
    pub os_name: Option<String>,
    /// Kernel release.
    #[serde(default)]
    pub kernel: Option<String>,
    /// CPU architecture, e.g. `x86_64`, `aarch64`.
    #[serde(default)]
    pub arch: Option<String>,
    /// Running under Windows Subsystem for Linux.
    #[serde(default)]
    pub wsl: Option<bool>,
    /// Container runtime when inside one.
    #[serde(default)]
    pub container: Option<Container>,
    /// Hypervisor when in a virtual machine.
    #[serde(default)]
    pub virtualization: Option<Virtualization>,
    /// Laptop, desktop or server, from the firmware's chassis type.
    #[serde(default)]
    pub form_factor: Option<FormFactor>,
}

/// The CPU.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Cpu {
    /// Brand string, e.g. `AMD Ryzen 9 7950X 16-Core Processor`, `Apple M4 Pro`.
    #[serde(default)]
    pub brand: Option<String>,
    /// Vendor, e.g. `GenuineIntel`, `AuthenticAMD`, `Apple`, `ARM`.
    #[serde(default)]
    pub vendor: Option<String>,
    /// Sockets (physical packages).
    #[serde(default)]
    pub sockets: Option<Value<u32>>,
    /// Physical cores over all sockets.
    #[serde(default)]
    pub physical_cores: Option<Value<u32>>,
    /// Logical CPUs (hardware threads) the OS shows.
    #[serde(default)]
    pub logical_cores: Option<Value<u32>>,
    /// Performance cores on a hybrid CPU.
    #[serde(default)]
    pub performance_cores: Option<Value<u32>>,
    /// Efficiency cores on a hybrid CPU.
    #[serde(default)]
    pub efficiency_cores: Option<Value<u32>>,
    /// CPUs this process may use: affinity and cgroup quota applied.
    #[serde(default)]
    pub available_parallelism: Option<Value<u32>>,
    /// CPU quota of this process's cgroup, in cores; `null` when unlimited.
    #[serde(default)]
    pub cgroup_quota_cores: Option<Value<f64>>,
    /// Highest clock of any core.
    #[serde(default)]
    pub max_mhz: Option<Value<u32>>,
    /// Instruction-set extensions that matter for training on the CPU, in the order of their
    /// list.
    #[serde(default)]
    pub flags: Vec<CpuFlag>,
    /// NUMA nodes with their CPUs and memory.
    #[serde(default)]
    pub numa_nodes: Vec<NumaNode>,
}

/// One NUMA node.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct NumaNode {
    /// Node number.
    pub node: u32,
    /// Its CPUs as a kernel cpulist, e.g. `0-15,32-47`.
    #[serde(default)]
    pub cpus: Option<String>,
    /// Memory attached to it.
    #[serde(default)]
    pub memory_bytes: Option<Value<u64>>,
}

/// System memory.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Memory {
    /// Installed memory the OS sees (the host's, even inside a container).
    #[serde(default)]
    pub total_bytes: Option<Value<u64>>,
    /// Memory available to new allocations without swapping (`MemAvailable`).
    #[serde(default)]
    pub available_bytes: Option<Value<u64>>,
    /// Memory limit of this process's cgroup; `null` when unlimited.
    #[serde(default)]
    pub cgroup_limit_bytes: Option<Value<u64>>,
    /// Memory the cgroup already uses.
    #[serde(default)]
    pub cgroup_usage_bytes: Option<Value<u64>>,
    /// Swap space.
    #[serde(default)]
    pub swap_total_bytes: Option<Value<u64>>,
    /// Swap in use.
    #[serde(default)]
    pub swap_used_bytes: Option<Value<u64>>,
    /// Swap areas and what backs them.
    #[serde(default)]
    pub swap_devices: Vec<SwapDevice>,
    /// Size of `/dev/shm`, which PyTorch's DataLoader workers and NCCL use.
    #[serde(default)]
    pub shm_bytes: Option<Value<u64>>,
    /// CPU and accelerator share the same memory (Apple silicon, AMD APUs, GB10).
    #[serde(default)]
    pub unified: Option<bool>,
    /// Peak memory bandwidth of the platform, from the chip catalogue.
    #[serde(default)]
    pub bandwidth_gbs: Option<Value<f64>>,
}

/// One swap area.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct SwapDevice {
    /// Device or file, e.g. `/dev/nvme0n1p3`, `/swapfile`, `/dev/zram0`.
    pub name: String,
    /// Partition, file or zram (compressed RAM, not disk).
    #[serde(default)]
    pub kind: Option<SwapKind>,
    /// Size.
    #[serde(default)]
    pub size_bytes: Option<Value<u64>>,
    /// In use.
    #[serde(default)]
    pub used_bytes: Option<Value<u64>>,
}

/// Accelerator vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    /// NVIDIA.
    Nvidia,
    /// AMD.
    Amd,
    /// Intel.
    Intel,
    /// Apple.
    Apple,
    /// Anyone else (Qualcomm, Microsoft's WARP, Google's SwiftShader, Mesa's llvmpipe …).
    #[default]
    Other,
}

wire_names!(Vendor, "accelerators.vendor", {
    Nvidia => "nvidia",
    Amd => "amd",
    Intel => "intel",
    Apple => "apple",
    Other => "other",
});

impl Vendor {
    /// The vendor of a PCI vendor id.
    pub fn from_pci(id: u32) -> Vendor {
        // PCI-SIG vendor ids: 0x10de NVIDIA, 0x1002 AMD (ATI), 0x8086 Intel, 0x106b Apple.
        match id {
            0x10de => Vendor::Nvidia,
            0x1002 | 0x1022 => Vendor::Amd,
            0x8086 => Vendor::Intel,
            0x106b => Vendor::Apple,
            _ => Vendor::Other,
        }
    }
}

/// What kind of device an accelerator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum AcceleratorKind {
    /// Its own memory on a card or module.
    Discrete,
    /// Shares system memory through a small carve-out (laptop iGPUs, AMD APUs).
    Integrated,
    /// One memory pool for CPU and GPU by design (Apple silicon, GB10).
    Unified,
    /// A software renderer running on the CPU (llvmpipe, lavapipe, SwiftShader, WARP): not a GPU.
    Cpu,
    /// A virtual GPU of a hypervisor.
    Virtual,
    /// Not known.
    #[default]
    Unknown,
}

wire_names!(AcceleratorKind, "accelerators.kind", {
    Discrete => "discrete",
    Integrated => "integrated",
    Unified => "unified",
    Cpu => "cpu",
    Virtual => "virtual",
    Unknown => "unknown",
});

/// One GPU or other accelerator.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Accelerator {
    /// Vendor.
    #[serde(default)]
    pub vendor: Vendor,
    /// Name as the driver reports it, e.g. `NVIDIA GeForce RTX 4090`.
    pub name: String,
    /// Discrete, integrated, unified, software (cpu), virtual.
    #[serde(default)]
    pub kind: AcceleratorKind,
    /// The catalogue entry matched by name, when any.
    #[serde(default)]
    pub catalogue_name: Option<String>,
    /// PCI address `domain:bus:device.function`, the stable key (NVML and CUDA order differ).
    #[serde(default)]
    pub pci_bus_id: Option<String>,
    /// Vendor UUID; `null` when redacted (the default).
    #[serde(default)]
    pub uuid: Option<String>,
    /// Compute stack that drives it.
    #[serde(default)]
    pub backend: Option<Backend>,
    /// Architecture, e.g. `ampere`, `hopper`, `gfx1100`, `xe-hpg`, `apple-m4`.
    #[serde(default)]
    pub architecture: Option<String>,
    /// NVIDIA compute capability, e.g. `8.9`.
    #[serde(default)]
    pub compute_capability: Option<String>,
    /// Memory this device can allocate: VRAM, the Metal working set, or for APUs the GTT pool.
    #[serde(default)]
    pub memory_total_bytes: Option<Value<u64>>,
    /// Of that, free now.
    #[serde(default)]
    pub memory_free_bytes: Option<Value<u64>>,
    /// Which reading `memory_total_bytes` came from.
    #[serde(default)]
    pub memory_source: Option<MemorySource>,
    /// Dedicated VRAM (for an APU, the firmware carve-out; not to be added to `gtt_bytes`).
    #[serde(default)]
    pub vram_bytes: Option<Value<u64>>,
    /// AMD GTT: system memory the GPU may map.
    #[serde(default)]
    pub gtt_bytes: Option<Value<u64>>,
    /// Streaming multiprocessors (NVIDIA) or compute units (AMD, Intel Xe-cores).
    #[serde(default)]
    pub compute_units: Option<Value<u32>>,
    /// Shader cores: CUDA cores, Apple GPU cores, stream processors.
    #[serde(default)]
    pub cores: Option<Value<u32>>,
    /// Numeric types its matrix units run at full rate.
    #[serde(default)]
    pub dtypes: Vec<MatrixDtype>,
    /// Peak dense matrix throughput per dtype.
    #[serde(default)]
    pub peak_tflops: PeakTflops,
    /// Peak memory bandwidth.
    #[serde(default)]
    pub memory_bandwidth_gbs: Option<Value<f64>>,
    /// Memory bus width.
    #[serde(default)]
    pub memory_bus_width_bits: Option<Value<u32>>,
    /// Highest memory clock.
    #[serde(default)]
    pub memory_max_mhz: Option<Value<u32>>,
    /// Highest SM / shader clock.
    #[serde(default)]
    pub sm_max_mhz: Option<Value<u32>>,
    /// Current SM / shader clock.
    #[serde(default)]
    pub sm_mhz: Option<Value<u32>>,
    /// PCIe link.
    #[serde(default)]
    pub pcie: Option<Pcie>,
    /// Active NVLink links.
    #[serde(default)]
    pub nvlink_links: Option<Value<u32>>,
    /// NVLink version.
    #[serde(default)]
    pub nvlink_version: Option<u32>,
    /// Power limit in force.
    #[serde(default)]
    pub power_limit_w: Option<Value<f64>>,
    /// Default power limit.
    #[serde(default)]
    pub power_default_limit_w: Option<Value<f64>>,
    /// Lowest power limit that can be set.
    #[serde(default)]
    pub power_min_limit_w: Option<Value<f64>>,
    /// Highest power limit that can be set.
    #[serde(default)]
    pub power_max_limit_w: Option<Value<f64>>,
    /// Board power now.
    #[serde(default)]
    pub power_draw_w: Option<Value<f64>>,
    /// Thermal design power, from the catalogue.
    #[serde(default)]
    pub tdp_w: Option<Value<f64>>,
    /// Temperature now.
    #[serde(default)]
    pub temperature_c: Option<Value<f64>>,
    /// Temperature at which the GPU slows itself down.
    #[serde(default)]
    pub temperature_slowdown_c: Option<Value<f64>>,
    /// Temperature at which the GPU shuts down.
    #[serde(default)]
    pub temperature_shutdown_c: Option<Value<f64>>,
    /// Why clocks are held below their maximum now; idle is not a reason.
    #[serde(default)]
    pub throttle_reasons: Vec<ThrottleReason>,
    /// ECC enabled.
    #[serde(default)]
    pub ecc_enabled: Option<bool>,
    /// Uncorrected ECC errors since the driver loaded.
    #[serde(default)]
    pub ecc_uncorrected_errors: Option<Value<u64>>,
    /// Multi-Instance GPU mode enabled.
    #[serde(default)]
    pub mig_enabled: Option<bool>,
    /// MIG instances present.
    #[serde(default)]
    pub mig_instances: Option<u32>,
    /// Kernel driver version.
    #[serde(default)]
    pub driver_version: Option<String>,
    /// Compute runtime version the driver supports, e.g. CUDA `12.8`.
    #[serde(default)]
    pub runtime_version: Option<String>,
    /// NUMA node the device is attached to.
    #[serde(default)]
    pub numa_node: Option<u32>,
    /// Apple Neural Engine cores.
    #[serde(default)]
    pub neural_engine_cores: Option<Value<u32>>,
    /// Readers that contributed, in the order they did.
    #[serde(default)]
    pub sources: Vec<Reader>,
}

/// Peak dense throughput per dtype, TFLOP/s (TOP/s for int8).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct PeakTflops {
    /// fp32 (non-tensor).
    #[serde(default)]
    pub fp32: Option<Value<f64>>,
    /// TF32 tensor.
    #[serde(default)]
    pub tf32: Option<Value<f64>>,
    /// fp16 tensor, fp32 accumulate.
    #[serde(default)]
    pub fp16: Option<Value<f64>>,
    /// bf16 tensor, fp32 accumulate.
    #[serde(default)]
    pub bf16: Option<Value<f64>>,
    /// fp8 tensor.
    #[serde(default)]
    pub fp8: Option<Value<f64>>,
    /// int8 tensor, TOP/s.
    #[serde(default)]
    pub int8: Option<Value<f64>>,
}

/// A PCIe link.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Pcie {
    /// Generation now (drops at idle to save power).
    #[serde(default)]
    pub gen_current: Option<u32>,
    /// Highest generation the link supports.
    #[serde(default)]
    pub gen_max: Option<u32>,
    /// Lanes now.
    #[serde(default)]
    pub width_current: Option<u32>,
    /// Most lanes the link supports.
    #[serde(default)]
    pub width_max: Option<u32>,
}

/// How accelerators are connected to each other.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// One entry per pair of accelerators that the probe could relate.
    #[serde(default)]
    pub links: Vec<AcceleratorLink>,
}

/// The path between two accelerators, keyed by PCI bus id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct AcceleratorLink {
    /// PCI bus id of one end.
    pub a: String,
    /// PCI bus id of the other end.
    pub b: String,
    /// Closest common point.
    pub level: LinkLevel,
    /// NVLink links between the two.
    #[serde(default)]
    pub nvlink_links: Option<u32>,
}

/// One mounted file system.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// Mount point.
    pub mount_point: String,
    /// Block device, e.g. `nvme0n1`, `sda`, `vda`.
    #[serde(default)]
    pub device: Option<String>,
    /// File system type.
    #[serde(default)]
    pub file_system: Option<String>,
    /// What holds it.
    #[serde(default)]
    pub kind: Option<StorageKind>,
    /// Size.
    #[serde(default)]
    pub total_bytes: Option<Value<u64>>,
    /// Free for this user.
    #[serde(default)]
    pub available_bytes: Option<Value<u64>>,
    /// Removable (USB, SD card).
    #[serde(default)]
    pub removable: Option<bool>,
    /// Mounted read-only.
    #[serde(default)]
    pub read_only: Option<bool>,
}

/// Power sources.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Power {
    /// Has a battery.
    #[serde(default)]
    pub has_battery: Option<bool>,
    /// Running on battery now.
    #[serde(default)]
    pub on_battery: Option<bool>,
    /// Mains connected.
    #[serde(default)]
    pub ac_online: Option<bool>,
    /// Battery charge in percent.
    #[serde(default)]
    pub battery_percent: Option<Value<f64>>,
    /// Battery state as the OS reports it.
    #[serde(default)]
    pub battery_status: Option<BatteryStatus>,
    /// Power drawn from the battery now.
    #[serde(default)]
    pub battery_draw_w: Option<Value<f64>>,
    /// CPU package power limit (RAPL long-term constraint).
    #[serde(default)]
    pub cpu_package_limit_w: Option<Value<f64>>,
    /// Whether RAPL energy counters are readable by this user (root-only since Linux 5.10).
    #[serde(default)]
    pub rapl_readable: Option<bool>,
    /// Rating of the power supply, W: typed by the user (source `user`), since no interface
    /// reports it. Default: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_w: Option<Value<f64>>,
    /// Whether the power supply is ATX 3.0, typed by the user. Default: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_atx3: Option<bool>,
}

/// One temperature sensor.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ThermalSensor {
    /// Sensor name, e.g. `x86_pkg_temp`, `k10temp Tctl`, `amdgpu edge`.
    pub label: String,
    /// Temperature now.
    #[serde(default)]
    pub temperature_c: Option<Value<f64>>,
    /// Critical trip point.
    #[serde(default)]
    pub critical_c: Option<Value<f64>>,
}

/// One network interface.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct NetworkInterface {
    /// Interface name.
    pub name: String,
    /// What it is.
    #[serde(default)]
    pub kind: Option<NetworkKind>,
    /// Operationally up.
    #[serde(default)]
    pub up: Option<bool>,
    /// Negotiated link speed, megabits per second.
    #[serde(default)]
    pub speed_mbps: Option<Value<u64>>,
    /// MTU in bytes.
    #[serde(default)]
    pub mtu: Option<u32>,
}

/// Benchmark results.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Benchmarks {
    /// Multi-threaded STREAM triad (`a[i] = b[i] + s·c[i]`), counting 3 × 8 bytes per element as STREAM does.
    #[serde(default)]
    pub memory_bandwidth_gbs: Option<Value<f64>>,
    /// Threads the memory and CPU benchmarks used.
    #[serde(default)]
    pub cpu_threads: Option<u32>,
    /// Multi-threaded fp32 matrix multiply on the CPU, GFLOP/s (2·n³ per product).
    #[serde(default)]
    pub cpu_matmul_gflops: Option<Value<f64>>,
    /// fp32 matrix multiply through a wgpu compute shader, per real GPU adapter.
    #[serde(default)]
    pub gpu_matmul: Vec<GpuMatmul>,
    /// Sequential storage throughput, per directory tested.
    #[serde(default)]
    pub storage: Vec<StorageBenchmark>,
    /// Throughput to other hosts measured with `trainfit net test`.
    #[serde(default)]
    pub network: Vec<NetworkBenchmark>,
    /// Wall time of all benchmarks, milliseconds.
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

/// A GPU matrix-multiply result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct GpuMatmul {
    /// Adapter name.
    pub adapter: String,
    /// PCI bus id, when the backend reports it.
    #[serde(default)]
    pub pci_bus_id: Option<String>,
    /// wgpu backend used: Vulkan, Metal or DX12.
    #[serde(default)]
    pub backend: Option<Backend>,
    /// Matrix side.
    pub n: u32,
    /// Achieved fp32 TFLOP/s of a plain tiled WGSL kernel: a floor, well below vendor libraries.
    pub tflops: Value<f64>,
}

/// A storage result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct StorageBenchmark {
    /// Directory the test file was written in.
    pub path: String,
    /// Bytes written and read back.
    pub size_bytes: u64,
    /// Sequential write, MB/s (1e6), synced to the device.
    #[serde(default)]
    pub write_mbs: Option<Value<f64>>,
    /// Sequential read, MB/s (1e6), bypassing the page cache.
    #[serde(default)]
    pub read_mbs: Option<Value<f64>>,
    /// Whether the page cache was bypassed (`O_DIRECT`); when false the read may be cached.
    #[serde(default)]
    pub direct_io: Option<bool>,
}

/// A network result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct NetworkBenchmark {
    /// The peer as given, `HOST:PORT`.
    pub peer: String,
    /// This host to the peer, Gbit/s.
    #[serde(default)]
    pub send_gbps: Option<Value<f64>>,
    /// The peer to this host, Gbit/s.
    #[serde(default)]
    pub receive_gbps: Option<Value<f64>>,
    /// Round-trip latency, microseconds (median of small messages).
    #[serde(default)]
    pub latency_us: Option<Value<f64>>,
}

/// A reader that failed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ProbeError {
    /// Profile section it would have filled, e.g. `accelerators`, `memory`.
    pub section: String,
    /// The reader, e.g. `nvml`, `/sys/fs/cgroup/memory.max`, `wgpu`.
    pub source: String,
    /// What went wrong.
    pub message: String,
}
