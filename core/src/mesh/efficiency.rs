//! What share of its peak a device reaches on one operation.
//!
//! Matrix multiplies: the largest reach the device's maximum achievable matmul FLOP/s (MAMF,
//! measured per accelerator by Stas Bekman's `mamf-finder.py`, table in
//! github.com/stas00/ml-engineering `compute/accelerator/README.md`), or a matmul the probe
//! measured; smaller ones fall off by the size steps of Calculon (Isaev et al., SC'23,
//! `systems/a100_80g.json` in github.com/calculon-ai/calculon), taken relative to its plateau.
//! Memory transfers follow Calculon's size steps too. Attention kernels have their own shares,
//! from the FlashAttention papers.

/// Share of peak matrix FLOP/s for one matrix multiply of `flops` FLOPs (Calculon's `matrix`
/// `gflops_efficiency`: ≥ 128 GFLOP 0.95, ≥ 16 GFLOP 0.90, ≥ 1 GFLOP 0.60, below 0.10).
pub fn matrix(flops: f64) -> f64 {
    const GIGA: f64 = 1e9;
    if flops >= 128.0 * GIGA {
        0.95
    } else if flops >= 16.0 * GIGA {
        0.90
    } else if flops >= GIGA {
        0.60
    } else {
        0.10
    }
}

/// The plateau of [`matrix`]: what the largest multiplies reach.
pub const MATRIX_PLATEAU: f64 = 0.95;

/// Measured maximum achievable matmul FLOP/s as a share of the dense peak, bf16 and fp8, by
/// accelerator (MAMF table, ml-engineering `compute/accelerator/README.md`, "Maximum Achievable
/// Matmul FLOPS comparison table"; mean of 100 iterations at the best shape found). Matched on
/// the catalogue name's words, most specific first.
const MAMF: &[(&[&str], f64, Option<f64>)] = &[
    (&["gh200"], 0.838, Some(0.776)),
    (&["gb200"], 0.729, Some(0.723)),
    (&["a100", "pcie"], 0.811, None),
    (&["a100"], 0.869, None),
    (&["h100", "pcie"], 0.803, Some(0.709)),
    (&["h100"], 0.803, Some(0.709)),
    (&["h200"], 0.803, Some(0.734)),
    (&["b300"], 0.786, Some(0.745)),
    (&["b200"], 0.776, Some(0.763)),
    (&["mi355x"], 0.680, None),
    (&["mi325x"], 0.604, None),
    (&["mi300x"], 0.514, None),
    (&["gaudi", "3"], 0.741, Some(0.769)),
    (&["gaudi", "2"], 0.969, Some(0.955)),
];

/// For a device the MAMF table does not list: the median of its NVIDIA bf16 rows (A100 SXM
/// 0.869, GH200 0.838, A100 PCIe 0.811, H100 SXM 0.803, B300 0.786, B200 0.776, GB200 0.729).
pub const MAMF_UNLISTED: f64 = 0.803;

/// For an AMD GPU the MAMF table does not list: the median of its AMD rows (MI355X 0.680,
/// MI325X 0.604, MI300X 0.514).
pub const MAMF_UNLISTED_AMD: f64 = 0.604;

/// For an Intel GPU (XPU): the table has no Intel GPU row (its Gaudi rows are another
/// architecture), so the lowest GPU row, MI300X's 0.514: an assumption on the cautious side.
pub const MAMF_UNLISTED_INTEL: f64 = 0.514;

/// Apple GPUs: Metal Performance Shaders' best 16-bit matrix multiply on a 32-core Apple 7 GPU
/// (M1 Max), 7,824 GFLOP/s at 3072³ (github.com/philipturner/metal-flash-attention README,
/// "GFLOPS during general matrix multiplication", MPS F16 row), over that GPU's 10.6 TFLOP/s
/// (32 cores × 128 ALUs × 2 FLOPs × 1.296 GHz, the metal-benchmarks README's rule, which the
/// catalogue's Apple peaks follow): 0.737. MPS is what PyTorch's `mps` device calls; MLX's own
/// kernels reach more (the same README: its MFA F16 kernel 9,905), so this is the cautious side.
pub const APPLE_MPS_SHARE: f64 = 7_824.0 / 10_617.0;

