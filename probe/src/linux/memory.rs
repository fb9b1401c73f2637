//! System memory: `/proc/meminfo`, swap areas, the cgroup limit, `/dev/shm`.

use trainfit_core::hardware::{Memory, ProbeError, SwapDevice, SwapKind, Value};

use super::cgroup::Cgroups;
use super::parse::kib_value;
use super::SpaceFn;
use crate::error::record;
use crate::root::Root;

const SECTION: &str = "memory";
const MEMINFO: &str = "/proc/meminfo";
const SWAPS: &str = "/proc/swaps";

/// Fills `memory`. Totals are the host's even in a container; the cgroup fields say what this
/// process may use (see [`super::cgroup`]).
pub(crate) fn read(
    root: &Root,
    space: SpaceFn,
    cgroups: &Cgroups,
    memory: &mut Memory,
    errors: &mut Vec<ProbeError>,
) {
    match root.text(MEMINFO) {
        Some(text) => meminfo(&text, memory),
        None => record(errors, SECTION, MEMINFO, "missing or unreadable"),
    }
    memory.swap_devices = root.text(SWAPS).map(|t| swaps(&t)).unwrap_or_default();
    let total = memory.total_bytes.map(|v| v.value);
    memory.cgroup_limit_bytes = cgroups.memory_limit(root, total).map(Value::measured);
    memory.cgroup_usage_bytes = cgroups.memory_usage(root).map(Value::measured);
    // Docker gives containers a 64 MB /dev/shm by default (`--shm-size`:
    // https://docs.docker.com/reference/cli/docker/container/run/), too small for NCCL and
    // DataLoader workers.
    memory.shm_bytes = space("/dev/shm")
        .map(|(total, _)| total)
        .filter(|t| *t > 0)
        .map(Value::measured);
}

/// `MemTotal`, `MemAvailable`, `SwapTotal`, `SwapFree` (kernel `Documentation/filesystems/proc.rst`,
/// "meminfo"; values in KiB).
fn meminfo(text: &str, memory: &mut Memory) {
    memory.total_bytes = kib_value(text, "MemTotal").map(Value::measured);
    memory.available_bytes = kib_value(text, "MemAvailable").map(Value::measured);
    let swap_total = kib_value(text, "SwapTotal");
    memory.swap_total_bytes = swap_total.map(Value::measured);
    memory.swap_used_bytes = swap_total
        .zip(kib_value(text, "SwapFree"))
        .map(|(t, f)| Value::measured(t.saturating_sub(f)));
}

/// Swap areas from `/proc/swaps` (`Filename Type Size Used Priority`, sizes in KiB; kernel
/// `mm/swapfile.c` `swap_show`). Names with `\040`-style escapes are decoded.
fn swaps(text: &str) -> Vec<SwapDevice> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let [name, kind, size, used, ..] = cols.as_slice() else {
                return None;
            };
            let name = unescape_octal(name);
            let kind = if name.contains("zram") {
                SwapKind::Zram
            } else {
                match *kind {
                    "partition" => SwapKind::Partition,
                    "file" => SwapKind::File,
                    _ => return Some(device(name, None, size, used)),
                }
            };
            Some(device(name, Some(kind), size, used))
        })
        .collect()
}

fn device(name: String, kind: Option<SwapKind>, size: &str, used: &str) -> SwapDevice {
    let kib = |s: &str| s.parse::<u64>().ok().and_then(|n| n.checked_mul(1024));
    SwapDevice {
        name,
        kind,
        size_bytes: kib(size).map(Value::measured),
        used_bytes: kib(used).map(Value::measured),
    }
}

/// Decodes the `\ooo` octal escapes the kernel writes for spaces, tabs, newlines and
/// backslashes in paths (`fs/seq_file.c` `seq_escape`, used by `/proc/mounts` and `/proc/swaps`).
pub(crate) fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 4 <= bytes.len() {
            let oct = &bytes[i + 1..i + 4];
            if oct.iter().all(|b| (b'0'..=b'7').contains(b)) {
                let v = oct
                    .iter()
                    .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
                if let Ok(v) = u8::try_from(v) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_kinds() {
        let t = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/nvme0n1p3                          partition\t16777212\t0\t\t-2\n/swap\\040file                           file\t\t2097148\t\t1024\t\t-3\n/dev/zram0                              partition\t8388604\t\t0\t\t100\n";
        let s = swaps(t);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].kind, Some(SwapKind::Partition));
        assert_eq!(s[0].size_bytes.unwrap().value, 16777212 * 1024);
        assert_eq!(s[1].name, "/swap file");
        assert_eq!(s[1].kind, Some(SwapKind::File));
        assert_eq!(s[1].used_bytes.unwrap().value, 1024 * 1024);
        assert_eq!(s[2].kind, Some(SwapKind::Zram));
    }

    #[test]
    fn octal() {
        assert_eq!(unescape_octal("/mnt/my\\040disk"), "/mnt/my disk");
        assert_eq!(unescape_octal("a\\0"), "a\\0");
        assert_eq!(unescape_octal("\\"), "\\");
    }
}
