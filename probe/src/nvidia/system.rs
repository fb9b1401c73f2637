//! The live reader, over nvml-wrapper.

use nvml_wrapper::enum_wrappers::device::{
    Clock, EccCounter, MemoryError, TemperatureSensor, TemperatureThreshold,
};
use nvml_wrapper::enums::device::DeviceArchitecture;
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::{Device, Nvml};

use super::convert::normalize_pci_bus_id;
use super::snapshot::{NvmlGpu, NvmlLink, NvmlPair, NvmlSnapshot};
use crate::error::Error;

/// `NVML_NVLINK_MAX_LINKS` in the NVML 12 headers (nvml-wrapper-sys 0.10 bindings).
const MAX_NVLINKS: u32 = 18;

/// What this machine's NVML reports.
pub(super) fn snapshot() -> Result<NvmlSnapshot, Error> {
    let nvml = init()?;
    let count = nvml.device_count().map_err(|e| Error::Nvml {
        step: "could not count GPUs",
        cause: e.to_string(),
    })?;
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

/// Loads NVML; on WSL the library sits in `/usr/lib/wsl/lib`, outside the loader path in some
/// distributions (<https://docs.nvidia.com/cuda/wsl-user-guide/index.html>;
/// <https://github.com/XuehaiPan/nvitop/pull/30>).
pub(crate) fn init() -> Result<Nvml, Error> {
    match Nvml::init() {
        Ok(nvml) => Ok(nvml),
        Err(NvmlError::LibloadingError(_)) if cfg!(target_os = "linux") => {
            let wsl = "/usr/lib/wsl/lib/libnvidia-ml.so.1";
            if std::path::Path::new(wsl).exists() {
                Nvml::builder()
                    .lib_path(std::ffi::OsStr::new(wsl))
                    .init()
                    .map_err(|e| init_error(&e))
            } else {
                Err(Error::NvmlNotFound)
            }
        }
        Err(e) => Err(init_error(&e)),
    }
}

fn init_error(e: &NvmlError) -> Error {
    match e {
        NvmlError::LibloadingError(_) | NvmlError::LibraryNotFound => Error::NvmlNotFound,
        NvmlError::DriverNotLoaded => Error::NvidiaDriverNotLoaded,
        NvmlError::NoPermission => Error::NvidiaPermissionDenied,
        other => Error::Nvml {
            step: "failed to start",
            cause: other.to_string(),
        },
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
