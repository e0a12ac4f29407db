//! Phase configuration: turns each `[[phase]]` table into a typed phase,
//! dispatched on its `kind`.

use super::{Criterion, Located, deserialize};
use crate::metrics::Dimension;
use crate::metrics::units::Duration;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use toml::Spanned;
use toml::de::DeValue;

/// One `[[phase]]`, by kind.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[expect(
    clippy::large_enum_variant,
    reason = "a handful of phases are parsed once per run; boxing buys nothing"
)]
pub enum PhaseConfig {
    /// A command benchmark, timed over repeated runs (hyperfine-like).
    Command(CommandPhase),
    /// An HTTP load test (k6 / wrk-like).
    Http(super::http::HttpPhase),
    /// Results of another benchmark harness, read from files or a command.
    Ingest(super::ingest::IngestPhase),
}

impl PhaseConfig {
    pub fn name(&self) -> &str {
        match self {
            PhaseConfig::Command(p) => &p.name,
            PhaseConfig::Http(p) => &p.name,
            PhaseConfig::Ingest(p) => &p.name,
        }
    }

    pub fn kind(&self) -> crate::results::PhaseKind {
        match self {
            PhaseConfig::Command(_) => crate::results::PhaseKind::Command,
            PhaseConfig::Http(_) => crate::results::PhaseKind::Http,
            PhaseConfig::Ingest(_) => crate::results::PhaseKind::Ingest,
        }
    }

    /// The phase's absolute criteria as written, metric → expression.
    pub fn criteria_text(&self) -> BTreeMap<String, String> {
        let criteria = match self {
            PhaseConfig::Command(p) => &p.criteria,
            PhaseConfig::Http(p) => &p.criteria,
            PhaseConfig::Ingest(p) => &p.criteria,
        };
        criteria_text(criteria)
    }
}

/// Criteria as written, metric → expression, as results carry them.
pub fn criteria_text(criteria: &BTreeMap<String, Criterion>) -> BTreeMap<String, String> {
    criteria
        .iter()
        .map(|(k, c)| (k.clone(), c.text.clone()))
        .collect()
}

const KINDS: &str = "command, http, ingest";

/// Parses one phase table, dispatching on its `kind` key.
pub(super) fn parse_phase(
    item: Spanned<DeValue<'_>>,
    prefix: &str,
) -> Result<PhaseConfig, Located> {
    let span = item.span();
    let mut item = item;
    let DeValue::Table(table) = item.get_mut() else {
        return Err((
            Some(span),
            Some(prefix.to_owned()),
            "expected a table, written as [[phase]]".into(),
        ));
    };
    let kind_key = table
        .keys()
        .find(|k| k.get_ref().as_ref() == "kind")
        .cloned();
    let Some(kind_key) = kind_key else {
        return Err((
            Some(span),
            Some(format!("{prefix}.kind")),
            format!("missing `kind`; expected one of {KINDS}"),
        ));
    };
    let kind_value = table.remove(&kind_key).expect("key just found");
    let kind_span = kind_value.span();
    let Some(kind) = kind_value.get_ref().as_str().map(str::to_owned) else {
        return Err((
            Some(kind_span),
            Some(format!("{prefix}.kind")),
            format!("expected a string, one of {KINDS}"),
        ));
    };
    // Spans of the phase's keys, for errors found after deserializing.
    let spans = key_spans(table);
    let located = |(key, msg): (String, String)| {
        let at = spans
            .iter()
            .filter(|(k, _)| key == *k || key.starts_with(&format!("{k}.")))
            .max_by_key(|(k, _)| k.len());
        let at = at.map_or(span.clone(), |(_, s)| s.clone());
        (Some(at), Some(format!("{prefix}.{key}")), msg)
    };
    match kind.as_str() {
        "command" => {
            let phase: CommandPhase = deserialize(item, prefix)?;
            phase.validate().map_err(located)?;
            Ok(PhaseConfig::Command(phase))
        }
        "http" => {
            let phase: super::http::HttpPhase = deserialize(item, prefix)?;
            phase.validate().map_err(located)?;
            Ok(PhaseConfig::Http(phase))
        }
        "ingest" => {
            let phase: super::ingest::IngestPhase = deserialize(item, prefix)?;
            phase.validate().map_err(located)?;
            Ok(PhaseConfig::Ingest(phase))
        }
        other => Err((
            Some(kind_span),
            Some(format!("{prefix}.kind")),
            format!("unknown phase kind `{other}`; expected one of {KINDS}"),
        )),
    }
}

/// Key paths (`criteria."wall.p95"`) of a table and the spans of their
/// values, two levels deep.
fn key_spans(table: &toml::de::DeTable<'_>) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    for (k, v) in table {
        let key = k.get_ref().to_string();
        out.push((key.clone(), v.span()));
        if let DeValue::Table(inner) = v.get_ref() {
            for (k2, v2) in inner {
                let k2 = k2.get_ref();
                let seg = if k2.contains('.') {
                    format!("\"{k2}\"")
                } else {
                    k2.to_string()
                };
                out.push((format!("{key}.{seg}"), v2.span()));
            }
        }
    }
    out
}

