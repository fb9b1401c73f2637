//! Sequential storage throughput of one directory: write a file, sync it, read it back uncached.
//!
//! The read bypasses the page cache with `O_DIRECT` on Linux. File systems that refuse it (tmpfs
//! and overlayfs on older kernels answer `EINVAL`) fall back to a normal read after
//! `posix_fadvise(POSIX_FADV_DONTNEED)`, which drops the file's clean pages on most file systems;
//! the result then says `direct_io: false`, since a cache may still have served the read. On a
//! file system that lives in memory (tmpfs, ramfs) `O_DIRECT` succeeds on Linux 6.6 and later but
//! the data never leaves memory, so the result says `direct_io: false` there too.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use trainfit_core::hardware::{StorageBenchmark, Value};

use super::rate;
use crate::error::Error;

/// Bytes per write and read call: 4 MiB, large enough that per-call overhead is negligible on
/// NVMe drives (fio's sequential presets use 1 MiB and up).
const BLOCK: usize = 4 << 20;
/// Alignment of `O_DIRECT` buffers, offsets and lengths: 4096 covers logical block sizes of
/// 512 and 4096 bytes (open(2), "O_DIRECT": alignment to the logical block size).
const ALIGN: usize = 4096;
/// Prefix of the test file's name, so a file left by a killed run is recognisable.
pub const FILE_PREFIX: &str = ".trainfit-bench-";
/// Bytes per MB in the `*_mbs` fields (decimal, as disk vendors quote).
const MB: f64 = 1e6;

/// The test file; deleted when dropped, whether the benchmark finished, failed or panicked.
struct TempFile {
    path: PathBuf,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // Nothing useful can be done when removal fails; the name says what it is.
        let _ = fs::remove_file(&self.path);
    }
}

/// How the file was read back.
struct ReadBack {
    bytes: u64,
    elapsed: Duration,
    direct: bool,
}

/// Writes up to `size_bytes` (rounded up to 4 KiB) to a new file in `dir` in 4 MiB blocks, syncs
/// it, reads it back bypassing the page cache and deletes it. Writing stops at half of `budget`
/// and reading at the end of it (after at least one block each); the figures are computed from
/// what was done, and `size_bytes` of the result is what was written.
///
/// # Errors
///
/// [`Error::File`] when the test file cannot be written or read back (a missing or read-only
/// directory, a full disk), [`Error::InvalidParameter`] for a size of 0.
pub fn sequential(
    dir: &Path,
    size_bytes: u64,
    budget: Duration,
) -> Result<StorageBenchmark, Error> {
    if size_bytes == 0 {
        return Err(Error::InvalidParameter {
            name: "storage test size",
            value: 0,
            expected: "at least 1 byte",
        });
    }
    let start = Instant::now();
    let file = TempFile {
        path: dir.join(file_name()),
    };
    let failed = |action| {
        let path = file.path.clone();
        move |e: io::Error| Error::File {
            action,
            path,
            cause: e.to_string(),
        }
    };
    let (written, write_time) =
        write(&file.path, size_bytes, start + budget / 2).map_err(failed("write"))?;
    let read = read(&file.path, start + budget).map_err(failed("read"))?;
    drop(file);
    let direct = read.direct && !memory_backed(dir);
    Ok(StorageBenchmark {
        path: dir.display().to_string(),
        size_bytes: written,
        write_mbs: rate(written as f64, write_time, MB).map(Value::measured),
        read_mbs: rate(read.bytes as f64, read.elapsed, MB).map(Value::measured),
        direct_io: Some(direct),
    })
}

/// A file name unlikely to collide: the prefix, the process id and the time in nanoseconds.
fn file_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{FILE_PREFIX}{}-{nanos}", std::process::id())
}

