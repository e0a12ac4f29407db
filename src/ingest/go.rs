//! Go: turns `go test -bench` text into metrics. `ns/op` becomes the
//! benchmark's own name in nanoseconds; `-benchmem`'s `B/op` and `allocs/op`,
//! `MB/s` and custom `b.ReportMetric` units become `NAME.UNIT`. Repeated
//! lines (`-count N`) become samples, their median the value.

use super::{Problem, number, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use crate::stats::summary::median;

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

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    // (metric name, unit, direction, values) in order of first appearance.
    let mut series: Vec<(String, Unit, Direction, Vec<f64>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if !is_result_line(t) {
            if t.starts_with("Benchmark") && t.contains("ns/op") {
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
        for pair in pairs.chunks(2) {
            let value = number(pair[0]).ok_or_else(|| {
                Problem::at(line_no, format!("`{name}`: `{}` is not a number", pair[0]))
            })?;
            let unit = pair[1];
            let value = super::non_negative(value, &format!("`{name}` {unit}"))
                .map_err(|m| Problem::at(line_no, m))?;
            let (metric, unit, direction, value) = match unit {
                "ns/op" => (name.to_owned(), Unit::Ns, Direction::Lower, value),
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
