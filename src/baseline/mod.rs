//! Baselines: turns saved runs on a git branch (or in a local directory) into
//! a history per suite and environment, and the one run a comparison uses.
//!
//! Layout, the same in every store:
//!
//! ```text
//! <suite>/<environment>/runs/<UTC timestamp>-<short sha>[-<n>].json
//! <suite>/<environment>/latest.json
//! ```
//!
//! The API others build on:
//! - [`Store`]: where runs live ([`git::GitStore`] on a branch,
//!   [`dir::DirStore`] in a directory). Call [`Store::refresh`] once, then read.
//! - [`history`]: the last `limit` runs of a suite and environment, oldest
//!   first (sparklines, noise bands, change points), corrupt files skipped
//!   and reported in [`History::skipped`].
//! - [`select`]: the baseline for a comparison and why it was chosen.
//! - [`Store::save`] / [`Store::prune`]: write a run / bound the history.
//! - [`Store::import`]: write many runs at once (history from elsewhere),
//!   skipping those already there.

pub mod dir;
pub mod git;
pub mod import;
pub mod listing;
pub mod save;
pub mod timeouts;

pub use save::{SaveDecision, SavePolicy, saves_on};

use crate::results::{ResultsError, Run};
use std::collections::HashSet;
use std::path::Path;

/// Why the baseline store failed.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{context}: {message}")]
    Git { context: String, message: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A saved run written by a newer perfguard: reading on would misjudge it.
    #[error("baseline {path} in commit {commit}: {source}")]
    NewerSchema {
        path: String,
        commit: String,
        #[source]
        source: ResultsError,
    },
    #[error("{0}")]
    NotFound(String),
    #[error(
        "could not save to {target} after {attempts} attempts: other jobs kept saving first; run again"
    )]
    Contended { target: String, attempts: u32 },
    /// Saving would move a branch that a working tree has checked out.
    #[error(
        "branch `{branch}` is checked out in {worktree}: saving would move it under that working tree; check out another branch there, or set [baseline] branch to a branch nobody checks out"
    )]
    CheckedOut { branch: String, worktree: String },
    /// Two suite names (or environment keys) that map to one directory.
    #[error(
        "{kind} `{ours}` and {kind} `{theirs}` share the baseline directory {dir}/ and would use and prune each other's runs: rename one of them"
    )]
    Collision {
        kind: &'static str,
        ours: String,
        theirs: String,
        dir: String,
    },
}

impl BaselineError {
    /// 2 when the input is at fault (newer schema, unknown run), 3 when the
    /// repository, remote or disk failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            BaselineError::NewerSchema { .. }
            | BaselineError::NotFound(_)
            | BaselineError::CheckedOut { .. }
            | BaselineError::Collision { .. } => 2,
            _ => 3,
        }
    }
}

/// One run file in a store, before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path inside the store (`api/linux-x86_64/runs/20261121T120000Z-1a2b3c4.json`).
    pub path: String,
    /// The baseline-branch commit it was read from (none for a directory store).
    pub commit: Option<String>,
    /// The UTC timestamp part of the file name.
    pub stamp: String,
    /// The short SHA of the measured commit, from the file name.
    pub short_sha: String,
    /// The disambiguating number of a second save in the same second (0 for the first).
    pub seq: u32,
}

impl Entry {
    /// Parses a file name below `dir` (`<suite>/<environment>/runs`).
    pub fn parse(dir: &str, name: &str, commit: Option<String>) -> Option<Entry> {
        let stem = name.strip_suffix(".json")?;
        let mut parts = stem.splitn(3, '-');
        let stamp = parts.next()?.to_owned();
        let short_sha = parts.next().unwrap_or("").to_owned();
        let seq = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        Some(Entry {
            path: format!("{dir}/{name}"),
            commit,
            stamp,
            short_sha,
            seq,
        })
    }

