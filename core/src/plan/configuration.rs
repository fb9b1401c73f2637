//! One configuration per mode: what the search chose (or the smallest setting when nothing fits),
//! the global batch, and the configuration assembled from its time, scale, power, warnings,
//! training config and fallback ladder.

use alloc::vec::Vec;

use super::formulas::{deepseek_lr_and_batch, training_flops};
use super::modes::Mode;
use super::planner::Planner;
use super::search::Knobs;
use super::{Configuration, GoalTask, ModelChoice, ModelOrigin, Shape};
use crate::error::Result;
use crate::estimate::Estimate;
use crate::math::round;
use crate::model::{ModelSpec, Parameters};
use crate::request::{Checkpointing, Offload, Optimizer, Sharding, Task};
use crate::warning::{MemoryTarget, SmallestSetting, Warning};

/// Smallest global batch of fine-tuning, sequences: 16, the QLoRA paper's batch for models up to
/// 13B (Dettmers et al. 2023, App. B), however small the micro-batch.
const MIN_FINETUNE_BATCH: u64 = 16;

/// Whether a configuration's peak is within its mode's memory target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fit {
    /// Within the target.
    Fits,
    /// Above it even at the smallest setting.
    DoesNotFit,
}

/// What a mode chose, kept to build another mode's configuration from it.
#[derive(Clone)]
pub(super) struct Chosen {
    pub spec: ModelSpec,
    pub origin: ModelOrigin,
    pub knobs: Knobs,
    pub fit: Fit,
}

/// How the global batch of a configuration is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GlobalBatch {
    /// From the goal, or chosen for the task (compute-optimal for pretraining, the mode's
    /// accumulation for fine-tuning).
    Choose,
    /// The chosen knobs' micro-batches and accumulation, unchanged: a higher mode running a
    /// lower mode's configuration.
    Keep,
}

/// A configuration being assessed: the mode, the model and the knobs with their final
/// accumulation.
pub(crate) struct Run<'a> {
    pub mode: Mode,
    pub spec: &'a ModelSpec,
    pub params: Parameters,
    pub knobs: Knobs,
    /// Sequences per optimizer step over all devices.
    pub global_batch: u64,
    pub task: Task,
    pub target: MemoryTarget,
}

