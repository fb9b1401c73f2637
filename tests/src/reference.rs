//! Field reference pages: one Markdown page per generated JSON Schema, a table per object.
//!
//! The pages are rendered from the schemas alone, so they say what the types say: each field's
//! meaning is its doc comment, its default the doc comment's `Default: …` sentence (else the
//! schema's `default` value). The walk is generic over the constructs schemars emits (`$ref` into
//! `$defs`, `oneOf`/`anyOf` unions and nullable values, `enum` and `const` choices, arrays, maps
//! and inline objects), so a field that becomes stricter shows up here without code changes.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::{Map, Value};

/// One reference page to render: the schema and the names it is committed under.
pub struct Document<'a> {
    /// File name without extension (`estimate-request`): the schema is
    /// `schema/<stem>.schema.json`, the page `docs/reference/<stem>.md`.
    pub stem: &'a str,
    /// The generated JSON Schema.
    pub schema: &'a Value,
}

/// Render every document's page. A `$ref` to a type that is the root of another document (the
/// hardware profile inside a plan request) links to that document's page instead of repeating
/// its tables.
pub fn render_pages(documents: &[Document<'_>]) -> Vec<(String, String)> {
    let roots: BTreeMap<String, String> = documents
        .iter()
        .filter_map(|d| {
            Some((
                d.schema.get("title")?.as_str()?.to_string(),
                d.stem.to_string(),
            ))
        })
        .collect();
    documents
        .iter()
        .map(|d| {
            let others = roots
                .iter()
                .filter(|(_, stem)| stem.as_str() != d.stem)
                .map(|(title, stem)| (title.clone(), stem.clone()))
                .collect();
            (
                format!("docs/reference/{}.md", d.stem),
                Page::new(d.stem, d.schema, others).render(),
            )
        })
        .collect()
}

/// Where a section's schema sits: the document's root, a named definition, or an object written
/// inline at a path.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Root,
    Def(String),
    Inline(String),
}

/// One `##` section of a page: an object's field table or a choice's list of values.
struct Section<'a> {
    key: Key,
    heading: String,
    anchor: String,
    schema: &'a Value,
    /// Paths (from the document's root) at which this type appears, in order of discovery.
    paths: Vec<String>,
}

/// How a schema node is documented.
#[derive(PartialEq)]
enum Shape {
    /// An object with named fields: a field table.
    Object,
    /// One value out of several. `all_const` when every alternative is a fixed value (a unit
    /// enum), which is listed in the type cell.
    Choice { all_const: bool },
    /// A scalar, array, map or nullable value: described in the type cell alone.
    Plain,
}

struct Page<'a> {
    stem: &'a str,
    schema: &'a Value,
    defs: Option<&'a Map<String, Value>>,
    /// Titles of the other documents' roots, with their stems.
    others: BTreeMap<String, String>,
    sections: Vec<Section<'a>>,
    index: BTreeMap<Key, usize>,
}

impl<'a> Page<'a> {
    fn new(stem: &'a str, schema: &'a Value, others: BTreeMap<String, String>) -> Self {
        let mut page = Page {
            stem,
            schema,
            defs: schema.get("$defs").and_then(Value::as_object),
            others,
            sections: Vec::new(),
            index: BTreeMap::new(),
        };
        page.discover();
        page
    }