    fn order_key<'a>(&'a self, horizon: &str) -> (bool, &'a str, u32, &'a str) {
        // A name dated past the horizon (a skewed clock, a hand edit) does
        // not outrank real runs: it sorts as the oldest.
        let plausible = self.stamp.as_str() <= horizon;
        (plausible, &self.stamp, self.seq, &self.path)
    }

    /// The commit as printed in messages.
    pub fn commit_text(&self) -> &str {
        self.commit.as_deref().unwrap_or("(directory)")
    }
}

/// How far past now a run's timestamp may lie and still count as recent.
const FUTURE_SLACK: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Sorts entries oldest first: by timestamp, then save order within a
/// second; names dated more than a day ahead of now sort first.
pub fn sort_entries(entries: &mut [Entry]) {
    sort_entries_at(entries, chrono::Utc::now());
}

fn sort_entries_at(entries: &mut [Entry], now: chrono::DateTime<chrono::Utc>) {
    let horizon = (now + FUTURE_SLACK).format("%Y%m%dT%H%M%SZ").to_string();
    entries.sort_by(|a, b| a.order_key(&horizon).cmp(&b.order_key(&horizon)));
}

/// A run file as saving and pruning see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A readable run of this suite and environment key (exact names).
    Run { suite: String, environment: String },
    /// Not readable by this build (corrupt, or a newer schema): never
    /// deleted, never counted toward `keep`, never `latest.json`.
    Unreadable,
}

impl Kind {
    /// Reads the bytes of the run file at `path`.
    pub fn of(bytes: &[u8], path: &str) -> Kind {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Kind::Unreadable;
        };
        match Run::from_json(text, Path::new(path)) {
            Ok(run) => Kind::Run {
                suite: run.suite,
                environment: run.environment.key,
            },
            Err(_) => Kind::Unreadable,
        }
    }
}

/// What a save or a prune does to one `<suite>/<environment>` directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retention {
    /// Runs to delete, oldest first.
    pub remove: Vec<Entry>,
    /// The newest run that stays: what `latest.json` copies.
    pub latest: Option<Entry>,
}

/// Which runs of one directory go, and which is latest, when `keep` stay
/// per exact suite and environment: `files` is every run file there,
/// oldest first, with its [`Kind`]; `saved`, the run being saved, is
/// always kept. Unreadable files are left alone and do not count.
pub fn retention(files: &[(Entry, Kind)], keep: usize, saved: Option<&Entry>) -> Retention {
    let keep = keep.max(1);
    let mut groups: Vec<(&Kind, Vec<&Entry>)> = Vec::new();
    for (entry, kind) in files {
        if *kind == Kind::Unreadable {
            continue;
        }
        match groups.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, runs)) => runs.push(entry),
            None => groups.push((kind, vec![entry])),
        }
    }
    let mut out = Retention::default();
    let mut kept: Vec<&Entry> = Vec::new();
    for (_, runs) in groups {
        let is_saved = |e: &&Entry| Some(*e) == saved;
        let holds_saved = runs.iter().any(is_saved);
        let others: Vec<&Entry> = runs.iter().copied().filter(|e| !is_saved(e)).collect();
        let drop = others.len().saturating_sub(keep - usize::from(holds_saved));
        out.remove
            .extend(others[..drop].iter().map(|e| (*e).clone()));
        kept.extend(runs.iter().copied().filter(|e| !out.remove.contains(e)));
    }
    let order: Vec<&Entry> = files.iter().map(|(e, _)| e).collect();
    out.latest = order
        .iter()
        .rev()
        .find(|e| kept.contains(e))
        .map(|e| (*e).clone());
    let position = |e: &Entry| order.iter().position(|o| *o == e);
    out.remove.sort_by_key(|e| position(e));
    out
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Paths of the runs written, oldest first per directory.
    pub added: Vec<String>,
    /// Runs skipped: their commit and start time were already there.
    pub duplicates: usize,
    /// Runs not written: older than the newest `keep` of their directory.
    pub beyond_keep: usize,
    /// Runs already there that the import pushed out of the newest `keep`.
    pub pruned: usize,
    /// The baseline-branch commit that holds them (none for a directory
    /// store, or when nothing was added).
    pub commit: Option<String>,
}

