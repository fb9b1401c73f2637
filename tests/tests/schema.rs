//! The committed JSON Schemas equal what the core's types generate.
//! Regenerate with `TRAINFIT_BLESS=1 cargo test -p trainfit-tests --test schema`.

use std::path::Path;

#[test]
fn committed_schemas_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files: Vec<(String, String)> = trainfit_tests::schemas()
        .into_iter()
        .map(|(file, schema)| (file.to_string(), trainfit_tests::render(&schema)))
        .collect();
    let stale = trainfit_tests::stale_files(&root, "schema", &files);
    assert!(
        stale.is_empty(),
        "stale generated schemas: {}; regenerate with `TRAINFIT_BLESS=1 cargo test -p trainfit-tests --test schema` and commit them",
        stale.join(", ")
    );
}
