//! `trainfit`: what fits your hardware, from the command line.
//!
//! `trainfit` alone profiles this machine and prints what it can train (`plan`, `report`). Every
//! number comes from `trainfit-core`; this binary only reads the machine and files, calls the core
//! and prints the result as JSON or as text. One module per command; `render` and `report` draw
//! the tables.

mod estimate;
mod input;
mod model;
mod models;
mod plan;
mod probe;
mod render;
mod report;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// What language-model training fits this machine.
///
/// Without a command: profile this machine and print the analysis (profile, capability score,
/// three configurations with memory, time and power, warnings).
#[derive(Parser)]
#[command(name = "trainfit", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    analyse: plan::Analyse,
}

#[derive(Subcommand)]
enum Command {
    /// Show a model's architecture and exact parameter counts.
    Model {
        /// A Hugging Face `config.json` file, or `-` for standard input.
        #[arg(long, conflicts_with = "name", required_unless_present = "name")]
        hf_config: Option<PathBuf>,
        /// A model from the built-in catalogue (see `trainfit models`).
        #[arg(long)]
        name: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the catalogue, or the entries matching every word of QUERY.
    Models {
        /// Words to match in the id or repository.
        query: Vec<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Profile this machine: CPU, memory, GPUs, storage, power, network; JSON for the page and the planner.
    Probe {
        /// Print compact JSON (one line).
        #[arg(long, conflicts_with = "pretty")]
        json: bool,
        /// Print indented JSON.
        #[arg(long)]
        pretty: bool,
        /// Write the JSON profile to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Also measure: memory bandwidth, CPU and GPU matrix multiply, storage throughput.
        #[arg(long)]
        benchmark: bool,
        /// Seconds all benchmarks together may take.
        #[arg(long, default_value_t = 20.0, value_name = "SECONDS")]
        budget: f64,
        /// Directory for the storage benchmark's test file (removed afterwards).
        #[arg(long, default_value = ".", value_name = "DIR")]
        bench_dir: PathBuf,
        /// Leave the host name out of the profile.
        #[arg(long)]
        redact_hostname: bool,
        /// Keep GPU UUIDs (withheld by default); for profiles that stay on this machine.
        #[arg(long)]
        include_ids: bool,
    },
    /// Measure the network between two hosts: `serve` on one, `test` on the other.
    Net {
        #[command(subcommand)]
        command: NetCommand,
    },
    /// Plan three configurations for the profile and goal of a request (see the README).
    Plan {
        /// The plan request JSON file, or `-` for standard input.
        #[arg(long)]
        input: PathBuf,
        /// Print the plan as JSON instead of the report.
        #[arg(long)]
        json: bool,
    },
    /// Estimate the peak memory of one device for a request (see the README for the format).
    Estimate {
        /// The request JSON file, or `-` for standard input.
        #[arg(long)]
        input: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum NetCommand {
    /// Wait for `trainfit net test` from another host.
    Serve {
        /// Address and port to listen on.
        #[arg(long, default_value = "0.0.0.0:7070")]
        bind: String,
        /// Exit after one test.
        #[arg(long)]
        once: bool,
    },
    /// Measure throughput and latency to a host running `trainfit net serve`.
    Test {
        /// The serving host, `HOST:PORT`.
        peer: String,
        /// Seconds to measure, split between the two directions.
        #[arg(long, default_value_t = 6.0)]
        seconds: f64,
        /// Print JSON (the profile's `benchmarks.network` entry).
        #[arg(long)]
        json: bool,
    },
}

/// The text a command prints on success.
fn run(cli: Cli) -> anyhow::Result<String> {
    let Some(command) = cli.command else {
        return plan::analyse(&cli.analyse, report::Style::detect());
    };
    match command {
        Command::Model {
            hf_config,
            name,
            json,
        } => {
            let source = match (hf_config, name) {
                (Some(path), _) => model::Source::HfConfig(path),
                (None, Some(name)) => model::Source::Catalogue(name),
                (None, None) => anyhow::bail!("give --hf-config FILE or --name NAME"),
            };
            model::run(source, json)
        }
        Command::Models { query, json } => models::run(&query.join(" "), json),
        Command::Estimate { input, json } => estimate::run(&input, json),
        Command::Plan { input, json } => plan::run(&input, json, report::Style::detect()),
        Command::Probe {
            json,
            pretty,
            output,
            benchmark,
            budget,
            bench_dir,
            redact_hostname,
            include_ids,
        } => {
            if !(budget.is_finite() && budget > 0.0 && budget <= 3600.0) {
                anyhow::bail!("--budget is {budget}, expected seconds from 0 to 3600");
            }
            let options = trainfit_probe::collect::Options {
                benchmark,
                budget: std::time::Duration::from_secs_f64(budget),
                bench_dir,
                keep: trainfit_probe::redact::Keep {
                    hostname: !redact_hostname,
                    ids: include_ids,
                },
                progress: benchmark,
                ..Default::default()
            };
            let format = match (json, pretty) {
                (true, _) => probe::Format::Json,
                (_, true) => probe::Format::Pretty,
                _ => probe::Format::Summary,
            };
            probe::run(&options, format, output)
        }
        Command::Net { command } => match command {
            NetCommand::Serve { bind, once } => probe::serve(&bind, once),
            NetCommand::Test {
                peer,
                seconds,
                json,
            } => probe::test(&peer, seconds, json),
        },
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                // A closed pipe (`trainfit models | head`) is the reader's choice, not a failure.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot write to standard output: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            // One line: the context, then the cause.
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("error: {}", msg.join(": "));
            ExitCode::from(2)
        }
    }
}
