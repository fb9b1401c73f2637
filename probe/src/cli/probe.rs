//! `trainfit probe`: this machine's profile, as a summary or as JSON.

use std::path::PathBuf;

use anyhow::Context;
use trainfit_probe::collect::{collect, Options};
use trainfit_probe::redact::Keep;

use super::args::Benchmark;
use super::render;

/// Arguments of `trainfit probe`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print compact JSON (one line).
    #[arg(long, conflicts_with = "pretty")]
    json: bool,
    /// Print indented JSON.
    #[arg(long)]
    pretty: bool,
    /// Write the JSON profile to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    bench: Benchmark,
    /// Directory for the storage benchmark's test file (removed afterwards).
    #[arg(long, default_value = ".", value_name = "DIR")]
    bench_dir: PathBuf,
    /// Leave the host name out of the profile.
    #[arg(long)]
    redact_hostname: bool,
    /// Keep GPU UUIDs (withheld by default); for profiles that stay on this machine.
    #[arg(long)]
    include_ids: bool,
}

/// Profiles this machine and returns the text to print (the summary, or JSON); with `--output`,
/// writes JSON to that file and returns a one-line note.
pub fn run(args: &Args) -> anyhow::Result<String> {
    let options = Options {
        bench_dir: args.bench_dir.clone(),
        keep: Keep {
            hostname: !args.redact_hostname,
            ids: args.include_ids,
        },
        ..args.bench.options()?
    };
    let profile = collect(&options);
    // A file always gets JSON: compact when asked for, indented otherwise.
    let text = match (args.json, args.pretty, &args.output) {
        (true, _, _) => serde_json::to_string(&profile)? + "\n",
        (false, false, None) => render::profile::summary(&profile),
        (false, _, _) => render::json("hardware profile", &profile)?,
    };
    match &args.output {
        None => Ok(text),
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(format!("profile written to {}\n", path.display()))
        }
    }
}
