//! Power-supply headroom: the whole system's draw in a mode (accelerators, CPU, the rest) against
//! the supply's rating, and the per-device power cap that keeps it within a safe share.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::device::DeviceClass;
use super::modes::Mode;
use super::planner::Planner;
use crate::hardware::FormFactor;
use crate::warning::Warning;

/// Share of its rating a power supply may carry sustained, leaving room for GPU power excursions:
/// Intel sizes a system of a 300 W GPU, a 300 W CPU and 150 W for the rest (750 W sustained) at
/// 1,100 W on an ATX 2.x supply, because PCIe CEM 5.0 lets a card draw up to 3x its sustained
/// power for 100 µs; an ATX 3.0 supply, built to carry 200 % of its rating for 100 µs, would do at
/// 750 W (Stephen Eastman, Intel, interviewed by PCWorld, April 2022; the ATX 3.0 Multi Rail
/// Desktop Platform Power Supply Design Guide, doc. 336521, gives the excursion limits).
/// 750 / 1,100 = 0.68: a supply not known to be ATX 3.0 is held to this share.
pub const PSU_SAFE_SHARE: f64 = 750.0 / 1100.0;

/// Share of its rating an ATX 3.0 supply may carry sustained: all of it, as Intel's example above
/// sizes the same 750 W system at 750 W on ATX 3.0, whose supplies carry the excursions.
pub const PSU_SAFE_SHARE_ATX3: f64 = 1.0;

/// The rest of a desktop system (board, memory, drives, fans, USB), W: the 150 W of Intel's
/// sizing example above.
pub const REST_OF_SYSTEM_W: f64 = 150.0;

/// CPU package power of a laptop without a reading, W: Intel Core i7-1260P's processor base power
/// of 28 W (Intel ARK), a mainstream laptop part.
const LAPTOP_CPU_W: f64 = 28.0;

/// CPU package power of a desktop without a reading, W: AMD Ryzen 9 7950X's default TDP of 170 W
/// (AMD product page), the highest sustained rating of current desktop parts (Intel Core
/// i9-13900K: 125 W base power, Intel ARK).
const DESKTOP_CPU_W: f64 = 170.0;

/// CPU package power per socket of a server without a reading, W: AMD EPYC 7742's default TDP of
/// 225 W (AMD product page).
const SERVER_CPU_SOCKET_W: f64 = 225.0;

/// The whole system's draw in a mode, against the power supply's rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct SystemPower {
    /// Accelerators at their power limit in the mode (the cap, else TDP), all of them, W.
    pub accelerators_w: f64,
    /// CPU package power, all sockets, W.
    pub cpu_w: f64,
    /// Where the CPU figure comes from.
    pub cpu_source: String,
    /// Board, memory, drives and fans, W.
    pub rest_w: f64,
    /// The sum, W.
    pub total_w: f64,
    /// The power supply's rating, W.
    pub psu_w: f64,
    /// Share of the rating the system may draw sustained: 0.68, or 1 for an ATX 3.0 supply.
    pub safe_share: f64,
    /// Share of the rating the system draws.
    pub load_share: f64,
}

impl Planner<'_> {
    /// The power supply's rating: the goal's, else the profile's.
    fn psu_rating(&self) -> Option<f64> {
        self.goal
            .psu_w
            .or(self.profile.power.psu_w.map(|v| v.value))
    }

    /// Share of the power supply's rating the system may draw: all of it for an ATX 3.0 supply
    /// (the goal's `psu_atx3`, else the profile's), else [`PSU_SAFE_SHARE`].
    fn psu_share(&self) -> f64 {
        let atx3 = self.goal.psu_atx3.or(self.profile.power.psu_atx3);
        if atx3 == Some(true) {
            PSU_SAFE_SHARE_ATX3
        } else {
            PSU_SAFE_SHARE
        }
    }

    /// CPU package power of all sockets, W, and where it comes from: the RAPL long-term limit the
    /// probe read, else the estimate for the machine's class.
    fn cpu_power(&self) -> (f64, &'static str) {
        let p = self.profile;
        let sockets = p.cpu.sockets.map_or(1, |s| s.value.max(1)) as f64;
        if let Some(limit) = p.power.cpu_package_limit_w {
            return (limit.value * sockets, "RAPL package power limit (measured)");
        }
        let laptop =
            p.host.form_factor == Some(FormFactor::Laptop) || p.power.has_battery == Some(true);
        let server = p.host.form_factor == Some(FormFactor::Server) || sockets > 1.0;
        if laptop {
            (LAPTOP_CPU_W, "laptop estimate (Core i7-1260P base power)")
        } else if server {
            (
                SERVER_CPU_SOCKET_W * sockets,
                "server estimate per socket (EPYC 7742 TDP)",
            )
        } else {
            (DESKTOP_CPU_W, "desktop estimate (Ryzen 9 7950X TDP)")
        }
    }

    /// Power cap per device that keeps the system within the safe share of the power supply,
    /// when its devices' TDP would not; `None` without a rating or a TDP. It may be below the
    /// lowest cap the device accepts, or below zero when the CPU and the rest alone exceed it.
    pub(super) fn psu_cap(&self) -> Option<f64> {
        if self.cluster.is_some() {
            return None;
        }
        let psu = self.psu_rating()?;
        let tdp = self.dev.tdp_w?;
        let (cpu, _) = self.cpu_power();
        let per_device =
            (self.psu_share() * psu - cpu - REST_OF_SYSTEM_W) / self.dev.count.max(1) as f64;
        (per_device < tdp).then_some(per_device)
    }

    /// The whole system's draw in `mode` against the power supply, when its rating is known (one
    /// machine); warns when the mode's own limit would run it above the safe share, naming the
    /// cap that fits or the supply that would.
    pub(super) fn system_power(
        &self,
        mode: Mode,
        warnings: &mut Vec<Warning>,
    ) -> Option<SystemPower> {
        if self.cluster.is_some() {
            return None;
        }
        let psu = self.psu_rating()?;
        let d = self.dev;
        let count = d.count as f64;
        let per_device = if d.class == DeviceClass::Cpu {
            Some(0.0)
        } else {
            d.tdp_w
        }?;
        let (cpu_w, cpu_source) = self.cpu_power();
        let cap = self.power_cap(mode);
        let accelerators_w = cap.unwrap_or(per_device) * count;
        let total_w = accelerators_w + cpu_w + REST_OF_SYSTEM_W;
        let share = self.psu_share();
        let safe_w = share * psu;
        // What the mode's own limit (its power fraction, or TDP) would draw.
        let fraction = mode.settings().power_fraction;
        let mode_limit = match (d.power_min_w, fraction < 1.0) {
            (Some(min), true) => (per_device * fraction).max(min),
            _ => per_device,
        };
        let unconstrained_w = mode_limit * count + cpu_w + REST_OF_SYSTEM_W;
        // A rounding error's tolerance: a system sized exactly at the share is within it.
        if unconstrained_w > safe_w * (1.0 + 1e-9) {
            let psu_capped = cap.filter(|c| *c < mode_limit);
            warnings.push(Warning::psu_headroom(
                mode,
                unconstrained_w,
                (mode_limit * count, cpu_w, REST_OF_SYSTEM_W),
                psu,
                share,
                psu_capped,
                total_w,
                d.power_min_w.is_some(),
            ));
        }
        Some(SystemPower {
            accelerators_w,
            cpu_w,
            cpu_source: String::from(cpu_source),
            rest_w: REST_OF_SYSTEM_W,
            total_w,
            psu_w: psu,
            safe_share: share,
            load_share: total_w / psu,
        })
    }
}