/// What identifies a run for an import: its commit SHA and its start time
/// in ms since the epoch.
pub type Identity = (String, i64);

/// A run file as an import sees it: the entry, its kind, and the identity
/// of a readable run.
pub type Inspected = (Entry, Kind, Option<Identity>);

/// The [`Identity`] of a run.
pub fn identity(run: &Run) -> Identity {
    (
        run.git
            .as_ref()
            .map(|g| g.sha.to_ascii_lowercase())
            .unwrap_or_default(),
        run.started_at.timestamp_millis(),
    )
}

/// A run file of a directory as an import sees it: its kind, and the
/// identity of a readable run.
pub fn inspect(bytes: Option<&[u8]>, path: &str) -> (Kind, Option<Identity>) {
    let Some(run) = bytes
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| Run::from_json(t, Path::new(path)).ok())
    else {
        return (Kind::Unreadable, None);
    };
    let id = identity(&run);
    (
        Kind::Run {
            suite: run.suite,
            environment: run.environment.key,
        },
        Some(id),
    )
}

/// What an import does to one `<suite>/<environment>` directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// The files to write: their entry, and the index of their run.
    pub add: Vec<(Entry, usize)>,
    /// Runs already there that go (pushed out of the newest `keep`).
    pub remove: Vec<Entry>,
    /// The newest run that stays: what `latest.json` copies.
    pub latest: Option<Entry>,
    pub duplicates: usize,
    pub beyond_keep: usize,
}

/// Plans adding `runs` (`(index, run)`, all of `suite` / `environment`)
/// to the directory `dir` whose run files are `files` (with what
/// [`inspect`] found in them): runs already there by [`identity`], or
/// twice in `runs`, are skipped; then [`retention`] at `keep` runs over old
/// and new together, and new runs it would remove are not written.
pub fn plan_import(
    dir: &str,
    files: &[Inspected],
    runs: &[(usize, &Run)],
    keep: usize,
    (suite, environment): (&str, &str),
) -> Result<ImportPlan, BaselineError> {
    let mut classified: Vec<(Entry, Kind)> = files
        .iter()
        .map(|(e, k, _)| (e.clone(), k.clone()))
        .collect();
    check_owner(&classified, suite, environment)?;
    let mut known: HashSet<Identity> = files
        .iter()
        .filter(|(_, k, _)| *k != Kind::Unreadable)
        .filter_map(|(_, _, id)| id.clone())
        .collect();
    let mut entries: Vec<Entry> = files.iter().map(|(e, _, _)| e.clone()).collect();
    let mut plan = ImportPlan::default();
    let mut new: Vec<(Entry, usize)> = Vec::new();
    for (index, run) in runs {
        if !known.insert(identity(run)) {
            plan.duplicates += 1;
            continue;
        }
        let name = file_name(run, &entries);
        let entry = Entry::parse(dir, &name, None).expect("a .json name");
        entries.push(entry.clone());
        classified.push((
            entry.clone(),
            Kind::Run {
                suite: suite.to_owned(),
                environment: environment.to_owned(),
            },
        ));
        new.push((entry, *index));
    }
    sort_entries(&mut entries);
    let order: std::collections::HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.path.as_str(), i))
        .collect();
    classified.sort_by_key(|(e, _)| order.get(e.path.as_str()).copied());
    let retained = retention(&classified, keep, None);
    let dropped: HashSet<&str> = retained.remove.iter().map(|e| e.path.as_str()).collect();
    for (entry, index) in new {
        if dropped.contains(entry.path.as_str()) {
            plan.beyond_keep += 1;
        } else {
            plan.add.push((entry, index));
        }
    }
    let added: HashSet<&str> = plan.add.iter().map(|(e, _)| e.path.as_str()).collect();
    plan.remove = retained
        .remove
        .iter()
        .filter(|e| files.iter().any(|(f, _, _)| f == *e))
        .cloned()
        .collect();
    plan.latest = retained
        .latest
        .filter(|l| added.contains(l.path.as_str()) || files.iter().any(|(f, _, _)| f == l));
    Ok(plan)
}

