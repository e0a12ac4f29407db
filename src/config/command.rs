//! Command phases: turns a `kind = "command"` table into a [`CommandPhase`],
//! and a written command into a [`CommandLine`] (argv or `sh -c` string).
//! Also checks a phase's criteria against the metrics it reports, for every
//! kind of phase.

use super::criterion::Criterion;
use crate::metrics::Dimension;
use crate::metrics::units::Duration;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

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
    pub(super) fn validate(&self) -> Result<(), (String, String)> {
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
