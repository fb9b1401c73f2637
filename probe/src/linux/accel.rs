//! GPUs from sysfs and procfs, without vendor libraries.
//!
//! Enumeration walks `/sys/class/drm/card*` (connectors `card*-*` skipped) and keeps PCI display
//! controllers (class `0x03xxxx`, <https://pci-ids.ucw.cz/read/PD/03>), as sysinfo does
//! (`src/unix/linux/gpu.rs`); NVIDIA GPUs without a DRM node are added from
//! `/proc/driver/nvidia/gpus/`. Each entry is keyed by PCI bus id, never by index (NVML's order
//! is not stable: `nvmlDeviceGetHandleByIndex` in
//! <https://docs.nvidia.com/deploy/nvml-api/group__nvmlDeviceQueries.html>), so the orchestrator
//! can merge NVML's richer record into it.

use std::collections::BTreeMap;

use trainfit_core::hardware::{
    Accelerator, AcceleratorKind, Backend, MemorySource, Pcie, Reader, Value, Vendor,
};
use trainfit_core::math::GIB;

use super::parse::{basename, numbered};
use crate::root::Root;

const DRM: &str = "/sys/class/drm";
const PCI: &str = "/sys/bus/pci/devices";
const NVIDIA_PROC: &str = "/proc/driver/nvidia";
const KFD_NODES: &str = "/sys/class/kfd/kfd/topology/nodes";

/// PCI vendor ids (PCI-SIG; names as in pci.ids).
const NVIDIA: u32 = 0x10de;
const AMD: u32 = 0x1002;
const INTEL: u32 = 0x8086;

/// Display controllers that cannot run training: server BMC consoles (ASPEED 0x1a03, Matrox
/// 0x102b) and emulated VM adapters (Bochs/QEMU std VGA 0x1234, Red Hat virtio-gpu 0x1af4 and
/// QXL 0x1b36, VMware SVGA 0x15ad, Microsoft Hyper-V 0x1414, Cirrus 0x1013). Vendor ids from pci.ids.
const DISPLAY_ONLY: &[u32] = &[
    0x1a03, 0x102b, 0x1234, 0x1af4, 0x1b36, 0x15ad, 0x1414, 0x1013,
];

/// All accelerators sysfs shows.
pub(crate) fn read(root: &Root) -> Vec<Accelerator> {
    let mut found: Vec<Accelerator> = Vec::new();
    for card in root.entries(DRM) {
        if numbered(&card, "card").is_none() {
            continue;
        }
        if let Some(acc) = drm_card(root, &card) {
            let duplicate =
                acc.pci_bus_id.is_some() && found.iter().any(|a| a.pci_bus_id == acc.pci_bus_id);
            if !duplicate {
                found.push(acc);
            }
        }
    }
    for bdf in root.entries(&format!("{NVIDIA_PROC}/gpus")) {
        if found
            .iter()
            .any(|a| a.pci_bus_id.as_deref() == Some(bdf.as_str()))
        {
            continue;
        }
        let dir = format!("{PCI}/{bdf}");
        let device = root.u32(&format!("{dir}/device"));
        let mut acc = base(root, NVIDIA, device, Some(bdf.clone()), &dir);
        nvidia(root, &bdf, &mut acc);
        found.push(acc);
    }
    found
}

/// One DRM card, when it is a GPU.
fn drm_card(root: &Root, card: &str) -> Option<Accelerator> {
    let dev = format!("{DRM}/{card}/device");
    let class = root.text(&format!("{dev}/class"))?;
    if !class.starts_with("0x03") {
        return None;
    }
    let vendor = root.u32(&format!("{dev}/vendor"))?;
    if DISPLAY_ONLY.contains(&vendor) {
        return None;
    }
    let device = root.u32(&format!("{dev}/device"));
    let bdf = root
        .link(&dev)
        .and_then(|t| basename(&t).map(str::to_string));
    // The PCI directory: /sys/bus/pci/devices/<bdf> and the card's `device` are the same
    // directory on a live system; fixtures record it once, under the card.
    let pci_dir = match &bdf {
        Some(b) if root.exists(&format!("{PCI}/{b}")) => format!("{PCI}/{b}"),
        _ => dev.clone(),
    };
    let mut acc = base(root, vendor, device, bdf.clone(), &pci_dir);
    match vendor {
        AMD => amd(root, &dev, device, &mut acc),
        INTEL => intel(root, card, &pci_dir, device, &mut acc),
        NVIDIA => nvidia(root, bdf.as_deref().unwrap_or(""), &mut acc),
        _ => {}
    }
    Some(acc)
}

