//! Phase B of a two-phase configuration in the exports: its own config files, named with
//! `_phase_b` before the extension (`ds_config_phase_b.json`, `torchtitan_phase_b.toml`), its
//! commands appended to phase A's script (`launch.sh`, `torchrun.sh`, `megatron.sh`,
//! `train.sbatch`), and for the formats without a script (axolotl's YAML, Kubeflow's
//! `PyTorchJob`) a second file run after the first.
//!
//! Phase B starts from phase A's last checkpoint as its model only (a fresh optimizer, step
//! count and schedule): the Hugging Face programs, Unsloth and axolotl load phase A's saved
//! model from its output directory, torchtitan from `[checkpoint] initial_load_path`, and
//! Megatron-LM from `--load` with `--finetune`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{ExportFile, Format, Job};
use crate::error::{Error, Result};
use crate::plan::{Configuration, PhaseB};

/// Phase A's files with phase B's added: its config files beside them, its commands after
/// phase A's in the script.
pub(super) fn with_phase_b(
    a: &Job<'_>,
    b: &PhaseB,
    mut files: Vec<ExportFile>,
) -> Result<Vec<ExportFile>> {
    let conf = configuration(a.c, b);
    let from = checkpoint(a)?;
    let job = a.phase_b(&conf, from.clone()).map_err(within_phase_b)?;
    let b_files = super::files(&job).map_err(within_phase_b)?;
    for f in b_files {
        let script = f.media_type == "application/x-sh";
        match files
            .iter_mut()
            .find(|x| script && x.name == f.name && x.media_type == f.media_type)
        {
            Some(a_script) => append(a_script, &f, &from, &job)?,
            None => files.push(f),
        }
    }
    Ok(files)
}

/// Phase A's configuration with phase B's knobs, memory, time and training config: what the
/// exporters read. Phase B is planned on one machine, data parallel (no mesh).
fn configuration(a: &Configuration, b: &PhaseB) -> Configuration {
    let mut c = a.clone();
    c.fits = b.fits;
    c.micro_batch = b.micro_batch;
    c.gradient_accumulation = b.gradient_accumulation;
    c.global_batch = b.global_batch;
    c.sequence = b.sequence;
    c.checkpointing = b.checkpointing;
    c.optimizer = Some(b.optimizer);
    c.sharding = b.sharding;
    c.offload = b.offload;
    c.memory = b.memory.clone();
    c.time = b.time.clone();
    c.training = Some(b.training.clone());
    c.fallbacks = b.fallbacks.clone();
    c.warnings = b.warnings.clone();
    c.mesh = None;
    c.serving_layouts = None;
    c.phase_b = None;
    c
}

/// Where phase A's last checkpoint is, as phase B's engine loads it: torchtitan's last step
/// folder (`{dump_folder}/{checkpoint.folder}/step-{steps}`, torchtitan 0.2.2
/// components/checkpoint.py, `_create_checkpoint_id`), Megatron-LM's save directory (its
/// tracker file names the last iteration), else phase A's output directory, where the
/// Trainer's `save_model` (TRL's SFT script, Unsloth's script, axolotl) writes the weights.
fn checkpoint(a: &Job<'_>) -> Result<String> {
    let dir = a.output_dir()?;
    Ok(match a.format {
        Format::Torchtitan => format!("{dir}/checkpoint/step-{}", a.training()?.steps),
        _ => dir,
    })
}

/// Phase B's commands after phase A's, in phase A's script; the header says so.
fn append(a: &mut ExportFile, b: &ExportFile, from: &str, job: &Job<'_>) -> Result<()> {
    const STRICT: &str = "set -euo pipefail\n";
    let body = b
        .text
        .split_once(&format!("{STRICT}\n"))
        .map_or(b.text.as_str(), |(_, body)| body);
    let header = "# Two phases: phase A, then phase B from phase A's last checkpoint; `set -e` stops before phase B if phase A fails.\n";
    if let Some(at) = a.text.find(STRICT) {
        a.text.insert_str(at, header);
    }
    let t = job.training()?;
    a.text.push_str(&format!(
        "\n# {}: sequence {}, {} steps, {} schedule after {} warm-up steps, from {}.\n{body}",
        super::provenance(job),
        job.c.sequence,
        t.steps,
        t.schedule.as_str(),
        t.warmup_steps,
        from.replace('\n', " ")
    ));
    Ok(())
}

/// An error of phase B's files, its field under `phase_b`.
fn within_phase_b(e: Error) -> Error {
    match e {
        Error::Unsupported {
            format,
            field,
            reason,
        } => Error::Unsupported {
            format,
            field: format!("phase_b.{field}"),
            reason,
        },
        other => other,
    }
}
