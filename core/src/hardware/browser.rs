//! A hardware profile from what a web page can read: the WebGPU adapter and `navigator`'s hints.
//!
//! A browser tells far less than the probe: no memory size of the GPU (WebGPU's limits are
//! buffer sizes, not memory), a vendor and an architecture family rather than a model, a
//! rounded and capped memory figure, a thread count. Everything read is marked
//! [`Source::Estimated`]; the catalogue entries that fit the vendor and architecture come back as
//! `candidates`, so a page can ask the user which one it is.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::catalogue::{self, AcceleratorSpec};
use super::profile::*;
use super::vocabulary::{Os, Reader};

/// What a page read from `navigator` and `navigator.gpu`; the npm package's
/// `detectBrowserHardware()` fills it, in a Window or a Worker.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BrowserFacts {
    /// The adapter `navigator.gpu.requestAdapter()` gave.
    pub adapter: Option<WebGpuAdapter>,
    /// Why there is no adapter, when there is none: no `navigator.gpu`, a `null` adapter, or the
    /// request failed.
    pub no_adapter: Option<String>,
    /// `navigator.hardwareConcurrency`: logical processors the browser reports.
    pub hardware_concurrency: Option<u32>,
    /// `navigator.deviceMemory`, GiB: the device's memory rounded down to a power of two and
    /// clamped to 0.25 to 8 (W3C Device Memory, <https://www.w3.org/TR/device-memory/>, and
    /// Chromium's cap of 8).
    pub device_memory_gib: Option<f64>,
    /// `navigator.userAgentData.platform` (`Windows`, `macOS`, `Linux`, `Android`, `Chrome OS`),
    /// else `navigator.platform` (`Win32`, `MacIntel`, `Linux x86_64`).
    pub platform: Option<String>,
}

/// A WebGPU adapter as `GPUAdapter.info`, `.limits` and `.features` describe it
/// (<https://www.w3.org/TR/webgpu/#gpuadapterinfo>).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct WebGpuAdapter {
    /// `info.vendor`, lowercase, e.g. `nvidia`, `amd`, `intel`, `apple`, `google`; empty when
    /// the browser withholds it.
    pub vendor: String,
    /// `info.architecture`, e.g. `lovelace`, `rdna-3`, `gen-12lp`, `common-3`, `swiftshader`.
    pub architecture: String,
    /// `info.device`, a vendor-specific identifier; usually empty.
    pub device: String,
    /// `info.description`, the driver's name for the adapter; usually empty.
    pub description: String,
    /// `info.isFallbackAdapter` (Chromium moved it there from `GPUAdapter`): a software
    /// implementation or one with major performance caveats.
    pub is_fallback_adapter: Option<bool>,
    /// Limits that bound the buffers a computation can use.
    pub limits: WebGpuLimits,
    /// Optional features the adapter supports, e.g. `shader-f16`, `subgroups`, `timestamp-query`.
    pub features: Vec<String>,
}

/// The adapter's limits that matter for compute (`GPUSupportedLimits`); `null` where the browser
/// does not report one.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct WebGpuLimits {
    /// `maxBufferSize`, bytes: the largest buffer. Not the memory of the device.
    pub max_buffer_size: Option<u64>,
    /// `maxStorageBufferBindingSize`, bytes: the largest storage buffer one binding sees.
    pub max_storage_buffer_binding_size: Option<u64>,
    /// `maxComputeWorkgroupStorageSize`, bytes: workgroup (shared) memory.
    pub max_compute_workgroup_storage_size: Option<u64>,
    /// `maxComputeInvocationsPerWorkgroup`.
    pub max_compute_invocations_per_workgroup: Option<u64>,
}

/// What `detectBrowserHardware()` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct BrowserHardware {
    /// A hardware profile of kind `browser`, every figure the browser gave `estimated`,
    /// completed as [`crate::hardware::parse_profile`] completes one (an adapter whose
    /// description names a catalogue part gets its `catalogue` figures). Without an adapter it has no accelerator
    /// and its `errors` say why.
    pub profile: HardwareProfile,
    /// Catalogue entries of the adapter's vendor and architecture, best match first; empty for
    /// a software adapter or no adapter. A page can offer them as "is this your GPU?" and put
    /// the chosen one's name in the profile.
    pub candidates: Vec<AcceleratorSpec>,
    /// The adapter as read, `null` without one.
    pub webgpu: Option<WebGpuAdapter>,
}

