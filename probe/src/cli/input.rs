//! Input documents: files or standard input, bounded in size, and JSON parsed with the path of
//! a bad value.

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
