//! JSON helpers for the parsers: turns JSON text into typed values, with the
//! line and key path of the first problem.

use super::Problem;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// Deserializes `text` as `T`; errors carry serde_json's line and the key
/// path (`benchmarks[2].stats.median`).
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = strip_position(&inner.to_string());
        let line = (inner.line() > 0).then_some(inner.line());
        let message = if path == "." || path.is_empty() {
            message
        } else {
            format!("at `{path}`: {message}")
        };
        Problem::near(line, message)
    })?;
    de.end()
        .map_err(|e| Problem::near(Some(e.line()), "unexpected text after the JSON value"))?;
    Ok(value)
}

/// serde_json appends " at line L column C"; the file:line prefix says it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A finite, non-negative number; anything else fails where it stands, so the
/// error keeps its line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NonNeg(pub f64);

impl<'de> Deserialize<'de> for NonNeg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        super::non_negative(v, "the value")
            .map(NonNeg)
            .map_err(serde::de::Error::custom)
    }
}

/// Unwraps a list of checked numbers.
pub(crate) fn plain(values: &[NonNeg]) -> Vec<f64> {
    values.iter().map(|v| v.0).collect()
}

/// A time unit name (`ns`, `us`, `ms`, `s`) as nanoseconds per unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TimeUnit(pub f64);

impl<'de> Deserialize<'de> for TimeUnit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        super::ns_per(&s).map(TimeUnit).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown time unit `{s}`; expected ns, us, ms or s"))
        })
    }
}