/// What every GPU gets: vendor, a fallback name, bus id, PCIe link, NUMA node.
fn base(
    root: &Root,
    vendor: u32,
    device: Option<u32>,
    bdf: Option<String>,
    pci_dir: &str,
) -> Accelerator {
    Accelerator {
        vendor: Vendor::from_pci(vendor),
        name: fallback_name(vendor, device),
        pci_bus_id: bdf,
        pcie: pcie(root, pci_dir),
        // -1 when the platform does not say (`Documentation/ABI/testing/sysfs-bus-pci`).
        numa_node: root
            .text(&format!("{pci_dir}/numa_node"))
            .and_then(|n| n.parse::<u32>().ok()),
        sources: vec![Reader::Sysfs],
        ..Accelerator::default()
    }
}

/// A name for a GPU no table knows: vendor and PCI ids, e.g. `AMD GPU [1002:164e]`.
fn fallback_name(vendor: u32, device: Option<u32>) -> String {
    let who = match Vendor::from_pci(vendor) {
        Vendor::Nvidia => "NVIDIA GPU",
        Vendor::Amd => "AMD GPU",
        Vendor::Intel => "Intel GPU",
        Vendor::Apple => "Apple GPU",
        Vendor::Other => "PCI display controller",
    };
    match device {
        Some(d) => format!("{who} [{vendor:04x}:{d:04x}]"),
        None => format!("{who} [{vendor:04x}]"),
    }
}

/// PCIe link state (`Documentation/ABI/testing/sysfs-bus-pci`, `current_link_speed` etc.).
fn pcie(root: &Root, dir: &str) -> Option<Pcie> {
    let gen = |f: &str| root.text(&format!("{dir}/{f}")).and_then(|s| pcie_gen(&s));
    let width = |f: &str| root.u32(&format!("{dir}/{f}")).filter(|w| *w > 0);
    let link = Pcie {
        gen_current: gen("current_link_speed"),
        gen_max: gen("max_link_speed"),
        width_current: width("current_link_width"),
        width_max: width("max_link_width"),
    };
    let any = link.gen_current.is_some()
        || link.gen_max.is_some()
        || link.width_current.is_some()
        || link.width_max.is_some();
    any.then_some(link)
}

/// PCIe generation of a link speed such as `16.0 GT/s PCIe`: the per-lane rates of PCIe 1.0 to
/// 6.0 are 2.5, 5, 8, 16, 32 and 64 GT/s (PCI-SIG base specifications; kernel
/// `drivers/pci/pci.h` `PCIE_SPEED2STR`).
pub(crate) fn pcie_gen(speed: &str) -> Option<u32> {
    let rate: f64 = speed.split_whitespace().next()?.parse().ok()?;
    const GENS: [(f64, u32); 6] = [
        (2.5, 1),
        (5.0, 2),
        (8.0, 3),
        (16.0, 4),
        (32.0, 5),
        (64.0, 6),
    ];
    GENS.iter()
        .find(|(r, _)| (rate - r).abs() < 0.01)
        .map(|(_, g)| *g)
}

// ---------------------------------------------------------------------------------------------
// AMD

/// AMD integrated GPUs (APUs) by PCI device id: Raven/Picasso 15dd 15d8, Renoir/Cezanne/Lucienne
/// 15e7 1636 1638 164c, Van Gogh 163f, Rembrandt 164d 1681 (ROCR-Runtime `libhsakmt/src/topology.c`
/// `gfxip_lookup_table`), Raphael 164e, Phoenix/Hawk Point 15bf 15c8 1900 1901, Strix Point 150e,
/// Krackan 1902, Strix Halo 1586 (libdrm `data/amdgpu.ids`: Radeon 610M…890M, 8060S integrated parts).
const AMD_APU_IDS: &[u32] = &[
    0x15dd, 0x15d8, 0x15e7, 0x1636, 0x1638, 0x164c, 0x163f, 0x164d, 0x1681, 0x164e, 0x15bf, 0x15c8,
    0x1900, 0x1901, 0x150e, 0x1902, 0x1586,
];

