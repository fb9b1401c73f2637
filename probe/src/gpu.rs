//! GPUs as wgpu sees them: adapter enumeration, merging the adapters into the profile's
//! accelerators, and a matrix-multiply benchmark ([`matmul`]).
//!
//! wgpu is asked through the primary backends only (Vulkan, Metal, DX12): the GL/EGL backend can
//! crash or abort on headless machines (segfaults with `Backends::all()`:
//! <https://github.com/gfx-rs/wgpu/issues/1376>; EGL `BadAccess` panics:
//! <https://github.com/gfx-rs/wgpu/issues/7973>). Every call runs in a worker thread behind a
//! deadline, so a driver that hangs costs time, never the probe.

pub mod matmul;

pub use matmul::{matmul_benchmark, matmul_on_adapters, MatmulRun, DEFAULT_MATMUL_N};

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use trainfit_core::hardware::{
    Accelerator, AcceleratorKind, Backend, HardwareProfile, Reader, Vendor,
};

use crate::error::Error;
use crate::nvidia::normalize_pci_bus_id;

/// One wgpu adapter, as plain data so tests can feed recorded adapters to [`merge_adapters`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterRecord {
    /// Adapter name, e.g. `NVIDIA GeForce RTX 4090`, `llvmpipe (LLVM 15.0.6, 256 bits)`, `Apple M2`.
    pub name: String,
    /// PCI vendor id (0 where the backend gives none, as Metal does).
    pub vendor_id: u32,
    /// PCI device id (0 where the backend gives none).
    pub device_id: u32,
    /// `discrete`, `integrated`, `virtual`, `cpu` or `other`.
    pub device_type: String,
    /// `vulkan`, `metal`, `dx12`.
    pub backend: String,
    /// Driver name, e.g. `NVIDIA`, `radv`, `llvmpipe`.
    pub driver: String,
    /// Driver version text.
    pub driver_info: String,
    /// PCI address in the sysfs form `0000:01:00.0` (Vulkan reports it; DX12 and Metal do not).
    #[serde(default)]
    pub pci_bus_id: Option<String>,
    /// Whether the adapter offers 16-bit floats in shaders.
    #[serde(default)]
    pub shader_f16: bool,
    /// Largest single buffer; not the memory size: WebGPU's `maxBufferSize`
    /// (<https://www.w3.org/TR/webgpu/#dom-supported-limits-maxbuffersize>), which wgpu-hal's
    /// Vulkan adapter caps at the driver's `maxMemoryAllocationSize` (`src/vulkan/adapter.rs`).
    #[serde(default)]
    pub max_buffer_size: u64,
}

impl AdapterRecord {
    /// The record of a live adapter.
    pub fn of(adapter: &wgpu::Adapter) -> AdapterRecord {
        let info = adapter.get_info();
        let pci = info.device_pci_bus_id.trim();
        AdapterRecord {
            name: info.name.clone(),
            vendor_id: info.vendor,
            device_id: info.device,
            device_type: String::from(device_type_name(info.device_type)),
            backend: String::from(info.backend.to_str()),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
            pci_bus_id: (!pci.is_empty()).then(|| normalize_pci_bus_id(pci)),
            shader_f16: adapter.features().contains(wgpu::Features::SHADER_F16),
            max_buffer_size: adapter.limits().max_buffer_size,
        }
    }