/// `runs` by suite and environment key, each with its index in `runs`.
pub fn by_directory(
    runs: &[Run],
) -> std::collections::BTreeMap<(String, String), Vec<(usize, &Run)>> {
    let mut groups: std::collections::BTreeMap<(String, String), Vec<(usize, &Run)>> =
        std::collections::BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        groups
            .entry((run.suite.clone(), run.environment.key.clone()))
            .or_default()
            .push((i, run));
    }
    groups
}

/// Refuses a directory that holds runs of another suite or environment
/// whose name maps to the same path component as `suite` / `environment`.
pub fn check_owner(
    files: &[(Entry, Kind)],
    suite: &str,
    environment: &str,
) -> Result<(), BaselineError> {
    for (_, kind) in files {
        if let Kind::Run {
            suite: s,
            environment: e,
        } = kind
        {
            check_names(s, e, suite, environment)?;
        }
    }
    Ok(())
}

/// A run of suite `s` in environment `e` found where `suite` /
/// `environment` keep their runs.
fn check_names(s: &str, e: &str, suite: &str, environment: &str) -> Result<(), BaselineError> {
    let dir = || format!("{}/{}", component(suite), component(environment));
    if s != suite && component(s) == component(suite) {
        return Err(BaselineError::Collision {
            kind: "suite",
            ours: suite.to_owned(),
            theirs: s.to_owned(),
            dir: dir(),
        });
    }
    if e != environment && component(e) == component(environment) {
        return Err(BaselineError::Collision {
            kind: "environment",
            ours: environment.to_owned(),
            theirs: e.to_owned(),
            dir: dir(),
        });
    }
    Ok(())
}

/// Refuses a run read for `suite` / `environment` that belongs to another
/// suite or environment sharing their directory.
pub fn check_run_owner(
    saved: &SavedRun,
    suite: &str,
    environment: &str,
) -> Result<(), BaselineError> {
    check_names(
        &saved.run.suite,
        &saved.run.environment.key,
        suite,
        environment,
    )
}

/// A run read back from a store.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedRun {
    /// Path inside the store.
    pub path: String,
    /// The baseline-branch commit that holds it (none for a directory store).
    pub commit: Option<String>,
    /// The run itself.
    pub run: Run,
}

/// A run file that could not be read; reported, skipped, never rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt {
    pub path: String,
    pub commit: String,
    pub message: String,
}

impl std::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "skipped corrupt baseline {} in commit {}: {}",
            self.path, self.commit, self.message
        )
    }
}

