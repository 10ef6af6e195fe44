//! Rust core of the `fastjson` Python package, exposed as `fastjson._core`.
//!
//! `minify` validates the document with serde_json and then removes the
//! insignificant whitespace between tokens. It never re-serialises values, so
//! key order, number spelling (`1.0`, `1e400`, 20-digit integers) and string
//! escapes are kept exactly as written.

use std::borrow::Cow;

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde::de::IgnoredAny;

create_exception!(
    fastjson,
    JSONDecodeError,
    PyValueError,
    "Raised when the input is not a valid JSON document."
);

/// Inputs at least this large are processed with the GIL released.
const DETACH_THRESHOLD: usize = 64 * 1024;

/// Checks that `text` is exactly one JSON document (surrounding whitespace allowed).
fn validate(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<IgnoredAny>(text).map(|_| ())
}

/// Removes whitespace outside string literals. `text` must be valid JSON.
fn strip_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else {
            match c {
                ' ' | '\t' | '\n' | '\r' => {}
                '"' => {
                    in_string = true;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
    out
}

fn minify_str(text: &str) -> Result<String, serde_json::Error> {
    validate(text)?;
    Ok(strip_whitespace(text))
}

fn decode_error(e: serde_json::Error) -> PyErr {
    JSONDecodeError::new_err(e.to_string())
}

/// minify(text: str) -> str
///
/// Return `text` with all insignificant whitespace removed.
/// Raises `fastjson.JSONDecodeError` (a `ValueError`) if `text` is not valid JSON.
#[pyfunction]
fn minify(py: Python<'_>, text: Cow<'_, str>) -> PyResult<String> {
    let result = if text.len() >= DETACH_THRESHOLD {
        py.detach(|| minify_str(&text))
    } else {
        minify_str(&text)
    };
    result.map_err(decode_error)
}

/// is_valid(text: str) -> bool
///
/// Return True if `text` is exactly one valid JSON document.
#[pyfunction]
fn is_valid(py: Python<'_>, text: Cow<'_, str>) -> bool {
    if text.len() >= DETACH_THRESHOLD {
        py.detach(|| validate(&text).is_ok())
    } else {
        validate(&text).is_ok()
    }
}

#[pymodule]
mod _core {
    #[pymodule_export]
    use super::{is_valid, minify, JSONDecodeError};
}
