//! Hugging Face `TrainingArguments`, Accelerate, DeepSpeed, PEFT, axolotl and MLX exports.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::text::{self, Command, Map, Value};
use super::{
    json_file, lora_alpha, provenance, script_file, yaml_file, ExportFile, Job, Part, COSINE_FLOOR,
    GRADIENT_CLIP,
};
use crate::error::Result;
use crate::plan::{DeviceClass, GoalTask, ModelOrigin, Schedule};
use crate::request::{AttentionImpl, Checkpointing, Optimizer, Sharding};

/// Momentum of `sgd_momentum`: 0.9, torchvision's classification reference recipe
/// (references/classification/train.py, `--momentum` default 0.9); the plan counts the buffer,
/// not its coefficient.
const SGD_MOMENTUM: f64 = 0.9;

/// How the data axis shards model states in Hugging Face's stack.
enum HfSharding {
    /// DDP (or one process).
    None,
    /// DeepSpeed ZeRO at this stage, with `ds_config.json`.
    Deepspeed,
    /// PyTorch FSDP: `full_shard` or `shard_grad_op`, with offload of parameters.
    Fsdp(&'static str, bool),
}

fn hf_sharding(job: &Job<'_>) -> Result<HfSharding> {
    let off = job.c.offload;
    Ok(match job.sharding() {
        Sharding::None if off.optimizer || off.parameters => HfSharding::Deepspeed,
        Sharding::None => HfSharding::None,
        Sharding::Zero1 | Sharding::Zero2 | Sharding::Zero3 => HfSharding::Deepspeed,
        s @ (Sharding::FsdpFullShard | Sharding::FsdpShardGradOp) => {
            if off.optimizer && !off.parameters {
                return Err(job.refuse(
                    "offload.optimizer",
                    "PyTorch FSDP offloads parameters, gradients and the optimizer step together (CPUOffload(offload_params=True)); optimizer states alone in host memory need DeepSpeed ZeRO-Offload, export deepspeed",
                ));
            }
            let name = if s == Sharding::FsdpFullShard {
                "full_shard"
            } else {
                "shard_grad_op"
            };
            HfSharding::Fsdp(name, off.parameters)
        }
    })
}

/// `TrainingArguments.optim` of the configuration's optimizer (transformers
/// `training_args.py`, `OptimizerNames`), with its `optim_args`.
fn hf_optim(job: &Job<'_>) -> Result<(&'static str, Option<String>)> {
    Ok(match job.c.optimizer {
        Some(Optimizer::Adamw) | None => ("adamw_torch", None),
        Some(Optimizer::Adamw8bit) => ("adamw_bnb_8bit", None),
        Some(Optimizer::Sgd) => ("sgd", None),
        Some(Optimizer::SgdMomentum) => (
            "sgd",
            Some(format!("momentum={}", text::float(SGD_MOMENTUM))),
        ),
        Some(Optimizer::Adafactor) => ("adafactor", None),
        Some(Optimizer::Lion) => ("lion_32bit", None),
    })
}

/// `attn_implementation` of transformers' `from_pretrained` (modeling_utils.py).
fn hf_attention(a: AttentionImpl) -> &'static str {
    match a {
        AttentionImpl::Flash => "flash_attention_2",
        AttentionImpl::Sdpa => "sdpa",
        AttentionImpl::Eager => "eager",
    }
}

/// Whether activations are recomputed, or a refusal of selective recomputation.
fn hf_checkpointing(job: &Job<'_>) -> Result<bool> {
    match job.c.checkpointing {
        Checkpointing::None => Ok(false),
        Checkpointing::Full => Ok(true),
        Checkpointing::Selective => Err(job.refuse(
            "checkpointing",
            "transformers' gradient_checkpointing recomputes whole decoder layers; selective recomputation (attention only) is Megatron-LM's, export megatron",
        )),
    }
}

/// The `TrainingArguments` of the configuration, in the order of transformers' docs
/// (huggingface.co/docs/transformers/main_classes/trainer#transformers.TrainingArguments).
pub(super) fn hf_training_arguments(job: &Job<'_>) -> Result<Map> {
    hf_arguments_sharded(job, hf_sharding(job)?)
}

