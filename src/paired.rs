//! Paired mode: turns a base ref and the checked-out head into two runs
//! measured on this machine in interleaved rounds (A B A B): the merge-base
//! checked out in a git worktree, both sides built with `[compare] build`,
//! then each command phase run once per side per round, so slow drift of
//! the machine hits both sides alike.

use crate::config::{CommandLine, Config, PhaseConfig};
use crate::interrupt::Interrupt;
use crate::phase::command::{self, Samples};
use crate::phase::progress::Silent;
use crate::process::{self, Capture, Executor, Exit, Invocation, ProcessError, TimedExecutor};
use crate::results::{GitInfo, PhaseError, PhaseResult};
use std::io::Read;
use std::path::{Path, PathBuf};

/// What stops paired mode before it measures.
#[derive(Debug, thiserror::Error)]
pub enum PairedError {
    #[error("paired mode needs a git repository: {dir} is not inside one ({detail})")]
    NotARepository { dir: PathBuf, detail: String },
    #[error("`{reference}` does not name a commit that shares history with HEAD: {detail}")]
    UnknownRef { reference: String, detail: String },
    #[error("cannot create a worktree of {sha} at {path}: {detail}")]
    Worktree {
        sha: String,
        path: PathBuf,
        detail: String,
    },
    #[error("the build command `{command}` failed in {dir} ({status}){}", tail.as_deref().map(|t| format!(":\n{t}")).unwrap_or_default())]
    Build {
        command: String,
        dir: PathBuf,
        status: String,
        tail: Option<String>,
    },
    #[error("cannot run git: {0}")]
    Git(std::io::Error),
}

