//! BenchmarkDotNet: turns its JSON exporter's report (`*-report-full.json`,
//! `*-report.json`, `*-report-brief.json`) into one time metric per
//! benchmark (`FullName`), valued at the Mean (BenchmarkDotNet's headline
//! column) in nanoseconds, with `OriginalValues` as samples when exported,
//! plus the allocated bytes per operation when the memory diagnoser ran.

use super::json::{self, NonNeg};
use super::{Problem, line_of_key, time_ns, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Report {
    benchmarks: Vec<Benchmark>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Benchmark {
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    display_info: Option<String>,
    #[serde(default)]
    statistics: Option<Statistics>,
    #[serde(default)]
    memory: Option<Memory>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Statistics {
    mean: NonNeg,
    #[serde(default)]
    original_values: Vec<NonNeg>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Memory {
    #[serde(default)]
    bytes_allocated_per_operation: Option<NonNeg>,
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let report: Report = json::from_str(text)?;
    let mut metrics = Vec::new();
    for (i, b) in report.benchmarks.into_iter().enumerate() {
        let Some(name) = b.full_name.or(b.display_info) else {
            return Err(Problem::whole(format!(
                "`Benchmarks[{i}]` has neither `FullName` nor `DisplayInfo`"
            )));
        };
        // A benchmark that failed to run has no statistics.
        let Some(stats) = b.statistics else {
            return Err(Problem {
                line: line_of_key(text, &name),
                message: format!("`{name}` has no `Statistics`; did it fail to run?"),
            });
        };
        metrics.push(with_samples(
            time_ns(&name, stats.mean.0),
            json::plain(&stats.original_values),
        ));
        if let Some(bytes) = b.memory.and_then(|m| m.bytes_allocated_per_operation) {
            metrics.push(Metric::new(
                format!("{name}.allocated"),
                Unit::Bytes,
                Direction::Lower,
                bytes.0,
            ));
        }
    }
    Ok(metrics)
}
