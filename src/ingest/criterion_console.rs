//! criterion's console text (what `cargo bench` prints): turns each
//! benchmark's `time: [low typical high]` line into one metric valued at the
//! typical (middle) number, as printed, and its `thrpt:` line into
//! `NAME.throughput` per second. A custom measurement's or formatter's unit
//! (`cycles/iter`, `MS/s`) is kept as printed.

use super::{Problem, ns_per, number, time_ns};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};

/// Whether a trimmed line is a benchmark's `time:` line (named or not), not
/// one of the `change:` section's percentages.
pub fn is_time_line(line: &str) -> bool {
    line.rfind("time:")
        .is_some_and(|at| line[at + 5..].trim_start().starts_with('[') && !line.contains('%'))
}

/// The three `value unit` estimates of a `[low typical high]` bracket; the
/// typical one with its unit.
fn typical(bracket: &str) -> Option<(f64, &str)> {
    let inner = bracket.trim().strip_prefix('[')?.strip_suffix(']')?;
    let words: Vec<&str> = inner.split_whitespace().collect();
    let [l, lu, v, u, h, hu] = words.as_slice() else {
        return None;
    };
    let same = lu == u && u == hu;
    (same && number(l).is_some() && number(h).is_some()).then_some(())?;
    Some((number(v)?, u))
}

/// Per-second factor of a criterion throughput unit (`Gelem/s`, `MiB/s`).
fn per_second(unit: &str) -> Option<f64> {
    let base = unit.strip_suffix("/s")?;
    let (prefix, scale) = if let Some(p) = base.strip_suffix("elem") {
        (p, 1000.0)
    } else if let Some(p) = base.strip_suffix("iB") {
        (p, 1024.0)
    } else if let Some(p) = base.strip_suffix('B') {
        (p, 1000.0)
    } else {
        return None;
    };
    let power = match prefix {
        "" => 0,
        "K" => 1,
        "M" => 2,
        "G" => 3,
        "T" => 4,
        _ => return None,
    };
    Some(f64::powi(scale, power))
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut metrics = Vec::new();
    // A name longer than criterion's column is printed on a line of its own,
    // its `time:` line below it unnamed.
    let mut previous = "";
    // The benchmark whose `thrpt:` line may follow, and its typical time.
    let mut last: Option<(String, f64, bool)> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("thrpt:") {
            // The `change:` section's throughput is in percent.
            if t.contains('%') {
                continue;
            }
            let Some((name, ns, is_time)) = last.take() else {
                continue;
            };
            let (value, unit) = typical(rest).ok_or_else(|| {
                Problem::at(
                    line_no,
                    format!(
                        "`{name}`: expected `thrpt: [low typical high]` with units; truncated?"
                    ),
                )
            })?;
            let metric = match per_second(unit) {
                // Criterion's own throughput of a time measurement: a rate.
                Some(factor) if is_time && ns > 0.0 => Metric::new(
                    format!("{name}.throughput"),
                    Unit::PerSecond,
                    Direction::Higher,
                    value * factor,
                ),
                // A custom formatter's unit (`MS/s`, `cpb`): kept as printed.
                _ => Metric::new(
                    format!("{name}.throughput"),
                    Unit::Other(unit.to_owned()),
                    Direction::Higher,
                    value,
                ),
            };
            let checked = super::non_negative(metric.value, &format!("`{name}`'s throughput"))
                .map_err(|m| Problem::at(line_no, m))?;
            metrics.push(Metric {
                value: checked,
                ..metric
            });
            continue;
        }
        if is_time_line(t) {
            let at = t.rfind("time:").expect("checked above");
            let (head, rest) = (t[..at].trim(), &t[at + 5..]);
            let name = if head.is_empty() {
                previous.trim()
            } else {
                head
            };
            if name.is_empty() {
                return Err(Problem::at(
                    line_no,
                    "a `time:` line without a benchmark name",
                ));
            }
            let (value, unit) = typical(rest).ok_or_else(|| {
                Problem::at(
                    line_no,
                    format!("`{name}`: expected `time: [low typical high]` with units; truncated?"),
                )
            })?;
            let value = super::non_negative(value, &format!("`{name}`'s time"))
                .map_err(|m| Problem::at(line_no, m))?;
            let metric = match ns_per(unit) {
                Some(f) => time_ns(name, value * f),
                None => Metric::new(name, Unit::Other(unit.to_owned()), Direction::Lower, value),
            };
            last = Some((name.to_owned(), metric.value, ns_per(unit).is_some()));
            metrics.push(metric);
        }
        if !t.is_empty() {
            previous = line;
        }
    }
    Ok(metrics)
}
