//! Generated bad input for every entry point of the core that takes outside input: estimate and
//! plan requests, hardware profiles and Hugging Face configs.
//!
//! Each entry point gets `CASES` seeded mutations of the valid examples in `tests/data/` and the
//! catalogue's configs: fields removed, duplicated, renamed and retyped; 0, -1, 1e308, 2^64 and
//! their neighbours; long and multi-line strings; huge arrays; deep nesting; truncated text and
//! random bytes. Every case must give a result or an error, never a panic; a result must be
//! valid against its committed JSON Schema (so no NaN, which serialises as `null`, where a number
//! is due) with no negative byte count, time, power or energy; an error must be one line that
//! names its field where it is about one. The slowest case is printed, and a case slower than
//! `slow()` of its size (1 s plus 1 µs per byte) fails.
//!
//! Reproduce one case with `TRAINFIT_CASE=<entry>:<case>` (printed with every failure); change
//! the number of cases with `TRAINFIT_CASES=N`.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trainfit_core::document::from_json;
use trainfit_core::hardware::parse_profile;
use trainfit_core::plan::{plan, PlanRequest};
use trainfit_core::{estimate, model, Error, EstimateRequest};

/// Cases per entry point (the bar: at least 10,000).
const CASES: u64 = 10_000;

/// A case slower than this fails: well above every valid request's time in a debug build
/// (plans of the fixtures take about 10 ms), far below the seconds a quadratic loop takes.
const SLOW: Duration = Duration::from_millis(1000);

/// Plus this much per byte of input: a debug build reads documents at about 3 MB/s on a quiet
/// 2-core machine (a generated 1.3 MB profile: 460 ms while another build ran), so 1 µs per byte
/// leaves room for a loaded machine and still fails a loop that is quadratic in the input.
const SLOW_PER_BYTE: Duration = Duration::from_micros(1);

/// The time limit of one case of `bytes` bytes.
fn slow(bytes: usize) -> Duration {
    SLOW + SLOW_PER_BYTE * u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// Longest error message accepted: the longest field path, an echoed value cut to 80 characters
/// and the longest list of choices (the supported model types) fit well within it.
const LONGEST_MESSAGE: usize = 700;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The valid examples of one folder, by file name; `bad-*` requests are left out.
fn examples(dir: &str) -> Vec<Value> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("bad-"))
        .collect();
    paths.sort();
    paths.iter().map(|p| read_json(p)).collect()
}

/// SplitMix64 (Steele, Lea and Flood 2014): small, seeded, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Numbers JSON can carry but serde_json's `Value` cannot hold, spliced in as text.
const BIG_NUMBERS: &[&str] = &[
    "18446744073709551616", // 2^64
    "18446744073709551615", // 2^64 - 1
    "9223372036854775808",  // 2^63
    "9007199254740993",     // 2^53 + 1
    "4294967296",           // 2^32
    "1e308",
    "-1e308",
    "1e400",
    "1e-320",
    "-0",
    "340282366920938463463374607431768211456", // 2^128
];

/// A value that replaces another: extremes, wrong types, long and odd text.
fn odd_value(rng: &mut Rng, splices: &mut Vec<String>) -> Value {
    match rng.below(24) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(1),
        3 => json!(1.5),
        4 => json!(-0.5),
        5 => json!(1e308),
        6 => json!(f64::MIN_POSITIVE),
        7 => json!(u64::MAX),
        8 => json!(i64::MIN),
        9 => json!(u32::MAX),
        10 => json!("NaN"),
        11 => json!("Infinity"),
        12 => json!(""),
        13 => json!("x".repeat(100_000)),
        14 => json!("two\nlines\u{1b}[31m"),
        15 => Value::Bool(rng.chance(50)),
        16 => Value::Null,
        17 => json!([]),
        18 => json!({}),
        19 => json!([1, "a", null]),
        20 | 21 => {
            // Spliced into the text later: numbers beyond u64 and f64, or nesting deeper than
            // any parser should follow.
            let text = if rng.chance(70) {
                BIG_NUMBERS[rng.below(BIG_NUMBERS.len())].to_string()
            } else {
                let depth = [64, 127, 129, 1000, 10_000][rng.below(5)];
                let (open, close) = if rng.chance(50) {
                    ("[", "]")
                } else {
                    ("{\"a\":", "}")
                };
                format!("{}1{}", open.repeat(depth), close.repeat(depth))
            };
            splices.push(text);
            json!(format!("\u{0}splice{}\u{0}", splices.len() - 1))
        }
        _ => json!(rng.next() as f64 / 7.0 - 1e18),
    }
}

