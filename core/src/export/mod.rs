//! Engine files of a plan's configuration: the configs and command lines of the engines users
//! already run (torchrun, Hugging Face, Accelerate, DeepSpeed, torchtitan, Megatron-LM, PEFT,
//! Unsloth, axolotl, SLURM, Kubeflow, MLX, vLLM, SGLang, llama.cpp).
//!
//! [`export`] is pure: it returns the files' text and writes nothing. Every value comes from the
//! configuration (on a cluster, from its mesh layout); what the plan does not know (where the
//! model and data are, the master's address, a container image) comes from [`ExportOptions`] or
//! stays a placeholder such as `<MODEL_PATH>` that the file still parses with. A value a format
//! cannot express is refused with [`Error::Unsupported`], naming the format, the field and why;
//! nothing is dropped.
//!
//! ```
//! use trainfit_core::export::{export, ExportOptions, Format};
//! use trainfit_core::plan::{plan, Mode, PlanRequest};
//!
//! let request: PlanRequest = serde_json::from_str(r#"{"profile": {"accelerators": [{
//!     "vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "kind": "discrete",
//!     "compute_capability": "8.9",
//!     "memory_total_bytes": {"value": 25757220864, "source": "user"}}]},
//!     "goal": {"task": "lora", "model": {"catalogue": "llama-3.1-8b"}}}"#).unwrap();
//! let p = plan(&request).unwrap();
//! let files = export(&p, Mode::Balanced, Format::Peft, &ExportOptions::default()).unwrap();
//! assert_eq!(files[0].name, "lora_config.json");
//! assert!(files[0].text.contains("\"r\": 16"));
//! ```

mod launch;
mod parallel;
mod phase_b;
mod serve;
mod text;
mod train;
mod unsloth;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::mesh::Layout;
use crate::plan::{Configuration, DeviceClass, GoalTask, Mode, ModelOrigin, Plan, TrainingConfig};
use crate::request::{Precision, Sharding};
use crate::wire::wire_names;

/// An engine format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `torchrun` command line (single node, or multi-node with c10d rendezvous).
    Torchrun,
    /// Hugging Face `TrainingArguments` JSON and its `accelerate launch` line.
    TrainingArguments,
    /// Accelerate config YAML (multi-GPU, FSDP, DeepSpeed or Megatron-LM plugin) and launch line.
    Accelerate,
    /// DeepSpeed config JSON and the `deepspeed` launcher line.
    Deepspeed,
    /// torchtitan job TOML (FSDP2, tensor, pipeline, context parallel) and launch line.
    Torchtitan,
    /// Megatron-LM `pretrain_gpt.py` arguments.
    Megatron,
    /// PEFT `LoraConfig` JSON (and bitsandbytes' 4-bit config for QLoRA).
    Peft,
    /// Unsloth training script (`FastLanguageModel`, TRL's `SFTTrainer`) and launch line.
    Unsloth,
    /// axolotl YAML.
    Axolotl,
    /// SLURM batch script running `srun torchrun`.
    Slurm,
    /// Kubeflow Training Operator `PyTorchJob` YAML.
    Kubeflow,
    /// Apple MLX: mlx-lm LoRA YAML and the `mlx.launch` (or `mlx_lm.lora`) line.
    Mlx,
    /// vLLM `vllm serve` command line.
    Vllm,
    /// SGLang `sglang.launch_server` command line.
    Sglang,
    /// llama.cpp `llama-server` command line.
    LlamaCpp,
}

wire_names!(Format, "format", {
    Torchrun => "torchrun",
    TrainingArguments => "training_arguments",
    Accelerate => "accelerate",
    Deepspeed => "deepspeed",
    Torchtitan => "torchtitan",
    Megatron => "megatron",
    Peft => "peft",
    Unsloth => "unsloth",
    Axolotl => "axolotl",
    Slurm => "slurm",
    Kubeflow => "kubeflow",
    Mlx => "mlx",
    Vllm => "vllm",
    Sglang => "sglang",
    LlamaCpp => "llama_cpp",
});

impl Format {
    /// Whether the format runs a server rather than a training job.
    pub fn serving(self) -> bool {
        matches!(self, Format::Vllm | Format::Sglang | Format::LlamaCpp)
    }
}

