//! The cluster document through the public API: resolution of the links within and between
//! machines from the fixture profiles, priorities, order independence and every error.

use serde_json::{json, Value};
use trainfit_core::cluster::{parse_cluster, Cluster, LinkClass};
use trainfit_core::hardware::Source;

const H100_NODE: &str = include_str!("../../../tests/data/profiles/h100x8-node.json");
const RTX4090: &str = include_str!("../../../tests/data/profiles/rtx4090-desktop.json");
const M4: &str = include_str!("../../../tests/data/clusters/m4-16gb.json");
const M4_PRO: &str = include_str!("../../../tests/data/clusters/m4-pro-48gb.json");
const M2_ULTRA: &str = include_str!("../../../tests/data/clusters/m2-ultra-192gb.json");

fn profile(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn cluster(doc: Value) -> trainfit_core::Result<Cluster> {
    parse_cluster(&doc.to_string())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// 64 DGX H100 nodes from one profile with an InfiniBand fabric, as Llama-3-scale jobs are
/// described: "64 of this 8xH100 node".
#[test]
fn sixty_four_h100_nodes_from_one_profile() {
    let c = cluster(json!({
        "name": "h100-pod",
        "machines": [{"name": "dgx", "count": 64, "profile": profile(H100_NODE)}],
        "links": [{"machines": [], "class": "infiniband"}]
    }))
    .unwrap();
    let r = c.resolve().unwrap();
    // 64 nodes x 8 GPUs.
    assert_eq!(r.devices(), 512);
    let g = &r.groups[0];
    assert_eq!((g.name.as_str(), g.count, g.devices), ("dgx", 64, 8));
    // Inside: 18 NVLink 4 links per GPU, all 18 to every peer, so NVSwitch; 18 x 25 GB/s x 0.8 =
    // 360 GB/s, against the 370 GB/s ring bus bandwidth nccl-tests issue #212 measured on H100 SXM.
    let within = g.within.as_ref().unwrap();
    assert_eq!(within.class, LinkClass::Nvswitch);
    assert!(close(within.bandwidth_gbs, 360.0), "{within:?}");
    assert!((within.bandwidth_gbs - 370.0).abs() / 370.0 < 0.05);
    assert!(within.why.contains("NVSwitch"), "{}", within.why);
    // Between two nodes: the fabric's class from the profile's one up HDR port, ib0 at 200 Gb/s
    // = 25 GB/s, x 0.92 = 23 GB/s (nccl-tests: 22-24 GB/s per HDR NIC), shared by 8 GPUs:
    // 2.875 GB/s each.
    let between = r.between(0, 0);
    assert_eq!(between.class, LinkClass::Infiniband);
    assert!(
        close(between.bandwidth_gbs, 200.0 / 8.0 * 0.92 / 8.0),
        "{between:?}"
    );
    assert_eq!(between.source, Source::Estimated);
    assert!(between.why.starts_with("fabric link"), "{}", between.why);
    // Calculon's InfiniBand tier: 20 us.
    assert_eq!(between.latency_us, 20.0);
}

/// Without any link, two nodes default to their fastest network: the H100 node's InfiniBand
/// port against the 4090 desktop's Ethernet, and the slower one joins them.
#[test]
fn machines_default_to_the_slower_of_their_fastest_interfaces() {
    let c = cluster(json!({"machines": [
        {"profile": profile(H100_NODE)},
        {"profile": profile(RTX4090)}
    ]}))
    .unwrap();
    let r = c.resolve().unwrap();
    // No host names in the fixtures: machine-<index>.
    assert_eq!(r.groups[0].name, "machine-0");
    assert_eq!(r.groups[1].name, "machine-1");
    // The desktop has one GPU: no link inside it.
    assert!(r.groups[1].within.is_none());
    let desktop = &r.groups[1].profile.network;
    let speed = desktop
        .iter()
        .filter(|n| n.up == Some(true) && n.kind.is_some_and(|k| k.as_str() == "ethernet"))
        .filter_map(|n| n.speed_mbps)
        .map(|v| v.value)
        .max()
        .expect("the desktop fixture has an up Ethernet port of known speed");
    let b = r.between(0, 1);
    assert_eq!(b.class, LinkClass::Ethernet);
    // Mbit/s / 8000 = GB/s, x 0.92 for TCP (90-94 % of line rate).
    assert!(
        close(b.bandwidth_gbs, speed as f64 / 8000.0 * 0.92),
        "{b:?}"
    );
    assert_eq!(r.between(1, 0), b);
    assert_eq!(r.devices(), 9);
}

/// Seed 000's three Macs: an M4 16 GB, an M4 Pro 48 GB and an M2 Ultra 192 GB, typed as a user
/// would. Their Wi-Fi is the default; a Thunderbolt fabric link replaces it, and a measured
/// link between two of them replaces the fabric for that pair.
#[test]
fn three_macs_over_thunderbolt() {
    let machines = json!([
        {"profile": profile(M4)}, {"profile": profile(M4_PRO)}, {"profile": profile(M2_ULTRA)}
    ]);
    let wifi = cluster(json!({"machines": machines}))
        .unwrap()
        .resolve()
        .unwrap();
    let names: Vec<&str> = wifi.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["m4-mini", "m4-pro-mini", "m2-ultra-studio"]);
    assert_eq!(wifi.devices(), 3);
    // Wi-Fi of unknown speed: 65 % of a 2x2 80 MHz Wi-Fi 6 link of 1,201 Mb/s = 0.0976 GB/s;
    // 2.5 ms, half the 5 ms low end of exo #2295's Wi-Fi round trips.
    let w = wifi.between(0, 2);
    assert_eq!(w.class, LinkClass::Wifi);
    assert!((w.bandwidth_gbs - 1.201 / 8.0 * 0.65).abs() < 1e-3, "{w:?}");
    assert_eq!(w.latency_us, 2500.0);
    assert!(wifi.groups.iter().all(|g| g.within.is_none()));

    let tb = cluster(json!({"machines": machines, "links": [
        {"machines": [], "class": "thunderbolt"},
        {"machines": ["m4-pro-mini", "m2-ultra-studio"], "class": "thunderbolt",
         "bandwidth_gbs": {"value": 2.6, "source": "measured"},
         "latency_us": {"value": 180.0, "source": "measured"}}
    ]}))
    .unwrap()
    .resolve()
    .unwrap();
    // Thunderbolt 4 under MLX's ring: 48 Gb/s counting both directions (mlx PR #1985), 3 GB/s
    // per direction.
    let fabric = tb.between(0, 1);
    assert_eq!(fabric.class, LinkClass::Thunderbolt);
    assert!(close(fabric.bandwidth_gbs, 48.0 / 2.0 / 8.0));
    assert_eq!(fabric.source, Source::Estimated);
    let measured = tb.between(2, 1);
    assert_eq!(measured.bandwidth_gbs, 2.6);
    assert_eq!(measured.latency_us, 180.0);
    assert_eq!(measured.source, Source::Measured);
    assert_eq!(
        measured.why,
        "link between m4-pro-mini and m2-ultra-studio, measured"
    );
    assert_eq!(tb.between(0, 2), fabric);
}

/// An explicit link of one name replaces the machine's own, and a typed fabric bandwidth is used
/// as typed.
#[test]
fn explicit_links_come_first() {
    let c = cluster(json!({
        "machines": [{"name": "node", "count": 2, "profile": profile(H100_NODE)}],
        "links": [
            {"machines": ["node"], "class": "nvswitch",
             "bandwidth_gbs": {"value": 371.5, "source": "measured"}},
            {"machines": [], "class": "roce", "bandwidth_gbs": {"value": 44.0, "source": "user"},
             "latency_us": {"value": 15.0, "source": "user"}}
        ]
    }))
    .unwrap();
    let r = c.resolve().unwrap();
    let within = r.groups[0].within.as_ref().unwrap();
    assert_eq!(
        (within.bandwidth_gbs, within.source),
        (371.5, Source::Measured)
    );
    // Latency not given: the class default, Calculon's 10 us NVLink tier.
    assert_eq!(within.latency_us, 10.0);
    let b = r.between(0, 0);
    assert_eq!(
        (b.class, b.bandwidth_gbs, b.latency_us, b.source),
        (LinkClass::Roce, 44.0, 15.0, Source::User)
    );
    assert_eq!(r.devices(), 16);
}

/// A RoCE fabric without a bandwidth is rated from the Ethernet ports: the H100 node's 25 GbE
/// port (enp226s0, 25,000 Mb/s) = 3.125 GB/s x 0.92 (RoCE tuned as InfiniBand), for 8 GPUs.
#[test]
fn a_roce_fabric_is_rated_from_the_ethernet_ports() {
    let c = cluster(json!({
        "machines": [{"name": "node", "count": 4, "profile": profile(H100_NODE)}],
        "links": [{"class": "roce"}]
    }))
    .unwrap();
    let b = c.resolve().unwrap().between(0, 0).clone();
    assert_eq!(b.class, LinkClass::Roce);
    assert!(close(b.bandwidth_gbs, 25.0 / 8.0 * 0.92 / 8.0), "{b:?}");
    assert!(b.why.contains("enp226s0"), "{}", b.why);
}

/// Reordering the machines gives the same groups and the same link for every pair of names.
#[test]
fn the_order_of_machines_does_not_matter() {
    let ms = [
        json!({"profile": profile(M4)}),
        json!({"profile": profile(M4_PRO)}),
        json!({"name": "dgx", "count": 2, "profile": profile(H100_NODE)}),
        json!({"profile": profile(M2_ULTRA)}),
    ];
    let links = json!([
        {"machines": ["m4-mini", "dgx"], "class": "ethernet"},
        {"machines": ["dgx", "dgx"], "class": "infiniband"}
    ]);
    let resolve = |order: &[usize]| {
        let machines: Vec<Value> = order.iter().map(|&i| ms[i].clone()).collect();
        let r = cluster(json!({"machines": machines, "links": links}))
            .unwrap()
            .resolve()
            .unwrap();
        let mut pairs = Vec::new();
        for a in 0..r.groups.len() {
            for b in 0..r.groups.len() {
                let l = r.between(a, b);
                pairs.push((
                    r.groups[a].name.clone(),
                    r.groups[b].name.clone(),
                    l.class,
                    l.bandwidth_gbs.to_bits(),
                    l.latency_us.to_bits(),
                ));
            }
        }
        pairs.sort();
        let mut groups: Vec<String> = r.groups.iter().map(|g| format!("{g:?}")).collect();
        groups.sort();
        (r.devices(), groups, pairs)
    };
    let first = resolve(&[0, 1, 2, 3]);
    for order in [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]] {
        assert_eq!(resolve(&order), first, "{order:?}");
    }
}

