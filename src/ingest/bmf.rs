//! Bencher Metric Format: turns BMF JSON (`{BENCHMARK: {MEASURE: {value,
//! lower_value?, upper_value?}}}`) into metrics. `latency` is the
//! benchmark's own name in nanoseconds; every other measure is
//! `BENCHMARK.MEASURE`, with the unit and direction of Bencher's built-in
//! measure of that slug, or kept as named (lower is better) for a custom one.

use super::json::{self, NonNeg, UniqueKeys};
use super::{Problem, ns_per};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::Deserialize;

/// One measure's metric. `lower_value`/`upper_value` are a spread Bencher
/// adapters write as value ∓ deviation (negative for a noisy small value):
/// checked to be numbers, not kept.
#[derive(Deserialize)]
struct Measured {
    value: NonNeg,
    #[serde(default)]
    #[expect(dead_code, reason = "checked to be a number, as BMF's schema requires")]
    lower_value: Option<f64>,
    #[serde(default)]
    #[expect(dead_code, reason = "checked to be a number, as BMF's schema requires")]
    upper_value: Option<f64>,
}

/// Whether a JSON value has BMF's shape: a non-empty object of objects of
/// objects that each have a `value`.
pub fn looks_like(value: &serde_json::Value) -> bool {
    value.as_object().is_some_and(|benchmarks| {
        !benchmarks.is_empty()
            && benchmarks.values().all(|measures| {
                measures.as_object().is_some_and(|m| {
                    !m.is_empty()
                        && m.values()
                            .all(|v| v.get("value").is_some_and(|v| v.is_number()))
                })
            })
    })
}

/// Bencher's built-in measures (slug → unit, factor, direction); Bencher's
/// latency is in nanoseconds, throughput in operations per second, file
/// size in bytes, build time in seconds.
fn measure(slug: &str) -> (Unit, f64, Direction) {
    match slug {
        "latency" => (Unit::Ns, 1.0, Direction::Lower),
        "throughput" => (Unit::PerSecond, 1.0, Direction::Higher),
        "file-size" => (Unit::Bytes, 1.0, Direction::Lower),
        "build-time" => (Unit::Ns, ns_per("s").unwrap_or(1e9), Direction::Lower),
        "instructions" | "cycles" | "l1-accesses" | "l2-accesses" | "ram-accesses"
        | "total-accesses" | "estimated-cycles" => (Unit::Count, 1.0, Direction::Lower),
        other => (Unit::Other(other.to_owned()), 1.0, Direction::Lower),
    }
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let benchmarks: UniqueKeys<UniqueKeys<Measured>> = json::from_str(text)?;
    let mut metrics = Vec::new();
    for (name, measures) in benchmarks.0 {
        let line = || super::line_of_key(text, &name);
        if name.trim().is_empty() {
            return Err(Problem::near(line(), "a benchmark with an empty name"));
        }
        if measures.0.is_empty() {
            return Err(Problem::near(
                line(),
                format!("benchmark `{name}` has no measures"),
            ));
        }
        for (slug, m) in measures.0 {
            let (unit, factor, direction) = measure(&slug);
            let metric = if slug == "latency" {
                name.clone()
            } else {
                format!("{name}.{slug}")
            };
            metrics.push(Metric::new(metric, unit, direction, m.value.0 * factor));
        }
    }
    Ok(metrics)
}
