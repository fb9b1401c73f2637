//! `trainfit` (no subcommand): profile this machine and plan for it; `trainfit plan`: plan for the
//! profile and goal of a request file.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::json;
use trainfit_core::hardware::HardwareProfile;
use trainfit_core::model::ModelSource;
use trainfit_core::plan::{plan, Goal, GoalTask, Mode, Plan, PlanRequest, PLAN_SCHEMA_VERSION};
use trainfit_probe::collect::{collect, Options};

use crate::input::Origin;
use crate::report::{self, Style};

/// Longest benchmark budget accepted, seconds (an hour; `trainfit probe` has the same bound).
const MAX_BUDGET_S: f64 = 3600.0;

/// Options of the analysis of this machine (`trainfit` with no subcommand).
#[derive(Args, Debug, Clone)]
pub struct Analyse {
    /// Print only the profile of this machine (with --json: the profile as JSON).
    #[arg(long)]
    profile_only: bool,
    /// Also measure: memory bandwidth, CPU and GPU matrix multiply, storage throughput.
    #[arg(long)]
    benchmark: bool,
    /// Seconds all benchmarks together may take.
    #[arg(long, default_value_t = 20.0, value_name = "SECONDS")]
    budget: f64,
    /// Print `{"profile": ..., "plan": ...}` as JSON instead of the report.
    #[arg(long)]
    json: bool,
    /// Plan this mode (repeatable). Default: all three.
    #[arg(long, value_enum, value_name = "MODE")]
    mode: Vec<ModeArg>,
    /// What to do.
    #[arg(long, value_enum, default_value = "pretrain")]
    task: TaskArg,
    /// The model: a catalogue name (see `trainfit models`) or the path of a Hugging Face
    /// config.json. Required for every task but pretrain.
    #[arg(long, value_name = "NAME|FILE")]
    model: Option<String>,
}

/// A planning mode on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeArg {
    /// Half the memory, short runs, fallbacks ready.
    Conservative,
    /// Three quarters of the memory, a few hours.
    Balanced,
    /// Nearly all the memory, long runs.
    Extreme,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Conservative => Mode::Conservative,
            ModeArg::Balanced => Mode::Balanced,
            ModeArg::Extreme => Mode::Extreme,
        }
    }
}

/// A task on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskArg {
    /// Train a new model; the planner picks its size.
    Pretrain,
    /// Train every weight of --model.
    Finetune,
    /// LoRA adapters on --model in 16 bits.
    Lora,
    /// LoRA adapters on --model in 4 bits (NF4).
    Qlora,
    /// Serve --model.
    Serve,
}

impl From<TaskArg> for GoalTask {
    fn from(t: TaskArg) -> GoalTask {
        match t {
            TaskArg::Pretrain => GoalTask::Pretrain,
            TaskArg::Finetune => GoalTask::Finetune,
            TaskArg::Lora => GoalTask::Lora,
            TaskArg::Qlora => GoalTask::Qlora,
            TaskArg::Serve => GoalTask::Serve,
        }
    }
}

impl TaskArg {
    fn name(self) -> &'static str {
        match self {
            TaskArg::Pretrain => "pretrain",
            TaskArg::Finetune => "finetune",
            TaskArg::Lora => "lora",
            TaskArg::Qlora => "qlora",
            TaskArg::Serve => "serve",
        }
    }
}

/// `trainfit`: profiles this machine, plans the goal of the flags for it and returns the text to
/// print (the profile summary and the report, or JSON).
pub fn analyse(args: &Analyse, style: Style) -> anyhow::Result<String> {
    if !(args.budget.is_finite() && args.budget > 0.0 && args.budget <= MAX_BUDGET_S) {
        anyhow::bail!(
            "--budget is {}, expected seconds from 0 to {MAX_BUDGET_S}",
            args.budget
        );
    }
    // Flags are checked before the probe runs, so a mistake costs no benchmark.
    let goal = goal(args)?;
    let options = Options {
        benchmark: args.benchmark,
        budget: Duration::from_secs_f64(args.budget),
        progress: args.benchmark,
        ..Options::default()
    };
    let profile = collect(&options);
    if args.profile_only {
        return Ok(if args.json {
            serde_json::to_string_pretty(&profile)? + "\n"
        } else {
            crate::probe::summary(&profile)
        });
    }
    let request = PlanRequest {
        schema_version: PLAN_SCHEMA_VERSION,
        profile,
        goal,
        modes: modes(&args.mode),
    };
    let result = plan(&request).context("cannot plan for this machine")?;
    if args.json {
        let both = json!({"profile": request.profile, "plan": result});
        return Ok(serde_json::to_string_pretty(&both)? + "\n");
    }
    Ok(this_machine(&request.profile, &result, style))
}

/// The profile summary, then the report.
fn this_machine(profile: &HardwareProfile, result: &Plan, style: Style) -> String {
    let summary = crate::probe::summary(profile);
    format!(
        "{}\n{}\n{}",
        style.heading("This machine"),
        report::ascii(&summary),
        report::report(result, style)
    )
}

/// The modes asked for, in order, without repeats; all three when none was.
fn modes(args: &[ModeArg]) -> Vec<Mode> {
    if args.is_empty() {
        return Mode::ALL.to_vec();
    }
    let mut out: Vec<Mode> = Vec::new();
    for &m in args {
        let m = Mode::from(m);
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

/// The goal of the flags; the model is read and checked here so its errors name `--model`.
fn goal(args: &Analyse) -> anyhow::Result<Goal> {
    let task = GoalTask::from(args.task);
    let model = match &args.model {
        Some(arg) => Some(model_source(arg).with_context(|| format!("--model {arg}"))?),
        None if task == GoalTask::Pretrain => None,
        None => anyhow::bail!(
            "--task {} needs --model NAME (a catalogue name, see `trainfit models`) or --model FILE (a config.json)",
            args.task.name()
        ),
    };
    Ok(Goal {
        task,
        model,
        ..Goal::default()
    })
}

/// A catalogue name, or a `config.json` path when the argument names a file or ends in `.json`.
fn model_source(arg: &str) -> anyhow::Result<ModelSource> {
    let path = Path::new(arg);
    let source = if path.is_file() || arg.ends_with(".json") {
        let text = Origin(path).read()?;
        let config: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        ModelSource::HfConfig(config)
    } else {
        ModelSource::Catalogue(arg.to_string())
    };
    source.resolve()?;
    Ok(source)
}

/// `trainfit plan --input FILE`: the plan for the request at `input` (`-`: standard input), as
/// pretty JSON with `json`, else the report.
pub fn run(input: &Path, json: bool, style: Style) -> anyhow::Result<String> {
    let origin = Origin(input);
    let request = request(&origin.read()?, &origin)?;
    let result = plan(&request)?;
    if json {
        Ok(serde_json::to_string_pretty(&result)? + "\n")
    } else {
        Ok(report::report(&result, style))
    }
}

/// Parses a plan request; errors name the JSON path of the offending value.
fn request(text: &str, origin: &Origin) -> anyhow::Result<PlanRequest> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de)
        .map_err(crate::estimate::at_path)
        .with_context(|| format!("plan request {origin} is not valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_keep_their_order_and_drop_repeats() {
        assert_eq!(modes(&[]), Mode::ALL.to_vec());
        assert_eq!(
            modes(&[ModeArg::Extreme, ModeArg::Conservative, ModeArg::Extreme]),
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
