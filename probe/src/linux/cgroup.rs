//! This process's control groups: memory limit and usage, CPU quota.
//!
//! `/proc/meminfo` and the CPU count show the host even inside a container; the cgroup says what
//! this process may really use (`memory.max`, `cpu.max`:
//! <https://docs.kernel.org/admin-guide/cgroup-v2.html#memory-interface-files>). Limits of parent
//! groups apply too ("Top-down Constraint" in the same document), so every level from the
//! process's group up to the hierarchy root is read and the tightest wins, as sysinfo does since
//! 0.39 (`CHANGELOG.md`).

use crate::root::Root;

/// Where the v2 hierarchy is mounted on a pure-v2 system (kernel
/// `Documentation/admin-guide/cgroup-v2.rst`, "Mounting").
const V2_ROOT: &str = "/sys/fs/cgroup";

/// Where the v2 hierarchy sits on systemd's "hybrid" layout (v1 controllers plus an empty v2 tree).
const V2_HYBRID_ROOT: &str = "/sys/fs/cgroup/unified";

/// cgroup v1 `memory.limit_in_bytes` when no limit is set: `PAGE_COUNTER_MAX` (`LONG_MAX /
/// PAGE_SIZE`, kernel `include/linux/page_counter.h`) pages of 4 KiB, 9223372036854771712.
const V1_UNLIMITED: u64 = 9_223_372_036_854_771_712;

/// The groups of this process, from `/proc/self/cgroup` (format: `man 7 cgroups`,
/// "/proc/[pid]/cgroup": `hierarchy-ID:controller-list:cgroup-path`).
#[derive(Debug, Default)]
pub(crate) struct Cgroups {
    /// The v2 path (`0::/path`).
    v2: Option<String>,
    /// v1 hierarchies: their controllers and the path.
    v1: Vec<(Vec<String>, String)>,
}

impl Cgroups {
    /// Parses `/proc/self/cgroup`.
    pub(crate) fn parse(text: &str) -> Cgroups {
        let mut groups = Cgroups::default();
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(id), Some(controllers), Some(path)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if id == "0" && controllers.is_empty() {
                groups.v2 = Some(path.to_string());
            } else if !controllers.is_empty() {
                let list = controllers.split(',').map(str::to_string).collect();
                groups.v1.push((list, path.to_string()));
            }
        }
        groups
    }

    /// The v1 hierarchy that holds `controller`: its mount directory candidates and the path.
    fn v1(&self, controller: &str) -> Option<(Vec<String>, &str)> {
        let (list, path) = self
            .v1
            .iter()
            .find(|(list, _)| list.iter().any(|c| c == controller))?;
        // Mounted as the joined controller list (`cpu,cpuacct`), with systemd adding one link per
        // controller (`cpu`); either name works.
        let dirs = vec![
            format!("{V2_ROOT}/{}", list.join(",")),
            format!("{V2_ROOT}/{controller}"),
        ];
        Some((dirs, path.as_str()))
    }

    /// The v2 hierarchy root, when this machine has one with controllers.
    fn v2_root(&self, root: &Root) -> Option<&'static str> {
        self.v2.as_ref()?;
        if root.exists(&format!("{V2_ROOT}/cgroup.controllers")) {
            Some(V2_ROOT)
        } else if root.exists(&format!("{V2_HYBRID_ROOT}/cgroup.controllers")) {
            Some(V2_HYBRID_ROOT)
        } else {
            None
        }
    }

    /// Memory limit of this process: the tightest over the group and its parents; `None` when
    /// unlimited or unknown. A limit at or above the host's memory limits nothing.
    pub(crate) fn memory_limit(&self, root: &Root, host_total: Option<u64>) -> Option<u64> {
        let limit = if let Some((dirs, path)) = self.v1("memory") {
            tightest(root, &dirs, path, "memory.limit_in_bytes", parse_v1_limit)
        } else {
            let v2 = self.v2_root(root)?;
            let path = self.v2.as_deref()?;
            tightest(root, &[v2.to_string()], path, "memory.max", parse_v2_max)
        }?;
        match host_total {
            Some(total) if limit >= total => None,
            _ => Some(limit),
        }
    }

    /// Memory this process's group uses now (`memory.current` in v2, `memory.usage_in_bytes`
    /// in v1), from the deepest group directory that exists.
    pub(crate) fn memory_usage(&self, root: &Root) -> Option<u64> {
        if let Some((dirs, path)) = self.v1("memory") {
            return deepest(root, &dirs, path, "memory.usage_in_bytes")
                .and_then(|file| root.u64(&file));
        }
        let v2 = self.v2_root(root)?;
        let file = deepest(
            root,
            &[v2.to_string()],
            self.v2.as_deref()?,
            "memory.current",
        )?;
        root.u64(&file)
    }

    /// CPU quota in cores: v2 `cpu.max` (`"200000 100000"` = 2 cores, `"max 100000"` = none) or
    /// v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (`-1` = none;
    /// <https://docs.kernel.org/scheduler/sched-bwc.html>); the tightest over the group and its
    /// parents.
    pub(crate) fn cpu_quota(&self, root: &Root) -> Option<f64> {
        if let Some((dirs, path)) = self.v1("cpu") {
            let mut best: Option<f64> = None;
            for dir in group_dirs(root, &dirs, path) {
                let quota = root.text(&format!("{dir}/cpu.cfs_quota_us"));
                let period = root.u64(&format!("{dir}/cpu.cfs_period_us"));
                if let Some(cores) = quota_cores(quota.as_deref(), period) {
                    best = Some(best.map_or(cores, |b| b.min(cores)));
                }
            }
            return best;
        }
        let v2 = self.v2_root(root)?;
        let mut best: Option<f64> = None;
        for dir in group_dirs(root, &[v2.to_string()], self.v2.as_deref()?) {
            let Some(text) = root.text(&format!("{dir}/cpu.max")) else {
                continue;
            };
            let mut parts = text.split_whitespace();
            let quota = parts.next();
            let period = parts.next().and_then(|p| p.parse().ok());
            if let Some(cores) = quota_cores(quota, period) {
                best = Some(best.map_or(cores, |b| b.min(cores)));
            }
        }
        best
    }
}

