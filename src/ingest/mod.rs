//! Ingest: turns the output of other benchmark harnesses (cargo bench,
//! criterion, hyperfine, Go, Google Benchmark, pytest-benchmark, JMH,
//! BenchmarkDotNet, Catch2, benchmark.js, k6, vitest, asv, Ruby, Luau, Dart,
//! JS `time`-style lines,
//! github-action-benchmark custom JSON, BMF, generic JSON) into metrics.
//!
//! Each format's parser is a pure function from text to metrics; this module
//! reads files (bounded in size), detects formats and names the file and line
//! of every problem.

pub mod asv;
pub mod benchmarkdotnet;
pub mod benchmarkjs;
pub mod bmf;
pub mod cargo_bench;
pub mod catch2;
pub mod criterion;
pub mod criterion_console;
pub mod dart;
pub mod generic;
pub mod github_action_benchmark;
pub mod go;
pub mod go_json;
pub mod google_benchmark;
pub mod hyperfine;
pub mod iai_callgrind;
pub mod jmh;
pub mod js_time;
mod json;
pub mod julia;
pub mod k6;
pub mod libtest_json;
pub mod luau;
pub mod pytest_benchmark;
pub mod ruby;
pub mod vitest;

use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use crate::stats::summary::outliers;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A harness output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// libtest's `#[bench]` text (`test x ... bench: 1,234 ns/iter (+/- 5)`),
    /// or its JSON events (`--format json`).
    CargoBench,
    /// criterion's `target/criterion` directory, its console text, or
    /// cargo-criterion's JSON messages.
    Criterion,
    /// `hyperfine --export-json`.
    Hyperfine,
    /// `go test -bench` text, with or without `-benchmem`, or `go test -json`.
    Go,
    /// Google Benchmark `--benchmark_format=json`.
    GoogleBenchmark,
    /// pytest-benchmark `--benchmark-json`.
    PytestBenchmark,
    /// JMH `-rf json`.
    Jmh,
    /// BenchmarkDotNet's JSON exporter.
    BenchmarkDotNet,
    /// Catch2's XML reporter or console output.
    Catch2,
    /// benchmark.js console output (`x 1,234 ops/sec ±0.5% (90 runs sampled)`).
    BenchmarkJs,
    /// k6 `--summary-export`.
    K6,
    /// perfguard's generic JSON (see docs/INGEST.md).
    Generic,
    /// github-action-benchmark's custom JSON for `customBiggerIsBetter`.
    CustomBiggerIsBetter,
    /// github-action-benchmark's custom JSON for `customSmallerIsBetter`.
    CustomSmallerIsBetter,
    /// Bencher Metric Format JSON.
    Bmf,
    /// `vitest bench --outputJson`.
    Vitest,
    /// An asv (airspeed velocity) results file.
    Asv,
    /// Ruby's `Benchmark.bm`/`bmbm` text, benchmark-ips text or JSON.
    Ruby,
    /// iai-callgrind's (gungraun's) console text.
    IaiCallgrind,
    /// Julia BenchmarkTools' saved JSON.
    Julia,
    /// Luau's `bench_support.lua` records (`|><|NAME|><|ms…||_||`).
    Luau,
    /// Dart benchmark_harness (`NAME(RunTime): 123.45 us.`).
    Dart,
    /// Node's `console.time` lines and the shell's `time` report.
    JsTime,
}

impl Format {
    pub const ALL: [Format; 23] = [
        Format::CargoBench,
        Format::Criterion,
        Format::Hyperfine,
        Format::Go,
        Format::GoogleBenchmark,
        Format::PytestBenchmark,
        Format::Jmh,
        Format::BenchmarkDotNet,
        Format::Catch2,
        Format::BenchmarkJs,
        Format::K6,
        Format::Generic,
        Format::CustomBiggerIsBetter,
        Format::CustomSmallerIsBetter,
        Format::Bmf,
        Format::Vitest,
        Format::Asv,
        Format::Ruby,
        Format::IaiCallgrind,
        Format::Julia,
        Format::Luau,
        Format::Dart,
        Format::JsTime,
    ];

