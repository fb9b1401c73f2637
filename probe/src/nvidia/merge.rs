//! NVML's entries merged into a profile that other readers may have filled already.

use trainfit_core::hardware::{
    Accelerator, AcceleratorKind, AcceleratorLink, HardwareProfile, Pcie, Vendor,
};

use super::convert::normalize_pci_bus_id;

/// Adds `acc`, or fills the entry another reader already made for the same PCI bus id.
pub(super) fn merge_accelerator(profile: &mut HardwareProfile, acc: Accelerator) {
    let existing = profile
        .accelerators
        .iter_mut()
        .find(|e| e.pci_bus_id.as_deref().map(normalize_pci_bus_id) == acc.pci_bus_id);
    match existing {
        Some(entry) => fill(entry, acc),
        None => profile.accelerators.push(acc),
    }
}

/// Overwrites `entry` with every reading NVML has (the driver knows its GPU better than sysfs
/// or a name table) and keeps the entry's own readings where NVML has none.
fn fill(entry: &mut Accelerator, nvml: Accelerator) {
    macro_rules! prefer_nvml {
        ($($field:ident),* $(,)?) => {
            $( if nvml.$field.is_some() { entry.$field = nvml.$field; } )*
        };
    }
    prefer_nvml!(
        pci_bus_id,
        uuid,
        backend,
        architecture,
        compute_capability,
        memory_total_bytes,
        memory_free_bytes,
        memory_source,
        vram_bytes,
        compute_units,
        cores,
        memory_bandwidth_gbs,
        memory_bus_width_bits,
        memory_max_mhz,
        sm_max_mhz,
        sm_mhz,
        nvlink_links,
        nvlink_version,
        power_limit_w,
        power_default_limit_w,
        power_min_limit_w,
        power_max_limit_w,
        power_draw_w,
        temperature_c,
        temperature_slowdown_c,
        temperature_shutdown_c,
        ecc_enabled,
        ecc_uncorrected_errors,
        mig_enabled,
        mig_instances,
        driver_version,
        runtime_version,
        numa_node,
    );
    entry.pcie = match nvml.kind {
        // The PCIe link a unified part reports is not how it attaches (see `accelerator`).
        AcceleratorKind::Unified => None,
        _ => merge_pcie(entry.pcie, nvml.pcie),
    };
    if nvml.peak_tflops.fp32.is_some() {
        entry.peak_tflops.fp32 = nvml.peak_tflops.fp32;
    }
    entry.vendor = Vendor::Nvidia;
    entry.name = nvml.name;
    entry.kind = nvml.kind;
    if !nvml.dtypes.is_empty() {
        entry.dtypes = nvml.dtypes;
    }
    if !nvml.throttle_reasons.is_empty() {
        entry.throttle_reasons = nvml.throttle_reasons;
    }
    for source in nvml.sources {
        if !entry.sources.contains(&source) {
            entry.sources.push(source);
        }
    }
}

/// NVML's link readings over the entry's, field by field.
fn merge_pcie(old: Option<Pcie>, nvml: Option<Pcie>) -> Option<Pcie> {
    let Some(new) = nvml else {
        return old;
    };
    let old = old.unwrap_or_default();
    Some(Pcie {
        gen_current: new.gen_current.or(old.gen_current),
        gen_max: new.gen_max.or(old.gen_max),
        width_current: new.width_current.or(old.width_current),
        width_max: new.width_max.or(old.width_max),
    })
}

/// Adds `link`, replacing a link another reader recorded for the same pair.
pub(super) fn upsert_link(profile: &mut HardwareProfile, link: AcceleratorLink) {
    let same_pair =
        |l: &AcceleratorLink| (l.a == link.a && l.b == link.b) || (l.a == link.b && l.b == link.a);
    match profile.topology.links.iter_mut().find(|l| same_pair(l)) {
        Some(existing) => *existing = link,
        None => profile.topology.links.push(link),
    }
}
