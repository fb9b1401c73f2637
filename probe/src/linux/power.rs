//! Battery, mains and CPU package power.
//!
//! Power supplies: kernel `Documentation/ABI/testing/sysfs-class-power` (units µW, µA, µV, %).
//! RAPL: `Documentation/power/powercap/powercap.rst`.

use trainfit_core::hardware::{BatteryStatus, Power, Value};

use crate::root::Root;

const SUPPLIES: &str = "/sys/class/power_supply";
const RAPL_PACKAGE: &str = "/sys/class/powercap/intel-rapl:0";

/// Fills `power`. Nothing here is required: a desktop has no battery, a VM no RAPL.
pub(crate) fn read(root: &Root, power: &mut Power) {
    supplies(root, power);
    rapl(root, power);
}

fn supplies(root: &Root, power: &mut Power) {
    if !root.exists(SUPPLIES) {
        return;
    }
    let mut external: Option<bool> = None;
    let mut battery: Option<String> = None;
    for name in root.entries(SUPPLIES) {
        let dir = format!("{SUPPLIES}/{name}");
        let kind = root.text(&format!("{dir}/type")).unwrap_or_default();
        match kind.as_str() {
            // USB-C chargers (UCSI, `ucsi-source-psy-*`) are `USB`; both feed the machine.
            "Mains" | "USB" => {
                if let Some(online) = root.u64(&format!("{dir}/online")) {
                    external = Some(external.unwrap_or(false) || online == 1);
                }
            }
            // `scope` = `Device` marks a peripheral's battery (a wireless mouse), not the system's.
            "Battery" if root.text(&format!("{dir}/scope")).as_deref() != Some("Device") => {
                let present = root.u64(&format!("{dir}/present")).unwrap_or(1) == 1;
                if present && battery.is_none() {
                    battery = Some(dir);
                }
            }
            _ => {}
        }
    }
    power.ac_online = external;
    power.has_battery = Some(battery.is_some());
    let Some(dir) = battery else {
        power.on_battery = Some(false);
        return;
    };
    power.battery_percent = root
        .u64(&format!("{dir}/capacity"))
        .filter(|c| *c <= 100)
        .map(|c| Value::measured(c as f64));
    power.battery_status = root
        .text(&format!("{dir}/status"))
        .as_deref()
        .map(battery_status);
    let discharging = power.battery_status == Some(BatteryStatus::Discharging);
    power.on_battery = Some(discharging || external == Some(false));
    if discharging {
        power.battery_draw_w = draw_watts(root, &dir).map(Value::measured);
    }
}

/// A battery's `status` (`Documentation/ABI/testing/sysfs-class-power`: `Unknown`, `Charging`,
/// `Discharging`, `Not charging`, `Full`).
fn battery_status(status: &str) -> BatteryStatus {
    match status.to_ascii_lowercase().as_str() {
        "charging" => BatteryStatus::Charging,
        "discharging" => BatteryStatus::Discharging,
        "not charging" => BatteryStatus::NotCharging,
        "full" => BatteryStatus::Full,
        _ => BatteryStatus::Unknown,
    }
}

/// Battery draw: `power_now` (µW), else `current_now` (µA) × `voltage_now` (µV).
fn draw_watts(root: &Root, dir: &str) -> Option<f64> {
    if let Some(uw) = root.u64(&format!("{dir}/power_now")).filter(|w| *w > 0) {
        return Some(uw as f64 / 1e6);
    }
    let ua = root.u64(&format!("{dir}/current_now")).filter(|a| *a > 0)?;
    let uv = root.u64(&format!("{dir}/voltage_now")).filter(|v| *v > 0)?;
    Some(ua as f64 * uv as f64 / 1e12)
}

/// RAPL package zone: whether `energy_uj` is readable (root-only since Linux 5.10 for
/// CVE-2020-8694, <https://nvd.nist.gov/vuln/detail/CVE-2020-8694>;
/// <https://github.com/powercap/powercap/issues/7>) and the long-term limit
/// `constraint_0_power_limit_uw`. A fixture recorded by a normal user holds no `energy_uj`, just
/// as the live file cannot be read; either way the answer is "not readable", not an error.
fn rapl(root: &Root, power: &mut Power) {
    if !root.exists(RAPL_PACKAGE) {
        return;
    }
    // EACCES (the usual case for a normal user) and a missing file both mean "not readable".
    let readable = root
        .read(&format!("{RAPL_PACKAGE}/energy_uj"))
        .is_ok_and(|text| !text.trim().is_empty());
    power.rapl_readable = Some(readable);
    power.cpu_package_limit_w = root
        .u64(&format!("{RAPL_PACKAGE}/constraint_0_power_limit_uw"))
        .filter(|uw| *uw > 0)
        .map(|uw| Value::measured(uw as f64 / 1e6));
}
