//! Privacy: a stable `device_id` derived from the machine id by a one-way hash, and the removal
//! of identifying fields before a profile leaves the machine.
//!
//! Following systemd's advice never to expose the machine id itself but an application-specific
//! hash of it (`sd_id128_get_machine_app_specific(3)`), the id is SHA-256 of a fixed
//! application key and the machine id, cut to 16 base-32 characters (80 bits).

use sha2::{Digest, Sha256};
use trainfit_core::hardware::HardwareProfile;

use crate::root::Root;

/// Application key mixed into the hash so the id differs from any other program's.
const APP_KEY: &[u8] = b"trainfit-probe/device-id/v1";

/// RFC 4648 base-32 alphabet, lowercase.
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// The device id for a machine id (any stable secret string of the machine).
pub fn device_id(machine_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(APP_KEY);
    h.update(machine_id.trim().as_bytes());
    let digest = h.finalize();
    // 16 characters × 5 bits = 80 bits from the first 10 bytes.
    let mut bits: u128 = 0;
    for b in &digest[..10] {
        bits = (bits << 8) | u128::from(*b);
    }
    (0..16)
        .rev()
        .map(|i| BASE32[((bits >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// The machine's own id: `/etc/machine-id` (systemd) or D-Bus's copy on Linux, the
/// `IOPlatformUUID` on macOS, `MachineGuid` on Windows.
pub fn machine_id(root: &Root) -> Option<String> {
    for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
        if let Some(id) = root.text(path) {
            return Some(id);
        }
    }
    if !root.is_system() {
        return None;
    }
    platform_machine_id()
}

#[cfg(target_os = "macos")]
fn platform_machine_id() -> Option<String> {
    let out = std::process::Command::new("/usr/sbin/ioreg")
        .args(["-rd1", "-c", "IOPlatformExpertDevice"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("\"IOPlatformUUID\" = "))
        .map(|v| v.trim_matches('"').to_string())
}

#[cfg(windows)]
fn platform_machine_id() -> Option<String> {
    let out = std::process::Command::new("reg")
        .args([
            "query",
            r"HKLM\SOFTWARE\Microsoft\Cryptography",
            "/v",
            "MachineGuid",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.contains("MachineGuid"))
        .and_then(|l| l.split_whitespace().last())
        .map(str::to_string)
}

#[cfg(not(any(target_os = "macos", windows)))]
fn platform_machine_id() -> Option<String> {
    None
}

/// What to keep.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keep {
    /// Keep the host name (default: kept; `--redact-hostname` drops it).
    pub hostname: bool,
    /// Keep accelerator UUIDs (default: dropped; `--include-ids` keeps them for local use).
    pub ids: bool,
}

/// Identifiers the probe never reads at all, listed in every profile's `redactions` so a reader
/// knows they were withheld rather than absent: the machine id (only its hash is the
/// `device_id`), hardware serial numbers (GPU, disk, battery, board) and MAC addresses.
pub const NEVER_READ: &[&str] = &["machine_id", "serial_numbers", "mac_addresses"];

/// Removes what `keep` does not allow and lists it in `redactions`.
pub fn redact(profile: &mut HardwareProfile, keep: Keep) {
    for field in NEVER_READ {
        profile.redactions.push((*field).into());
    }
    if !keep.hostname && profile.hostname.take().is_some() {
        profile.redactions.push("hostname".into());
    }
    if !keep.ids {
        let mut any = false;
        for acc in &mut profile.accelerators {
            any |= acc.uuid.take().is_some();
        }
        if any {
            profile.redactions.push("accelerators[].uuid".into());
        }
    }
}
