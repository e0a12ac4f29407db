//! vitest bench: turns `vitest bench --outputJson` (files → groups →
//! benchmarks, tinybench's statistics in milliseconds) into metrics. Each
//! benchmark is named `GROUP > NAME` after vitest's own `fullName` of its
//! group (`bench/x.bench.js > parse > small`), so the same name in two
//! `describe` blocks or files stays two benchmarks. `NAME` is the mean time
//! per iteration in ns (with the raw samples when vitest wrote them);
//! `NAME.median`, `NAME.p99` are ns; `NAME.hz` operations per second. A
//! benchmark without statistics threw: a failed benchmark.

use super::json::{self, NonNeg};
use super::{Problem, line_of_key, lines_of_key, summary_of, time_ns, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::Deserialize;
use std::collections::HashSet;

#[derive(Deserialize)]
struct Report {
    files: Vec<File>,
}

#[derive(Deserialize)]
struct File {
    groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    full_name: String,
    benchmarks: Vec<Benchmark>,
}

/// tinybench's statistics; all absent when the task threw.
#[derive(Deserialize)]
struct Benchmark {
    name: String,
    #[serde(default)]
    mean: Option<NonNeg>,
    #[serde(default)]
    median: Option<NonNeg>,
    #[serde(default)]
    p99: Option<NonNeg>,
    #[serde(default)]
    hz: Option<NonNeg>,
    #[serde(default)]
    samples: Vec<NonNeg>,
}

/// Nanoseconds per millisecond, tinybench's unit.
const NS_PER_MS: f64 = 1e6;

/// Whether a JSON value is a vitest bench report.
pub fn looks_like(value: &serde_json::Value) -> bool {
    value
        .get("files")
        .and_then(|f| f.get(0))
        .is_some_and(|f| f.get("groups").is_some())
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let report: Report = json::from_str(text)?;
    let mut metrics = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for group in report.files.iter().flat_map(|f| &f.groups) {
        for b in &group.benchmarks {
            let name = format!("{} > {}", group.full_name, b.name);
            let line = || line_of_key(text, &b.name);
            if !seen.insert(name.clone()) {
                return Err(Problem::near(
                    lines_of_key(text, &b.name).get(1).copied(),
                    format!(
                        "benchmark `{name}` appears twice; vitest names them apart by `describe` and file"
                    ),
                ));
            }
            let (Some(mean), Some(hz)) = (b.mean, b.hz) else {
                return Err(Problem {
                    failed: true,
                    ..Problem::near(
                        line(),
                        format!(
                            "`{name}` has no statistics: the benchmark threw (vitest exits 0 and prints `NaNx faster` for it)"
                        ),
                    )
                });
            };
            let samples: Vec<f64> = b.samples.iter().map(|s| s.0 * NS_PER_MS).collect();
            let primary = with_samples(time_ns(&name, mean.0 * NS_PER_MS), samples);
            let mut of = vec![];
            if let Some(median) = b.median {
                of.push(summary_of(
                    time_ns(format!("{name}.median"), median.0 * NS_PER_MS),
                    &primary,
                ));
            }
            if let Some(p99) = b.p99 {
                of.push(summary_of(
                    time_ns(format!("{name}.p99"), p99.0 * NS_PER_MS),
                    &primary,
                ));
            }
            // A rate: the time samples are not its evidence.
            of.push(Metric::new(
                format!("{name}.hz"),
                Unit::PerSecond,
                Direction::Higher,
                hz.0,
            ));
            metrics.push(primary);
            metrics.extend(of);
        }
    }
    Ok(metrics)
}
