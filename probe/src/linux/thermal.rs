//! Temperature sensors: thermal zones (<https://docs.kernel.org/driver-api/thermal/sysfs-api.html>)
//! and hwmon chips (<https://docs.kernel.org/hwmon/sysfs-interface.html>), millidegrees Celsius.

use trainfit_core::hardware::{ThermalSensor, Value};

use super::parse::numbered;
use crate::root::Root;

const ZONES: &str = "/sys/class/thermal";
const HWMON: &str = "/sys/class/hwmon";

/// All sensors that report a temperature. Nothing here is required.
pub(crate) fn read(root: &Root) -> Vec<ThermalSensor> {
    let mut sensors = zones(root);
    sensors.extend(hwmon(root));
    sensors
}

/// A millidegree reading (`temp`, `temp*_input`, `*_crit`, `trip_point_*_temp` are all m°C:
/// `Documentation/ABI/testing/sysfs-class-thermal`, `Documentation/hwmon/sysfs-interface.rst`).
fn millidegrees(root: &Root, path: &str) -> Option<f64> {
    let m: i64 = root.text(path)?.parse().ok()?;
    Some(m as f64 / 1000.0)
}

/// `thermal_zone*`: `type`, `temp`, and the `critical` trip point.
fn zones(root: &Root) -> Vec<ThermalSensor> {
    root.entries(ZONES)
        .into_iter()
        .filter(|n| numbered(n, "thermal_zone").is_some())
        .filter_map(|zone| {
            let dir = format!("{ZONES}/{zone}");
            let temperature = millidegrees(root, &format!("{dir}/temp"))?;
            let label = root.text(&format!("{dir}/type")).unwrap_or(zone);
            Some(ThermalSensor {
                label,
                temperature_c: Some(Value::measured(temperature)),
                critical_c: critical_trip(root, &dir).map(Value::measured),
            })
        })
        .collect()
}

/// The temperature of the zone's trip point of type `critical`.
fn critical_trip(root: &Root, dir: &str) -> Option<f64> {
    root.entries(dir)
        .iter()
        .filter_map(|f| f.strip_prefix("trip_point_")?.strip_suffix("_type"))
        .find(|n| root.text(&format!("{dir}/trip_point_{n}_type")).as_deref() == Some("critical"))
        .and_then(|n| millidegrees(root, &format!("{dir}/trip_point_{n}_temp")))
}

/// `hwmon*`: each `temp<N>_input`, labelled `<chip> <temp<N>_label>` (e.g. `k10temp Tctl`,
/// `amdgpu edge`), with `temp<N>_crit`.
fn hwmon(root: &Root) -> Vec<ThermalSensor> {
    let chips: Vec<(String, String)> = root
        .entries(HWMON)
        .into_iter()
        .map(|chip| {
            let name = root
                .text(&format!("{HWMON}/{chip}/name"))
                .unwrap_or_else(|| chip.clone());
            (chip, name)
        })
        .collect();
    let mut sensors = Vec::new();
    for (chip, name) in &chips {
        let dir = format!("{HWMON}/{chip}");
        // Two sockets give two `k10temp` chips; the hwmon number tells them apart.
        let repeated = chips.iter().filter(|(_, n)| n == name).count() > 1;
        let name = if repeated {
            format!("{name} {chip}")
        } else {
            name.clone()
        };
        let files = root.entries(&dir);
        let mut inputs: Vec<u32> = files
            .iter()
            .filter_map(|f| f.strip_prefix("temp")?.strip_suffix("_input")?.parse().ok())
            .collect();
        inputs.sort_unstable();
        let single = inputs.len() == 1;
        for n in inputs {
            let Some(temperature) = millidegrees(root, &format!("{dir}/temp{n}_input")) else {
                continue;
            };
            let label = match root.text(&format!("{dir}/temp{n}_label")) {
                Some(l) => format!("{name} {l}"),
                None if single => name.clone(),
                None => format!("{name} temp{n}"),
            };
            sensors.push(ThermalSensor {
                label,
                temperature_c: Some(Value::measured(temperature)),
                critical_c: millidegrees(root, &format!("{dir}/temp{n}_crit")).map(Value::measured),
            });
        }
    }
    sensors
}
