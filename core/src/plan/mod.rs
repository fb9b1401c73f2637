//! The planner: for a hardware profile and a goal, three configurations (conservative, balanced,
//! extreme), each with its memory breakdown, time, power, scale, warnings, a training config and
//! a fallback ladder for out-of-memory recovery.
//!
//! [`plan`] below is the whole flow. Each step has its own file: `validate` (the request),
//! `device` (what the profile trains on), `planner` (the request as the planner sees it, and the
//! estimate request of a candidate), `configuration` (one configuration per mode), `search` (the
//! knobs for one model in one mode), `ladder` (pretraining's model size), `time`, `scale` and
//! `power` (the assessment of a configuration), `training` (learning rate, schedule, warm-up,
//! saves), `serve` (serving figures), `warnings` (when the plan warns; the sentences are in
//! [`crate::warning`]), `fallbacks` (the out-of-memory ladder), `score` (the capability score),
//! `modes` (the modes table) and `formulas` (the closed-form models, with their sources).
//!
//! ```
//! use trainfit_core::plan::{plan, PlanRequest};
//!
//! // One RTX 4090 as a user would type it; pretraining from scratch.
//! let request: PlanRequest = serde_json::from_str(r#"{"profile": {"accelerators": [{
//!     "vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "kind": "discrete",
//!     "compute_capability": "8.9",
//!     "memory_total_bytes": {"value": 25757220864, "source": "user"}}]}}"#).unwrap();
//! let p = plan(&request).unwrap();
//! assert_eq!(p.configurations.len(), 3);
//! for c in &p.configurations {
//!     assert!(c.memory.peak_bytes <= c.memory_target_bytes);
//! }
//! ```

mod cluster;
mod configuration;
mod data;
mod device;
mod fallbacks;
mod formulas;
mod ladder;
mod modes;
pub(crate) mod phases;
pub(crate) mod planner;
mod power;
mod psu;
mod scale;
mod score;
mod search;
mod serve;
mod time;
mod training;
mod validate;
mod warnings;

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use serde::{Deserialize, Serialize};

use crate::wire::wire_names;

pub use cluster::{ClusterLink, ClusterSummary, HeteroModePlan};
pub use data::{
    CacheTier, DataLocation, DataPlan, Dataset, DatasetFacts, KnownDataset, RateSource,
    SHUFFLE_INDEX_BYTES_PER_SEQUENCE, TOKENIZER_BYTES_PER_S,
};
pub(crate) use device::pair_nvlink_links;
pub use device::{device, efficiency, Device, DeviceClass, CPU_OS_RESERVE_BYTES};
pub use formulas::*;
pub use modes::{Mode, ModeSettings, BALANCED, CONSERVATIVE, EXTREME};
pub use psu::{SystemPower, PSU_SAFE_SHARE, PSU_SAFE_SHARE_ATX3, REST_OF_SYSTEM_W};
pub use validate::{MAX_DATASET_BYTES, MAX_PSU_W};

use crate::error::{Error, Result};
use crate::estimate::Estimate;
use crate::hardware::HardwareProfile;
use crate::memory::ProgramCache;
use crate::model::ModelSource;
use crate::request::{AttentionImpl, Checkpointing, Offload, Optimizer, Precision, Sharding};
use crate::warning::Warning;
pub(crate) use planner::Planner;
// For `crate::adjust`, which re-assesses a plan's configuration after a change.
pub(crate) use ladder::{shape_spec, LADDER};
pub(crate) use planner::CACHED_PROGRAMS;
pub(crate) use search::Knobs;

