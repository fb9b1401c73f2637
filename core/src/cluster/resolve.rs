//! The resolved cluster: every group of machines with its devices and the link inside each
//! machine, and the link between any two machines, with where each number came from.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::class::{class_default, line_rate_efficiency, of_interface};
use super::validate::Checked;
use super::{Cluster, Link, LinkClass};
use crate::error::{Error, Result};
use crate::hardware::{primary_accelerators, HardwareProfile, Source};

/// A link as the planner uses it: what one device gets on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedLink {
    /// What the link is.
    pub class: LinkClass,
    /// NCCL-style bus bandwidth one device gets, per direction, GB/s.
    pub bandwidth_gbs: f64,
    /// Latency of one message, one way, microseconds.
    pub latency_us: f64,
    /// Where the bandwidth came from: `measured` or `user` from a link of the document,
    /// `estimated` from a default.
    pub source: Source,
    /// A short sentence saying where the numbers come from.
    pub why: String,
}

/// A group of identical machines.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedMachine {
    /// The name links use.
    pub name: String,
    /// How many machines.
    pub count: u64,
    /// Devices in one machine (`crate::plan::device`'s count).
    pub devices: u64,
    /// The machine's profile, complete.
    pub profile: HardwareProfile,
    /// The link between two devices of one machine; `None` for a machine of one device that no
    /// link names.
    pub within: Option<ResolvedLink>,
}

/// The cluster with every link resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedCluster {
    /// The groups of machines, in the document's order.
    pub groups: Vec<ResolvedMachine>,
    /// Every distinct link between machines.
    links: Vec<ResolvedLink>,
    /// Links of two names, by their groups (smaller index first).
    pairs: BTreeMap<(usize, usize), usize>,
    /// For each group, the link it reaches other machines by when no two-name link names the
    /// pair (the fabric link, or the default from its network interfaces); the slower of the two
    /// ends' links joins a pair.
    reach: Vec<Option<usize>>,
}

impl ResolvedCluster {
    /// The link between a machine of group `a` and one of group `b` (`a == b`: two machines of
    /// one group).
    ///
    /// # Panics
    /// When `a` or `b` is not an index of [`ResolvedCluster::groups`]. [`Cluster::resolve`] has
    /// made sure that every pair of existing groups has a link.
    pub fn between(&self, a: usize, b: usize) -> &ResolvedLink {
        assert!(
            a < self.groups.len() && b < self.groups.len(),
            "groups {a} and {b} of {}",
            self.groups.len()
        );
        if let Some(&i) = self.pairs.get(&(a.min(b), a.max(b))) {
            return &self.links[i];
        }
        match (self.reach[a], self.reach[b]) {
            (Some(x), Some(y)) => {
                let (x, y) = (&self.links[x], &self.links[y]);
                if slower_than(y, x) {
                    y
                } else {
                    x
                }
            }
            _ => unreachable!("resolve refuses a pair with no link"),
        }
    }

    /// Devices of the whole cluster: the sum over groups of count x devices per machine.
    pub fn devices(&self) -> u64 {
        // Bounded by `crate::memory::MAX_DEVICES`: validation checked the sum.
        self.groups.iter().map(|g| g.count * g.devices).sum()
    }
}

pub(super) fn resolve(c: &Cluster, checked: &Checked) -> Result<ResolvedCluster> {
    let index = |name: &String| checked.names.iter().position(|n| n == name);
    let fabric = c.links.iter().find(|l| l.machines.is_empty());
    let mut groups = Vec::with_capacity(c.machines.len());
    for (i, m) in c.machines.iter().enumerate() {
        let devices = checked.devices[i];
        let named = c
            .links
            .iter()
            .find(|l| l.machines.len() == 1 && index(&l.machines[0]) == Some(i));
        let within = match named {
            Some(link) => Some(explicit(link, || inside(&m.profile, devices))),
            None if devices > 1 => Some(inside(&m.profile, devices).unwrap_or_else(|| {
                let d = class_default(LinkClass::Pcie);
                ResolvedLink {
                    class: LinkClass::Pcie,
                    bandwidth_gbs: d.bandwidth_gbs,
                    latency_us: d.latency_us,
                    source: Source::Estimated,
                    why: format!(
                        "the profile shows neither NVLink nor the PCIe generation and width; {}",
                        d.source
                    ),
                }
            })),
            None => None,
        };
        groups.push(super::ResolvedMachine {
            name: checked.names[i].clone(),
            count: m.count,
            devices,
            profile: m.profile.clone(),
            within,
        });
    }
    let mut links = Vec::new();
    let mut pairs = BTreeMap::new();
    for link in c.links.iter().filter(|l| l.machines.len() == 2) {
        let (Some(a), Some(b)) = (index(&link.machines[0]), index(&link.machines[1])) else {
            continue;
        };
        let resolved = explicit(link, || {
            slower(
                network(&c.machines[a].profile, checked.devices[a], Some(link.class)),
                network(&c.machines[b].profile, checked.devices[b], Some(link.class)),
            )
        });
        pairs.insert((a.min(b), a.max(b)), links.len());
        links.push(resolved);
    }
    let mut reach = Vec::with_capacity(c.machines.len());
    for (i, m) in c.machines.iter().enumerate() {
        let link = match fabric {
            Some(f) if f.bandwidth_gbs.is_some() => {
                Some(explicit(f, || None)).map(|l| with_why(l, "fabric link"))
            }
            Some(f) => network(&m.profile, checked.devices[i], Some(f.class)).map(|l| {
                let l = with_latency(l, f);
                with_why(l, "fabric link")
            }),
            None => network(&m.profile, checked.devices[i], None),
        };
        reach.push(link.map(|l| {
            links.push(l);
            links.len() - 1
        }));
    }
    // A pair with no two-name link needs both ends to reach the network.
    let alone: Vec<usize> = (0..groups.len()).filter(|&g| reach[g].is_none()).collect();
    for &g in &alone {
        for h in 0..groups.len() {
            let needed = h != g || groups[g].count > 1;
            if needed && !pairs.contains_key(&(g.min(h), g.max(h))) {
                let (x, y) = (&checked.names[g.min(h)], &checked.names[g.max(h)]);
                let between = if g == h {
                    format!("between two machines \"{x}\" (count {})", groups[g].count)
                } else {
                    format!("between machines \"{x}\" and \"{y}\"")
                };
                return Err(Error::invalid(
                    "links",
                    format!("a list without a link {between}"),
                    format!(
                        "a link naming both, or a fabric link (no names): the profile of \"{}\" has no up Ethernet, InfiniBand or Wi-Fi interface to take one from",
                        checked.names[g]
                    ),
                ));
            }
        }
    }
    Ok(ResolvedCluster {
        groups,
        links,
        pairs,
        reach,
    })
}

