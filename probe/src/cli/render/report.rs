//! The plan report: the device and its capability score, the configurations side by side, each
//! one's memory at the peak and fallback ladder, then the warnings and suggestions.
//!
//! ASCII only; colour (ANSI escapes) only when [`Style::detect`] allows it.

use std::collections::BTreeMap;
use std::fmt::Write;

use trainfit_core::hardware::HardwareProfile;
use trainfit_core::plan::{Configuration, Device, FallbackAction, GoalTask, Plan};
use trainfit_core::request::{Offload, Sharding};
use trainfit_core::{Estimate, Warning};

use super::profile::summary;
use super::style::{ascii, wrap, wrap_under, Style};
use super::units::{count, duration, gb, gib, plural, seconds, si};

/// Width that long sentences (warnings, descriptions) are wrapped to: the classic 100-column
/// terminal less nothing, since every wrapped line carries its own indent.
const WRAP: usize = 100;

/// Memory terms listed per configuration before the rest are summed as "other".
const TOP_TERMS: usize = 6;

/// Longest abbreviation of the efficiency source.
const SOURCE_CHARS: usize = 60;

/// The analysis of this machine: the profile summary, then the report of its plan.
pub fn analysis(profile: &HardwareProfile, plan: &Plan, style: Style) -> String {
    format!(
        "{}\n{}\n{}",
        style.heading("This machine"),
        ascii(&summary(profile)),
        report(plan, style)
    )
}

/// The whole report of a plan.
pub fn report(plan: &Plan, style: Style) -> String {
    let mut o = String::new();
    device(&mut o, plan, style);
    cluster(&mut o, plan, style);
    hetero(&mut o, plan, style);
    if !plan.configurations.is_empty() {
        configurations(&mut o, &plan.configurations, style);
    }
    for c in &plan.configurations {
        mesh(&mut o, c, style);
        memory(&mut o, c, style);
    }
    machine_notes(&mut o, plan, style);
    mode_warnings(&mut o, &plan.configurations, style);
    ascii(&o)
}

// ---------------------------------------------------------------------------------------------
// The device and the score.

fn device(o: &mut String, plan: &Plan, style: Style) {
    let d = &plan.device;
    let _ = writeln!(o, "{}", style.heading("Device"));
    let mut line = |label: &str, text: String| {
        o.push_str(&wrap(&format!("  {label:<11}"), &text, WRAP));
    };
    line(
        "device",
        format!(
            "{} x {}, {:.1} GiB usable each{}",
            d.name,
            d.count,
            gib(d.usable_bytes),
            if d.unified_memory {
                " (shared with the CPU)"
            } else {
                ""
            }
        ),
    );
    line(
        "precision",
        format!("{} ({})", d.precision.as_str(), d.precision_reason),
    );
    line(
        "attention",
        format!(
            "{}{}",
            d.attention.as_str(),
            if d.flash_attention {
                " (FlashAttention available)"
            } else {
                ""
            }
        ),
    );
    line(
        "speed",
        if plan.cluster.is_some() {
            format!(
                "{}; step times on the cluster come from the time model (Mesh below)",
                d.peak_tflops.map_or("peak unknown".into(), |p| format!(
                    "{p:.1} TFLOP/s peak per device"
                ))
            )
        } else {
            speed(d)
        },
    );
    if let Some(t) = d.threads {
        line(
            "threads",
            format!("{t} (torch.set_num_threads: one per physical core)"),
        );
    }
    if let Some(bw) = d.memory_bandwidth_gbs {
        line("memory bw", format!("{bw:.0} GB/s per device"));
    }
    if d.count > 1 {
        line(
            "link",
            format!(
                "{} between devices ({})",
                d.link_gbs
                    .map_or("unknown bandwidth".into(), |l| format!("{l:.0} GB/s")),
                d.collective.as_deref().unwrap_or("no collective backend")
            ),
        );
    }
    line(
        "score",
        format!("{:.1} / 10 = {}", plan.score.value, plan.score.formula),
    );
    let _ = writeln!(o);
}

