//! Catch2: turns the XML reporter's `<BenchmarkResults>` or the console
//! reporter's benchmark table into one time metric per benchmark, valued at
//! Catch2's mean (its headline number), in nanoseconds. A benchmark name
//! that several `TEST_CASE`s use is qualified by its test case
//! (`TEST CASE/NAME`); a name unique in the output stays as written.

use super::{Problem, ns_per, number, time_ns};
use crate::results::Metric;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use std::collections::{HashMap, HashSet};

/// One benchmark as read: its test case, name, the line it starts on and
/// its mean in nanoseconds.
struct Row {
    test_case: Option<String>,
    name: String,
    line: usize,
    mean: f64,
}

/// Metrics from rows: a name used by several test cases is qualified by
/// each one's test case; one used twice in the same test case is an error
/// naming both lines.
fn qualified(rows: Vec<Row>) -> Result<Vec<Metric>, Problem> {
    let mut cases: HashMap<&str, HashSet<Option<&str>>> = HashMap::new();
    let mut first: HashMap<(Option<&str>, &str), usize> = HashMap::new();
    for r in &rows {
        if let Some(line) = first.insert((r.test_case.as_deref(), &r.name), r.line) {
            return Err(Problem::at(
                r.line,
                format!(
                    "benchmark `{}` appears twice in one test case (first at line {line}); perfguard needs unique names",
                    r.name
                ),
            ));
        }
        cases
            .entry(&r.name)
            .or_default()
            .insert(r.test_case.as_deref());
    }
    Ok(rows
        .iter()
        .map(|r| match &r.test_case {
            Some(case) if cases[r.name.as_str()].len() > 1 => {
                time_ns(format!("{case}/{}", r.name), r.mean)
            }
            _ => time_ns(&r.name, r.mean),
        })
        .collect())
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    if text.trim_start().starts_with('<') {
        parse_xml(text)
    } else {
        parse_console(text)
    }
}

