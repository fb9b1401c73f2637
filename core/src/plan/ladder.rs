//! Pretraining's model-size choice: a ladder of Llama-style shapes, and the largest of them the
//! mode's time budget trains and its memory target holds.

use alloc::format;
use alloc::vec::Vec;

use super::formulas::hardware_flops_per_token;
use super::modes::Mode;
use super::planner::Planner;
use super::search::Found;
use crate::error::Result;
use crate::model::ModelSpec;
use crate::request::{Checkpointing, Task};
use crate::warning::Warning;

/// Pretraining shapes, smallest first: Llama architecture (RMSNorm, SwiGLU with intermediate
/// about 8/3·hidden rounded up to a multiple of 16, rotary, untied head), the Llama-2 32,000-token
/// vocabulary. Layer/width ratios follow published small models: TinyStories (Eldan & Li 2023,
/// 1M–33M), Pythia/SmolLM (70M–360M), TinyLlama 1.1B (2048×22), Llama-2 7B/13B/70B.
pub(crate) const LADDER: &[(u64, u64, u64, u64)] = &[
    // (hidden, layers, heads, intermediate): parameters with the 32,000 vocabulary
    (128, 4, 4, 352),      // 9.0M
    (256, 6, 4, 688),      // 21M
    (256, 8, 4, 688),      // 23M
    (384, 8, 6, 1024),     // 39M
    (512, 8, 8, 1376),     // 58M
    (512, 12, 8, 1376),    // 71M
    (640, 12, 10, 1728),   // 100M
    (768, 12, 12, 2048),   // 134M
    (768, 16, 12, 2048),   // 162M
    (1024, 16, 16, 2752),  // 268M
    (1024, 24, 16, 2752),  // 369M
    (1280, 24, 20, 3456),  // 558M
    (1536, 24, 16, 4096),  // 778M
    (2048, 22, 32, 5632),  // 1.26B (TinyLlama's shape)
    (2048, 28, 32, 5632),  // 1.57B
    (2560, 32, 32, 6912),  // 2.7B
    (3072, 28, 24, 8192),  // 3.4B
    (4096, 32, 32, 11008), // 6.7B (Llama-2 7B)
    (5120, 40, 40, 13824), // 13B (Llama-2 13B)
    (8192, 80, 64, 28672), // 78B (Llama-2 70B with full multi-head attention)
];

/// The Llama-2 tokenizer's vocabulary (Touvron et al. 2023, "Llama 2", §2.2, "Tokenizer": 32k tokens).
const LADDER_VOCAB: u64 = 32_000;

/// Positions of a ladder model: a planner choice above the longest sequence of any mode's range
/// (extreme's 4096), so the model never shortens the sequence search; Llama 3 pretrains on 8,192-token sequences
/// (Llama 3 paper, 2024, §3.4.1).
const LADDER_MAX_POSITIONS: u64 = 8192;

pub(crate) fn ladder_spec(i: usize) -> Result<ModelSpec> {
    let (hidden, layers, heads, intermediate) = LADDER[i];
    let config = serde_json::json!({
        "model_type": "llama",
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": heads,
        "intermediate_size": intermediate,
        "vocab_size": LADDER_VOCAB,
        "max_position_embeddings": LADDER_MAX_POSITIONS,
        "tie_word_embeddings": false,
        "hidden_act": "silu",
    });
    let mut spec = crate::model::hf::from_hf_value(&config)?;
    spec.name = format!("llama-style-{}x{}", layers, hidden);
    Ok(spec)
}

impl Planner<'_> {
    /// Pretraining: the largest ladder model that the mode's time budget trains at its tokens
    /// per parameter and that fits the memory target; at least the mode's lower size when that
    /// fits in time and memory. When even the smallest model that fits is over the budget, it is
    /// taken with a `time_budget_exceeded` warning.
    pub fn pick_pretrain_model(
        &self,
        mode: Mode,
        target: u64,
        warnings: &mut Vec<Warning>,
    ) -> Result<(ModelSpec, Found)> {
        let s = mode.settings();
        let budget = self.budget_s(mode);
        let speed = self
            .dev
            .achievable_flops()
            .map(|f| f * self.power_speed(mode));
        let seq_for_time = self.goal.sequence.unwrap_or(s.sequence.1);
        let mut smallest_fit = None;
        for i in (0..LADDER.len()).rev() {
            let spec = ladder_spec(i)?;
            let params = spec.parameters()?;
            let tokens = self
                .goal
                .tokens
                .map_or(params.total as f64 * s.tokens_per_parameter, |t| t as f64);
            let in_time = match speed {
                Some(f) => {
                    tokens
                        * hardware_flops_per_token(
                            &spec,
                            params.active,
                            seq_for_time,
                            Checkpointing::None,
                        )
                        / f
                        <= budget
                }
                // Speed unknown: stay within the mode's size range.
                None => params.total <= s.pretrain_params.1,
            };
            if !in_time && i > 0 {
                continue;
            }
            if let Some(found) = self.fit_model(&spec, mode, Task::Pretrain, target)? {
                // The time again with the knobs that fit, from the time model where it prices
                // the device (the configuration reports that time), else at the sustained rate:
                // a shorter sequence is faster per token, recomputation slower.
                let step = self.data_parallel_step(
                    mode,
                    &spec,
                    &found.0,
                    Task::Pretrain,
                    (params.total, params.total),
                )?;
                let fits_time = in_time
                    && match step {
                        Some(step) => tokens / step.tokens_per_s <= budget,
                        None => speed.is_none_or(|f| {
                            tokens
                                * hardware_flops_per_token(
                                    &spec,
                                    params.active,
                                    found.0.sequence,
                                    found.0.checkpointing,
                                )
                                / f
                                <= budget
                        }),
                    };
                if fits_time {
                    return Ok((spec, Some(found)));
                }
                smallest_fit = Some((spec, found));
            } else if i == 0 {
                return Ok((spec, None));
            }
        }
        match smallest_fit {
            Some((spec, found)) => {
                warnings.push(Warning::smallest_model_over_budget(
                    &spec.name,
                    s.tokens_per_parameter,
                    mode,
                    budget,
                ));
                Ok((spec, Some(found)))
            }
            None => Ok((ladder_spec(0)?, None)),
        }
    }
}
