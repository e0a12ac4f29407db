//! iai-callgrind (gungraun): turns the runner's console text
//! (`MODULE::GROUP::FUNCTION ID:ARGS`, then `  Instructions: NEW|OLD
//! (CHANGE)` lines) into counts. `Instructions` is the benchmark's own name;
//! every other event is `NAME.EVENT` as printed (`NAME.L1 Hits`,
//! `NAME.Estimated Cycles`). All are exact counts, lower is better; the old
//! value and the change are iai-callgrind's own comparison and not kept.

use super::{Problem, number};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use std::collections::HashMap;

/// An event line: `  KEY:   NEW|OLD   (CHANGE)`, split, if the line is one.
fn event(line: &str) -> Option<(&str, &str)> {
    if !line.starts_with(' ') {
        return None;
    }
    let (key, rest) = line.trim().split_once(':')?;
    let rest = rest.trim_start();
    rest.starts_with(|c: char| c.is_ascii_digit())
        .then_some((key.trim(), rest))
}

/// Whether a line is a benchmark's `Instructions` line (for detection).
pub fn is_instructions_line(line: &str) -> bool {
    line.starts_with("Instructions:") && line.contains('|')
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut metrics = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    // The benchmark being read: its name, header line, events so far.
    let mut current: Option<(&str, usize, usize)> = None;
    let last = text.lines().count();
    let close = |current: Option<(&str, usize, usize)>| match current {
        Some((name, at, 0)) => Err(Problem::at(
            at,
            format!(
                "benchmark `{name}` has no event lines (`Instructions: …`) after it; truncated?"
            ),
        )),
        _ => Ok(()),
    };
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        // The runner ends every line with a newline: a last line without one
        // was cut off.
        if line_no == last && !text.ends_with('\n') {
            return Err(Problem::at(
                line_no,
                "the text ends inside this line (no newline after it); truncated?",
            ));
        }
        if let Some((key, rest)) = event(line) {
            let Some((name, _, events)) = current.as_mut() else {
                continue;
            };
            // `NEW|OLD  (CHANGE)`: both halves and the change must be there.
            let (new, old) = rest.split_once('|').ok_or_else(|| {
                Problem::at(
                    line_no,
                    format!("`{name}` {key}: expected `NEW|OLD`; truncated?"),
                )
            })?;
            let old_done = old
                .split_whitespace()
                .next()
                .is_some_and(|o| o == "N/A" || number(o).is_some());
            if !old_done || !old.contains('(') || !old.trim_end().ends_with([')', ']']) {
                return Err(Problem::at(
                    line_no,
                    format!("`{name}` {key}: expected `NEW|OLD (CHANGE)`; truncated?"),
                ));
            }
            let value = number(new.trim())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    Problem::at(
                        line_no,
                        format!(
                            "`{name}` {key}: `{}` is not a count of zero or more",
                            new.trim()
                        ),
                    )
                })?;
            let metric = if key == "Instructions" {
                (*name).to_owned()
            } else {
                format!("{name}.{key}")
            };
            metrics.push(Metric::new(metric, Unit::Count, Direction::Lower, value));
            *events += 1;
            continue;
        }
        // A benchmark's header is a module path at the start of its line.
        let t = line.trim_end();
        close(current.take())?;
        if !t.starts_with(' ') && t.contains("::") {
            if let Some(first) = seen.insert(t, line_no) {
                return Err(Problem::at(
                    line_no,
                    format!("benchmark `{t}` again (first at line {first})"),
                ));
            }
            current = Some((t, line_no, 0));
        }
    }
    close(current)?;
    Ok(metrics)
}
