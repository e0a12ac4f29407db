//! Go: turns `go test -bench` text into metrics. `ns/op` becomes the
//! benchmark's own name in nanoseconds; `-benchmem`'s `B/op` and `allocs/op`,
//! `MB/s` and custom `b.ReportMetric` units become `NAME.UNIT`. Repeated
//! lines (`-count N`) become samples, their median the value. A name that
//! several packages (`pkg:` blocks) share is qualified by its package
//! (`example.com/a.BenchmarkX-8`); a unique name stays as Go prints it.

use super::{Problem, number, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use crate::stats::summary::median;
use std::collections::{HashMap, HashSet};

/// Go's own units; a proper prefix of one (`ns/`, `allocs/o`) is a line cut
/// short, not a custom unit.
const GO_UNITS: [&str; 4] = ["ns/op", "B/op", "allocs/op", "MB/s"];

/// Whether a trimmed line is one benchmark's result: a name, an iteration
/// count, then value–unit pairs.
pub fn is_result_line(line: &str) -> bool {
    let mut w = line.split_whitespace();
    w.next().is_some_and(|n| n.starts_with("Benchmark"))
        && w.next().is_some_and(|n| n.parse::<u64>().is_ok())
        && w.next().is_some_and(|n| number(n).is_some())
        && w.next()
            .is_some_and(|u| u.contains('/') || u.chars().all(char::is_alphabetic))
}

/// Whether a trimmed line starts like a result (a `Benchmark…` name and an
/// iteration count), so that failing to read it is an error, not a skip.
fn starts_like_result(line: &str) -> bool {
    let mut w = line.split_whitespace();
    w.next().is_some_and(|n| n.starts_with("Benchmark"))
        && w.next().is_some_and(|n| n.parse::<u64>().is_ok())
}

/// The benchmark a goroutine trace line names
/// (`example.com/p.BenchmarkX(0xc000…)`).
fn panicking_benchmark(line: &str) -> Option<&str> {
    let at = line.find(".Benchmark")?;
    let name = &line[at + 1..];
    Some(&name[..name.find('(')?])
}

/// One result line, checked: its package, name and value–unit pairs.
struct Row<'a> {
    package: Option<&'a str>,
    name: &'a str,
    pairs: Vec<(f64, &'a str)>,
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let rows = rows(text)?;
    // Names that more than one package printed: only these are qualified,
    // so a name unique in its output keeps matching earlier runs.
    let mut packages: HashMap<&str, HashSet<Option<&str>>> = HashMap::new();
    for r in &rows {
        packages.entry(r.name).or_default().insert(r.package);
    }
    // (metric name, unit, direction, values) in order of first appearance.
    let mut series: Vec<(String, Unit, Direction, Vec<f64>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        let name = match r.package {
            Some(p) if packages[r.name].len() > 1 => format!("{p}.{}", r.name),
            _ => r.name.to_owned(),
        };
        for &(value, unit) in &r.pairs {
            let (metric, unit, direction, value) = match unit {
                "ns/op" => (name.clone(), Unit::Ns, Direction::Lower, value),
                "B/op" => (format!("{name}.B/op"), Unit::Bytes, Direction::Lower, value),
                "allocs/op" => (
                    format!("{name}.allocs/op"),
                    Unit::Count,
                    Direction::Lower,
                    value,
                ),
                // Go's MB is 10^6 bytes.
                "MB/s" => (
                    format!("{name}.MB/s"),
                    Unit::PerSecond,
                    Direction::Higher,
                    value * 1e6,
                ),
                other => (
                    format!("{name}.{other}"),
                    Unit::Other(other.to_owned()),
                    Direction::Lower,
                    value,
                ),
            };
            match index.get(&metric) {
                Some(&i) => series[i].3.push(value),
                None => {
                    index.insert(metric.clone(), series.len());
                    series.push((metric, unit, direction, vec![value]));
                }
            }
        }
    }
    Ok(series
        .into_iter()
        .map(|(name, unit, direction, values)| {
            let value = median(&values).unwrap_or(0.0);
            let m = Metric::new(name, unit, direction, value);
            if values.len() > 1 {
                with_samples(m, values)
            } else {
                m
            }
        })
        .collect())
}

/// Every result line with the package it was printed under; failed
/// benchmarks and lines cut short are errors at their line.
fn rows(text: &str) -> Result<Vec<Row<'_>>, Problem> {
    let mut package = None;
    let mut rows = Vec::new();
    let last = text.lines().count();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if let Some(p) = t.strip_prefix("pkg:") {
            package = Some(p.trim()).filter(|p| !p.is_empty());
            continue;
        }
        if let Some(name) = t
            .strip_prefix("--- FAIL:")
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|n| n.starts_with("Benchmark"))
        {
            return Err(Problem::failed(
                line_no,
                format!("`{name}` failed (`--- FAIL`); go test measured nothing for it"),
            ));
        }
        // A benchmark that panics gets no `--- FAIL` line: go test prints the
        // panic, its goroutines, and `FAIL\tPACKAGE`.
        if t.starts_with("panic: ")
            || t.strip_prefix("FAIL")
                .is_some_and(|r| r.starts_with([' ', '\t']))
        {
            let culprit = text
                .lines()
                .skip(i)
                .find_map(panicking_benchmark)
                .map(|n| format!("`{n}` "))
                .unwrap_or_default();
            return Err(Problem::failed(
                line_no,
                format!("a benchmark {culprit}failed (`{t}`); go test measured nothing for it"),
            ));
        }
        if !is_result_line(t) {
            let cut_name = line_no == last
                && !text.ends_with('\n')
                && !t.is_empty()
                && (t.starts_with("Benchmark") || "Benchmark".starts_with(t));
            if cut_name
                || starts_like_result(t)
                || (t.starts_with("Benchmark") && t.contains("ns/op"))
            {
                return Err(Problem::at(
                    line_no,
                    "a benchmark line that is not `NAME ITERATIONS VALUE UNIT …`; truncated?",
                ));
            }
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        let name = words[0];
        let pairs = &words[2..];
        if !pairs.len().is_multiple_of(2) {
            return Err(Problem::at(
                line_no,
                format!("`{name}`: a value without a unit; truncated?"),
            ));
        }
        let mut checked = Vec::with_capacity(pairs.len() / 2);
        for pair in pairs.chunks(2) {
            let value = number(pair[0]).ok_or_else(|| {
                Problem::at(line_no, format!("`{name}`: `{}` is not a number", pair[0]))
            })?;
            let unit = pair[1];
            if unit.ends_with('/') || GO_UNITS.iter().any(|u| u.starts_with(unit) && *u != unit) {
                return Err(Problem::at(
                    line_no,
                    format!("`{name}`: unit `{unit}` is cut short; truncated?"),
                ));
            }
            let value = super::non_negative(value, &format!("`{name}` {unit}"))
                .map_err(|m| Problem::at(line_no, m))?;
            checked.push((value, unit));
        }
        // go test ends every line with a newline: a result line without one
        // at the very end was cut off, maybe inside a number or unit.
        if line_no == last && !text.ends_with('\n') {
            return Err(Problem::at(
                line_no,
                format!(
                    "`{name}`: the text ends inside this line (no newline after it); truncated?"
                ),
            ));
        }
        rows.push(Row {
            package,
            name,
            pairs: checked,
        });
    }
    Ok(rows)
}