/// Marketing names by (device, revision), from libdrm `data/amdgpu.ids` (gitlab.freedesktop.org
/// mesa/drm), used when neither the card's `product_name` nor an installed `amdgpu.ids` names it.
const AMD_NAMES: &[(u32, u32, &str)] = &[
    (0x744c, 0xc8, "AMD Radeon RX 7900 XTX"),
    (0x744c, 0xcc, "AMD Radeon RX 7900 XT"),
    (0x744c, 0xce, "AMD Radeon RX 7900 GRE"),
    (0x744c, 0xcf, "AMD Radeon RX 7900M"),
    (0x7448, 0x00, "AMD Radeon Pro W7900"),
    (0x747e, 0xc8, "AMD Radeon RX 7800 XT"),
    (0x15bf, 0xc2, "AMD Radeon 780M Graphics"),
    (0x15bf, 0xc4, "AMD Radeon 780M Graphics"),
    (0x1586, 0xc1, "AMD Radeon 8060S Graphics"),
    (0x150e, 0xc1, "AMD Radeon 890M Graphics"),
];

/// Where distributions install libdrm's id table (Mesa's `/usr/share/libdrm`, AMD's ROCm packages
/// `/opt/amdgpu/share/libdrm`).
const AMDGPU_IDS: &[&str] = &[
    "/usr/share/libdrm/amdgpu.ids",
    "/opt/amdgpu/share/libdrm/amdgpu.ids",
];

/// amdgpu memory (`Documentation/gpu/amdgpu/driver-misc.rst`, `mem_info_*`, bytes), architecture
/// and compute units from the KFD topology, APU handling (an APU's VRAM is a small carve-out and
/// its real pool is GTT, both system memory: <https://github.com/ollama/ollama/issues/12062>).
fn amd(root: &Root, dev: &str, device: Option<u32>, acc: &mut Accelerator) {
    let read = |f: &str| root.u64(&format!("{dev}/{f}"));
    let vram = read("mem_info_vram_total").filter(|v| *v > 0);
    let vram_used = read("mem_info_vram_used");
    let gtt = read("mem_info_gtt_total").filter(|v| *v > 0);
    let gtt_used = read("mem_info_gtt_used");
    let revision = read("revision").and_then(|r| u32::try_from(r).ok());
    let kfd = kfd_node(root, dev);

    acc.backend = Some(Backend::Rocm);
    acc.name = amd_name(root, dev, device, revision).unwrap_or_else(|| acc.name.clone());
    acc.vram_bytes = vram.map(Value::measured);
    acc.gtt_bytes = gtt.map(Value::measured);
    if let Some(props) = &kfd {
        acc.architecture = props.get("gfx_target_version").and_then(|v| gfx_name(*v));
        let simds = props.get("simd_count").copied().unwrap_or(0);
        let per_cu = props.get("simd_per_cu").copied().unwrap_or(0);
        if simds > 0 && per_cu > 0 {
            acc.compute_units = u32::try_from(simds / per_cu).ok().map(Value::measured);
        }
    }
    let cpu_cores_in_node = kfd
        .as_ref()
        .and_then(|p| p.get("cpu_cores_count").copied())
        .unwrap_or(0);
    let apu = device.is_some_and(|d| AMD_APU_IDS.contains(&d))
        || cpu_cores_in_node > 0
        // ollama `discover/gpu.go` `IGPUMemLimit`: APUs typically report a 512 MiB carve-out,
        // so anything under 1 GiB is taken as an iGPU.
        || vram.is_some_and(|v| v < GIB);

    if apu {
        acc.kind = AcceleratorKind::Integrated;
        // The GPU may allocate from GTT (system RAM it maps) or the carve-out, whichever is larger
        // (ROCm/rocm-cli#144); both come out of the same DIMMs, so they are never added
        // (ollama#12062, llama.cpp#19818, ROCm/legacy-rocm-build#6004).
        let use_gtt = match (gtt, vram) {
            (Some(g), Some(v)) => g >= v,
            (Some(_), None) => true,
            _ => false,
        };
        if use_gtt {
            set_memory(acc, gtt, gtt_used, MemorySource::AmdgpuGtt);
        } else {
            set_memory(acc, vram, vram_used, MemorySource::AmdgpuVram);
        }
    } else {
        acc.kind = AcceleratorKind::Discrete;
        set_memory(acc, vram, vram_used, MemorySource::AmdgpuVram);
    }
    amd_power_and_clocks(root, dev, acc);
}