/// A command as an argument array (run directly) or a string (run by `sh -c`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    Argv(Vec<String>),
    Shell(String),
}

impl fmt::Display for CommandLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandLine::Argv(a) => f.write_str(&a.join(" ")),
            CommandLine::Shell(s) => f.write_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for CommandLine {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CommandLine;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an argument array such as [\"sleep\", \"0.1\"] or a shell string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CommandLine, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("the command is empty"));
                }
                Ok(CommandLine::Shell(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<CommandLine, A::Error> {
                let mut argv = Vec::new();
                while let Some(arg) = seq.next_element::<String>()? {
                    argv.push(arg);
                }
                if argv.is_empty() {
                    return Err(serde::de::Error::custom(
                        "the argument array is empty; name a program",
                    ));
                }
                Ok(CommandLine::Argv(argv))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for CommandLine {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CommandLine".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An argument array run without a shell, or a string run by `sh -c`.",
            "oneOf": [
                { "type": "array", "items": { "type": "string" }, "minItems": 1 },
                { "type": "string", "minLength": 1 }
            ]
        })
    }
}

/// `kind = "command"`: a command timed over repeated runs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandPhase {
    /// The phase's name, unique in the suite.
    pub name: String,
    /// The command: an argument array, or a string with `shell = true`.
    pub command: CommandLine,
    /// Run `command` through `sh -c` (it must then be a string).
    #[serde(default)]
    pub shell: bool,
    /// Timed runs (default 10); with `min_time`, the least number of runs.
    #[serde(default = "default_runs")]
    pub runs: u32,
    /// Keep running until the timed runs add up to at least this long.
    pub min_time: Option<Duration>,
    /// Untimed runs before the timed ones (default 1).
    #[serde(default = "default_warmup")]
    pub warmup: u32,
    /// Run before every run, untimed (a string runs by `sh -c`).
    pub prepare: Option<CommandLine>,
    /// Run once after all runs, untimed (a string runs by `sh -c`).
    pub cleanup: Option<CommandLine>,
    /// Kill the run's whole process group when one run takes longer.
    pub timeout: Option<Duration>,
    /// Extra environment variables for every command of the phase.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory, relative to the configuration file.
    pub cwd: Option<PathBuf>,
    /// Absolute gates, metric → `"< 50ms"`.
    #[serde(default)]
    pub criteria: BTreeMap<String, Criterion>,
}

fn default_runs() -> u32 {
    10
}
fn default_warmup() -> u32 {
    1
}

/// The metrics a command phase reports, with their dimension.
pub const COMMAND_METRICS: &[(&str, Dimension)] = &[
    ("wall", Dimension::Time),
    ("wall.mean", Dimension::Time),
    ("wall.p95", Dimension::Time),
    ("wall.p99", Dimension::Time),
    ("user", Dimension::Time),
    ("sys", Dimension::Time),
    ("memory.peak", Dimension::Bytes),
];

impl CommandPhase {
    fn validate(&self) -> Result<(), (String, String)> {
        if let CommandLine::Shell(_) = self.command
            && !self.shell
        {
            return Err((
                "command".into(),
                "a command string runs through a shell: set `shell = true`, or give an argument array such as [\"sleep\", \"0.1\"]".into(),
            ));
        }
        if let CommandLine::Argv(_) = self.command
            && self.shell
        {
            return Err((
                "command".into(),
                "`shell = true` takes the command as one string".into(),
            ));
        }
        if self.runs == 0 {
            return Err(("runs".into(), "expected at least 1 run".into()));
        }
        if self.timeout.is_some_and(|t| t.0.is_zero()) {
            return Err(("timeout".into(), "expected a timeout above zero".into()));
        }
        validate_criteria(&self.criteria, COMMAND_METRICS)
    }
}

/// Checks that every criterion names a known metric of a fitting dimension.
pub(crate) fn validate_criteria(
    criteria: &BTreeMap<String, Criterion>,
    known: &[(&str, Dimension)],
) -> Result<(), (String, String)> {
    for (metric, c) in criteria {
        let key = format!("criteria.\"{metric}\"");
        let Some((_, dim)) = known.iter().find(|(n, _)| n == metric) else {
            let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
            return Err((
                key,
                format!(
                    "unknown metric `{metric}`; expected one of {}",
                    names.join(", ")
                ),
            ));
        };
        if !c.fits(Some(*dim)) {
            return Err((
                key,
                format!("criterion `{c}` does not fit `{metric}`, which is {dim}"),
            ));
        }
    }
    Ok(())
}
