//! The ranges a profile's numbers must lie in before the planner divides by or multiplies with
//! them.
//!
//! A profile comes from the probe, from a browser or from a user's editor, and JSON carries any
//! number: a `peak_tflops` of 0 would make an infinite step time, a negative one negative times,
//! a CPU clock of 0 infinite times, a `tdp_w` of -1 negative energy, a 1-byte GPU a plan for
//! nothing. Each bound is wide enough for any machine that exists (the catalogue's largest part
//! times a generous factor), and a number outside it is refused with its field's path, never
//! clamped. Unknown is `null`, never `0`, so a 0 where 0 would mean "nothing" is refused too.

use alloc::format;
use alloc::string::String;

use super::profile::{HardwareProfile, PeakTflops, Value, PROFILE_SCHEMA_VERSION};
use crate::error::{Echo, Error, Result};

/// Smallest memory size accepted, bytes (1 MiB). Below it the number is almost surely in another
/// unit (`24` meant as 24 GB, `24576` as MiB), and nothing trains in it.
pub const MIN_MEMORY_BYTES: u64 = 1 << 20;

/// Largest memory size accepted, bytes (1 PiB): about twenty times the memory of the largest
/// single machine sold (HPE Superdome Flex, up to 48 TB: hpe.com, "HPE Superdome Flex Server"
/// QuickSpecs) and 2,000 times the largest accelerator in the catalogue (512 GiB).
pub const MAX_MEMORY_BYTES: u64 = 1 << 50;

/// Slowest peak accepted, TFLOP/s: 1 GFLOP/s, about a late-1990s desktop CPU (a 500 MHz
/// Pentium III's SSE: 4 fp32 FLOP per cycle). The slowest catalogue entry has 2.6 TFLOP/s.
pub const MIN_TFLOPS: f64 = 1e-3;

/// Fastest peak accepted, TFLOP/s: about twenty times the fastest dense rate in the catalogue
/// (4500 TFLOP/s fp8 of the NVIDIA B200; the test below checks every entry is inside).
pub const MAX_TFLOPS: f64 = 1e5;

/// Slowest memory bandwidth accepted, GB/s: below any DRAM since single-channel PC66 SDRAM
/// (0.53 GB/s: 66 MHz on a 64-bit bus).
pub const MIN_BANDWIDTH_GBS: f64 = 0.1;

/// Fastest memory bandwidth accepted, GB/s: about thirteen times the fastest in the catalogue
/// (7700 GB/s).
pub const MAX_BANDWIDTH_GBS: f64 = 1e5;

/// Lowest power accepted for an accelerator, W: no accelerator that trains draws less (the
/// catalogue's smallest TDP is 70 W, a Jetson module's lowest mode about 7 W); below 1 the
/// number is almost surely kW.
pub const MIN_POWER_W: f64 = 1.0;

/// Highest power accepted for one accelerator, W: ten times the largest board power in the
/// catalogue (1000 W).
pub const MAX_POWER_W: f64 = 1e4;

/// Lowest CPU clock accepted, MHz: below it the number is almost surely GHz (`3` for 3 GHz);
/// no CPU that runs PyTorch is slower.
pub const MIN_CPU_MHZ: u32 = 100;

/// Highest CPU clock accepted, MHz: about twice the fastest clock ever recorded on a CPU (about
/// 9 GHz, on liquid helium: HWBOT's CPU frequency records).
pub const MAX_CPU_MHZ: u32 = 20_000;

/// Most CPU cores accepted: eight times Linux's largest configurable CPU count (`NR_CPUS` 8192
/// with `MAXSMP`, `arch/x86/Kconfig`).
pub const MAX_CPU_CORES: u32 = 65_536;

/// Slowest storage throughput accepted, MB/s: 1 kB/s, below even a floppy disk (62.5 kB/s).
pub const MIN_STORAGE_MBS: f64 = 1e-3;

/// Fastest storage throughput accepted, MB/s: about eight times a PCIe 6.0 x16 link (121 GB/s
/// per direction: 64 GT/s x 16 lanes, FLIT 242/256), the fastest path to any disk.
pub const MAX_STORAGE_MBS: f64 = 1e6;

/// Coldest temperature accepted, °C: absolute zero.
pub const MIN_TEMPERATURE_C: f64 = -273.15;

/// Hottest temperature accepted, °C: far above any silicon's shutdown point (about 100 °C),
/// short enough to print.
pub const MAX_TEMPERATURE_C: f64 = 1000.0;

