//! Sanity checks of the benchmarks: they run, return plausible numbers and clean up. Budgets are
//! short (the whole file stays within seconds on two shared CI cores), so these are not timings.

use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use trainfit_probe::bench::{matmul, memory, net, storage};
use trainfit_probe::root::Root;
use trainfit_probe::Error;

/// Far above any memory system today (HBM3e stacks on one socket reach a few TB/s); a figure
/// beyond it means the loop was optimised away or the time misread.
const ABSURD_GBS: f64 = 100_000.0;
/// Far above any CPU's fp32 rate (a 2-socket AMX Xeon peaks near 100 TFLOP/s in bf16).
const ABSURD_GFLOPS: f64 = 1_000_000.0;

#[test]
fn triad_is_positive_and_finite() {
    let gbs = memory::triad(2, Duration::from_millis(100)).expect("triad runs");
    assert!(
        gbs.is_finite() && gbs > 0.0 && gbs < ABSURD_GBS,
        "{gbs} GB/s"
    );
}

#[test]
fn triad_refuses_zero_threads() {
    assert!(memory::triad(0, Duration::from_millis(10)).is_err());
}

#[test]
fn triad_arrays_exceed_cache_and_fit_memory() {
    let mib = 1u64 << 20;
    // 32 MiB of L3: 4 × 32 MiB per array.
    assert_eq!(memory::array_bytes(Some(32 * mib), None), Ok(128 * mib));
    // Unknown or small caches: the 64 MiB floor.
    assert_eq!(memory::array_bytes(None, None), Ok(64 * mib));
    assert_eq!(memory::array_bytes(Some(mib), None), Ok(64 * mib));
    // 1.2 GB available: all three arrays under a quarter, 100 MB each.
    assert_eq!(
        memory::array_bytes(Some(256 * mib), Some(1_200_000_000)),
        Ok(100_000_000)
    );
    assert!(memory::array_bytes(None, Some(mib)).is_err());
}

#[test]
fn cache_sizes_and_cpulists_parse() {
    assert_eq!(memory::parse_cache_size("32768K"), Some(32 << 20));
    assert_eq!(memory::parse_cache_size("1M"), Some(1 << 20));
    assert_eq!(memory::parse_cache_size("512"), Some(512));
    assert_eq!(memory::parse_cache_size("big"), None);
    assert_eq!(memory::cpulist_len("0-7,16-23"), Some(16));
    assert_eq!(memory::cpulist_len("3"), Some(1));
    assert_eq!(memory::cpulist_len("x"), None);
}

