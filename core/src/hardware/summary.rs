//! What the profile's detailed sections imply: catalogue figures for each accelerator, the
//! memory a plan can use, and the flat device summary.

use alloc::string::String;
use alloc::vec::Vec;

use super::catalogue::find_accelerator;
use super::profile::{AcceleratorKind, HardwareProfile, Source, Value, Vendor};
use super::vocabulary::{Backend, MatrixDtype, MemorySource, NetworkKind, Os, Reader};
use crate::hardware::Accelerator;

/// Share of usable memory the flat summary recommends for a model: a heuristic kept from the
/// device-detection tool whose fields the flat summary carries over (its
/// `max_recommended_model_size_gb` was 80 % of RAM), not a measurement.
pub const RECOMMENDED_MODEL_SHARE: f64 = 0.8;

const GIB: f64 = crate::math::GIB as f64;

/// Share of an Apple chip's unified memory its GPU may use when nothing read the real figure
/// (Metal's `recommendedMaxWorkingSetSize`, which the probe reads on a Mac): a profile typed by
/// hand or made from the catalogue. The default working set is about 2/3 of 16 GB on an M4
/// (10.67 GB, github.com/exo-explore/exo/pull/1672), 74 % of 16 GB on an M3 (11.84 GiB,
/// github.com/AlexsJones/llmfit/pull/754) and 84 % of 128 GiB (107.52 GiB,
/// github.com/antirez/ds4/pull/893); the smallest share is taken, so that a plan called safe fits
/// under every default observed. Going past it fails with
/// `kIOGPUCommandBufferCallbackErrorOutOfMemory` (github.com/antirez/ds4/pull/909).
pub const APPLE_WORKING_SET_SHARE: f64 = 2.0 / 3.0;

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
        acc.memory_source = Some(MemorySource::Catalogue);
    }
    acc.neural_engine_cores = acc
        .neural_engine_cores
        .or(spec.neural_engine_cores.map(Value::catalogue));
    if acc.dtypes.is_empty() {
        let t = &spec.tflops;
        for (dtype, rate) in [
            (MatrixDtype::Fp32, t.fp32),
            (MatrixDtype::Tf32, t.tf32),
            (MatrixDtype::Fp16, t.fp16),
            (MatrixDtype::Bf16, t.bf16),
            (MatrixDtype::Fp8, t.fp8),
            (MatrixDtype::Int8, t.int8),
        ] {
            if rate.is_some() {
                acc.dtypes.push(dtype);
            }
        }
    }
    acc.catalogue_name = Some(String::from(spec.name));
    if !acc.sources.contains(&Reader::Catalogue) {
        acc.sources.push(Reader::Catalogue);
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

impl HardwareProfile {
    /// Completes the profile: catalogue figures for every accelerator ([`apply_catalogue`]),
    /// then the flat device summary (`model` … `max_recommended_model_size_gb`) from the detailed
    /// sections. Values already present (read by the probe, typed by a user) are kept, so
    /// completing a complete profile changes nothing.
    ///
    /// [`crate::hardware::parse_profile`], a deserialized [`crate::plan::PlanRequest`] and the
    /// probe's collection complete their profile once; call this only on a profile built in code.
    pub fn complete(&mut self) {
        complete(self);
    }
}

fn complete(profile: &mut HardwareProfile) {
    for acc in &mut profile.accelerators {
        apply_catalogue(acc);
    }
    // An Apple GPU shares the system's memory, and may use only its working set of it.
    if let Some(ram) = system_memory_bytes(profile) {
        for acc in &mut profile.accelerators {
            if acc.vendor == Vendor::Apple
                && acc.kind != AcceleratorKind::Cpu
                && acc.memory_total_bytes.is_none()
            {
                let share = ram.value as f64 * APPLE_WORKING_SET_SHARE;
                acc.memory_total_bytes = Some(Value::estimated(share as u64));
                acc.memory_source = Some(MemorySource::MetalWorkingSet);
            }
        }
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
            // Saturating: a typed profile may hold any u32 per device.
            profile.gpu_cores = Some(cores.iter().fold(0u32, |sum, c| sum.saturating_add(*c)));
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
            .filter(|n| n.up == Some(true))
            .filter(|n| !matches!(n.kind, Some(NetworkKind::Loopback | NetworkKind::Virtual)))
            .filter_map(|n| n.speed_mbps.map(|v| v.value as f64 / 1000.0))
            .reduce(f64::max);
        profile.bandwidth_gbps = measured.or(link);
    }
    if profile.mlx_metal_available.is_none() {
        let is_mac = profile.host.os == Some(Os::Macos);
        let arm = matches!(profile.host.arch.as_deref(), Some("aarch64" | "arm64"));
        profile.mlx_metal_available = match (is_mac, apple) {
            (true, Some(a)) => Some(arm && a.backend == Some(Backend::Metal)),
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