/// A format with what it produces, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct FormatInfo {
    /// The format's name (`--format`).
    pub format: Format,
    /// `training` or `serving`.
    pub kind: String,
    /// One line: the engine and the files.
    pub description: String,
}

/// Every format, in listing order, with a one-line description.
pub fn formats() -> Vec<FormatInfo> {
    Format::ALL
        .iter()
        .map(|&f| FormatInfo {
            format: f,
            kind: String::from(if f.serving() { "serving" } else { "training" }),
            description: String::from(describe(f)),
        })
        .collect()
}

fn describe(f: Format) -> &'static str {
    match f {
        Format::Torchrun => "torchrun.sh: torchrun on one node or several (c10d rendezvous), the training flags of TrainingArguments",
        Format::TrainingArguments => "training_args.json for Hugging Face TrainingArguments, and launch.sh with the accelerate launch line",
        Format::Accelerate => "accelerate_config.yaml (multi-GPU, FSDP, DeepSpeed or Megatron-LM plugin) and launch.sh",
        Format::Deepspeed => "ds_config.json (ZeRO stage, offload, precision, batch, clipping, optimizer, scheduler) and launch.sh",
        Format::Torchtitan => "torchtitan.toml (FSDP2, tensor, pipeline and context parallel degrees) and launch.sh",
        Format::Megatron => "megatron.sh: Megatron-LM pretrain_gpt.py arguments (tensor, pipeline, virtual stages, sequence parallel, recompute, batches)",
        Format::Peft => "lora_config.json for PEFT's LoraConfig, and bnb_config.json (4-bit) for QLoRA",
        Format::Unsloth => "unsloth_train.py: Unsloth's FastLanguageModel (LoRA, QLoRA or full fine-tuning) with TRL's SFTTrainer, and launch.sh",
        Format::Axolotl => "axolotl.yaml: base model, adapter, batch, schedule, precision, sharding",
        Format::Slurm => "train.sbatch: a SLURM batch script, srun torchrun with the rendezvous from SLURM_*",
        Format::Kubeflow => "pytorchjob.yaml: a Kubeflow PyTorchJob (replicas, GPUs, processes per node)",
        Format::Mlx => "mlx_lora.yaml for mlx-lm LoRA and mlx.sh (mlx.launch --hosts on several Macs)",
        Format::Vllm => "vllm.sh: vllm serve with parallel sizes, context, sequences, memory share, KV dtype",
        Format::Sglang => "sglang.sh: sglang.launch_server with parallel sizes, context, requests, memory share",
        Format::LlamaCpp => "llama_server.sh: llama-server with context, parallel slots and GPU layers",
    }
}

/// One exported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ExportFile {
    /// File name, without a directory (`ds_config.json`).
    pub name: String,
    /// IANA media type: `application/json`, `application/yaml` (RFC 9512), `application/toml`,
    /// `application/x-sh` for shell scripts, `text/x-python` for Python scripts, or `text/plain`.
    pub media_type: String,
    /// The file's text, ending with a newline.
    pub text: String,
}

/// What the plan does not know. Every field is optional; an unset one is written as the
/// placeholder its doc names, which the file still parses with and the user replaces.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ExportOptions {
    /// Model path or Hugging Face repository. Default: the plan's model name when the user
    /// gave the model (catalogue names are Hugging Face repositories), else `<MODEL_PATH>`
    /// (a generated pretraining shape has no weights to load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Dataset path or Hugging Face dataset name. Default: `<DATASET_PATH>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Output directory for checkpoints. Default: the plan's training config's
    /// (`./trainfit-<mode>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_dir: Option<String>,
    /// Address of the rank-0 node. Default: `<MASTER_ADDR>` (SLURM: the job's first node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_addr: Option<String>,
    /// Port of the rendezvous. Default: 29500, torchrun's `--master-port` default
    /// (torch/distributed/run.py).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_port: Option<u16>,
    /// Container image (Kubeflow). Default: `<CONTAINER_IMAGE>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Job name (SLURM, Kubeflow, rendezvous id). Default: `trainfit-<mode>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// Training script the launchers run, a `.py` path. Default: TRL's SFT script as a module
    /// (`-m trl.scripts.sft`), whose flags are TrainingArguments' plus its model and data flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// Hosts of an MLX job, comma separated (`mlx.launch --hosts`). Default: `<HOSTS>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<String>,
}

