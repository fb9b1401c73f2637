//! Link classes and what one device gets on each when nothing was measured: NCCL-style bus
//! bandwidth per direction and the latency of one message, each with its source.

use serde::{Deserialize, Serialize};

use crate::hardware::NetworkKind;
use crate::wire::wire_names;

/// What joins two devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum LinkClass {
    /// NVLink between GPUs directly (a bridge, or a board's point-to-point links).
    Nvlink,
    /// NVLink through NVSwitches: every GPU of the machine reaches every other at its full rate.
    Nvswitch,
    /// PCIe, through the host or a PCIe switch.
    Pcie,
    /// InfiniBand (RDMA).
    Infiniband,
    /// RDMA over Converged Ethernet.
    Roce,
    /// Ethernet with TCP sockets.
    Ethernet,
    /// Thunderbolt (IP over the Thunderbolt bridge, or RDMA on Thunderbolt 5).
    Thunderbolt,
    /// Wi-Fi.
    Wifi,
}

wire_names!(LinkClass, "links.class", {
    Nvlink => "nvlink",
    Nvswitch => "nvswitch",
    Pcie => "pcie",
    Infiniband => "infiniband",
    Roce => "roce",
    Ethernet => "ethernet",
    Thunderbolt => "thunderbolt",
    Wifi => "wifi",
});

/// What one device gets on a link of a class when nothing better is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassDefault {
    /// NCCL-style bus bandwidth one device gets, per direction, GB/s.
    pub bandwidth_gbs: f64,
    /// Latency of one message, one way, microseconds.
    pub latency_us: f64,
    /// Where the two numbers come from.
    pub source: &'static str,
}

/// Share of a network interface's line rate that a collective's bus bandwidth reaches, with its
/// source; `None` for the links inside a machine, whose rate is not an interface's.
pub fn line_rate_efficiency(class: LinkClass) -> Option<(f64, &'static str)> {
    Some(match class {
        // nccl-tests PERFORMANCE.md and this project's digest (research/parallel-anchors.md §8):
        // HDR 200 Gb/s (25 GB/s) gives 22-24 GB/s bus bandwidth per NIC; 23/25.
        LinkClass::Infiniband => (
            0.92,
            "InfiniBand HDR: 22-24 of 25 GB/s bus bandwidth per NIC (nccl-tests)",
        ),
        // Llama 3 (Dubey et al. 2024): RoCE 400G tuned to match InfiniBand NDR; the IB figure.
        LinkClass::Roce => (
            0.92,
            "RoCE tuned as InfiniBand (Llama 3 report), InfiniBand's 92 %",
        ),
        // TCP over 1-100 GbE reaches 90-94 % of line rate (digest §8); the middle.
        LinkClass::Ethernet => (0.92, "TCP over Ethernet: 90-94 % of line rate"),
        // MLX ring all-gather over one Thunderbolt 4 ring: 48 Gb/s counting both directions
        // (mlx PR #1985), so 24 Gb/s per direction of the 40 Gb/s line.
        LinkClass::Thunderbolt => (
            0.6,
            "MLX ring over Thunderbolt 4: 24 of 40 Gb/s per direction (mlx PR #1985)",
        ),
        // Cisco, "802.11ax Wireless Throughput Testing": achievable throughput assumes 65 % MAC
        // efficiency on the PHY data rate.
        LinkClass::Wifi => (
            0.65,
            "Wi-Fi: 65 % MAC efficiency on the PHY rate (Cisco 802.11ax throughput testing)",
        ),
        LinkClass::Nvlink | LinkClass::Nvswitch | LinkClass::Pcie => return None,
    })
}