/// Most accelerators accepted in one profile. A profile is one machine: the largest single
/// nodes hold 8 to 16 GPUs (NVIDIA DGX B200: 8; HGX-2: 16), each split into at most 7 MIG
/// instances (NVIDIA MIG user guide, "Supported GPUs"), so 112 devices; 1024 leaves room for
/// any such machine and keeps a typo (100,000 entries) from costing seconds to complete.
pub const MAX_ACCELERATORS: usize = 1024;

/// Most entries of any other list of a profile (file systems, network interfaces, sensors,
/// NUMA nodes, swap areas, benchmarks, accelerator pairs): far above any machine's count,
/// small enough to read in well under a millisecond.
pub const MAX_ENTRIES: usize = 1 << 16;

impl HardwareProfile {
    /// Checks the lengths of the profile's lists: done before anything walks them, so an
    /// oversized list is refused at once.
    ///
    /// # Errors
    /// `InvalidField` naming the list.
    pub fn check_sizes(&self) -> Result<()> {
        let lists = [
            ("accelerators", self.accelerators.len(), MAX_ACCELERATORS),
            ("topology.links", self.topology.links.len(), MAX_ENTRIES),
            ("storage", self.storage.len(), MAX_ENTRIES),
            ("network", self.network.len(), MAX_ENTRIES),
            ("thermal", self.thermal.len(), MAX_ENTRIES),
            ("cpu.numa_nodes", self.cpu.numa_nodes.len(), MAX_ENTRIES),
            (
                "memory.swap_devices",
                self.memory.swap_devices.len(),
                MAX_ENTRIES,
            ),
            (
                "benchmarks.gpu_matmul",
                self.benchmarks.gpu_matmul.len(),
                MAX_ENTRIES,
            ),
            (
                "benchmarks.storage",
                self.benchmarks.storage.len(),
                MAX_ENTRIES,
            ),
            (
                "benchmarks.network",
                self.benchmarks.network.len(),
                MAX_ENTRIES,
            ),
            ("errors", self.errors.len(), MAX_ENTRIES),
        ];
        for (field, len, max) in lists {
            if len > max {
                return Err(Error::invalid(
                    field,
                    format!("a list of {len} entries"),
                    format!("at most {max} entries"),
                ));
            }
        }
        Ok(())
    }

    /// Checks that every number the planner computes with lies in its range (see the constants
    /// of this module) and that the document's version is one this build reads.
    ///
    /// [`crate::hardware::parse_profile`] and [`crate::plan::plan`] call it; a profile built in
    /// code can be checked with it before use.
    ///
    /// # Errors
    /// `SchemaVersion` for a version this build does not read; `InvalidField` naming the path of
    /// the first number out of range, e.g. `accelerators[0].peak_tflops.bf16`.
    pub fn validate(&self) -> Result<()> {
        Error::check_version(
            "schema_version",
            self.schema_version,
            PROFILE_SCHEMA_VERSION,
        )?;
        self.check_sizes()?;
        let c = &self.cpu;
        CORES.check("cpu.cgroup_quota_cores", c.cgroup_quota_cores)?;
        clock("cpu.max_mhz", c.max_mhz)?;
        cores("cpu.physical_cores", c.physical_cores)?;
        cores("cpu.available_parallelism", c.available_parallelism)?;
        let m = &self.memory;
        bytes("memory.total_bytes", m.total_bytes)?;
        bytes("memory.cgroup_limit_bytes", m.cgroup_limit_bytes)?;
        BANDWIDTH.check("memory.bandwidth_gbs", m.bandwidth_gbs)?;
        for (i, a) in self.accelerators.iter().enumerate() {
            let at = |field: &str| format!("accelerators[{i}].{field}");
            bytes(&at("memory_total_bytes"), a.memory_total_bytes)?;
            peaks(&at("peak_tflops"), &a.peak_tflops)?;
            BANDWIDTH.check(&at("memory_bandwidth_gbs"), a.memory_bandwidth_gbs)?;
            POWER.check(&at("tdp_w"), a.tdp_w)?;
            POWER.check(&at("power_default_limit_w"), a.power_default_limit_w)?;
            POWER.check(&at("power_min_limit_w"), a.power_min_limit_w)?;
            POWER.check(&at("power_max_limit_w"), a.power_max_limit_w)?;
            POWER.check(&at("power_limit_w"), a.power_limit_w)?;
            DRAW.check(&at("power_draw_w"), a.power_draw_w)?;
            TEMPERATURE.check(&at("temperature_c"), a.temperature_c)?;
            TEMPERATURE.check(&at("temperature_slowdown_c"), a.temperature_slowdown_c)?;
            TEMPERATURE.check(&at("temperature_shutdown_c"), a.temperature_shutdown_c)?;
        }
        for (i, t) in self.thermal.iter().enumerate() {
            TEMPERATURE.check(&format!("thermal[{i}].temperature_c"), t.temperature_c)?;
            TEMPERATURE.check(&format!("thermal[{i}].critical_c"), t.critical_c)?;
        }
        BATTERY.check("power.battery_percent", self.power.battery_percent)?;
        DRAW.check("power.battery_draw_w", self.power.battery_draw_w)?;
        DRAW.check("power.cpu_package_limit_w", self.power.cpu_package_limit_w)?;
        PSU.check("power.psu_w", self.power.psu_w)?;
        let b = &self.benchmarks;
        BANDWIDTH.check("benchmarks.memory_bandwidth_gbs", b.memory_bandwidth_gbs)?;
        CPU_GFLOPS.check("benchmarks.cpu_matmul_gflops", b.cpu_matmul_gflops)?;
        for (i, s) in b.storage.iter().enumerate() {
            STORAGE.check(&format!("benchmarks.storage[{i}].read_mbs"), s.read_mbs)?;
            STORAGE.check(&format!("benchmarks.storage[{i}].write_mbs"), s.write_mbs)?;
        }
        for (i, g) in b.gpu_matmul.iter().enumerate() {
            TFLOPS.check(
                &format!("benchmarks.gpu_matmul[{i}].tflops"),
                Some(g.tflops),
            )?;
        }
        for (i, n) in b.network.iter().enumerate() {
            let at = |field: &str| format!("benchmarks.network[{i}].{field}");
            LINK_GBPS.check(&at("send_gbps"), n.send_gbps)?;
            LINK_GBPS.check(&at("receive_gbps"), n.receive_gbps)?;
            LATENCY.check(&at("latency_us"), n.latency_us)?;
        }
        // The flat summary last: it is derived from the sections above, whose errors say more.
        SUMMARY_GB.check_plain("memory_gb", self.memory_gb)?;
        SUMMARY_GB.check_plain(
            "max_recommended_model_size_gb",
            self.max_recommended_model_size_gb,
        )?;
        LINK_GBPS.check_plain("bandwidth_gbps", self.bandwidth_gbps)?;
        Ok(())
    }
}

