//! The JSON path of a place in JSON text (`goal.modes[1]`), found by scanning the text.
//!
//! Decoding errors name their field from the place serde_json reports them at, rather than
//! through a path-tracking wrapper around every `Deserialize` (serde_path_to_error), which more
//! than doubled the decoding code of the WebAssembly module. serde_json reports an error about a
//! value just after the value, one about a struct (a missing field) just after its closing
//! brace, and one about a key (unknown or repeated) just after the key; the text before that
//! place holds the path, written as serde_path_to_error writes it: keys joined by `.`, array
//! elements as `[i]`.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Where a scan is: in an object (at which key, if one was read since the last comma) or in an
/// array (at which element).
enum Frame<'a> {
    Object { key: Option<&'a str> },
    Array { index: usize },
}

/// Where a scan stopped: the frames open there, whether the last thing read was a key (not even
/// its colon after it), and the number it stopped at.
struct Stop<'a> {
    stack: Vec<Frame<'a>>,
    after_key: bool,
    number: Option<&'a str>,
}

/// What a scan stops at, besides the end: a number `number` accepts, or an array's element past
/// the first `max_elements`.
struct Watch<F> {
    number: F,
    max_elements: usize,
}

/// Scans `text` up to byte `end`. Text that is not JSON is scanned all the same, as far as it
/// goes.
fn scan<'a, F: FnMut(&str) -> bool>(text: &'a str, end: usize, mut watch: Watch<F>) -> Stop<'a> {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    let mut stack: Vec<Frame<'a>> = Vec::new();
    let mut after_key = false;
    let mut i = 0;
    while i < end {
        let b = bytes[i];
        if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            after_key = false;
        }
        match b {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < end && bytes[i] != b'"' {
                    // An escape's second byte is never the closing quote.
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key: key @ None }) = stack.last_mut() {
                    *key = text.get(start..i.min(end));
                    after_key = true;
                }
            }
            b'{' => stack.push(Frame::Object { key: None }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key }) => *key = None,
                Some(Frame::Array { index }) => {
                    *index += 1;
                    if *index == watch.max_elements {
                        return Stop {
                            stack,
                            after_key,
                            number: None,
                        };
                    }
                }
                None => {}
            },
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < end && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let token = text.get(start..i).unwrap_or_default();
                if (watch.number)(token) {
                    return Stop {
                        stack,
                        after_key,
                        number: Some(token),
                    };
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Stop {
        stack,
        after_key,
        number: None,
    }
}

/// The path of the frames, as serde_path_to_error writes one; empty at the top level.
fn path_of(stack: &[Frame]) -> String {
    let mut path = String::new();
    for frame in stack {
        match frame {
            Frame::Object { key: Some(key) } => {
                if !path.is_empty() {
                    path.push('.');
                }
                if key.contains('\\') {
                    let quoted = format!("\"{key}\"");
                    let unescaped: String =
                        serde_json::from_str(&quoted).unwrap_or_else(|_| (*key).to_owned());
                    path.push_str(&unescaped);
                } else {
                    path.push_str(key);
                }
            }
            Frame::Object { key: None } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// The path of what serde_json's error at `line` and `column` (as `serde_json::Error` gives
/// them: 1-based line, bytes into the line) is about: the value just read, or the object
/// holding a key just read (an unknown, repeated or unknown-variant key is the object's fault).
pub(super) fn path_at(text: &str, line: usize, column: usize) -> String {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    let stop = scan(
        text,
        line_start + column,
        Watch {
            number: |_: &str| false,
            max_elements: usize::MAX,
        },
    );
    let mut stack = stop.stack;
    if stop.after_key {
        if let Some(Frame::Object { key }) = stack.last_mut() {
            *key = None;
        }
    }
    path_of(&stack)
}

/// The first integer above 2^53 in magnitude in JSON text, with its path.
pub(super) fn first_inexact(json: &str) -> Option<(String, &str)> {
    let big = |token: &str| {
        let digits = token.trim_start_matches('-');
        // 2^53 has 16 digits.
        digits.bytes().all(|b| b.is_ascii_digit())
            && (digits.len() > 16
                || digits
                    .parse::<u64>()
                    .is_ok_and(|v| v > super::MAX_EXACT_INTEGER))
    };
    let stop = scan(
        json,
        json.len(),
        Watch {
            number: big,
            max_elements: usize::MAX,
        },
    );
    stop.number.map(|n| (path_of(&stop.stack), n))
}

/// The path of the first array in `text` with more than `max` elements.
pub(super) fn first_long_list(text: &str, max: usize) -> Option<String> {
    let stop = scan(
        text,
        text.len(),
        Watch {
            number: |_: &str| false,
            max_elements: max,
        },
    );
    match stop.stack.last() {
        Some(Frame::Array { index }) if *index == max => {
            let mut stack = stop.stack;
            stack.pop();
            Some(path_of(&stack))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path at the byte where `mark` is in `text` (line 1).
    fn at(text: &str, mark: &str) -> String {
        path_at(text, 1, text.find(mark).unwrap())
    }

    #[test]
    fn a_value_a_key_and_a_closed_object() {
        let text = r#"{"goal": {"modes": ["x", 5], "bad": 1}, "b": {}}"#;
        // After a value: that value (serde_json reports type errors just after it).
        assert_eq!(at(text, "]"), "goal.modes[1]");
        // After a key, before its colon: the object holding it (an unknown or repeated key).
        assert_eq!(at(text, ": 1"), "goal");
        // After an object's closing brace: that object (a missing field).
        assert_eq!(at(text, ", \"b\""), "goal");
        assert_eq!(path_at(text, 1, text.len()), "");
    }

    #[test]
    fn keys_are_unescaped_and_lines_counted() {
        let text = "{\n  \"a\\\"b\": {\"c\": true}\n}";
        assert_eq!(path_at(text, 2, 18), "a\"b.c");
    }

    #[test]
    fn numbers_above_2_53_are_found_outside_strings() {
        let text = r#"{"s": "12345678901234567890", "a": [0, {"n": -9007199254740993}]}"#;
        assert_eq!(
            first_inexact(text),
            Some((String::from("a[1].n"), "-9007199254740993"))
        );
        assert_eq!(
            first_inexact(r#"{"n": 9007199254740992, "f": 1e300}"#),
            None
        );
    }

    #[test]
    fn long_lists_are_found_before_they_are_read() {
        let text = r#"{"a": [[1, 2, 3]], "b": {"c": [1, 2, 3, 4]}}"#;
        assert_eq!(first_long_list(text, 3).as_deref(), Some("b.c"));
        assert_eq!(first_long_list(text, 4), None);
    }
}