/// A random place in the tree, more often a leaf than the root.
fn place<'a>(v: &'a mut Value, rng: &mut Rng) -> &'a mut Value {
    let len = match &*v {
        Value::Object(m) => m.len(),
        Value::Array(a) => a.len(),
        _ => 0,
    };
    if len == 0 || !rng.chance(75) {
        return v;
    }
    let i = rng.below(len);
    match v {
        Value::Object(m) => place(m.values_mut().nth(i).unwrap(), rng),
        Value::Array(a) => place(&mut a[i], rng),
        _ => unreachable!(),
    }
}

/// Numbers at the edges of what each field takes, for the mutations that keep a document's
/// shape so the extreme reaches the computation.
const EXTREMES: &[f64] = &[
    0.0,
    -1.0,
    1.0,
    2.0,
    3.0,
    0.999,
    1.000_001,
    -2.5,
    65_537.0,
    4_294_967_296.0,         // 2^32
    9_007_199_254_740_992.0, // 2^53
    1e18,
    1e300,
    1e-300,
];

/// Every number of the tree, by reference.
fn numbers<'a>(v: &'a mut Value, out: &mut Vec<&'a mut Value>) {
    match v {
        Value::Number(_) => out.push(v),
        Value::Object(m) => m.values_mut().for_each(|v| numbers(v, out)),
        Value::Array(a) => a.iter_mut().for_each(|v| numbers(v, out)),
        _ => {}
    }
}

/// One number of the tree becomes an extreme: an integer where it was one, so the document
/// still decodes more often than not.
fn mutate_number(v: &mut Value, rng: &mut Rng) {
    let mut all = Vec::new();
    numbers(v, &mut all);
    if all.is_empty() {
        return;
    }
    let i = rng.below(all.len());
    let x = EXTREMES[rng.below(EXTREMES.len())];
    let integer = all[i].is_u64() || all[i].is_i64();
    *all[i] = if integer && x.fract() == 0.0 && x.abs() < 1.8e19 {
        if x < 0.0 {
            json!(x as i64)
        } else {
            json!(x as u64)
        }
    } else {
        json!(x)
    };
}

/// A mutation of one place in the tree.
fn mutate(v: &mut Value, rng: &mut Rng, splices: &mut Vec<String>) {
    let here = place(v, rng);
    match (rng.below(8), &mut *here) {
        // Remove a field.
        (0, Value::Object(m)) if !m.is_empty() => {
            let k = m.keys().nth(rng.below(m.len())).unwrap().clone();
            m.remove(&k);
        }
        // Misspell a field.
        (1, Value::Object(m)) if !m.is_empty() => {
            let k = m.keys().nth(rng.below(m.len())).unwrap().clone();
            let v = m.remove(&k).unwrap();
            m.insert(format!("{k}x"), v);
        }
        // Grow an array to a thousand to a hundred thousand entries, within about 4 MB of text:
        // a bigger document takes longer just to read, whatever the code does with it.
        (2, Value::Array(a)) if !a.is_empty() => {
            let first = a[0].clone();
            let size = serde_json::to_string(&first).unwrap().len() + 1;
            let n = [1_000, 10_000, 100_000][rng.below(3)]
                .min(4_000_000 / size)
                .max(1_000);
            *a = vec![first; n];
        }
        // Retype a number as a string and a string as a number.
        (3, Value::Number(n)) => *here = Value::String(n.to_string()),
        (3, Value::String(_)) => *here = json!(8),
        _ => *here = odd_value(rng, splices),
    }
}

