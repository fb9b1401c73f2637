//! Pretraining's model-size choice: a ladder of Llama-style shapes, and the largest of them the
//! mode's time budget trains and its memory target holds.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::formulas::{hardware_flops_per_token, optimal_vocabulary};
use super::modes::Mode;
use super::planner::Planner;
use super::search::Found;
use super::Tokenizer;
use crate::error::Result;
use crate::math::{log2, round};
use crate::model::ModelSpec;
use crate::request::{Checkpointing, Task};
use crate::warning::Warning;

/// Pretraining shapes, smallest first: Llama architecture (RMSNorm, SwiGLU with intermediate
/// about 8/3·hidden rounded up to a multiple of 16, rotary, untied head), each with the public
/// tokenizer nearest the vocabulary its size calls for ([`tokenizer`]). Layer/width ratios follow
/// published small models: TinyStories (Eldan & Li 2023, 1M–33M), Pythia/SmolLM (70M–360M),
/// TinyLlama 1.1B (2048×22), Llama-2 7B/13B/70B.
pub(crate) const LADDER: &[(u64, u64, u64, u64)] = &[
    // (hidden, layers, heads, intermediate): non-embedding parameters; vocabulary (Tao et al.
    // 2024's optimum); parameters
    (128, 4, 4, 352),      // 0.80M; 4,096 (1,104); 1.85M
    (256, 6, 4, 688),      // 4.7M; 4,096 (2,432); 6.8M
    (256, 8, 4, 688),      // 6.3M; 4,096 (3,093); 8.4M
    (384, 8, 6, 1024),     // 14M; 4,096 (4,041); 17M
    (512, 8, 8, 1376),     // 25M; 4,096 (4,922); 29M
    (512, 12, 8, 1376),    // 38M; 4,096 (6,906); 42M
    (640, 12, 10, 1728),   // 59M; 4,096 (8,042); 65M
    (768, 12, 12, 2048),   // 85M; 4,096 (9,025); 91M
    (768, 16, 12, 2048),   // 113M; 32,000 (11,476); 162M
    (1024, 16, 16, 2752),  // 202M; 32,000 (13,979); 268M
    (1024, 24, 16, 2752),  // 304M; 32,000 (19,615); 369M
    (1280, 24, 20, 3456),  // 476M; 32,000 (22,840); 558M
    (1536, 24, 16, 4096),  // 680M; 32,000 (25,633); 778M
    (2048, 22, 32, 5632),  // 1.13B; 32,000 (29,411); 1.26B (TinyLlama's shape)
    (2048, 28, 32, 5632),  // 1.44B; 32,000 (35,975); 1.57B
    (2560, 32, 32, 6912),  // 2.54B; 50,257 (46,236); 2.80B
    (3072, 28, 24, 8192),  // 3.17B; 50,257 (46,413); 3.48B
    (4096, 32, 32, 11008), // 6.48B; 50,257 (63,208); 6.89B (Llama-2 7B's shape)
    (5120, 40, 40, 13824), // 12.7B; 128,256 (88,687); 14.0B (Llama-2 13B's shape)
    (8192, 80, 64, 28672), // 77.8B; 128,256 (252,291); 79.9B (Llama-2 70B's, full multi-head attention)
];

/// Public tokenizers a generated model takes, smallest vocabulary first: (vocabulary, name, where
/// it comes from). The smallest is the smallest vocabulary of Tao et al. 2024's runs (4K).
const TOKENIZERS: &[(u64, &str, &str)] = &[
    (
        4096,
        "sentencepiece-bpe-4096",
        "a 4,096-token SentencePiece BPE trained on the dataset, as llama2.c does (`python tinystories.py train_vocab --vocab_size=4096` writes data/tok4096.model; its README: on TinyStories about as many tokens per story as Llama 2's 32,000)",
    ),
    (
        32_000,
        "llama-2",
        "the Llama 2 tokenizer, SentencePiece BPE with 32,000 tokens (Touvron et al. 2023, §2.2)",
    ),
    (
        50_257,
        "gpt-2",
        "the GPT-2 tokenizer, byte-level BPE with 50,257 tokens (Radford et al. 2019, §2.2)",
    ),
    (
        128_256,
        "llama-3",
        "the Llama 3 tokenizer, tiktoken BPE with 128K tokens (Llama 3 paper, 2024, §3.2; vocab_size 128,256)",
    ),
];

/// Positions of a ladder model: a planner choice above the longest sequence of any mode's range
/// (extreme's 4096), so the model never shortens the sequence search; Llama 3 pretrains on 8,192-token sequences
/// (Llama 3 paper, 2024, §3.4.1).
const LADDER_MAX_POSITIONS: u64 = 8192;

/// The shape's spec with a vocabulary of `vocab` tokens.
pub(crate) fn shape_spec(i: usize, vocab: u64) -> Result<ModelSpec> {
    let (hidden, layers, heads, intermediate) = LADDER[i];
    let config = serde_json::json!({
        "model_type": "llama",
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": heads,
        "intermediate_size": intermediate,
        "vocab_size": vocab,
        "max_position_embeddings": LADDER_MAX_POSITIONS,
        "tie_word_embeddings": false,
        "hidden_act": "silu",
    });
    let mut spec = crate::model::hf::from_hf_value(&config)?;
    spec.name = format!("llama-style-{}x{}", layers, hidden);
    Ok(spec)
}

/// The ladder's `i`-th model with its tokenizer's vocabulary.
fn ladder_spec(i: usize) -> Result<ModelSpec> {
    // The non-embedding parameters do not depend on the vocabulary: measured on the smallest.
    let probe = shape_spec(i, TOKENIZERS[0].0)?;
    let vocab = tokenizer_for(non_embedding(&probe)?, probe.hidden).vocab;
    shape_spec(i, vocab)
}

/// Parameters outside the token embedding and the output head.
fn non_embedding(spec: &ModelSpec) -> Result<u64> {
    let heads = if spec.tied_embeddings { 1 } else { 2 };
    Ok(spec
        .parameters()?
        .total
        .saturating_sub(heads * spec.vocab * spec.hidden))
}

/// The public tokenizer nearest (by ratio) the vocabulary Tao et al. 2024 predict for a model of
/// `non_vocab` non-embedding parameters and width `hidden`.
fn tokenizer_for(non_vocab: u64, hidden: u64) -> Tokenizer {
    let optimal = optimal_vocabulary(non_vocab as f64, hidden);
    let distance = |v: u64| (log2(v as f64) - log2(optimal.max(1.0))).abs();
    let &(vocab, name, source) = TOKENIZERS
        .iter()
        .min_by(|a, b| distance(a.0).total_cmp(&distance(b.0)))
        .unwrap_or(&TOKENIZERS[0]);
    Tokenizer {
        name: String::from(name),
        vocab,
        optimal_vocab: round(optimal) as u64,
        source: String::from(source),
    }
}

/// The tokenizer of a generated model (its vocabulary is the one [`ladder_spec`] gave it).
pub(super) fn tokenizer(spec: &ModelSpec) -> Result<Tokenizer> {
    let t = tokenizer_for(non_embedding(spec)?, spec.hidden);
    Ok(Tokenizer {
        vocab: spec.vocab,
        ..t
    })
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
