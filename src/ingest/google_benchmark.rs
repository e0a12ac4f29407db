//! Google Benchmark: turns `--benchmark_format=json` output into metrics in
//! nanoseconds: real time (repetitions as samples, the median aggregate or
//! the samples' median as value), CPU time, the mean aggregate, and
//! bytes/items per second.

use super::json::{self, NonNeg, TimeUnit};
use super::{Problem, summary_of, time_ns, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use crate::stats::summary::median;
use serde::Deserialize;

#[derive(Deserialize)]
struct Output {
    benchmarks: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    #[serde(default)]
    run_name: Option<String>,
    #[serde(default)]
    run_type: Option<String>,
    #[serde(default)]
    aggregate_name: Option<String>,
    #[serde(default)]
    error_occurred: bool,
    #[serde(default)]
    error_message: Option<String>,
    #[serde(default)]
    real_time: Option<NonNeg>,
    #[serde(default)]
    cpu_time: Option<NonNeg>,
    #[serde(default)]
    time_unit: Option<TimeUnit>,
    #[serde(default)]
    bytes_per_second: Option<NonNeg>,
    #[serde(default)]
    items_per_second: Option<NonNeg>,
}

#[derive(Default)]
struct Run {
    name: String,
    real: Vec<f64>,
    cpu: Vec<f64>,
    bytes: Vec<f64>,
    items: Vec<f64>,
    median: Option<(f64, f64)>,
    mean: Option<f64>,
    median_rates: (Option<f64>, Option<f64>),
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let output: Output = json::from_str(text)?;
    let mut runs: Vec<Run> = Vec::new();
    let mut by_name: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, e) in output.benchmarks.into_iter().enumerate() {
        let at = format!("benchmarks[{i}] (`{}`)", e.name);
        if e.error_occurred {
            return Err(Problem::whole(format!(
                "{at} failed: {}",
                e.error_message.unwrap_or_default()
            )));
        }
        let aggregate = e.run_type.as_deref() == Some("aggregate");
        // stddev, cv and complexity fits (BigO, RMS: no times at all) are not
        // values to compare.
        if aggregate && !matches!(e.aggregate_name.as_deref(), Some("median" | "mean")) {
            continue;
        }
        let name = e.run_name.clone().unwrap_or_else(|| e.name.clone());
        let (Some(real), Some(cpu)) = (e.real_time, e.cpu_time) else {
            return Err(Problem::whole(format!("{at} has no real_time or cpu_time")));
        };
        let factor = e.time_unit.map_or(1.0, |u| u.0);
        let (real, cpu) = (real.0 * factor, cpu.0 * factor);
        let index = match by_name.get(&name) {
            Some(&i) => i,
            None => {
                by_name.insert(name.clone(), runs.len());
                runs.push(Run {
                    name,
                    ..Run::default()
                });
                runs.len() - 1
            }
        };
        let run = &mut runs[index];
        match (e.run_type.as_deref(), e.aggregate_name.as_deref()) {
            (Some("aggregate"), Some("median")) => {
                run.median = Some((real, cpu));
                run.median_rates = (
                    e.bytes_per_second.map(|v| v.0),
                    e.items_per_second.map(|v| v.0),
                );
            }
            (Some("aggregate"), Some("mean")) => run.mean = Some(real),
            (Some("aggregate"), _) => {}
            _ => {
                run.real.push(real);
                run.cpu.push(cpu);
                run.bytes.extend(e.bytes_per_second.map(|v| v.0));
                run.items.extend(e.items_per_second.map(|v| v.0));
            }
        }
    }
    let mut metrics = Vec::new();
    for run in runs {
        if run.real.is_empty() {
            // Aggregates only (--benchmark_report_aggregates_only).
            let Some((real, cpu)) = run.median.or(run.mean.map(|m| (m, m))) else {
                continue;
            };
            metrics.push(time_ns(&run.name, real));
            metrics.push(time_ns(format!("{}.cpu", run.name), cpu));
            continue;
        }
        let (real, cpu) = run.median.unwrap_or((
            median(&run.real).unwrap_or(0.0),
            median(&run.cpu).unwrap_or(0.0),
        ));
        let repeated = run.real.len() > 1;
        let wall = if repeated {
            with_samples(time_ns(&run.name, real), run.real)
        } else {
            time_ns(&run.name, real)
        };
        let cpu = if repeated {
            with_samples(time_ns(format!("{}.cpu", run.name), cpu), run.cpu)
        } else {
            time_ns(format!("{}.cpu", run.name), cpu)
        };
        let mean = run
            .mean
            .map(|m| summary_of(time_ns(format!("{}.mean", run.name), m), &wall));
        metrics.push(wall);
        metrics.push(cpu);
        metrics.extend(mean);
        for (suffix, values, agg) in [
            ("bytes_per_second", run.bytes, run.median_rates.0),
            ("items_per_second", run.items, run.median_rates.1),
        ] {
            if let Some(v) = agg.or_else(|| median(&values)) {
                let m = Metric::new(
                    format!("{}.{suffix}", run.name),
                    Unit::PerSecond,
                    Direction::Higher,
                    v,
                );
                metrics.push(if values.len() > 1 {
                    with_samples(m, values)
                } else {
                    m
                });
            }
        }
    }
    Ok(metrics)
}
