//! The training config a configuration hands to the engine: learning rate, schedule, warm-up and
//! how often to save, each with where it comes from.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::configuration::Run;
use super::formulas::{deepseek_lr_and_batch, training_flops};
use super::phases::Phase;
use super::planner::Planner;
use super::{GoalTask, Scale, Schedule, TimeEstimate, TrainingConfig};
use crate::math::{ceil, floor};

/// Pretraining warm-up: one step in this many (1 %), a planner choice in the range of published
/// runs' warm-ups.
const PRETRAIN_WARMUP_DIVISOR: u64 = 100;

/// Longest pretraining warm-up, steps: Llama 2's 2,000 (Touvron et al. 2023, §2.2).
const PRETRAIN_WARMUP_MAX_STEPS: u64 = 2000;

/// Learning rate of a full fine-tune: the Stanford Alpaca recipe's 2e-5 (Taori et al. 2023,
/// github.com/tatsu-lab/stanford_alpaca, README "Fine-tuning").
const FINETUNE_LEARNING_RATE: f64 = 2e-5;

/// Learning rate of LoRA and QLoRA: 2e-4, the QLoRA paper's for models up to 13B (Dettmers et
/// al. 2023, App. B).
const ADAPTER_LEARNING_RATE: f64 = 2e-4;

/// Share of fine-tuning steps spent warming up: 0.03 (the Alpaca recipe's `--warmup_ratio 0.03`;
/// the QLoRA repository's default too).
const FINETUNE_WARMUP_RATIO: f64 = 0.03;

/// Saves per run when the step time is unknown and no interval can be computed: a planner choice,
/// conservative's number of checkpoints.
const SAVES_WITHOUT_TIMING: u64 = 10;

impl Planner<'_> {
    /// The training config of a run with its `time` and `scale`.
    pub fn training_config(
        &self,
        run: &Run<'_>,
        time: &TimeEstimate,
        scale: &Scale,
    ) -> TrainingConfig {
        let steps = time.steps;
        let (lr, schedule, warmup, sources): (f64, Schedule, u64, Vec<String>) = match self.goal.task
        {
            GoalTask::Pretrain => {
                // The learning rate belongs to the whole run's compute, both phases of two.
                let tokens = match self.phase {
                    Phase::Whole => time.tokens,
                    _ => self.tokens_goal(run.mode, &run.params, None),
                };
                let compute = training_flops(run.params.active, tokens);
                let (lr, _) = deepseek_lr_and_batch(compute.max(1.0));
                let mut sources = vec![
                    "learning rate and batch: DeepSeek LLM scaling fits, lr = 0.3118·C^-0.125, B = 0.2920·C^0.3271 tokens (DeepSeek-AI 2024, §3.1); the batch in whole micro-batches of 2^k or 3·2^k sequences, so halving the micro-batch keeps it".to_string(),
                ];
                let schedule = if matches!(self.phase, Phase::A { .. }) {
                    sources.push("phase A: warm-up 1 % of steps (at most 2000), then the peak held constant, WSD's stable stage (MiniCPM, Hu et al. 2024, §4); phase B decays it".to_string());
                    Schedule::Constant
                } else {
                    sources.push("cosine decay to 10 % (Chinchilla, Hoffmann et al. 2022, §3); warm-up 1 % of steps, at most 2000 (Llama 2: 2000 steps)".to_string());
                    Schedule::Cosine
                };
                (
                    lr,
                    schedule,
                    (steps / PRETRAIN_WARMUP_DIVISOR).clamp(1, PRETRAIN_WARMUP_MAX_STEPS),
                    sources,
                )
            }
            GoalTask::Finetune => (
                FINETUNE_LEARNING_RATE,
                Schedule::Cosine,
                ceil(steps as f64 * FINETUNE_WARMUP_RATIO) as u64,
                vec!["full fine-tune: lr 2e-5, cosine, warm-up ratio 0.03 (Stanford Alpaca training recipe)".to_string()],
            ),
            GoalTask::Lora | GoalTask::Qlora => (
                ADAPTER_LEARNING_RATE,
                Schedule::Constant,
                ceil(steps as f64 * FINETUNE_WARMUP_RATIO) as u64,
                vec!["LoRA/QLoRA: lr 2e-4, constant schedule, warm-up ratio 0.03 (QLoRA paper, Dettmers et al. 2023, App. B)".to_string()],
            ),
            GoalTask::Serve => (0.0, Schedule::Constant, 0, Vec::new()),
        };
        let save_steps = match (scale.save_interval_s, time.step_s) {
            (Some(i), Some(t)) if t > 0.0 => (floor(i / t) as u64).clamp(1, steps.max(1)),
            _ => (steps / SAVES_WITHOUT_TIMING).max(1),
        };
        TrainingConfig {
            learning_rate: lr,
            schedule,
            warmup_steps: warmup.min(steps),
            steps,
            save_steps,
            output_dir: format!("./trainfit-{}", run.mode.as_str()),
            sources,
        }
    }
}
