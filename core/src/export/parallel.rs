//! Engines of every mesh axis: torchtitan (FSDP2 with tensor, pipeline, context and expert
//! parallelism) and Megatron-LM.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::text::{self, Command, Map, Value};
use super::{provenance, script_file, ExportFile, Job, Part, COSINE_FLOOR, GRADIENT_CLIP};
use crate::error::Result;
use crate::model::{Activation, Bias, Family, NormKind};
use crate::plan::{Architecture, DeviceClass, ModelOrigin, Positions, Schedule};
use crate::request::{AttentionImpl, Checkpointing, Optimizer, Sharding};

/// Refuses devices the engine does not run on (both are CUDA/ROCm engines).
fn cuda_like(job: &Job<'_>, engine: &str) -> Result<()> {
    match job.class() {
        DeviceClass::NvidiaGpu | DeviceClass::AmdGpu => Ok(()),
        _ => Err(job.refuse(
            "device.class",
            &format!("{engine} trains on NVIDIA and AMD GPUs only"),
        )),
    }
}

/// The `torchtitan.toml` file (torchtitan/config/job_config.py; docs/composability.md).
pub(super) fn torchtitan_toml(job: &Job<'_>) -> Result<ExportFile> {
    cuda_like(job, "torchtitan")?;
    if job.adapter() {
        return Err(job.refuse(
            "task",
            "torchtitan trains all weights and has no LoRA adapters; export peft, training_arguments or axolotl",
        ));
    }
    if job.c.model.origin == ModelOrigin::Generated {
        return Err(job.refuse(
            "model.shape",
            &format!(
                "torchtitan's model flavors are fixed tables in its source (torchtitan/models/llama3/__init__.py) and the generated shape {} is none of them; export megatron, which takes the shape as flags",
                job.c.model.name
            ),
        ));
    }
    let t = job.training()?;
    let l = &job.layout;
    let (replicate, shard, reshard) = match l.sharding {
        Sharding::None => (l.data, 1, None),
        Sharding::FsdpFullShard | Sharding::Zero3 => (1, l.data, Some("always")),
        Sharding::FsdpShardGradOp | Sharding::Zero2 => (1, l.data, Some("never")),
        Sharding::Zero1 => {
            return Err(job.refuse(
                "sharding",
                "torchtitan shards with FSDP2, which has no optimizer-only sharding (ZeRO-1)",
            ))
        }
    };
    let off = job.c.offload;
    if off.optimizer != off.parameters {
        return Err(job.refuse(
            "offload",
            "torchtitan's enable_cpu_offload moves parameters, gradients and optimizer states together (FSDP2 CPUOffloadPolicy); the configuration offloads only some of them",
        ));
    }
    let param_dtype = match job.half() {
        Some("bf16") => "bfloat16",
        None => "float32",
        Some(_) => {
            return Err(job.refuse(
                "precision",
                "torchtitan's mixed_precision_param is bfloat16 or float32; fp16 needs loss scaling it does not do",
            ))
        }
    };
    let optimizer = match job.c.optimizer {
        Some(Optimizer::Adamw) | None => "AdamW",
        Some(o) => {
            return Err(job.refuse(
                "optimizer",
                &format!(
                    "torchtitan's optimizers are Adam and AdamW, not {}",
                    o.as_str()
                ),
            ))
        }
    };
    let local = l.micro_batch * l.micro_batches;
    if local * l.data != job.c.global_batch {
        return Err(job.refuse(
            "global_batch",
            &format!("torchtitan's global batch is the local batch times the data-parallel ranks, and {} != {local} x {}", job.c.global_batch, l.data),
        ));
    }
    let mode = match job.c.checkpointing {
        Checkpointing::None => "none",
        Checkpointing::Selective => "selective",
        Checkpointing::Full => "full",
    };
    let mut parallelism = Map::new()
        .put("data_parallel_replicate_degree", replicate)
        .put("data_parallel_shard_degree", shard)
        .put_opt("fsdp_reshard_after_forward", reshard)
        .put("tensor_parallel_degree", l.tensor)
        .put("enable_async_tensor_parallel", l.overlap_tensor_comm)
        .put("pipeline_parallel_degree", l.pipeline)
        .put("context_parallel_degree", l.context)
        .put("expert_parallel_degree", l.expert);
    if l.pipeline > 1 {
        parallelism = parallelism
            .put(
                "pipeline_parallel_schedule",
                if l.virtual_stages > 1 {
                    "Interleaved1F1B"
                } else {
                    "1F1B"
                },
            )
            .put("pipeline_parallel_microbatch_size", l.micro_batch)
            // The first and last stages count the embedding and the head as this many layers.
            .put(
                "pipeline_parallel_first_stage_less_layers",
                u64::from(l.lighter_ends),
            )
            .put(
                "pipeline_parallel_last_stage_less_layers",
                u64::from(l.lighter_ends),
            );
        if l.virtual_stages > 1 {
            // Each rank holds `virtual_stages` model chunks. torchtitan makes
            // ceil((layers + first_less + last_less) / layers_per_stage) stages
            // (torchtitan/distributed/pipeline_parallel.py, pipeline_llm), which must be
            // pipeline x virtual stages; the mesh search chose the split so it divides.
            let Some(arch) = architecture(job) else {
                return Err(job.refuse(
                    "model.architecture",
                    "torchtitan's layers per stage need the model's layer count, and the plan (written before plans carried the architecture) does not say it",
                ));
            };
            let slots = arch.layers.saturating_add(2 * u64::from(l.lighter_ends));
            let stages = l.pipeline.saturating_mul(l.virtual_stages);
            if slots % stages != 0 {
                return Err(job.refuse(
                    "mesh.candidates[0].layout.virtual_stages",
                    &format!(
                        "torchtitan splits {slots} layer slots into stages of equal size, and {} pipeline x {} virtual stages do not divide them",
                        l.pipeline, l.virtual_stages
                    ),
                ));
            }
            parallelism = parallelism.put("pipeline_parallel_layers_per_stage", slots / stages);
        }
    }
    // torchtitan's warmup-stable-decay (torchtitan/components/lr_scheduler.py): decay over
    // `decay_ratio` of the steps, of `decay_type`, down to `min_lr_factor` of the peak.
    let (decay_ratio, decay_type, min_lr_factor) = match t.schedule {
        // Constant: no decay phase after the warm-up (decay 0).
        Schedule::Constant => (0.0, "cosine", 1.0),
        Schedule::Cosine => (1.0, "cosine", COSINE_FLOOR),
        Schedule::Linear => (1.0, "linear", 0.0),
    };
    let scheduler = Map::new()
        .put("warmup_steps", t.warmup_steps)
        .put("decay_ratio", decay_ratio)
        .put("decay_type", decay_type)
        .put("min_lr_factor", min_lr_factor);
    let mut checkpoint = Map::new()
        .put("enable", true)
        .put("folder", "checkpoint")
        .put("interval", t.save_steps);
    checkpoint = match &job.part {
        Part::Whole => checkpoint,
        // The last save holds the model only (torchtitan 0.2.2 job_config.py, Checkpoint:
        // last_save_model_only, default true): what phase B loads.
        Part::A => checkpoint.put("last_save_model_only", true),
        // Phase B loads phase A's last checkpoint as its model only: a fresh optimizer, step
        // and schedule (`initial_load_model_only`; ignored once phase B's own folder has a
        // checkpoint, so a restarted phase B resumes from its own).
        Part::B { from } => checkpoint
            .put("initial_load_path", from.as_str())
            .put("initial_load_model_only", true),
    };
    let tables: Vec<(String, Value)> = vec![
        (
            String::from("job"),
            Map::new()
                .put("dump_folder", job.output_dir()?)
                .put("description", provenance(job))
                .into(),
        ),
        (
            String::from("model"),
            Map::new()
                .put("name", "<TORCHTITAN_MODEL>")
                .put("flavor", "<TORCHTITAN_FLAVOR>")
                .put("hf_assets_path", job.model())
                .into(),
        ),
        (
            String::from("optimizer"),
            Map::new()
                .put("name", optimizer)
                .put("lr", t.learning_rate)
                .into(),
        ),
        (String::from("lr_scheduler"), scheduler.into()),
        (
            String::from("training"),
            Map::new()
                .put("local_batch_size", local)
                .put("global_batch_size", job.c.global_batch)
                .put("seq_len", job.c.sequence)
                .put("max_norm", GRADIENT_CLIP)
                .put("steps", t.steps)
                .put("dataset", job.dataset())
                .put("mixed_precision_param", param_dtype)
                .put("enable_cpu_offload", off.parameters)
                .into(),
        ),
        (String::from("parallelism"), parallelism.into()),
        (String::from("checkpoint"), checkpoint.into()),
        (
            String::from("activation_checkpoint"),
            Map::new().put("mode", mode).into(),
        ),
    ];
    let header = format!(
        "# {}\n# torchtitan job config: github.com/pytorch/torchtitan, torchtitan/config/job_config.py.\n# Set [model] name and flavor to torchtitan's entry for the model (e.g. llama3, 70B).\n",
        provenance(job)
    );
    Ok(ExportFile {
        name: job.file("torchtitan.toml"),
        media_type: String::from("application/toml"),
        text: text::toml(&header, &tables, &[]),
    })
}

