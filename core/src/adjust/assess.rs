//! A configuration re-assessed after a change: its memory from the core's estimate, its time
//! from the time model, its power and energy.

use alloc::string::String;
use core::cell::RefCell;

use super::decision::{Action, Changes, Decision};
use crate::error::{at_most, positive, Error, Result};
use crate::estimate::Estimate;
use crate::hardware::HardwareProfile;
use crate::memory::ProgramCache;
use crate::memory::{MAX_DEVICES, MAX_SEQUENCES};
use crate::model::ModelSpec;
use crate::plan::{
    frozen_weight_gradient_flops, hardware_flops_per_token, model_flops_per_token, shape_spec,
    speed_at_power, Configuration, Goal, Knobs, ModelOrigin, Plan, Planner, CACHED_PROGRAMS,
    LADDER,
};
use crate::plan::{Device, DeviceClass};
use crate::request::{AttentionImpl, Framework, Precision, Task};
use crate::warning::WarningCode;

/// The knobs of a configuration that an adjustment changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Setting {
    pub knobs: Knobs,
    pub precision: Precision,
    pub devices: u64,
    pub global_batch: u64,
    /// Power limit per device, W; `None` uncapped.
    pub power_cap_w: Option<f64>,
    /// On the host's CPU instead of the plan's devices.
    pub cpu: bool,
}

/// The plan and configuration an observation is about, with the model rebuilt.
pub(super) struct Context<'a> {
    pub plan: &'a Plan,
    pub c: &'a Configuration,
    /// `None` for a cluster's mesh configuration, which the data-parallel model does not
    /// re-assess.
    spec: Option<ModelSpec>,
    /// The configuration runs on the CPU: an earlier `cpu` decision's.
    pub cpu: bool,
}

impl<'a> Context<'a> {
    /// The context of `c`, its model rebuilt and checked: the current configuration re-estimated
    /// must give the plan's own peak, byte for byte.
    pub fn new(plan: &'a Plan, c: &'a Configuration) -> Result<Self> {
        // The bounds of the memory model's requests, so that the ladder's divisor searches and
        // the batch products stay small.
        for (field, v) in [
            ("configuration.micro_batch", c.micro_batch),
            (
                "configuration.gradient_accumulation",
                c.gradient_accumulation,
            ),
            ("configuration.global_batch", c.global_batch),
        ] {
            positive(field, v)?;
            at_most(field, v, MAX_SEQUENCES, "sequences")?;
        }
        positive("configuration.devices", c.devices)?;
        at_most("configuration.devices", c.devices, MAX_DEVICES, "devices")?;
        if c.mesh.is_some() || c.serving_layouts.is_some() {
            return Ok(Context {
                plan,
                c,
                spec: None,
                cpu: false,
            });
        }
        let spec = rebuild(c).ok_or_else(|| unresolved(c))?;
        let mut cx = Context {
            plan,
            c,
            spec: Some(spec),
            cpu: false,
        };
        // On the plan's devices, or on the CPU after an earlier `cpu` decision.
        for cpu in [false, true] {
            cx.cpu = cpu;
            let now = cx.setting();
            if cx.estimate(&now)?.peak_bytes == c.memory.peak_bytes {
                return Ok(cx);
            }
        }
        Err(unresolved(c))
    }

    /// Whether the configuration runs on a cluster's mesh (or serving layouts).
    pub fn mesh(&self) -> bool {
        self.spec.is_none()
    }

    /// The configuration's own setting.
    pub fn setting(&self) -> Setting {
        let c = self.c;
        Setting {
            knobs: Knobs {
                micro_batch: c.micro_batch,
                sequence: c.sequence,
                checkpointing: c.checkpointing,
                optimizer: c.optimizer.unwrap_or_default(),
                sharding: c.sharding,
                offload: c.offload,
                accumulation: c.gradient_accumulation,
            },
            precision: c.precision,
            devices: c.devices,
            global_batch: c.global_batch,
            power_cap_w: c.power.power_cap_w,
            cpu: self.cpu,
        }
    }

