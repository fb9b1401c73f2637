//! System memory bandwidth: the STREAM triad.
//!
//! McCalpin's STREAM benchmark (<https://www.cs.virginia.edu/stream/>, `stream.c`) defines the
//! triad `a[i] = b[i] + s·c[i]` over f64 arrays and counts 3 × 8 bytes per element: two reads and
//! one write. It does not count the extra read a write-allocate cache makes of `a`, so on most
//! CPUs the bus carries 4/3 of the counted bytes; the figure is comparable with published STREAM
//! results, not with a bus-traffic counter.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::root::Root;

use super::{rate, share, team};

/// The triad's scalar, as in stream.c (`scalar = 3.0`).
const SCALAR: f64 = 3.0;
/// Initial values of `b` and `c`, so every `a[i]` is `B0 + SCALAR·C0 = 7` exactly afterwards.
const B0: f64 = 1.0;
/// See [`B0`].
const C0: f64 = 2.0;
/// Bytes counted per element and repetition: read `b`, read `c`, write `a` (stream.c's
/// `3 * sizeof(STREAM_TYPE)` for the triad).
const BYTES_PER_ELEMENT: u64 = 3 * 8;
/// Each array must be at least 4 times the size of all last-level caches together (stream.c's
/// sizing rule, in the comment above `STREAM_ARRAY_SIZE`).
pub const LLC_FACTOR: u64 = 4;
/// Smallest array when the caches are unknown or small: 64 MiB, more than the last-level cache
/// of desktop CPUs (AMD Ryzen 9 7950X: 64 MiB L3 in two 32 MiB CCDs).
pub const MIN_ARRAY_BYTES: u64 = 64 << 20;
/// The three arrays together may take at most this fraction of available memory (1/4), so the
/// benchmark never pushes the machine into swap.
const MEMORY_FRACTION_DIVISOR: u64 = 4;
/// Below 1 MiB per array the triad would measure the L2 cache of any recent CPU; refuse.
const FLOOR_ARRAY_BYTES: u64 = 1 << 20;

/// The three arrays one worker owns: its chunk of each.
struct Chunk {
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
}

/// STREAM triad bandwidth in GB/s (1e9 bytes per second), best of repetitions, on `threads`
/// threads, repeating until `budget` has passed (the first-touch setup counts against it; at
/// least two repetitions are timed).
///
/// # Errors
///
/// When `threads` is 0, memory is short ([`array_bytes`]), a thread fails, or the triad computes
/// a wrong value.
pub fn triad(threads: usize, budget: Duration) -> Result<f64, Error> {
    let deadline = Instant::now() + budget;
    let bytes = array_bytes(llc_total_bytes(&Root::system()), available_bytes())?;
    let elements = usize::try_from(bytes / 8).map_err(|_| Error::TooLarge {
        what: "memory benchmark array bytes",
        value: bytes,
    })?;
    let outcome = team::run(
        threads,
        deadline,
        |i| new_chunk(share(elements, threads, i).1),
        run_triad,
    )?;
    verify(&outcome.states)?;
    let counted: u64 = outcome.states.iter().map(|c| c.a.len() as u64).sum();
    rate(
        (counted * BYTES_PER_ELEMENT) as f64,
        outcome.best,
        1e9, // GB/s: decimal gigabytes
    )
    .ok_or(Error::NoTime {
        benchmark: "the triad",
    })
}

/// Bytes of each of the three arrays: at least [`LLC_FACTOR`] × the last-level caches and
/// [`MIN_ARRAY_BYTES`], at most a twelfth of available memory (all three under a quarter).
///
/// # Errors
///
/// [`Error::TooLittleMemory`] when a twelfth of `available` is under 1 MiB.
pub fn array_bytes(llc_total: Option<u64>, available: Option<u64>) -> Result<u64, Error> {
    let wanted = llc_total
        .map_or(0, |llc| llc.saturating_mul(LLC_FACTOR))
        .max(MIN_ARRAY_BYTES);
    let Some(available) = available else {
        return Ok(wanted);
    };
    let cap = available / MEMORY_FRACTION_DIVISOR / 3;
    if cap < FLOOR_ARRAY_BYTES {
        return Err(Error::TooLittleMemory {
            available_bytes: available,
        });
    }
    Ok(wanted.min(cap))
}

