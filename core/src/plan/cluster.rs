//! A plan on a cluster: the resolved machines and links as the planner and the mesh search see
//! them, and the mesh of each training configuration.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
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
    layout_time, plan_serving, search, AttentionKernel, Chip, Engine, Fabric, Layout, LinkSpeed,
    MeshPlan, MeshRequest, ServePlan, ServeRequest, StepTime,
};
use crate::mesh::{plan_hetero, HeteroDevice, HeteroPlan, HeteroRequest};
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
pub(crate) struct ClusterView {
    pub summary: ClusterSummary,
    pub fabric: Fabric,
}

fn link(l: &ResolvedLink) -> (LinkSpeed, ClusterLink) {
    (
        LinkSpeed {
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

/// A cluster resolved: of one kind of machine (the mesh planner's), or of several (the
/// heterogeneous planner's).
pub(super) enum Resolved {
    /// Every machine alike: its profile and the view of the cluster.
    Uniform(alloc::boxed::Box<(HardwareProfile, ClusterView)>),
    /// Machines that differ in devices, memory or speed.
    Mixed(ResolvedCluster),
}

/// The cluster resolved, sorted into one kind of machine or several.
pub(super) fn resolve(cluster: &Cluster) -> Result<Resolved> {
    let r: ResolvedCluster = cluster.resolve().map_err(|e| e.within("cluster"))?;
    let first = &r.groups[0];
    let kind = |g: &crate::cluster::ResolvedMachine| {
        super::device::device(&g.profile).map(|d| (d.name, d.usable_bytes, g.devices))
    };
    let base = kind(first);
    if r.groups.iter().any(|g| kind(g) != base) {
        return Ok(Resolved::Mixed(r));
    }
    let machines: u64 = r.groups.iter().map(|g| g.count).sum();
    let per_machine = first.devices;
    let within = first.within.as_ref().map(link);
    let between = (machines > 1).then(|| link(r.between(0, 0)));
    let fallback = LinkSpeed {
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
    Ok(Resolved::Uniform(alloc::boxed::Box::new((
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
    ))))
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
        self.device_chip(self.dev, mode)
    }

    /// `d`'s speed under the mode's power cap: its peak, the share of it the largest
    /// multiplies reach (the MAMF table by name; for devices it does not list, its class's
    /// figure; a CPU's measured GEMM rate is its plateau), and its memory bandwidth.
    fn device_chip(&self, d: &Device, mode: Mode) -> Option<Chip> {
        use super::device::DeviceClass;
        let peak = d.peak_tflops? * self.power_speed(mode);
        let (named, _, listed) = crate::mesh::matmul_share(&d.name);
        let share = match d.class {
            _ if listed => named,
            DeviceClass::NvidiaGpu => named,
            DeviceClass::AmdGpu => crate::mesh::MAMF_UNLISTED_AMD,
            DeviceClass::IntelGpu => crate::mesh::MAMF_UNLISTED_INTEL,
            DeviceClass::AppleGpu => crate::mesh::APPLE_MPS_SHARE,
            // `cpu_device` took the measured GEMM rate as the peak when the benchmark ran.
            DeviceClass::Cpu if self.profile.benchmarks.cpu_matmul_gflops.is_some() => 1.0,
            DeviceClass::Cpu => crate::mesh::CPU_ESTIMATED_SHARE,
        };
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

    /// The links of the planner's devices: the cluster's, or one machine's devices joined by
    /// NVLink where the profile shows it, else PCIe, at the device's bus bandwidth with the
    /// class's latency.
    fn fabric(&self) -> Fabric {
        if let Some(view) = self.cluster {
            return view.fabric;
        }
        let d = self.dev;
        let nvlink = super::device::pair_nvlink_links(self.profile).is_some_and(|l| l > 0)
            || self
                .profile
                .accelerators
                .iter()
                .any(|a| a.nvlink_links.is_some_and(|l| l.value > 0));
        let class = if nvlink {
            LinkClass::Nvlink
        } else {
            LinkClass::Pcie
        };
        let link = LinkSpeed {
            bandwidth_gbs: d.link_gbs.unwrap_or(f64::INFINITY),
            latency_us: crate::cluster::class_default(class).latency_us,
        };
        Fabric {
            per_machine: d.count,
            intra: link,
            inter: link,
        }
    }

    /// The time model's step of a data-parallel configuration (`k`'s sharding, micro-batch and
    /// accumulation on every device) of a model with `params` (trainable, total) parameters, with
    /// host offload priced; `None` when the device's peak or memory bandwidth is unknown.
    pub(crate) fn data_parallel_step(
        &self,
        mode: Mode,
        spec: &ModelSpec,
        k: &Knobs,
        task: Task,
        params: (u64, u64),
    ) -> Result<Option<StepTime>> {
        let Some(chip) = self.chip(mode) else {
            return Ok(None);
        };
        let layout =
            Layout::data_parallel(self.dev.count, k.sharding, k.micro_batch, k.accumulation);
        let base = self.request(spec, k, task);
        let mut step = layout_time(&base, &layout, &chip, &self.fabric(), &self.engine())
            .map_err(|e| e.within("goal"))?;
        if k.offload.optimizer || k.offload.parameters {
            let (optimizer_s, exposed_s) = self.offload(&step, k, &base, params);
            let before = step.step_s;
            step.step_s += optimizer_s - step.optimizer_s + exposed_s;
            step.optimizer_s = optimizer_s;
            step.offload_s = exposed_s;
            // The same tokens and FLOPs in the longer step.
            let slower = before / step.step_s;
            step.tokens_per_s *= slower;
            step.tokens_per_s_per_device *= slower;
            step.model_tflops_per_device *= slower;
            step.mfu *= slower;
            step.hfu *= slower;
        }
        Ok(Some(step))
    }

    /// Host offload's time: the optimizer step on the CPU and the copies over PCIe
    /// (ZeRO-Offload, Ren et al. 2021, §4: gradients go to the host during the backward, the
    /// CPU updates the fp32 states, the 16-bit weights come back before the next forward), and
    /// with weights offloaded (ZeRO-Infinity, Rajbhandari et al. 2021, §5) each pass fetching
    /// them, prefetched behind the compute. `(optimizer step, exposed copies)`, seconds.
    fn offload(
        &self,
        step: &StepTime,
        k: &Knobs,
        base: &crate::request::EstimateRequest,
        (trainable, total): (u64, u64),
    ) -> (f64, f64) {
        let d = self.dev;
        // Unified memory (Apple, integrated GPUs): the host's memory is the device's, nothing
        // crosses a bus.
        let pcie = if d.unified_memory {
            f64::INFINITY
        } else {
            self.profile
                .accelerators
                .iter()
                .find_map(super::device::pcie_gbs)
                .unwrap_or(PCIE_UNKNOWN_GBS)
        };
        let dp = d.count.max(1) as f64;
        let a = crate::mesh::compute_bytes(base) as f64;
        let (grad_bytes, state_bytes) = crate::mesh::grad_and_state_bytes(base);
        let mut optimizer_s = step.optimizer_s;
        let mut exposed = 0.0;
        if k.offload.optimizer {
            let host = self
                .profile
                .benchmarks
                .memory_bandwidth_gbs
                .or(self.profile.memory.bandwidth_gbs)
                .map_or(HOST_UNKNOWN_GBS, |v| v.value);
            // The CPU step reads and writes every state and the fp32 master weight, reads the
            // gradient and writes the 16-bit copy, for all ranks' shards on the one host:
            // memory-bound (DeepSpeed's CPU-Adam is vectorised, ZeRO-Offload §4.1) at the share
            // of bandwidth large transfers reach. `state_bytes` holds the master copy already
            // for the mixed recipes.
            let mixed = matches!(
                base.precision,
                crate::request::Precision::MixedBf16 | crate::request::Precision::MixedFp16
            );
            let states = state_bytes - if mixed { 4 } else { 0 };
            let per_param = 2.0 * (states + 4) as f64 + grad_bytes as f64 + a;
            let bytes = trainable as f64 * per_param;
            let cpu = bytes / (host * 1e9 * crate::mesh::memory_efficiency(bytes));
            // Each rank's updated 16-bit weights cross its PCIe link before the next forward.
            let upload = trainable as f64 / dp * a / (pcie * 1e9);
            optimizer_s = cpu + upload;
        }
        if k.offload.parameters {
            // Each micro-batch's forward and backward (and a full recomputation's forward)
            // fetch the rank's weights from the host, prefetched behind the compute.
            let passes = if matches!(k.checkpointing, crate::request::Checkpointing::Full) {
                3.0
            } else {
                2.0
            };
            let fetch = k.accumulation as f64 * passes * total as f64 / dp * a / (pcie * 1e9);
            exposed = (fetch - step.compute_s - step.recompute_s).max(0.0);
        }
        (optimizer_s, exposed)
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
    /// their memory within `target` bytes per device; the inner error when no layout fits (the
    /// outer one for axes the user fixed that the model or the cluster cannot take).
    pub(super) fn mesh(
        &self,
        mode: Mode,
        spec: &ModelSpec,
        k: &Knobs,
        task: Task,
        global_batch: u64,
        target: u64,
    ) -> Result<Option<core::result::Result<MeshPlan, Error>>> {
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
        match search(&req) {
            Ok(plan) => Ok(Some(Ok(plan))),
            // Nothing fits: the search's own verdict, not a mistake in the request.
            Err(e) if e.field() == Some("mesh") => Ok(Some(Err(e))),
            Err(e) => Err(e.within("goal")),
        }
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

/// Host memory bandwidth, GB/s, when the profile has neither a measured nor a read figure:
/// dual-channel DDR4-3200, 2 channels × 8 bytes × 3,200 MT/s = 51.2 GB/s (JEDEC JESD79-4's
/// fastest DDR4 speed bin), the common desktop floor. `trainfit probe --benchmark` measures it.
const HOST_UNKNOWN_GBS: f64 = 51.2;

/// A device's PCIe link, GB/s, when the profile does not give it: PCIe 3.0 ×16 at NCCL's bus
/// efficiency (16 × 0.985 × 0.8), the oldest link current GPUs train on.
const PCIE_UNKNOWN_GBS: f64 = 16.0 * 0.985 * 0.8;

/// Most devices the heterogeneous planner takes: each is a pipeline stage or a replica, planned
/// one by one (seed 000's clusters have three).
const MAX_HETERO_DEVICES: u64 = 64;

/// The heterogeneous plan of one mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct HeteroModePlan {
    /// The mode: its share of each device's usable memory is the memory each may use.
    pub mode: Mode,
    /// The layouts, fastest first; absent when the devices cannot hold the job within the
    /// mode's share of their memory.
    pub plan: Option<HeteroPlan>,
    /// Why not, when `plan` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

impl Planner<'_> {
    /// Devices of unequal memory or speed: every device of `r` in document order, a pipeline
    /// stage or a replica each, planned for every requested mode.
    pub(super) fn hetero(
        &self,
        r: &ResolvedCluster,
        modes: &[Mode],
    ) -> Result<Vec<HeteroModePlan>> {
        let spec = self.given.ok_or_else(|| {
            Error::missing(
                "goal.model",
                "a plan on machines of unequal devices (the planner sizes models on one kind only)",
            )
        })?;
        let task = self.task();
        if !task.trains() {
            return Err(Error::invalid(
                "goal.task",
                "serve",
                "a training task on machines of unequal devices (serving plans need one kind)",
            ));
        }
        let total = r.devices();
        if total > MAX_HETERO_DEVICES {
            return Err(Error::invalid(
                "cluster",
                format!("{total} devices"),
                format!("at most {MAX_HETERO_DEVICES} devices when machines differ"),
            ));
        }
        let knobs = Knobs {
            micro_batch: self.goal.micro_batch.unwrap_or(1),
            sequence: self
                .goal
                .sequence
                .unwrap_or(2048)
                .min(spec.max_positions.max(1)),
            checkpointing: self
                .goal
                .checkpointing
                .unwrap_or(crate::request::Checkpointing::Full),
            optimizer: self.goal.optimizer.unwrap_or_default(),
            sharding: crate::request::Sharding::None,
            offload: crate::request::Offload::default(),
            accumulation: 1,
        };
        let base = self.request(spec, &knobs, task);
        // Each machine's devices in order, and the slowest link a ring through them crosses.
        let mut order: Vec<(usize, crate::plan::Device)> = Vec::new();
        for (gi, g) in r.groups.iter().enumerate() {
            let dev = super::device::device(&g.profile).ok_or(Error::NoDevice)?;
            for _ in 0..g.count * g.devices.max(1) {
                order.push((gi, dev.clone()));
            }
        }
        let mut ring: Option<LinkSpeed> = None;
        let mut slowest = |l: LinkSpeed| {
            if ring.is_none_or(|r| l.bandwidth_gbs < r.bandwidth_gbs) {
                ring = Some(l);
            }
        };
        for (i, (gi, _)) in order.iter().enumerate() {
            let (gj, _) = order[(i + 1) % order.len()];
            let l = if *gi == gj && r.groups[*gi].count == 1 {
                r.groups[*gi].within.as_ref().map(|w| link(w).0)
            } else {
                Some(link(r.between(*gi, gj)).0)
            };
            if let Some(l) = l {
                slowest(l);
            }
        }
        let ring = ring.unwrap_or(LinkSpeed {
            bandwidth_gbs: f64::INFINITY,
            latency_us: 0.0,
        });
        let mut plans = Vec::with_capacity(modes.len());
        let mut first_error: Option<Error> = None;
        for &mode in modes {
            let share = mode.settings().memory_target;
            let devices = order
                .iter()
                .map(|(gi, d)| {
                    let chip = self.device_chip(d, mode).ok_or_else(|| {
                        Error::invalid(
                            format!("cluster.machines[{gi}].profile"),
                            d.name.as_str(),
                            "a device whose peak TFLOP/s and memory bandwidth are known",
                        )
                    })?;
                    Ok(HeteroDevice {
                        name: format!("{} ({})", d.name, r.groups[*gi].name),
                        chip,
                        usable_bytes: (d.usable_bytes as f64 * share) as u64,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let req = HeteroRequest {
                base: base.clone(),
                global_batch: self.goal.global_batch.unwrap_or(super::MIN_HETERO_BATCH),
                devices,
                ring,
                engine: self.engine(),
            };
            match plan_hetero(&req) {
                Ok(plan) => plans.push(HeteroModePlan {
                    mode,
                    plan: Some(plan),
                    refused: None,
                }),
                Err(e) => {
                    let e = e.within("cluster");
                    plans.push(HeteroModePlan {
                        mode,
                        plan: None,
                        refused: Some(e.to_string()),
                    });
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) if plans.iter().all(|p| p.plan.is_none()) => Err(e),
            _ => Ok(plans),
        }
    }
}
