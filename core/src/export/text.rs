//! Ordered documents and their JSON, YAML, TOML and shell text, each string quoted for its
//! format.
//!
//! Every string is written quoted (JSON and YAML double quotes, TOML basic strings, shell single
//! quotes where a character needs it), so no value (a path with spaces, `<MODEL_PATH>`, `yes`,
//! `1e-5`) can be read back as another type or split into two words. Floats are written in
//! positional notation with a decimal point: PyYAML, which Accelerate and axolotl use, follows
//! YAML 1.1 and reads `1e-05` as a string (YAML 1.1 float regexp, yaml.org/type/float.html).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// A value of an exported document; maps keep their order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// Text.
    Str(String),
    /// A count.
    Int(u64),
    /// A signed integer (`-1` for "all" in some engines).
    Signed(i64),
    /// A finite real number.
    Float(f64),
    /// A flag.
    Bool(bool),
    /// A sequence.
    List(Vec<Value>),
    /// Keys and values in order.
    Map(Vec<(String, Value)>),
}

/// An ordered map under construction.
#[derive(Debug, Default, Clone)]
pub(crate) struct Map(pub Vec<(String, Value)>);

impl Map {
    pub fn new() -> Self {
        Map(Vec::new())
    }

    /// Adds `key: value`.
    pub fn put(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.push((String::from(key), value.into()));
        self
    }

