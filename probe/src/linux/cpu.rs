//! The CPU: brand, vendor, topology, hybrid cores, clock, instruction-set flags, NUMA nodes.
//!
//! Counts come from `/proc/cpuinfo` (format: kernel `arch/x86/kernel/cpu/proc.c`,
//! `arch/arm64/kernel/cpuinfo.c`) with sysfs topology (`Documentation/ABI/stable/sysfs-devices-system-cpu`,
//! "topology") as the fallback where cpuinfo has no `physical id` / `core id` (arm64).

use std::collections::{BTreeMap, BTreeSet};

use trainfit_core::hardware::{Cpu, CpuFlag, NumaNode, ProbeError, Value};

use super::cgroup::Cgroups;
use super::parse::{colon_value, cpulist, kib_value, numbered};
use crate::error::record;
use crate::root::Root;

const SECTION: &str = "cpu";
const CPUINFO: &str = "/proc/cpuinfo";
const CPU_SYSFS: &str = "/sys/devices/system/cpu";
const NODE_SYSFS: &str = "/sys/devices/system/node";

/// One `processor` block of `/proc/cpuinfo`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Processor {
    /// Logical CPU number.
    pub(crate) number: u32,
    /// `key: value` lines of the block.
    fields: BTreeMap<String, String>,
}

impl Processor {
    fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
}

/// The `processor` blocks of `/proc/cpuinfo` (blocks are separated by blank lines; arm64 kernels
/// before 3.19 put shared lines in a trailing block without `processor`, which is skipped).
pub(crate) fn parse_cpuinfo(text: &str) -> Vec<Processor> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut fields = BTreeMap::new();
            for line in block.lines() {
                if let Some((k, v)) = line.split_once(':') {
                    fields.insert(k.trim().to_string(), v.trim().to_string());
                }
            }
            let number = fields.get("processor")?.parse().ok()?;
            Some(Processor { number, fields })
        })
        .collect()
}

/// Fills `cpu` from cpuinfo and sysfs.
pub(crate) fn read(root: &Root, cgroups: &Cgroups, cpu: &mut Cpu, errors: &mut Vec<ProbeError>) {
    let procs = match root.text(CPUINFO) {
        Some(text) => parse_cpuinfo(&text),
        None => {
            record(errors, SECTION, CPUINFO, "missing or unreadable");
            Vec::new()
        }
    };
    if let Some(first) = procs.first() {
        cpu.vendor = vendor(first);
        cpu.brand = brand(first);
        cpu.flags = flags(first);
    }
    let numbers = cpu_numbers(root, &procs);
    if !procs.is_empty() {
        cpu.logical_cores = count(procs.len());
    }
    let cores = core_keys(root, &procs, &numbers);
    if !cores.is_empty() {
        let unique: BTreeSet<&CoreKey> = cores.values().collect();
        cpu.physical_cores = count(unique.len());
        let sockets: BTreeSet<&str> = unique.iter().map(|k| k.package.as_str()).collect();
        cpu.sockets = count(sockets.len());
    }
    if let Some((p, e)) = hybrid(root, &cores) {
        cpu.performance_cores = count(p);
        cpu.efficiency_cores = count(e);
    }
    cpu.max_mhz = max_mhz(root, &numbers).or_else(|| cpuinfo_mhz(&procs));
    cpu.numa_nodes = numa_nodes(root);
    if root.is_system() {
        // The standard library applies affinity and the cgroup quota (rust-lang/rust#92697).
        cpu.available_parallelism = std::thread::available_parallelism()
            .ok()
            .and_then(|n| u32::try_from(n.get()).ok())
            .map(Value::measured);
    }
    cpu.cgroup_quota_cores = cgroups.cpu_quota(root).map(Value::measured);
}

/// A count as a measured value; `None` for zero (unknown, never 0).
fn count(n: usize) -> Option<Value<u32>> {
    u32::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .map(Value::measured)
}

