//! The analysis report: the device and its capability score, the configurations side by side,
//! each one's memory at the peak and fallback ladder, then the warnings and suggestions.
//!
//! ASCII only; colour (ANSI escapes) only when [`Style::detect`] allows it.

use std::collections::BTreeMap;
use std::fmt::Write;

use trainfit_core::plan::{Configuration, Device, GoalTask, Plan};
use trainfit_core::request::{Offload, Sharding};
use trainfit_core::{Estimate, Warning};

use crate::render::{count, json_name, GIB};

/// Width that long sentences (warnings, descriptions) are wrapped to: the classic 100-column
/// terminal less nothing, since every wrapped line carries its own indent.
const WRAP: usize = 100;

/// Memory terms listed per configuration before the rest are summed as "other".
const TOP_TERMS: usize = 6;

/// Longest abbreviation of the efficiency source.
const SOURCE_CHARS: usize = 60;

/// Colour on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    colour: bool,
}

impl Style {
    /// Colour when standard output is a terminal and `NO_COLOR` is unset or empty (no-color.org);
    /// `CLICOLOR_FORCE` set to anything but `0` forces it on for pipes (bixense.com/clicolors),
    /// but never over `NO_COLOR`.
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR");
        let force = std::env::var_os("CLICOLOR_FORCE");
        Style {
            colour: colour_wanted(
                no_color.as_deref().and_then(|v| v.to_str()),
                force.as_deref().and_then(|v| v.to_str()),
                std::io::stdout().is_terminal(),
            ),
        }
    }

    fn paint(self, sgr: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Bold.
    pub fn heading(self, text: &str) -> String {
        self.paint("1", text)
    }

    fn good(self, text: &str) -> String {
        self.paint("32", text)
    }

    fn bad(self, text: &str) -> String {
        self.paint("31;1", text)
    }

    fn warn(self, text: &str) -> String {
        self.paint("33", text)
    }
}

/// The colour rule: `NO_COLOR` (any non-empty value) wins, then `CLICOLOR_FORCE` (not `0`),
/// then whether the output is a terminal.
pub fn colour_wanted(no_color: Option<&str>, force: Option<&str>, tty: bool) -> bool {
    if no_color.is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if force.is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    tty
}

/// The whole report of a plan.
pub fn report(plan: &Plan, style: Style) -> String {
    let mut o = String::new();
    device(&mut o, plan, style);
    configurations(&mut o, &plan.configurations, style);
    for c in &plan.configurations {
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
            d.usable_bytes as f64 / GIB,
            if d.unified_memory {
                " (shared with the CPU)"
            } else {
                ""
            }
        ),
    );
    line(
        "precision",
        format!("{} ({})", json_name(&d.precision), d.precision_reason),
    );
    line(
        "attention",
        format!(
            "{}{}",
            json_name(&d.attention),
            if d.flash_attention {
                " (FlashAttention available)"
            } else {
                ""
            }
        ),
    );
    line("speed", speed(d));
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

