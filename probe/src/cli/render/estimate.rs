//! An estimate as a table: the two peaks, every term with its exact bytes and share, the tensor
//! peak of each phase, the fit and the warnings.

use std::fmt::Write;

use trainfit_core::math::GIB;
use trainfit_core::Estimate;

use super::units::{count, gib};

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
    let _ = writeln!(o, "phase      {}", e.peak_phase);
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
            t.term.as_str(),
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
            p.phase.as_str(),
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
            f.headroom_bytes as f64 / GIB as f64
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
