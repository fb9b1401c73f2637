//! Validation of an estimate request's fields against its model.

use alloc::format;
use alloc::vec::Vec;

use crate::error::{at_most, positive, Error, Result};
use crate::model::{Linear, ModelSpec};
use crate::request::{EstimateRequest, Sharding, Task, SCHEMA_VERSION};

/// Most devices a request may span: 64 times the 16,384 GPUs of Llama 3 405B's training run
/// (Dubey et al. 2024, "The Llama 3 Herd of Models"), 2^20.
pub const MAX_DEVICES: u64 = 1 << 20;

/// Most sequences a step may hold (micro-batches times micro-batch): far beyond the largest
/// published batches (Llama 3 405B: 16M tokens, 2,048 sequences of 8,192), 2^24.
pub const MAX_SEQUENCES: u64 = 1 << 24;

/// Most GPUs one node may hold: the NVL72 rack is one NVLink domain of 72 GPUs (NVIDIA GB200
/// NVL72 datasheet); 1024 leaves room for larger domains to come.
pub const MAX_GPUS_PER_NODE: u64 = 1024;

fn probability(field: &str, p: f64) -> Result<()> {
    if !(0.0..1.0).contains(&p) {
        return Err(Error::invalid(field, p, "a probability in [0, 1)"));
    }
    Ok(())
}