fn line_of(text: &str, offset: u64) -> usize {
    let end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Line numbers of increasing offsets, counted once through the text (a
/// count from the start at every event would be quadratic).
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn at(&mut self, offset: u64) -> usize {
        let end = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if end < self.offset {
            return line_of_bytes(self.text, end);
        }
        self.line += self.text[self.offset..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.offset = end;
        self.line
    }
}

fn line_of_bytes(text: &[u8], end: usize) -> usize {
    text[..end].iter().filter(|b| **b == b'\n').count() + 1
}

fn attribute(e: &BytesStart, key: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|err| format!("malformed attribute: {err}"))?;
        if a.key.as_ref() == key {
            let v = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| format!("attribute `{key}`: {err}"))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn parse_xml(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut lines = LineCounter {
        text: text.as_bytes(),
        offset: 0,
        line: 1,
    };
    let mut rows = Vec::new();
    let mut test_case: Option<String> = None;
    // The benchmark being read: its name, the line it opened on, its mean.
    let mut open: Option<(String, usize, Option<f64>)> = None;
    loop {
        let before = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            Problem::at(
                line_of(text, reader.error_position()),
                format!("not well-formed XML: {e}"),
            )
        })?;
        let line = lines.at(before);
        let at = |m: String| Problem::at(line, m);
        match event {
            Event::Start(e) if e.name().as_ref() == "TestCase" => {
                test_case = attribute(&e, "name").map_err(at)?;
            }
            Event::End(e) if e.name().as_ref() == "TestCase" => test_case = None,
            Event::Start(e) if e.name().as_ref() == "BenchmarkResults" => {
                let name = attribute(&e, "name")
                    .map_err(at)?
                    .ok_or_else(|| at("<BenchmarkResults> without a `name`".into()))?;
                open = Some((name, line, None));
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "mean" => {
                let Some((name, _, mean)) = open.as_mut() else {
                    continue;
                };
                let value = attribute(&e, "value")
                    .map_err(at)?
                    .ok_or_else(|| at(format!("`{name}`: <mean> without a `value`")))?;
                let value = number(&value)
                    .ok_or_else(|| at(format!("`{name}`: mean `{value}` is not a number")))?;
                *mean = Some(super::non_negative(value, &format!("`{name}`'s mean")).map_err(at)?);
            }
            Event::End(e) if e.name().as_ref() == "BenchmarkResults" => {
                let Some((name, opened, mean)) = open.take() else {
                    continue;
                };
                let mean = mean.ok_or_else(|| {
                    Problem::at(opened, format!("`{name}` has no <mean value=…>"))
                })?;
                // "All values in nano seconds", as the reporter's comment says.
                rows.push(Row {
                    test_case: test_case.clone(),
                    name,
                    line: opened,
                    mean,
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some((name, opened, _)) = open {
        return Err(Problem::at(
            opened,
            format!("`{name}`: <BenchmarkResults> never closes; truncated?"),
        ));
    }
    qualified(rows)
}

/// A value and unit pair such as `803.715 ns`, in nanoseconds.
fn duration(value: &str, unit: &str) -> Option<f64> {
    Some(number(value)? * ns_per(unit)?)
}

/// The first line of a benchmark's three: name, samples, iterations,
/// estimated run time.
fn head(line: &str) -> Option<(&str, f64)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() < 5 {
        return None;
    }
    let [samples, iterations, est, unit] = words[words.len() - 4..] else {
        return None;
    };
    samples.parse::<u64>().ok()?;
    iterations.parse::<u64>().ok()?;
    let est = duration(est, unit)?;
    let cut = line.trim_end().len();
    let mut rest = &line[..cut];
    for _ in 0..4 {
        rest = rest.trim_end();
        rest = &rest[..rest.rfind(char::is_whitespace)?];
    }
    Some((rest.trim(), est))
}

/// Whether a line is a rule of one repeated character (`-----`, `=====`,
/// `.....`), as the console reporter draws around test cases.
fn is_rule(line: &str, c: char) -> bool {
    let t = line.trim_end();
    t.len() >= 20 && t.chars().all(|x| x == c)
}

/// The test case a console header names: a `-----` rule, the test case (and
/// section lines), a rule, `file:line`, then a `.....` rule.
fn test_case_at(lines: &[&str], rule: usize) -> Option<String> {
    let name = lines.get(rule + 1)?;
    if name.trim().is_empty() || is_rule(name, '-') {
        return None;
    }
    let close = (rule + 2..lines.len().min(rule + 12)).find(|&j| is_rule(lines[j], '-'))?;
    let dotted = lines.get(close + 2).is_some_and(|l| is_rule(l, '.'));
    (dotted && lines.get(close + 1).is_some_and(|l| l.contains(':')))
        .then(|| name.trim().to_owned())
}

/// Reads the console reporter's tables. Each benchmark is a row (name,
/// samples, iterations, estimate), a mean row, a standard deviation row and
/// a blank line. A name longer than its column is wrapped onto lines of its
/// own above the row; they are joined with a space.
fn parse_console(text: &str) -> Result<Vec<Metric>, Problem> {
    let lines: Vec<&str> = text.lines().collect();
    let mut rows = Vec::new();
    let mut test_case = None;
    let mut in_table = false;
    // Where the `samples` column starts: a wrapped name line ends before it.
    let mut name_width = 37;
    // Name lines of a wrapped row, waiting for the row that ends it.
    let mut wrapped: Vec<(usize, &str)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if is_rule(line, '=') {
            in_table = false;
            wrapped.clear();
            continue;
        }
        if is_rule(line, '-') {
            if let Some(case) = test_case_at(&lines, i - 1) {
                test_case = Some(case);
                in_table = false;
            }
            wrapped.clear();
            continue;
        }
        if line.trim_start().starts_with("benchmark name") {
            in_table = true;
            name_width = line.find("samples").unwrap_or(name_width);
            wrapped.clear();
            continue;
        }
        if !in_table {
            continue;
        }
        if line.trim().is_empty() {
            wrapped.clear();
            continue;
        }
        let Some((tail, _)) = head(line) else {
            if line.contains("Benchmark failed (") {
                let name = wrapped
                    .iter()
                    .map(|(_, l)| l.trim())
                    .chain([line.split("Benchmark failed (").next().unwrap_or("").trim()])
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                return Err(Problem::failed(
                    i,
                    format!("`{name}` failed: {}", line.trim()),
                ));
            }
            let header = ["mean", "std dev"]
                .iter()
                .any(|h| line.trim_start().starts_with(h));
            if header {
                continue;
            }
            if line.trim_end().len() <= name_width {
                wrapped.push((i, line));
            } else if i == lines.len() {
                return Err(Problem::at(
                    i,
                    "a benchmark row cut off before its samples, iterations and estimate; truncated?",
                ));
            } else {
                // Other output (an assertion's report) interrupts a name.
                wrapped.clear();
            }
            continue;
        };
        let start = wrapped.first().map_or(i, |(n, _)| *n);
        let name = wrapped
            .drain(..)
            .map(|(_, l)| l.trim())
            .chain([tail])
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() {
            return Err(Problem::at(i, "a benchmark row without a name"));
        }
        let Some(means) = lines.get(i) else {
            return Err(Problem::at(
                i,
                format!("`{name}` has no mean line; truncated?"),
            ));
        };
        i += 1;
        let words: Vec<&str> = means.split_whitespace().collect();
        let mean = match words.as_slice() {
            [v, u, _, _, _, _] => duration(v, u),
            _ => None,
        }
        .ok_or_else(|| {
            Problem::at(
                i,
                format!("`{name}`: expected `mean low-mean high-mean` with units"),
            )
        })?;
        let mean = super::non_negative(mean, &format!("`{name}`'s mean"))
            .map_err(|m| Problem::at(i, m))?;
        // The standard deviation row: not a value perfguard keeps.
        if lines
            .get(i)
            .is_some_and(|l| !l.trim().is_empty() && head(l).is_none())
        {
            i += 1;
        }
        rows.push(Row {
            test_case: test_case.clone(),
            name,
            line: start,
            mean,
        });
    }
    // The reporter ends with a `=====` rule and totals: name lines still
    // waiting at the end are a row cut off.
    if let Some((line, text)) = wrapped.first() {
        return Err(Problem::at(
            *line,
            format!(
                "`{}`: a benchmark row without its samples, iterations and estimate; truncated?",
                text.trim()
            ),
        ));
    }
    qualified(rows)
}
