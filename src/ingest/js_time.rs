//! JS `time`-style output: Node's `console.timeEnd`/`console.timeLog`
//! lines and the shell's `time` report, the two ways JavaScript projects
//! time a script without a harness.
//!
//! - `console.timeEnd(label)` prints `LABEL: TIME` with Node's
//!   `formatTime`: `1.234ms` (at most three decimals), `1.500s` from one
//!   second, `1:02.345 (m:ss.mmm)` from one minute and `1:01:02.345
//!   (h:mm:ss.mmm)` from one hour. Browsers' `LABEL: 1.234 ms` is read too.
//!   A line with more text after the time (`timeLog`'s extra data) is not a
//!   result.
//! - The shell's `time` keyword prints `real`, `user` and `sys`, in bash's
//!   `0m1.234s` form or POSIX `time -p`'s plain seconds.
//!
//! Every metric is a time in ns, lower is better. A label printed several
//! times (a timer in a loop, or several `time` reports) is one metric: each
//! line is a sample, the median the value. A last line with no newline
//! after it is taken as cut off, an error.

use super::{Problem, number, time_ns, with_samples};
use crate::results::Metric;
use crate::stats::summary::median;

/// `NUMBERms`, `NUMBER ms`, `NUMBERs` → ns.
fn plain(text: &str) -> Option<Option<f64>> {
    let (digits, per) = if let Some(d) = text.strip_suffix("ms") {
        (d.trim_end(), 1e6)
    } else if let Some(d) = text.strip_suffix('s') {
        (d, 1e9)
    } else {
        return None;
    };
    if digits.is_empty() || digits.ends_with(' ') {
        return None;
    }
    // Digits, or JavaScript's own words for what is not a number.
    let numeric = digits.starts_with(|c: char| c.is_ascii_digit() || ".-+".contains(c))
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || ".-+eE".contains(c));
    let word = ["NaN", "Infinity", "-Infinity"].contains(&digits);
    (numeric || word).then(|| number(digits).map(|v| v * per))
}

/// Node's `H:MM:SS.mmm (h:mm:ss.mmm)` or `M:SS.mmm (m:ss.mmm)` → ns.
fn clock(text: &str) -> Option<Option<f64>> {
    let (time, fields) = if let Some(t) = text.strip_suffix(" (h:mm:ss.mmm)") {
        (t, 3)
    } else if let Some(t) = text.strip_suffix(" (m:ss.mmm)") {
        (t, 2)
    } else {
        return None;
    };
    let parts: Vec<&str> = time.split(':').collect();
    if parts.len() != fields {
        return Some(None);
    }
    let mut seconds = 0.0;
    for p in &parts {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Some(None);
        }
        seconds = seconds * 60.0 + number(p)?;
    }
    Some(Some(seconds * 1e9))
}

/// bash's `0m1.234s` → ns.
fn bash_minutes(text: &str) -> Option<f64> {
    let (m, s) = text.strip_suffix('s')?.split_once('m')?;
    if m.is_empty() || !m.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((number(m)? * 60.0 + number(s)?) * 1e9)
}

/// A result line: name and the time in ns, `Some(None)` when the time is
/// there but not a number this format allows (negative, NaN…).
fn split(line: &str) -> Option<(&str, Option<f64>)> {
    for word in ["real", "user", "sys"] {
        if let Some(rest) = line.strip_prefix(word)
            && rest.starts_with([' ', '\t'])
        {
            let rest = rest.trim();
            if let Some(ns) = bash_minutes(rest) {
                return Some((word, Some(ns)));
            }
            if rest.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return Some((word, number(rest).map(|s| s * 1e9)));
            }
        }
    }
    let mut from = line.len();
    while let Some(at) = line[..from].rfind(": ") {
        let (label, time) = (&line[..at], &line[at + 2..]);
        if !label.trim().is_empty()
            && let Some(ns) = plain(time).or_else(|| clock(time))
        {
            return Some((label, ns));
        }
        from = at;
    }
    None
}

/// Whether a trimmed line is a result of this format (for detection).
pub fn is_result_line(line: &str) -> bool {
    split(line).is_some_and(|(_, ns)| ns.is_some())
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut order: Vec<(String, usize, Vec<f64>)> = Vec::new();
    super::ends_with_whole_line(text)?;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let Some((name, ns)) = split(line.trim_end_matches('\r')) else {
            continue;
        };
        let name = name.trim_start();
        let ns =
            ns.ok_or_else(|| Problem::at(line_no, format!("`{name}`: the time is not a number")))?;
        let ns = super::non_negative(ns, &format!("`{name}`'s time"))
            .map_err(|m| Problem::at(line_no, m))?;
        match order.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, _, samples)) => samples.push(ns),
            None => order.push((name.to_owned(), line_no, vec![ns])),
        }
    }
    Ok(order
        .into_iter()
        .map(|(name, _, samples)| {
            let value = median(&samples).unwrap_or(0.0);
            if samples.len() > 1 {
                with_samples(time_ns(name, value), samples)
            } else {
                time_ns(name, value)
            }
        })
        .collect())
}