/// Writes blocks until `size` bytes or `deadline`, then syncs; returns bytes and time taken.
fn write(path: &Path, size: u64, deadline: Instant) -> io::Result<(u64, Duration)> {
    let size = size.div_ceil(ALIGN as u64) * ALIGN as u64;
    let mut block = pattern(BLOCK);
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let start = Instant::now();
    let mut written = 0u64;
    let mut index = 0u64;
    while written < size && (written == 0 || Instant::now() < deadline) {
        let len = (size - written).min(BLOCK as u64) as usize;
        // A different first word per block, so no file system can deduplicate the blocks.
        if let Some(head) = block.get_mut(..8) {
            head.copy_from_slice(&index.to_le_bytes());
        }
        file.write_all(block.get(..len).unwrap_or(&block))?;
        written += len as u64;
        index += 1;
    }
    file.sync_all()?;
    Ok((written, start.elapsed()))
}

/// Bytes that do not compress (a compressing file system would otherwise write less).
fn pattern(len: usize) -> Vec<u8> {
    // Marsaglia's xorshift64 (Journal of Statistical Software 8(14), 2003: shifts 13, 7, 17).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15; // any non-zero seed; this is 2⁶⁴/φ
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Reads the file to its end or until `deadline` (at least one block), uncached when possible.
fn read(path: &Path, deadline: Instant) -> io::Result<ReadBack> {
    let mut storage = vec![0u8; BLOCK + ALIGN];
    let offset = storage.as_ptr().align_offset(ALIGN);
    let buf = storage
        .get_mut(offset..offset + BLOCK)
        .ok_or_else(|| io::Error::other("cannot align the read buffer"))?;
    if let Some(file) = open_direct(path) {
        match read_all(file, buf, deadline) {
            Ok((bytes, elapsed)) => {
                return Ok(ReadBack {
                    bytes,
                    elapsed,
                    direct: true,
                })
            }
            // Some file systems accept O_DIRECT at open and refuse the read.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {}
            Err(e) => return Err(e),
        }
    }
    let file = File::open(path)?;
    drop_cache(&file);
    let (bytes, elapsed) = read_all(file, buf, deadline)?;
    Ok(ReadBack {
        bytes,
        elapsed,
        direct: false,
    })
}

/// Reads `file` into `buf` repeatedly until its end or `deadline`; returns bytes and time.
fn read_all(mut file: File, buf: &mut [u8], deadline: Instant) -> io::Result<(u64, Duration)> {
    let start = Instant::now();
    let mut total = 0u64;
    loop {
        let n = file.read(buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if Instant::now() >= deadline {
            break;
        }
    }
    Ok((total, start.elapsed()))
}

/// The file opened for reading with `O_DIRECT`; `None` where the file system refuses it.
#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECT | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty())
        .ok()
        .map(File::from)
}

/// No `O_DIRECT` outside Linux: macOS's `F_NOCACHE` still serves pages already cached, and
/// Windows' `FILE_FLAG_NO_BUFFERING` is not wired up, so these read through the cache.
#[cfg(not(target_os = "linux"))]
fn open_direct(_path: &Path) -> Option<File> {
    None
}

/// Asks the kernel to drop the file's cached pages (they are clean: the file was synced).
#[cfg(target_os = "linux")]
fn drop_cache(file: &File) {
    // Advice only: when refused, the read may come from the cache, which direct_io: false says.
    let _ = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed);
}

/// No portable way to drop a file's cached pages elsewhere.
#[cfg(not(target_os = "linux"))]
fn drop_cache(_file: &File) {}

/// Whether `dir` is on a file system kept in memory, where no read reaches a device.
#[cfg(target_os = "linux")]
fn memory_backed(dir: &Path) -> bool {
    // Magic numbers from linux/magic.h: TMPFS_MAGIC, RAMFS_MAGIC.
    const MEMORY_FILE_SYSTEMS: [u64; 2] = [0x0102_1994, 0x8584_58f6];
    rustix::fs::statfs(dir)
        .ok()
        .and_then(|st| u64::try_from(st.f_type).ok())
        .is_some_and(|t| MEMORY_FILE_SYSTEMS.contains(&t))
}

/// Only Linux is checked; elsewhere reads never claim to bypass the cache anyway.
#[cfg(not(target_os = "linux"))]
fn memory_backed(_dir: &Path) -> bool {
    false
}
