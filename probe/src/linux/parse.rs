//! Parsers of the kernel's text formats that several Linux readers share: cpulists, `key: value`
//! files such as `/proc/meminfo`, and sysfs names (`cpu12`, link targets).

/// Most CPUs a cpulist may name before it is taken as garbage (the kernel's `NR_CPUS` tops out
/// at 8192 on x86-64, `arch/x86/Kconfig`); keeps a corrupt range from allocating gigabytes.
const MAX_CPUS: u32 = 1 << 16;

/// The CPUs of a kernel cpulist such as `0-3,8-11` (format: kernel
/// `Documentation/admin-guide/cgroup-v2.rst`, "cpuset.cpus"); `None` when malformed.
pub(crate) fn cpulist(list: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for part in list.trim().split(',').filter(|p| !p.trim().is_empty()) {
        let part = part.trim();
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?),
            None => {
                let n = part.parse::<u32>().ok()?;
                (n, n)
            }
        };
        if hi < lo || hi >= MAX_CPUS {
            return None;
        }
        cpus.extend(lo..=hi);
    }
    Some(cpus)
}

/// The value of `key` in a `key: value` text such as `/proc/meminfo` or `/proc/cpuinfo`
/// (first match; spaces and tabs around the colon ignored).
pub(crate) fn colon_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// A `/proc/meminfo`-style `Key: 123 kB` value in bytes (the kernel's "kB" is KiB,
/// `Documentation/filesystems/proc.rst`, "meminfo").
pub(crate) fn kib_value(text: &str, key: &str) -> Option<u64> {
    let v = colon_value(text, key)?;
    let n: u64 = v.split_whitespace().next()?.parse().ok()?;
    n.checked_mul(1024)
}

/// The last path component of a link target such as `../../../0000:01:00.0`.
pub(crate) fn basename(path: &str) -> Option<&str> {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
}

/// Whether `name` is `prefix` followed by one or more decimal digits (`cpu12`, `node0`, `card1`).
pub(crate) fn numbered(name: &str, prefix: &str) -> Option<u32> {
    let rest = name.strip_prefix(prefix)?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpulists() {
        assert_eq!(cpulist("0-3,8-9"), Some(vec![0, 1, 2, 3, 8, 9]));
        assert_eq!(cpulist("5"), Some(vec![5]));
        assert_eq!(cpulist(""), Some(vec![]));
        assert_eq!(cpulist("3-1"), None);
        assert_eq!(cpulist("0-4294967295"), None);
        assert_eq!(cpulist("a-b"), None);
    }

    #[test]
    fn meminfo_values() {
        let t = "MemTotal:       16318480 kB\nNode 0 MemTotal: 5 kB\n";
        assert_eq!(kib_value(t, "MemTotal"), Some(16318480 * 1024));
        assert_eq!(kib_value(t, "Node 0 MemTotal"), Some(5 * 1024));
        assert_eq!(kib_value(t, "SwapTotal"), None);
    }

    #[test]
    fn names() {
        assert_eq!(numbered("cpu12", "cpu"), Some(12));
        assert_eq!(numbered("cpufreq", "cpu"), None);
        assert_eq!(numbered("card0-DP-1", "card"), None);
        assert_eq!(basename("../../0000:01:00.0"), Some("0000:01:00.0"));
    }
}
