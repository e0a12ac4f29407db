//! cargo bench: turns libtest's bencher text
//! (`test fib ... bench:       1,234 ns/iter (+/- 56) = 800 MB/s`) into one
//! time metric per benchmark, plus throughput where libtest printed it. A
//! benchmark libtest reports as `FAILED` fails the whole input, naming it.

use super::{Problem, number, time_ns};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};

/// Whether a trimmed line is one benchmark's result.
pub fn is_result_line(line: &str) -> bool {
    line.starts_with("test ") && line.contains(" ... bench:")
}

/// The name in libtest's `test NAME ... FAILED` line.
fn failed(line: &str) -> Option<&str> {
    let name = line
        .strip_prefix("test ")?
        .strip_suffix(" ... FAILED")?
        .trim();
    (!name.is_empty()).then_some(name)
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut metrics = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if let Some(name) = failed(t) {
            return Err(Problem::failed(
                line_no,
                format!(
                    "`{name}` FAILED; libtest measured nothing for it (see its panic above the `test result:` line)"
                ),
            ));
        }
        if !is_result_line(t) {
            continue;
        }
        let (head, rest) = t.split_once(" ... bench:").expect("checked above");
        // `test ... bench:` has no name: the prefix's space was the separator's.
        let name = head.strip_prefix("test").unwrap_or(head).trim();
        if name.is_empty() {
            return Err(Problem::at(line_no, "a benchmark line without a name"));
        }
        let mut words = rest.split_whitespace();
        let value = words.next().and_then(number).ok_or_else(|| {
            Problem::at(
                line_no,
                format!("`{name}`: expected a number after `bench:`"),
            )
        })?;
        let unit = words.next().unwrap_or("");
        if unit != "ns/iter" {
            return Err(Problem::at(
                line_no,
                format!("`{name}`: expected `ns/iter` after the value, found `{unit}`"),
            ));
        }
        let value = super::non_negative(value, &format!("`{name}`'s time"))
            .map_err(|m| Problem::at(line_no, m))?;
        metrics.push(time_ns(name, value));
        // `= 800 MB/s` when the benchmark set `b.bytes`; libtest's MB is 10^6.
        if let Some((_, tp)) = rest.split_once(" = ") {
            let mut w = tp.split_whitespace();
            match (w.next().and_then(number), w.next()) {
                (Some(mb), Some("MB/s")) if mb.is_finite() && mb >= 0.0 => {
                    metrics.push(Metric::new(
                        format!("{name}.throughput"),
                        Unit::PerSecond,
                        Direction::Higher,
                        mb * 1e6,
                    ))
                }
                _ => {
                    return Err(Problem::at(
                        line_no,
                        format!("`{name}`: expected a throughput such as `= 800 MB/s`"),
                    ));
                }
            }
        }
    }
    Ok(metrics)
}
