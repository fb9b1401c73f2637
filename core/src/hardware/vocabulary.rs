//! The closed sets of the hardware profile: every field that holds one name out of a known list.
//!
//! Each is a snake_case enum, so the schema lists the names and the planner matches on variants
//! instead of comparing strings. Sets named by the outside world (operating systems, container
//! runtimes, hypervisors, graphics APIs, battery states) have a catch-all variant that any name
//! outside the list reads as (`#[serde(other)]`), so a profile written by a newer probe, or by
//! hand, still reads; sets whose names are trainfit's own refuse a name they do not hold.

use serde::{Deserialize, Serialize};

use crate::wire::wire_names;

/// Operating system, as `std::env::consts::OS` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Os {
    /// Linux (WSL included: see `Host::wsl`).
    Linux,
    /// macOS.
    Macos,
    /// Windows.
    Windows,
    /// Any other system (`freebsd`, `android`, …); also what any name outside this list reads as.
    #[serde(other)]
    Other,
}

wire_names!(Os, other = Other, {
    Linux => "linux",
    Macos => "macos",
    Windows => "windows",
    Other => "other",
});

/// Container runtime the probe ran in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// A Kubernetes pod (whatever runtime runs it).
    Kubernetes,
    /// Docker.
    Docker,
    /// Podman.
    Podman,
    /// LXC or LXD (systemd's `lxc` and `lxc-libvirt`).
    Lxc,
    /// systemd-nspawn.
    SystemdNspawn,
    /// Another runtime named in `/run/systemd/container`; also what any name outside this list
    /// reads as.
    #[serde(other)]
    Other,
}

wire_names!(Container, other = Other, {
    Kubernetes => "kubernetes",
    Docker => "docker",
    Podman => "podman",
    Lxc => "lxc",
    SystemdNspawn => "systemd_nspawn",
    Other => "other",
});

/// Hypervisor of a virtual machine, in systemd-detect-virt's names (`hyperv` for its `microsoft`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Virtualization {
    /// KVM, QEMU, OpenStack, KubeVirt.
    Kvm,
    /// Amazon EC2's Nitro hypervisor.
    Amazon,
    /// VMware.
    Vmware,
    /// Oracle VirtualBox.
    Oracle,
    /// Xen.
    Xen,
    /// Bochs.
    Bochs,
    /// Parallels.
    Parallels,
    /// bhyve.
    Bhyve,
    /// Microsoft Hyper-V (WSL 2 included).
    Hyperv,
    /// Apple's Virtualization framework.
    Apple,
    /// Google Compute Engine.
    Google,
    /// A hypervisor the CPU reports but nothing names; also what any name outside this list
    /// reads as.
    #[serde(other)]
    Unknown,
}

wire_names!(Virtualization, other = Unknown, {
    Kvm => "kvm",
    Amazon => "amazon",
    Vmware => "vmware",
    Oracle => "oracle",
    Xen => "xen",
    Bochs => "bochs",
    Parallels => "parallels",
    Bhyve => "bhyve",
    Hyperv => "hyperv",
    Apple => "apple",
    Google => "google",
    Unknown => "unknown",
});

/// The machine's shape, from the firmware's chassis type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum FormFactor {
    /// Portable, laptop, notebook, convertible, detachable: runs on a battery and throttles sooner.
    Laptop,
    /// Desktop, tower, all-in-one, mini PC.
    Desktop,
    /// Rack-mount, blade, server chassis.
    Server,
}

wire_names!(FormFactor, "host.form_factor", {
    Laptop => "laptop",
    Desktop => "desktop",
    Server => "server",
});

/// Instruction-set extensions that matter for training on the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum CpuFlag {
    /// x86 AVX.
    Avx,
    /// x86 AVX2.
    Avx2,
    /// x86 FMA3.
    Fma,
    /// x86 half-precision conversions.
    F16c,
    /// x86 AVX-512 Foundation.
    Avx512f,
    /// x86 AVX-512 byte and word instructions.
    Avx512bw,
    /// x86 AVX-512 vector neural network instructions (int8 dot products).
    Avx512Vnni,
    /// x86 AVX-512 bf16 dot products.
    Avx512Bf16,
    /// x86 AVX-512 fp16 arithmetic.
    Avx512Fp16,
    /// x86 AVX-VNNI (the VEX-encoded int8 dot products of hybrid cores).
    AvxVnni,
    /// x86 AMX tile registers.
    AmxTile,
    /// x86 AMX bf16 tile multiply.
    AmxBf16,
    /// x86 AMX int8 tile multiply.
    AmxInt8,
    /// arm64 Advanced SIMD (NEON).
    Neon,
    /// arm64 int8 dot products.
    Asimddp,
    /// arm64 half-precision arithmetic.
    Fp16,
    /// arm64 bf16 instructions.
    Bf16,
    /// arm64 int8 matrix multiply.
    I8mm,
    /// arm64 Scalable Vector Extension.
    Sve,
    /// arm64 SVE2.
    Sve2,
    /// arm64 Scalable Matrix Extension.
    Sme,
    /// arm64 SME2.
    Sme2,
}

