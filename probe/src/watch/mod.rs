//! Samples of a training run's hardware for `trainfit watch`: per GPU, for the process tree it
//! launched, and for the host; the run's progress from its log; and the alerts that compare
//! them with a plan.
//!
//! Readers take what they read from as a parameter, as the probe's do: a [`Root`] file tree for
//! `/proc` and `/sys` (Linux) and a [`GpuSource`] for NVML, so the tests replay recorded trees
//! and NVML readings. What is read where:
//!
//! - NVIDIA (Linux, Windows): NVML's memory in use, per-process memory, utilisation, power,
//!   temperature, SM clock and clocks-event reasons ([`gpu`]).
//! - AMD (Linux): amdgpu's sysfs files (VRAM and GTT in use, busy share, hwmon power,
//!   temperature and clock) and the tree's VRAM from DRM's fdinfo statistics (`linux`).
//! - Host (Linux): `/proc/meminfo`, `/proc/stat`, `/proc/loadavg`, each process's
//!   `/proc/PID/status`, the cgroup memory limit, `/sys/class/power_supply`, thermal zones and
//!   hwmon. Elsewhere (macOS, Windows) memory, swap, CPU load and the process tree come from
//!   `sysinfo`; Apple GPUs' power and utilisation need `powermetrics` (root), so they are not read.

pub mod alerts;
pub mod gpu;
#[cfg(target_os = "linux")]
mod linux;
pub mod progress;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use trainfit_core::hardware::ThrottleReason;

pub use gpu::{GpuProcess, GpuReading, GpuSource, NoGpus, RecordedGpus, SystemGpus};

use crate::nvidia::throttle_reason_names;
use crate::root::Root;

/// One sample: what every device, the host and the watched processes did at one instant.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Sample {
    /// Seconds since the Unix epoch.
    pub time: f64,
    /// Seconds since the watch began.
    pub elapsed_s: f64,
    /// GPUs, NVIDIA (NVML) then AMD (sysfs).
    pub gpus: Vec<GpuSample>,
    /// The host.
    pub host: HostSample,
    /// The launched process and its descendants, while they run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessSample>,
    /// Readers that failed at this sample, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// One GPU at one instant.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GpuSample {
    /// PCI address, sysfs form.
    pub pci_bus_id: Option<String>,
    /// `nvidia` or `amd`.
    pub vendor: String,
    /// Name (NVML) or DRM card (`card1`).
    pub name: String,
    /// Device memory in use by every process, bytes.
    pub memory_used_bytes: Option<u64>,
    /// Device memory, bytes.
    pub memory_total_bytes: Option<u64>,
    /// Device memory the watched processes hold, bytes (NVML per process; amdgpu fdinfo).
    pub process_memory_bytes: Option<u64>,
    /// System memory the GPU has mapped (amdgpu GTT), bytes: on an APU, most of its memory.
    pub gtt_used_bytes: Option<u64>,
    /// Busy share, percent.
    pub utilization_percent: Option<u32>,
    /// Board power, W.
    pub power_w: Option<f64>,
    /// Power limit in force, W.
    pub power_limit_w: Option<f64>,
    /// Temperature, °C.
    pub temperature_c: Option<f64>,
    /// Slowdown temperature, °C.
    pub temperature_slowdown_c: Option<f64>,
    /// Core clock now, MHz.
    pub clock_mhz: Option<f64>,
    /// Highest core clock, MHz.
    pub max_clock_mhz: Option<f64>,
    /// Clocks-event reasons in force (NVML), `gpu_idle` left out.
    pub throttle: Vec<ThrottleReason>,
}

/// The host at one instant.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HostSample {
    /// RAM, bytes.
    pub memory_total_bytes: Option<u64>,
    /// RAM available without swapping, bytes.
    pub memory_available_bytes: Option<u64>,
    /// This process's cgroup memory limit, bytes, when below RAM.
    pub memory_limit_bytes: Option<u64>,
    /// Swap, bytes.
    pub swap_total_bytes: Option<u64>,
    /// Swap in use, bytes.
    pub swap_used_bytes: Option<u64>,
    /// Busy share of all CPUs since the previous sample, percent.
    pub cpu_busy_percent: Option<f64>,
    /// Run-queue average over a minute.
    pub load_1m: Option<f64>,
    /// Running on battery.
    pub on_battery: Option<bool>,
    /// Battery charge, percent.
    pub battery_percent: Option<f64>,
    /// Battery draw, W.
    pub battery_draw_w: Option<f64>,
    /// The hottest temperature sensor's label.
    pub hottest_sensor: Option<String>,
    /// Its temperature, °C.
    pub hottest_c: Option<f64>,
    /// Free space where the run writes, bytes.
    pub disk_free_bytes: Option<u64>,
}

