//! `trainfit` (no subcommand): profile this machine and plan for it; `trainfit plan`: plan for the
//! profile and goal of a request file.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::json;
use trainfit_core::export::Format;
use trainfit_core::model::{self, ModelSource};
use trainfit_core::plan::{
    plan, Dataset, Goal, GoalTask, KnownDataset, Mode, PhaseSplit, Phases, PlanRequest,
    PLAN_SCHEMA_VERSION,
};
use trainfit_probe::collect::collect;

use super::args::{one_of, Benchmark};
use super::input::{self, Origin};
use super::render::{self, report, Style};

/// Options of the analysis of this machine (`trainfit` with no subcommand).
#[derive(clap::Args, Debug, Clone)]
pub struct Analyse {
    /// Print only the profile of this machine (with --json: the profile as JSON).
    #[arg(long)]
    profile_only: bool,
    #[command(flatten)]
    bench: Benchmark,
    /// Print `{"profile": ..., "plan": ...}` as JSON instead of the report.
    #[arg(long)]
    json: bool,
    /// Plan this mode (repeatable). Default: all three.
    #[arg(long, value_name = "MODE", value_parser = one_of(Mode::ALL, Mode::as_str, mode_help))]
    mode: Vec<Mode>,
    /// What to do.
    #[arg(long, default_value = "pretrain", value_parser = one_of(GoalTask::ALL, GoalTask::as_str, task_help))]
    task: GoalTask,
    /// The model: a catalogue name (see `trainfit models`) or the path of a Hugging Face
    /// config.json. Required for every task but pretrain.
    #[arg(long, value_name = "NAME|FILE")]
    model: Option<String>,
    /// The training data: a dataset of trainfit's table, downloaded from the Hugging Face Hub.
    /// Default: the run's tokens on a local disk.
    #[arg(long, value_name = "NAME", value_parser = one_of(KnownDataset::ALL, KnownDataset::as_str, KnownDataset::as_str))]
    dataset: Option<KnownDataset>,
    /// The power supply's rating in watts, for the headroom check (no interface reports it).
    #[arg(long, value_name = "WATTS")]
    psu_w: Option<f64>,
    #[command(flatten)]
    phases: PhaseFlags,
}

/// Two-phase pretraining (`goal.phases`), for `trainfit` and `trainfit plan`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct PhaseFlags {
    /// Pretraining phases: 1, or 2 for phase B (a longer context with the learning rate
    /// decayed linearly to 0, from phase A's last checkpoint). Default: 1; `trainfit plan`:
    /// the request's `goal.phases`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=2))]
    phases: Option<u64>,
    /// Phase B's share of the tokens, above 0 and at most 0.5 (implies --phases 2). Default: 0.1.
    #[arg(long, value_name = "SHARE")]
    phase_b_share: Option<f64>,
    /// Phase B's tokens per sequence (implies --phases 2). Default: the longest that fits.
    #[arg(long, value_name = "TOKENS")]
    phase_b_sequence: Option<u64>,
}

impl PhaseFlags {
    /// `goal.phases` of the flags, or `None` when none was given.
    fn phases(&self) -> anyhow::Result<Option<Phases>> {
        if self.phase_b_share.is_none() && self.phase_b_sequence.is_none() {
            return Ok(self.phases.map(Phases::Count));
        }
        if self.phases == Some(1) {
            anyhow::bail!(
                "--phases 1 plans one phase; --phase-b-share and --phase-b-sequence set phase B of --phases 2"
            );
        }
        Ok(Some(Phases::Split(PhaseSplit {
            phase_b_share: self.phase_b_share,
            phase_b_sequence: self.phase_b_sequence,
        })))
    }
}

/// `--help`'s line for each mode.
fn mode_help(mode: Mode) -> &'static str {
    match mode {
        Mode::Conservative => "Half the memory, short runs, fallbacks ready",
        Mode::Balanced => "Three quarters of the memory, a few hours",
        Mode::Extreme => "Nearly all the memory, long runs",
    }
}

/// `--help`'s line for each task.
fn task_help(task: GoalTask) -> &'static str {
    match task {
        GoalTask::Pretrain => "Train a new model; the planner picks its size",
        GoalTask::Finetune => "Train every weight of --model",
        GoalTask::Lora => "LoRA adapters on --model in 16 bits",
        GoalTask::Qlora => "LoRA adapters on --model in 4 bits (NF4)",
        GoalTask::Serve => "Serve --model",
    }
}

