//! Catch2: turns the XML reporter's `<BenchmarkResults>` or the console
//! reporter's benchmark table into one time metric per benchmark, valued at
//! Catch2's mean (its headline number), in nanoseconds.

use super::{Problem, ns_per, number, time_ns};
use crate::results::Metric;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

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
    let mut metrics = Vec::new();
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
                metrics.push(time_ns(name, mean));
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
    Ok(metrics)
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

fn parse_console(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut metrics = Vec::new();
    let mut in_table = false;
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        if line.trim_start().starts_with("benchmark name") {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        let Some((name, _)) = head(line) else {
            continue;
        };
        if name.is_empty() {
            return Err(Problem::at(i + 1, "a benchmark row without a name"));
        }
        let Some((j, means)) = lines.next() else {
            return Err(Problem::at(
                i + 1,
                format!("`{name}` has no mean line; truncated?"),
            ));
        };
        let words: Vec<&str> = means.split_whitespace().collect();
        let mean = match words.as_slice() {
            [v, u, _, _, _, _] => duration(v, u),
            _ => None,
        }
        .ok_or_else(|| {
            Problem::at(
                j + 1,
                format!("`{name}`: expected `mean low-mean high-mean` with units"),
            )
        })?;
        let mean = super::non_negative(mean, &format!("`{name}`'s mean"))
            .map_err(|m| Problem::at(j + 1, m))?;
        metrics.push(time_ns(name, mean));
    }
    Ok(metrics)
}
