//! `trainfit net`: the network between two hosts, `serve` on one and `test` on the other.

use std::time::Duration;

use clap::Subcommand;
use trainfit_probe::bench::net;

use super::render;

/// Longest test accepted, seconds (ten minutes).
const MAX_SECONDS: f64 = 600.0;

/// Arguments of `trainfit net`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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

/// `trainfit net serve` (prints where it listens on standard error, returns no text) or
/// `trainfit net test HOST:PORT` (the result as lines, or as JSON with `--json`).
pub fn run(args: &Args) -> anyhow::Result<String> {
    match &args.command {
        Command::Serve { bind, once } => {
            net::serve(bind, *once, |addr| {
                eprintln!(
                    "trainfit net: listening on {addr}; run `trainfit net test HOST:{}` on the other host",
                    addr.port()
                );
            })?;
            Ok(String::new())
        }
        Command::Test {
            peer,
            seconds,
            json,
        } => {
            if !(seconds.is_finite() && *seconds > 0.0 && *seconds <= MAX_SECONDS) {
                anyhow::bail!(
                    "--seconds is {seconds}, expected a duration from 0 to {MAX_SECONDS} seconds"
                );
            }
            let result = net::test(peer, Duration::from_secs_f64(*seconds))?;
            if *json {
                Ok(render::json("network test", &result)?)
            } else {
                Ok(render::profile::network(&result))
            }
        }
    }
}