/// Plans every requested mode for the request's machine and goal.
///
/// # Errors
///
/// An invalid goal (a zero count, a global batch that is not a multiple of the micro-batch, more
/// devices than the profile has), a profile without memory to plan on, a model that cannot be
/// resolved, or a request the memory model rejects.
pub fn plan(request: &PlanRequest) -> Result<Plan> {
    validate::validate(request)?;
    let view;
    let cluster_profile;
    let mut mixed = None;
    let (profile, cluster) = match &request.cluster {
        Some(c) => match cluster::resolve(c)? {
            cluster::Resolved::Uniform(uniform) => {
                (cluster_profile, view) = *uniform;
                (&cluster_profile, Some(&view))
            }
            cluster::Resolved::Mixed(r) => {
                cluster_profile = r.groups[0].profile.clone();
                mixed = Some(r);
                (&cluster_profile, None)
            }
        },
        None => match &request.profile {
            Some(p) => (p, None),
            // Validation refused a request with neither.
            None => return Err(Error::missing("profile", "a plan request")),
        },
    };
    let device = match (cluster, &mixed) {
        (Some(v), _) => {
            let mut goal = request.goal.clone();
            goal.devices = None;
            let dev = planner::device_for(profile, &goal)?;
            cluster::cluster_device(dev, v, request.goal.devices)?
        }
        (None, Some(_)) => {
            let mut goal = request.goal.clone();
            goal.devices = None;
            planner::device_for(profile, &goal)?
        }
        (None, None) => planner::device_for(profile, &request.goal)?,
    };
    let given = planner::given_model(&request.goal)?;
    let planner = Planner {
        goal: &request.goal,
        profile,
        dev: &device,
        given: given.as_ref(),
        programs: RefCell::new(ProgramCache::new(planner::CACHED_PROGRAMS)),
        cluster,
        phase: phases::Phase::of(&request.goal),
    };
    if let Some(r) = &mixed {
        // Unequal devices: the heterogeneous planner's layouts per mode; the single-device
        // configurations do not apply.
        let hetero = planner.hetero(r, &request.modes)?;
        return Ok(Plan {
            schema_version: PLAN_SCHEMA_VERSION,
            score: score::score(&device),
            cluster: None,
            device,
            configurations: Vec::new(),
            hetero,
            warnings: Vec::new(),
            suggestions: Vec::new(),
        });
    }
    let configurations = planner.configure_modes(&request.modes)?;
    let (warnings, suggestions) = planner.machine_warnings();
    Ok(Plan {
        schema_version: PLAN_SCHEMA_VERSION,
        score: score::score(&device),
        cluster: cluster.map(|c| c.summary.clone()),
        device,
        configurations,
        hetero: Vec::new(),
        warnings,
        suggestions,
    })
}

/// Sequences per step on unequal devices when the goal gives none: the fine-tuning planner's
/// least global batch.
const MIN_HETERO_BATCH: u64 = 16;

/// Version of the plan request and plan documents. 2 added the goal's `dataset`, `psu_w`,
/// `psu_atx3` and `phases`, and in the plan the model's `architecture` and `tokenizer`, the data
/// section, the system's power, `time.over_budget` and `phase_b`; version 1 documents still read.
pub const PLAN_SCHEMA_VERSION: u32 = 2;

fn plan_schema_version() -> u32 {
    PLAN_SCHEMA_VERSION
}

/// What to plan for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// Document version. Default: the current version (1).
    #[serde(default = "plan_schema_version")]
    pub schema_version: u32,
    /// The machine, as `trainfit probe` prints it (or typed by hand). Completed as it is read:
    /// catalogue figures and the flat summary are filled where absent. Default: none, which
    /// only a request with `cluster` may leave out.
    #[serde(
        default,
        deserialize_with = "crate::hardware::deserialize_complete_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub profile: Option<HardwareProfile>,
    /// Several machines and the links between them (`trainfit cluster merge` writes one),
    /// instead of `profile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<crate::cluster::Cluster>,
    /// The job. Default: pretraining from scratch.
    #[serde(default)]
    pub goal: Goal,
    /// Modes to plan. Default: all three.
    #[serde(default = "all_modes")]
    pub modes: Vec<Mode>,
}

fn all_modes() -> Vec<Mode> {
    Mode::ALL.to_vec()
}

