//! Git branch store: turns a branch of the user's repository, fetched and
//! pushed with git2 through a private ref (or, for a remote on this
//! machine, read and updated in place), into a [`Store`], without ever
//! touching the working tree, the index, HEAD or a shallow clone's
//! `.git/shallow`.

use super::{
    BaselineError, Entry, Imported, Kind, Lineage, SavedRun, Store, by_directory, check_owner,
    file_name, inspect, latest_path, plan_import, retention, runs_dir, sort_entries,
};
use crate::config::BaselineConfig;
use crate::results::Run;
use git2::build::TreeUpdateBuilder;
use git2::{
    AutotagOption, Cred, CredentialType, Direction, ErrorCode, FetchOptions, FileMode, ObjectType,
    Oid, PushOptions, RemoteCallbacks, Repository, Signature, Tree,
};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

/// A change to the branch's tree: the new tree, the commit message and a
/// value for the caller, or `None` when there is nothing to change.
type TreeChange<'a, T> =
    dyn Fn(&Repository, &Tree<'_>) -> Result<Option<(Oid, String, T)>, BaselineError> + 'a;

/// How many times a rejected save is fetched, re-applied and pushed again.
pub const MAX_ATTEMPTS: u32 = 12;
/// How far back HEAD's ancestors are looked at when choosing a baseline.
const ANCESTOR_LIMIT: usize = 20_000;

/// Sets libgit2's process-wide options once, just before perfguard's first
/// libgit2 call: the network timeouts (see [`super::timeouts`]) and, in
/// GitHub Actions or a container, leave to open a repository owned by
/// another user (a container's mounted workspace: the runner's
/// `safe.directory` does not reach inside it). Elsewhere, a developer's
/// laptop included, libgit2's owner check stays on.
///
/// Not at start-up: setting any option initialises libgit2, which loads
/// OpenSSL's CA bundle, milliseconds that commands which never touch a
/// repository (`run`, `ingest`) should not pay.
pub fn prepare_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // `main` has refused bad settings already; defaults otherwise.
        let (connect, io) = super::timeouts::from_env().unwrap_or((
            super::timeouts::DEFAULT_CONNECT,
            super::timeouts::DEFAULT_IO,
        ));
        super::timeouts::install(connect, io);
        let actions = std::env::var("GITHUB_ACTIONS").ok();
        if trusts_foreign_owner(actions.as_deref(), in_container()) {
            // SAFETY: a process-wide libgit2 option set once, before any
            // repository is opened by this process's git2 calls that follow.
            let _ = unsafe { git2::opts::set_verify_owner_validation(false) };
        }
    });
}

/// Whether the owner check is off: only in GitHub Actions
/// (`GITHUB_ACTIONS=true`) or inside a container.
fn trusts_foreign_owner(github_actions: Option<&str>, in_container: bool) -> bool {
    github_actions == Some("true") || in_container
}

/// Docker (`/.dockerenv`), podman (`/run/.containerenv`), or a runtime that
/// says so in `container` (systemd-nspawn, podman).
fn in_container() -> bool {
    std::path::Path::new("/.dockerenv").exists()
        || std::path::Path::new("/run/.containerenv").exists()
        || std::env::var_os("container").is_some_and(|v| !v.is_empty())
}

/// Baselines on a branch of a repository; see the module docs of
/// [`crate::baseline`] for the layout.
pub struct GitStore {
    repo: Repository,
    /// The remote's own repository, opened in place, when the remote is a
    /// path or a `file://` URL: libgit2's local transport updates refs
    /// without compare-and-swap and cannot fetch into a shallow clone, so
    /// such a remote is read and written directly instead.
    local: Option<(Repository, PathBuf)>,
    /// Why a remote on this machine could not be opened in place.
    local_error: Option<String>,
    branch: String,
    /// The remote's name, when the repository has that remote.
    remote: Option<String>,
    token: Option<String>,
    /// The branch tip this store reads from, after `refresh` or a save.
    tip: Option<Oid>,
}