/// torchrun with the c10d rendezvous, for the parallel engines' launch scripts.
pub(super) fn torchrun(job: &Job<'_>) -> Command {
    let mut c = Command::new(&["torchrun"]);
    if job.nodes > 1 {
        c.arg("--nnodes", job.nodes)
            .arg("--nproc_per_node", job.per_node)
            .arg_shell(
                "--node_rank",
                "\"${NODE_RANK:?set NODE_RANK to the rank of this machine}\"",
            )
            .arg("--rdzv_backend", "c10d")
            .arg(
                "--rdzv_endpoint",
                format!("{}:{}", job.master_addr(), job.master_port()),
            )
            .arg("--rdzv_id", job.job_name())
    } else {
        c = c.word("--standalone");
        c.arg("--nproc_per_node", job.per_node)
    }
}

/// `torchtitan.toml` and `launch.sh`.
pub(super) fn torchtitan(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    let toml = torchtitan_toml(job)?;
    let c = torchrun(job)
        .word("-m")
        .word("torchtitan.train")
        .arg("--job.config_file", job.file("torchtitan.toml"));
    Ok(vec![
        toml,
        script_file(
            "launch.sh",
            &[
                &provenance(job),
                "torchtitan's run_train.sh runs torchrun -m torchtitan.train the same way.",
            ],
            &c.script(),
        ),
    ])
}