/// The job, and every choice the user fixes; what is not fixed the mode decides.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Goal {
    /// What is done. Default: `pretrain`.
    #[serde(default)]
    pub task: GoalTask,
    /// The model; required for every task but `pretrain`. Default (pretraining only): a
    /// Llama-style model the planner sizes to the mode's time budget and memory target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSource>,
    /// Tokens per sequence (serving: the context length). Default: the longest of the mode's
    /// range (within the model's positions) that fits, halving to one step below the range and
    /// never under 128 tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// Sequences per device per step. Default: the largest of the mode's range that fits, else
    /// the largest below it; serving, the concurrency per device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub micro_batch: Option<u64>,
    /// Sequences per optimizer step over all devices. Default: pretraining, DeepSeek LLM's
    /// compute-optimal batch for the run's compute; fine-tuning, the micro-batches of all devices
    /// times the mode's accumulation, at least 16; serving, one micro-batch per device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_batch: Option<u64>,
    /// Numeric recipe. Default: the device's, with its reason in `device.precision_reason`
    /// (on NVIDIA: bf16 autocast from Ampere, fp16 autocast on Volta and Turing); frozen weights
    /// (LoRA, QLoRA, serving) in that recipe's 16-bit dtype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// Optimizer. Default: AdamW; 8-bit AdamW, then its states offloaded, when AdamW does not
    /// fit (a given model, or extreme pretraining).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimizer: Option<Optimizer>,
    /// Activation recomputation. Default: none when that fits, else full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpointing: Option<Checkpointing>,
    /// Attention kernel. Default: FlashAttention where the device has it, else SDPA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<AttentionImpl>,
    /// Sharding across devices. Default: none on one device; on several, the first of none,
    /// ZeRO-2 and ZeRO-3 that fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<Sharding>,
    /// Devices to use (at most those in the profile). Default: every device of the profile's
    /// primary kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<u64>,
    /// LoRA rank for `lora` and `qlora`. Default: 16.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lora_rank: Option<u64>,
    /// Training tokens. Default: the mode's tokens per parameter for pretraining, the mode's
    /// wall-clock budget for fine-tuning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// Wall-clock budget in hours, instead of the mode's. Default: the mode's (2 h, 6 h, 24 h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    /// Serving: concurrent sequences over all devices. Default: the most that fit, up to 4096
    /// per device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u64>,
    /// On a cluster, the mesh axes to fix (named axes, or seed 003's `shape` `[data, model]`);
    /// the search fills in the rest. Explicit axes win over `shape`, `shape` over the search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesh: Option<crate::mesh::MeshConstraints>,
    /// The training data: a dataset of the table or its size, and where it lives; the plan's
    /// `data` section reads it. Default: the run's tokens, on a local disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<Dataset>,
    /// The power supply's rating, W, instead of the profile's `power.psu_w` (the probe cannot
    /// read it). Default: the profile's, else none (no headroom check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_w: Option<f64>,
    /// Whether the power supply is ATX 3.0 (built to carry GPU power excursions), instead of the
    /// profile's `power.psu_atx3`: it may then run at its full rating rather than 68 % of it.
    /// Default: the profile's, else not known (68 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psu_atx3: Option<bool>,
    /// Pretraining in phases: `1`, `2`, or `{"phase_b_share": ..., "phase_b_sequence": ...}`
    /// for two. Phase A trains most tokens at the configuration's sequence; phase B the rest at
    /// a longer context with the learning rate decayed, as Llama 3's long-context stage, MiniCPM's
    /// WSD decay and OLMo 2's mid-training do (see `configuration.phase_b`). Default: one phase
    /// (phase B needs a long-context or high-quality data set only the user can supply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phases: Option<Phases>,
}

/// How many phases a pretraining run has.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(untagged)]
pub enum Phases {
    /// `1` (one phase) or `2` (phase B with its defaults).
    Count(u64),
    /// Two phases, with phase B's share or sequence fixed.
    Split(PhaseSplit),
}

/// Phase B of a two-phase pretraining run, as the goal fixes it.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct PhaseSplit {
    /// Share of the run's tokens trained in phase B, above 0 and at most 0.5. Default: 0.1
    /// (MiniCPM's WSD decay stage, about 10 % of the tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_b_share: Option<f64>,
    /// Phase B's tokens per sequence. Default: the longest that fits the mode's memory target,
    /// at most 16 times phase A's (Llama 3's 8K to 128K) and the model's positions, at least
    /// phase A's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_b_sequence: Option<u64>,
}

