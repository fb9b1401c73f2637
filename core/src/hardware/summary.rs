//! What the profile's detailed sections imply: catalogue figures for each accelerator, the
//! memory a plan can use, and the flat device summary.

use alloc::string::String;
use alloc::vec::Vec;

use super::catalogue::find_accelerator;
use super::profile::{AcceleratorKind, HardwareProfile, Source, Value, Vendor};
use crate::hardware::Accelerator;

/// Share of usable memory the flat summary recommends for a model: a heuristic kept from the
/// device-detection tool whose fields the flat summary carries over (its
/// `max_recommended_model_size_gb` was 80 % of RAM), not a measurement.
pub const RECOMMENDED_MODEL_SHARE: f64 = 0.8;

const GIB: f64 = crate::math::GIB as f64;

/// Fills what the catalogue knows about `acc` and it does not: peak TFLOP/s, bandwidth, TDP,
/// architecture, GPU and Neural Engine cores, and the memory of a discrete part no reader sized. Measured and user values are never overwritten;
/// estimated ones (e.g. fp32 peak from NVML's core count and maximum clock, which on GeForce
/// cards is above the rated boost) give way to the published figure.
pub fn apply_catalogue(acc: &mut Accelerator) {
    if acc.kind == AcceleratorKind::Cpu {
        return;
    }
    let memory = match acc.vendor {
        Vendor::Apple => None,
        _ => acc.vram_bytes.or(acc.memory_total_bytes).map(|v| v.value),
    };
    let cores = acc.cores.map(|v| v.value);
    let Some(spec) = find_accelerator(&acc.name, memory, cores) else {
        return;
    };
    // Apple chips scale throughput with their core count; a binned part with fewer cores than
    // the catalogue's has proportionally less.
    let scale = match (acc.vendor, cores, spec.gpu_cores) {
        (Vendor::Apple, Some(have), Some(full)) if have != full => Some(have as f64 / full as f64),
        _ => None,
    };
    let tf = |x: Option<f64>| {
        x.map(|t| match scale {
            Some(s) => Value::estimated(t * s),
            None if spec.estimated => Value::estimated(t),
            None => Value::catalogue(t),
        })
    };
    let p = &mut acc.peak_tflops;
    fill(&mut p.fp32, tf(spec.tflops.fp32));
    fill(&mut p.tf32, tf(spec.tflops.tf32));
    fill(&mut p.fp16, tf(spec.tflops.fp16));
    fill(&mut p.bf16, tf(spec.tflops.bf16));
    fill(&mut p.fp8, tf(spec.tflops.fp8));
    fill(&mut p.int8, tf(spec.tflops.int8));
    fill(
        &mut acc.memory_bandwidth_gbs,
        Some(Value::catalogue(spec.bandwidth_gbs)),
    );
    fill(&mut acc.tdp_w, spec.tdp_w.map(Value::catalogue));
    if acc.architecture.is_none() {
        acc.architecture = Some(String::from(spec.architecture));
    }
    acc.cores = acc.cores.or(spec.gpu_cores.map(Value::catalogue));
    // A discrete card whose memory no reader could tell (NVIDIA without NVML) has its
    // datasheet's; Apple chips come in several memory sizes, so theirs is never assumed.
    if acc.memory_total_bytes.is_none() && acc.vendor != Vendor::Apple {
        acc.memory_total_bytes = Some(Value::catalogue((spec.memory_gib * GIB) as u64));
        acc.memory_source = Some(String::from("catalogue"));
    }
    acc.neural_engine_cores = acc
        .neural_engine_cores
        .or(spec.neural_engine_cores.map(Value::catalogue));
    if acc.dtypes.is_empty() {
        let t = &spec.tflops;
        for (name, rate) in [
            ("fp32", t.fp32),
            ("tf32", t.tf32),
            ("fp16", t.fp16),
            ("bf16", t.bf16),
            ("fp8", t.fp8),
            ("int8", t.int8),
        ] {
            if rate.is_some() {
                acc.dtypes.push(String::from(name));
            }
        }
    }
    acc.catalogue_name = Some(String::from(spec.name));
    if !acc.sources.iter().any(|s| s == "catalogue") {
        acc.sources.push(String::from("catalogue"));
    }
}

/// Puts `new` in `slot` when the slot is empty or only estimated.
fn fill<T>(slot: &mut Option<Value<T>>, new: Option<Value<T>>) {
    let replace = match slot {
        None => true,
        Some(v) => v.source == Source::Estimated,
    };
    if replace && new.is_some() {
        *slot = new;
    }
}