    /// The name used on the command line, in configuration and as the
    /// default phase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::CargoBench => "cargo-bench",
            Format::Criterion => "criterion",
            Format::Hyperfine => "hyperfine",
            Format::Go => "go",
            Format::GoogleBenchmark => "google-benchmark",
            Format::PytestBenchmark => "pytest-benchmark",
            Format::Jmh => "jmh",
            Format::BenchmarkDotNet => "benchmarkdotnet",
            Format::Catch2 => "catch2",
            Format::BenchmarkJs => "benchmarkjs",
            Format::K6 => "k6",
            Format::Generic => "generic",
            Format::CustomBiggerIsBetter => "custom-bigger-is-better",
            Format::CustomSmallerIsBetter => "custom-smaller-is-better",
            Format::Bmf => "bmf",
            Format::Vitest => "vitest",
            Format::Asv => "asv",
            Format::Ruby => "ruby",
            Format::IaiCallgrind => "iai-callgrind",
            Format::Julia => "julia",
            Format::Luau => "luau",
            Format::Dart => "dart",
            Format::JsTime => "js-time",
        }
    }

    /// Every format's name, comma-separated, for messages.
    pub fn names() -> String {
        Format::ALL.map(Format::as_str).join(", ")
    }

    /// Parses one text of this format. Criterion's directory layout is read
    /// by [`read_path`]; here criterion means cargo-criterion's messages or a
    /// single `estimates.json`.
    pub fn parse(self, text: &str) -> Result<Vec<Metric>, Problem> {
        let metrics = match self {
            Format::CargoBench if json_lines(text, cargo_bench::is_result_line) => {
                libtest_json::parse(text)
            }
            Format::CargoBench => cargo_bench::parse(text),
            Format::Criterion => criterion::parse_text(text),
            Format::Hyperfine => hyperfine::parse(text),
            Format::Go if json_lines(text, go::is_result_line) => go_json::parse(text),
            Format::Go => go::parse(text),
            Format::GoogleBenchmark => google_benchmark::parse(text),
            Format::PytestBenchmark => pytest_benchmark::parse(text),
            Format::Jmh => jmh::parse(text),
            Format::BenchmarkDotNet => benchmarkdotnet::parse(text),
            Format::Catch2 => catch2::parse(text),
            Format::BenchmarkJs => benchmarkjs::parse(text),
            Format::K6 => k6::parse(text),
            Format::Generic => generic::parse(text),
            Format::CustomBiggerIsBetter => github_action_benchmark::parse(text, Direction::Higher),
            Format::CustomSmallerIsBetter => github_action_benchmark::parse(text, Direction::Lower),
            Format::Bmf => bmf::parse(text),
            Format::Vitest => vitest::parse(text),
            Format::Asv => asv::parse(text),
            Format::Ruby => ruby::parse(text),
            Format::IaiCallgrind => iai_callgrind::parse(text),
            Format::Julia => julia::parse(text),
            Format::Luau => luau::parse(text),
            Format::Dart => dart::parse(text),
            Format::JsTime => js_time::parse(text),
        }?;
        // Unit conversion can overflow (1e305 s in ns); refuse, never emit inf.
        if let Some(m) = metrics.iter().find(|m| {
            !(m.value.is_finite() && m.value >= 0.0)
                || m.samples.iter().any(|s| !(s.is_finite() && *s >= 0.0))
        }) {
            return Err(Problem::whole(format!(
                "`{}`: a value is out of range once converted to {}",
                m.name, m.unit
            )));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(twice) = metrics.iter().find(|m| !seen.insert(m.name.as_str())) {
            return Err(Problem::whole(format!(
                "benchmark `{}` appears twice; perfguard needs unique names",
                twice.name
            )));
        }
        if metrics.is_empty() {
            return Err(Problem::whole(format!(
                "no benchmark results found; is this {} output?",
                self.as_str()
            )));
        }
        Ok(metrics)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown format `{s}`; expected one of {}", Format::names()))
    }
}

impl<'de> serde::Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Format {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IngestFormat".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Format::ALL.map(Format::as_str).to_vec();
        schemars::json_schema!({
            "description": "A harness output format; detected from the text when omitted.",
            "type": "string",
            "enum": names
        })
    }
}