impl GitStore {
    /// Opens the repository around `dir`; `None` when `dir` is not inside
    /// one. `token` authenticates http(s) remotes as `x-access-token`.
    pub fn open(
        dir: &Path,
        config: &BaselineConfig,
        token: Option<String>,
    ) -> Result<Option<GitStore>, BaselineError> {
        prepare_libgit2();
        let repo = match Repository::discover(dir) {
            Ok(r) => r,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => {
                return Err(BaselineError::Git {
                    context: format!("cannot open the git repository around {}", dir.display()),
                    message: e.message().to_owned(),
                });
            }
        };
        if !git2::Reference::is_valid_name(&format!("refs/heads/{}", config.branch)) {
            return Err(BaselineError::NotFound(format!(
                "[baseline] branch `{}` is not a valid branch name",
                config.branch
            )));
        }
        let found = repo.find_remote(&config.remote).ok();
        let opened = found
            .as_ref()
            .and_then(|r| r.url().ok().and_then(|u| local_path(&repo, u)))
            .map(|path| {
                let flags = git2::RepositoryOpenFlags::NO_SEARCH;
                match Repository::open_ext(&path, flags, std::iter::empty::<&str>()) {
                    Ok(r) => Ok((r, path)),
                    Err(e) => Err(format!("{}: {}", path.display(), e.message())),
                }
            });
        let (local, local_error) = match opened {
            Some(Ok(local)) => (Some(local), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        };
        let remote = found.map(|_| config.remote.clone());
        Ok(Some(GitStore {
            repo,
            local,
            local_error,
            branch: config.branch.clone(),
            remote,
            token: token.filter(|t| !t.is_empty()),
            tip: None,
        }))
    }

    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// The repository that holds the baseline branch's objects: the
    /// remote's own for a remote on this machine, else the user's.
    fn objects(&self) -> &Repository {
        self.local.as_ref().map_or(&self.repo, |(r, _)| r)
    }

    /// The remote's name, or `None` when the branch is local only.
    pub fn remote(&self) -> Option<&str> {
        self.remote.as_deref()
    }

    /// The ref that holds the branch as read: a private ref when fetched
    /// from a remote, else the local branch itself.
    fn tracking_ref(&self) -> String {
        match &self.remote {
            Some(r) => format!("refs/perfguard/{r}/{}", self.branch),
            None => format!("refs/heads/{}", self.branch),
        }
    }

    fn err(&self, context: impl Into<String>, e: &git2::Error) -> BaselineError {
        BaselineError::Git {
            context: context.into(),
            message: redact(e.message(), self.token.as_deref()),
        }
    }

    fn callbacks(&self) -> RemoteCallbacks<'static> {
        credentials(self.token.clone())
    }

    /// Fetches only the baseline branch into the private ref; returns its
    /// tip. A remote on this machine is read in place, nothing fetched.
    fn fetch(&mut self) -> Result<Option<Oid>, BaselineError> {
        let tracking = self.tracking_ref();
        if let Some((local, _)) = &self.local {
            return Ok(local
                .refname_to_id(&format!("refs/heads/{}", self.branch))
                .ok());
        }
        let Some(name) = self.remote.clone() else {
            return Ok(self.repo.refname_to_id(&tracking).ok());
        };
        if let Some(why) = &self.local_error
            && self.repo.is_shallow()
        {
            // libgit2's local transport would rewrite .git/shallow.
            return Err(BaselineError::Git {
                context: format!(
                    "cannot read branch `{}` of remote `{name}` in place, and a shallow clone cannot fetch it over libgit2's local transport without losing its .git/shallow",
                    self.branch
                ),
                message: why.clone(),
            });
        }
        let mut attempt = 1;
        loop {
            match self.fetch_once(&name, &tracking) {
                // Another process of a shared clone holds the private ref's lock.
                Err((_, true)) if attempt < MAX_ATTEMPTS => {
                    std::thread::sleep(jitter(attempt));
                    attempt += 1;
                }
                Err((e, _)) => return Err(e),
                Ok(tip) => return Ok(tip),
            }
        }
    }

    /// One fetch; an error says whether it was a lost race for a lock.
    fn fetch_once(
        &mut self,
        name: &str,
        tracking: &str,
    ) -> Result<Option<Oid>, (BaselineError, bool)> {
        let tracking = tracking.to_owned();
        let mut remote = self
            .repo
            .find_remote(name)
            .map_err(|e| (self.err(format!("cannot use remote `{name}`"), &e), false))?;
        let mut options = FetchOptions::new();
        options
            .remote_callbacks(self.callbacks())
            .download_tags(AutotagOption::None)
            .update_fetchhead(false);
        // A ref of this process's own first: saves from one shared clone
        // fetch at once, and libgit2 moves a fetched ref only from the
        // value it read before.
        // Flat, so that deleting it leaves no empty directory behind.
        let scratch = format!("refs/perfguard/fetch-{}-{}", std::process::id(), unique());
        let refspec = format!("+refs/heads/{}:{scratch}", self.branch);
        let fetched = remote
            .fetch(&[&refspec], Some(&mut options), None)
            .map_err(|e| {
                let error = self.err(
                    format!(
                        "cannot fetch branch `{}` from remote `{name}` ({})",
                        self.branch,
                        redact(remote.url().unwrap_or("?"), self.token.as_deref())
                    ),
                    &e,
                );
                (error, is_race(&e))
            });
        let tip = self.repo.refname_to_id(&scratch).ok();
        if let Ok(mut r) = self.repo.find_reference(&scratch) {
            let _ = r.delete();
        }
        fetched?;
        let wanted = format!("refs/heads/{}", self.branch);
        let advertised = remote
            .list()
            .map(|heads| heads.iter().any(|h| h.name() == wanted))
            .unwrap_or(true);
        if !advertised {
            // Deleted on the remote (or never saved): forget a stale copy.
            if let Ok(mut r) = self.repo.find_reference(&tracking) {
                let _ = r.delete();
            }
            return Ok(None);
        }
        if let Some(tip) = tip {
            // The private ref, for whoever looks: best effort, as another
            // process of a shared clone may be moving it too.
            let _ = self
                .repo
                .reference(&tracking, tip, true, "perfguard: fetched baselines");
        }
        Ok(tip)
    }