/// Default rendezvous port: torchrun's `--master-port` default 29500 (torch/distributed/run.py).
const DEFAULT_MASTER_PORT: u16 = 29500;

/// The files of `format` for the configuration of `mode` in `plan`.
///
/// # Errors
///
/// [`Error::InvalidField`] when the plan has no configuration of `mode`;
/// [`Error::Unsupported`] when the format cannot express a value of the configuration (a
/// training format for a serving plan and the reverse, a mesh axis the engine has no setting
/// for, unequal devices), naming the format, the field and why.
///
/// # Example
///
/// See the [module documentation](self).
pub fn export(
    plan: &Plan,
    mode: Mode,
    format: Format,
    options: &ExportOptions,
) -> Result<Vec<ExportFile>> {
    let job = Job::new(plan, mode, format, options)?;
    let files = files(&job)?;
    match &job.c.phase_b {
        Some(b) => phase_b::with_phase_b(&job, b, files),
        None => Ok(files),
    }
}

/// The files of one job (one phase).
fn files(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    match job.format {
        Format::Torchrun => launch::torchrun(job),
        Format::TrainingArguments => train::training_arguments(job),
        Format::Accelerate => train::accelerate(job),
        Format::Deepspeed => train::deepspeed(job),
        Format::Torchtitan => parallel::torchtitan(job),
        Format::Megatron => parallel::megatron(job),
        Format::Peft => train::peft(job),
        Format::Unsloth => unsloth::unsloth(job),
        Format::Axolotl => train::axolotl(job),
        Format::Slurm => launch::slurm(job),
        Format::Kubeflow => launch::kubeflow(job),
        Format::Mlx => train::mlx(job),
        Format::Vllm => serve::vllm(job),
        Format::Sglang => serve::sglang(job),
        Format::LlamaCpp => serve::llama_cpp(job),
    }
}

/// Placeholders of unset options.
pub const MODEL_PLACEHOLDER: &str = "<MODEL_PATH>";
/// See [`MODEL_PLACEHOLDER`].
pub const DATASET_PLACEHOLDER: &str = "<DATASET_PATH>";
/// See [`MODEL_PLACEHOLDER`].
pub const MASTER_ADDR_PLACEHOLDER: &str = "<MASTER_ADDR>";
/// See [`MODEL_PLACEHOLDER`].
pub const IMAGE_PLACEHOLDER: &str = "<CONTAINER_IMAGE>";
/// See [`MODEL_PLACEHOLDER`].
pub const HOSTS_PLACEHOLDER: &str = "<HOSTS>";

/// Which part of a run a job's files are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// The whole run, in one phase.
    Whole,
    /// Phase A of two: its last checkpoint is one phase B can load.
    A,
    /// Phase B of two, starting from phase A's last checkpoint at `from`.
    B { from: String },
}

/// A configuration as the exporters see it.
pub(crate) struct Job<'a> {
    pub format: Format,
    pub plan: &'a Plan,
    pub c: &'a Configuration,
    pub options: &'a ExportOptions,
    /// The layout: the mesh search's first candidate on a cluster, else data parallel over
    /// the configuration's devices.
    pub layout: Layout,
    /// Machines the job spans.
    pub nodes: u64,
    /// Processes (devices) per machine.
    pub per_node: u64,
    /// The phase the files are for.
    pub part: Part,
}