/// `megatron.sh`: `pretrain_gpt.py` with the configuration's arguments (Megatron-LM,
/// megatron/training/arguments.py).
pub(super) fn megatron(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    cuda_like(job, "Megatron-LM")?;
    if job.adapter() {
        return Err(job.refuse(
            "task",
            "Megatron-LM trains all weights and has no LoRA adapters; export peft, training_arguments or axolotl",
        ));
    }
    let t = job.training()?;
    let l = &job.layout;
    let arch = architecture(job);
    let mut a = Command::default()
        .arg("--tensor-model-parallel-size", l.tensor)
        .arg("--pipeline-model-parallel-size", l.pipeline)
        .arg("--context-parallel-size", l.context)
        .arg("--expert-model-parallel-size", l.expert);
    if l.virtual_stages > 1 {
        a = a.arg("--num-virtual-stages-per-pipeline-rank", l.virtual_stages);
    }
    if l.sequence_parallel {
        a = a.word("--sequence-parallel");
    }
    if l.lighter_ends {
        // The embedding and the loss count as one layer each in the first and last stages
        // (Llama 3's split, Dubey et al. 2024, §3.3.2): Megatron-LM's
        // account_for_{embedding,loss}_in_pipeline_split (transformer_config.py).
        a = a
            .word("--account-for-embedding-in-pipeline-split")
            .word("--account-for-loss-in-pipeline-split");
    }
    if l.overlap_tensor_comm {
        a = a.word("--tp-comm-overlap");
    }
    match l.sharding {
        Sharding::None => {}
        // The distributed optimizer shards optimizer states over the data axis (Megatron-LM
        // docs/source/api-guide/dist_optimizer.md), ZeRO-1's partitioning.
        Sharding::Zero1 => a = a.word("--use-distributed-optimizer"),
        Sharding::FsdpFullShard | Sharding::Zero3 if l.pipeline == 1 => a = a.word("--use-torch-fsdp2"),
        s => {
            return Err(job.refuse(
                "mesh.candidates[0].layout.sharding",
                &format!(
                    "Megatron-LM shards optimizer states (--use-distributed-optimizer) or everything with torch FSDP2 without pipeline parallelism (--use-torch-fsdp2); {} with {} pipeline stages is neither; export torchtitan",
                    s.as_str(),
                    l.pipeline
                ),
            ))
        }
    }
    if l.overlap_grad_reduce && l.data > 1 {
        a = a.word("--overlap-grad-reduce");
    }
    a = a
        .arg("--micro-batch-size", l.micro_batch)
        .arg("--global-batch-size", job.c.global_batch)
        .arg("--seq-length", job.c.sequence);
    a = match job.c.checkpointing {
        Checkpointing::None => a,
        Checkpointing::Selective => a.arg("--recompute-granularity", "selective"),
        Checkpointing::Full => a
            .arg("--recompute-granularity", "full")
            .arg("--recompute-method", "uniform")
            .arg("--recompute-num-layers", 1u64),
    };
    a = match job.half() {
        Some("bf16") => a.word("--bf16"),
        // Megatron's fp16 uses dynamic loss scaling unless --loss-scale is given.
        Some(_) => a.word("--fp16"),
        None => a,
    };
    a = match job.c.attention {
        AttentionImpl::Flash => a.arg("--attention-backend", "flash"),
        AttentionImpl::Sdpa => a.arg("--attention-backend", "fused"),
        AttentionImpl::Eager => a.arg("--attention-backend", "unfused"),
    };
    a = match job.c.optimizer {
        // Megatron's `adam` is AdamW (decoupled --weight-decay).
        Some(Optimizer::Adamw) | None => a.arg("--optimizer", "adam"),
        Some(Optimizer::Sgd) => a.arg("--optimizer", "sgd").arg("--sgd-momentum", "0.0"),
        Some(Optimizer::SgdMomentum) => a.arg("--optimizer", "sgd"),
        Some(o) => {
            return Err(job.refuse(
                "optimizer",
                &format!(
                    "Megatron-LM's optimizers are adam and sgd, not {}",
                    o.as_str()
                ),
            ))
        }
    };
    let off = job.c.offload;
    if off.parameters {
        return Err(job.refuse(
            "offload.parameters",
            "Megatron-LM keeps parameters on the GPU; it offloads only the optimizer (--optimizer-cpu-offload)",
        ));
    }
    if off.optimizer {
        a = a
            .word("--optimizer-cpu-offload")
            .arg("--optimizer-offload-fraction", "1.0");
    }
    a = a
        .arg_f("--lr", t.learning_rate)
        .arg("--train-iters", t.steps)
        .arg("--lr-warmup-iters", t.warmup_steps)
        .arg_f("--clip-grad", GRADIENT_CLIP);
    a = match t.schedule {
        Schedule::Cosine => a
            .arg("--lr-decay-style", "cosine")
            .arg("--lr-decay-iters", t.steps)
            .arg_f("--min-lr", t.learning_rate * COSINE_FLOOR),
        Schedule::Constant => a.arg("--lr-decay-style", "constant"),
        Schedule::Linear => a
            .arg("--lr-decay-style", "linear")
            .arg("--lr-decay-iters", t.steps)
            .arg_f("--min-lr", 0.0),
    };
    a = a
        .arg("--save", job.output_dir()?)
        .arg("--save-interval", t.save_steps)
        .arg("--data-path", job.dataset());
    if let Part::B { from } = &job.part {
        // Phase A's last save (Megatron saves the final iteration) as the weights. --finetune
        // loads the model only: iteration 0, no optimizer, scheduler or RNG state
        // (megatron/training/checkpointing.py, load_checkpoint), so --train-iters counts phase
        // B's steps, its data starts at its first sample at its own sequence and batch (not
        // past phase A's consumed samples), and the schedule is the flags' linear decay; the
        // AdamW moments restart, as in the Hugging Face exports' load of phase A's weights.
        // --override-opt_param-scheduler makes the flags win over any saved schedule.
        a = a
            .arg("--load", from.as_str())
            .word("--finetune")
            .word("--override-opt_param-scheduler");
    }
    let mut notes = vec![provenance(job)];
    a = match &arch {
        Some(arch) => {
            let (flags, note) = megatron_architecture(job, arch)?;
            notes.extend(note);
            a.extend(&flags)
        }
        None => {
            notes.push(format!(
                "Set the <...> architecture flags from {}'s config.json; the plan (written before plans carried the architecture) does not say them.",
                job.model()
            ));
            a.arg("--num-layers", "<NUM_LAYERS>")
                .arg("--hidden-size", "<HIDDEN_SIZE>")
                .arg("--num-attention-heads", "<NUM_ATTENTION_HEADS>")
                .arg("--ffn-hidden-size", "<FFN_HIDDEN_SIZE>")
                .arg("--max-position-embeddings", job.c.sequence)
                .arg("--tokenizer-type", "HuggingFaceTokenizer")
                .arg("--tokenizer-model", job.model())
        }
    };
    let script = job
        .options
        .script
        .clone()
        .unwrap_or_else(|| String::from("pretrain_gpt.py"));
    let c = torchrun(job).word(script).extend(&a);
    let refs: Vec<&str> = notes.iter().map(String::as_str).collect();
    let mut comments = refs;
    comments.push("Arguments: github.com/NVIDIA/Megatron-LM, megatron/training/arguments.py.");
    Ok(vec![script_file("megatron.sh", &comments, &c.script())])
}

