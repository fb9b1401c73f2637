//! The configuration search: for each mode, the knobs that maximise what the goal needs (model
//! size for pretraining, tokens/s for fine-tuning, concurrency for serving) within the mode's
//! memory target and time budget; then time, scale, power, warnings and the fallback ladder.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::device::{device, Device, DeviceClass};
use super::formulas::*;
use super::modes::Mode;
use super::*;
use crate::error::{Error, Result};
use crate::estimate::{Estimate, TermKind};
use crate::hardware::{AcceleratorKind, FormFactor, MemorySource, StorageKind};
use crate::memory::estimate;
use crate::model::ModelSpec;
use crate::request::{
    Dtype, EstimateRequest, Inference, Lora, LossImpl, OptimizerImpl, Parallel, QuantFormat,
    Quantization, Runtime, Task,
};

const GIB: f64 = crate::math::GIB as f64;

/// Smallest global batch of fine-tuning, sequences.
const MIN_FINETUNE_BATCH: u64 = 16;

/// Plans every requested mode for the request's machine and goal.
pub fn plan(request: &PlanRequest) -> Result<Plan> {
    validate(request)?;
    let profile = &request.profile;
    let mut dev = device(profile).ok_or(Error::NoDevice)?;
    let goal = &request.goal;
    if let Some(n) = goal.devices {
        if n > dev.count {
            return Err(Error::invalid(
                "goal.devices",
                n,
                format!("at most the {} devices of the profile", dev.count),
            ));
        }
        dev.count = n;
    }
    if let Some(p) = goal.precision {
        dev.precision = p;
        dev.precision_reason = String::from("chosen by the user");
    }
    if let Some(a) = goal.attention {
        dev.attention = a;
    }
    let given = match &goal.model {
        Some(source) => Some(source.resolve().map_err(|e| e.within("goal"))?),
        None if goal.task == GoalTask::Pretrain => None,
        None => {
            return Err(Error::missing(
                "goal.model",
                "a plan request whose task is not pretrain",
            ))
        }
    };
    let ctx = Ctx {
        goal,
        profile,
        dev: &dev,
        given: given.as_ref(),
    };
    let mut configurations: Vec<Configuration> = Vec::with_capacity(request.modes.len());
    let mut chosen: Vec<Chosen> = Vec::with_capacity(request.modes.len());
    for &mode in &request.modes {
        let (mut config, mut this) = ctx.configure(mode)?;
        // A higher mode never uses less memory than a lower one: when its own choice would
        // (a larger model that fits only at a smaller batch, say), it runs the lower mode's
        // configuration instead, under its own budget and power.
        let heaviest_lower = configurations
            .iter()
            .zip(&chosen)
            .filter(|(c, ch)| c.mode < mode && ch.fits)
            .max_by_key(|(c, _)| c.memory.peak_bytes);
        if let Some((lower, lower_chosen)) = heaviest_lower {
            if this.fits && config.memory.peak_bytes < lower.memory.peak_bytes {
                config = ctx.adopt(mode, lower_chosen)?;
                this = lower_chosen.clone();
            }
        }
        configurations.push(config);
        chosen.push(this);
    }
    let (warnings, suggestions) = machine_warnings(&ctx);
    Ok(Plan {
        schema_version: PLAN_SCHEMA_VERSION,
        score: score(&dev),
        device: dev.clone(),
        configurations,
        warnings,
        suggestions,
    })
}

fn validate(r: &PlanRequest) -> Result<()> {
    Error::check_version("schema_version", r.schema_version, PLAN_SCHEMA_VERSION)?;
    r.profile.validate().map_err(|e| e.within("profile"))?;
    if r.modes.is_empty() {
        return Err(Error::invalid(
            "modes",
            "[]",
            "one or more of conservative, balanced, extreme",
        ));
    }
    let g = &r.goal;
    for (field, v) in [
        ("goal.sequence", g.sequence),
        ("goal.micro_batch", g.micro_batch),
        ("goal.global_batch", g.global_batch),
        ("goal.devices", g.devices),
        ("goal.lora_rank", g.lora_rank),
        ("goal.tokens", g.tokens),
        ("goal.concurrency", g.concurrency),
    ] {
        if v == Some(0) {
            return Err(Error::invalid(field, 0, "a positive integer"));
        }
    }
    if let Some(h) = g.hours {
        if !(h.is_finite() && h > 0.0 && h <= 24.0 * 365.0) {
            return Err(Error::invalid(
                "goal.hours",
                h,
                "a number of hours above 0 and at most a year",
            ));
        }
    }
    if let (Some(gb), Some(mb)) = (g.global_batch, g.micro_batch) {
        if gb % mb != 0 {
            return Err(Error::invalid(
                "goal.global_batch",
                gb,
                format!("a multiple of goal.micro_batch ({mb})"),
            ));
        }
    }
    Ok(())
}

struct Ctx<'a> {
    goal: &'a Goal,
    profile: &'a HardwareProfile,
    dev: &'a Device,
    given: Option<&'a ModelSpec>,
}

/// What a mode chose, kept to build another mode's configuration from it.
#[derive(Clone)]
struct Chosen {
    spec: ModelSpec,
    origin: &'static str,
    knobs: Knobs,
    fits: bool,
}

/// A fitting candidate and its estimate, when one was found.
type Found = Option<(Knobs, Estimate)>;

/// The knobs of one candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Knobs {
    micro_batch: u64,
    sequence: u64,
    checkpointing: Checkpointing,
    optimizer: Optimizer,
    sharding: Sharding,
    offload: Offload,
    accumulation: u64,
}

