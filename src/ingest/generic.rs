//! Generic JSON: turns perfguard's documented interchange format (a list of
//! named values with a unit, a direction, and optionally samples and bounds;
//! see docs/INGEST.md) into metrics, for harnesses perfguard does not know.

use super::json::{self, NonNeg};
use super::{Problem, line_of_key, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
struct Document {
    benchmarks: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    value: NonNeg,
    unit: GenericUnit,
    #[serde(default)]
    direction: Option<Dir>,
    #[serde(default)]
    samples: Vec<NonNeg>,
    #[serde(default)]
    lower: Option<NonNeg>,
    #[serde(default)]
    upper: Option<NonNeg>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Dir {
    Lower,
    Higher,
}

/// A unit as written, with its factor to perfguard's base unit.
struct GenericUnit {
    factor: f64,
    unit: Unit,
    /// The direction when the entry gives none.
    default: Option<Direction>,
}

/// The units the generic format accepts, for its error message.
pub const UNITS: &str = "ns, us, µs, ms, s, bytes, B, KB, MB, GB, KiB, MiB, GiB, per_second, /s, ops/s, ratio, %, count";

impl<'de> Deserialize<'de> for GenericUnit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let (factor, unit, default) = match s.as_str() {
            "bytes" | "B" => (1.0, Unit::Bytes, Some(Direction::Lower)),
            "KB" | "kB" => (1e3, Unit::Bytes, Some(Direction::Lower)),
            "MB" => (1e6, Unit::Bytes, Some(Direction::Lower)),
            "GB" => (1e9, Unit::Bytes, Some(Direction::Lower)),
            "KiB" => (1024.0, Unit::Bytes, Some(Direction::Lower)),
            "MiB" => (1024.0 * 1024.0, Unit::Bytes, Some(Direction::Lower)),
            "GiB" => (
                1024.0 * 1024.0 * 1024.0,
                Unit::Bytes,
                Some(Direction::Lower),
            ),
            "per_second" | "/s" | "ops/s" => (1.0, Unit::PerSecond, Some(Direction::Higher)),
            "ratio" => (1.0, Unit::Ratio, None),
            "%" => (0.01, Unit::Ratio, None),
            "count" => (1.0, Unit::Count, None),
            time => match super::ns_per(time) {
                Some(f) if time != "m" => (f, Unit::Ns, Some(Direction::Lower)),
                _ => {
                    return Err(serde::de::Error::custom(format!(
                        "unknown unit `{s}`; expected one of {UNITS}"
                    )));
                }
            },
        };
        Ok(GenericUnit {
            factor,
            unit,
            default,
        })
    }
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    // A bare array of entries, or an object with `benchmarks`.
    let entries = if text.trim_start().starts_with('[') {
        json::from_str::<Vec<Entry>>(text)?
    } else {
        json::from_str::<Document>(text)?.benchmarks
    };
    let mut metrics = Vec::new();
    for e in entries {
        // Found only when there is a problem: searching for every entry
        // would be quadratic in a large file.
        let problem =
            |m: String| Problem::near(line_of_key(text, &e.name), format!("`{}`: {m}", e.name));
        if e.name.trim().is_empty() {
            return Err(problem("the name is empty".into()));
        }
        let direction = match (e.direction, e.unit.default) {
            (Some(Dir::Lower), _) => Direction::Lower,
            (Some(Dir::Higher), _) => Direction::Higher,
            (None, Some(d)) => d,
            (None, None) => {
                return Err(problem(format!(
                    "`direction` (\"lower\" or \"higher\") is required for unit `{}`",
                    e.unit.unit
                )));
            }
        };
        let f = e.unit.factor;
        let value = e.value.0 * f;
        if let (Some(lo), Some(hi)) = (e.lower, e.upper)
            && lo.0 > hi.0
        {
            return Err(problem(format!(
                "`lower` ({}) is above `upper` ({})",
                lo.0, hi.0
            )));
        }
        if e.lower.is_some_and(|lo| lo.0 * f > value) || e.upper.is_some_and(|hi| hi.0 * f < value)
        {
            return Err(problem("`value` lies outside `lower`..`upper`".into()));
        }
        let samples = e.samples.iter().map(|s| s.0 * f).collect();
        metrics.push(with_samples(
            Metric::new(e.name, e.unit.unit, direction, value),
            samples,
        ));
    }
    Ok(metrics)
}
