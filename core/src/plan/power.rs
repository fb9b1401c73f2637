//! Power of a configuration: the cap a mode sets, the speed kept under it, the draw and the
//! energy of the run.

use alloc::vec::Vec;

use super::formulas::speed_at_power;
use super::modes::Mode;
use super::planner::Planner;
use super::PowerEstimate;
use crate::warning::Warning;

/// Share of its TDP an uncapped GPU draws through a training run. Measured draw stays below the
/// rating even at full utilisation: an 8×H100 node training ResNet and Llama-2-13B peaked at
/// about 8.4 kW of its 10.2 kW rating (Latif et al. 2024, "Empirical Measurements of AI Training
/// Power Demand on a GPU-Accelerated Node", arXiv:2412.08602), and compute-intensive training
/// ran at 76 % of the rating (Newkirk et al. 2025, "Empirically-Calibrated H100 Node Power
/// Models", arXiv:2506.14551). Both are node figures; 0.8 is the planner's round figure in that
/// range. Extreme, which asks for 90–100 %, is planned at its own fraction.
pub(super) const UNCAPPED_DRAW_FRACTION: f64 = 0.8;

impl Planner<'_> {
    /// Power cap per device for the mode, when the device's limit can be set (NVIDIA through
    /// NVML reports its lowest settable limit) and the mode asks for less than its TDP, or the
    /// power supply's safe share does (`psu`); never below the lowest settable limit.
    pub fn power_cap(&self, mode: Mode) -> Option<f64> {
        let tdp = self.dev.tdp_w?;
        let min = self.dev.power_min_w?;
        let fraction = mode.settings().power_fraction;
        let mode_cap = (fraction < 1.0).then_some(tdp * fraction);
        let cap = match (mode_cap, self.psu_cap()) {
            (Some(m), Some(p)) => Some(m.min(p)),
            (m, p) => m.or(p),
        };
        cap.map(|c| c.max(min))
    }

    /// Share of full speed kept under the mode's power cap.
    pub fn power_speed(&self, mode: Mode) -> f64 {
        match (self.power_cap(mode), self.dev.tdp_w) {
            (Some(cap), Some(tdp)) => speed_at_power(cap / tdp),
            _ => 1.0,
        }
    }

    /// TDP, draw, cap and energy of a run of `total_s` in the mode; warns when the mode asks
    /// for less than an uncapped device draws and the cap cannot be set.
    pub fn power(
        &self,
        mode: Mode,
        total_s: Option<f64>,
        warnings: &mut Vec<Warning>,
    ) -> PowerEstimate {
        let s = mode.settings();
        let d = self.dev;
        let cap = self.power_cap(mode);
        let tdp_all = d.tdp_w.map(|t| t * d.count as f64);
        // A capped device draws its cap under load; an uncapped one its usual share of TDP, or
        // the mode's fraction when that is higher.
        let draw = d.tdp_w.map(|t| match cap {
            Some(c) => c * d.count as f64,
            None => t * s.power_fraction.max(UNCAPPED_DRAW_FRACTION) * d.count as f64,
        });
        let energy = draw.zip(total_s).map(|(w, t)| w * t / 3.6e6);
        if cap.is_none() && s.power_fraction < UNCAPPED_DRAW_FRACTION && d.tdp_w.is_some() {
            warnings.push(Warning::power_above_target(
                mode,
                s.power_fraction,
                draw.unwrap_or(0.0),
            ));
        }
        let system = self.system_power(mode, warnings);
        PowerEstimate {
            tdp_w: tdp_all,
            draw_w: draw,
            power_cap_w: cap,
            energy_kwh: energy,
            system,
        }
    }
}
