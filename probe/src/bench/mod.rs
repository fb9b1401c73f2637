//! The benchmarks of `trainfit probe --benchmark` and the two-host test of `trainfit net`.
//!
//! Each benchmark returns its figure or an [`Error`](crate::Error) saying why it could not run; the
//! caller ([`crate::collect`]) records the figures in the profile's `benchmarks` section and the
//! errors in its `errors`, under the section of the figure (`benchmarks.storage`). None of them
//! panics, and each keeps to the time budget it is given once a minimum of work is done (two timed
//! repetitions, one storage block), so that the figure means something.
//!
//! - [`memory::triad`]: STREAM triad bandwidth of system memory, GB/s.
//! - [`matmul::cpu_gflops`]: fp32 matrix multiply on the CPU, GFLOP/s.
//! - [`storage::sequential`]: sequential write and uncached read of one directory, MB/s.
//! - [`net::serve`] and [`net::test`]: throughput and latency between two hosts.

pub mod matmul;
pub mod memory;
pub mod net;
pub mod storage;

mod team;

use std::time::Duration;

/// First index and length of part `index` when `total` items are split over `parts` as evenly as
/// possible (the first `total % parts` parts get one more).
pub(crate) fn share(total: usize, parts: usize, index: usize) -> (usize, usize) {
    let parts = parts.max(1);
    let start = |i: usize| total / parts * i + i.min(total % parts);
    (start(index), start(index + 1) - start(index))
}

/// `amount` units in `elapsed`, per second, divided by `unit` (1e9 for GB/s); `None` when the time is
/// zero or the result is not a positive finite number.
pub(crate) fn rate(amount: f64, elapsed: Duration, unit: f64) -> Option<f64> {
    let secs = elapsed.as_secs_f64();
    let r = amount / secs / unit;
    (secs > 0.0 && r.is_finite() && r > 0.0).then_some(r)
}