/// The accelerators a plan would train on: every device of the name of the best one, where a
/// discrete card beats unified memory, which beats an integrated GPU, and more memory breaks
/// ties (mixed cards are planned per group by the planner). An APU's GTT pool can be larger
/// than a discrete card's VRAM in the same machine, yet the card is what one trains on.
pub fn primary_accelerators(profile: &HardwareProfile) -> Vec<&Accelerator> {
    let rank = |a: &Accelerator| {
        let kind = match a.kind {
            AcceleratorKind::Discrete => 3,
            AcceleratorKind::Unified => 2,
            AcceleratorKind::Unknown => 1,
            _ => 0,
        };
        (kind, a.memory_total_bytes.map_or(0, |v| v.value))
    };
    let real = || {
        profile
            .accelerators
            .iter()
            .filter(|a| a.kind != AcceleratorKind::Cpu && a.memory_total_bytes.is_some())
    };
    let Some(first) = real().max_by_key(|a| rank(a)) else {
        return Vec::new();
    };
    real().filter(|a| a.name == first.name).collect()
}

/// Memory a model may occupy on the main device: the primary accelerator's own memory (the
/// Metal working set on Apple, GTT on an APU), or without one the system memory this process
/// may use (the cgroup limit when lower).
pub fn usable_memory_bytes(profile: &HardwareProfile) -> Option<Value<u64>> {
    if let Some(acc) = primary_accelerators(profile).first() {
        return acc.memory_total_bytes;
    }
    system_memory_bytes(profile)
}

/// System memory this process may use: the smaller of the installed memory and the cgroup limit.
pub fn system_memory_bytes(profile: &HardwareProfile) -> Option<Value<u64>> {
    let total = profile.memory.total_bytes;
    match (total, profile.memory.cgroup_limit_bytes) {
        (Some(t), Some(c)) if c.value < t.value => Some(c),
        (None, Some(c)) => Some(c),
        (t, _) => t,
    }
}

/// Completes a profile: catalogue figures for every accelerator ([`apply_catalogue`]), then the
/// flat device summary (`model` … `max_recommended_model_size_gb`) from the detailed sections.
/// Values already present (read by the probe, typed by a user) are kept.
pub fn summarize(profile: &mut HardwareProfile) {
    for acc in &mut profile.accelerators {
        apply_catalogue(acc);
    }
    let primary: Vec<Accelerator> = primary_accelerators(profile).into_iter().cloned().collect();
    let apple = primary.iter().find(|a| a.vendor == Vendor::Apple);

    if profile.model.is_none() {
        profile.model = match (apple, primary.first()) {
            (Some(a), _) => Some(String::from(a.name.trim_start_matches("Apple "))),
            (None, Some(a)) => Some(a.name.clone()),
            (None, None) => profile.cpu.brand.clone(),
        };
    }
    if profile.memory_gb.is_none() {
        profile.memory_gb = system_memory_bytes(profile).map(|v| v.value as f64 / GIB);
    }
    if profile.gpu_cores.is_none() {
        let cores: Vec<u32> = primary
            .iter()
            .filter_map(|a| a.cores.or(a.compute_units).map(|v| v.value))
            .collect();
        if !cores.is_empty() && cores.len() == primary.len() {
            profile.gpu_cores = Some(cores.iter().sum());
        }
    }
    let c = &profile.cpu;
    profile.cpu_cores = profile.cpu_cores.or(c.physical_cores.map(|v| v.value));
    profile.cpu_performance_cores = profile
        .cpu_performance_cores
        .or(c.performance_cores.map(|v| v.value));
    profile.cpu_efficiency_cores = profile
        .cpu_efficiency_cores
        .or(c.efficiency_cores.map(|v| v.value));
    if profile.neural_engine_cores.is_none() {
        profile.neural_engine_cores = apple.and_then(|a| a.neural_engine_cores.map(|v| v.value));
    }
    if profile.bandwidth_gbps.is_none() {
        let measured = profile
            .benchmarks
            .network
            .iter()
            .filter_map(|n| n.send_gbps.map(|v| v.value))
            .reduce(f64::max);
        let link = profile
            .network
            .iter()
            .filter(|n| n.up == Some(true) && n.kind.as_deref() != Some("loopback"))
            .filter(|n| n.kind.as_deref() != Some("virtual"))
            .filter_map(|n| n.speed_mbps.map(|v| v.value as f64 / 1000.0))
            .reduce(f64::max);
        profile.bandwidth_gbps = measured.or(link);
    }
    if profile.mlx_metal_available.is_none() {
        let is_mac = profile.host.os.as_deref() == Some("macos");
        let arm = matches!(profile.host.arch.as_deref(), Some("aarch64" | "arm64"));
        profile.mlx_metal_available = match (is_mac, apple) {
            (true, Some(a)) => Some(arm && a.backend.as_deref() == Some("metal")),
            (true, None) => Some(false),
            _ if profile.host.os.is_some() => Some(false),
            _ => None,
        };
    }
    if profile.max_recommended_model_size_gb.is_none() {
        profile.max_recommended_model_size_gb =
            usable_memory_bytes(profile).map(|v| v.value as f64 * RECOMMENDED_MODEL_SHARE / 1e9);
    }
}
