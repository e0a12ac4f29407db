//! Paired mode: turns a base commit and the checked-out head into two runs
//! measured on this machine in interleaved rounds: the base chosen (the
//! merge-base with a ref, or the pull request's base, fetched when a shallow
//! checkout lacks it) and checked out in a git worktree, both sides built
//! with `[compare] build`, then each command phase run once per side per
//! round in balanced order (A B, B A, A B, …), so slow drift of the machine
//! and first-run effects hit both sides alike; rounds are added while a
//! paired interval straddles a threshold, up to a budget.

use crate::config::{CommandLine, Config, PhaseConfig};
use crate::interrupt::Interrupt;
use crate::phase::command::{self, Samples};
use crate::phase::progress::Silent;
use crate::process::{self, Capture, Executor, Exit, Invocation, ProcessError, TimedExecutor};
use crate::results::{GitInfo, PhaseError, PhaseResult, Run};
use std::collections::BTreeMap;
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
    #[error("cannot build the {side}: the build command `{command}` failed in {dir} ({status}){}", tail.as_deref().map(|t| format!(":\n{t}")).unwrap_or_default())]
    Build {
        /// `base (1a2b3c4d5e6f)` or `head (…)`.
        side: String,
        command: String,
        dir: PathBuf,
        status: String,
        tail: Option<String>,
    },
    #[error("cannot fetch {what} from `origin`: {detail}")]
    Fetch { what: String, detail: String },
    #[error(
        "paired mode needs a base: pass `--base REF`, or name the base branch first in `[baseline] save_on`"
    )]
    NoBase,
    #[error("cannot run git: {0}")]
    Git(std::io::Error),
}

impl PairedError {
    /// 2 for a bad reference or a directory that is no repository (usage),
    /// 3 when git or the build failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            PairedError::NotARepository { .. }
            | PairedError::UnknownRef { .. }
            | PairedError::NoBase => 2,
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

/// What names the base, before it is resolved to a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseRequest {
    /// The merge-base of HEAD and this ref (`--base`, the first `save_on`
    /// branch, a push to another branch).
    MergeBase(String),
    /// A pull request or merge queue: HEAD's first parent when HEAD is the
    /// merge commit GitHub built, else the merge-base of HEAD and the event's
    /// base commit.
    Event { base_sha: Option<String> },
}

/// The base commit chosen, and how, for the log and the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    pub sha: String,
    /// `merge-base of HEAD and main`, `first parent of the merge commit`.
    pub how: String,
    /// The ref the base came from, for the base run's git block.
    pub reference: String,
}

/// The default branch as the store reads it: `origin`'s HEAD, else
/// `init.defaultBranch`, else `main`.
pub fn default_branch(repo: &Path) -> Result<String, PairedError> {
    if let Ok(b) = git(repo, &["symbolic-ref", "-q", "refs/remotes/origin/HEAD"])?
        && let Some(b) = b.strip_prefix("refs/remotes/origin/")
    {
        return Ok(b.to_owned());
    }
    Ok(git(repo, &["config", "init.defaultBranch"])?
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "main".into()))
}

/// HEAD's commit.
pub fn head_sha(repo: &Path) -> Result<String, PairedError> {
    git(repo, &["rev-parse", "--verify", "HEAD^{commit}"])?.map_err(|detail| {
        PairedError::UnknownRef {
            reference: "HEAD".into(),
            detail,
        }
    })
}

/// Resolves the base to a commit present in the repository, fetching from
/// `origin` what a shallow checkout lacks.
pub fn resolve_base(repo: &Path, request: &BaseRequest) -> Result<Base, PairedError> {
    match request {
        BaseRequest::MergeBase(reference) => {
            let found = present_ref(repo, reference)?;
            let sha = merge_base_deepening(repo, &found, reference)?;
            Ok(Base {
                sha,
                how: format!("merge-base of HEAD and {reference}"),
                reference: reference.clone(),
            })
        }
        BaseRequest::Event { base_sha } => {
            let parents = raw_parents(repo)?;
            if parents.len() >= 2 {
                // GitHub's merge commit: its first parent is the base branch
                // it was merged into, its diff from there is the pull request.
                ensure_commit(repo, &parents[0])?;
                return Ok(Base {
                    sha: parents[0].clone(),
                    how: "first parent of the merge commit".into(),
                    reference: parents[0].clone(),
                });
            }
            let Some(base_sha) = base_sha else {
                return Err(PairedError::NoBase);
            };
            check_ref_text(base_sha)?;
            ensure_commit(repo, base_sha)?;
            let sha = merge_base_deepening(repo, base_sha, base_sha)?;
            Ok(Base {
                sha,
                how: format!(
                    "merge-base of HEAD and the event's base {}",
                    crate::results::short_sha(base_sha, 12)
                ),
                reference: base_sha.clone(),
            })
        }
    }
}