wire_names!(CpuFlag, "cpu.flags", {
    Avx => "avx",
    Avx2 => "avx2",
    Fma => "fma",
    F16c => "f16c",
    Avx512f => "avx512f",
    Avx512bw => "avx512bw",
    Avx512Vnni => "avx512_vnni",
    Avx512Bf16 => "avx512_bf16",
    Avx512Fp16 => "avx512_fp16",
    AvxVnni => "avx_vnni",
    AmxTile => "amx_tile",
    AmxBf16 => "amx_bf16",
    AmxInt8 => "amx_int8",
    Neon => "neon",
    Asimddp => "asimddp",
    Fp16 => "fp16",
    Bf16 => "bf16",
    I8mm => "i8mm",
    Sve => "sve",
    Sve2 => "sve2",
    Sme => "sme",
    Sme2 => "sme2",
});

/// What backs a swap area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum SwapKind {
    /// A disk partition.
    Partition,
    /// A file on a file system.
    File,
    /// Compressed RAM (zram), not disk.
    Zram,
}

wire_names!(SwapKind, "memory.swap_devices.kind", {
    Partition => "partition",
    File => "file",
    Zram => "zram",
});

/// Compute stack that drives an accelerator (or that a benchmark ran through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// NVIDIA CUDA.
    Cuda,
    /// AMD ROCm.
    Rocm,
    /// Apple Metal.
    Metal,
    /// Intel XPU (oneAPI, Intel Extension for PyTorch).
    Xpu,
    /// Vulkan.
    Vulkan,
    /// Direct3D 12.
    Dx12,
    /// Another stack (a wgpu backend such as GL); also what any name outside this list reads as.
    #[serde(other)]
    Other,
}

wire_names!(Backend, other = Other, {
    Cuda => "cuda",
    Rocm => "rocm",
    Metal => "metal",
    Xpu => "xpu",
    Vulkan => "vulkan",
    Dx12 => "dx12",
    Other => "other",
});

/// Which reading an accelerator's `memory_total_bytes` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum MemorySource {
    /// NVML's framebuffer total.
    Nvml,
    /// amdgpu's `mem_info_vram_total`.
    AmdgpuVram,
    /// amdgpu's `mem_info_gtt_total` (an APU's pool in system memory).
    AmdgpuGtt,
    /// xe's `physical_vram_size_bytes`, summed over tiles.
    XeVram,
    /// i915's `lmem_total_bytes`.
    I915Lmem,
    /// Metal's `recommendedMaxWorkingSetSize`.
    MetalWorkingSet,
    /// DXGI's dedicated video memory.
    Dxgi,
    /// A Vulkan device-local memory heap.
    VulkanHeap,
    /// The accelerator catalogue, for a card no reader sized.
    Catalogue,
}

wire_names!(MemorySource, "accelerators.memory_source", {
    Nvml => "nvml",
    AmdgpuVram => "amdgpu_vram",
    AmdgpuGtt => "amdgpu_gtt",
    XeVram => "xe_vram",
    I915Lmem => "i915_lmem",
    MetalWorkingSet => "metal_working_set",
    Dxgi => "dxgi",
    VulkanHeap => "vulkan_heap",
    Catalogue => "catalogue",
});

/// A numeric type an accelerator's matrix units run at full rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum MatrixDtype {
    /// 64-bit float.
    Fp64,
    /// 32-bit float.
    Fp32,
    /// TensorFloat-32.
    Tf32,
    /// IEEE half.
    Fp16,
    /// bfloat16.
    Bf16,
    /// 8-bit float (e4m3/e5m2).
    Fp8,
    /// 8-bit integer.
    Int8,
}

wire_names!(MatrixDtype, "accelerators.dtypes", {
    Fp64 => "fp64",
    Fp32 => "fp32",
    Tf32 => "tf32",
    Fp16 => "fp16",
    Bf16 => "bf16",
    Fp8 => "fp8",
    Int8 => "int8",
});

