//! macOS on Apple silicon: chip, performance and efficiency cores, GPU cores, unified memory and
//! the Metal working-set limit, Neural Engine cores (from the catalogue), Metal/MLX availability,
//! swap and battery.
//!
//! The readings are gathered into [`AppleFacts`] (text of `sysctl`, `ioreg`, `pmset`, and the
//! Metal device's own numbers), and [`apply`] turns them into profile fields, so tests run on
//! output recorded from real Macs. Sources: `sysctl(3)`, `ioreg(8)`, `pmset(1)`, and Metal's
//! `MTLDevice.recommendedMaxWorkingSetSize`
//! (<https://developer.apple.com/documentation/metal/mtldevice/recommendedmaxworkingsetsize>).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trainfit_core::hardware::{
    Accelerator, AcceleratorKind, Backend, BatteryStatus, CpuFlag, FormFactor, HardwareProfile,
    MemorySource, Os, Reader, Value, Vendor,
};

/// The sysctl keys read, all readable without privileges (`man 3 sysctl`; `hw.perflevel*`:
/// <https://developer.apple.com/documentation/kernel/1387446-sysctlbyname/determining_system_capabilities>,
/// `hw.optional.arm.FEAT_*`:
/// <https://developer.apple.com/documentation/kernel/1387446-sysctlbyname/determining_instruction_set_characteristics>).
pub const SYSCTL_KEYS: &[&str] = &[
    "machdep.cpu.brand_string",
    "hw.model",
    "hw.machine",
    "hw.memsize",
    "hw.physicalcpu",
    "hw.logicalcpu",
    "hw.nperflevels",
    "hw.perflevel0.physicalcpu",
    "hw.perflevel0.name",
    "hw.perflevel1.physicalcpu",
    "hw.perflevel1.name",
    "hw.optional.arm.FEAT_BF16",
    "hw.optional.arm.FEAT_FP16",
    "hw.optional.arm.FEAT_I8MM",
    "hw.optional.arm.FEAT_DotProd",
    "hw.optional.arm.FEAT_SME",
    "hw.optional.arm.FEAT_SME2",
    "hw.optional.neon",
    "iogpu.wired_limit_mb",
    "vm.swapusage",
    "kern.osproductversion",
    "kern.osrelease",
];

/// What the Metal default device reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetalFacts {
    /// `MTLDevice.name`, e.g. `Apple M2 Pro`.
    pub name: String,
    /// `recommendedMaxWorkingSetSize`: what the GPU may keep resident with good performance;
    /// follows a manual `iogpu.wired_limit_mb` (llmfit#754).
    pub recommended_max_working_set_bytes: u64,
    /// `hasUnifiedMemory`.
    pub has_unified_memory: bool,
}

/// Everything read on a Mac, as recorded text and numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppleFacts {
    /// Output of `sysctl` for [`SYSCTL_KEYS`] (`key: value` lines).
    pub sysctl: String,
    /// Output of `ioreg -rc AGXAccelerator -d 1`.
    pub ioreg: String,
    /// Output of `pmset -g batt`.
    pub pmset: String,
    /// The Metal default device, when there is one.
    pub metal: Option<MetalFacts>,
}

