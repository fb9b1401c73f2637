//! The planner's view of one request: the goal, the completed profile, the devices and the given
//! model, and the estimate request each candidate configuration is measured with.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use core::cell::RefCell;

use super::device::{device, Device};
use super::modes::Mode;
use super::search::Knobs;
use super::serve::split_context;
use super::{Goal, GoalTask};
use crate::error::{Error, Result};
use crate::estimate::Estimate;
use crate::hardware::HardwareProfile;
use crate::memory::{estimate_with, ProgramCache};
use crate::model::{ModelSource, ModelSpec};
use crate::request::{
    Dtype, EstimateRequest, Inference, Lora, LossImpl, OptimizerImpl, Parallel, Precision,
    QuantFormat, Quantization, Runtime, Task,
};

/// LoRA rank when the goal gives none. A planner choice: PEFT's `LoraConfig` defaults to 8 and
/// the QLoRA paper trains at 64 (Dettmers et al. 2023, §4); 16 is a common middle, and the rank
/// changes the adapters' memory, not the frozen model's, so the choice moves little.
pub(super) const DEFAULT_LORA_RANK: u64 = 16;

/// One request as the planner sees it.
pub(crate) struct Planner<'a> {
    /// The job.
    pub goal: &'a Goal,
    /// The profile, completed as it was read.
    pub profile: &'a HardwareProfile,
    /// The devices, with the goal's choices applied.
    pub dev: &'a Device,
    /// The user's model; `None` when the planner sizes one (pretraining).
    pub given: Option<&'a ModelSpec>,
    /// Block programs already profiled by this search's estimates.
    pub programs: RefCell<ProgramCache>,
    /// The cluster, when the request gives one.
    pub cluster: Option<&'a super::cluster::ClusterView>,
    /// The part of a two-phase run planned, or the whole run.
    pub phase: super::phases::Phase,
}

/// Configurations whose block programs the planner keeps. A planner choice: the LoRA search of
/// Llama-3.1-8B on one RTX 4090 (`core/benches/plan.rs`) runs 68 estimates over 12 distinct
/// micro-batch, sequence and task combinations; a few times that keeps every search's working set
/// while bounding the memory (each entry holds a copy of the model description).
pub(crate) const CACHED_PROGRAMS: usize = 32;

/// The precision a configuration runs in once its optimizer is offloaded. DeepSpeed runs the
/// offloaded step with its CPU Adam on fp32 master weights kept beside the states in host memory,
/// and with `bf16`/`fp16` enabled it holds the model itself in 16 bits on the device
/// (DeepSpeed's configuration docs, "bf16" and "offload_optimizer"; Ren et al. 2021, ZeRO-Offload,
/// §4.1: fp16 parameters on the GPU, fp32 parameters and states on the CPU). So autocast's fp32
/// weights (`amp_*`) become 16-bit weights with fp32 masters (`mixed_*`); other recipes are kept.
pub(crate) fn offload_precision(p: Precision, offload: super::Offload) -> Precision {
    match (p, offload.optimizer) {
        (Precision::AmpBf16, true) => Precision::MixedBf16,
        (Precision::AmpFp16, true) => Precision::MixedFp16,
        (p, _) => p,
    }
}

/// The devices of `profile` that the goal plans on, with the goal's device count, precision and
/// attention kernel applied.
pub(super) fn device_for(profile: &HardwareProfile, goal: &Goal) -> Result<Device> {
    let mut dev = device(profile).ok_or(Error::NoDevice)?;
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
    Ok(dev)
}

/// The goal's model, resolved; `None` for pretraining without one.
pub(super) fn given_model(goal: &Goal) -> Result<Option<ModelSpec>> {
    match &goal.model {
        Some(source) => Ok(Some(source.resolve().map_err(|e| e.within("goal"))?)),
        None if goal.task == GoalTask::Pretrain => Ok(None),
        None => Err(Error::missing(
            "goal.model",
            "a plan request whose task is not pretrain",
        )),
    }
}

