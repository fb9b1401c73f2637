//! The error type of the core.
//!
//! One flat enum, as usvg's: each variant is one way an input can be wrong, with its parts as
//! fields, so a caller can branch on it (or on its stable [`Error::code`], which the npm package
//! exposes as `Error.code`) and show its message, which names the field, the value and what was
//! expected. Values the user typed are echoed on one line and cut to [`ECHO_CHARS`] characters,
//! so a huge or multi-line value cannot make a huge or multi-line message.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write};

/// Every way a request, a model description, a hardware profile or a computation can fail.
///
/// Messages are lowercase, without a trailing period, and carry the numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A field holds a value outside what the model accepts.
    InvalidField {
        /// Dotted path of the field, e.g. `lora.rank`.
        field: String,
        /// The value as the user gave it, on one line and cut to [`ECHO_CHARS`] characters.
        value: String,
        /// What would have been accepted.
        expected: String,
    },
    /// A required field is absent.
    MissingField {
        /// Dotted path of the missing field.
        field: String,
        /// Where it was looked for (e.g. `config.json of model_type llama`).
        context: String,
    },
    /// A Hugging Face `model_type` the importer does not know.
    UnsupportedModelType {
        /// Path of the field that held it, e.g. `model_type` or `model.hf_config.model_type`.
        field: String,
        /// The `model_type` found, cut to [`ECHO_CHARS`] characters.
        model_type: String,
        /// Every supported `model_type`.
        supported: &'static [&'static str],
    },
    /// A catalogue name that matches no model.
    UnknownModel {
        /// Path of the field that held the name, e.g. `model.catalogue`; empty when the name did
        /// not come from a document (a command-line argument).
        field: String,
        /// The name that was asked for, cut to [`ECHO_CHARS`] characters.
        name: String,
        /// Closest catalogue ids, best first.
        suggestions: Vec<String>,
    },
    /// Text that is not valid JSON, or JSON of the wrong shape.
    Json {
        /// What was being parsed, e.g. `hardware profile`.
        what: String,
        /// Path of the offending field, when the parser knows it (`goal.micro_batch`).
        field: Option<String>,
        /// The parser's message, on one line.
        message: String,
    },
    /// A document version this build cannot read.
    SchemaVersion {
        /// Path of the version field, e.g. `schema_version` or `profile.schema_version`.
        field: String,
        /// The version found.
        found: u32,
        /// The newest version this build reads (it reads every version from 1 up to it).
        supported: u32,
    },
    /// A byte or count computation exceeded what it can be computed or reported in.
    Overflow {
        /// The quantity being computed, e.g. `memory of this request`.
        quantity: String,
        /// What it exceeded: `64 bits`, or `2^53 bytes`, the largest integer a JavaScript
        /// number holds exactly.
        bound: &'static str,
    },
    /// A hardware profile with nothing to plan on: no accelerator of known memory and no
    /// system memory.
    NoDevice,
    /// An engine format that cannot express a value of the configuration being exported.
    Unsupported {
        /// The format, e.g. `accelerate`.
        format: String,
        /// Path of the value in the plan's configuration, e.g. `mesh.candidates[0].layout.pipeline`.
        field: String,
        /// Why the engine cannot express it, with the numbers.
        reason: String,
    },
}

/// Longest echo of a user's value in a message, in characters.
pub const ECHO_CHARS: usize = 80;

impl Error {
    /// Every [`Error::code`], in the order of the variants: the npm package declares them as its
    /// `ErrorCode` type, so a caller can branch on them.
    pub const CODES: [&'static str; 9] = [
        "invalid_field",
        "missing_field",
        "unsupported_model_type",
        "unknown_model",
        "invalid_json",
        "schema_version",
        "overflow",
        "no_device",
        "unsupported",
    ];