    fn tip_tree(&self) -> Result<Option<(Tree<'_>, String)>, BaselineError> {
        let Some(tip) = self.tip else { return Ok(None) };
        let commit = self
            .objects()
            .find_commit(tip)
            .map_err(|e| self.err(format!("cannot read baseline commit {tip}"), &e))?;
        let tree = commit
            .tree()
            .map_err(|e| self.err(format!("cannot read the tree of baseline commit {tip}"), &e))?;
        Ok(Some((tree, tip.to_string())))
    }

    /// Applies `change` to the branch tip and publishes the commit; a
    /// rejected publish is fetched, re-applied and retried with jitter.
    /// `change` returns `None` when there is nothing to commit.
    fn commit_change<T>(
        &mut self,
        change: &TreeChange<'_, T>,
    ) -> Result<Option<(T, Oid)>, BaselineError> {
        for attempt in 1..=MAX_ATTEMPTS {
            let parent = self.fetch()?;
            self.refuse_checked_out()?;
            let Some((commit, value)) = self.apply(parent, change)? else {
                self.tip = parent;
                return Ok(None);
            };
            // Saved only once the branch, read back, holds the commit.
            if self.publish(parent, commit)? && self.landed(commit)? {
                self.tip = Some(commit);
                return Ok(Some((value, commit)));
            }
            if attempt < MAX_ATTEMPTS {
                std::thread::sleep(jitter(attempt));
            }
        }
        Err(BaselineError::Contended {
            target: self.describe(),
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Whether the branch, read back from where it lives, holds `commit`.
    fn landed(&mut self, commit: Oid) -> Result<bool, BaselineError> {
        let Some(tip) = self.fetch()? else {
            return Ok(false);
        };
        Ok(tip == commit
            || self
                .objects()
                .graph_descendant_of(tip, commit)
                .unwrap_or(false))
    }

    /// Refuses to move a branch that a working tree has checked out: the
    /// user's, or the remote's when it is a non-bare repository here.
    fn refuse_checked_out(&self) -> Result<(), BaselineError> {
        let branch_ref = format!("refs/heads/{}", self.branch);
        let repo = match (&self.remote, &self.local) {
            (None, _) => &self.repo,
            (Some(_), Some((local, _))) => local,
            // A server refuses by itself (receive.denyCurrentBranch).
            (Some(_), None) => return Ok(()),
        };
        match checked_out(repo, &branch_ref) {
            Some(worktree) => Err(BaselineError::CheckedOut {
                branch: self.branch.clone(),
                worktree,
            }),
            None => Ok(()),
        }
    }

    /// Builds the commit of `change` on `parent` (or on nothing: an orphan).
    fn apply<T>(
        &self,
        parent: Option<Oid>,
        change: &TreeChange<'_, T>,
    ) -> Result<Option<(Oid, T)>, BaselineError> {
        let repo = self.objects();
        let base = match parent {
            Some(p) => repo.find_commit(p).and_then(|c| c.tree()),
            None => repo
                .treebuilder(None)
                .and_then(|b| b.write())
                .and_then(|id| repo.find_tree(id)),
        }
        .map_err(|e| self.err("cannot read the baseline branch", &e))?;
        let Some((tree, message, value)) = change(repo, &base)? else {
            return Ok(None);
        };
        let commit = self
            .make_commit(parent, tree, &message)
            .map_err(|e| self.err("cannot write the baseline commit", &e))?;
        Ok(Some((commit, value)))
    }

    fn make_commit(
        &self,
        parent: Option<Oid>,
        tree: Oid,
        message: &str,
    ) -> Result<Oid, git2::Error> {
        let repo = self.objects();
        let sig = Signature::now("perfguard", "perfguard@users.noreply.github.com")?;
        let tree = repo.find_tree(tree)?;
        let parents = match parent {
            Some(p) => vec![repo.find_commit(p)?],
            None => vec![],
        };
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repo.commit(None, &sig, &sig, message, &tree, &parents)
    }

    /// Moves the branch from `parent` to `commit`: a compare-and-swap of
    /// the ref where it lives (the user's repository, or a remote on this
    /// machine), or a push that only lands when the remote still has
    /// `parent`. `Ok(false)` means someone else moved it first.
    fn publish(&mut self, parent: Option<Oid>, commit: Oid) -> Result<bool, BaselineError> {
        let branch_ref = format!("refs/heads/{}", self.branch);
        if let Some((local, path)) = &self.local {
            return match swap(local, &branch_ref, parent, commit) {
                Ok(moved) => Ok(moved),
                Err(e) => Err(self.err(
                    format!(
                        "cannot update {branch_ref} in the repository of remote `{}` ({})",
                        self.remote.as_deref().unwrap_or("?"),
                        path.display()
                    ),
                    &e,
                )),
            };
        }
        let Some(name) = self.remote.clone() else {
            return swap(&self.repo, &branch_ref, parent, commit)
                .map_err(|e| self.err(format!("cannot update {branch_ref}"), &e));
        };
        // A name of its own: saves from one shared clone must not push
        // each other's commits.
        let outgoing = format!("refs/perfguard/push-{}-{}", std::process::id(), unique());
        self.repo
            .reference(&outgoing, commit, true, "perfguard: outgoing baseline")
            .map_err(|e| self.err(format!("cannot write {outgoing}"), &e))?;
        let stale = Rc::new(Cell::new(false));
        let rejected: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
        let accepted = Rc::new(Cell::new(false));
        let mut callbacks = self.callbacks();
        {
            let stale = Rc::clone(&stale);
            let branch_ref = branch_ref.clone();
            let expected = parent.unwrap_or(Oid::ZERO_SHA1);
            // libgit2 does not refuse a non-fast-forward push by itself, and
            // the server only checks the old value it was told: so the old
            // value it was told must be the parent this commit was built on.
            callbacks.push_negotiation(move |updates| {
                for u in updates {
                    if u.dst_refname() == Ok(branch_ref.as_str()) && u.src() != expected {
                        stale.set(true);
                        return Err(git2::Error::from_str("the baseline branch moved"));
                    }
                }
                Ok(())
            });
        }
        {
            let rejected = Rc::clone(&rejected);
            let accepted = Rc::clone(&accepted);
            callbacks.push_update_reference(move |_, status| {
                match status {
                    Some(s) => *rejected.borrow_mut() = Some(s.to_owned()),
                    None => accepted.set(true),
                }
                Ok(())
            });
        }
        let mut options = PushOptions::new();
        options.remote_callbacks(callbacks);
        let result = self.repo.find_remote(&name).and_then(|mut remote| {
            remote.push(&[format!("{outgoing}:{branch_ref}")], Some(&mut options))
        });
        if let Ok(mut r) = self.repo.find_reference(&outgoing) {
            let _ = r.delete();
        }
        if stale.get() {
            return Ok(false);
        }
        // The server took it. After that libgit2 moves the clone's
        // remote-tracking ref, which another save from a shared clone may
        // hold: an error there does not undo the push.
        if accepted.get() && rejected.borrow().is_none() {
            let tracking = self.tracking_ref();
            let _ = self
                .repo
                .reference(&tracking, commit, true, "perfguard: saved baseline");
            return Ok(true);
        }
        // Only an http(s) remote authenticates with the token.
        let http = self
            .repo
            .find_remote(&name)
            .ok()
            .and_then(|r| {
                r.url()
                    .ok()
                    .map(|u| u.starts_with("http://") || u.starts_with("https://"))
            })
            .unwrap_or(false);
        if let Err(e) = result {
            if is_race(&e) || looks_like_race(e.message()) {
                return Ok(false);
            }
            let hint = if http {
                " (the token needs `contents: write`)"
            } else {
                ""
            };
            return Err(self.err(
                format!(
                    "cannot push branch `{}` to remote `{name}`{hint}",
                    self.branch
                ),
                &e,
            ));
        }
        if let Some(status) = rejected.borrow().clone() {
            if looks_like_race(&status) {
                return Ok(false);
            }
            let hint = if http {
                " (is the branch protected? the token needs `contents: write`)"
            } else {
                " (is the branch protected?)"
            };
            return Err(BaselineError::Git {
                context: format!(
                    "remote `{name}` rejected the push to branch `{}`{hint}",
                    self.branch
                ),
                message: redact(&status, self.token.as_deref()),
            });
        }
        let tracking = self.tracking_ref();
        let _ = self
            .repo
            .reference(&tracking, commit, true, "perfguard: saved baseline");
        Ok(true)
    }

    /// The branch that a run of `save_on = []` saves on: the remote's HEAD,
    /// else `init.defaultBranch`, else `main`.
    pub fn detect_default_branch(&self) -> String {
        if let Some(r) = &self.remote {
            let prefix = format!("refs/remotes/{r}/");
            if let Ok(head) = self.repo.find_reference(&format!("{prefix}HEAD"))
                && let Ok(Some(t)) = head.symbolic_target()
                && let Some(b) = t.strip_prefix(&prefix)
            {
                return b.to_owned();
            }
            if let Ok(mut remote) = self.repo.find_remote(r)
                && let Ok(conn) =
                    remote.connect_auth(Direction::Fetch, Some(self.callbacks()), None)
                && let Ok(buf) = conn.default_branch()
                && let Some(b) = buf
                    .as_str()
                    .ok()
                    .and_then(|s| s.strip_prefix("refs/heads/"))
            {
                return b.to_owned();
            }
        }
        self.repo
            .config()
            .and_then(|c| c.get_string("init.defaultBranch"))
            .ok()
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "main".into())
    }

    /// HEAD's ancestry and its merge-base with the base branch (the pull
    /// request's `GITHUB_BASE_REF`, else the default branch), for [`super::select`].
    pub fn ancestry(&self, current: &Run) -> Lineage {
        let mut lineage = Lineage::default();
        let head = current
            .git
            .as_ref()
            .and_then(|g| Oid::from_str(&g.sha).ok())
            .filter(|oid| self.repo.find_commit(*oid).is_ok())
            .or_else(|| self.repo.head().ok().and_then(|h| h.target()));
        let Some(head) = head else { return lineage };
        if let Ok(mut walk) = self.repo.revwalk()
            && walk.push(head).is_ok()
        {
            // A shallow clone ends the walk early; what is there still counts.
            lineage.ancestors = walk
                .take(ANCESTOR_LIMIT)
                .map_while(Result::ok)
                .map(|o| o.to_string())
                .collect::<HashSet<_>>();
        }
        let base = std::env::var("GITHUB_BASE_REF")
            .ok()
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| self.detect_default_branch());
        if let Some(sha) = current.git.as_ref().and_then(|g| g.base_sha.clone()) {
            lineage.merge_base = Some((base, sha));
            return lineage;
        }
        let candidates = [
            self.remote
                .as_ref()
                .map(|r| format!("refs/remotes/{r}/{base}")),
            Some(format!("refs/heads/{base}")),
        ];
        for name in candidates.into_iter().flatten() {
            if let Ok(base_oid) = self.repo.refname_to_id(&name)
                && let Ok(mb) = self.repo.merge_base(head, base_oid)
            {
                lineage.merge_base = Some((base, mb.to_string()));
                break;
            }
        }
        lineage
    }
}

impl Store for GitStore {
    fn lineage(&self, current: &Run) -> Lineage {
        self.ancestry(current)
    }

