//! A hardware profile as text: the summary `trainfit probe` prints, and a network test's result.

use std::fmt::Write as _;

use trainfit_core::hardware::{
    Accelerator, AcceleratorKind, HardwareProfile, NetworkBenchmark, NetworkKind, Source, Value,
};

use super::units::gib;

/// A `trainfit net test` result: throughput both ways and the round trip.
pub fn network(result: &NetworkBenchmark) -> String {
    let f = |v: Option<Value<f64>>, unit: &str| {
        v.map_or("unknown".to_string(), |v| format!("{:.2} {unit}", v.value))
    };
    format!(
        "{}\n  send     {}\n  receive  {}\n  latency  {}\n",
        result.peer,
        f(result.send_gbps, "Gbit/s"),
        f(result.receive_gbps, "Gbit/s"),
        f(result.latency_us, "us round trip"),
    )
}

fn gib_value(v: Option<Value<u64>>) -> String {
    v.map_or("unknown".into(), |v| {
        format!("{:.1} GiB{}", gib(v.value), mark(v.source))
    })
}

fn num<T: std::fmt::Display>(v: Option<Value<T>>, unit: &str) -> String {
    v.map_or("unknown".into(), |v| {
        format!("{}{unit}{}", v.value, mark(v.source))
    })
}

fn float(v: Option<Value<f64>>, digits: usize, unit: &str) -> String {
    v.map_or("unknown".into(), |v| {
        format!("{:.digits$}{unit}{}", v.value, mark(v.source))
    })
}

/// Values that were not read from this machine carry their source.
fn mark(source: Source) -> &'static str {
    match source {
        Source::Measured => "",
        Source::Catalogue => " (catalogue)",
        Source::Estimated => " (estimated)",
        Source::User => " (user)",
    }
}

