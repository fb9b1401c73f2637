//! The capability score of a machine for training, 0 to 10.

use alloc::string::String;

use super::device::Device;
use super::Score;
use crate::math::{log2, round, GIB};

/// Capability score: `10 × (log2(1 + memory GiB) + log2(1 + sustained TFLOP/s)) / 20`, capped at
/// 10, over all devices. The scale is this project's definition: the divisor 20 puts one 8×H100
/// node (640 GiB, about 3,200 sustained TFLOP/s) at the cap; an RTX 4090 scores about 5, a 16 GB
/// CPU-only laptop about 2.
pub(super) fn score(d: &Device) -> Score {
    let memory_gib = d.usable_bytes as f64 * d.count as f64 / GIB as f64;
    let tflops = d.achievable_flops().map_or(0.0, |f| f / 1e12);
    let raw = 10.0 * (log2(1.0 + memory_gib) + log2(1.0 + tflops)) / 20.0;
    Score {
        value: round(raw.clamp(0.0, 10.0) * 10.0) / 10.0,
        formula: String::from(
            "10 × (log2(1 + usable memory in GiB) + log2(1 + sustained TFLOP/s)) / 20, over all devices, capped at 10",
        ),
    }
}