/// Sustained throughput, how it follows from the peak, and the efficiency's source, abbreviated.
fn speed(d: &Device) -> String {
    let source = abbreviate(&d.efficiency_source);
    match (d.achievable_flops(), d.peak_tflops) {
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
        style.heading(&format!("Configurations ({})", json_name(&task)))
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
        ("fits", cell(&|c| if c.fits { "yes" } else { "NO" }.into())),
        (
            "memory peak / target",
            cell(&|c| {
                format!(
                    "{:.2} / {:.2} GiB",
                    c.memory.peak_bytes as f64 / GIB,
                    c.memory_target_bytes as f64 / GIB
                )
            }),
        ),
        ("micro x accum = global", cell(&batch)),
        ("sequence", cell(&|c| format!("{} tokens", c.sequence))),
        ("precision", cell(&|c| json_name(&c.precision))),
        (
            "checkpointing",
            cell(&|c| {
                if train(c) {
                    json_name(&c.checkpointing)
                } else {
                    "-".into()
                }
            }),
        ),
        (
            "optimizer",
            cell(&|c| c.optimizer.map_or("-".into(), |opt| json_name(&opt))),
        ),
        (
            "lora rank",
            cell(&|c| c.lora_rank.map_or("-".into(), |r| r.to_string())),
        ),
        ("sharding", cell(&|c| sharding(c.sharding, c.devices))),
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
            "time / budget",
            cell(&|c| {
                if train(c) {
                    format!(
                        "{} / {}",
                        c.time.total_s.map_or("unknown".into(), duration),
                        duration(c.time.budget_s)
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
                    format!("{:.2} GiB", s.kv_bytes_per_sequence as f64 / GIB)
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
    let devices = if c.devices > 1 {
        format!(" x {} devices", c.devices)
    } else {
        String::new()
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

fn sharding(s: Sharding, devices: u64) -> String {
    match (s, devices) {
        (Sharding::None, 1) => "none (1 device)".into(),
        (Sharding::None, n) => format!("ddp over {n} devices"),
        (s, n) => format!("{} over {n} devices", json_name(&s)),
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
    let e = &c.memory;
    let _ = writeln!(
        o,
        "{}",
        style.heading(&format!(
            "Memory of one device, {}: {:.2} GiB at the peak ({}), target {:.2} GiB",
            c.mode.as_str(),
            e.peak_bytes as f64 / GIB,
            json_name(&e.peak_phase),
            c.memory_target_bytes as f64 / GIB
        ))
    );
    for (name, bytes) in top_terms(e) {
        let share = if e.peak_bytes > 0 {
            bytes as f64 * 100.0 / e.peak_bytes as f64
        } else {
            0.0
        };
        let _ = writeln!(
            o,
            "  {name:<26}{:>9.2} GiB {share:>5.1} %",
            bytes as f64 / GIB
        );
    }
    if e.host_bytes > 0 {
        let _ = writeln!(
            o,
            "  host memory besides: {:.2} GiB",
            e.host_bytes as f64 / GIB
        );
    }
    if !c.fallbacks.is_empty() {
        let _ = writeln!(
            o,
            "  if it runs out of memory, apply in order (peak after each step):"
        );
        for (i, f) in c.fallbacks.iter().enumerate() {
            let head = format!(
                "    {}. {:<18} {:>6.2} GiB  ",
                i + 1,
                f.action,
                f.peak_bytes as f64 / GIB
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
        *by_kind.entry(json_name(&t.term)).or_default() += t.bytes;
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
    if configs.iter().all(|c| c.warnings.is_empty()) {
        return;
    }
    let _ = writeln!(o, "{}", style.heading("Warnings by mode"));
    for c in configs.iter().filter(|c| !c.warnings.is_empty()) {
        let _ = writeln!(o, "  {}", c.mode.as_str());
        notes(o, "    ", &c.warnings, style);
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

/// `head` then `text`, wrapped at `width` columns, continuation lines indented to `head`'s width.
fn wrap(head: &str, text: &str, width: usize) -> String {
    wrap_under(head, text, width, head.len())
}

/// `head` then `text`, wrapped at `width` columns, continuation lines indented by `indent`.
fn wrap_under(head: &str, text: &str, width: usize, indent: usize) -> String {
    let mut out = String::from(head);
    let mut col = head.len();
    let mut line_empty = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !line_empty && col + 1 + len > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
            line_empty = true;
        }
        if !line_empty {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
        line_empty = false;
    }
    out.push('\n');
    out
}

// ---------------------------------------------------------------------------------------------
// Numbers and text.

/// `1 sequence`, `4 sequences`.
fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

/// Three significant digits with K, M, B or T (thousand, million, billion, trillion).
fn si(n: f64) -> String {
    let (v, unit) = match n {
        n if n >= 1e12 => (n / 1e12, "T"),
        n if n >= 1e9 => (n / 1e9, "B"),
        n if n >= 1e6 => (n / 1e6, "M"),
        n if n >= 1e3 => (n / 1e3, "K"),
        n => return format!("{n:.0}"),
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$}{unit}")
}

/// Decimal gigabytes, as disks are sold.
fn gb(bytes: u64) -> String {
    let g = bytes as f64 / 1e9;
    if g >= 100.0 {
        format!("{g:.0} GB")
    } else if g >= 0.1 {
        format!("{g:.1} GB")
    } else {
        format!("{:.0} MB", bytes as f64 / 1e6)
    }
}

/// A step time.
fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else if s < 100.0 {
        format!("{s:.2} s")
    } else {
        duration(s)
    }
}

/// A run's length in the largest unit that keeps it readable.
fn duration(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 3.0 * 86_400.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86_400.0)
    }
}

/// The text with every non-ASCII character replaced by an ASCII spelling (`×` by `x`, `°C` by
/// `C`, dashes by `-`), unknown ones by `?`: the report is plain ASCII whatever the core's
/// sentences hold.
pub fn ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_ascii() => out.push(c),
            '\u{d7}' => out.push('x'),
            '\u{b0}' => {}
            '\u{b7}' | '\u{22c5}' => out.push('*'),
            '\u{2010}'..='\u{2013}' | '\u{2212}' => out.push('-'),
            '\u{2014}' | '\u{2015}' => out.push_str("--"),
            '\u{2018}' | '\u{2019}' => out.push('\''),
            '\u{201c}' | '\u{201d}' => out.push('"'),
            '\u{2026}' => out.push_str("..."),
            '\u{2264}' => out.push_str("<="),
            '\u{2265}' => out.push_str(">="),
            '\u{2248}' => out.push('~'),
            '\u{b5}' | '\u{3bc}' => out.push('u'),
            '\u{a0}' | '\u{202f}' | '\u{2009}' => out.push(' '),
            '\u{2192}' => out.push_str("->"),
            _ => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_no_color_then_force_then_the_terminal() {
        assert!(colour_wanted(None, None, true));
        assert!(!colour_wanted(None, None, false));
        assert!(!colour_wanted(Some("1"), None, true));
        assert!(
            colour_wanted(Some(""), None, true),
            "empty NO_COLOR is unset"
        );
        assert!(!colour_wanted(Some("1"), Some("1"), true));
        assert!(colour_wanted(None, Some("1"), false));
        assert!(!colour_wanted(None, Some("0"), false));
    }

    #[test]
    fn text_becomes_ascii() {
        assert_eq!(ascii("10 × (a) at 80 °C – ok"), "10 x (a) at 80 C - ok");
        assert!(ascii("\u{1F600}").is_ascii());
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(si(35_400_000.0), "35.4M");
        assert_eq!(si(1_100_048_384.0), "1.10B");
        assert_eq!(si(442_000_000.0), "442M");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(duration(5400.0), "90 min");
        assert_eq!(duration(7.5 * 3600.0), "7.5 h");
        assert_eq!(seconds(0.52), "520 ms");
        assert_eq!(gb(1_500_000_000), "1.5 GB");
    }

    #[test]
    fn sources_are_cut_at_their_first_clause() {
        assert_eq!(
            abbreviate("HF Ultra-Scale Playbook: best MFU on one node"),
            "HF Ultra-Scale Playbook"
        );
        assert!(abbreviate(&"x".repeat(200)).len() <= SOURCE_CHARS);
    }

    #[test]
    fn long_sentences_wrap_under_their_head() {
        let text = wrap("  head ", &"word ".repeat(40), 30);
        assert!(text.lines().all(|l| l.len() <= 30));
        assert!(text.lines().skip(1).all(|l| l.starts_with("       w")));
    }
}
