//! Input files and standard input.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;

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