/// The `TrainingArguments` with the sharding given (the DeepSpeed format shards with DeepSpeed
/// whatever the plan's sharding is called).
fn hf_arguments_sharded(job: &Job<'_>, sharding: HfSharding) -> Result<Map> {
    job.data_parallel_only("TrainingArguments")?;
    let t = job.training()?;
    let l = &job.layout;
    let (optim, optim_args) = hf_optim(job)?;
    let mut m = Map::new()
        .put("output_dir", job.output_dir()?)
        .put("per_device_train_batch_size", l.micro_batch)
        .put("gradient_accumulation_steps", l.micro_batches)
        .put("learning_rate", t.learning_rate)
        .put("max_steps", t.steps)
        .put("warmup_steps", t.warmup_steps);
    m = match t.schedule {
        // `cosine_with_min_lr` decays to `min_lr_rate` of the peak (transformers
        // optimization.py, get_cosine_with_min_lr_schedule_with_warmup).
        Schedule::Cosine => m.put("lr_scheduler_type", "cosine_with_min_lr").put(
            "lr_scheduler_kwargs",
            Map::new().put("min_lr_rate", COSINE_FLOOR),
        ),
        Schedule::Constant => m.put("lr_scheduler_type", "constant_with_warmup"),
        // `linear`: from the peak to 0 after the warm-up (transformers optimization.py,
        // get_linear_schedule_with_warmup).
        Schedule::Linear => m.put("lr_scheduler_type", "linear"),
    };
    m = m
        .put("optim", optim)
        .put_opt("optim_args", optim_args)
        .put("max_grad_norm", GRADIENT_CLIP)
        .put("save_strategy", "steps")
        .put("save_steps", t.save_steps)
        .put("gradient_checkpointing", hf_checkpointing(job)?);
    m = match job.half() {
        Some("bf16") => m.put("bf16", true),
        Some(_) => m.put("fp16", true),
        None => m,
    };
    if job.class() == DeviceClass::Cpu {
        m = m.put("use_cpu", true);
    }
    if job.world() > 1 {
        // `ddp_backend`: nccl, gloo, ... (transformers training_args.py); the plan's collective.
        if let Some(backend) = &job.plan.device.collective {
            if backend == "mlx" {
                return Err(job.refuse(
                    "device.collective",
                    "the plan's collective is MLX's, which PyTorch's DDP has no backend for; export mlx",
                ));
            }
            m = m.put("ddp_backend", backend);
        }
    }
    m = match sharding {
        HfSharding::None => m,
        HfSharding::Deepspeed => m.put("deepspeed", job.file("ds_config.json")),
        // `fsdp` options string and `fsdp_config` (transformers training_args.py, FSDPOption);
        // `auto_wrap` wraps the model's `_no_split_modules` (its decoder layers).
        HfSharding::Fsdp(kind, offload) => {
            let mut s = String::from(kind);
            s.push_str(" auto_wrap");
            if offload {
                s.push_str(" offload");
            }
            m.put("fsdp", s).put(
                "fsdp_config",
                Map::new()
                    .put("use_orig_params", true)
                    .put("backward_prefetch", "backward_pre"),
            )
        }
    };
    Ok(m)
}

/// The model, data and adapter flags of TRL's SFT script (trl/scripts/sft.py: `ScriptArguments`,
/// `SFTConfig.max_length`, `ModelConfig` in trl/trainer/model_config.py).
pub(super) fn script_flags(job: &Job<'_>) -> Result<Command> {
    let mut c = Command::default()
        .arg("--model_name_or_path", job.weights())
        .arg("--dataset_name", job.dataset())
        .arg("--max_length", job.c.sequence)
        .arg("--attn_implementation", hf_attention(job.c.attention));
    if job.pure_half() {
        let dtype = if job.half() == Some("bf16") {
            "bfloat16"
        } else {
            "float16"
        };
        c = c.arg("--dtype", dtype);
    }
    if job.adapter() {
        let r = job.lora_rank()?;
        c = c
            .arg("--use_peft", "true")
            .arg("--lora_r", r)
            .arg("--lora_alpha", lora_alpha(r))
            .arg("--lora_dropout", "0.0")
            .arg("--lora_target_modules", "all-linear");
    }
    if job.c.task == GoalTask::Qlora {
        c = c
            .arg("--load_in_4bit", "true")
            .arg("--bnb_4bit_quant_type", "nf4")
            .arg("--use_bnb_nested_quant", "true");
    }
    Ok(c)
}

/// `TrainingArguments` as `--key value` flags (HfArgumentParser: one flag per field; dict
/// fields such as `lr_scheduler_kwargs` take JSON text).
pub(super) fn hf_flags(m: &Map) -> Command {
    let mut c = Command::default();
    for (k, v) in &m.0 {
        let flag = format!("--{k}");
        c = match v {
            Value::Str(s) => c.arg(&flag, s),
            Value::Int(i) => c.arg(&flag, i),
            Value::Signed(i) => c.arg(&flag, i),
            Value::Float(f) => c.arg_f(&flag, *f),
            Value::Bool(b) => c.arg(&flag, if *b { "true" } else { "false" }),
            Value::List(_) | Value::Map(_) => {
                let json = text::json(v);
                c.arg(&flag, compact(&json))
            }
        };
    }
    c
}

/// JSON on one line (the pretty printer's newlines and indents dropped; strings in the
/// exported maps hold no newline, and `json` escapes any).
fn compact(pretty: &str) -> String {
    let mut out = String::new();
    for line in pretty.lines() {
        out.push_str(line.trim_start());
        if line.ends_with(',') || line.ends_with(':') {
            out.push(' ');
        }
    }
    out
}

/// The program the launchers run, then the TrainingArguments and script flags.
pub(super) fn hf_program(job: &Job<'_>) -> Result<Command> {
    let args = hf_training_arguments(job)?;
    let program = match &job.options.script {
        Some(s) => Command::default().word(s.as_str()),
        None => Command::new(&["-m", "trl.scripts.sft"]),
    };
    Ok(program.extend(&hf_flags(&args)).extend(&script_flags(job)?))
}

