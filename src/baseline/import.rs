//! Importing history: turns github-action-benchmark's `data.js` (the file,
//! or a gh-pages checkout holding `dev/bench/data.js`) into perfguard runs,
//! one per benchmarked commit, ready for [`super::Store::import`] (pure but
//! for reading the file).
//!
//! Mapping: the perfguard suite and environment key are given by the caller;
//! each data.js benchmark-suite name (the key of `entries`) becomes a phase
//! of that name (kind `ingest`); each bench a metric. The entries of
//! different data.js suites for one commit join into one run (the k-th
//! entry of a commit in one suite with the k-th of that commit in
//! another), so that every run carries every phase, as a `check` run does.
//! `started_at` is the earliest entry date of the run, `finished_at` the
//! latest. `range` and `extra` are dropped: a `± N` is not samples, and
//! perfguard keeps no other spread.

use crate::results::{Environment, GitInfo, Metric, PhaseKind, PhaseResult, Run, SCHEMA_VERSION};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Where github-action-benchmark keeps `data.js` in a gh-pages checkout
/// (its `benchmark-data-dir-path` default).
pub const DEFAULT_DATA_JS: &str = "dev/bench/data.js";

/// Why history could not be imported; nothing is written when this happens.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error(
        "{path} is a directory without {DEFAULT_DATA_JS} or data.js (pass the data.js file itself)"
    )]
    NoDataJs { path: PathBuf },
    #[error("{path}:{line}:{column}: data.js is not valid{at}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        /// ` at `entries.x[0].date`` or empty.
        at: String,
        message: String,
    },
    #[error("{path}: entries.{suite:?}[{index}] (commit {commit}): {message}")]
    Entry {
        path: PathBuf,
        suite: String,
        index: usize,
        commit: String,
        message: String,
    },
}

/// The file a path names: itself, or the data.js of a gh-pages checkout.
pub fn locate(path: &Path) -> Result<PathBuf, ImportError> {
    if !path.is_dir() {
        return Ok(path.to_owned());
    }
    [DEFAULT_DATA_JS, "data.js"]
        .iter()
        .map(|p| path.join(p))
        .find(|p| p.is_file())
        .ok_or_else(|| ImportError::NoDataJs {
            path: path.to_owned(),
        })
}

