//! The JavaScript boundary: documents in as JSON, results out as JSON, errors as `Error`s with a
//! `code`.
//!
//! Every value crosses as JSON text, through the engine's own `JSON.stringify` and `JSON.parse`,
//! so a JavaScript caller gets the command line's contract: `undefined` properties are not set,
//! a cyclic object or a `BigInt` is an error the engine reports, and the Rust side reads plain
//! text with the same bounded parser as the command line (nesting beyond 128 levels and
//! documents over 64 MiB are refused), so no input can exhaust the module's stack or memory.
//! One departure from `JSON.stringify`: `NaN` and the infinities are written as the strings
//! `"NaN"`, `"Infinity"` and `"-Infinity"` rather than `null`, so a number that is not one is
//! refused with its field's path instead of reading as "not set". A string argument is taken as
//! the document's JSON text, as the command line reads a file.

use js_sys::{JsString, Reflect, JSON};
use serde::de::DeserializeOwned;
use serde::Serialize;
use trainfit_core::document;
use trainfit_core::Error;
use tsify::{Ts, Tsify};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// The replacer that writes non-finite numbers as strings; made once.
    static FINITE: Closure<dyn Fn(JsValue, JsValue) -> JsValue> = Closure::new(finite);
}

/// `JSON.stringify`'s replacer: `NaN`, `Infinity` and `-Infinity` as strings, so the decoder
/// refuses them by name instead of reading `null`.
fn finite(_key: JsValue, value: JsValue) -> JsValue {
    match value.as_f64() {
        Some(n) if n.is_nan() => "NaN".into(),
        Some(n) if n.is_infinite() => (if n > 0.0 { "Infinity" } else { "-Infinity" }).into(),
        _ => value,
    }
}

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

/// A name argument (`"balanced"`, `"deepspeed"`): a string, read by the core's `FromStr`, not
/// a JSON document.
pub fn name<T: std::str::FromStr<Err = Error>>(what: &str, value: &JsValue) -> Result<T, JsValue> {
    if !value.is_string() {
        let kind = value.js_typeof().as_string().unwrap_or_default();
        return Err(error(Error::InvalidField {
            field: what.into(),
            value: format!("of type {kind}"),
            expected: "a string".into(),
        }));
    }
    text(what, value)?.parse().map_err(error)
}

/// `JSON.stringify(value)`; an error for what it refuses (a cycle, a `BigInt`) or writes as
/// nothing (`undefined`, a function, a `Symbol`).
fn stringify(what: &str, value: &JsValue) -> Result<String, JsValue> {
    let json = FINITE.with(|replacer| JSON::stringify_with_replacer(value, replacer.as_ref()));
    let json = json.map_err(|thrown| {
        error(json_error(
            what,
            format!("cannot be written as JSON: {}", thrown_message(&thrown)),
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

/// The message of a thrown value: an `Error`'s `message`, a thrown string, or its type.
pub fn thrown_message(thrown: &JsValue) -> String {
    let message = if thrown.is_object() {
        Reflect::get(thrown, &"message".into()).ok()
    } else {
        None
    };
    message
        .and_then(|m| m.as_string())
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| thrown.js_typeof().as_string().unwrap_or_default())
        .chars()
        .take(200)
        .collect()
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
