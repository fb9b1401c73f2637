//! The committed JSON Schemas equal what the core's types generate.
//! Regenerate with `TRAINFIT_BLESS=1 cargo test -p trainfit-tests --test schema`.

use std::path::Path;

#[test]
fn committed_schemas_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bless = std::env::var("TRAINFIT_BLESS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for (file, schema) in trainfit_tests::schemas() {
        let want = trainfit_tests::render(&schema);
        let path = root.join(file);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
            continue;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            let line = have
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(have.lines().count().min(want.lines().count()))
                + 1;
            stale.push(format!("{file} (first difference at line {line})"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated schemas: {}; regenerate with `TRAINFIT_BLESS=1 cargo test -p trainfit-tests --test schema` and commit them",
        stale.join(", ")
    );
}