/// Reads `path` (bounded by [`crate::input::read`]) and parses it.
pub fn read_data_js(path: &Path, suite: &str, environment: &str) -> Result<Vec<Run>, ImportError> {
    let read_err = |message: String| ImportError::Read {
        path: path.to_owned(),
        message,
    };
    let bytes = crate::input::read(path).map_err(|e| read_err(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        read_err(format!(
            "not UTF-8 text (at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    parse_data_js(&text, path, suite, environment)
}

#[derive(Deserialize)]
struct DataJs {
    entries: BTreeMap<String, Vec<RawEntry>>,
}

#[derive(Deserialize)]
struct RawEntry {
    commit: RawCommit,
    /// Milliseconds since the epoch.
    date: i64,
    tool: String,
    benches: Vec<RawBench>,
}

#[derive(Deserialize)]
struct RawCommit {
    id: String,
}

#[derive(Deserialize)]
struct RawBench {
    name: String,
    value: f64,
    unit: String,
}

/// `window.BENCHMARK_DATA = {…};` (or the bare JSON) → its JSON text with
/// the assignment and the trailing `;` blanked out, so that line and column
/// numbers of errors stay those of the file.
fn json_part(text: &str) -> String {
    let mut out = text.trim_start_matches('\u{feff}').to_owned();
    let start = out.trim_start();
    if let Some(rest) = start.strip_prefix("window.BENCHMARK_DATA") {
        let rest = rest.trim_start();
        if let Some(rest) = rest.strip_prefix('=') {
            let cut = out.len() - rest.len();
            out.replace_range(..cut, &" ".repeat(cut));
        }
    }
    let trimmed = out.trim_end().len();
    if out[..trimmed].ends_with(';') {
        out.replace_range(trimmed - 1..trimmed, " ");
    }
    out
}

/// Parses data.js text (`origin` names it in errors) into runs of `suite`
/// in `environment`, oldest first.
pub fn parse_data_js(
    text: &str,
    origin: &Path,
    suite: &str,
    environment: &str,
) -> Result<Vec<Run>, ImportError> {
    let json = json_part(text);
    let de = &mut serde_json::Deserializer::from_str(&json);
    let data: DataJs = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ImportError::Parse {
            path: origin.to_owned(),
            line: inner.line(),
            column: inner.column(),
            at: if path == "." || path.is_empty() {
                String::new()
            } else {
                format!(" at `{path}`")
            },
            message: if json.trim_start().starts_with(['{', '[']) {
                strip_position(&inner.to_string())
            } else {
                "expected `window.BENCHMARK_DATA = {…}` or a JSON object, as github-action-benchmark writes it".into()
            },
        }
    })?;
    // (commit, occurrence of that commit in its data.js suite) → the run's parts.
    let mut groups: Vec<Group> = Vec::new();
    let mut by_key: HashMap<(String, usize), usize> = HashMap::new();
    for (name, entries) in &data.entries {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let fail = |message: String| ImportError::Entry {
                path: origin.to_owned(),
                suite: name.clone(),
                index,
                commit: entry.commit.id.chars().take(40).collect(),
                message,
            };
            let sha = entry.commit.id.trim().to_ascii_lowercase();
            if !(4..=64).contains(&sha.len()) || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(fail("`commit.id` is not a commit SHA".into()));
            }
            let date = DateTime::from_timestamp_millis(entry.date)
                .filter(|_| entry.date >= 0)
                .ok_or_else(|| fail(format!("`date` {} is not a time in ms", entry.date)))?;
            let phase = phase(name, entry).map_err(fail)?;
            let n = seen.entry(sha.clone()).or_insert(0);
            let key = (sha.clone(), *n);
            *n += 1;
            let at = *by_key.entry(key).or_insert_with(|| {
                groups.push(Group {
                    sha,
                    first: date,
                    last: date,
                    phases: Vec::new(),
                });
                groups.len() - 1
            });
            let g = &mut groups[at];
            g.first = g.first.min(date);
            g.last = g.last.max(date);
            g.phases.push(phase);
        }
    }
    let mut runs: Vec<Run> = groups
        .into_iter()
        .map(|g| Run {
            schema_version: SCHEMA_VERSION,
            suite: suite.to_owned(),
            environment: imported_environment(environment),
            git: Some(GitInfo {
                sha: g.sha,
                ref_name: None,
                base_sha: None,
                pr: None,
            }),
            started_at: g.first,
            finished_at: g.last,
            partial: false,
            shard: None,
            phases: g.phases,
        })
        .collect();
    runs.sort_by_key(|r| r.started_at);
    Ok(runs)
}

struct Group {
    sha: String,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    phases: Vec<PhaseResult>,
}

/// serde_json's ` at line 3 column 5` suffix: the error names it already.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The machine of an imported run is not known: only the key is.
fn imported_environment(key: &str) -> Environment {
    Environment {
        key: key.to_owned(),
        os: "unknown".into(),
        arch: "unknown".into(),
        cpu_model: "unknown (imported)".into(),
        cores: 0,
        memory_bytes: 0,
        runner: None,
    }
}

/// One data.js entry as a phase named after its data.js suite.
fn phase(name: &str, entry: &RawEntry) -> Result<PhaseResult, String> {
    let direction = direction(&entry.tool)?;
    let mut phase = PhaseResult::new(name, PhaseKind::Ingest, BTreeMap::new());
    let mut names = HashSet::new();
    for (i, b) in entry.benches.iter().enumerate() {
        if !b.value.is_finite() || b.value < 0.0 {
            return Err(format!(
                "benches[{i}] ({:?}) has value {}: only finite values of zero or more are imported",
                b.name, b.value
            ));
        }
        if b.name.trim().is_empty() {
            return Err(format!("benches[{i}] has an empty name"));
        }
        if !names.insert(b.name.as_str()) {
            return Err(format!("benches[{i}]: the name {:?} is seen twice", b.name));
        }
        let (unit, factor) = unit(&b.unit);
        phase
            .metrics
            .push(Metric::new(&b.name, unit, direction, b.value * factor));
    }
    Ok(phase)
}