/// Extra files a Hugging Face program reads: `ds_config.json` when it shards with DeepSpeed.
pub(super) fn hf_companions(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    Ok(match hf_sharding(job)? {
        HfSharding::Deepspeed => vec![json_file(
            &job.file("ds_config.json"),
            &ds_config(job)?.into(),
        )],
        _ => Vec::new(),
    })
}

/// `accelerate launch` with the process flags of the configuration (Accelerate docs,
/// "accelerate launch" in package_reference/cli).
fn accelerate_launch(job: &Job<'_>, config_file: Option<&str>) -> Command {
    let mut c = Command::new(&["accelerate", "launch"]);
    if let Some(f) = config_file {
        c = c.arg("--config_file", f);
    } else {
        c = c
            .arg("--num_processes", job.world())
            .arg("--num_machines", job.nodes)
            .arg("--mixed_precision", job.half().unwrap_or("no"));
        if job.world() > 1 {
            c = c.word("--multi_gpu");
        }
        if job.class() == DeviceClass::Cpu {
            c = c.word("--cpu");
        }
    }
    if job.nodes > 1 {
        c = c
            .arg_shell(
                "--machine_rank",
                "\"${NODE_RANK:?set NODE_RANK to the rank of this machine}\"",
            )
            .arg("--main_process_ip", job.master_addr())
            .arg("--main_process_port", job.master_port());
    }
    c
}

/// `training_args.json` and `launch.sh` (the same values as `accelerate launch` flags).
pub(super) fn training_arguments(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    let args = hf_training_arguments(job)?;
    let launch = accelerate_launch(job, None).extend(&hf_program(job)?);
    let mut files = vec![
        json_file(&job.file("training_args.json"), &args.clone().into()),
        script_file(
            "launch.sh",
            &[
                &provenance(job),
                "TrainingArguments(**json.load(open(\"training_args.json\"))) in your script holds the same values as these flags.",
                "Flags: huggingface.co/docs/transformers/main_classes/trainer (TrainingArguments), TRL's sft script (ModelConfig, SFTConfig).",
            ],
            &launch.script(),
        ),
    ];
    files.extend(hf_companions(job)?);
    Ok(files)
}

