//! Where a request's model comes from, and its resolution into a [`ModelSpec`].

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use serde::{Deserialize, Serialize};

use crate::error::{positive, Error, Result};
use crate::model::{self, ModelSpec};

/// Where the model description comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// A name from the built-in catalogue (case-insensitive, e.g. `llama-3-8b`).
    Catalogue(String),
    /// A Hugging Face `config.json`, as a JSON object or as the text of the file.
    HfConfig(
        #[cfg_attr(feature = "ts", tsify(type = "Record<string, unknown> | string"))]
        serde_json::Value,
    ),
    /// A full architecture description.
    Spec(alloc::boxed::Box<ModelSpec>),
}

impl ModelSource {
    /// The model this source names.
    ///
    /// # Errors
    /// `UnknownModel`, the import errors of [`model::from_hf_config`], `Json` for a string that is
    /// not JSON, or `InvalidField` for a spec whose sizes are out of range.
    pub fn resolve(&self) -> Result<ModelSpec> {
        self.resolved().map(Cow::into_owned)
    }

    /// As [`ModelSource::resolve`], borrowing a full description instead of copying it: the
    /// planner's candidates all name the model that way.
    pub(crate) fn resolved(&self) -> Result<Cow<'_, ModelSpec>> {
        match self {
            ModelSource::Catalogue(name) => model::find(name)
                .map(Cow::Owned)
                .map_err(|e| e.within("model.catalogue")),
            ModelSource::HfConfig(serde_json::Value::String(text)) => model::from_hf_config(text)
                .map(Cow::Owned)
                .map_err(|e| e.within("model.hf_config")),
            ModelSource::HfConfig(value) => model::hf::from_hf_value(value)
                .map(Cow::Owned)
                .map_err(|e| e.within("model.hf_config")),
            ModelSource::Spec(spec) => {
                check_spec(spec)?;
                Ok(Cow::Borrowed(spec.as_ref()))
            }
        }
    }
}

fn check_spec(s: &ModelSpec) -> Result<()> {
    for (field, v) in [
        ("model.spec.layers", s.layers),
        ("model.spec.hidden", s.hidden),
        ("model.spec.heads", s.heads),
        ("model.spec.kv_heads", s.kv_heads),
        ("model.spec.head_dim", s.head_dim),
        ("model.spec.vocab", s.vocab),
        ("model.spec.ffn.intermediate", s.ffn.intermediate),
        ("model.spec.max_positions", s.max_positions),
        ("model.spec.learned_positions", s.learned_positions),
    ] {
        if v > model::hf::MAX_DIM {
            return Err(Error::invalid(field, v, "at most 2^31"));
        }
    }
    let moe = s.moe.map_or([0; 5], |m| {
        [
            m.experts,
            m.active,
            m.expert_intermediate,
            m.shared_intermediate,
            m.dense_layers,
        ]
    });
    let mla = s.mla.map_or([0; 5], |m| {
        [
            m.q_lora_rank.unwrap_or(0),
            m.kv_lora_rank,
            m.qk_nope_head_dim,
            m.qk_rope_head_dim,
            m.v_head_dim,
        ]
    });
    if let Some(v) = moe
        .iter()
        .chain(mla.iter())
        .find(|&&v| v > model::hf::MAX_DIM)
    {
        return Err(Error::invalid(
            "model.spec.moe / model.spec.mla",
            v,
            "sizes of at most 2^31",
        ));
    }
    if let Some(m) = s.moe {
        if m.active > m.experts || m.experts == 0 {
            return Err(Error::invalid(
                "model.spec.moe.active",
                m.active,
                format!("between 1 and experts ({})", m.experts),
            ));
        }
    }
    for (field, p) in [
        ("model.spec.dropout.embedding", s.dropout.embedding),
        ("model.spec.dropout.attention", s.dropout.attention),
        ("model.spec.dropout.residual", s.dropout.residual),
    ] {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::invalid(field, p, "a probability in [0, 1)"));
        }
    }
    positive("model.spec.layers", s.layers)?;
    positive("model.spec.hidden", s.hidden)?;
    positive("model.spec.heads", s.heads)?;
    positive("model.spec.kv_heads", s.kv_heads)?;
    positive("model.spec.head_dim", s.head_dim)?;
    positive("model.spec.vocab", s.vocab)?;
    positive("model.spec.ffn.intermediate", s.ffn.intermediate)?;
    if s.heads % s.kv_heads != 0 {
        return Err(Error::invalid(
            "model.spec.kv_heads",
            s.kv_heads,
            format!("a divisor of heads ({})", s.heads),
        ));
    }
    Ok(())
}
