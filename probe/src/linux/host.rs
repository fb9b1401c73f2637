//! Operating system, container, virtual machine and form factor.

use trainfit_core::hardware::{Container, FormFactor, Host, Os, ProbeError, Virtualization};

use crate::error::record;
use crate::root::Root;

const SECTION: &str = "host";
const OSRELEASE: &str = "/proc/sys/kernel/osrelease";
const DMI: &str = "/sys/class/dmi/id";

/// Fills `host`. `hypervisor` is the cpuinfo `hypervisor` flag.
pub(crate) fn read(root: &Root, hypervisor: bool, host: &mut Host, errors: &mut Vec<ProbeError>) {
    host.os = Some(Os::Linux);
    host.os_name = os_name(root, errors);
    host.kernel = root.text(OSRELEASE);
    match &host.kernel {
        Some(k) => host.wsl = Some(is_wsl(k)),
        None => record(errors, SECTION, OSRELEASE, "missing or unreadable"),
    }
    if root.is_system() {
        host.arch = Some(std::env::consts::ARCH.to_string());
    }
    host.container = container(root);
    host.virtualization = virtualization(root, hypervisor, host.wsl == Some(true));
    host.form_factor = root
        .u64(&format!("{DMI}/chassis_type"))
        .and_then(form_factor);
}