fn check_ref_text(reference: &str) -> Result<(), PairedError> {
    if reference.starts_with('-') || reference.is_empty() {
        return Err(PairedError::UnknownRef {
            reference: reference.to_owned(),
            detail: "a reference cannot be empty or start with `-`".into(),
        });
    }
    Ok(())
}

/// HEAD's parents as its commit object records them (a shallow checkout
/// keeps them there even when it lacks the parents themselves).
fn raw_parents(repo: &Path) -> Result<Vec<String>, PairedError> {
    let text =
        git(repo, &["cat-file", "commit", "HEAD"])?.map_err(|detail| PairedError::UnknownRef {
            reference: "HEAD".into(),
            detail,
        })?;
    Ok(text
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("parent "))
        .map(|p| p.trim().to_owned())
        .collect())
}

fn has_commit(repo: &Path, rev: &str) -> Result<bool, PairedError> {
    Ok(git(repo, &["cat-file", "-e", &format!("{rev}^{{commit}}")])?.is_ok())
}

fn is_shallow(repo: &Path) -> Result<bool, PairedError> {
    Ok(git(repo, &["rev-parse", "--is-shallow-repository"])?.is_ok_and(|s| s == "true"))
}

/// Fetches a commit by its SHA when the repository lacks it; only one deep
/// in a shallow checkout, which the merge-base deepens as it needs.
fn ensure_commit(repo: &Path, sha: &str) -> Result<(), PairedError> {
    if has_commit(repo, sha)? {
        return Ok(());
    }
    let mut args = vec!["fetch", "--quiet", "--no-tags"];
    if is_shallow(repo)? {
        args.push("--depth=1");
    }
    args.extend(["origin", sha]);
    git(repo, &args)?.map_err(|detail| PairedError::Fetch {
        what: format!("commit {sha}"),
        detail,
    })?;
    Ok(())
}

/// A ref as given, else the remote's branch of that name, else fetched.
fn present_ref(repo: &Path, reference: &str) -> Result<String, PairedError> {
    check_ref_text(reference)?;
    if has_commit(repo, reference)? {
        return Ok(reference.to_owned());
    }
    let remote = format!("refs/remotes/origin/{reference}");
    if has_commit(repo, &remote)? {
        return Ok(remote);
    }
    let fetched = git(
        repo,
        &[
            "fetch",
            "--quiet",
            "--no-tags",
            "origin",
            &format!("+refs/heads/{reference}:{remote}"),
        ],
    )?;
    match fetched {
        Ok(_) if has_commit(repo, &remote)? => Ok(remote),
        Ok(_) => Err(PairedError::UnknownRef {
            reference: reference.to_owned(),
            detail: "no such commit here or on `origin`".into(),
        }),
        Err(detail) => Err(PairedError::UnknownRef {
            reference: reference.to_owned(),
            detail,
        }),
    }
}

