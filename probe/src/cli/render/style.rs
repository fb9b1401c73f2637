//! How text looks on the terminal: colour when it is wanted, plain ASCII, wrapped sentences.

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

    /// Green: a configuration that fits.
    pub fn good(self, text: &str) -> String {
        self.paint("32", text)
    }

    /// Bold red: one that does not.
    pub fn bad(self, text: &str) -> String {
        self.paint("31;1", text)
    }

    /// Yellow: a warning's code.
    pub fn warn(self, text: &str) -> String {
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

/// `head` then `text`, wrapped at `width` columns, continuation lines indented to `head`'s width.
pub fn wrap(head: &str, text: &str, width: usize) -> String {
    wrap_under(head, text, width, head.len())
}

/// `head` then `text`, wrapped at `width` columns, continuation lines indented by `indent`.
pub fn wrap_under(head: &str, text: &str, width: usize, indent: usize) -> String {
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
    fn long_sentences_wrap_under_their_head() {
        let text = wrap("  head ", &"word ".repeat(40), 30);
        assert!(text.lines().all(|l| l.len() <= 30));
        assert!(text.lines().skip(1).all(|l| l.starts_with("       w")));
    }
}