    /// A software renderer running on the CPU rather than a GPU: wgpu's `DeviceType::Cpu`, or a
    /// known software driver by name or id, for drivers that report another type.
    pub fn is_software(&self) -> bool {
        // Ids: 0x10005 is `VK_VENDOR_ID_MESA` (vulkan_core.h), which lavapipe reports;
        // 0x1414:0x008c is Microsoft's Basic Render Driver, i.e. WARP (`VEN_1414&DEV_008C`);
        // 0x1ae0:0xc0de is SwiftShader's Vulkan device (SwiftShader `VkPhysicalDevice.cpp`).
        const SOFTWARE_IDS: [(u32, Option<u32>); 3] = [
            (0x10005, None),
            (0x1414, Some(0x008c)),
            (0x1ae0, Some(0xc0de)),
        ];
        const SOFTWARE_NAMES: [&str; 4] = [
            "llvmpipe",
            "lavapipe",
            "swiftshader",
            "microsoft basic render driver",
        ];
        if self.device_type == "cpu" {
            return true;
        }
        let by_id = SOFTWARE_IDS
            .iter()
            .any(|(v, d)| *v == self.vendor_id && d.is_none_or(|d| d == self.device_id));
        let text = format!("{} {}", self.name, self.driver).to_lowercase();
        let by_name = SOFTWARE_NAMES.iter().any(|n| text.contains(n))
            || text
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| word == "warp");
        by_id || by_name
    }

    /// The profile's name of the adapter's backend: `vulkan`, `metal` and `dx12` as wgpu names
    /// them (`wgpu_types::Backend::to_str`); any other (`gl`, `webgpu`) is `other`.
    pub fn profile_backend(&self) -> Backend {
        match self.backend.parse() {
            Ok(backend) => backend,
            Err(never) => match never {},
        }
    }

    /// Whether two records are the same physical device seen twice (e.g. through Vulkan and
    /// DX12): the same PCI address, or, where either lacks one, the same ids and name.
    pub fn same_device(&self, other: &AdapterRecord) -> bool {
        match (&self.pci_bus_id, &other.pci_bus_id) {
            (Some(a), Some(b)) => a == b,
            _ => {
                self.vendor_id == other.vendor_id
                    && self.device_id == other.device_id
                    && self.name.eq_ignore_ascii_case(&other.name)
            }
        }
    }
}

fn device_type_name(t: wgpu::DeviceType) -> &'static str {
    match t {
        wgpu::DeviceType::DiscreteGpu => "discrete",
        wgpu::DeviceType::IntegratedGpu => "integrated",
        wgpu::DeviceType::VirtualGpu => "virtual",
        wgpu::DeviceType::Cpu => "cpu",
        wgpu::DeviceType::Other => "other",
    }
}

/// The backends the probe asks: Vulkan, Metal and DX12, never GL (see the module comment).
pub(crate) fn backends() -> wgpu::Backends {
    wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12
}

/// A wgpu instance over [`backends`], or why there is none: `Instance::new` panics when the
/// build has no backend for this platform, so that is checked first.
pub(crate) fn instance() -> Result<wgpu::Instance, Error> {
    if wgpu::Instance::enabled_backend_features().is_empty() {
        return Err(Error::NoGpuBackend);
    }
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends();
    Ok(wgpu::Instance::new(desc))
}

/// The adapters wgpu finds, software renderers included. Runs in a worker thread; when it has
/// not answered within `timeout` the thread is left behind and this returns an error.
///
/// # Errors
///
/// [`Error::NoGpuBackend`] when the build has no backend for this platform,
/// [`Error::TimedOut`] when wgpu has not answered in time, [`Error::ThreadSpawn`] or
/// [`Error::ThreadLost`] when its thread cannot start or panics.
pub fn adapters(timeout: Duration) -> Result<Vec<AdapterRecord>, Error> {
    run_with_deadline(timeout, || {
        let instance = instance()?;
        let found = pollster::block_on(instance.enumerate_adapters(backends()));
        Ok(found.iter().map(AdapterRecord::of).collect())
    })
}

/// Runs `job` in a new thread and waits at most `timeout` for its answer. A thread that does not
/// answer in time is not joined (it may be stuck in a driver); a thread that panics is an error.
pub(crate) fn run_with_deadline<T: Send + 'static>(
    timeout: Duration,
    job: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let (tx, rx) = mpsc::channel();
    let spawned = thread::Builder::new()
        .name(String::from("trainfit-wgpu"))
        .spawn(move || {
            // The receiver may be gone after a timeout; then nobody wants the answer.
            let _ = tx.send(job());
        });
    if let Err(e) = spawned {
        return Err(Error::ThreadSpawn {
            thread: String::from("a thread for wgpu"),
            cause: e.to_string(),
        });
    }
    match rx.recv_timeout(timeout) {
        Ok(answer) => answer,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::TimedOut { after: timeout }),
        // The sender is dropped unsent only when the job panicked.
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::ThreadLost { thread: "wgpu" }),
    }
}

