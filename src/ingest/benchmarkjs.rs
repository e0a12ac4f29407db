//! benchmark.js: turns its console output
//! (`RegExp#test x 19,264,258 ops/sec ±8.94% (42 runs sampled)`) into one
//! operations-per-second metric per benchmark, higher is better.

use super::{Problem, number};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};

/// Whether a trimmed line is one benchmark's result.
pub fn is_result_line(line: &str) -> bool {
    split(line).is_some()
}

/// Name, rate text and the rest of a result line.
fn split(line: &str) -> Option<(&str, &str)> {
    let at = line.rfind(" ops/sec")?;
    let head = &line[..at];
    let x = head.rfind(" x ")?;
    let (name, rate) = (&head[..x], &head[x + 3..]);
    (!name.trim().is_empty()).then_some((name, rate.trim()))
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut metrics = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        let Some((name, rate)) = split(t) else {
            continue;
        };
        let value = number(rate)
            .ok_or_else(|| Problem::at(i + 1, format!("`{name}`: `{rate}` is not a rate")))?;
        let value = super::non_negative(value, &format!("`{name}`'s rate"))
            .map_err(|m| Problem::at(i + 1, m))?;
        metrics.push(Metric::new(name, Unit::PerSecond, Direction::Higher, value));
    }
    Ok(metrics)
}