/// `accelerate_config.yaml` (the keys `accelerate config` writes: accelerate
/// commands/config/cluster.py, `ClusterConfig`) and `launch.sh`.
pub(super) fn accelerate(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    let l = &job.layout;
    let world = job.world();
    let mut extra = Vec::new();
    let mut m = Map::new()
        .put("compute_environment", "LOCAL_MACHINE")
        .put("debug", false);
    if job.model_parallel() {
        // Megatron-LM plugin (accelerate utils/dataclasses.py, MegatronLMPlugin).
        if l.lighter_ends {
            return Err(job.refuse(
                "mesh.candidates[0].layout.lighter_ends",
                "the layout's first and last pipeline stages hold one layer fewer, and Accelerate's Megatron-LM plugin splits layers evenly; export megatron",
            ));
        }
        for (axis, v) in [
            ("virtual_stages", l.virtual_stages),
            ("context", l.context),
            ("expert", l.expert),
        ] {
            if v > 1 {
                return Err(job.refuse(
                    &format!("mesh.candidates[0].layout.{axis}"),
                    &format!("Accelerate's Megatron-LM plugin has no setting for {axis} of {v}; export megatron or torchtitan"),
                ));
            }
        }
        let distributed_optimizer = match l.sharding {
            Sharding::None => false,
            Sharding::Zero1 => true,
            s => {
                return Err(job.refuse(
                    "mesh.candidates[0].layout.sharding",
                    &format!("Accelerate's Megatron-LM plugin shards optimizer states only (use_distributed_optimizer, ZeRO-1), not {}; export torchtitan", s.as_str()),
                ))
            }
        };
        m = m.put("distributed_type", "MEGATRON_LM").put(
            "megatron_lm_config",
            Map::new()
                .put("megatron_lm_gradient_clipping", GRADIENT_CLIP)
                .put("megatron_lm_num_micro_batches", l.micro_batches)
                .put("megatron_lm_pp_degree", l.pipeline)
                .put(
                    "megatron_lm_recompute_activations",
                    job.c.checkpointing != Checkpointing::None,
                )
                .put("megatron_lm_sequence_parallelism", l.sequence_parallel)
                .put("megatron_lm_tp_degree", l.tensor)
                .put(
                    "megatron_lm_use_distributed_optimizer",
                    distributed_optimizer,
                ),
        );
    } else {
        match hf_sharding(job)? {
            HfSharding::Deepspeed => {
                extra.push(json_file(
                    &job.file("ds_config.json"),
                    &ds_config(job)?.into(),
                ));
                m = m.put("distributed_type", "DEEPSPEED").put(
                    "deepspeed_config",
                    Map::new()
                        .put("deepspeed_config_file", job.file("ds_config.json"))
                        .put("zero3_init_flag", ds_stage(job)? == 3),
                );
            }
            HfSharding::Fsdp(kind, offload) => {
                // fsdp_config keys of `accelerate config` (FullyShardedDataParallelPlugin).
                let strategy = if kind == "full_shard" {
                    "FULL_SHARD"
                } else {
                    "SHARD_GRAD_OP"
                };
                m = m.put("distributed_type", "FSDP").put(
                    "fsdp_config",
                    Map::new()
                        .put("fsdp_activation_checkpointing", hf_checkpointing(job)?)
                        .put("fsdp_auto_wrap_policy", "TRANSFORMER_BASED_WRAP")
                        .put("fsdp_backward_prefetch", "BACKWARD_PRE")
                        .put("fsdp_offload_params", offload)
                        .put("fsdp_sharding_strategy", strategy)
                        // Phase A of two ends with the full weights: the Trainer's save_model
                        // writes what phase B's from_pretrained loads only with
                        // FULL_STATE_DICT (transformers trainer.py, save_model).
                        .put(
                            "fsdp_state_dict_type",
                            if job.part == Part::A {
                                "FULL_STATE_DICT"
                            } else {
                                "SHARDED_STATE_DICT"
                            },
                        )
                        .put("fsdp_use_orig_params", true),
                );
            }
            HfSharding::None => {
                let t = match (world > 1, job.class()) {
                    (false, _) => "NO",
                    (true, DeviceClass::Cpu) => "MULTI_CPU",
                    (true, DeviceClass::IntelGpu) => "MULTI_XPU",
                    (true, DeviceClass::AppleGpu) => {
                        return Err(job.refuse(
                            "devices",
                            "Accelerate runs one process on Apple's MPS device; several Apple GPUs need MLX, export mlx",
                        ))
                    }
                    (true, _) => "MULTI_GPU",
                };
                m = m.put("distributed_type", t);
            }
        }
    }
    m = m
        .put("downcast_bf16", "no")
        .put("machine_rank", 0u64)
        .put("main_training_function", "main")
        .put("mixed_precision", job.half().unwrap_or("no"))
        .put("num_machines", job.nodes)
        .put("num_processes", world)
        .put("rdzv_backend", "static")
        .put("same_network", true)
        .put("use_cpu", job.class() == DeviceClass::Cpu);
    if job.nodes > 1 {
        m = m
            .put("main_process_ip", job.master_addr())
            .put("main_process_port", u64::from(job.master_port()));
    }
    let program = if job.model_parallel() {
        // The Megatron-LM plugin takes the TrainingArguments-free flags of the script only.
        let t = job.training()?;
        let script = job
            .options
            .script
            .clone()
            .unwrap_or_else(|| String::from("<TRAIN_SCRIPT>"));
        Command::default()
            .word(script)
            .extend(&script_flags(job)?)
            .arg("--per_device_train_batch_size", l.micro_batch)
            .arg("--gradient_accumulation_steps", l.micro_batches)
            .arg_f("--learning_rate", t.learning_rate)
            .arg("--max_train_steps", t.steps)
            .arg("--num_warmup_steps", t.warmup_steps)
            .arg("--output_dir", job.output_dir()?)
    } else {
        hf_program(job)?
    };
    let launch = accelerate_launch(job, Some(&job.file("accelerate_config.yaml"))).extend(&program);
    let mut files = vec![
        yaml_file(
            &job.file("accelerate_config.yaml"),
            &format!(
                "# {}\n# Keys: huggingface.co/docs/accelerate/package_reference/cli (accelerate config), accelerate/commands/config/cluster.py.\n",
                provenance(job)
            ),
            &m.into(),
        ),
        script_file(
            "launch.sh",
            &[&provenance(job), "accelerate launch: huggingface.co/docs/accelerate/basic_tutorials/launch"],
            &launch.script(),
        ),
    ];
    files.extend(extra);
    Ok(files)
}

/// The ZeRO stage of the configuration's sharding (DeepSpeed docs, "ZeRO Optimizations");
/// FSDP's strategies are the same partitioning (`shard_grad_op` = ZeRO-2, `full_shard` =
/// ZeRO-3, PyTorch FSDP docs, ShardingStrategy).
fn ds_stage(job: &Job<'_>) -> Result<u64> {
    let off = job.c.offload;
    let stage = match job.sharding() {
        Sharding::None if off.optimizer || off.parameters => {
            if job.world() > 1 {
                return Err(job.refuse(
                    "sharding",
                    "the configuration offloads without sharding over several devices, and DeepSpeed offloads only with ZeRO (stage 1 or more), which shards",
                ));
            }
            // On one process every stage holds the whole state: stage 2 is ZeRO-Offload's,
            // with no partitioning (DeepSpeed tutorial "ZeRO-Offload").
            if off.parameters {
                3
            } else {
                2
            }
        }
        Sharding::None => 0,
        Sharding::Zero1 => 1,
        Sharding::Zero2 | Sharding::FsdpShardGradOp => 2,
        Sharding::Zero3 | Sharding::FsdpFullShard => 3,
    };
    if off.parameters && stage != 3 {
        return Err(job.refuse(
            "offload.parameters",
            &format!("DeepSpeed offloads parameters with ZeRO stage 3 only and the sharding is stage {stage}"),
        ));
    }
    Ok(stage)
}

