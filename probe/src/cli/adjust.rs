//! `trainfit adjust`: the decision for an observation of a running job on a plan's configuration.

use std::path::PathBuf;

use trainfit_core::adjust::{adjust, Observation};
use trainfit_core::plan::{Mode, Plan};

use super::args::one_of;
use super::export::mode_help;
use super::input::{self, Origin};
use super::render;

/// Arguments of `trainfit adjust`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The plan, as `trainfit plan --json` prints it (or `trainfit --json`'s analysis), JSON or
    /// YAML, or `-` for standard input.
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    /// The configuration the job runs.
    #[arg(long, default_value = "balanced", value_parser = one_of(Mode::ALL, Mode::as_str, mode_help))]
    mode: Mode,
    /// The observation (`schema/observation.schema.json`), JSON or YAML, or `-` for standard
    /// input.
    #[arg(long, value_name = "FILE")]
    observation: PathBuf,
}

/// The decision as pretty JSON (`schema/decision.schema.json`).
pub fn run(args: &Args) -> anyhow::Result<String> {
    if args.plan.as_os_str() == "-" && args.observation.as_os_str() == "-" {
        anyhow::bail!("--plan and --observation cannot both be read from standard input");
    }
    let plan: Plan = read(&args.plan, "plan", true)?;
    let observation: Observation = read(&args.observation, "observation", false)?;
    let decision = adjust(&plan, args.mode, &observation)?;
    render::json("decision", &decision)
}

/// A document from `path`, JSON or YAML; a plan may be `trainfit --json`'s analysis, whose
/// `plan` it takes.
fn read<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    what: &str,
    analysis: bool,
) -> anyhow::Result<T> {
    let origin = Origin(path);
    let text = origin.read()?;
    let what = format!("{what} {origin}");
    let value: serde_json::Value = if origin.is_yaml() {
        input::yaml(&what, &text)?
    } else {
        input::parse(&what, &text)?
    };
    let value = match value.get("plan") {
        Some(p) if analysis && value.get("configurations").is_none() => p.clone(),
        _ => value,
    };
    input::from_value(&what, value)
}
