//! `trainfit probe`: runs every reader that applies to this OS, then the benchmarks when asked,
//! and completes the profile with the catalogue and the summary. What failed is recorded in the
//! profile's `errors`, the benchmarks' failures under their section (`benchmarks.storage`).

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use trainfit_core::hardware::{
    Benchmarks, HardwareProfile, ProbeError, ProbeInfo, ProbeKind, Value,
};

use crate::error::record;
use crate::redact::{self, Keep};
use crate::root::Root;

/// How to probe.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run the benchmarks.
    pub benchmark: bool,
    /// Time all benchmarks together may take.
    pub budget: Duration,
    /// Directory the storage benchmark writes its test file in.
    pub bench_dir: PathBuf,
    /// Longest the GPU adapter enumeration may take before it is abandoned (a broken graphics
    /// stack can hang it: <https://github.com/paiml/aprender/pull/2217>).
    pub adapter_timeout: Duration,
    /// What identifying fields to keep.
    pub keep: Keep,
    /// Print benchmark progress, failures included, on standard error.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            benchmark: false,
            budget: Duration::from_secs(20),
            bench_dir: PathBuf::from("."),
            adapter_timeout: Duration::from_secs(5),
            keep: Keep {
                hostname: true,
                ids: false,
            },
            progress: false,
        }
    }
}

/// Profiles this machine.
pub fn collect(options: &Options) -> HardwareProfile {
    let start = Instant::now();
    let mut p = HardwareProfile {
        probe: ProbeInfo {
            kind: ProbeKind::Native,
            version: Some(env!("CARGO_PKG_VERSION").into()),
            collected_at: Some(rfc3339(SystemTime::now())),
            duration_ms: None,
        },
        ..HardwareProfile::default()
    };
    read_os(&mut p);
    read_accelerators(&mut p, options.adapter_timeout);
    p.hostname = sysinfo::System::host_name().ok();
    let root = Root::system();
    // Without a machine id (a minimal container), the host name with the CPU and memory stand in:
    // stable while the host name is, and still hashed.
    let fallback = || {
        let host = p.hostname.as_deref()?;
        let cpu = p.cpu.brand.as_deref().unwrap_or("");
        let memory = p.memory.total_bytes.map_or(0, |v| v.value);
        Some(format!("{host}/{cpu}/{memory}"))
    };
    p.device_id = redact::machine_id(&root)
        .or_else(fallback)
        .map(|id| redact::device_id(&id));
    if options.benchmark {
        let mut failures = Vec::new();
        p.benchmarks = benchmarks(options, &p, &mut failures);
        p.errors.append(&mut failures);
    }
    redact::redact(&mut p, options.keep);
    p.complete();
    p.probe.duration_ms = u64::try_from(start.elapsed().as_millis()).ok();
    p
}

#[cfg(target_os = "linux")]
fn read_os(p: &mut HardwareProfile) {
    crate::linux::read(&Root::system(), &crate::linux::statvfs_space, p);
}

