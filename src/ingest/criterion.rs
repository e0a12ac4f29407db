//! criterion: turns a `target/criterion` directory (each benchmark's
//! `new/{estimates,sample,benchmark}.json`) or cargo-criterion's JSON
//! messages into one time metric per benchmark, valued as criterion prints
//! it (`time: [low typical high]`: the slope estimate, else the mean), with
//! per-iteration times as samples, plus throughput where it was declared.

use super::json::{self, NonNeg};
use super::{Format, IngestError, Problem, time_ns, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Estimate {
    point_estimate: NonNeg,
}

#[derive(Deserialize)]
struct Estimates {
    mean: Estimate,
    #[serde(default)]
    slope: Option<Estimate>,
}

#[derive(Deserialize)]
struct Sample {
    iters: Vec<NonNeg>,
    times: Vec<NonNeg>,
}

#[derive(Deserialize)]
struct BenchmarkId {
    full_id: String,
    #[serde(default)]
    throughput: Option<Throughput>,
}

#[derive(Deserialize)]
enum Throughput {
    Bytes(u64),
    BytesDecimal(u64),
    Elements(u64),
}

/// One benchmark's files, as text.
pub struct Files<'a> {
    pub estimates: &'a str,
    pub sample: Option<&'a str>,
    pub benchmark: Option<&'a str>,
}

/// Which of a benchmark's files a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Estimates,
    Sample,
    Benchmark,
}

impl Which {
    fn file_name(self) -> &'static str {
        match self {
            Which::Estimates => "estimates.json",
            Which::Sample => "sample.json",
            Which::Benchmark => "benchmark.json",
        }
    }
}

/// Parses one benchmark's `new/` files; `fallback` names it when there is no
/// `benchmark.json`.
pub fn parse_benchmark(files: &Files, fallback: &str) -> Result<Vec<Metric>, (Which, Problem)> {
    let estimates: Estimates =
        json::from_str(files.estimates).map_err(|p| (Which::Estimates, p))?;
    let id: Option<BenchmarkId> = files
        .benchmark
        .map(json::from_str)
        .transpose()
        .map_err(|p| (Which::Benchmark, p))?;
    let samples = match files.sample {
        Some(text) => {
            let s: Sample = json::from_str(text).map_err(|p| (Which::Sample, p))?;
            per_iteration(&s.iters, &s.times).map_err(|m| (Which::Sample, Problem::whole(m)))?
        }
        None => Vec::new(),
    };
    let typical = estimates.slope.unwrap_or(estimates.mean).point_estimate.0;
    let (name, tp) = match id {
        Some(i) => (i.full_id, i.throughput),
        None => (fallback.to_owned(), None),
    };
    let mut metrics = vec![with_samples(time_ns(&name, typical), samples)];
    if let Some(t) = tp {
        metrics.extend(throughput(&name, &t, typical));
    }
    Ok(metrics)
}

fn per_iteration(iters: &[NonNeg], times: &[NonNeg]) -> Result<Vec<f64>, String> {
    if iters.len() != times.len() {
        return Err(format!(
            "`iters` has {} entries but `times` has {}",
            iters.len(),
            times.len()
        ));
    }
    iters
        .iter()
        .zip(times)
        .map(|(n, t)| {
            if n.0 > 0.0 {
                Ok(t.0 / n.0)
            } else {
                Err("an iteration count is zero".to_owned())
            }
        })
        .collect()
}

/// Elements or bytes per second at the typical time, as criterion's
/// `thrpt:` line.
fn throughput(name: &str, t: &Throughput, typical_ns: f64) -> Option<Metric> {
    let per_iteration = match t {
        Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) => *n as f64,
    };
    (typical_ns > 0.0).then(|| {
        Metric::new(
            format!("{name}.throughput"),
            Unit::PerSecond,
            Direction::Higher,
            per_iteration / (typical_ns * 1e-9),
        )
    })
}

/// Reads the benchmark whose `estimates.json` is at `path` (its siblings
/// `sample.json` and `benchmark.json` when present).
pub fn read_estimates(path: &Path, estimates: &str) -> Result<Vec<Metric>, IngestError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    read_new_dir(dir, Some(estimates), &fallback_name(dir, None))
}

/// Reads every benchmark under a criterion directory.
pub fn read_dir(root: &Path) -> Result<Vec<Metric>, IngestError> {
    let mut dirs = Vec::new();
    find_new_dirs(root, 0, &mut dirs).map_err(|source| IngestError::Read {
        path: root.to_owned(),
        source,
    })?;
    dirs.sort();
    if dirs.is_empty() {
        return Err(IngestError::Parse {
            path: root.to_owned(),
            format: Format::Criterion,
            line: None,
            message: "no `*/new/estimates.json` below this directory; run `cargo bench` first"
                .into(),
        });
    }
    let mut metrics = Vec::new();
    for dir in dirs {
        metrics.extend(read_new_dir(&dir, None, &fallback_name(&dir, Some(root)))?);
    }
    Ok(metrics)
}