    /// Breadth-first walk from the root, so that top-level objects come before the objects they
    /// hold; each definition is expanded once (which also ends any cycle).
    fn discover(&mut self) {
        self.add_section(Key::Root, "Top level".to_string(), self.schema, None);
        let mut queue: VecDeque<(&'a Value, String)> = VecDeque::new();
        let mut expanded: BTreeSet<String> = BTreeSet::new();
        self.push_children(self.schema, "", &mut queue);
        while let Some((node, path)) = queue.pop_front() {
            if let Some(name) = ref_name(node) {
                if self.others.contains_key(name) {
                    continue;
                }
                let Some(def) = self.def(name) else { continue };
                if shape(def) != Shape::Plain && documented_choice(def) {
                    self.add_section(
                        Key::Def(name.to_string()),
                        format!("`{name}`"),
                        def,
                        Some(&path),
                    );
                }
                if expanded.insert(name.to_string()) {
                    self.push_children(def, &path, &mut queue);
                }
                continue;
            }
            if is_inline_object(node) {
                self.add_section(
                    Key::Inline(path.clone()),
                    format!("`{path}`"),
                    node,
                    Some(&path),
                );
            }
            self.push_children(node, &path, &mut queue);
        }
    }

    /// Queue the schemas a node holds, each with its path.
    fn push_children(
        &self,
        node: &'a Value,
        path: &str,
        queue: &mut VecDeque<(&'a Value, String)>,
    ) {
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                queue.push_back((property, join(path, name)));
            }
        }
        if let Some(items) = node.get("items") {
            queue.push_back((items, format!("{path}[]")));
        }
        if let Some(values) = node.get("additionalProperties").filter(|v| v.is_object()) {
            queue.push_back((values, format!("{path}.*")));
        }
        for alternative in alternatives(node) {
            // A one-key object is a form of its union (`{"spec": …}`): its row is in the union's
            // table, and only its value needs a section of its own.
            match single_key(alternative) {
                Some((name, value)) => queue.push_back((value, join(path, name))),
                None => queue.push_back((alternative, path.to_string())),
            }
        }
        if let Some(parts) = node.get("allOf").and_then(Value::as_array) {
            for part in parts {
                queue.push_back((part, path.to_string()));
            }
        }
    }

    fn add_section(&mut self, key: Key, heading: String, schema: &'a Value, path: Option<&str>) {
        let at = match self.index.get(&key) {
            Some(&at) => at,
            None => {
                let anchor = self.unique_anchor(&heading);
                self.sections.push(Section {
                    key: key.clone(),
                    heading,
                    anchor,
                    schema,
                    paths: Vec::new(),
                });
                self.index.insert(key, self.sections.len() - 1);
                self.sections.len() - 1
            }
        };
        if let Some(path) = path {
            let paths = &mut self.sections[at].paths;
            if !paths.iter().any(|p| p == path) {
                paths.push(path.to_string());
            }
        }
    }

    /// GitHub's heading anchor, with `-1`, `-2` … for repeats as GitHub numbers them.
    fn unique_anchor(&self, heading: &str) -> String {
        let base = slug(heading);
        let taken: BTreeSet<&str> = self.sections.iter().map(|s| s.anchor.as_str()).collect();
        let mut anchor = base.clone();
        let mut n = 0;
        while taken.contains(anchor.as_str()) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        anchor
    }

