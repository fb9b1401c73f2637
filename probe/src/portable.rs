//! Readers through `sysinfo`, for the systems without a procfs/sysfs reader of our own: Windows
//! (CPU, memory, disks, network, and GPUs through DXGI) and macOS (disks and network; the rest is
//! in [`crate::apple`]). On Linux the [`crate::linux`] readers cover all of this from files.

use sysinfo::{CpuRefreshKind, DiskKind, Disks, Gpus, Networks, RefreshKind, System};
use trainfit_core::hardware::{
    Accelerator, AcceleratorKind, CpuFlag, HardwareProfile, MemorySource, NetworkInterface,
    NetworkKind, Os, ProbeError, Reader, Storage, StorageKind, Value, Vendor,
};

/// Host, CPU and memory.
pub fn read_system(profile: &mut HardwareProfile) {
    let sys = match System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::everything())
            .with_memory(sysinfo::MemoryRefreshKind::everything()),
    ) {
        Ok(sys) => sys,
        Err(e) => return failed(profile, "cpu", e),
    };
    let host = &mut profile.host;
    // Names outside the profile's list (`freebsd`, …) read as `other`.
    host.os = std::env::consts::OS.parse::<Os>().ok();
    host.os_name = System::long_os_version().ok();
    host.kernel = System::kernel_version().ok();
    host.arch = Some(std::env::consts::ARCH.into());

    let cpu = &mut profile.cpu;
    if let Some(first) = sys.cpus().first() {
        cpu.brand = Some(first.brand().trim().to_string()).filter(|b| !b.is_empty());
        cpu.vendor = Some(first.vendor_id().to_string()).filter(|v| !v.is_empty());
        let mhz = sys.cpus().iter().map(|c| c.frequency()).max().unwrap_or(0);
        cpu.max_mhz = u32::try_from(mhz)
            .ok()
            .filter(|&m| m > 0)
            .map(Value::measured);
    }
    cpu.logical_cores = u32::try_from(sys.cpus().len())
        .ok()
        .filter(|&n| n > 0)
        .map(Value::measured);
    cpu.physical_cores = System::physical_core_count()
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .map(Value::measured);
    cpu.available_parallelism = std::thread::available_parallelism()
        .ok()
        .and_then(|n| u32::try_from(n.get()).ok())
        .map(Value::measured);
    add_x86_flags(&mut cpu.flags);

    let memory = &mut profile.memory;
    memory.total_bytes = Some(sys.total_memory())
        .filter(|&b| b > 0)
        .map(Value::measured);
    memory.available_bytes = Some(sys.available_memory())
        .filter(|&b| b > 0)
        .map(Value::measured);
    memory.swap_total_bytes = Some(Value::measured(sys.total_swap()));
    memory.swap_used_bytes = Some(Value::measured(sys.used_swap()));
}