/// Cores of a quota and period in microseconds; `None` for `max`, `-1` or nonsense.
fn quota_cores(quota: Option<&str>, period: Option<u64>) -> Option<f64> {
    let quota: u64 = quota?.trim().parse().ok()?;
    let period = period.filter(|p| *p > 0)?;
    (quota > 0).then(|| quota as f64 / period as f64)
}

/// v2 `memory.max`: bytes, or `max` for no limit.
fn parse_v2_max(text: &str) -> Option<u64> {
    if text == "max" {
        return None;
    }
    text.parse().ok()
}

/// v1 `memory.limit_in_bytes`: bytes, the unlimited sentinel (or above) meaning no limit.
fn parse_v1_limit(text: &str) -> Option<u64> {
    let n: u64 = text.parse().ok()?;
    (n < V1_UNLIMITED).then_some(n)
}

/// The group's directory and each parent up to the hierarchy root, under each candidate mount,
/// deepest first, keeping only those that exist. Inside a container without its own cgroup
/// namespace the path names the host's hierarchy, which is not mounted; walking up reaches the
/// container's own root, which is.
fn group_dirs(root: &Root, mounts: &[String], path: &str) -> Vec<String> {
    let mut dirs = Vec::new();
    for mount in mounts {
        let mut path = path.trim_end_matches('/').to_string();
        loop {
            let dir = format!("{mount}{path}");
            if root.exists(&dir) && !dirs.contains(&dir) {
                dirs.push(dir);
            }
            match path.rfind('/') {
                Some(i) => path.truncate(i),
                None => break,
            }
            if path.is_empty() {
                if root.exists(mount) && !dirs.contains(mount) {
                    dirs.push(mount.clone());
                }
                break;
            }
        }
    }
    dirs
}

/// The smallest limit over the group and its parents.
fn tightest(
    root: &Root,
    mounts: &[String],
    path: &str,
    file: &str,
    parse: fn(&str) -> Option<u64>,
) -> Option<u64> {
    group_dirs(root, mounts, path)
        .iter()
        .filter_map(|dir| root.text(&format!("{dir}/{file}")))
        .filter_map(|text| parse(&text))
        .min()
}

/// The file in the deepest group directory that has it.
fn deepest(root: &Root, mounts: &[String], path: &str, file: &str) -> Option<String> {
    group_dirs(root, mounts, path)
        .into_iter()
        .map(|dir| format!("{dir}/{file}"))
        .find(|f| root.exists(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_versions() {
        let g = Cgroups::parse("12:memory:/user.slice\n4:cpu,cpuacct:/\n0::/user.slice/x.scope\n");
        assert_eq!(g.v2.as_deref(), Some("/user.slice/x.scope"));
        assert_eq!(g.v1.len(), 2);
        assert_eq!(g.v1[1].0, vec!["cpu".to_string(), "cpuacct".to_string()]);
    }

    #[test]
    fn quotas() {
        assert_eq!(quota_cores(Some("200000"), Some(100000)), Some(2.0));
        assert_eq!(quota_cores(Some("max"), Some(100000)), None);
        assert_eq!(quota_cores(Some("-1"), Some(100000)), None);
        assert_eq!(quota_cores(Some("50000"), Some(0)), None);
        assert_eq!(parse_v1_limit("9223372036854771712"), None);
        assert_eq!(parse_v2_max("max"), None);
        assert_eq!(parse_v2_max("8589934592"), Some(8589934592));
    }
}
