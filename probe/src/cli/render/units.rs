//! Numbers in text: thousands separators, GiB, SI suffixes, decimal GB, durations.

use trainfit_core::math::GIB;

/// Bytes in GiB.
pub fn gib(bytes: u64) -> f64 {
    bytes as f64 / GIB as f64
}

/// Thousands separators for counts and bytes.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 sequence`, `4 sequences`.
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

/// Three significant digits with K, M, B or T (thousand, million, billion, trillion).
pub fn si(n: f64) -> String {
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
pub fn gb(bytes: u64) -> String {
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
pub fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else if s < 100.0 {
        format!("{s:.2} s")
    } else {
        duration(s)
    }
}

/// A run's length in the largest unit that keeps it readable.
pub fn duration(s: f64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
