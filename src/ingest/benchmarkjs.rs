//! benchmark.js: turns its console output
//! (`RegExp#test x 19,264,258 ops/sec ±8.94% (42 runs sampled)`) into one
//! operations-per-second metric per benchmark, higher is better. A
//! benchmark that threw (`NAME: ` and its error) fails the input, naming it;
//! a result line cut off at the end of the text is an error, not a skip.

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

/// Whether a trimmed line is the start of a result, cut before its
/// ` ops/sec` (`RegExp#test x 19,264,2`).
fn cut_result(line: &str) -> bool {
    line.rfind(" x ")
        .is_some_and(|x| line[x + 3..].starts_with(|c: char| c.is_ascii_digit()))
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut metrics = Vec::new();
    let last = text.lines().count();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        // benchmark.js prints a benchmark that threw as `NAME: ` plus the
        // error's enumerable properties, which a plain Error has none of.
        if let Some(name) = line.strip_suffix(": ").filter(|n| !n.trim().is_empty()) {
            return Err(Problem::failed(
                i + 1,
                format!(
                    "`{}` failed: benchmark.js printed its error instead of a rate",
                    name.trim()
                ),
            ));
        }
        let Some((name, rate)) = split(t) else {
            if i + 1 == last && !text.ends_with('\n') && cut_result(t) {
                return Err(Problem::at(
                    i + 1,
                    "a result cut off before ` ops/sec` at the end of the text; truncated?",
                ));
            }
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
