//! fp32 matrix multiply on the CPU: a cache-tiled GEMM in plain Rust.
//!
//! The kernel is written as iterator loops that LLVM vectorises for the build's baseline
//! instruction set (SSE2 on x86_64 unless built with `-C target-cpu`, NEON on aarch64). It uses no
//! fused multiply-add and no hand-written intrinsics, so the figure is a floor: an optimised BLAS
//! (OpenBLAS, MKL, Accelerate) reaches several times more on CPUs with AVX2, AVX-512 or AMX.

use std::ops::Range;
use std::time::{Duration, Instant};

use super::{rate, share, team};
use crate::error::Error;

/// Matrix sides tried, largest first; the largest whose product fits a third of the remaining
/// budget is used. From 512 up the matrices (1–4 MiB each) outgrow L2, so the tiling is
/// exercised, and one product (0.27–2.1 GFLOP) outlasts the wake-up of the threads.
const SIZES: [usize; 3] = [1024, 768, 512];
/// Side of the calibration product that estimates the machine's speed (and the side used when
/// not even a 512 product fits the budget, e.g. an unoptimised debug build).
const CALIBRATION_N: usize = 256;
/// Rows of C computed together, so each loaded element of B is used this many times.
const ROW_BLOCK: usize = 4;
/// Columns per tile: 4 rows × 256 f32 of C = 4 KiB, which stays in a 32 KiB L1 data cache.
const COL_TILE: usize = 256;
/// Depth per tile: a 128 × 256 f32 tile of B = 128 KiB, which stays in a 256 KiB or larger L2.
const DEPTH_TILE: usize = 128;
/// Allowed difference from the f64 reference, relative to Σ|a·b| of the entry: float32 summation
/// of n ≤ 1024 products errs by at most about n × 2⁻²⁴ ≈ 6e-5 of it (Higham, Accuracy and
/// Stability of Numerical Algorithms, 2nd ed., §3.1); a wrong index errs by far more.
const TOLERANCE: f64 = 1e-3;
/// Floating-point operations of one n × n product: n³ multiplies and n³ adds.
fn flops(n: usize) -> f64 {
    2.0 * (n as f64).powi(3)
}

/// One worker's share of C: rows `first..first + rows`, row-major.
struct RowBlock {
    first: usize,
    c: Vec<f32>,
}

/// fp32 GEMM throughput in GFLOP/s (1e9 floating-point operations per second), best of
/// repetitions on `threads` threads until `budget` has passed, after checking entries of the
/// product against an f64 reference.
///
/// # Errors
///
/// When `threads` is 0, a thread fails, or the product has a wrong entry.
pub fn cpu_gflops(threads: usize, budget: Duration) -> Result<f64, Error> {
    let deadline = Instant::now() + budget;
    let calibration = multiply(CALIBRATION_N, threads, Instant::now())?;
    let per_flop = calibration.as_secs_f64() / flops(CALIBRATION_N);
    let left = deadline
        .saturating_duration_since(Instant::now())
        .as_secs_f64();
    let n = SIZES
        .into_iter()
        .find(|&n| flops(n) * per_flop <= left / 3.0)
        .unwrap_or(CALIBRATION_N);
    let best = if n == CALIBRATION_N {
        calibration
    } else {
        multiply(n, threads, deadline)?
    };
    rate(flops(n), best, 1e9) // GFLOP/s: decimal
        .ok_or(Error::NoTime {
            benchmark: "the matrix multiply",
        })
}

/// Multiplies two n × n matrices on `threads` threads until `deadline` (at least twice), checks
/// the product and returns the fastest time.
fn multiply(n: usize, threads: usize, deadline: Instant) -> Result<Duration, Error> {
    let a = matrix(n, 1);
    let b = matrix(n, 2);
    let outcome = team::run(
        threads,
        deadline,
        |i| {
            let (first, rows) = share(n, threads, i);
            Ok(RowBlock {
                first,
                c: vec![0.0; rows * n],
            })
        },
        |block| gemm_rows(&a, &b, n, block),
    )?;
    verify(&a, &b, n, &outcome.states)?;
    Ok(outcome.best)
}

