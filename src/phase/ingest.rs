//! Ingest phases: turn a `kind = "ingest"` plan into metrics by running its
//! command (if any) and reading the harness's output: the listed files,
//! directories and globs, or else the command's standard output.

use crate::config::{CommandLine, IngestPhase, criteria_text};
use crate::ingest::{self, IngestError, Ingested};
use crate::interrupt::Interrupt;
use crate::phase::command::split;
use crate::process::{self, Capture, Exit, ProcessError};
use crate::results::{PhaseError, PhaseKind, PhaseResult};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Runs an ingest phase. Never fails as a whole: what went wrong lands in
/// the result's `errors`.
pub fn run(phase: &IngestPhase, base_dir: &Path, interrupt: &Interrupt) -> PhaseResult {
    let mut result = PhaseResult::new(
        &phase.name,
        PhaseKind::Ingest,
        criteria_text(&phase.criteria),
    );
    let dir = match &phase.cwd {
        Some(c) => base_dir.join(c),
        None => base_dir.to_owned(),
    };
    let stdout = match &phase.command {
        Some(command) => match execute(command, phase, &dir, interrupt) {
            Ok(out) => Some(out),
            Err(e) => {
                result.errors.push(e);
                return result;
            }
        },
        None => None,
    };
    let inputs = match (stdout, phase.files.is_empty()) {
        (Some(text), true) => {
            let origin = PathBuf::from(format!(
                "the standard output of `{}`",
                phase
                    .command
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ));
            ingest::parse_named(&text, phase.format, &origin).map(|i| vec![i])
        }
        _ => read_files(&phase.files, &dir, phase.format),
    };
    match inputs.and_then(|inputs| ingest::join(&inputs)) {
        Ok(metrics) => result.metrics = metrics,
        Err(e) => result.errors.push(PhaseError {
            message: e.to_string(),
            exit_code: None,
            stderr_tail: None,
        }),
    }
    result
}

/// Reads every listed path; a pattern with `*`, `?` or `[` is a glob that
/// must match at least one path.
pub fn read_files(
    files: &[String],
    dir: &Path,
    format: Option<ingest::Format>,
) -> Result<Vec<Ingested>, IngestError> {
    let mut inputs = Vec::new();
    for pattern in files {
        let full = dir.join(pattern);
        if !pattern.contains(['*', '?', '[']) {
            inputs.push(ingest::read_path(&full, format)?);
            continue;
        }
        let not_found = |message: String| IngestError::Read {
            path: full.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, message),
        };
        let paths = glob::glob(&full.to_string_lossy())
            .map_err(|e| not_found(format!("not a valid glob pattern: {e}")))?;
        let mut matched: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
        if matched.is_empty() {
            return Err(not_found("no file matches this pattern".into()));
        }
        matched.sort();
        for path in matched {
            inputs.push(ingest::read_path(&path, format)?);
        }
    }
    Ok(inputs)
}

/// Runs the phase's command to completion, returning its standard output.
fn execute(
    command: &CommandLine,
    phase: &IngestPhase,
    dir: &Path,
    interrupt: &Interrupt,
) -> Result<String, PhaseError> {
    let fail = |message: String| PhaseError {
        message,
        exit_code: None,
        stderr_tail: None,
    };
    let invocation = split(command).env(&phase.env).cwd(Some(dir.to_owned()));
    // Output goes to unlinked temporary files, so a chatty harness never
    // blocks on a full pipe.
    let child = process::spawn(&invocation, Capture::Output).map_err(|e| match e {
        ProcessError::Start { error, .. } => fail(format!(
            "cannot start `{command}` in {}: {error}",
            dir.display()
        )),
        other => fail(other.to_string()),
    })?;
    let deadline = phase.timeout.map(|t| Instant::now() + t.0);
    let finished = child
        .wait(deadline, interrupt)
        .map_err(|e| fail(e.to_string()))?;
    let what = match finished.exit {
        Exit::Code(0) => None,
        Exit::Code(c) => Some(format!("exited with code {c}")),
        Exit::Signal(s) => Some(format!("was killed by signal {s}")),
        Exit::TimedOut => Some("timed out; its whole process group was killed".into()),
        Exit::Interrupted => Some("interrupted; its whole process group was killed".into()),
    };
    if let Some(what) = what {
        return Err(PhaseError {
            message: format!("`{command}` {what}"),
            exit_code: match finished.exit {
                Exit::Code(c) => Some(c),
                _ => None,
            },
            stderr_tail: finished.stderr_tail,
        });
    }
    let mut out = finished
        .stdout
        .ok_or_else(|| fail(format!("cannot read the output of `{command}`")))?;
    ingest::bounded_text(&mut out, Path::new("standard output"))
        .map_err(|e| fail(format!("`{command}`: {e}")))
}