/// Pretraining shapes, smallest first: Llama architecture (RMSNorm, SwiGLU with intermediate
/// about 8/3·hidden rounded up to a multiple of 16, rotary, untied head), the Llama-2 32,000-token
/// vocabulary. Layer/width ratios follow published small models: TinyStories (Eldan & Li 2023,
/// 1M–33M), Pythia/SmolLM (70M–360M), TinyLlama 1.1B (2048×22), Llama-2 7B/13B/70B.
const LADDER: &[(u64, u64, u64, u64)] = &[
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

const LADDER_VOCAB: u64 = 32_000;

fn ladder_spec(i: usize) -> Result<ModelSpec> {
    let (hidden, layers, heads, intermediate) = LADDER[i];
    let config = serde_json::json!({
        "model_type": "llama",
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": heads,
        "intermediate_size": intermediate,
        "vocab_size": LADDER_VOCAB,
        "max_position_embeddings": 8192,
        "tie_word_embeddings": false,
        "hidden_act": "silu",
    });
    let mut spec = crate::model::hf::from_hf_value(&config)?;
    spec.name = format!("llama-style-{}x{}", layers, hidden);
    Ok(spec)
}

impl Ctx<'_> {
    fn task(&self) -> Task {
        match self.goal.task {
            GoalTask::Pretrain => Task::Pretrain,
            GoalTask::Finetune => Task::Finetune,
            GoalTask::Lora => Task::Lora,
            GoalTask::Qlora => Task::Qlora,
            GoalTask::Serve => Task::Decode,
        }
    }

    /// The numeric recipe a task runs in. Frozen weights (serving, LoRA, QLoRA) are loaded in the
    /// 16-bit compute dtype; only full training keeps fp32 weights for the optimizer (HF Trainer
    /// with `bf16=True`). A precision the user chose is used as given.
    fn precision(&self, task: Task) -> Precision {
        let frozen = matches!(
            task,
            Task::Lora | Task::Qlora | Task::Decode | Task::Prefill
        );
        if frozen && self.goal.precision.is_none() {
            serve_precision(self.dev.precision)
        } else {
            self.dev.precision
        }
    }

    fn request(&self, spec: &ModelSpec, k: &Knobs, task: Task) -> EstimateRequest {
        let d = self.dev;
        let rank = self.goal.lora_rank.unwrap_or(16);
        let adapters = matches!(task, Task::Lora | Task::Qlora);
        let serve = matches!(task, Task::Decode | Task::Prefill);
        EstimateRequest {
            schema_version: crate::request::SCHEMA_VERSION,
            model: ModelSource::Spec(alloc::boxed::Box::new(spec.clone())),
            task,
            micro_batch: k.micro_batch,
            // Serving: a quarter of the context is generated after a prompt of the rest.
            sequence: if serve {
                k.sequence - k.sequence / 4
            } else {
                k.sequence
            },
            precision: self.precision(task),
            grad_dtype: None,
            optimizer: k.optimizer,
            optimizer_impl: OptimizerImpl::Foreach,
            attention: d.attention,
            checkpointing: k.checkpointing,
            loss: LossImpl::Upcast,
            lora: adapters.then(|| Lora {
                rank,
                alpha: None,
                targets: vec![String::from("all-linear")],
                dtype: Dtype::Fp32,
                dropout: 0.0,
            }),
            quantization: (task == Task::Qlora).then_some(Quantization {
                format: QuantFormat::Nf4,
                double_quant: true,
            }),
            inference: serve.then(|| Inference {
                prompt: k.sequence - k.sequence / 4,
                generate: k.sequence / 4,
                kv_dtype: None,
            }),
            parallel: Parallel {
                data: d.count,
                micro_batches: k.accumulation,
                sharding: k.sharding,
                offload: k.offload,
                ..Parallel::default()
            },
            runtime: Runtime {
                framework: d.framework,
                device_memory_bytes: Some(d.usable_bytes),
                ..Runtime::default()
            },
        }
    }

    fn estimate(&self, spec: &ModelSpec, k: &Knobs, task: Task) -> Result<Estimate> {
        estimate(&self.request(spec, k, task))
    }

    /// The largest micro-batch in `lo..=hi` whose peak stays within `target`, with its estimate.
    fn largest_micro_batch(
        &self,
        spec: &ModelSpec,
        base: Knobs,
        task: Task,
        lo: u64,
        hi: u64,
        target: u64,
    ) -> Result<Option<(Knobs, Estimate)>> {
        let fits = |mb: u64| -> Result<Option<Estimate>> {
            let k = Knobs {
                micro_batch: mb,
                ..base
            };
            let e = self.estimate(spec, &k, task)?;
            Ok((e.peak_bytes <= target).then_some(e))
        };
        let Some(mut best) = fits(lo)? else {
            return Ok(None);
        };
        let mut good = lo;
        // Double until it no longer fits, then bisect between the last fit and the first miss.
        let mut bad = None;
        while good < hi {
            let next = good.saturating_mul(2).min(hi).min(1 << 16);
            if next == good {
                break;
            }
            match fits(next)? {
                Some(e) => {
                    good = next;
                    best = e;
                }
                None => {
                    bad = Some(next);
                    break;
                }
            }
        }
        if let Some(mut miss) = bad {
            while miss - good > 1 {
                let mid = good + (miss - good) / 2;
                match fits(mid)? {
                    Some(e) => {
                        good = mid;
                        best = e;
                    }
                    None => miss = mid,
                }
            }
        }
        Ok(Some((
            Knobs {
                micro_batch: good,
                ..base
            },
            best,
        )))
    }

    /// The best knobs for a model within the mode: the longest sequence of the mode's range, no
    /// recomputation when possible, the largest micro-batch of the range. Falls below the ranges
    /// (micro-batch 1, shorter sequences) before giving up; `None` when nothing fits.
    fn fit_model(
        &self,
        spec: &ModelSpec,
        mode: Mode,
        task: Task,
        target: u64,
    ) -> Result<Option<(Knobs, Estimate)>> {
        let s = mode.settings();
        let g = self.goal;
        let max_seq = spec.max_positions.max(1);
        let sequences: Vec<u64> = match g.sequence {
            Some(seq) => vec![seq],
            None => {
                let mut v = Vec::new();
                let mut seq = s.sequence.1.min(max_seq);
                while seq >= 128 {
                    v.push(seq);
                    if seq <= s.sequence.0.min(max_seq) && v.len() > 1 {
                        // One step below the range before giving up.
                        break;
                    }
                    seq /= 2;
                }
                if v.is_empty() {
                    v.push(max_seq);
                }
                v
            }
        };
        let checkpointing: Vec<Checkpointing> = match g.checkpointing {
            Some(c) => vec![c],
            None => vec![Checkpointing::None, Checkpointing::Full],
        };
        let shardings: Vec<Sharding> = match (g.sharding, self.dev.count) {
            (Some(sh), _) => vec![sh],
            (None, 1) => vec![Sharding::None],
            (None, _) => vec![Sharding::None, Sharding::Zero2, Sharding::Zero3],
        };
        let optimizer = g.optimizer.unwrap_or(Optimizer::Adamw);
        let (mb_lo, mb_hi) = match (g.micro_batch, g.concurrency, task) {
            (Some(mb), _, _) => (mb, mb),
            // Serving: the concurrency asked for, else as many sequences as fit.
            (None, Some(c), Task::Decode) => {
                let per_device = c.div_ceil(self.dev.count);
                (per_device, per_device)
            }
            (None, None, Task::Decode) => (1, 4096),
            (None, _, _) => s.micro_batch,
        };
        // Memory-saving stages, tried only when the plain optimizer does not fit: 8-bit AdamW
        // states, then optimizer states in host memory. A given model needs them to fit at all;
        // for pretraining only extreme trades them for a larger model, the other modes keep them
        // in the fallback ladder.
        let training = !matches!(task, Task::Decode | Task::Prefill);
        let mut stages = vec![(optimizer, Offload::default())];
        if training && (self.given.is_some() || mode == Mode::Extreme) {
            let saving = if g.optimizer.is_none() && optimizer == Optimizer::Adamw {
                Optimizer::Adamw8bit
            } else {
                optimizer
            };
            if saving != optimizer {
                stages.push((saving, Offload::default()));
            }
            if self.dev.class != DeviceClass::Cpu {
                let offload = Offload {
                    optimizer: true,
                    parameters: false,
                };
                stages.push((saving, offload));
            }
        }
        // For each stage and sequence (longest first): the mode's micro-batch range with each
        // sharding and recomputation choice, then below the range, down to 1. Extreme takes,
        // among the sequences of its range, the fit that uses the most memory ("the largest
        // that fits"); the other modes the longest sequence that fits.
        let below = mb_lo > 1 && g.micro_batch.is_none() && g.concurrency.is_none();
        let widest = mode == Mode::Extreme && g.sequence.is_none();
        for &(optimizer, offload) in &stages {
            let mut best: Found = None;
            'sequence: for &sequence in &sequences {
                if widest && sequence < s.sequence.0.min(max_seq) && best.is_some() {
                    break;
                }
                for (lo, hi) in [(mb_lo, mb_hi), (1, mb_lo.saturating_sub(1))] {
                    if lo != mb_lo && !below {
                        continue;
                    }
                    for &sharding in &shardings {
                        for &ckpt in &checkpointing {
                            let k = Knobs {
                                micro_batch: lo,
                                sequence,
                                checkpointing: ckpt,
                                optimizer,
                                sharding,
                                offload,
                                accumulation: if training { 2 } else { 1 },
                            };
                            let Some(found) =
                                self.largest_micro_batch(spec, k, task, lo, hi, target)?
                            else {
                                continue;
                            };
                            if !widest {
                                return Ok(Some(found));
                            }
                            let better = best
                                .as_ref()
                                .is_none_or(|(_, b)| found.1.peak_bytes > b.peak_bytes);
                            if better {
                                best = Some(found);
                            }
                            continue 'sequence;
                        }
                    }
                }
            }
            if best.is_some() {
                return Ok(best);
            }
        }
        Ok(None)
    }

    fn configure(&self, mode: Mode) -> Result<(Configuration, Chosen)> {
        let s = mode.settings();
        let target = (self.dev.usable_bytes as f64 * s.memory_target) as u64;
        let task = self.task();
        let mut warnings = Vec::new();
        let (spec, origin, found) = match self.given {
            Some(spec) => {
                let found = self.fit_model(spec, mode, task, target)?;
                (spec.clone(), "given", found)
            }
            None => self.pick_pretrain_model(mode, target, &mut warnings)?,
        };
        let (knobs, memory, fits) = match found {
            Some((k, e)) => (k, e, true),
            None => {
                // Nothing fits the target: report the smallest setting, with its memory.
                let k = Knobs {
                    micro_batch: self.goal.micro_batch.unwrap_or(1),
                    sequence: self
                        .goal
                        .sequence
                        .unwrap_or(s.sequence.0.min(spec.max_positions.max(1))),
                    checkpointing: self.goal.checkpointing.unwrap_or(Checkpointing::Full),
                    optimizer: self.goal.optimizer.unwrap_or(Optimizer::Adamw),
                    sharding: self.goal.sharding.unwrap_or(if self.dev.count > 1 {
                        Sharding::Zero3
                    } else {
                        Sharding::None
                    }),
                    offload: Offload::default(),
                    accumulation: 1,
                };
                let e = self.estimate(&spec, &k, task)?;
                let alternative = match task {
                    Task::Lora | Task::Finetune => self
                        .estimate(&spec, &k, Task::Qlora)
                        .ok()
                        .filter(|q| q.peak_bytes <= target)
                        .map(|q| {
                            format!(
                                "; QLoRA (4-bit base weights) would peak at {:.1} GiB and fit",
                                q.peak_bytes as f64 / GIB
                            )
                        }),
                    _ => None,
                };
                let setting = if task == Task::Decode {
                    format!(
                        "serving {} sequence{} of {} tokens",
                        k.micro_batch,
                        if k.micro_batch == 1 { "" } else { "s" },
                        k.sequence
                    )
                } else {
                    format!(
                        "micro-batch {} and sequence {} with full recomputation",
                        k.micro_batch, k.sequence
                    )
                };
                warnings.push(warning(
                    "does_not_fit",
                    format!(
                        "even {} the peak is {:.1} GiB, above the {} target of {:.1} GiB ({:.0} % of {:.1} GiB){}",
                        setting,
                        e.peak_bytes as f64 / GIB,
                        mode.as_str(),
                        target as f64 / GIB,
                        s.memory_target * 100.0,
                        self.dev.usable_bytes as f64 / GIB,
                        alternative.unwrap_or_default()
                    ),
                ));
                (k, e, false)
            }
        };
        let config = self.finish(
            mode,
            spec.clone(),
            origin,
            knobs,
            memory,
            fits,
            target,
            task,
            warnings,
            false,
        )?;
        let chosen = Chosen {
            spec,
            origin,
            knobs: Knobs {
                accumulation: config.gradient_accumulation,
                ..knobs
            },
            fits,
        };
        Ok((config, chosen))
    }

    /// A configuration of `mode` that runs exactly what a lower mode chose (same model, knobs and
    /// global batch): used when the mode's own choice would use less memory than the lower
    /// mode's, which the modes' order forbids.
    fn adopt(&self, mode: Mode, lower: &Chosen) -> Result<Configuration> {
        let s = mode.settings();
        let target = (self.dev.usable_bytes as f64 * s.memory_target) as u64;
        let task = self.task();
        let memory = self.estimate(&lower.spec, &lower.knobs, task)?;
        self.finish(
            mode,
            lower.spec.clone(),
            lower.origin,
            lower.knobs,
            memory,
            true,
            target,
            task,
            Vec::new(),
            true,
        )
    }

    /// Pretraining: the largest ladder model that the mode's time budget trains at its tokens
    /// per parameter and that fits the memory target; at least the mode's lower size when that
    /// fits in time and memory.
    fn pick_pretrain_model(
        &self,
        mode: Mode,
        target: u64,
        warnings: &mut Vec<Warning>,
    ) -> Result<(ModelSpec, &'static str, Found)> {
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
                // The time again with the knobs that fit: a shorter sequence is faster per token,
                // recomputation slower.
                let fits_time = in_time
                    && speed.is_none_or(|f| {
                        tokens
                            * hardware_flops_per_token(
                                &spec,
                                params.active,
                                found.0.sequence,
                                found.0.checkpointing,
                            )
                            / f
                            <= budget
                    });
                if fits_time {
                    return Ok((spec, "generated", Some(found)));
                }
                smallest_fit = Some((spec, found));
            } else if i == 0 {
                return Ok((spec, "generated", None));
            }
        }
        match smallest_fit {
            Some((spec, found)) => {
                warnings.push(warning(
                    "time_budget_exceeded",
                    format!(
                        "even the smallest model ({}) does not train on {:.0} tokens per parameter within the {} budget of {:.1} h",
                        spec.name,
                        s.tokens_per_parameter,
                        mode.as_str(),
                        budget / 3600.0
                    ),
                ));
                Ok((spec, "generated", Some(found)))
            }
            None => Ok((ladder_spec(0)?, "generated", None)),
        }
    }

    fn budget_s(&self, mode: Mode) -> f64 {
        self.goal.hours.unwrap_or(mode.settings().hours) * 3600.0
    }

    /// Power cap per device for the mode, when the device's limit can be set (NVIDIA through
    /// NVML reports its lowest settable limit) and the mode asks for less than its TDP.
    fn power_cap(&self, mode: Mode) -> Option<f64> {
        let tdp = self.dev.tdp_w?;
        let min = self.dev.power_min_w?;
        let fraction = mode.settings().power_fraction;
        (fraction < 1.0).then(|| (tdp * fraction).max(min))
    }

    fn power_speed(&self, mode: Mode) -> f64 {
        match (self.power_cap(mode), self.dev.tdp_w) {
            (Some(cap), Some(tdp)) => speed_at_power(cap / tdp),
            _ => 1.0,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        mode: Mode,
        spec: ModelSpec,
        origin: &str,
        mut k: Knobs,
        memory: Estimate,
        fits: bool,
        target: u64,
        task: Task,
        mut warnings: Vec<Warning>,
        keep_accumulation: bool,
    ) -> Result<Configuration> {
        let s = mode.settings();
        let d = self.dev;
        let params = memory.parameters;
        let serve = self.goal.task == GoalTask::Serve;

        // Global batch: pretraining follows DeepSeek's compute-optimal batch; fine-tuning the
        // mode's accumulation; a user's global batch wins.
        let tokens_goal = |rate: Option<f64>| -> u64 {
            match (self.goal.tokens, self.goal.task) {
                (Some(t), _) => t,
                (None, GoalTask::Pretrain) => (params.total as f64 * s.tokens_per_parameter) as u64,
                (None, _) => rate.map_or(0, |r| (r * self.budget_s(mode)) as u64),
            }
        };
        let per_step = k.micro_batch * d.count;
        let global = match (self.goal.global_batch, self.goal.task) {
            _ if keep_accumulation => per_step * k.accumulation,
            (Some(gb), _) => gb.max(per_step),
            (None, GoalTask::Pretrain) => {
                let c = 6.0 * params.active as f64 * tokens_goal(None) as f64;
                let (_, batch_tokens) = deepseek_lr_and_batch(c.max(1.0));
                let sequences = libm::round(batch_tokens / k.sequence as f64) as u64;
                sequences.max(per_step)
            }
            (None, _) if serve => per_step,
            // At least 16 sequences per step, the QLoRA paper's batch for models up to 13B
            // (Dettmers et al. 2023, App. B), however small the micro-batch.
            (None, _) => (per_step * s.accumulation).max(MIN_FINETUNE_BATCH),
        };
        let estimated_accumulating = k.accumulation > 1;
        k.accumulation = global.div_ceil(per_step).max(1);
        let global = per_step * k.accumulation;
        // The search assumed accumulation (gradients resident between micro-batches), the larger
        // peak; the reported memory is that of the configuration as it will run. Without
        // pipeline stages the estimate depends only on whether there is accumulation, not on how
        // many micro-batches, so it is redone only when that changed.
        let memory = if serve || (k.accumulation > 1) == estimated_accumulating {
            memory
        } else {
            self.estimate(&spec, &k, task)?
        };

        // Time.
        let mut mflops = model_flops_per_token(&spec, params.active, k.sequence);
        let mut hflops =
            hardware_flops_per_token(&spec, params.active, k.sequence, k.checkpointing);
        if matches!(task, Task::Lora | Task::Qlora) {
            let skipped = frozen_weight_gradient_flops(&spec, params.active);
            mflops -= skipped;
            hflops -= skipped;
        }
        let speed = self.power_speed(mode);
        let achievable = d.achievable_flops().map(|f| f * speed);
        let step_tokens = (global * k.sequence) as f64;
        let (step_s, comm_s) = match achievable {
            Some(f) if !serve => {
                let compute = step_tokens * hflops / f;
                let grad_bytes = params.trainable as f64 * precision_grad_bytes(d.precision) as f64;
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
        let tokens = if serve { 0 } else { tokens_goal(tokens_per_s) };
        // A token budget is met with whole steps; a time budget is not exceeded by the last one.
        let steps = if serve {
            0
        } else if self.goal.tokens.is_none() && self.goal.task != GoalTask::Pretrain {
            (libm::floor(tokens as f64 / step_tokens) as u64).max(1)
        } else {
            libm::ceil(tokens as f64 / step_tokens) as u64
        };
        // What is trained is whole steps of the global batch.
        let tokens = if serve { 0 } else { steps * step_tokens as u64 };
        let total_s = step_s.map(|t| t * steps as f64);
        let peak_all = d.peak_tflops.map(|p| p * 1e12 * d.count as f64);
        let mfu = tokens_per_s.zip(peak_all).map(|(r, p)| r * mflops / p);
        let hfu = tokens_per_s.zip(peak_all).map(|(r, p)| r * hflops / p);
        let budget_s = self.budget_s(mode);
        let data_read_mbs = tokens_per_s.map(|r| r * bytes_per_token(spec.vocab) as f64 / 1e6);
        let already = warnings.iter().any(|w| w.code == "time_budget_exceeded");
        if let Some(t) = total_s {
            if t > budget_s * 1.0001 && !serve && !already {
                warnings.push(warning(
                    "time_budget_exceeded",
                    format!(
                        "{:.1} h of training at {:.0} tokens/s exceeds the {} budget of {:.1} h",
                        t / 3600.0,
                        tokens_per_s.unwrap_or(0.0),
                        mode.as_str(),
                        budget_s / 3600.0
                    ),
                ));
            }
        }
        if d.peak_tflops.is_none() {
            warnings.push(warning(
                "speed_unknown",
                format!(
                    "the peak throughput of {} is not known (not in the catalogue, not measured); run `trainfit probe --benchmark` or give peak_tflops, so time and energy can be computed",
                    d.name
                ),
            ));
        }
        if let (Some(need), Some(have)) = (data_read_mbs, self.storage_read_mbs()) {
            if need > have {
                warnings.push(warning(
                    "data_loading_bottleneck",
                    format!(
                        "training reads {need:.1} MB/s of tokens but storage measured {have:.0} MB/s"
                    ),
                ));
            }
        }

        // Scale.
        let ms = memory.model_states;
        let per_device_ckpt = if matches!(task, Task::Lora | Task::Qlora) {
            ms.adapter_bytes + ms.optimizer_states_bytes
        } else {
            ms.weights_bytes + ms.master_weights_bytes + ms.optimizer_states_bytes
        };
        let checkpoint_bytes = if k.sharding == Sharding::None {
            per_device_ckpt
        } else {
            per_device_ckpt * d.count
        };
        let write_mbs = self.storage_write_mbs();
        let checkpoint_write_s = write_mbs.map(|w| checkpoint_bytes as f64 / (w * 1e6));
        // Young/Daly, and at least the mode's number of checkpoints per run: conservative 10,
        // balanced 5, extreme 4 (the modes' "frequent checkpoints" stance).
        let per_run = match mode {
            Mode::Conservative => 10.0,
            Mode::Balanced => 5.0,
            Mode::Extreme => 4.0,
        };
        let save_interval_s = match (checkpoint_write_s, total_s) {
            (Some(delta), Some(t)) => {
                Some(young_daly_interval_s(delta, mtbf_s(d.count)).min(t / per_run))
            }
            (None, Some(t)) => Some(t / per_run),
            _ => None,
        };
        let dataset_bytes = tokens * bytes_per_token(spec.vocab);
        let disk_needed = dataset_bytes + 2 * checkpoint_bytes;
        let disk_free = self.disk_free();
        if let Some(free) = disk_free {
            if disk_needed > free && !serve {
                warnings.push(warning(
                    "disk_space",
                    format!(
                        "the dataset ({:.1} GB) and two checkpoints ({:.1} GB each) need {:.1} GB, {:.1} GB are free",
                        dataset_bytes as f64 / 1e9,
                        checkpoint_bytes as f64 / 1e9,
                        disk_needed as f64 / 1e9,
                        free as f64 / 1e9
                    ),
                ));
            }
        }
        let compute = 6.0 * params.active as f64 * tokens as f64;
        let scale = Scale {
            tokens_per_parameter: if params.trainable > 0 {
                tokens as f64 / params.total as f64
            } else {
                0.0
            },
            chinchilla_tokens: params.total.saturating_mul(20),
            // The size this hardware trains compute-optimally within the time budget:
            // C = sustained FLOP/s × budget.
            compute_optimal_parameters: achievable.map_or(0, |f| {
                compute_optimal_parameters(f * budget_s, s.tokens_per_parameter) as u64
            }),
            dataset_bytes,
            text_bytes: (tokens as f64 * TEXT_BYTES_PER_TOKEN) as u64,
            checkpoint_bytes,
            checkpoint_write_s,
            save_interval_s,
            disk_needed_bytes: disk_needed,
            disk_free_bytes: disk_free,
        };

        // Power.
        let cap = self.power_cap(mode);
        let tdp_all = d.tdp_w.map(|t| t * d.count as f64);
        // A capped device draws its cap under load; an uncapped busy GPU averages 0.7-0.9 of its
        // TDP (parallel-anchors §11.10), 0.8 here, and extreme, which runs at 90-100 %, is
        // planned at its full TDP.
        let draw = d.tdp_w.map(|t| match cap {
            Some(c) => c * d.count as f64,
            None => t * s.power_fraction.max(0.8) * d.count as f64,
        });
        let energy = draw.zip(total_s).map(|(w, t)| w * t / 3.6e6);
        if cap.is_none() && s.power_fraction < 0.8 && d.tdp_w.is_some() {
            warnings.push(warning(
                "power_above_target",
                format!(
                    "{} asks for at most {:.0} % of TDP but this device's power limit cannot be read or set; expect about {:.0} W",
                    mode.as_str(),
                    s.power_fraction * 100.0,
                    draw.unwrap_or(0.0)
                ),
            ));
        }
        if mode == Mode::Extreme {
            self.extreme_warnings(&mut warnings, draw, total_s);
        }
        let power = PowerEstimate {
            tdp_w: tdp_all,
            draw_w: draw,
            power_cap_w: cap,
            energy_kwh: energy,
        };

        // Memory warnings.
        let logits: u64 = memory
            .breakdown
            .iter()
            .filter(|t| t.term == TermKind::LogitsAndLoss)
            .map(|t| t.bytes)
            .sum();
        if logits * 4 > memory.peak_bytes && logits > 0 {
            warnings.push(warning(
                "large_vocab_logits",
                format!(
                    "logits and loss take {:.1} GiB of the {:.1} GiB peak ({:.0} %): vocabulary {} x {} tokens per micro-batch; a fused cross-entropy (Liger, loss: fused) avoids most of it",
                    logits as f64 / GIB,
                    memory.peak_bytes as f64 / GIB,
                    logits as f64 * 100.0 / memory.peak_bytes as f64,
                    spec.vocab,
                    k.micro_batch * k.sequence
                ),
            ));
        }
        if task == Task::Qlora {
            if let Ok(lora) = self.estimate(&spec, &k, Task::Lora) {
                if lora.peak_bytes <= memory.peak_bytes {
                    warnings.push(warning(
                        "qlora_exceeds_lora",
                        format!(
                            "QLoRA peaks at {:.2} GiB, LoRA on the 16-bit model at {:.2} GiB: at this size the dequantisation buffers outweigh the 4-bit savings; use LoRA",
                            memory.peak_bytes as f64 / GIB,
                            lora.peak_bytes as f64 / GIB
                        ),
                    ));
                }
            }
        }
        if fits {
            let (lo_mb, _) = s.micro_batch;
            if k.micro_batch < lo_mb && self.goal.micro_batch.is_none() && !serve {
                warnings.push(warning(
                    "below_mode_range",
                    format!(
                        "micro-batch {} is below the {} range ({}+) to fit {:.1} GiB",
                        k.micro_batch,
                        mode.as_str(),
                        lo_mb,
                        target as f64 / GIB
                    ),
                ));
            }
        }

        let serve_estimate = serve.then(|| self.serve_estimate(&k, &memory));
        let training =
            (!serve).then(|| self.training_config(mode, steps, step_s, save_interval_s, compute));
        let fallbacks = if serve {
            Vec::new()
        } else {
            self.fallbacks(&spec, k, task)
        };
        Ok(Configuration {
            mode,
            fits,
            memory_target_bytes: target,
            model: ModelChoice {
                name: spec.name.clone(),
                parameters: params.total,
                trainable: params.trainable,
                origin: String::from(origin),
                shape: (origin == "generated").then_some(Shape {
                    layers: spec.layers,
                    hidden: spec.hidden,
                    heads: spec.heads,
                    intermediate: spec.ffn.intermediate,
                    vocab: spec.vocab,
                }),
            },
            task: self.goal.task,
            precision: self.precision(task),
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
            lora_rank: matches!(task, Task::Lora | Task::Qlora)
                .then(|| self.goal.lora_rank.unwrap_or(16)),
            memory,
            time: TimeEstimate {
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
            },
            scale,
            power,
            serve: serve_estimate,
            training,
            fallbacks,
            warnings,
        })
    }

    fn extreme_warnings(&self, warnings: &mut Vec<Warning>, draw: Option<f64>, t: Option<f64>) {
        let laptop = self.profile.host.form_factor == Some(FormFactor::Laptop)
            || self.profile.power.has_battery == Some(true);
        let hot = self.profile.accelerators.iter().find_map(|a| {
            let temp = a.temperature_c?.value;
            let slow = a.temperature_slowdown_c?.value;
            (temp + 10.0 >= slow).then_some((temp, slow))
        });
        if laptop || hot.is_some() {
            warnings.push(warning(
                "thermal_risk",
                match hot {
                    Some((temp, slow)) => format!(
                        "the GPU is at {temp:.0} °C, within 10 °C of its {slow:.0} °C slowdown point, before a sustained full-power run"
                    ),
                    None => format!(
                        "a laptop at full load for {:.1} h will throttle: raise it for airflow, keep it on mains, expect clocks below the estimate",
                        t.unwrap_or(0.0) / 3600.0
                    ),
                },
            ));
        }
        if let Some(w) = draw {
            warnings.push(warning(
                "power_near_limit",
                format!(
                    "extreme runs the accelerators at their full power ({w:.0} W in all) for the whole run: check the power supply and cooling"
                ),
            ));
        }
    }

    fn storage_read_mbs(&self) -> Option<f64> {
        self.profile
            .benchmarks
            .storage
            .iter()
            .filter_map(|s| s.read_mbs.map(|v| v.value))
            .reduce(f64::max)
    }

    fn storage_write_mbs(&self) -> Option<f64> {
        let measured = self
            .profile
            .benchmarks
            .storage
            .iter()
            .filter_map(|s| s.write_mbs.map(|v| v.value))
            .reduce(f64::max);
        measured.or_else(|| {
            // Without a measurement, the sequential write of the root disk's kind: NVMe PCIe 3 x4
            // ~2000 MB/s, SATA III ~500 MB/s (6 Gb/s line rate, 8b/10b), a 7200 rpm HDD ~150 MB/s.
            let root = self
                .profile
                .storage
                .iter()
                .find(|s| s.mount_point == "/" || s.mount_point == "C:\\")?;
            Some(match root.kind? {
                StorageKind::Nvme => 2000.0,
                StorageKind::Ssd => 500.0,
                StorageKind::Hdd => 150.0,
                _ => return None,
            })
        })
    }

    fn disk_free(&self) -> Option<u64> {
        self.profile
            .storage
            .iter()
            .filter(|s| s.read_only != Some(true) && s.mount_point != "/dev/shm")
            .filter(|s| !matches!(s.kind, Some(StorageKind::Ram | StorageKind::Network)))
            .filter_map(|s| s.available_bytes.map(|v| v.value))
            .max()
    }

    fn serve_estimate(&self, k: &Knobs, memory: &Estimate) -> ServeEstimate {
        let kv: u64 = memory
            .breakdown
            .iter()
            .filter(|t| t.term == TermKind::KvCache)
            .map(|t| t.bytes)
            .sum();
        let per_seq = kv / k.micro_batch.max(1);
        // Decode is memory-bound: each step reads the weights and every sequence's KV cache
        // (llm-analysis latency model, memory term); 0.8 of peak bandwidth is sustained
        // (llm-analysis README: 0.9 is an aggressive memory efficiency).
        let bytes_per_step = memory.model_states.weights_bytes as f64 + kv as f64;
        let rate = self.dev.memory_bandwidth_gbs.map(|bw| {
            let step = bytes_per_step / (bw * 1e9 * 0.8);
            k.micro_batch as f64 * self.dev.count as f64 / step
        });
        ServeEstimate {
            context: k.sequence,
            concurrency: k.micro_batch * self.dev.count,
            kv_bytes_per_sequence: per_seq,
            decode_tokens_per_s: rate,
        }
    }

    fn training_config(
        &self,
        mode: Mode,
        steps: u64,
        step_s: Option<f64>,
        save_interval_s: Option<f64>,
        compute: f64,
    ) -> TrainingConfig {
        let (lr, schedule, warmup, sources): (f64, &str, u64, Vec<String>) = match self.goal.task {
            GoalTask::Pretrain => {
                let (lr, _) = deepseek_lr_and_batch(compute.max(1.0));
                (
                    lr,
                    "cosine",
                    (steps / 100).clamp(1, 2000),
                    vec![
                        "learning rate and batch: DeepSeek LLM scaling fits, lr = 0.3118·C^-0.125, B = 0.2920·C^0.3271 tokens (DeepSeek-AI 2024, §3.1)".to_string(),
                        "cosine decay to 10 % (Chinchilla, Hoffmann et al. 2022, §3); warm-up 1 % of steps, at most 2000 (Llama 2: 2000 steps)".to_string(),
                    ],
                )
            }
            GoalTask::Finetune => (
                2e-5,
                "cosine",
                libm::ceil(steps as f64 * 0.03) as u64,
                vec!["full fine-tune: lr 2e-5, cosine, warm-up ratio 0.03 (Stanford Alpaca training recipe)".to_string()],
            ),
            GoalTask::Lora | GoalTask::Qlora => (
                2e-4,
                "constant",
                libm::ceil(steps as f64 * 0.03) as u64,
                vec!["LoRA/QLoRA: lr 2e-4, constant schedule, warm-up ratio 0.03 (QLoRA paper, Dettmers et al. 2023, App. B)".to_string()],
            ),
            GoalTask::Serve => (0.0, "constant", 0, Vec::new()),
        };
        let save_steps = match (save_interval_s, step_s) {
            (Some(i), Some(t)) if t > 0.0 => (libm::floor(i / t) as u64).clamp(1, steps.max(1)),
            _ => (steps / 10).max(1),
        };
        TrainingConfig {
            learning_rate: lr,
            schedule: String::from(schedule),
            warmup_steps: warmup.min(steps),
            steps,
            save_steps,
            output_dir: format!("./trainfit-{}", mode.as_str()),
            sources,
        }
    }

    /// Ordered adjustments, each applied on top of the earlier ones, with the peak after it.
    fn fallbacks(&self, spec: &ModelSpec, start: Knobs, task: Task) -> Vec<Fallback> {
        let mut out = Vec::new();
        let mut k = start;
        let mut push = |k: &Knobs, action: &str, description: String| {
            if let Ok(e) = self.estimate(spec, k, task) {
                out.push(Fallback {
                    action: String::from(action),
                    description,
                    peak_bytes: e.peak_bytes,
                });
            }
        };
        if k.micro_batch > 1 {
            // The largest micro-batch up to half the current one that divides the sequences each
            // device takes per step, so the global batch stays exactly the same.
            let per_device = k.micro_batch * k.accumulation;
            let half = k.micro_batch / 2;
            let mb = (1..=half).rev().find(|d| per_device % d == 0).unwrap_or(1);
            k.micro_batch = mb;
            k.accumulation = per_device / mb;
            push(
                &k,
                "halve_micro_batch",
                format!(
                    "micro-batch {} with {} accumulation steps (same global batch)",
                    k.micro_batch, k.accumulation
                ),
            );
        }
        if k.checkpointing != Checkpointing::Full {
            k.checkpointing = Checkpointing::Full;
            push(
                &k,
                "full_checkpointing",
                String::from("recompute activations in the backward pass (about 1/3 more compute)"),
            );
        }
        if k.optimizer == Optimizer::Adamw && task != Task::Decode {
            k.optimizer = Optimizer::Adamw8bit;
            push(
                &k,
                "adamw_8bit",
                String::from(
                    "8-bit AdamW states (bitsandbytes): 2 bytes per parameter instead of 8",
                ),
            );
        }
        if !k.offload.optimizer && self.dev.class != DeviceClass::Cpu {
            k.offload.optimizer = true;
            push(
                &k,
                "offload_optimizer",
                String::from(
                    "optimizer states in host memory, the step on the CPU (DeepSpeed ZeRO-Offload)",
                ),
            );
        }
        if k.sequence >= 256 {
            k.sequence /= 2;
            push(
                &k,
                "halve_sequence",
                format!("sequence {} tokens", k.sequence),
            );
        }
        out
    }
}

/// Gradient bytes of a recipe.
fn precision_grad_bytes(p: Precision) -> u64 {
    match p {
        Precision::Fp32 | Precision::AmpBf16 | Precision::AmpFp16 => 4,
        _ => 2,
    }
}

/// Serving runs in the 16-bit dtype of the training recipe's compute.
fn serve_precision(p: Precision) -> Precision {
    match p {
        Precision::Fp32 => Precision::Fp32,
        Precision::AmpFp16 | Precision::Fp16 | Precision::MixedFp16 => Precision::Fp16,
        _ => Precision::Bf16,
    }
}

/// Capability score: `10 × (log2(1 + memory GiB) + log2(1 + sustained TFLOP/s)) / 20`, capped at
/// 10, over all devices. One 8×H100 node (640 GiB, about 3,200 sustained TFLOP/s) scores 10; an
/// RTX 4090 about 5; a 16 GB CPU-only laptop about 2.
fn score(d: &Device) -> Score {
    let gib = d.usable_bytes as f64 * d.count as f64 / GIB;
    let tflops = d.achievable_flops().map_or(0.0, |f| f / 1e12);
    let raw = 10.0 * (libm::log2(1.0 + gib) + libm::log2(1.0 + tflops)) / 20.0;
    Score {
        value: libm::round(raw.clamp(0.0, 10.0) * 10.0) / 10.0,
        formula: String::from(
            "10 × (log2(1 + usable memory in GiB) + log2(1 + sustained TFLOP/s)) / 20, over all devices, capped at 10",
        ),
    }
}

fn machine_warnings(ctx: &Ctx<'_>) -> (Vec<Warning>, Vec<Warning>) {
    let p = ctx.profile;
    let d = ctx.dev;
    let mut w = Vec::new();
    let mut s = Vec::new();
    if p.power.on_battery == Some(true) {
        w.push(warning(
            "on_battery",
            format!(
                "running on battery ({}): laptops cut GPU and CPU power on battery; plug in before training",
                p.power
                    .battery_percent
                    .map_or(String::from("charge unknown"), |b| format!("{:.0} %", b.value))
            ),
        ));
    }
    if let Some(used) = p.memory.swap_used_bytes.filter(|v| v.value > 0) {
        w.push(warning(
            "swap_in_use",
            format!(
                "{:.1} GiB of swap in use: memory is short before training starts",
                used.value as f64 / GIB
            ),
        ));
    }
    if p.storage
        .iter()
        .any(|st| st.mount_point == "/" && st.kind == Some(StorageKind::Hdd))
    {
        w.push(warning(
            "hdd_streaming",
            String::from("the root file system is on a spinning disk: keep the dataset on an SSD or in RAM, or pre-tokenise it into one contiguous file"),
        ));
    }
    if d.class != DeviceClass::Cpu
        && !matches!(
            d.precision,
            Precision::Bf16 | Precision::AmpBf16 | Precision::MixedBf16
        )
    {
        w.push(warning(
            "no_bf16",
            format!("{} has no bf16: {}", d.name, d.precision_reason),
        ));
    }
    if d.class != DeviceClass::Cpu && !d.flash_attention {
        w.push(warning(
            "no_flash_attention",
            format!(
                "FlashAttention is not available on {}: attention uses PyTorch's SDPA kernels",
                d.name
            ),
        ));
    }
    if let Some(limit) = p.memory.cgroup_limit_bytes {
        if let Some(total) = p.memory.total_bytes {
            if limit.value < total.value {
                w.push(warning(
                    "cgroup_limit",
                    format!(
                        "this container may use {:.1} GiB of the host's {:.1} GiB; plans use the limit",
                        limit.value as f64 / GIB,
                        total.value as f64 / GIB
                    ),
                ));
            }
        }
    }
    let apple = p.accelerators.iter().find(|a| {
        a.kind == AcceleratorKind::Unified && a.memory_source == Some(MemorySource::MetalWorkingSet)
    });
    if let (Some(a), Some(total)) = (apple, p.memory.total_bytes) {
        if let Some(ws) = a.memory_total_bytes {
            w.push(warning(
                "unified_memory_limit",
                format!(
                    "the GPU may wire {:.1} GiB of the {:.1} GiB unified memory (Metal working set); `sudo sysctl iogpu.wired_limit_mb=N` raises it until reboot",
                    ws.value as f64 / GIB,
                    total.value as f64 / GIB
                ),
            ));
        }
    }
    if d.class == DeviceClass::Cpu {
        w.push(warning(
            "cpu_only",
            format!(
                "no GPU: training runs on {} with {} threads (one per physical core)",
                d.name,
                d.threads.unwrap_or(1)
            ),
        ));
        s.push(warning(
            "use_a_gpu",
            String::from("a rented GPU trains 10-100x faster than a CPU; `trainfit plan` with that GPU's profile shows what fits"),
        ));
    }
    if d.count > 1 && d.link_gbs.is_some_and(|l| l < 50.0) {
        s.push(warning(
            "slow_interconnect",
            format!(
                "GPUs talk over PCIe at about {:.0} GB/s: prefer gradient accumulation (fewer all-reduces) or ZeRO-1 over ZeRO-3",
                d.link_gbs.unwrap_or(0.0)
            ),
        ));
    }
    (w, s)
}
