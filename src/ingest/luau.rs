//! Luau: turns the records of Luau's `bench/bench_support.lua`
//! (`|><|NAME|><|T1|><|T2…||_||`, each `T` one run's time in milliseconds,
//! sorted, the slowest `extraRuns` already dropped) into one metric per
//! benchmark: `NAME` in ns, lower is better, the mean of the runs as the
//! value (the `Average` that Luau's `bench/bench.py` prints) and the runs as
//! samples. Records are found the way `bench.py` finds them: the text is
//! split at `||_||`, anything before a record's first `|><|` is the test's
//! own output, and a record after the last `||_||` is a cut-off run.

use super::{Problem, number, time_ns, with_samples};
use crate::results::Metric;

const FIELD: &str = "|><|";
const END: &str = "||_||";

/// Whether a trimmed line holds a Luau benchmark record (for detection).
pub fn looks_like(line: &str) -> bool {
    line.starts_with(FIELD) && line.contains(END)
}

/// 1-based line of byte offset `at`.
fn line_at(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut metrics: Vec<Metric> = Vec::new();
    let mut first_line: Vec<(String, usize)> = Vec::new();
    let mut from = 0;
    while let Some(end) = text[from..].find(END) {
        let chunk = &text[from..from + end];
        let Some(start) = chunk.find(FIELD) else {
            return Err(Problem::at(
                line_at(text, from + end),
                "`||_||` ends a record that has no `|><|NAME` before it",
            ));
        };
        let line_no = line_at(text, from + start);
        let mut fields = chunk[start + FIELD.len()..].split(FIELD);
        let name = fields.next().unwrap_or_default();
        if name.trim().is_empty() {
            return Err(Problem::at(
                line_no,
                "a record with an empty benchmark name",
            ));
        }
        if name.contains('\n') {
            return Err(Problem::at(
                line_no,
                format!(
                    "the record of `{}` runs over a line end; truncated?",
                    name.lines().next().unwrap_or_default()
                ),
            ));
        }
        let mut samples = Vec::new();
        for field in fields {
            let ms = number(field.trim()).ok_or_else(|| {
                Problem::at(
                    line_no,
                    format!("`{name}`: `{field}` is not a time in milliseconds"),
                )
            })?;
            let ms = super::non_negative(ms, &format!("`{name}`'s time"))
                .map_err(|m| Problem::at(line_no, m))?;
            samples.push(ms * 1e6);
        }
        if samples.is_empty() {
            return Err(Problem::at(line_no, format!("`{name}` has no run times")));
        }
        if let Some((_, first)) = first_line.iter().find(|(n, _)| n == name) {
            return Err(Problem::at(
                line_no,
                format!("benchmark `{name}` again (first at line {first})"),
            ));
        }
        first_line.push((name.to_owned(), line_no));
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        metrics.push(with_samples(time_ns(name, mean), samples));
        from += end + END.len();
    }
    if let Some(start) = text[from..].find(FIELD) {
        return Err(Problem::at(
            line_at(text, from + start),
            "a record with no `||_||` after it; truncated?",
        ));
    }
    Ok(metrics)
}
