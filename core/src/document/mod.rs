//! Decoding and encoding of the core's JSON documents, with the path of the offending field in
//! every error, and the versions of each document.
//!
//! The command line and the wasm bindings decode through [`from_json`] and [`from_value`] and
//! check what they print with [`check_exact`], so a bad request gives the same error in both
//! and a result gives the same numbers.

use alloc::format;
use alloc::string::{String, ToString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::error::Category;

use crate::error::{Error, Result};

mod path;

/// Largest document read, bytes: 64 MiB. The largest inputs are a cluster's profiles, each tens
/// of kilobytes, and a model's `config.json`, a few kilobytes; the bound keeps a wrong input
/// (`/dev/zero`, a checkpoint, a runaway string in a page) from filling memory.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// Most elements of any list in a document: 2^16, the bound of every list of a hardware profile
/// but its accelerators (1024). Checked on the text before it is read, so a list of millions of
/// small entries (`[{"name": ""}, …]`, each a large struct once read) cannot fill memory.
pub const MAX_LIST_ENTRIES: usize = 1 << 16;

/// Largest integer a result may hold: 2^53, the largest up to which a JavaScript number holds
/// every integer exactly (ECMA-262, `Number.MAX_SAFE_INTEGER` + 1), so the command line and the
/// npm package print the same number or give the same error.
pub const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// Reads a `what` (e.g. `plan request`) from JSON text. An error names the field's path and the
/// line and column.
///
/// # Errors
/// `Json` for text that is not JSON (nesting deeper than 128 levels included), longer than
/// [`MAX_DOCUMENT_BYTES`], or of the wrong shape: a missing, unknown, repeated or mistyped
/// field. `InvalidField` for a list longer than [`MAX_LIST_ENTRIES`].
pub fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    read(what, text, true)
}

/// Reads a `what` from JSON text a program wrote (the npm package's `JSON.stringify` of an
/// object): as [`from_json`], but an error names only the field's path, since a line and column
/// would point into text the user never saw.
///
/// # Errors
/// As [`from_json`].
pub fn from_generated_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    read(what, text, false)
}

fn read<T: DeserializeOwned>(what: &str, text: &str, place: bool) -> Result<T> {
    check_length(what, text.len())?;
    // serde reads a struct from an array too (fields in order), so `[1]` would be a profile of
    // version 1; every document is an object.
    if text.trim_start().starts_with('[') {
        return Err(Error::json(what, "expected a JSON object"));
    }
    if let Some(list) = path::first_long_list(text, MAX_LIST_ENTRIES) {
        return Err(Error::invalid(
            list,
            format!("a list of more than {MAX_LIST_ENTRIES} entries"),
            format!("at most {MAX_LIST_ENTRIES} entries (no list of a document may hold more)"),
        ));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(&mut de).map_err(|e| at_place(what, text, e, place))?;
    de.end().map_err(|e| Error::json(what, e))?;
    Ok(value)
}

/// Reads a `what` from a JSON value (e.g. a request the command line amended).
///
/// # Errors
/// As [`from_json`], without line and column.
pub fn from_value<T: DeserializeOwned>(what: &str, value: serde_json::Value) -> Result<T> {
    // Through its text, so that errors name their path as [`from_json`]'s do.
    let text = serde_json::to_string(&value).map_err(|e| Error::json(what, e))?;
    from_generated_json(what, &text)
}

/// Refuses a document longer than [`MAX_DOCUMENT_BYTES`] before reading it.
///
/// # Errors
/// `Json` naming its length.
pub fn check_length(what: &str, bytes: usize) -> Result<()> {
    if bytes > MAX_DOCUMENT_BYTES {
        return Err(Error::json(
            what,
            format!(
                "it is {bytes} bytes, more than the {} MiB a document may have",
                MAX_DOCUMENT_BYTES >> 20
            ),
        ));
    }
    Ok(())
}

/// Checks that every integer in `json`, the JSON text of a result `what` (e.g. `plan`), is at
/// most [`MAX_EXACT_INTEGER`] in size, so JavaScript reads the number the command line prints.
///
/// # Errors
/// `Overflow` naming the first field, in document order, that holds a larger integer.
pub fn check_exact(what: &str, json: &str) -> Result<()> {
    match path::first_inexact(json) {
        None => Ok(()),
        Some((path, number)) => Err(Error::Overflow {
            quantity: format!("field `{path}` of the {what} ({number})"),
            bound: "2^53, the largest integer a JavaScript number holds exactly",
        }),
    }
}

/// Versions of the crate and of each document it reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Versions {
    /// Version of trainfit-core, e.g. `0.1.0`.
    pub trainfit: String,
    /// `schema_version` of estimate requests and estimates.
    pub estimate: u32,
    /// `schema_version` of plan requests and plans.
    pub plan: u32,
    /// `schema_version` of hardware profiles.
    pub hardware_profile: u32,
}

