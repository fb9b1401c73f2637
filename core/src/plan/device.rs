//! What a plan trains on, derived from a hardware profile: how many devices, how much memory each
//! may use, which numeric recipe and attention kernel they run well, and how fast.
//!
//! The rules follow the device's own capabilities (compute capability, architecture, CPU flags),
//! never its marketing name.

use alloc::string::String;

use serde::{Deserialize, Serialize};

use crate::hardware::{
    primary_accelerators, system_memory_bytes, Accelerator, AcceleratorKind, CpuFlag,
    HardwareProfile, LinkLevel, MatrixDtype, Vendor,
};
use crate::request::{AttentionImpl, Framework, Precision};

/// Memory the OS and desktop keep on a CPU-only machine, bytes: a planner choice of 2 GiB, at the
/// low end of the 2–4 GB this project's design reserves for the OS and other processes, and never
/// more than a quarter of the memory (see `cpu_device`).
pub const CPU_OS_RESERVE_BYTES: u64 = 2 << 30;

/// Share of peak dense throughput a well-configured training run sustains (model FLOPs
/// utilisation), per device class, with its source.
pub fn efficiency(class: DeviceClass) -> (f64, &'static str) {
    match class {
        DeviceClass::NvidiaGpu => (
            0.40,
            "HF Ultra-Scale Playbook: best MFU on one 8xH100 node 44.3 % (1B) and 45.2 % (8B); \
             Megatron-LM 2021 Table 1: 44 % of peak at 1.7B on A100 (HFU); 0.40 allows for \
             smaller models and single-GPU input pipelines",
        ),
        DeviceClass::AmdGpu | DeviceClass::IntelGpu => (
            0.30,
            "assumed: no published MFU for this class in the reference set; 3/4 of the NVIDIA \
             figure for less mature kernels (ROCm, XPU)",
        ),
        DeviceClass::AppleGpu => (
            0.30,
            "assumed: no published training MFU for Apple GPUs in the reference set; Apple GPUs \
             have no matrix units, so GEMMs run on the fp32 ALUs (metal-benchmarks)",
        ),
        DeviceClass::Cpu => (
            0.50,
            "half of the measured (or estimated) fp32 GEMM rate: attention, norms and the \
             optimizer run far below GEMM speed on a CPU (assumed)",
        ),
    }
}

/// Kinds of device with their own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    /// NVIDIA GPU (CUDA).
    NvidiaGpu,
    /// AMD GPU (ROCm).
    AmdGpu,
    /// Intel GPU (XPU).
    IntelGpu,
    /// Apple GPU (Metal, MLX).
    AppleGpu,
    /// The CPU.
    Cpu,
}

/// The devices a plan runs on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Device {
    /// Name, e.g. `NVIDIA GeForce RTX 4090` or the CPU brand.
    pub name: String,
    /// Class.
    pub class: DeviceClass,
    /// How many of them.
    pub count: u64,
    /// Memory one of them may use, bytes (a GPU's own memory, Apple's Metal working set, or the
    /// RAM left to a CPU job after the OS reserve and within the cgroup limit).
    pub usable_bytes: u64,
    /// The GPU shares memory with the CPU.
    pub unified_memory: bool,
    /// Numeric recipe for training.
    pub precision: Precision,
    /// Why that recipe.
    pub precision_reason: String,
    /// Attention kernel.
    pub attention: AttentionImpl,
    /// FlashAttention (or an equivalent fused kernel) is available.
    pub flash_attention: bool,
    /// Framework and backend the memory model applies.
    pub framework: Framework,
    /// Peak dense TFLOP/s of one device in the recipe's compute dtype; `None` when unknown.
    pub peak_tflops: Option<f64>,
    /// Share of peak a training run sustains.
    pub efficiency: f64,
    /// Where that share comes from.
    pub efficiency_source: String,
    /// Memory bandwidth of one device, GB/s.
    pub memory_bandwidth_gbs: Option<f64>,
    /// Bandwidth between devices for collectives (NCCL bus bandwidth), GB/s.
    pub link_gbs: Option<f64>,
    /// Collective backend: `nccl`, `rccl`, `gloo`, `mlx` or none for one device.
    pub collective: Option<String>,
    /// CPU training: intra-op threads to set (`torch.set_num_threads`), one per physical core:
    /// hyper-threads share a core's vector units (PyTorch performance tuning guide, "CPU specific
    /// optimizations": use physical cores, avoid logical ones).
    pub threads: Option<u32>,
    /// Thermal design power of one device, W.
    pub tdp_w: Option<f64>,
    /// Lowest power limit that can be set, W (NVIDIA).
    pub power_min_w: Option<f64>,
}