    /// Adds `key: value` when there is a value.
    pub fn put_opt(self, key: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(v) => self.put(key, v),
            None => self,
        }
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Map(m.0)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(String::from(s))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::Str(s.clone())
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Int(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Signed(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

/// A float in positional notation with at least one digit after the point (`2.0`, `0.00002`);
/// Rust's `Display` for `f64` prints the shortest digits that read back to the same number and
/// never an exponent. Callers pass finite numbers only (the plan has no NaN or infinity).
pub(crate) fn float(v: f64) -> String {
    let mut s = alloc::format!("{v}");
    if !s.contains('.') {
        s.push_str(".0");
    }
    s
}

/// JSON text, two-space indented, with a final newline.
pub(crate) fn json(v: &Value) -> String {
    let mut out = String::new();
    json_into(&mut out, v, 0);
    out.push('\n');
    out
}

fn json_string(out: &mut String, s: &str) {
    // serde_json's escaping: `"`, `\` and control characters; everything else as UTF-8.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

fn json_into(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Str(s) => json_string(out, s),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Signed(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&float(*f)),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::List(items) if items.is_empty() => out.push_str("[]"),
        Value::Map(items) if items.is_empty() => out.push_str("{}"),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                json_into(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Map(items) => {
            out.push('{');
            for (i, (k, item)) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                json_string(out, k);
                out.push_str(": ");
                json_into(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A YAML double-quoted scalar: `"` and `\` escaped, and every character outside YAML's
/// printable set (YAML 1.2 §5.1 `c-printable`) or that YAML 1.1 reads as a line break (NEL,
/// U+2028, U+2029) written as an escape, so the text is one line whatever the value.
pub(crate) fn yaml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            '\u{a0}'..='\u{2027}' | '\u{202a}'..='\u{d7ff}' | '\u{e000}'..='\u{fefe}' => {
                out.push(c)
            }
            '\u{ff00}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}' => out.push(c),
            _ if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            _ => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// A YAML key: plain when it is an identifier that no YAML version reads as anything but a
/// string (YAML 1.1 reads `y`, `no`, `on` as booleans), else double quoted.
fn yaml_key(k: &str) -> String {
    const RESERVED: [&str; 10] = [
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
    ];
    let plain = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(k));
    if plain {
        String::from(k)
    } else {
        yaml_string(k)
    }
}

fn yaml_scalar(v: &Value) -> Option<String> {
    Some(match v {
        Value::Str(s) => yaml_string(s),
        Value::Int(i) => alloc::format!("{i}"),
        Value::Signed(i) => alloc::format!("{i}"),
        Value::Float(f) => float(*f),
        Value::Bool(b) => String::from(if *b { "true" } else { "false" }),
        Value::List(l) if l.is_empty() => String::from("[]"),
        Value::Map(m) if m.is_empty() => String::from("{}"),
        Value::List(_) | Value::Map(_) => return None,
    })
}

/// YAML block text of a map, after `header` (comment lines, each starting with `#`).
pub(crate) fn yaml(header: &str, v: &Value) -> String {
    let mut out = String::from(header);
    match v {
        Value::Map(items) => yaml_map(&mut out, items, 0),
        other => {
            out.push_str(&yaml_scalar(other).unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

fn yaml_map(out: &mut String, items: &[(String, Value)], depth: usize) {
    for (k, v) in items {
        indent(out, depth);
        out.push_str(&yaml_key(k));
        out.push(':');
        yaml_value(out, v, depth);
    }
}

/// The value after `key:` (or `-`): a scalar on the same line, a block on the next lines.
fn yaml_value(out: &mut String, v: &Value, depth: usize) {
    match yaml_scalar(v) {
        Some(s) => {
            out.push(' ');
            out.push_str(&s);
            out.push('\n');
        }
        None => {
            out.push('\n');
            match v {
                Value::Map(m) => yaml_map(out, m, depth + 1),
                Value::List(l) => yaml_list(out, l, depth + 1),
                _ => {}
            }
        }
    }
}

fn yaml_list(out: &mut String, items: &[Value], depth: usize) {
    for item in items {
        indent(out, depth);
        out.push('-');
        match item {
            Value::Map(m) if !m.is_empty() => {
                // The first key on the dash's line, the rest aligned under it.
                let mut first = true;
                for (k, v) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, depth + 1);
                    }
                    out.push_str(&yaml_key(k));
                    out.push(':');
                    yaml_value(out, v, depth + 1);
                }
            }
            other => yaml_value(out, other, depth),
        }
    }
}

/// A TOML basic string: `"`, `\` and every control character escaped (TOML 1.0, "String").
pub(crate) fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}' | '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        String::from(k)
    } else {
        toml_string(k)
    }
}

fn toml_inline(v: &Value) -> String {
    match v {
        Value::Str(s) => toml_string(s),
        Value::Int(i) => alloc::format!("{i}"),
        Value::Signed(i) => alloc::format!("{i}"),
        Value::Float(f) => float(*f),
        Value::Bool(b) => String::from(if *b { "true" } else { "false" }),
        Value::List(l) => {
            let parts: Vec<String> = l.iter().map(toml_inline).collect();
            alloc::format!("[{}]", parts.join(", "))
        }
        Value::Map(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| alloc::format!("{} = {}", toml_key(k), toml_inline(v)))
                .collect();
            alloc::format!("{{ {} }}", parts.join(", "))
        }
    }
}

/// TOML text of a map of tables, after `header` (comment lines). Each top-level map becomes a
/// `[table]`, with an optional comment line above it from `notes` (by table name).
pub(crate) fn toml(header: &str, tables: &[(String, Value)], notes: &[(&str, &str)]) -> String {
    let mut out = String::from(header);
    // Top-level scalars first: after a `[table]` header they would belong to that table.
    for (k, v) in tables {
        if !matches!(v, Value::Map(_)) {
            let _ = writeln!(out, "{} = {}", toml_key(k), toml_inline(v));
        }
    }
    for (k, v) in tables {
        if let Value::Map(m) = v {
            out.push('\n');
            for (name, note) in notes {
                if name == k {
                    let _ = writeln!(out, "# {note}");
                }
            }
            let _ = writeln!(out, "[{}]", toml_key(k));
            for (key, value) in m {
                let _ = writeln!(out, "{} = {}", toml_key(key), toml_inline(value));
            }
        }
    }
    out
}

/// One shell word: as it is when every character is one the shell takes literally, else in
/// single quotes (inside which nothing is special; a `'` is closed, escaped and reopened).
pub(crate) fn shell_word(s: &str) -> String {
    let literal = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '-' | '.' | '/' | ':' | ',' | '=' | '@' | '%' | '+')
        });
    if literal {
        return String::from(s);
    }
    let mut out = String::from("'");
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// A word of a command line: text to quote, or shell syntax written by the exporter itself
/// (a variable expansion such as `"$SLURM_NNODES"`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Word {
    /// A value: quoted as needed.
    Text(String),
    /// Shell syntax the exporter wrote, kept as it is.
    Shell(&'static str),
}

impl From<&str> for Word {
    fn from(s: &str) -> Self {
        Word::Text(String::from(s))
    }
}
impl From<String> for Word {
    fn from(s: String) -> Self {
        Word::Text(s)
    }
}

/// A command line under construction: program words, then `--flag value` pairs.
#[derive(Debug, Default, Clone)]
pub(crate) struct Command(pub Vec<Word>);

impl Command {
    pub fn new(words: &[&str]) -> Self {
        Command(words.iter().map(|w| Word::from(*w)).collect())
    }

    /// Adds one word.
    pub fn word(mut self, w: impl Into<Word>) -> Self {
        self.0.push(w.into());
        self
    }

    /// Adds `flag value`.
    pub fn arg(mut self, flag: &str, value: impl core::fmt::Display) -> Self {
        self.0.push(Word::from(flag));
        self.0.push(Word::Text(alloc::format!("{value}")));
        self
    }

    /// Adds `flag value` with a float value in positional notation.
    pub fn arg_f(self, flag: &str, value: f64) -> Self {
        let v = float(value);
        self.arg(flag, v)
    }

    /// Adds `flag` then shell syntax (an expansion) as its value.
    pub fn arg_shell(mut self, flag: &str, value: &'static str) -> Self {
        self.0.push(Word::from(flag));
        self.0.push(Word::Shell(value));
        self
    }

    /// Appends the words of `other`.
    pub fn extend(mut self, other: &Command) -> Self {
        self.0.extend(other.0.iter().cloned());
        self
    }

    /// The words as text, each value quoted.
    pub fn words(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|w| match w {
                Word::Text(t) => shell_word(t),
                Word::Shell(s) => String::from(*s),
            })
            .collect()
    }

    /// The words as the program receives them (no shell): for an argv list (Kubernetes
    /// `command`), where shell syntax is not expanded.
    pub fn argv(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|w| match w {
                Word::Text(t) => t.clone(),
                Word::Shell(s) => String::from(*s),
            })
            .collect()
    }

    /// The command over several lines: the program words on the first, then a flag (with its
    /// value) per line, continued with `\`.
    pub fn script(&self) -> String {
        let words = self.words();
        let mut out = String::new();
        let mut i = 0;
        let mut first = true;
        while i < words.len() {
            let starts_flag = words[i].starts_with('-');
            if !first && starts_flag {
                out.push_str(" \\\n  ");
            } else if !first {
                out.push(' ');
            }
            out.push_str(&words[i]);
            if starts_flag && i + 1 < words.len() && !words[i + 1].starts_with('-') && !first {
                out.push(' ');
                out.push_str(&words[i + 1]);
                i += 1;
            }
            first = false;
            i += 1;
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn float_always_has_a_point_and_no_exponent() {
        assert_eq!(float(2.0), "2.0");
        assert_eq!(float(2e-5), "0.00002");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(1e21), "1000000000000000000000.0");
    }

    #[test]
    fn shell_words_quote_what_the_shell_would_read() {
        assert_eq!(shell_word("a/b.c"), "a/b.c");
        assert_eq!(shell_word("<MODEL_PATH>"), "'<MODEL_PATH>'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
    }

    #[test]
    fn yaml_quotes_keys_that_yaml_1_1_reads_as_booleans() {
        assert_eq!(yaml_key("no"), "\"no\"");
        assert_eq!(yaml_key("nvidia.com/gpu"), "nvidia.com/gpu");
        assert_eq!(yaml_string("a\u{85}b\u{7f}"), "\"a\\u0085b\\u007f\"");
    }

    #[test]
    fn toml_puts_scalars_before_tables() {
        let t = toml(
            "",
            &[
                (String::from("t"), Map::new().put("k", 1u64).into()),
                (String::from("top"), Value::from(vec!["x"])),
            ],
            &[],
        );
        assert_eq!(t, "top = [\"x\"]\n\n[t]\nk = 1\n");
    }
}
