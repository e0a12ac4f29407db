//! Configuration: turns `perfguard.toml` into a validated [`Config`], or a
//! [`ConfigError`] that names the file, line, column and key.

pub mod command;
pub mod compare;
pub mod criterion;
pub mod http;
pub mod ingest;
mod located;
pub mod notify;
mod phases;
pub mod template;

pub use command::{CommandLine, CommandPhase};
pub use compare::{CompareConfig, CompareMode, Slo, SloConfig};
pub use criterion::{Criterion, Op};
pub use ingest::IngestPhase;
pub use notify::{Endpoint, Notify, NotifyConfig, WebhookFormat};
pub use phases::{PhaseConfig, criteria_text};

use located::{KeySpans, deserialize, line_column};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A configuration problem, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The configuration file.
    pub path: PathBuf,
    /// 1-based line and column of the offending text, when known.
    pub location: Option<(usize, usize)>,
    /// The key path (`phase[0].runs`), when known.
    pub key: Option<String>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, column)) = self.location {
            write!(f, ":{line}:{column}")?;
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The whole configuration file, as its JSON Schema describes it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The suite: its name and environment key.
    #[serde(default)]
    pub suite: SuiteConfig,
    /// When a change is a regression, and which severity fails the check.
    #[serde(default)]
    pub thresholds: ThresholdsConfig,
    /// Where baselines are kept.
    #[serde(default)]
    pub baseline: BaselineConfig,
    /// How runs are compared: history, confirmation, paired mode, environment.
    #[serde(default)]
    pub compare: CompareConfig,
    /// Service-level objectives with error budgets.
    #[serde(default)]
    pub slo: Vec<SloConfig>,
    /// Where a nightly run's findings go: webhooks, a Pushgateway, the
    /// tracking issue.
    #[serde(default)]
    pub notify: NotifyConfig,
    /// The phases to run, in order.
    #[serde(default)]
    pub phase: Vec<PhaseConfig>,
}

/// `[suite]`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuiteConfig {
    /// The suite's name; part of the baseline key and of the PR comment marker.
    #[serde(default = "default_suite_name")]
    pub name: String,
    /// The environment key; `auto` derives one from os, arch and CPU model.
    #[serde(default = "default_environment")]
    pub environment: String,
}

impl Default for SuiteConfig {
    fn default() -> Self {
        SuiteConfig {
            name: default_suite_name(),
            environment: default_environment(),
        }
    }
}

/// The longest suite name or environment key: they name directories of the
/// baseline store and appear in every comment.
pub const MAX_NAME_CHARS: usize = 100;

impl SuiteConfig {
    fn validate(&self) -> Result<(), (String, String)> {
        for (key, value) in [
            ("suite.name", &self.name),
            ("suite.environment", &self.environment),
        ] {
            check_name(value).map_err(|why| (key.to_owned(), why))?;
        }
        Ok(())
    }
}

/// Why `name` cannot be a suite name or environment key, if it cannot.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "must not hold control characters (found {:?}); it names baseline directories and appears in comments",
            c
        ));
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(format!(
            "is {n} characters long; at most {MAX_NAME_CHARS} are allowed"
        ));
    }
    Ok(())
}

fn default_suite_name() -> String {
    "default".into()
}
fn default_environment() -> String {
    "auto".into()
}

/// Which severity fails the check.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Never,
    Minor,
    Major,
    Critical,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "never" => Ok(FailOn::Never),
            "minor" => Ok(FailOn::Minor),
            "major" => Ok(FailOn::Major),
            "critical" => Ok(FailOn::Critical),
            _ => Err(format!("`{s}` is not one of never, minor, major, critical")),
        }
    }
}

/// `[thresholds]`: percent worse than the baseline.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsConfig {
    /// Percent worse at which a change is minor (default 10).
    #[serde(default = "default_minor")]
    pub minor: f64,
    /// Percent worse at which a change is major (default 20).
    #[serde(default = "default_major")]
    pub major: f64,
    /// Percent worse at which a change is critical (default 50).
    #[serde(default = "default_critical")]
    pub critical: f64,
    /// The lowest severity that fails the check (default critical).
    #[serde(default = "default_fail_on")]
    pub fail_on: FailOn,
    /// Significance level of the two-sample test (default 0.05).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Per-metric overrides, keyed by metric name (`"wall.p95"`) or by
    /// phase and metric (`"startup/wall"`).
    #[serde(default)]
    pub metric: BTreeMap<String, LevelsOverride>,
}

