//! Results: the versioned JSON contract a run writes (`Run`, `PhaseResult`,
//! `Metric`) and reads back, with validation of files from elsewhere.

use crate::metrics::Unit;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The results schema this build writes and the newest it reads. Version 2
/// added `shard` (a run that is one shard of a suite) and a phase's
/// `load_started_at`; version 1 files read as runs of a whole suite.
pub const SCHEMA_VERSION: u32 = 2;

/// One run of a suite: every phase's metrics and where they were measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Version of this JSON layout; readers refuse newer versions.
    pub schema_version: u32,
    /// The suite's name from `[suite] name`.
    pub suite: String,
    /// The machine the run was measured on.
    pub environment: Environment,
    /// The commit measured, when run inside a git repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitInfo>,
    /// When the first phase started (UTC).
    pub started_at: DateTime<Utc>,
    /// When the last phase ended (UTC).
    pub finished_at: DateTime<Utc>,
    /// True when the run was interrupted (Ctrl-C, SIGTERM) and holds only
    /// what was measured until then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// Set when the run is one shard of a suite (`--shard I/N`): such a
    /// run is merged (`perfguard merge`), never judged or saved alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// The phases, in configuration order (a shard runs its HTTP phases first).
    pub phases: Vec<PhaseResult>,
}

/// Which shard of a suite a run is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// This shard, counting from 0.
    pub index: u32,
    /// How many shards the suite was split into.
    pub count: u32,
    /// SHA-256 of the configuration file's bytes (hex): shards merge only
    /// when they ran one configuration.
    pub config_hash: String,
    /// Every phase of the suite, in configuration order: the merge checks
    /// each is there once and puts them back in this order.
    pub phases: Vec<String>,
}

/// Where a run was measured; the key decides which runs compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// The environment key: `[suite] environment`, or a slug of os, arch and
    /// CPU model.
    pub key: String,
    /// Operating system name and version.
    pub os: String,
    /// CPU architecture (`x86_64`, `aarch64`).
    pub arch: String,
    /// CPU model as the OS reports it.
    pub cpu_model: String,
    /// Logical cores.
    pub cores: usize,
    /// Total memory in bytes.
    pub memory_bytes: u64,
    /// CI runner label (`RUNNER_NAME`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
}

/// The commit a run measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitInfo {
    /// Full commit SHA of HEAD.
    pub sha: String,
    /// The ref name (`refs/heads/main`), when HEAD is on a branch or CI says.
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub ref_name: Option<String>,
    /// The merge-base with the pull request's base branch, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_sha: Option<String>,
    /// The pull request number, when the run belongs to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<u64>,
}

/// The kind of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PhaseKind {
    Command,
    Http,
    Ingest,
}

impl std::fmt::Display for PhaseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PhaseKind::Command => "command",
            PhaseKind::Http => "http",
            PhaseKind::Ingest => "ingest",
        })
    }
}

/// What one phase measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseResult {
    /// The phase's name from the configuration.
    pub name: String,
    /// `command`, `http` or `ingest`.
    pub kind: PhaseKind,
    /// What went wrong; a phase with errors may still carry metrics.
    #[serde(default)]
    pub errors: Vec<PhaseError>,
    /// The measured metrics.
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// Absolute criteria of the phase, metric name → expression (`< 50ms`),
    /// carried so `compare` can judge them without the configuration.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub criteria: BTreeMap<String, String>,
    /// Per-second time series of a load phase (HTTP), in time order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<SeriesPoint>,
    /// When a load phase's load started (UTC): `series` seconds count from
    /// here, and `perfguard merge` aligns shards' series by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_started_at: Option<DateTime<Utc>>,
}

/// One second of a load phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Seconds since load started (this point covers `[second, second + 1)`).
    pub second: u64,
    /// Requests completed in that second.
    pub requests: u64,
    /// Of those, requests that failed (any error kind).
    pub errors: u64,
    /// Median latency of that second's requests, in nanoseconds.
    pub p50_ns: f64,
    /// 99th percentile latency of that second's requests, in nanoseconds.
    pub p99_ns: f64,
    /// Resident memory of the watched service at the end of that second, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<f64>,
}