/// A recorded two-CCD layout: each 32 MiB L3 shared by 8 of 16 CPUs, so 64 MiB in all.
#[test]
fn llc_counts_every_cache_instance() {
    let dir = scratch("llc");
    let write = |path: &str, text: &str| {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    let cache = "sys/devices/system/cpu/cpu0/cache";
    for (index, level, kind, size, shared) in [
        ("index0", "1", "Data", "32K", "0,8"),
        ("index1", "1", "Instruction", "32K", "0,8"),
        ("index2", "2", "Unified", "1024K", "0,8"),
        ("index3", "3", "Unified", "32768K", "0-7"),
    ] {
        write(&format!("{cache}/{index}/level"), level);
        write(&format!("{cache}/{index}/type"), kind);
        write(&format!("{cache}/{index}/size"), size);
        write(&format!("{cache}/{index}/shared_cpu_list"), shared);
    }
    write("sys/devices/system/cpu/online", "0-15\n");
    assert_eq!(memory::llc_total_bytes(&Root::at(&dir)), Some(64 << 20));
    assert_eq!(memory::llc_total_bytes(&Root::at(dir.join("none"))), None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cpu_matmul_verifies_and_reports() {
    let gflops = matmul::cpu_gflops(2, Duration::from_millis(200)).expect("matmul verifies");
    assert!(
        gflops.is_finite() && gflops > 0.0 && gflops < ABSURD_GFLOPS,
        "{gflops} GFLOP/s"
    );
}

#[test]
fn matmul_refuses_zero_threads() {
    assert!(matmul::cpu_gflops(0, Duration::from_millis(10)).is_err());
}

#[test]
fn storage_measures_and_leaves_no_file() {
    let dir = scratch("storage");
    let result = storage::sequential(&dir, 8 << 20, Duration::from_secs(2)).expect("storage runs");
    assert_eq!(result.path, dir.display().to_string());
    assert!(result.size_bytes > 0 && result.size_bytes <= 8 << 20);
    for mbs in [&result.write_mbs, &result.read_mbs] {
        let mbs = mbs.expect("measured").value;
        assert!(mbs.is_finite() && mbs > 0.0, "{mbs} MB/s");
    }
    assert!(result.direct_io.is_some());
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn storage_stops_at_the_budget() {
    let dir = scratch("storage-budget");
    let size = 256 << 20;
    let result = storage::sequential(&dir, size, Duration::from_millis(1)).expect("storage runs");
    // One block is always written; the 1 ms budget stops it long before 256 MiB.
    assert!(result.size_bytes > 0 && result.size_bytes < size);
    assert!(result.read_mbs.is_some());
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&dir);
}

/// tmpfs takes O_DIRECT on Linux 6.6 and later, but its data is memory: never a direct read.
#[cfg(target_os = "linux")]
#[test]
fn storage_on_tmpfs_is_not_direct() {
    let shm = std::path::Path::new("/dev/shm");
    if !shm.is_dir() {
        return;
    }
    let result = storage::sequential(shm, 4 << 20, Duration::from_secs(2)).expect("storage runs");
    assert_eq!(result.direct_io, Some(false));
    assert_eq!(leftovers(shm), Vec::<String>::new());
}

#[test]
fn storage_in_a_missing_directory_fails_cleanly() {
    let dir = scratch("storage-missing").join("absent");
    let e = storage::sequential(&dir, 1 << 20, Duration::from_millis(100)).unwrap_err();
    assert!(
        matches!(&e, Error::File { action: "write", path, .. } if path.starts_with(&dir)),
        "{e:?}"
    );
    assert!(e.to_string().starts_with("cannot write "), "{e}");
}

#[test]
fn net_loopback_measures_throughput_and_latency() {
    let (tx, rx) = std::sync::mpsc::channel();
    let server = thread::spawn(move || {
        net::serve("127.0.0.1:0", true, move |addr| {
            let _ = tx.send(addr);
        })
    });
    let addr = rx.recv().expect("server listening").to_string();
    let result = net::test(&addr, Duration::from_millis(400)).expect("net test runs");
    assert_eq!(result.peer, addr);
    for gbps in [&result.send_gbps, &result.receive_gbps] {
        let gbps = gbps.expect("measured").value;
        assert!(gbps.is_finite() && gbps > 0.0, "{gbps} Gbit/s");
    }
    let us = result.latency_us.expect("measured").value;
    assert!(us.is_finite() && us > 0.0, "{us} µs");
    // With `once`, the server returns after this one client.
    assert_eq!(server.join().expect("server thread"), Ok(()));
}

#[test]
fn net_server_rejects_other_protocols() {
    let (tx, rx) = std::sync::mpsc::channel();
    let server = thread::spawn(move || {
        net::serve("127.0.0.1:0", true, move |addr| {
            let _ = tx.send(addr);
        })
    });
    let addr = rx.recv().expect("server listening");
    let mut client = std::net::TcpStream::connect(addr).expect("connects");
    std::io::Write::write_all(&mut client, b"GET / HTTP/1.0\r\n\r\n").expect("sends");
    let e = server.join().expect("server thread").unwrap_err();
    assert!(matches!(e, Error::Client { .. }), "{e:?}");
    assert!(e.to_string().contains("not a trainfit net client"), "{e}");
}

#[test]
fn net_against_a_closed_port_names_the_peer() {
    // Bind and close to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let peer = format!("127.0.0.1:{port}");
    let e = net::test(&peer, Duration::from_millis(100)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("cannot connect to {peer}: connection refused")
    );
}

/// A fresh directory for one test under the target directory's tmp folder.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bench-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Benchmark files left in `dir`.
fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("readable")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(storage::FILE_PREFIX))
        .collect()
}
