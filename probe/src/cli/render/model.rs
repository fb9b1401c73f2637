//! A model's shape and parameter counts, and the catalogue listing.

use std::fmt::Write;

use trainfit_core::model::CatalogueModel;
use trainfit_core::{ModelSpec, Parameters};

use super::units::count;

/// A model's shape and parameter counts.
pub fn model(spec: &ModelSpec, p: &Parameters) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} ({})", spec.name, spec.family);
    let _ = writeln!(
        o,
        "  layers {}  hidden {}  heads {} (kv {})  head_dim {}",
        spec.layers, spec.hidden, spec.heads, spec.kv_heads, spec.head_dim
    );
    let _ = writeln!(
        o,
        "  ffn {} x {} ({}{})  vocab {}  context {}",
        spec.ffn.activation,
        spec.ffn.intermediate,
        if spec.ffn.gated { "gated" } else { "plain" },
        if spec.tied_embeddings {
            ", tied embeddings"
        } else {
            ""
        },
        spec.vocab,
        spec.max_positions
    );
    if let Some(m) = spec.moe {
        let _ = writeln!(
            o,
            "  experts {} (top {}, shared {}) of width {}",
            m.experts, m.active, m.shared_experts, m.expert_intermediate
        );
    }
    let _ = writeln!(o, "parameters");
    for (label, n) in [
        ("total", p.total),
        ("embedding", p.embedding),
        ("non-embedding", p.non_embedding),
        ("trainable", p.trainable),
        ("active", p.active),
    ] {
        let _ = writeln!(o, "  {label:<14} {:>18}", count(n));
    }
    o
}

/// The catalogue listing.
pub fn catalogue(rows: &[CatalogueModel]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{:<24} {:<44} {:>18}", "id", "repository", "parameters");
    for r in rows {
        let total = count(r.parameters);
        let _ = writeln!(o, "{:<24} {:<44} {total:>18}", r.id, r.repo);
    }
    o
}