/// The peak, and what prices the steps: the time model where the memory bandwidth is known,
/// else the sustained throughput of the class efficiency, with its source abbreviated.
fn speed(d: &Device) -> String {
    let source = abbreviate(&d.efficiency_source);
    match (d.achievable_flops(), d.peak_tflops) {
        // The time model prices each configuration; the class efficiency only sizes.
        (Some(_), Some(peak)) if d.memory_bandwidth_gbs.is_some() => format!(
            "{} x {peak:.1} TFLOP/s peak; step times from the time model (docs/time-model.md); \
             {:.0} % of peak sizes pretraining models and the score ({source})",
            d.count,
            d.efficiency * 100.0
        ),
        (Some(f), Some(peak)) => format!(
            "{:.1} TFLOP/s sustained = {} x {peak:.1} TFLOP/s peak x {:.0} % efficiency ({source})",
            f / 1e12,
            d.count,
            d.efficiency * 100.0
        ),
        _ => format!(
            "unknown: the peak TFLOP/s of {} is not known (run `trainfit --benchmark`); efficiency {:.0} % ({source})",
            d.name,
            d.efficiency * 100.0
        ),
    }
}

/// The first clause of a source note (up to `:` or `;`), at most [`SOURCE_CHARS`] characters.
fn abbreviate(source: &str) -> String {
    let first = source.split([':', ';']).next().unwrap_or(source).trim();
    if first.chars().count() <= SOURCE_CHARS {
        first.to_string()
    } else {
        let cut: String = first.chars().take(SOURCE_CHARS - 3).collect();
        format!("{}...", cut.trim_end())
    }
}

// ---------------------------------------------------------------------------------------------
// The configurations table.

