//! Generation of the committed JSON Schemas from the core's types, and of the field reference
//! pages (`docs/reference/`) from those schemas.
#![deny(missing_docs)]

pub mod reference;

use schemars::{schema_for, Schema};
use trainfit_core::hardware::HardwareProfile;
use trainfit_core::model::CatalogueModel;
use trainfit_core::plan::{Plan, PlanRequest};
use trainfit_core::{Estimate, EstimateRequest, ModelSpec};

/// Every generated schema with the file it is committed as, relative to the repository root.
pub fn schemas() -> Vec<(&'static str, Schema)> {
    vec![
        (
            "schema/estimate-request.schema.json",
            schema_for!(EstimateRequest),
        ),
        ("schema/estimate.schema.json", schema_for!(Estimate)),
        ("schema/model-spec.schema.json", schema_for!(ModelSpec)),
        (
            "schema/hardware-profile.schema.json",
            schema_for!(HardwareProfile),
        ),
        ("schema/plan-request.schema.json", schema_for!(PlanRequest)),
        ("schema/plan.schema.json", schema_for!(Plan)),
        ("schema/catalogue.schema.json", {
            let mut s = schema_for!(Vec<CatalogueModel>);
            s.insert("title".into(), "Catalogue".into());
            s
        }),
    ]
}

/// The text a schema is committed as: pretty JSON with a final newline.
pub fn render(schema: &Schema) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}

/// Every field reference page with the file it is committed as (`docs/reference/<name>.md`,
/// one per schema of [`schemas`]), rendered from the same schemas the schema files hold.
pub fn reference_pages() -> Vec<(String, String)> {
    let schemas = schemas();
    let documents: Vec<reference::Document> = schemas
        .iter()
        .map(|(file, schema)| reference::Document {
            stem: file
                .strip_prefix("schema/")
                .and_then(|f| f.strip_suffix(".schema.json"))
                .unwrap_or(file),
            schema: schema.as_value(),
        })
        .collect();
    reference::render_pages(&documents)
}