/// The versions of this build.
pub fn versions() -> Versions {
    Versions {
        trainfit: String::from(env!("CARGO_PKG_VERSION")),
        estimate: crate::request::SCHEMA_VERSION,
        plan: crate::plan::PLAN_SCHEMA_VERSION,
        hardware_profile: crate::hardware::PROFILE_SCHEMA_VERSION,
    }
}

/// serde_json's error about `text`, with the path of what it is about (found from the place it
/// reports: [`path::path_at`]); with `place`, the line and column serde_json appends. A syntax
/// error is about the text rather than a field, so it names none.
fn at_place(what: &str, text: &str, inner: serde_json::Error, place: bool) -> Error {
    let mut message = inner.to_string();
    if !place && inner.line() > 0 {
        let suffix = format!(" at line {} column {}", inner.line(), inner.column());
        if message.ends_with(&suffix) {
            message.truncate(message.len() - suffix.len());
        }
    }
    let path = match inner.classify() {
        Category::Syntax | Category::Eof => String::new(),
        _ => path::path_at(text, inner.line(), inner.column()),
    };
    Error::json_at(what, path, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlanRequest;
    use crate::EstimateRequest;

    #[test]
    fn errors_name_the_path() {
        let e = from_json::<EstimateRequest>(
            "request",
            "{\"model\": {\"catalogue\": \"gpt2\"},\n \"parallel\": {\"data\": \"8\"}}",
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("parallel.data"));
        assert_eq!(
            e.to_string(),
            "request is not valid: at `parallel.data`: invalid type: string \"8\", expected u64 at line 2 column 25"
        );
    }

    #[test]
    fn an_unknown_field_names_its_object() {
        let e =
            from_json::<PlanRequest>("plan request", r#"{"profile": {}, "goal": {"sequnce": 5}}"#)
                .unwrap_err();
        assert_eq!(e.field(), Some("goal"));
        assert!(e.to_string().contains("unknown field `sequnce`"), "{e}");
    }

    #[test]
    fn results_hold_only_exact_integers() {
        let text = |v: serde_json::Value| serde_json::to_string_pretty(&v).unwrap();
        let ok = serde_json::json!({"a\\\"": [1, {"b": MAX_EXACT_INTEGER}], "c": -1.5e300, "d": "99999999999999999"});
        assert_eq!(check_exact("plan", &text(ok)), Ok(()));
        let big = serde_json::json!({"a": [1, {"b": MAX_EXACT_INTEGER + 1}], "c": 1});
        let e = check_exact("plan", &text(big)).unwrap_err();
        assert_eq!(e.code(), "overflow");
        assert_eq!(
            e.to_string(),
            "field `a[1].b` of the plan (9007199254740993) exceeds 2^53, the largest integer a JavaScript number holds exactly; the input is too large"
        );
        let e = check_exact(
            "plan",
            &text(serde_json::json!({"m": [[], {}], "n": i64::MIN})),
        )
        .unwrap_err();
        assert!(e.to_string().contains("`n`"), "{e}");
    }

    #[test]
    fn documents_are_bounded() {
        let long = " ".repeat(MAX_DOCUMENT_BYTES + 1);
        let e = from_json::<serde_json::Value>("request", &long).unwrap_err();
        assert_eq!(e.code(), "invalid_json");
        assert!(e.to_string().contains("64 MiB"), "{e}");
    }

    #[test]
    fn versions_name_every_document() {
        let v = versions();
        assert_eq!(v.trainfit, env!("CARGO_PKG_VERSION"));
        assert_eq!(v.plan, crate::plan::PLAN_SCHEMA_VERSION);
    }

    #[test]
    fn trailing_text_and_deep_nesting_are_errors() {
        assert!(from_json::<serde_json::Value>("x", "{} {").is_err());
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let e = from_json::<serde_json::Value>("x", &deep).unwrap_err();
        assert_eq!(e.code(), "invalid_json");
    }
}
