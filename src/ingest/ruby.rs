//! Ruby: turns the standard library's `Benchmark.bm`/`bmbm` text, and
//! benchmark-ips's text or its `json!` report, into metrics. `bm`: `NAME`
//! is the `real` (wall) time in ns, `NAME.user`, `NAME.system`,
//! `NAME.total` the CPU times (bmbm's rehearsal is skipped, as bmbm itself
//! discards it). benchmark-ips: `NAME` is iterations per second, higher is
//! better, from the `Calculating` section as printed or the JSON's
//! `central_tendency` exactly.

use super::json::{self, NonNeg};
use super::{Problem, number, time_ns};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::Deserialize;
use std::collections::HashMap;

/// Whether a trimmed line is `Benchmark`'s column header.
fn is_bm_header(line: &str) -> bool {
    line.split_whitespace()
        .eq(["user", "system", "total", "real"])
}

/// Whether a text is Ruby benchmark output (for detection).
pub fn looks_like(line: &str) -> bool {
    is_bm_header(line) || line.starts_with("Calculating ----")
}

/// benchmark-ips's `json!` report entry.
#[derive(Deserialize)]
struct IpsEntry {
    name: String,
    /// The rate; older benchmark-ips versions write only `ips`.
    #[serde(default)]
    central_tendency: Option<NonNeg>,
    #[serde(default)]
    ips: Option<NonNeg>,
}

/// Whether a JSON array is benchmark-ips's `json!` report.
pub fn looks_like_json(items: &[serde_json::Value]) -> bool {
    items
        .first()
        .is_some_and(|i| i.get("name").is_some() && i.get("ips").is_some())
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    if text.trim_start().starts_with('[') {
        return parse_json(text);
    }
    let mut metrics = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut add = |name: &str, line_no: usize, m: Vec<Metric>| {
        if let Some(first) = seen.insert(name.to_owned(), line_no) {
            return Err(Problem::at(
                line_no,
                format!("benchmark `{name}` again (first at line {first})"),
            ));
        }
        metrics.extend(m);
        Ok(())
    };
    #[derive(PartialEq)]
    enum Section {
        None,
        Bm,
        Ips,
    }
    let mut section = Section::None;
    // benchmark-ips prints a label longer than 20 columns on a line of its own.
    let mut pending: Option<(usize, String)> = None;
    // A benchmark-ips warm-up with no `Calculating` section after it.
    let mut warming: Option<usize> = None;
    let last = text.lines().count();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if is_bm_header(t) {
            section = Section::Bm;
            continue;
        }
        if t.starts_with("Calculating ----") {
            section = Section::Ips;
            warming = None;
            continue;
        }
        if t.starts_with("Warming up ----") {
            warming = Some(line_no);
        }
        if section != Section::None && line_no == last && !text.ends_with('\n') {
            return Err(Problem::at(
                line_no,
                "the text ends inside this line (no newline after it); truncated?",
            ));
        }
        match section {
            Section::None => {}
            Section::Bm => {
                if t.is_empty() || !t.contains('(') {
                    section = Section::None;
                    continue;
                }
                let (name, user, system, total, real) = bm_row(line).ok_or_else(|| {
                    Problem::at(
                        line_no,
                        "expected `LABEL user system total ( real)`, seconds; truncated?",
                    )
                })?;
                let check = |v: f64, what: &str| {
                    super::non_negative(v, &format!("`{name}` {what}"))
                        .map_err(|m| Problem::at(line_no, m))
                };
                let (user, system, total, real) = (
                    check(user, "user")?,
                    check(system, "system")?,
                    check(total, "total")?,
                    check(real, "real")?,
                );
                add(
                    name,
                    line_no,
                    vec![
                        time_ns(name, real * 1e9),
                        time_ns(format!("{name}.user"), user * 1e9),
                        time_ns(format!("{name}.system"), system * 1e9),
                        time_ns(format!("{name}.total"), total * 1e9),
                    ],
                )?;
            }
            Section::Ips => {
                if t.is_empty() || t == "Comparison:" {
                    if let Some((at, name)) = pending.take() {
                        return Err(Problem::at(
                            at,
                            format!("`{name}` has no numbers after it; truncated?"),
                        ));
                    }
                    section = Section::None;
                    continue;
                }
                let Some((head, rest)) = line.split_once(" (±") else {
                    // A wrapped label (or a row cut before its spread).
                    if let Some((at, name)) = pending.replace((line_no, t.to_owned())) {
                        return Err(Problem::at(
                            at,
                            format!("`{name}` has no numbers after it; truncated?"),
                        ));
                    }
                    continue;
                };
                let head = head.trim_end();
                let (label, value) = match head.rsplit_once(' ') {
                    Some((label, value)) => (label.trim(), value),
                    None => ("", head),
                };
                let name = match (label.is_empty(), pending.take()) {
                    (false, None) => label.to_owned(),
                    (true, Some((_, name))) => name,
                    (false, Some((at, name))) => {
                        return Err(Problem::at(
                            at,
                            format!("`{name}` has no numbers after it; truncated?"),
                        ));
                    }
                    (true, None) => {
                        return Err(Problem::at(line_no, "a benchmark-ips row without a label"));
                    }
                };
                if !rest.contains(") i/s") {
                    return Err(Problem::at(
                        line_no,
                        format!("`{name}`: expected `(±N%) i/s` after the rate; truncated?"),
                    ));
                }
                let ips = scaled(value).ok_or_else(|| {
                    Problem::at(
                        line_no,
                        format!("`{name}`: `{value}` is not a rate such as `15.465k`"),
                    )
                })?;
                let ips = super::non_negative(ips, &format!("`{name}`"))
                    .map_err(|m| Problem::at(line_no, m))?;
                add(
                    &name,
                    line_no,
                    vec![Metric::new(&name, Unit::PerSecond, Direction::Higher, ips)],
                )?;
            }
        }
    }
    if let Some((at, name)) = pending {
        return Err(Problem::at(
            at,
            format!("`{name}` has no numbers after it; truncated?"),
        ));
    }
    if let Some(at) = warming {
        return Err(Problem::at(
            last,
            format!(
                "benchmark-ips's `Warming up` (line {at}) has no `Calculating` section after it; truncated?"
            ),
        ));
    }
    Ok(metrics)
}