/// The readable summary of a profile.
pub fn summary(p: &HardwareProfile) -> String {
    let mut o = String::new();
    let h = &p.host;
    let _ = writeln!(
        o,
        "host      {} {} ({}){}{}",
        p.hostname.as_deref().unwrap_or("(hostname withheld)"),
        h.os_name
            .as_deref()
            .or(h.os.map(|os| os.as_str()))
            .unwrap_or("unknown OS"),
        h.arch.as_deref().unwrap_or("?"),
        h.container.map_or(String::new(), |c| format!(", in {c}")),
        h.virtualization
            .map_or(String::new(), |v| format!(", virtual machine ({v})")),
    );
    if let Some(id) = &p.device_id {
        let _ = writeln!(o, "device id {id}");
    }
    let c = &p.cpu;
    let _ = writeln!(
        o,
        "cpu       {}: {} cores, {} threads{}{}",
        c.brand.as_deref().unwrap_or("unknown"),
        num(c.physical_cores, ""),
        num(c.logical_cores, ""),
        match (c.performance_cores, c.efficiency_cores) {
            (Some(p), Some(e)) => format!(" ({} performance + {} efficiency)", p.value, e.value),
            _ => String::new(),
        },
        c.available_parallelism
            .filter(|a| Some(a.value) != c.logical_cores.map(|l| l.value))
            .map_or(String::new(), |a| format!(", {} usable here", a.value)),
    );
    if !c.flags.is_empty() {
        let flags: Vec<&str> = c.flags.iter().map(|f| f.as_str()).collect();
        let _ = writeln!(o, "          {}", flags.join(" "));
    }
    let m = &p.memory;
    let _ = writeln!(
        o,
        "memory    {} total, {} available{}{}",
        gib_value(m.total_bytes),
        gib_value(m.available_bytes),
        m.cgroup_limit_bytes.map_or(String::new(), |l| format!(
            ", container limit {}",
            gib_value(Some(l))
        )),
        if m.unified == Some(true) {
            ", unified with the GPU"
        } else {
            ""
        },
    );
    let _ = writeln!(
        o,
        "          swap {} ({} used), /dev/shm {}",
        gib_value(m.swap_total_bytes),
        gib_value(m.swap_used_bytes),
        gib_value(m.shm_bytes)
    );
    if p.accelerators.is_empty() {
        let _ = writeln!(o, "gpu       none found");
    }
    for a in &p.accelerators {
        accelerator(&mut o, a);
    }
    for s in p.storage.iter().filter(|s| s.mount_point != "/dev/shm") {
        let _ = writeln!(
            o,
            "storage   {} {} ({}), {} free of {}",
            s.mount_point,
            s.kind.map_or("unknown", |k| k.as_str()),
            s.device.as_deref().unwrap_or("?"),
            gib_value(s.available_bytes),
            gib_value(s.total_bytes)
        );
    }
    let pw = &p.power;
    if pw.has_battery == Some(true) {
        let _ = writeln!(
            o,
            "power     battery {}, {}{}",
            float(pw.battery_percent, 0, "%"),
            pw.battery_status.map_or("unknown", |s| s.as_str()),
            if pw.on_battery == Some(true) {
                ", running on battery"
            } else {
                ", on mains"
            }
        );
    }
    for n in p
        .network
        .iter()
        .filter(|n| !matches!(n.kind, Some(NetworkKind::Loopback | NetworkKind::Virtual)))
    {
        let _ = writeln!(
            o,
            "network   {} {} {}, {}",
            n.name,
            n.kind.map_or("?", |k| k.as_str()),
            if n.up == Some(true) { "up" } else { "down" },
            n.speed_mbps
                .map_or("speed unknown".into(), |s| format!("{} Mbit/s", s.value))
        );
    }
    let b = &p.benchmarks;
    if let Some(bw) = b.memory_bandwidth_gbs {
        let _ = writeln!(o, "bench     memory bandwidth {:.1} GB/s (triad)", bw.value);
    }
    if let Some(g) = b.cpu_matmul_gflops {
        let _ = writeln!(o, "bench     CPU fp32 matmul {:.1} GFLOP/s", g.value);
    }
    for g in &b.gpu_matmul {
        let _ = writeln!(
            o,
            "bench     {} fp32 matmul {:.2} TFLOP/s (n = {})",
            g.adapter, g.tflops.value, g.n
        );
    }
    for s in &b.storage {
        let _ = writeln!(
            o,
            "bench     storage in {}: write {}, read {}{}",
            s.path,
            float(s.write_mbs, 0, " MB/s"),
            float(s.read_mbs, 0, " MB/s"),
            if s.direct_io == Some(false) {
                " (page cache not bypassed)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        o,
        "summary   {}: {} for a model (80 % of usable memory)",
        p.model.as_deref().unwrap_or("unknown"),
        p.max_recommended_model_size_gb
            .map_or("unknown".into(), |g| format!("{g:.1} GB"))
    );
    for e in &p.errors {
        let _ = writeln!(o, "note      {} ({}): {}", e.section, e.source, e.message);
    }
    if !p.redactions.is_empty() {
        let _ = writeln!(o, "withheld  {}", p.redactions.join(", "));
    }
    o
}

fn accelerator(o: &mut String, a: &Accelerator) {
    if a.kind == AcceleratorKind::Cpu {
        let _ = writeln!(
            o,
            "gpu       {} (software renderer on the CPU, not a GPU)",
            a.name
        );
        return;
    }
    let _ = writeln!(
        o,
        "gpu       {}{}: {} ({})",
        a.name,
        a.pci_bus_id
            .as_deref()
            .map_or(String::new(), |b| format!(" [{b}]")),
        gib_value(a.memory_total_bytes),
        a.memory_source.map_or("source unknown", |s| s.as_str()),
    );
    let mut line = String::new();
    if let Some(arch) = &a.architecture {
        let _ = write!(line, "{arch}");
    }
    if let Some(cc) = &a.compute_capability {
        let _ = write!(line, " (compute {cc})");
    }
    if a.peak_tflops.bf16.is_some() {
        let _ = write!(line, ", bf16 {} TFLOP/s", float(a.peak_tflops.bf16, 1, ""));
    } else if a.peak_tflops.fp32.is_some() {
        let _ = write!(line, ", fp32 {} TFLOP/s", float(a.peak_tflops.fp32, 1, ""));
    }
    if a.memory_bandwidth_gbs.is_some() {
        let _ = write!(line, ", {}", float(a.memory_bandwidth_gbs, 0, " GB/s"));
    }
    if a.power_limit_w.is_some() || a.tdp_w.is_some() {
        let _ = write!(
            line,
            ", power {}",
            float(a.power_limit_w.or(a.tdp_w), 0, " W")
        );
    }
    if !line.is_empty() {
        let _ = writeln!(o, "          {}", line.trim_start_matches(", "));
    }
    if !a.throttle_reasons.is_empty() {
        let reasons: Vec<&str> = a.throttle_reasons.iter().map(|r| r.as_str()).collect();
        let _ = writeln!(o, "          throttled: {}", reasons.join(", "));
    }
}
