//! The JavaScript boundary: documents in as JSON, results out as JSON, errors as `Error`s with a
//! `code`.
//!
//! Every value crosses as JSON text, through the engine's own `JSON.stringify` and `JSON.parse`,
//! so a JavaScript caller gets exactly the command line's contract: `undefined` properties are
//! not set, `NaN` and `Infinity` are `null`, a cyclic object, a `BigInt` or a `Symbol` is an error
//! the engine reports, and the Rust side reads plain text with the same bounded parser as the
//! command line (nesting beyond 128 levels and documents over 64 MiB are refused), so no input
//! can exhaust the module's stack or memory. A string argument is taken as the document's JSON
//! text, as the command line reads a file.

use js_sys::{JsString, Reflect, JSON};
use serde::de::DeserializeOwned;
use serde::Serialize;
use trainfit_core::document;
use trainfit_core::Error;
use tsify::{Ts, Tsify};
use wasm_bindgen::{JsCast, JsValue};

/// A document `what` (e.g. `plan request`) from a JavaScript value: its JSON text when it is a
/// string, else the value as `JSON.stringify` writes it.
pub fn decode<T: DeserializeOwned>(what: &str, value: &JsValue) -> Result<T, JsValue> {
    if value.is_string() {
        let text = text(what, value)?;
        return document::from_json(what, &text).map_err(error);
    }
    let text = stringify(what, value)?;
    document::from_generated_json(what, &text).map_err(error)
}

/// The JSON text of a JavaScript value: the string itself, or `JSON.stringify` of anything else.
pub fn json_text(what: &str, value: &JsValue) -> Result<String, JsValue> {
    if value.is_string() {
        text(what, value)
    } else {
        stringify(what, value)
    }
}

/// A string argument, refused unread when longer than a document may be.
pub fn text(what: &str, value: &JsValue) -> Result<String, JsValue> {
    // UTF-16 code units: at most as many as UTF-8 bytes for the same text, so a longer string
    // is surely too long, and is not copied into the module.
    let units = value.unchecked_ref::<JsString>().length() as usize;
    document::check_length(what, units).map_err(error)?;
    value
        .as_string()
        .ok_or_else(|| error(json_error(what, "expected a string")))
}

/// `JSON.stringify(value)`; an error for what it refuses (a cycle, a `BigInt`) or writes as
/// nothing (`undefined`, a function, a `Symbol`).
fn stringify(what: &str, value: &JsValue) -> Result<String, JsValue> {
    let json = JSON::stringify(value).map_err(|thrown| {
        let reason = js_sys::Error::from(thrown).message();
        error(json_error(
            what,
            format!("cannot be written as JSON: {}", String::from(reason)),
        ))
    })?;
    if json.is_undefined() {
        let kind = value.js_typeof().as_string().unwrap_or_default();
        return Err(error(json_error(
            what,
            format!("expected a JSON object, got {kind}"),
        )));
    }
    text(what, &json)
}

fn json_error(what: &str, message: impl Into<String>) -> Error {
    Error::Json {
        what: what.into(),
        field: None,
        message: message.into(),
    }
}

/// A core value as the plain object `JSON.parse` makes of the command line's JSON, refused when
/// it holds an integer JavaScript cannot hold exactly (the command line refuses it too).
pub fn encode<T: Serialize + Tsify>(what: &str, value: &T) -> Result<Ts<T>, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| error(json_error(what, e.to_string())))?;
    document::check_exact(what, &text).map_err(error)?;
    Ok(Ts::new_unchecked(JSON::parse(&text)?))
}

/// A JavaScript `Error` with the core's message, its stable `code` (`invalid_field`, …) and, when
/// it is about one, the `field` path.
pub fn error(e: Error) -> JsValue {
    let js = js_sys::Error::new(&e.to_string());
    // Setting a property on a fresh Error cannot fail.
    let _ = Reflect::set(&js, &"code".into(), &e.code().into());
    if let Some(field) = e.field() {
        let _ = Reflect::set(&js, &"field".into(), &field.into());
    }
    js.into()
}