/// Logical CPU numbers: from cpuinfo, else the `cpuN` directories of sysfs.
fn cpu_numbers(root: &Root, procs: &[Processor]) -> Vec<u32> {
    if !procs.is_empty() {
        return procs.iter().map(|p| p.number).collect();
    }
    let mut numbers: Vec<u32> = root
        .entries(CPU_SYSFS)
        .iter()
        .filter_map(|n| numbered(n, "cpu"))
        .collect();
    numbers.sort_unstable();
    numbers
}

/// What identifies one physical core.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CoreKey {
    /// Socket (physical package).
    package: String,
    /// Core within it.
    core: String,
}

/// The physical core of each logical CPU: `(physical id, core id)` from cpuinfo as sysinfo and
/// `lscpu` count them, else sysfs `topology/physical_package_id` and `thread_siblings_list` (the
/// CPUs sharing one core; arm64 `core_id` repeats across clusters, so it cannot key a core).
fn core_keys(root: &Root, procs: &[Processor], numbers: &[u32]) -> BTreeMap<u32, CoreKey> {
    let from_cpuinfo: BTreeMap<u32, CoreKey> = procs
        .iter()
        .filter_map(|p| {
            let key = CoreKey {
                package: p.get("physical id")?.to_string(),
                core: p.get("core id")?.to_string(),
            };
            Some((p.number, key))
        })
        .collect();
    if !from_cpuinfo.is_empty() && from_cpuinfo.len() == procs.len() {
        return from_cpuinfo;
    }
    numbers
        .iter()
        .filter_map(|n| {
            let dir = format!("{CPU_SYSFS}/cpu{n}/topology");
            let package = root.text(&format!("{dir}/physical_package_id"))?;
            let siblings = root
                .text(&format!("{dir}/thread_siblings_list"))
                .or_else(|| root.text(&format!("{dir}/core_cpus_list")))?;
            Some((
                *n,
                CoreKey {
                    package,
                    core: siblings,
                },
            ))
        })
        .collect()
}

/// Intel hybrid CPUs register one perf PMU per core type: `/sys/devices/cpu_core/cpus` (P-cores)
/// and `/sys/devices/cpu_atom/cpus` (E-cores) (kernel `tools/perf/Documentation/intel-hybrid.txt`).
/// Returns physical P- and E-core counts.
fn hybrid(root: &Root, cores: &BTreeMap<u32, CoreKey>) -> Option<(usize, usize)> {
    let p = cpulist(&root.text("/sys/devices/cpu_core/cpus")?)?;
    let e = cpulist(&root.text("/sys/devices/cpu_atom/cpus")?)?;
    let physical = |cpus: &[u32]| -> usize {
        if cores.is_empty() {
            return cpus.len();
        }
        let set: BTreeSet<&CoreKey> = cpus.iter().filter_map(|c| cores.get(c)).collect();
        set.len()
    };
    Some((physical(&p), physical(&e)))
}

/// Highest `cpufreq/cpuinfo_max_freq` (kHz, `Documentation/admin-guide/pm/cpufreq.rst`) over all
/// CPUs, in MHz: the peak, where sysinfo reports the current `scaling_cur_freq`
/// (`src/unix/linux/cpu.rs`).
fn max_mhz(root: &Root, numbers: &[u32]) -> Option<Value<u32>> {
    numbers
        .iter()
        .filter_map(|n| root.u64(&format!("{CPU_SYSFS}/cpu{n}/cpufreq/cpuinfo_max_freq")))
        .max()
        .and_then(|khz| u32::try_from(khz / 1000).ok())
        .filter(|mhz| *mhz > 0)
        .map(Value::measured)
}

/// Without cpufreq (virtual machines, some containers), the highest `cpu MHz` of
/// `/proc/cpuinfo`: the clock now, which in a VM is the host's nominal clock, so it is marked
/// estimated rather than measured as a maximum.
fn cpuinfo_mhz(procs: &[Processor]) -> Option<Value<u32>> {
    procs
        .iter()
        .filter_map(|p| p.get("cpu MHz")?.parse::<f64>().ok())
        .filter(|mhz| mhz.is_finite() && *mhz >= 1.0)
        .reduce(f64::max)
        .map(|mhz| Value::estimated(mhz.round() as u32))
}