/// Whether a text of a format with a text and a JSON-lines form is the JSON
/// one: its first line that is an event (`{`) or a text result (`is_text`)
/// is an event. Lines before it are the tools' own status lines.
fn json_lines(text: &str, is_text: fn(&str) -> bool) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with('{') || is_text(l))
        .is_some_and(|l| l.starts_with('{'))
}

/// What is wrong with a text, and where (1-based line), before the file is
/// known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub message: String,
    /// The harness itself reported a benchmark as failed: the text is well
    /// formed, the run is not (a phase error, not bad input).
    pub failed: bool,
}

impl Problem {
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        Problem::near(Some(line), message)
    }

    pub fn whole(message: impl Into<String>) -> Self {
        Problem::near(None, message)
    }

    /// A problem at a line when one is known.
    pub fn near(line: Option<usize>, message: impl Into<String>) -> Self {
        Problem {
            line,
            message: message.into(),
            failed: false,
        }
    }

    /// A benchmark the harness reported as failed, at the line that says so.
    pub fn failed(line: usize, message: impl Into<String>) -> Self {
        Problem {
            failed: true,
            ..Problem::at(line, message)
        }
    }
}

/// Why a harness's output could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is larger than {} MiB, the input limit (set {} to raise it)", limit >> 20, crate::input::MAX_MIB_VAR)]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{path} is not UTF-8 text")]
    NotText { path: PathBuf },
    #[error("{}{}: {format} output: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Parse {
        path: PathBuf,
        format: Format,
        line: Option<usize>,
        message: String,
    },
    #[error("{}{}: {format} output: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Failed {
        path: PathBuf,
        format: Format,
        line: Option<usize>,
        message: String,
    },
    #[error(
        "cannot tell the format of {path}: {reason}; pass --format, one of {}",
        Format::names()
    )]
    Undetected { path: PathBuf, reason: String },
    #[error(
        "metric `{name}` comes from both {first} and {second}; ingest them into different phases"
    )]
    Duplicate {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(
        "--phase names one phase, but the files are of several formats ({}); ingest each format on its own",
        formats.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
    )]
    SeveralFormats { formats: Vec<Format> },
}

impl IngestError {
    fn from_input(path: &Path, e: crate::input::InputError) -> Self {
        match e {
            crate::input::InputError::Io(source) => IngestError::Read {
                path: path.to_owned(),
                source,
            },
            crate::input::InputError::TooLarge(limit) => IngestError::TooLarge {
                path: path.to_owned(),
                limit,
            },
        }
    }
}

impl IngestError {
    fn parse(path: &Path, format: Format, p: Problem) -> Self {
        let (path, line, message) = (path.to_owned(), p.line, p.message);
        if p.failed {
            IngestError::Failed {
                path,
                format,
                line,
                message,
            }
        } else {
            IngestError::Parse {
                path,
                format,
                line,
                message,
            }
        }
    }

    /// 3 when the harness reported a failed benchmark (the run failed), 2
    /// for input that cannot be read as results.
    pub fn exit_code(&self) -> u8 {
        match self {
            IngestError::Failed { .. } => 3,
            _ => 2,
        }
    }
}

/// The metrics ingested from one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    pub path: PathBuf,
    pub format: Format,
    pub metrics: Vec<Metric>,
}

/// Reads one input: a file of any format, or a criterion directory
/// (`target/criterion` or any directory below it). The format is detected
/// when `format` is `None`.
pub fn read_path(path: &Path, format: Option<Format>) -> Result<Ingested, IngestError> {
    let meta = std::fs::metadata(path).map_err(|source| IngestError::Read {
        path: path.to_owned(),
        source,
    })?;
    if meta.is_dir() {
        if let Some(f) = format.filter(|f| *f != Format::Criterion) {
            return Err(IngestError::Parse {
                path: path.to_owned(),
                format: f,
                line: None,
                message: "is a directory; only criterion reads a directory".into(),
            });
        }
        return Ok(Ingested {
            path: path.to_owned(),
            format: Format::Criterion,
            metrics: criterion::read_dir(path)?,
        });
    }
    let text = read_text(path)?;
    if path.file_name().is_some_and(|n| n == "estimates.json")
        && format.is_none_or(|f| f == Format::Criterion)
    {
        return Ok(Ingested {
            path: path.to_owned(),
            format: Format::Criterion,
            metrics: criterion::read_estimates(path, &text)?,
        });
    }
    let format = match format {
        Some(f) => f,
        None => detect(&text).map_err(|reason| IngestError::Undetected {
            path: path.to_owned(),
            reason,
        })?,
    };
    let metrics = format
        .parse(&text)
        .map_err(|p| IngestError::parse(path, format, p))?;
    Ok(Ingested {
        path: path.to_owned(),
        format,
        metrics,
    })
}