/// `LABEL  user  system  total (  real)`, read from the right so that a
/// label may hold spaces.
fn bm_row(line: &str) -> Option<(&str, f64, f64, f64, f64)> {
    let body = line.trim_end().strip_suffix(')')?;
    let (head, real) = body.rsplit_once('(')?;
    let real = number(real.trim())?;
    let mut head = head.trim_end();
    let mut values = [0.0; 3];
    for slot in values.iter_mut().rev() {
        let (rest, word) = head.rsplit_once(char::is_whitespace)?;
        *slot = number(word)?;
        head = rest.trim_end();
    }
    let label = head.trim();
    (!label.is_empty()).then_some((label, values[0], values[1], values[2], real))
}

/// benchmark-ips's scaled number (`15.465k`, `8.109M`, `1.2B`, `984.000`).
fn scaled(text: &str) -> Option<f64> {
    let (digits, factor) = match text.char_indices().last()? {
        (i, 'k') => (&text[..i], 1e3),
        (i, 'M') => (&text[..i], 1e6),
        (i, 'B') => (&text[..i], 1e9),
        (i, 'T') => (&text[..i], 1e12),
        (i, 'Q') => (&text[..i], 1e15),
        _ => (text, 1.0),
    };
    Some(number(digits)? * factor)
}

fn parse_json(text: &str) -> Result<Vec<Metric>, Problem> {
    let entries: Vec<IpsEntry> = json::from_str(text)?;
    let mut metrics: Vec<Metric> = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        if e.name.is_empty() {
            return Err(Problem::whole(format!("at `[{i}].name`: an empty name")));
        }
        if metrics.iter().any(|m| m.name == e.name) {
            return Err(Problem::near(
                super::lines_of_key(text, &e.name).get(1).copied(),
                format!("at `[{i}].name`: benchmark `{}` again", e.name),
            ));
        }
        let ips = e.central_tendency.or(e.ips).ok_or_else(|| {
            Problem::near(
                super::line_of_key(text, &e.name),
                format!(
                    "at `[{i}]`: `{}` has neither `central_tendency` nor `ips`",
                    e.name
                ),
            )
        })?;
        metrics.push(Metric::new(
            &e.name,
            Unit::PerSecond,
            Direction::Higher,
            ips.0,
        ));
    }
    Ok(metrics)
}