/// NUMA nodes: `node*/cpulist` and `node*/meminfo` "Node N MemTotal" (kernel
/// `Documentation/ABI/stable/sysfs-devices-node`).
fn numa_nodes(root: &Root) -> Vec<NumaNode> {
    let mut nodes: Vec<NumaNode> = root
        .entries(NODE_SYSFS)
        .iter()
        .filter_map(|name| numbered(name, "node"))
        .map(|n| {
            let dir = format!("{NODE_SYSFS}/node{n}");
            let memory = root
                .text(&format!("{dir}/meminfo"))
                .and_then(|t| kib_value(&t, &format!("Node {n} MemTotal")));
            NumaNode {
                node: n,
                cpus: root.text(&format!("{dir}/cpulist")),
                memory_bytes: memory.map(Value::measured),
            }
        })
        .collect();
    nodes.sort_by_key(|n| n.node);
    nodes
}

/// Vendor: x86 `vendor_id`, or the arm64 `CPU implementer` code.
fn vendor(p: &Processor) -> Option<String> {
    if let Some(v) = p.get("vendor_id") {
        return Some(v.to_string());
    }
    let code = parse_hex(p.get("CPU implementer")?)?;
    arm_implementer(code).map(str::to_string)
}

/// Brand: `model name` (x86, 32-bit ARM), else the arm64 implementer and part names.
fn brand(p: &Processor) -> Option<String> {
    if let Some(m) = p.get("model name").filter(|m| !m.is_empty()) {
        return Some(m.to_string());
    }
    let implementer = parse_hex(p.get("CPU implementer")?)?;
    let part = parse_hex(p.get("CPU part")?)?;
    let name = arm_part(implementer, part)?;
    Some(match arm_implementer(implementer) {
        Some(v) => format!("{v} {name}"),
        None => name.to_string(),
    })
}

fn parse_hex(s: &str) -> Option<u32> {
    u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok()
}

/// arm64 implementer codes (MIDR_EL1 bits 31:24), from the kernel's
/// `arch/arm64/include/asm/cputype.h` (`ARM_CPU_IMP_*`).
fn arm_implementer(code: u32) -> Option<&'static str> {
    Some(match code {
        0x41 => "ARM",
        0x42 => "Broadcom",
        0x43 => "Cavium",
        0x46 => "Fujitsu",
        0x48 => "HiSilicon",
        0x4e => "NVIDIA",
        0x50 => "APM",
        0x51 => "Qualcomm",
        0x61 => "Apple",
        0x6d => "Microsoft",
        0xc0 => "Ampere",
        _ => return None,
    })
}

/// Server and workstation arm64 cores by implementer and part (MIDR_EL1 bits 15:4), from
/// `arch/arm64/include/asm/cputype.h` (`ARM_CPU_PART_*`, `AMPERE_CPU_PART_*`).
fn arm_part(implementer: u32, part: u32) -> Option<&'static str> {
    Some(match (implementer, part) {
        (0x41, 0xd0b) => "Cortex-A76",
        (0x41, 0xd0c) => "Neoverse-N1",
        (0x41, 0xd40) => "Neoverse-V1",
        (0x41, 0xd41) => "Cortex-A78",
        (0x41, 0xd44) => "Cortex-X1",
        (0x41, 0xd49) => "Neoverse-N2",
        (0x41, 0xd4f) => "Neoverse-V2",
        (0x41, 0xd84) => "Neoverse-V3",
        (0xc0, 0xac3) => "AmpereOne",
        _ => return None,
    })
}