use crate::ingest::github_action_benchmark::{direction, unit};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Unit;
    use crate::results::Direction;

    fn parse(text: &str) -> Result<Vec<Run>, ImportError> {
        parse_data_js(text, Path::new("data.js"), "s", "ci")
    }

    const TWO: &str = r#"window.BENCHMARK_DATA = {
  "lastUpdate": 1700000000000,
  "repoUrl": "https://github.com/o/r",
  "entries": {
    "Rust": [
      {"commit": {"id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "timestamp": "2021-01-01T00:00:00+09:00"},
       "date": 1700000000000, "tool": "cargo",
       "benches": [{"name": "parse", "value": 1234.5, "range": "± 12", "unit": "ns/iter"}]}
    ],
    "JS": [
      {"commit": {"id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
       "date": 1700000005000, "tool": "benchmarkjs",
       "benches": [{"name": "fib", "value": 900, "range": "±1.2%", "unit": "ops/sec", "extra": "80 samples"}]}
    ]
  }
};
"#;

    #[test]
    fn entries_of_one_commit_join_into_one_run_with_a_phase_per_suite() {
        let runs = parse(TWO).unwrap();
        assert_eq!(runs.len(), 1);
        let r = &runs[0];
        assert_eq!(r.git.as_ref().unwrap().sha, "a".repeat(40));
        assert_eq!(r.started_at.timestamp_millis(), 1_700_000_000_000);
        assert_eq!(r.finished_at.timestamp_millis(), 1_700_000_005_000);
        let names: Vec<&str> = r.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["JS", "Rust"]);
        let fib = &r.phases[0].metrics[0];
        assert_eq!(
            (&fib.unit, fib.direction, fib.value),
            (&Unit::PerSecond, Direction::Higher, 900.0)
        );
        let p = &r.phases[1].metrics[0];
        assert_eq!(
            (&p.unit, p.direction, p.value),
            (&Unit::Ns, Direction::Lower, 1234.5)
        );
        assert!(p.samples.is_empty());
    }

    #[test]
    fn units_become_perfguards() {
        assert_eq!(unit("ns/iter"), (Unit::Ns, 1.0));
        assert_eq!(unit("ns/op"), (Unit::Ns, 1.0));
        assert_eq!(unit("us"), (Unit::Ns, 1e3));
        assert_eq!(unit("ms/iter"), (Unit::Ns, 1e6));
        assert_eq!(unit("s"), (Unit::Ns, 1e9));
        assert_eq!(unit("ops/sec"), (Unit::PerSecond, 1.0));
        assert_eq!(unit("B/op"), (Unit::Bytes, 1.0));
        assert_eq!(unit("bytes"), (Unit::Bytes, 1.0));
        assert_eq!(unit("allocs/op"), (Unit::Other("allocs/op".into()), 1.0));
        assert_eq!(unit("widgets"), (Unit::Other("widgets".into()), 1.0));
    }

    #[test]
    fn broken_json_names_file_line_and_key() {
        let text = TWO.replace("\"date\": 1700000005000", "\"date\": \"soon\"");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.starts_with("data.js:12:"), "{err}");
        assert!(err.contains("entries.JS[0].date"), "{err}");
        let err = parse("window.BENCHMARK_DATA = {\"entries\": {\n  \"x\": [}\n").unwrap_err();
        assert!(err.to_string().starts_with("data.js:2:"), "{err}");
    }

    #[test]
    fn negative_values_and_unknown_tools_are_refused_with_the_entry() {
        let err = parse(&TWO.replace("1234.5", "-3")).unwrap_err().to_string();
        assert!(
            err.contains("entries.\"Rust\"[0]") && err.contains("-3"),
            "{err}"
        );
        let err = parse(&TWO.replace("1234.5", "1e999"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("entries.Rust[0].benches[0].value"), "{err}");
        let err = parse(&TWO.replace("\"cargo\"", "\"mystery\"")).unwrap_err();
        assert!(
            err.to_string().contains("unknown `tool` \"mystery\""),
            "{err}"
        );
    }

    #[test]
    fn a_second_entry_of_one_commit_is_a_run_of_its_own() {
        let text = TWO.replace(
            "\"JS\": [",
            r#""JS": [
      {"commit": {"id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
       "date": 1700000009000, "tool": "benchmarkjs",
       "benches": [{"name": "fib", "value": 901, "unit": "ops/sec"}]},"#,
        );
        let runs = parse(&text).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1].phases.len(), 1);
    }
}