impl Planner<'_> {
    /// The task as the memory model runs it.
    pub fn task(&self) -> Task {
        match self.goal.task {
            GoalTask::Pretrain => Task::Pretrain,
            GoalTask::Finetune => Task::Finetune,
            GoalTask::Lora => Task::Lora,
            GoalTask::Qlora => Task::Qlora,
            GoalTask::Serve => Task::Decode,
        }
    }

    /// Whether the goal is serving rather than training.
    pub fn serving(&self) -> bool {
        self.goal.task == GoalTask::Serve
    }

    /// The numeric recipe a task runs in. Frozen weights (serving, LoRA, QLoRA) are loaded in the
    /// 16-bit compute dtype; only full training keeps fp32 weights for the optimizer (HF Trainer
    /// with `bf16=True`). A precision the user chose is used as given.
    pub fn precision(&self, task: Task) -> Precision {
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

    /// The numeric recipe of a candidate: [`Planner::precision`], or DeepSpeed's when the
    /// optimizer is offloaded ([`offload_precision`]).
    pub fn precision_of(&self, task: Task, k: &Knobs) -> Precision {
        offload_precision(self.precision(task), k.offload)
    }

    /// The host memory a configuration of `mode` may keep there (offloaded optimizer states,
    /// master weights and gradients): the mode's share of the system's memory less what the OS
    /// keeps, as the device's memory target is the mode's share of the device; `None` when the
    /// profile does not say how much memory the system has.
    pub fn host_target(&self, mode: Mode) -> Option<u64> {
        let system = crate::hardware::system_memory_bytes(self.profile)?.value;
        let usable = system.saturating_sub(super::device::CPU_OS_RESERVE_BYTES);
        Some((usable as f64 * mode.settings().memory_target) as u64)
    }

    /// The LoRA rank of an adapter task; `None` for the others.
    pub fn lora_rank(&self, task: Task) -> Option<u64> {
        matches!(task, Task::Lora | Task::Qlora)
            .then(|| self.goal.lora_rank.unwrap_or(DEFAULT_LORA_RANK))
    }

    /// The mode's share of one device's usable memory, bytes.
    pub fn memory_target(&self, mode: Mode) -> u64 {
        (self.dev.usable_bytes as f64 * mode.settings().memory_target) as u64
    }

    /// The wall-clock budget of a run in the mode, seconds: the user's hours, else the mode's.
    pub fn budget_s(&self, mode: Mode) -> f64 {
        self.goal.hours.unwrap_or(mode.settings().hours) * 3600.0
    }

    /// The estimate request of one candidate.
    pub(crate) fn request(&self, spec: &ModelSpec, k: &Knobs, task: Task) -> EstimateRequest {
        let d = self.dev;
        let serve = matches!(task, Task::Decode | Task::Prefill);
        let (prompt, generate) = split_context(k.sequence);
        EstimateRequest {
            schema_version: crate::request::SCHEMA_VERSION,
            model: ModelSource::Spec(alloc::boxed::Box::new(spec.clone())),
            task,
            micro_batch: k.micro_batch,
            // Serving is measured at the prompt; generation grows the cache to the full context.
            sequence: if serve { prompt } else { k.sequence },
            precision: self.precision_of(task, k),
            grad_dtype: None,
            optimizer: k.optimizer,
            // PyTorch's default AdamW implementation on accelerators.
            optimizer_impl: OptimizerImpl::Foreach,
            attention: d.attention,
            checkpointing: k.checkpointing,
            // transformers' causal-LM loss upcasts the logits to fp32.
            loss: LossImpl::Upcast,
            // Adapters on every linear layer, as the QLoRA paper trains them (Dettmers et al.
            // 2023, §4), kept in fp32 (PEFT's `autocast_adapter_dtype=True`), no dropout.
            lora: self.lora_rank(task).map(|rank| Lora {
                rank,
                alpha: None,
                targets: vec![String::from("all-linear")],
                dtype: Dtype::Fp32,
                dropout: 0.0,
            }),
            // QLoRA's recipe: NF4 with double quantisation (Dettmers et al. 2023, §3), the model
            // prepared by PEFT's `prepare_model_for_kbit_training` as the QLoRA examples do.
            quantization: (task == Task::Qlora).then_some(Quantization {
                format: QuantFormat::Nf4,
                double_quant: true,
                prepare_for_training: true,
            }),
            inference: serve.then_some(Inference {
                prompt,
                generate,
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

    /// The estimate of one candidate.
    pub fn estimate(&self, spec: &ModelSpec, k: &Knobs, task: Task) -> Result<Estimate> {
        estimate_with(
            &self.request(spec, k, task),
            Some(&mut self.programs.borrow_mut()),
        )
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