/// The text of a mutated example: tree mutations, then sometimes a duplicated key, a cut, or
/// random bytes.
fn case_text(seed: &Value, rng: &mut Rng) -> String {
    let mut v = seed.clone();
    let mut splices = Vec::new();
    let shape_kept = rng.chance(40);
    for _ in 0..1 + rng.below(3) {
        if shape_kept {
            mutate_number(&mut v, rng);
        } else {
            mutate(&mut v, rng, &mut splices);
        }
    }
    let mut text = serde_json::to_string(&v).unwrap();
    for (i, s) in splices.iter().enumerate() {
        text = text.replace(&format!("\"\\u0000splice{i}\\u0000\""), s);
    }
    match rng.below(20) {
        // A duplicated key: the first key of some object, again.
        0 => {
            if let Some(at) = text.match_indices("{\"").nth(rng.below(4)).map(|(i, _)| i) {
                let rest = &text[at + 1..];
                if let Some(colon) = rest.find("\":") {
                    let key = rest[..colon + 1].to_string();
                    text.insert_str(at + 1, &format!("{key}:1,"));
                }
            }
        }
        // Truncated.
        1 => {
            let mut cut = rng.below(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        // Random bytes in the middle.
        2 => {
            let bytes: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
            let mut at = rng.below(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, &String::from_utf8_lossy(&bytes));
        }
        // Nothing but random bytes.
        3 => {
            let bytes: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        _ => {}
    }
    text
}

/// Whether a field's numbers may be negative: a fit's headroom (negative when it does not
/// fit) and temperatures in °C.
fn signed(field: &str) -> bool {
    field == "headroom_bytes" || field.ends_with("_c")
}

/// The first number that is not finite, or negative in a field that is not signed, with its
/// path. `field` is the nearest key that names a quantity (`{"value", "source"}` pairs take
/// their field's name).
fn bad_number(v: &Value, path: &str, field: &str) -> Option<String> {
    match v {
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            (!f.is_finite() || (f < 0.0 && !signed(field))).then(|| format!("{path} = {n}"))
        }
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            let name = if k == "value" { field } else { k.as_str() };
            bad_number(v, &format!("{path}.{k}"), name)
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, v)| bad_number(v, &format!("{path}[{i}]"), field)),
        _ => None,
    }
}

struct Entry {
    name: &'static str,
    seeds: Vec<Value>,
    schema: &'static str,
    run: fn(&str) -> Result<Value, Error>,
}

fn entries() -> Vec<Entry> {
    let requests = examples("tests/data/requests");
    let profiles = examples("tests/data/profiles");
    let goals = [
        json!({}),
        json!({"task": "lora", "model": {"catalogue": "qwen2.5-0.5b"}}),
        json!({"task": "serve", "model": {"catalogue": "llama-3-8b"}, "sequence": 4096}),
        json!({"task": "finetune", "model": {"catalogue": "gpt2"}, "micro_batch": 4,
               "global_batch": 32, "hours": 1.5}),
        json!({"task": "qlora", "model": {"catalogue": "llama-2-7b"}, "lora_rank": 64,
               "checkpointing": "full", "precision": "bf16", "optimizer": "adamw8bit"}),
    ];
    let mut plans = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        plans.push(
            json!({"profile": p, "goal": goals[i % goals.len()], "modes": ["balanced", "extreme"]}),
        );
        plans.push(json!({"profile": p, "goal": goals[(i + 1) % goals.len()]}));
    }
    let mut configs: Vec<Value> = model::catalogue()
        .iter()
        .map(|e| serde_json::from_str(e.config).unwrap())
        .collect();
    configs.extend(examples("tests/accuracy/configs"));
    vec![
        Entry {
            name: "estimate",
            seeds: requests,
            schema: "schema/estimate.schema.json",
            run: |text| {
                let request: EstimateRequest = from_json("request", text)?;
                Ok(serde_json::to_value(estimate(&request)?).unwrap())
            },
        },
        Entry {
            name: "plan",
            seeds: plans,
            schema: "schema/plan.schema.json",
            run: |text| {
                let request: PlanRequest = from_json("plan request", text)?;
                Ok(serde_json::to_value(plan(&request)?).unwrap())
            },
        },
        Entry {
            name: "profile",
            seeds: profiles,
            schema: "schema/hardware-profile.schema.json",
            run: |text| Ok(serde_json::to_value(parse_profile(text)?).unwrap()),
        },
        Entry {
            name: "hf_config",
            seeds: configs,
            schema: "schema/model-spec.schema.json",
            run: |text| {
                let spec = model::from_hf_config(text)?;
                spec.parameters()?;
                Ok(serde_json::to_value(spec).unwrap())
            },
        },
    ]
}