/// Parses text that came from somewhere other than a file (a command's
/// standard output); `origin` names it in errors.
pub fn parse_named(
    text: &str,
    format: Option<Format>,
    origin: &Path,
) -> Result<Ingested, IngestError> {
    let format = match format {
        Some(f) => f,
        None => detect(text).map_err(|reason| IngestError::Undetected {
            path: origin.to_owned(),
            reason,
        })?,
    };
    let metrics = format
        .parse(text)
        .map_err(|p| IngestError::parse(origin, format, p))?;
    Ok(Ingested {
        path: origin.to_owned(),
        format,
        metrics,
    })
}

/// Reads a file as text, within the input limit (`crate::input`).
pub fn read_text(path: &Path) -> Result<String, IngestError> {
    let bytes = crate::input::read(path).map_err(|e| IngestError::from_input(path, e))?;
    text(bytes, path)
}

/// Reads a stream as text, refusing more than the input limit.
pub fn bounded_text(reader: impl Read, path: &Path) -> Result<String, IngestError> {
    let limit = crate::input::max_bytes().map_err(|source| IngestError::Read {
        path: path.to_owned(),
        source,
    })?;
    bounded_text_within(reader, path, limit)
}

/// Reads a stream as text, refusing more than `limit` bytes.
pub fn bounded_text_within(
    reader: impl Read,
    path: &Path,
    limit: u64,
) -> Result<String, IngestError> {
    let bytes =
        crate::input::read_bounded(reader, limit).map_err(|e| IngestError::from_input(path, e))?;
    text(bytes, path)
}

fn text(bytes: Vec<u8>, path: &Path) -> Result<String, IngestError> {
    let text = String::from_utf8(bytes).map_err(|_| IngestError::NotText {
        path: path.to_owned(),
    })?;
    // Windows tools (BenchmarkDotNet among them) may write a byte-order mark.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// Joins the metrics of several inputs, refusing a name seen twice.
pub fn join(inputs: &[Ingested]) -> Result<Vec<Metric>, IngestError> {
    let mut seen: std::collections::HashMap<&str, &Path> = std::collections::HashMap::new();
    let mut metrics = Vec::new();
    for input in inputs {
        for m in &input.metrics {
            if let Some(first) = seen.insert(&m.name, &input.path) {
                return Err(IngestError::Duplicate {
                    name: m.name.clone(),
                    first: first.to_owned(),
                    second: input.path.clone(),
                });
            }
            metrics.push(m.clone());
        }
    }
    Ok(metrics)
}

/// The formats of `inputs`, in the order each first appears.
pub fn formats(inputs: &[Ingested]) -> Vec<Format> {
    let mut formats: Vec<Format> = Vec::new();
    for input in inputs {
        if !formats.contains(&input.format) {
            formats.push(input.format);
        }
    }
    formats
}

/// One phase per format, named after it or `phase`, so results ingested
/// from differently named files compare. `phase` with several formats is
/// refused: one name cannot hold two formats' metrics.
pub fn into_phases(
    inputs: &[Ingested],
    phase: Option<&str>,
) -> Result<Vec<crate::results::PhaseResult>, IngestError> {
    use crate::results::{PhaseKind, PhaseResult};
    let formats = formats(inputs);
    if phase.is_some() && formats.len() > 1 {
        return Err(IngestError::SeveralFormats { formats });
    }
    formats
        .into_iter()
        .map(|format| {
            let of_format: Vec<Ingested> = inputs
                .iter()
                .filter(|i| i.format == format)
                .cloned()
                .collect();
            Ok(PhaseResult {
                metrics: join(&of_format)?,
                ..PhaseResult::new(
                    phase.unwrap_or(format.as_str()),
                    PhaseKind::Ingest,
                    Default::default(),
                )
            })
        })
        .collect()
}

/// Detects the format of a text from its shape; the reason when it cannot.
pub fn detect(text: &str) -> Result<Format, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.is_empty() {
        return Err("the input is empty".into());
    }
    if trimmed.starts_with('<') {
        return if trimmed.contains("<BenchmarkResults") || trimmed.contains("<Catch") {
            Ok(Format::Catch2)
        } else {
            Err("it is XML, but not Catch2's XML reporter output".into())
        };
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return detect_json(trimmed);
    }
    detect_lines(text)
}

