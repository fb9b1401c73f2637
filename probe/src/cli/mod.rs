//! The command line: the commands and their flags, and what each prints.
//!
//! One module per command (`plan` also holds the analysis `trainfit` runs without one); `args`
//! holds the flags two commands share, `input` reads documents, and `render` draws every table
//! and report. Every number comes from `trainfit-core` and every reading from the probe library.

mod adjust;
mod args;
mod cluster;
mod estimate;
mod export;
mod input;
mod model;
mod models;
mod net;
mod open;
mod plan;
mod probe;
mod render;
mod watch;

use clap::{Parser, Subcommand};

use render::Style;

/// What language-model training fits this machine.
///
/// Without a command: profile this machine and print the analysis (profile, capability score,
/// three configurations with memory, time and power, warnings).
#[derive(Parser)]
#[command(name = "trainfit", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    analyse: plan::Analyse,
}

#[derive(Subcommand)]
enum Command {
    /// Show a model's architecture and exact parameter counts.
    Model(model::Args),
    /// List the catalogue, or the entries matching every word of QUERY.
    Models(models::Args),
    /// Profile this machine: CPU, memory, GPUs, storage, power, network; JSON for the page and the planner.
    Probe(probe::Args),
    /// Measure the network between two hosts: `serve` on one, `test` on the other.
    Net(net::Args),
    /// Build a cluster document: `merge` profiles and cluster files, or `discover` hosts over ssh.
    Cluster(cluster::Args),
    /// Open the web calculator with this machine's profile in the address (nothing is uploaded).
    Open(open::Args),
    /// Plan three configurations for the profile and goal of a request (see the README).
    Plan(plan::Args),
    /// Estimate the peak memory of one device for a request (see the README for the format).
    Estimate(estimate::Args),
    /// Write a plan's configuration as the files of an engine (DeepSpeed, torchrun, SLURM, vLLM, ...).
    Export(export::Args),
    /// The next configuration for an observation of a running job (out of memory, throttling, ...), as JSON.
    Adjust(adjust::Args),
    /// Watch a training run against its plan: samples, alerts with adjustments, and a summary.
    Watch(watch::Args),
}

impl Cli {
    /// Runs the command; the text it prints on success.
    ///
    /// # Errors
    ///
    /// Whatever stops the command: a bad flag value, an unreadable or invalid input, a request
    /// the core refuses, a failed network test.
    pub fn run(self) -> anyhow::Result<String> {
        let Some(command) = self.command else {
            return plan::analyse(&self.analyse, Style::detect());
        };
        match command {
            Command::Model(args) => model::run(&args),
            Command::Models(args) => models::run(&args),
            Command::Probe(args) => probe::run(&args),
            Command::Net(args) => net::run(&args),
            Command::Cluster(args) => cluster::run(&args),
            Command::Open(args) => open::run(&args),
            Command::Plan(args) => plan::run(&args, Style::detect()),
            Command::Estimate(args) => estimate::run(&args),
            Command::Export(args) => export::run(&args),
            Command::Adjust(args) => adjust::run(&args),
            Command::Watch(args) => watch::run(&args),
        }
    }
}