impl PhaseResult {
    /// A result for a phase about to run: no metrics, no errors yet.
    pub fn new(name: &str, kind: PhaseKind, criteria: BTreeMap<String, String>) -> Self {
        PhaseResult {
            name: name.to_owned(),
            kind,
            errors: Vec::new(),
            metrics: Vec::new(),
            criteria,
            series: Vec::new(),
            load_started_at: None,
        }
    }

    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

/// A phase's metrics by name. Looking each metric up by a search would make
/// comparing two runs quadratic in their metrics; this makes it linear. Of
/// two metrics with one name, the first wins, as with [`PhaseResult::metric`].
pub struct MetricIndex<'a> {
    pub phase: &'a PhaseResult,
    by_name: HashMap<&'a str, &'a Metric, foldhash::fast::RandomState>,
}

impl<'a> MetricIndex<'a> {
    pub fn new(phase: &'a PhaseResult) -> Self {
        let mut by_name = HashMap::with_capacity_and_hasher(
            phase.metrics.len(),
            foldhash::fast::RandomState::default(),
        );
        for m in &phase.metrics {
            by_name.entry(m.name.as_str()).or_insert(m);
        }
        MetricIndex { phase, by_name }
    }

    pub fn get(&self, name: &str) -> Option<&'a Metric> {
        self.by_name.get(name).copied()
    }

    /// The samples behind `metric`: its own, or those of the metric it
    /// summarizes.
    pub fn evidence(&self, metric: &'a Metric) -> &'a [f64] {
        match &metric.samples_of {
            Some(of) if metric.samples.is_empty() => {
                self.get(of).map_or(&[], |m| m.samples.as_slice())
            }
            _ => &metric.samples,
        }
    }
}

/// A run's phases by name, each with its [`MetricIndex`]. Of two phases
/// with one name, the first wins, as with [`Run::phase`].
pub struct RunIndex<'a> {
    phases: HashMap<&'a str, MetricIndex<'a>, foldhash::fast::RandomState>,
}

impl<'a> RunIndex<'a> {
    pub fn new(run: &'a Run) -> Self {
        let mut phases = HashMap::with_capacity_and_hasher(
            run.phases.len(),
            foldhash::fast::RandomState::default(),
        );
        for p in &run.phases {
            phases
                .entry(p.name.as_str())
                .or_insert_with(|| MetricIndex::new(p));
        }
        RunIndex { phases }
    }

    pub fn phase(&self, name: &str) -> Option<&MetricIndex<'a>> {
        self.phases.get(name)
    }

    pub fn metric(&self, phase: &str, metric: &str) -> Option<&'a Metric> {
        self.phase(phase)?.get(metric)
    }
}

/// A failure inside a phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseError {
    /// What happened, as one line.
    pub message: String,
    /// The command's exit code, when it exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The last lines of the command's standard error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr_tail: Option<String>,
}

/// Which way is better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Smaller values are better (time, memory, error rate).
    Lower,
    /// Larger values are better (throughput, pass rate).
    Higher,
}