/// What is done with the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum GoalTask {
    /// Train a new model; the planner picks its size.
    #[default]
    Pretrain,
    /// Train every weight of a given model.
    Finetune,
    /// LoRA adapters on a frozen 16-bit model.
    Lora,
    /// LoRA adapters on a frozen 4-bit (NF4) model.
    Qlora,
    /// Serve a model: prompt and generation at a context length, many sequences at once.
    Serve,
}

wire_names!(GoalTask, "goal.task", {
    Pretrain => "pretrain",
    Finetune => "finetune",
    Lora => "lora",
    Qlora => "qlora",
    Serve => "serve",
});

/// The planner's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Plan {
    /// Document version.
    pub schema_version: u32,
    /// The cluster, when the request gave one: machines, devices and links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterSummary>,
    /// What the configurations run on (on a cluster: every device of it).
    pub device: Device,
    /// How capable the machine is for training, 0 to 10.
    pub score: Score,
    /// One configuration per requested mode, in the order asked (none on machines of unequal
    /// devices: see `hetero`).
    pub configurations: Vec<Configuration>,
    /// On machines of unequal devices: per requested mode, the pipeline and uneven
    /// data-parallel layouts with each device's role, layers or batch share, and memory.
    /// Default: empty (one kind of device).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hetero: Vec<cluster::HeteroModePlan>,
    /// Conditions of the machine itself, each with its numbers.
    pub warnings: Vec<Warning>,
    /// What would make the machine train better.
    pub suggestions: Vec<Warning>,
}

impl Plan {
    /// The configuration of `mode`.
    ///
    /// # Errors
    ///
    /// `InvalidField` on `mode` when the plan has none of that mode, naming the modes it has.
    pub fn configuration(&self, mode: Mode) -> Result<&Configuration> {
        self.configurations
            .iter()
            .find(|c| c.mode == mode)
            .ok_or_else(|| {
                let have: Vec<&str> = self
                    .configurations
                    .iter()
                    .map(|c| c.mode.as_str())
                    .collect();
                Error::invalid(
                    "mode",
                    crate::error::Quoted(mode.as_str()),
                    alloc::format!("a mode the plan has ({})", have.join(", ")),
                )
            })
    }
}

/// The capability score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Score {
    /// 0 to 10, one decimal.
    pub value: f64,
    /// How it is computed.
    pub formula: String,
}

/// One configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Configuration {
    /// The mode.
    pub mode: Mode,
    /// Whether it fits within the mode's memory target.
    pub fits: bool,
    /// The mode's share of usable device memory, bytes.
    pub memory_target_bytes: u64,
    /// The model trained or served.
    pub model: ModelChoice,
    /// The task as the memory model runs it.
    pub task: GoalTask,
    /// Numeric recipe.
    pub precision: Precision,
    /// Optimizer (absent when serving).
    pub optimizer: Option<Optimizer>,
    /// Devices used.
    pub devices: u64,
    /// Sharding across devices.
    pub sharding: Sharding,
    /// Offload to host memory.
    pub offload: Offload,
    /// Sequences per device per step.
    pub micro_batch: u64,
    /// Micro-batches accumulated per optimizer step.
    pub gradient_accumulation: u64,
    /// Sequences per optimizer step over all devices.
    pub global_batch: u64,
    /// Tokens per sequence (serving: the context).
    pub sequence: u64,
    /// Activation recomputation.
    pub checkpointing: Checkpointing,
    /// Attention kernel.
    pub attention: AttentionImpl,
    /// LoRA rank, for adapter tasks.
    pub lora_rank: Option<u64>,
    /// Peak memory of one device, term by term.
    pub memory: Estimate,
    /// Step time, throughput and total time.
    pub time: TimeEstimate,
    /// Token budget, data, checkpoints, disk.
    pub scale: Scale,
    /// Power and energy.
    pub power: PowerEstimate,
    /// The data path: download or first pass, streaming against training, cache tier and
    /// temporary disk (absent when serving).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataPlan>,
    /// Serving figures, for `serve`.
    pub serve: Option<ServeEstimate>,
    /// The training config for the engine.
    pub training: Option<TrainingConfig>,
    /// Ordered adjustments for out-of-memory recovery, each with the memory after it.
    pub fallbacks: Vec<Fallback>,
    /// On a cluster, training: the mesh search's best layouts (the first is this
    /// configuration's), each with its time breakdown, and the scaling curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesh: Option<crate::mesh::MeshPlan>,
    /// On a cluster, serving: tensor- and pipeline-parallel layouts with their KV-cache pool,
    /// concurrency and decode speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_layouts: Option<crate::mesh::ServePlan>,
    /// Conditions worth acting on, each with a stable code and its numbers.
    pub warnings: Vec<Warning>,
    /// Two-phase pretraining (`goal.phases`): the second phase. This configuration's own knobs,
    /// memory, time and training config are then phase A's, on its share of the tokens.
    /// Default: absent (one phase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_b: Option<alloc::boxed::Box<PhaseB>>,
}

