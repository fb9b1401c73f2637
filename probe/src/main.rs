//! `trainfit`: what fits your hardware, from the command line.
//!
//! Every number comes from `trainfit-core`; this binary only reads files, calls the core and
//! prints the result as JSON or as a table. One module per command; `render` draws the tables.

mod estimate;
mod input;
mod model;
mod models;
mod render;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Memory of language-model training and inference, term by term.
#[derive(Parser)]
#[command(name = "trainfit", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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

/// The text a command prints on success.
fn run(command: Command) -> anyhow::Result<String> {
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
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
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
