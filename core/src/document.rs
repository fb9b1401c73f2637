//! Decoding of the core's JSON documents, with the path of the offending field in every error.
//!
//! The command line and the wasm bindings decode through these two functions, so a bad request
//! gives the same error in both.

use alloc::string::ToString;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Reads a `what` (e.g. `plan request`) from JSON text. An error names the field's path and the
/// line and column.
///
/// # Errors
/// `Json` for text that is not JSON (nesting deeper than 128 levels included) or of the wrong
/// shape: a missing, unknown or mistyped field.
pub fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    // serde reads a struct from an array too (fields in order), so `[1]` would be a profile of
    // version 1; every document is an object.
    if text.trim_start().starts_with('[') {
        return Err(Error::json(what, "expected a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| at_path(what, e))?;
    de.end().map_err(|e| Error::json(what, e))?;
    Ok(value)
}

/// Reads a `what` from a JSON value (e.g. an object a JavaScript caller passed).
///
/// # Errors
/// As [`from_json`], without line and column.
pub fn from_value<T: DeserializeOwned>(what: &str, value: serde_json::Value) -> Result<T> {
    if value.is_array() {
        return Err(Error::json(what, "expected a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| at_path(what, e))
}

/// The parser's error at the place it concerns: the value's path, or for an unknown field the
/// object holding it (serde's message names the field itself).
fn at_path(what: &str, e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let message = inner.to_string();
    let place = if message.starts_with("unknown field") {
        path.rsplit_once('.').map_or("", |(parent, _)| parent)
    } else if path == "?" {
        // serde_path_to_error's mark for a place it could not reach (text cut short).
        ""
    } else {
        path.as_str()
    };
    Error::json_at(what, place.to_string(), message)
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
    fn trailing_text_and_deep_nesting_are_errors() {
        assert!(from_json::<serde_json::Value>("x", "{} {").is_err());
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let e = from_json::<serde_json::Value>("x", &deep).unwrap_err();
        assert_eq!(e.code(), "invalid_json");
    }
}