    /// A stable, machine-readable name of the variant: `invalid_field`, `missing_field`,
    /// `unsupported_model_type`, `unknown_model`, `invalid_json`, `schema_version`, `overflow`,
    /// `no_device`, `unsupported`. It never changes for a variant, whatever the message says.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidField { .. } => "invalid_field",
            Error::MissingField { .. } => "missing_field",
            Error::UnsupportedModelType { .. } => "unsupported_model_type",
            Error::UnknownModel { .. } => "unknown_model",
            Error::Json { .. } => "invalid_json",
            Error::SchemaVersion { .. } => "schema_version",
            Error::Overflow { .. } => "overflow",
            Error::NoDevice => "no_device",
            Error::Unsupported { .. } => "unsupported",
        }
    }

    /// Path of the field the error is about, when it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidField { field, .. }
            | Error::MissingField { field, .. }
            | Error::UnsupportedModelType { field, .. }
            | Error::SchemaVersion { field, .. }
            | Error::Unsupported { field, .. } => Some(field),
            Error::UnknownModel { field, .. } => (!field.is_empty()).then_some(field.as_str()),
            Error::Json { field, .. } => field.as_deref(),
            Error::Overflow { .. } | Error::NoDevice => None,
        }
    }

    /// The same error about a field one level down: `config.json`'s `hidden_size` read through a
    /// plan request becomes `goal.model.hf_config.hidden_size`.
    pub fn within(mut self, prefix: &str) -> Self {
        let join = |field: &mut String| {
            *field = if field.is_empty() {
                prefix.to_string()
            } else {
                alloc::format!("{prefix}.{field}")
            };
        };
        match &mut self {
            Error::InvalidField { field, .. }
            | Error::MissingField { field, .. }
            | Error::UnsupportedModelType { field, .. }
            | Error::SchemaVersion { field, .. }
            | Error::UnknownModel { field, .. }
            | Error::Unsupported { field, .. } => join(field),
            Error::Json { field, .. } => join(field.get_or_insert_with(String::new)),
            Error::Overflow { .. } | Error::NoDevice => {}
        }
        self
    }

    pub(crate) fn invalid(
        field: impl Into<String>,
        value: impl Echo,
        expected: impl Into<String>,
    ) -> Self {
        let mut echoed = String::new();
        value.echo(&mut echoed);
        Error::InvalidField {
            field: field.into(),
            value: echoed,
            expected: expected.into(),
        }
    }

    pub(crate) fn missing(field: impl Into<String>, context: impl Into<String>) -> Self {
        Error::MissingField {
            field: field.into(),
            context: context.into(),
        }
    }

    pub(crate) fn overflow(quantity: impl Into<String>) -> Self {
        Error::Overflow {
            quantity: quantity.into(),
            bound: "64 bits",
        }
    }

    pub(crate) fn json(what: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::Json {
            what: what.into(),
            field: None,
            message: one_line(&message.to_string(), MESSAGE_CHARS),
        }
    }

    /// A parser error of serde_json at a known path (`.` separated; empty at the top level).
    pub(crate) fn json_at(
        what: impl Into<String>,
        field: String,
        message: impl fmt::Display,
    ) -> Self {
        Error::Json {
            what: what.into(),
            field: (!field.is_empty() && field != ".").then_some(field),
            message: one_line(&message.to_string(), MESSAGE_CHARS),
        }
    }

    pub(crate) fn schema_version(field: impl Into<String>, found: u32, supported: u32) -> Self {
        Error::SchemaVersion {
            field: field.into(),
            found,
            supported,
        }
    }

    /// Checks a document's version: 1 up to `supported`.
    pub(crate) fn check_version(field: &str, found: u32, supported: u32) -> Result<()> {
        if found == 0 || found > supported {
            return Err(Error::schema_version(field, found, supported));
        }
        Ok(())
    }
}

/// `v` is at least 1, or an error naming `field`.
pub(crate) fn positive(field: &str, v: u64) -> Result<()> {
    if v == 0 {
        return Err(Error::invalid(field, v, "an integer of at least 1"));
    }
    Ok(())
}