/// `PRETTY_NAME` of `/etc/os-release`, falling back to `/usr/lib/os-release` (`man 5 os-release`).
fn os_name(root: &Root, errors: &mut Vec<ProbeError>) -> Option<String> {
    let Some(text) = root
        .text("/etc/os-release")
        .or_else(|| root.text("/usr/lib/os-release"))
    else {
        record(errors, SECTION, "/etc/os-release", "missing or unreadable");
        return None;
    };
    text.lines().find_map(|line| {
        let value = line.strip_prefix("PRETTY_NAME=")?;
        let value = value.trim().trim_matches('"').trim_matches('\'');
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// WSL kernels name themselves in the release: `5.15.153.1-microsoft-standard-WSL2`, WSL1
/// `4.4.0-19041-Microsoft` (<https://github.com/microsoft/WSL/issues/423>).
fn is_wsl(kernel: &str) -> bool {
    kernel.to_ascii_lowercase().contains("microsoft") || kernel.contains("WSL")
}

/// The container runtime this process runs in, by the marks systemd's `detect_container()` also
/// reads (`src/basic/virt.c`: `/run/.containerenv`, `/.dockerenv`, `/run/systemd/container`) and
/// the variable Kubernetes sets in every pod (`KUBERNETES_SERVICE_HOST`:
/// <https://kubernetes.io/docs/concepts/services-networking/service/#environment-variables>).
fn container(root: &Root) -> Option<Container> {
    let init_cgroup = root.text("/proc/1/cgroup").unwrap_or_default();
    // Kubernetes first: a pod on a Docker runtime also has /.dockerenv.
    if (root.is_system() && std::env::var_os("KUBERNETES_SERVICE_HOST").is_some())
        || init_cgroup.contains("kubepods")
    {
        return Some(Container::Kubernetes);
    }
    // Podman writes /run/.containerenv (containers/podman docs, `podman-run(1)`); Docker writes /.dockerenv.
    if root.exists("/run/.containerenv") || init_cgroup.contains("libpod") {
        return Some(Container::Podman);
    }
    if root.exists("/.dockerenv") || init_cgroup.contains("/docker") {
        return Some(Container::Docker);
    }
    // systemd's container interface: the manager writes its name to /run/systemd/container
    // (systemd.io/CONTAINER_INTERFACE): `lxc`, `lxc-libvirt`, `systemd-nspawn`, ...
    if let Some(name) = root.text("/run/systemd/container") {
        return Some(match name.to_ascii_lowercase().as_str() {
            "docker" => Container::Docker,
            "podman" => Container::Podman,
            "lxc" | "lxc-libvirt" => Container::Lxc,
            "systemd-nspawn" => Container::SystemdNspawn,
            _ => Container::Other,
        });
    }
    if init_cgroup.contains("/lxc") {
        return Some(Container::Lxc);
    }
    None
}

/// DMI vendor strings of hypervisors, prefix-matched against `sys_vendor`, `product_name`,
/// `board_vendor` and `bios_vendor` (systemd `src/basic/virt.c`, `detect_vm_dmi_vendor`). QEMU's
/// machine types say `QEMU` whether or not KVM accelerates them; KVM is the norm.
const DMI_VENDORS: &[(&str, Virtualization)] = &[
    ("KVM", Virtualization::Kvm),
    ("OpenStack", Virtualization::Kvm),
    ("KubeVirt", Virtualization::Kvm),
    ("QEMU", Virtualization::Kvm),
    ("Amazon EC2", Virtualization::Amazon),
    ("VMware", Virtualization::Vmware),
    ("VMW", Virtualization::Vmware),
    ("innotek GmbH", Virtualization::Oracle),
    ("VirtualBox", Virtualization::Oracle),
    ("Xen", Virtualization::Xen),
    ("Bochs", Virtualization::Bochs),
    ("Parallels", Virtualization::Parallels),
    ("BHYVE", Virtualization::Bhyve),
    ("Hyper-V", Virtualization::Hyperv),
    ("Apple Virtualization", Virtualization::Apple),
    ("Google Compute Engine", Virtualization::Google),
];

/// The hypervisor, from DMI strings and the cpuinfo `hypervisor` flag.
fn virtualization(root: &Root, hypervisor: bool, wsl: bool) -> Option<Virtualization> {
    let dmi = |f: &str| root.text(&format!("{DMI}/{f}")).unwrap_or_default();
    let product = dmi("product_name");
    let fields = [
        dmi("sys_vendor"),
        product.clone(),
        dmi("board_vendor"),
        dmi("bios_vendor"),
    ];
    for field in &fields {
        if let Some((_, id)) = DMI_VENDORS.iter().find(|(p, _)| field.starts_with(p)) {
            // EC2 bare-metal instance types (`*.metal`) keep the Amazon strings but run no
            // hypervisor; only the CPUID bit tells them apart.
            if *id == Virtualization::Amazon && !hypervisor {
                return None;
            }
            return Some(*id);
        }
    }
    // Hyper-V guests: `Microsoft Corporation` / `Virtual Machine` (a Surface laptop has the same
    // vendor, so the product decides).
    if fields[0].starts_with("Microsoft Corporation") && product == "Virtual Machine" {
        return Some(Virtualization::Hyperv);
    }
    if hypervisor {
        // WSL 2 runs in a Hyper-V utility VM without DMI tables.
        return Some(if wsl {
            Virtualization::Hyperv
        } else {
            Virtualization::Unknown
        });
    }
    None
}

/// SMBIOS chassis types (DMTF DSP0134 3.x, table "System Enclosure or Chassis Types"):
/// 8 Portable, 9 Laptop, 10 Notebook, 14 Sub Notebook, 31 Convertible, 32 Detachable → laptop;
/// 3 Desktop, 4 Low Profile Desktop, 5 Pizza Box, 6 Mini Tower, 7 Tower, 13 All in One,
/// 35 Mini PC, 36 Stick PC → desktop; 17 Main Server Chassis, 23 Rack Mount Chassis,
/// 28 Blade, 29 Blade Enclosure → server.
fn form_factor(code: u64) -> Option<FormFactor> {
    match code {
        8 | 9 | 10 | 14 | 31 | 32 => Some(FormFactor::Laptop),
        3 | 4 | 5 | 6 | 7 | 13 | 35 | 36 => Some(FormFactor::Desktop),
        17 | 23 | 28 | 29 => Some(FormFactor::Server),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsl_kernels() {
        assert!(is_wsl("5.15.153.1-microsoft-standard-WSL2"));
        assert!(is_wsl("4.4.0-19041-Microsoft"));
        assert!(!is_wsl("6.8.0-45-generic"));
    }

    #[test]
    fn chassis() {
        assert_eq!(form_factor(10), Some(FormFactor::Laptop));
        assert_eq!(form_factor(3), Some(FormFactor::Desktop));
        assert_eq!(form_factor(23), Some(FormFactor::Server));
        assert_eq!(form_factor(1), None);
    }
}