/// SIMD extensions the running CPU and OS support, by the standard library's runtime detection
/// (which also checks that the OS saves the wider registers).
fn add_x86_flags(flags: &mut Vec<CpuFlag>) {
    #[cfg(target_arch = "x86_64")]
    {
        let detected = [
            (CpuFlag::Avx, std::arch::is_x86_feature_detected!("avx")),
            (CpuFlag::Avx2, std::arch::is_x86_feature_detected!("avx2")),
            (CpuFlag::Fma, std::arch::is_x86_feature_detected!("fma")),
            (CpuFlag::F16c, std::arch::is_x86_feature_detected!("f16c")),
            (
                CpuFlag::Avx512f,
                std::arch::is_x86_feature_detected!("avx512f"),
            ),
            (
                CpuFlag::Avx512bw,
                std::arch::is_x86_feature_detected!("avx512bw"),
            ),
            (
                CpuFlag::Avx512Vnni,
                std::arch::is_x86_feature_detected!("avx512vnni"),
            ),
            (
                CpuFlag::Avx512Bf16,
                std::arch::is_x86_feature_detected!("avx512bf16"),
            ),
        ];
        for (flag, present) in detected {
            if present && !flags.contains(&flag) {
                flags.push(flag);
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = flags;
}

/// Mounted disks with their kind and free space.
pub fn read_storage(profile: &mut HardwareProfile) {
    let disks = match Disks::new_with_refreshed_list() {
        Ok(d) => d,
        Err(e) => return failed(profile, "storage", e),
    };
    for disk in &disks {
        let kind = match disk.kind() {
            DiskKind::SSD => StorageKind::Ssd,
            DiskKind::HDD => StorageKind::Hdd,
            DiskKind::Unknown(_) => StorageKind::Unknown,
        };
        profile.storage.push(Storage {
            mount_point: disk.mount_point().to_string_lossy().into_owned(),
            device: Some(disk.name().to_string_lossy().into_owned()).filter(|d| !d.is_empty()),
            file_system: Some(disk.file_system().to_string_lossy().into_owned()),
            kind: Some(kind),
            total_bytes: Some(Value::measured(disk.total_space())),
            available_bytes: Some(Value::measured(disk.available_space())),
            removable: Some(disk.is_removable()),
            read_only: Some(disk.is_read_only()),
        });
    }
}

/// Network interfaces and their link speeds (no addresses: they identify the machine).
pub fn read_network(profile: &mut HardwareProfile) {
    let networks = match Networks::new_with_refreshed_list() {
        Ok(n) => n,
        Err(e) => return failed(profile, "network", e),
    };
    for (name, data) in &networks {
        let name = name.to_string_lossy().into_owned();
        let kind = if name == "lo" || name.starts_with("lo0") || name.contains("Loopback") {
            NetworkKind::Loopback
        } else {
            NetworkKind::Other
        };
        profile.network.push(NetworkInterface {
            kind: Some(kind),
            up: Some(matches!(
                data.operational_state(),
                sysinfo::InterfaceOperationalState::Up
            )),
            // sysinfo reports bits per second.
            speed_mbps: data
                .transmit_link_speed()
                .filter(|&b| b > 0)
                .map(|b| Value::measured(b / 1_000_000)),
            mtu: u32::try_from(data.mtu()).ok().filter(|&m| m > 0),
            name,
        });
    }
}

/// GPUs through sysinfo: DXGI adapters with their dedicated memory on Windows
/// (`DXGI_ADAPTER_DESC.DedicatedVideoMemory`, a `SIZE_T`:
/// <https://learn.microsoft.com/en-us/windows/win32/api/dxgi/ns-dxgi-dxgi_adapter_desc>), unlike
/// WMI's `Win32_VideoController.AdapterRAM`, a `uint32` that stops at 4 GiB
/// (<https://learn.microsoft.com/en-us/windows/win32/cimwin32prov/win32-videocontroller>).
pub fn read_gpus(profile: &mut HardwareProfile) {
    let gpus = match Gpus::new_with_refreshed_list() {
        Ok(g) => g,
        Err(e) => return failed(profile, "accelerators", e),
    };
    for gpu in &gpus {
        let name = gpu.model().unwrap_or("unknown GPU").to_string();
        let vendor = match gpu.vendor().map(str::to_lowercase) {
            Some(v) if v.contains("nvidia") => Vendor::Nvidia,
            Some(v) if v.contains("amd") || v.contains("advanced micro") => Vendor::Amd,
            Some(v) if v.contains("intel") => Vendor::Intel,
            _ => Vendor::Other,
        };
        let software = ["Microsoft Basic Render", "WARP"]
            .iter()
            .any(|s| name.contains(s));
        profile.accelerators.push(Accelerator {
            vendor,
            kind: if software {
                AcceleratorKind::Cpu
            } else {
                AcceleratorKind::Unknown
            },
            pci_bus_id: Some(gpu.pci().to_string()).filter(|p| !p.starts_with("ffffffff")),
            memory_total_bytes: gpu.total_memory().map(Value::measured),
            memory_source: gpu.total_memory().map(|_| MemorySource::Dxgi),
            sources: vec![Reader::Sysinfo],
            name,
            ..Accelerator::default()
        });
    }
}

fn failed(profile: &mut HardwareProfile, section: &str, e: sysinfo::Error) {
    profile.errors.push(ProbeError {
        section: section.into(),
        source: "sysinfo".into(),
        message: e.to_string(),
    });
}
