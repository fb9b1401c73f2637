//! Prints the STREAM triad bandwidth in GB/s, for `benches/compare-bandwidth.sh` until
//! `trainfit probe --benchmark` exists.
//!
//! `cargo run --release -p trainfit-probe --example triad -- [THREADS] [SECONDS]`; THREADS
//! defaults to the CPUs this process may use, SECONDS to 3.

use std::process::ExitCode;
use std::time::Duration;

use trainfit_probe::bench::memory;

/// Seconds of repetitions when none are given (the best of about 3 s of passes is stable to a
/// few per cent on an idle machine).
const DEFAULT_SECONDS: f64 = 3.0;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let threads = args
        .next()
        .and_then(|a| a.parse().ok())
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    let seconds = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(DEFAULT_SECONDS);
    match memory::triad(threads, Duration::from_secs_f64(seconds)) {
        Ok(gbs) => {
            println!("{gbs:.2}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("triad: {e}");
            ExitCode::FAILURE
        }
    }
}