/// The DeepSpeed config (deepspeed.ai/docs/config-json).
pub(super) fn ds_config(job: &Job<'_>) -> Result<Map> {
    job.data_parallel_only("DeepSpeed's config")?;
    if job.class() == DeviceClass::AppleGpu {
        return Err(job.refuse(
            "device.class",
            "DeepSpeed trains on CUDA, ROCm, XPU and a few other accelerators, not on Apple GPUs; export mlx",
        ));
    }
    let t = job.training()?;
    let l = &job.layout;
    let stage = ds_stage(job)?;
    // train_batch_size = micro-batch x accumulation x data-parallel ranks (DeepSpeed checks it).
    if l.micro_batch * l.micro_batches * l.data != job.c.global_batch {
        return Err(job.refuse(
            "global_batch",
            &format!(
                "DeepSpeed requires train_batch_size = micro-batch x accumulation x ranks, and {} != {} x {} x {}",
                job.c.global_batch, l.micro_batch, l.micro_batches, l.data
            ),
        ));
    }
    // An optimizer section: its type, the learning rate and SGD's momentum when it has one.
    let section = |name: &str, momentum: Option<f64>| {
        Map::new().put("type", name).put(
            "params",
            Map::new()
                .put("lr", t.learning_rate)
                .put_opt("momentum", momentum),
        )
    };
    let optimizer = match job.c.optimizer {
        Some(Optimizer::Adamw) | None => Some(section("AdamW", None)),
        // A name DeepSpeed does not implement is looked up in torch.optim
        // (deepspeed/runtime/engine.py, _configure_basic_optimizer).
        Some(Optimizer::Sgd) => Some(section("SGD", None)),
        Some(Optimizer::SgdMomentum) => Some(section("SGD", Some(SGD_MOMENTUM))),
        Some(Optimizer::Lion) => Some(section("Lion", None)),
        Some(Optimizer::Adafactor) => Some(section("Adafactor", None)),
        // DeepSpeed's optimizer section has no bitsandbytes 8-bit AdamW, so there is none: the
        // Trainer then builds its own optimizer from `--optim adamw_bnb_8bit`, sets
        // `zero_allow_untested_optimizer` and hands it to DeepSpeed, which runs the scheduler
        // below with it ("DS scheduler + HF optimizer: Yes" in transformers
        // integrations/deepspeed.py, deepspeed_optim_sched). Not with offload: the Trainer
        // raises "ZeRO Offload can only work with DeepSpeed optimizers" (refused below).
        Some(Optimizer::Adamw8bit) => None,
    };
    let off = job.c.offload;
    if off.optimizer && !matches!(job.c.optimizer, Some(Optimizer::Adamw) | None) {
        return Err(job.refuse(
            "offload.optimizer",
            "DeepSpeed runs an offloaded optimizer step with its CPU Adam only (DeepSpeedCPUAdam); the configuration's optimizer is not AdamW",
        ));
    }
    let scheduler = match t.schedule {
        // WarmupCosineLR: linear warm-up, then cosine to cos_min_ratio of the peak.
        Schedule::Cosine => Map::new().put("type", "WarmupCosineLR").put(
            "params",
            Map::new()
                .put("total_num_steps", t.steps)
                .put("warmup_num_steps", t.warmup_steps)
                .put("warmup_min_ratio", 0.0)
                .put("cos_min_ratio", COSINE_FLOOR)
                .put("warmup_type", "linear"),
        ),
        Schedule::Constant => Map::new().put("type", "WarmupLR").put(
            "params",
            Map::new()
                .put("warmup_min_lr", 0.0)
                .put("warmup_max_lr", t.learning_rate)
                .put("warmup_num_steps", t.warmup_steps)
                .put("warmup_type", "linear"),
        ),
        // WarmupDecayLR: warm-up from warmup_min_lr, then linear decay to 0 at total_num_steps
        // (deepspeed/runtime/lr_schedules.py). It runs at least 2 warm-up steps
        // (`max(2, warmup_num_steps)`), so phase B's "no warm-up" starts at 0 and half the peak
        // for its first 2 steps; the Trainer checks warmup_num_steps against its own
        // warmup_steps, so the plan's 0 is written.
        Schedule::Linear => Map::new().put("type", "WarmupDecayLR").put(
            "params",
            Map::new()
                .put("total_num_steps", t.steps)
                .put("warmup_min_lr", 0.0)
                .put("warmup_max_lr", t.learning_rate)
                .put("warmup_num_steps", t.warmup_steps)
                .put("warmup_type", "linear"),
        ),
    };
    let mut zero = Map::new().put("stage", stage);
    if stage > 0 {
        zero = zero.put("overlap_comm", l.overlap_grad_reduce);
    }
    if stage == 1 || stage == 2 {
        // ZeRO-1/2 allocate their gradient buckets whole when backward starts: one of
        // reduce_bucket_size elements, two with overlap_comm (DeepSpeedZeroOptimizer.backward,
        // deepspeed/runtime/zero/stage_1_and_2.py), 5e8 by default however small the model. The
        // plan counts min(5e8, trainable) elements for them in all (on one device, the gradients
        // they hold), so each bucket gets its share of that.
        let budget = crate::memory::REDUCE_BUCKET
            .min(job.c.memory.parameters.trainable)
            .max(1);
        let buckets = if l.overlap_grad_reduce { 2 } else { 1 };
        zero = zero.put("reduce_bucket_size", budget.div_ceil(buckets));
    }
    if stage == 3 && job.part == Part::A {
        // ZeRO-3 partitions the weights: the Trainer's save_model writes them for phase B's
        // from_pretrained only when gathered (transformers trainer.py, save_model; otherwise
        // a DeepSpeed checkpoint that needs zero_to_fp32.py).
        zero = zero.put("stage3_gather_16bit_weights_on_model_save", true);
    }
    if off.optimizer {
        zero = zero.put(
            "offload_optimizer",
            Map::new().put("device", "cpu").put("pin_memory", true),
        );
    }
    if off.parameters {
        zero = zero.put(
            "offload_param",
            Map::new().put("device", "cpu").put("pin_memory", true),
        );
    }
    let mut m = Map::new()
        .put("train_batch_size", job.c.global_batch)
        .put("train_micro_batch_size_per_gpu", l.micro_batch)
        .put("gradient_accumulation_steps", l.micro_batches)
        .put("gradient_clipping", GRADIENT_CLIP);
    m = match job.half() {
        Some("bf16") => m.put("bf16", Map::new().put("enabled", true)),
        // Dynamic loss scaling (loss_scale 0) from 2^16, DeepSpeed's documented defaults.
        Some(_) => m.put(
            "fp16",
            Map::new()
                .put("enabled", true)
                .put("loss_scale", 0u64)
                .put("initial_scale_power", 16u64)
                .put("loss_scale_window", 1000u64)
                .put("hysteresis", 2u64)
                .put("min_loss_scale", 1u64),
        ),
        None => m,
    };
    let m = m.put("zero_optimization", zero);
    let m = match optimizer {
        Some(o) => m.put("optimizer", o),
        None => m,
    };
    Ok(m.put("scheduler", scheduler))
}

