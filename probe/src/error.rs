//! The probe library's error: why a reader or a benchmark could not give its value.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use trainfit_core::hardware::ProbeError;

/// Why a reader or a benchmark failed. The message (`Display`) is one lowercase line, the context
/// first and the cause last; a cause from the operating system or a library is kept as its text
/// (`cause`), so the error stays `Clone` and comparable.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// NVML exists for Linux and Windows only.
    NvmlUnsupported,
    /// No NVML library on the loader path (nor in WSL's library folder): no NVIDIA driver.
    NvmlNotFound,
    /// NVML loaded but the NVIDIA kernel module is not running (`NVML_ERROR_DRIVER_NOT_LOADED`).
    NvidiaDriverNotLoaded,
    /// This user may not open the NVIDIA device files (`NVML_ERROR_NO_PERMISSION`).
    NvidiaPermissionDenied,
    /// Another NVML failure; `step` is what NVML was asked to do.
    Nvml {
        /// What failed, e.g. `failed to start`, `could not count GPUs`.
        step: &'static str,
        /// NVML's message.
        cause: String,
    },
    /// This build of wgpu has no backend (Vulkan, Metal, DX12) for the platform.
    NoGpuBackend,
    /// A wgpu call failed, or wgpu reported an error of the device.
    Gpu {
        /// What failed, e.g. `no device`, `waiting for the GPU`.
        step: &'static str,
        /// wgpu's message.
        cause: String,
    },
    /// The GPU finished but its result buffer was not mapped for reading.
    ResultNotMapped,
    /// A worker thread gave no answer in time; it is left behind, possibly stuck in a driver.
    TimedOut {
        /// How long it was given.
        after: Duration,
    },
    /// The work ran past the deadline its time budget set.
    PastDeadline,
    /// A thread could not be started.
    ThreadSpawn {
        /// The thread, e.g. `benchmark thread 3`.
        thread: String,
        /// The operating system's message.
        cause: String,
    },
    /// A worker thread panicked.
    ThreadPanicked {
        /// Whose thread: `benchmark`, `wgpu`.
        thread: &'static str,
    },
    /// A worker thread ended without giving its answer.
    ThreadLost {
        /// Whose thread: `benchmark`, `wgpu`.
        thread: &'static str,
    },
    /// A benchmark parameter outside its range.
    InvalidParameter {
        /// The parameter, e.g. `matrix side`.
        name: &'static str,
        /// Its value.
        value: u64,
        /// What it must be.
        expected: &'static str,
    },
    /// A size beyond what this machine can address.
    TooLarge {
        /// What it sizes, with its unit, e.g. `memory benchmark array bytes`.
        what: &'static str,
        /// Its value.
        value: u64,
    },
    /// Too little memory is available for the memory benchmark to run without swapping.
    TooLittleMemory {
        /// Memory available, bytes.
        available_bytes: u64,
    },
    /// The memory benchmark could not allocate its arrays.
    Allocation {
        /// Bytes asked for.
        bytes: u64,
        /// The allocator's message.
        cause: String,
    },
    /// A benchmark finished without measurable elapsed time, so it has no rate.
    NoTime {
        /// The benchmark, e.g. `the triad`.
        benchmark: &'static str,
    },
    /// The STREAM triad computed a wrong value: the memory or the CPU is faulty.
    WrongTriad {
        /// The value found.
        got: f64,
        /// The value `b + s·c` must have.
        want: f64,
    },
    /// A matrix multiply computed a wrong entry.
    WrongProduct {
        /// `CPU` or `GPU`.
        device: &'static str,
        /// Row of the entry.
        row: u64,
        /// Column of the entry.
        col: u64,
        /// The value computed.
        got: f32,
        /// The value of the f64 reference on the CPU.
        want: f64,
    },
    /// A matrix multiply's result lacks an entry.
    MissingEntry {
        /// `CPU` or `GPU`.
        device: &'static str,
        /// Row of the entry.
        row: u64,
        /// Column of the entry.
        col: u64,
    },
    /// A file could not be written or read.
    File {
        /// `write` or `read`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        cause: String,
    },
    /// A program the reader runs could not be started.
    Command {
        /// The program's path.
        program: String,
        /// The operating system's message.
        cause: String,
    },
    /// `trainfit net serve` could not listen on its address.
    Listen {
        /// The address asked for, `HOST:PORT`.
        address: String,
        /// The operating system's message.
        cause: String,
    },
    /// `trainfit net serve` could not accept a connection.
    Accept {
        /// The address it listens on.
        address: SocketAddr,
        /// The operating system's message.
        cause: String,
    },
    /// A client of `trainfit net serve` failed mid-test or spoke another protocol.
    Client {
        /// The client's address.
        client: SocketAddr,
        /// What went wrong.
        cause: String,
    },
    /// The peer's host name did not resolve.
    Resolve {
        /// The peer, `HOST:PORT`.
        peer: String,
        /// The resolver's message.
        cause: String,
    },
    /// No connection to the peer could be opened.
    Connect {
        /// The peer, `HOST:PORT`.
        peer: String,
        /// Why, e.g. `connection refused`.
        cause: String,
    },
    /// The peer answered, but not as `trainfit net serve`.
    NotANetServer {
        /// The peer, `HOST:PORT`.
        peer: String,
        /// What it did instead.
        cause: String,
    },
    /// The connection to the peer failed mid-test.
    Peer {
        /// The peer, `HOST:PORT`.
        peer: String,
        /// The operating system's message.
        cause: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NvmlUnsupported => f.write_str("NVML is not available on this OS"),
            Error::NvmlNotFound => {
                f.write_str("NVML library not found (no NVIDIA driver installed)")
            }
            Error::NvidiaDriverNotLoaded => f.write_str("NVIDIA kernel driver not loaded"),
            Error::NvidiaPermissionDenied => {
                f.write_str("no permission to open the NVIDIA devices")
            }
            Error::Nvml { step, cause } => write!(f, "NVML {step}: {cause}"),
            Error::NoGpuBackend => f.write_str("wgpu has no backend for this platform"),
            Error::Gpu { step, cause } => write!(f, "{step}: {cause}"),
            Error::ResultNotMapped => f.write_str("the result was not mapped in time"),
            Error::TimedOut { after } => write!(f, "timed out after {} ms", after.as_millis()),
            Error::PastDeadline => f.write_str("ran past its deadline"),
            Error::ThreadSpawn { thread, cause } => write!(f, "cannot start {thread}: {cause}"),
            Error::ThreadPanicked { thread } => write!(f, "a {thread} thread panicked"),
            Error::ThreadLost { thread } => {
                write!(f, "the {thread} thread stopped without an answer")
            }
            Error::InvalidParameter {
                name,
                value,
                expected,
            } => write!(f, "{name} is {value}, expected {expected}"),
            Error::TooLarge { what, value } => {
                write!(f, "{what} {value} is too large for this machine")
            }
            Error::TooLittleMemory { available_bytes } => write!(
                f,
                "only {} MB of memory available, too little for the memory benchmark",
                available_bytes / 1_000_000
            ),
            Error::Allocation { bytes, cause } => write!(
                f,
                "cannot allocate {} MB for the memory benchmark: {cause}",
                bytes / 1_000_000
            ),
            Error::NoTime { benchmark } => write!(f, "{benchmark} took no measurable time"),
            Error::WrongTriad { got, want } => write!(
                f,
                "the memory benchmark computed a wrong result: {got}, expected {want}"
            ),
            Error::WrongProduct {
                device,
                row,
                col,
                got,
                want,
            } => write!(
                f,
                "the {device} matrix multiply computed C[{row}][{col}] = {got}, expected {want}"
            ),
            Error::MissingEntry { device, row, col } => {
                write!(f, "the {device} matrix multiply lost C[{row}][{col}]")
            }
            Error::File {
                action,
                path,
                cause,
            } => write!(f, "cannot {action} {}: {cause}", path.display()),
            Error::Command { program, cause } => write!(f, "cannot run {program}: {cause}"),
            Error::Listen { address, cause } => write!(f, "cannot listen on {address}: {cause}"),
            Error::Accept { address, cause } => write!(f, "cannot accept on {address}: {cause}"),
            Error::Client { client, cause } => write!(f, "client {client}: {cause}"),
            Error::Resolve { peer, cause } => write!(f, "cannot resolve {peer}: {cause}"),
            Error::Connect { peer, cause } => write!(f, "cannot connect to {peer}: {cause}"),
            Error::NotANetServer { peer, cause } => {
                write!(f, "{peer} did not answer as `trainfit net serve`: {cause}")
            }
            Error::Peer { peer, cause } => write!(f, "{peer}: {cause}"),
        }
    }
}

impl std::error::Error for Error {}

/// Records a reader or a benchmark that failed in a profile's `errors`; the probe goes on with
/// the next one.
pub(crate) fn record(
    errors: &mut Vec<ProbeError>,
    section: &str,
    source: &str,
    message: impl fmt::Display,
) {
    errors.push(ProbeError {
        section: section.to_string(),
        source: source.to_string(),
        message: message.to_string(),
    });
}
