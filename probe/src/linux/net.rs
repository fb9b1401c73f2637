//! Network interfaces (`Documentation/ABI/testing/sysfs-class-net`). Hardware addresses are
//! identifying and never read (RFC 7721 §3: <https://www.rfc-editor.org/rfc/rfc7721#section-3>).

use trainfit_core::hardware::{NetworkInterface, NetworkKind, ProbeError, Value};

use crate::error::record;
use crate::root::Root;

const SECTION: &str = "network";
const NET: &str = "/sys/class/net";

/// ARP hardware types (`include/uapi/linux/if_arp.h`): `ARPHRD_ETHER` 1, `ARPHRD_INFINIBAND` 32,
/// `ARPHRD_LOOPBACK` 772.
const ARPHRD_ETHER: u64 = 1;
const ARPHRD_INFINIBAND: u64 = 32;
const ARPHRD_LOOPBACK: u64 = 772;

/// `speed` (Mb/s) values that mean "unknown": ethtool's `SPEED_UNKNOWN` is -1
/// (`include/uapi/linux/ethtool.h`), printed as `-1` (which does not parse as unsigned) or, by
/// drivers that store it unsigned, as 4294967295; older drivers used 65535. Reading `speed` fails
/// with EINVAL while the link is down.
const SPEED_UNKNOWN: [u64; 2] = [65_535, 4_294_967_295];

/// `IFF_UP` in the `flags` file (`include/uapi/linux/if.h`).
const IFF_UP: u64 = 0x1;

/// All interfaces.
pub(crate) fn read(root: &Root, errors: &mut Vec<ProbeError>) -> Vec<NetworkInterface> {
    if !root.exists(NET) {
        record(errors, SECTION, NET, "missing");
        return Vec::new();
    }
    root.entries(NET)
        .into_iter()
        .map(|name| interface(root, name))
        .collect()
}

fn interface(root: &Root, name: String) -> NetworkInterface {
    let dir = format!("{NET}/{name}");
    NetworkInterface {
        kind: Some(kind(root, &name, &dir)),
        up: up(root, &dir),
        speed_mbps: root
            .u64(&format!("{dir}/speed"))
            .filter(|s| *s > 0 && !SPEED_UNKNOWN.contains(s))
            .map(Value::measured),
        mtu: root.u32(&format!("{dir}/mtu")),
        name,
    }
}

/// `loopback`, `infiniband`, `wifi` (a `wireless` directory or a `phy80211` link), `virtual`
/// (the device lives under `/devices/virtual/`: bridges, veth, tun, docker0), `ethernet`, `other`.
fn kind(root: &Root, name: &str, dir: &str) -> NetworkKind {
    let arp = root.u64(&format!("{dir}/type"));
    if name == "lo" || arp == Some(ARPHRD_LOOPBACK) {
        return NetworkKind::Loopback;
    }
    if arp == Some(ARPHRD_INFINIBAND) {
        return NetworkKind::Infiniband;
    }
    if root.exists(&format!("{dir}/wireless")) || root.link(&format!("{dir}/phy80211")).is_some() {
        return NetworkKind::Wifi;
    }
    if root
        .link(dir)
        .is_some_and(|target| target.contains("/devices/virtual/"))
    {
        return NetworkKind::Virtual;
    }
    if arp == Some(ARPHRD_ETHER) {
        return NetworkKind::Ethernet;
    }
    NetworkKind::Other
}

/// `operstate` (RFC 2863 states): `up` → up; `down`, `lowerlayerdown`, `notpresent`, `dormant`
/// → not up; `unknown` (loopback, tun) → the administrative `IFF_UP` flag.
fn up(root: &Root, dir: &str) -> Option<bool> {
    match root.text(&format!("{dir}/operstate"))?.as_str() {
        "up" => Some(true),
        "down" | "lowerlayerdown" | "notpresent" | "dormant" => Some(false),
        _ => root.u64(&format!("{dir}/flags")).map(|f| f & IFF_UP != 0),
    }
}