/// Phase B of a two-phase pretraining run: the same model, from phase A's last checkpoint, at a
/// longer sequence (when one fits) with the learning rate decayed from phase A's constant peak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct PhaseB {
    /// Share of the run's tokens trained in phase B.
    pub share: f64,
    /// Whether phase B fits within the mode's memory target.
    pub fits: bool,
    /// Sequences per device per step.
    pub micro_batch: u64,
    /// Micro-batches accumulated per optimizer step.
    pub gradient_accumulation: u64,
    /// Sequences per optimizer step over all devices: the same tokens per step as phase A
    /// where whole micro-batches allow.
    pub global_batch: u64,
    /// Tokens per sequence.
    pub sequence: u64,
    /// Activation recomputation.
    pub checkpointing: Checkpointing,
    /// Optimizer.
    pub optimizer: Optimizer,
    /// Sharding across devices.
    pub sharding: Sharding,
    /// Offload to host memory.
    pub offload: Offload,
    /// Peak memory of one device, term by term.
    pub memory: Estimate,
    /// Step time, throughput and phase B's time (its `budget_s` is the whole run's).
    pub time: TimeEstimate,
    /// The training config of phase B: no warm-up, linear decay from phase A's peak to 0.
    pub training: TrainingConfig,
    /// Ordered adjustments for out-of-memory recovery in phase B.
    pub fallbacks: Vec<Fallback>,
    /// Both phases, seconds.
    pub total_s: Option<f64>,
    /// Conditions of phase B worth acting on.
    pub warnings: Vec<Warning>,
}

/// The model of a configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ModelChoice {
    /// Name.
    pub name: String,
    /// All parameters.
    pub parameters: u64,
    /// Parameters that are trained.
    pub trainable: u64,
    /// Whose model it is.
    pub origin: ModelOrigin,
    /// Layers, hidden size, heads, FFN size and vocabulary, for a generated model.
    pub shape: Option<Shape>,
    /// The architecture of the model, given or generated, from its resolved spec: what engines
    /// that build the model from flags (Megatron-LM, torchtitan) need. Absent in plans written
    /// before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Architecture>,
    /// The tokenizer a generated model is sized for. Default: absent (a given model's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<Tokenizer>,
}