impl Default for ThresholdsConfig {
    fn default() -> Self {
        ThresholdsConfig {
            minor: default_minor(),
            major: default_major(),
            critical: default_critical(),
            fail_on: default_fail_on(),
            alpha: default_alpha(),
            metric: BTreeMap::new(),
        }
    }
}

fn default_minor() -> f64 {
    10.0
}
fn default_major() -> f64 {
    20.0
}
fn default_critical() -> f64 {
    50.0
}
fn default_fail_on() -> FailOn {
    FailOn::Critical
}
fn default_alpha() -> f64 {
    0.05
}

/// Per-metric thresholds in percent; unset levels keep the suite's.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelsOverride {
    pub minor: Option<f64>,
    pub major: Option<f64>,
    pub critical: Option<f64>,
}

/// Severity thresholds for one metric, as fractions (0.1 = 10 %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Levels {
    pub minor: f64,
    pub major: f64,
    pub critical: f64,
}

impl ThresholdsConfig {
    /// The thresholds that apply to `metric` of `phase`: a `phase/metric`
    /// override first, then a `metric` override, then the suite's.
    pub fn levels(&self, phase: &str, metric: &str) -> Levels {
        let mut levels = Levels {
            minor: self.minor / 100.0,
            major: self.major / 100.0,
            critical: self.critical / 100.0,
        };
        let specific = format!("{phase}/{metric}");
        for key in [metric, specific.as_str()] {
            if let Some(o) = self.metric.get(key) {
                levels.minor = o.minor.map_or(levels.minor, |v| v / 100.0);
                levels.major = o.major.map_or(levels.major, |v| v / 100.0);
                levels.critical = o.critical.map_or(levels.critical, |v| v / 100.0);
            }
        }
        levels
    }
}

/// `[baseline]`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaselineConfig {
    /// The branch that holds baselines (default `perfguard-baselines`).
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Runs of history kept per suite and environment (default 500).
    #[serde(default = "default_keep")]
    pub keep: usize,
    /// Branches whose runs are saved; empty means the default branch.
    #[serde(default)]
    pub save_on: Vec<String>,
    /// The remote to fetch from and push to (default `origin`).
    #[serde(default = "default_remote")]
    pub remote: String,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        BaselineConfig {
            branch: default_branch(),
            keep: default_keep(),
            save_on: Vec::new(),
            remote: default_remote(),
        }
    }
}

fn default_branch() -> String {
    "perfguard-baselines".into()
}
fn default_keep() -> usize {
    500
}
fn default_remote() -> String {
    "origin".into()
}

