//! Ingest phase configuration: turns a `kind = "ingest"` table into an
//! [`IngestPhase`]: an optional command to run, then the files (or the
//! command's standard output) to read in another harness's format.

use super::command::CommandLine;
use super::criterion::Criterion;
use crate::ingest::Format;
use crate::metrics::units::Duration;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `kind = "ingest"`: results of another benchmark harness.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestPhase {
    /// The phase's name, unique in the suite.
    pub name: String,
    /// Run this first (`cargo bench`, `go test -bench .`); without `files`,
    /// its standard output is what is read.
    pub command: Option<CommandLine>,
    /// Run `command` through `sh -c` (it must then be a string).
    #[serde(default)]
    pub shell: bool,
    /// The harness's format; detected from each input when omitted.
    pub format: Option<Format>,
    /// Files, directories (criterion's `target/criterion`) or glob patterns
    /// to read, relative to `cwd`.
    #[serde(default)]
    pub files: Vec<String>,
    /// Kill the command's whole process group when it runs longer.
    pub timeout: Option<Duration>,
    /// Extra environment variables for the command.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory of the command and base of `files`, relative to the
    /// configuration file.
    pub cwd: Option<PathBuf>,
    /// Absolute gates, metric (the harness's benchmark name) → `"< 50ms"`.
    #[serde(default)]
    pub criteria: BTreeMap<String, Criterion>,
}

impl IngestPhase {
    pub(super) fn validate(&self) -> Result<(), (String, String)> {
        if self.command.is_none() && self.files.is_empty() {
            return Err((
                "files".into(),
                "an ingest phase needs `files` to read, a `command` whose output to read, or both"
                    .into(),
            ));
        }
        match (&self.command, self.shell) {
            (Some(CommandLine::Shell(_)), false) => {
                return Err((
                    "command".into(),
                    "a command string runs through a shell: set `shell = true`, or give an argument array such as [\"cargo\", \"bench\"]".into(),
                ));
            }
            (Some(CommandLine::Argv(_)), true) => {
                return Err((
                    "command".into(),
                    "`shell = true` takes the command as one string".into(),
                ));
            }
            (None, true) => {
                return Err(("shell".into(), "`shell = true` needs a `command`".into()));
            }
            _ => {}
        }
        if let Some((i, _)) = self
            .files
            .iter()
            .enumerate()
            .find(|(_, f)| f.trim().is_empty())
        {
            return Err((format!("files[{i}]"), "an empty path".into()));
        }
        if self.timeout.is_some_and(|t| t.0.is_zero()) {
            return Err(("timeout".into(), "expected a timeout above zero".into()));
        }
        Ok(())
    }
}
