//! Input documents: files or standard input, bounded in size, and JSON or YAML parsed with the
//! path of a bad value.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::de::DeserializeOwned;

/// Largest document read, bytes: the core's bound (64 MiB), the npm package's too. It is applied
/// while reading, so a wrong path (`/dev/zero`, a checkpoint) cannot fill memory.
pub const MAX_INPUT_BYTES: u64 = trainfit_core::document::MAX_DOCUMENT_BYTES as u64;

/// Where a document is read from: a file, or standard input for the path `-`.
pub struct Origin<'a>(pub &'a Path);

impl Origin<'_> {
    /// Standard input.
    pub fn is_stdin(&self) -> bool {
        self.0 == Path::new("-")
    }

    /// The whole text, up to [`MAX_INPUT_BYTES`].
    pub fn read(&self) -> anyhow::Result<String> {
        let mut bytes = Vec::new();
        let read = if self.is_stdin() {
            std::io::stdin()
                .take(MAX_INPUT_BYTES + 1)
                .read_to_end(&mut bytes)
        } else {
            std::fs::File::open(self.0)
                .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        };
        read.with_context(|| format!("cannot read {self}"))?;
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            anyhow::bail!(
                "{self} is larger than {} MiB; a request, profile or config.json is far smaller",
                MAX_INPUT_BYTES >> 20
            );
        }
        String::from_utf8(bytes).with_context(|| format!("{self} is not UTF-8 text"))
    }

    /// Whether the document is YAML: a file named `.yaml` or `.yml`. Standard input is JSON, so a
    /// mistyped request piped in gets JSON's error rather than a YAML reading of it.
    pub fn is_yaml(&self) -> bool {
        !self.is_stdin()
            && self
                .0
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
    }

    /// A path written inside the document, taken relative to the document's folder (the current
    /// folder for standard input).
    pub fn resolve(&self, relative: &str) -> PathBuf {
        match self.0.parent() {
            Some(dir) if !self.is_stdin() => dir.join(relative),
            _ => PathBuf::from(relative),
        }
    }
}

impl fmt::Display for Origin<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_stdin() {
            f.write_str("standard input")
        } else {
            write!(f, "{}", self.0.display())
        }
    }
}

/// Parses `text` as a `what` (e.g. `request r.json`) with the core's decoder, as the npm
/// package does: errors name the JSON path of the offending value, and its line and column.
pub fn parse<T: DeserializeOwned>(what: &str, text: &str) -> anyhow::Result<T> {
    Ok(trainfit_core::document::from_json(what, text)?)
}

/// Converts a JSON value as [`parse`] does, without line and column.
pub fn from_value<T: DeserializeOwned>(what: &str, value: serde_json::Value) -> anyhow::Result<T> {
    Ok(trainfit_core::document::from_value(what, value)?)
}

/// Parses the text of a document read from `origin` as a `what`: YAML for a `.yaml`/`.yml` file
/// ([`yaml`], then the core's decoder on its value, so an error names the field's path, after the
/// line and column where the YAML reader finds it), else JSON ([`parse`], with the path, line and
/// column).
pub fn document<T: DeserializeOwned>(what: &str, origin: &Origin, text: &str) -> anyhow::Result<T> {
    if origin.is_yaml() {
        from_yaml_value(what, text, yaml(what, text)?)
    } else {
        parse(what, text)
    }
}

/// The JSON value of a YAML document (YAML 1.2). An error names `what` and the line and column.
pub fn yaml(what: &str, text: &str) -> anyhow::Result<serde_json::Value> {
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| anyhow::anyhow!("{what} is not valid YAML: {}", one_line(&e.to_string())))
}

/// Converts the value of YAML `text` (perhaps amended) as [`from_value`] does; an error names the
/// line and column where the YAML reader finds it, after the field's path.
pub fn from_yaml_value<T: DeserializeOwned>(
    what: &str,
    text: &str,
    value: serde_json::Value,
) -> anyhow::Result<T> {
    from_value(what, value).map_err(|e| match yaml_place::<T>(text) {
        // As serde_json ends its messages.
        Some((line, column)) => anyhow::anyhow!("{e:#} at line {line} column {column}"),
        None => e,
    })
}

/// Where in YAML text the typed reading of a `T` fails, when it does and the reader knows: the
/// JSON path of the core's error says which field, this says where the reader typed it.
fn yaml_place<T: DeserializeOwned>(text: &str) -> Option<(u64, u64)> {
    let options = serde_saphyr::options! { with_snippet: false };
    let e = serde_saphyr::from_str_with_options::<T>(text, options).err()?;
    let at = e.location()?;
    Some((at.line(), at.column()))
}

/// A message on one line: the YAML reader's may span several.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
