//! Validation of an estimate request's fields against its model.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::model::source::positive;
use crate::model::ModelSpec;
use crate::request::{EstimateRequest, Sharding, Task, SCHEMA_VERSION};

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
pub(crate) fn validate(req: &EstimateRequest, spec: &ModelSpec) -> Result<()> {
    Error::check_version("schema_version", req.schema_version, SCHEMA_VERSION)?;
    positive("micro_batch", req.micro_batch)?;
    positive("sequence", req.sequence)?;
    size_guard(req, spec)?;
    let p = &req.parallel;
    positive("parallel.data", p.data)?;
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
            sharding_name(p.sharding),
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
            probability("lora.dropout", lora.dropout)?;
            if lora.targets.is_empty() {
                return Err(Error::invalid(
                    "lora.targets",
                    "[]",
                    "at least one module name or \"all-linear\"",
                ));
            }
            let names: Vec<&str> = spec.linears().iter().map(|l| l.module).collect();
            for t in &lora.targets {
                if t != "all-linear" && !names.contains(&t.as_str()) {
                    let mut known: Vec<&str> = names.clone();
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
        if req.task.trains() && req.task != Task::Qlora {
            return Err(Error::invalid(
                "quantization",
                format!("{:?}", q.format).to_lowercase(),
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
    let checks: [&[u64]; 3] = [
        &[req.micro_batch, tokens, width, 8, 1024],
        &[spec.layers, widest, widest, 64, 1024],
        &[spec.vocab, spec.hidden, 64, 1024],
    ];
    for factors in checks {
        let mut n: u64 = 1;
        for &f in factors {
            n = n
                .checked_mul(f.max(1))
                .ok_or_else(|| Error::overflow("memory of this request"))?;
        }
    }
    Ok(())
}

fn sharding_name(s: Sharding) -> String {
    String::from(match s {
        Sharding::None => "none",
        Sharding::Zero1 => "zero1",
        Sharding::Zero2 => "zero2",
        Sharding::Zero3 => "zero3",
        Sharding::FsdpShardGradOp => "fsdp_shard_grad_op",
        Sharding::FsdpFullShard => "fsdp_full_shard",
    })
}