/// A closed range of a decimal quantity and how an error names it.
struct Range {
    min: f64,
    max: f64,
    /// What the number is, e.g. `a peak throughput`.
    noun: &'static str,
    /// Its unit, e.g. `TFLOP/s`.
    unit: &'static str,
}

const TFLOPS: Range = Range {
    min: MIN_TFLOPS,
    max: MAX_TFLOPS,
    noun: "a peak throughput",
    unit: "TFLOP/s",
};

/// The CPU benchmark is in GFLOP/s: the same range as a peak, a thousand times the number.
const CPU_GFLOPS: Range = Range {
    min: MIN_TFLOPS * 1e3,
    max: MAX_TFLOPS * 1e3,
    noun: "a throughput",
    unit: "GFLOP/s",
};

const BANDWIDTH: Range = Range {
    min: MIN_BANDWIDTH_GBS,
    max: MAX_BANDWIDTH_GBS,
    noun: "a memory bandwidth",
    unit: "GB/s",
};

const POWER: Range = Range {
    min: MIN_POWER_W,
    max: MAX_POWER_W,
    noun: "a power",
    unit: "W",
};

/// A power supply's rating: above nothing, at most `plan::MAX_PSU_W`.
const PSU: Range = Range {
    min: MIN_POWER_W,
    max: crate::plan::MAX_PSU_W,
    noun: "a power supply rating",
    unit: "W",
};

/// Power drawn now, or a limit that may read 0 (an idle card, a battery that is charging):
/// from nothing to the largest power accepted.
const DRAW: Range = Range {
    min: 0.0,
    max: MAX_POWER_W,
    noun: "a power",
    unit: "W",
};

/// A CPU quota in cores: at most the cores accepted.
const CORES: Range = Range {
    min: 0.0,
    max: MAX_CPU_CORES as f64,
    noun: "a number of cores",
    unit: "cores",
};

/// A round trip between two hosts, microseconds: up to a minute, beyond any link that trains.
const LATENCY: Range = Range {
    min: 0.0,
    max: 6e7,
    noun: "a latency",
    unit: "µs",
};

const TEMPERATURE: Range = Range {
    min: MIN_TEMPERATURE_C,
    max: MAX_TEMPERATURE_C,
    noun: "a temperature",
    unit: "°C",
};

/// A charge in percent: the definition of a percentage.
const BATTERY: Range = Range {
    min: 0.0,
    max: 100.0,
    noun: "a charge",
    unit: "%",
};

const STORAGE: Range = Range {
    min: MIN_STORAGE_MBS,
    max: MAX_STORAGE_MBS,
    noun: "a throughput",
    unit: "MB/s",
};

