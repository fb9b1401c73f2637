//! GPU readings for `trainfit watch`: NVML's live counters, as plain data a test can record.
//!
//! The probe's [`NvmlSource`](crate::nvidia::NvmlSource) reads a whole device description once
//! (links, topology, limits); a watcher asks for a few counters many times a second, with NVML
//! opened once (loading its symbols is the expensive part: nvml-wrapper's `Nvml::init`), so it
//! has its own source trait with the same split: a [`GpuSource`] produces [`GpuReading`]s and
//! the sampler turns them into a sample.

use serde::{Deserialize, Serialize};

use crate::Error;

/// One NVIDIA GPU's counters at one instant, in NVML's units (bytes, %, mW, °C, MHz).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GpuReading {
    /// PCI address, sysfs form (`0000:01:00.0`).
    pub pci_bus_id: String,
    /// Marketing name.
    pub name: Option<String>,
    /// Framebuffer in use (`nvmlDeviceGetMemoryInfo_v2`, `used`).
    pub memory_used_bytes: Option<u64>,
    /// Framebuffer size.
    pub memory_total_bytes: Option<u64>,
    /// Share of the last sample period in which a kernel ran (`nvmlDeviceGetUtilizationRates`, `gpu`).
    pub utilization_percent: Option<u32>,
    /// Board power now (`nvmlDeviceGetPowerUsage`).
    pub power_usage_mw: Option<u32>,
    /// Power limit in force (`nvmlDeviceGetEnforcedPowerLimit`).
    pub power_limit_mw: Option<u32>,
    /// GPU temperature.
    pub temperature_c: Option<u32>,
    /// Slowdown temperature threshold.
    pub temperature_slowdown_c: Option<u32>,
    /// SM clock now.
    pub sm_clock_mhz: Option<u32>,
    /// Highest SM clock.
    pub max_sm_clock_mhz: Option<u32>,
    /// Clocks-event ("throttle") reasons, NVML's bit mask.
    pub throttle_reasons: Option<u64>,
    /// Compute processes and their framebuffer use (`nvmlDeviceGetComputeRunningProcesses`);
    /// pids are those of NVML's PID namespace (the host's, in a container).
    pub processes: Vec<GpuProcess>,
}

/// A process on a GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuProcess {
    /// Process id.
    pub pid: u32,
    /// Framebuffer it uses; `None` where the driver does not say (Windows WDDM).
    pub used_bytes: Option<u64>,
}

/// Where GPU counters come from.
pub trait GpuSource {
    /// The counters of every GPU now.
    ///
    /// # Errors
    ///
    /// When the library cannot be loaded or started (then no later call succeeds either).
    fn read(&mut self) -> Result<Vec<GpuReading>, Error>;
}

/// Recorded readings, replayed one per call; the last repeats.
#[derive(Debug, Clone, Default)]
pub struct RecordedGpus {
    samples: Vec<Vec<GpuReading>>,
    next: usize,
}

impl RecordedGpus {
    /// Replays `samples` in order.
    pub fn new(samples: Vec<Vec<GpuReading>>) -> RecordedGpus {
        RecordedGpus { samples, next: 0 }
    }
}

impl GpuSource for RecordedGpus {
    fn read(&mut self) -> Result<Vec<GpuReading>, Error> {
        let i = self.next.min(self.samples.len().saturating_sub(1));
        self.next += 1;
        Ok(self.samples.get(i).cloned().unwrap_or_default())
    }
}

/// No GPU library: for machines without NVIDIA GPUs, and the sysfs-only tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoGpus;

impl GpuSource for NoGpus {
    fn read(&mut self) -> Result<Vec<GpuReading>, Error> {
        Ok(Vec::new())
    }
}

/// This machine's NVML, opened on the first read and kept.
#[derive(Default)]
pub struct SystemGpus {
    #[cfg(any(target_os = "linux", target_os = "windows"))]
    nvml: Option<nvml_wrapper::Nvml>,
}

impl std::fmt::Debug for SystemGpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SystemGpus")
    }
}

impl GpuSource for SystemGpus {
    #[cfg(any(target_os = "linux", target_os = "windows"))]
    fn read(&mut self) -> Result<Vec<GpuReading>, Error> {
        if self.nvml.is_none() {
            self.nvml = Some(crate::nvidia::open()?);
        }
        let Some(nvml) = &self.nvml else {
            return Ok(Vec::new());
        };
        Ok(live::read(nvml))
    }

    // nvml-wrapper looks for `nvml.dll` on every OS but Linux (see `nvidia::SystemNvml`).
    #[cfg(not(any(target_os = "linux", target_os = "windows")))]
    fn read(&mut self) -> Result<Vec<GpuReading>, Error> {
        Err(Error::NvmlUnsupported)
    }
}

#[cfg(any(target_os = "linux", target_os = "windows"))]
mod live {
    use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor, TemperatureThreshold};
    use nvml_wrapper::enums::device::UsedGpuMemory;
    use nvml_wrapper::{Device, Nvml};

    use super::{GpuProcess, GpuReading};
    use crate::nvidia::normalize_pci_bus_id;

    /// Every GPU NVML can open; one that fails is left out of this sample.
    pub(super) fn read(nvml: &Nvml) -> Vec<GpuReading> {
        let count = nvml.device_count().unwrap_or(0);
        (0..count)
            .filter_map(|i| nvml.device_by_index(i).ok())
            .filter_map(|d| Some(reading(&d, &d.pci_info().ok()?.bus_id)))
            .collect()
    }

    fn reading(d: &Device, bus_id: &str) -> GpuReading {
        let memory = d.memory_info().ok();
        GpuReading {
            pci_bus_id: normalize_pci_bus_id(bus_id),
            name: d.name().ok(),
            memory_used_bytes: memory.as_ref().map(|m| m.used),
            memory_total_bytes: memory.as_ref().map(|m| m.total),
            utilization_percent: d.utilization_rates().ok().map(|u| u.gpu),
            power_usage_mw: d.power_usage().ok(),
            power_limit_mw: d.enforced_power_limit().ok(),
            temperature_c: d.temperature(TemperatureSensor::Gpu).ok(),
            temperature_slowdown_c: d.temperature_threshold(TemperatureThreshold::Slowdown).ok(),
            sm_clock_mhz: d.clock_info(Clock::SM).ok(),
            max_sm_clock_mhz: d.max_clock_info(Clock::SM).ok(),
            throttle_reasons: d.current_throttle_reasons().ok().map(|r| r.bits()),
            processes: d
                .running_compute_processes()
                .map(|ps| {
                    ps.iter()
                        .map(|p| GpuProcess {
                            pid: p.pid,
                            used_bytes: match p.used_gpu_memory {
                                UsedGpuMemory::Used(b) => Some(b),
                                UsedGpuMemory::Unavailable => None,
                            },
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}