    fn default_branch(&self) -> String {
        self.detect_default_branch()
    }

    fn describe(&self) -> String {
        match &self.remote {
            Some(r) => format!("branch `{}` on remote `{r}`", self.branch),
            None => format!("local branch `{}`", self.branch),
        }
    }

    fn refresh(&mut self) -> Result<(), BaselineError> {
        self.tip = self.fetch()?;
        Ok(())
    }

    fn keys(&self) -> Result<Vec<(String, String)>, BaselineError> {
        let Some((root, _)) = self.tip_tree()? else {
            return Ok(Vec::new());
        };
        let mut keys = Vec::new();
        for suite in root.iter().filter(|e| e.kind() == Some(ObjectType::Tree)) {
            let Ok(suite_tree) = self.objects().find_tree(suite.id()) else {
                continue;
            };
            for env in suite_tree
                .iter()
                .filter(|e| e.kind() == Some(ObjectType::Tree))
            {
                if let (Ok(s), Ok(e)) = (suite.name(), env.name()) {
                    keys.push((s.to_owned(), e.to_owned()));
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn entries(&self, suite: &str, environment: &str) -> Result<Vec<Entry>, BaselineError> {
        let Some((root, commit)) = self.tip_tree()? else {
            return Ok(Vec::new());
        };
        Ok(tree_entries(
            self.objects(),
            &root,
            &runs_dir(suite, environment),
            Some(commit),
        ))
    }

    fn read(&self, entry: &Entry) -> Result<Vec<u8>, BaselineError> {
        let Some((root, commit)) = self.tip_tree()? else {
            return Err(BaselineError::NotFound(format!(
                "{} holds no runs",
                self.describe()
            )));
        };
        let blob = root
            .get_path(Path::new(&entry.path))
            .and_then(|e| self.objects().find_blob(e.id()))
            .map_err(|e| self.err(format!("cannot read {} in commit {commit}", entry.path), &e))?;
        Ok(blob.content().to_vec())
    }

    fn save(&mut self, run: &Run, keep: usize) -> Result<SavedRun, BaselineError> {
        let dir = runs_dir(&run.suite, &run.environment.key);
        let latest = latest_path(&run.suite, &run.environment.key);
        let json = serde_json::to_string_pretty(run).expect("results serialize") + "\n";
        let keep = keep.max(1);
        let change = |repo: &Repository, base: &Tree<'_>| {
            let built = |e: git2::Error| build_error(&e);
            let mut entries = tree_entries(repo, base, &dir, None);
            let name = file_name(run, &entries);
            let path = format!("{dir}/{name}");
            let new = Entry::parse(&dir, &name, None).expect("a .json name");
            let mut files = classify(repo, base, &entries);
            check_owner(&files, &run.suite, &run.environment.key)?;
            entries.push(new.clone());
            sort_entries(&mut entries);
            let ours = Kind::Run {
                suite: run.suite.clone(),
                environment: run.environment.key.clone(),
            };
            files.push((new.clone(), ours));
            files.sort_by_key(|(e, _)| entries.iter().position(|o| o == e));
            let blob = repo.blob(json.as_bytes()).map_err(built)?;
            let mut update = TreeUpdateBuilder::new();
            update.upsert(path.as_str(), blob, FileMode::Blob);
            let plan = retention(&files, keep, Some(&new));
            for old in &plan.remove {
                update.remove(old.path.as_str());
            }
            // latest.json copies the newest run that stays: this one,
            // unless an older run was saved late.
            if let Some(latest_run) = &plan.latest {
                let id = if *latest_run == new {
                    Some(blob)
                } else {
                    blob_id(base, &latest_run.path)
                };
                if let Some(id) = id {
                    update.upsert(latest.as_str(), id, FileMode::Blob);
                }
            }
            let tree = update.create_updated(repo, base).map_err(built)?;
            let short: String = name.chars().take(24).collect();
            let mut message = format!(
                "perfguard: save {}/{} {short}",
                run.suite, run.environment.key
            );
            if !plan.remove.is_empty() {
                message.push_str(&format!(", prune {}", plan.remove.len()));
            }
            Ok(Some((tree, message, path)))
        };
        let (path, commit) = self.commit_change(&change)?.expect("a save always commits");
        Ok(SavedRun {
            path,
            commit: Some(commit.to_string()),
            run: run.clone(),
        })
    }

    fn import(&mut self, runs: &[Run], keep: usize) -> Result<Imported, BaselineError> {
        let keep = keep.max(1);
        let groups = by_directory(runs);
        let skipped = Cell::new((0, 0));
        let change = |repo: &Repository, base: &Tree<'_>| {
            let built = |e: git2::Error| build_error(&e);
            let mut update = TreeUpdateBuilder::new();
            let mut done = Imported::default();
            let mut blobs: HashMap<String, Oid> = HashMap::new();
            for ((suite, environment), members) in &groups {
                let dir = runs_dir(suite, environment);
                let files: Vec<_> = tree_entries(repo, base, &dir, None)
                    .into_iter()
                    .map(|e| {
                        let blob = blob_id(base, &e.path).and_then(|id| repo.find_blob(id).ok());
                        let (kind, id) = inspect(blob.as_ref().map(|b| b.content()), &e.path);
                        (e, kind, id)
                    })
                    .collect();
                let plan = plan_import(&dir, &files, members, keep, (suite, environment))?;
                done.duplicates += plan.duplicates;
                done.beyond_keep += plan.beyond_keep;
                for (entry, index) in &plan.add {
                    let json = serde_json::to_string_pretty(&runs[*index])
                        .expect("results serialize")
                        + "\n";
                    let blob = repo.blob(json.as_bytes()).map_err(built)?;
                    update.upsert(entry.path.as_str(), blob, FileMode::Blob);
                    blobs.insert(entry.path.clone(), blob);
                    done.added.push(entry.path.clone());
                }
                if plan.add.is_empty() {
                    continue;
                }
                for old in &plan.remove {
                    update.remove(old.path.as_str());
                    done.pruned += 1;
                }
                if let Some(l) = &plan.latest
                    && let Some(id) = blobs
                        .get(&l.path)
                        .copied()
                        .or_else(|| blob_id(base, &l.path))
                {
                    update.upsert(latest_path(suite, environment).as_str(), id, FileMode::Blob);
                }
            }
            skipped.set((done.duplicates, done.beyond_keep));
            if done.added.is_empty() {
                // Nothing new: no commit, and no prune either.
                return Ok(None);
            }
            let tree = update.create_updated(repo, base).map_err(built)?;
            let mut message = format!("perfguard: import {} runs", done.added.len());
            for (suite, environment) in groups.keys() {
                message.push_str(&format!(" into {suite}/{environment}"));
            }
            if done.pruned > 0 {
                message.push_str(&format!(", prune {}", done.pruned));
            }
            Ok(Some((tree, message, done)))
        };
        match self.commit_change(&change)? {
            Some((mut done, commit)) => {
                done.commit = Some(commit.to_string());
                Ok(done)
            }
            None => {
                let (duplicates, beyond_keep) = skipped.get();
                Ok(Imported {
                    duplicates,
                    beyond_keep,
                    ..Imported::default()
                })
            }
        }
    }

    fn prune(&mut self, keep: usize) -> Result<usize, BaselineError> {
        let keep = keep.max(1);
        let change = |repo: &Repository, base: &Tree<'_>| {
            let built = |e: git2::Error| build_error(&e);
            let mut update = TreeUpdateBuilder::new();
            let mut pruned = 0usize;
            let mut changed = false;
            for suite in base.iter().filter(|e| e.kind() == Some(ObjectType::Tree)) {
                let Ok(suite_tree) = repo.find_tree(suite.id()) else {
                    continue;
                };
                for env in suite_tree
                    .iter()
                    .filter(|e| e.kind() == Some(ObjectType::Tree))
                {
                    let (Ok(s), Ok(e)) = (suite.name(), env.name()) else {
                        continue;
                    };
                    let entries = tree_entries(repo, base, &format!("{s}/{e}/runs"), None);
                    let plan = retention(&classify(repo, base, &entries), keep, None);
                    for old in &plan.remove {
                        update.remove(old.path.as_str());
                        pruned += 1;
                        changed = true;
                    }
                    // latest.json must copy a run that is still there.
                    let latest = format!("{s}/{e}/latest.json");
                    let newest = plan.latest.as_ref().and_then(|l| blob_id(base, &l.path));
                    if let Some(id) = newest
                        && blob_id(base, &latest) != Some(id)
                    {
                        update.upsert(latest.as_str(), id, FileMode::Blob);
                        changed = true;
                    }
                }
            }
            if !changed {
                return Ok(None);
            }
            let tree = update.create_updated(repo, base).map_err(built)?;
            Ok(Some((
                tree,
                format!("perfguard: prune to {keep} runs each ({pruned} removed)"),
                pruned,
            )))
        };
        Ok(self.commit_change(&change)?.map_or(0, |(n, _)| n))
    }
}

/// The run files in `dir` of `tree`, oldest first.
fn tree_entries(
    repo: &Repository,
    tree: &Tree<'_>,
    dir: &str,
    commit: Option<String>,
) -> Vec<Entry> {
    let Ok(sub) = tree
        .get_path(Path::new(dir))
        .and_then(|e| repo.find_tree(e.id()))
    else {
        return Vec::new();
    };
    let mut entries: Vec<Entry> = sub
        .iter()
        .filter(|e| e.kind() == Some(ObjectType::Blob))
        .filter_map(|e| Entry::parse(dir, e.name().ok()?, commit.clone()))
        .collect();
    sort_entries(&mut entries);
    entries
}

/// The blob id of `path` in `tree`.
fn blob_id(tree: &Tree<'_>, path: &str) -> Option<Oid> {
    tree.get_path(Path::new(path)).ok().map(|e| e.id())
}

/// Each run file in `entries` with what it holds.
fn classify(repo: &Repository, tree: &Tree<'_>, entries: &[Entry]) -> Vec<(Entry, Kind)> {
    entries
        .iter()
        .map(|e| {
            let kind = blob_id(tree, &e.path)
                .and_then(|id| repo.find_blob(id).ok())
                .map_or(Kind::Unreadable, |b| Kind::of(b.content(), &e.path));
            (e.clone(), kind)
        })
        .collect()
}

fn build_error(e: &git2::Error) -> BaselineError {
    BaselineError::Git {
        context: "cannot build the baseline commit".into(),
        message: e.message().to_owned(),
    }
}

/// Compare-and-swap of `branch_ref` in `repo` from `parent` (or from
/// nothing) to `commit`; `Ok(false)` when another writer moved it first.
fn swap(
    repo: &Repository,
    branch_ref: &str,
    parent: Option<Oid>,
    commit: Oid,
) -> Result<bool, git2::Error> {
    let msg = "perfguard: save baseline";
    // The expected old value is checked under the ref's lock. For a branch
    // that does not exist yet it is the zero id ("must not exist"): a plain
    // create checks for the branch before taking the lock, so two first
    // saves could both pass and the second overwrite the first.
    let expected = parent.unwrap_or(Oid::ZERO_SHA1);
    let result = repo.reference_matching(branch_ref, commit, true, expected, msg);
    match result {
        Ok(_) => Ok(true),
        Err(e) if is_race(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The repository on this machine that a remote URL names: a `file://`
/// URL, or a path (relative ones from the working tree) to a directory.
fn local_path(repo: &Repository, url: &str) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("file://") {
        return Some(PathBuf::from(rest));
    }
    if url.contains("://") {
        return None;
    }
    let path = Path::new(url);
    if path.is_absolute() {
        return path.is_dir().then(|| path.to_owned());
    }
    // `host:path` is ssh unless a directory of that name is here (git's rule).
    let base = repo.workdir().unwrap_or_else(|| repo.path());
    let joined = base.join(path);
    joined.is_dir().then_some(joined)
}

/// The working tree that has `branch_ref` checked out in `repo` (its own,
/// or a linked worktree's), if any.
fn checked_out(repo: &Repository, branch_ref: &str) -> Option<String> {
    let on_branch = |r: &Repository| {
        !r.is_bare()
            && r.find_reference("HEAD")
                .ok()
                .and_then(|h| h.symbolic_target().ok().flatten().map(str::to_owned))
                .as_deref()
                == Some(branch_ref)
    };
    let place = |r: &Repository| {
        r.workdir()
            .unwrap_or_else(|| r.path())
            .display()
            .to_string()
    };
    if on_branch(repo) {
        return Some(place(repo));
    }
    let names = repo.worktrees().ok()?;
    names
        .iter()
        .filter_map(|n| n.ok().flatten())
        .filter_map(|n| repo.find_worktree(n).ok())
        .filter_map(|w| Repository::open_from_worktree(&w).ok())
        .find(|r| on_branch(r))
        .map(|r| place(&r))
}

/// A number no other call in this process returns, and unlikely in another.
fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{nanos:x}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Credentials for a remote: the token as `x-access-token` on http(s), the
/// ssh agent on ssh; each offered once, so a refused token fails fast.
fn credentials(token: Option<String>) -> RemoteCallbacks<'static> {
    let mut callbacks = RemoteCallbacks::new();
    let offered = Cell::new(false);
    callbacks.credentials(move |_url, user, allowed| {
        if offered.replace(true) {
            return Err(git2::Error::from_str(
                "the remote refused the credentials (check the token and its `contents` permission)",
            ));
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            return match &token {
                Some(t) => Cred::userpass_plaintext("x-access-token", t),
                None => Err(git2::Error::from_str(
                    "the remote asks for credentials: set GITHUB_TOKEN or PERFGUARD_TOKEN (or pass --token)",
                )),
            };
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            return Cred::ssh_key_from_agent(user.unwrap_or("git"));
        }
        Cred::default()
    });
    callbacks
}

/// Another writer got there first (a lock held, a ref moved).
fn is_race(e: &git2::Error) -> bool {
    matches!(
        e.code(),
        ErrorCode::Modified | ErrorCode::Exists | ErrorCode::Locked | ErrorCode::NotFastForward
    )
}

fn looks_like_race(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "lock",
        "fetch first",
        "non-fast-forward",
        "stale",
        "old value",
        "failed to update",
        "moved",
    ]
    .iter()
    .any(|k| m.contains(k))
}

/// Back-off before retry `attempt`: exponential up to ~0.8 s, with random
/// jitter so concurrent jobs spread out.
fn jitter(attempt: u32) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u32(attempt);
    let random = h.finish();
    let base = 25u64 << attempt.min(5);
    Duration::from_millis(base / 2 + random % base)
}

/// Hides a token and any `user:password@` in URLs.
pub fn redact(text: &str, token: Option<&str>) -> String {
    let mut out = match token {
        Some(t) if !t.is_empty() => text.replace(t, "***"),
        _ => text.to_owned(),
    };
    while let Some(scheme) = out.find("://") {
        let rest = &out[scheme + 3..];
        let end = rest.find(['/', ' ', '\'', '"']).unwrap_or(rest.len());
        match rest[..end].rfind('@') {
            Some(at) if !rest[..at].starts_with("***") => {
                out = format!("{}://***@{}", &out[..scheme], &rest[at + 1..]);
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod owner_tests {
    use super::trusts_foreign_owner;

    #[test]
    fn a_laptop_keeps_the_owner_check() {
        assert!(!trusts_foreign_owner(None, false));
        assert!(!trusts_foreign_owner(Some("false"), false));
        assert!(!trusts_foreign_owner(Some(""), false));
    }

    #[test]
    fn actions_and_containers_trust_the_workspace() {
        assert!(trusts_foreign_owner(Some("true"), false));
        assert!(trusts_foreign_owner(None, true));
    }
}