impl PairedError {
    /// 2 for a bad reference or a directory that is no repository (usage),
    /// 3 when git or the build failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            PairedError::NotARepository { .. } | PairedError::UnknownRef { .. } => 2,
            _ => 3,
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<Result<String, String>, PairedError> {
    let mut words = vec!["git".to_owned(), "-C".to_owned()];
    words.push(dir.to_string_lossy().into_owned());
    words.extend(args.iter().map(|a| (*a).to_owned()));
    let finished = process::run(
        &Invocation::argv(&words),
        Capture::Output,
        None,
        &Interrupt::never(),
    )
    .map_err(|e| match e {
        ProcessError::Start { error, .. } => PairedError::Git(error),
        other => PairedError::Git(std::io::Error::other(other.to_string())),
    })?;
    if !finished.exit.success() {
        return Ok(Err(finished
            .stderr_tail
            .unwrap_or_default()
            .trim()
            .to_owned()));
    }
    let mut text = String::new();
    if let Some(mut out) = finished.stdout {
        out.read_to_string(&mut text).map_err(PairedError::Git)?;
    }
    Ok(Ok(text.trim().to_owned()))
}

/// The repository's top directory, for `dir` inside it.
pub fn repository_root(dir: &Path) -> Result<PathBuf, PairedError> {
    match git(dir, &["rev-parse", "--show-toplevel"])? {
        Ok(top) => Ok(PathBuf::from(top)),
        Err(detail) => Err(PairedError::NotARepository {
            dir: dir.to_owned(),
            detail,
        }),
    }
}

/// The merge-base of HEAD and `reference`.
pub fn merge_base(repo: &Path, reference: &str) -> Result<String, PairedError> {
    if reference.starts_with('-') {
        return Err(PairedError::UnknownRef {
            reference: reference.to_owned(),
            detail: "a reference cannot start with `-`".into(),
        });
    }
    match git(repo, &["merge-base", "HEAD", reference])? {
        Ok(sha) if !sha.is_empty() => Ok(sha),
        Ok(_) => Err(PairedError::UnknownRef {
            reference: reference.to_owned(),
            detail: "no merge-base".into(),
        }),
        Err(detail) => Err(PairedError::UnknownRef {
            reference: reference.to_owned(),
            detail,
        }),
    }
}

/// A detached worktree of one commit, removed when dropped.
pub struct Worktree {
    repo: PathBuf,
    pub path: PathBuf,
    pub sha: String,
    /// The directory the worktree lives in: created fresh under an
    /// unpredictable name, so nothing planted in the temporary directory is
    /// checked out into or removed.
    _dir: tempfile::TempDir,
}

impl Worktree {
    /// Checks `sha` out in a new directory under the system's temp dir.
    pub fn add(repo: &Path, sha: &str) -> Result<Worktree, PairedError> {
        let prefix = format!("perfguard-base-{}-", crate::results::short_sha(sha, 12));
        let dir = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir()
            .map_err(|e| PairedError::Worktree {
                sha: sha.to_owned(),
                path: std::env::temp_dir(),
                detail: e.to_string(),
            })?;
        let path = dir.path().join("checkout");
        let path_text = path.to_string_lossy().into_owned();
        match git(repo, &["worktree", "add", "--detach", &path_text, sha])? {
            Ok(_) => Ok(Worktree {
                repo: repo.to_owned(),
                path,
                sha: sha.to_owned(),
                _dir: dir,
            }),
            Err(detail) => Err(PairedError::Worktree {
                sha: sha.to_owned(),
                path,
                detail,
            }),
        }
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let path = self.path.to_string_lossy().into_owned();
        let _ = git(&self.repo, &["worktree", "remove", "--force", &path]);
        let _ = git(&self.repo, &["worktree", "prune"]);
    }
}

/// Runs the build command in `dir`, stopped by an interrupt; a failure
/// carries its stderr tail.
pub fn build(command: &CommandLine, dir: &Path, interrupt: &Interrupt) -> Result<(), PairedError> {
    let invocation = command::split(command).cwd(Some(dir.to_owned()));
    let fail = |status: String, tail: Option<String>| PairedError::Build {
        command: command.to_string(),
        dir: dir.to_owned(),
        status,
        tail,
    };
    let finished = process::run(&invocation, Capture::Tail, None, interrupt).map_err(|e| {
        let message = match e {
            ProcessError::Start { error, .. } => error.to_string(),
            other => other.to_string(),
        };
        fail(message, None)
    })?;
    let status = match finished.exit {
        Exit::Code(0) => return Ok(()),
        Exit::Code(c) => format!("exit status: {c}"),
        Exit::Signal(s) => format!("signal: {s}"),
        Exit::TimedOut => "timed out".into(),
        Exit::Interrupted => "interrupted".into(),
    };
    Err(fail(status, finished.stderr_tail))
}

/// The head's configuration re-rooted in `checkout`: same phases, with
/// relative commands and directories resolved inside the other checkout.
pub fn rerooted(config: &Config, repo: &Path, checkout: &Path) -> Config {
    let mut c = config.clone();
    let absolute = std::fs::canonicalize(&config.path).unwrap_or_else(|_| config.path.clone());
    let repo = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_owned());
    if let Ok(rel) = absolute.strip_prefix(&repo) {
        c.path = checkout.join(rel);
    }
    c
}

/// Base and head phase results from interleaved rounds.
pub struct PairedPhases {
    pub base: Vec<PhaseResult>,
    pub head: Vec<PhaseResult>,
}

