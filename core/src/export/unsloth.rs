//! Unsloth: a training script calling `FastLanguageModel.from_pretrained`,
//! `FastLanguageModel.get_peft_model` and TRL's `SFTTrainer`, and its launch line.
//!
//! Parameter names and defaults are Unsloth 2026.10.9's (the wheel on PyPI):
//! `FastLanguageModel.from_pretrained` in unsloth/models/loader.py, `get_peft_model` in
//! unsloth/models/llama.py (`FastLlamaModel.get_peft_model`, which `FastLanguageModel` wraps), and
//! on a machine without a GPU unsloth_zoo/cpu/loader.py (`FastCPUModel`, which unsloth/_cpu_init.py
//! installs as `FastLanguageModel`). tests/export/validate.py checks every keyword written here
//! against those signatures in the wheels.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::text::{self, Command, Map, Value};
use super::{lora_alpha, parallel, provenance, script_file, ExportFile, Job, Part};
use crate::error::Result;
use crate::plan::{DeviceClass, GoalTask, ModelOrigin};
use crate::request::{Checkpointing, Optimizer, Precision, Sharding};

/// The version whose source the keywords were read from.
pub(crate) const UNSLOTH_VERSION: &str = "2026.10.9";

/// `random_state` (the adapter's initialisation seed): 3407, the default of Unsloth's
/// `get_peft_model` (unsloth/models/llama.py) and of its notebooks.
const RANDOM_STATE: u64 = 3407;