/// A model's architecture as engines take it as settings: sizes, attention grouping, feed-forward
/// block, positions, normalisation, biases and experts (from the resolved model spec, whose
/// fields name the `config.json` keys they come from).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Architecture {
    /// Hugging Face `model_type`.
    pub family: crate::model::Family,
    /// Decoder layers (`num_hidden_layers`).
    pub layers: u64,
    /// Hidden size (`hidden_size`).
    pub hidden: u64,
    /// Query heads (`num_attention_heads`).
    pub heads: u64,
    /// Key/value heads (`num_key_value_heads`); fewer than `heads` with grouped-query attention.
    pub kv_heads: u64,
    /// Width of one head (`head_dim`, else `hidden / heads`).
    pub head_dim: u64,
    /// Width of the dense feed-forward block (`intermediate_size`).
    pub intermediate: u64,
    /// Feed-forward activation.
    pub activation: crate::model::Activation,
    /// Gated feed-forward block (SwiGLU with SiLU, GeGLU with GELU).
    pub gated: bool,
    /// Vocabulary rows (`vocab_size`).
    pub vocab: u64,
    /// Longest context the checkpoint was trained for (`max_position_embeddings`).
    pub max_positions: u64,
    /// How positions enter the model.
    pub positions: Positions,
    /// The output projection shares the token embedding (`tie_word_embeddings`).
    pub tied_embeddings: bool,
    /// Normalisation layers' kind.
    pub norm: crate::model::NormKind,
    /// Queries and keys are normalised inside attention.
    pub qk_norm: bool,
    /// Which projections carry a bias vector.
    pub bias: crate::model::Bias,
    /// Mixture-of-experts layers; absent for a dense model.
    pub moe: Option<ArchitectureMoe>,
    /// Multi-head latent attention (DeepSeek-V2/V3).
    pub latent_attention: bool,
    /// Attention and feed-forward read the same input (GPT-NeoX, GPT-J, Phi-2).
    pub parallel_residual: bool,
    /// Sliding-window (or chunked) attention's window in tokens, on some or all layers.
    pub sliding_window: Option<u64>,
    /// Logits or attention scores pass through a `tanh` soft cap (Gemma-2).
    pub softcap: bool,
}

/// How positions enter a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Positions {
    /// Rotary embeddings.
    Rotary,
    /// A learned absolute position table.
    Learned,
    /// ALiBi's linear distance penalties.
    Alibi,
}

/// The experts of a mixture-of-experts architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ArchitectureMoe {
    /// Routed experts per MoE layer.
    pub experts: u64,
    /// Experts each token is routed to (`num_experts_per_tok`).
    pub top_k: u64,
    /// Width of one routed expert (`moe_intermediate_size`).
    pub expert_intermediate: u64,
    /// Total width of the always-on shared experts; 0 without them.
    pub shared_intermediate: u64,
    /// Layers whose feed-forward block stays dense.
    pub dense_layers: u64,
}

impl Architecture {
    /// The architecture of a resolved model spec.
    pub fn of(spec: &crate::model::ModelSpec) -> Self {
        let positions = if spec.alibi {
            Positions::Alibi
        } else if spec.learned_positions > 0 || !spec.family.rotary() {
            Positions::Learned
        } else {
            Positions::Rotary
        };
        Architecture {
            family: spec.family,
            layers: spec.layers,
            hidden: spec.hidden,
            heads: spec.heads,
            kv_heads: spec.kv_heads,
            head_dim: spec.head_dim,
            intermediate: spec.ffn.intermediate,
            activation: spec.ffn.activation,
            gated: spec.ffn.gated,
            vocab: spec.vocab,
            max_positions: spec.max_positions,
            positions,
            tied_embeddings: spec.tied_embeddings,
            norm: spec.norm.kind,
            qk_norm: spec.qk_norm != crate::model::QkNorm::None,
            bias: spec.bias,
            moe: spec.moe.map(|m| ArchitectureMoe {
                experts: m.experts,
                top_k: m.active,
                expert_intermediate: m.expert_intermediate,
                shared_intermediate: m.shared_intermediate,
                dense_layers: m.dense_layers,
            }),
            latent_attention: spec.mla.is_some(),
            parallel_residual: spec.parallel_residual,
            sliding_window: spec.sliding_window.map(|w| w.window),
            softcap: spec.final_logit_softcap.is_some() || spec.attn_logit_softcap.is_some(),
        }
    }
}

