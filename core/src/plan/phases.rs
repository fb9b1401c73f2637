//! Two-phase pretraining: phase A at the configuration's sequence for most tokens, then phase B,
//! from phase A's last checkpoint, at a longer context with the learning rate decayed, as
//! published recipes end their runs:
//!
//! - Llama 3 (Llama 3 paper, 2024, §3.4.2): after pretraining at 8K, a long-context stage of
//!   about 800B of the 15.6T tokens (5 %) raises the context to 128K in six steps; then an
//!   annealing stage of the last 40M tokens decays the learning rate linearly to 0.
//! - MiniCPM (Hu et al. 2024, §4, "WSD"): warm-up, a stable constant learning rate, and a decay
//!   stage of about 10 % of the tokens that brings most of the loss improvement, with
//!   high-quality data mixed into the decay.
//! - OLMo 2 (OLMo Team 2024, "2 OLMo 2 Furious", §4): mid-training on Dolmino, 50B to 300B
//!   tokens after 4T–5T of pretraining (1 % to 7 %), with the learning rate annealed linearly to 0.
//!
//! Phase B is off unless the goal asks for it: the long context needs long documents and the
//! annealing high-quality data, and only the user knows whether there are any.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use super::configuration::{Chosen, Fit};
use super::modes::Mode;
use super::planner::{Planner, CACHED_PROGRAMS};
use super::search::Knobs;
use super::time::{note_shortfall, shortfall};
use super::{Configuration, Goal, GoalTask, PhaseB, Phases, Schedule};
use crate::error::{Error, Result};
use crate::memory::ProgramCache;
use crate::request::Task;
use crate::warning::{Warning, WarningCode};

/// Phase B's share of the tokens when the goal gives none: 10 %, MiniCPM's WSD decay stage (Hu et
/// al. 2024, §4: the decay takes about 10 % of the tokens); within the published range of 1 % to
/// 7 % (OLMo 2's mid-training) and 5 % (Llama 3's long-context stage).
pub const DEFAULT_PHASE_B_SHARE: f64 = 0.10;

/// Largest share of the tokens phase B may take: a planner choice; beyond half, phase B is the
/// main run, not its end.
pub const MAX_PHASE_B_SHARE: f64 = 0.5;

/// Most phase B's default sequence grows over phase A's: 16×, Llama 3's 8K to 128K (Llama 3
/// paper, §3.4.2).
const MAX_CONTEXT_GROWTH: u64 = 16;

/// Which part of a run a planner plans.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Phase {
    /// The whole run in one phase.
    Whole,
    /// Phase A of two; phase B takes `share_b` of the tokens.
    A { share_b: f64 },
    /// Phase B of two, with `share_b` of the tokens.
    B { share_b: f64 },
}

impl Phase {
    /// The phase of a goal: A when it asks for two phases of pretraining, else the whole run.
    pub fn of(goal: &Goal) -> Phase {
        match split(goal) {
            Some((share_b, _)) => Phase::A { share_b },
            None => Phase::Whole,
        }
    }

    /// This phase's part of `tokens`, the run's.
    pub fn portion(self, tokens: u64) -> u64 {
        match self {
            Phase::Whole => tokens,
            Phase::A { share_b } => tokens - phase_b_tokens(tokens, share_b),
            Phase::B { share_b } => phase_b_tokens(tokens, share_b),
        }
    }
}

/// Phase B's tokens of a run of `tokens`.
fn phase_b_tokens(tokens: u64, share_b: f64) -> u64 {
    crate::math::round(tokens as f64 * share_b) as u64
}

/// Phase B's share and fixed sequence when the goal asks for two phases.
fn split(goal: &Goal) -> Option<(f64, Option<u64>)> {
    match goal.phases? {
        Phases::Count(2) => Some((DEFAULT_PHASE_B_SHARE, None)),
        Phases::Count(_) => None,
        Phases::Split(s) => Some((
            s.phase_b_share.unwrap_or(DEFAULT_PHASE_B_SHARE),
            s.phase_b_sequence,
        )),
    }
}

/// The goal's phases against its task and ranges.
pub(super) fn validate(goal: &Goal) -> Result<()> {
    let Some(phases) = goal.phases else {
        return Ok(());
    };
    match phases {
        Phases::Count(n) if !(1..=2).contains(&n) => {
            return Err(Error::invalid(
                "goal.phases",
                n,
                "1 or 2, or an object with phase_b_share and phase_b_sequence",
            ))
        }
        Phases::Split(s) => {
            if let Some(share) = s.phase_b_share {
                if !(share.is_finite() && share > 0.0 && share <= MAX_PHASE_B_SHARE) {
                    return Err(Error::invalid(
                        "goal.phases.phase_b_share",
                        share,
                        "a share of the tokens above 0 and at most 0.5",
                    ));
                }
            }
            if let Some(seq) = s.phase_b_sequence {
                if seq == 0 {
                    return Err(Error::invalid(
                        "goal.phases.phase_b_sequence",
                        0,
                        "a positive integer",
                    ));
                }
                crate::error::at_most(
                    "goal.phases.phase_b_sequence",
                    seq,
                    super::validate::MAX_SEQUENCE,
                    "tokens",
                )?;
            }
        }
        Phases::Count(_) => {}
    }
    if split(goal).is_some() && goal.task != GoalTask::Pretrain {
        return Err(Error::invalid(
            "goal.phases",
            "two phases",
            format!(
                "one phase: two-phase plans are for pretraining, and the task is {}",
                goal.task.as_str()
            ),
        ));
    }
    Ok(())
}

