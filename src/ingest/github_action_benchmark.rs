//! github-action-benchmark's custom JSON: turns the `[{name, value, unit,
//! range?, extra?}]` list its `customBiggerIsBetter` and
//! `customSmallerIsBetter` tools read into metrics. Which way is better is
//! the tool's name, not in the file, so it comes from the format; units are
//! normalised as `perfguard baseline import` reads the same tool's data.js,
//! so ingested runs and imported history pair up.

use super::json::{self, NonNeg};
use super::{Problem, lines_of_key};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::Deserialize;
use std::collections::HashMap;

/// One entry, as github-action-benchmark's `BenchmarkResult`; keys it does
/// not define are ignored, as it ignores them.
#[derive(Deserialize)]
struct Entry {
    name: String,
    value: NonNeg,
    unit: String,
    /// A free-form spread (`± 300`, `stddev: 0.1`); shown, never compared.
    #[serde(default)]
    #[expect(dead_code, reason = "checked to be a string, as the tool requires")]
    range: Option<String>,
    /// Free-form tooltip text.
    #[serde(default)]
    #[expect(dead_code, reason = "checked to be a string, as the tool requires")]
    extra: Option<String>,
}

/// Whether a JSON array's entries carry the keys only this format has.
pub fn looks_like(items: &[serde_json::Value]) -> bool {
    items
        .iter()
        .any(|i| i.get("range").is_some() || i.get("extra").is_some())
}

pub fn parse(text: &str, direction: Direction) -> Result<Vec<Metric>, Problem> {
    let entries: Vec<Entry> = json::from_str(text)?;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut metrics = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let lines = lines_of_key(text, &e.name);
        if e.name.trim().is_empty() {
            return Err(Problem::near(
                None,
                format!("at `[{i}].name`: a benchmark without a name"),
            ));
        }
        if let Some(first) = seen.insert(&e.name, i) {
            return Err(Problem::near(
                lines.get(1).copied(),
                format!(
                    "at `[{i}].name`: benchmark `{}` again (first at `[{first}]`); github-action-benchmark would chart both as one",
                    e.name
                ),
            ));
        }
        let (unit, factor) = unit(&e.unit);
        metrics.push(Metric::new(&e.name, unit, direction, e.value.0 * factor));
    }
    Ok(metrics)
}

/// Which way is better, as github-action-benchmark decides it per tool.
pub fn direction(tool: &str) -> Result<Direction, String> {
    match tool {
        "customBiggerIsBetter" | "benchmarkjs" | "pytest" => Ok(Direction::Higher),
        "cargo"
        | "go"
        | "googlecpp"
        | "catch2"
        | "julia"
        | "jmh"
        | "benchmarkdotnet"
        | "benchmarkluau"
        | "customSmallerIsBetter" => Ok(Direction::Lower),
        other => Err(format!(
            "unknown `tool` {other:?}: which way is better is not known (known: cargo, go, benchmarkjs, pytest, googlecpp, catch2, julia, jmh, benchmarkdotnet, benchmarkluau, customBiggerIsBetter, customSmallerIsBetter)"
        )),
    }
}

/// A github-action-benchmark unit as perfguard's, with the factor that
/// takes values there: times per iteration or operation to `ns`, rates to
/// `per_second`, sizes to `bytes`; anything else kept as written.
pub fn unit(text: &str) -> (Unit, f64) {
    let t = text.trim();
    let per = t
        .split_once('/')
        .map_or(t, |(head, tail)| match tail {
            "iter" | "op" | "call" | "iteration" => head,
            _ => t,
        })
        .trim();
    match per {
        "ns" => (Unit::Ns, 1.0),
        "us" | "µs" | "μs" => (Unit::Ns, 1e3),
        "ms" => (Unit::Ns, 1e6),
        "s" | "sec" => (Unit::Ns, 1e9),
        "ops/sec" | "ops/s" | "op/s" | "iter/sec" | "iter/s" => (Unit::PerSecond, 1.0),
        "B" | "bytes" => (Unit::Bytes, 1.0),
        _ => (Unit::Other(t.to_owned()), 1.0),
    }
}
