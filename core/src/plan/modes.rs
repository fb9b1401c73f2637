//! The three modes: how much of the machine a configuration may take, and what it aims for.
//!
//! The modes are this project's design; this file is their reference. The table below is the
//! product's modes table, and every constant in this file restates one of its columns. Where the
//! table gives a range and the planner needs one number, the choice is named next to the constant.
//!
//! | | conservative | balanced | extreme |
//! |---|---|---|---|
//! | memory target (of usable device memory) | 50 % | 75 % | 95 % |
//! | pretraining model size (typical consumer GPU) | 23M–70M | 70M–200M | 200M–1B+ |
//! | micro-batch | small (2–8), high accumulation | 8–32, for throughput | largest that fits |
//! | sequence length | 512–1024 | 1024–2048 | 2048–4096+ |
//! | wall-clock budget | 30 min–2 h | 2–6 h | 6 h+ |
//! | power | under 40 % of TDP | 60–80 % | 90–100 % |
//! | tokens per parameter | 10–15 | 20 | 25+ |
//! | stance | fallbacks ready, frequent checkpoints | temperature and power alerts | stability, thermal and cooling warnings |

use serde::{Deserialize, Serialize};

use crate::wire::wire_names;

/// A planning mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Half the memory, short runs, fallbacks ready.
    Conservative,
    /// Three quarters of the memory, a few hours, for throughput.
    Balanced,
    /// Nearly all the memory, long runs, at the machine's limits.
    Extreme,
}

wire_names!(Mode, "mode", {
    Conservative => "conservative",
    Balanced => "balanced",
    Extreme => "extreme",
});

impl Mode {
    /// The mode's parameters.
    pub fn settings(self) -> &'static ModeSettings {
        match self {
            Mode::Conservative => &CONSERVATIVE,
            Mode::Balanced => &BALANCED,
            Mode::Extreme => &EXTREME,
        }
    }
}

/// What a mode allows and aims for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModeSettings {
    /// Share of the device's usable memory a configuration may occupy.
    pub memory_target: f64,
    /// Pretraining model size for a typical consumer GPU, parameters (lower, upper). The planner
    /// goes beyond the upper bound where the hardware trains more in the time budget.
    pub pretrain_params: (u64, u64),
    /// Micro-batch (lower, upper); `u64::MAX` is "the largest that fits".
    pub micro_batch: (u64, u64),
    /// Sequence length (lower, upper).
    pub sequence: (u64, u64),
    /// Wall-clock budget of a run, hours.
    pub hours: f64,
    /// Share of the accelerator's TDP to draw (upper end of the mode's range).
    pub power_fraction: f64,
    /// Training tokens per parameter for pretraining.
    pub tokens_per_parameter: f64,
    /// Gradient accumulation the mode prefers when the global batch leaves a choice.
    pub accumulation: u64,
    /// Checkpoints a run saves at least, whatever the checkpoint interval for failures allows.
    pub checkpoints_per_run: u64,
}

/// Conservative: 50 % of memory; 23M–70M models; micro-batch 2–8 with high accumulation (8, the
/// planner's choice); 512–1024 tokens; 30 min–2 h (the planner budgets the upper end, 2 h); under
/// 40 % of TDP; 10–15 tokens per parameter (12.5, the middle); frequent checkpoints (10 per run,
/// the planner's choice).
pub const CONSERVATIVE: ModeSettings = ModeSettings {
    memory_target: 0.50,
    pretrain_params: (23_000_000, 70_000_000),
    micro_batch: (2, 8),
    sequence: (512, 1024),
    hours: 2.0,
    power_fraction: 0.40,
    tokens_per_parameter: 12.5,
    accumulation: 8,
    checkpoints_per_run: 10,
};

/// Balanced: 75 %; 70M–200M; micro-batch 8–32 (accumulation 4, the planner's choice); 1024–2048
/// tokens; 2–6 h (6 h budgeted); 60–80 % of TDP (80 %); 20 tokens per parameter (Chinchilla's
/// compute-optimal ratio, Hoffmann et al. 2022, Table 3); 5 checkpoints per run (the planner's
/// choice, half of conservative's).
pub const BALANCED: ModeSettings = ModeSettings {
    memory_target: 0.75,
    pretrain_params: (70_000_000, 200_000_000),
    micro_batch: (8, 32),
    sequence: (1024, 2048),
    hours: 6.0,
    power_fraction: 0.80,
    tokens_per_parameter: 20.0,
    accumulation: 4,
    checkpoints_per_run: 5,
};

/// Extreme: 95 %; 200M–1B+; the largest micro-batch that fits (no accumulation); 2048–4096+
/// tokens; 6 h+ (24 h budgeted: one day, the planner's choice for "6 h and more"); 90–100 % of
/// TDP (100 %); 25+ tokens per parameter (25); 4 checkpoints per run (the planner's choice: a day
/// long run still saves every 6 h at least).
pub const EXTREME: ModeSettings = ModeSettings {
    memory_target: 0.95,
    pretrain_params: (200_000_000, 1_000_000_000),
    micro_batch: (1, u64::MAX),
    sequence: (2048, 4096),
    hours: 24.0,
    power_fraction: 1.00,
    tokens_per_parameter: 25.0,
    accumulation: 1,
    checkpoints_per_run: 4,
};