/// `ds_config.json` and `launch.sh` with the `deepspeed` launcher (deepspeed.ai/getting-started,
/// "Launching DeepSpeed Training"; multi-node from a hostfile).
pub(super) fn deepspeed(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    let cfg = ds_config(job)?;
    let mut launch = Command::new(&["deepspeed"]);
    let mut files = Vec::new();
    if job.nodes > 1 {
        launch = launch
            .arg("--hostfile", "hostfile")
            .arg("--num_nodes", job.nodes)
            .arg("--num_gpus", job.per_node)
            .arg("--master_addr", job.master_addr())
            .arg("--master_port", job.master_port());
        let mut hosts = String::new();
        for i in 0..job.nodes {
            hosts.push_str(&format!("<HOST_{i}> slots={}\n", job.per_node));
        }
        files.push(super::ExportFile {
            name: String::from("hostfile"),
            media_type: String::from("text/plain"),
            text: hosts,
        });
    } else {
        launch = launch.arg("--num_gpus", job.per_node);
    }
    // The Trainer checks that ds_config.json and its own arguments agree (learning rate, batch,
    // accumulation, clipping, precision: transformers integrations/deepspeed.py,
    // HfTrainerDeepSpeedConfig.trainer_config_process), so the launch passes them all.
    let args = hf_arguments_sharded(job, HfSharding::Deepspeed)?;
    let program = match &job.options.script {
        Some(s) => Command::default().word(s.as_str()),
        None => Command::new(&["-m", "trl.scripts.sft"]),
    };
    launch = launch
        .extend(&program)
        .extend(&hf_flags(&args))
        .extend(&script_flags(job)?);
    let mut out = vec![
        json_file(&job.file("ds_config.json"), &cfg.into()),
        script_file(
            "launch.sh",
            &[
                &provenance(job),
                "deepspeed launcher: deepspeed.ai/getting-started; the script's flags must match ds_config.json (transformers checks batch, accumulation and precision).",
            ],
            &launch.script(),
        ),
    ];
    out.extend(files);
    Ok(out)
}

/// `lora_config.json` for `LoraConfig(**json)` (PEFT, src/peft/tuners/lora/config.py), and
/// `bnb_config.json` for `BitsAndBytesConfig(**json)` (transformers
/// utils/quantization_config.py) for QLoRA.
pub(super) fn peft(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    if !job.adapter() {
        return Err(job.refuse(
            "task",
            &format!("PEFT's LoraConfig describes adapters and the configuration's task is {} (all weights trained)", job.c.task.as_str()),
        ));
    }
    let r = job.lora_rank()?;
    let lora = Map::new()
        .put("peft_type", "LORA")
        .put("task_type", "CAUSAL_LM")
        .put("r", r)
        .put("lora_alpha", lora_alpha(r))
        .put("lora_dropout", 0.0)
        // "all-linear": every linear layer but the output head, the planner's targets.
        .put("target_modules", "all-linear")
        .put("bias", "none");
    let mut files = vec![json_file("lora_config.json", &lora.into())];
    if job.c.task == GoalTask::Qlora {
        // QLoRA's recipe: NF4 with double quantisation (Dettmers et al. 2023, §3), computing in
        // the recipe's 16-bit type.
        let compute = match job.half() {
            Some("bf16") => "bfloat16",
            Some(_) => "float16",
            None => "float32",
        };
        files.push(json_file(
            "bnb_config.json",
            &Map::new()
                .put("load_in_4bit", true)
                .put("bnb_4bit_quant_type", "nf4")
                .put("bnb_4bit_use_double_quant", true)
                .put("bnb_4bit_compute_dtype", compute)
                .into(),
        ));
    }
    Ok(files)
}