fn detect_json(text: &str) -> Result<Format, String> {
    // cargo-criterion prints one JSON message per line.
    let first_line = text.lines().next().unwrap_or("");
    if let Ok(serde_json::Value::Object(first)) = serde_json::from_str(first_line)
        && first.contains_key("reason")
    {
        return Ok(Format::Criterion);
    }
    if let Some(format) = detect_event_line(first_line.trim()) {
        return Ok(format);
    }
    // asv writes Python's `NaN`, which JSON parsers refuse: tell it by its
    // own key before parsing.
    if text.contains("\"result_columns\"") && text.contains("\"results\"") {
        return Ok(Format::Asv);
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "it looks like JSON but is not valid at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    let has = |k: &str| value.get(k).is_some();
    match &value {
        serde_json::Value::Array(items) => {
            let first = items.first();
            if julia::looks_like(&value) {
                Ok(Format::Julia)
            } else if first
                .is_some_and(|b| b.get("primaryMetric").is_some() || b.get("jmhVersion").is_some())
            {
                Ok(Format::Jmh)
            } else if ruby::looks_like_json(items) {
                Ok(Format::Ruby)
            } else if github_action_benchmark::looks_like(items) {
                Err("it is github-action-benchmark's custom JSON (`range`, `extra`), which does not say which way is better; pass --format custom-bigger-is-better or custom-smaller-is-better".into())
            } else if first.is_some_and(|b| b.get("name").is_some() && b.get("value").is_some()) {
                Ok(Format::Generic)
            } else {
                Err("it is a JSON array, but neither JMH results nor generic benchmarks".into())
            }
        }
        _ if has("results")
            && value["results"]
                .get(0)
                .is_some_and(|r| r.get("command").is_some()) =>
        {
            Ok(Format::Hyperfine)
        }
        _ if has("benchmarks") && has("machine_info") => Ok(Format::PytestBenchmark),
        _ if has("benchmarks") && has("context") => Ok(Format::GoogleBenchmark),
        _ if has("Benchmarks") => Ok(Format::BenchmarkDotNet),
        _ if has("metrics") && (has("root_group") || has("state")) => Ok(Format::K6),
        _ if has("benchmarks") => Ok(Format::Generic),
        _ if has("mean") && has("median") && has("std_dev") => Ok(Format::Criterion),
        _ if asv::looks_like(&value) => Ok(Format::Asv),
        _ if vitest::looks_like(&value) => Ok(Format::Vitest),
        _ if bmf::looks_like(&value) => Ok(Format::Bmf),
        _ => Err("it is JSON, but of no shape perfguard knows".into()),
    }
}

/// The format of a line that is one event of a JSON-lines output.
fn detect_event_line(line: &str) -> Option<Format> {
    if libtest_json::is_event_line(line) {
        Some(Format::CargoBench)
    } else if go_json::is_event_line(line) {
        Some(Format::Go)
    } else {
        None
    }
}

fn detect_lines(text: &str) -> Result<Format, String> {
    for line in text.lines().take(10_000) {
        let t = line.trim();
        if let Some(format) = detect_event_line(t) {
            return Ok(format);
        }
        if cargo_bench::is_result_line(t) {
            return Ok(Format::CargoBench);
        }
        if go::is_result_line(t) {
            return Ok(Format::Go);
        }
        if benchmarkjs::is_result_line(t) {
            return Ok(Format::BenchmarkJs);
        }
        if t.starts_with("benchmark name") && t.contains("samples") {
            return Ok(Format::Catch2);
        }
        if criterion_console::is_time_line(t) {
            return Ok(Format::Criterion);
        }
        if ruby::looks_like(t) {
            return Ok(Format::Ruby);
        }
        if iai_callgrind::is_instructions_line(t) {
            return Ok(Format::IaiCallgrind);
        }
        if luau::looks_like(t) {
            return Ok(Format::Luau);
        }
        if dart::is_result_line(t) {
            return Ok(Format::Dart);
        }
    }
    // Shapes loose enough to occur in other harnesses' logs are tried only
    // once no line matched any format above.
    for line in text.lines().take(10_000) {
        let t = line.trim();
        if t.contains("|><|") && t.contains("||_||") {
            return Ok(Format::Luau);
        }
        if js_time::is_result_line(t) {
            return Ok(Format::JsTime);
        }
    }
    Err("no line looks like any known harness's results".into())
}

/// The 1-based line where `"key"` first appears in JSON text, to point at
/// a problem found after parsing.
pub(crate) fn line_of_key(text: &str, key: &str) -> Option<usize> {
    lines_of_key(text, key).first().copied()
}

/// The 1-based lines where `"key"` appears in JSON text, in order.
pub(crate) fn lines_of_key(text: &str, key: &str) -> Vec<usize> {
    let Ok(quoted) = serde_json::to_string(key) else {
        return Vec::new();
    };
    let mut line = 1;
    let mut from = 0;
    let mut lines = Vec::new();
    while let Some(at) = text[from..].find(&quoted) {
        line += text[from..from + at].matches('\n').count();
        lines.push(line);
        from += at + quoted.len();
    }
    lines
}

/// For tools that end every line they print: a last line with text but no
/// newline was cut off, and what it held is unknown, so it is an error at
/// that line.
pub(crate) fn ends_with_whole_line(text: &str) -> Result<(), Problem> {
    if !text.ends_with('\n') && text.lines().last().is_some_and(|l| !l.trim().is_empty()) {
        return Err(Problem::at(
            text.lines().count(),
            "the text ends inside this line (no newline after it); truncated?",
        ));
    }
    Ok(())
}

/// A time metric in nanoseconds, lower is better.
pub(crate) fn time_ns(name: impl Into<String>, ns: f64) -> Metric {
    Metric::new(name, Unit::Ns, Direction::Lower, ns)
}

/// Attaches raw samples (in the metric's unit) and counts their outliers.
pub(crate) fn with_samples(mut metric: Metric, samples: Vec<f64>) -> Metric {
    if !samples.is_empty() {
        metric.outliers = Some(outliers(&samples));
        metric.samples = samples;
    }
    metric
}

/// A summary metric (`name.mean`) whose evidence is `of`'s samples.
pub(crate) fn summary_of(mut metric: Metric, of: &Metric) -> Metric {
    if !of.samples.is_empty() {
        metric.samples_of = Some(of.name.clone());
    }
    metric
}

/// A number that must be finite and not negative, `what` naming it.
pub(crate) fn non_negative(value: f64, what: &str) -> Result<f64, String> {
    if !value.is_finite() {
        Err(format!("{what} is not a finite number ({value})"))
    } else if value < 0.0 {
        Err(format!("{what} is negative ({value})"))
    } else {
        Ok(value)
    }
}

/// Nanoseconds per unit of a time unit as harnesses print it.
pub(crate) fn ns_per(unit: &str) -> Option<f64> {
    Some(match unit {
        "ns" => 1.0,
        "us" | "µs" | "μs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "min" | "m" => 60e9,
        _ => return None,
    })
}

/// Parses a number printed with thousands separators (`1,234,567.5`).
pub(crate) fn number(text: &str) -> Option<f64> {
    let cleaned: String = text.chars().filter(|c| *c != ',' && *c != '_').collect();
    if cleaned.is_empty()
        || !cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || ".-+eE".contains(c))
    {
        return None;
    }
    cleaned.parse().ok()
}

#[cfg(test)]
mod tests;