/// The class default: bus bandwidth and latency of one device on a link of `class` whose rate
/// nothing in the cluster tells.
pub fn class_default(class: LinkClass) -> ClassDefault {
    let (bandwidth_gbs, latency_us, source) = match class {
        // H100 PCIe pair with an NVLink bridge: about 116 GB/s all-reduce bus bandwidth (NCCL
        // issue #1161); Calculon's NVLink tier: 10 us latency.
        LinkClass::Nvlink => (116.0, 10.0, "class default: H100 PCIe NVLink-bridge pair, 116 GB/s (NCCL #1161); 10 us (Calculon)"),
        // H100 SXM through NVSwitch: about 370 GB/s ring all-reduce bus bandwidth (nccl-tests
        // issue #212); Calculon's NVLink tier: 10 us.
        LinkClass::Nvswitch => (370.0, 10.0, "class default: H100 SXM NVSwitch ring, 370 GB/s (nccl-tests #212); 10 us (Calculon)"),
        // PCIe 4 x16 (31.5 GB/s per direction): 20-25 GB/s bus bandwidth (digest §8), the
        // middle; llm-analysis's intra-node minimum message latency, 8 us, rounded to Calculon's 10.
        LinkClass::Pcie => (22.5, 10.0, "class default: PCIe 4 x16, 20-25 GB/s bus bandwidth (nccl-tests); 10 us (Calculon)"),
        // InfiniBand HDR, one NIC: 22-24 GB/s (digest §8); Calculon's InfiniBand tier: 20 us.
        LinkClass::Infiniband => (23.0, 20.0, "class default: InfiniBand HDR, 22-24 GB/s per NIC (nccl-tests); 20 us (Calculon)"),
        // RoCE 400G as tuned for Llama 3: similar to InfiniBand NDR, 40-48 GB/s (digest §8);
        // RDMA, so InfiniBand's latency.
        LinkClass::Roce => (44.0, 20.0, "class default: RoCE 400G as Llama 3 tuned it, 40-48 GB/s; 20 us as InfiniBand (Calculon)"),
        // 10 GbE with TCP: 92 % of 1.25 GB/s. Latency: assumed 50 us for a kernel TCP message
        // each way on a LAN, the low end of the 50-100 us of this project's brief (no source
        // measured here; `trainfit net test` replaces it).
        LinkClass::Ethernet => (1.15, 50.0, "class default: 10 GbE with TCP, 92 % of 1.25 GB/s; 50 us assumed"),
        // MLX ring over one Thunderbolt 4 ring: 24 Gb/s per direction (mlx PR #1985); TCP over
        // Thunderbolt: 0.4-1 ms round trip (exo issue #2295), half the low end.
        LinkClass::Thunderbolt => (3.0, 200.0, "class default: MLX ring over Thunderbolt 4, 3 GB/s per direction (mlx PR #1985); 0.4 ms round trip (exo #2295)"),
        // A 2x2 Wi-Fi 6 client on an 80 MHz channel links at 1,201 Mb/s (McCann, "Understanding
        // Wi-Fi speed"), 65 % of it delivered (Cisco); 5-54 ms round trips (exo issue #2295),
        // half the low end.
        LinkClass::Wifi => (0.098, 2500.0, "class default: Wi-Fi 6 2x2 at 80 MHz, 65 % of 1,201 Mb/s; 5 ms round trip (exo #2295)"),
    };
    ClassDefault {
        bandwidth_gbs,
        latency_us,
        source,
    }
}

/// The link class of a network interface, when it is one that carries training traffic: the
/// profile cannot tell RoCE from Ethernet or see a Thunderbolt bridge, so those need a link.
pub fn of_interface(kind: NetworkKind) -> Option<LinkClass> {
    match kind {
        NetworkKind::Ethernet => Some(LinkClass::Ethernet),
        NetworkKind::Infiniband => Some(LinkClass::Infiniband),
        NetworkKind::Wifi => Some(LinkClass::Wifi),
        NetworkKind::Loopback | NetworkKind::Virtual | NetworkKind::Other => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_a_positive_default() {
        for &c in LinkClass::ALL {
            let d = class_default(c);
            assert!(d.bandwidth_gbs > 0.0 && d.latency_us > 0.0, "{c}");
        }
    }

    #[test]
    fn network_defaults_are_their_line_rate_times_the_efficiency() {
        // 10 GbE = 1.25 GB/s; 92 % of it.
        let (e, _) = line_rate_efficiency(LinkClass::Ethernet).unwrap();
        assert!((1.25 * e - class_default(LinkClass::Ethernet).bandwidth_gbs).abs() < 1e-12);
        // Thunderbolt 4: 40 Gb/s = 5 GB/s; MLX's 24 Gb/s = 3 GB/s.
        let (t, _) = line_rate_efficiency(LinkClass::Thunderbolt).unwrap();
        assert!((5.0 * t - class_default(LinkClass::Thunderbolt).bandwidth_gbs).abs() < 1e-12);
        // Wi-Fi: 1,201 Mb/s = 0.150 GB/s, 65 % of it 0.0976.
        let (w, _) = line_rate_efficiency(LinkClass::Wifi).unwrap();
        assert!((0.150125 * w - class_default(LinkClass::Wifi).bandwidth_gbs).abs() < 1e-3);
    }
}
