//! Everything the command line prints: the text tables and reports (plain ASCII, colour only
//! where [`Style`] allows it), and JSON.
//!
//! - [`style`]: colour, ASCII, wrapping.
//! - [`units`]: numbers with their units.
//! - [`model`]: a model and the catalogue.
//! - [`estimate`]: the memory estimate table.
//! - [`report`]: the plan report and the analysis of this machine.
//! - [`profile`]: the profile summary and a network test's result.

pub mod estimate;
pub mod model;
pub mod profile;
pub mod report;
pub mod style;
pub mod units;

pub use style::Style;

/// `value` as indented JSON and a final newline, the JSON every command prints.
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}