    fn def(&self, name: &str) -> Option<&'a Value> {
        self.defs?.get(name)
    }

    fn link(&self, key: &Key, text: &str) -> Option<String> {
        let section = &self.sections[*self.index.get(key)?];
        Some(format!("[{text}](#{})", section.anchor))
    }

    fn render(&self) -> String {
        let title = title(self.stem);
        let mut out = format!("# {title}\n\n");
        out.push_str(&format!(
            "<!-- Generated from schema/{stem}.schema.json by the trainfit-tests crate \
             (tests/src/reference.rs); do not edit. Regenerate with \
             `TRAINFIT_BLESS=1 cargo test -p trainfit-tests --test docs`. -->\n\n",
            stem = self.stem
        ));
        out.push_str(&format!(
            "Every field of the document described by \
             [`schema/{stem}.schema.json`](../../schema/{stem}.schema.json), generated from the \
             core's types: the meaning is the field's doc comment, the default what the \
             deserialiser fills in when the field is left out.\n\n",
            stem = self.stem
        ));
        for paragraph in paragraphs(self.schema.get("description")) {
            out.push_str(&paragraph);
            out.push_str("\n\n");
        }
        // In the order of the paths they first appear at, so that the tables follow the rows
        // that link to them (`parallel` before `parallel.offload`).
        let mut sections: Vec<&Section> = self.sections.iter().collect();
        sections.sort_by(|a, b| {
            (a.key != Key::Root, a.paths.first(), &a.heading).cmp(&(
                b.key != Key::Root,
                b.paths.first(),
                &b.heading,
            ))
        });
        let objects: Vec<&Section> = sections
            .iter()
            .copied()
            .filter(|s| shape(s.schema) == Shape::Object)
            .collect();
        // Said once for the page when every object agrees, else per object.
        let uniform =
            objects.iter().all(|s| closed(s.schema)) || objects.iter().all(|s| !closed(s.schema));
        if let (true, Some(first)) = (uniform, objects.first()) {
            out.push_str(if closed(first.schema) {
                "Every object refuses fields it does not list.\n\n"
            } else {
                "Every object accepts fields it does not list.\n\n"
            });
        }
        for section in &objects {
            self.render_object(section, uniform, &mut out);
        }
        let choices: Vec<&Section> = sections
            .into_iter()
            .filter(|s| matches!(shape(s.schema), Shape::Choice { .. }))
            .collect();
        if !choices.is_empty() {
            out.push_str("## Choices\n\n");
            out.push_str("The values of each closed set that the tables above list by name.\n\n");
            for section in choices {
                self.render_choice(section, &mut out);
            }
        }
        while out.ends_with("\n\n") {
            out.pop();
        }
        out
    }

    fn render_object(&self, section: &Section, uniform: bool, out: &mut String) {
        out.push_str(&format!("## {}\n\n", section.heading));
        if section.key != Key::Root {
            for paragraph in paragraphs(section.schema.get("description")) {
                out.push_str(&paragraph);
                out.push_str("\n\n");
            }
            if matches!(section.key, Key::Def(_)) && !section.paths.is_empty() {
                out.push_str(&at(&section.paths));
            }
        }
        if !uniform {
            out.push_str(if closed(section.schema) {
                "Fields it does not list are refused.\n\n"
            } else {
                "Fields it does not list are accepted.\n\n"
            });
        }
        let path = match &section.key {
            Key::Inline(path) => path.as_str(),
            Key::Def(_) => section.paths.first().map_or("", String::as_str),
            Key::Root => "",
        };
        let required = required(section.schema);
        out.push_str("| field | type | meaning | default |\n|---|---|---|---|\n");
        if let Some(properties) = section.schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let (meaning, default_text) = split_default(&description(property));
                let default = if required.contains(name.as_str()) {
                    "required".to_string()
                } else if let Some(text) = default_text {
                    text
                } else if let Some(value) = property.get("default") {
                    self.default_of(property, value)
                } else if nullable(property) {
                    "`null`".to_string()
                } else {
                    "-".to_string()
                };
                out.push_str(&format!(
                    "| `{name}` | {} | {} | {} |\n",
                    cell(&self.type_of(property, &join(path, name))),
                    cell(&meaning),
                    cell(&default),
                ));
            }
        }
        out.push('\n');
    }

    fn render_choice(&self, section: &Section, out: &mut String) {
        out.push_str(&format!("### {}\n\n", section.heading));
        for paragraph in paragraphs(section.schema.get("description")) {
            out.push_str(&paragraph);
            out.push_str("\n\n");
        }
        if !section.paths.is_empty() {
            out.push_str(&at(&section.paths));
        }
        let path = section.paths.first().map_or("", String::as_str);
        if let Some(values) = section.schema.get("enum").and_then(Value::as_array) {
            out.push_str("| value |\n|---|\n");
            for value in values {
                out.push_str(&format!("| {} |\n", cell(&literal(value))));
            }
            out.push('\n');
            return;
        }
        let alternatives: Vec<&Value> = alternatives(section.schema)
            .into_iter()
            .filter(|a| !is_null(a))
            .collect();
        if alternatives.iter().all(|a| constant(a).is_some()) {
            out.push_str("| value | meaning |\n|---|---|\n");
            for alternative in alternatives {
                out.push_str(&format!(
                    "| {} | {} |\n",
                    cell(&constant(alternative).unwrap_or_default()),
                    cell(&description(alternative)),
                ));
            }
        } else {
            out.push_str("One of these forms.\n\n| form | type | meaning |\n|---|---|---|\n");
            for alternative in alternatives {
                let (form, ty) = match single_key(alternative) {
                    Some((name, value)) => (
                        format!("`{{\"{name}\": …}}`"),
                        self.type_of(value, &join(path, name)),
                    ),
                    None => match constant(alternative) {
                        Some(value) => (value, "constant".to_string()),
                        None => ("-".to_string(), self.type_of(alternative, path)),
                    },
                };
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    cell(&form),
                    cell(&ty),
                    cell(&description(alternative)),
                ));
            }
        }
        out.push('\n');
    }

    /// A schema `default` as its cell: an object default that only repeats the defaults of its
    /// own fields says so instead of spelling them out.
    fn default_of(&self, property: &Value, value: &Value) -> String {
        let target = ref_name(property).and_then(|name| self.def(name));
        if value.is_object() && target.and_then(implied_default).as_ref() == Some(value) {
            return "each field's default".to_string();
        }
        format!("`{}`", serde_json::to_string(value).unwrap_or_default())
    }

    /// The type cell: the JSON type, with the values of a closed set listed and a link to the
    /// section (or page) that documents an object or a union.
    fn type_of(&self, node: &Value, path: &str) -> String {
        self.type_at_depth(node, path, 0)
    }

    fn type_at_depth(&self, node: &Value, path: &str, depth: usize) -> String {
        // A definition that is only a reference to another is followed; this bounds a cycle of
        // such aliases, which no real schema has.
        if depth > 16 {
            return "any JSON".to_string();
        }
        let Some(object) = node.as_object() else {
            return if node == &Value::Bool(false) {
                "nothing".to_string()
            } else {
                "any JSON".to_string()
            };
        };
        if let Some(name) = ref_name(node) {
            if let Some(stem) = self.others.get(name) {
                return format!("[`{name}`]({stem}.md)");
            }
            let Some(def) = self.def(name) else {
                return format!("`{name}`");
            };
            let key = Key::Def(name.to_string());
            return match shape(def) {
                Shape::Object => self
                    .link(&key, &format!("`{name}`"))
                    .unwrap_or_else(|| format!("`{name}`")),
                Shape::Choice { all_const: true } => {
                    let values = values_of(def);
                    match self.link(&key, &format!("`{name}`")) {
                        Some(link) => format!("{link}: {values}"),
                        None => values,
                    }
                }
                Shape::Choice { all_const: false } => self
                    .link(&key, &format!("`{name}`"))
                    .unwrap_or_else(|| format!("`{name}`")),
                Shape::Plain => self.type_at_depth(def, path, depth + 1),
            };
        }
        let alternatives_here = alternatives(node);
        if !alternatives_here.is_empty() {
            let (nulls, rest): (Vec<&Value>, Vec<&Value>) =
                alternatives_here.into_iter().partition(|a| is_null(a));
            let mut text = if !rest.is_empty() && rest.iter().all(|a| constant(a).is_some()) {
                rest.iter()
                    .filter_map(|a| constant(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                rest.iter()
                    .map(|a| self.type_at_depth(a, path, depth + 1))
                    .collect::<Vec<_>>()
                    .join(" or ")
            };
            if !nulls.is_empty() {
                text.push_str(" or `null`");
            }
            return text;
        }
        if let Some(parts) = object.get("allOf").and_then(Value::as_array) {
            return parts
                .iter()
                .map(|p| self.type_at_depth(p, path, depth + 1))
                .collect::<Vec<_>>()
                .join(" and ");
        }
        if object.contains_key("enum") {
            return values_of(node);
        }
        if let Some(value) = constant(node) {
            return value;
        }
        let types: Vec<&str> = match object.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ if object.contains_key("properties") => vec!["object"],
            _ => Vec::new(),
        };
        if types.is_empty() {
            return "any JSON".to_string();
        }
        let mut parts = Vec::new();
        for t in types.iter().filter(|t| **t != "null") {
            parts.push(match *t {
                "integer" | "number" | "string" => {
                    match object.get("format").and_then(Value::as_str) {
                        Some(format) if *t != "number" || format != "double" => {
                            format!("{t} ({format})")
                        }
                        _ => t.to_string(),
                    }
                }
                "array" => match object.get("items") {
                    Some(items) => format!(
                        "array of {}",
                        self.type_at_depth(items, &format!("{path}[]"), depth + 1)
                    ),
                    None => "array".to_string(),
                },
                "object" => {
                    if object.contains_key("properties") {
                        self.link(&Key::Inline(path.to_string()), &format!("`{path}`"))
                            .unwrap_or_else(|| "object".to_string())
                    } else if let Some(values) =
                        object.get("additionalProperties").filter(|v| v.is_object())
                    {
                        format!(
                            "map of string to {}",
                            self.type_at_depth(values, &format!("{path}.*"), depth + 1)
                        )
                    } else {
                        "object".to_string()
                    }
                }
                other => other.to_string(),
            });
        }
        let mut text = parts.join(" or ");
        if types.contains(&"null") {
            text.push_str(if text.is_empty() {
                "`null`"
            } else {
                " or `null`"
            });
        }
        text
    }
}

