//! Mounted file systems that can hold datasets and checkpoints, with the kind of disk behind them.

use trainfit_core::hardware::{ProbeError, Storage, StorageKind, Value};

use super::memory::unescape_octal;
use super::parse::basename;
use super::SpaceFn;
use crate::error::record;
use crate::root::Root;

const SECTION: &str = "storage";

/// File systems served over the network (`man 5 fstab` types; FUSE types as `fuse.<name>`).
const NETWORK_FS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ceph",
    "fuse.ceph",
    "fuse.sshfs",
    "glusterfs",
    "fuse.glusterfs",
    "lustre",
    "beegfs",
    "gpfs",
];

/// Block-device file systems that hold no user data: snap packages and optical images.
const SKIPPED_FS: &[&str] = &["squashfs", "iso9660", "udf"];

/// Mount points under these hold the system, not data; container runtimes also bind single files
/// from the host disk there (`/etc/hosts`, NVIDIA's `/usr/bin/nvidia-smi` and driver libraries).
const SYSTEM_DIRS: &[&str] = &[
    "/boot",
    "/proc",
    "/sys",
    "/dev",
    "/run",
    "/etc",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/snap",
    "/var/snap",
    "/var/lib/docker",
    "/var/lib/containers",
];

/// Fills `storage` from the mount table.
pub(crate) fn read(
    root: &Root,
    space: SpaceFn,
    storage: &mut Vec<Storage>,
    errors: &mut Vec<ProbeError>,
) {
    let Some(text) = root
        .text("/proc/self/mounts")
        .or_else(|| root.text("/proc/mounts"))
    else {
        record(errors, SECTION, "/proc/mounts", "missing or unreadable");
        return;
    };
    let mut mounts: Vec<Storage> = Vec::new();
    for line in text.lines() {
        let Some(entry) = parse_mount(line) else {
            continue;
        };
        if !wanted(&entry) {
            continue;
        }
        let item = describe(root, space, &entry);
        // A later mount on the same point hides the earlier one.
        mounts.retain(|m| m.mount_point != item.mount_point);
        mounts.push(item);
    }
    *storage = mounts;
}

/// One `/proc/mounts` line (`man 5 proc`, "/proc/mounts": fstab format).
struct Mount {
    device: String,
    point: String,
    fs: String,
    read_only: bool,
}

fn parse_mount(line: &str) -> Option<Mount> {
    let mut cols = line.split_whitespace();
    let device = unescape_octal(cols.next()?);
    let point = unescape_octal(cols.next()?);
    let fs = cols.next()?.to_string();
    let options = cols.next().unwrap_or("");
    Some(Mount {
        device,
        point,
        fs,
        read_only: options.split(',').any(|o| o == "ro"),
    })
}

/// Real data file systems: the root always (in a container it is an overlay), network file
/// systems, and block devices outside the system directories.
fn wanted(m: &Mount) -> bool {
    if m.point == "/" {
        return true;
    }
    let under_system = SYSTEM_DIRS
        .iter()
        .any(|d| m.point == *d || m.point.starts_with(&format!("{d}/")));
    // Desktop automounters put removable media under /run/media (udisks2).
    if under_system && !m.point.starts_with("/run/media/") {
        return false;
    }
    if NETWORK_FS.contains(&m.fs.as_str()) {
        return true;
    }
    m.device.starts_with("/dev/")
        && !m.device.starts_with("/dev/loop")
        && !SKIPPED_FS.contains(&m.fs.as_str())
}

fn describe(root: &Root, space: SpaceFn, m: &Mount) -> Storage {
    let network = NETWORK_FS.contains(&m.fs.as_str());
    let disk = if network {
        None
    } else {
        m.device
            .strip_prefix("/dev/")
            .and_then(|name| whole_disk(root, name))
    };
    let kind = if network {
        Some(StorageKind::Network)
    } else {
        disk.as_deref().and_then(|d| disk_kind(root, d, 0))
    };
    let removable = disk
        .as_deref()
        .and_then(|d| root.u64(&format!("/sys/block/{d}/removable")))
        .map(|r| r == 1);
    let sizes = space(&m.point);
    Storage {
        mount_point: m.point.clone(),
        device: disk,
        file_system: Some(m.fs.clone()),
        kind,
        total_bytes: sizes
            .map(|(t, _)| t)
            .filter(|t| *t > 0)
            .map(Value::measured),
        available_bytes: sizes.map(|(_, a)| Value::measured(a)),
        removable,
        read_only: Some(m.read_only),
    }
}

