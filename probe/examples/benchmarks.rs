//! Runs every benchmark of `probe/src/bench` once and prints the results as the profile's
//! `benchmarks` section (JSON), with the network test over loopback.
//!
//! `cargo run --release -p trainfit-probe --example benchmarks -- [DIR]`; DIR (the directory
//! whose storage is measured) defaults to the system's temporary directory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use trainfit_core::hardware::{Benchmarks, Value};
use trainfit_probe::bench::{matmul, memory, net, storage};

/// Time given to each CPU benchmark.
const CPU_BUDGET: Duration = Duration::from_secs(3);
/// Storage test file size: 1 GiB, several times a drive's DRAM cache.
const STORAGE_BYTES: u64 = 1 << 30;
/// Time given to the storage test.
const STORAGE_BUDGET: Duration = Duration::from_secs(20);
/// Time given to the loopback network test.
const NET_DURATION: Duration = Duration::from_secs(4);

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(std::env::temp_dir, PathBuf::from);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let mut b = Benchmarks {
        cpu_threads: u32::try_from(threads).ok(),
        ..Benchmarks::default()
    };
    let mut failed = false;
    let mut report = |what: &str, e: &dyn std::fmt::Display| {
        eprintln!("{what}: {e}");
        failed = true;
    };
    match memory::triad(threads, CPU_BUDGET) {
        Ok(gbs) => b.memory_bandwidth_gbs = Some(Value::measured(gbs)),
        Err(e) => report("memory", &e),
    }
    match matmul::cpu_gflops(threads, CPU_BUDGET) {
        Ok(g) => b.cpu_matmul_gflops = Some(Value::measured(g)),
        Err(e) => report("matmul", &e),
    }
    match storage::sequential(&dir, STORAGE_BYTES, STORAGE_BUDGET) {
        Ok(s) => b.storage.push(s),
        Err(e) => report("storage", &e),
    }
    match loopback() {
        Ok(n) => b.network.push(n),
        Err(e) => report("net", &e),
    }
    b.duration_ms = u64::try_from(start.elapsed().as_millis()).ok();
    match serde_json::to_string_pretty(&b) {
        Ok(json) => println!("{json}"),
        Err(e) => report("json", &e),
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `net test` against a `net serve` on 127.0.0.1 in a thread.
fn loopback() -> Result<trainfit_core::hardware::NetworkBenchmark, String> {
    let (tx, rx) = mpsc::channel();
    let server = thread::spawn(move || {
        net::serve("127.0.0.1:0", true, move |addr| {
            let _ = tx.send(addr);
        })
    });
    let addr = rx
        .recv()
        .map_err(|e| format!("server did not start: {e}"))?;
    let result = net::test(&addr.to_string(), NET_DURATION).map_err(|e| e.to_string())?;
    server
        .join()
        .map_err(|_| "server thread panicked".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(result)
}