/// The flat summary's sizes in GB or GiB: those of a memory size.
const SUMMARY_GB: Range = Range {
    min: 0.0,
    max: MAX_MEMORY_BYTES as f64 / 1e9,
    noun: "a memory size",
    unit: "GB",
};

/// A network link, Gbit/s: up to ten times the fastest Ethernet standard (IEEE 802.3dj,
/// 1.6 Tbit/s).
const LINK_GBPS: Range = Range {
    min: 0.0,
    max: 16_000.0,
    noun: "a link speed",
    unit: "Gbit/s",
};

impl Range {
    /// `value` inside the range (NaN and the infinities never are), or an error naming `field`.
    fn check(&self, field: &str, value: Option<Value<f64>>) -> Result<()> {
        self.check_plain(field, value.map(|v| v.value))
    }

    /// As [`Range::check`], for a number without a source.
    fn check_plain(&self, field: &str, value: Option<f64>) -> Result<()> {
        let Some(v) = value else {
            return Ok(());
        };
        if (self.min..=self.max).contains(&v) {
            return Ok(());
        }
        Err(Error::invalid(
            field,
            v,
            format!(
                "{} from {} to {} {}",
                self.noun,
                echo(self.min),
                echo(self.max),
                self.unit
            ),
        ))
    }
}

fn echo(v: f64) -> String {
    let mut s = String::new();
    v.echo(&mut s);
    s
}

fn peaks(field: &str, p: &PeakTflops) -> Result<()> {
    for (dtype, v) in [
        ("fp32", p.fp32),
        ("tf32", p.tf32),
        ("fp16", p.fp16),
        ("bf16", p.bf16),
        ("fp8", p.fp8),
        ("int8", p.int8),
    ] {
        TFLOPS.check(&format!("{field}.{dtype}"), v)?;
    }
    Ok(())
}

fn bytes(field: &str, value: Option<Value<u64>>) -> Result<()> {
    match value.map(|v| v.value) {
        Some(v) if !(MIN_MEMORY_BYTES..=MAX_MEMORY_BYTES).contains(&v) => Err(Error::invalid(
            field,
            v,
            "a memory size from 1048576 bytes (1 MiB) to 1125899906842624 bytes (1 PiB); leave an unknown size out",
        )),
        _ => Ok(()),
    }
}

fn clock(field: &str, value: Option<Value<u32>>) -> Result<()> {
    match value.map(|v| v.value) {
        Some(v) if !(MIN_CPU_MHZ..=MAX_CPU_MHZ).contains(&v) => Err(Error::invalid(
            field,
            v,
            format!("a clock from {MIN_CPU_MHZ} to {MAX_CPU_MHZ} MHz"),
        )),
        _ => Ok(()),
    }
}

fn cores(field: &str, value: Option<Value<u32>>) -> Result<()> {
    match value.map(|v| v.value) {
        Some(v) if !(1..=MAX_CPU_CORES).contains(&v) => Err(Error::invalid(
            field,
            v,
            format!("a count of cores from 1 to {MAX_CPU_CORES}; leave an unknown count out"),
        )),
        _ => Ok(()),
    }
}

/// Every catalogue figure lies inside the bounds, so completing a valid profile keeps it valid.
#[cfg(test)]
mod tests {
    use super::super::catalogue::{accelerators, SpecTflops};
    use super::*;

    #[test]
    fn the_catalogue_is_inside_the_bounds() {
        let gib = (1u64 << 30) as f64;
        for spec in accelerators() {
            let SpecTflops {
                fp32,
                tf32,
                fp16,
                bf16,
                fp8,
                int8,
            } = spec.tflops;
            for t in [fp32, tf32, fp16, bf16, fp8, int8].into_iter().flatten() {
                assert!((MIN_TFLOPS..=MAX_TFLOPS).contains(&t), "{}", spec.name);
            }
            let memory = spec.memory_gib * gib;
            assert!(
                (MIN_MEMORY_BYTES as f64..=MAX_MEMORY_BYTES as f64).contains(&memory),
                "{}",
                spec.name
            );
            assert!(
                (MIN_BANDWIDTH_GBS..=MAX_BANDWIDTH_GBS).contains(&spec.bandwidth_gbs),
                "{}",
                spec.name
            );
            if let Some(w) = spec.tdp_w {
                assert!((MIN_POWER_W..=MAX_POWER_W).contains(&w), "{}", spec.name);
            }
        }
    }

    #[test]
    fn the_memory_message_states_the_bounds() {
        assert_eq!(MIN_MEMORY_BYTES, 1_048_576);
        assert_eq!(MAX_MEMORY_BYTES, 1_125_899_906_842_624);
    }
}
