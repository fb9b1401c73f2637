//! Float helpers over `libm`, used everywhere so that every build gives identical bits, and the
//! byte units the reports use.
//!
//! `f64::floor` and friends call the platform's C library under `std` and do not exist without it;
//! `libm` is the same Rust code on every target, so the native binary and the WebAssembly build
//! round and take logarithms identically. Every float function of the core goes through here.

/// Bytes in a gibibyte (2^30): memory sizes are reported in GiB, as `nvidia-smi` and PyTorch do.
pub const GIB: u64 = 1 << 30;

/// `bytes` in GiB.
pub fn gib(bytes: u64) -> f64 {
    bytes as f64 / GIB as f64
}

/// Rounds `x` up to the next integer, through `libm`.
pub fn ceil(x: f64) -> f64 {
    libm::ceil(x)
}

/// Rounds `x` down to the next integer, through `libm`.
pub fn floor(x: f64) -> f64 {
    libm::floor(x)
}

/// Rounds `x` to the nearest integer, halves away from zero, through `libm`.
pub fn round(x: f64) -> f64 {
    libm::round(x)
}

/// Square root through `libm`.
pub fn sqrt(x: f64) -> f64 {
    libm::sqrt(x)
}

/// Cube root through `libm`.
pub fn cbrt(x: f64) -> f64 {
    libm::cbrt(x)
}

/// `x` to the power `y` through `libm`.
pub fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// Base-2 logarithm through `libm`.
pub fn log2(x: f64) -> f64 {
    libm::log2(x)
}

/// Rounds a byte count up to a multiple of `align` (e.g. the CUDA caching allocator's 512 B blocks).
pub fn round_up(bytes: u64, align: u64) -> u64 {
    if align == 0 {
        return bytes;
    }
    bytes.div_ceil(align).saturating_mul(align)
}