/// The merge-base of HEAD and `rev`; in a shallow checkout, history is
/// fetched in full once when the merge-base lies beyond it.
fn merge_base_deepening(repo: &Path, rev: &str, named: &str) -> Result<String, PairedError> {
    match merge_base(repo, rev) {
        Ok(sha) => Ok(sha),
        Err(e) if is_shallow(repo)? => {
            git(
                repo,
                &["fetch", "--quiet", "--no-tags", "--unshallow", "origin"],
            )?
            .map_err(|detail| PairedError::Fetch {
                what: "the history the merge-base needs".into(),
                detail,
            })?;
            merge_base(repo, rev).map_err(|_| e)
        }
        Err(PairedError::UnknownRef { detail, .. }) => Err(PairedError::UnknownRef {
            reference: named.to_owned(),
            detail,
        }),
        Err(e) => Err(e),
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

/// Builds one side (`base` or `head`, at `sha`): runs the build command in
/// `dir`, stopped by an interrupt; a failure names the side and carries the
/// build's stderr tail.
pub fn build(
    side: &'static str,
    sha: &str,
    command: &CommandLine,
    dir: &Path,
    interrupt: &Interrupt,
) -> Result<(), PairedError> {
    let invocation = command::split(command).cwd(Some(dir.to_owned()));
    let fail = |status: String, tail: Option<String>| PairedError::Build {
        side: format!("{side} ({})", crate::results::short_sha(sha, 12)),
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
    /// Complete rounds per phase (a base and a head run each).
    pub rounds: Vec<(String, u32)>,
}

/// How far rounds are added while an interval straddles a threshold.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_rounds: u32,
    pub max_time: std::time::Duration,
}

/// The sides (0 base, 1 head) in the order round `round` runs them:
/// A B, B A, A B, B A … so that over each two rounds each side runs first
/// once, and drift or a first-run effect lands on both alike.
pub fn order(round: u32) -> [usize; 2] {
    if round.is_multiple_of(2) {
        [0, 1]
    } else {
        [1, 0]
    }
}

/// Runs the `selected` phases (all when empty) of both configurations in
/// rounds of one base and one head measurement in balanced order: command
/// phases one run per side per round (`runs` rounds), ingest phases with a
/// command the harness once per side per round (`INGEST_ROUNDS` rounds),
/// their benchmarks paired by name; then two more rounds at a time while
/// `policy` finds a paired interval straddling a threshold, within `budget`.
pub fn run_interleaved(
    base: &Config,
    head: &Config,
    selected: &[String],
    budget: Budget,
    policy: &crate::compare::Policy,
    interrupt: &Interrupt,
) -> PairedPhases {
    let mut out = PairedPhases {
        base: Vec::new(),
        head: Vec::new(),
        rounds: Vec::new(),
    };
    let dirs = [base.base_dir(), head.base_dir()];
    for (phase_b, phase_h) in base
        .phases
        .iter()
        .zip(&head.phases)
        .filter(|(_, h)| selected.is_empty() || selected.iter().any(|s| s == h.name()))
    {
        let (b, h, rounds) = match (phase_b, phase_h) {
            (PhaseConfig::Command(pb), PhaseConfig::Command(ph)) => {
                command_pairs([pb, ph], &dirs, budget, policy, interrupt)
            }
            (PhaseConfig::Ingest(pb), PhaseConfig::Ingest(ph))
                if pb.command.is_some() && ph.command.is_some() =>
            {
                let blocks = Blocks::of(phase_b, phase_h);
                block_pairs(&blocks, budget, policy, interrupt, |side| {
                    crate::phase::ingest::run([pb, ph][side], &dirs[side], interrupt)
                })
            }
            // Only a service started per side measures that side: a
            // monitored or external one would be the same on both.
            (PhaseConfig::Http(pb), PhaseConfig::Http(ph))
                if pb.service.is_some() && ph.service.is_some() =>
            {
                let blocks = Blocks::of(phase_b, phase_h);
                block_pairs(&blocks, budget, policy, interrupt, |side| {
                    crate::phase::http::run([pb, ph][side], &dirs[side], interrupt, &mut Silent)
                })
            }
            _ => {
                let failed = |p: &PhaseConfig| PhaseResult {
                    name: p.name().to_owned(),
                    kind: p.kind(),
                    errors: vec![PhaseError {
                        message: format!(
                            "paired mode runs command phases, http phases with a `service` and ingest phases with a `command`; `{}` is {} {} phase{}",
                            p.name(),
                            match p {
                                PhaseConfig::Http(_) | PhaseConfig::Ingest(_) => "an",
                                _ => "a",
                            },
                            p.kind(),
                            match p {
                                PhaseConfig::Ingest(_) => " without a `command`",
                                PhaseConfig::Http(_) =>
                                    " without a `service` (a monitored or external service is the same for both sides)",
                                _ => "",
                            }
                        ),
                        exit_code: None,
                        stderr_tail: None,
                    }],
                    metrics: Vec::new(),
                    criteria: p.criteria_text(),
                    series: Vec::new(),
                    load_started_at: None,
                };
                (failed(phase_b), failed(phase_h), 0)
            }
        };
        out.rounds.push((phase_h.name().to_owned(), rounds));
        out.base.push(b);
        out.head.push(h);
    }
    out
}

/// Rounds a paired ingest or http phase runs before any are added: enough
/// for the signed-rank test to reach p < 0.05 (at 6 pairs it can, barely).
pub const BLOCK_ROUNDS: u32 = 10;

/// Whether round `round` is the last one: `planned` rounds ran, and the
/// budget allows no more or nothing is undecided. Grows `planned` by two
/// (one round of each order) while the results straddle a threshold.
fn more_rounds(
    round: u32,
    planned: &mut u32,
    budget: Budget,
    started: std::time::Instant,
    policy: &crate::compare::Policy,
    results: impl FnOnce() -> (PhaseResult, PhaseResult),
) -> bool {
    if round < *planned {
        return true;
    }
    // "Unknown means more runs".
    let more = *planned + 2 <= budget.max_rounds && started.elapsed() < budget.max_time && {
        let (b, h) = results();
        crate::compare::paired::undecided(&b, &h, policy)
    };
    if more {
        *planned += 2;
    }
    more
}

fn command_pairs(
    phases: [&crate::config::CommandPhase; 2],
    dirs: &[PathBuf; 2],
    budget: Budget,
    policy: &crate::compare::Policy,
    interrupt: &Interrupt,
) -> (PhaseResult, PhaseResult, u32) {
    let mut samples = [Samples::default(), Samples::default()];
    let mut errors: [Vec<PhaseError>; 2] = [Vec::new(), Vec::new()];
    let mut executor = match TimedExecutor::new(interrupt.clone()) {
        Ok(e) => e,
        Err(e) => {
            for side in &mut errors {
                side.push(PhaseError {
                    message: format!("cannot prepare to run commands: {e}"),
                    exit_code: None,
                    stderr_tail: None,
                });
            }
            let [eb, eh] = errors;
            return (
                result_of(phases[0], &samples[0], eb),
                result_of(phases[1], &samples[1], eh),
                0,
            );
        }
    };
    let started = std::time::Instant::now();
    let mut planned = phases[1].runs;
    let mut round = 0;
    'rounds: while more_rounds(round, &mut planned, budget, started, policy, || {
        (
            result_of(phases[0], &samples[0], Vec::new()),
            result_of(phases[1], &samples[1], Vec::new()),
        )
    }) {
        for side in order(round) {
            if interrupt.is_set() {
                break 'rounds;
            }
            let mut one = phases[side].clone();
            one.runs = 1;
            one.min_time = None;
            one.cleanup = None;
            one.warmup = if samples[side].wall.is_empty() {
                phases[side].warmup
            } else {
                0
            };
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
        round += 1;
    }
    // Pairs stay pairs: a round cut short on one side drops the other's run.
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
    let [eb, eh] = errors;
    (
        result_of(phases[0], &samples[0], eb),
        result_of(phases[1], &samples[1], eh),
        u32::try_from(n).unwrap_or(u32::MAX),
    )
}

/// One side's benchmarks: each name's metric as first seen, and its value
/// in each round so far (`None` in a round that did not report it).
type Benchmarks = std::collections::BTreeMap<String, (crate::results::Metric, Vec<Option<f64>>)>;

/// A phase measured in blocks (an ingest harness run, an http load block):
/// its name, kind and each side's criteria.
struct Blocks {
    name: String,
    kind: crate::results::PhaseKind,
    criteria: [BTreeMap<String, String>; 2],
}

impl Blocks {
    fn of(base: &PhaseConfig, head: &PhaseConfig) -> Blocks {
        Blocks {
            name: head.name().to_owned(),
            kind: head.kind(),
            criteria: [base.criteria_text(), head.criteria_text()],
        }
    }
}

/// Rounds of one block per side in balanced order, `run` measuring side 0
/// (base) or 1 (head) once; each metric's value per block becomes one
/// sample, paired with the other side's by metric name and round.
fn block_pairs(
    blocks: &Blocks,
    budget: Budget,
    policy: &crate::compare::Policy,
    interrupt: &Interrupt,
    mut run: impl FnMut(usize) -> PhaseResult,
) -> (PhaseResult, PhaseResult, u32) {
    let mut seen: [Benchmarks; 2] = [Benchmarks::new(), Benchmarks::new()];
    let mut errors: [Vec<PhaseError>; 2] = [Vec::new(), Vec::new()];
    let started = std::time::Instant::now();
    let mut planned = BLOCK_ROUNDS;
    let mut round = 0;
    let mut complete = 0;
    'rounds: while more_rounds(round, &mut planned, budget, started, policy, || {
        let [b, h] = paired_benchmarks(blocks, &seen, [Vec::new(), Vec::new()]);
        (b, h)
    }) {
        for side in order(round) {
            if interrupt.is_set() {
                break 'rounds;
            }
            let r = run(side);
            if !r.errors.is_empty() {
                errors[side].extend(r.errors);
                break 'rounds;
            }
            for m in r.metrics {
                let value = m.value;
                let values = &mut seen[side]
                    .entry(m.name.clone())
                    .or_insert_with(|| (m, Vec::new()))
                    .1;
                values.resize(round as usize, None);
                values.push(Some(value));
            }
        }
        round += 1;
        complete = round;
    }
    // A round cut short leaves one side a value ahead: pairs stay pairs.
    for side in &mut seen {
        for (_, values) in side.values_mut() {
            values.truncate(complete as usize);
        }
    }
    let [b, h] = paired_benchmarks(blocks, &seen, errors);
    (b, h, complete)
}