/// Words of an adapter's name, architecture or driver that mean a software renderer running on
/// the CPU: Mesa's llvmpipe and lavapipe, Google's SwiftShader (Dawn reports its architecture
/// as `swiftshader`), Microsoft's WARP ("Microsoft Basic Render Driver"), and Dawn's `software`
/// architecture for Mesa's vendor id (dawn `src/dawn/gpu_info.json`,
/// <https://dawn.googlesource.com/dawn/+/refs/heads/main/src/dawn/gpu_info.json>).
const SOFTWARE_RENDERERS: [&str; 6] = [
    "llvmpipe",
    "lavapipe",
    "swiftshader",
    "warp",
    "basic render driver",
    "software",
];

/// Whether an adapter's name (or driver, or architecture) is a known software renderer: by
/// whole words, so `warp` does not match inside another word.
pub fn is_software_renderer(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    SOFTWARE_RENDERERS.iter().any(|name| {
        let parts: Vec<&str> = name.split(' ').collect();
        words.windows(parts.len()).any(|w| w == parts.as_slice())
    })
}

/// Dawn's architecture names (lowercase, hyphenated: `gpu_info.json` above) that are a
/// catalogue architecture under another name, after both drop their hyphens: NVIDIA's Ada
/// Lovelace is `lovelace` in Dawn and `ada` in the catalogue; Intel's Arc A-series (Alchemist,
/// device ids 0x56xx) is Dawn's `gen-12-hp` and the catalogue's `xe-hpg`.
const ARCHITECTURE_ALIASES: [(&str, &str); 2] = [("lovelace", "ada"), ("gen12hp", "xehpg")];

/// An architecture name without case and hyphens, with Dawn's aliases applied.
fn architecture_key(name: &str) -> String {
    let key: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    ARCHITECTURE_ALIASES
        .iter()
        .find(|(dawn, _)| *dawn == key)
        .map_or(key, |(_, ours)| String::from(*ours))
}

/// The vendor of WebGPU's `info.vendor` (lowercase PCI vendor names in Dawn; WebKit and Gecko
/// use the same words).
fn vendor_of(name: &str) -> Vendor {
    match name.trim().to_ascii_lowercase().as_str() {
        "nvidia" => Vendor::Nvidia,
        "amd" | "ati" => Vendor::Amd,
        "intel" => Vendor::Intel,
        "apple" => Vendor::Apple,
        _ => Vendor::Other,
    }
}

/// Discrete, integrated or unified, from the vendor and architecture: WebGPU does not say, and
/// only where the family settles it is a kind given. Apple silicon shares one memory pool by
/// design; NVIDIA's desktop and laptop parts (Dawn's architectures for PCI devices) have their
/// own memory; Intel's `gen-*-lp` parts are integrated and its `gen-12-hp` (Arc) discrete;
/// AMD makes both (Radeon cards and APUs of the same RDNA generation), so it stays unknown.
fn kind_of(vendor: Vendor, architecture: &str) -> AcceleratorKind {
    match vendor {
        Vendor::Apple => AcceleratorKind::Unified,
        Vendor::Nvidia => AcceleratorKind::Discrete,
        Vendor::Intel if architecture_key(architecture) == "xehpg" => AcceleratorKind::Discrete,
        Vendor::Intel if architecture.ends_with("lp") => AcceleratorKind::Integrated,
        _ => AcceleratorKind::Unknown,
    }
}

/// Catalogue entries of the adapter's vendor whose architecture is the adapter's (all of the
/// vendor's for Apple, whose WebGPU architecture is a Metal feature family such as `common-3`
/// rather than a chip, and when the architecture is withheld), best match first: the entry the
/// description names, if any, then catalogue order.
fn candidates(adapter: &WebGpuAdapter, vendor: Vendor) -> Vec<AcceleratorSpec> {
    if vendor == Vendor::Other {
        return Vec::new();
    }
    let key = architecture_key(&adapter.architecture);
    let any_architecture = vendor == Vendor::Apple || key.is_empty();
    let mut out: Vec<AcceleratorSpec> = catalogue::accelerators()
        .iter()
        .filter(|spec| spec.vendor == vendor)
        .filter(|spec| any_architecture || architecture_key(spec.architecture) == key)
        .copied()
        .collect();
    if let Some(named) = catalogue::find_accelerator(&adapter.description, None, None) {
        if let Some(i) = out.iter().position(|spec| spec.name == named.name) {
            let first = out.remove(i);
            out.insert(0, first);
        }
    }
    out
}