impl Device {
    /// Sustained FLOP/s of all devices together; `None` when the peak is unknown.
    pub fn achievable_flops(&self) -> Option<f64> {
        self.peak_tflops
            .map(|t| t * 1e12 * self.efficiency * self.count as f64)
    }
}

/// The devices of a profile a plan would use; `None` when the profile has neither an accelerator
/// with known memory nor system memory.
pub fn device(profile: &HardwareProfile) -> Option<Device> {
    let primary = primary_accelerators(profile);
    match primary.first() {
        Some(first) => Some(accelerator_device(profile, first, primary.len() as u64)),
        None => cpu_device(profile),
    }
}

fn class_of(acc: &Accelerator) -> DeviceClass {
    match acc.vendor {
        Vendor::Nvidia => DeviceClass::NvidiaGpu,
        Vendor::Amd => DeviceClass::AmdGpu,
        Vendor::Intel => DeviceClass::IntelGpu,
        Vendor::Apple => DeviceClass::AppleGpu,
        Vendor::Other => DeviceClass::NvidiaGpu,
    }
}

/// NVIDIA compute capability as (major, minor).
fn compute_capability(acc: &Accelerator) -> Option<(u32, u32)> {
    let cc = acc.compute_capability.as_deref()?;
    let (a, b) = cc.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// NVIDIA compute capability implied by an architecture name when NVML did not report it
/// (CUDA C Programming Guide, compute capabilities table).
fn nvidia_cc_from_arch(arch: &str) -> Option<(u32, u32)> {
    Some(match arch {
        "pascal" => (6, 0),
        "volta" => (7, 0),
        "turing" => (7, 5),
        "ampere" => (8, 0),
        "ada" => (8, 9),
        "hopper" => (9, 0),
        "blackwell" => (10, 0),
        _ => return None,
    })
}

fn accelerator_device(profile: &HardwareProfile, acc: &Accelerator, count: u64) -> Device {
    let class = class_of(acc);
    let has_bf16 = acc.dtypes.contains(&MatrixDtype::Bf16)
        || acc.peak_tflops.bf16.is_some_and(|v| v.value > 0.0);
    let arch = acc.architecture.as_deref().unwrap_or("");
    let (precision, reason, flash) = match class {
        DeviceClass::NvidiaGpu => {
            let cc = compute_capability(acc).or_else(|| nvidia_cc_from_arch(arch));
            match cc {
                // bf16 tensor cores and FlashAttention 2 need sm80+ (Ampere and newer): FlashAttention
                // README, "Requirements: Ampere, Ada, or Hopper GPUs".
                Some((major, _)) if major >= 8 => (
                    Precision::AmpBf16,
                    "bf16 autocast: Ampere or newer (compute capability 8.0+) has bf16 tensor cores",
                    true,
                ),
                // Volta and Turing: fp16 tensor cores only, so fp16 with a loss scaler.
                Some((7, _)) => (
                    Precision::AmpFp16,
                    "fp16 autocast with loss scaling: Volta/Turing (compute capability 7.x) have fp16 but no bf16 tensor cores",
                    false,
                ),
                Some(_) => (
                    Precision::Fp32,
                    "fp32: before Volta there are no tensor cores",
                    false,
                ),
                None if has_bf16 => (
                    Precision::AmpBf16,
                    "bf16 autocast: the catalogue lists bf16 tensor rates for this GPU",
                    true,
                ),
                None => (
                    Precision::AmpFp16,
                    "fp16 autocast: compute capability unknown, bf16 not known to be supported",
                    false,
                ),
            }
        }
        DeviceClass::AmdGpu => {
            // ROCm: bf16 on CDNA2+ and RDNA3 (MFMA/WMMA); FlashAttention's ROCm port supports
            // MI200/MI300 (gfx90a, gfx942) only (FlashAttention README, "AMD ROCm Support").
            let flash = arch.starts_with("cdna") || matches!(arch, "gfx90a" | "gfx942" | "gfx950");
            if has_bf16 || arch.starts_with("gfx11") || arch.starts_with("gfx9") {
                (
                    Precision::AmpBf16,
                    "bf16 autocast: CDNA2+/RDNA3 support bf16 matrix instructions under ROCm",
                    flash,
                )
            } else {
                (
                    Precision::AmpFp16,
                    "fp16 autocast: bf16 not known for this AMD GPU",
                    false,
                )
            }
        }
        DeviceClass::IntelGpu => (
            Precision::AmpBf16,
            "bf16 autocast: Xe-HPG/HPC XMX engines run bf16 (Intel Extension for PyTorch)",
            false,
        ),
        DeviceClass::AppleGpu => {
            // M1 lacks bf16 (metal-benchmarks; accelerators.json: M1 bf16 null).
            if arch == "apple-m1" || !has_bf16 {
                (
                    Precision::Fp16,
                    "fp16 on Metal: this Apple GPU has no bf16 (M1)",
                    false,
                )
            } else {
                (
                    Precision::Bf16,
                    "bf16 on Metal/MLX: M2 and newer run bf16 at the fp32 rate",
                    false,
                )
            }
        }
        // `class_of` never gives the CPU for an accelerator; fp32 is the safe recipe anyway.
        DeviceClass::Cpu => (Precision::Fp32, "fp32", false),
    };
    let peak = match precision {
        Precision::Fp32 => acc.peak_tflops.fp32,
        Precision::AmpFp16 | Precision::Fp16 | Precision::MixedFp16 => {
            acc.peak_tflops.fp16.or(acc.peak_tflops.fp32)
        }
        _ => acc.peak_tflops.bf16.or(acc.peak_tflops.fp32),
    }
    .map(|v| v.value);
    let (eff, source) = efficiency(class);
    let framework = match class {
        DeviceClass::NvidiaGpu => Framework::PytorchCuda,
        DeviceClass::AmdGpu => Framework::PytorchRocm,
        DeviceClass::IntelGpu => Framework::PytorchCuda,
        DeviceClass::AppleGpu => Framework::Mlx,
        DeviceClass::Cpu => Framework::PytorchCpu,
    };
    let unified = matches!(
        acc.kind,
        AcceleratorKind::Unified | AcceleratorKind::Integrated
    );
    let collective = (count > 1).then(|| {
        String::from(match class {
            DeviceClass::NvidiaGpu => "nccl",
            DeviceClass::AmdGpu => "rccl",
            DeviceClass::AppleGpu => "mlx",
            _ => "gloo",
        })
    });
    Device {
        name: acc.name.clone(),
        class,
        count,
        usable_bytes: acc.memory_total_bytes.map_or(0, |v| v.value),
        unified_memory: unified,
        precision,
        precision_reason: String::from(reason),
        attention: if flash {
            AttentionImpl::Flash
        } else {
            AttentionImpl::Sdpa
        },
        flash_attention: flash,
        framework,
        peak_tflops: peak,
        efficiency: eff,
        efficiency_source: String::from(source),
        memory_bandwidth_gbs: acc.memory_bandwidth_gbs.map(|v| v.value),
        link_gbs: (count > 1).then(|| link_gbs(profile, acc)).flatten(),
        collective,
        threads: None,
        tdp_w: acc.tdp_w.or(acc.power_default_limit_w).map(|v| v.value),
        power_min_w: acc.power_min_limit_w.map(|v| v.value),
    }
}

/// nccl-tests PERFORMANCE.md: bus bandwidth reaches about 80 % of the link's unidirectional rate.
const BUS_EFFICIENCY: f64 = 0.8;

/// The most NVLink links the profile's topology shows between two GPUs.
pub(crate) fn pair_nvlink_links(profile: &HardwareProfile) -> Option<u32> {
    profile
        .topology
        .links
        .iter()
        .filter(|l| l.level == LinkLevel::Nvlink)
        .filter_map(|l| l.nvlink_links)
        .max()
}

/// NCCL bus bandwidth between two of the devices, GB/s: NVLink when the topology shows it, else
/// the PCIe link.
fn link_gbs(profile: &HardwareProfile, acc: &Accelerator) -> Option<f64> {
    let nvlink = pair_nvlink_links(profile);
    if let Some(links) = nvlink.or(acc.nvlink_links.map(|v| v.value)) {
        if links > 0 {
            // NVLink 3 and 4: 25 GB/s per link per direction (A100: 12 links, 300 GB/s; H100: 18
            // links, 450 GB/s; NVIDIA NVLink product page).
            return Some(links as f64 * 25.0 * BUS_EFFICIENCY);
        }
    }
    pcie_gbs(acc)
}

/// Bus bandwidth of an accelerator's PCIe link, GB/s per direction: the link's rate at its
/// generation and width times NCCL's bus efficiency (the rate host-device copies reach too).
pub(crate) fn pcie_gbs(acc: &Accelerator) -> Option<f64> {
    let pcie = acc.pcie?;
    let gen = pcie.gen_max.or(pcie.gen_current)?;
    let width = pcie.width_max.or(pcie.width_current)?;
    // PCIe per-lane rate per direction after encoding, GB/s: gen 3 0.985, 4 1.969, 5 3.938, 6 7.563
    // (PCI-SIG specifications: 8/16/32/64 GT/s, 128b/130b encoding; gen 6 FLIT 242/256).
    let lane = match gen {
        1 => 0.25,
        2 => 0.5,
        3 => 0.985,
        4 => 1.969,
        5 => 3.938,
        _ => 7.563,
    };
    Some(lane * width as f64 * BUS_EFFICIENCY)
}

fn cpu_device(profile: &HardwareProfile) -> Option<Device> {
    let memory = system_memory_bytes(profile)?.value;
    let reserve = CPU_OS_RESERVE_BYTES.min(memory / 4);
    let flags = &profile.cpu.flags;
    let has = |f: CpuFlag| flags.contains(&f);
    let bf16 = has(CpuFlag::Avx512Bf16) || has(CpuFlag::AmxBf16);
    // One thread per physical core, within what this process may use (affinity, cgroup quota).
    let physical = profile.cpu.physical_cores.map(|v| v.value);
    let allowed = profile.cpu.available_parallelism.map(|v| v.value);
    let threads = match (physical, allowed) {
        (Some(p), Some(a)) => p.min(a),
        (p, a) => p.or(a).unwrap_or(1),
    }
    .max(1);
    // Measured GEMM rate when the benchmark ran; else cores x clock x fp32 FLOPs per cycle
    // (AVX-512 FMA: 32, AVX2 FMA: 16, otherwise SSE: 8; Intel optimisation manual, peak per core).
    let measured = profile.benchmarks.cpu_matmul_gflops.map(|v| v.value / 1e3);
    let per_cycle = if has(CpuFlag::Avx512f) {
        32.0
    } else if has(CpuFlag::Avx2) && has(CpuFlag::Fma) {
        16.0
    } else {
        8.0
    };
    let estimated = profile
        .cpu
        .max_mhz
        .map(|m| threads as f64 * m.value as f64 * 1e6 * per_cycle / 1e12);
    let (eff, source) = efficiency(DeviceClass::Cpu);
    Some(Device {
        name: profile
            .cpu
            .brand
            .clone()
            .unwrap_or_else(|| String::from("CPU")),
        class: DeviceClass::Cpu,
        count: 1,
        usable_bytes: memory - reserve,
        unified_memory: true,
        precision: if bf16 {
            Precision::AmpBf16
        } else {
            Precision::Fp32
        },
        precision_reason: String::from(if bf16 {
            "bf16 autocast on the CPU: AVX-512-BF16 or AMX present"
        } else {
            "fp32 on the CPU: no AVX-512-BF16 or AMX, so bf16 would be emulated and slower"
        }),
        attention: AttentionImpl::Sdpa,
        flash_attention: false,
        framework: Framework::PytorchCpu,
        peak_tflops: measured.or(estimated),
        efficiency: eff,
        efficiency_source: String::from(source),
        memory_bandwidth_gbs: profile
            .benchmarks
            .memory_bandwidth_gbs
            .or(profile.memory.bandwidth_gbs)
            .map(|v| v.value),
        link_gbs: None,
        collective: None,
        threads: Some(threads),
        tdp_w: None,
        power_min_w: None,
    })
}