/// `axolotl.yaml` (axolotl docs, docs.axolotl.ai/docs/config-reference.html).
pub(super) fn axolotl(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    job.data_parallel_only("axolotl")?;
    if job.c.model.origin == ModelOrigin::Generated {
        return Err(job.refuse(
            "model.origin",
            &format!("axolotl fine-tunes a base_model with weights, and the plan's model {} is a generated shape to pretrain from scratch; export megatron", job.c.model.name),
        ));
    }
    let t = job.training()?;
    let l = &job.layout;
    let (optim, optim_args) = hf_optim(job)?;
    let mut m = Map::new().put("base_model", job.weights());
    if job.c.task == GoalTask::Qlora {
        m = m.put("load_in_4bit", true).put("adapter", "qlora");
    } else if job.c.task == GoalTask::Lora {
        m = m.put("adapter", "lora");
    }
    if job.adapter() {
        let r = job.lora_rank()?;
        m = m
            .put("lora_r", r)
            .put("lora_alpha", lora_alpha(r))
            .put("lora_dropout", 0.0)
            .put("lora_target_linear", true);
    }
    m = m
        .put(
            "datasets",
            vec![Value::from(
                Map::new()
                    .put("path", job.dataset())
                    .put("type", "completion"),
            )],
        )
        .put("sequence_len", job.c.sequence)
        .put("micro_batch_size", l.micro_batch)
        .put("gradient_accumulation_steps", l.micro_batches)
        .put("max_steps", t.steps)
        .put("optimizer", optim)
        .put_opt("optim_args", optim_args)
        .put("learning_rate", t.learning_rate)
        .put("warmup_steps", t.warmup_steps);
    m = match t.schedule {
        Schedule::Cosine => m
            .put("lr_scheduler", "cosine")
            .put("cosine_min_lr_ratio", COSINE_FLOOR),
        Schedule::Constant => m.put("lr_scheduler", "constant_with_warmup"),
        Schedule::Linear => m.put("lr_scheduler", "linear"),
    };
    m = m
        .put("max_grad_norm", GRADIENT_CLIP)
        .put("save_steps", t.save_steps)
        .put("output_dir", job.output_dir()?)
        .put("gradient_checkpointing", hf_checkpointing(job)?);
    m = match job.half() {
        Some("bf16") => m.put("bf16", true),
        Some(_) => m.put("fp16", true),
        None => m,
    };
    m = match job.c.attention {
        AttentionImpl::Flash => m.put("flash_attention", true),
        AttentionImpl::Sdpa => m.put("sdp_attention", true),
        AttentionImpl::Eager => m,
    };
    let mut files = Vec::new();
    m = match hf_sharding(job)? {
        HfSharding::None => m,
        HfSharding::Deepspeed => {
            files.push(json_file(
                &job.file("ds_config.json"),
                &ds_config(job)?.into(),
            ));
            m.put("deepspeed", job.file("ds_config.json"))
        }
        HfSharding::Fsdp(kind, offload) => m.put("fsdp", vec![kind, "auto_wrap"]).put(
            "fsdp_config",
            Map::new()
                .put("fsdp_auto_wrap_policy", "TRANSFORMER_BASED_WRAP")
                .put("fsdp_offload_params", offload)
                .put("fsdp_state_dict_type", "SHARDED_STATE_DICT"),
        ),
    };
    let run = match &job.part {
        Part::Whole => String::from("axolotl train axolotl.yaml"),
        Part::A => String::from(
            "axolotl train axolotl.yaml, then phase B: axolotl train axolotl_phase_b.yaml",
        ),
        Part::B { from } => format!(
            "after phase A (axolotl.yaml), axolotl train axolotl_phase_b.yaml; base_model is phase A's saved model in {}",
            from.replace('\n', " ")
        ),
    };
    let mut out = vec![yaml_file(
        &job.file("axolotl.yaml"),
        &format!(
            "# {}\n# Run: {run} (processes: accelerate's, {} per machine).\n# Keys: docs.axolotl.ai/docs/config-reference.html\n",
            provenance(job),
            job.per_node
        ),
        &m.into(),
    )];
    out.extend(files);
    Ok(out)
}