/// Both sides' results: each benchmark's per-round values as its samples,
/// their median its value. A benchmark seen in some rounds only keeps the
/// rounds it has on both sides, so sample i of each side is from the same
/// round; one seen on one side only stays unpaired (new or missing).
fn paired_benchmarks(
    blocks: &Blocks,
    seen: &[Benchmarks; 2],
    errors: [Vec<PhaseError>; 2],
) -> [PhaseResult; 2] {
    let mut out = errors.map(|e| PhaseResult {
        errors: e,
        ..PhaseResult::new(&blocks.name, blocks.kind, BTreeMap::new())
    });
    for side in 0..2 {
        out[side].criteria = blocks.criteria[side].clone();
        for (name, (template, values)) in &seen[side] {
            // Round i of one side pairs with round i of the other.
            let other = seen[1 - side].get(name).map(|(_, v)| v);
            let samples: Vec<f64> = values
                .iter()
                .enumerate()
                .filter(|(i, _)| other.is_none_or(|o| o.get(*i).copied().flatten().is_some()))
                .filter_map(|(_, v)| *v)
                .collect();
            let Some(value) = crate::stats::summary::median(&samples) else {
                continue;
            };
            out[side].metrics.push(crate::results::Metric {
                value,
                samples,
                samples_of: None,
                outliers: None,
                histogram: None,
                count: None,
                total: None,
                ..template.clone()
            });
        }
    }
    out
}

