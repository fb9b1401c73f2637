//! `trainfit export`: a plan's configuration as the files of an engine; `trainfit plan --export`
//! shares its flags.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use trainfit_core::export::{export, formats, ExportFile, ExportOptions, Format};
use trainfit_core::plan::{Mode, Plan};

use super::args::one_of;
use super::input::{self, Origin};

/// `--help`'s line for each format.
fn format_help(f: Format) -> &'static str {
    match f {
        Format::Torchrun => "torchrun command (one node or several)",
        Format::TrainingArguments => "Hugging Face TrainingArguments JSON and accelerate launch",
        Format::Accelerate => "Accelerate config YAML (multi-GPU, FSDP, DeepSpeed, Megatron-LM)",
        Format::Deepspeed => "DeepSpeed config JSON and the deepspeed launcher",
        Format::Torchtitan => "torchtitan TOML (FSDP2, tensor, pipeline, context parallel)",
        Format::Megatron => "Megatron-LM pretrain_gpt.py arguments",
        Format::Peft => "PEFT LoraConfig JSON (and bitsandbytes 4-bit config)",
        Format::Unsloth => "Unsloth FastLanguageModel script with TRL SFTTrainer",
        Format::Axolotl => "axolotl YAML",
        Format::Slurm => "SLURM batch script (srun torchrun)",
        Format::Kubeflow => "Kubeflow PyTorchJob YAML",
        Format::Mlx => "mlx-lm LoRA YAML and mlx.launch",
        Format::Vllm => "vllm serve command",
        Format::Sglang => "SGLang launch_server command",
        Format::LlamaCpp => "llama.cpp llama-server command",
    }
}

pub(super) fn mode_help(mode: Mode) -> &'static str {
    match mode {
        Mode::Conservative => "Half the memory, short runs",
        Mode::Balanced => "Three quarters of the memory, a few hours",
        Mode::Extreme => "Nearly all the memory, long runs",
    }
}

/// What the plan does not know, and where the files go: the flags of `trainfit export` and of
/// `trainfit plan --export`.
#[derive(clap::Args, Debug, Clone)]
pub struct Target {
    /// The configuration to export.
    #[arg(long, default_value = "balanced", value_parser = one_of(Mode::ALL, Mode::as_str, mode_help))]
    mode: Mode,
    /// Write the files into this folder (created if missing) instead of printing them.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    out: Option<PathBuf>,
    /// Model path or Hugging Face repository. Default: the plan's model name when it was
    /// given, else `<MODEL_PATH>`.
    #[arg(long = "model-path", value_name = "PATH")]
    model: Option<String>,
    /// Dataset path or name. Default: `<DATASET_PATH>`.
    #[arg(long, value_name = "PATH")]
    dataset: Option<String>,
    /// Checkpoint folder. Default: the plan's (./trainfit-MODE).
    #[arg(long, value_name = "DIR")]
    output_dir: Option<String>,
    /// Address of the rank-0 machine. Default: `<MASTER_ADDR>`.
    #[arg(long, value_name = "HOST")]
    master_addr: Option<String>,
    /// Rendezvous port. Default: 29500.
    #[arg(long, value_name = "PORT")]
    master_port: Option<u16>,
    /// Container image (Kubeflow). Default: `<CONTAINER_IMAGE>`.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// Job name (SLURM, Kubeflow, rendezvous id). Default: trainfit-MODE.
    #[arg(long, value_name = "NAME")]
    job_name: Option<String>,
    /// Training script the launchers run. Default: TRL's SFT script (-m trl.scripts.sft).
    #[arg(long, value_name = "FILE")]
    script: Option<String>,
    /// MLX hosts, comma separated. Default: `<HOSTS>`.
    #[arg(long, value_name = "HOSTS")]
    hosts: Option<String>,
}

impl Target {
    fn options(&self) -> ExportOptions {
        ExportOptions {
            model: self.model.clone(),
            dataset: self.dataset.clone(),
            output_dir: self.output_dir.clone(),
            master_addr: self.master_addr.clone(),
            master_port: self.master_port,
            image: self.image.clone(),
            job_name: self.job_name.clone(),
            script: self.script.clone(),
            hosts: self.hosts.clone(),
        }
    }
}

/// Arguments of `trainfit export`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The plan, as `trainfit plan --json` prints it (or `trainfit --json`'s analysis), JSON or
    /// YAML, or `-` for standard input.
    #[arg(long, value_name = "FILE", required_unless_present = "list_formats")]
    plan: Option<PathBuf>,
    /// The engine format.
    #[arg(long, value_parser = one_of(Format::ALL, Format::as_str, format_help), required_unless_present = "list_formats")]
    format: Option<Format>,
    /// List the formats with what each writes.
    #[arg(long, conflicts_with_all = ["plan", "format"])]
    list_formats: bool,
    #[command(flatten)]
    target: Target,
}

/// `trainfit export`: the files of `--format` for the `--mode` configuration of the plan, printed
/// or written to `--out`; `--list-formats`: the formats.
pub fn run(args: &Args) -> anyhow::Result<String> {
    if args.list_formats {
        return Ok(list());
    }
    let (Some(path), Some(format)) = (&args.plan, args.format) else {
        anyhow::bail!("--plan FILE and --format FORMAT are required");
    };
    let origin = Origin(path);
    let text = origin.read()?;
    let what = format!("plan {origin}");
    let value: serde_json::Value = if origin.is_yaml() {
        input::yaml(&what, &text)?
    } else {
        input::parse(&what, &text)?
    };
    // `trainfit --json` prints {"profile": ..., "plan": ...}: take its plan.
    let value = match value.get("plan") {
        Some(p) if value.get("configurations").is_none() => p.clone(),
        _ => value,
    };
    let plan: Plan = input::from_value(&what, value)?;
    files(&plan, format, &args.target)
}

/// The export of `plan` as `target` asks: the files' text, or the list of files written.
pub fn files(plan: &Plan, format: Format, target: &Target) -> anyhow::Result<String> {
    let files = export(plan, target.mode, format, &target.options())
        .with_context(|| format!("cannot export the {} configuration", target.mode))?;
    match &target.out {
        Some(dir) => write(dir, &files),
        None => Ok(print(&files)),
    }
}

/// The files one after another, each after a `==> name <==` line (as `head` prints several).
fn print(files: &[ExportFile]) -> String {
    let mut out = String::new();
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "==> {} <==", f.name);
        out.push_str(&f.text);
    }
    out
}

/// Writes the files into `dir` (scripts executable); the paths written, one a line.
fn write(dir: &Path, files: &[ExportFile]) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut out = String::new();
    for f in files {
        let path = dir.join(&f.name);
        std::fs::write(&path, &f.text)
            .with_context(|| format!("cannot write {}", path.display()))?;
        if f.media_type == "application/x-sh" {
            executable(&path)?;
        }
        let _ = writeln!(out, "{}", path.display());
    }
    Ok(out)
}

#[cfg(unix)]
fn executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn executable(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// `--list-formats`: name, kind and description, aligned.
fn list() -> String {
    let all = formats();
    let width = all
        .iter()
        .map(|f| f.format.as_str().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for f in all {
        let _ = writeln!(
            out,
            "{:<width$}  {:<8}  {}",
            f.format.as_str(),
            f.kind,
            f.description
        );
    }
    out
}
