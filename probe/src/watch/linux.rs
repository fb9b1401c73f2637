//! What `trainfit watch` reads from `/proc` and `/sys` at each sample, through a [`Root`].

use std::collections::{BTreeMap, BTreeSet};

use trainfit_core::hardware::Power;

use super::{AmdSample, HostSample, ProcessSample};
use crate::linux::cgroup::Cgroups;
use crate::linux::parse::{colon_value, kib_value, numbered};
use crate::root::Root;

/// Busy and total jiffies of all CPUs, from the `cpu` line of `/proc/stat`.
pub(super) type CpuTimes = (u64, u64);

/// Memory, swap, CPU load, battery and the hottest sensor. `previous` is the last sample's CPU
/// times, for the busy share in between; the new ones are returned.
pub(super) fn host(root: &Root, previous: Option<CpuTimes>) -> (HostSample, Option<CpuTimes>) {
    let meminfo = root.text("/proc/meminfo").unwrap_or_default();
    // Kernel `Documentation/filesystems/proc.rst`, "meminfo": KiB values.
    let swap_total = kib_value(&meminfo, "SwapTotal");
    let cgroups = Cgroups::parse(&root.text("/proc/self/cgroup").unwrap_or_default());
    let total = kib_value(&meminfo, "MemTotal");
    let times = root.text("/proc/stat").and_then(|t| cpu_times(&t));
    let cpu_busy_percent = match (previous, times) {
        (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
            Some(b1.saturating_sub(b0) as f64 / (t1 - t0) as f64 * 100.0)
        }
        _ => None,
    };
    let mut power = Power::default();
    crate::linux::power::read(root, &mut power);
    let hottest = crate::linux::thermal::read(root)
        .into_iter()
        .filter_map(|s| Some((s.label, s.temperature_c?.value)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let host = HostSample {
        memory_total_bytes: total,
        memory_available_bytes: kib_value(&meminfo, "MemAvailable"),
        memory_limit_bytes: cgroups.memory_limit(root, total),
        swap_total_bytes: swap_total,
        swap_used_bytes: swap_total
            .zip(kib_value(&meminfo, "SwapFree"))
            .map(|(t, f)| t.saturating_sub(f)),
        cpu_busy_percent,
        // `/proc/loadavg`: the 1-minute run-queue average first (proc(5)).
        load_1m: root
            .text("/proc/loadavg")
            .and_then(|t| t.split_whitespace().next()?.parse().ok()),
        on_battery: power.on_battery,
        battery_percent: power.battery_percent.map(|v| v.value),
        battery_draw_w: power.battery_draw_w.map(|v| v.value),
        hottest_sensor: hottest.as_ref().map(|h| h.0.clone()),
        hottest_c: hottest.map(|h| h.1),
        disk_free_bytes: None,
    };
    (host, times)
}

/// `cpu  user nice system idle iowait irq softirq steal …` (proc(5), `/proc/stat`): busy is all
/// but idle and iowait; guest time is already inside user and nice, so it is not added again.
fn cpu_times(stat: &str) -> Option<CpuTimes> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 5 {
        return None;
    }
    let total: u64 = v.iter().sum();
    let idle = v[3] + v[4];
    Some((total - idle, total))
}

/// The process `pid` and its descendants: how many, their resident and swapped-out memory
/// (`VmRSS`, `VmSwap` of `/proc/PID/status`, KiB; proc(5)). Pages shared between them (a
/// forked data loader's copy-on-write pages) count once per process, so `rss_bytes` is an upper
/// bound of what the tree holds. `None` when `pid` has gone.
pub(super) fn process_tree(root: &Root, pid: u32) -> Option<ProcessSample> {
    let pids = tree(root, pid);
    if pids.is_empty() {
        return None;
    }
    let mut rss = 0u64;
    let mut swap = 0u64;
    for p in &pids {
        let Some(status) = root.text(&format!("/proc/{p}/status")) else {
            continue;
        };
        rss = rss.saturating_add(kib_value(&status, "VmRSS").unwrap_or(0));
        swap = swap.saturating_add(kib_value(&status, "VmSwap").unwrap_or(0));
    }
    Some(ProcessSample {
        pid,
        processes: u32::try_from(pids.len()).unwrap_or(u32::MAX),
        rss_bytes: rss,
        swap_bytes: swap,
        pids,
    })
}

/// `pid` and every process below it, from each process's parent in `/proc/PID/stat`.
fn tree(root: &Root, pid: u32) -> BTreeSet<u32> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut alive = false;
    for name in root.list("/proc") {
        let Ok(p) = name.parse::<u32>() else {
            continue;
        };
        let Some(ppid) = root
            .text(&format!("/proc/{p}/stat"))
            .and_then(|s| parent(&s))
        else {
            continue;
        };
        alive |= p == pid;
        children.entry(ppid).or_default().push(p);
    }
    let mut out = BTreeSet::new();
    if !alive {
        return out;
    }
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        if out.insert(p) {
            todo.extend(children.get(&p).into_iter().flatten());
        }
    }
    out
}

