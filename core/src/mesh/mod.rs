//! Many devices: the time model of a parallel training step and the mesh planner that searches
//! the layouts of a cluster.
//!
//! `hetero` plans devices of unequal memory and speed as a pipeline or uneven data parallelism.
//! `time` predicts one layout's step time from the work and the hardware, so MFU is an output;
//! `collective` prices the collectives by link; `efficiency` holds the size-dependent shares of
//! peak it uses.

mod collective;
mod efficiency;
mod hetero;
mod search;
mod serve;
mod time;

pub use collective::{Collective, LinkSpeed};
pub(crate) use efficiency::memory as memory_efficiency;
pub use efficiency::{attention_share, matmul_share, AttentionKernel};
pub(crate) use efficiency::{
    APPLE_MPS_SHARE, CPU_ESTIMATED_SHARE, MAMF_UNLISTED_AMD, MAMF_UNLISTED_INTEL,
};
pub use hetero::{
    plan_hetero, DeviceShare, HeteroDevice, HeteroKind, HeteroLayout, HeteroPlan, HeteroRequest,
    Role,
};
pub(crate) use search::{compute_bytes, grad_and_state_bytes};
pub use search::{
    layout_time, search, Engine, MeshCandidate, MeshConstraints, MeshPlan, MeshRequest,
    ScalingPoint,
};
pub use serve::{plan_serving, ServeLayout, ServePlan, ServeRequest};
pub use time::{step_time, Axis, AxisTime, Chip, Fabric, Layout, StepTime, Work};
