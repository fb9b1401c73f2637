//! Time of a configuration: FLOPs per token, step time with the exposed gradient all-reduce,
//! throughput, utilisation, tokens and steps of the run, and the storage rate it reads at.

use alloc::string::String;
use alloc::vec::Vec;

use super::configuration::Run;
use super::formulas::chinchilla_loss;
use super::formulas::{
    all_reduce_s, bytes_per_token, frozen_weight_gradient_flops, hardware_flops_per_token,
    model_flops_per_token, FLOPS_CONVENTION,
};
use super::modes::Mode;
use super::planner::Planner;
use super::{GoalTask, OverBudget, TimeEstimate};
use crate::math::{ceil, floor};
use crate::model::Parameters;
use crate::request::{Precision, Task};
use crate::warning::{Warning, WarningCode};

/// How far past the budget a run may end before it is reported over budget: one part in 10,000.
/// A token budget is met with whole steps, so a run sized to the budget lands a rounding error
/// above it; a planner choice.
const BUDGET_TOLERANCE: f64 = 1.0001;

impl Planner<'_> {
    /// Sustained FLOP/s of all devices under the mode's power cap; `None` when the peak is unknown.
    pub fn sustained_flops(&self, mode: Mode) -> Option<f64> {
        self.dev
            .achievable_flops()
            .map(|f| f * self.power_speed(mode))
    }

    /// Tokens the run aims for: the goal's; for pretraining the mode's tokens per parameter;
    /// for fine-tuning what `tokens_per_s` trains within the budget (0 when unknown).
    pub fn tokens_goal(&self, mode: Mode, params: &Parameters, tokens_per_s: Option<f64>) -> u64 {
        match (self.goal.tokens, self.goal.task) {
            (Some(t), _) => t,
            (None, GoalTask::Pretrain) => {
                (params.total as f64 * mode.settings().tokens_per_parameter) as u64
            }
            (None, _) => tokens_per_s.map_or(0, |r| (r * self.budget_s(mode)) as u64),
        }
    }

    /// The time of a run; warns when it exceeds the budget (unless a warning already says so),
    /// when the device's speed is unknown, and when storage reads slower than training needs.
    pub fn time(&self, run: &Run<'_>, warnings: &mut Vec<Warning>) -> TimeEstimate {
        let d = self.dev;
        let spec = run.spec;
        let k = &run.knobs;
        let serve = self.serving();
        let mut mflops = model_flops_per_token(spec, run.params.active, k.sequence);
        let mut hflops =
            hardware_flops_per_token(spec, run.params.active, k.sequence, k.checkpointing);
        if matches!(run.task, Task::Lora | Task::Qlora) {
            let skipped = frozen_weight_gradient_flops(spec, run.params.active);
            mflops -= skipped;
            hflops -= skipped;
        }
        let speed = self.power_speed(run.mode);
        let achievable = self.sustained_flops(run.mode);
        let step_tokens = (run.global_batch * k.sequence) as f64;
        let (step_s, comm_s) = match achievable {
            Some(f) if !serve => {
                let compute = step_tokens * hflops / f;
                let grad_bytes =
                    run.params.trainable as f64 * precision_grad_bytes(d.precision) as f64;
                let comm = all_reduce_s(grad_bytes, d.count, d.link_gbs.unwrap_or(0.0));
                // DDP overlaps the all-reduce with the last micro-batch's backward (2/3 of its
                // compute): Li et al. 2020, "PyTorch Distributed", VLDB, §3.2.3.
                let backward = compute * 2.0 / 3.0 / k.accumulation as f64;
                let exposed = (comm - backward).max(0.0);
                (Some(compute + exposed), Some(exposed))
            }
            _ => (None, None),
        };
        let tokens_per_s = step_s.map(|t| step_tokens / t);
        let tokens = if serve {
            0
        } else {
            self.phase
                .portion(self.tokens_goal(run.mode, &run.params, tokens_per_s))
        };
        // A token budget is met with whole steps; a time budget is not exceeded by the last one.
        let steps = if serve {
            0
        } else if self.goal.tokens.is_none() && self.goal.task != GoalTask::Pretrain {
            (floor(tokens as f64 / step_tokens) as u64).max(1)
        } else {
            ceil(tokens as f64 / step_tokens) as u64
        };
        // What is trained is whole steps of the global batch.
        let tokens = if serve { 0 } else { steps * step_tokens as u64 };
        let total_s = step_s.map(|t| t * steps as f64);
        let peak_all = d.peak_tflops.map(|p| p * 1e12 * d.count as f64);
        let mfu = tokens_per_s.zip(peak_all).map(|(r, p)| r * mflops / p);
        let hfu = tokens_per_s.zip(peak_all).map(|(r, p)| r * hflops / p);
        let budget_s = self.budget_s(run.mode);
        let data_read_mbs = tokens_per_s.map(|r| r * bytes_per_token(spec.vocab) as f64 / 1e6);

        let already = warnings
            .iter()
            .any(|w| w.code == WarningCode::TimeBudgetExceeded);
        if !serve && !already {
            warnings.extend(self.over_budget(total_s, tokens_per_s.unwrap_or(0.0), run.mode));
        }
        let over_budget = if serve {
            None
        } else {
            shortfall(total_s, budget_s, run.params.total, tokens)
        };
        note_shortfall(warnings, over_budget.as_ref());
        if d.peak_tflops.is_none() {
            warnings.push(Warning::speed_unknown(&d.name));
        }
        if let (Some(need), Some(have)) = (data_read_mbs, self.storage_read_mbs()) {
            if need > have {
                warnings.push(Warning::data_loading_bottleneck(need, have));
            }
        }

        TimeEstimate {
            convention: String::from(FLOPS_CONVENTION),
            model_flops_per_token: mflops,
            hardware_flops_per_token: hflops,
            achievable_tflops: achievable.map(|f| f / 1e12),
            step_s,
            communication_s: comm_s,
            tokens_per_s,
            mfu,
            hfu,
            power_cap_speed: speed,
            tokens,
            steps,
            total_s,
            budget_s,
            data_read_mbs,
            breakdown: None,
            over_budget,
        }
    }
}