fn fallback_name(new_dir: &Path, root: Option<&Path>) -> String {
    let bench = new_dir.parent().unwrap_or(new_dir);
    let rel = root
        .and_then(|r| bench.strip_prefix(r).ok())
        .unwrap_or(bench);
    rel.to_string_lossy().into_owned()
}

fn read_new_dir(
    dir: &Path,
    estimates: Option<&str>,
    fallback: &str,
) -> Result<Vec<Metric>, IngestError> {
    let estimates = match estimates {
        Some(t) => t.to_owned(),
        None => super::read_text(&dir.join("estimates.json"))?,
    };
    let optional = |name: &str| -> Result<Option<String>, IngestError> {
        let p = dir.join(name);
        if p.is_file() {
            super::read_text(&p).map(Some)
        } else {
            Ok(None)
        }
    };
    let sample = optional("sample.json")?;
    let benchmark = optional("benchmark.json")?;
    let files = Files {
        estimates: &estimates,
        sample: sample.as_deref(),
        benchmark: benchmark.as_deref(),
    };
    parse_benchmark(&files, fallback).map_err(|(which, p)| IngestError::Parse {
        path: dir.join(which.file_name()),
        format: Format::Criterion,
        line: p.line,
        message: p.message,
    })
}

/// Directories named `new` holding an `estimates.json`, not below `report`
/// (criterion's HTML) and at most 16 levels deep.
fn find_new_dirs(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if depth > 16 {
        return Ok(());
    }
    if dir.file_name().is_some_and(|n| n == "new") && dir.join("estimates.json").is_file() {
        out.push(dir.to_owned());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        // Symlinks are not followed, so a loop cannot recurse forever.
        if entry.file_type()?.is_dir() && entry.file_name() != "report" {
            find_new_dirs(&entry.path(), depth + 1, out)?;
        }
    }
    Ok(())
}

/// One cargo-criterion `benchmark-complete` message.
#[derive(Deserialize)]
struct Complete {
    id: String,
    iteration_count: Vec<NonNeg>,
    measured_values: Vec<NonNeg>,
    unit: String,
    typical: MessageEstimate,
    #[serde(default)]
    throughput: Vec<MessageThroughput>,
}

#[derive(Deserialize)]
struct MessageEstimate {
    estimate: NonNeg,
    unit: String,
}

#[derive(Deserialize)]
struct MessageThroughput {
    per_iteration: u64,
}

#[derive(Deserialize)]
struct Reason {
    reason: String,
}

/// Parses cargo-criterion's `--message-format=json` output: one JSON message
/// per line; `benchmark-complete` messages become metrics. Text with
/// criterion's `time: [...]` lines instead is its console output.
pub fn parse_text(text: &str) -> Result<Vec<Metric>, Problem> {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    if first.is_some_and(|l| !l.starts_with('{'))
        && text
            .lines()
            .any(|l| super::criterion_console::is_time_line(l.trim()))
    {
        return super::criterion_console::parse(text);
    }
    let mut metrics = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let at_line = |p: Problem| Problem::at(line_no, p.message);
        if !t.starts_with('{') {
            return Err(Problem::at(
                line_no,
                "expected one cargo-criterion JSON message per line (for a target/criterion directory, pass the directory)",
            ));
        }
        let reason: Reason = json::from_str(t).map_err(at_line)?;
        if reason.reason != "benchmark-complete" {
            continue;
        }
        let c: Complete = json::from_str(t).map_err(at_line)?;
        let samples = per_iteration(&c.iteration_count, &c.measured_values)
            .map_err(|m| Problem::at(line_no, format!("`{}`: {m}", c.id)))?;
        let (Some(sample_factor), Some(typical_factor)) =
            (super::ns_per(&c.unit), super::ns_per(&c.typical.unit))
        else {
            // A custom measurement (cycles, instructions): kept in its own
            // unit; a rate per second cannot be made from it.
            if c.unit != c.typical.unit {
                return Err(Problem::at(
                    line_no,
                    format!(
                        "`{}`: samples in `{}` but the estimate in `{}`",
                        c.id, c.unit, c.typical.unit
                    ),
                ));
            }
            metrics.push(with_samples(
                Metric::new(
                    &c.id,
                    Unit::Other(c.unit.clone()),
                    Direction::Lower,
                    c.typical.estimate.0,
                ),
                samples,
            ));
            continue;
        };
        let typical = c.typical.estimate.0 * typical_factor;
        let samples = samples.into_iter().map(|s| s * sample_factor).collect();
        metrics.push(with_samples(time_ns(&c.id, typical), samples));
        if let Some(t) = c.throughput.first() {
            metrics.extend(throughput(
                &c.id,
                &Throughput::Elements(t.per_iteration),
                typical,
            ));
        }
    }
    Ok(metrics)
}