fn error(doc: Value) -> String {
    match cluster(doc).and_then(|c| c.resolve()) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn each_error_names_the_field_and_the_value() {
    let m4 = profile(M4);
    assert_eq!(
        error(json!({"machines": []})),
        "field `machines` is an empty list, expected at least one machine"
    );
    assert_eq!(
        error(json!({"machines": [{"count": 0, "profile": m4}]})),
        "field `machines[0].count` is 0, expected an integer of at least 1"
    );
    assert_eq!(
        error(json!({"machines": [{"profile": m4}, {"name": "m4-mini", "profile": m4}]})),
        "field `machines[1].name` is \"m4-mini\", expected a name no other machine has (machines[0] is also \"m4-mini\")"
    );
    assert_eq!(
        error(json!({"machines": [{"profile": m4}],
                     "links": [{"machines": ["m5"], "class": "thunderbolt"}]})),
        "field `links[0].machines[0]` is \"m5\", expected one of m4-mini"
    );
    assert_eq!(
        error(json!({"machines": [{"profile": m4}],
                     "links": [{"machines": ["a", "b", "c"], "class": "ethernet"}]})),
        "field `links[0].machines` is a list of 3 names, expected no name (the fabric), one (inside a machine) or two (between two machines)"
    );
    assert_eq!(
        error(json!({"machines": [{"profile": m4}],
                     "links": [{"machines": ["m4-mini", "m4-mini"], "class": "ethernet"}]})),
        "field `links[0].machines` is \"m4-mini\", expected twice only for a group of machines with count above 1 (its count is 1)"
    );
    assert_eq!(
        error(
            json!({"machines": [{"profile": m4}], "links": [{"class": "ethernet",
            "bandwidth_gbs": {"value": -1.0, "source": "user"}}]})
        ),
        "field `links[0].bandwidth_gbs.value` is -1, expected a positive number of GB/s"
    );
    assert_eq!(
        error(
            json!({"machines": [{"profile": m4}], "links": [{"class": "ethernet",
            "latency_us": {"value": 0.0, "source": "user"}}]})
        ),
        "field `links[0].latency_us.value` is 0, expected a positive number of microseconds"
    );
    assert_eq!(
        error(json!({"machines": [{"profile": m4}], "links": [
            {"class": "ethernet"}, {"machines": [], "class": "wifi"}]})),
        "field `links[1].machines` is [], expected machines no other link names (links[0] names them too)"
    );
    assert_eq!(
        error(json!({"schema_version": 2, "machines": [{"profile": m4}]})),
        "field `schema_version` is 2, newer than this build reads (up to 1); update trainfit"
    );
    assert_eq!(
        error(json!({"schema_version": 2, "machines": [{"profile": m4}], "racks": 3})),
        "field `schema_version` is 2, newer than this build reads (up to 1); update trainfit"
    );
    // 2^20 devices is the bound: 131,073 nodes of 8 GPUs are 1,048,584.
    assert_eq!(
        error(json!({"machines": [{"count": 131073, "profile": profile(H100_NODE)}]})),
        "field `machines` is machines of 1048584 devices in all, expected at most 1048576 devices"
    );
    assert_eq!(
        error(json!({"machines": [{"profile": {"hostname": "empty"}}]})),
        "field `machines[0].profile` is a profile with nothing to plan on, expected an accelerator with memory_total_bytes, or memory.total_bytes"
    );
    let e = error(json!({"machines": [{"profile": m4}], "links": [{"class": "fibre"}]}));
    assert!(
        e.starts_with("cluster is not valid: at `links[0].class`"),
        "{e}"
    );
    // A profile's own errors, under its machine.
    let e = error(json!({"machines": [{"profile": {
        "memory": {"total_bytes": {"value": 1, "source": "user"}}}}]}));
    assert!(
        e.starts_with(
            "field `machines[0].profile.memory.total_bytes` is 1, expected a memory size"
        ),
        "{e}"
    );
}

/// Machines with no network interface and no link between them: the error names both.
#[test]
fn a_pair_without_a_link_is_refused_with_the_names() {
    let mut a = profile(M4);
    a["network"] = json!([]);
    let mut b = profile(M4_PRO);
    b["network"] = json!([{"name": "lo0", "kind": "loopback", "up": true}]);
    let e = error(json!({"machines": [{"profile": a}, {"profile": b}]}));
    assert_eq!(
        e,
        "field `links` is a list without a link between machines \"m4-mini\" and \"m4-pro-mini\", expected a link naming both, or a fabric link (no names): the profile of \"m4-mini\" has no up Ethernet, InfiniBand or Wi-Fi interface to take one from"
    );
    // Two machines of one group need a link between them too.
    let e = error(json!({"machines": [{"count": 2, "profile": a}]}));
    assert!(
        e.contains("between two machines \"m4-mini\" (count 2)"),
        "{e}"
    );
    // A link naming the pair is enough.
    let ok = cluster(
        json!({"machines": [{"profile": a}, {"profile": b}], "links": [
        {"machines": ["m4-pro-mini", "m4-mini"], "class": "thunderbolt"}]}),
    )
    .unwrap()
    .resolve()
    .unwrap();
    assert_eq!(ok.between(1, 0).class, LinkClass::Thunderbolt);
    // A machine alone needs nothing.
    assert!(cluster(json!({"machines": [{"profile": a}]}))
        .unwrap()
        .resolve()
        .is_ok());
}

/// A document written out and read back is the same, and one profile makes a valid cluster.
#[test]
fn round_trip_and_single() {
    let c = cluster(json!({"machines": [{"profile": profile(M2_ULTRA)}]})).unwrap();
    let back = parse_cluster(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(back, c);
    let single = Cluster::single(c.machines[0].profile.clone());
    assert_eq!(single.resolve().unwrap().devices(), 1);
    // The profile was completed as it was read: 80 % of a 75 % Metal working set, or thereabouts;
    // the catalogue's M2 Ultra has 76 GPU cores at most.
    let p = &c.machines[0].profile;
    assert_eq!(p.model.as_deref(), Some("M2 Ultra"));
    assert!(p.accelerators[0].memory_total_bytes.is_some());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    const PROFILES: [&str; 5] = [H100_NODE, RTX4090, M4, M4_PRO, M2_ULTRA];
    const CLASSES: [&str; 8] = [
        "nvlink",
        "nvswitch",
        "pcie",
        "infiniband",
        "roce",
        "ethernet",
        "thunderbolt",
        "wifi",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any mix of the fixture machines, counts and links: resolution either refuses with an
        /// error or gives every pair a positive, finite, symmetric link, the same in reverse
        /// order, and the device total the profiles add up to.
        #[test]
        fn every_pair_has_one_finite_symmetric_link(
            picks in proptest::collection::vec((0..5usize, 1..4u64), 1..6),
            fabric in proptest::option::of((0..8usize, proptest::option::of(0.01..500.0f64))),
            pair in proptest::option::of((0..6usize, 0..6usize, 0..8usize)),
        ) {
            let machines: Vec<Value> = picks
                .iter()
                .enumerate()
                .map(|(i, &(p, n))| json!({"name": format!("m{i}"), "count": n,
                                           "profile": profile(PROFILES[p])}))
                .collect();
            let mut links = Vec::new();
            if let Some((c, bw)) = fabric {
                let mut l = json!({"class": CLASSES[c]});
                if let Some(bw) = bw {
                    l["bandwidth_gbs"] = json!({"value": bw, "source": "user"});
                }
                links.push(l);
            }
            if let Some((a, b, c)) = pair {
                let (a, b) = (a % picks.len(), b % picks.len());
                if a != b || picks[a].1 > 1 {
                    links.push(json!({"machines": [format!("m{a}"), format!("m{b}")],
                                      "class": CLASSES[c]}));
                }
            }
            let doc = json!({"machines": machines, "links": links});
            let Ok(r) = cluster(doc.clone()).unwrap().resolve() else {
                // Only machines with no network and no link are refused: a fabric fixes it.
                prop_assert!(fabric.is_none());
                return Ok(());
            };
            let per_machine = |p: usize| trainfit_core::plan::device(
                &trainfit_core::hardware::parse_profile(PROFILES[p]).unwrap()).unwrap().count;
            let total: u64 = picks.iter().map(|&(p, n)| n * per_machine(p)).sum();
            prop_assert_eq!(r.devices(), total);
            let mut reversed = doc.clone();
            reversed["machines"].as_array_mut().unwrap().reverse();
            let back = cluster(reversed).unwrap().resolve().unwrap();
            let n = r.groups.len();
            for a in 0..n {
                for b in 0..n {
                    let l = r.between(a, b);
                    prop_assert!(l.bandwidth_gbs.is_finite() && l.bandwidth_gbs > 0.0);
                    prop_assert!(l.latency_us.is_finite() && l.latency_us > 0.0);
                    prop_assert_eq!(l, r.between(b, a));
                    prop_assert_eq!(l, back.between(n - 1 - a, n - 1 - b));
                }
                if let Some(w) = &r.groups[a].within {
                    prop_assert!(w.bandwidth_gbs.is_finite() && w.bandwidth_gbs > 0.0);
                } else {
                    prop_assert_eq!(r.groups[a].devices, 1);
                }
            }
        }
    }
}
