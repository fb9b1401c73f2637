//! Serving figures: how a context splits into prompt and generation, the KV cache per sequence,
//! and the decode rate memory bandwidth allows.

use super::planner::Planner;
use super::search::Knobs;
use super::ServeEstimate;
use crate::estimate::{Estimate, TermKind};

/// One part in this many of a served context is generated, after a prompt of the rest: a
/// planner choice (a quarter).
const GENERATED_PART: u64 = 4;

/// Share of peak memory bandwidth decode sustains. llm-analysis divides the bytes a step reads by
/// bandwidth × `hbm_memory_efficiency` and calls 0.9 an aggressive value (github.com/cli99/
/// llm-analysis, README); 0.8 is the planner's choice below it.
const DECODE_BANDWIDTH_EFFICIENCY: f64 = 0.8;

/// A served context of `context` tokens as (prompt, generated) tokens.
pub(super) fn split_context(context: u64) -> (u64, u64) {
    let generate = context / GENERATED_PART;
    (context - generate, generate)
}

impl Planner<'_> {
    /// Serving figures of knobs `k` with their estimate.
    pub fn serve_estimate(&self, k: &Knobs, memory: &Estimate) -> ServeEstimate {
        let kv: u64 = memory
            .breakdown
            .iter()
            .filter(|t| t.term == TermKind::KvCache)
            .map(|t| t.bytes)
            .sum();
        let per_seq = kv / k.micro_batch.max(1);
        // Decode is memory-bound: each step reads the weights and every sequence's KV cache
        // (llm-analysis's latency model, its memory term).
        let bytes_per_step = memory.model_states.weights_bytes as f64 + kv as f64;
        let rate = self.dev.memory_bandwidth_gbs.map(|bw| {
            let step = bytes_per_step / (bw * 1e9 * DECODE_BANDWIDTH_EFFICIENCY);
            k.micro_batch as f64 * self.dev.count as f64 / step
        });
        ServeEstimate {
            context: k.sequence,
            concurrency: k.micro_batch * self.dev.count,
            kv_bytes_per_sequence: per_seq,
            decode_tokens_per_s: rate,
        }
    }
}