fn set_memory(acc: &mut Accelerator, total: Option<u64>, used: Option<u64>, source: MemorySource) {
    let Some(total) = total else {
        return;
    };
    acc.memory_total_bytes = Some(Value::measured(total));
    acc.memory_free_bytes = used.map(|u| Value::measured(total.saturating_sub(u)));
    acc.memory_source = Some(source);
}

/// Name: the card's `product_name` (boards with a FRU EEPROM), an installed `amdgpu.ids`, the
/// built-in excerpt of it.
fn amd_name(root: &Root, dev: &str, device: Option<u32>, revision: Option<u32>) -> Option<String> {
    if let Some(name) = root.text(&format!("{dev}/product_name")) {
        return Some(name);
    }
    let (device, revision) = (device?, revision?);
    for path in AMDGPU_IDS {
        if let Some(name) = root
            .text(path)
            .and_then(|t| amdgpu_ids_lookup(&t, device, revision))
        {
            return Some(name);
        }
    }
    AMD_NAMES
        .iter()
        .find(|(d, r, _)| *d == device && *r == revision)
        .map(|(_, _, n)| n.to_string())
}

/// A name from libdrm's `amdgpu.ids` (`device_id,<TAB>revision_id,<TAB>product_name`, hex ids).
pub(crate) fn amdgpu_ids_lookup(text: &str, device: u32, revision: u32) -> Option<String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let mut cols = line.splitn(3, ',');
            let d = u32::from_str_radix(cols.next()?.trim(), 16).ok()?;
            let r = u32::from_str_radix(cols.next()?.trim(), 16).ok()?;
            let name = cols.next()?.trim();
            (d == device && r == revision && !name.is_empty()).then(|| name.to_string())
        })
}

/// The KFD topology node of this card, matched by render minor (`drm_render_minor` against the
/// card's `drm/renderD<N>`) or PCI location (`domain`, `location_id` = bus << 8 | device << 3 |
/// function). KFD node properties are `name value` lines (`drivers/gpu/drm/amd/amdkfd/kfd_topology.c`).
fn kfd_node(root: &Root, dev: &str) -> Option<BTreeMap<String, u64>> {
    let render_minor = root
        .entries(&format!("{dev}/drm"))
        .iter()
        .find_map(|n| numbered(n, "renderD"))
        .map(u64::from);
    let location = root
        .link(dev)
        .and_then(|t| basename(&t).and_then(parse_bdf));
    for node in root.entries(KFD_NODES) {
        let Some(text) = root.text(&format!("{KFD_NODES}/{node}/properties")) else {
            continue;
        };
        let props: BTreeMap<String, u64> = text
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(' ')?;
                Some((k.to_string(), v.trim().parse().ok()?))
            })
            .collect();
        if props.get("simd_count").copied().unwrap_or(0) == 0 {
            continue; // a CPU node
        }
        let by_minor =
            render_minor.is_some() && props.get("drm_render_minor") == render_minor.as_ref();
        let by_location = location.is_some_and(|(domain, loc)| {
            props.get("domain") == Some(&domain) && props.get("location_id") == Some(&loc)
        });
        if by_minor || by_location {
            return Some(props);
        }
    }
    None
}

/// `dddd:bb:dd.f` → (domain, bus << 8 | device << 3 | function).
fn parse_bdf(bdf: &str) -> Option<(u64, u64)> {
    let (domain, rest) = bdf.split_once(':')?;
    let (bus, rest) = rest.split_once(':')?;
    let (device, function) = rest.split_once('.')?;
    let n = |s: &str| u64::from_str_radix(s, 16).ok();
    Some((
        n(domain)?,
        (n(bus)? << 8) | (n(device)? << 3) | n(function)?,
    ))
}

/// `gfx_target_version` (major·10000 + minor·100 + stepping) as the LLVM target name:
/// 110000 → gfx1100, 90402 → gfx942, 110501 → gfx1151, 90010 → gfx90a (the values
/// `kgd2kfd_probe` assigns in kernel `drivers/gpu/drm/amd/amdkfd/kfd_device.c`; the stepping is
/// written in hex as in ollama `discover/amd_linux.go` `gfx%d%x%x`).
pub(crate) fn gfx_name(version: u64) -> Option<String> {
    let (major, minor, step) = (version / 10000, (version / 100) % 100, version % 100);
    if major == 0 || minor > 15 || step > 15 {
        return None;
    }
    Some(format!("gfx{major}{minor:x}{step:x}"))
}