/// The watched process tree at one instant.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessSample {
    /// The launched process.
    pub pid: u32,
    /// Processes in its tree.
    pub processes: u32,
    /// Resident memory of the tree, bytes (shared pages count once per process).
    pub rss_bytes: u64,
    /// Swapped-out memory of the tree, bytes.
    pub swap_bytes: u64,
    /// The tree's pids.
    #[serde(skip)]
    pub pids: BTreeSet<u32>,
}

/// An amdgpu device's files at one instant.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct AmdSample {
    card: String,
    pci_bus_id: Option<String>,
    vram_used_bytes: Option<u64>,
    vram_total_bytes: Option<u64>,
    gtt_used_bytes: Option<u64>,
    busy_percent: Option<u32>,
    power_w: Option<f64>,
    power_cap_w: Option<f64>,
    temperature_c: Option<f64>,
    clock_mhz: Option<f64>,
}

/// Free space of a mount point (`(total, available)` bytes); the live watch passes a statvfs
/// function, tests a fake.
pub type SpaceFn = fn(&str) -> Option<(u64, u64)>;

/// Takes samples: keeps what one sample needs from the previous one (CPU times) and the GPU
/// library, opened once.
pub struct Sampler {
    gpus: Box<dyn GpuSource>,
    /// The launched process, when there is one.
    pub pid: Option<u32>,
    /// Where the run writes (for the free space).
    pub disk_path: String,
    space: SpaceFn,
    #[cfg(target_os = "linux")]
    cpu: Option<linux::CpuTimes>,
    #[cfg(not(target_os = "linux"))]
    sys: Option<sysinfo::System>,
    gpu_error: Option<String>,
}

impl Sampler {
    /// A sampler over `gpus`, watching `pid` and its descendants.
    pub fn new(
        gpus: Box<dyn GpuSource>,
        pid: Option<u32>,
        disk_path: &str,
        space: SpaceFn,
    ) -> Sampler {
        Sampler {
            gpus,
            pid,
            disk_path: disk_path.to_string(),
            space,
            #[cfg(target_os = "linux")]
            cpu: None,
            #[cfg(not(target_os = "linux"))]
            sys: None,
            gpu_error: None,
        }
    }

    /// One sample at `time` (seconds since the epoch), `elapsed_s` after the watch began, with
    /// the host's files read from `root` (Linux; elsewhere `sysinfo` is asked).
    pub fn sample(&mut self, root: &Root, time: f64, elapsed_s: f64) -> Sample {
        let mut sample = Sample {
            time,
            elapsed_s,
            ..Sample::default()
        };
        self.host(root, &mut sample);
        sample.host.disk_free_bytes = (self.space)(&self.disk_path).map(|(_, free)| free);
        let tree = sample.process.as_ref().map(|p| &p.pids);
        match self.gpus.read() {
            Ok(readings) => sample
                .gpus
                .extend(readings.iter().map(|r| nvidia_sample(r, tree))),
            Err(e) => {
                // Said once: a machine without NVIDIA GPUs has no NVML, and that is no news
                // at every sample.
                let e = e.to_string();
                if self.gpu_error.as_ref() != Some(&e) {
                    sample.errors.push(format!("nvml: {e}"));
                    self.gpu_error = Some(e);
                }
            }
        }
        #[cfg(target_os = "linux")]
        {
            let amd_tree = tree.and_then(|t| linux::amd_tree_vram(root, t));
            let amd = linux::amd_gpus(root);
            let single = amd.len() == 1;
            sample.gpus.extend(amd.into_iter().map(|a| GpuSample {
                pci_bus_id: a.pci_bus_id,
                vendor: "amd".into(),
                name: a.card,
                memory_used_bytes: a.vram_used_bytes,
                memory_total_bytes: a.vram_total_bytes,
                // fdinfo does not say which card a client is on; with one card it is that one.
                process_memory_bytes: amd_tree.filter(|_| single),
                gtt_used_bytes: a.gtt_used_bytes,
                utilization_percent: a.busy_percent,
                power_w: a.power_w,
                power_limit_w: a.power_cap_w,
                temperature_c: a.temperature_c,
                clock_mhz: a.clock_mhz,
                ..GpuSample::default()
            }));
        }
        sample
    }

