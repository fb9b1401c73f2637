//! trainfit-core computes, for a language model and a training or serving setup, the peak memory
//! of each device term by term, from the model's architecture and the exact recipe.
//!
//! ```
//! use trainfit_core::{estimate, EstimateRequest};
//!
//! // GPT-2 (124M) from its Hugging Face config, fully fine-tuned in fp32 with AdamW.
//! let request: EstimateRequest = serde_json::from_str(
//!     r#"{"model": {"hf_config": {"model_type": "gpt2", "n_embd": 768, "n_layer": 12,
//!                                  "n_head": 12, "n_positions": 1024, "vocab_size": 50257}},
//!         "task": "finetune", "precision": "fp32", "micro_batch": 4, "sequence": 1024}"#,
//! ).unwrap();
//! let e = estimate(&request).unwrap();
//! assert_eq!(e.parameters.total, 124_439_808);
//! // Weights, gradients and two AdamW states in fp32 are 16 bytes per parameter; activations come on top.
//! assert!(e.peak_allocated_bytes > 124_439_808 * 16);
//! ```
//!
//! It does no I/O and reads no clock: inputs are values, outputs are data, so the native binary
//! and the WebAssembly build give bit-identical numbers. It does not measure hardware; the probe does.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod adjust;
pub mod cluster;
pub mod document;
pub mod error;
pub mod estimate;
pub mod export;
pub mod hardware;
pub mod math;
pub mod memory;
pub mod mesh;
pub mod model;
pub mod plan;
pub mod request;
mod text;
pub mod warning;
mod wire;

pub use cluster::{parse_cluster, Cluster, ResolvedCluster, CLUSTER_SCHEMA_VERSION};
pub use error::{Error, Result};
pub use estimate::{Estimate, Fit, ModelStates, Phase, PhasePeak, Term, TermKind};
pub use memory::estimate;
pub use model::{ModelSpec, Parameters};
pub use request::{EstimateRequest, SCHEMA_VERSION};
pub use warning::{Warning, WarningCode};