/// What is wrong with one case's outcome, if anything.
fn verdict(
    outcome: Result<Value, Error>,
    validator: &boon::Schemas,
    index: boon::SchemaIndex,
) -> Option<String> {
    match outcome {
        Ok(v) => {
            if let Err(e) = validator.validate(&v, index) {
                let e = format!("{e:#}");
                return Some(format!(
                    "result invalid against its schema: {}",
                    &e[..e.len().min(600)]
                ));
            }
            bad_number(&v, "", "").map(|b| format!("result holds {b}"))
        }
        Err(e) => {
            let msg = e.to_string();
            if msg.contains('\n') || msg.chars().count() > LONGEST_MESSAGE {
                return Some(format!(
                    "error message of {} characters or on several lines: {}",
                    msg.chars().count(),
                    msg.chars().take(200).collect::<String>()
                ));
            }
            let fieldless = matches!(
                e,
                Error::Json { .. } | Error::Overflow { .. } | Error::NoDevice
            );
            if e.field().is_none() && !fieldless {
                return Some(format!("error names no field: {msg}"));
            }
            None
        }
    }
}

fn compile(schema: &str) -> (boon::Schemas, boon::SchemaIndex) {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let url = format!("file:///{schema}");
    compiler
        .add_resource(&url, read_json(&root().join(schema)))
        .unwrap();
    let index = compiler.compile(&url, &mut schemas).unwrap();
    (schemas, index)
}

// One test per entry point, so the test harness runs them on every core.
#[test]
fn generated_estimate_requests_give_a_result_or_an_error_naming_the_field() {
    generated("estimate");
}

#[test]
fn generated_plan_requests_give_a_result_or_an_error_naming_the_field() {
    generated("plan");
}

#[test]
fn generated_profiles_give_a_result_or_an_error_naming_the_field() {
    generated("profile");
}

#[test]
fn generated_hf_configs_give_a_result_or_an_error_naming_the_field() {
    generated("hf_config");
}

/// Runs the generated cases of the entry point `name`.
fn generated(name: &str) {
    let cases = std::env::var("TRAINFIT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    let only = std::env::var("TRAINFIT_CASE").ok();
    // The cases' panics are caught and reported as failures; printing each as it happens would
    // bury the report. The hook is process-wide and the four tests run at once, so it is set
    // once and left: the failures are printed before the final panic.
    static SILENCE: Once = Once::new();
    SILENCE.call_once(|| panic::set_hook(Box::new(|_| {})));
    let mut failures = Vec::new();
    for entry in entries().into_iter().filter(|e| e.name == name) {
        let (validator, index) = compile(entry.schema);
        let mut slowest = (Duration::ZERO, 0);
        let mut answered = [0u64; 2];
        for case in 0..cases {
            let id = format!("{}:{case}", entry.name);
            if only.as_ref().is_some_and(|o| *o != id) {
                continue;
            }
            let mut rng = Rng(case.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ entry.name.len() as u64);
            let seed = &entry.seeds[rng.below(entry.seeds.len())];
            let text = case_text(seed, &mut rng);
            if std::env::var("TRAINFIT_DUMP").is_ok() {
                std::fs::write("/tmp/case.json", &text).unwrap();
            }
            let start = Instant::now();
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| (entry.run)(&text)));
            let took = start.elapsed();
            if only.is_some() {
                // Replaying one case: what it was and what it gave.
                let shown: String = text.chars().take(400).collect();
                println!("{id}: {} bytes in {took:?}: {shown}", text.len());
                if let Ok(Err(e)) = &outcome {
                    println!("  error: {e}");
                }
            }
            if took > slowest.0 {
                slowest = (took, case);
            }
            let problem = match outcome {
                Err(p) => Some(format!(
                    "panic: {}",
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                )),
                Ok(outcome) => {
                    answered[usize::from(outcome.is_err())] += 1;
                    verdict(outcome, &validator, index)
                }
            }
            .or_else(|| (took > slow(text.len())).then(|| format!("took {took:?}")));
            if let Some(problem) = problem {
                let shown: String = text.chars().take(300).collect();
                failures.push(format!("{id}: {problem}\n    input: {shown}"));
            }
        }
        println!(
            "{}: {} cases, {} results, {} errors, slowest {:?} (case {})",
            entry.name, cases, answered[0], answered[1], slowest.0, slowest.1
        );
    }
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(40).map(String::as_str).collect();
        eprintln!(
            "{} of the generated {name} cases failed; the first {}:\n{}",
            failures.len(),
            shown.len(),
            shown.join("\n")
        );
        panic!("{} generated {name} cases failed", failures.len());
    }
}
