//! Engines of every mesh axis: torchtitan (FSDP2 with tensor, pipeline, context and expert
//! parallelism) and Megatron-LM.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::text::{self, Command, Map, Value};
use super::{provenance, script_file, ExportFile, Job, COSINE_FLOOR, GRADIENT_CLIP};
use crate::error::Result;
use crate::plan::{DeviceClass, ModelOrigin, Schedule};
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
            // Each rank holds `virtual_stages` model chunks: torchtitan counts them as layers
            // per stage, the model's layers over pipeline x virtual stages. The plan does not
            // carry a given model's layer count, so the value is a placeholder torchtitan
            // rejects (an integer is expected) until it is set.
            parallelism = parallelism.put(
                "pipeline_parallel_layers_per_stage",
                format!("<LAYERS / {}>", l.pipeline * l.virtual_stages),
            );
        }
    }
    let scheduler = Map::new()
        .put("warmup_steps", t.warmup_steps)
        // Constant: no decay phase after the warm-up (warmup-stable-decay with decay 0).
        .put(
            "decay_ratio",
            if t.schedule == Schedule::Constant {
                0.0
            } else {
                1.0
            },
        )
        .put("decay_type", "cosine")
        .put(
            "min_lr_factor",
            if t.schedule == Schedule::Cosine {
                COSINE_FLOOR
            } else {
                1.0
            },
        );
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
        (
            String::from("checkpoint"),
            Map::new()
                .put("enable", true)
                .put("folder", "checkpoint")
                .put("interval", t.save_steps)
                .into(),
        ),
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
        name: String::from("torchtitan.toml"),
        media_type: String::from("application/toml"),
        text: text::toml(&header, &tables, &[]),
    })
}

/// torchrun with the c10d rendezvous, for the parallel engines' launch scripts.
fn torchrun(job: &Job<'_>) -> Command {
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
        .arg("--job.config_file", "torchtitan.toml");
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
    let shape = job.c.model.shape;
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
        let Some(s) = shape else {
            return Err(job.refuse(
                "mesh.candidates[0].layout.lighter_ends",
                "the first and last stages' layer counts need the model's layer count, which the plan has for generated shapes only",
            ));
        };
        let per_stage = s.layers / l.pipeline;
        a = a
            .arg(
                "--decoder-first-pipeline-num-layers",
                per_stage.saturating_sub(1),
            )
            .arg(
                "--decoder-last-pipeline-num-layers",
                per_stage.saturating_sub(1),
            );
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
        .arg("--seq-length", job.c.sequence)
        .arg("--max-position-embeddings", job.c.sequence);
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
    };
    a = a
        .arg("--save", job.output_dir()?)
        .arg("--save-interval", t.save_steps)
        .arg("--data-path", job.dataset());
    a = match shape {
        Some(s) => a
            .arg("--num-layers", s.layers)
            .arg("--hidden-size", s.hidden)
            .arg("--num-attention-heads", s.heads)
            .arg("--ffn-hidden-size", s.intermediate)
            // The generated shape is Llama's: RMSNorm, SwiGLU, rotary, untied head.
            .arg("--normalization", "RMSNorm")
            .word("--swiglu")
            .arg("--position-embedding-type", "rope")
            .word("--untie-embeddings-and-output-weights")
            .word("--disable-bias-linear")
            .arg("--tokenizer-type", "NullTokenizer")
            .arg("--vocab-size", s.vocab),
        None => a
            .arg("--num-layers", "<NUM_LAYERS>")
            .arg("--hidden-size", "<HIDDEN_SIZE>")
            .arg("--num-attention-heads", "<NUM_ATTENTION_HEADS>")
            .arg("--ffn-hidden-size", "<FFN_HIDDEN_SIZE>")
            .arg("--tokenizer-type", "HuggingFaceTokenizer")
            .arg("--tokenizer-model", job.model()),
    };
    let script = job
        .options
        .script
        .clone()
        .unwrap_or_else(|| String::from("pretrain_gpt.py"));
    let c = torchrun(job).word(script).extend(&a);
    let mut notes = vec![provenance(job)];
    if shape.is_none() {
        notes.push(format!(
            "Set the <...> architecture flags from {}'s config.json; the plan does not carry the shape of a given model.",
            job.model()
        ));
    }
    let refs: Vec<&str> = notes.iter().map(String::as_str).collect();
    let mut comments = refs;
    comments.push("Arguments: github.com/NVIDIA/Megatron-LM, megatron/training/arguments.py.");
    Ok(vec![script_file("megatron.sh", &comments, &c.script())])
}