/// The accelerator an adapter is: a GPU of its vendor and architecture, or a software renderer
/// as a CPU-kind device (never a GPU).
fn accelerator(adapter: &WebGpuAdapter) -> (Accelerator, Vendor) {
    let software = adapter.is_fallback_adapter == Some(true)
        || is_software_renderer(&format!(
            "{} {} {}",
            adapter.vendor, adapter.architecture, adapter.description
        ));
    let vendor = if software {
        Vendor::Other
    } else {
        vendor_of(&adapter.vendor)
    };
    let name = if adapter.description.trim().is_empty() {
        let words = format!("{} {}", adapter.vendor.trim(), adapter.architecture.trim());
        match words.trim() {
            "" => String::from("WebGPU adapter"),
            named => named.to_string(),
        }
    } else {
        adapter.description.trim().to_string()
    };
    let kind = if software {
        AcceleratorKind::Cpu
    } else {
        kind_of(vendor, &adapter.architecture)
    };
    let acc = Accelerator {
        vendor,
        name,
        kind,
        architecture: (!adapter.architecture.is_empty()).then(|| adapter.architecture.clone()),
        sources: vec![Reader::Webgpu],
        ..Accelerator::default()
    };
    (acc, vendor)
}

/// The operating system of a platform name.
fn os_of(platform: &str) -> Os {
    let p = platform.to_ascii_lowercase();
    if p.starts_with("win") {
        Os::Windows
    } else if p.starts_with("mac") {
        Os::Macos
    } else if p.starts_with("linux") {
        Os::Linux
    } else {
        Os::Other
    }
}

/// Bytes in a GiB: `navigator.deviceMemory` counts binary gigabytes (the spec computes it from
/// the memory in MiB divided by 1024).
const GIB: f64 = 1_073_741_824.0;

