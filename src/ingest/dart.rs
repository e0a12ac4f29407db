//! Dart benchmark_harness: turns the lines its `PrintEmitter` writes
//! (`NAME(RunTime): 123.45 us.`, `print('$testName($metric): $value $unit')`)
//! into metrics, lower is better. `RunTime` is the benchmark itself, `NAME`;
//! any other metric is `NAME.METRIC`. Units `ns.`, `us.` (the harness's own)
//! and `ms.` become ns. Dart prints a double as `1234.0`, `1.5e-7`, `NaN` or
//! `Infinity`; the last two are errors naming the line. A last line with
//! no newline after it is taken as cut off, an error.

use super::{Problem, number, time_ns};
use crate::results::Metric;

/// Name, metric, value text and unit of a result line.
fn split(line: &str) -> Option<(&str, &str, &str, &str)> {
    let (head, rest) = line.rsplit_once("): ")?;
    let (name, metric) = head.rsplit_once('(')?;
    let (value, unit) = rest.trim().split_once(' ')?;
    let metric_ok = !metric.is_empty() && metric.chars().all(|c| c.is_ascii_alphanumeric());
    (metric_ok && !name.trim().is_empty() && unit.ends_with('.'))
        .then_some((name, metric, value, unit))
}

/// Whether a trimmed line is benchmark_harness's result line (detection).
pub fn is_result_line(line: &str) -> bool {
    line.contains("(RunTime): ") && split(line).is_some_and(|(_, _, _, u)| u == "us.")
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut metrics = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    super::ends_with_whole_line(text)?;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        let Some((name, metric, value, unit)) = split(t) else {
            if t.contains("(RunTime): ") {
                return Err(Problem::at(
                    line_no,
                    "expected `NAME(RunTime): VALUE us.`; truncated?",
                ));
            }
            continue;
        };
        let name = if metric == "RunTime" {
            name.to_owned()
        } else {
            format!("{name}.{metric}")
        };
        let per = match unit {
            "ns." => 1.0,
            "us." => 1e3,
            "ms." => 1e6,
            _ => {
                return Err(Problem::at(
                    line_no,
                    format!("`{name}`: unit `{unit}` is not one of ns., us., ms."),
                ));
            }
        };
        let v = number(value)
            .ok_or_else(|| Problem::at(line_no, format!("`{name}`: `{value}` is not a number")))?;
        let v =
            super::non_negative(v, &format!("`{name}`")).map_err(|m| Problem::at(line_no, m))?;
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            return Err(Problem::at(
                line_no,
                format!("benchmark `{name}` again (first at line {first})"),
            ));
        }
        seen.push((name.clone(), line_no));
        metrics.push(time_ns(name, v * per));
    }
    Ok(metrics)
}
