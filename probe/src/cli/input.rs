//! Input documents: files or standard input, and JSON parsed with the path of a bad value.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::de::DeserializeOwned;

/// Where a document is read from: a file, or standard input for the path `-`.
pub struct Origin<'a>(pub &'a Path);

impl Origin<'_> {
    /// Standard input.
    pub fn is_stdin(&self) -> bool {
        self.0 == Path::new("-")
    }

    /// The whole text.
    pub fn read(&self) -> anyhow::Result<String> {
        if self.is_stdin() {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read standard input")?;
            return Ok(s);
        }
        std::fs::read_to_string(self.0).with_context(|| format!("cannot read {}", self.0.display()))
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

/// Parses `text`; errors name the JSON path of the offending value, and its line and column.
pub fn parse<T: DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(at_path)
}

/// Converts a JSON value; errors name the JSON path of the offending value.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> anyhow::Result<T> {
    serde_path_to_error::deserialize(value).map_err(at_path)
}

/// The parser's message prefixed with the place it concerns: the value's path, or for an
/// unknown field the object holding it (the message names the field itself).
fn at_path(e: serde_path_to_error::Error<serde_json::Error>) -> anyhow::Error {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let place = if inner.to_string().starts_with("unknown field") {
        path.rsplit_once('.').map_or("", |(parent, _)| parent)
    } else {
        path.as_str()
    };
    if place.is_empty() || place == "." {
        anyhow::Error::new(inner)
    } else {
        anyhow::anyhow!("at `{place}`: {inner}")
    }
}
