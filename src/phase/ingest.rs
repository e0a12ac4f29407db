//! Ingest phases: turn a `kind = "ingest"` plan into metrics by running its
//! command (if any) and reading the harness's output: the listed files,
//! directories and globs, or else the command's standard output.

use crate::config::{CommandLine, IngestPhase, criteria_text};
use crate::ingest::{self, IngestError, Ingested};
use crate::interrupt::Interrupt;
use crate::results::{PhaseError, PhaseKind, PhaseResult};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    let (program, args) = match command {
        CommandLine::Argv(argv) => (argv[0].clone(), argv[1..].to_vec()),
        CommandLine::Shell(s) => ("sh".to_owned(), vec!["-c".to_owned(), s.clone()]),
    };
    // Output goes to unlinked temporary files, so a chatty harness never
    // blocks on a full pipe.
    let mut out =
        scratch_file().map_err(|e| fail(format!("cannot create a temporary file: {e}")))?;
    let mut err =
        scratch_file().map_err(|e| fail(format!("cannot create a temporary file: {e}")))?;
    let mut cmd = Command::new(&program);
    cmd.args(&args)
        .envs(&phase.env)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().map_err(|e| fail(e.to_string()))?)
        .stderr(err.try_clone().map_err(|e| fail(e.to_string()))?)
        .process_group(0);
    let mut child = cmd.spawn().map_err(|e| {
        fail(format!(
            "cannot start `{command}` in {}: {e}",
            dir.display()
        ))
    })?;
    let deadline = phase.timeout.map(|t| Instant::now() + t.0);
    let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(fail(format!("cannot wait for `{command}`: {e}"))),
        }
        let why = if interrupt.is_set() {
            Some("interrupted")
        } else if deadline.is_some_and(|d| Instant::now() >= d) {
            Some("timed out")
        } else {
            None
        };
        if let Some(why) = why {
            // SAFETY: kill(2) on our own child's process group.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            let _ = child.wait();
            return Err(PhaseError {
                message: format!("`{command}` {why}; its whole process group was killed"),
                exit_code: None,
                stderr_tail: tail(&mut err),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if !status.success() {
        let what = match (status.code(), status.signal()) {
            (Some(c), _) => format!("exited with code {c}"),
            (None, Some(s)) => format!("was killed by signal {s}"),
            _ => "failed".into(),
        };
        return Err(PhaseError {
            message: format!("`{command}` {what}"),
            exit_code: status.code(),
            stderr_tail: tail(&mut err),
        });
    }
    out.seek(SeekFrom::Start(0))
        .map_err(|e| fail(format!("cannot read the output of `{command}`: {e}")))?;
    ingest::bounded_text(&mut out, Path::new("standard output"))
        .map_err(|e| fail(format!("`{command}`: {e}")))
}

fn scratch_file() -> std::io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!(
        "perfguard-ingest-{}-{:?}-{}",
        std::process::id(),
        std::thread::current().id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let file = std::fs::OpenOptions::new()
        .create_new(true)
        .read(true)
        .write(true)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

/// The last 20 lines (at most 4 KiB) of a captured stream.
fn tail(file: &mut std::fs::File) -> Option<String> {
    let len = file.seek(SeekFrom::End(0)).ok()?;
    file.seek(SeekFrom::Start(len.saturating_sub(4096))).ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(20);
    let tail = lines[start..].join("\n");
    (!tail.trim().is_empty()).then_some(tail)
}