/// Why an NVIDIA GPU holds its clocks below their maximum (NVML's clocks-event reasons, without
/// `gpu_idle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum ThrottleReason {
    /// Application clocks were set below the maximum.
    ApplicationsClocksSetting,
    /// The software power cap (the power limit) holds the clocks.
    SwPowerCap,
    /// Hardware slowdown (temperature or power brake).
    HwSlowdown,
    /// Sync boost with other GPUs.
    SyncBoost,
    /// Software thermal slowdown.
    SwThermalSlowdown,
    /// Hardware thermal slowdown.
    HwThermalSlowdown,
    /// External power brake (the power supply asked for less).
    HwPowerBrake,
    /// The display clock setting.
    DisplayClockSetting,
}

wire_names!(ThrottleReason, "accelerators.throttle_reasons", {
    ApplicationsClocksSetting => "applications_clocks_setting",
    SwPowerCap => "sw_power_cap",
    HwSlowdown => "hw_slowdown",
    SyncBoost => "sync_boost",
    SwThermalSlowdown => "sw_thermal_slowdown",
    HwThermalSlowdown => "hw_thermal_slowdown",
    HwPowerBrake => "hw_power_brake",
    DisplayClockSetting => "display_clock_setting",
});

/// A reader that contributed to an accelerator's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Reader {
    /// NVIDIA's management library.
    Nvml,
    /// Linux sysfs and procfs.
    Sysfs,
    /// wgpu's adapter list.
    Wgpu,
    /// The sysinfo crate (Windows, macOS).
    Sysinfo,
    /// Metal's default device (macOS).
    Metal,
    /// The I/O Registry (macOS).
    Ioreg,
    /// trainfit's accelerator catalogue.
    Catalogue,
    /// A browser's WebGPU adapter (`GPUAdapterInfo`), read by the npm package.
    Webgpu,
}

wire_names!(Reader, "accelerators.sources", {
    Nvml => "nvml",
    Sysfs => "sysfs",
    Wgpu => "wgpu",
    Sysinfo => "sysinfo",
    Metal => "metal",
    Ioreg => "ioreg",
    Catalogue => "catalogue",
    Webgpu => "webgpu",
});

/// Closest common point of the path between two accelerators, nearest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum LinkLevel {
    /// Joined by NVLink (directly or through NVSwitches).
    Nvlink,
    /// On the same board (a dual-GPU card).
    Board,
    /// Behind one PCIe switch.
    PcieSwitch,
    /// Behind several PCIe switches.
    PcieSwitches,
    /// Behind the same host bridge.
    HostBridge,
    /// On the same NUMA node.
    NumaNode,
    /// Across sockets.
    System,
}

wire_names!(LinkLevel, "topology.links.level", {
    Nvlink => "nvlink",
    Board => "board",
    PcieSwitch => "pcie_switch",
    PcieSwitches => "pcie_switches",
    HostBridge => "host_bridge",
    NumaNode => "numa_node",
    System => "system",
});

/// What holds a file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum StorageKind {
    /// An NVMe SSD.
    Nvme,
    /// A SATA or SAS SSD.
    Ssd,
    /// A spinning disk.
    Hdd,
    /// A virtual machine's disk, whose backing is unknown.
    Virtual,
    /// A network file system.
    Network,
    /// Memory (zram).
    Ram,
    /// Not known.
    Unknown,
}

wire_names!(StorageKind, "storage.kind", {
    Nvme => "nvme",
    Ssd => "ssd",
    Hdd => "hdd",
    Virtual => "virtual",
    Network => "network",
    Ram => "ram",
    Unknown => "unknown",
});

/// Battery state as the operating system reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum BatteryStatus {
    /// Charging.
    Charging,
    /// Discharging: the machine runs on it.
    Discharging,
    /// Full.
    Full,
    /// On mains but not charging (a charge limit, or a full-enough battery).
    NotCharging,
    /// The OS does not say; also what any name outside this list reads as.
    #[serde(other)]
    Unknown,
}

wire_names!(BatteryStatus, other = Unknown, {
    Charging => "charging",
    Discharging => "discharging",
    Full => "full",
    NotCharging => "not_charging",
    Unknown => "unknown",
});

/// What a network interface is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// Ethernet.
    Ethernet,
    /// Wi-Fi.
    Wifi,
    /// InfiniBand.
    Infiniband,
    /// The loopback interface.
    Loopback,
    /// A software interface: bridge, veth, tun, `docker0`.
    Virtual,
    /// Anything else.
    Other,
}

wire_names!(NetworkKind, "network.kind", {
    Ethernet => "ethernet",
    Wifi => "wifi",
    Infiniband => "infiniband",
    Loopback => "loopback",
    Virtual => "virtual",
    Other => "other",
});