/// `v` is at most `max` (`what` says what the bound is), or an error naming `field`.
pub(crate) fn at_most(field: &str, v: u64, max: u64, what: &str) -> Result<()> {
    if v > max {
        return Err(Error::invalid(
            field,
            v,
            alloc::format!("at most {max} ({what})"),
        ));
    }
    Ok(())
}

/// A parser message may quote the whole input; cut it long after any useful part.
const MESSAGE_CHARS: usize = 300;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidField {
                field,
                value,
                expected,
            } => write!(f, "field `{field}` is {value}, expected {expected}"),
            Error::MissingField { field, context } => {
                write!(f, "field `{field}` is missing from {context}")
            }
            Error::UnsupportedModelType {
                field,
                model_type,
                supported,
            } => {
                write!(
                    f,
                    "field `{field}` is \"{model_type}\", a model_type that is not supported; supported types: "
                )?;
                list(f, supported.iter().copied())
            }
            Error::UnknownModel {
                field,
                name,
                suggestions,
            } => {
                if !field.is_empty() {
                    write!(f, "field `{field}`: ")?;
                }
                write!(f, "no model named \"{name}\" in the catalogue")?;
                if !suggestions.is_empty() {
                    f.write_str("; closest: ")?;
                    list(f, suggestions.iter().map(String::as_str))?;
                }
                Ok(())
            }
            Error::Json {
                what,
                field: Some(field),
                message,
            } => write!(f, "{what} is not valid: at `{field}`: {message}"),
            Error::Json {
                what,
                field: None,
                message,
            } => write!(f, "{what} is not valid: {message}"),
            Error::SchemaVersion {
                field,
                found: 0,
                supported,
            } => write!(
                f,
                "field `{field}` is 0, expected a document version from 1 to {supported}"
            ),
            Error::SchemaVersion {
                field,
                found,
                supported,
            } => write!(
                f,
                "field `{field}` is {found}, newer than this build reads (up to {supported}); update trainfit"
            ),
            Error::Overflow { quantity, bound } => {
                write!(f, "{quantity} exceeds {bound}; the input is too large")
            }
            Error::NoDevice => f.write_str(
                "the hardware profile has nothing to plan on: no accelerator with memory_total_bytes and no memory.total_bytes",
            ),
            Error::Unsupported {
                format,
                field,
                reason,
            } => write!(f, "format `{format}` cannot express field `{field}`: {reason}"),
        }
    }
}

fn list<'a>(f: &mut fmt::Formatter<'_>, items: impl Iterator<Item = &'a str>) -> fmt::Result {
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(item)?;
    }
    Ok(())
}

impl core::error::Error for Error {}

/// Result with the core's error.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// How a value is echoed in a message: numbers as numbers (large and tiny floats in exponent
/// form, never 309 digits), text on one line and cut to [`ECHO_CHARS`] characters.
pub trait Echo {
    /// Appends the echo of `self` to `out`.
    fn echo(&self, out: &mut String);
}

macro_rules! echo_display {
    ($($t:ty),+) => {$(
        impl Echo for $t {
            fn echo(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )+};
}
echo_display!(u8, u16, u32, u64, usize, i32, i64, bool);

impl<T: Echo + Copy> Echo for &T {
    fn echo(&self, out: &mut String) {
        (**self).echo(out);
    }
}

impl Echo for f64 {
    fn echo(&self, out: &mut String) {
        let v = *self;
        let a = v.abs();
        let _ = if v.is_nan() {
            write!(out, "NaN")
        } else if v.is_infinite() {
            write!(out, "{}infinity", if v < 0.0 { "-" } else { "" })
        } else if a != 0.0 && !(1e-6..1e15).contains(&a) {
            write!(out, "{v:e}")
        } else {
            write!(out, "{v}")
        };
    }
}

impl Echo for &str {
    fn echo(&self, out: &mut String) {
        out.push_str(&one_line(self, ECHO_CHARS));
    }
}

impl Echo for String {
    fn echo(&self, out: &mut String) {
        self.as_str().echo(out);
    }
}

/// A string the user typed, echoed in double quotes.
pub(crate) struct Quoted<'a>(pub &'a str);

impl Echo for Quoted<'_> {
    fn echo(&self, out: &mut String) {
        out.push('"');
        out.push_str(&one_line(self.0, ECHO_CHARS));
        out.push('"');
    }
}