/// A Python literal of an exported value: strings as JSON writes them (JSON's escapes are
/// Python's), `True`/`False`, integers, floats with a point, lists and dicts.
fn py(v: &Value) -> String {
    match v {
        Value::Str(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Int(i) => format!("{i}"),
        Value::Signed(i) => format!("{i}"),
        Value::Float(f) => text::float(*f),
        Value::Bool(b) => String::from(if *b { "True" } else { "False" }),
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(py).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Map(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|(k, v)| format!("{}: {}", py(&Value::Str(k.clone())), py(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Python source the exporter writes itself (`torch.bfloat16`, `None`, a name).
enum Arg {
    Value(Value),
    Code(&'static str),
}

impl<T: Into<Value>> From<T> for Arg {
    fn from(v: T) -> Self {
        Arg::Value(v.into())
    }
}

/// A call's keyword arguments, one `name = value,` per line (Unsloth's own style).
#[derive(Default)]
struct Call(Vec<(String, Arg)>);

impl Call {
    fn kw(mut self, name: &str, value: impl Into<Arg>) -> Self {
        self.0.push((String::from(name), value.into()));
        self
    }

    fn code(mut self, name: &str, code: &'static str) -> Self {
        self.0.push((String::from(name), Arg::Code(code)));
        self
    }

    /// `callee(` then the positional words and the keywords indented by `indent`, then `)`.
    fn render(&self, callee: &str, positional: &[&str], indent: &str) -> String {
        let mut out = format!("{callee}(\n");
        for p in positional {
            out.push_str(&format!("{indent}    {p},\n"));
        }
        for (k, v) in &self.0 {
            let value = match v {
                Arg::Value(v) => py(v),
                Arg::Code(c) => String::from(*c),
            };
            out.push_str(&format!("{indent}    {k} = {value},\n"));
        }
        out.push_str(&format!("{indent})"));
        out
    }
}

/// The devices Unsloth trains on, or a refusal.
fn check_devices(job: &Job<'_>) -> Result<()> {
    match job.class() {
        // Unsloth's README (2026.10.9): "We support Multi GPU setups, NVIDIA, AMD, Intel GPUs,
        // CPUs"; one process per GPU under torchrun (unsloth/models/loader.py places one whole
        // model per rank, LOCAL_RANK's device).
        DeviceClass::NvidiaGpu | DeviceClass::AmdGpu | DeviceClass::IntelGpu => Ok(()),
        DeviceClass::Cpu => {
            if job.c.task == GoalTask::Qlora {
                return Err(job.refuse(
                    "task",
                    "Unsloth's CPU loader (unsloth_zoo/cpu/loader.py) loads 16-bit weights instead of 4-bit where bitsandbytes' CPU backend does not run, so the plan's QLoRA memory would not hold; plan lora or export peft",
                ));
            }
            if job.world() > 1 {
                return Err(job.refuse(
                    "devices",
                    "Unsloth's CPU path (unsloth/_cpu_init.py) trains in one process",
                ));
            }
            Ok(())
        }
        DeviceClass::AppleGpu => Err(job.refuse(
            "device.class",
            "Unsloth on macOS trains through MLX (unsloth_zoo.mlx's loader and trainer), not the FastLanguageModel and SFTTrainer of this script; export mlx",
        )),
    }
}

/// `unsloth_train.py` and `launch.sh`.
pub(super) fn unsloth(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    check_devices(job)?;
    job.data_parallel_only("Unsloth")?;
    if job.c.model.origin == ModelOrigin::Generated {
        return Err(job.refuse(
            "model.origin",
            &format!("Unsloth's from_pretrained loads a model with weights, and the plan's model {} is a generated shape to pretrain from scratch; export megatron", job.c.model.name),
        ));
    }
    if job.sharding() != Sharding::None || job.c.offload.optimizer || job.c.offload.parameters {
        return Err(job.refuse(
            "sharding",
            "this script runs Unsloth with one whole model per process (DDP); the configuration shards or offloads model states, export training_arguments, deepspeed or accelerate",
        ));
    }
    let checkpointing = match job.c.checkpointing {
        // "unsloth": Unsloth's own recomputation, which also moves the saved layer inputs to
        // host memory (PEFT and transformers keep them on the GPU); GPU memory is at most the
        // plan's.
        Checkpointing::Full => "\"unsloth\"",
        Checkpointing::None => "False",
        Checkpointing::Selective => {
            return Err(job.refuse(
                "checkpointing",
                "Unsloth recomputes whole decoder layers; selective recomputation (attention only) is Megatron-LM's, export megatron",
            ))
        }
    };
    // from_pretrained's dtype is the weights' type: 16-bit for bf16/fp16 recipes and frozen
    // weights, fp32 master weights for mixed precision (the trainer's bf16/fp16 autocasts).
    let dtype = match job.c.precision {
        Precision::Bf16 => "torch.bfloat16",
        Precision::Fp16 => "torch.float16",
        _ if job.adapter() => match job.half() {
            Some("bf16") => "torch.bfloat16",
            Some(_) => "torch.float16",
            None => "torch.float32",
        },
        _ => "torch.float32",
    };
    let mut load = Call::default()
        .kw("model_name", job.weights())
        .kw("max_seq_length", job.c.sequence)
        .code("dtype", dtype)
        // load_in_4bit defaults to True in Unsloth (PEFT loads what it is given): said always.
        // Unsloth's 4-bit is NF4 with double quantisation (FastLlamaModel.from_pretrained's
        // BitsAndBytesConfig), the plan's QLoRA.
        .kw("load_in_4bit", job.c.task == GoalTask::Qlora);
    let mut peft = None;
    match job.c.task {
        GoalTask::Lora => load = load.kw("load_in_16bit", true),
        GoalTask::Qlora => {}
        _ => {
            // All weights trained: Unsloth's full fine-tuning (from_pretrained's full_finetuning)
            // takes the recomputation at load time, as there is no get_peft_model call.
            load = load
                .kw("full_finetuning", true)
                .code("use_gradient_checkpointing", checkpointing);
        }
    }
    if job.adapter() {
        let r = job.lora_rank()?;
        peft = Some(
            Call::default()
                .kw("r", r)
                // "all-linear": every linear layer but the head, the planner's targets and the
                // peft export's; Unsloth resolves it as PEFT does (llama.py,
                // _resolve_all_linear).
                .kw("target_modules", "all-linear")
                .kw("lora_alpha", lora_alpha(r))
                // Dropout 0 and no bias keep Unsloth's fused LoRA kernels (its fast path; it
                // warns and patches fewer layers otherwise).
                .kw("lora_dropout", 0.0)
                .kw("bias", "none")
                .code("use_gradient_checkpointing", checkpointing)
                // PEFT seeds the adapter from the global seed; Unsloth takes its own.
                .kw("random_state", RANDOM_STATE)
                // alpha / r scaling (PEFT's default), not alpha / sqrt(r).
                .kw("use_rslora", false)
                .code("loftq_config", "None"),
        );
    }
    // The trainer's arguments: the training_arguments export's, whose recomputation flag is
    // left out (Unsloth applies its own, above).
    let mut args = Map::new();
    for (k, v) in super::train::hf_training_arguments(job)?.0 {
        match k.as_str() {
            "gradient_checkpointing" => {}
            // "adamw_8bit": bitsandbytes' 8-bit AdamW, the name Unsloth's notebooks use
            // (transformers OptimizerNames.ADAMW_8BIT).
            "optim" if job.c.optimizer == Some(Optimizer::Adamw8bit) => {
                args = args.put("optim", "adamw_8bit");
            }
            _ => args.0.push((k, v)),
        }
    }
    // SFTConfig.max_length: the sequence the trainer truncates to.
    args = args.put("max_length", job.c.sequence);
    let mut sft = Call::default();
    for (k, v) in args.0 {
        sft = sft.kw(&k, v);
    }

    let mut py_text = String::new();
    py_text.push_str(&format!("# {}\n", provenance(job)));
    py_text.push_str(&format!(
        "# Unsloth {UNSLOTH_VERSION}: FastLanguageModel.from_pretrained (unsloth/models/loader.py), get_peft_model\n\
         # (unsloth/models/llama.py), TRL's SFTTrainer. Where Unsloth differs from PEFT's LoraConfig\n\
         # (lora_config.json of the peft format holds the same adapter):\n\
         #   use_gradient_checkpointing = \"unsloth\" recomputes layers and keeps their inputs in host memory;\n\
         #   lora_dropout = 0 with bias = \"none\" is Unsloth's fused fast path;\n\
         #   random_state seeds the adapter (PEFT takes the global seed);\n\
         #   load_in_4bit defaults to True in Unsloth, so it is always written.\n"
    ));
    py_text.push_str(&match (&job.part, job.world() > 1) {
        (Part::Whole, false) => format!("# Run: python {}\n", job.file("unsloth_train.py")),
        (Part::Whole, true) => {
            String::from("# Run: bash launch.sh (torchrun, one process per GPU).\n")
        }
        // launch.sh runs the phases in order.
        (Part::A, _) => String::from(
            "# Run: bash launch.sh (phase A, then phase B from phase A's saved model).\n",
        ),
        (Part::B { from }, _) => format!(
            "# Phase B, from phase A's saved model in {}; run by launch.sh after phase A.\n",
            from.replace('\n', " ")
        ),
    });
    py_text.push_str(
        "from unsloth import FastLanguageModel  # first: Unsloth patches transformers and TRL\n",
    );
    py_text.push_str("import torch\nfrom datasets import load_dataset\nfrom trl import SFTConfig, SFTTrainer\n\n");
    py_text.push_str(&format!(
        "model, tokenizer = {}\n",
        load.render("FastLanguageModel.from_pretrained", &[], "")
    ));
    if let Some(p) = &peft {
        py_text.push_str(&format!(
            "model = {}\n",
            p.render("FastLanguageModel.get_peft_model", &["model"], "")
        ));
    }
    py_text.push_str(&format!(
        "dataset = load_dataset({}, split = \"train\")\n",
        py(&Value::Str(job.dataset()))
    ));
    py_text.push_str(&format!(
        "trainer = SFTTrainer(\n    model = model,\n    processing_class = tokenizer,\n    train_dataset = dataset,\n    args = {},\n)\ntrainer.train()\n",
        sft.render("SFTConfig", &[], "    ")
    ));
    if job.part == Part::A {
        // The weights phase B starts from, in output_dir (SFTTrainer saves only checkpoints
        // during training).
        py_text.push_str("trainer.save_model()\n");
    }

    let launch = if job.world() > 1 {
        parallel::torchrun(job).word(job.file("unsloth_train.py"))
    } else {
        Command::new(&["python"]).word(job.file("unsloth_train.py"))
    };
    Ok(vec![
        ExportFile {
            name: job.file("unsloth_train.py"),
            media_type: String::from("text/x-python"),
            text: py_text,
        },
        script_file(
            "launch.sh",
            &[
                &provenance(job),
                "Unsloth runs one whole model per process; torchrun starts one per GPU.",
            ],
            &launch.script(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literals() {
        assert_eq!(py(&Value::Bool(true)), "True");
        assert_eq!(py(&Value::Str(String::from("a\"b\n"))), "\"a\\\"b\\n\"");
        assert_eq!(py(&Value::Float(2e-5)), "0.00002");
        assert_eq!(
            py(&Map::new().put("min_lr_rate", 0.1).into()),
            "{\"min_lr_rate\": 0.1}"
        );
        let c = Call::default()
            .kw("r", 16u64)
            .code("dtype", "torch.bfloat16");
        assert_eq!(
            c.render("f", &["model"], ""),
            "f(\n    model,\n    r = 16,\n    dtype = torch.bfloat16,\n)"
        );
    }
}