/// Where runs are kept.
pub trait Store {
    /// Where, for messages (`branch perfguard-baselines on origin`).
    fn describe(&self) -> String;
    /// Brings the local view up to date (a git store fetches its branch).
    fn refresh(&mut self) -> Result<(), BaselineError>;
    /// Every `(suite, environment)` directory, sorted.
    fn keys(&self) -> Result<Vec<(String, String)>, BaselineError>;
    /// The run files of one suite and environment, oldest first; no parsing.
    fn entries(&self, suite: &str, environment: &str) -> Result<Vec<Entry>, BaselineError>;
    /// The bytes of one run file.
    fn read(&self, entry: &Entry) -> Result<Vec<u8>, BaselineError>;
    /// Saves `run` as a file of its own under its suite and
    /// `environment.key`, updates `latest.json` and keeps the newest `keep`
    /// readable runs of that suite and environment, all at once (see
    /// [`retention`]); returns only once the run is in the store, and
    /// refuses a directory shared with another suite name ([`check_owner`]).
    fn save(&mut self, run: &Run, keep: usize) -> Result<SavedRun, BaselineError>;
    /// Adds `runs` (each under its suite and environment key) all at once:
    /// one commit on a branch; under the lock of each directory in a
    /// directory store, the files written removed again when one fails.
    /// A run whose commit SHA and `started_at` a readable run of its suite
    /// and environment already has is skipped, as are runs that [`retention`]
    /// at `keep` would remove at once; nothing is written when nothing is
    /// added. See [`plan_import`].
    fn import(&mut self, runs: &[Run], keep: usize) -> Result<Imported, BaselineError>;
    /// Keeps the newest `keep` readable runs of every suite and
    /// environment, and points each `latest.json` at a run that stays;
    /// returns how many were removed.
    fn prune(&mut self, keep: usize) -> Result<usize, BaselineError>;
    /// What HEAD descends from, for [`select`]; empty outside git.
    fn lineage(&self, _current: &Run) -> Lineage {
        Lineage::default()
    }
    /// The branch whose runs save when `save_on` is empty.
    fn default_branch(&self) -> String {
        "main".into()
    }
}

/// Opens the store for the project in `dir`: the `[baseline] branch` of
/// its git repository, or `.perfguard/baselines` in `dir` outside git.
pub fn open(
    dir: &Path,
    config: &crate::config::BaselineConfig,
    token: Option<String>,
) -> Result<Box<dyn Store>, BaselineError> {
    Ok(match git::GitStore::open(dir, config, token)? {
        Some(store) => Box::new(store),
        None => Box::new(dir::DirStore::new(dir.join(".perfguard").join("baselines"))),
    })
}

/// Reads one entry: a run, or a corrupt file to report. A newer schema is
/// an error, not a skip.
pub fn load(store: &dyn Store, entry: &Entry) -> Result<Result<SavedRun, Corrupt>, BaselineError> {
    let bytes = store.read(entry)?;
    let corrupt = |message: String| Corrupt {
        path: entry.path.clone(),
        commit: entry.commit_text().to_owned(),
        message,
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Ok(Err(corrupt("not UTF-8 text".into())));
    };
    match Run::from_json(&text, Path::new(&entry.path)) {
        Ok(run) => Ok(Ok(SavedRun {
            path: entry.path.clone(),
            commit: entry.commit.clone(),
            run,
        })),
        Err(source @ ResultsError::NewerSchema { .. }) => Err(BaselineError::NewerSchema {
            path: entry.path.clone(),
            commit: entry.commit_text().to_owned(),
            source,
        }),
        Err(e) => Ok(Err(corrupt(strip_origin(&e.to_string(), &entry.path)))),
    }
}

/// `results <path> is …` → `is …`: the path is already named by `Corrupt`.
fn strip_origin(message: &str, path: &str) -> String {
    message
        .strip_prefix(&format!("results {path} "))
        .or_else(|| message.strip_prefix(&format!("results {path}: ")))
        .unwrap_or(message)
        .to_owned()
}

/// Runs of one suite and environment, oldest first.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The readable runs, oldest first.
    pub runs: Vec<SavedRun>,
    /// Files that could not be read; the caller reports them.
    pub skipped: Vec<Corrupt>,
}

/// The newest `limit` readable runs of `suite` in `environment`, oldest first.
pub fn history(
    store: &dyn Store,
    suite: &str,
    environment: &str,
    limit: usize,
) -> Result<History, BaselineError> {
    let entries = store.entries(suite, environment)?;
    let mut out = History::default();
    for entry in entries.iter().rev() {
        if out.runs.len() >= limit {
            break;
        }
        match load(store, entry)? {
            Ok(run) => out.runs.push(run),
            Err(c) => out.skipped.push(c),
        }
    }
    out.runs.reverse();
    Ok(out)
}

