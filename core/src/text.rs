//! Texts built without `core::fmt`.
//!
//! An estimate writes its terms' details and warnings on every call: through `format!` they cost
//! about 5,000 instructions (callgrind, `docs/performance.md`; the estimate was 69,000 then),
//! more than profiling the output head. Names and integers appended to one `String` cost a
//! fraction of that and read the same.

use alloc::string::String;

/// A text built piece by piece: `Text::new().s("micro-batch ").n(4).done()`.
pub(crate) struct Text(String);

impl Text {
    /// An empty text with room for a detail line.
    pub fn new() -> Text {
        Text(String::with_capacity(128))
    }

    /// Appends `s`.
    pub fn s(mut self, s: &str) -> Text {
        self.0.push_str(s);
        self
    }

    /// Appends `n` in decimal, as `{}` writes it.
    pub fn n(mut self, mut n: u64) -> Text {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.0
            .extend(digits[start..].iter().map(|&d| char::from(d)));
        self
    }

    /// Appends `bytes` in GiB with two decimals, as `{:.2}` writes `gib(bytes)`: the digits of
    /// the exact quotient rounded half to even.
    pub fn gib(self, bytes: u64) -> Text {
        // Below 2^53 bytes the quotient by 2^30 is exact in an f64, so integer arithmetic gives
        // its digits; above, the f64 rounds first and `format!` gives them.
        if bytes >= 1 << 53 {
            let mut t = self;
            t.0.push_str(&alloc::format!("{:.2}", crate::math::gib(bytes)));
            return t;
        }
        let scaled = u128::from(bytes) * 100;
        let (mut q, r) = ((scaled >> 30) as u64, scaled & ((1 << 30) - 1));
        let half = 1 << 29;
        if r > half || (r == half && q % 2 == 1) {
            q += 1;
        }
        let cents = q % 100;
        self.n(q / 100)
            .s(".")
            .s(if cents < 10 { "0" } else { "" })
            .n(cents)
    }

    /// The text.
    pub fn done(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Text;
    use alloc::format;

    #[test]
    fn integers_read_as_display_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 4_096, 1 << 40, u64::MAX - 1, u64::MAX] {
            assert_eq!(Text::new().s("x ").n(n).s(" y").done(), format!("x {n} y"));
        }
    }

    #[test]
    fn gib_reads_as_two_decimals_of_display() {
        let gib = |b: u64| format!("{:.2}", crate::math::gib(b));
        // Ties (odd multiples of 2^30 / 200 are the halves of a hundredth), their neighbours,
        // round numbers and the ends of the exact range.
        let mut cases = alloc::vec![0, 1, 1 << 30, (1 << 53) - 1, 1 << 53, u64::MAX];
        for k in 0..2_000u64 {
            let tie = ((2 * k + 1) << 30) / 200;
            cases.extend([tie.saturating_sub(1), tie, tie + 1, k << 27, k * 1_000_003]);
        }
        for b in cases {
            assert_eq!(Text::new().gib(b).done(), gib(b), "{b} bytes");
        }
    }
}