#[cfg(target_os = "macos")]
fn read_os(p: &mut HardwareProfile) {
    let facts = crate::apple::read_system(&mut p.errors);
    crate::apple::apply(&facts, p);
    crate::portable::read_storage(p);
    crate::portable::read_network(p);
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn read_os(p: &mut HardwareProfile) {
    crate::portable::read_system(p);
    crate::portable::read_storage(p);
    crate::portable::read_network(p);
    crate::portable::read_gpus(p);
}

fn read_accelerators(p: &mut HardwareProfile, timeout: Duration) {
    #[cfg(any(target_os = "linux", windows))]
    crate::nvidia::read(&crate::nvidia::SystemNvml, p);
    match crate::gpu::adapters(timeout) {
        Ok(records) => crate::gpu::merge_adapters(&records, p),
        Err(e) => record(&mut p.errors, "accelerators", "wgpu", e),
    }
}

/// Shares of the benchmark budget. The GPU share goes to the others when there is no real GPU.
const MEMORY_SHARE: f64 = 0.2;
const CPU_SHARE: f64 = 0.2;
const GPU_SHARE: f64 = 0.3;
const STORAGE_SHARE: f64 = 0.3;

/// Largest storage test file; smaller when the directory has little free space (a twentieth of it).
const STORAGE_FILE_BYTES: u64 = 1 << 30;

/// Runs the benchmarks; each failure goes to `errors` under the section of the figure it would
/// have given (and to standard error with the progress).
fn benchmarks(options: &Options, p: &HardwareProfile, errors: &mut Vec<ProbeError>) -> Benchmarks {
    let start = Instant::now();
    let mut b = Benchmarks::default();
    let has_gpu = p
        .accelerators
        .iter()
        .any(|a| a.kind != trainfit_core::hardware::AcceleratorKind::Cpu);
    let scale = if has_gpu {
        1.0
    } else {
        1.0 / (1.0 - GPU_SHARE)
    };
    let share = |s: f64| options.budget.mul_f64(s * scale);
    let threads = p
        .cpu
        .available_parallelism
        .map(|v| v.value as usize)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    b.cpu_threads = u32::try_from(threads).ok();
    let say = |what: &str, d: Duration| {
        if options.progress {
            eprintln!("benchmark: {what} ({:.0} s)", d.as_secs_f64());
        }
    };
    // `what` names the benchmark on standard error, `section` and `source` in the profile.
    let mut failed = |what: &str, section: &str, source: &str, e: &dyn std::fmt::Display| {
        if options.progress {
            eprintln!("benchmark: {what} failed: {e}");
        }
        record(errors, &format!("benchmarks.{section}"), source, e);
    };

    let d = share(MEMORY_SHARE);
    say("memory bandwidth, STREAM triad", d);
    match crate::bench::memory::triad(threads, d) {
        Ok(gbs) => b.memory_bandwidth_gbs = Some(Value::measured(gbs)),
        Err(e) => failed("memory bandwidth", "memory_bandwidth_gbs", "triad", &e),
    }

    let d = share(CPU_SHARE);
    say("CPU matrix multiply, fp32", d);
    match crate::bench::matmul::cpu_gflops(threads, d) {
        Ok(gflops) => b.cpu_matmul_gflops = Some(Value::measured(gflops)),
        Err(e) => failed("CPU matmul", "cpu_matmul_gflops", "cpu_matmul", &e),
    }

    if has_gpu {
        let d = share(GPU_SHARE);
        say("GPU matrix multiply, fp32 through wgpu", d);
        match crate::gpu::matmul_benchmark(d) {
            Ok(runs) => {
                for run in runs {
                    match run.result {
                        Ok(g) => b.gpu_matmul.push(g),
                        // The message names the adapter: a machine may have several.
                        Err(e) => failed(
                            "GPU matmul",
                            "gpu_matmul",
                            "wgpu",
                            &format!("{}: {e}", run.adapter.name),
                        ),
                    }
                }
            }
            Err(e) => failed("GPU matmul", "gpu_matmul", "wgpu", &e),
        }
    }

    let d = share(STORAGE_SHARE);
    let dir = &options.bench_dir;
    let shown = dir.display().to_string();
    say(&format!("storage, sequential, in {shown}"), d);
    let free = free_bytes(dir);
    let size = free.map_or(STORAGE_FILE_BYTES, |f| (f / 20).min(STORAGE_FILE_BYTES));
    match crate::bench::storage::sequential(dir, size, d) {
        Ok(s) => b.storage.push(s),
        Err(e) => failed(&format!("storage in {shown}"), "storage", &shown, &e),
    }
    b.duration_ms = u64::try_from(start.elapsed().as_millis()).ok();
    b
}

/// Space free for this user in the file system holding `dir`.
#[cfg(unix)]
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    st.f_bavail.checked_mul(st.f_frsize)
}

#[cfg(not(unix))]
fn free_bytes(_dir: &std::path::Path) -> Option<u64> {
    None
}

/// RFC 3339 UTC time stamp, seconds precision (civil-from-days: H. Hinnant,
/// "chrono-Compatible Low-Level Date Algorithms").
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
