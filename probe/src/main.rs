//! `trainfit`: what fits your hardware, from the command line.
//!
//! Every number comes from `trainfit-core`; this binary only reads files, calls the core and
//! prints the result as JSON or as a table.

mod render;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde_json::json;
use trainfit_core::{model, EstimateRequest};

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
        /// A Hugging Face `config.json` file.
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

fn read(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        return Ok(s);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The command line also accepts `"model": {"hf_config_file": "config.json"}`, a path relative to
/// the request file, and inlines the file as `hf_config` (the core does no I/O).
fn inline_config_file(request: &mut serde_json::Value, input: &Path) -> anyhow::Result<()> {
    let Some(model) = request.get_mut("model").and_then(|m| m.as_object_mut()) else {
        return Ok(());
    };
    let Some(file) = model.remove("hf_config_file") else {
        return Ok(());
    };
    let Some(file) = file.as_str() else {
        anyhow::bail!("field `model.hf_config_file` is {file}, expected a path string");
    };
    let base = match input.parent() {
        Some(dir) if input != Path::new("-") => dir,
        _ => Path::new("."),
    };
    let path = base.join(file);
    let text = read(&path).context("field `model.hf_config_file`")?;
    let config: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("config {} is not valid JSON: {e}", path.display()))?;
    model.insert("hf_config".into(), config);
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Model {
            hf_config,
            name,
            json,
        } => {
            let spec = match (hf_config, name) {
                (Some(path), _) => model::from_hf_config(&read(&path)?)?,
                (None, Some(name)) => model::find(&name)?,
                (None, None) => anyhow::bail!("give --hf-config FILE or --name NAME"),
            };
            let params = spec.parameters()?;
            if json {
                let doc = json!({"schema_version": trainfit_core::SCHEMA_VERSION, "spec": spec, "parameters": params});
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                print!("{}", render::model(&spec, &params));
            }
        }
        Command::Models { query, json } => {
            let q = query.join(" ");
            let found = model::search(&q);
            let rows: Vec<_> = found
                .iter()
                .map(|e| {
                    let total = model::from_hf_config(e.config)
                        .and_then(|s| s.parameters())
                        .map(|p| p.total)
                        .ok();
                    (e.id, e.repo, total)
                })
                .collect();
            if json {
                let doc: Vec<_> = rows
                    .iter()
                    .map(|(id, repo, total)| json!({"id": id, "repo": repo, "parameters": total}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                print!("{}", render::models(&rows));
            }
        }
        Command::Estimate { input, json } => {
            let text = read(&input)?;
            let mut value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("request {} is not valid: {e}", input.display()))?;
            inline_config_file(&mut value, &input)?;
            let request: EstimateRequest = serde_json::from_value(value)
                .map_err(|e| anyhow::anyhow!("request {} is not valid: {e}", input.display()))?;
            let estimate = trainfit_core::estimate(&request)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&estimate)?);
            } else {
                print!("{}", render::estimate(&estimate));
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the context, then the cause.
            let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
            eprintln!("error: {}", msg.join(": "));
            ExitCode::from(2)
        }
    }
}