/// The tokenizer of a generated model: the public one nearest the vocabulary that Tao et al.
/// 2024 predict as compute-optimal for its non-embedding parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Tokenizer {
    /// Short name: `sentencepiece-bpe-4096`, `llama-2`, `gpt-2` or `llama-3`.
    pub name: String,
    /// Its vocabulary, tokens (the model's `vocab_size`).
    pub vocab: u64,
    /// The vocabulary Tao et al. 2024 predict for the model's size, tokens.
    pub optimal_vocab: u64,
    /// Which tokenizer, and where it comes from.
    pub source: String,
}

/// Where a configuration's model comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum ModelOrigin {
    /// The user's model (`goal.model`).
    Given,
    /// A Llama-style shape the planner sized (pretraining).
    Generated,
}

wire_names!(ModelOrigin, "model.origin", {
    Given => "given",
    Generated => "generated",
});

/// A generated model's shape (Llama architecture: RMSNorm, SwiGLU, rotary, untied head).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Shape {
    /// Decoder layers.
    pub layers: u64,
    /// Hidden size.
    pub hidden: u64,
    /// Attention heads.
    pub heads: u64,
    /// SwiGLU intermediate size.
    pub intermediate: u64,
    /// Vocabulary.
    pub vocab: u64,
}

/// Time of a configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct TimeEstimate {
    /// The FLOP-counting convention.
    pub convention: String,
    /// Model FLOPs per token.
    pub model_flops_per_token: f64,
    /// Hardware FLOPs per token (recomputation included).
    pub hardware_flops_per_token: f64,
    /// Sustained TFLOP/s of all devices: the time model's hardware FLOP/s, or peak × the
    /// device class's efficiency × devices where the model lacks the memory bandwidth; `null`
    /// when the peak is unknown.
    pub achievable_tflops: Option<f64>,
    /// Seconds per optimizer step; `null` when the device's speed is unknown.
    pub step_s: Option<f64>,
    /// Of which exposed gradient communication.
    pub communication_s: Option<f64>,
    /// Tokens per second over all devices.
    pub tokens_per_s: Option<f64>,
    /// Model FLOPs utilisation: model FLOPs per second over peak.
    pub mfu: Option<f64>,
    /// Hardware FLOPs utilisation: hardware FLOPs per second over peak.
    pub hfu: Option<f64>,
    /// Share of full speed kept under the mode's power cap.
    pub power_cap_speed: f64,
    /// Tokens the run trains on.
    pub tokens: u64,
    /// Optimizer steps.
    pub steps: u64,
    /// Total seconds.
    pub total_s: Option<f64>,
    /// The mode's (or the user's) wall-clock budget, seconds.
    pub budget_s: f64,
    /// Storage read rate the input pipeline needs, MB/s.
    pub data_read_mbs: Option<f64>,
    /// Where the step's time goes, from the time model (compute, recomputation, exposed
    /// communication per axis, bubble, optimizer step, offload copies); absent when the
    /// device's peak or memory bandwidth is unknown, and for serving. On a cluster the mesh's
    /// best candidate carries the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<crate::mesh::StepTime>,
    /// When the run ends past `budget_s`: what fits the budget instead. Default: absent (the run
    /// fits its budget, or its time is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_budget: Option<OverBudget>,
}

/// What a run over its wall-clock budget would take, and what fits the budget instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct OverBudget {
    /// The budget the whole run needs, hours.
    pub hours_needed: f64,
    /// Tokens the configuration trains within the budget.
    pub tokens_in_budget: u64,
    /// Those tokens per parameter.
    pub tokens_per_parameter_in_budget: f64,
    /// Loss given up by stopping at `tokens_in_budget` instead of the run's tokens, nats per
    /// token, from Chinchilla's parametric fit L(N, D) (Hoffmann et al. 2022, eq. 10).
    pub loss_increase: f64,
}