/// Runs the `selected` phases (all when empty) of both configurations in
/// rounds: per phase, `runs` rounds of one base run then one head run; the
/// first round of each side is preceded by its warm-up runs; `cleanup` runs
/// once per side at the end.
pub fn run_interleaved(
    base: &Config,
    head: &Config,
    selected: &[String],
    interrupt: &Interrupt,
) -> PairedPhases {
    let mut out = PairedPhases {
        base: Vec::new(),
        head: Vec::new(),
    };
    for (phase_b, phase_h) in base
        .phases
        .iter()
        .zip(&head.phases)
        .filter(|(_, h)| selected.is_empty() || selected.iter().any(|s| s == h.name()))
    {
        let (Some(pb), Some(ph)) = (command_phase(phase_b), command_phase(phase_h)) else {
            for (list, p) in [(&mut out.base, phase_b), (&mut out.head, phase_h)] {
                list.push(PhaseResult {
                    name: p.name().to_owned(),
                    kind: p.kind(),
                    errors: vec![PhaseError {
                        message: format!(
                            "paired mode runs command phases; `{}` is a {} phase",
                            p.name(),
                            p.kind()
                        ),
                        exit_code: None,
                        stderr_tail: None,
                    }],
                    metrics: Vec::new(),
                    criteria: p.criteria_text(),
                    series: Vec::new(),
                });
            }
            continue;
        };
        let dirs = [base.base_dir(), head.base_dir()];
        let phases = [pb, ph];
        let mut samples = [Samples::default(), Samples::default()];
        let mut errors: [Vec<PhaseError>; 2] = [Vec::new(), Vec::new()];
        let executor = TimedExecutor::new(interrupt.clone());
        let mut executor = match executor {
            Ok(e) => e,
            Err(e) => {
                for side in &mut errors {
                    side.push(PhaseError {
                        message: format!("cannot prepare to run commands: {e}"),
                        exit_code: None,
                        stderr_tail: None,
                    });
                }
                push(&mut out, phases, &samples, errors);
                continue;
            }
        };
        'rounds: for round in 0..ph.runs {
            for side in 0..2 {
                if interrupt.is_set() {
                    break 'rounds;
                }
                let mut one = phases[side].clone();
                one.runs = 1;
                one.min_time = None;
                one.cleanup = None;
                one.warmup = if round == 0 { phases[side].warmup } else { 0 };
                let r = command::run(&one, &dirs[side], &mut executor, interrupt, &mut Silent);
                if !r.errors.is_empty() {
                    errors[side].extend(r.errors);
                    break 'rounds;
                }
                let first = |name: &str| {
                    r.metric(name)
                        .and_then(|m| m.samples.first().copied())
                        .unwrap_or(0.0)
                };
                samples[side].wall.push(first("wall"));
                samples[side].user.push(first("user"));
                samples[side].sys.push(first("sys"));
                samples[side].rss.push(first("memory.peak"));
            }
        }
        // Pairs stay pairs: a round cut short on the head side drops its base run.
        let n = samples[0].wall.len().min(samples[1].wall.len());
        for s in &mut samples {
            s.wall.truncate(n);
            s.user.truncate(n);
            s.sys.truncate(n);
            s.rss.truncate(n);
        }
        for side in 0..2 {
            if let Some(cleanup) = &phases[side].cleanup {
                let inv = command::invocation(cleanup, phases[side], &dirs[side]);
                match executor.execute(&inv, None) {
                    Ok(o) if o.exit == Exit::Code(0) => {}
                    Ok(o) => errors[side].push(PhaseError {
                        message: format!("cleanup command failed ({:?})", o.exit),
                        exit_code: None,
                        stderr_tail: o.stderr_tail,
                    }),
                    Err(e) => errors[side].push(PhaseError {
                        message: format!("cleanup command: {e}"),
                        exit_code: None,
                        stderr_tail: None,
                    }),
                }
            }
        }
        push(&mut out, phases, &samples, errors);
    }
    out
}

/// The command phase inside `p`, if it is one.
#[allow(
    unreachable_patterns,
    reason = "phase kinds other than command are added on other branches"
)]
fn command_phase(p: &PhaseConfig) -> Option<&crate::config::CommandPhase> {
    match p {
        PhaseConfig::Command(c) => Some(c),
        _ => None,
    }
}

fn push(
    out: &mut PairedPhases,
    phases: [&crate::config::CommandPhase; 2],
    samples: &[Samples; 2],
    errors: [Vec<PhaseError>; 2],
) {
    for (side, errors) in errors.into_iter().enumerate() {
        let result = PhaseResult {
            name: phases[side].name.clone(),
            kind: crate::results::PhaseKind::Command,
            errors,
            metrics: command::metrics(&samples[side]),
            criteria: phases[side]
                .criteria
                .iter()
                .map(|(k, c)| (k.clone(), c.text.clone()))
                .collect(),
            series: Vec::new(),
        };
        if side == 0 {
            out.base.push(result);
        } else {
            out.head.push(result);
        }
    }
}

/// The base side's git block: the merge-base and the ref it came from.
pub fn base_git(sha: &str, reference: &str) -> GitInfo {
    GitInfo {
        sha: sha.to_owned(),
        ref_name: Some(reference.to_owned()),
        base_sha: None,
        pr: None,
    }
}
