//! Linux readers: everything `trainfit probe` learns from `/proc`, `/sys` and `/etc`, read through
//! a [`Root`] so the tests run them on trees recorded from real machines
//! (`probe/tests/fixtures/`).
//!
//! Each reader cites the kernel document, code or issue its file, unit or pitfall comes from.
//! A reader that cannot read
//! a file every Linux system has records a [`ProbeError`] and the others go on; optional files
//! (a battery, RAPL, DMI tables in a container) are simply absent. Unknown values stay `None`,
//! never 0. Hardware addresses are never read, and no serial number or UUID from a file that
//! holds one is copied into the profile.
//!
//! [`ProbeError`]: trainfit_core::hardware::ProbeError

mod accel;
pub(crate) mod cgroup;
mod cpu;
mod host;
mod memory;
mod net;
pub(crate) mod parse;
pub(crate) mod power;
mod storage;
pub(crate) mod thermal;

use trainfit_core::hardware::{AcceleratorKind, HardwareProfile, Vendor};

use crate::root::Root;

/// Free/total space of a mount point; the live probe passes a statvfs-based fn, tests a fake.
/// Returns `(total, available)` bytes.
pub type SpaceFn<'a> = &'a dyn Fn(&str) -> Option<(u64 /*total*/, u64 /*available*/)>;

/// Fills the host, CPU, memory, storage, power, thermal, network and accelerator sections of
/// `profile` from `root`, appending to `profile.errors` what could not be read. Does not apply
/// the accelerator catalogue (the orchestrator does).
pub fn read(root: &Root, space: SpaceFn, profile: &mut HardwareProfile) {
    let errors = &mut profile.errors;
    let cpuinfo = root.text("/proc/cpuinfo").unwrap_or_default();
    let cgroups = cgroup::Cgroups::parse(&root.text("/proc/self/cgroup").unwrap_or_default());

    host::read(
        root,
        cpu::hypervisor_flag(&cpuinfo),
        &mut profile.host,
        errors,
    );
    cpu::read(root, &cgroups, &mut profile.cpu, errors);
    memory::read(root, space, &cgroups, &mut profile.memory, errors);
    storage::read(root, space, &mut profile.storage, errors);
    power::read(root, &mut profile.power);
    profile.thermal = thermal::read(root);
    profile.network = net::read(root, errors);
    profile.accelerators = accel::read(root);

    // An AMD APU allocates from the same DIMMs as the CPU (its VRAM carve-out and GTT are both
    // system memory: https://github.com/ollama/ollama/issues/12062); with a discrete GPU present
    // the APU only drives displays and the main accelerator has its own memory.
    let kinds = || profile.accelerators.iter();
    let apu = kinds().any(|a| a.vendor == Vendor::Amd && a.kind == AcceleratorKind::Integrated);
    // NVIDIA GPUs next to an APU are discrete cards (sysfs leaves their kind to NVML).
    let discrete =
        kinds().any(|a| a.kind == AcceleratorKind::Discrete || a.vendor == Vendor::Nvidia);
    if apu && !discrete {
        profile.memory.unified = Some(true);
    }
}

/// Total and available bytes of the file system holding `mount`, from `statvfs(3)`:
/// `f_blocks × f_frsize` and `f_bavail × f_frsize` (space for unprivileged users).
#[cfg(unix)]
pub fn statvfs_space(mount: &str) -> Option<(u64, u64)> {
    let st = rustix::fs::statvfs(mount).ok()?;
    let unit = if st.f_frsize > 0 {
        st.f_frsize
    } else {
        st.f_bsize
    };
    Some((
        st.f_blocks.checked_mul(unit)?,
        st.f_bavail.checked_mul(unit)?,
    ))
}

/// Total and available bytes of a mount point; unknown off Unix.
#[cfg(not(unix))]
pub fn statvfs_space(_mount: &str) -> Option<(u64, u64)> {
    None
}
