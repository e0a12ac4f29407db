//! JMH: turns `-rf json` results into one metric per benchmark (with its
//! `params`): average/sample/single-shot time in nanoseconds, lower is
//! better, or throughput in operations per second, higher is better;
//! `rawData` (every measurement iteration of every fork) kept as samples.
//! `secondaryMetrics` with `B/op` (the GC profiler's allocation) become
//! `NAME:·gc.alloc.rate.norm` in bytes.

use super::json::{self, NonNeg};
use super::{Problem, line_of_key, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Result {
    benchmark: String,
    #[serde(default)]
    params: BTreeMap<String, String>,
    #[serde(rename = "primaryMetric")]
    primary: Score,
    #[serde(rename = "secondaryMetrics", default)]
    secondary: BTreeMap<String, Score>,
}

#[derive(Deserialize)]
struct Score {
    score: NonNeg,
    #[serde(rename = "scoreUnit")]
    unit: String,
    #[serde(rename = "rawData", default)]
    raw: Vec<Vec<NonNeg>>,
}

/// How a JMH score unit maps onto perfguard's: factor, unit, direction.
fn convert(unit: &str) -> Option<(f64, Unit, Direction)> {
    if let Some(time) = unit.strip_suffix("/op") {
        if time == "B" {
            return Some((1.0, Unit::Bytes, Direction::Lower));
        }
        return super::ns_per(time).map(|f| (f, Unit::Ns, Direction::Lower));
    }
    let per = unit.strip_prefix("ops/")?;
    let seconds = match per {
        "ns" => 1e-9,
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "min" => 60.0,
        "hr" => 3600.0,
        _ => return None,
    };
    Some((1.0 / seconds, Unit::PerSecond, Direction::Higher))
}

fn metric(name: String, score: &Score, text: &str) -> std::result::Result<Metric, Problem> {
    let (factor, unit, direction) = convert(&score.unit).ok_or_else(|| {
        Problem::near(
            line_of_key(text, &score.unit),
            format!("`{name}`: unknown score unit `{}`", score.unit),
        )
    })?;
    let samples = score.raw.iter().flatten().map(|v| v.0 * factor).collect();
    Ok(with_samples(
        Metric::new(name, unit, direction, score.score.0 * factor),
        samples,
    ))
}

pub fn parse(text: &str) -> std::result::Result<Vec<Metric>, Problem> {
    let results: Vec<Result> = json::from_str(text)?;
    let mut metrics = Vec::new();
    for r in results {
        let name = if r.params.is_empty() {
            r.benchmark.clone()
        } else {
            let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{}({})", r.benchmark, params.join(", "))
        };
        metrics.push(metric(name.clone(), &r.primary, text)?);
        for (key, score) in &r.secondary {
            if score.unit == "B/op" {
                metrics.push(metric(format!("{name}:{key}"), score, text)?);
            }
        }
    }
    Ok(metrics)
}