/// Power limits from the card's hwmon (`power1_cap`, `power1_cap_max`, `power1_cap_default`, µW:
/// `Documentation/gpu/amdgpu/thermal.rst`) and top clocks from the last line of `pp_dpm_sclk` /
/// `pp_dpm_mclk` (`N: 2482Mhz *`, the same document, "pp_dpm_*").
fn amd_power_and_clocks(root: &Root, dev: &str, acc: &mut Accelerator) {
    if let Some(hwmon) = root
        .entries(&format!("{dev}/hwmon"))
        .into_iter()
        .find(|n| numbered(n, "hwmon").is_some())
    {
        let watts = |f: &str| {
            root.u64(&format!("{dev}/hwmon/{hwmon}/{f}"))
                .filter(|w| *w > 0)
                .map(|uw| Value::measured(uw as f64 / 1e6))
        };
        acc.power_limit_w = watts("power1_cap");
        acc.power_max_limit_w = watts("power1_cap_max");
        acc.power_default_limit_w = watts("power1_cap_default");
    }
    acc.sm_max_mhz = top_dpm_mhz(root, &format!("{dev}/pp_dpm_sclk"));
    acc.memory_max_mhz = top_dpm_mhz(root, &format!("{dev}/pp_dpm_mclk"));
}

fn top_dpm_mhz(root: &Root, path: &str) -> Option<Value<u32>> {
    let text = root.text(path)?;
    let last = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let (_, rest) = last.split_once(':')?;
    let digits: String = rest
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits
        .parse::<u32>()
        .ok()
        .filter(|m| *m > 0)
        .map(Value::measured)
}

// ---------------------------------------------------------------------------------------------
// Intel

/// Intel discrete GPUs by device id (pci.ids: DG2 "Arc A770/A750/A380/A310", Battlemage
/// "Arc B580/B570"); name and architecture. Integrated parts with their names follow.
const INTEL_GPUS: &[(u32, &str, &str, bool)] = &[
    (0x56a0, "Intel Arc A770 Graphics", "xe-hpg", true),
    (0x56a1, "Intel Arc A750 Graphics", "xe-hpg", true),
    (0x56a5, "Intel Arc A380 Graphics", "xe-hpg", true),
    (0x56a6, "Intel Arc A310 Graphics", "xe-hpg", true),
    (0xe20b, "Intel Arc B580 Graphics", "xe2-hpg", true),
    (0xe20c, "Intel Arc B570 Graphics", "xe2-hpg", true),
    (0x46a6, "Intel Iris Xe Graphics", "xe-lp", false),
    (0x4692, "Intel UHD Graphics 730", "xe-lp", false),
    (0x4680, "Intel UHD Graphics 770", "xe-lp", false),
    (0xa780, "Intel UHD Graphics 770", "xe-lp", false),
];

/// Intel local memory: xe `tile*/physical_vram_size_bytes` summed over tiles (kernel
/// `drivers/gpu/drm/xe/xe_tile_sysfs.c`), else the out-of-tree i915's `cardN/lmem_total_bytes`
/// (amdgpu's `mem_info_vram_total` is not written by Intel drivers). Neither on an iGPU, which
/// shares system memory.
fn intel(root: &Root, card: &str, pci_dir: &str, device: Option<u32>, acc: &mut Accelerator) {
    acc.backend = Some(Backend::Xpu);
    let known = device.and_then(|d| INTEL_GPUS.iter().find(|g| g.0 == d));
    if let Some((_, name, arch, _)) = known {
        acc.name = name.to_string();
        acc.architecture = Some(arch.to_string());
    }
    let tiles: Vec<u64> = root
        .entries(pci_dir)
        .iter()
        .filter(|n| numbered(n, "tile").is_some())
        .filter_map(|t| root.u64(&format!("{pci_dir}/{t}/physical_vram_size_bytes")))
        .collect();
    let (memory, source) = if !tiles.is_empty() {
        (Some(tiles.iter().sum::<u64>()), MemorySource::XeVram)
    } else {
        (
            root.u64(&format!("{DRM}/{card}/lmem_total_bytes")),
            MemorySource::I915Lmem,
        )
    };
    let memory = memory.filter(|m| *m > 0);
    let discrete = memory.is_some() || known.is_some_and(|g| g.3);
    acc.kind = if discrete {
        AcceleratorKind::Discrete
    } else {
        AcceleratorKind::Integrated
    };
    if let Some(m) = memory {
        acc.memory_total_bytes = Some(Value::measured(m));
        acc.vram_bytes = Some(Value::measured(m));
        acc.memory_source = Some(source);
    }
}

