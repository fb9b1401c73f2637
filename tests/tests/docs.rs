//! The committed field reference pages (`docs/reference/`) equal what the schemas generate.
//! Regenerate with `TRAINFIT_BLESS=1 cargo test -p trainfit-tests --test docs`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn committed_reference_pages_are_current() {
    let pages = trainfit_tests::reference_pages();
    let stale = trainfit_tests::stale_files(&root(), "docs/reference", &pages);
    assert!(
        stale.is_empty(),
        "stale reference pages: {}; regenerate with `TRAINFIT_BLESS=1 cargo test -p trainfit-tests --test docs` and commit them",
        stale.join(", ")
    );
}

/// The cells of a Markdown table row (`\|` inside a cell is text, not a separator).
fn cells(row: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = row.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    cells
}

/// The part of a Markdown page from the line `heading` to the next heading of any level.
fn section<'a>(page: &'a str, name: &str, heading: &str) -> &'a str {
    let start = page
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("{name} has no heading {heading:?}"))
        + heading.len()
        + 2;
    let rest = &page[start..];
    &rest[..rest.find("\n#").unwrap_or(rest.len())]
}

/// Every field of every object in every schema has a row in a reference page, under the heading
/// of its type, with a meaning and a default (or `required`): the generator drops nothing, and
/// every field's doc comment reaches the reader.
#[test]
fn reference_pages_document_every_field() {
    let root = root();
    let pages: Vec<(String, String)> = trainfit_tests::schemas()
        .iter()
        .map(|(file, _)| {
            let stem = file
                .strip_prefix("schema/")
                .and_then(|f| f.strip_suffix(".schema.json"))
                .unwrap();
            let page = format!("docs/reference/{stem}.md");
            let text = std::fs::read_to_string(root.join(&page)).unwrap_or_default();
            (page, text)
        })
        .collect();
    // A type that is a document of its own is checked on its page's top level.
    let documents: Vec<String> = trainfit_tests::schemas()
        .iter()
        .filter_map(|(_, s)| Some(s.as_value().get("title")?.as_str()?.to_string()))
        .collect();
    let mut missing = Vec::new();
    let mut checked = 0;
    for ((_, schema), (page, text)) in trainfit_tests::schemas().iter().zip(&pages) {
        let schema = schema.as_value();
        // A document that is a list (the catalogue) has no fields of its own: its items' type
        // is checked under its own heading below.
        let mut objects = Vec::new();
        if schema.get("properties").is_some() {
            objects.push(("## Top level".to_string(), schema));
        }
        for (name, def) in schema
            .get("$defs")
            .and_then(|d| d.as_object())
            .into_iter()
            .flatten()
        {
            if def.get("properties").is_some() && !documents.contains(name) {
                objects.push((format!("## `{name}`"), def));
            }
        }
        for (heading, object) in objects {
            // A type is documented once, on the page of the first document that holds it (the
            // hardware profile's types on its own page, not again inside the plan request's).
            let home = if heading == "## Top level" {
                Some((page, text))
            } else {
                pages
                    .iter()
                    .find(|(_, text)| text.contains(&format!("\n{heading}\n")))
                    .map(|(page, text)| (page, text))
            };
            let Some(home) = home else {
                missing.push(format!("{page}: no section {heading}"));
                continue;
            };
            let body = section(home.1, home.0, &heading);
            for field in object["properties"].as_object().unwrap().keys() {
                checked += 1;
                let row = body
                    .lines()
                    .find(|l| l.starts_with(&format!("| `{field}` |")))
                    .map(cells);
                match row.as_deref() {
                    Some([_, ty, meaning, default]) => {
                        for (what, cell) in
                            [("type", ty), ("meaning", meaning), ("default", default)]
                        {
                            if cell.is_empty() || cell == "-" {
                                missing
                                    .push(format!("{}: {heading} `{field}` has no {what}", home.0));
                            }
                        }
                    }
                    _ => missing.push(format!("{}: {heading} has no row for `{field}`", home.0)),
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} fields checked");
    assert!(missing.is_empty(), "{missing:#?}");
}

/// The estimate guide (`docs/estimate.md`) has a table row for every request field, so the
/// hand-written explanations keep up with the types.
#[test]
fn estimate_guide_documents_every_request_field() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/estimate-request.schema.json")).unwrap(),
    )
    .unwrap();
    let guide = std::fs::read_to_string(root().join("docs/estimate.md")).unwrap();
    let mut missing = Vec::new();
    for (heading, properties) in [
        ("## Request format", &schema["properties"]),
        ("### `lora`", &schema["$defs"]["Lora"]["properties"]),
        (
            "### `quantization`",
            &schema["$defs"]["Quantization"]["properties"],
        ),
        (
            "### `inference`",
            &schema["$defs"]["Inference"]["properties"],
        ),
        ("### `parallel`", &schema["$defs"]["Parallel"]["properties"]),
        (
            "### `parallel.offload`",
            &schema["$defs"]["Offload"]["properties"],
        ),
        ("### `runtime`", &schema["$defs"]["Runtime"]["properties"]),
    ] {
        let text = section(&guide, "docs/estimate.md", heading);
        let properties = properties
            .as_object()
            .unwrap_or_else(|| panic!("no properties in the schema for {heading}"));
        for field in properties.keys() {
            if !text.contains(&format!("| `{field}` |")) {
                missing.push(format!("{heading}: {field}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/estimate.md has no table row for {missing:?}"
    );
}

/// The planning guide (`docs/plan.md`) has a table row for every plan request and goal field.
#[test]
fn plan_guide_documents_every_plan_request_field() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/plan-request.schema.json")).unwrap(),
    )
    .unwrap();
    let guide = std::fs::read_to_string(root().join("docs/plan.md")).unwrap();
    let start = guide
        .find("\n## Request fields\n")
        .expect("docs/plan.md has a section `## Request fields`");
    let rest = &guide[start + 1..];
    let text = &rest[..rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3)];
    let mut missing = Vec::new();
    for properties in [
        &schema["properties"],
        &schema["$defs"]["Goal"]["properties"],
    ] {
        for field in properties.as_object().unwrap().keys() {
            if !text.contains(&format!("| `{field}` |")) {
                missing.push(field.clone());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/plan.md has no row for {missing:?}"
    );
}