/// `trainfit`: profiles this machine, plans the goal of the flags for it and returns the text to
/// print (the profile summary and the report, or JSON).
pub fn analyse(args: &Analyse, style: Style) -> anyhow::Result<String> {
    let options = args.bench.options()?;
    // Flags are checked before the probe runs, so a mistake costs no benchmark.
    let goal = goal(args)?;
    let profile = collect(&options);
    if args.profile_only {
        return Ok(if args.json {
            render::json("hardware profile", &profile)?
        } else {
            render::profile::summary(&profile)
        });
    }
    let request = PlanRequest {
        schema_version: PLAN_SCHEMA_VERSION,
        profile: Some(profile),
        cluster: None,
        goal,
        modes: modes(&args.mode),
    };
    let result = plan(&request).context("cannot plan for this machine")?;
    if args.json {
        return render::json(
            "analysis",
            &json!({"profile": request.profile.as_ref(), "plan": result}),
        );
    }
    let profile = request
        .profile
        .as_ref()
        .expect("built with a profile above");
    Ok(report::analysis(profile, &result, style))
}

/// The modes asked for, in order, without repeats; all three when none was.
fn modes(asked: &[Mode]) -> Vec<Mode> {
    if asked.is_empty() {
        return Mode::ALL.to_vec();
    }
    let mut out: Vec<Mode> = Vec::new();
    for &m in asked {
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

/// The goal of the flags; the model is read and checked here so its errors name `--model`.
fn goal(args: &Analyse) -> anyhow::Result<Goal> {
    let task = args.task;
    let model = match &args.model {
        Some(arg) => Some(model_source(arg).with_context(|| format!("--model {arg}"))?),
        None if task == GoalTask::Pretrain => None,
        None => anyhow::bail!(
            "--task {task} needs --model NAME (a catalogue name, see `trainfit models`) or --model FILE (a config.json)"
        ),
    };
    Ok(Goal {
        task,
        model,
        dataset: args.dataset.map(|name| Dataset {
            name: Some(name),
            ..Dataset::default()
        }),
        psu_w: args.psu_w,
        phases: args.phases.phases()?,
        ..Goal::default()
    })
}

/// A catalogue name, or a `config.json` path when the argument names a file or ends in `.json`;
/// checked here, so an error names the argument rather than a field of a request.
fn model_source(arg: &str) -> anyhow::Result<ModelSource> {
    let path = Path::new(arg);
    if path.is_file() || arg.ends_with(".json") {
        let origin = Origin(path);
        let config: serde_json::Value = input::parse(&format!("{origin}"), &origin.read()?)?;
        model::hf::from_hf_value(&config).with_context(|| format!("{origin}"))?;
        Ok(ModelSource::HfConfig(config))
    } else {
        model::find(arg)?;
        Ok(ModelSource::Catalogue(arg.to_string()))
    }
}

/// Arguments of `trainfit plan`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The plan request file, JSON or YAML (`.yaml`, `.yml`), or `-` for standard input.
    #[arg(long)]
    input: PathBuf,
    /// Print the plan as JSON instead of the report.
    #[arg(long, conflicts_with = "export")]
    json: bool,
    /// Print (or with --out write) the files of this engine format for the --mode
    /// configuration instead of the report (see `trainfit export --list-formats`).
    #[arg(long, value_name = "FORMAT", value_parser = one_of(Format::ALL, Format::as_str, Format::as_str))]
    export: Option<Format>,
    #[command(flatten)]
    target: super::export::Target,
    #[command(flatten)]
    phases: PhaseFlags,
}

/// `trainfit plan --input FILE`: the plan for the request at `input` (`-`: standard input), as
/// pretty JSON with `json`, the files of `export`, else the report.
pub fn run(args: &Args, style: Style) -> anyhow::Result<String> {
    let origin = Origin(&args.input);
    let mut request: PlanRequest =
        input::document(&format!("plan request {origin}"), &origin, &origin.read()?)?;
    if let Some(phases) = args.phases.phases()? {
        request.goal.phases = Some(phases);
    }
    let result = plan(&request)?;
    if let Some(format) = args.export {
        return super::export::files(&result, format, &args.target);
    }
    if args.json {
        Ok(render::json("plan", &result)?)
    } else {
        Ok(report::report(&result, style))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_keep_their_order_and_drop_repeats() {
        assert_eq!(modes(&[]), Mode::ALL.to_vec());
        assert_eq!(
            modes(&[Mode::Extreme, Mode::Conservative, Mode::Extreme]),
            vec![Mode::Extreme, Mode::Conservative]
        );
    }

    #[test]
    fn a_catalogue_name_or_a_config_file() {
        assert!(matches!(
            model_source("qwen2.5-0.5b"),
            Ok(ModelSource::Catalogue(_))
        ));
        let err = model_source("no-such-model-xyz").unwrap_err().to_string();
        assert!(err.contains("no-such-model-xyz"), "{err}");
        let err = format!("{:#}", model_source("missing/config.json").unwrap_err());
        assert!(err.contains("missing/config.json"), "{err}");
    }
}
