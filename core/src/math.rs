//! Float helpers over `libm`, used everywhere so that every build gives identical bits, and the
//! byte units the reports use.

/// Bytes in a gibibyte (2^30): memory sizes are reported in GiB, as `nvidia-smi` and PyTorch do.
pub const GIB: u64 = 1 << 30;

/// Rounds `x` up to the next integer, through `libm`.
pub fn ceil(x: f64) -> f64 {
    libm::ceil(x)
}

/// Square root through `libm`.
pub fn sqrt(x: f64) -> f64 {
    libm::sqrt(x)
}

/// Rounds a byte count up to a multiple of `align` (e.g. the CUDA caching allocator's 512 B blocks).
pub fn round_up(bytes: u64, align: u64) -> u64 {
    if align == 0 {
        return bytes;
    }
    bytes.div_ceil(align).saturating_mul(align)
}
