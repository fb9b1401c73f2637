//! Flags that more than one command takes, and the core's closed sets as flag values.

use std::str::FromStr;
use std::time::Duration;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::Args;
use trainfit_probe::collect::Options;

/// Longest benchmark budget accepted, seconds (an hour).
const MAX_BUDGET_S: f64 = 3600.0;

/// The benchmark flags of the analysis (`trainfit`) and of `trainfit probe`.
#[derive(Args, Debug, Clone)]
pub struct Benchmark {
    /// Also measure: memory bandwidth, CPU and GPU matrix multiply, storage throughput.
    #[arg(long)]
    benchmark: bool,
    /// Seconds all benchmarks together may take.
    #[arg(long, default_value_t = 20.0, value_name = "SECONDS")]
    budget: f64,
}

impl Benchmark {
    /// The probe's options for these flags (progress on standard error while benchmarking); the
    /// rest at their defaults.
    ///
    /// # Errors
    ///
    /// When `--budget` is not a number of seconds above 0 and at most an hour.
    pub fn options(&self) -> anyhow::Result<Options> {
        if !(self.budget.is_finite() && self.budget > 0.0 && self.budget <= MAX_BUDGET_S) {
            anyhow::bail!(
                "--budget is {}, expected seconds from 0 to {MAX_BUDGET_S}",
                self.budget
            );
        }
        Ok(Options {
            benchmark: self.benchmark,
            budget: Duration::from_secs_f64(self.budget),
            progress: self.benchmark,
            ..Options::default()
        })
    }
}

/// A flag value from one of the core's closed sets (`Mode`, `GoalTask`): `--help` lists `all`
/// by their wire names with `help` for each, and the value is parsed by the core's `FromStr`.
pub fn one_of<T>(
    all: &'static [T],
    name: fn(T) -> &'static str,
    help: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T>
where
    T: Copy + Clone + Send + Sync + 'static + FromStr,
    <T as FromStr>::Err: std::error::Error + Send + Sync + 'static,
{
    PossibleValuesParser::new(
        all.iter()
            .map(|&v| PossibleValue::new(name(v)).help(help(v))),
    )
    .try_map(|s| s.parse::<T>())
}