/// A loaded and validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    pub suite: SuiteConfig,
    pub thresholds: ThresholdsConfig,
    pub baseline: BaselineConfig,
    pub compare: CompareConfig,
    pub slos: Vec<Slo>,
    pub notify: Notify,
    pub phases: Vec<PhaseConfig>,
    /// The file's text as read: its hash ties shards to one configuration,
    /// and errors found later are located in it.
    pub text: String,
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_owned(),
            location: None,
            key: None,
            message: format!("cannot read the configuration: {e}"),
        })?;
        Config::parse(&text, path)
    }

    /// Parses configuration text; `path` names it in errors and anchors
    /// relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let err = |span: Option<std::ops::Range<usize>>, key: Option<String>, message: String| {
            ConfigError {
                path: path.to_owned(),
                location: span.map(|s| line_column(text, s.start)),
                key,
                message,
            }
        };
        let doc =
            DeTable::parse(text).map_err(|e| err(e.span(), None, e.message().trim().to_owned()))?;
        let doc_span = doc.span();
        let mut table = doc.into_inner();

        // Phases are dispatched on `kind` by hand, so that every error inside a
        // phase keeps the line and column toml knows (serde's internally
        // tagged enums buffer the table and lose them).
        let phase_key = table
            .keys()
            .find(|k| k.get_ref().as_ref() == "phase")
            .cloned();
        let phase_value = phase_key.and_then(|k| table.remove(&k));

        // Where each key is written, for errors found after deserializing
        // (`[thresholds]`, `[compare]`, `[[slo]]`): the key's name, or the
        // header of the table it belongs in.
        let spans = KeySpans::of(&table);
        let file: ConfigFile = deserialize(Spanned::new(doc_span, DeValue::Table(table)), "")
            .map_err(|(span, key, msg)| err(span, key, msg))?;
        let located = |(key, msg): (String, String)| {
            let at = spans.nearest(&key).map(|w| w.key_or_header());
            err(at, Some(key), msg)
        };
        file.suite.validate().map_err(located)?;
        validate_thresholds(&file.thresholds).map_err(located)?;
        file.compare.validate().map_err(located)?;
        let slos = file
            .slo
            .iter()
            .enumerate()
            .map(|(i, s)| s.parse(i))
            .collect::<Result<Vec<_>, _>>()
            .map_err(located)?;
        let notify = file.notify.parse().map_err(located)?;

        let Some(phase_value) = phase_value else {
            return Err(err(
                None,
                Some("phase".into()),
                "no phases: add at least one [[phase]] table".into(),
            ));
        };
        let phase_span = phase_value.span();
        let DeValue::Array(items) = phase_value.into_inner() else {
            return Err(err(
                Some(phase_span),
                Some("phase".into()),
                "expected an array of tables, written as [[phase]]".into(),
            ));
        };
        if items.is_empty() {
            return Err(err(
                Some(phase_span),
                Some("phase".into()),
                "no phases: add at least one [[phase]] table".into(),
            ));
        }

        let mut phases = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, item) in items.into_iter().enumerate() {
            let prefix = format!("phase[{i}]");
            let name_span = item
                .get_ref()
                .as_table()
                .and_then(|t| t.iter().find(|(k, _)| k.get_ref().as_ref() == "name"))
                .map(|(_, v)| v.span());
            let phase = phases::parse_phase(item, &prefix)
                .map_err(|(span, key, msg)| err(span, key, msg))?;
            let name = phase.name().to_owned();
            if let Some(first) = seen.insert(name.clone(), i) {
                return Err(err(
                    name_span,
                    Some(format!("{prefix}.name")),
                    format!(
                        "duplicate phase name `{name}` (also phase[{first}]); phase names must be unique"
                    ),
                ));
            }
            phases.push(phase);
        }

        Ok(Config {
            path: path.to_owned(),
            suite: file.suite,
            thresholds: file.thresholds,
            baseline: file.baseline,
            compare: file.compare,
            slos,
            notify,
            phases,
            text: text.to_owned(),
        })
    }

    /// SHA-256 of the configuration file's bytes, in hex: shards of one
    /// suite merge only when they ran the same configuration.
    pub fn hash(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, self.text.as_bytes());
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// An error about `key` (`phase[1].vus`) found after parsing, located
    /// where the key is written (or its nearest written parent).
    pub fn error_at(&self, key: &str, message: String) -> ConfigError {
        let location = DeTable::parse(&self.text).ok().and_then(|doc| {
            let spans = KeySpans::of(doc.get_ref());
            spans
                .nearest(key)
                .map(|w| line_column(&self.text, w.key_or_header().start))
        });
        ConfigError {
            path: self.path.clone(),
            location,
            key: Some(key.to_owned()),
            message,
        }
    }

    /// The directory relative paths in the configuration are resolved from.
    pub fn base_dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        }
    }
}

fn validate_thresholds(t: &ThresholdsConfig) -> Result<(), (String, String)> {
    let check = |key: String, minor: f64, major: f64, critical: f64| {
        for (name, v) in [("minor", minor), ("major", major), ("critical", critical)] {
            if !(v.is_finite() && v > 0.0) {
                return Err((
                    format!("{key}.{name}"),
                    format!("expected a positive percentage, got {v}"),
                ));
            }
        }
        if !(minor <= major && major <= critical) {
            return Err((
                key,
                format!(
                    "thresholds must rise: minor ({minor}) ≤ major ({major}) ≤ critical ({critical})"
                ),
            ));
        }
        Ok(())
    };
    check("thresholds".into(), t.minor, t.major, t.critical)?;
    if !(t.alpha > 0.0 && t.alpha < 1.0) {
        return Err((
            "thresholds.alpha".into(),
            format!("expected a probability between 0 and 1, got {}", t.alpha),
        ));
    }
    for (name, o) in &t.metric {
        let l = t.levels("", name);
        check(
            format!("thresholds.metric.\"{name}\""),
            o.minor.unwrap_or(l.minor * 100.0),
            o.major.unwrap_or(l.major * 100.0),
            o.critical.unwrap_or(l.critical * 100.0),
        )?;
    }
    Ok(())
}

/// The JSON Schema of `perfguard.toml`, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ConfigFile);
    serde_json::to_string_pretty(&schema).expect("schema serializes") + "\n"
}

#[cfg(test)]
mod tests;