    /// Runs `f` with a planner for `s`: the plan's devices with `s`'s count and recipe. The
    /// profile is not in the plan; the time model's profile inputs (links, host bandwidth) take
    /// their defaults, and [`Context::assess`] scales its times to the plan's own.
    fn with<T>(&self, s: &Setting, f: impl FnOnce(&Planner<'_>, &ModelSpec) -> T) -> Option<T> {
        let spec = self.spec.as_ref()?;
        let c = self.c;
        let attention = attention(c, s);
        let goal = Goal {
            task: c.task,
            precision: Some(s.precision),
            lora_rank: c.lora_rank,
            attention: Some(attention),
            devices: Some(s.devices),
            ..Goal::default()
        };
        let mut dev = self.plan.device.clone();
        if s.cpu {
            dev = cpu_device(&dev);
        }
        dev.count = s.devices;
        dev.precision = s.precision;
        dev.attention = attention;
        let profile = HardwareProfile::default();
        let planner = Planner {
            goal: &goal,
            profile: &profile,
            dev: &dev,
            given: Some(spec),
            programs: RefCell::new(ProgramCache::new(CACHED_PROGRAMS)),
            cluster: None,
            phase: crate::plan::phases::Phase::Whole,
        };
        Some(f(&planner, spec))
    }

    /// The task as the memory model runs it.
    pub fn task(&self) -> Task {
        match self.c.task {
            crate::plan::GoalTask::Pretrain => Task::Pretrain,
            crate::plan::GoalTask::Finetune => Task::Finetune,
            crate::plan::GoalTask::Lora => Task::Lora,
            crate::plan::GoalTask::Qlora => Task::Qlora,
            crate::plan::GoalTask::Serve => Task::Decode,
        }
    }

    /// The core's estimate of `s`.
    pub fn estimate(&self, s: &Setting) -> Result<Estimate> {
        let task = self.task();
        self.with(s, |p, spec| p.estimate(spec, &s.knobs, task))
            .unwrap_or_else(|| Err(unresolved(self.c)))
    }

    /// The plan's fallback ladder from `s`: each step with its description and setting.
    pub fn ladder(&self, s: &Setting) -> alloc::vec::Vec<(Action, String, Setting)> {
        let task = self.task();
        self.with(s, |p, _| p.ladder(s.knobs, task))
            .unwrap_or_default()
            .into_iter()
            .map(|(a, d, k)| (Action::from(a), d, Setting { knobs: k, ..*s }))
            .collect()
    }

    /// The configuration of `s`: memory from the estimate `memory`, time from the time model
    /// scaled to the plan's (the ratio of the plan's step time to the model's for the current
    /// configuration), power at `s`'s cap.
    pub fn assess(&self, s: &Setting, memory: Estimate) -> Result<Configuration> {
        let c = self.c;
        let now = self.setting();
        let mut next = c.clone();
        next.micro_batch = s.knobs.micro_batch;
        next.gradient_accumulation = s.knobs.accumulation;
        next.global_batch = s.global_batch;
        next.sequence = s.knobs.sequence;
        next.checkpointing = s.knobs.checkpointing;
        next.optimizer = c.optimizer.map(|_| s.knobs.optimizer);
        next.offload = s.knobs.offload;
        next.sharding = s.knobs.sharding;
        // The offloaded step is DeepSpeed's, with its 16-bit model (as the planner runs it).
        next.precision = crate::plan::planner::offload_precision(s.precision, s.knobs.offload);
        next.devices = s.devices;
        next.attention = attention(c, s);
        next.fits = memory.peak_bytes <= c.memory_target_bytes;
        if next.fits {
            next.warnings.retain(|w| w.code != WarningCode::DoesNotFit);
        }
        let task = self.task();
        let params = memory.parameters;
        next.memory = memory;

        // Time: FLOPs per token of the new knobs, steps of the new batch, step time from the
        // time model scaled to the plan's.
        let t = &mut next.time;
        if let Some(spec) = self.spec.as_ref() {
            t.model_flops_per_token = model_flops_per_token(spec, params.active, s.knobs.sequence);
            t.hardware_flops_per_token = hardware_flops_per_token(
                spec,
                params.active,
                s.knobs.sequence,
                s.knobs.checkpointing,
            );
            if matches!(task, Task::Lora | Task::Qlora) {
                let skipped = frozen_weight_gradient_flops(spec, params.active);
                t.model_flops_per_token -= skipped;
                t.hardware_flops_per_token -= skipped;
            }
        }
        let per_step = s.global_batch.saturating_mul(s.knobs.sequence);
        if per_step != c.global_batch.saturating_mul(c.sequence) && per_step > 0 {
            t.steps = t.tokens.div_ceil(per_step);
        }
        let mode = c.mode;
        let step = |st: &Setting| {
            self.with(st, |p, spec| {
                p.data_parallel_step(
                    mode,
                    spec,
                    &st.knobs,
                    task,
                    (params.trainable, params.total),
                )
            })
            .and_then(|r| r.ok().flatten())
        };
        let cap_speed = |cap: Option<f64>| match (cap, self.plan.device.tdp_w) {
            (Some(cap), Some(tdp)) if tdp > 0.0 => speed_at_power(cap / tdp),
            _ => 1.0,
        };
        let unchanged =
            s.knobs == now.knobs && s.precision == now.precision && s.devices == now.devices;
        let model_now = if s.cpu || unchanged {
            None
        } else {
            step(&now).zip(step(s))
        };
        // The cap's share of speed (f ∝ P^(1/3), `speed_at_power`), relative to the plan's cap.
        let cap_ratio = cap_speed(now.power_cap_w) / cap_speed(s.power_cap_w);
        match (c.time.step_s.filter(|_| !s.cpu), model_now) {
            (Some(plan_step), Some((old, mut new))) if old.step_s > 0.0 => {
                let r = plan_step / old.step_s * cap_ratio;
                scale_step(&mut new, r);
                t.step_s = Some(new.step_s);
                t.tokens_per_s = Some(new.tokens_per_s);
                t.mfu = Some(new.mfu);
                t.hfu = Some(new.hfu);
                t.communication_s =
                    Some(new.communication.iter().map(|a| a.exposed_s).sum::<f64>());
                t.breakdown = Some(new);
            }
            (Some(plan_step), None) => {
                let step_s = plan_step * cap_ratio;
                t.step_s = Some(step_s);
                t.tokens_per_s = Some(per_step as f64 / step_s);
                t.mfu = t.mfu.map(|m| m / cap_ratio);
                t.hfu = t.hfu.map(|m| m / cap_ratio);
                if let Some(b) = t.breakdown.as_mut() {
                    scale_step(b, cap_ratio);
                }
            }
            _ => {
                t.step_s = None;
                t.tokens_per_s = None;
                t.mfu = None;
                t.hfu = None;
                t.communication_s = None;
                t.breakdown = None;
            }
        }
        t.total_s = t.step_s.map(|x| x * t.steps as f64);
        t.power_cap_speed = cap_speed(s.power_cap_w);
        if let Some(training) = next.training.as_mut() {
            training.steps = next.time.steps;
        }

        // Power: a capped device draws its cap under load (as the planner assumes); an uncapped
        // one the plan's draw per device.
        let p = &mut next.power;
        let per_device_draw = match s.power_cap_w {
            _ if s.cpu => None,
            Some(cap) => Some(cap),
            None => c.power.draw_w.map(|w| w / c.devices.max(1) as f64),
        };
        p.power_cap_w = s.power_cap_w;
        p.tdp_w = self
            .plan
            .device
            .tdp_w
            .filter(|_| !s.cpu)
            .map(|t| t * s.devices as f64);
        p.draw_w = per_device_draw.map(|w| w * s.devices as f64);
        p.energy_kwh = p.draw_w.zip(next.time.total_s).map(|(w, t)| w * t / 3.6e6);
        if self.spec.is_some() && !matches!(task, Task::Decode) {
            next.fallbacks = self
                .with(s, |p, spec| p.fallbacks(spec, s.knobs, task))
                .unwrap_or_default();
        }
        Ok(next)
    }

    /// A decision that moves to `next`.
    pub fn decide(
        &self,
        action: Action,
        reason: String,
        next: Configuration,
        budget_bytes: Option<u64>,
    ) -> Decision {
        Decision {
            action,
            reason,
            set: Some(Changes::between(self.c, &next)),
            peak_bytes: Some(next.memory.peak_bytes),
            configuration: Some(next),
            budget_bytes,
        }
    }

    /// A decision that changes nothing: `continue`, or a pause.
    pub fn stay(&self, action: Action, reason: String, set: Changes) -> Decision {
        Decision {
            action,
            reason,
            set: Some(set),
            peak_bytes: Some(self.c.memory.peak_bytes),
            configuration: Some(self.c.clone()),
            budget_bytes: None,
        }
    }
}

/// Nothing left to try.
pub(super) fn none_left(reason: String, budget_bytes: Option<u64>) -> Decision {
    Decision {
        action: Action::NoneLeft,
        reason,
        set: None,
        configuration: None,
        peak_bytes: None,
        budget_bytes,
    }
}

/// The attention kernel of `s`: the configuration's, SDPA on the CPU (no FlashAttention there).
fn attention(c: &Configuration, s: &Setting) -> AttentionImpl {
    if s.cpu {
        AttentionImpl::Sdpa
    } else {
        c.attention
    }
}

/// The host's CPU as the plan knows it: PyTorch on the CPU, its speed and power unknown (the
/// plan holds the accelerators' figures only), the memory figure the plan's.
fn cpu_device(d: &Device) -> Device {
    Device {
        name: String::from("CPU"),
        class: DeviceClass::Cpu,
        count: 1,
        usable_bytes: d.usable_bytes,
        unified_memory: false,
        precision: Precision::Fp32,
        precision_reason: String::from(
            "fp32: the plan does not say whether the CPU has bf16 instructions",
        ),
        attention: AttentionImpl::Sdpa,
        flash_attention: false,
        framework: Framework::PytorchCpu,
        peak_tflops: None,
        efficiency: crate::plan::efficiency(DeviceClass::Cpu).0,
        efficiency_source: String::from(crate::plan::efficiency(DeviceClass::Cpu).1),
        memory_bandwidth_gbs: None,
        link_gbs: None,
        collective: None,
        threads: None,
        tdp_w: None,
        power_min_w: None,
    }
}

/// Every time of a step multiplied by `r`, every rate divided by it.
fn scale_step(s: &mut crate::mesh::StepTime, r: f64) {
    s.compute_s *= r;
    s.recompute_s *= r;
    s.bubble_s *= r;
    s.optimizer_s *= r;
    s.offload_s *= r;
    s.step_s *= r;
    for a in &mut s.communication {
        a.total_s *= r;
        a.exposed_s *= r;
    }
    s.tokens_per_s /= r;
    s.tokens_per_s_per_device /= r;
    s.model_tflops_per_device /= r;
    s.mfu /= r;
    s.hfu /= r;
}

/// The configuration's model: a generated one from its shape (the planner's ladder), a given
/// one from the catalogue by name.
fn rebuild(c: &Configuration) -> Option<ModelSpec> {
    match (c.model.origin, c.model.shape) {
        (ModelOrigin::Generated, Some(shape)) => {
            let i = LADDER
                .iter()
                .position(|&(hidden, layers, heads, intermediate)| {
                    (hidden, layers, heads, intermediate)
                        == (shape.hidden, shape.layers, shape.heads, shape.intermediate)
                })?;
            shape_spec(i, shape.vocab).ok()
        }
        (ModelOrigin::Given, _) => crate::model::find(&c.model.name).ok(),
        _ => None,
    }
}

fn unresolved(c: &Configuration) -> Error {
    Error::invalid(
        "configuration.model.name",
        c.model.name.as_str(),
        "a catalogue model or a planner-generated shape, which the configuration can be \
         re-estimated with (a model given by its config.json is not in the plan)",
    )
}