impl Planner<'_> {
    /// A configuration's time from the mesh's time model: step, throughput and utilisation
    /// predicted from the work and the hardware, the run's total from its steps; the budget
    /// warning follows the new total.
    pub(super) fn mesh_time(
        &self,
        time: &mut TimeEstimate,
        step: &crate::mesh::StepTime,
        mode: Mode,
        parameters: u64,
        warnings: &mut Vec<Warning>,
    ) {
        let mb_per_token = time
            .data_read_mbs
            .zip(time.tokens_per_s)
            .map(|(r, t)| r / t);
        time.step_s = Some(step.step_s);
        time.tokens_per_s = Some(step.tokens_per_s);
        time.mfu = Some(step.mfu);
        time.hfu = Some(step.hfu);
        time.communication_s = Some(
            step.communication
                .iter()
                .map(|a| a.exposed_s)
                .fold(0.0, |s, x| s + x),
        );
        time.achievable_tflops = Some(step.tokens_per_s * time.hardware_flops_per_token / 1e12);
        time.total_s = Some(step.step_s * time.steps as f64);
        time.data_read_mbs = mb_per_token.map(|m| m * step.tokens_per_s);
        warnings.retain(|w| w.code != WarningCode::TimeBudgetExceeded);
        warnings.extend(self.over_budget(time.total_s, step.tokens_per_s, mode));
        time.over_budget = shortfall(time.total_s, time.budget_s, parameters, time.tokens);
        note_shortfall(warnings, time.over_budget.as_ref());
    }

    /// `time_budget_exceeded` when a run of `total_s` ends past the mode's budget.
    fn over_budget(&self, total_s: Option<f64>, tokens_per_s: f64, mode: Mode) -> Option<Warning> {
        let budget_s = self.budget_s(mode);
        total_s
            .filter(|t| *t > budget_s * BUDGET_TOLERANCE)
            .map(|t| Warning::time_budget_exceeded(t, tokens_per_s, mode, budget_s))
    }
}

/// Bytes per gradient element of a recipe, as the all-reduce sends them: fp32 where the recipe
/// keeps fp32 weights (fp32, autocast), the 16-bit dtype otherwise.
fn precision_grad_bytes(p: Precision) -> u64 {
    match p {
        Precision::Fp32 | Precision::AmpBf16 | Precision::AmpFp16 => 4,
        _ => 2,
    }
}

/// What fits the budget when a run of `tokens` through `parameters` takes `total_s`, past
/// `budget_s`: the tokens trained within the budget at the same rate, and the loss given up by
/// stopping there, from Chinchilla's fit. `None` when the run fits (or its time is unknown).
pub(super) fn shortfall(
    total_s: Option<f64>,
    budget_s: f64,
    parameters: u64,
    tokens: u64,
) -> Option<OverBudget> {
    let total = total_s.filter(|t| *t > budget_s * BUDGET_TOLERANCE)?;
    let in_budget = floor(tokens as f64 * budget_s / total) as u64;
    let n = parameters as f64;
    Some(OverBudget {
        hours_needed: total / 3600.0,
        tokens_in_budget: in_budget,
        tokens_per_parameter_in_budget: in_budget as f64 / n.max(1.0),
        loss_increase: chinchilla_loss(n, in_budget as f64) - chinchilla_loss(n, tokens as f64),
    })
}

/// Adds what fits the budget to the `time_budget_exceeded` warning, so the warning says what to
/// do as well as what is wrong.
pub(super) fn note_shortfall(warnings: &mut [Warning], over: Option<&OverBudget>) {
    let Some(over) = over else {
        return;
    };
    if let Some(w) = warnings
        .iter_mut()
        .find(|w| w.code == WarningCode::TimeBudgetExceeded)
    {
        w.add_budget_options(over);
    }
}