/// mlx-lm's LoRA config (mlx_lm/lora.py, CONFIG_DEFAULTS and the example
/// mlx_lm/examples/lora_config.yaml) and the launch line.
pub(super) fn mlx(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    if job.class() != DeviceClass::AppleGpu {
        return Err(job.refuse(
            "device.class",
            &format!("the plan's memory model for {} devices is PyTorch's, not MLX's; export training_arguments or torchrun", super::class_name(job.class())),
        ));
    }
    job.data_parallel_only("mlx-lm")?;
    if job.sharding() != Sharding::None || job.c.offload.optimizer || job.c.offload.parameters {
        return Err(job.refuse(
            "sharding",
            "mlx-lm replicates the model on every process and has no sharding or offload",
        ));
    }
    let fine_tune_type = match job.c.task {
        GoalTask::Lora | GoalTask::Qlora => "lora",
        GoalTask::Finetune => "full",
        GoalTask::Pretrain | GoalTask::Serve => {
            return Err(job.refuse(
                "task",
                "mlx-lm fine-tunes a model with weights; pretraining a generated shape from scratch has no mlx-lm config",
            ))
        }
    };
    if job.c.task == GoalTask::Qlora {
        // mlx-lm trains QLoRA on a model quantised beforehand (mlx_lm.convert -q); the
        // config names that model, so the plan's 4-bit NF4 is not a key of the YAML.
        return Err(job.refuse(
            "task",
            "mlx-lm's QLoRA is LoRA on a model quantised beforehand with mlx_lm.convert -q (its own 4-bit affine format, not NF4); export peft or plan lora",
        ));
    }
    let t = job.training()?;
    let l = &job.layout;
    let optimizer = match job.c.optimizer {
        Some(Optimizer::Adamw) | None => "adamw",
        Some(Optimizer::Sgd) => "sgd",
        Some(Optimizer::Adafactor) => "adafactor",
        Some(o) => {
            return Err(job.refuse(
                "optimizer",
                &format!(
                    "mlx-lm's optimizers are adam, adamw, sgd, adafactor and muon, not {}",
                    o.as_str()
                ),
            ))
        }
    };
    let decay_steps = t.steps.saturating_sub(t.warmup_steps).max(1);
    // mlx-lm's `lr_schedule`: an mlx.optimizers schedule and its arguments, after a linear
    // warm-up from 0.
    let (name, arguments) = match t.schedule {
        // cosine_decay(init, decay_steps, end).
        Schedule::Cosine => (
            "cosine_decay",
            vec![
                Value::Float(t.learning_rate),
                Value::Int(decay_steps),
                Value::Float(t.learning_rate * COSINE_FLOOR),
            ],
        ),
        // linear_schedule(init, end, steps): from the peak to the peak (constant) or to 0.
        Schedule::Constant | Schedule::Linear => (
            "linear_schedule",
            vec![
                Value::Float(t.learning_rate),
                Value::Float(if t.schedule == Schedule::Linear {
                    0.0
                } else {
                    t.learning_rate
                }),
                Value::Int(decay_steps),
            ],
        ),
    };
    let schedule = Map::new()
        .put("name", name)
        .put("warmup", t.warmup_steps)
        .put("warmup_init", 0.0)
        .put("arguments", arguments);
    let mut m = Map::new()
        .put("model", job.model())
        .put("train", true)
        .put("fine_tune_type", fine_tune_type)
        .put("data", job.dataset())
        .put("optimizer", optimizer)
        // `-1`: every layer, as the plan's all-linear targets (mlx-lm's default is 16).
        .put("num_layers", -1i64)
        // One batch over all processes: mlx-lm splits it across ranks (mlx_lm/tuner/trainer.py).
        .put("batch_size", l.micro_batch * l.data)
        .put("grad_accumulation_steps", l.micro_batches)
        .put("iters", t.steps)
        .put("learning_rate", t.learning_rate)
        .put("lr_schedule", schedule)
        .put("max_seq_length", job.c.sequence)
        .put(
            "grad_checkpoint",
            job.c.checkpointing != Checkpointing::None,
        )
        .put("save_every", t.save_steps)
        .put("adapter_path", job.output_dir()?);
    if job.adapter() {
        let r = job.lora_rank()?;
        // scale = lora_alpha / r, PEFT's scaling, with the plan's alpha of 2r.
        m = m.put(
            "lora_parameters",
            Map::new()
                .put("rank", r)
                .put("scale", lora_alpha(r) as f64 / r as f64)
                .put("dropout", 0.0),
        );
    }
    let run = Command::new(&["mlx_lm.lora", "--config", "mlx_lora.yaml"]);
    let body = if l.data > 1 || job.nodes > 1 {
        let hosts = job
            .options
            .hosts
            .clone()
            .unwrap_or_else(|| String::from(super::HOSTS_PLACEHOLDER));
        // mlx.launch: ml-explore.github.io/mlx/build/html/usage/launching_distributed.html
        Command::new(&["mlx.launch"])
            .arg("--hosts", hosts)
            .arg("--backend", "ring")
            .arg("-n", job.per_node)
            .word("--")
            .extend(&run)
            .script()
    } else {
        run.script()
    };
    Ok(vec![
        yaml_file(
            "mlx_lora.yaml",
            &format!("# {}\n# Keys: mlx-lm, mlx_lm/lora.py (CONFIG_DEFAULTS) and mlx_lm/examples/lora_config.yaml.\n", provenance(job)),
            &m.into(),
        ),
        script_file("mlx.sh", &[&provenance(job)], &body),
    ])
}