/// One row of the table: a label and one cell per configuration.
type Row = (&'static str, Vec<String>);

fn configurations(o: &mut String, configs: &[Configuration], style: Style) {
    let task = configs.first().map_or(GoalTask::Pretrain, |c| c.task);
    let _ = writeln!(
        o,
        "{}",
        style.heading(&format!("Configurations ({})", task.as_str()))
    );
    let rows: Vec<Row> = rows(configs)
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| c != "-"))
        .collect();
    let label_width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..configs.len())
        .map(|i| {
            rows.iter()
                .map(|(_, cells)| cells[i].len())
                .chain([configs[i].mode.as_str().len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut header = format!("  {:<label_width$}", "");
    for (c, w) in configs.iter().zip(&widths) {
        header.push_str(&format!("  {:<w$}", c.mode.as_str()));
    }
    let _ = writeln!(o, "{}", style.heading(header.trim_end()));
    for (label, cells) in &rows {
        let mut line = format!("  {label:<label_width$}");
        for (cell, w) in cells.iter().zip(&widths) {
            // Colour the word only, so the padding stays outside the escapes.
            line.push_str("  ");
            line.push_str(&match (*label, cell.as_str()) {
                ("fits", "yes") => style.good(cell),
                ("fits", _) => style.bad(cell),
                _ => cell.clone(),
            });
            line.push_str(&" ".repeat(w.saturating_sub(cell.len())));
        }
        let _ = writeln!(o, "{}", line.trim_end());
    }
    let _ = writeln!(o);
}

/// Every row, `-` where a value does not apply; rows that apply to no configuration are dropped
/// by the caller.
fn rows(configs: &[Configuration]) -> Vec<Row> {
    let cell = |f: &dyn Fn(&Configuration) -> String| configs.iter().map(f).collect::<Vec<_>>();
    let train = |c: &Configuration| c.task != GoalTask::Serve;
    vec![
        ("model", cell(&|c| c.model.name.clone())),
        ("parameters", cell(&parameters)),
        (
            "tokenizer",
            cell(&|c| {
                c.model.tokenizer.as_ref().map_or("-".into(), |t| {
                    format!("{} ({} tokens)", t.name, count(t.vocab))
                })
            }),
        ),
        ("fits", cell(&|c| if c.fits { "yes" } else { "NO" }.into())),
        (
            "memory peak / target",
            cell(&|c| {
                format!(
                    "{:.2} / {:.2} GiB",
                    gib(c.memory.peak_bytes),
                    gib(c.memory_target_bytes)
                )
            }),
        ),
        ("micro x accum = global", cell(&batch)),
        ("sequence", cell(&|c| format!("{} tokens", c.sequence))),
        ("precision", cell(&|c| c.precision.to_string())),
        (
            "checkpointing",
            cell(&|c| {
                if train(c) {
                    c.checkpointing.to_string()
                } else {
                    "-".into()
                }
            }),
        ),
        (
            "optimizer",
            cell(&|c| c.optimizer.map_or("-".into(), |opt| opt.to_string())),
        ),
        (
            "lora rank",
            cell(&|c| c.lora_rank.map_or("-".into(), |r| r.to_string())),
        ),
        (
            "mesh",
            cell(&|c| {
                c.mesh.as_ref().map_or("-".into(), |m| {
                    let l = &m.candidates[0].layout;
                    layout(l)
                })
            }),
        ),
        (
            "sharding",
            cell(&|c| match &c.mesh {
                Some(m) => format!(
                    "{} over {} replicas",
                    c.sharding.as_str(),
                    m.candidates[0].layout.data
                ),
                None => sharding(c.sharding, c.devices),
            }),
        ),
        ("offload", cell(&|c| offload(c.offload))),
        (
            "tokens",
            cell(&|c| {
                if train(c) {
                    si(c.time.tokens as f64)
                } else {
                    "-".into()
                }
            }),
        ),
        (
            "steps",
            cell(&|c| {
                if train(c) {
                    count(c.time.steps)
                } else {
                    "-".into()
                }
            }),
        ),
        (
            "step time",
            cell(&|c| {
                if train(c) {
                    c.time.step_s.map_or("unknown".into(), seconds)
                } else {
                    "-".into()
                }
            }),
        ),
        (
            "tokens/s",
            cell(&|c| {
                if train(c) {
                    c.time
                        .tokens_per_s
                        .map_or("unknown".into(), |r| count(r.round() as u64))
                } else {
                    "-".into()
                }
            }),
        ),
        (
            "MFU / HFU",
            cell(&|c| match (c.time.mfu, c.time.hfu) {
                (Some(m), Some(h)) if train(c) => {
                    format!("{:.0} % / {:.0} %", m * 100.0, h * 100.0)
                }
                _ if train(c) => "unknown".into(),
                _ => "-".into(),
            }),
        ),
        (
            "step: compute/comm/rest",
            cell(&|c| match &c.time.breakdown {
                Some(b) if train(c) => {
                    let comm: f64 = b
                        .communication
                        .iter()
                        .map(|a| a.exposed_s)
                        .fold(0.0, |s, x| s + x);
                    let compute = b.compute_s + b.recompute_s;
                    let share = |t: f64| t / b.step_s * 100.0;
                    format!(
                        "{:.0} % / {:.0} % / {:.0} %",
                        share(compute),
                        share(comm),
                        share(b.step_s - compute - comm)
                    )
                }
                _ => "-".into(),
            }),
        ),
        (
            "time / budget",
            cell(&|c| {
                if train(c) {
                    format!(
                        "{} / {}{}",
                        c.time.total_s.map_or("unknown".into(), duration),
                        duration(c.time.budget_s),
                        if c.time.over_budget.is_some() {
                            " OVER"
                        } else {
                            ""
                        }
                    )
                } else {
                    "-".into()
                }
            }),
        ),
        ("power draw / cap", cell(&power)),
        (
            "energy",
            cell(&|c| {
                c.power.energy_kwh.map_or(
                    if train(c) {
                        "unknown".into()
                    } else {
                        "-".into()
                    },
                    |e| format!("{e:.2} kWh"),
                )
            }),
        ),
        (
            "dataset / checkpoint",
            cell(&|c| {
                if train(c) {
                    format!(
                        "{} / {}",
                        gb(c.scale.dataset_bytes),
                        gb(c.scale.checkpoint_bytes)
                    )
                } else {
                    "-".into()
                }
            }),
        ),
        ("data first pass", cell(&first_pass)),
        (
            "stream / train tokens/s",
            cell(&|c| match &c.data {
                Some(d) => match (d.stream_tokens_per_s, c.time.tokens_per_s) {
                    (Some(s), Some(t)) => format!(
                        "{} / {}{}",
                        si(s),
                        si(t),
                        if s < t { " (data-bound)" } else { "" }
                    ),
                    _ => "unknown".into(),
                },
                None => "-".into(),
            }),
        ),
        (
            "cache / temp disk",
            cell(&|c| {
                c.data.as_ref().map_or("-".into(), |d| {
                    let free = d
                        .disk_free_bytes
                        .map_or(String::new(), |f| format!(" of {} free", gb(f)));
                    format!("{} / {}{free}", d.cache, gb(d.temporary_bytes))
                })
            }),
        ),
        (
            "system / PSU",
            cell(&|c| {
                c.power.system.as_ref().map_or("-".into(), |s| {
                    format!(
                        "{:.0} W / {:.0} W ({:.0} %, safe {:.0} %)",
                        s.total_w,
                        s.psu_w,
                        s.load_share * 100.0,
                        s.safe_share * 100.0
                    )
                })
            }),
        ),
        (
            "save every",
            cell(&|c| {
                c.training
                    .as_ref()
                    .map_or("-".into(), |t| plural(t.save_steps, "step"))
            }),
        ),
        (
            "learning rate",
            cell(&|c| {
                c.training.as_ref().map_or("-".into(), |t| {
                    format!(
                        "{:.1e} {}, warm-up {}",
                        t.learning_rate,
                        t.schedule,
                        count(t.warmup_steps)
                    )
                })
            }),
        ),
        (
            "phase B tokens",
            cell(&|c| {
                c.phase_b.as_ref().map_or("-".into(), |b| {
                    format!("{} ({:.0} %)", si(b.time.tokens as f64), b.share * 100.0)
                })
            }),
        ),
        (
            "phase B micro x accum",
            cell(&|c| {
                c.phase_b.as_ref().map_or("-".into(), |b| {
                    format!(
                        "{} x {} = {}",
                        b.micro_batch, b.gradient_accumulation, b.global_batch
                    )
                })
            }),
        ),
        (
            "phase B sequence",
            cell(&|c| {
                c.phase_b
                    .as_ref()
                    .map_or("-".into(), |b| format!("{} tokens", b.sequence))
            }),
        ),
        (
            "phase B peak / target",
            cell(&|c| {
                c.phase_b.as_ref().map_or("-".into(), |b| {
                    format!(
                        "{:.2} / {:.2} GiB{}",
                        gib(b.memory.peak_bytes),
                        gib(c.memory_target_bytes),
                        if b.fits { "" } else { " NO FIT" }
                    )
                })
            }),
        ),
        (
            "phase B step, time",
            cell(&|c| {
                c.phase_b.as_ref().map_or("-".into(), |b| {
                    format!(
                        "{}, {}",
                        b.time.step_s.map_or("unknown".into(), seconds),
                        b.time.total_s.map_or("unknown".into(), duration)
                    )
                })
            }),
        ),
        (
            "A + B / budget",
            cell(&|c| {
                c.phase_b.as_ref().map_or("-".into(), |b| {
                    format!(
                        "{} / {}{}",
                        b.total_s.map_or("unknown".into(), duration),
                        duration(b.time.budget_s),
                        if b.time.over_budget.is_some() {
                            " OVER"
                        } else {
                            ""
                        }
                    )
                })
            }),
        ),
        (
            "phase B learning rate",
            cell(&|c| {
                c.phase_b.as_ref().map_or("-".into(), |b| {
                    format!(
                        "{:.1e} {} decay, no warm-up",
                        b.training.learning_rate, b.training.schedule
                    )
                })
            }),
        ),
        (
            "concurrency",
            cell(&|c| {
                c.serve
                    .as_ref()
                    .map_or("-".into(), |s| plural(s.concurrency, "sequence"))
            }),
        ),
        (
            "KV cache / sequence",
            cell(&|c| {
                c.serve.as_ref().map_or("-".into(), |s| {
                    format!("{:.2} GiB", gib(s.kv_bytes_per_sequence))
                })
            }),
        ),
        (
            "decode tokens/s",
            cell(&|c| {
                c.serve.as_ref().map_or("-".into(), |s| {
                    s.decode_tokens_per_s
                        .map_or("unknown".into(), |r| count(r.round() as u64))
                })
            }),
        ),
    ]
}

/// Micro-batch x accumulation (x devices) = global batch, for training.
fn batch(c: &Configuration) -> String {
    if c.task == GoalTask::Serve {
        return "-".into();
    }
    // On a mesh the batch is split over the data-parallel replicas, not every device.
    let replicas = c
        .mesh
        .as_ref()
        .map_or(c.devices, |m| m.candidates[0].layout.data);
    let devices = match (c.mesh.is_some(), replicas) {
        (true, 1) => " x 1 replica".into(),
        (true, n) => format!(" x {n} replicas"),
        (false, 1) => String::new(),
        (false, n) => format!(" x {n} devices"),
    };
    format!(
        "{} x {}{devices} = {}",
        c.micro_batch, c.gradient_accumulation, c.global_batch
    )
}

/// All parameters, and the trained ones when only some are.
fn parameters(c: &Configuration) -> String {
    let m = &c.model;
    if m.trainable == m.parameters || m.trainable == 0 {
        si(m.parameters as f64)
    } else {
        format!(
            "{} ({} trainable)",
            si(m.parameters as f64),
            si(m.trainable as f64)
        )
    }
}

/// A layout in one cell: its axes above one, innermost first.
fn layout(l: &trainfit_core::mesh::Layout) -> String {
    l.axes()
}

// ---------------------------------------------------------------------------------------------
// The cluster and each configuration's mesh.

fn cluster(o: &mut String, plan: &Plan, style: Style) {
    let Some(c) = &plan.cluster else {
        return;
    };
    let _ = writeln!(o, "{}", style.heading("Cluster"));
    let mut line = |label: &str, text: String| {
        o.push_str(&wrap(&format!("  {label:<11}"), &text, WRAP));
    };
    line(
        "machines",
        format!(
            "{} x {} devices = {} devices",
            c.machines, c.devices_per_machine, c.devices
        ),
    );
    for (label, link) in [("within", &c.within), ("between", &c.between)] {
        if let Some(l) = link {
            line(
                label,
                format!(
                    "{} {:.1} GB/s per device, {:.0} us ({})",
                    l.class.as_str(),
                    l.bandwidth_gbs,
                    l.latency_us,
                    l.why
                ),
            );
        }
    }
    let _ = writeln!(o);
}

/// Machines of unequal devices: per mode, each layout with every device's role, share and memory.
fn hetero(o: &mut String, plan: &Plan, style: Style) {
    use trainfit_core::mesh::{HeteroKind, Role};
    for m in &plan.hetero {
        let _ = writeln!(
            o,
            "{}",
            style.heading(&format!("Unequal devices, {}", m.mode.as_str()))
        );
        let Some(p) = &m.plan else {
            o.push_str(&wrap(
                "  refused    ",
                m.refused.as_deref().unwrap_or("no layout fits"),
                WRAP,
            ));
            let _ = writeln!(o);
            continue;
        };
        for l in &p.layouts {
            let kind = match l.kind {
                HeteroKind::Pipeline => "pipeline",
                HeteroKind::Data => "data parallel",
            };
            o.push_str(&wrap(
                &format!("  {kind:<11}"),
                &format!(
                    "step {}, {} tokens/s, MFU {:.0} %; pace: {}",
                    seconds(l.step_s),
                    count(l.tokens_per_s.round() as u64),
                    100.0 * l.mfu,
                    l.pace
                ),
                WRAP,
            ));
            for d in &l.devices {
                let role = match d.role {
                    Role::Coordinator => "coordinator",
                    Role::Worker => "worker",
                    Role::GradientAccumulator => "gradient accumulator",
                };
                let share = match d.layers {
                    Some([a, b]) => format!("layers {a}-{}", b.saturating_sub(1)),
                    None => format!(
                        "{} sequences = {} x {}",
                        d.sequences, d.micro_batch, d.accumulation
                    ),
                };
                let _ = writeln!(
                    o,
                    "    rank {} {:<34} {:<20} {:<24} {:>7.2} / {:.2} GiB",
                    d.rank,
                    d.name,
                    role,
                    share,
                    gib(d.peak_bytes),
                    gib(d.usable_bytes)
                );
            }
            o.push_str(&wrap("    engine   ", &l.engine_note, WRAP));
        }
        for r in &p.refused {
            o.push_str(&wrap("  refused    ", r, WRAP));
        }
        let _ = writeln!(o);
    }
}

fn mesh(o: &mut String, c: &Configuration, style: Style) {
    if let Some(m) = &c.mesh {
        let _ = writeln!(
            o,
            "{}",
            style.heading(&format!(
                "Mesh, {}: {} layouts tried, {} over {:.1} GiB per device",
                c.mode.as_str(),
                m.considered,
                m.rejected_for_memory,
                gib(m.memory_limit_bytes)
            ))
        );
        o.push_str(&wrap("  binds      ", &m.binding, WRAP));
        let _ = writeln!(
            o,
            "  {:<44} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>6}",
            "layout", "peak GiB", "step", "compute", "comm", "bubble", "optim", "MFU"
        );
        for cand in &m.candidates {
            let t = &cand.time;
            let exposed: f64 = t
                .communication
                .iter()
                .map(|a| a.exposed_s)
                .fold(0.0, |s, x| s + x);
            let l = &cand.layout;
            let name = format!(
                "{} {} mb{} {}",
                layout(l),
                match l.sharding {
                    Sharding::None => "ddp",
                    s => s.as_str(),
                },
                l.micro_batch,
                cand.recompute.as_str()
            );
            let _ = writeln!(
                o,
                "  {:<44} {:>9.2} {:>9} {:>9} {:>8} {:>8} {:>8} {:>5.0} %",
                name,
                gib(cand.peak_bytes),
                seconds(t.step_s),
                seconds(t.compute_s + t.recompute_s),
                seconds(exposed),
                seconds(t.bubble_s),
                seconds(t.optimizer_s),
                100.0 * t.mfu
            );
        }
        if let Some(best) = m.candidates.first() {
            for a in &best.time.communication {
                o.push_str(&wrap(
                    &format!("  {:<11}", format!("{:?}", a.axis).to_lowercase()),
                    &format!(
                        "{} ranks{}, {}: {} on the link, {} exposed",
                        a.ranks,
                        if a.crosses_machines {
                            " across machines"
                        } else {
                            ""
                        },
                        a.what,
                        seconds(a.total_s),
                        seconds(a.exposed_s)
                    ),
                    WRAP,
                ));
            }
        }
        if m.scaling.len() > 1 {
            let points: Vec<String> = m
                .scaling
                .iter()
                .map(|p| {
                    format!(
                        "{} devices {} tok/s (MFU {:.0} %)",
                        p.devices,
                        count(p.tokens_per_s.round() as u64),
                        100.0 * p.mfu
                    )
                })
                .collect();
            o.push_str(&wrap("  scaling    ", &points.join("; "), WRAP));
        }
        for w in &m.warnings {
            o.push_str(&wrap("  warning    ", &w.message, WRAP));
        }
        let _ = writeln!(o);
    }
    if let Some(s) = &c.serving_layouts {
        let _ = writeln!(
            o,
            "{}",
            style.heading(&format!(
                "Serving layouts, {}: {} tokens of context",
                c.mode.as_str(),
                s.context
            ))
        );
        let _ = writeln!(
            o,
            "  {:<14} {:>8} {:>12} {:>12} {:>12} {:>12} {:>12}",
            "layout",
            "replicas",
            "weights GiB",
            "KV pool GiB",
            "sequences",
            "tok/s/seq",
            "tok/s total"
        );
        for l in &s.layouts {
            let _ = writeln!(
                o,
                "  {:<14} {:>8} {:>12.2} {:>12.2} {:>12} {:>12.1} {:>12}",
                format!("tp{} x pp{}", l.tensor, l.pipeline),
                l.replicas,
                gib(l.weights_bytes),
                gib(l.kv_pool_bytes),
                l.concurrency,
                l.tokens_per_s_per_sequence,
                count(l.tokens_per_s.round() as u64)
            );
        }
        let _ = writeln!(o);
    }
}

fn sharding(s: Sharding, devices: u64) -> String {
    match (s, devices) {
        (Sharding::None, 1) => "none (1 device)".into(),
        (Sharding::None, n) => format!("ddp over {n} devices"),
        (s, n) => format!("{} over {n} devices", s.as_str()),
    }
}

fn offload(o: Offload) -> String {
    match (o.optimizer, o.parameters) {
        (false, false) => "-".into(),
        (true, false) => "optimizer to host".into(),
        (false, true) => "parameters to host".into(),
        (true, true) => "optimizer and parameters to host".into(),
    }
}

/// Where the data lives, how much a run takes from it and how long one pass over it takes.
fn first_pass(c: &Configuration) -> String {
    let Some(d) = &c.data else {
        return "-".into();
    };
    let time = d
        .first_pass_s
        .map_or(String::new(), |t| format!(", {}", duration(t)));
    format!("{} {}{time}", d.location, gb(d.fetch_bytes))
}

fn power(c: &Configuration) -> String {
    let p = &c.power;
    match (p.draw_w, p.power_cap_w) {
        (Some(draw), Some(cap)) => format!("{draw:.0} W / {cap:.0} W per device"),
        (Some(draw), None) => format!("{draw:.0} W / no cap"),
        (None, _) => "unknown".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Memory at the peak and the fallback ladder, per configuration.

fn memory(o: &mut String, c: &Configuration, style: Style) {
    memory_of(o, c.mode.as_str(), &c.memory, c, &c.fallbacks, style);
    if let Some(b) = &c.phase_b {
        let label = format!("{} phase B", c.mode.as_str());
        memory_of(o, &label, &b.memory, c, &b.fallbacks, style);
    }
}

/// The memory at the peak of `e` and the ladder of `fallbacks`, under a heading naming `label`.
fn memory_of(
    o: &mut String,
    label: &str,
    e: &Estimate,
    c: &Configuration,
    fallbacks: &[trainfit_core::plan::Fallback],
    style: Style,
) {
    let _ = writeln!(
        o,
        "{}",
        style.heading(&format!(
            "Memory of one device, {}: {:.2} GiB at the peak ({}), target {:.2} GiB",
            label,
            gib(e.peak_bytes),
            e.peak_phase.as_str(),
            gib(c.memory_target_bytes)
        ))
    );
    for (name, bytes) in top_terms(e) {
        let share = if e.peak_bytes > 0 {
            bytes as f64 * 100.0 / e.peak_bytes as f64
        } else {
            0.0
        };
        let _ = writeln!(o, "  {name:<26}{:>9.2} GiB {share:>5.1} %", gib(bytes));
    }
    if e.host_bytes > 0 {
        let _ = writeln!(o, "  host memory besides: {:.2} GiB", gib(e.host_bytes));
    }
    if !fallbacks.is_empty() {
        // A mesh configuration's fallbacks are alternatives, a data-parallel one's a ladder.
        let alternatives = fallbacks
            .iter()
            .all(|f| f.action == FallbackAction::MeshLayout);
        let _ = writeln!(
            o,
            "{}",
            if alternatives {
                "  if it runs out of memory, take one of these layouts (least change first):"
            } else {
                "  if it runs out of memory, apply in order (peak after each step):"
            }
        );
        for (i, f) in fallbacks.iter().enumerate() {
            let head = format!(
                "    {}. {:<18} {:>6.2} GiB  ",
                i + 1,
                f.action,
                gib(f.peak_bytes)
            );
            o.push_str(&wrap_under(&head, &f.description, WRAP, 7));
        }
    }
    let _ = writeln!(o);
}

/// The breakdown summed by kind, largest first; past [`TOP_TERMS`] the rest as one "other" line.
fn top_terms(e: &Estimate) -> Vec<(String, u64)> {
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for t in &e.breakdown {
        *by_kind.entry(t.term.to_string()).or_default() += t.bytes;
    }
    let mut terms: Vec<(String, u64)> = by_kind.into_iter().filter(|(_, b)| *b > 0).collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if terms.len() > TOP_TERMS + 1 {
        let rest: u64 = terms[TOP_TERMS..].iter().map(|(_, b)| b).sum();
        let n = terms.len() - TOP_TERMS;
        terms.truncate(TOP_TERMS);
        terms.push((format!("other ({n} terms)"), rest));
    }
    terms
}

// ---------------------------------------------------------------------------------------------
// Warnings and suggestions.

fn machine_notes(o: &mut String, plan: &Plan, style: Style) {
    for (title, list) in [
        ("Warnings about this machine", &plan.warnings),
        ("Suggestions", &plan.suggestions),
    ] {
        if !list.is_empty() {
            let _ = writeln!(o, "{}", style.heading(title));
            notes(o, "  ", list, style);
            let _ = writeln!(o);
        }
    }
}

fn mode_warnings(o: &mut String, configs: &[Configuration], style: Style) {
    let quiet = |c: &Configuration| {
        c.warnings.is_empty() && c.phase_b.as_ref().is_none_or(|b| b.warnings.is_empty())
    };
    if configs.iter().all(quiet) {
        return;
    }
    let _ = writeln!(o, "{}", style.heading("Warnings by mode"));
    for c in configs.iter().filter(|c| !c.warnings.is_empty()) {
        let _ = writeln!(o, "  {}", c.mode.as_str());
        notes(o, "    ", &c.warnings, style);
    }
    for c in configs {
        if let Some(b) = c.phase_b.as_ref().filter(|b| !b.warnings.is_empty()) {
            let _ = writeln!(o, "  {} phase B", c.mode.as_str());
            notes(o, "    ", &b.warnings, style);
        }
    }
}

/// `[code] message` after `indent`, the message wrapped four columns further in.
fn notes(o: &mut String, indent: &str, list: &[Warning], style: Style) {
    for w in list {
        let code = format!("[{}]", w.code);
        let body = wrap_under(
            &format!("{indent}{code} "),
            &w.message,
            WRAP,
            indent.len() + 4,
        );
        o.push_str(&body.replacen(&code, &style.warn(&code), 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_cut_at_their_first_clause() {
        assert_eq!(
            abbreviate("HF Ultra-Scale Playbook: best MFU on one node"),
            "HF Ultra-Scale Playbook"
        );
        assert!(abbreviate(&"x".repeat(200)).len() <= SOURCE_CHARS);
    }
}