/// x86 `flags` names (`arch/x86/include/asm/cpufeatures.h`) of the `Cpu::flags` vocabulary.
const X86_FLAGS: &[(CpuFlag, &[&str])] = &[
    (CpuFlag::Avx, &["avx"]),
    (CpuFlag::Avx2, &["avx2"]),
    (CpuFlag::Fma, &["fma"]),
    (CpuFlag::F16c, &["f16c"]),
    (CpuFlag::Avx512f, &["avx512f"]),
    (CpuFlag::Avx512bw, &["avx512bw"]),
    (CpuFlag::Avx512Vnni, &["avx512_vnni"]),
    (CpuFlag::Avx512Bf16, &["avx512_bf16"]),
    (CpuFlag::Avx512Fp16, &["avx512_fp16"]),
    (CpuFlag::AvxVnni, &["avx_vnni"]),
    (CpuFlag::AmxTile, &["amx_tile"]),
    (CpuFlag::AmxBf16, &["amx_bf16"]),
    (CpuFlag::AmxInt8, &["amx_int8"]),
];

/// arm64 `Features` names (`arch/arm64/kernel/cpuinfo.c`, `hwcap_str`) of the vocabulary:
/// `asimd` is NEON, `fphp`/`asimdhp` half-precision arithmetic.
const ARM_FEATURES: &[(CpuFlag, &[&str])] = &[
    (CpuFlag::Neon, &["asimd"]),
    (CpuFlag::Asimddp, &["asimddp"]),
    (CpuFlag::Fp16, &["fphp", "asimdhp"]),
    (CpuFlag::Bf16, &["bf16"]),
    (CpuFlag::I8mm, &["i8mm"]),
    (CpuFlag::Sve, &["sve"]),
    (CpuFlag::Sve2, &["sve2"]),
    (CpuFlag::Sme, &["sme"]),
    (CpuFlag::Sme2, &["sme2"]),
];

/// Instruction-set flags in the vocabulary of `Cpu::flags`, in its order. The two architectures'
/// names are kept apart: x86 `sme` is AMD's Secure Memory Encryption, arm64 `sme` the Scalable
/// Matrix Extension.
fn flags(p: &Processor) -> Vec<CpuFlag> {
    let (line, map) = match (p.get("flags"), p.get("Features")) {
        (Some(f), _) => (f, X86_FLAGS),
        (None, Some(f)) => (f, ARM_FEATURES),
        (None, None) => return Vec::new(),
    };
    let have: BTreeSet<&str> = line.split_whitespace().collect();
    map.iter()
        .filter(|(_, names)| names.iter().any(|n| have.contains(n)))
        .map(|(flag, _)| *flag)
        .collect()
}

/// Whether the CPU reports running under a hypervisor (x86 `hypervisor` flag, CPUID leaf 1 ECX
/// bit 31, `arch/x86/include/asm/cpufeatures.h` `X86_FEATURE_HYPERVISOR`).
pub(crate) fn hypervisor_flag(cpuinfo: &str) -> bool {
    colon_value(cpuinfo, "flags").is_some_and(|f| f.split_whitespace().any(|x| x == "hypervisor"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An arm64 block in the kernel's format for a Neoverse-V2 core (NVIDIA Grace); the `Features`
    /// list is abridged.
    const GRACE: &str = "processor\t: 0\nBogoMIPS\t: 2000.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg dcpodp sve2 sveaes svepmull svebitperm svesha3 svesm4 flagm2 frint svei8mm svebf16 i8mm bf16 dgh bti\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd4f\nCPU revision\t: 0\n";

    #[test]
    fn arm64_vendor_brand_flags() {
        let procs = parse_cpuinfo(GRACE);
        assert_eq!(procs.len(), 1);
        assert_eq!(vendor(&procs[0]).as_deref(), Some("ARM"));
        assert_eq!(brand(&procs[0]).as_deref(), Some("ARM Neoverse-V2"));
        use CpuFlag::*;
        assert_eq!(
            flags(&procs[0]),
            [Neon, Asimddp, Fp16, Bf16, I8mm, Sve, Sve2]
        );
    }
}