/// A link of the document: its numbers where it has them, else `fallback`'s when it is of the
/// same class, else the class default.
fn explicit(link: &Link, fallback: impl FnOnce() -> Option<ResolvedLink>) -> ResolvedLink {
    let default = class_default(link.class);
    let names = match &link.machines[..] {
        [a] => format!("link inside {a}"),
        [a, b] => format!("link between {a} and {b}"),
        _ => String::from("fabric link"),
    };
    let resolved = match link.bandwidth_gbs {
        Some(bw) => ResolvedLink {
            class: link.class,
            bandwidth_gbs: bw.value,
            latency_us: default.latency_us,
            source: bw.source,
            why: format!("{names}, {}", source_word(bw.source)),
        },
        None => match fallback().filter(|l| l.class == link.class) {
            Some(l) => with_why(l, &names),
            None => ResolvedLink {
                class: link.class,
                bandwidth_gbs: default.bandwidth_gbs,
                latency_us: default.latency_us,
                source: Source::Estimated,
                why: format!("{names}, {}", default.source),
            },
        },
    };
    with_latency(resolved, link)
}

fn with_latency(mut l: ResolvedLink, link: &Link) -> ResolvedLink {
    if let Some(lat) = link.latency_us {
        l.latency_us = lat.value;
    }
    l
}

fn with_why(mut l: ResolvedLink, prefix: &str) -> ResolvedLink {
    if !l.why.starts_with(prefix) {
        l.why = format!("{prefix}: {}", l.why);
    }
    l
}

fn source_word(s: Source) -> &'static str {
    match s {
        Source::Measured => "measured",
        Source::Catalogue => "from the catalogue",
        Source::Estimated => "estimated",
        Source::User => "as typed",
    }
}