/// Checks every request field that the schema cannot express.
///
/// # Errors
/// `SchemaVersion` for a newer document, `InvalidField` or `MissingField` naming the field.
pub(crate) fn validate(req: &EstimateRequest, spec: &ModelSpec, linears: &[Linear]) -> Result<()> {
    Error::check_version("schema_version", req.schema_version, SCHEMA_VERSION)?;
    positive("micro_batch", req.micro_batch)?;
    positive("sequence", req.sequence)?;
    size_guard(req, spec)?;
    let p = &req.parallel;
    positive("parallel.data", p.data)?;
    at_most("parallel.data", p.data, MAX_DEVICES, "devices")?;
    at_most(
        "parallel.micro_batches",
        p.micro_batches,
        MAX_SEQUENCES,
        "micro-batches",
    )?;
    at_most(
        "runtime.gpus_per_node",
        req.runtime.gpus_per_node,
        MAX_GPUS_PER_NODE,
        "GPUs per node",
    )?;
    positive("parallel.tensor", p.tensor)?;
    positive("parallel.pipeline", p.pipeline)?;
    positive("parallel.context", p.context)?;
    positive("parallel.micro_batches", p.micro_batches)?;
    positive("runtime.gpus_per_node", req.runtime.gpus_per_node)?;
    if spec.heads % p.tensor != 0 {
        return Err(Error::invalid(
            "parallel.tensor",
            p.tensor,
            format!("a divisor of the model's {} attention heads", spec.heads),
        ));
    }
    if p.pipeline > spec.layers {
        return Err(Error::invalid(
            "parallel.pipeline",
            p.pipeline,
            format!("at most the model's {} layers", spec.layers),
        ));
    }
    if p.context > req.sequence {
        return Err(Error::invalid(
            "parallel.context",
            p.context,
            format!("at most the sequence length {}", req.sequence),
        ));
    }
    if p.offload.parameters && !matches!(p.sharding, Sharding::Zero3 | Sharding::FsdpFullShard) {
        return Err(Error::invalid(
            "parallel.offload.parameters",
            true,
            "false unless parallel.sharding is zero3 or fsdp_full_shard",
        ));
    }
    if p.sharding != Sharding::None && p.data == 1 {
        return Err(Error::invalid(
            "parallel.sharding",
            p.sharding.as_str(),
            "none when parallel.data is 1 (there is nothing to shard across)",
        ));
    }
    match req.task {
        Task::Lora | Task::Qlora => {
            let Some(lora) = req.lora.as_ref() else {
                return Err(Error::missing(
                    "lora",
                    "the request (task lora/qlora needs adapters)",
                ));
            };
            positive("lora.rank", lora.rank)?;
            // A rank above a layer's width adds parameters without adding rank: the update
            // B·A of an n-wide layer has rank at most n (Hu et al. 2021, "LoRA", §4).
            let widest = linears.iter().map(|l| l.d_in.max(l.d_out)).max();
            if let Some(w) = widest {
                at_most(
                    "lora.rank",
                    lora.rank,
                    w,
                    "the width of the model's widest linear layer",
                )?;
            }
            probability("lora.dropout", lora.dropout)?;
            if let Some(a) = lora.alpha {
                if !(a.is_finite() && a > 0.0) {
                    return Err(Error::invalid("lora.alpha", a, "a positive number"));
                }
            }
            if lora.targets.is_empty() {
                return Err(Error::invalid(
                    "lora.targets",
                    "[]",
                    "at least one module name or \"all-linear\"",
                ));
            }
            for t in &lora.targets {
                if t != "all-linear" && !linears.iter().any(|l| l.module == t) {
                    let mut known: Vec<&str> = linears.iter().map(|l| l.module).collect();
                    known.sort_unstable();
                    known.dedup();
                    return Err(Error::invalid(
                        "lora.targets",
                        format!("\"{t}\""),
                        format!(
                            "\"all-linear\" or a linear module of {}: {}",
                            spec.name,
                            known.join(", ")
                        ),
                    ));
                }
            }
            if req.task == Task::Qlora && req.quantization.is_none() {
                return Err(Error::missing(
                    "quantization",
                    "the request (task qlora needs the base's 4-bit format)",
                ));
            }
        }
        Task::Prefill | Task::Decode => {
            let Some(inf) = req.inference else {
                return Err(Error::missing(
                    "inference",
                    "the request (tasks prefill and decode need the prompt length)",
                ));
            };
            positive("inference.prompt", inf.prompt)?;
            if req.task == Task::Decode {
                positive("inference.generate", inf.generate)?;
            }
        }
        Task::Pretrain | Task::Finetune => {
            if req.lora.is_some() {
                return Err(Error::invalid(
                    "lora",
                    "an adapter config",
                    "absent unless task is lora or qlora",
                ));
            }
        }
    }
    if let Some(q) = req.quantization {
        if q.prepare_for_training && req.task != Task::Qlora {
            return Err(Error::invalid(
                "quantization.prepare_for_training",
                true,
                "false unless task is qlora (it prepares a quantised model for adapter training)",
            ));
        }
        if req.task.trains() && req.task != Task::Qlora {
            return Err(Error::invalid(
                "quantization",
                q.format.as_str(),
                "absent for full training (quantised weights train only through adapters: use task qlora)",
            ));
        }
    }
    Ok(())
}

/// Rejects requests whose largest tensors would not leave 64-bit byte counts 1024-fold headroom,
/// so that every later sum of terms is exact.
fn size_guard(req: &EstimateRequest, spec: &ModelSpec) -> Result<()> {
    let tokens = req
        .inference
        .map_or(req.sequence, |i| i.prompt.saturating_add(i.generate))
        .max(req.sequence);
    let width = spec
        .hidden
        .max(spec.ffn.intermediate)
        .max(spec.vocab)
        .max(spec.heads.saturating_mul(tokens));
    let widest = spec.heads.saturating_mul(spec.head_dim).max(spec.hidden);
    let checks: [(&str, &[u64]); 3] = [
        (
            "the activation memory of micro_batch x sequence tokens",
            &[req.micro_batch, tokens, width, 8, 1024],
        ),
        (
            "the weight memory of the model's layers",
            &[spec.layers, widest, widest, 64, 1024],
        ),
        (
            "the memory of the model's embedding",
            &[spec.vocab, spec.hidden, 64, 1024],
        ),
    ];
    for (quantity, factors) in checks {
        let mut n: u64 = 1;
        for &f in factors {
            n = n
                .checked_mul(f.max(1))
                .ok_or_else(|| Error::overflow(quantity))?;
        }
    }
    Ok(())
}