/// Scale of a configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Scale {
    /// Tokens per trained parameter of this run.
    pub tokens_per_parameter: f64,
    /// Chinchilla's compute-optimal tokens for this model (20 per parameter).
    pub chinchilla_tokens: u64,
    /// Parameters this hardware trains compute-optimally within the time budget (sustained
    /// FLOP/s × budget) at the mode's tokens per parameter.
    pub compute_optimal_parameters: u64,
    /// Tokenised dataset on disk, bytes.
    pub dataset_bytes: u64,
    /// Raw text the tokens come from, bytes.
    pub text_bytes: u64,
    /// One checkpoint (weights, master weights, optimizer states; adapters only for LoRA), bytes.
    pub checkpoint_bytes: u64,
    /// Seconds to write one checkpoint, from the measured storage write rate when known.
    pub checkpoint_write_s: Option<f64>,
    /// Checkpoint interval (Young/Daly), seconds.
    pub save_interval_s: Option<f64>,
    /// Disk the run needs: the dataset and two checkpoints, bytes.
    pub disk_needed_bytes: u64,
    /// Free space on the largest local file system, bytes.
    pub disk_free_bytes: Option<u64>,
}

/// Power and energy of a configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct PowerEstimate {
    /// TDP of all devices, W.
    pub tdp_w: Option<f64>,
    /// Expected draw of all devices under the mode, W.
    pub draw_w: Option<f64>,
    /// Power limit to set per device (`nvidia-smi -pl`), W, when the mode asks for less than TDP.
    pub power_cap_w: Option<f64>,
    /// Energy of the run, kWh.
    pub energy_kwh: Option<f64>,
    /// The whole system against the power supply, when its rating is known (one machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemPower>,
}

/// Serving figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ServeEstimate {
    /// Context length per sequence.
    pub context: u64,
    /// Sequences served at once.
    pub concurrency: u64,
    /// KV cache of one sequence at full context, bytes.
    pub kv_bytes_per_sequence: u64,
    /// Generated tokens per second over all sequences (memory-bound decode).
    pub decode_tokens_per_s: Option<f64>,
}

/// Training-config fields for the engine, with where the defaults come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct TrainingConfig {
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Learning-rate schedule after the warm-up.
    pub schedule: Schedule,
    /// Warm-up steps.
    pub warmup_steps: u64,
    /// Optimizer steps.
    pub steps: u64,
    /// Save a checkpoint every this many steps.
    pub save_steps: u64,
    /// Output directory.
    pub output_dir: String,
    /// Sources of these defaults.
    pub sources: Vec<String>,
}

/// A learning-rate schedule after the warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Cosine decay to 10 % of the peak.
    Cosine,
    /// The peak rate throughout.
    Constant,
    /// Linear decay from the peak to 0 (phase B of a two-phase run: MiniCPM's WSD decay stage,
    /// OLMo 2's and Llama 3's annealing).
    Linear,
}

wire_names!(Schedule, "schedule", {
    Cosine => "cosine",
    Constant => "constant",
    Linear => "linear",
});

/// One step of the out-of-memory fallback ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Fallback {
    /// Stable identifier of the adjustment.
    pub action: FallbackAction,
    /// What changes, with the numbers.
    pub description: String,
    /// Peak memory of one device after this and every earlier step, bytes; for a
    /// `mesh_layout`, which replaces the layout instead, after this step alone.
    pub peak_bytes: u64,
}

/// An adjustment of the out-of-memory fallback ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum FallbackAction {
    /// Half the micro-batch (or the nearest divisor below), with more accumulation.
    HalveMicroBatch,
    /// Recompute every layer's activations in the backward pass.
    FullCheckpointing,
    /// 8-bit AdamW states (bitsandbytes).
    #[serde(rename = "adamw_8bit")]
    Adamw8bit,
    /// Optimizer states in host memory, the step on the CPU.
    OffloadOptimizer,
    /// Half the sequence.
    HalveSequence,
    /// On a cluster: another layout the mesh search kept that needs less memory per device.
    MeshLayout,
}

wire_names!(FallbackAction, "fallback action", {
    HalveMicroBatch => "halve_micro_batch",
    FullCheckpointing => "full_checkpointing",
    Adamw8bit => "adamw_8bit",
    OffloadOptimizer => "offload_optimizer",
    HalveSequence => "halve_sequence",
    MeshLayout => "mesh_layout",
});