impl Planner<'_> {
    /// Phase B of a configuration whose own knobs `a` are phase A's; `None` for one phase or on
    /// a cluster (whose mesh search plans one phase).
    pub(super) fn phase_b(
        &self,
        mode: Mode,
        chosen: &Chosen,
        a: &Knobs,
        config: &Configuration,
    ) -> Result<Option<Box<PhaseB>>> {
        let Phase::A { share_b } = self.phase else {
            return Ok(None);
        };
        if self.cluster.is_some() {
            return Ok(None);
        }
        let fixed = split(self.goal).and_then(|(_, s)| s);
        let spec = &chosen.spec;
        let target = self.memory_target(mode);
        // Longest first: the goal's, else phase A's sequence doubled up to 16 times it within
        // the model's positions, then phase A's own (annealing without a longer context).
        let sequences: Vec<u64> = match fixed {
            Some(s) => alloc::vec![s],
            None => {
                let top = (a.sequence * MAX_CONTEXT_GROWTH).min(spec.max_positions.max(a.sequence));
                let mut v = Vec::new();
                let mut s = a.sequence;
                while s <= top {
                    v.push(s);
                    s *= 2;
                }
                v.reverse();
                v
            }
        };
        // Phase B keeps phase A's tokens per optimizer step (the batch belongs to the run's
        // compute, DeepSeek LLM §3.1), in whole sequences of its own length.
        let step_tokens = config.global_batch * a.sequence;
        let mut goal = self.goal.clone();
        goal.phases = None;
        let mut picked = None;
        for &sequence in &sequences {
            goal.sequence = Some(sequence);
            let b = self.with_goal(&goal, Phase::B { share_b });
            if let Some(found) = b.fit_model(spec, mode, Task::Pretrain, target)? {
                picked = Some((sequence, found, Fit::Fits));
                break;
            }
        }
        let (sequence, (knobs, memory), fit, mut warnings) = match picked {
            Some((s, f, fit)) => (s, f, fit, Vec::new()),
            None => {
                // Only a sequence the goal fixed can miss: phase A's own always fits.
                let s = sequences[0];
                goal.sequence = Some(s);
                let b = self.with_goal(&goal, Phase::B { share_b });
                let (k, e, w) = b.smallest_setting(mode, spec, Task::Pretrain)?;
                (s, (k, e), Fit::DoesNotFit, alloc::vec![w])
            }
        };
        goal.sequence = Some(sequence);
        let per_step = knobs.micro_batch * self.dev.count;
        goal.global_batch = Some(
            ((crate::math::round(step_tokens as f64 / sequence as f64) as u64).max(1))
                .max(per_step),
        );
        let b = self.with_goal(&goal, Phase::B { share_b });
        let chosen_b = Chosen {
            spec: spec.clone(),
            origin: chosen.origin,
            knobs,
            fit,
        };
        let c = b.finish(
            mode,
            &chosen_b,
            memory,
            Vec::new(),
            super::configuration::GlobalBatch::Choose,
        )?;
        // Phase B's warnings that phase A's list does not already carry, its budget judged
        // on both phases.
        warnings.extend(
            c.warnings.into_iter().filter(|w| {
                w.code != WarningCode::TimeBudgetExceeded && !config.warnings.contains(w)
            }),
        );
        let mut time = c.time;
        let total_s = config.time.total_s.zip(time.total_s).map(|(x, y)| x + y);
        time.over_budget = shortfall(
            total_s,
            time.budget_s,
            config.model.parameters,
            config.time.tokens + time.tokens,
        );
        if config.time.over_budget.is_none() {
            if let (Some(t), Some(_)) = (total_s, &time.over_budget) {
                warnings.push(Warning::phases_over_budget(t, mode, time.budget_s));
                note_shortfall(&mut warnings, time.over_budget.as_ref());
            }
        }
        let Some(mut training) = c.training else {
            return Ok(None);
        };
        if let Some(ta) = &config.training {
            training.learning_rate = ta.learning_rate;
        }
        training.schedule = Schedule::Linear;
        training.warmup_steps = 0;
        training.output_dir = format!("./trainfit-{}-phase-b", mode.as_str());
        training.sources = alloc::vec![String::from(
            "phase B: from phase A's last checkpoint, no warm-up, the learning rate decayed linearly from phase A's peak to 0 over phase B's steps (MiniCPM's WSD decay stage, about 10 % of the tokens; OLMo 2's mid-training and Llama 3's last 40M tokens anneal linearly to 0)",
        )];
        Ok(Some(Box::new(PhaseB {
            share: share_b,
            fits: fit == Fit::Fits,
            micro_batch: c.micro_batch,
            gradient_accumulation: c.gradient_accumulation,
            global_batch: c.global_batch,
            sequence: c.sequence,
            checkpointing: c.checkpointing,
            optimizer: c.optimizer.unwrap_or(knobs.optimizer),
            sharding: c.sharding,
            offload: c.offload,
            memory: c.memory,
            time,
            training,
            fallbacks: c.fallbacks,
            total_s,
            warnings,
        })))
    }

    /// The same planner for another goal and phase, with its own cache of block programs.
    fn with_goal<'g>(&'g self, goal: &'g Goal, phase: Phase) -> Planner<'g> {
        Planner {
            goal,
            profile: self.profile,
            dev: self.dev,
            given: self.given,
            programs: RefCell::new(ProgramCache::new(CACHED_PROGRAMS)),
            cluster: self.cluster,
            phase,
        }
    }
}