/// What the current commit descends from, for choosing a baseline.
#[derive(Debug, Clone, Default)]
pub struct Lineage {
    /// The merge-base of HEAD and the base branch, and the base branch's name.
    pub merge_base: Option<(String, String)>,
    /// Full SHAs of HEAD and its ancestors (as far as the clone reaches).
    pub ancestors: HashSet<String>,
}

impl Lineage {
    fn contains_short(&self, short: &str) -> bool {
        !short.is_empty() && self.ancestors.iter().any(|s| s.starts_with(short))
    }
}

/// Why a run was chosen as the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// It measured the merge-base of HEAD and this base branch.
    MergeBase { base: String },
    /// It is the newest run of a commit HEAD descends from.
    Ancestor,
    /// Nothing related was recorded: the newest run.
    Newest,
    /// Asked for by commit SHA.
    Requested,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::MergeBase { base } => write!(f, "the run of the merge-base with {base}"),
            Reason::Ancestor => f.write_str("the newest run of an ancestor of HEAD"),
            Reason::Newest => f.write_str("the newest run (none recorded for HEAD's history)"),
            Reason::Requested => f.write_str("the run asked for"),
        }
    }
}

/// The chosen baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub saved: SavedRun,
    pub reason: Reason,
}

impl Selection {
    /// `runs/20261121T120000Z-1a2b3c4.json (branch commit 9f8e7d6): <reason>`.
    pub fn describe(&self) -> String {
        let file = self
            .saved
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&self.saved.path);
        match &self.saved.commit {
            Some(c) => format!(
                "{file} (baseline commit {}), {}",
                crate::results::short_sha(c, 7),
                self.reason
            ),
            None => format!("{file}, {}", self.reason),
        }
    }
}

/// The baseline choice and the corrupt files passed over on the way.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    pub selection: Option<Selection>,
    pub skipped: Vec<Corrupt>,
}

/// Chooses the baseline among the runs of `suite` in `environment`: the run
/// of the merge-base if recorded; else the newest run of an ancestor of
/// HEAD; else the newest run. Corrupt files are skipped.
pub fn select(
    store: &dyn Store,
    suite: &str,
    environment: &str,
    lineage: &Lineage,
) -> Result<Choice, BaselineError> {
    let entries = store.entries(suite, environment)?;
    let mut choice = Choice::default();
    if let Some((base, sha)) = &lineage.merge_base {
        let short = crate::results::short_sha(sha, 7);
        let pred = |e: &Entry, run: Option<&Run>| match run {
            None => e.short_sha == short,
            Some(r) => r.git.as_ref().is_some_and(|g| g.sha == *sha),
        };
        if first(
            store,
            &entries,
            &pred,
            Reason::MergeBase { base: base.clone() },
            &mut choice,
            (suite, environment),
        )? {
            return Ok(choice);
        }
    }
    if !lineage.ancestors.is_empty() {
        let pred = |e: &Entry, run: Option<&Run>| match run {
            None => lineage.contains_short(&e.short_sha),
            Some(r) => r
                .git
                .as_ref()
                .is_some_and(|g| lineage.ancestors.contains(&g.sha)),
        };
        if first(
            store,
            &entries,
            &pred,
            Reason::Ancestor,
            &mut choice,
            (suite, environment),
        )? {
            return Ok(choice);
        }
    }
    let any = |_: &Entry, _: Option<&Run>| true;
    first(
        store,
        &entries,
        &any,
        Reason::Newest,
        &mut choice,
        (suite, environment),
    )?;
    Ok(choice)
}