// ---------------------------------------------------------------------------------------------
// NVIDIA

/// What the NVIDIA kernel module shows without NVML: the model name from
/// `/proc/driver/nvidia/gpus/<bdf>/information` (`Model:` line) and the driver version from
/// `/proc/driver/nvidia/version`. The NVML reader fills the rest; the orchestrator merges by bus id.
fn nvidia(root: &Root, bdf: &str, acc: &mut Accelerator) {
    let info = root.text(&format!("{NVIDIA_PROC}/gpus/{bdf}/information"));
    if let Some(model) = info.as_deref().and_then(|t| {
        t.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "Model").then(|| v.trim().to_string())
        })
    }) {
        acc.name = model;
    }
    if info.is_some() {
        acc.backend = Some(Backend::Cuda);
        acc.driver_version = root
            .text(&format!("{NVIDIA_PROC}/version"))
            .and_then(|t| nvidia_driver_version(&t));
    }
}

/// The version in `NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 …` (or
/// `… Open Kernel Module for x86_64  575.51.03  Release Build …`): the first token of dotted
/// numbers on the `NVRM version` line.
pub(crate) fn nvidia_driver_version(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.starts_with("NVRM version:"))?;
    line.split_whitespace()
        .find(|tok| {
            tok.contains('.')
                && tok
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gfx_targets() {
        assert_eq!(gfx_name(110000).as_deref(), Some("gfx1100"));
        assert_eq!(gfx_name(90402).as_deref(), Some("gfx942"));
        assert_eq!(gfx_name(110501).as_deref(), Some("gfx1151"));
        assert_eq!(gfx_name(110003).as_deref(), Some("gfx1103"));
        assert_eq!(gfx_name(90010).as_deref(), Some("gfx90a"));
        assert_eq!(gfx_name(0), None);
    }

    #[test]
    fn pcie_generations() {
        assert_eq!(pcie_gen("16.0 GT/s PCIe"), Some(4));
        assert_eq!(pcie_gen("2.5 GT/s PCIe"), Some(1));
        assert_eq!(pcie_gen("8.0 GT/s"), Some(3));
        assert_eq!(pcie_gen("64.0 GT/s PCIe"), Some(6));
        assert_eq!(pcie_gen("Unknown"), None);
    }

    #[test]
    fn driver_versions() {
        let closed = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\nGCC version:  gcc version 12.3.0\n";
        assert_eq!(nvidia_driver_version(closed).as_deref(), Some("550.54.14"));
        let open = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  575.51.03  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Apr 15 17:40:48 UTC 2025\n";
        assert_eq!(nvidia_driver_version(open).as_deref(), Some("575.51.03"));
    }

    #[test]
    fn dpm_top_clock() {
        let dir = std::env::temp_dir().join(format!("tf-dpm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("pp_dpm_sclk"),
            "0: 500Mhz\n1: 1430Mhz *\n2: 2482Mhz\n",
        )
        .unwrap();
        let root = Root::at(&dir);
        assert_eq!(
            top_dpm_mhz(&root, "/pp_dpm_sclk").map(|v| v.value),
            Some(2482)
        );
        assert_eq!(top_dpm_mhz(&root, "/pp_dpm_mclk"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bdf_location() {
        assert_eq!(parse_bdf("0000:03:00.0"), Some((0, 0x300)));
        assert_eq!(parse_bdf("0000:c1:00.0"), Some((0, 0xc100)));
    }

    #[test]
    fn amdgpu_ids() {
        let t = "# comment\n1.0.0\n744C,\tC8,\tAMD Radeon RX 7900 XTX\n744C,\tCC,\tAMD Radeon RX 7900 XT\n";
        assert_eq!(
            amdgpu_ids_lookup(t, 0x744c, 0xcc).as_deref(),
            Some("AMD Radeon RX 7900 XT")
        );
        assert_eq!(amdgpu_ids_lookup(t, 0x744c, 0x00), None);
    }
}