/// The model's architecture: the plan's, or (plans written before it carried one) the generated
/// shape's, which is Llama's (ladder.rs: RMSNorm, SwiGLU, rotary, untied head, no biases).
fn architecture(job: &Job<'_>) -> Option<Architecture> {
    if let Some(a) = job.c.model.architecture {
        return Some(a);
    }
    let s = job.c.model.shape?;
    Some(Architecture {
        family: Family::Llama,
        layers: s.layers,
        hidden: s.hidden,
        heads: s.heads,
        kv_heads: s.heads,
        head_dim: s.hidden / s.heads.max(1),
        intermediate: s.intermediate,
        activation: Activation::Silu,
        gated: true,
        vocab: s.vocab,
        max_positions: job.c.sequence,
        positions: Positions::Rotary,
        tied_embeddings: false,
        norm: NormKind::RmsNorm,
        qk_norm: false,
        bias: Bias::default(),
        moe: None,
        latent_attention: false,
        parallel_residual: false,
        sliding_window: None,
        softcap: false,
    })
}

/// Megatron-LM's flags for the architecture (megatron/training/arguments.py, `_add_network_size_args`,
/// and the flags it builds from megatron/core/transformer/transformer_config.py), with a note on
/// what the plan does not carry; a refusal for what the flags cannot build.
fn megatron_architecture(job: &Job<'_>, arch: &Architecture) -> Result<(Command, Option<String>)> {
    let refuse = |what: &str| {
        Err(job.refuse(
            "model.architecture",
            &format!("{} has {what}, which pretrain_gpt.py's GPT model has no flag for; export torchtitan or a Hugging Face format", job.c.model.name),
        ))
    };
    if arch.latent_attention {
        return refuse("multi-head latent attention");
    }
    if arch.parallel_residual {
        return refuse("parallel attention and feed-forward blocks");
    }
    if arch.softcap {
        return refuse("tanh soft-capped logits");
    }
    if arch.positions == Positions::Alibi {
        return refuse("ALiBi position biases");
    }
    if arch.norm == NormKind::None {
        return refuse("weightless LayerNorm");
    }
    if let Some(w) = arch.sliding_window {
        // A window at least as long as the sequence masks nothing: full attention.
        if w < job.c.sequence {
            return refuse(&format!(
                "sliding-window attention of {w} tokens, shorter than the sequence of {}",
                job.c.sequence
            ));
        }
    }
    let mut a = Command::default()
        .arg("--num-layers", arch.layers)
        .arg("--hidden-size", arch.hidden)
        .arg("--num-attention-heads", arch.heads);
    if arch.kv_heads != arch.heads {
        a = a
            .word("--group-query-attention")
            .arg("--num-query-groups", arch.kv_heads);
    }
    if arch.head_dim.checked_mul(arch.heads) != Some(arch.hidden) {
        a = a.arg("--kv-channels", arch.head_dim);
    }
    a = a.arg("--ffn-hidden-size", arch.intermediate);
    // Megatron's MLP is GELU (F.gelu, exact) unless told otherwise; --swiglu is a gated SiLU,
    // --openai-gelu the tanh approximation.
    a = match (arch.gated, arch.activation) {
        (true, Activation::Silu) => a.word("--swiglu"),
        (false, Activation::Gelu) => a,
        (false, Activation::GeluTanh | Activation::GeluNew) => a.word("--openai-gelu"),
        (gated, act) => {
            return refuse(&format!(
                "a {}{} feed-forward block",
                if gated { "gated " } else { "" },
                act.as_str()
            ))
        }
    };
    a = a.arg(
        "--normalization",
        if arch.norm == NormKind::RmsNorm {
            "RMSNorm"
        } else {
            "LayerNorm"
        },
    );
    if arch.qk_norm {
        a = a.word("--qk-layernorm");
    }
    let b = arch.bias;
    a = match (b.qkv, b.attn_out, b.mlp) {
        (true, true, true) => a,
        (false, false, false) => a.word("--disable-bias-linear"),
        (true, false, false) => a.word("--disable-bias-linear").word("--add-qkv-bias"),
        _ => return refuse("biases on some projections but not others"),
    };
    a = match arch.positions {
        Positions::Rotary => a.arg("--position-embedding-type", "rope"),
        _ => a.arg("--position-embedding-type", "learned_absolute"),
    };
    a = a.arg(
        "--max-position-embeddings",
        arch.max_positions.max(job.c.sequence),
    );
    if !arch.tied_embeddings {
        a = a.word("--untie-embeddings-and-output-weights");
    }
    if let Some(m) = arch.moe {
        if m.dense_layers > 0 {
            return refuse(&format!(
                "{} dense feed-forward layers among its expert layers, whose places the plan does not carry (--moe-layer-freq)",
                m.dense_layers
            ));
        }
        a = a
            .arg("--num-experts", m.experts)
            .arg("--moe-router-topk", m.top_k)
            .arg("--moe-ffn-hidden-size", m.expert_intermediate);
        if m.shared_intermediate > 0 {
            a = a.arg(
                "--moe-shared-expert-intermediate-size",
                m.shared_intermediate,
            );
        }
    }
    if job.c.model.origin == ModelOrigin::Generated {
        // A generated shape trains from scratch with its own vocabulary size; Megatron's
        // defaults (rotary base 10000, epsilon 1e-5) define it.
        return Ok((
            a.arg("--tokenizer-type", "NullTokenizer")
                .arg("--vocab-size", arch.vocab),
            None,
        ));
    }
    // A given model's rotary base, rotary scaling and norm epsilon are in its config.json and
    // not in the plan's spec; Megatron's defaults (10000, 1e-5) differ from most models'.
    if arch.positions == Positions::Rotary {
        a = a.arg("--rotary-base", "<ROPE_THETA>");
    }
    a = a
        .arg("--norm-epsilon", "<NORM_EPSILON>")
        .arg("--tokenizer-type", "HuggingFaceTokenizer")
        .arg("--tokenizer-model", job.model());
    Ok((
        a,
        Some(format!(
            "Set <ROPE_THETA> (rope_theta), <NORM_EPSILON> (rms_norm_eps or layer_norm_eps) and, if config.json has rope_scaling, --use-rope-scaling from {}'s config.json; the plan does not carry them.",
            job.model()
        )),
    ))
}