/// A deterministic n × n matrix with entries in [-1, 1], different for each `seed`.
fn matrix(n: usize, seed: usize) -> Vec<f32> {
    (0..n * n)
        .map(|i| {
            // Knuth's multiplicative hash (TAOCP vol. 3, §6.4: 2654435761 ≈ 2³² / φ), reduced to
            // 2001 steps of 0.001 between -1 and 1.
            let h = (i + seed * 7919).wrapping_mul(2_654_435_761) % 2001;
            h as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// Computes the worker's rows of C = A·B, tile by tile.
fn gemm_rows(a: &[f32], b: &[f32], n: usize, block: &mut RowBlock) {
    block.c.fill(0.0);
    let first = block.first * n;
    for (g, c_group) in block.c.chunks_mut(ROW_BLOCK * n).enumerate() {
        let start = first + g * ROW_BLOCK * n;
        let Some(a_group) = a.get(start..start + c_group.len()) else {
            return;
        };
        for j0 in (0..n).step_by(COL_TILE) {
            let cols = j0..(j0 + COL_TILE).min(n);
            for k0 in (0..n).step_by(DEPTH_TILE) {
                let depth = k0..(k0 + DEPTH_TILE).min(n);
                tile(c_group, a_group, b, n, cols.clone(), depth);
            }
        }
    }
}

/// Adds A[rows, depth] · B[depth, cols] to C[rows, cols] for one group of rows: the four-row
/// kernel for a full group, one row at a time for the short last group of a worker.
fn tile(
    c_group: &mut [f32],
    a_group: &[f32],
    b: &[f32],
    n: usize,
    cols: Range<usize>,
    depth: Range<usize>,
) {
    let b_rows = || {
        b.chunks_exact(n)
            .skip(depth.start)
            .take(depth.len())
            .map(|row| &row[cols.clone()])
    };
    let full = c_group.len() == ROW_BLOCK * n;
    let mut c_rows = c_group.chunks_exact_mut(n);
    let mut a_rows = a_group.chunks_exact(n);
    if full {
        if let (Some(c0), Some(c1), Some(c2), Some(c3)) =
            (c_rows.next(), c_rows.next(), c_rows.next(), c_rows.next())
        {
            let c = [c0, c1, c2, c3].map(|row| &mut row[cols.clone()]);
            let a = [0, 1, 2, 3].map(|_| a_rows.next().map_or(&[][..], |r| &r[depth.clone()]));
            kernel4(c, a, b_rows());
        }
        return;
    }
    for (c_row, a_row) in c_rows.zip(a_rows) {
        let c_row = &mut c_row[cols.clone()];
        for (&x, b_row) in a_row[depth.clone()].iter().zip(b_rows()) {
            for (c, &y) in c_row.iter_mut().zip(b_row) {
                *c += x * y;
            }
        }
    }
}

/// The inner kernel: four rows of C, each loaded element of B used four times. Zipped slice
/// iterators carry no bounds checks, so LLVM vectorises the inner loop.
fn kernel4<'b>(
    [c0, c1, c2, c3]: [&mut [f32]; 4],
    [a0, a1, a2, a3]: [&[f32]; 4],
    b_rows: impl Iterator<Item = &'b [f32]>,
) {
    let a = a0.iter().zip(a1).zip(a2).zip(a3);
    for ((((&x0, &x1), &x2), &x3), b_row) in a.zip(b_rows) {
        let c = c0
            .iter_mut()
            .zip(c1.iter_mut())
            .zip(c2.iter_mut())
            .zip(c3.iter_mut());
        for ((((c0, c1), c2), c3), &y) in c.zip(b_row) {
            *c0 += x0 * y;
            *c1 += x1 * y;
            *c2 += x2 * y;
            *c3 += x3 * y;
        }
    }
}

/// Entries of C checked against the f64 reference, as fractions of n: corners, middle and
/// off-diagonal points, so every tile edge case (first, last, interior) is covered.
const CHECKS: [(usize, usize, usize, usize); 6] = [
    (0, 1, 0, 1),
    (1, 1, 1, 1),
    (1, 2, 1, 3),
    (1, 3, 1, 1),
    (1, 1, 0, 1),
    (2, 3, 1, 7),
];

/// Compares entries of the product with a naive f64 dot product.
fn verify(a: &[f32], b: &[f32], n: usize, blocks: &[RowBlock]) -> Result<(), Error> {
    for (ip, iq, jp, jq) in CHECKS {
        // (p / q) · n, with p = q meaning the last index.
        let at = |p: usize, q: usize| (n * p / q).min(n - 1);
        let (i, j) = (at(ip, iq), at(jp, jq));
        let (row, col) = (i as u64, j as u64);
        let got = entry(blocks, n, i, j).ok_or(Error::MissingEntry {
            device: "CPU",
            row,
            col,
        })?;
        let (want, scale) = reference(a, b, n, i, j);
        if (f64::from(got) - want).abs() > TOLERANCE * scale {
            return Err(Error::WrongProduct {
                device: "CPU",
                row,
                col,
                got,
                want,
            });
        }
    }
    Ok(())
}

/// C[i][j] from the worker that holds row i.
fn entry(blocks: &[RowBlock], n: usize, i: usize, j: usize) -> Option<f32> {
    let block = blocks
        .iter()
        .find(|blk| i >= blk.first && i < blk.first + blk.c.len() / n)?;
    block.c.get((i - block.first) * n + j).copied()
}

/// C[i][j] computed in f64, and Σ|A[i][k]·B[k][j]|, the scale of its rounding error.
fn reference(a: &[f32], b: &[f32], n: usize, i: usize, j: usize) -> (f64, f64) {
    let a_row = a.chunks_exact(n).nth(i).unwrap_or(&[]);
    let b_col = b.chunks_exact(n).filter_map(|row| row.get(j));
    a_row
        .iter()
        .zip(b_col)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .fold((0.0, 0.0), |(sum, abs), p| (sum + p, abs + p.abs()))
}