/// Reads this Mac. Every command that fails leaves its text empty and records why.
#[cfg(target_os = "macos")]
pub fn read_system(errors: &mut Vec<trainfit_core::hardware::ProbeError>) -> AppleFacts {
    let mut run = |program: &str, args: &[&str]| -> String {
        match std::process::Command::new(program).args(args).output() {
            // sysctl exits non-zero when one key is unknown on this macOS but prints the rest.
            Ok(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
            Err(e) => {
                let failure = crate::error::Error::Command {
                    program: program.into(),
                    cause: e.to_string(),
                };
                crate::error::record(errors, "host", program, failure);
                String::new()
            }
        }
    };
    let sysctl = run("/usr/sbin/sysctl", SYSCTL_KEYS);
    let ioreg = run("/usr/sbin/ioreg", &["-rc", "AGXAccelerator", "-d", "1"]);
    let pmset = run("/usr/bin/pmset", &["-g", "batt"]);
    let metal = objc2_metal::MTLCreateSystemDefaultDevice().map(|device| {
        use objc2_metal::MTLDevice;
        MetalFacts {
            name: device.name().to_string(),
            recommended_max_working_set_bytes: device.recommendedMaxWorkingSetSize(),
            has_unified_memory: device.hasUnifiedMemory(),
        }
    });
    AppleFacts {
        sysctl,
        ioreg,
        pmset,
        metal,
    }
}

/// `key: value` lines of `sysctl` output.
pub fn parse_sysctl(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// `"gpu-core-count" = 19` in `ioreg` output.
pub fn parse_gpu_cores(ioreg: &str) -> Option<u32> {
    ioreg
        .lines()
        .find_map(|l| l.trim().strip_prefix("\"gpu-core-count\" = "))
        .and_then(|v| v.trim().parse().ok())
}

/// `vm.swapusage: total = 2048.00M  used = 1066.25M  free = 981.75M  (encrypted)` → (total, used) bytes.
pub fn parse_swapusage(value: &str) -> Option<(u64, u64)> {
    let field = |name: &str| -> Option<u64> {
        let rest = value.split(&format!("{name} = ")).nth(1)?;
        let token = rest.split_whitespace().next()?;
        let (number, unit) = token.split_at(token.len().checked_sub(1)?);
        let scale = match unit {
            "K" => 1u64 << 10,
            "M" => 1 << 20,
            "G" => 1 << 30,
            _ => return None,
        };
        let n: f64 = number.parse().ok()?;
        Some((n * scale as f64).round() as u64)
    };
    Some((field("total")?, field("used")?))
}

/// Battery state from `pmset -g batt`:
/// `Now drawing from 'Battery Power'` (or `'AC Power'`), then a line ` -InternalBattery-0 (id=…)`
/// followed by a tab and `64%; discharging; 4:12 remaining present: true`.
pub struct Battery {
    /// Mains connected.
    pub ac: Option<bool>,
    /// Charge, percent.
    pub percent: Option<f64>,
    /// `charging`, `discharging`, `charged`, `finishing charge`, `AC attached`.
    pub status: Option<String>,
}

/// Parses `pmset -g batt`; `None` when the Mac has no battery (a desktop).
pub fn parse_pmset(text: &str) -> Option<Battery> {
    let ac = if text.contains("'AC Power'") {
        Some(true)
    } else if text.contains("'Battery Power'") {
        Some(false)
    } else {
        None
    };
    let line = text.lines().find(|l| l.contains("InternalBattery"))?;
    let mut fields = line.split('\t').nth(1)?.split(';').map(str::trim);
    let percent = fields
        .next()
        .and_then(|p| p.strip_suffix('%'))
        .and_then(|p| p.parse().ok());
    let status = fields.next().map(str::to_string);
    Some(Battery {
        ac,
        percent,
        status,
    })
}

/// The profile's battery state for a `pmset` state: `charged` is full, `AC attached` is on mains
/// without charging (pmset prints `AC attached; not charging`), `finishing charge` is charging.
fn battery_status(pmset: &str) -> BatteryStatus {
    match pmset {
        "charging" | "finishing charge" => BatteryStatus::Charging,
        "discharging" => BatteryStatus::Discharging,
        "charged" => BatteryStatus::Full,
        "AC attached" => BatteryStatus::NotCharging,
        _ => BatteryStatus::Unknown,
    }
}

/// Fills the profile from what was read on a Mac.
pub fn apply(facts: &AppleFacts, profile: &mut HardwareProfile) {
    let s = parse_sysctl(&facts.sysctl);
    let get = |k: &str| s.get(k).map(String::as_str);
    let num = |k: &str| get(k).and_then(|v| v.parse::<u64>().ok());
    let count = |k: &str| {
        num(k)
            .and_then(|v| u32::try_from(v).ok())
            .map(Value::measured)
    };

    let host = &mut profile.host;
    host.os = Some(Os::Macos);
    host.os_name = get("kern.osproductversion").map(|v| format!("macOS {v}"));
    host.kernel = get("kern.osrelease").map(str::to_string);
    // `hw.machine` is `arm64` on Apple silicon (also under Rosetta), `x86_64` on Intel Macs.
    host.arch = get("hw.machine")
        .map(|m| if m == "arm64" { "aarch64" } else { m }.to_string())
        .or_else(|| Some(std::env::consts::ARCH.into()));
    if let Some(model) = get("hw.model") {
        // Identifiers of portable Macs start with "MacBook"; Apple-silicon MacBooks use "Mac14,9"
        // style ids, so only the older scheme tells the form factor.
        if model.starts_with("MacBook") {
            host.form_factor = Some(FormFactor::Laptop);
        }
    }

    let cpu = &mut profile.cpu;
    let brand = get("machdep.cpu.brand_string").map(str::to_string);
    cpu.vendor = brand.as_deref().map(|b| {
        if b.starts_with("Apple") {
            "Apple"
        } else {
            "GenuineIntel"
        }
        .to_string()
    });
    cpu.brand = brand.clone();
    cpu.sockets = Some(Value::measured(1));
    cpu.physical_cores = count("hw.physicalcpu");
    cpu.logical_cores = count("hw.logicalcpu");
    // perflevel0 is the fastest cluster; with two levels the second is the efficiency cores.
    if num("hw.nperflevels") == Some(2) {
        cpu.performance_cores = count("hw.perflevel0.physicalcpu");
        cpu.efficiency_cores = count("hw.perflevel1.physicalcpu");
    }
    for (key, flag) in [
        ("hw.optional.neon", CpuFlag::Neon),
        ("hw.optional.arm.FEAT_DotProd", CpuFlag::Asimddp),
        ("hw.optional.arm.FEAT_FP16", CpuFlag::Fp16),
        ("hw.optional.arm.FEAT_BF16", CpuFlag::Bf16),
        ("hw.optional.arm.FEAT_I8MM", CpuFlag::I8mm),
        ("hw.optional.arm.FEAT_SME", CpuFlag::Sme),
        ("hw.optional.arm.FEAT_SME2", CpuFlag::Sme2),
    ] {
        if get(key) == Some("1") && !cpu.flags.contains(&flag) {
            cpu.flags.push(flag);
        }
    }

    let memory = &mut profile.memory;
    memory.total_bytes = num("hw.memsize").map(Value::measured);
    if let Some((total, used)) = get("vm.swapusage").and_then(parse_swapusage) {
        memory.swap_total_bytes = Some(Value::measured(total));
        memory.swap_used_bytes = Some(Value::measured(used));
    }
    let apple_silicon = brand.as_deref().is_some_and(|b| b.starts_with("Apple"));
    memory.unified = Some(apple_silicon);

    if let Some(battery) = parse_pmset(&facts.pmset) {
        let p = &mut profile.power;
        p.has_battery = Some(true);
        p.ac_online = battery.ac;
        p.on_battery = battery.ac.map(|ac| !ac);
        p.battery_percent = battery.percent.map(Value::measured);
        p.battery_status = battery.status.as_deref().map(battery_status);
    } else if !facts.pmset.is_empty() {
        profile.power.has_battery = Some(false);
        profile.power.ac_online = Some(true);
        profile.power.on_battery = Some(false);
    }

    if let Some(metal) = &facts.metal {
        let mut gpu = Accelerator {
            vendor: if apple_silicon {
                Vendor::Apple
            } else {
                Vendor::Other
            },
            name: metal.name.clone(),
            kind: if metal.has_unified_memory {
                AcceleratorKind::Unified
            } else {
                AcceleratorKind::Discrete
            },
            backend: Some(Backend::Metal),
            sources: vec![Reader::Metal],
            ..Accelerator::default()
        };
        if metal.has_unified_memory {
            gpu.memory_total_bytes = Some(Value::measured(metal.recommended_max_working_set_bytes));
            gpu.memory_source = Some(MemorySource::MetalWorkingSet);
        }
        if let Some(cores) = parse_gpu_cores(&facts.ioreg) {
            gpu.cores = Some(Value::measured(cores));
            gpu.sources.push(Reader::Ioreg);
        }
        if apple_silicon {
            // Chip generation from the name ("Apple M2 Pro" → apple-m2).
            gpu.architecture = metal
                .name
                .split_whitespace()
                .nth(1)
                .map(|g| format!("apple-{}", g.to_lowercase()));
        }
        profile.accelerators.push(gpu);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pmset_states() {
        // `pmset -g batt` states (pmset(1)); `AC attached` is printed as `AC attached; not charging`.
        assert_eq!(battery_status("charged"), BatteryStatus::Full);
        assert_eq!(battery_status("finishing charge"), BatteryStatus::Charging);
        assert_eq!(battery_status("AC attached"), BatteryStatus::NotCharging);
        assert_eq!(battery_status("discharging"), BatteryStatus::Discharging);
        assert_eq!(battery_status("something new"), BatteryStatus::Unknown);
    }
}
