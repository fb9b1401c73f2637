//! When the plan warns: conditions of the machine itself (battery, swap, disks, missing kernels,
//! memory limits), of a configuration's memory, and of extreme's full-power runs. The sentences
//! are built in `crate::warning`.

use alloc::vec::Vec;

use super::configuration::{Fit, Run};
use super::device::DeviceClass;
use super::planner::Planner;
use crate::estimate::{Estimate, TermKind};
use crate::hardware::{AcceleratorKind, FormFactor, MemorySource, StorageKind};
use crate::request::{Precision, Task};
use crate::warning::Warning;

/// Headroom below a GPU's slowdown temperature under which a full-power run is a thermal risk,
/// °C: a planner choice; a GPU idling or lightly loaded this close to the point where the driver
/// lowers its clocks will reach it under a sustained load.
const THERMAL_MARGIN_C: f64 = 10.0;

/// Bus bandwidth between GPUs below which gradient communication deserves a suggestion, GB/s: a
/// planner choice between PCIe 4.0 x16 (about 25 GB/s of bus bandwidth) and an NVLink of a few
/// links (20 GB/s each), as `device::link_gbs` computes them.
const SLOW_INTERCONNECT_GBS: f64 = 50.0;

/// Logits and loss above one part in this many of the peak (a quarter) are worth a fused
/// cross-entropy: a planner choice.
const LARGE_LOGITS_PART: u64 = 4;

impl Planner<'_> {
    /// Warnings and suggestions about the machine, whatever the mode.
    pub fn machine_warnings(&self) -> (Vec<Warning>, Vec<Warning>) {
        let p = self.profile;
        let d = self.dev;
        let mut w = Vec::new();
        let mut s = Vec::new();
        if p.power.on_battery == Some(true) {
            w.push(Warning::on_battery(
                p.power.battery_percent.map(|b| b.value),
            ));
        }
        if let Some(used) = p.memory.swap_used_bytes.filter(|v| v.value > 0) {
            w.push(Warning::swap_in_use(used.value));
        }
        if p.storage
            .iter()
            .any(|st| st.mount_point == "/" && st.kind == Some(StorageKind::Hdd))
        {
            w.push(Warning::hdd_streaming());
        }
        if d.class != DeviceClass::Cpu
            && !matches!(
                d.precision,
                Precision::Bf16 | Precision::AmpBf16 | Precision::MixedBf16
            )
        {
            w.push(Warning::no_bf16(&d.name, &d.precision_reason));
        }
        if d.class != DeviceClass::Cpu && !d.flash_attention {
            w.push(Warning::no_flash_attention(&d.name));
        }
        if let Some(limit) = p.memory.cgroup_limit_bytes {
            if let Some(total) = p.memory.total_bytes {
                if limit.value < total.value {
                    w.push(Warning::cgroup_limit(limit.value, total.value));
                }
            }
        }
        let apple = p.accelerators.iter().find(|a| {
            a.kind == AcceleratorKind::Unified
                && a.memory_source == Some(MemorySource::MetalWorkingSet)
        });
        if let (Some(a), Some(total)) = (apple, p.memory.total_bytes) {
            if let Some(ws) = a.memory_total_bytes {
                w.push(Warning::unified_memory_limit(ws.value, total.value));
            }
        }
        if d.class == DeviceClass::Cpu {
            w.push(Warning::cpu_only(&d.name, d.threads.unwrap_or(1)));
            s.push(Warning::use_a_gpu());
        }
        if d.count > 1 && d.link_gbs.is_some_and(|l| l < SLOW_INTERCONNECT_GBS) {
            let between = self.cluster.is_some_and(|v| d.count > v.fabric.per_machine);
            s.push(Warning::slow_interconnect(
                d.link_gbs.unwrap_or(0.0),
                between,
            ));
        }
        (w, s)
    }

    /// Extreme's warnings: thermal risk on a laptop or a hot GPU, and the full-power draw of
    /// `draw_w` for a run of `total_s`.
    pub fn extreme_warnings(
        &self,
        warnings: &mut Vec<Warning>,
        draw_w: Option<f64>,
        total_s: Option<f64>,
    ) {
        let laptop = self.profile.host.form_factor == Some(FormFactor::Laptop)
            || self.profile.power.has_battery == Some(true);
        let hot = self.profile.accelerators.iter().find_map(|a| {
            let temp = a.temperature_c?.value;
            let slow = a.temperature_slowdown_c?.value;
            (temp + THERMAL_MARGIN_C >= slow).then_some((temp, slow))
        });
        match hot {
            Some((temp, slow)) => {
                warnings.push(Warning::thermal_risk_hot(temp, slow, THERMAL_MARGIN_C))
            }
            None if laptop => {
                warnings.push(Warning::thermal_risk_laptop(total_s.unwrap_or(0.0)));
            }
            None => {}
        }
        if let Some(w) = draw_w {
            warnings.push(Warning::power_near_limit(w));
        }
    }

    /// Warnings about a configuration's memory: logits that dominate the peak, QLoRA that peaks
    /// above LoRA, and, when it fits, a micro-batch below the mode's range.
    pub fn memory_warnings(
        &self,
        run: &Run<'_>,
        memory: &Estimate,
        fit: Fit,
        warnings: &mut Vec<Warning>,
    ) {
        let k = &run.knobs;
        let logits: u64 = memory
            .breakdown
            .iter()
            .filter(|t| t.term == TermKind::LogitsAndLoss)
            .map(|t| t.bytes)
            .sum();
        if logits * LARGE_LOGITS_PART > memory.peak_bytes && logits > 0 {
            warnings.push(Warning::large_vocab_logits(
                logits,
                memory.peak_bytes,
                run.spec.vocab,
                k.micro_batch * k.sequence,
            ));
        }
        if run.task == Task::Qlora {
            if let Ok(lora) = self.estimate(run.spec, k, Task::Lora) {
                if lora.peak_bytes <= memory.peak_bytes {
                    warnings.push(Warning::qlora_exceeds_lora(
                        memory.peak_bytes,
                        lora.peak_bytes,
                    ));
                }
            }
        }
        if fit == Fit::Fits {
            let (lowest, _) = run.mode.settings().micro_batch;
            if k.micro_batch < lowest && self.goal.micro_batch.is_none() && !self.serving() {
                warnings.push(Warning::below_mode_range(k.micro_batch, lowest, run.target));
            }
            let (shortest, _) = run.mode.settings().sequence;
            let shortest = shortest.min(run.spec.max_positions.max(1));
            if k.sequence < shortest && self.goal.sequence.is_none() && !self.serving() {
                warnings.push(Warning::sequence_below_mode_range(
                    k.sequence, shortest, run.target,
                ));
            }
        }
    }
}