impl<'a> Job<'a> {
    fn new(plan: &'a Plan, mode: Mode, format: Format, options: &'a ExportOptions) -> Result<Self> {
        if !plan.hetero.is_empty() {
            return Err(Error::unsupported(
                format,
                "hetero",
                "the plan is for devices of unequal memory or speed, whose per-device layers and batch shares no engine format expresses; plan the devices of one kind instead",
            ));
        }
        let c = plan.configuration(mode)?;
        let serving = c.task == GoalTask::Serve;
        if serving != format.serving() {
            return Err(Error::unsupported(
                format,
                "task",
                if serving {
                    "the configuration serves a model and this is a training format; use vllm, sglang or llama_cpp"
                } else {
                    "the configuration trains and this is a serving format"
                },
            ));
        }
        let layout = match c.mesh.as_ref().and_then(|m| m.candidates.first()) {
            Some(candidate) => candidate.layout,
            None => Layout::data_parallel(
                c.devices,
                c.sharding,
                c.micro_batch,
                c.gradient_accumulation,
            ),
        };
        check_counts(c, &layout, plan)?;
        let (nodes, per_node) = match &plan.cluster {
            Some(cl) if cl.machines > 1 && c.devices > cl.devices_per_machine => {
                if c.devices % cl.devices_per_machine != 0 {
                    return Err(Error::unsupported(
                        format,
                        "devices",
                        &format!(
                            "{} devices do not fill machines of {} devices each, and launchers start the same number of processes on every machine",
                            c.devices, cl.devices_per_machine
                        ),
                    ));
                }
                (c.devices / cl.devices_per_machine, cl.devices_per_machine)
            }
            _ => (1, c.devices),
        };
        if nodes > crate::document::MAX_LIST_ENTRIES as u64 {
            return Err(Error::invalid(
                "cluster.machines",
                nodes,
                format!(
                    "at most {} machines (the longest list a document holds)",
                    crate::document::MAX_LIST_ENTRIES
                ),
            ));
        }
        Ok(Job {
            format,
            plan,
            c,
            options,
            layout,
            nodes,
            per_node,
            part: if c.phase_b.is_some() {
                Part::A
            } else {
                Part::Whole
            },
        })
    }

    /// The job of phase B, whose configuration `b` is phase A's with phase B's knobs, starting
    /// from `from`, phase A's last checkpoint. Phase B is planned data parallel on one machine.
    pub fn phase_b<'b>(&'b self, b: &'b Configuration, from: String) -> Result<Job<'b>> {
        let layout = Layout::data_parallel(
            b.devices,
            b.sharding,
            b.micro_batch,
            b.gradient_accumulation,
        );
        check_counts(b, &layout, self.plan)?;
        Ok(Job {
            format: self.format,
            plan: self.plan,
            c: b,
            options: self.options,
            layout,
            nodes: self.nodes,
            per_node: self.per_node,
            part: Part::B { from },
        })
    }

    /// A config file's name: `name` itself, or for phase B with `_phase_b` before the extension
    /// (`ds_config_phase_b.json`). Scripts keep their name: phase B's commands are appended to
    /// phase A's script.
    pub fn file(&self, name: &str) -> String {
        match (&self.part, name.rfind('.')) {
            (Part::B { .. }, Some(dot)) => format!("{}_phase_b{}", &name[..dot], &name[dot..]),
            (Part::B { .. }, None) => format!("{name}_phase_b"),
            _ => String::from(name),
        }
    }

    /// The weights the job starts from: phase A's last checkpoint for phase B, else the model.
    pub fn weights(&self) -> String {
        match &self.part {
            Part::B { from } => from.clone(),
            _ => self.model(),
        }
    }

    /// Processes over all machines.
    pub fn world(&self) -> u64 {
        self.nodes * self.per_node
    }

