//! Checks of a cluster beyond its types: version, machines, names, links and the device total.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Cluster, CLUSTER_SCHEMA_VERSION};
use crate::error::{at_most, positive, Error, Quoted, Result};
use crate::memory::MAX_DEVICES;

/// What the checks found out on the way: each machine's resolved name and devices per machine.
pub(super) struct Checked {
    pub names: Vec<String>,
    pub devices: Vec<u64>,
}

pub(super) fn validate(c: &Cluster) -> Result<Checked> {
    Error::check_version("schema_version", c.schema_version, CLUSTER_SCHEMA_VERSION)?;
    if c.machines.is_empty() {
        return Err(Error::invalid(
            "machines",
            "an empty list",
            "at least one machine",
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(c.machines.len());
    let mut devices = Vec::with_capacity(c.machines.len());
    let mut total: u64 = 0;
    for (i, m) in c.machines.iter().enumerate() {
        let field = |f: &str| format!("machines[{i}].{f}");
        positive(&field("count"), m.count)?;
        at_most(&field("count"), m.count, MAX_DEVICES, "machines")?;
        m.profile
            .check_sizes()
            .and_then(|()| m.profile.validate())
            .map_err(|e| e.within(&field("profile")))?;
        let name = c.machine_name(i);
        if let Some(j) = names.iter().position(|n| *n == name) {
            return Err(Error::invalid(
                field("name"),
                Quoted(&name),
                format!("a name no other machine has (machines[{j}] is also \"{name}\")"),
            ));
        }
        names.push(name);
        let Some(device) = crate::plan::device(&m.profile) else {
            return Err(Error::invalid(
                field("profile"),
                "a profile with nothing to plan on",
                "an accelerator with memory_total_bytes, or memory.total_bytes",
            ));
        };
        devices.push(device.count);
        total = device
            .count
            .checked_mul(m.count)
            .and_then(|d| total.checked_add(d))
            .ok_or_else(|| Error::overflow("devices of the cluster"))?;
    }
    if total > MAX_DEVICES {
        return Err(Error::invalid(
            "machines",
            format!("machines of {total} devices in all"),
            format!("at most {MAX_DEVICES} devices"),
        ));
    }
    let mut pairs: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (k, link) in c.links.iter().enumerate() {
        let field = |f: &str| format!("links[{k}].{f}");
        if link.machines.len() > 2 {
            return Err(Error::invalid(
                field("machines"),
                format!("a list of {} names", link.machines.len()),
                "no name (the fabric), one (inside a machine) or two (between two machines)",
            ));
        }
        let mut ends = Vec::with_capacity(2);
        for (m, name) in link.machines.iter().enumerate() {
            let Some(index) = names.iter().position(|n| n == name) else {
                return Err(Error::invalid(
                    field(&format!("machines[{m}]")),
                    Quoted(name),
                    crate::wire::one_of(names.iter().map(String::as_str)),
                ));
            };
            ends.push(index);
        }
        if let [a, b] = ends[..] {
            if a == b && c.machines[a].count < 2 {
                return Err(Error::invalid(
                    field("machines"),
                    Quoted(&names[a]),
                    "twice only for a group of machines with count above 1 (its count is 1)",
                ));
            }
        }
        let key = match ends[..] {
            [a, b] => (a.min(b), a.max(b)),
            [a] => (a, usize::MAX),
            _ => (usize::MAX, usize::MAX),
        };
        if let Some(j) = pairs.insert(key, k) {
            return Err(Error::invalid(
                field("machines"),
                format!("{:?}", link.machines),
                format!("machines no other link names (links[{j}] names them too)"),
            ));
        }
        for (name, v, unit) in [
            ("bandwidth_gbs", link.bandwidth_gbs, "GB/s"),
            ("latency_us", link.latency_us, "microseconds"),
        ] {
            if let Some(v) = v {
                if !(v.value.is_finite() && v.value > 0.0) {
                    return Err(Error::invalid(
                        field(&format!("{name}.value")),
                        v.value,
                        format!("a positive number of {unit}"),
                    ));
                }
            }
        }
    }
    Ok(Checked { names, devices })
}
