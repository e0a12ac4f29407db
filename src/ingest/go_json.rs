//! Go test2json: turns `go test -json -bench` events into the same metrics
//! as `go test -bench` text. Each package's `output` events are joined back
//! into the text go test would have printed (test2json splits a benchmark's
//! line in two: its name, then its numbers) and read by the text parser, so
//! names, units and package qualification are the text's; problems point at
//! the JSON line the text came from. A package that never reports its end
//! (`pass`/`fail`), or that fails, is an error.

use super::json;
use super::{Problem, go};
use crate::results::Metric;
use serde::Deserialize;

/// One test2json event; the fields perfguard needs.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Event {
    action: String,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    test: Option<String>,
    #[serde(default)]
    output: Option<String>,
}

/// Whether one trimmed line is a test2json event (for detection).
pub fn is_event_line(line: &str) -> bool {
    line.starts_with('{')
        && serde_json::from_str::<serde_json::Value>(line)
            .is_ok_and(|v| v.get("Action").is_some_and(serde_json::Value::is_string))
}

/// One package's joined output and where it ended.
struct Package {
    name: String,
    text: String,
    /// For each line of `text`, the JSON line that ended it (so far).
    origin: Vec<usize>,
    /// The line of the package's own `pass`/`fail`/`skip` event.
    end: Option<(usize, bool)>,
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut packages: Vec<Package> = Vec::new();
    let mut last_line = 0;
    for event in json::events::<Event>(text, "one go test -json event per line") {
        let (line_no, event) = event?;
        last_line = line_no;
        // Build events (`build-output`, go 1.24+) carry no Package.
        let Some(name) = event.package else { continue };
        let at = match packages.iter().position(|p| p.name == name) {
            Some(at) => at,
            None => {
                packages.push(Package {
                    name,
                    text: String::new(),
                    origin: Vec::new(),
                    end: None,
                });
                packages.len() - 1
            }
        };
        let package = &mut packages[at];
        match event.action.as_str() {
            "output" => {
                let output = event.output.unwrap_or_default();
                for piece in output.split_inclusive('\n') {
                    // A line's numbers come in the event that ends it.
                    if package.text.is_empty() || package.text.ends_with('\n') {
                        package.origin.push(line_no);
                    } else if let Some(last) = package.origin.last_mut() {
                        *last = line_no;
                    }
                    package.text.push_str(piece);
                }
            }
            "pass" | "fail" | "skip" if event.test.is_none() => {
                package.end = Some((line_no, event.action == "fail"));
            }
            _ => {}
        }
    }
    if let Some(open) = packages.iter().find(|p| p.end.is_none()) {
        return Err(Problem::at(
            last_line,
            format!(
                "package `{}` has no end event (`\"Action\": \"pass\"` or `\"fail\"`); truncated?",
                open.name
            ),
        ));
    }
    let mut joined = String::new();
    let mut origin = Vec::new();
    for p in &packages {
        if !p.text.is_empty() && !p.text.ends_with('\n') {
            return Err(Problem::at(
                p.origin.last().copied().unwrap_or(last_line),
                format!(
                    "package `{}`'s output ends inside a line; truncated?",
                    p.name
                ),
            ));
        }
        joined.push_str(&p.text);
        origin.extend_from_slice(&p.origin);
    }
    let metrics = go::parse(&joined).map_err(|p| Problem {
        line: p.line.and_then(|l| origin.get(l - 1).copied()),
        ..p
    })?;
    for p in &packages {
        if let Some((line, true)) = p.end {
            return Err(Problem::failed(
                line,
                format!(
                    "package `{}` failed (`\"Action\": \"fail\"`); see its output",
                    p.name
                ),
            ));
        }
    }
    Ok(metrics)
}