/// The parent pid in a `/proc/PID/stat` line: the second field after the command name, which is
/// in parentheses and may itself hold spaces and parentheses (proc(5)), so read after the last `)`.
fn parent(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let _state = fields.next()?;
    fields.next()?.parse().ok()
}

/// AMD GPUs on the amdgpu driver: VRAM and GTT in use (kernel
/// `Documentation/gpu/amdgpu/driver-misc.rst`, `mem_info_vram_used` etc., bytes), busy share
/// (`gpu_busy_percent`, same document), and from the card's hwmon
/// (`Documentation/gpu/amdgpu/thermal.rst`): `power1_average` (µW; `power1_input` on kernels
/// and parts that report the instant value instead), `power1_cap` (µW), `temp1_input` (edge,
/// m°C) and `freq1_input` (the graphics clock, Hz).
pub(super) fn amd_gpus(root: &Root) -> Vec<AmdSample> {
    const AMD: u32 = 0x1002;
    let mut out = Vec::new();
    for card in root.entries("/sys/class/drm") {
        if numbered(&card, "card").is_none() {
            continue;
        }
        let dev = format!("/sys/class/drm/{card}/device");
        if root.u32(&format!("{dev}/vendor")) != Some(AMD)
            || !root.exists(&format!("{dev}/mem_info_vram_total"))
        {
            continue;
        }
        let bdf = root
            .link(&dev)
            .and_then(|t| crate::linux::parse::basename(&t).map(str::to_string));
        let hwmon = root
            .entries(&format!("{dev}/hwmon"))
            .into_iter()
            .next()
            .map(|h| format!("{dev}/hwmon/{h}"));
        let hw = |file: &str| {
            hwmon
                .as_ref()
                .and_then(|h| root.u64(&format!("{h}/{file}")))
        };
        out.push(AmdSample {
            card: card.clone(),
            pci_bus_id: bdf,
            vram_used_bytes: root.u64(&format!("{dev}/mem_info_vram_used")),
            vram_total_bytes: root.u64(&format!("{dev}/mem_info_vram_total")),
            gtt_used_bytes: root.u64(&format!("{dev}/mem_info_gtt_used")),
            busy_percent: root.u32(&format!("{dev}/gpu_busy_percent")),
            power_w: hw("power1_average")
                .or_else(|| hw("power1_input"))
                .map(|uw| uw as f64 / 1e6),
            power_cap_w: hw("power1_cap").map(|uw| uw as f64 / 1e6),
            temperature_c: hw("temp1_input").map(|m| m as f64 / 1000.0),
            clock_mhz: hw("freq1_input").map(|hz| hz as f64 / 1e6),
        });
    }
    out
}

/// Memory the process tree holds on amdgpu devices, from DRM's per-client statistics in
/// `/proc/PID/fdinfo/FD` (kernel `Documentation/gpu/drm-usage-stats.rst`: `drm-memory-vram:
/// <n> KiB`); a client open in several processes or descriptors counts once (`drm-client-id`).
pub(super) fn amd_tree_vram(root: &Root, pids: &BTreeSet<u32>) -> Option<u64> {
    let mut clients: BTreeMap<String, u64> = BTreeMap::new();
    for p in pids {
        for fd in root.list(&format!("/proc/{p}/fdinfo")) {
            let Some(text) = root.text(&format!("/proc/{p}/fdinfo/{fd}")) else {
                continue;
            };
            if colon_value(&text, "drm-driver") != Some("amdgpu") {
                continue;
            }
            let (Some(id), Some(vram)) = (
                colon_value(&text, "drm-client-id"),
                colon_value(&text, "drm-memory-vram").and_then(drm_bytes),
            ) else {
                continue;
            };
            clients.insert(id.to_string(), vram);
        }
    }
    (!clients.is_empty()).then(|| clients.values().sum())
}

/// A `drm-memory-*` value: a number with an optional `KiB` or `MiB` unit (drm-usage-stats.rst).
fn drm_bytes(v: &str) -> Option<u64> {
    let mut parts = v.split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    let unit = match parts.next() {
        None => 1,
        Some("KiB") => 1 << 10,
        Some("MiB") => 1 << 20,
        Some(_) => return None,
    };
    n.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_after_a_name_with_parentheses() {
        // proc(5): `pid (comm) state ppid …`; a comm may hold `) (`.
        assert_eq!(parent("42 (python3 (x) y) S 7 42 42 0"), Some(7));
        assert_eq!(parent("1 (init) S 0 1 1"), Some(0));
        assert_eq!(parent("garbage"), None);
    }

    #[test]
    fn cpu_busy_and_total() {
        // user 100, nice 0, system 50, idle 800, iowait 50: busy 150 of 1000.
        let t = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4 5\n";
        assert_eq!(cpu_times(t), Some((150, 1000)));
    }

    #[test]
    fn drm_memory_units() {
        assert_eq!(drm_bytes("1024 KiB"), Some(1 << 20));
        assert_eq!(drm_bytes("3 MiB"), Some(3 << 20));
        assert_eq!(drm_bytes("512"), Some(512));
        assert_eq!(drm_bytes("1 GiB"), None);
    }
}
