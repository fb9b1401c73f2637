//! Serving engines: vLLM, SGLang and llama.cpp's server.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::text::Command;
use super::{provenance, script_file, ExportFile, Job};
use crate::error::{Error, Result};
use crate::plan::DeviceClass;
use crate::request::Precision;

/// The serving layout: tensor, pipeline and replicas, and the sequences each replica serves.
struct Serving {
    tensor: u64,
    pipeline: u64,
    replicas: u64,
    /// Sequences at once per replica.
    sequences: u64,
    /// Context per sequence, tokens.
    context: u64,
}

fn serving(job: &Job<'_>) -> Result<Serving> {
    let c = job.c;
    let serve = c
        .serve
        .as_ref()
        .ok_or_else(|| Error::missing("serve", "a serving configuration"))?;
    Ok(
        match c.serving_layouts.as_ref().and_then(|s| s.layouts.first()) {
            Some(l) => Serving {
                tensor: l.tensor,
                pipeline: l.pipeline,
                replicas: l.replicas,
                sequences: l.concurrency,
                context: serve.context,
            },
            // One machine: one replica per device, each with the configuration's micro-batch
            // (its concurrency per device).
            None => Serving {
                tensor: 1,
                pipeline: 1,
                replicas: c.devices,
                sequences: c.micro_batch,
                context: serve.context,
            },
        },
    )
}

/// Share of each GPU's memory the engine may take: the mode's memory target over the device's
/// usable memory, rounded down to a hundredth so the engine stays within the plan.
fn memory_share(job: &Job<'_>) -> f64 {
    let usable = job.plan.device.usable_bytes.max(1);
    let hundredths = (job.c.memory_target_bytes.saturating_mul(100) / usable).min(100);
    hundredths as f64 / 100.0
}

fn gpu_only(job: &Job<'_>, engine: &str) -> Result<()> {
    match job.class() {
        DeviceClass::NvidiaGpu | DeviceClass::AmdGpu => Ok(()),
        DeviceClass::AppleGpu | DeviceClass::Cpu | DeviceClass::IntelGpu => Err(job.refuse(
            "device.class",
            &format!(
                "{engine}'s memory flags (a share of GPU memory) are for NVIDIA and AMD GPUs, and the plan is for {}; export llama_cpp",
                super::class_name(job.class())
            ),
        )),
    }
}

/// Weight dtype flag value of vLLM and SGLang (`--dtype`).
fn dtype(job: &Job<'_>) -> &'static str {
    match job.c.precision {
        Precision::Fp32 => "float32",
        Precision::Fp16 | Precision::AmpFp16 | Precision::MixedFp16 => "float16",
        Precision::Bf16 | Precision::AmpBf16 | Precision::MixedBf16 => "bfloat16",
    }
}

/// `vllm.sh` (docs.vllm.ai, "vllm serve" engine arguments: vllm/engine/arg_utils.py).
pub(super) fn vllm(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    gpu_only(job, "vLLM")?;
    let s = serving(job)?;
    let mut c = Command::new(&["vllm", "serve"])
        .word(job.model())
        .arg("--tensor-parallel-size", s.tensor)
        .arg("--pipeline-parallel-size", s.pipeline);
    if s.replicas > 1 {
        c = c.arg("--data-parallel-size", s.replicas);
    }
    c = c
        .arg("--max-model-len", s.context)
        .arg("--max-num-seqs", s.sequences)
        .arg_f("--gpu-memory-utilization", memory_share(job))
        .arg("--dtype", dtype(job))
        // The plan's KV cache is in the weights' dtype: vLLM's `auto`.
        .arg("--kv-cache-dtype", "auto");
    let mut notes = vec![provenance(job)];
    if job.nodes > 1 {
        notes.push(String::from(
            "Several machines: start a Ray cluster over them first (docs.vllm.ai, \"Distributed inference and serving\"), then run this on its head node.",
        ));
    }
    let refs: Vec<&str> = notes.iter().map(String::as_str).collect();
    Ok(vec![script_file("vllm.sh", &refs, &c.script())])
}

/// `sglang.sh` (docs.sglang.ai, "Server arguments": python/sglang/srt/server_args.py).
pub(super) fn sglang(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    gpu_only(job, "SGLang")?;
    let s = serving(job)?;
    let mut c = Command::new(&["python", "-m", "sglang.launch_server"])
        .arg("--model-path", job.model())
        .arg("--tp-size", s.tensor)
        .arg("--pp-size", s.pipeline);
    if s.replicas > 1 {
        c = c.arg("--dp-size", s.replicas);
    }
    c = c
        .arg("--context-length", s.context)
        .arg(
            "--max-running-requests",
            s.sequences
                .checked_mul(s.replicas)
                .ok_or_else(|| Error::overflow("the requests of all replicas"))?,
        )
        .arg_f("--mem-fraction-static", memory_share(job))
        .arg("--dtype", dtype(job))
        .arg("--kv-cache-dtype", "auto");
    if job.nodes > 1 {
        c = c
            .arg("--nnodes", job.nodes)
            .arg_shell(
                "--node-rank",
                "\"${NODE_RANK:?set NODE_RANK to the rank of this machine}\"",
            )
            .arg(
                "--dist-init-addr",
                format!("{}:{}", job.master_addr(), job.master_port()),
            );
    }
    Ok(vec![script_file(
        "sglang.sh",
        &[&provenance(job)],
        &c.script(),
    )])
}

/// Layers to put on the GPU: every layer. llama.cpp caps `--n-gpu-layers` at the model's layer
/// count (common/arg.cpp; llama_model_load), so any number at least that offloads all; 999 is
/// above every model's (Llama 3.1 405B has 126).
const ALL_LAYERS: u64 = 999;

/// `llama_server.sh` (llama.cpp tools/server/README.md).
pub(super) fn llama_cpp(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    let s = serving(job)?;
    if s.replicas > 1 || s.tensor > 1 || s.pipeline > 1 || job.nodes > 1 {
        return Err(job.refuse(
            "devices",
            &format!(
                "llama-server runs one model instance, and the plan serves {} replicas of {} x {} devices; run one server per device or export vllm",
                s.replicas, s.tensor, s.pipeline
            ),
        ));
    }
    let mut c = Command::new(&["llama-server"])
        .arg("--model", job.model())
        // `--ctx-size` is the whole KV cache, shared by the slots (server README, `-np`).
        .arg(
            "--ctx-size",
            s.context
                .checked_mul(s.sequences)
                .ok_or_else(|| Error::overflow("the context of all slots"))?,
        )
        .arg("--parallel", s.sequences);
    c = match job.class() {
        DeviceClass::Cpu => c.arg("--n-gpu-layers", 0u64),
        _ => c.arg("--n-gpu-layers", ALL_LAYERS),
    };
    c = match job.c.precision {
        Precision::Fp32 => c.arg("--cache-type-k", "f32").arg("--cache-type-v", "f32"),
        Precision::Bf16 | Precision::AmpBf16 | Precision::MixedBf16 => c
            .arg("--cache-type-k", "bf16")
            .arg("--cache-type-v", "bf16"),
        _ => c.arg("--cache-type-k", "f16").arg("--cache-type-v", "f16"),
    };
    if job.c.attention == crate::request::AttentionImpl::Flash {
        c = c.arg("--flash-attn", "on");
    }
    Ok(vec![script_file(
        "llama_server.sh",
        &[
            &provenance(job),
            "--model is a GGUF file of the model in the plan's weight dtype (convert_hf_to_gguf.py --outtype).",
        ],
        &c.script(),
    )])
}
