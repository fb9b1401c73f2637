//! The exporter of the trainfit-wasm bindings as a module of its own: `exportPlan` and
//! `exportFormats`, compiled from trainfit-wasm's own `export` and `boundary` sources, so both
//! modules answer alike (the same JSON boundary, the same errors with a `code` and a `field`).
//!
//! The web page's main module is trainfit-wasm without its `export` feature; the page fetches
//! this one only when a visitor opens a "Run it" panel, so a first visit does not transfer the
//! exporter (docs/performance.md, "The web page"). The npm package's entries keep the full
//! module, where `exportPlan` is synchronous as before.

#![deny(missing_docs)]

// Shared source rather than a dependency on trainfit-wasm: a cdylib exports every
// `#[wasm_bindgen]` function of the crates it links, so depending on trainfit-wasm would bring
// the whole of its API (and its size) back into this module. This module does not read JSON
// text given as a document of its own (`json_text`) nor a thrown value (`thrown_message`).
#[path = "../../src/boundary.rs"]
#[allow(dead_code)]
mod boundary;
#[path = "../../src/export.rs"]
mod export;