/// The profile and candidates of what a browser read.
///
/// # Example
/// ```
/// use trainfit_core::hardware::{from_browser, AcceleratorKind, BrowserFacts, WebGpuAdapter};
///
/// // Chromium's SwiftShader adapter, as `--enable-unsafe-webgpu` gives it without a GPU.
/// let hw = from_browser(BrowserFacts {
///     adapter: Some(WebGpuAdapter {
///         vendor: "google".into(),
///         architecture: "swiftshader".into(),
///         is_fallback_adapter: Some(true),
///         ..WebGpuAdapter::default()
///     }),
///     hardware_concurrency: Some(8),
///     ..BrowserFacts::default()
/// });
/// assert_eq!(hw.profile.accelerators[0].kind, AcceleratorKind::Cpu);
/// assert!(hw.candidates.is_empty());
/// ```
pub fn from_browser(facts: BrowserFacts) -> BrowserHardware {
    let mut profile = HardwareProfile {
        probe: ProbeInfo {
            kind: ProbeKind::Browser,
            ..ProbeInfo::default()
        },
        ..HardwareProfile::default()
    };
    profile.cpu.logical_cores = facts.hardware_concurrency.map(Value::estimated);
    profile.memory.total_bytes = facts
        .device_memory_gib
        .filter(|gib| gib.is_finite() && *gib > 0.0)
        .map(|gib| Value::estimated((gib * GIB) as u64));
    if let Some(platform) = facts.platform.filter(|p| !p.is_empty()) {
        profile.host.os = Some(os_of(&platform));
        profile.host.os_name = Some(platform);
    }
    let mut found = Vec::new();
    if let Some(adapter) = &facts.adapter {
        let (acc, vendor) = accelerator(adapter);
        if acc.kind != AcceleratorKind::Cpu {
            found = candidates(adapter, vendor);
        }
        profile.accelerators.push(acc);
    } else {
        profile.errors.push(ProbeError {
            section: String::from("accelerators"),
            source: String::from("webgpu"),
            message: facts
                .no_adapter
                .unwrap_or_else(|| String::from("no WebGPU adapter")),
        });
    }
    profile.complete();
    BrowserHardware {
        profile,
        candidates: found,
        webgpu: facts.adapter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(vendor: &str, architecture: &str, description: &str) -> WebGpuAdapter {
        WebGpuAdapter {
            vendor: vendor.into(),
            architecture: architecture.into(),
            description: description.into(),
            ..WebGpuAdapter::default()
        }
    }

    fn with(adapter: WebGpuAdapter) -> BrowserHardware {
        from_browser(BrowserFacts {
            adapter: Some(adapter),
            ..BrowserFacts::default()
        })
    }

    #[test]
    fn software_adapters_are_cpu_devices() {
        // Chromium 156 headless with --enable-unsafe-webgpu: SwiftShader, the fallback flag on info.
        let hw = with(WebGpuAdapter {
            is_fallback_adapter: Some(true),
            ..adapter("google", "swiftshader", "")
        });
        let acc = &hw.profile.accelerators[0];
        assert_eq!(acc.kind, AcceleratorKind::Cpu);
        assert_eq!(acc.vendor, Vendor::Other);
        assert_eq!(acc.name, "google swiftshader");
        assert!(hw.candidates.is_empty());
        // Named by the driver only (no fallback flag): llvmpipe, WARP.
        for description in [
            "llvmpipe (LLVM 15.0.6, 256 bits)",
            "Microsoft Basic Render Driver",
        ] {
            let hw = with(adapter("", "", description));
            assert_eq!(
                hw.profile.accelerators[0].kind,
                AcceleratorKind::Cpu,
                "{description}"
            );
        }
        assert!(!is_software_renderer("Warpath GPU"));
    }

    #[test]
    fn a_gpu_gets_its_family_as_candidates() {
        let hw = with(adapter("nvidia", "lovelace", ""));
        let acc = &hw.profile.accelerators[0];
        assert_eq!(
            (acc.vendor, acc.kind),
            (Vendor::Nvidia, AcceleratorKind::Discrete)
        );
        assert_eq!(acc.name, "nvidia lovelace");
        assert!(!hw.candidates.is_empty());
        assert!(hw.candidates.iter().all(|c| c.architecture == "ada"));
        // A description naming the part puts it first.
        let hw = with(adapter("nvidia", "lovelace", "NVIDIA GeForce RTX 4090"));
        assert_eq!(hw.candidates[0].name, "NVIDIA GeForce RTX 4090");
        assert!(hw.candidates.len() > 1);
        // Apple: a Metal family, not a chip; every Apple entry, unified memory.
        let hw = with(adapter("apple", "metal-3", ""));
        assert_eq!(hw.profile.accelerators[0].kind, AcceleratorKind::Unified);
        assert!(hw.candidates.iter().all(|c| c.vendor == Vendor::Apple));
        assert!(hw.candidates.len() >= 4);
        // A family the catalogue does not hold: no candidates.
        assert!(with(adapter("nvidia", "pascal", "")).candidates.is_empty());
    }

    #[test]
    fn no_adapter_is_an_answer_with_a_reason() {
        let hw = from_browser(BrowserFacts {
            no_adapter: Some("navigator.gpu is undefined".into()),
            hardware_concurrency: Some(4),
            device_memory_gib: Some(8.0),
            platform: Some("Linux".into()),
            ..BrowserFacts::default()
        });
        let p = &hw.profile;
        assert!(p.accelerators.is_empty());
        assert_eq!(p.errors[0].source, "webgpu");
        assert_eq!(p.errors[0].message, "navigator.gpu is undefined");
        assert_eq!(p.probe.kind, ProbeKind::Browser);
        assert_eq!(p.host.os, Some(Os::Linux));
        // 8 GiB, the browser's cap, estimated.
        assert_eq!(p.memory.total_bytes, Some(Value::estimated(8 << 30)));
        assert_eq!(p.cpu.logical_cores, Some(Value::estimated(4)));
        assert_eq!(p.memory_gb, Some(8.0));
    }
}