/// Chooses the newest entry that `pred` accepts by name and, once read, by
/// content; corrupt files on the way are added to `choice.skipped`. A run
/// of another suite or environment sharing the directory is an error.
fn first(
    store: &dyn Store,
    entries: &[Entry],
    pred: &dyn Fn(&Entry, Option<&Run>) -> bool,
    reason: Reason,
    choice: &mut Choice,
    (suite, environment): (&str, &str),
) -> Result<bool, BaselineError> {
    for e in entries.iter().rev().filter(|e| pred(e, None)) {
        let loaded = load(store, e)?;
        if let Ok(saved) = &loaded {
            check_run_owner(saved, suite, environment)?;
        }
        match loaded {
            Ok(saved) if pred(e, Some(&saved.run)) => {
                choice.selection = Some(Selection { saved, reason });
                return Ok(true);
            }
            Ok(_) => {}
            Err(c) => {
                if !choice.skipped.contains(&c) {
                    choice.skipped.push(c);
                }
            }
        }
    }
    Ok(false)
}

/// The newest run whose commit SHA starts with `sha`, searching `keys`.
pub fn find_by_sha(
    store: &dyn Store,
    keys: &[(String, String)],
    sha: &str,
) -> Result<Choice, BaselineError> {
    let sha = sha.to_ascii_lowercase();
    let mut candidates = Vec::new();
    for (suite, env) in keys {
        candidates.extend(store.entries(suite, env)?.into_iter().filter(|e| {
            let n = e.short_sha.len().min(sha.len());
            // Bytes, not characters: a file name may hold any text.
            n > 0 && e.short_sha.as_bytes()[..n] == sha.as_bytes()[..n]
        }));
    }
    sort_entries(&mut candidates);
    let mut choice = Choice::default();
    for e in candidates.iter().rev() {
        match load(store, e)? {
            Ok(saved)
                if saved
                    .run
                    .git
                    .as_ref()
                    .is_some_and(|g| g.sha.starts_with(&sha)) =>
            {
                choice.selection = Some(Selection {
                    saved,
                    reason: Reason::Requested,
                });
                break;
            }
            Ok(_) => {}
            Err(c) => choice.skipped.push(c),
        }
    }
    Ok(choice)
}

/// A path component for a suite name or environment key: kept as written
/// when already safe, else slugged, never `.`-leading.
pub fn component(text: &str) -> String {
    let safe = !text.is_empty()
        && !text.starts_with('.')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if safe {
        return text.to_owned();
    }
    let s = crate::environment::slug(text);
    if s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

/// `<suite>/<environment>/runs` of a run.
pub fn runs_dir(suite: &str, environment: &str) -> String {
    format!("{}/{}/runs", component(suite), component(environment))
}

/// `<suite>/<environment>/latest.json`.
pub fn latest_path(suite: &str, environment: &str) -> String {
    format!(
        "{}/{}/latest.json",
        component(suite),
        component(environment)
    )
}

/// The file name of a run: `<started_at as %Y%m%dT%H%M%SZ>-<short sha>`,
/// plus `-<n>` when `existing` already holds a run of that second, `n`
/// past every number used so far, so that names stay in save order.
pub fn file_name(run: &Run, existing: &[Entry]) -> String {
    let stamp = run.started_at.format("%Y%m%dT%H%M%SZ").to_string();
    let sha = run
        .git
        .as_ref()
        .map(|g| {
            g.sha
                .chars()
                .take(7)
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| "0000000".into());
    // Numbered across every save of that second, whatever the commit, so
    // that runs of two commits in one second keep their save order (sorting
    // falls back to the SHA's letters otherwise).
    let used = existing
        .iter()
        .filter(|e| e.stamp == stamp)
        .map(|e| e.seq.max(1))
        .max();
    match used {
        None => format!("{stamp}-{sha}.json"),
        Some(n) => format!("{stamp}-{sha}-{}.json", n + 1),
    }
}

/// Which entries to drop so that `keep` remain (oldest first).
pub fn excess(entries: &[Entry], keep: usize) -> &[Entry] {
    &entries[..entries.len().saturating_sub(keep)]
}

#[cfg(test)]
mod tests;
