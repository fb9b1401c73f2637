//! NVIDIA's numbering, from its headers and guides: CUDA versions, cores per SM, tensor-core
//! types, NVLink generations, clocks-event reasons and topology levels.

use trainfit_core::hardware::{LinkLevel, MatrixDtype, ThrottleReason};

/// CUDA version text from NVML's integer: 12080 is `12.8` (major·1000 + minor·10, the rule of
/// nvml-wrapper's `cuda_driver_version_major/minor` and of `nvidia-smi`).
pub fn cuda_version(v: i32) -> Option<String> {
    (v > 0).then(|| format!("{}.{}", v / 1000, (v % 1000) / 10))
}

/// FP32 CUDA cores per SM by compute capability, from `_ConvertSMVer2Cores` in NVIDIA's
/// cuda-samples `Common/helper_cuda.h`.
pub fn cores_per_sm(major: i32, minor: i32) -> Option<u32> {
    match (major, minor) {
        (3, _) => Some(192),
        (5, _) => Some(128),
        (6, 0) => Some(64),
        (6, 1 | 2) => Some(128),
        (7, _) => Some(64),
        (8, 0) => Some(64),
        (8, 6 | 7 | 9) => Some(128),
        (9, 0) => Some(128),
        (10..=12, _) => Some(128),
        _ => None,
    }
}

/// Types the tensor cores take, by compute capability, from the CUDA C++ Programming Guide's
/// warp matrix (WMMA) element types: `__half` from sm_70, `u8`/`s8` from sm_72, `__nv_bfloat16`
/// and `tf32` from sm_80; FP8 (`e4m3`/`e5m2` MMA) needs sm_89 (PTX ISA). FP32 runs everywhere.
pub fn dtypes(major: i32, minor: i32) -> Vec<MatrixDtype> {
    let cc = (major, minor);
    let mut out = vec![MatrixDtype::Fp32];
    let rules: [(MatrixDtype, (i32, i32)); 5] = [
        (MatrixDtype::Tf32, (8, 0)),
        (MatrixDtype::Fp16, (7, 0)),
        (MatrixDtype::Bf16, (8, 0)),
        (MatrixDtype::Fp8, (8, 9)),
        (MatrixDtype::Int8, (7, 2)),
    ];
    for (dtype, since) in rules {
        if cc >= since {
            out.push(dtype);
        }
    }
    out
}

/// NVLink generation of an `nvmlNvlinkVersion_t` code (nvml.h: 1 = 1.0, 2 = 2.0, 3 = 2.2,
/// 4 = 3.0, 5 = 3.1, 6 = 4.0, 7 = 5.0).
pub fn nvlink_generation(code: u32) -> Option<u32> {
    match code {
        1 => Some(1),
        2 | 3 => Some(2),
        4 | 5 => Some(3),
        6 => Some(4),
        7 => Some(5),
        _ => None,
    }
}

/// Snake-case names of the clocks-event ("throttle") reasons set in NVML's mask, without
/// `gpu_idle`. Bits from nvml.h `nvmlClocksEventReason*` (nvml-wrapper-sys bindings).
pub fn throttle_reason_names(bits: u64) -> Vec<ThrottleReason> {
    const REASONS: [(u64, ThrottleReason); 8] = [
        (0x2, ThrottleReason::ApplicationsClocksSetting),
        (0x4, ThrottleReason::SwPowerCap),
        (0x8, ThrottleReason::HwSlowdown),
        (0x10, ThrottleReason::SyncBoost),
        (0x20, ThrottleReason::SwThermalSlowdown),
        (0x40, ThrottleReason::HwThermalSlowdown),
        (0x80, ThrottleReason::HwPowerBrake),
        (0x100, ThrottleReason::DisplayClockSetting),
    ];
    REASONS
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, reason)| *reason)
        .collect()
}

/// The profile's level for an NVML topology level.
pub fn topology_level(nvml_level: &str) -> Option<LinkLevel> {
    match nvml_level {
        "internal" => Some(LinkLevel::Board),
        "single" => Some(LinkLevel::PcieSwitch),
        "multiple" => Some(LinkLevel::PcieSwitches),
        "hostbridge" => Some(LinkLevel::HostBridge),
        "node" => Some(LinkLevel::NumaNode),
        "system" => Some(LinkLevel::System),
        _ => None,
    }
}
