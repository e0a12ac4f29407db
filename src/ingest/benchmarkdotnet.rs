//! BenchmarkDotNet: turns its JSON exporter's report (`*-report-full.json`,
//! `*-report.json`, `*-report-brief.json`) into one time metric per
//! benchmark (`FullName`), valued at the Mean (BenchmarkDotNet's headline
//! column) in nanoseconds, with `OriginalValues` as samples when exported,
//! plus the allocated bytes per operation when the memory diagnoser ran.
//! Reports of BenchmarkDotNet 0.9.x carry neither `FullName` nor
//! `DisplayInfo`: the name is built from `Namespace`, `Type`, `Method` and
//! `Parameters` the way later versions write `FullName`.

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
    namespace: Option<String>,
    #[serde(default, rename = "Type")]
    type_name: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    parameters: Option<String>,
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

/// `Namespace.Type.Method(A: 1, B: x)` from a 0.9.x report's parts, as
/// `FullName` reads from 0.10 on; `Parameters` there is `A=1&B=x`.
fn built_name(b: &Benchmark) -> Option<String> {
    let (ty, method) = (b.type_name.as_deref()?, b.method.as_deref()?);
    let mut name = match b.namespace.as_deref().filter(|n| !n.is_empty()) {
        Some(ns) => format!("{ns}.{ty}.{method}"),
        None => format!("{ty}.{method}"),
    };
    if let Some(params) = b.parameters.as_deref().filter(|p| !p.is_empty()) {
        let items: Vec<String> = params
            .split('&')
            .map(|item| match item.split_once('=') {
                Some((k, v)) => format!("{k}: {v}"),
                None => item.to_owned(),
            })
            .collect();
        name.push_str(&format!("({})", items.join(", ")));
    }
    Some(name)
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let report: Report = json::from_str(text)?;
    let mut metrics = Vec::new();
    for (i, b) in report.benchmarks.into_iter().enumerate() {
        let built = built_name(&b);
        let Some(name) = b.full_name.or(b.display_info).or(built) else {
            return Err(Problem::whole(format!(
                "`Benchmarks[{i}]` has no `FullName`, `DisplayInfo`, or `Type` and `Method`"
            )));
        };
        // A benchmark that failed to run has no statistics.
        let Some(stats) = b.statistics else {
            return Err(Problem {
                failed: true,
                ..Problem::near(
                    line_of_key(text, &name),
                    format!("`{name}` has no `Statistics`: BenchmarkDotNet could not run it"),
                )
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
