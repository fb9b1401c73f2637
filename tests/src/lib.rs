//! Generation of the committed JSON Schemas from the core's types, and of the field reference
//! pages (`docs/reference/`) from those schemas.
#![deny(missing_docs)]

pub mod reference;

use std::collections::BTreeSet;
use std::path::Path;

use schemars::{schema_for, Schema};
use trainfit_core::adjust::{Decision, Observation};
use trainfit_core::cluster::Cluster;
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
        ("schema/cluster.schema.json", schema_for!(Cluster)),
        ("schema/plan.schema.json", schema_for!(Plan)),
        ("schema/observation.schema.json", schema_for!(Observation)),
        ("schema/decision.schema.json", schema_for!(Decision)),
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

/// The generated files of folder `dir` (relative to `root`) that differ from their committed
/// text, each named with its first differing line, and the committed files of `dir` that nothing
/// generates any more. With `TRAINFIT_BLESS=1` in the environment it writes (and removes) them
/// instead, and returns nothing.
pub fn stale_files(root: &Path, dir: &str, files: &[(String, String)]) -> Vec<String> {
    let bless = std::env::var("TRAINFIT_BLESS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (file, want) in files {
        let path = root.join(file);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap_or(root)).unwrap_or_default();
            std::fs::write(&path, want).unwrap_or_default();
            continue;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if &have != want {
            let line = have
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(have.lines().count().min(want.lines().count()))
                + 1;
            stale.push(format!("{file} (first difference at line {line})"));
        }
    }
    let generated: BTreeSet<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    for entry in std::fs::read_dir(root.join(dir)).into_iter().flatten() {
        let Ok(entry) = entry else { continue };
        let file = format!("{dir}/{}", entry.file_name().to_string_lossy());
        if !generated.contains(file.as_str()) {
            if bless {
                std::fs::remove_file(root.join(&file)).unwrap_or_default();
            } else {
                stale.push(format!("{file} (nothing generates it)"));
            }
        }
    }
    stale
}
