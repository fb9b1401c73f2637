//! Time of the collectives a parallel step runs, by the alpha-beta model with NCCL's bus-bandwidth
//! factors (nccl-tests `doc/PERFORMANCE.md`): a ring collective over `n` ranks moves
//! `factor · S` bytes through each rank's link and pays one latency per ring step.

use serde::{Deserialize, Serialize};

/// A link as a collective sees it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct LinkSpeed {
    /// Bus bandwidth one device gets, per direction, GB/s (what nccl-tests reports as `busbw`).
    pub bandwidth_gbs: f64,
    /// Latency of one message, µs.
    pub latency_us: f64,
}

/// A collective operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collective {
    /// Every rank ends with the sum: `2(n-1)/n · S`, `2(n-1)` steps.
    AllReduce,
    /// Every rank ends with its `1/n` of the sum: `(n-1)/n · S`, `n-1` steps.
    ReduceScatter,
    /// Every rank ends with all `n` pieces: `(n-1)/n · S`, `n-1` steps.
    AllGather,
    /// Every rank sends a `1/n` piece to every other: `(n-1)/n · S`, `n-1` steps.
    AllToAll,
    /// One rank sends `S` to one other: `S`, one step.
    PointToPoint,
}

impl Collective {
    /// Bytes through each rank's link per byte of `S`, and latency steps, over `n` ranks.
    fn factor_steps(self, n: u64) -> (f64, f64) {
        let n = n as f64;
        match self {
            Collective::AllReduce => (2.0 * (n - 1.0) / n, 2.0 * (n - 1.0)),
            Collective::ReduceScatter | Collective::AllGather | Collective::AllToAll => {
                ((n - 1.0) / n, n - 1.0)
            }
            Collective::PointToPoint => (1.0, 1.0),
        }
    }

    /// Seconds to run over `n` ranks on `link`, `bytes` being the whole array `S` (for a
    /// point-to-point, the message).
    pub fn seconds(self, bytes: f64, n: u64, link: LinkSpeed) -> f64 {
        if n <= 1 || bytes <= 0.0 {
            return 0.0;
        }
        let (factor, steps) = self.factor_steps(n);
        steps * link.latency_us * 1e-6 + factor * bytes / (link.bandwidth_gbs * 1e9)
    }
}

/// All-to-all over `n` ranks of which `local` share a machine: each rank's `(local-1)/n` of `S`
/// goes over the machine's link and `(n-local)/n` over the link between machines, both at once
/// (NCCL sends each peer's piece on the path to that peer).
pub fn all_to_all_s(bytes: f64, n: u64, local: u64, intra: LinkSpeed, inter: LinkSpeed) -> f64 {
    if n <= 1 || bytes <= 0.0 {
        return 0.0;
    }
    let local = local.clamp(1, n);
    if local == n {
        return Collective::AllToAll.seconds(bytes, n, intra);
    }
    let nf = n as f64;
    let near = (local - 1) as f64 / nf * bytes / (intra.bandwidth_gbs * 1e9);
    let far = (n - local) as f64 / nf * bytes / (inter.bandwidth_gbs * 1e9);
    (nf - 1.0) * inter.latency_us * 1e-6 + near.max(far)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dp_all_reduce_of_8b_gradients_over_nvlink() {
        // parallel-anchors §8: 16 GB of bf16 gradients over 8 H100s at 370 GB/s busbw,
        // 2·(7/8)·16/370 = 75.7 ms (latency 14 steps of 5 µs adds 0.07 ms).
        let link = LinkSpeed {
            bandwidth_gbs: 370.0,
            latency_us: 5.0,
        };
        let t = Collective::AllReduce.seconds(16e9, 8, link);
        assert!((t - (2.0 * 7.0 / 8.0 * 16.0 / 370.0 + 14.0 * 5e-6)).abs() < 1e-12);
        assert_eq!(Collective::AllGather.seconds(16e9, 1, link), 0.0);
        // Reduce-scatter and all-gather each move half an all-reduce.
        let rs = Collective::ReduceScatter.seconds(1e9, 4, link);
        let ag = Collective::AllGather.seconds(1e9, 4, link);
        let ar = Collective::AllReduce.seconds(1e9, 4, link);
        assert!((rs + ag - ar).abs() < 1e-12);
    }
}