/// Adds the adapters to the profile's accelerators.
///
/// * Software renderers (llvmpipe, lavapipe, SwiftShader, WARP) are added with kind `cpu`, never
///   as GPUs.
/// * An adapter that is an accelerator another reader found (same PCI address, or same vendor
///   and name) only adds `wgpu` to its sources, and its backend where it has none.
/// * Others (a DX12 card on Windows, the Metal GPU on a Mac) are added as new accelerators,
///   without memory: wgpu's limits are not memory sizes.
///
/// The same device seen through two backends is merged once; two identical cards stay two.
pub fn merge_adapters(records: &[AdapterRecord], profile: &mut HardwareProfile) {
    // For each accelerator, the backends whose adapters already matched it.
    let mut claims: Vec<Vec<String>> = vec![Vec::new(); profile.accelerators.len()];
    for record in records {
        let found = find_match(record, &profile.accelerators, &claims);
        let index = match found {
            Some(i) => {
                if let Some(acc) = profile.accelerators.get_mut(i) {
                    add_wgpu_source(acc, record);
                }
                i
            }
            None => {
                profile.accelerators.push(new_accelerator(record));
                claims.push(Vec::new());
                profile.accelerators.len() - 1
            }
        };
        if let Some(c) = claims.get_mut(index) {
            c.push(record.backend.clone());
        }
    }
}

/// The accelerator `record` describes, among those no other adapter of the same backend has
/// matched: by PCI address first, then by vendor and name.
fn find_match(
    record: &AdapterRecord,
    accs: &[Accelerator],
    claims: &[Vec<String>],
) -> Option<usize> {
    let software = record.is_software();
    let free = |i: usize| claims.get(i).is_none_or(|c| !c.contains(&record.backend));
    let kind_fits = |a: &Accelerator| (a.kind == AcceleratorKind::Cpu) == software;
    if let Some(pci) = &record.pci_bus_id {
        let by_pci = accs.iter().enumerate().position(|(i, a)| {
            free(i)
                && kind_fits(a)
                && a.pci_bus_id.as_deref().map(normalize_pci_bus_id).as_ref() == Some(pci)
        });
        if by_pci.is_some() {
            return by_pci;
        }
    }
    let vendor = vendor_of(record);
    accs.iter().enumerate().position(|(i, a)| {
        free(i)
            && kind_fits(a)
            && a.vendor == vendor
            && a.name.trim().eq_ignore_ascii_case(record.name.trim())
            && pci_compatible(a, record)
    })
}

/// Name matches must not join two cards whose PCI addresses are both known and differ.
fn pci_compatible(a: &Accelerator, record: &AdapterRecord) -> bool {
    match (&a.pci_bus_id, &record.pci_bus_id) {
        (Some(x), Some(y)) => normalize_pci_bus_id(x) == *y,
        _ => true,
    }
}

fn add_wgpu_source(acc: &mut Accelerator, record: &AdapterRecord) {
    if !acc.sources.contains(&Reader::Wgpu) {
        acc.sources.push(Reader::Wgpu);
    }
    if acc.backend.is_none() {
        acc.backend = Some(record.profile_backend());
    }
    if acc.pci_bus_id.is_none() {
        acc.pci_bus_id = record.pci_bus_id.clone();
    }
}

fn new_accelerator(record: &AdapterRecord) -> Accelerator {
    let vendor = vendor_of(record);
    Accelerator {
        vendor,
        name: record.name.trim().to_string(),
        kind: kind_of(record, vendor),
        pci_bus_id: record.pci_bus_id.clone(),
        backend: Some(record.profile_backend()),
        sources: vec![Reader::Wgpu],
        ..Accelerator::default()
    }
}

/// The vendor by PCI id; Metal gives no ids, so an `Apple …` adapter there is Apple's.
fn vendor_of(record: &AdapterRecord) -> Vendor {
    if record.is_software() {
        return Vendor::Other;
    }
    match Vendor::from_pci(record.vendor_id) {
        Vendor::Other if record.name.starts_with("Apple") => Vendor::Apple,
        v => v,
    }
}

fn kind_of(record: &AdapterRecord, vendor: Vendor) -> AcceleratorKind {
    if record.is_software() {
        return AcceleratorKind::Cpu;
    }
    match record.device_type.as_str() {
        "discrete" => AcceleratorKind::Discrete,
        // Apple silicon GPUs share one memory pool with the CPU by design.
        "integrated" if vendor == Vendor::Apple => AcceleratorKind::Unified,
        "integrated" => AcceleratorKind::Integrated,
        "virtual" => AcceleratorKind::Virtual,
        _ => AcceleratorKind::Unknown,
    }
}