/// One measured quantity and the evidence behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// `wall`, `wall.p95`, `memory.peak`, `latency.p95`, or a harness's name.
    pub name: String,
    /// `ns`, `bytes`, `per_second`, `ratio`, `count`, or the harness's own.
    pub unit: Unit,
    /// Whether lower or higher is better.
    pub direction: Direction,
    /// The value compared (for sampled metrics, the median).
    pub value: f64,
    /// Every measured sample, in measurement order, where there are samples.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<f64>,
    /// For a summary of another metric's samples (`wall.p95` of `wall`): the
    /// metric whose samples are the evidence behind this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples_of: Option<String>,
    /// How many samples lie outside Tukey's fences (1.5 IQR); flagged, kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outliers: Option<usize>,
    /// An HDR histogram in V2 compressed form, base64, for merging shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<String>,
    /// For a proportion (unit `ratio`): the events counted, such as failed
    /// requests for `error_rate` or passed checks for a pass rate, so that
    /// `value = count / total` and rates compare by a test for proportions.
    /// Given together with `total`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// For a proportion: the events `count` is out of (requests, checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl Metric {
    pub fn new(name: impl Into<String>, unit: Unit, direction: Direction, value: f64) -> Self {
        Metric {
            name: name.into(),
            unit,
            direction,
            value,
            samples: Vec::new(),
            samples_of: None,
            outliers: None,
            histogram: None,
            count: None,
            total: None,
        }
    }

    /// `(count, total)` when both are given and consistent.
    pub fn counts(&self) -> Option<(u64, u64)> {
        match (self.count, self.total) {
            (Some(c), Some(t)) if c <= t && t > 0 => Some((c, t)),
            _ => None,
        }
    }
}