    #[cfg(target_os = "linux")]
    fn host(&mut self, root: &Root, sample: &mut Sample) {
        let (host, times) = linux::host(root, self.cpu);
        sample.host = host;
        self.cpu = times.or(self.cpu);
        sample.process = self.pid.and_then(|pid| linux::process_tree(root, pid));
    }

    #[cfg(not(target_os = "linux"))]
    fn host(&mut self, _root: &Root, sample: &mut Sample) {
        use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, RefreshKind, System};
        let sys = match &mut self.sys {
            Some(sys) => sys,
            None => match System::new_with_specifics(RefreshKind::nothing()) {
                Ok(sys) => self.sys.insert(sys),
                Err(e) => {
                    sample.errors.push(format!("sysinfo: {e}"));
                    return;
                }
            },
        };
        sys.refresh_memory();
        sys.refresh_cpu_usage();
        sys.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing().with_memory(),
        );
        let host = &mut sample.host;
        host.memory_total_bytes = Some(sys.total_memory()).filter(|b| *b > 0);
        host.memory_available_bytes = Some(sys.available_memory()).filter(|b| *b > 0);
        host.swap_total_bytes = Some(sys.total_swap());
        host.swap_used_bytes = Some(sys.used_swap());
        host.cpu_busy_percent = Some(f64::from(sys.global_cpu_usage()));
        host.load_1m = System::load_average()
            .ok()
            .map(|l| l.one)
            .filter(|l| *l > 0.0);
        if let Some(pid) = self.pid {
            let mut pids = BTreeSet::new();
            let mut todo = vec![pid];
            while let Some(p) = todo.pop() {
                if pids.insert(p) {
                    todo.extend(
                        sys.processes()
                            .iter()
                            .filter(|(_, pr)| pr.parent().map(|pp| pp.as_u32()) == Some(p))
                            .map(|(c, _)| c.as_u32()),
                    );
                }
            }
            let rss = pids
                .iter()
                .filter_map(|p| sys.process(sysinfo::Pid::from_u32(*p)))
                .map(|pr| pr.memory())
                .sum();
            if sys.process(sysinfo::Pid::from_u32(pid)).is_some() {
                sample.process = Some(ProcessSample {
                    pid,
                    processes: u32::try_from(pids.len()).unwrap_or(u32::MAX),
                    rss_bytes: rss,
                    swap_bytes: 0,
                    pids,
                });
            }
        }
    }
}

/// A sample's entry for an NVIDIA GPU; the tree's memory is the sum over its processes NVML
/// lists (none when NVML lists none of them, as in a container, whose pids NVML does not see).
fn nvidia_sample(r: &GpuReading, tree: Option<&BTreeSet<u32>>) -> GpuSample {
    let process_memory_bytes = tree.and_then(|t| {
        let mine: Vec<&GpuProcess> = r.processes.iter().filter(|p| t.contains(&p.pid)).collect();
        if mine.is_empty() {
            return None;
        }
        mine.iter().map(|p| p.used_bytes).sum::<Option<u64>>()
    });
    let watts = |mw: u32| f64::from(mw) / 1000.0;
    GpuSample {
        pci_bus_id: Some(crate::nvidia::normalize_pci_bus_id(&r.pci_bus_id)),
        vendor: "nvidia".into(),
        name: r.name.clone().unwrap_or_else(|| "NVIDIA GPU".into()),
        memory_used_bytes: r.memory_used_bytes,
        memory_total_bytes: r.memory_total_bytes,
        process_memory_bytes,
        gtt_used_bytes: None,
        utilization_percent: r.utilization_percent,
        power_w: r.power_usage_mw.map(watts),
        power_limit_w: r.power_limit_mw.map(watts),
        temperature_c: r.temperature_c.map(f64::from),
        temperature_slowdown_c: r.temperature_slowdown_c.map(f64::from),
        clock_mhz: r.sm_clock_mhz.map(f64::from),
        max_clock_mhz: r.max_sm_clock_mhz.map(f64::from),
        throttle: r
            .throttle_reasons
            .map(throttle_reason_names)
            .unwrap_or_default(),
    }
}