fn result_of(
    phase: &crate::config::CommandPhase,
    samples: &Samples,
    errors: Vec<PhaseError>,
) -> PhaseResult {
    PhaseResult {
        name: phase.name.clone(),
        kind: crate::results::PhaseKind::Command,
        errors,
        metrics: command::metrics(samples),
        criteria: phase
            .criteria
            .iter()
            .map(|(k, c)| (k.clone(), c.text.clone()))
            .collect(),
        series: Vec::new(),
        load_started_at: None,
    }
}

/// `rerun`'s phases with the pairs measured `first` in front of their own:
/// what a paired confirmation judges. A rerun is as noisy as the run it
/// checks; judged alone, a real change near a threshold would be dropped
/// about as often as the first run found it, and judged together the two
/// keep each other's pairs (sample i of base and head still from one round).
/// Phases or metrics that `first` lacks, or whose samples do not pair, are
/// the rerun's alone.
pub fn pooled(first: &Run, rerun: &Run) -> Run {
    let mut out = rerun.clone();
    for phase in &mut out.phases {
        let Some(before) = first.phase(&phase.name) else {
            continue;
        };
        let earlier = |name: &str| {
            before
                .metric(name)
                .filter(|m| m.samples_of.is_none() && !m.samples.is_empty())
                .map(|m| m.samples.clone())
        };
        if phase.kind == crate::results::PhaseKind::Command {
            // Every command metric derives from the four sample lists.
            let both = |name: &str| -> Option<Vec<f64>> {
                let mut all = earlier(name)?;
                all.extend(&phase.metric(name)?.samples);
                Some(all)
            };
            if let (Some(wall), Some(user), Some(sys), Some(rss)) =
                (both("wall"), both("user"), both("sys"), both("memory.peak"))
            {
                phase.metrics = command::metrics(&Samples {
                    wall,
                    user,
                    sys,
                    rss,
                });
            }
            continue;
        }
        for metric in &mut phase.metrics {
            if metric.samples_of.is_some() || metric.samples.is_empty() {
                continue;
            }
            if let Some(mut all) = earlier(&metric.name) {
                all.extend(&metric.samples);
                if let Some(value) = crate::stats::summary::median(&all) {
                    metric.value = value;
                    metric.samples = all;
                }
            }
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::{Benchmarks, Blocks, order, paired_benchmarks};
    use crate::metrics::Unit;
    use crate::results::{Direction, Metric, PhaseKind};

    #[test]
    fn a_metric_missing_from_some_blocks_pairs_round_with_round() {
        let metric = Metric::new("errors.connect", Unit::Count, Direction::Lower, 0.0);
        let side = |values: Vec<Option<f64>>| -> Benchmarks {
            [("errors.connect".to_owned(), (metric.clone(), values))].into()
        };
        // The base reported it in rounds 0, 1 and 2; the head in 1 and 3.
        let seen = [
            side(vec![Some(1.0), Some(2.0), Some(3.0)]),
            side(vec![None, Some(20.0), None, Some(40.0)]),
        ];
        let blocks = Blocks {
            name: "api".into(),
            kind: PhaseKind::Http,
            criteria: Default::default(),
        };
        let [b, h] = paired_benchmarks(&blocks, &seen, [Vec::new(), Vec::new()]);
        assert_eq!(b.metrics[0].samples, [2.0]);
        assert_eq!(h.metrics[0].samples, [20.0]);
    }

    #[test]
    fn a_confirmation_judges_the_first_pairs_and_the_reruns_together() {
        use crate::phase::command::{Samples, metrics};
        use crate::results::PhaseResult;
        let run = |wall: Vec<f64>, block: Vec<f64>| {
            crate::results::test_run(vec![
                PhaseResult {
                    metrics: metrics(&Samples {
                        user: wall.clone(),
                        sys: vec![0.0; wall.len()],
                        rss: vec![1e6; wall.len()],
                        wall,
                    }),
                    ..PhaseResult::new("cmd", PhaseKind::Command, Default::default())
                },
                PhaseResult {
                    metrics: vec![Metric {
                        value: crate::stats::summary::median(&block).unwrap(),
                        samples: block,
                        ..Metric::new("latency.p50", Unit::Ns, Direction::Lower, 0.0)
                    }],
                    ..PhaseResult::new("api", PhaseKind::Http, Default::default())
                },
            ])
        };
        let first = run(vec![10.0, 11.0, 12.0], vec![5.0, 6.0]);
        let rerun = run(vec![20.0, 21.0], vec![7.0, 8.0, 9.0]);
        let pooled = super::pooled(&first, &rerun);
        let cmd = pooled.phase("cmd").unwrap();
        assert_eq!(
            cmd.metric("wall").unwrap().samples,
            [10.0, 11.0, 12.0, 20.0, 21.0]
        );
        assert_eq!(cmd.metric("wall").unwrap().value, 12.0);
        assert_eq!(cmd.metric("user").unwrap().samples.len(), 5);
        // Derived metrics follow the pooled samples.
        assert!((cmd.metric("wall.mean").unwrap().value - 14.8).abs() < 1e-9);
        let api = pooled.phase("api").unwrap().metric("latency.p50").unwrap();
        assert_eq!(api.samples, [5.0, 6.0, 7.0, 8.0, 9.0]);
        assert_eq!(api.value, 7.0);
        // A phase the first run lacks is the rerun's alone.
        let only = run(vec![1.0, 2.0], vec![3.0]);
        let mut lacking = first.clone();
        lacking.phases.retain(|p| p.name != "api");
        let pooled = super::pooled(&lacking, &only);
        assert_eq!(
            pooled
                .phase("api")
                .unwrap()
                .metric("latency.p50")
                .unwrap()
                .samples,
            [3.0]
        );
    }

    #[test]
    fn each_two_rounds_run_each_side_first_once() {
        let sides: Vec<usize> = (0..4).flat_map(order).collect();
        assert_eq!(sides, [0, 1, 1, 0, 0, 1, 1, 0]);
    }
}
