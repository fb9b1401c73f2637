//! Texts built without `core::fmt`.
//!
//! An estimate writes its terms' details on every call: through `format!` they cost about 4,000
//! of its 69,000 instructions (callgrind, `docs/performance.md`), more than profiling the output
//! head. Names and integers appended to one `String` cost a fraction of that and read the same.

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
}