impl Echo for &serde_json::Value {
    fn echo(&self, out: &mut String) {
        match self {
            serde_json::Value::String(s) => Quoted(s).echo(out),
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(f) if n.as_u64().is_none() && n.as_i64().is_none() => f.echo(out),
                _ => out.push_str(&n.to_string()),
            },
            other => out.push_str(&one_line(&other.to_string(), ECHO_CHARS)),
        }
    }
}

/// `text` on one line: control characters escaped (`\n`, `\t`, `\u{1b}`), cut after `max`
/// characters with `…` and the full length.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            let _ = write!(out, "… ({} characters)", text.chars().count());
            return out;
        }
        if c.is_control() {
            let _ = write!(out, "{}", c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo(v: impl Echo) -> String {
        let mut s = String::new();
        v.echo(&mut s);
        s
    }

    #[test]
    fn codes_lists_every_variants_code() {
        let one_of_each = [
            Error::invalid("f", 1u64, "x"),
            Error::MissingField {
                field: "f".into(),
                context: "c".into(),
            },
            Error::UnsupportedModelType {
                field: "f".into(),
                model_type: "m".into(),
                supported: &[],
            },
            Error::UnknownModel {
                field: "f".into(),
                name: "n".into(),
                suggestions: Vec::new(),
            },
            Error::json("w", "m"),
            Error::schema_version("f", 9, 1),
            Error::overflow("q"),
            Error::NoDevice,
            Error::Unsupported {
                format: "f".into(),
                field: "f".into(),
                reason: "r".into(),
            },
        ];
        // A new variant fails to compile here until it is added above and to CODES.
        for e in &one_of_each {
            match e {
                Error::InvalidField { .. }
                | Error::MissingField { .. }
                | Error::UnsupportedModelType { .. }
                | Error::UnknownModel { .. }
                | Error::Json { .. }
                | Error::SchemaVersion { .. }
                | Error::Overflow { .. }
                | Error::NoDevice
                | Error::Unsupported { .. } => {}
            }
        }
        let codes: Vec<&str> = one_of_each.iter().map(Error::code).collect();
        assert_eq!(codes, Error::CODES);
    }

    #[test]
    fn floats_are_compact() {
        assert_eq!(echo(1e308), "1e308");
        assert_eq!(echo(-2.5e-9), "-2.5e-9");
        assert_eq!(echo(0.25), "0.25");
        assert_eq!(echo(6.0), "6");
        assert_eq!(echo(f64::NAN), "NaN");
        assert_eq!(echo(f64::NEG_INFINITY), "-infinity");
    }

    #[test]
    fn text_stays_on_one_line_and_short() {
        assert_eq!(echo("a\nb"), "a\\nb");
        let long = "x".repeat(100_000);
        let e = echo(Quoted(&long));
        assert!(
            e.starts_with("\"xxxx") && e.ends_with("… (100000 characters)\""),
            "{e}"
        );
        assert!(e.chars().count() < ECHO_CHARS + 30);
    }

    #[test]
    fn within_prefixes_the_path() {
        let e = Error::invalid("hidden_size", 0u64, "a positive integer").within("model.hf_config");
        assert_eq!(e.field(), Some("model.hf_config.hidden_size"));
        assert_eq!(e.code(), "invalid_field");
        let e = Error::json("config.json", "expected a JSON object").within("model.hf_config");
        assert_eq!(e.field(), Some("model.hf_config"));
    }
}