/// The whole disk under `/sys/block` that a `/dev` name lives on: a disk itself, the disk of a
/// partition (`nvme0n1p2` → `nvme0n1`, `sda1` → `sda`), or the `dm-N` of a `/dev/mapper` name
/// (sysinfo resolves the same way: `src/unix/linux/disk.rs`).
fn whole_disk(root: &Root, name: &str) -> Option<String> {
    if let Some(mapped) = name.strip_prefix("mapper/") {
        return mapper_device(root, mapped);
    }
    if root.exists(&format!("/sys/block/{name}")) {
        return Some(name.to_string());
    }
    // /sys/class/block/<part> links to .../<disk>/<part> (`Documentation/ABI/stable/sysfs-block`).
    if let Some(target) = root.link(&format!("/sys/class/block/{name}")) {
        let mut parts = target.trim_end_matches('/').rsplit('/');
        parts.next();
        if let Some(parent) = parts.next() {
            if root.exists(&format!("/sys/block/{parent}")) {
                return Some(parent.to_string());
            }
        }
    }
    let stripped = strip_partition(name)?;
    root.exists(&format!("/sys/block/{stripped}"))
        .then_some(stripped)
}

/// The disk name of a partition by the kernel's naming rule: a `p` separates the partition number
/// when the disk name ends in a digit (`nvme0n1p2`, `mmcblk0p1`), else the number follows
/// directly (`sda1`, `vda2`) (`block/partitions/core.c`, `add_partition` / `disk_name`).
fn strip_partition(name: &str) -> Option<String> {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if base.len() == name.len() || base.is_empty() {
        return None;
    }
    if let Some(disk) = base.strip_suffix('p') {
        if disk.ends_with(|c: char| c.is_ascii_digit()) {
            return Some(disk.to_string());
        }
    }
    Some(base.to_string())
}

/// The `dm-N` whose `dm/name` is a `/dev/mapper` name (`Documentation/ABI/testing/sysfs-block-dm`).
fn mapper_device(root: &Root, mapped: &str) -> Option<String> {
    let found = root
        .entries("/sys/block")
        .into_iter()
        .filter(|d| d.starts_with("dm-"))
        .find(|d| root.text(&format!("/sys/block/{d}/dm/name")).as_deref() == Some(mapped));
    found.or_else(|| {
        let target = root.link(&format!("/dev/mapper/{mapped}"))?;
        basename(&target).map(str::to_string)
    })
}

/// Device-mapper and md stacks nest (LUKS inside LVM); deeper than this is taken as a loop.
const MAX_STACK: usize = 8;

/// What backs a whole disk: `nvme`, `virtual` (virtio `vd*` and Xen `xvd*` disks claim
/// `rotational=1` whatever backs them: <https://github.com/MakazhanAlpamys/Soup/issues/365>,
/// <https://github.com/hwameistor/hwameistor/issues/1137>), `ram` (zram), `hdd` or `ssd` from
/// `queue/rotational` (<https://docs.kernel.org/block/queue-sysfs.html>); for `dm-*`/`md*` the
/// common kind of the devices in `slaves/`.
fn disk_kind(root: &Root, disk: &str, depth: usize) -> Option<StorageKind> {
    if disk.starts_with("nvme") {
        return Some(StorageKind::Nvme);
    }
    if disk.starts_with("vd") || disk.starts_with("xvd") {
        return Some(StorageKind::Virtual);
    }
    if disk.starts_with("zram") {
        return Some(StorageKind::Ram);
    }
    if disk.starts_with("dm-") || disk.starts_with("md") {
        if depth >= MAX_STACK {
            return None;
        }
        let slaves = root.entries(&format!("/sys/block/{disk}/slaves"));
        let kinds: Vec<Option<StorageKind>> = slaves
            .iter()
            .map(|s| whole_disk(root, s).and_then(|d| disk_kind(root, &d, depth + 1)))
            .collect();
        let first = *kinds.first()?;
        return kinds.iter().all(|k| *k == first).then_some(first).flatten();
    }
    match root.u64(&format!("/sys/block/{disk}/queue/rotational"))? {
        0 => Some(StorageKind::Ssd),
        1 => Some(StorageKind::Hdd),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(strip_partition("nvme0n1p2").as_deref(), Some("nvme0n1"));
        assert_eq!(strip_partition("mmcblk0p1").as_deref(), Some("mmcblk0"));
        assert_eq!(strip_partition("sda1").as_deref(), Some("sda"));
        assert_eq!(strip_partition("vda15").as_deref(), Some("vda"));
        assert_eq!(strip_partition("sda"), None);
    }

    #[test]
    fn mount_filter() {
        let m = |line: &str| wanted(&parse_mount(line).unwrap());
        assert!(m("overlay / overlay rw,relatime,lowerdir=/a 0 0"));
        assert!(m("/dev/sdb1 /data ext4 rw 0 0"));
        assert!(m("server:/export /mnt/nfs nfs4 rw 0 0"));
        assert!(m("/dev/sdc1 /run/media/ana/USB vfat rw 0 0"));
        assert!(!m("/dev/nvme0n1p2 /etc/hosts ext4 rw 0 0"));
        assert!(!m("/dev/nvme0n1p1 /boot/efi vfat rw 0 0"));
        assert!(!m("/dev/loop3 /snap/core22/1380 squashfs ro 0 0"));
        assert!(!m("tmpfs /tmp tmpfs rw 0 0"));
        assert!(!m("proc /proc proc rw 0 0"));
    }
}
