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

/// `value`, a `what` (e.g. `plan`), as indented JSON and a final newline, the JSON every command
/// prints; refused, as the npm package refuses it, when it holds an integer above 2^53, which
/// JavaScript would read as another number.
pub fn json<T: serde::Serialize + ?Sized>(what: &str, value: &T) -> anyhow::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    trainfit_core::document::check_exact(what, &text)?;
    Ok(text + "\n")
}
