//! A plan on a cluster: the resolved machines and links as the planner and the mesh search see
//! them, and the mesh of each training configuration.

use alloc::format;
use alloc::string::String;
use serde::{Deserialize, Serialize};

use super::device::Device;
use super::modes::Mode;
use super::planner::Planner;
use super::search::Knobs;
use crate::cluster::{Cluster, LinkClass, ResolvedCluster, ResolvedLink};
use crate::error::{Error, Result};
use crate::hardware::HardwareProfile;
use crate::memory::estimate_with;
use crate::mesh::{
    plan_serving, search, AttentionKernel, Chip, Engine, Fabric, Link, MeshPlan, MeshRequest,
    ServePlan, ServeRequest,
};
use crate::model::ModelSpec;
use crate::request::{AttentionImpl, Parallel, Task};

/// A link of the cluster as a plan reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ClusterLink {
    /// What the link is.
    pub class: LinkClass,
    /// Bus bandwidth one device gets, per direction, GB/s.
    pub bandwidth_gbs: f64,
    /// Latency of one message, µs.
    pub latency_us: f64,
    /// Where the numbers come from.
    pub why: String,
}

/// The cluster a plan ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct ClusterSummary {
    /// Machines.
    pub machines: u64,
    /// Devices of one machine.
    pub devices_per_machine: u64,
    /// Devices in all.
    pub devices: u64,
    /// Between two devices of a machine; absent for one-device machines.
    pub within: Option<ClusterLink>,
    /// Between two machines; absent for one machine.
    pub between: Option<ClusterLink>,
}

/// The cluster as the planner uses it.
pub(super) struct ClusterView {
    pub summary: ClusterSummary,
    pub fabric: Fabric,
}

fn link(l: &ResolvedLink) -> (Link, ClusterLink) {
    (
        Link {
            bandwidth_gbs: l.bandwidth_gbs,
            latency_us: l.latency_us,
        },
        ClusterLink {
            class: l.class,
            bandwidth_gbs: l.bandwidth_gbs,
            latency_us: l.latency_us,
            why: l.why.clone(),
        },
    )
}

/// The machine every group shares, the view of the cluster, or why it cannot be planned as one
/// kind of device.
pub(super) fn resolve(cluster: &Cluster) -> Result<(HardwareProfile, ClusterView)> {
    let r: ResolvedCluster = cluster.resolve().map_err(|e| e.within("cluster"))?;
    let first = &r.groups[0];
    let kind = |g: &crate::cluster::ResolvedMachine| {
        super::device::device(&g.profile).map(|d| (d.name, d.usable_bytes, g.devices))
    };
    let base = kind(first);
    if let Some((i, other)) = r.groups.iter().enumerate().find(|(_, g)| kind(g) != base) {
        let name = |g: &crate::cluster::ResolvedMachine| {
            super::device::device(&g.profile).map_or(String::from("no device"), |d| {
                format!("{} x {} ({})", g.devices, d.name, g.name)
            })
        };
        return Err(Error::invalid(
            format!("cluster.machines[{i}]"),
            name(other),
            format!(
                "machines of one kind, as {}: the mesh planner divides work evenly; devices of unequal memory or speed are planned layer by layer (mesh::plan_hetero)",
                name(first)
            ),
        ));
    }
    let machines: u64 = r.groups.iter().map(|g| g.count).sum();
    let per_machine = first.devices;
    let within = first.within.as_ref().map(link);
    let between = (machines > 1).then(|| link(r.between(0, 0)));
    let fallback = Link {
        bandwidth_gbs: f64::INFINITY,
        latency_us: 0.0,
    };
    let intra = within
        .as_ref()
        .map(|w| w.0)
        .or(between.as_ref().map(|b| b.0));
    let fabric = Fabric {
        per_machine,
        intra: intra.unwrap_or(fallback),
        inter: between.as_ref().map(|b| b.0).or(intra).unwrap_or(fallback),
    };
    Ok((
        first.profile.clone(),
        ClusterView {
            summary: ClusterSummary {
                machines,
                devices_per_machine: per_machine,
                devices: r.devices(),
                within: within.map(|w| w.1),
                between: between.map(|b| b.1),
            },
            fabric,
        },
    ))
}