impl Planner<'_> {
    /// One configuration per mode, in the order asked. A higher mode never uses less memory than
    /// a lower one training the same model: when its own choice would (knobs a lower mode's
    /// memory target happened to suit better), it runs the lower mode's configuration instead,
    /// under its own budget and power. A lower mode's pretraining model of another size is never
    /// adopted: each mode sizes its model by its own time budget and tokens per parameter, and
    /// adopting one (a smaller model at a larger batch) made extreme's model shrink as memory
    /// grew (a compute-capability 7.5 GPU of `core/tests/suite/plan_properties.rs` trained 162M
    /// parameters at 48 GiB and 91M at 54 GiB).
    pub fn configure_modes(&self, modes: &[Mode]) -> Result<Vec<Configuration>> {
        let mut configurations: Vec<Configuration> = Vec::with_capacity(modes.len());
        let mut chosen: Vec<Chosen> = Vec::with_capacity(modes.len());
        for &mode in modes {
            let (mut config, mut this) = self.configure(mode)?;
            let heaviest_lower = configurations
                .iter()
                .zip(&chosen)
                .filter(|(c, ch)| c.mode < mode && ch.fit == Fit::Fits && ch.spec == this.spec)
                .max_by_key(|(c, _)| c.memory.peak_bytes);
            if let Some((lower, lower_chosen)) = heaviest_lower {
                if this.fit == Fit::Fits && config.memory.peak_bytes < lower.memory.peak_bytes {
                    config = self.adopt(mode, lower_chosen)?;
                    this = lower_chosen.clone();
                }
            }
            configurations.push(config);
            chosen.push(this);
        }
        Ok(configurations)
    }

    /// The mode's memory target as warnings state it.
    fn target(&self, mode: Mode) -> MemoryTarget {
        MemoryTarget {
            mode,
            target_bytes: self.memory_target(mode),
            share: mode.settings().memory_target,
            usable_bytes: self.dev.usable_bytes,
        }
    }

    /// The mode's own configuration, and what it chose.
    fn configure(&self, mode: Mode) -> Result<(Configuration, Chosen)> {
        let target = self.memory_target(mode);
        let task = self.task();
        let mut warnings = Vec::new();
        let (spec, origin, found) = match self.given {
            Some(spec) => {
                let found = self.fit_model(spec, mode, task, target)?;
                (spec.clone(), ModelOrigin::Given, found)
            }
            None => {
                let (spec, found) = self.pick_pretrain_model(mode, target, &mut warnings)?;
                (spec, ModelOrigin::Generated, found)
            }
        };
        let (knobs, memory, fit) = match found {
            Some((k, e)) => (k, e, Fit::Fits),
            None => {
                let (k, e, warning) = self.smallest_setting(mode, &spec, task)?;
                warnings.push(warning);
                (k, e, Fit::DoesNotFit)
            }
        };
        let mut chosen = Chosen {
            spec,
            origin,
            knobs,
            fit,
        };
        let config = self.finish(mode, &chosen, memory, warnings, GlobalBatch::Choose)?;
        chosen.knobs.accumulation = config.gradient_accumulation;
        Ok((config, chosen))
    }

    /// When nothing fits the target: the smallest setting, its estimate, and the `does_not_fit`
    /// warning with its memory (and QLoRA's, when that would fit).
    pub(super) fn smallest_setting(
        &self,
        mode: Mode,
        spec: &ModelSpec,
        task: Task,
    ) -> Result<(Knobs, Estimate, Warning)> {
        let s = mode.settings();
        let g = self.goal;
        let k = Knobs {
            micro_batch: g.micro_batch.unwrap_or(1),
            sequence: g
                .sequence
                .unwrap_or(s.sequence.0.min(spec.max_positions.max(1))),
            checkpointing: g.checkpointing.unwrap_or(Checkpointing::Full),
            optimizer: g.optimizer.unwrap_or(Optimizer::Adamw),
            sharding: g.sharding.unwrap_or(if self.dev.count > 1 {
                Sharding::Zero3
            } else {
                Sharding::None
            }),
            offload: Offload::default(),
            accumulation: 1,
        };
        let e = self.estimate(spec, &k, task)?;
        let target = self.target(mode);
        let qlora_peak = match task {
            Task::Lora | Task::Finetune => self
                .estimate(spec, &k, Task::Qlora)
                .ok()
                .map(|q| q.peak_bytes)
                .filter(|&q| q <= target.target_bytes),
            _ => None,
        };
        let setting = if task == Task::Decode {
            SmallestSetting::Serving {
                sequences: k.micro_batch,
                tokens: k.sequence,
            }
        } else {
            SmallestSetting::Training {
                micro_batch: k.micro_batch,
                sequence: k.sequence,
            }
        };
        let warning = Warning::does_not_fit_target(setting, e.peak_bytes, target, qlora_peak);
        Ok((k, e, warning))
    }

    /// A configuration of `mode` that runs exactly what a lower mode chose (same model, knobs and
    /// global batch): used when the mode's own choice would use less memory than the lower
    /// mode's, which the modes' order forbids.
    fn adopt(&self, mode: Mode, lower: &Chosen) -> Result<Configuration> {
        let memory = self.estimate(&lower.spec, &lower.knobs, self.task())?;
        self.finish(mode, lower, memory, Vec::new(), GlobalBatch::Keep)
    }

    /// Sequences per optimizer step: a lower mode's when kept; else the user's, pretraining's
    /// DeepSeek compute-optimal batch, one micro-batch per device for serving, or fine-tuning's
    /// accumulation with at least [`MIN_FINETUNE_BATCH`].
    fn global_batch(&self, mode: Mode, params: &Parameters, k: &Knobs, rule: GlobalBatch) -> u64 {
        let per_step = k.micro_batch * self.dev.count;
        match (self.goal.global_batch, self.goal.task) {
            _ if rule == GlobalBatch::Keep => per_step * k.accumulation,
            (Some(gb), _) => gb.max(per_step),
            (None, GoalTask::Pretrain) => {
                let c = training_flops(params.active, self.tokens_goal(mode, params, None));
                let (_, batch_tokens) = deepseek_lr_and_batch(c.max(1.0));
                let sequences = round(batch_tokens / k.sequence as f64) as u64;
                sequences.max(per_step)
            }
            (None, _) if self.serving() => per_step,
            (None, _) => (per_step * mode.settings().accumulation).max(MIN_FINETUNE_BATCH),
        }
    }

    /// The configuration of what was chosen, with `memory` its estimate from the search.
    pub(super) fn finish(
        &self,
        mode: Mode,
        chosen: &Chosen,
        memory: Estimate,
        mut warnings: Vec<Warning>,
        rule: GlobalBatch,
    ) -> Result<Configuration> {
        let d = self.dev;
        let task = self.task();
        let serve = self.serving();
        let spec = &chosen.spec;
        let params = memory.parameters;
        let mut k = chosen.knobs;

        let global = self.global_batch(mode, &params, &k, rule);
        let per_step = k.micro_batch * d.count;
        let estimated_accumulating = k.accumulation > 1;
        k.accumulation = global.div_ceil(per_step).max(1);
        let mut global = per_step * k.accumulation;
        // The search assumed accumulation (gradients resident between micro-batches), the larger
        // peak; the reported memory is that of the configuration as it will run. Without
        // pipeline stages the estimate depends only on whether there is accumulation, not on how
        // many micro-batches, so it is redone only when that changed.
        let memory = if serve || (k.accumulation > 1) == estimated_accumulating {
            memory
        } else {
            self.estimate(spec, &k, task)?
        };

        // On a cluster: the mesh search's best layout replaces the data-parallel one, its
        // memory the estimate, and its time model the step time.
        let target = self.target(mode);
        let mut memory = memory;
        let mut mesh = None;
        let mut serving_layouts = None;
        if self.cluster.is_some() {
            if serve {
                serving_layouts = self.serving_mesh(mode, spec, &k, task, target.target_bytes)?;
            } else {
                match self.mesh(
                    mode,
                    spec,
                    &k,
                    task,
                    // The user's batch as given: the mesh splits it over replicas, not every
                    // device.
                    self.goal.global_batch.unwrap_or(global),
                    target.target_bytes,
                )? {
                    Some(Ok(m)) => {
                        let best = &m.candidates[0];
                        global = best.layout.global_batch();
                        k.micro_batch = best.layout.micro_batch;
                        k.accumulation = best.layout.micro_batches;
                        k.sharding = best.layout.sharding;
                        k.checkpointing = best.recompute;
                        memory = self.mesh_estimate(spec, &k, task, &best.layout)?;
                        mesh = Some(m);
                    }
                    Some(Err(e)) => warnings.push(Warning::no_mesh_fits(&e)),
                    None => {}
                }
            }
        }
        let run = Run {
            mode,
            spec,
            params,
            knobs: k,
            global_batch: global,
            task,
            target,
        };
        let mut time = self.time(&run, &mut warnings);
        let step = match &mesh {
            Some(m) => Some(m.candidates[0].time.clone()),
            None if !serve => {
                self.data_parallel_step(mode, spec, &k, task, (params.trainable, params.total))?
            }
            None => None,
        };
        if let Some(step) = step {
            self.mesh_time(&mut time, &step, mode, params.total, &mut warnings);
            time.breakdown = Some(step);
        }
        let scale = self.scale(&run, &memory, &time, &mut warnings);
        let power = self.power(mode, time.total_s, &mut warnings);
        let data = (!serve).then(|| self.data(&run, &memory, &time, &mut warnings));
        if mode == Mode::Extreme {
            self.extreme_warnings(&mut warnings, power.draw_w, time.total_s);
        }
        self.memory_warnings(&run, &memory, chosen.fit, &mut warnings);

        let serve_estimate = serve.then(|| self.serve_estimate(&k, &memory));
        let training = (!serve).then(|| self.training_config(&run, &time, &scale));
        // A mesh layout that fits replaces the data-parallel search's verdict, and so does a
        // serving layout (each one listed holds at least one sequence of the context). A mesh
        // configuration's fallbacks are the search's other layouts that need less memory.
        let serves = serving_layouts
            .as_ref()
            .is_some_and(|s: &crate::mesh::ServePlan| !s.layouts.is_empty());
        let fits = chosen.fit == Fit::Fits || mesh.is_some() || serves;
        if mesh.is_some() || serves {
            warnings.retain(|w| w.code != crate::warning::WarningCode::DoesNotFit);
        }
        let fallbacks = match &mesh {
            _ if serve => Vec::new(),
            Some(m) => super::fallbacks::mesh_fallbacks(m),
            None => self.fallbacks(spec, k, task),
        };
        let mut config = Configuration {
            mode,
            fits,
            memory_target_bytes: run.target.target_bytes,
            model: ModelChoice {
                name: spec.name.clone(),
                parameters: params.total,
                trainable: params.trainable,
                origin: chosen.origin,
                shape: (chosen.origin == ModelOrigin::Generated).then_some(Shape {
                    layers: spec.layers,
                    hidden: spec.hidden,
                    heads: spec.heads,
                    intermediate: spec.ffn.intermediate,
                    vocab: spec.vocab,
                }),
                architecture: Some(super::Architecture::of(spec)),
                tokenizer: match chosen.origin {
                    ModelOrigin::Generated => Some(super::ladder::tokenizer(spec)?),
                    ModelOrigin::Given => None,
                },
            },
            task: self.goal.task,
            precision: self.precision_of(task, &k),
            optimizer: (!serve).then_some(k.optimizer),
            devices: d.count,
            sharding: k.sharding,
            offload: k.offload,
            micro_batch: k.micro_batch,
            gradient_accumulation: k.accumulation,
            global_batch: global,
            sequence: k.sequence,
            checkpointing: k.checkpointing,
            attention: d.attention,
            lora_rank: self.lora_rank(task),
            memory,
            time,
            scale,
            power,
            data,
            serve: serve_estimate,
            training,
            fallbacks,
            mesh,
            serving_layouts,
            warnings,
            phase_b: None,
        };
        config.phase_b = self.phase_b(mode, chosen, &k, &config)?;
        Ok(config)
    }
}