/// Total size of the last-level caches: cpu0's highest-level data or unified cache, times the
/// number of such caches among the online CPUs (one L3 per socket on Intel, one per CCD on AMD).
/// `None` where sysfs does not say (macOS, Windows, some virtual machines).
pub fn llc_total_bytes(root: &Root) -> Option<u64> {
    let base = "/sys/devices/system/cpu/cpu0/cache";
    let (_, size, sharing) = root
        .list(base)
        .iter()
        .filter(|d| d.starts_with("index"))
        .filter_map(|d| {
            let dir = format!("{base}/{d}");
            if root.text(&format!("{dir}/type"))? == "Instruction" {
                return None;
            }
            let level = root.u64(&format!("{dir}/level"))?;
            let size = parse_cache_size(&root.text(&format!("{dir}/size"))?)?;
            let sharing = root
                .text(&format!("{dir}/shared_cpu_list"))
                .and_then(|l| cpulist_len(&l));
            Some((level, size, sharing))
        })
        .max_by_key(|(level, _, _)| *level)?;
    let online = root
        .text("/sys/devices/system/cpu/online")
        .and_then(|l| cpulist_len(&l));
    let instances = match (online, sharing) {
        (Some(online), Some(sharing)) if sharing > 0 => online.div_ceil(sharing).max(1),
        _ => 1,
    };
    size.checked_mul(instances)
}

/// A sysfs cache size such as `32768K`, `1M` or `512` (bytes), in bytes.
pub fn parse_cache_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, shift) = match text.char_indices().last()? {
        (i, 'K') => (&text[..i], 10),
        (i, 'M') => (&text[..i], 20),
        (i, 'G') => (&text[..i], 30),
        _ => (text, 0),
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Number of CPUs in a kernel cpulist such as `0-7,16-23` or `3`; `None` when malformed.
pub fn cpulist_len(list: &str) -> Option<u64> {
    crate::linux::parse::cpulist(list).map(|cpus| cpus.len() as u64)
}

/// Memory that new allocations can take without swapping: `MemAvailable`, or the cgroup's free
/// memory when that is lower; `None` when unknown.
fn available_bytes() -> Option<u64> {
    let mut sys = sysinfo::System::new().ok()?;
    sys.refresh_memory();
    let host = Some(sys.available_memory()).filter(|&b| b > 0);
    let cgroup = sys.cgroup_limits().map(|l| l.free_memory);
    match (host, cgroup) {
        (Some(h), Some(c)) => Some(h.min(c)),
        (h, c) => h.or(c),
    }
}

/// Allocates a worker's chunks and writes every element, on the worker's own thread.
fn new_chunk(len: usize) -> Result<Chunk, Error> {
    Ok(Chunk {
        a: filled(len, 0.0)?,
        b: filled(len, B0)?,
        c: filled(len, C0)?,
    })
}

/// A vector of `len` copies of `value`, or an error when the memory cannot be had.
fn filled(len: usize, value: f64) -> Result<Vec<f64>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|e| Error::Allocation {
        bytes: len as u64 * 8,
        cause: e.to_string(),
    })?;
    v.resize(len, value);
    Ok(v)
}

/// One triad pass over a worker's chunk.
fn run_triad(chunk: &mut Chunk) {
    // black_box keeps the compiler from proving the passes identical and doing only one.
    let s = black_box(SCALAR);
    let b = black_box(chunk.b.as_slice());
    let c = black_box(chunk.c.as_slice());
    for ((a, b), c) in chunk.a.iter_mut().zip(b).zip(c) {
        *a = b + s * c;
    }
    black_box(chunk.a.as_mut_slice());
}

/// Checks the triad's result at both ends of every chunk, as stream.c's `checkSTREAMresults` does.
fn verify(chunks: &[Chunk]) -> Result<(), Error> {
    let want = B0 + SCALAR * C0;
    match chunks
        .iter()
        .flat_map(|c| [c.a.first(), c.a.last()])
        .flatten()
        .find(|&&x| x != want)
    {
        Some(&got) => Err(Error::WrongTriad { got, want }),
        None => Ok(()),
    }
}
