//! Plain-text tables for the terminal.

use std::fmt::Write;

use trainfit_core::{Estimate, ModelSpec, Parameters};

fn gib(bytes: u64) -> f64 {
    bytes as f64 / 1_073_741_824.0
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Thousands separators for counts.
fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
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
pub fn models(rows: &[(&str, &str, Option<u64>)]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{:<24} {:<44} {:>18}", "id", "repository", "parameters");
    for (id, repo, total) in rows {
        let t = total.map(count).unwrap_or_else(|| String::from("-"));
        let _ = writeln!(o, "{id:<24} {repo:<44} {t:>18}");
    }
    o
}

/// An estimate as a table.
pub fn estimate(e: &Estimate) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}: {} parameters, {} trainable",
        e.model,
        count(e.parameters.total),
        count(e.parameters.trainable)
    );
    let _ = writeln!(
        o,
        "peak {:.2} GiB ({} B) in {}; tensors alone {:.2} GiB ({} B)",
        gib(e.peak_bytes),
        e.peak_bytes,
        json_name(&e.peak_phase),
        gib(e.peak_allocated_bytes),
        e.peak_allocated_bytes
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "{:<26} {:>10} {:>7}  detail", "term", "GiB", "share");
    for t in &e.breakdown {
        let share = if e.peak_bytes > 0 {
            t.bytes as f64 * 100.0 / e.peak_bytes as f64
        } else {
            0.0
        };
        let _ = writeln!(
            o,
            "{:<26} {:>10.3} {:>6.1}%  {}",
            json_name(&t.term),
            gib(t.bytes),
            share,
            t.detail
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "tensor peaks by phase:");
    for p in &e.phases {
        let _ = writeln!(
            o,
            "  {:<16} {:>10.3} GiB",
            json_name(&p.phase),
            gib(p.allocated_bytes)
        );
    }
    if e.host_bytes > 0 {
        let _ = writeln!(
            o,
            "host memory for offloaded states: {:.2} GiB",
            gib(e.host_bytes)
        );
    }
    if let Some(f) = e.fit {
        let verdict = if f.fits { "fits" } else { "does not fit" };
        if f.os_reserve_bytes > 0 {
            let _ = writeln!(
                o,
                "operating system reserve on unified memory: {:.2} GiB",
                gib(f.os_reserve_bytes)
            );
        }
        let _ = writeln!(
            o,
            "device {:.2} GiB, usable {:.2} GiB: {verdict} (headroom {:.2} GiB)",
            gib(f.device_bytes),
            gib(f.usable_bytes),
            f.headroom_bytes as f64 / 1_073_741_824.0
        );
    }
    for w in &e.warnings {
        let _ = writeln!(o, "warning [{}]: {}", w.code, w.message);
    }
    o
}
