//! The hardware probe behind `trainfit probe`: every reader of this machine, the benchmarks, and
//! the assembly of their results into the core's [`HardwareProfile`].
//!
//! Readers take what they read from as a parameter (a [`root::Root`] file tree, an
//! [`nvidia::NvmlSource`]), so the tests run them on trees and NVML values recorded from real
//! machines. A reader that fails records why in the profile's `errors` and the probe goes on;
//! the functions that can fail outright (the benchmarks, the network test) return an [`Error`].
//!
//! [`HardwareProfile`]: trainfit_core::hardware::HardwareProfile

pub mod apple;
pub mod bench;
pub mod collect;
mod error;
pub mod gpu;
pub mod linux;
pub mod nvidia;
pub mod portable;
pub mod redact;
pub mod root;
pub mod watch;

pub use error::Error;