/// Why a results file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("cannot read results {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("results {path} is not valid results JSON at line {line}, column {column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "results {path} has schema_version {found}, newer than this perfguard reads ({SCHEMA_VERSION}); upgrade perfguard"
    )]
    NewerSchema { path: PathBuf, found: String },
    #[error("results {path} is larger than {} MiB, the input limit (set {} to raise it)", limit >> 20, crate::input::MAX_MIB_VAR)]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("results {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("cannot write results {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Run {
    /// Reads and validates a results file.
    pub fn read(path: &Path) -> Result<Run, ResultsError> {
        let read_err = |source| ResultsError::Read {
            path: path.to_owned(),
            source,
        };
        let bytes = crate::input::read(path).map_err(|e| match e {
            crate::input::InputError::Io(source) => read_err(source),
            crate::input::InputError::TooLarge(limit) => ResultsError::TooLarge {
                path: path.to_owned(),
                limit,
            },
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            read_err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not UTF-8 text (at byte {})", e.utf8_error().valid_up_to()),
            ))
        })?;
        Run::from_json(&text, path)
    }

    /// Parses results JSON; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &Path) -> Result<Run, ResultsError> {
        let parse_err = |e: serde_json::Error| ResultsError::Parse {
            path: origin.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        };
        // The common case in one pass: a file of a version this release
        // reads, in its shape.
        if let Ok(run) = serde_json::from_str::<Run>(text)
            && (1..=SCHEMA_VERSION).contains(&run.schema_version)
        {
            run.validate().map_err(|message| ResultsError::Invalid {
                path: origin.to_owned(),
                message,
            })?;
            return Ok(run);
        }
        // Otherwise the version decides the message: checked before the
        // shape, so a newer layout is named as such rather than as a
        // confusing field error. A first pass reads only the version (the rest is skipped, not
        // built): a Value tree of a million metrics would cost gigabytes.
        #[derive(Deserialize)]
        struct Version {
            schema_version: Option<serde_json::Value>,
        }
        let version = if text.trim_start().starts_with('{') {
            match serde_json::from_str::<Version>(text) {
                Ok(v) => v.schema_version,
                Err(e) if e.is_data() => None,
                Err(e) => return Err(parse_err(e)),
            }
        } else {
            // Not an object: broken JSON says where; valid JSON of another
            // shape (`[1, 2]`) has no version, which is said below.
            serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(parse_err)?;
            None
        };
        let invalid = |message: String| ResultsError::Invalid {
            path: origin.to_owned(),
            message,
        };
        match &version {
            Some(serde_json::Value::Number(n)) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(0), ..) => {
                    return Err(invalid(
                        "`schema_version` 0 is not a version; versions start at 1".into(),
                    ));
                }
                (Some(v), ..) if v > u64::from(SCHEMA_VERSION) => {
                    return Err(ResultsError::NewerSchema {
                        path: origin.to_owned(),
                        found: v.to_string(),
                    });
                }
                (Some(_), ..) => {}
                (None, Some(v), _) => {
                    return Err(invalid(format!(
                        "`schema_version` {v} is negative; versions start at 1"
                    )));
                }
                // Beyond u64: serde_json holds it as a float.
                (None, None, Some(f)) if f.fract() == 0.0 && f > 0.0 => {
                    return Err(ResultsError::NewerSchema {
                        path: origin.to_owned(),
                        found: n.to_string(),
                    });
                }
                _ => {
                    return Err(invalid(format!(
                        "`schema_version` {n} is not a whole number"
                    )));
                }
            },
            Some(other) => {
                return Err(invalid(format!(
                    "`schema_version` must be a whole number, not {other}"
                )));
            }
            None => {
                return Err(invalid(
                    "missing `schema_version`; is this a perfguard results file?".into(),
                ));
            }
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let run: Run =
            serde_path_to_error::deserialize(&mut de).map_err(|e| ResultsError::Invalid {
                path: origin.to_owned(),
                message: format!("at `{}`: {}", e.path(), e.inner()),
            })?;
        de.end().map_err(parse_err)?;
        run.validate().map_err(|message| ResultsError::Invalid {
            path: origin.to_owned(),
            message,
        })?;
        Ok(run)
    }

    fn validate(&self) -> Result<(), String> {
        let mut phase_names = HashMap::new();
        for (pi, phase) in self.phases.iter().enumerate() {
            if let Some(first) = phase_names.insert(phase.name.as_str(), pi) {
                return Err(format!(
                    "phases[{pi}] and phases[{first}] are both named {:?}; phase names must be unique",
                    phase.name
                ));
            }
            let mut metric_names = HashMap::new();
            for (mi, m) in phase.metrics.iter().enumerate() {
                let at = format!("phases[{pi}].metrics[{mi}] ({} / {})", phase.name, m.name);
                if let Some(first) = metric_names.insert(m.name.as_str(), mi) {
                    return Err(format!(
                        "{at}: metrics[{first}] has the same name; metric names must be unique within a phase"
                    ));
                }
                if !m.value.is_finite() {
                    return Err(format!("{at}: value is not a finite number"));
                }
                if m.samples.iter().any(|s| !s.is_finite()) {
                    return Err(format!("{at}: a sample is not a finite number"));
                }
                match (m.count, m.total) {
                    (None, None) => {}
                    (Some(c), Some(t)) if c <= t && t > 0 => {}
                    (Some(c), Some(t)) => {
                        return Err(format!(
                            "{at}: count {c} out of total {t}: expected 0 ≤ count ≤ total and total > 0"
                        ));
                    }
                    _ => {
                        return Err(format!(
                            "{at}: `count` and `total` go together; give both or neither"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the run as pretty JSON, atomically (temporary file, then rename),
    /// so a reader never sees half a file.
    pub fn write(&self, path: &Path) -> Result<(), ResultsError> {
        let json = serde_json::to_string_pretty(self).expect("results serialize");
        write_atomic(path, json.as_bytes()).map_err(|source| ResultsError::Write {
            path: path.to_owned(),
            source,
        })
    }

    /// A run of `suite` in this build's schema, ending now; `partial` when
    /// an interrupt cut it short.
    pub fn new(
        suite: String,
        environment: Environment,
        git: Option<GitInfo>,
        started_at: DateTime<Utc>,
        partial: bool,
        phases: Vec<PhaseResult>,
    ) -> Run {
        Run {
            schema_version: SCHEMA_VERSION,
            suite,
            environment,
            git,
            started_at,
            finished_at: Utc::now(),
            partial,
            shard: None,
            phases,
        }
    }

    pub fn phase(&self, name: &str) -> Option<&PhaseResult> {
        self.phases.iter().find(|p| p.name == name)
    }

    pub fn has_errors(&self) -> bool {
        self.phases.iter().any(|p| !p.errors.is_empty())
    }
}

/// The first `n` characters of a commit SHA, cut on a character boundary:
/// a results file from elsewhere may hold any text there.
pub fn short_sha(sha: &str, n: usize) -> &str {
    sha.char_indices()
        .nth(n)
        .map_or(sha, |(end, _)| &sha[..end])
}

/// A run of suite `s` on environment `k`, at a fixed time, of `phases`: the
/// tests' fixture for code that only needs the phases.
#[cfg(test)]
pub(crate) fn test_run(phases: Vec<PhaseResult>) -> Run {
    let t = DateTime::from_timestamp(1_700_000_000, 0).expect("a valid time");
    Run {
        schema_version: SCHEMA_VERSION,
        suite: "s".into(),
        environment: Environment {
            key: "k".into(),
            os: "Linux".into(),
            arch: "x86_64".into(),
            cpu_model: "cpu".into(),
            cores: 2,
            memory_bytes: 0,
            runner: None,
        },
        git: None,
        started_at: t,
        finished_at: t,
        partial: false,
        shard: None,
        phases,
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// renamed over `path`: a reader, or a perfguard killed half-way, never sees
/// a half-written file. Not synced to disk: a results file is one job's
/// output, and the machine going down takes the job with it; the baseline
/// store, which outlives jobs, uses [`write_durable`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_through_temp(path, bytes, false)
}

/// [`write_atomic`], with the file synced to disk before the rename.
pub fn write_durable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_through_temp(path, bytes, true)
}

fn write_through_temp(path: &Path, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_run() -> Run {
        Run {
            schema_version: SCHEMA_VERSION,
            suite: "demo".into(),
            environment: Environment {
                key: "linux-x86_64-test".into(),
                os: "Linux".into(),
                arch: "x86_64".into(),
                cpu_model: "Test CPU".into(),
                cores: 2,
                memory_bytes: 1 << 30,
                runner: None,
            },
            git: None,
            started_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            finished_at: DateTime::from_timestamp(1_700_000_010, 0).unwrap(),
            partial: false,
            shard: None,
            phases: vec![PhaseResult {
                name: "p".into(),
                kind: PhaseKind::Command,
                errors: vec![],
                metrics: vec![Metric::new("wall", Unit::Ns, Direction::Lower, 1.5)],
                criteria: BTreeMap::new(),
                series: Vec::new(),
                load_started_at: None,
            }],
        }
    }

    #[test]
    fn round_trips_through_json() {
        let run = sample_run();
        let json = serde_json::to_string(&run).unwrap();
        assert_eq!(Run::from_json(&json, Path::new("x.json")).unwrap(), run);
    }

    #[test]
    fn version_1_files_of_the_previous_release_still_read() {
        // Written by perfguard 0.1.0 (schema_version 1): a command phase and
        // an HTTP phase with histograms, no `shard` or `load_started_at`.
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/results/v1-release-0.1.0.json"
        ));
        let run = Run::read(path).unwrap();
        assert_eq!(run.schema_version, 1);
        assert!(run.shard.is_none());
        let load = run.phase("load").unwrap();
        assert!(load.load_started_at.is_none());
        assert_eq!(load.metric("requests").unwrap().value, 40.0);
        assert!(load.metric("latency.p95").unwrap().histogram.is_some());
        // Written again, it is this release's version and reads back equal.
        let mut again = run.clone();
        again.schema_version = SCHEMA_VERSION;
        let json = serde_json::to_string(&again).unwrap();
        assert_eq!(Run::from_json(&json, path).unwrap(), again);
    }

    #[test]
    fn newer_schema_is_a_clear_error() {
        let mut v = serde_json::to_value(sample_run()).unwrap();
        v["schema_version"] = 99.into();
        let err = Run::from_json(&v.to_string(), Path::new("r.json")).unwrap_err();
        assert!(
            err.to_string().contains("schema_version 99, newer"),
            "{err}"
        );
    }

    #[test]
    fn schema_versions_out_of_range_say_what_is_wrong() {
        let with = |version: &str| {
            let mut v = serde_json::to_value(sample_run()).unwrap();
            v["schema_version"] = serde_json::Value::Null;
            let text = v.to_string().replace(
                "\"schema_version\":null",
                &format!("\"schema_version\":{version}"),
            );
            Run::from_json(&text, Path::new("r.json"))
                .unwrap_err()
                .to_string()
        };
        assert!(with("0").contains("0 is not a version"), "{}", with("0"));
        assert!(with("-3").contains("-3 is negative"), "{}", with("-3"));
        let huge = with("18446744073709551616");
        assert!(huge.contains("newer than this perfguard reads"), "{huge}");
        assert!(
            with("1.5").contains("not a whole number"),
            "{}",
            with("1.5")
        );
        assert!(
            with("\"1\"").contains("must be a whole number"),
            "{}",
            with("\"1\"")
        );
    }

    #[test]
    fn duplicate_names_are_refused_with_both_places() {
        let mut v = serde_json::to_value(sample_run()).unwrap();
        let m = v["phases"][0]["metrics"][0].clone();
        v["phases"][0]["metrics"].as_array_mut().unwrap().push(m);
        let err = Run::from_json(&v.to_string(), Path::new("r.json")).unwrap_err();
        assert!(
            err.to_string()
                .contains("phases[0].metrics[1] (p / wall): metrics[0] has the same name"),
            "{err}"
        );
        let mut v = serde_json::to_value(sample_run()).unwrap();
        let p = v["phases"][0].clone();
        v["phases"].as_array_mut().unwrap().push(p);
        let err = Run::from_json(&v.to_string(), Path::new("r.json")).unwrap_err();
        assert!(
            err.to_string()
                .contains("phases[1] and phases[0] are both named \"p\""),
            "{err}"
        );
    }

    #[test]
    fn a_device_is_refused_by_its_kind() {
        let err = Run::read(Path::new("/dev/zero")).unwrap_err();
        assert!(
            err.to_string()
                .contains("/dev/zero: it is a character device"),
            "{err}"
        );
    }

    #[test]
    fn broken_files_name_path_and_place() {
        let err = Run::from_json("{\"schema_version\": 1,\n \"suite\": ", Path::new("r.json"))
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("r.json") && msg.contains("line 2"), "{msg}");
        let err = Run::from_json("[]", Path::new("r.json")).unwrap_err();
        assert!(err.to_string().contains("schema_version"), "{err}");
        let mut v = serde_json::to_value(sample_run()).unwrap();
        v["phases"][0]["metrics"][0]["value"] = "fast".into();
        let err = Run::from_json(&v.to_string(), Path::new("r.json")).unwrap_err();
        assert!(
            err.to_string().contains("phases[0].metrics[0].value"),
            "{err}"
        );
    }

    #[test]
    fn proportion_counts_must_be_whole_and_consistent() {
        let mut v = serde_json::to_value(sample_run()).unwrap();
        v["phases"][0]["metrics"][0]["count"] = 5.into();
        let err = Run::from_json(&v.to_string(), Path::new("r.json")).unwrap_err();
        assert!(err.to_string().contains("go together"), "{err}");
        v["phases"][0]["metrics"][0]["total"] = 4.into();
        let err = Run::from_json(&v.to_string(), Path::new("r.json")).unwrap_err();
        assert!(err.to_string().contains("count 5 out of total 4"), "{err}");
        v["phases"][0]["metrics"][0]["total"] = (-4).into();
        let err = Run::from_json(&v.to_string(), Path::new("r.json")).unwrap_err();
        assert!(err.to_string().contains("total"), "{err}");
        v["phases"][0]["metrics"][0]["total"] = 10.into();
        let run = Run::from_json(&v.to_string(), Path::new("r.json")).unwrap();
        assert_eq!(run.phases[0].metrics[0].counts(), Some((5, 10)));
    }
}
