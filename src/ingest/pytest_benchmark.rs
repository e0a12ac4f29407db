//! pytest-benchmark: turns `--benchmark-json` output into metrics per test
//! (its `fullname`): the median in nanoseconds with every round's time as
//! samples when saved with `--benchmark-save-data`, the mean, and operations
//! per second.

use super::json::{self, NonNeg};
use super::{Problem, summary_of, time_ns, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::Deserialize;

#[derive(Deserialize)]
struct Output {
    benchmarks: Vec<Benchmark>,
}

#[derive(Deserialize)]
struct Benchmark {
    name: String,
    #[serde(default)]
    fullname: Option<String>,
    stats: Stats,
}

#[derive(Deserialize)]
struct Stats {
    median: NonNeg,
    mean: NonNeg,
    #[serde(default)]
    ops: Option<NonNeg>,
    #[serde(default)]
    data: Option<Vec<NonNeg>>,
}

const NS: f64 = 1e9;

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let output: Output = json::from_str(text)?;
    let mut metrics = Vec::new();
    for b in output.benchmarks {
        let name = b.fullname.unwrap_or(b.name);
        let samples = b
            .stats
            .data
            .as_deref()
            .map(json::plain)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s * NS)
            .collect();
        let median = with_samples(time_ns(&name, b.stats.median.0 * NS), samples);
        let mean = summary_of(
            time_ns(format!("{name}.mean"), b.stats.mean.0 * NS),
            &median,
        );
        metrics.push(median);
        metrics.push(mean);
        if let Some(ops) = b.stats.ops {
            metrics.push(Metric::new(
                format!("{name}.ops"),
                Unit::PerSecond,
                Direction::Higher,
                ops.0,
            ));
        }
    }
    Ok(metrics)
}