/// The planner's devices on the whole cluster: every device, joined by the slowest link a data
/// axis over all of them crosses.
pub(super) fn cluster_device(
    mut dev: Device,
    view: &ClusterView,
    goal_devices: Option<u64>,
) -> Result<Device> {
    let all = view.summary.devices;
    if let Some(n) = goal_devices {
        if n > all {
            return Err(Error::invalid(
                "goal.devices",
                n,
                format!("at most the {all} devices of the cluster"),
            ));
        }
    }
    dev.count = goal_devices.unwrap_or(all);
    if dev.count > view.fabric.per_machine {
        dev.link_gbs = Some(view.fabric.inter.bandwidth_gbs);
    } else if view.summary.within.is_some() {
        dev.link_gbs = Some(view.fabric.intra.bandwidth_gbs);
    }
    Ok(dev)
}

impl Planner<'_> {
    /// One device's speed under the mode's power cap, for the time model; `None` when the peak
    /// or the memory bandwidth is unknown.
    fn chip(&self, mode: Mode) -> Option<Chip> {
        let d = self.dev;
        let peak = d.peak_tflops? * self.power_speed(mode);
        let (share, _, _) = crate::mesh::matmul_share(&d.name);
        let hopper = self.profile.accelerators.iter().any(|a| {
            a.compute_capability
                .as_deref()
                .and_then(|c| c.split('.').next()?.parse::<u32>().ok())
                .is_some_and(|major| major >= 9)
        });
        Some(Chip {
            peak_tflops: peak,
            matmul_share: share,
            fp8: None,
            hopper_or_later: hopper,
            memory_gbs: d.memory_bandwidth_gbs?,
        })
    }

    /// The engine the plans assume: PyTorch with FSDP2 and DTensor parallelism (torchtitan,
    /// Accelerate): eager elementwise kernels, SDPA's FlashAttention-2, gradients reduced while
    /// the backward runs.
    fn engine(&self) -> Engine {
        Engine {
            attention: match self.dev.attention {
                AttentionImpl::Eager => AttentionKernel::Eager,
                _ => AttentionKernel::Flash2,
            },
            overlap_grad_reduce: true,
            overlap_tensor_comm: false,
            eager: true,
            fp8_linears: false,
        }
    }

    /// The mesh of a training configuration on the cluster: the search's best layouts with
    /// their memory within `target` bytes per device.
    pub(super) fn mesh(
        &self,
        mode: Mode,
        spec: &ModelSpec,
        k: &Knobs,
        task: Task,
        global_batch: u64,
        target: u64,
    ) -> Result<Option<MeshPlan>> {
        let (Some(view), Some(chip)) = (self.cluster, self.chip(mode)) else {
            return Ok(None);
        };
        let req = MeshRequest {
            base: self.request(spec, k, task),
            global_batch,
            devices: self.dev.count,
            chip,
            fabric: view.fabric,
            memory_limit_bytes: target,
            fixed: self.goal.mesh.clone().unwrap_or_default(),
            engine: self.engine(),
            keep: 5,
        };
        search(&req).map(Some).map_err(|e| e.within("goal"))
    }

    /// The estimate of a mesh candidate, term by term.
    pub(super) fn mesh_estimate(
        &self,
        spec: &ModelSpec,
        k: &Knobs,
        task: Task,
        layout: &crate::mesh::Layout,
    ) -> Result<crate::estimate::Estimate> {
        let mut req = self.request(spec, k, task);
        req.parallel = Parallel {
            data: layout.data,
            tensor: layout.tensor,
            pipeline: layout.pipeline,
            context: layout.context,
            sequence_parallel: layout.sequence_parallel,
            micro_batches: layout.micro_batches,
            sharding: layout.sharding,
            offload: k.offload,
        };
        estimate_with(&req, Some(&mut self.programs.borrow_mut()))
    }

    /// Tensor- and pipeline-parallel serving layouts of the cluster at the configuration's
    /// context.
    pub(super) fn serving_mesh(
        &self,
        mode: Mode,
        spec: &ModelSpec,
        k: &Knobs,
        task: Task,
        target: u64,
    ) -> Result<Option<ServePlan>> {
        let (Some(view), Some(chip)) = (self.cluster, self.chip(mode)) else {
            return Ok(None);
        };
        let req = ServeRequest {
            base: self.request(spec, k, task),
            context: k.sequence,
            devices: self.dev.count,
            chip,
            fabric: view.fabric,
            memory_limit_bytes: target,
        };
        plan_serving(&req).map(Some).map_err(|e| e.within("goal"))
    }
}
