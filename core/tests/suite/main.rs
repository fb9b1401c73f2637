//! The core's integration tests, one module per subject, linked into one binary: each test
//! binary of its own compiled the core's generic code again at the tests' optimisation level
//! (cargo's `--timings`: 305 s of compile units for 17 binaries, 54 s for this one). Run one
//! subject with `cargo test -p trainfit-core --test suite golden::` (its module's tests).

mod accuracy;
mod adjust;
mod cluster;
mod cluster_plan;
mod errors;
mod export;
mod golden;
mod hardware;
mod hetero;
mod memory_reference;
mod mesh;
mod models;
mod plan;
mod plan_data;
mod plan_properties;
mod properties;
mod single_step;