/// A CPU whose GEMM rate was not measured: its peak is the estimate cores × clock × FLOPs per
/// cycle at the highest clock, which wide vector code does not hold on all cores (AVX-512
/// frequency licences). Assumed: half of it. The probe's `--benchmark` measures the GEMM rate,
/// which then stands as the plateau itself (share 1).
pub const CPU_ESTIMATED_SHARE: f64 = 0.5;

/// A device's matmul plateau as a share of its dense peak, 16-bit and fp8, and whether the
/// MAMF table lists it.
pub fn matmul_share(name: &str) -> (f64, Option<f64>, bool) {
    let lower = name.to_ascii_lowercase();
    let words: alloc::vec::Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for (keys, bf16, fp8) in MAMF {
        if keys.iter().all(|k| words.iter().any(|w| w == k)) {
            return (*bf16, *fp8, true);
        }
    }
    (MAMF_UNLISTED, None, false)
}

/// Attention kernels and the share of the 16-bit peak they reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum AttentionKernel {
    /// Unfused: two batched multiplies and a softmax through memory.
    Eager,
    /// FlashAttention-2 (PyTorch's SDPA flash backend, `flash-attn` 2).
    Flash2,
    /// Hopper-and-later kernels: FlashAttention-3, cuDNN fused attention (Transformer Engine).
    Flash3,
}

/// Share of the 16-bit peak an attention kernel reaches on a device of `architecture`.
///
/// FlashAttention-2 reaches 50–73 % of peak on A100 (Dao 2023, abstract; midpoint 0.615) but
/// 35 % on H100 (Shah et al. 2024, FlashAttention-3, abstract); FlashAttention-3 reaches 75 %
/// forward on H100 at 16-bit (same abstract), cuDNN's kernel 595–617 TFLOP/s of 989 forward at
/// head size 128 and 2k–16k tokens (same paper, Figure 5: 0.61). Eager attention runs its
/// multiplies at the matmul table instead (this share is unused).
pub fn attention_share(kernel: AttentionKernel, hopper_or_later: bool) -> f64 {
    match (kernel, hopper_or_later) {
        (AttentionKernel::Flash2, false) => 0.615,
        (AttentionKernel::Flash2, true) => 0.35,
        (AttentionKernel::Flash3, true) => 0.61,
        // No Hopper features to use: FlashAttention-3 and cuDNN need them.
        (AttentionKernel::Flash3, false) => 0.615,
        (AttentionKernel::Eager, _) => MATRIX_PLATEAU,
    }
}

/// Share of peak memory bandwidth for one transfer of `bytes` (Calculon's `mem1`
/// `MB_efficiency`: ≥ 100 MB 0.90, ≥ 10 MB 0.75, ≥ 1 MB 0.60, below 0.30).
pub fn memory(bytes: f64) -> f64 {
    const MEGA: f64 = 1e6;
    if bytes >= 100.0 * MEGA {
        0.90
    } else if bytes >= 10.0 * MEGA {
        0.75
    } else if bytes >= MEGA {
        0.60
    } else {
        0.30
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_at_calculons_boundaries() {
        assert_eq!(matrix(128e9), 0.95);
        assert_eq!(matrix(127.9e9), 0.90);
        assert_eq!(matrix(1e9), 0.60);
        assert_eq!(matrix(0.5e9), 0.10);
        assert_eq!(memory(100e6), 0.90);
        assert_eq!(memory(5e6), 0.60);
        assert_eq!(memory(1.0), 0.30);
    }

    #[test]
    fn mamf_by_catalogue_name() {
        assert_eq!(matmul_share("NVIDIA A100 SXM4 80GB"), (0.869, None, true));
        assert_eq!(matmul_share("NVIDIA A100 PCIe 80GB").0, 0.811);
        assert_eq!(
            matmul_share("NVIDIA H100 SXM5 80GB"),
            (0.803, Some(0.709), true)
        );
        assert_eq!(matmul_share("NVIDIA H200 SXM 141GB").1, Some(0.734));
        assert_eq!(matmul_share("NVIDIA GH200 480GB").0, 0.838);
        assert_eq!(matmul_share("AMD Instinct MI300X").0, 0.514);
        assert_eq!(
            matmul_share("NVIDIA GeForce RTX 4090"),
            (MAMF_UNLISTED, None, false)
        );
    }
}