/// `estimate-request` → `Estimate request`.
fn title(stem: &str) -> String {
    let words = stem.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn ref_name(node: &Value) -> Option<&str> {
    node.get("$ref")?.as_str()?.strip_prefix("#/$defs/")
}

fn alternatives(node: &Value) -> Vec<&Value> {
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| node.get(*k).and_then(Value::as_array))
        .flatten()
        .collect()
}

fn is_null(node: &Value) -> bool {
    node.get("type").and_then(Value::as_str) == Some("null")
}

fn nullable(node: &Value) -> bool {
    let typed = match node.get("type") {
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    typed || alternatives(node).into_iter().any(is_null)
}

/// The fixed value of a `const` alternative (or of a one-value `enum`), as the type cell shows it.
fn constant(node: &Value) -> Option<String> {
    if let Some(value) = node.get("const") {
        return Some(literal(value));
    }
    match node.get("enum").and_then(Value::as_array) {
        Some(values) if values.len() == 1 => Some(literal(&values[0])),
        _ => None,
    }
}

/// A JSON value in code style: strings bare (`fp32`), anything else as JSON.
fn literal(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{}`", serde_json::to_string(other).unwrap_or_default()),
    }
}

/// The values of a closed set, comma-separated.
fn values_of(node: &Value) -> String {
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        let mut text = values
            .iter()
            .filter(|v| !v.is_null())
            .map(literal)
            .collect::<Vec<_>>()
            .join(", ");
        if values.iter().any(Value::is_null) {
            text.push_str(" or `null`");
        }
        return text;
    }
    alternatives(node)
        .into_iter()
        .filter_map(constant)
        .collect::<Vec<_>>()
        .join(", ")
}

fn shape(node: &Value) -> Shape {
    if node.get("properties").is_some() {
        return Shape::Object;
    }
    if node.get("enum").is_some() {
        return Shape::Choice { all_const: true };
    }
    let rest: Vec<&Value> = alternatives(node)
        .into_iter()
        .filter(|a| !is_null(a))
        .collect();
    if rest.len() >= 2 {
        return Shape::Choice {
            all_const: rest.iter().all(|a| constant(a).is_some()),
        };
    }
    Shape::Plain
}

/// A closed set gets a section only when its values say more than their names (a doc comment
/// per value); a union of forms always does.
fn documented_choice(node: &Value) -> bool {
    match shape(node) {
        Shape::Choice { all_const: true } => {
            node.get("enum").is_none()
                && alternatives(node)
                    .into_iter()
                    .any(|a| a.get("description").is_some())
        }
        _ => true,
    }
}

fn is_inline_object(node: &Value) -> bool {
    ref_name(node).is_none() && node.get("properties").is_some()
}

/// The key and value schema of an object that has exactly one field, which is required: the
/// externally tagged form serde gives an enum variant with data.
fn single_key(node: &Value) -> Option<(&str, &Value)> {
    let properties = node.get("properties")?.as_object()?;
    if properties.len() != 1 {
        return None;
    }
    let (name, value) = properties.iter().next()?;
    required(node)
        .contains(name.as_str())
        .then_some((name.as_str(), value))
}

fn required(node: &Value) -> BTreeSet<&str> {
    node.get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The value an object takes when every field is left out, if every field may be.
fn implied_default(node: &Value) -> Option<Value> {
    let properties = node.get("properties")?.as_object()?;
    if !required(node).is_empty() {
        return None;
    }
    let mut object = Map::new();
    for (name, property) in properties {
        let value = match property.get("default") {
            Some(value) => value.clone(),
            None if nullable(property) => Value::Null,
            None => return None,
        };
        object.insert(name.clone(), value);
    }
    Some(Value::Object(object))
}

fn closed(node: &Value) -> bool {
    node.get("additionalProperties") == Some(&Value::Bool(false))
}

fn description(node: &Value) -> String {
    paragraphs(node.get("description")).join(" ")
}

/// A doc comment's paragraphs, each on one line, with rustdoc's intra-doc link brackets removed
/// (`[`crate::x`]` reads as `crate::x` outside rustdoc).
fn paragraphs(text: Option<&Value>) -> Vec<String> {
    let Some(text) = text.and_then(Value::as_str) else {
        return Vec::new();
    };
    text.split("\n\n")
        .map(|p| strip_doc_links(&p.split_whitespace().collect::<Vec<_>>().join(" ")))
        .filter(|p| !p.is_empty())
        .collect()
}

fn strip_doc_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let after = &rest[start + 1..];
        let end = after.find("`]").map(|e| e + 2);
        match end {
            Some(end) if !matches!(after[end..].chars().next(), Some('(' | '[')) => {
                out.push_str(&rest[..start]);
                out.push_str(&after[..end - 1]);
                rest = &after[end..];
            }
            _ => {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Split `… Default: X.` off a description: the meaning, and the default's text without its
/// final period.
fn split_default(text: &str) -> (String, Option<String>) {
    const MARK: &str = "Default: ";
    let Some(at) = text.rfind(MARK) else {
        return (text.to_string(), None);
    };
    let default = text[at + MARK.len()..].trim();
    let default = default.strip_suffix('.').unwrap_or(default).to_string();
    (text[..at].trim_end().to_string(), Some(default))
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    let text = text.replace('|', "\\|").replace('\n', " ");
    if text.is_empty() {
        "-".to_string()
    } else {
        text
    }
}

/// Where a type appears, as a paragraph. A type shared by many fields (a measured number) names
/// the first few: every row that uses it links here anyway.
fn at(paths: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut text = paths
        .iter()
        .take(SHOWN)
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > SHOWN {
        text.push_str(&format!(" and {} more", paths.len() - SHOWN));
    }
    format!("At {text}.\n\n")
}

/// GitHub's anchor for a heading: lowercase, punctuation other than `-` and `_` dropped,
/// spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(schema: &Value) -> String {
        render_pages(&[Document {
            stem: "thing-request",
            schema,
        }])
        .remove(0)
        .1
    }

    /// Every construct the generator claims to handle, in one synthetic schema: a required
    /// field, a `Default:` sentence, a bare `default`, a nullable reference, a nullable scalar,
    /// a unit enum with and without per-value docs, a union of forms, an array, a map, an inline
    /// object, a cycle through `$defs`, a multi-line description with an intra-doc link, and a
    /// `|` in a description.
    #[test]
    fn renders_every_construct() {
        let schema = json!({
            "title": "ThingRequest",
            "description": "A thing.\n\nSecond paragraph.",
            "type": "object",
            "properties": {
                "a_required": {"description": "Needed.", "type": "integer", "format": "uint64", "minimum": 0},
                "b_default": {"description": "Count of\nthings. Default: 3.", "type": "integer", "format": "uint32", "default": 3},
                "c_bare": {"description": "Flag.", "type": "boolean", "default": false},
                "d_mode": {"description": "Mode.", "anyOf": [{"$ref": "#/$defs/Mode"}, {"type": "null"}]},
                "e_ratio": {"description": "Ratio a | b.", "type": ["number", "null"], "format": "double"},
                "f_family": {"description": "Family, see [`crate::Family`].", "$ref": "#/$defs/Family"},
                "g_source": {"description": "Source.", "$ref": "#/$defs/Source"},
                "h_list": {"description": "Items.", "type": "array", "items": {"$ref": "#/$defs/Node"}},
                "i_map": {"description": "Tags.", "type": "object", "additionalProperties": {"type": "string"}},
                "j_inline": {"description": "Inline.", "type": "object", "properties": {"x": {"description": "X.", "type": "string"}}, "additionalProperties": false},
                "k_point": {"description": "Its own defaults.", "$ref": "#/$defs/Point", "default": {"x": 0, "y": null}},
                "l_point": {"description": "Other defaults.", "$ref": "#/$defs/Point", "default": {"x": 1, "y": null}}
            },
            "required": ["a_required"],
            "additionalProperties": false,
            "$defs": {
                "Mode": {"description": "How.", "oneOf": [
                    {"description": "Slowly.", "type": "string", "const": "slow"},
                    {"description": "Quickly.", "type": "string", "const": "fast"}
                ]},
                "Family": {"type": "string", "enum": ["one", "two"]},
                "Source": {"description": "Where from.", "oneOf": [
                    {"description": "By name.", "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"], "additionalProperties": false},
                    {"description": "Inline.", "type": "object", "properties": {"node": {"$ref": "#/$defs/Node"}}, "required": ["node"], "additionalProperties": false},
                    {"description": "The default one.", "type": "string", "const": "default"}
                ]},
                "Point": {"description": "A point.", "type": "object", "properties": {
                    "x": {"description": "X.", "type": "integer", "default": 0},
                    "y": {"description": "Y.", "type": ["integer", "null"]}
                }, "additionalProperties": false},
                "Node": {"description": "A node.", "type": "object", "properties": {
                    "children": {"description": "Below.", "type": "array", "items": {"$ref": "#/$defs/Node"}}
                }, "additionalProperties": true}
            }
        });
        let text = page(&schema);
        let want = "\
# Thing request

<!-- Generated from schema/thing-request.schema.json by the trainfit-tests crate (tests/src/reference.rs); do not edit. Regenerate with `TRAINFIT_BLESS=1 cargo test -p trainfit-tests --test docs`. -->

Every field of the document described by [`schema/thing-request.schema.json`](../../schema/thing-request.schema.json), generated from the core's types: the meaning is the field's doc comment, the default what the deserialiser fills in when the field is left out.

A thing.

Second paragraph.

## Top level

Fields it does not list are refused.

| field | type | meaning | default |
|---|---|---|---|
| `a_required` | integer (uint64) | Needed. | required |
| `b_default` | integer (uint32) | Count of things. | 3 |
| `c_bare` | boolean | Flag. | `false` |
| `d_mode` | [`Mode`](#mode): `slow`, `fast` or `null` | Mode. | `null` |
| `e_ratio` | number or `null` | Ratio a \\| b. | `null` |
| `f_family` | `one`, `two` | Family, see `crate::Family`. | - |
| `g_source` | [`Source`](#source) | Source. | - |
| `h_list` | array of [`Node`](#node) | Items. | - |
| `i_map` | map of string to string | Tags. | - |
| `j_inline` | [`j_inline`](#j_inline) | Inline. | - |
| `k_point` | [`Point`](#point) | Its own defaults. | each field's default |
| `l_point` | [`Point`](#point) | Other defaults. | `{\"x\":1,\"y\":null}` |

## `Node`

A node.

At `g_source.node`, `h_list[]`, `g_source.node.children[]`.

Fields it does not list are accepted.

| field | type | meaning | default |
|---|---|---|---|
| `children` | array of [`Node`](#node) | Below. | - |

## `j_inline`

Inline.

Fields it does not list are refused.

| field | type | meaning | default |
|---|---|---|---|
| `x` | string | X. | - |

## `Point`

A point.

At `k_point`, `l_point`.

Fields it does not list are refused.

| field | type | meaning | default |
|---|---|---|---|
| `x` | integer | X. | `0` |
| `y` | integer or `null` | Y. | `null` |

## Choices

The values of each closed set that the tables above list by name.

### `Mode`

How.

At `d_mode`.

| value | meaning |
|---|---|
| `slow` | Slowly. |
| `fast` | Quickly. |

### `Source`

Where from.

At `g_source`.

One of these forms.

| form | type | meaning |
|---|---|---|
| `{\"name\": …}` | string | By name. |
| `{\"node\": …}` | [`Node`](#node) | Inline. |
| `default` | constant | The default one. |
";
        assert_eq!(text, want);
    }

    /// A reference to the root of another document links to its page and is not expanded.
    #[test]
    fn other_documents_are_linked() {
        let inner = json!({"title": "Inner", "type": "object", "properties": {
            "v": {"description": "V.", "type": "string"}}});
        let outer = json!({"title": "Outer", "type": "object", "properties": {
            "inner": {"description": "The inner one.", "$ref": "#/$defs/Inner"}},
            "$defs": {"Inner": inner.clone()}});
        let pages = render_pages(&[
            Document {
                stem: "outer",
                schema: &outer,
            },
            Document {
                stem: "inner",
                schema: &inner,
            },
        ]);
        assert!(pages[0]
            .1
            .contains("| `inner` | [`Inner`](inner.md) | The inner one. | - |"));
        assert!(!pages[0].1.contains("## `Inner`"));
        assert_eq!(pages[1].0, "docs/reference/inner.md");
    }

    #[test]
    fn anchors_follow_github() {
        assert_eq!(slug("`parallel.offload`"), "paralleloffload");
        assert_eq!(slug("Top level"), "top-level");
        assert_eq!(slug("`j_inline`"), "j_inline");
    }
}
