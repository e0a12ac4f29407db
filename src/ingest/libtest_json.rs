//! libtest JSON: turns `cargo bench -- -Z unstable-options --format json`
//! (one JSON event per line) into the same metrics as libtest's text: the
//! `median` of a `bench` event as `NAME` in nanoseconds, `mib_per_second` as
//! `NAME.throughput`. A `failed` test event is a failed benchmark; a suite
//! that never finishes, or a line cut inside its JSON, is an error.

use super::json::{self, NonNeg};
use super::{Problem, time_ns};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::Deserialize;
use std::collections::HashMap;

/// One libtest event; fields libtest adds later are ignored.
#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    median: Option<NonNeg>,
    #[serde(default)]
    mib_per_second: Option<NonNeg>,
    #[serde(default)]
    stdout: Option<String>,
}

/// Whether one trimmed line is a libtest JSON event (for detection).
pub fn is_event_line(line: &str) -> bool {
    line.starts_with('{')
        && serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| {
            v.get("type")
                .and_then(|t| t.as_str())
                .is_some_and(|t| matches!(t, "suite" | "test" | "bench"))
        })
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let mut metrics = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    // The line of a suite's `started` event until its `ok`/`failed` one.
    let mut open_suite: Option<usize> = None;
    let mut last_line = 0;
    // cargo's own status lines (`Running benches/x.rs`) on a merged stderr
    // are skipped: every libtest line is a JSON object.
    for event in json::events::<Event>(text, "one libtest JSON event per line") {
        let (line_no, event) = event?;
        last_line = line_no;
        match (event.kind.as_str(), event.event.as_deref()) {
            ("suite", Some("started")) => open_suite = Some(line_no),
            ("suite", Some(_)) => open_suite = None,
            ("test", Some("failed")) => {
                let name = event.name.unwrap_or_default();
                let why = event
                    .stdout
                    .as_deref()
                    .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()))
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                return Err(Problem::failed(
                    line_no,
                    format!("`{name}` failed{why}; libtest measured nothing for it"),
                ));
            }
            ("bench", _) => {
                let name = event
                    .name
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| Problem::at(line_no, "a `bench` event without a `name`"))?;
                let median = event.median.ok_or_else(|| {
                    Problem::at(
                        line_no,
                        format!("`{name}`: a `bench` event without `median`"),
                    )
                })?;
                if let Some(first) = seen.insert(name.clone(), line_no) {
                    return Err(Problem::at(
                        line_no,
                        format!(
                            "benchmark `{name}` again (first at line {first}); two bench targets \
                             with one benchmark name? ingest each target (`--bench NAME`) into a phase of its own"
                        ),
                    ));
                }
                metrics.push(time_ns(&name, median.0));
                // libtest calls it MiB but computes 10^6 bytes per second,
                // the number its text prints as `MB/s`.
                if let Some(mb) = event.mib_per_second {
                    metrics.push(Metric::new(
                        format!("{name}.throughput"),
                        Unit::PerSecond,
                        Direction::Higher,
                        mb.0 * 1e6,
                    ));
                }
            }
            _ => {}
        }
    }
    if let Some(started) = open_suite {
        return Err(Problem::at(
            last_line,
            format!(
                "the suite started at line {started} has no end event (`\"type\": \"suite\", \"event\": \"ok\"`); truncated?"
            ),
        ));
    }
    Ok(metrics)
}