fn slower(a: Option<ResolvedLink>, b: Option<ResolvedLink>) -> Option<ResolvedLink> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if slower_than(&b, &a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Whether `a` sets a slower pace than `b`: less bandwidth, then more latency, then (for equal
/// numbers) the smaller `why`, so the answer never depends on which end comes first.
fn slower_than(a: &ResolvedLink, b: &ResolvedLink) -> bool {
    match a.bandwidth_gbs.total_cmp(&b.bandwidth_gbs) {
        core::cmp::Ordering::Less => true,
        core::cmp::Ordering::Greater => false,
        core::cmp::Ordering::Equal => match a.latency_us.total_cmp(&b.latency_us) {
            core::cmp::Ordering::Greater => true,
            core::cmp::Ordering::Less => false,
            core::cmp::Ordering::Equal => a.why < b.why,
        },
    }
}

/// The link between two devices of a machine of `devices` devices, from its profile: NVLink
/// (through NVSwitches when every pair has all of a GPU's links) or PCIe, as
/// `crate::plan::device` rates it; `None` when the profile shows neither.
fn inside(profile: &HardwareProfile, devices: u64) -> Option<ResolvedLink> {
    let device = crate::plan::device(profile)?;
    let bandwidth = device.link_gbs?;
    let primary = primary_accelerators(profile);
    let acc = primary.first()?;
    let pair_links = crate::plan::pair_nvlink_links(profile);
    let gpu_links = acc.nvlink_links.map(|v| v.value);
    let version = acc
        .nvlink_version
        .map_or(String::new(), |v| format!(" {v}"));
    let (class, why) = match pair_links.or(gpu_links) {
        Some(links) if links > 0 => {
            // Each GPU's links all reach every other GPU only through NVSwitches (a DGX/HGX
            // H100: 18 per pair, 18 per GPU); a board of direct links splits them (HGX A100 4-GPU:
            // 4 per pair of 12).
            let switched = devices > 2 && pair_links.is_some() && pair_links == gpu_links;
            let class = if switched {
                LinkClass::Nvswitch
            } else {
                LinkClass::Nvlink
            };
            (
                class,
                format!(
                    "{} NVLink{version} x {links} links, 25 GB/s each per direction x 0.8 bus efficiency (NVIDIA NVLink page, nccl-tests)",
                    if switched { "NVSwitch," } else { "direct" }
                ),
            )
        }
        _ => {
            let pcie = acc.pcie?;
            let gen = pcie.gen_max.or(pcie.gen_current)?;
            let width = pcie.width_max.or(pcie.width_current)?;
            (
                LinkClass::Pcie,
                format!("PCIe {gen} x{width} at 0.8 bus efficiency (PCI-SIG rates, nccl-tests)"),
            )
        }
    };
    Some(ResolvedLink {
        class,
        bandwidth_gbs: bandwidth,
        latency_us: class_default(class).latency_us,
        source: Source::Estimated,
        why,
    })
}

/// What one device of a machine gets on its network: the fastest up interface of a class that
/// carries training traffic (of `only`, when given), at the class's share of its line rate,
/// shared by the machine's devices. InfiniBand adds up every up port, since NCCL uses every
/// HCA it finds (NCCL environment variables, `NCCL_IB_HCA`: unset, all devices); RoCE, asked for
/// by a link, is rated from the Ethernet ports. An interface of
/// unknown speed counts at its class default; `only` with no interface of it gives its class
/// default. `None` when nothing fits and `only` is not given.
fn network(
    profile: &HardwareProfile,
    devices: u64,
    only: Option<LinkClass>,
) -> Option<ResolvedLink> {
    let mut best: Option<ResolvedLink> = None;
    // RoCE runs on Ethernet ports, so it is rated from them when a link asks for it.
    for (class, port) in [
        (LinkClass::Infiniband, LinkClass::Infiniband),
        (LinkClass::Roce, LinkClass::Ethernet),
        (LinkClass::Ethernet, LinkClass::Ethernet),
        (LinkClass::Wifi, LinkClass::Wifi),
    ] {
        if only.map_or(class == LinkClass::Roce, |o| o != class) {
            continue;
        }
        let ports: Vec<_> = profile
            .network
            .iter()
            .filter(|n| n.up != Some(false) && n.kind.and_then(of_interface) == Some(port))
            .collect();
        if ports.is_empty() {
            continue;
        }
        let default = class_default(class);
        let Some((efficiency, eff_source)) = line_rate_efficiency(class) else {
            continue;
        };
        let speeds: Vec<(u64, &str)> = ports
            .iter()
            .filter_map(|n| Some((n.speed_mbps?.value, n.name.as_str())))
            .filter(|(s, _)| *s > 0)
            .collect();
        let candidate = if speeds.is_empty() {
            ResolvedLink {
                class,
                bandwidth_gbs: default.bandwidth_gbs,
                latency_us: default.latency_us,
                source: Source::Estimated,
                why: format!("{} of unknown speed; {}", ports[0].name, default.source),
            }
        } else {
            let (mbps, what) = if class == LinkClass::Infiniband {
                let sum: u64 = speeds.iter().map(|(s, _)| s).sum();
                let names: Vec<&str> = speeds.iter().map(|(_, n)| *n).collect();
                (sum, names.join("+"))
            } else {
                let (s, n) = speeds.iter().copied().max_by_key(|(s, _)| *s)?;
                (s, String::from(n))
            };
            // Mbit/s to GB/s: / 8 bits / 1000.
            let gbs = mbps as f64 / 8000.0 * efficiency;
            let shared = if devices > 1 {
                format!(", shared by {devices} devices")
            } else {
                String::new()
            };
            ResolvedLink {
                class,
                bandwidth_gbs: gbs / devices as f64,
                latency_us: default.latency_us,
                source: Source::Estimated,
                why: format!(
                    "{what} at {} Gb/s x {efficiency}{shared} ({eff_source})",
                    mbps as f64 / 1000.0
                ),
            }
        };
        best = slower_is_worse(best, candidate);
    }
    match (best, only) {
        (Some(b), _) => Some(b),
        (None, Some(class)) => {
            let d = class_default(class);
            Some(ResolvedLink {
                class,
                bandwidth_gbs: d.bandwidth_gbs,
                latency_us: d.latency_us,
                source: Source::Estimated,
                why: String::from(d.source),
            })
        }
        (None, None) => None,
    }
}

/// The faster of two candidate interfaces.
fn slower_is_worse(best: Option<ResolvedLink>, candidate: ResolvedLink) -> Option<ResolvedLink> {
    match best {
        Some(b) if b.bandwidth_gbs >= candidate.bandwidth_gbs => Some(b),
        _ => Some(candidate),
    }
}