    /// The training config (training configurations always have one).
    pub fn training(&self) -> Result<&'a TrainingConfig> {
        self.c
            .training
            .as_ref()
            .ok_or_else(|| Error::missing("training", "the configuration"))
    }

    pub fn model(&self) -> String {
        match (&self.options.model, self.c.model.origin) {
            (Some(m), _) => m.clone(),
            (None, ModelOrigin::Given) => self.c.model.name.clone(),
            (None, ModelOrigin::Generated) => String::from(MODEL_PLACEHOLDER),
        }
    }

    pub fn dataset(&self) -> String {
        self.options
            .dataset
            .clone()
            .unwrap_or_else(|| String::from(DATASET_PLACEHOLDER))
    }

    pub fn output_dir(&self) -> Result<String> {
        Ok(match (&self.options.output_dir, &self.part) {
            (Some(o), Part::B { .. }) => format!("{o}-phase-b"),
            (Some(o), _) => o.clone(),
            (None, _) => self.training()?.output_dir.clone(),
        })
    }

    pub fn master_addr(&self) -> String {
        self.options
            .master_addr
            .clone()
            .unwrap_or_else(|| String::from(MASTER_ADDR_PLACEHOLDER))
    }

    pub fn master_port(&self) -> u16 {
        self.options.master_port.unwrap_or(DEFAULT_MASTER_PORT)
    }

    pub fn job_name(&self) -> String {
        let name = self
            .options
            .job_name
            .clone()
            .unwrap_or_else(|| format!("trainfit-{}", self.c.mode.as_str()));
        match self.part {
            Part::B { .. } => format!("{name}-phase-b"),
            _ => name,
        }
    }

    pub fn class(&self) -> DeviceClass {
        self.plan.device.class
    }

    /// The recipe's 16-bit type, if any: `bf16`, `fp16` or none for fp32.
    pub fn half(&self) -> Option<&'static str> {
        match self.c.precision {
            Precision::Fp32 => None,
            Precision::Bf16 | Precision::AmpBf16 | Precision::MixedBf16 => Some("bf16"),
            Precision::Fp16 | Precision::AmpFp16 | Precision::MixedFp16 => Some("fp16"),
        }
    }

    /// The weights themselves are 16-bit (no fp32 master copy): `bf16`/`fp16` precision, the
    /// frozen weights of LoRA and serving.
    pub fn pure_half(&self) -> bool {
        matches!(self.c.precision, Precision::Bf16 | Precision::Fp16)
    }

    /// A refusal of this job's format.
    pub fn refuse(&self, field: &str, reason: &str) -> Error {
        Error::unsupported(self.format, field, reason)
    }

    /// Refuses layouts with an axis other than data (and its sharding).
    pub fn data_parallel_only(&self, engine: &str) -> Result<()> {
        let l = &self.layout;
        for (axis, v) in [
            ("tensor", l.tensor),
            ("pipeline", l.pipeline),
            ("context", l.context),
            ("expert", l.expert),
        ] {
            if v > 1 {
                return Err(self.refuse(
                    &format!("mesh.candidates[0].layout.{axis}"),
                    &format!(
                        "{engine} runs data parallelism (with sharding) only and the layout has {axis} parallelism of {v}; export torchtitan or megatron"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether the layout has a model-parallel axis.
    pub fn model_parallel(&self) -> bool {
        let l = &self.layout;
        l.tensor > 1 || l.pipeline > 1 || l.context > 1 || l.expert > 1
    }

    /// The sharding (a cluster's layout's, else the configuration's).
    pub fn sharding(&self) -> Sharding {
        self.layout.sharding
    }

    /// Whether the task trains adapters.
    pub fn adapter(&self) -> bool {
        matches!(self.c.task, GoalTask::Lora | GoalTask::Qlora)
    }

    /// LoRA rank of an adapter task.
    pub fn lora_rank(&self) -> Result<u64> {
        self.c
            .lora_rank
            .ok_or_else(|| Error::missing("lora_rank", "a LoRA configuration"))
    }
}

/// A plan read from a file may hold any numbers: every count the exporters divide by or
/// multiply is at least 1, and their products fit 64 bits (else an error, never a panic).
fn check_counts(c: &Configuration, l: &Layout, plan: &Plan) -> Result<()> {
    let counts = [
        ("devices", c.devices),
        ("micro_batch", c.micro_batch),
        ("gradient_accumulation", c.gradient_accumulation),
        ("global_batch", c.global_batch),
        ("sequence", c.sequence),
        ("mesh.candidates[0].layout.data", l.data),
        ("mesh.candidates[0].layout.tensor", l.tensor),
        ("mesh.candidates[0].layout.pipeline", l.pipeline),
        ("mesh.candidates[0].layout.context", l.context),
        ("mesh.candidates[0].layout.expert", l.expert),
        ("mesh.candidates[0].layout.virtual_stages", l.virtual_stages),
        ("mesh.candidates[0].layout.micro_batch", l.micro_batch),
        ("mesh.candidates[0].layout.micro_batches", l.micro_batches),
    ];
    for (field, v) in counts {
        crate::error::positive(field, v)?;
    }
    if let Some(r) = c.lora_rank {
        crate::error::positive("lora_rank", r)?;
    }
    if let Some(cl) = &plan.cluster {
        crate::error::positive("cluster.devices_per_machine", cl.devices_per_machine)?;
    }
    if let Some(s) = &c.serve {
        crate::error::positive("serve.context", s.context)?;
    }
    if let Some(layouts) = &c.serving_layouts {
        for (i, sl) in layouts.layouts.iter().enumerate().take(1) {
            for (axis, v) in [
                ("tensor", sl.tensor),
                ("pipeline", sl.pipeline),
                ("replicas", sl.replicas),
                ("concurrency", sl.concurrency),
            ] {
                crate::error::positive(&format!("serving_layouts.layouts[{i}].{axis}"), v)?;
            }
        }
    }
    // The products the files state: the batch over all ranks, all slots' context.
    let product = |parts: &[u64], what: &str| {
        parts
            .iter()
            .try_fold(1u64, |acc, &p| acc.checked_mul(p))
            .ok_or_else(|| Error::overflow(what))
    };
    product(
        &[l.micro_batch, l.micro_batches, l.data],
        "the batch over all ranks",
    )?;
    product(
        &[c.sequence, c.micro_batch, c.devices],
        "the context of all sequences",
    )?;
    if let Some(s) = &c.serve {
        product(
            &[s.context, c.micro_batch, c.devices, s.concurrency],
            "the context of all sequences",
        )?;
    }
    Ok(())
}

/// `lora_alpha` the plan's memory model assumed: twice the rank (the request's documented
/// default, `Lora.alpha`; it does not change memory).
pub(crate) fn lora_alpha(rank: u64) -> u64 {
    2 * rank
}

/// Gradient clipping by global norm: 1.0, Llama 2's (Touvron et al. 2023, §2.2) and
/// `TrainingArguments.max_grad_norm`'s default; the plan does not choose one.
pub(crate) const GRADIENT_CLIP: f64 = 1.0;

/// The cosine schedule decays to this share of the peak (the planner's `Schedule::Cosine`:
/// Chinchilla's 10 %, Hoffmann et al. 2022, §3).
pub(crate) const COSINE_FLOOR: f64 = 0.1;

/// One file of JSON.
pub(crate) fn json_file(name: &str, v: &text::Value) -> ExportFile {
    ExportFile {
        name: String::from(name),
        media_type: String::from("application/json"),
        text: text::json(v),
    }
}

/// One file of YAML after comment lines.
pub(crate) fn yaml_file(name: &str, header: &str, v: &text::Value) -> ExportFile {
    ExportFile {
        name: String::from(name),
        media_type: String::from("application/yaml"),
        text: text::yaml(header, v),
    }
}

/// One bash script: shebang, strict mode, the comment lines, then the body.
pub(crate) fn script_file(name: &str, comments: &[&str], body: &str) -> ExportFile {
    let mut text = String::from("#!/usr/bin/env bash\n");
    for c in comments {
        text.push_str("# ");
        text.push_str(c);
        text.push('\n');
    }
    text.push_str("set -euo pipefail\n\n");
    text.push_str(body);
    ExportFile {
        name: String::from(name),
        media_type: String::from("application/x-sh"),
        text,
    }
}

/// The wire name of a device class (`nvidia_gpu`, ...).
pub(crate) fn class_name(c: DeviceClass) -> &'static str {
    match c {
        DeviceClass::NvidiaGpu => "nvidia_gpu",
        DeviceClass::AmdGpu => "amd_gpu",
        DeviceClass::IntelGpu => "intel_gpu",
        DeviceClass::AppleGpu => "apple_gpu",
        DeviceClass::Cpu => "cpu",
    }
}

/// The plan's line for file headers: which configuration (and phase) this is.
pub(crate) fn provenance(job: &Job<'_>) -> String {
    let phase = match job.part {
        Part::Whole => "",
        Part::A => ", phase A of two",
        Part::B { .. } => ", phase B",
    };
    format!(
        "trainfit plan, {} configuration{phase}: {} on {} x {}",
        job.c.mode.as_str(),
        job.c.model.name,
        job.c.devices,
        job.plan.device.name
    )
    .replace('\n', " ")
}

impl Error {
    pub(crate) fn unsupported(format: Format, field: &str, reason: &str) -> Self {
        Error::Unsupported {
            format: format.as_str().to_string(),
            field: String::from(field),
            reason: String::from(reason),
        }
    }
}
