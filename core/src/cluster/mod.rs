//! The cluster document: machines (each a hardware profile with a count) and the links between
//! and within them, and its resolution into the bandwidth and latency of every pair of machines.
//!
//! ```
//! use trainfit_core::cluster::{parse_cluster, LinkClass};
//!
//! // Two identical 2-GPU boxes over 10 GbE, the fabric link typed with a measured bandwidth.
//! let c = parse_cluster(r#"{"machines": [{"name": "box", "count": 2, "profile": {
//!     "accelerators": [
//!       {"vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "pci_bus_id": "0000:01:00.0",
//!        "pcie": {"gen_max": 4, "width_max": 16}},
//!       {"vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "pci_bus_id": "0000:02:00.0",
//!        "pcie": {"gen_max": 4, "width_max": 16}}]}}],
//!   "links": [{"machines": [], "class": "ethernet",
//!              "bandwidth_gbs": {"value": 0.55, "source": "measured"}}]}"#).unwrap();
//! let r = c.resolve().unwrap();
//! assert_eq!(r.devices(), 4);
//! // Inside a box: PCIe 4 x16, 1.969 GB/s per lane x 16 x 0.8 bus efficiency.
//! let within = r.groups[0].within.as_ref().unwrap();
//! assert_eq!(within.class, LinkClass::Pcie);
//! assert!((within.bandwidth_gbs - 1.969 * 16.0 * 0.8).abs() < 1e-9);
//! // Between the two boxes: the fabric link as typed.
//! assert_eq!(r.between(0, 0).bandwidth_gbs, 0.55);
//! ```

mod class;
mod resolve;
mod validate;

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

pub use class::{class_default, line_rate_efficiency, of_interface, ClassDefault, LinkClass};
pub use resolve::{ResolvedCluster, ResolvedLink, ResolvedMachine};

use crate::error::Result;
use crate::hardware::{HardwareProfile, Value};

/// Version of the cluster document this build writes and the newest it reads.
pub const CLUSTER_SCHEMA_VERSION: u32 = 1;

fn cluster_schema_version() -> u32 {
    CLUSTER_SCHEMA_VERSION
}

fn one() -> u64 {
    1
}

/// Machines and the links between and within them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Document version. Default: the current version (1).
    #[serde(default = "cluster_schema_version")]
    pub schema_version: u32,
    /// A name for the whole cluster. Default: none.
    #[serde(default)]
    pub name: Option<String>,
    /// The machines, each a hardware profile with how many of it there are.
    pub machines: Vec<Machine>,
    /// Links between and within machines, where the defaults (from the profiles' NVLink, PCIe
    /// and network interfaces) are wrong or unknown. Default: none.
    #[serde(default)]
    pub links: Vec<Link>,
}

/// A machine, or a group of identical machines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// The name links use. Default: the profile's `hostname`, else `machine-<index>` (from 0).
    #[serde(default)]
    pub name: Option<String>,
    /// How many machines of this profile (64 for "64 of this 8xH100 node"). Default: 1.
    #[serde(default = "one")]
    pub count: u64,
    /// The machine, as `trainfit probe --json` prints it (or typed by hand). Completed as it is
    /// read: catalogue figures and the flat summary are filled where absent.
    #[serde(deserialize_with = "crate::hardware::deserialize_complete")]
    pub profile: HardwareProfile,
}

/// A link: its class, and what one device gets on it where known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Which machines it joins: no name for the fabric (every pair of machines no other link
    /// names), one name for the devices inside that machine, two names for the machines between
    /// them (the same name twice: two machines of a group with `count` above 1). Default: none.
    #[serde(default)]
    pub machines: Vec<String>,
    /// What the link is.
    pub class: LinkClass,
    /// NCCL-style bus bandwidth one device gets on this link, per direction, GB/s: what an
    /// all-reduce's `busbw` reports; `measured` when `trainfit net test` measured it. Default:
    /// from the profiles' interfaces of this class, else the class default.
    #[serde(default)]
    pub bandwidth_gbs: Option<Value<f64>>,
    /// Latency of one message, one way, microseconds. Default: the class default.
    #[serde(default)]
    pub latency_us: Option<Value<f64>>,
}

impl Cluster {
    /// A cluster of one machine of `profile`, with no links.
    pub fn single(profile: HardwareProfile) -> Self {
        Cluster {
            schema_version: CLUSTER_SCHEMA_VERSION,
            name: None,
            machines: alloc::vec![Machine {
                name: None,
                count: 1,
                profile,
            }],
            links: Vec::new(),
        }
    }

    /// The name of machine `index`: its `name`, else its profile's host name, else
    /// `machine-<index>`.
    pub fn machine_name(&self, index: usize) -> String {
        let m = &self.machines[index];
        m.name
            .clone()
            .or_else(|| m.profile.hostname.clone())
            .unwrap_or_else(|| alloc::format!("machine-{index}"))
    }

    /// Checks the document: its version, its machines, their profiles and counts, and that every
    /// link names known machines and holds positive, finite numbers.
    ///
    /// # Errors
    /// `SchemaVersion` for a newer document; `InvalidField` naming the field's path and value for
    /// no machines, a count of 0, two machines of one name, a link naming an unknown machine or
    /// more than two, a non-positive or non-finite bandwidth or latency, a profile with nothing
    /// to plan on, or more than [`crate::memory::MAX_DEVICES`] devices in all; a profile's own
    /// errors under `machines[i].profile`.
    pub fn validate(&self) -> Result<()> {
        validate::validate(self).map(|_| ())
    }

    /// The bandwidth and latency of every pair of machines and within each machine: an explicit
    /// link of one or two names first, then the fabric link (no names), then the default from
    /// the profiles.
    ///
    /// # Errors
    /// As [`Cluster::validate`], and `InvalidField` at `links` when two machines have no link
    /// and no network interface to default to.
    pub fn resolve(&self) -> Result<ResolvedCluster> {
        let devices = validate::validate(self)?;
        resolve::resolve(self, &devices)
    }
}

/// Reads a cluster from JSON, refusing documents of a newer version, and checks it
/// ([`Cluster::validate`]); each profile is completed as it is read.
///
/// # Errors
/// `Json` naming the path of a field of the wrong shape, `SchemaVersion`, or what
/// [`Cluster::validate`] finds.
pub fn parse_cluster(json: &str) -> Result<Cluster> {
    let cluster: Cluster = crate::document::from_json("cluster", json).map_err(|shape| {
        // A newer document may hold fields this build does not know: say it is newer.
        let version = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v.get("schema_version")?.as_u64());
        match version {
            Some(v) if v > u64::from(CLUSTER_SCHEMA_VERSION) => {
                crate::error::Error::schema_version(
                    "schema_version",
                    u32::try_from(v).unwrap_or(u32::MAX),
                    CLUSTER_SCHEMA_VERSION,
                )
            }
            _ => shape,
        }
    })?;
    cluster.validate()?;
    Ok(cluster)
}
