//! Plain-text tables for the terminal: ASCII only, no colour.

use std::fmt::Write;

use trainfit_core::{Estimate, ModelSpec, Parameters};

use crate::models::Row;

/// Bytes per GiB.
pub(crate) const GIB: f64 = 1_073_741_824.0;

fn gib(bytes: u64) -> f64 {
    bytes as f64 / GIB
}

/// The JSON name of a unit enum variant (`optimizer_step`), as the JSON output spells it.
pub(crate) fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Thousands separators for counts and bytes.
pub(crate) fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A model's shape and parameter counts.
pub fn model(spec: &ModelSpec, p: &Parameters) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} ({})", spec.name, json_name(&spec.family));
    let _ = writeln!(
        o,
        "  layers {}  hidden {}  heads {} (kv {})  head_dim {}",
        spec.layers, spec.hidden, spec.heads, spec.kv_heads, spec.head_dim
    );
    let _ = writeln!(
        o,
        "  ffn {} x {} ({}{})  vocab {}  context {}",
        json_name(&spec.ffn.activation),
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
pub fn models(rows: &[Row]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{:<24} {:<44} {:>18}", "id", "repository", "parameters");
    for r in rows {
        let total = r.parameters.map(count).unwrap_or_else(|| String::from("-"));
        let _ = writeln!(o, "{:<24} {:<44} {total:>18}", r.id, r.repo);
    }
    o
}

/// An estimate as a table: the two peaks, every term at the peak with its share of `peak_bytes`,
/// the tensor peak of each phase, the fit and the warnings.
pub fn estimate(e: &Estimate) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "model      {}", e.model);
    let _ = writeln!(
        o,
        "parameters {} total, {} trainable",
        count(e.parameters.total),
        count(e.parameters.trainable)
    );
    let _ = writeln!(o, "phase      {}", json_name(&e.peak_phase));
    let _ = writeln!(o);
    for (label, bytes) in [
        ("peak allocated (tensors)", e.peak_allocated_bytes),
        ("peak with overheads", e.peak_bytes),
    ] {
        let _ = writeln!(
            o,
            "{label:<26} {:>9.2} GiB {:>22} B",
            gib(bytes),
            count(bytes)
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<26} {:>22} {:>9} {:>7}  detail",
        "term", "bytes", "GiB", "share"
    );
    for t in &e.breakdown {
        let share = if e.peak_bytes > 0 {
            t.bytes as f64 * 100.0 / e.peak_bytes as f64
        } else {
            0.0
        };
        let _ = writeln!(
            o,
            "{:<26} {:>22} {:>9.3} {:>6.1}%  {}",
            json_name(&t.term),
            count(t.bytes),
            gib(t.bytes),
            share,
            t.detail
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "tensor peak by phase");
    for p in &e.phases {
        let _ = writeln!(
            o,
            "  {:<24} {:>22} {:>9.3} GiB",
            json_name(&p.phase),
            count(p.allocated_bytes),
            gib(p.allocated_bytes)
        );
    }
    if e.host_bytes > 0 {
        let _ = writeln!(
            o,
            "host memory for offloaded states: {:.2} GiB ({} B)",
            gib(e.host_bytes),
            count(e.host_bytes)
        );
    }
    if let Some(f) = e.fit {
        let _ = writeln!(o);
        if f.os_reserve_bytes > 0 {
            let _ = writeln!(
                o,
                "operating system reserve on unified memory: {:.2} GiB",
                gib(f.os_reserve_bytes)
            );
        }
        let verdict = if f.fits { "fits" } else { "does not fit" };
        let _ = writeln!(
            o,
            "device {:.2} GiB, usable {:.2} GiB: {verdict} (headroom {:.2} GiB)",
            gib(f.device_bytes),
            gib(f.usable_bytes),
            f.headroom_bytes as f64 / GIB
        );
    }
    if !e.warnings.is_empty() {
        let _ = writeln!(o);
    }
    for w in &e.warnings {
        let _ = writeln!(o, "warning [{}]: {}", w.code, w.message);
    }
    o
}
