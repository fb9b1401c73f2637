//! NVIDIA GPUs through NVML, the library the driver ships (`libnvidia-ml.so.1`, `nvml.dll`).
//!
//! Reading is split in two so the tests run on recorded values: an [`NvmlSource`] produces an
//! [`NvmlSnapshot`] (plain data, what NVML reported), and [`read`] turns a snapshot into
//! accelerator entries and topology links of a [`HardwareProfile`]. [`SystemNvml`] asks the
//! driver; [`RecordedNvml`] replays a snapshot, e.g. one of `tests/fixtures/nvml/*.json`.
//!
//! GPUs are keyed by PCI bus id in the sysfs form `0000:01:00.0`, never by NVML index: NVML's
//! order is not stable across reboots (`nvmlDeviceGetHandleByIndex`,
//! <https://docs.nvidia.com/deploy/nvml-api/group__nvmlDeviceQueries.html>) and CUDA numbers GPUs
//! fastest first (`CUDA_DEVICE_ORDER`, CUDA C++ Programming Guide, "CUDA Environment Variables").
//!
//! - `snapshot`: what NVML reported, as plain data.
//! - `tables`: NVIDIA's numbering (cores per SM, tensor-core types, NVLink versions, …).
//! - `convert`: a snapshot's GPUs as accelerators, and the links between them.
//! - `merge`: those entries merged into a profile other readers filled.
//! - `system`: the live reader over nvml-wrapper (Linux and Windows).

mod convert;
mod merge;
mod snapshot;
#[cfg(any(target_os = "linux", target_os = "windows"))]
mod system;
mod tables;

/// NVML opened once, for readers that keep it (`trainfit watch`).
#[cfg(any(target_os = "linux", target_os = "windows"))]
pub(crate) use system::init as open;

pub use convert::normalize_pci_bus_id;
pub use snapshot::{NvmlGpu, NvmlLink, NvmlPair, NvmlSnapshot};
pub use tables::{
    cores_per_sm, cuda_version, dtypes, nvlink_generation, throttle_reason_names, topology_level,
};

use trainfit_core::hardware::HardwareProfile;

use crate::error::{record, Error};

/// Where NVML readings come from.
pub trait NvmlSource {
    /// What NVML reports, or why it could not be asked.
    ///
    /// # Errors
    ///
    /// When NVML cannot be loaded or started, or cannot count the GPUs.
    fn snapshot(&self) -> Result<NvmlSnapshot, Error>;
}

/// The NVML library of this machine's driver.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemNvml;

/// A recorded snapshot, for tests and fixtures.
#[derive(Debug, Clone, Default)]
pub struct RecordedNvml(pub NvmlSnapshot);

impl NvmlSource for RecordedNvml {
    fn snapshot(&self) -> Result<NvmlSnapshot, Error> {
        Ok(self.0.clone())
    }
}

impl NvmlSource for SystemNvml {
    #[cfg(any(target_os = "linux", target_os = "windows"))]
    fn snapshot(&self) -> Result<NvmlSnapshot, Error> {
        system::snapshot()
    }

    // nvml-wrapper looks for `nvml.dll` on every OS but Linux (its `LIB_PATH` in
    // nvml-wrapper/src/lib.rs), so elsewhere it can only fail.
    #[cfg(not(any(target_os = "linux", target_os = "windows")))]
    fn snapshot(&self) -> Result<NvmlSnapshot, Error> {
        Err(Error::NvmlUnsupported)
    }
}

/// Adds what `source` reports to `profile`: one accelerator per GPU (filling an entry another
/// reader made for the same PCI bus id instead of adding a second one), and the links between
/// GPUs. When NVML cannot be asked, records one error and nothing else.
pub fn read(source: &dyn NvmlSource, profile: &mut HardwareProfile) {
    let snap = match source.snapshot() {
        Ok(snap) => snap,
        Err(e) => {
            record(&mut profile.errors, SECTION, SOURCE, e);
            return;
        }
    };
    for message in &snap.errors {
        record(&mut profile.errors, SECTION, SOURCE, message);
    }
    for gpu in &snap.gpus {
        merge::merge_accelerator(profile, convert::accelerator(&snap, gpu));
    }
    for link in convert::topology_links(&snap) {
        merge::upsert_link(profile, link);
    }
}

/// The profile section NVML fills, and the source its errors name.
const SECTION: &str = "accelerators";
/// See [`SECTION`].
const SOURCE: &str = "nvml";
